"""ABC classes and concentration against an independent reference; products as keys."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk


def reference_abc(values: np.ndarray, bounds=(80, 95), labels="ABC", mode="value"):
    """Written from the policy: descending order; a tie group takes the class given by what
    precedes its first member (value share, or count share, in exact integer percent
    arithmetic on whole cents); <= 0 -> 'N'."""
    out = np.full(len(values), None, dtype=object)
    cents = [int(round(x * 100)) for x in values]
    pos = [i for i, c in enumerate(cents) if c > 0]
    order = sorted(pos, key=lambda i: -cents[i])
    total = sum(cents[i] for i in order)
    before, cls = 0, None
    for rank, idx in enumerate(order):
        if rank == 0 or cents[idx] != cents[order[rank - 1]]:
            num, den = (before, total) if mode == "value" else (rank, len(order))
            c = 0
            while c < len(bounds) and num * 100 >= bounds[c] * den:
                c += 1
            cls = labels[c]
        out[idx] = cls
        before += cents[idx]
    out[np.asarray(values) <= 0] = "N"
    return out


def test_classes_agree_with_the_reference_on_generated_data():
    p = tk.profile(tk.demo.transactions(3000, 60_000, seed=2), order="order_id")
    got = tk.ABC().fit_apply(p).to_pandas()["abc_class"].astype(object).to_numpy()
    ref = reference_abc(p.to_pandas()["monetary"].to_numpy())
    np.testing.assert_array_equal(got, ref)
    counts = tk.ABC(mode="count").fit_apply(p).to_pandas()["abc_class"].astype(object).to_numpy()
    np.testing.assert_array_equal(counts, reference_abc(p.to_pandas()["monetary"].to_numpy(),
                                                        (20, 90), mode="count"))


def test_abc_of_products_and_concentration():
    sales = pd.DataFrame({"sku": ["p1", "p2", "p3", "p4", "p5"],
                          "revenue": [500.0, 300.0, 100.0, 60.0, 40.0]})
    m = tk.ABC("revenue").fit(sales, key="sku")
    classes = m.apply(sales, key="sku").to_pandas()["abc_class"].tolist()
    assert classes == ["A", "A", "B", "B", "C"]
    c = m.concentration
    v = np.sort(sales["revenue"].to_numpy())
    n = len(v)
    gini = (2 * np.sum(np.arange(1, n + 1) * v)) / (n * v.sum()) - (n + 1) / n
    assert c.gini == pytest.approx(gini)
    assert c.top20_share == pytest.approx(0.5)
    assert c.lorenz[0] == 0 and c.lorenz[-1] == pytest.approx(1.0)
    s = m.summary.to_pandas()
    assert s["customers"].tolist() == [2, 2, 1, 0] and s["value_share"].iloc[0] == pytest.approx(0.8)
    assert tk.concentration([1, 1, 1, 1]).gini == pytest.approx(0)


def test_nonpositive_policies_and_labels():
    df = pd.DataFrame({"customer_id": [1, 2, 3, 4], "monetary": [10.0, 0.0, -3.0, np.nan]})
    assert tk.ABC().fit_apply(df).to_pandas()["abc_class"].tolist()[:3] == ["A", "N", "N"]
    assert pd.isna(tk.ABC().fit_apply(df).to_pandas()["abc_class"].iloc[3])
    low = tk.ABC(nonpositive="lowest_class", labels=("Gold", "Silver", "Bronze"))
    assert low.fit_apply(df).to_pandas()["abc_class"].tolist()[:3] == ["Gold", "Bronze", "Bronze"]
    none = tk.ABC(nonpositive="unclassified").fit_apply(df).to_pandas()["abc_class"]
    assert none.isna().sum() == 3
    with pytest.raises(tk.InvalidInput, match="2 shares make 3 classes, but 4 labels"):
        tk.ABC(labels="ABCD")
    with pytest.raises(tk.InvalidInput, match="nonpositive must be"):
        tk.ABC(nonpositive="drop")
    with pytest.raises(tk.SchemaError, match="no metric column 'revenu'"):
        tk.ABC("revenu").fit(df)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-5, 50).map(float), min_size=1, max_size=120), st.randoms(use_true_random=False))
def test_classes_do_not_depend_on_row_order_and_ties_share(values, rnd):
    df = pd.DataFrame({"customer_id": range(len(values)), "monetary": values})
    a = tk.ABC().fit_apply(df).to_pandas()["abc_class"]
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 1000))
    b = tk.ABC().fit_apply(shuffled).to_pandas()["abc_class"].loc[df.customer_id]
    assert a.tolist() == b.tolist()
    by_value = pd.DataFrame({"v": values, "c": a.to_numpy()}).groupby("v")["c"].nunique()
    assert (by_value == 1).all()
    np.testing.assert_array_equal(a.astype(object).to_numpy(), reference_abc(np.array(values)))


@pytest.mark.parametrize("k", [0, 48, 62, 200, 1000])
def test_values_from_2_to_the_60_up_are_classed_exactly(k):
    # Integers times 2^k are exact doubles; the reference sums them as Python integers.
    values = np.random.default_rng(k).integers(-3, 1000, 400).astype(float) * 2.0 ** k
    df = pd.DataFrame({"customer_id": range(len(values)), "monetary": values})
    got = tk.ABC().fit_apply(df).to_pandas()["abc_class"]
    np.testing.assert_array_equal(got.astype(object).to_numpy(), reference_abc(values))


def test_a_customer_summing_beyond_2_to_the_60_holds_class_a():
    # Lines stay below 2^60; a customer's net sum of three lines of 1e18 does not.
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3, 4],
                       "time": pd.to_datetime(["2024-01-01"] * 6),
                       "amount": [1e18, 1e18, 1e18, 10.0, 4.0, 1.0]})
    p = tk.profile(tx)
    summary = tk.ABC().fit(p).summary.to_pandas().set_index("class")
    assert summary.loc["A", "value"] == 3e18 and summary.loc["A", "customers"] == 1
    assert summary.loc["C", "value"] == 15.0 and summary.loc["C", "customers"] == 3
    assert summary.loc["A", "value_share"] == pytest.approx(1.0)
