"""Value x potential against an independent computation of spend growth and the grid."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import tierkit as tk


def reference_growth(tx: pd.DataFrame, as_of: str) -> pd.Series:
    """Spend growth from the definition: monthly periods from the first month with a line
    to the month of as_of - 1; halves of floor(P/2) months; rates per counted month."""
    d = tx.assign(month=tx["time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M"))
    last = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).to_period("M")
    months = pd.period_range(d["month"].min(), last, freq="M")
    h = len(months) // 2
    first_half, second_half = set(months[:h]), set(months[len(months) - h:])
    out = {}
    for cust, g in d.groupby("customer_id"):
        own = list(months).index(g["month"].min())
        if own >= h:
            out[cust] = np.nan
            continue
        s1 = g.loc[g["month"].isin(first_half), "amount"].sum()
        s2 = g.loc[g["month"].isin(second_half), "amount"].sum()
        r1, r2 = s1 / (h - own), s2 / h
        out[cust] = 0.0 if abs(r1) + abs(r2) == 0 else (r2 - r1) / (abs(r1) + abs(r2))
    return pd.Series(out)


def test_spend_growth_and_cells_agree_with_the_reference():
    t = tk.demo.transactions(600, 12_000, seed=9)
    tx = t.select(["customer_id", "time", "amount"]).to_pandas()
    p = tk.profile(t, order="order_id", as_of="2024-01-01")
    got = p.to_pandas().index.to_series().map(pd.Series(
        tk.scoring.metrics_of(p).column("spend_growth"), index=p.to_pandas().index))
    ref = reference_growth(tx, "2024-01-01").loc[got.index]
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-9, atol=1e-12)
    s = tk.ValuePotential().fit_apply(p).to_pandas()
    df = p.to_pandas().assign(growth=got)
    scored = df["growth"].notna()
    v_cut = np.quantile(df.loc[scored, "monetary"], 0.5, method="inverted_cdf")
    g_cut = np.quantile(df.loc[scored, "growth"], 0.5, method="inverted_cdf")
    expect = np.select([(df.monetary > v_cut) & (df.growth > g_cut), df.monetary > v_cut,
                        df.growth > g_cut], ["key", "maintain", "develop"], "low")
    assert (s.loc[scored, "vp_cell"].astype(str) == pd.Series(expect, index=df.index)[scored]).all()
    assert s.loc[~scored, "vp_cell"].isna().all()


def test_three_by_three_user_potential_and_persistence():
    df = pd.DataFrame({"customer_id": range(9), "monetary": [1, 2, 3] * 3,
                       "wallet": [10, 10, 10, 20, 20, 20, 30, 30, 30]})
    vp = tk.ValuePotential.preset("3x3")
    m = tk.ValuePotential("monetary", "wallet", value_bins=3, potential_bins=3,
                          cells=[f"v{v}p{p}" for v in (1, 2, 3) for p in (1, 2, 3)]).fit(df)
    assert m.apply(df).to_pandas()["vp_cell"].tolist() == \
        ["v1p1", "v2p1", "v3p1", "v1p2", "v2p2", "v3p2", "v1p3", "v2p3", "v3p3"]
    assert pickle.loads(pickle.dumps(m)) == m and tk.load(m.to_bytes()) == m
    assert m.summary.to_pandas()["customers"].tolist() == [1] * 9
    with pytest.raises(tk.InvalidInput, match="9 cells but 4 cell names"):
        tk.ValuePotential(value_bins=3, potential_bins=3)
    assert repr(vp) == "ValuePotential.preset('3x3')"
