"""Strategies fitted within groups (tk.Grouped): equal to fitting each group on its own,
fallbacks used and reported, persistence, policy files, bad input."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk
from conftest import shared_data


def small_table():
    # Branch X spends 1..4, branch Y 100..400: within the branch the two halves split the
    # same way; over everyone all of X is below all of Y.
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "recency": [10.0, 20, 30, 40, 10, 20, 30, 40, 5],
        "frequency": [1.0, 2, 3, 4, 1, 2, 3, 4, 9],
        "monetary": [1.0, 2, 3, 4, 100, 200, 300, 400, 50],
        "branch": ["X", "X", "X", "X", "Y", "Y", "Y", "Y", "Z"],
    })


def test_scores_within_each_group_and_overall_worked_by_hand():
    df = small_table()
    model = tk.Grouped(tk.RFM(2, segments=None), by="branch", min_size=2).fit(df)
    out = model.apply(df).to_pandas()
    # Within X and Y: the lower half scores 1, the upper half 2 (hand-worked).
    assert out.m_score.tolist()[:8] == [1, 1, 2, 2, 1, 1, 2, 2]
    # Overall over the 9 customers: the median monetary is 50 (customer 9), so X and
    # customer 9 score 1 and Y scores 2.
    assert out.overall_m_score.tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 1]
    # Z has one customer, below min_size: the overall model scores it, said in the row
    # and in the report.
    assert out.m_score.iloc[8] == out.overall_m_score.iloc[8] == 1
    assert out.group_model.astype(str).tolist() == ["group"] * 8 + ["small"]
    assert model.report["small"] == [{"group": "Z", "rows": 1}]
    groups = model.groups.to_pandas()
    assert groups.to_dict("list") == {"branch": ["X", "Y", "Z"], "customers": [4, 4, 1],
                                      "model": ["group", "group", "overall (small)"]}


def test_each_group_equals_its_own_fit_for_every_strategy():
    rng = np.random.default_rng(7)
    n = 600
    df = pd.DataFrame({
        "customer_id": np.arange(n),
        "recency": rng.integers(1, 400, n).astype(float),
        "frequency": rng.integers(1, 12, n).astype(float),
        "monetary": np.round(rng.lognormal(5, 1.2, n), 2),
        "spend_growth": rng.normal(0, 1, n),
        "tenure": rng.integers(1, 900, n).astype(float),
        "region": rng.choice(["north", "south", "east"], n),
        "channel": rng.choice([1, 2], n),
    })
    df["first_purchase"] = df.recency + df.tenure
    for strategy in (tk.RFM(4), tk.ABC("monetary"), tk.ValuePotential("monetary", "spend_growth")):
        grouped = tk.Grouped(strategy, by=["region", "channel"]).fit_apply(df).to_pandas()
        for _, part in df.groupby(["region", "channel"]):
            alone = strategy.fit_apply(part.drop(columns=["region"])).to_pandas()
            got = grouped.loc[alone.index, alone.columns]
            pd.testing.assert_frame_equal(got, alone, check_categorical=False)
        overall = strategy.fit_apply(df.drop(columns=["region"])).to_pandas()
        for c in overall.columns:
            assert (grouped[f"overall_{c}"].astype(object).fillna(-1)
                    == overall[c].astype(object).fillna(-1)).all()


def test_lifecycle_and_profile_with_groups_from_attributes():
    tx = pd.DataFrame({
        "customer_id": [1, 1, 2, 3, 3, 4, 5],
        "time": pd.to_datetime(["2024-01-05", "2024-05-01", "2024-06-20", "2023-01-01",
                                "2024-06-01", "2023-06-01", "2024-06-25"], utc=True),
        "amount": [10.0, 20, 30, 5, 5, 40, 7],
    })
    prof = tk.profile(tx, as_of="2024-07-01")
    attrs = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5], "branch": ["a", "a", "b", "b", "b"]})
    lc = tk.Lifecycle(new_days=30, dormant_days=90, churn_days=300)
    model = tk.Grouped(lc, by="branch").fit(prof, groups=attrs)
    out = model.apply(prof, groups=attrs).to_pandas()
    alone = lc.fit_apply(prof).to_pandas()
    assert out.lifecycle.astype(str).tolist() == alone.lifecycle.astype(str).tolist()


def test_unseen_groups_use_the_overall_model_or_fail():
    df = small_table()
    model = tk.Grouped(tk.RFM(2, segments=None), by="branch").fit(df[df.branch != "Z"])
    new = df.assign(branch=df.branch.replace({"Z": "W"}))
    out = model.apply(new).to_pandas()
    assert out.group_model.astype(str).iloc[8] == "unseen"
    assert out.m_score.iloc[8] == out.overall_m_score.iloc[8]
    strict = tk.Grouped(tk.RFM(2, segments=None), by="branch", unseen="error").fit(df[df.branch != "Z"])
    with pytest.raises(tk.InvalidInput, match=r"1 rows are in groups .* not fitted on \(first: 'W'\)"):
        strict.apply(new)


def test_small_groups_can_be_an_error():
    with pytest.raises(tk.InvalidInput, match=r"1 groups have fewer than min_size=2 rows: 'Z' \(1 rows\)"):
        tk.Grouped(tk.RFM(2), by="branch", min_size=2, small="error").fit(small_table())


def test_null_groups_fail_by_default_or_use_the_overall_model():
    df = small_table()
    df.loc[[0, 8], "branch"] = None
    with pytest.raises(tk.InvalidInput, match=r"group column 'branch' has 2 null rows \(of 9\)"):
        tk.Grouped(tk.RFM(2), by="branch").fit(df)
    model = tk.Grouped(tk.RFM(2, segments=None), by="branch", nulls="overall").fit(df)
    out = model.apply(df).to_pandas()
    assert out.group_model.astype(str).tolist()[0] == "null"
    assert model.report["null_rows"] == 2
    assert out.m_score.iloc[0] == out.overall_m_score.iloc[0]


def test_customers_missing_from_the_groups_table_count_as_null():
    df = small_table()
    attrs = df[["customer_id", "branch"]].iloc[:7]
    with pytest.raises(tk.InvalidInput, match="2 null rows"):
        tk.Grouped(tk.RFM(2), by="branch").fit(df.drop(columns="branch"), groups=attrs)


def test_bad_input_is_named():
    df = small_table()
    with pytest.raises(tk.SchemaError, match="'store'"):
        tk.Grouped(tk.RFM(2), by="store").fit(df)
    with pytest.raises(tk.SchemaError, match="pass groups="):
        prof = tk.profile(pd.DataFrame({"customer_id": [1], "time": pd.to_datetime(["2024-01-01"], utc=True),
                                        "amount": [1.0]}))
        tk.Grouped(tk.RFM(2), by="branch").fit(prof)
    with pytest.raises(tk.InvalidInput, match="min_size"):
        tk.Grouped(tk.RFM(2), by="branch", min_size=0)
    with pytest.raises(tk.InvalidInput, match="unseen must be one of"):
        tk.Grouped(tk.RFM(2), by="branch", unseen="drop")
    with pytest.raises(tk.InvalidInput, match="by must be"):
        tk.Grouped(tk.RFM(2), by=[])
    with pytest.raises(tk.SchemaError, match="group column 'monetary' is double"):
        tk.Grouped(tk.RFM(2), by="monetary").fit(df)
    attrs = pd.DataFrame({"customer_id": [1, 1], "branch": ["a", "b"]})
    with pytest.raises(tk.InvalidInput, match="repeats 1 rows"):
        tk.Grouped(tk.RFM(2), by="branch").fit(df.drop(columns="branch"), groups=attrs)
    model = tk.Grouped(tk.RFM(2), by="branch").fit(df)
    with pytest.raises(tk.SchemaError, match="'branch'"):
        model.apply(df.drop(columns="branch"))


def test_save_load_and_pickle(tmp_path):
    df = small_table()
    model = tk.Grouped(tk.ABC("monetary"), by="branch", min_size=2).fit(df)
    again = pickle.loads(pickle.dumps(model))
    assert again == model
    model.save(tmp_path / "g.tkm")
    loaded = tk.load(tmp_path / "g.tkm")
    assert isinstance(loaded, tk.GroupedModel) and loaded == model
    assert loaded.apply(df).to_arrow().equals(model.apply(df).to_arrow())
    assert loaded.report["small"] == model.report["small"]
    damaged = bytearray(model.to_bytes())
    damaged[-5] ^= 0xFF
    with pytest.raises(tk.FormatError):
        tk.GroupedModel.from_bytes(bytes(damaged))


def test_summary_per_group():
    df = small_table()
    model = tk.Grouped(tk.ABC("monetary"), by="branch").fit(df)
    s = model.summary(df).to_pandas()
    assert set(s.columns) == {"branch", "abc_class", "customers", "share"}
    assert s.groupby("branch").customers.sum().to_dict() == {"X": 4, "Y": 4, "Z": 1}
    assert s.groupby("branch").share.sum().round(12).eq(1).all()


def test_policy_file_by_branch_reads_within_group_and_overall_scores():
    tx = pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "time": pd.to_datetime(["2024-06-01"] * 8, utc=True),
        "amount": [1.0, 2, 3, 4, 100, 200, 300, 400],
    })
    attrs = pd.DataFrame({"customer_id": range(1, 9), "branch": list("XXXXYYYY")})
    job = tk.Tiering.from_dict({
        "tierkit": 1,
        "transactions": {"as_of": "2024-07-01"},
        "strategies": [{"abc": {"column": "monetary", "by": "branch", "min_size": 2}}],
        "tiers": [{"tier": "Top", "when": "abc_class = 'A' and overall_abc_class = 'A'"},
                  {"tier": "Branch top", "when": "abc_class = 'A'"}],
        "default": "Other",
    })
    res = job.run(tx, attributes=attrs)
    tiers = res.tiers.to_pandas().tier.astype(str)
    # Within each branch the largest spender is class A (it crosses 80%); overall only
    # customers 7 and 8 (700/1010 then 1100/1010 of the value... 8 first: 400/1010 < 80%,
    # 7: 700/1010 < 80%, 6 crosses: 900/1010) are A, so customer 4 is A only in branch X.
    overall = tk.ABC("monetary").fit_apply(res.profile).to_pandas().abc_class.astype(str)
    within = {4: "A", 8: "A"}
    assert tiers[4] == "Branch top" and tiers[8] == "Top"
    assert (overall[[6, 7, 8]] == "A").all() and overall[4] != "A"
    assert isinstance(res.models["abc"], tk.GroupedModel)
    assert within
    with pytest.raises(tk.InvalidInput, match="attributes"):
        job.run(tx)


def test_online_retail_by_country_equals_each_country_fitted_alone():
    data = shared_data("online-retail-uci") / "online_retail.csv.gz"
    raw = pd.read_csv(data, dtype={"CustomerID": "string", "InvoiceNo": "string"},
                      usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice",
                               "CustomerID", "Country"], parse_dates=["InvoiceDate"])
    raw = raw[raw.CustomerID.notna()].assign(amount=raw.Quantity * raw.UnitPrice)
    # A customer's country: the one most of their lines carry (ties: first by name). A few
    # customers bought from two countries.
    lines = raw.groupby(["CustomerID", "Country"]).size().reset_index(name="n")
    lines = lines.sort_values(["CustomerID", "n", "Country"], ascending=[True, False, True])
    country = lines.drop_duplicates("CustomerID")[["CustomerID", "Country"]]
    prof = tk.profile(raw, customer="CustomerID", time="InvoiceDate", amount="amount",
                      order="InvoiceNo", as_of="2011-12-10")
    min_size = 30
    model = tk.Grouped(tk.RFM(5), by="Country", min_size=min_size).fit(prof, groups=country)
    out = model.apply(prof, groups=country).to_pandas()
    sizes = country.Country.value_counts()
    small = sorted(sizes[sizes < min_size].index)
    assert sorted(s["group"] for s in model.report["small"]) == small and len(small) > 10
    overall = tk.RFM(5).fit_apply(prof).to_pandas()
    cols = ["r_score", "f_score", "m_score", "rfm_code", "segment"]
    cmap = country.set_index("CustomerID").Country
    for name, size in sizes.items():
        ids = cmap.index[cmap == name]
        got = out.loc[ids, cols].astype(str)
        if size < min_size:
            assert (out.loc[ids, "group_model"].astype(str) == "small").all()
            assert got.equals(overall.loc[ids, cols].astype(str))
            continue
        # Fitted alone: a profile of that country's customers' lines only.
        part = raw[raw.CustomerID.isin(ids)]
        alone = tk.RFM(5).fit_apply(tk.profile(part, customer="CustomerID", time="InvoiceDate",
                                               amount="amount", order="InvoiceNo",
                                               as_of="2011-12-10")).to_pandas()
        assert got.equals(alone.loc[ids, cols].astype(str)), name
    assert (out.group_model.astype(str) == "group").sum() == sizes[sizes >= min_size].sum()
    # Not trivially the overall scores: within a country many customers score otherwise.
    assert (out.m_score != out.overall_m_score).sum() > 100


def test_without_overall_columns_the_fallback_rows_are_still_scored():
    df = small_table()
    full = tk.Grouped(tk.RFM(2), by="branch", min_size=2).fit_apply(df).to_pandas()
    lean = tk.Grouped(tk.RFM(2), by="branch", min_size=2, overall=False).fit_apply(df).to_pandas()
    assert not [c for c in lean.columns if c.startswith("overall_")]
    own = [c for c in full.columns if not c.startswith("overall_")]
    pd.testing.assert_frame_equal(lean[own], full[own])
    # Every group large enough: no row falls back.
    none_small = tk.Grouped(tk.ABC("monetary"), by="branch", overall=False).fit_apply(df).to_pandas()
    assert none_small.group_model.astype(str).eq("group").all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 5))
def test_row_order_and_min_size_never_change_a_group_s_own_scores(seed, n_groups, min_size):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    df = pd.DataFrame({"customer_id": rng.permutation(10 * n)[:n],
                       "recency": rng.integers(1, 50, n).astype(float),
                       "frequency": rng.integers(1, 6, n).astype(float),
                       "monetary": rng.integers(1, 500, n).astype(float),
                       "branch": rng.integers(0, n_groups, n)})
    g = tk.Grouped(tk.RFM(3, segments=None), by="branch", min_size=min_size)
    a = g.fit_apply(df).to_pandas().sort_index()
    b = g.fit_apply(df.sample(frac=1, random_state=seed % 1000)).to_pandas().sort_index()
    pd.testing.assert_frame_equal(a, b, check_categorical=False)
    sizes = df.branch.value_counts()
    own = df.branch.map(sizes).ge(min_size).to_numpy()
    assert (a.loc[df.customer_id[own], "group_model"].astype(str) == "group").all()
    assert (a.loc[df.customer_id[~own], "group_model"].astype(str) == "small").all()
    for _, part in df.groupby("branch"):
        if len(part) >= min_size:
            alone = tk.RFM(3, segments=None).fit_apply(part.drop(columns="branch")).to_pandas()
            assert (a.loc[alone.index, "m_score"] == alone.m_score).all()


def test_a_saved_grouped_model_applies_as_frozen_in_a_later_run(tmp_path):
    tx = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6],
                       "time": pd.to_datetime(["2024-06-01"] * 6, utc=True),
                       "amount": [1.0, 2, 3, 100, 200, 300]})
    attrs = pd.DataFrame({"customer_id": range(1, 7), "branch": list("XXXYYY")})
    job = tk.Tiering.from_dict({
        "tierkit": 1, "transactions": {"as_of": "2024-07-01"},
        "strategies": [{"rfm": {"bins": 2, "segments": None, "by": "branch"}}],
        "tiers": [{"tier": "Top", "when": "m_score = 2"}], "default": "Other"})
    first = job.run(tx, attributes=attrs)
    first.save_models(tmp_path)
    frozen = tk.load(tmp_path / "rfm.tkm")
    assert isinstance(frozen, tk.GroupedModel)
    # New spend: frozen cut points score it, group by group; a new branch falls back.
    tx2 = tx.assign(amount=[500.0, 2, 3, 100, 200, 300])
    attrs2 = attrs.assign(branch=list("XXXYYW"))
    second = job.run(tx2, attributes=attrs2, models={"rfm": frozen})
    scores = second.scores[0].to_pandas()
    assert scores.m_score[1] == 2 and scores.group_model.astype(str)[6] == "unseen"
    assert second.models["rfm"] is frozen


def test_one_cpp_call_fits_and_applies_every_group_as_the_per_group_loop_would(monkeypatch):
    # RFM and ABC groups are fitted and applied by one C++ call each (tierkit::fit_by_group,
    # tierkit::apply_by_row); the per-group Python loop, forced here, must give the same
    # tables, including small, unseen and null rows and the overall_ columns.
    from tierkit import _core, groups
    rng = np.random.default_rng(3)
    n = 900
    df = pd.DataFrame({
        "customer_id": np.arange(n),
        "recency": rng.integers(1, 400, n).astype(float),
        "frequency": rng.integers(1, 12, n).astype(float),
        "monetary": np.round(rng.lognormal(5, 1.2, n), 2),
        "branch": pd.array(rng.choice(["a", "b", "c", "d", None], n, p=[.4, .3, .2, .05, .05]),
                           dtype="string"),
    })
    later = df.assign(branch=df.branch.replace({"c": "new"}))
    calls = {"fit": 0, "apply": 0}
    fit0, apply0 = _core.fit_by_group, _core.apply_by_row

    def counting_fit(*a, **k):
        calls["fit"] += 1
        return fit0(*a, **k)

    def counting_apply(*a, **k):
        calls["apply"] += 1
        return apply0(*a, **k)

    for strategy in (tk.RFM(4), tk.ABC()):
        for overall in (True, False):
            g = tk.Grouped(strategy, by="branch", min_size=60, nulls="overall", overall=overall)
            monkeypatch.setattr(_core, "fit_by_group", counting_fit)
            monkeypatch.setattr(_core, "apply_by_row", counting_apply)
            calls.update(fit=0, apply=0)
            model = g.fit(df)
            fast = [model.apply(d).to_arrow() for d in (df, later)]
            assert calls == {"fit": 1, "apply": 2}
            monkeypatch.setattr(groups, "_core_strategy", lambda s: None)
            monkeypatch.setattr(groups, "_fast_models", lambda: ())
            slow_model = g.fit(df)
            slow = [slow_model.apply(d).to_arrow() for d in (df, later)]
            monkeypatch.undo()
            assert model == slow_model
            for a, b in zip(fast, slow):
                assert a.schema == b.schema and a.equals(b)
            reasons = set(fast[1].column("group_model").to_pylist())
            assert reasons == {"group", "small", "unseen", "null"}


def test_fit_apply_in_one_cpp_call_equals_fit_then_apply_and_the_per_group_loop(monkeypatch):
    # fit_apply fits and applies RFM and ABC groups in one C++ call
    # (tierkit::fit_apply_by_group, one ordering of the rows for both); its table must equal
    # fit then apply and the per-group Python loop's, small and null rows and the overall_
    # columns included.
    from tierkit import _core, groups
    rng = np.random.default_rng(11)
    n = 900
    df = pd.DataFrame({
        "customer_id": np.arange(n),
        "recency": rng.integers(1, 400, n).astype(float),
        "frequency": rng.integers(1, 12, n).astype(float),
        "monetary": np.round(rng.lognormal(5, 1.2, n), 2),
        "branch": pd.array(rng.choice(["a", "b", "c", "d", None], n, p=[.4, .3, .2, .05, .05]),
                           dtype="string"),
    })
    fused0 = _core.fit_apply_by_group
    calls = []

    def counting(*a, **k):
        calls.append(k.get("fallback_all"))
        return fused0(*a, **k)

    for strategy in (tk.RFM(4), tk.ABC()):
        for overall in (True, False):
            g = tk.Grouped(strategy, by="branch", min_size=60, nulls="overall", overall=overall)
            monkeypatch.setattr(_core, "fit_apply_by_group", counting)
            calls.clear()
            fused = g.fit_apply(df).to_arrow()
            assert calls == [overall]  # the overall model's scores of every row asked once
            separate = g.fit(df).apply(df).to_arrow()
            monkeypatch.setattr(groups, "_core_strategy", lambda s: None)
            monkeypatch.setattr(groups, "_fast_models", lambda: ())
            slow = g.fit_apply(df).to_arrow()
            monkeypatch.undo()
            for other in (separate, slow):
                assert fused.schema == other.schema and fused.equals(other)
            assert set(fused.column("group_model").to_pylist()) == {"group", "small", "null"}


def test_every_core_strategy_runs_in_one_cpp_call_as_the_per_group_loop_would(monkeypatch):
    # Lifecycle, value x potential, asset bands and k-means groups are fitted (and applied)
    # by one C++ call too; the per-group Python loop, forced here, must give equal models
    # and tables (small and null groups included).
    import pyarrow as pa
    from tierkit import _core, groups
    p = tk.profile(tk.demo.transactions(600, 9000, seed=5))
    keys = p.to_arrow().column(0).to_numpy()
    branch = np.array(["a", "b", "c"], dtype=object)[keys % 3]
    branch[:5] = "tiny"
    branch[5:9] = None
    attrs = pa.table({"customer_id": keys, "branch": pa.array(branch, pa.string())})
    strategies = [tk.Lifecycle(), tk.ValuePotential("monetary", "spend_growth"),
                  tk.AssetBands([{"label": "Gold", "lower": 2000}, {"label": "Silver", "lower": 500}],
                                balance="monetary"),
                  tk.KMeans(k=3, restarts=2, silhouette_sample=0)]
    names = ("fit_apply_by_group", "fit_by_group", "apply_by_row")
    originals = {name: getattr(_core, name) for name in names}
    calls = dict.fromkeys(names, 0)
    for strategy in strategies:
        calls.update(dict.fromkeys(names, 0))

        def counted(name):
            def call(*a, **k):
                calls[name] += 1
                return originals[name](*a, **k)
            return call

        g = tk.Grouped(strategy, by="branch", min_size=20, nulls="overall")
        for name in names:
            monkeypatch.setattr(_core, name, counted(name))
        fused = g.fit_apply(p, groups=attrs).to_arrow()
        model = g.fit(p, groups=attrs)
        applied = model.apply(p, groups=attrs).to_arrow()
        assert calls == {"fit_apply_by_group": 1, "fit_by_group": 1, "apply_by_row": 1}, strategy
        monkeypatch.setattr(groups, "_core_strategy", lambda s: None)
        monkeypatch.setattr(groups, "_fast_models", lambda: ())
        slow_model = g.fit(p, groups=attrs)
        slow = slow_model.apply(p, groups=attrs).to_arrow()
        monkeypatch.undo()
        assert model == slow_model, strategy
        for table in (fused, applied):
            assert table.schema == slow.schema and table.equals(slow), strategy
        assert set(slow.column("group_model").to_pylist()) == {"group", "small", "null"}


def test_the_core_calls_name_bad_input():
    from tierkit import _core
    table = _core.MetricTable()
    table.add("monetary", np.array([1.0, 2.0, 3.0]))
    model = tk.ABC().fit(pd.DataFrame({"customer_id": [1, 2, 3], "monetary": [1.0, 2, 3]}))
    with pytest.raises(tk.InvalidInput, match="is not a core model"):
        _core.apply_by_row(table, [object()], np.array([0, 0, 0]), None)
    with pytest.raises(tk.InvalidInput, match="model_of is -1 on 1 row but no fallback model"):
        _core.apply_by_row(table, [model._core], np.array([0, -1, 0]), None)
    with pytest.raises(tk.InvalidInput, match="model_of has 2 rows, the metric table 3"):
        _core.apply_by_row(table, [model._core], np.array([0, 0]), None)
    with pytest.raises(tk.InvalidInput, match="is not a core strategy"):
        _core.fit_by_group(object(), table, np.array([0, 0, 0]), 1, 1)
    with pytest.raises(tk.InvalidInput, match=r"1 row outside \[-1, 1\)"):
        _core.fit_by_group(tk.ABC()._strategy, table, np.array([0, 1, 0]), 1, 1)
