"""Lifecycle stages against a hand-written reference on the real grocery log
(Platzer & Reutterer, BTYDplus), with fixed and rhythm-relative windows."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import tierkit as tk
from conftest import shared_data


def reference_stages(log: pd.DataFrame, as_of: pd.Timestamp, new_days=90, dormant_days=180,
                     churn_days=365, relative=False, dormant_gaps=3.0, churn_gaps=6.0,
                     min_days=14) -> pd.Series:
    """Written from the rules in include/tierkit/lifecycle.hpp, one customer at a time."""
    out = {}
    for cust, days in log.groupby("cust")["date"]:
        d = np.unique(days.to_numpy().astype("datetime64[D]").astype(np.int64))
        a = (as_of.to_datetime64().astype("datetime64[D]").astype(np.int64))
        recency, tenure = a - d[-1], a - d[0]
        gaps = np.diff(d)
        dormant, churn = float(dormant_days), float(churn_days)
        if relative and len(gaps):
            g = float(np.median(gaps))
            dormant, churn = max(min_days, dormant_gaps * g), max(min_days + 1, churn_gaps * g)
        if recency > churn:
            stage = "churned"
        elif recency > dormant:
            stage = "dormant"
        elif tenure <= new_days:
            stage = "new"
        elif len(gaps) and gaps[-1] > dormant:
            stage = "reactivated"
        else:
            stage = "active"
        out[cust] = stage
    return pd.Series(out)


@pytest.fixture(scope="module")
def grocery():
    log = pd.read_csv(shared_data("grocery-btydplus") / "groceryElog.csv", parse_dates=["date"])
    log["amount"] = 1.0  # the log has no values; every line is a purchase
    return log


@pytest.mark.parametrize("as_of", ["2007-12-31", "2007-06-30", "2006-06-01"])
@pytest.mark.parametrize("relative", [False, True])
def test_stages_agree_with_the_reference_on_the_grocery_log(grocery, as_of, relative):
    log = grocery[grocery["date"] < as_of]
    p = tk.profile(log, customer="cust", time="date", amount="amount", as_of=as_of)
    got = tk.Lifecycle(relative_to_gap=relative).fit_apply(p).to_pandas()["lifecycle"]
    ref = reference_stages(log, pd.Timestamp(as_of), relative=relative)
    assert (got.astype(str) == ref.loc[got.index]).all()
    assert got.nunique() >= 2  # early dates: the cohort is all new or active


def test_rhythm_relative_windows_change_the_verdict_for_frequent_buyers(grocery):
    p = tk.profile(grocery, customer="cust", time="date", amount="amount")
    fixed = tk.Lifecycle().fit_apply(p).to_pandas()
    rhythm = tk.Lifecycle(relative_to_gap=True).fit_apply(p).to_pandas()
    df = p.to_pandas()
    weekly = df["median_gap"] <= 7
    # a weekly buyer silent for 60 days is dormant on its own rhythm, active on fixed windows
    silent = weekly & (df["recency"] > 60) & (df["recency"] <= 180)
    assert silent.any()
    assert (rhythm.loc[silent, "lifecycle"].astype(str) != "active").all()
    assert (fixed.loc[silent, "lifecycle"].astype(str) == "active").all() or \
        (fixed.loc[silent, "lifecycle"].astype(str) == "reactivated").any()


def test_prospects_come_from_the_attribute_table():
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "time": pd.to_datetime(["2024-01-01", "2024-03-01", "2023-01-05"]),
                       "amount": [10.0, 5.0, 3.0]})
    p = tk.profile(tx, as_of="2024-03-10")
    attrs = tk.CustomerAttributes(pd.DataFrame({"customer_id": [1, 2, 3, 4], "age": [30, 40, 50, 60]}))
    s = tk.Lifecycle().fit_apply(p, prospects=attrs).to_pandas()
    assert s["lifecycle"].astype(str).to_dict() == {1: "new", 2: "churned", 3: "prospect", 4: "prospect"}
    assert s.loc[3, "lifecycle_zh"] == "潜在客户"
    assert pd.isna(s.loc[3, "dormant_after_days"])
    with pytest.raises(tk.SchemaError, match="prospect keys are large_string, the data.s keys are int64"):
        tk.Lifecycle().fit_apply(p, prospects=tk.CustomerAttributes(pd.DataFrame({"customer_id": ["x"]})))


def test_lifecycle_settings_and_persistence(tmp_path):
    with pytest.raises(tk.InvalidInput, match="must exceed dormant_days"):
        tk.Lifecycle(dormant_days=400)
    with pytest.raises(tk.InvalidInput, match="relative_to_gap must be True or False; got 'yes'"):
        tk.Lifecycle(relative_to_gap="yes")
    m = tk.Lifecycle(relative_to_gap=True).fit(pd.DataFrame(
        {"customer_id": [1], "recency": [1.0], "tenure": [9.0], "last_gap": [2.0], "median_gap": [2.0]}))
    assert pickle.loads(pickle.dumps(m)) == m
    m.save(tmp_path / "life.tkm")
    assert tk.load(tmp_path / "life.tkm") == m
    assert "relative_to_gap=True" in repr(m)
    assert m.rules.to_arrow().num_rows == 6
