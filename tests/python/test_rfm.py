"""RFM: against an independent numpy/pandas reference, R rfm 0.3.0 on its demo data,
PyMC-Marketing's rfm_segments on its test fixture and a re-implementation of its code."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk
from conftest import shared_data


# --- an independent reference --------------------------------------------------------------
def reference_scores(values: np.ndarray, k: int = 5, higher_is_better: bool = True) -> np.ndarray:
    """Scores from the documented definition: cuts are numpy 'inverted_cdf' quantiles at
    j/k, bins (c_{j-1}, c_j]; written without tierkit's code."""
    v = values[~np.isnan(values)]
    cuts = np.quantile(v, [j / k for j in range(1, k)], method="inverted_cdf")
    bins = np.searchsorted(cuts, values, side="left")  # number of cuts < x
    scores = bins + 1 if higher_is_better else k - bins
    return np.where(np.isnan(values), 0, scores)


def demo_profile(n=3000, lines=60_000, seed=5):
    return tk.profile(tk.demo.transactions(n, lines, seed=seed), order="order_id")


def test_scores_agree_with_the_reference_on_generated_data():
    p = demo_profile()
    s = tk.RFM().fit_apply(p).to_pandas()
    df = p.to_pandas()
    for metric, col, better in (("recency", "r_score", False), ("frequency", "f_score", True),
                                ("monetary", "m_score", True)):
        ref = reference_scores(df[metric].to_numpy(dtype=float), 5, better)
        np.testing.assert_array_equal(s[col].to_numpy(dtype=float), ref.astype(float), err_msg=metric)
    np.testing.assert_array_equal(s["rfm_code"], s["r_score"] * 100 + s["f_score"] * 10 + s["m_score"])
    np.testing.assert_array_equal(s["rfm_sum"], s["r_score"] + s["f_score"] + s["m_score"])


def test_equal_values_share_a_score_and_collapsed_bins_are_reported():
    df = pd.DataFrame({"customer_id": range(10), "recency": [1] * 6 + [2, 3, 4, 5],
                       "frequency": [1] * 10, "monetary": np.arange(10.0)})
    m = tk.RFM().fit(df)
    assert m.empty_scores["recency"] == [3, 4]
    assert m.empty_scores["frequency"] == [2, 3, 4, 5]
    s = m.apply(df).to_pandas()
    assert s["r_score"].iloc[:6].nunique() == 1
    cuts = m.cuts.to_pandas()
    assert cuts[(cuts["metric"] == "frequency") & (cuts["is_empty"] == 1)].shape[0] == 4


def test_fixed_cuts_percentiles_and_reapplying_a_frozen_model():
    p = demo_profile(seed=6)
    rfm = tk.RFM(recency=tk.Bins(cuts=[30, 90, 180, 365]),
                 frequency=tk.Bins(percentiles=[50, 80, 95]), monetary=3, segments=None)
    m = rfm.fit(p)
    assert m.bins["recency"]["cuts"] == [30, 90, 180, 365]
    assert m.bins["frequency"]["bins"] == 4 and m.bins["monetary"]["bins"] == 3
    rec = p.to_pandas()["recency"]
    s = m.apply(p).to_pandas()
    assert (s.loc[rec <= 30, "r_score"] == 5).all() and (s.loc[rec > 365, "r_score"] == 1).all()
    later = demo_profile(seed=7)  # next month's customers, scored with this month's cuts
    s2 = m.apply(later).to_pandas()
    rec2 = later.to_pandas()["recency"]
    assert (s2.loc[(rec2 > 90) & (rec2 <= 180), "r_score"] == 3).all()
    assert s.segment.isna().sum() == 0 and set(s.segment.unique()) == {"Unsegmented"}


def test_customers_without_purchases_are_unscored_and_counted():
    df = pd.DataFrame({"customer_id": [1, 2, 3], "time": pd.to_datetime(["2024-01-01"] * 3),
                       "amount": [10.0, 20.0, -5.0]})
    p = tk.profile(df)
    m = tk.RFM().fit(p)
    assert m.bins["recency"]["fit_missing"] == 1
    s = m.apply(p).to_pandas()
    assert pd.isna(s.loc[3, "r_score"]) and pd.isna(s.loc[3, "segment"])
    summary = m.segment_summary(p).to_pandas()
    assert summary.loc[summary.index.isna(), "customers"].tolist() == [1]


def test_single_customer_and_all_equal():
    df = pd.DataFrame({"customer_id": [1], "recency": [3.0], "frequency": [2.0], "monetary": [5.0]})
    s = tk.RFM().fit_apply(df).to_pandas()
    assert (s.r_score.iloc[0], s.f_score.iloc[0], s.m_score.iloc[0]) == (5, 1, 1)
    same = pd.DataFrame({"customer_id": [1, 2, 3], "recency": 1.0, "frequency": 1.0, "monetary": 1.0})
    assert set(tk.RFM().fit_apply(same).to_pandas().rfm_code) == {511}


def test_bad_input_is_named():
    df = pd.DataFrame({"customer_id": [1, 1], "recency": [1.0, 2.0], "frequency": [1, 2],
                       "monetary": [1.0, 2.0]})
    with pytest.raises(tk.InvalidInput, match="the key column 'customer_id' repeats 1 rows"):
        tk.RFM().fit(df)
    with pytest.raises(tk.SchemaError, match="no metric column 'monetary'"):
        tk.RFM().fit(df.drop(columns="monetary").drop_duplicates("customer_id"))
    with pytest.raises(tk.InvalidInput, match="bins must be between 2 and 100"):
        tk.RFM(1)
    with pytest.raises(tk.InvalidInput, match="percentiles must be strictly increasing"):
        tk.RFM(frequency=tk.Bins(percentiles=[50, 20]))
    with pytest.raises(tk.InvalidInput, match="give only one of"):
        tk.Bins(3, cuts=[1])
    with pytest.raises(tk.InvalidInput, match="preset must be"):
        tk.RFM.preset("sas")
    with pytest.raises(tk.InvalidInput, match="no customers to fit"):
        tk.RFM().fit(df.iloc[:0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=200),
       st.integers(2, 9), st.randoms(use_true_random=False))
def test_scores_are_monotone_in_their_metric_and_ignore_row_order(values, k, rnd):
    df = pd.DataFrame({"customer_id": range(len(values)), "recency": values,
                       "frequency": values, "monetary": values})
    s = tk.RFM(k, segments=None).fit_apply(df).to_pandas()
    order = np.argsort(values, kind="stable")
    f = s["f_score"].to_numpy()[order]
    r = s["r_score"].to_numpy()[order]
    assert (np.diff(f) >= 0).all() and (np.diff(r) <= 0).all()
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10_000))
    again = tk.RFM(k, segments=None).fit_apply(shuffled).to_pandas().loc[df.customer_id]
    pd.testing.assert_frame_equal(again, s)


# --- R package rfm 0.3.0 ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def r_orders():
    path = shared_data("rfm-r-package-sample") / "rfm_data_orders.csv"
    return pd.read_csv(path, parse_dates=["order_date"])


def r_profile(orders):
    return tk.profile(orders, customer="customer_id", time="order_date", amount="revenue",
                      as_of="2006-12-31")


def test_r_rfm_reproduces_the_packages_test_numbers(r_orders):
    p = r_profile(r_orders)
    assert p.to_arrow().column("transactions").to_numpy().sum() == 4906
    model = tk.RFM.preset("r_rfm").fit(p)
    # tests/testthat/test-rfm-table.R's explicit bins are the fitted cuts, rounded:
    assert [round(c) for c in model.bins["recency"]["cuts"]] == [115, 181, 297, 482]
    assert model.bins["frequency"]["cuts"] == [4, 5, 6, 8]
    summary = model.segment_summary(p).to_pandas()
    # tests/testthat/test-rfm-segment.R: 158 Champions, 1,234 orders, revenue 120,178
    assert summary.loc["Champions", ["customers", "orders", "revenue"]].tolist() == [158, 1234, 120178]
    # the rest of the table, as the package's plot snapshots show it
    expected = {"About To Sleep": (50, 127, 10914), "At Risk": (86, 438, 44178),
                "Lost": (111, 244, 20955), "Loyal Customers": (278, 1708, 166712),
                "Need Attention": (35, 144, 13287), "Others": (48, 210, 22061),
                "Potential Loyalist": (229, 801, 65873)}
    for seg, row in expected.items():
        assert tuple(summary.loc[seg, ["customers", "orders", "revenue"]]) == row, seg
    assert set(model.check_segments().never_match) == {"New Customers", "Promising", "Can't Lose Them"}


def test_r_rfm_matches_the_vignettes_customers_and_segment_table(r_orders):
    p = r_profile(r_orders)
    vignette = tk.Segments([
        ("Champions", (5, 5), (5, 5), (5, 5)), ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
        ("Loyal Customers", (2, 4), (2, 4), (2, 4)), ("Promising", (3, 4), (1, 3), (3, 5)),
        ("New Customers", (4, 5), (1, 3), (1, 5)), ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
        ("At Risk", (1, 2), (2, 5), (4, 5)), ("Need Attention", (1, 3), (3, 5), (3, 5)),
        ("About To Sleep", (2, 3), (1, 3), (1, 4)), ("Lost", (1, 1), (1, 5), (1, 5))])
    rfm = tk.RFM.preset("r_rfm")
    model = rfm.fit(p)
    s = model.apply(p).to_pandas()
    df = p.to_pandas()
    for name, rec, count, amount, code in (("Abbey O'Reilly", 205, 6, 472, 343),
                                           ("Add Senger", 140, 3, 340, 412),
                                           ("Agness O'Keefe", 90, 9, 843, 555)):
        assert (df.loc[name, "recency"], df.loc[name, "transactions"], df.loc[name, "monetary"]) == \
            (rec, count, amount)
        assert s.loc[name, "rfm_code"] == code
    # the vignette's segment summary (inst/doc/rfm-introduction.html)
    codes = s[["r_score", "f_score", "m_score"]].to_numpy()
    seg = pd.Series([vignette.match(*map(int, c)) for c in codes], index=s.index)
    got = pd.DataFrame({"segment": seg, "orders": df["transactions"], "revenue": df["monetary"]}) \
        .groupby("segment").agg(customers=("orders", "size"), orders=("orders", "sum"),
                                revenue=("revenue", "sum"))
    expected = {"About To Sleep": (102, 283, 23449), "At Risk": (28, 216, 22227),
                "Can't Lose Them": (47, 274, 32446), "Champions": (35, 316, 31646),
                "Lost": (148, 393, 35324), "Loyal Customers": (170, 799, 76562),
                "Need Attention": (10, 57, 4562), "New Customers": (104, 329, 28837),
                "Potential Loyalist": (342, 2211, 204856), "Promising": (9, 28, 4249)}
    for name, row in expected.items():
        assert tuple(got.loc[name]) == row, name


# --- PyMC-Marketing rfm_segments -------------------------------------------------------------
PYMC_FIXTURE = [[1, "2015-01-01", 1], [1, "2015-02-06", 2], [2, "2015-01-01", 2],
                [3, "2015-01-01", 3], [3, "2015-01-02", 1], [3, "2015-01-05", 5],
                [4, "2015-01-16", 6], [4, "2015-02-02", 3], [4, "2015-02-05", 3],
                [4, "2015-02-05", 6], [5, "2015-01-16", 3], [5, "2015-01-17", 1],
                [5, "2015-01-18", 8], [6, "2015-02-02", 5]]


def pymc_scores(frame: pd.DataFrame):
    p = tk.profile(frame, customer="identifier", time="date", amount="monetary_value")
    return tk.RFM.preset("pymc_marketing").fit_apply(p).to_pandas()


def test_pymc_preset_reproduces_its_test_expectations():
    df = pd.DataFrame(PYMC_FIXTURE, columns=["identifier", "date", "monetary_value"])
    df["date"] = pd.to_datetime(df["date"])
    s = pymc_scores(df)
    # tests/clv/test_utils.py::test_rfm_segmentation_config (default config)
    assert s["segment"].tolist() == ["Other", "Inactive Customer", "At Risk Customer",
                                     "Premium Customer", "Repeat Customer", "Top Spender"]
    assert s["rfm_code"].tolist() == [421, 111, 132, 434, 233, 314]
    # the custom config of the same test
    p = tk.profile(df, customer="identifier", time="date", amount="monetary_value")
    custom = tk.Segments({"Test Segment": ["111", "222", "333", "444"]}, default="Other")
    m = tk.RFM.preset("pymc_marketing").fit(p)
    codes = m.apply(p).to_pandas()["rfm_code"]
    assert [custom.match(c // 100, c // 10 % 10, c % 10) for c in codes] == \
        ["Other", "Test Segment", "Other", "Other", "Other", "Other"]
    # frequency collapses to 3 bins (edges 1, 1.25, 2.5, 3 -> renumbered)
    assert m.bins["frequency"]["bins"] == 3 and m.bins["frequency"]["requested_bins"] == 4


def pymc_reference(frame: pd.DataFrame) -> pd.DataFrame:
    """PyMC-Marketing 0.19.2's rfm_segments, re-implemented from its source (pandas.qcut
    with duplicates='drop' and shrinking label lists) to compare on larger data."""
    d = frame.copy()
    d["date"] = pd.to_datetime(d["date"]).dt.floor("D")
    end = d["date"].max()
    per_day = d.groupby(["date", "identifier"], as_index=False)["monetary_value"].sum()
    g = per_day.groupby("identifier")
    out = pd.DataFrame({"frequency": g["date"].count().astype(float),
                        "recency": ((end - g["date"].max()) / np.timedelta64(1, "D")).astype(float),
                        "monetary_value": g["monetary_value"].mean()})
    for col, var in (("r", "recency"), ("f", "frequency"), ("m", "monetary_value")):
        for top in (5, 4, 3):
            labels = list(range(top - 1, 0, -1)) if col == "r" else list(range(1, top))
            try:
                out[col] = pd.qcut(out[var], q=4, labels=labels, duplicates="drop").astype(int)
                break
            except ValueError:
                continue
    out["rfm_code"] = out["r"] * 100 + out["f"] * 10 + out["m"]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pymc_preset_agrees_with_a_reimplementation_of_its_code(seed):
    t = tk.demo.transactions(400, 6000, seed=seed, return_rate=0.0)
    df = pd.DataFrame({"identifier": t.column("customer_id").to_numpy(),
                       "date": t.column("time").to_pandas().dt.tz_localize(None),
                       "monetary_value": t.column("amount").to_numpy()})
    ours = pymc_scores(df)
    ref = pymc_reference(df)
    np.testing.assert_array_equal(ours.loc[ref.index, "rfm_code"].to_numpy(), ref["rfm_code"].to_numpy())


def test_pymc_preset_on_the_r_packages_data(r_orders):
    df = r_orders.rename(columns={"customer_id": "identifier", "order_date": "date",
                                  "revenue": "monetary_value"})[["identifier", "date", "monetary_value"]]
    ours = pymc_scores(df)
    ref = pymc_reference(df)
    np.testing.assert_array_equal(ours.loc[ref.index, "rfm_code"].to_numpy(), ref["rfm_code"].to_numpy())


# --- segments ----------------------------------------------------------------------------------
def test_segments_from_lists_dicts_and_presets_with_checks():
    s = tk.Segments([{"name": "VIP", "recency": (4, 5), "frequency": (4, 5)},
                     ("Big", (1, 5), (1, 5), (5, 5)), ("Never", (4, 5), (5, 5), (1, 5))],
                    default="Rest")
    assert s.match(5, 5, 1) == "VIP" and s.match(1, 1, 5) == "Big" and s.match(1, 1, 1) == "Rest"
    c = s.check()
    assert c.never_match == ["Never"]
    assert ("VIP", "Never", 10) in c.overlaps
    # VIP holds 2 x 2 x 5 = 20 cells, Big 25, both 4: 41 covered, 84 to the catch-all
    assert len(c.uncovered) == 125 - (20 + 25 - 4)
    assert tk.Segments.preset("english").check().ok
    assert "重要价值客户" in [r["label_zh"] for r in tk.Segments.preset("chinese_eight").rules]
    with pytest.raises(tk.InvalidInput, match="rule 1 has unknown keys"):
        tk.Segments([{"name": "x", "recenc": (1, 2)}])
    with pytest.raises(tk.InvalidInput, match="is not three digits"):
        tk.Segments({"x": ["1234"]})


def test_chinese_eight_class_preset_splits_at_the_mean():
    p = demo_profile(seed=8)
    m = tk.RFM.preset("chinese_eight").fit(p)
    s = m.apply(p).to_pandas()
    df = p.to_pandas()
    mean_f = df["frequency"].mean()
    important_value = s["segment_zh"] == "重要价值客户"
    assert (df.loc[important_value, "frequency"] >= mean_f).all()
    assert (df.loc[important_value, "recency"] < df["recency"].mean()).all()
    assert set(s["segment_zh"].dropna()) <= {r["label_zh"] for r in tk.Segments.preset("chinese_eight").rules}
    med = tk.RFM.preset("chinese_eight_median").fit(p)
    assert med.bins["monetary"]["cuts"][0] == np.quantile(df["monetary"], 0.5, method="inverted_cdf")


def test_segment_summary_with_128_segment_labels_and_unscored_customers():
    # 127 rules and the default: 128 labels, the most 8-bit dictionary indices hold; the
    # unscored customer's null segment is counted in a row of its own.
    rules = [(f"S{k}", (k % 5 + 1, k % 5 + 1), (1, 5), (1, 5)) for k in range(127)]
    df = pd.DataFrame({"customer_id": np.arange(10), "recency": [float(x) for x in range(9)] + [np.nan],
                       "frequency": 1.0, "monetary": np.arange(10.0)})
    m = tk.RFM(segments=tk.Segments(rules, default="Rest")).fit(df)
    segment = m.apply(df).to_arrow().column("segment").combine_chunks()
    assert segment.type.index_type == pa.int8() and len(segment.dictionary) == 128
    summary = m.segment_summary(df).to_pandas()
    assert summary["customers"].sum() == 10
    assert summary.loc[summary.index.isna(), "customers"].tolist() == [1]
