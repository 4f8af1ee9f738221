"""Households (tk.Households): roll-up per measure, tiering households, handing tiers back."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk

ORDER = ["Gold", "Silver", "Bronze"]


def plain(series) -> dict:
    """A column as {key: value} with None for missing values (pandas shows them as NaN)."""
    return {k: (None if pd.isna(v) else v) for k, v in series.astype(object).items()}


def members():
    # h1: a couple with data; h2: a parent (with data), a child missing from the data and
    # customer 2, who also belongs to h1; h3: nobody with data.
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 2, 9],
        "household_id": ["h1", "h1", "h2", "h2", "h2", "h3"],
        "role": ["head", "spouse", "head", "child", "spouse", "head"],
        "weight": [1.0, 0.5, 1.0, 1.0, 0.5, 1.0],
    })


def balances():
    return pd.DataFrame({"customer_id": [1, 2, 3, 5], "balance": [100.0, 50.0, 30.0, 7.0],
                         "assets": [10.0, np.nan, 20.0, 1.0]})


def test_rollup_by_hand():
    hh = tk.Households(members(), weight="weight")
    out = hh.rollup(balances(), {"balance": "sum", "assets": "max"}).to_pandas()
    # h1: 100 + 50; h2: 30 + 50 (customer 2 counts in both households); h3: no data.
    assert out.loc["h1", "balance"] == 150 and out.loc["h2", "balance"] == 80
    assert pd.isna(out.loc["h3", "balance"]) and pd.isna(out.loc["h3", "assets"])
    # A member's missing value is left out: h1's max is customer 1's 10.
    assert out.loc["h1", "assets"] == 10 and out.loc["h2", "assets"] == 20
    assert out.members.to_dict() == {"h1": 2, "h2": 3, "h3": 1}
    assert out.members_with_data.to_dict() == {"h1": 2, "h2": 2, "h3": 0}
    weighted = hh.rollup(balances(), {"balance": "weighted"}).to_pandas()
    assert weighted.loc["h1", "balance"] == 125 and weighted.loc["h2", "balance"] == 55
    rep = hh.rollup(balances(), {"balance": "sum"}).report
    assert rep == {"households": 3, "members_missing": 2, "customers_missing": 2,
                   "households_without_data": 1, "customers_in_several": 1}
    heads = hh.rollup(balances(), {"balance": "sum"}, roles=["head"]).to_pandas()
    assert heads.loc["h1", "balance"] == 100 and heads.loc["h2", "balance"] == 30


def test_hand_back_by_hand():
    hh = tk.Households(members())
    own = pd.DataFrame({"customer_id": [1, 2, 3, 5], "tier": ["Bronze", "Silver", "Gold", "Bronze"]})
    htiers = pd.DataFrame({"household_id": ["h1", "h2", "h3"], "tier": ["Silver", "Bronze", None]})
    out = hh.hand_back(own, htiers, ORDER, rule="higher").to_pandas()
    # 1 is raised to h1's Silver; 2 keeps Silver (its best household, h1, is Silver);
    # 3 keeps Gold (higher than h2's Bronze); 4 (no data) gets h2's Bronze; 5 is in no
    # household; 9 is in h3, which has no tier, and has none of its own.
    assert plain(out.tier) == {1: "Silver", 2: "Silver", 3: "Gold", 5: "Bronze", 4: "Bronze",
                                  9: None}
    assert out.source.to_dict() == {1: "household", 2: "own", 3: "own", 5: "own",
                                    4: "household", 9: "own"}
    assert plain(out.household_id) == {1: "h1", 2: "h1", 3: "h2", 5: None, 4: "h2", 9: "h3"}
    back = hh.hand_back(own, htiers, ORDER, rule="household").to_pandas()
    # Members take the household's tier, lower or not; 9's household has none: own (none).
    assert plain(back.tier) == {1: "Silver", 2: "Silver", 3: "Bronze", 5: "Bronze",
                                    4: "Bronze", 9: None}


def test_tier_households_with_a_policy_and_a_strategy():
    hh = tk.Households(members())
    rolled = hh.rollup(balances(), {"balance": "sum"})
    policy = tk.TierPolicy([("Gold", "balance >= 100"), ("Silver", "balance >= 50")], default="Bronze")
    htiers = policy.assign(rolled)
    assert htiers.to_pandas().tier.astype(str).to_dict() == {"h1": "Gold", "h2": "Silver", "h3": "Bronze"}
    own = policy.assign(balances())
    out = hh.hand_back(own, htiers, policy).to_pandas()
    assert out.tier.to_dict()[3] == "Silver" and out.tier.to_dict()[1] == "Gold"
    # A strategy reads the roll-up as any keyed table (households without data unscored).
    abc = tk.ABC("balance").fit_apply(rolled).to_pandas()
    assert abc.abc_class.astype(str).to_dict()["h1"] == "A"


def test_bad_input_is_named():
    m = members()
    with pytest.raises(tk.SchemaError, match="'household'"):
        tk.Households(m, household="household")
    with pytest.raises(tk.InvalidInput, match="'customer_id' column has 1 null rows"):
        tk.Households(m.assign(customer_id=m.customer_id.astype("Int64").where(m.index != 0)))
    with pytest.raises(tk.InvalidInput, match="1 rows repeat"):
        tk.Households(pd.concat([m, m.iloc[:1]]))
    with pytest.raises(tk.InvalidInput, match="1 customers belong to more than one household"):
        tk.Households(m, several="error")
    with pytest.raises(tk.InvalidInput, match="weight column 'weight' has 1 rows"):
        tk.Households(m.assign(weight=[1.0, -1, 1, 1, 1, 1]), weight="weight")
    hh = tk.Households(m)
    with pytest.raises(tk.InvalidInput, match="how must be one of"):
        hh.rollup(balances(), {"balance": "mean"})
    with pytest.raises(tk.SchemaError, match="'cash'"):
        hh.rollup(balances(), {"cash": "sum"})
    own = pd.DataFrame({"customer_id": [1], "tier": ["Platinum"]})
    htiers = pd.DataFrame({"household_id": ["h1"], "tier": ["Gold"]})
    with pytest.raises(tk.InvalidInput, match=r"1 rows have a tier not in the order .* 'Platinum'"):
        hh.hand_back(own, htiers, ORDER)
    with pytest.raises(tk.InvalidInput, match="rule must be"):
        hh.hand_back(own, htiers, ORDER, rule="lower")


@st.composite
def families(draw):
    n_customers = draw(st.integers(1, 25))
    n_households = draw(st.integers(1, 8))
    rows = []
    for c in range(n_customers):
        hs = draw(st.lists(st.integers(0, n_households - 1), max_size=3, unique=True))
        for h in hs:
            rows.append((c, f"h{h}"))
    values = draw(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=n_customers,
                           max_size=n_customers))
    own = draw(st.lists(st.one_of(st.none(), st.sampled_from(ORDER)), min_size=n_customers,
                        max_size=n_customers))
    htier = draw(st.lists(st.one_of(st.none(), st.sampled_from(ORDER)), min_size=n_households,
                          max_size=n_households))
    return rows, values, own, htier


@settings(max_examples=40, deadline=None)
@given(families())
def test_higher_of_never_lowers_and_rollup_totals_are_kept(case):
    rows, values, own, htier = case
    if not rows:
        return
    m = pd.DataFrame(rows, columns=["customer_id", "household_id"])
    # Weights splitting each customer evenly over their households keep weighted totals.
    m["weight"] = 1.0 / m.groupby("customer_id").household_id.transform("size")
    hh = tk.Households(m, weight="weight")
    data = pd.DataFrame({"customer_id": range(len(values)),
                         "value": [np.nan if v is None else float(v) for v in values]})
    rolled = hh.rollup(data, {"value": "weighted"}).to_pandas()
    members_with_values = data[data.customer_id.isin(m.customer_id) & data.value.notna()]
    assert rolled.value.sum() == pytest.approx(members_with_values.value.sum(), rel=1e-12, abs=1e-6)
    summed = hh.rollup(data, {"value": "sum"}).to_pandas()
    expected = m.merge(data, on="customer_id").groupby("household_id").value.sum(min_count=1)
    assert plain(summed.value) == plain(expected.reindex(summed.index))
    own_t = pd.DataFrame({"customer_id": range(len(own)), "tier": own})
    h_t = pd.DataFrame({"household_id": [f"h{i}" for i in range(len(htier))], "tier": htier})
    out = hh.hand_back(own_t, h_t, ORDER, rule="higher").to_pandas()
    rank = {t: i for i, t in enumerate(ORDER)}
    got_all = plain(out.tier)
    for c, t in enumerate(own):
        got = got_all[c]
        if t is not None:
            assert got is not None and rank[got] <= rank[t]
        # The result is the best of own and every household's tier.
        cands = [t] + [htier[int(h[1:])] for h in m.household_id[m.customer_id == c]]
        cands = [x for x in cands if x is not None]
        assert got == (min(cands, key=rank.get) if cands else None)


def test_an_empty_membership_table_leaves_every_tier_as_it_is():
    empty = pd.DataFrame({"customer_id": pd.Series([], dtype="int64"),
                          "household_id": pd.Series([], dtype="object")})
    hh = tk.Households(empty)
    assert len(hh) == 0
    rolled = hh.rollup(balances(), {"balance": "sum"})
    assert len(rolled) == 0 and rolled.report["members_missing"] == 0
    own = pd.DataFrame({"customer_id": [1, 2], "tier": ["Gold", None]})
    out = hh.hand_back(own, pd.DataFrame({"household_id": pd.Series([], dtype="object"),
                                          "tier": pd.Series([], dtype="object")}), ORDER)
    assert plain(out.to_pandas().tier) == {1: "Gold", 2: None}
