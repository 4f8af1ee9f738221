"""Tier policies against a pandas reference (boolean masks applied in order), checks on
crafted policies, explanations, inputs joined on the key, errors and persistence."""
from __future__ import annotations

import pickle
import threading

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import tierkit as tk
from tierkit import _core

RULES = [
    ("Diamond", "monetary >= 100000 and frequency >= 12", {"owner": "private banker", "sla": "1h"}),
    ("Gold", "segment in ('Champions', 'Loyal Customers') "
             "or (monetary between 50000 and 99999.5 and not (region = 'north'))", {"owner": "RM"}),
    ("Silver", "recency <= 180 and age is not null"),
    ("Silver", "monetary / frequency > 5000"),
    ("Watch", "age is null or age < 25"),
    ("Copper", "-recency + 2 * frequency % 7 >= -300 and joined >= date '2020-01-01'"),
]


def customers(n: int = 20_000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    monetary = rng.lognormal(10, 1.3, n).round(2)
    monetary[rng.random(n) < 0.05] = np.nan
    frequency = rng.integers(0, 30, n).astype(float)
    age = rng.integers(18, 90, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan
    segments = np.array(["Champions", "Loyal Customers", "At Risk", "Lost", None], dtype=object)
    regions = np.array(["north", "south", "east", None], dtype=object)
    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1) * 3,
        "monetary": monetary,
        "frequency": frequency,
        "recency": rng.integers(0, 1000, n),
        "age": age,
        "segment": segments[rng.integers(0, 5, n)],
        "region": regions[rng.integers(0, 4, n)],
        "joined": pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D"),
    })


def reference(df: pd.DataFrame) -> pd.DataFrame:
    """RULES written by hand as masks that are True where the SQL condition is TRUE (a null
    comparison is not), then applied in order: the first True names the tier."""
    m, f, r, age = df.monetary, df.frequency, df.recency, df.age
    with np.errstate(divide="ignore", invalid="ignore"):
        per_visit = (m / f).where(f != 0)  # division by zero is null
    masks = [
        (m >= 100000) & (f >= 12),
        df.segment.isin(["Champions", "Loyal Customers"])
        | (m.between(50000, 99999.5) & df.region.notna() & (df.region != "north")),
        (r <= 180) & age.notna(),
        per_visit > 5000,
        age.isna() | (age < 25),
        ((-r + (2 * f) % 7) >= -300) & (df.joined >= pd.Timestamp("2020-01-01")),
    ]
    tiers = [t for t, *_ in RULES]
    rule = np.select(masks, np.arange(len(masks)), default=len(masks))
    return pd.DataFrame({"tier": np.array(tiers + ["Bronze"], dtype=object)[rule],
                         "rule": np.array([f"rule {i + 1}" for i in range(len(masks))]
                                          + ["default"], dtype=object)[rule]},
                        index=df.customer_id)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return customers()


@pytest.fixture(scope="module")
def policy() -> tk.TierPolicy:
    return tk.TierPolicy(RULES, default="Bronze", default_attributes={"owner": "call centre"})


def test_assign_agrees_with_masks_in_order(data, policy):
    got = policy.assign(data).to_pandas()
    want = reference(data)
    assert got.index.tolist() == want.index.tolist()
    assert got.tier.tolist() == want.tier.tolist()
    assert got.rule.tolist() == want.rule.tolist()
    # Every tier and rule occurs, so the comparison covers each branch.
    assert set(want.rule) == {f"rule {i + 1}" for i in range(len(RULES))} | {"default"}
    # Attributes follow the rule; the default has its own.
    owner = got.owner.astype(object)
    assert (owner[got.rule == "rule 1"] == "private banker").all()
    assert (owner[got.rule == "default"] == "call centre").all()
    assert owner[got.rule == "rule 3"].isna().all()
    assert got.sla[got.rule == "rule 1"].eq("1h").all() and got.sla[got.rule != "rule 1"].isna().all()
    # The columns the rules read come back unchanged.
    np.testing.assert_array_equal(got.monetary.to_numpy(), data.monetary.to_numpy())


@pytest.mark.parametrize("threads", [1, 2])
def test_same_tiers_on_polars_arrow_and_any_thread_count(data, policy, threads):
    want = policy.assign(data).to_arrow().column("tier")
    assert policy.assign(pl.from_pandas(data), threads=threads).to_arrow().column("tier").equals(want)
    assert policy.assign(pa.Table.from_pandas(data), threads=threads).to_arrow().column("tier").equals(want)
    assert policy.assign(data.set_index("customer_id")).to_arrow().column("tier").equals(want)


def test_inputs_join_on_the_key_and_missing_customers_are_null_and_reported(data, policy):
    scores = data[["customer_id", "monetary", "frequency", "recency", "segment", "joined"]]
    attrs = data[["customer_id", "age", "region"]].iloc[::-1]        # other order
    attrs = attrs[attrs.customer_id % 2 == 0]                          # half the customers
    attrs = pd.concat([attrs, pd.DataFrame({"customer_id": [-1], "age": [30.0], "region": ["x"]})])
    got = policy.assign(scores, attrs).to_pandas()
    expect = data.set_index("customer_id")
    expect.loc[expect.index % 2 != 0, ["age", "region"]] = np.nan, None
    want = reference(expect.reset_index())
    assert (got.tier.astype(object) == want.tier).all()
    a = policy.assign(scores, tk.CustomerAttributes(attrs, columns=["age", "region"]))
    assert (a.to_pandas().tier.astype(object) == want.tier).all()
    missing = int((data.customer_id % 2 != 0).sum())
    assert a.coverage == {"input 2": {"customers_missing": missing, "extra_keys_ignored": 1}}
    with pytest.raises(tk.SchemaError, match="column 'region' is in inputs 1 and 2"):
        policy.assign(data, attrs)
    with pytest.raises(tk.InvalidInput, match=r"of input 2 repeats 1 keys \(1 extra rows"):
        policy.assign(scores, pd.concat([attrs, attrs.iloc[:1]]))


def test_a_key_repeated_in_the_first_input_is_refused_with_the_count(data, policy):
    # Each row of the first input would get its own tier: one customer, two tiers.
    repeated = pd.concat([data, data.iloc[:3], data.iloc[:1]])
    # The first repeat by its rows, never the key (messages may go where ids must not).
    message = (r"the key column 'customer_id' of input 1 repeats 3 keys \(4 extra rows; the "
               rf"first at row {len(data) + 1}, repeating row 1\); one row per customer is needed")
    with pytest.raises(tk.InvalidInput, match=message):
        policy.assign(repeated)
    with pytest.raises(tk.InvalidInput, match=message):
        policy.check(repeated)
    with pytest.raises(tk.InvalidInput, match=message):
        policy.assign(pl.from_pandas(repeated), data[["customer_id", "age"]].iloc[:10])
    nulls = pa.table({"customer_id": pa.array([1, None], pa.int64()), "monetary": [1.0, 2.0]})
    with pytest.raises(tk.InvalidInput, match="of input 1 has 1 null rows"):
        tk.TierPolicy([("A", "monetary > 1")]).assign(nulls)


def test_a_rule_attribute_named_like_a_column_it_would_replace_is_refused(data):
    # The assignment holds the attributes beside the columns the rules read: an attribute
    # "monetary" would have replaced the monetary column the first rule read.
    with pytest.raises(tk.InvalidInput, match=r"the attribute 'monetary' of rule 2 \('Gold'\) "
                                              r"has the name of the column 'monetary' that rule 1 reads"):
        tk.TierPolicy([("Diamond", "monetary > 5000"), ("Gold", "recency < 30", {"monetary": "high"})])
    with pytest.raises(tk.InvalidInput, match="the attribute 'recency' of the default"):
        tk.TierPolicy([("Gold", "recency < 30")], default_attributes={"recency": "any"})
    p = tk.TierPolicy([("Gold", "recency < 30", {"owner": "RM"})])
    with pytest.raises(tk.SchemaError, match="the attribute 'owner' of rule 1 \\('Gold'\\) has the "
                                             "name of the column 'owner' that keep= carries"):
        p.assign(data.assign(owner="x"), keep=["owner"])
    with pytest.raises(tk.PolicyError, match="the attribute 'owner' of rule 1"):
        tk.Tiering.from_dict({"tiers": [{"tier": "Gold", "when": "recency < 30", "owner": "RM"}],
                              "keep": ["owner"]})


def test_rules_read_profiles_and_strategy_scores():
    tx = tk.demo.transactions()
    prof = tk.profile(tx, customer="customer_id", time="time", amount="amount")
    scores = tk.score(prof, tk.RFM(), tk.ABC(), tk.Lifecycle())
    pol = tk.TierPolicy([
        ("Key", "abc_class = 'A' and segment in ('Champions', 'Loyal Customers')"),
        ("Win back", "lifecycle in ('dormant', 'churned') and monetary >= 500"),
        ("Grow", "r_score >= 4"),
    ], default="Base")
    got = pol.assign(prof, scores, keep="monetary").to_pandas()
    df = prof.to_pandas().join(scores.to_pandas())
    masks = [(df.abc_class == "A") & df.segment.isin(["Champions", "Loyal Customers"]),
             df.lifecycle.isin(["dormant", "churned"]) & (df.monetary >= 500),
             df.r_score >= 4]
    want = np.select(masks, ["Key", "Win back", "Grow"], default="Base")
    assert (got.tier.astype(object).to_numpy() == want).all()
    s = pol.assign(prof, scores, keep="monetary").summary().to_pandas()
    assert s.index.tolist() == ["Key", "Win back", "Grow", "Base"]
    assert s.customers.tolist() == [int((want == t).sum()) for t in s.index]
    assert s.monetary.sum() == pytest.approx(df.monetary.sum())
    assert s.monetary_share.sum() == pytest.approx(1.0)
    assert s.rules.tolist() == ["rule 1", "rule 2", "rule 3", "default"]


def test_summary_lists_every_tier_and_the_rules_that_named_it(data, policy):
    a = policy.assign(data, keep=["monetary"])
    s = a.summary().to_pandas()
    want = reference(data)
    assert s.index.tolist() == ["Diamond", "Gold", "Silver", "Watch", "Copper", "Bronze"]
    assert s.customers.tolist() == [int((want.tier == t).sum()) for t in s.index]
    assert s.loc["Silver", "rules"] == "rule 3, rule 4"
    assert s.monetary.sum() == pytest.approx(data.monetary.sum())
    assert "Diamond" in repr(a) and "<table>" in a._repr_html_()
    assert "<table>" in policy._repr_html_()


def test_check_counts_matches_and_finds_dead_rules(data, policy):
    c = policy.check(data)
    want = reference(data)
    assert c.matched == [int((want.rule == f"rule {i + 1}").sum()) for i in range(len(RULES))]
    assert c.defaulted == int((want.rule == "default").sum())
    assert policy.assign(data).defaulted.to_pylist() == want.index[want.rule == "default"].tolist()
    held = (data.monetary / data.frequency.replace(0, np.nan) > 5000).sum()
    assert c.would_match[3] == held
    assert c.ok


def test_static_checks_on_crafted_policies():
    p = tk.TierPolicy([
        ("A", "x >= 10"),
        ("B", "x >= 20 and y = 'a'"),            # covered by A
        ("C", "x > 5 and x < 3"),                # contradictory
        ("D", "y in ('a', 'b')"),
        ("E", "y = 'b' and x between 0 and 9"),  # covered by D
        ("F", "x >= 5"),                         # not covered: 5..10 remain
        ("G", "x < 0 or y = 'c'"),               # not a conjunction: no claim
    ], default="Z")
    c = p.check()
    assert c.contradictory == ["rule 3 (C)"]
    assert c.covered == [("rule 2 (B)", "rule 1 (A)"), ("rule 5 (E)", "rule 4 (D)")]
    assert not c.ok and c.matched == [] and c.defaulted is None
    text = str(c)
    assert "rule 3 (C) can never match" in text and "rule 1 (A) takes every customer" in text
    on_data = p.check({"customer_id": [1, 2, 3], "x": [12.0, 7.0, -1.0], "y": ["b", "q", "c"]})
    assert on_data.matched == [1, 0, 0, 0, 0, 1, 1]
    assert on_data.unmatched == ["rule 2 (B)", "rule 3 (C)", "rule 4 (D)", "rule 5 (E)"]
    assert on_data.to_arrow().column("problem").to_pylist() == [
        None, "covered by rule 1 (A)", "contradictory", "shadowed on this data",
        "covered by rule 4 (D)", None, None]
    assert on_data.shadowed == ["rule 4 (D)"]  # 'b' held for customer 1, whom rule 1 took
    assert "rule 4 (D) is shadowed on this data" in str(on_data)


def test_explain_shows_the_rules_tried_and_the_values(data, policy):
    want = reference(data)
    known = (data.segment.notna() & data.region.notna()).to_numpy()  # so no part is null
    cust = int(want.index[(want.rule == "rule 4").to_numpy() & known][0])
    x = policy.explain(cust, data)
    assert x.tier == "Silver" and x.matched_rule == 4
    assert [t["rule"] for t in x.tried] == ["rule 1 (Diamond)", "rule 2 (Gold)", "rule 3 (Silver)",
                                            "rule 4 (Silver)"]
    assert [t["result"] for t in x.tried] == ["false", "false", "false", "true"]
    row = data.set_index("customer_id").loc[cust]
    assert float(x.values["frequency"]) == row.frequency
    assert x.tried[0]["parts"][0]["condition"] == "monetary >= 100000"
    assert "tier 'Silver' by rule 4" in str(x)
    default = int(want.index[want.rule == "default"][0])
    assert policy.explain(default, data).matched_rule is None
    # Unknown values make a rule null, which does not match, and the explanation says so.
    unknown = int(want.index[data.segment.isna().to_numpy() & (want.rule != "rule 1").to_numpy()][0])
    gold = policy.explain(unknown, data).tried[1]
    assert gold["parts"][0]["result"] in ("null", "false") and gold["result"] in ("null", "false")
    with pytest.raises(tk.InvalidInput, match="no customer -5"):
        policy.explain(-5, data)


@pytest.mark.parametrize("condition, message", [
    ("monetary >= ", "expected a value, found end of text at position 13\n  monetary >= \n              ^"),
    ("segment in ('a', 'b'", "expected ',' or ')' in the list"),
    ("x between 1", "expected 'and' in 'between ... and ...'"),
    ("a = 'open", "unterminated text literal at position 5"),
    ("x = 1 )", "unexpected ')' at position 7"),
    ("x > 1e400", "the number 1e400 is too large (the largest is about 1.8e308) at position 5\n"
                  "  x > 1e400\n      ^"),
    ("x in (1, -" + "9" * 400 + ")", "the number 99999999999999999999... (400 characters) is too large"),
])
def test_parse_errors_show_a_caret(condition, message):
    with pytest.raises(tk.InvalidInput) as e:
        tk.TierPolicy([("A", "x > 1"), ("Bad", condition)])
    assert "rule 2 ('Bad')" in str(e.value) and message in str(e.value)


def nested_lists(wraps: int) -> str:
    """A list test whose operand is a list test in parentheses lengthened again, `wraps`
    times: each `in` adds a level to the tree (99 wraps: about 20,000 levels in 40 KB)."""
    e = "x" + "+1" * 198 + " in (1)"
    for _ in range(wraps):
        e = "(" + e + ")" + "+1" * 198 + " in (1)"
    return e


def test_nesting_beyond_the_bound_is_refused_by_every_entry_point(tmp_path):
    deep = nested_lists(99)
    assert len(deep) > 40_000
    message = r"rule 1 \('A'\): the expression nests deeper than 200 levels"
    with pytest.raises(tk.InvalidInput, match=message):
        tk.TierPolicy([("A", deep)], default="B")
    with pytest.raises(tk.InvalidInput, match="nests deeper than 200 levels"):
        tk._core.Expression.parse(deep)
    with pytest.raises(tk.InvalidInput, match="derived column 'd': the expression nests deeper"):
        tk.tiering.derive_columns(pa.table({"x": [1.0, 2.0]}), {"d": deep})
    (tmp_path / "deep.json").write_text(
        '{"tiers": [{"tier": "A", "when": "%s"}], "default": "B"}' % deep)
    with pytest.raises(tk.PolicyError, match="nests deeper than 200 levels"):
        tk.Tiering.from_file(tmp_path / "deep.json")


def test_a_rule_at_the_nesting_bound_assigns_checks_and_explains():
    at_bound = "x" + " + 1" * 198 + " in (199, 201)"        # 200 levels
    nots = "not " * 198 + "(x > 1)"                           # 200 levels
    policy = tk.TierPolicy([("A", at_bound), ("C", nots)], default="B")
    data = {"customer_id": [1, 2, 3], "x": [1.0, 3.0, 5.0]}
    assert policy.assign(data).to_pandas().tier.tolist() == ["A", "A", "C"]
    assert policy.check(data).to_arrow().num_rows == 2
    assert policy.explain(3, data).tier == "C"
    assert policy.columns == ["x"]
    with pytest.raises(tk.InvalidInput, match="nests deeper than 200 levels"):
        tk.TierPolicy([("A", "(" + at_bound + ") + 1 > 0")])


def test_unknown_columns_and_type_mismatches(data, policy):
    with pytest.raises(tk.SchemaError, match=r"column 'monetray' no input has \(did you mean 'monetary'\?\)"):
        tk.TierPolicy([("A", "monetray > 5")]).assign(data)
    with pytest.raises(tk.SchemaError, match="cannot compare text column 'segment' with number 5"):
        tk.TierPolicy([("A", "segment > 5")]).assign(data)
    with pytest.raises(tk.SchemaError, match="'\\+' needs numbers, but text column 'region' is text"):
        tk.TierPolicy([("A", "region + 1 > 2")]).assign(data)
    with pytest.raises(tk.InvalidInput, match="rule 1 must be"):
        tk.TierPolicy(["just text"])
    with pytest.raises(tk.InvalidInput, match="null rows"):
        policy.assign({"customer_id": [1, None], **{c: [1, 2] for c in ["monetary", "frequency"]}})


def test_policies_from_dicts_save_load_and_pickle(tmp_path, data, policy):
    d = {"tiers": [{"tier": t, "when": c, **(a[0] if a else {})} for t, c, *a in RULES],
         "default": "Bronze", "default_attributes": {"owner": "call centre"}}
    from_dict = tk.TierPolicy.from_dict(d)
    assert from_dict == policy
    assert pickle.loads(pickle.dumps(policy)) == policy
    policy.save(tmp_path / "policy.tkm")
    loaded = tk.load(tmp_path / "policy.tkm")
    assert loaded == policy and loaded.columns == policy.columns
    assert loaded.assign(data).to_arrow().equals(policy.assign(data).to_arrow())
    assert tk.TierPolicy([("A", "1 = 1")]).assign(data).to_pandas().tier.eq("A").all()
    assert tk.TierPolicy([], default="Only").assign(data).to_pandas().rule.eq("default").all()


def test_chunked_inputs_with_different_dictionaries():
    a = pa.table({"customer_id": [1, 2], "seg": pa.array(["x", "y"]).dictionary_encode()})
    b = pa.table({"customer_id": [3, 4], "seg": pa.array(["y", "z"]).dictionary_encode()})
    t = pa.concat_tables([a, b])
    got = tk.TierPolicy([("Y", "seg = 'y'"), ("Z", "seg in ('z')")], default="X").assign(t)
    assert got.to_pandas().tier.tolist() == ["X", "Y", "Y", "Z"]


@pytest.mark.parametrize("min_piece_rows", [1, 1_000_000])  # borrowed chunk by chunk / combined
def test_chunked_columns_are_read_chunk_by_chunk_with_the_same_tiers(data, policy, min_piece_rows, monkeypatch):
    """Chunks of different sizes in each column (strings, numbers, dates, with nulls and
    a slice's offset) are borrowed as they are, or combined when they are short; the tiers
    equal those of one chunk."""
    monkeypatch.setattr(tk.policy, "MIN_PIECE_ROWS", min_piece_rows)
    whole = pa.Table.from_pandas(data, preserve_index=False)
    want = policy.assign(whole).to_arrow().column("tier")
    cols = {}
    for i, name in enumerate(whole.column_names):
        col = whole.column(name).combine_chunks()
        cuts = sorted({0, 1 + 7 * i, 97, 4_200 + i, 4_500, len(col)})
        cols[name] = pa.chunked_array([col.slice(a, b - a) for a, b in zip(cuts, cuts[1:])])
    chunked = pa.table(cols)
    assert all(chunked.column(c).num_chunks > 1 for c in chunked.column_names)
    for threads in (1, 2):
        got = policy.assign(chunked, threads=threads).to_arrow().column("tier")
        assert got.equals(want)


def test_recode_maps_rule_indices_to_label_codes_and_refuses_codes_outside_the_table():
    from tierkit import _core
    idx = np.array([0, 2, 1, 2, 0], dtype=np.int32)
    got = _core.recode(idx, [5, -1, 7])
    assert got.dtype == np.int8 and got.tolist() == [5, 7, -1, 7, 5]
    wide = _core.recode(idx, [0, 1, 300])
    assert wide.dtype == np.int32 and wide.tolist() == [0, 300, 1, 300, 0]
    with pytest.raises(tk.InvalidInput, match="2 codes are outside the table of 2"):
        _core.recode(np.array([0, 2, -1], dtype=np.int32), [1, 2])


@pytest.mark.parametrize("text_type", [pa.large_string(), pa.string_view()])
def test_large_and_view_strings_tier_as_strings(data, policy, text_type):
    whole = pa.Table.from_pandas(data, preserve_index=False)
    want = policy.assign(whole).to_arrow().column("tier")
    cast = whole.cast(pa.schema([pa.field(f.name, text_type if pa.types.is_string(f.type) else f.type)
                                 for f in whole.schema]))
    assert policy.assign(cast).to_arrow().column("tier").equals(want)


def test_many_rules_with_missing_attributes_label_every_customer():
    """130 rules (codes beyond int8) whose attribute is missing on odd rules (nulls)."""
    rules = [(f"T{i}", f"x = {i}", {"owner": f"o{i // 2}"} if i % 2 == 0 else {}) for i in range(130)]
    x = np.arange(300) % 131  # 130: no rule, the default
    got = tk.TierPolicy(rules, default="D").assign(pd.DataFrame({"customer_id": np.arange(300), "x": x}))
    t = got.to_arrow()
    assert t.column("tier").to_pylist() == [f"T{v}" if v < 130 else "D" for v in x]
    assert t.column("owner").to_pylist() == [f"o{v // 2}" if v < 130 and v % 2 == 0 else None for v in x]


def changes_refused_while_read(read, change) -> list[str]:
    """Runs read() on another thread, 5 times, while this thread calls change() over and
    over; the messages of the changes refused (InvalidInput). A change that is not refused
    raises SchemaError (a name the table has), so none alters the table."""
    done = threading.Event()
    results = []

    def reader():
        try:
            for _ in range(5):
                results.append(read())
        finally:
            done.set()

    refused = []
    thread = threading.Thread(target=reader)
    thread.start()
    while not done.is_set():
        try:
            change()
        except tk.InvalidInput as e:
            refused.append(str(e))
        except tk.SchemaError:
            pass
    thread.join()
    assert len(results) == 5
    return refused


def test_a_rule_table_read_on_another_thread_refuses_changes():
    n = 300_000
    x = np.arange(n, dtype=float)
    table = _core.RuleTable()
    table.add_numbers("x", x)
    condition = " or ".join(f"x % {k} = {k - 1}" for k in range(2, 60))
    expr = _core.Expression.parse(condition)
    expected = np.zeros(n, dtype=bool)
    for k in range(2, 60):
        expected |= x % k == k - 1
    policy = _core.TierPolicy([_core.TierRule("A", condition, {})], "B", {})
    for read in (lambda: expr.evaluate(table, 1), lambda: policy.assign(table, 1)):
        refused = changes_refused_while_read(read, lambda: table.add_numbers("x", np.zeros(1)))
        assert refused, "no change was tried while the table was read"
        assert all("tierkit.RuleTable.add_numbers: the table is being read by 1 call on another thread"
                   in m for m in refused)
        assert table.names == ["x"]
        assert (expr.evaluate(table, 1) == 1).tolist() == expected.tolist()
    table.add_numbers("y", x)  # no reader: changes go through
    assert table.names == ["x", "y"]


def test_rule_attributes_must_be_a_mapping():
    # found by the policy-file fuzzer: `attributes: null` raised AttributeError
    p = tk.TierPolicy([{"tier": "Gold", "when": "x > 1", "attributes": None}])
    assert p.rules == [{"tier": "Gold", "when": "x > 1"}]
    for bad in ([{"tier": "Gold", "when": "x > 1", "attributes": [1, 2]}], [("Gold", "x > 1", "owner")]):
        with pytest.raises(tk.InvalidInput, match="rule 1's attributes must be a mapping"):
            tk.TierPolicy(bad)
