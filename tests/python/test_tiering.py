"""Whole tiering runs from policy files: YAML and JSON, derived columns, strategies on the
profile and on attributes, errors that name the problem, and the command line end to end
on the real Online Retail data, agreeing with the same policy through the Python API."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from conftest import shared_data
from tierkit.cli import EXIT_OK, EXIT_POLICY, main

POLICY = {
    "tierkit": 1,
    "name": "shop",
    "transactions": {"customer": "cust", "time": "day", "amount": "amount",
                     "derive": {"amount": "qty * price", "big": "qty * price >= 100"}},
    "attributes": {"customer": "cust"},
    "strategies": [{"rfm": {"bins": 3, "recency": {"k": 2}}}, {"abc": {"column": "monetary"}}],
    "tiers": [{"tier": "VIP", "when": "abc_class = 'A' and age < 40", "desk": "vip"},
              {"tier": "Regular", "when": "r_score >= 2 or region = 'east'"}],
    "default": "Occasional",
    "keep": ["monetary"],
}


def shop(n: int = 3000, customers: int = 300, seed: int = 3):
    rng = np.random.default_rng(seed)
    tx = pd.DataFrame({
        "cust": rng.integers(1, customers + 1, n),
        "day": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "qty": rng.integers(1, 6, n),
        "price": rng.choice([2.5, 10.0, 49.99], n),
    })
    ids = np.arange(1, customers + 1)
    attrs = pd.DataFrame({"cust": ids, "age": rng.integers(18, 80, customers).astype(float),
                          "region": rng.choice(["east", "west"], customers)})
    return tx, attrs.iloc[: customers - 20]  # 20 customers without attributes


def test_a_policy_dict_runs_the_whole_job_like_the_steps_by_hand():
    tx, attrs = shop()
    result = tk.Tiering.from_dict(POLICY).run(tx, attrs, as_of="2025-01-01")
    # By hand: the derived amount in pandas, then profile, strategies and rules.
    by_hand = tx.assign(amount=tx.qty * tx.price)
    # Nothing in the job reads purchase days or spend growth: the job's profile leaves them out.
    prof = tk.profile(by_hand, customer="cust", time="day", amount="amount", as_of="2025-01-01",
                      purchase_days=False, spend_series=False)
    scores = tk.score(prof, tk.RFM(3, recency=tk.Bins(k=2)), tk.ABC("monetary"))
    policy = tk.TierPolicy([("VIP", "abc_class = 'A' and age < 40", {"desk": "vip"}),
                            ("Regular", "r_score >= 2 or region = 'east'")], default="Occasional")
    want = policy.assign(prof, scores, tk.CustomerAttributes(attrs, customer="cust"),
                         keep="monetary")
    assert result.tiers.to_arrow().equals(want.to_arrow())
    assert result.profile.to_arrow().equals(prof.to_arrow())
    assert result.report["attributes"] == {"profile_customers": 300, "with_attributes": 280,
                                           "without_attributes": 20,
                                           "attributes_without_transactions": 0}
    assert result.report["coverage"]["attributes"] == {"customers_missing": 20, "extra_keys_ignored": 0}
    assert set(result.models) == {"rfm", "abc"}
    s = result.summary().to_pandas()
    assert s.customers.sum() == 300 and s.index.tolist() == ["VIP", "Regular", "Occasional"]


@pytest.mark.parametrize("change, days, series", [
    ({}, False, False),                                                  # RFM, ABC, rules
    ({"keep": ["monetary", "purchase_days"]}, True, False),              # kept
    ({"tiers": [{"tier": "A", "when": "purchase_days >= 2"}]}, True, False),   # read by a rule
    ({"strategies": POLICY["strategies"] + [{"value_potential": {}}]}, True, True),  # unknown: all
    ({"strategies": [{"rfm": {"bins": 3, "columns": ["recency", "purchase_days", "monetary"]}},
                     {"abc": {"column": "monetary"}}]}, True, False),
    ({"transactions": {**POLICY["transactions"], "spend_series": True}}, False, True),  # asked for
])
def test_a_job_profiles_what_it_reads(change, days, series):
    job = tk.Tiering.from_dict({**POLICY, **change})
    settings = job.profile_settings()
    assert (settings["purchase_days"], settings["spend_series"]) == (days, series)
    tx, attrs = shop()
    prof = job.run(tx, attrs, as_of="2025-01-01").profile
    assert (prof.has_purchase_days, prof.has_spend_series) == (days, series)


def test_a_policy_file_may_leave_purchase_days_and_the_series_out():
    tx, attrs = shop()
    lean = {**POLICY, "transactions": {**POLICY["transactions"], "purchase_days": False,
                                       "spend_series": False}}
    got = tk.Tiering.from_dict(lean).run(tx, attrs, as_of="2025-01-01")
    want = tk.Tiering.from_dict(POLICY).run(tx, attrs, as_of="2025-01-01")
    assert got.tiers.to_arrow().equals(want.tiers.to_arrow())
    assert not got.profile.has_purchase_days
    assert "median_gap" not in got.profile.to_arrow().column_names
    bad = {**POLICY, "transactions": {**POLICY["transactions"], "purchase_days": "off"}}
    with pytest.raises(tk.PolicyError, match="transactions.purchase_days must be true or false; "
                                             "got 'off'"):
        tk.Tiering.from_dict(bad)
    # a lifecycle needs the purchase days: the run says which setting took them away
    lifecycle = {**lean, "strategies": [{"lifecycle": {}}],
                 "tiers": [{"tier": "Active", "when": "lifecycle = 'active'"}]}
    with pytest.raises(tk.SchemaError, match="built with purchase_days off"):
        tk.Tiering.from_dict(lifecycle).run(tx, attrs, as_of="2025-01-01")


def test_valid_dates_in_the_transactions_section_reach_the_profile(tmp_path):
    tx, attrs = shop(n=200)
    tx.loc[0, "day"] = pd.Timestamp("1850-03-01")  # an implausible date
    with pytest.raises(tk.InvalidInput, match=r"1 row is dated before 1900-01-01 \(the first of valid_dates\)"):
        tk.Tiering.from_dict(POLICY).run(tx, attrs)
    yaml_text = ("tierkit: 1\ntransactions: {customer: cust, time: day, amount: amount, on_invalid: drop,\n"
                 "  valid_dates: [1800-01-01, 2030-12-31], derive: {amount: qty * price}}\n"
                 "tiers: [{tier: A, when: 'monetary > 100'}]\ndefault: B\n")
    (tmp_path / "p.yaml").write_text(yaml_text)  # YAML reads the dates as dates
    wide = tk.Tiering.from_file(tmp_path / "p.yaml").run(tx)
    assert wide.profile.report.rows_dropped == 0
    assert wide.profile.report.rows_used == 200
    strict = {**POLICY, "transactions": {**POLICY["transactions"], "on_invalid": "drop",
                                         "valid_dates": ["2024-02-01", "2030-12-31"]}}
    (tmp_path / "p.json").write_text(json.dumps(strict))
    narrow = tk.Tiering.from_file(tmp_path / "p.json").run(tx, attrs)
    assert narrow.profile.report.rows_dropped == int((tx.day < "2024-02-01").sum())
    assert narrow.profile.report.dropped[0].problem == "dated before 2024-02-01 (the first of valid_dates)"


def test_yaml_and_json_files_give_the_same_job(tmp_path):
    import yaml
    tx, attrs = shop()
    (tmp_path / "p.json").write_text(json.dumps(POLICY))
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(POLICY))
    a = tk.Tiering.from_file(tmp_path / "p.json").run(tx, attrs)
    b = tk.Tiering.from_file(tmp_path / "p.yaml").run(tx, attrs)
    assert a.tiers.to_arrow().equals(b.tiers.to_arrow())
    assert tk.Tiering.from_file(tmp_path / "p.yaml").policy == a.policy


def test_derived_columns_follow_null_rules_and_read_earlier_ones():
    t = pa.table({"q": [1, 2, None, 4], "p": [2.0, 0.0, 1.0, 0.5], "label": ["a", "b", "c", "d"]})
    out = tk.tiering.derive_columns(t, {"v": "q * p", "r": "q / p", "big": "v > 1", "q": "q + 1"})
    assert out.column("v").to_pylist() == [2.0, 0.0, None, 2.0]
    assert out.column("r").to_pylist() == [0.5, None, None, 8.0]   # division by zero is null
    assert out.column("big").to_pylist() == [1.0, 0.0, None, 1.0]
    assert out.column("q").to_pylist() == [2.0, 3.0, None, 5.0]    # replaced in place
    with pytest.raises(tk.SchemaError, match="reads 'qq'.*did you mean 'q'"):
        tk.tiering.derive_columns(t, {"v": "qq * p"})
    with pytest.raises(tk.SchemaError, match="is text; a number or a condition is needed"):
        tk.tiering.derive_columns(t, {"v": "label"})


def test_strategies_fitted_on_attributes():
    bank = tk.demo.bank(400, 8000, seed=2)
    adb = tk.average_daily_balances(bank["events"]).by_customer(bank["owners"]).latest()
    attrs = pa.table(adb.to_pandas().join(bank["customers"].to_pandas().set_index("customer_id"))
                     .reset_index())
    tx = tk.demo.transactions(400, 6000, seed=2)
    job = tk.Tiering.from_dict({
        "transactions": {"customer": "customer_id", "time": "time", "amount": "amount"},
        "strategies": [{"asset_bands": {"preset": "chinese_retail", "on": "attributes"}},
                       {"lifecycle": {}}],
        "tiers": [{"tier": "Wealth", "when": "asset_band in ('Private banking', 'Wealth management')"},
                  {"tier": "Active", "when": "lifecycle = 'active'"}],
        "default": "Other"})
    r = job.run(tx, attrs)
    bands = tk.AssetBands.preset().fit_apply(attrs).to_pandas()
    got = r.tiers.to_pandas()
    wealth = bands.index[bands.asset_band.isin(["Private banking", "Wealth management"])]
    assert set(got.index[got.tier == "Wealth"]) == set(wealth) & set(got.index)
    with pytest.raises(tk.InvalidInput, match="asset_bands are fitted on the attributes"):
        job.run(tx)


@pytest.mark.parametrize("change, message", [
    ({"strategies": [{"rfmm": {}}]}, "unknown strategy 'rfmm' (did you mean 'rfm'?)"),
    ({"strategies": [{"abc": {"colum": "monetary"}}]}, "unexpected keyword argument 'colum'"),
    ({"strategies": [{"abc": {"shares": [0.9, 0.5]}}]}, "strategy 'abc'"),
    ({"tierkit": 2}, "file format 2 is not readable"),
    ({"tiers": [{"tier": "A", "when": "x >"}]}, "cannot parse rule 1 ('A')"),
    ({"tiers": "A"}, "needs a 'tiers' list"),
    ({"transactions": {"amout": "x"}}, "unknown key 'amout' (did you mean 'amount'?)"),
    ({"transactions": {"derive": {"a": "q *"}}}, "derived column 'a'"),
    # Values of the wrong kind (found by fuzz/fuzz_policy.py: each was a TypeError or
    # AttributeError from deep inside, not a PolicyError)
    ({"keep": [{"monetary": 1}]}, "'keep' must be a column name or a list of them; got list"),
    ({"tiers": ["A"]}, "tier rule 1 must be a mapping with 'tier' and 'when'; got str 'A'"),
    ({"tiers": [{"tier": "A", "when": "x > 1", "owner": ["a", "b"]}]},
     "tier rule 1: owner must be a text or a number; got list"),
    ({"tiers": [{"tier": "A", "when": "x > 1", "attributes": "KAM"}]},
     "tier rule 1: attributes must be a mapping; got str"),
    ({"transactions": {"customer": 5}}, "transactions.customer must be a text; got int 5"),
    ({"transactions": {"as_of": [2024]}}, "transactions.as_of must be a date (YYYY-MM-DD)"),
    ({"transactions": {"valid_dates": "1900-01-01"}}, "transactions.valid_dates must be two dates [first, last]"),
    ({"transactions": {"valid_dates": ["2030-01-01", "2020-01-01"]}},
     "transactions: valid_dates must run forwards; got 2030-01-01 after 2020-01-01"),
    ({"attributes": {"columns": "age"}}, "attributes.columns must be a list of column names"),
    ({"default_attributes": ["owner"]}, "'default_attributes' must be a mapping; got list"),
    ({"strategies": [{"rfm": {"bins": "five"}}]}, "strategy 'rfm': bad config"),
    ({"strategies": [{"abc": {"shares": {"a": 1}}}]}, "strategy 'abc'"),
])
def test_policy_errors_name_the_problem(change, message):
    with pytest.raises(tk.PolicyError) as e:
        tk.Tiering.from_dict({**POLICY, **change})
    assert message in str(e.value)


def test_unreadable_policy_files(tmp_path):
    with pytest.raises(tk.PolicyError, match="cannot read the policy file"):
        tk.Tiering.from_file(tmp_path / "missing.yaml")
    (tmp_path / "bad.json").write_text("{\"tiers\": [}")
    with pytest.raises(tk.PolicyError, match="is not valid"):
        tk.Tiering.from_file(tmp_path / "bad.json")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(tk.PolicyError, match="must hold a mapping"):
        tk.Tiering.from_file(tmp_path / "list.yaml")



# Nine anchors of nine aliases each: 9^9 (387 million) strings when expanded, in 600 bytes.
LAUGHS = "tierkit: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")) + \
    "name: *i\ntiers: [{tier: A, when: 'x > 1'}]\n"


def test_nested_yaml_aliases_are_refused_before_they_expand(tmp_path, capsys):
    f = tmp_path / "laughs.yaml"
    f.write_text(LAUGHS)
    with pytest.raises(tk.PolicyError) as e:
        tk.Tiering.from_file(f)
    assert "laughs.yaml' has aliases (*a 9 times from line 3" in str(e.value)
    assert "at most 10,000 are allowed" in str(e.value)
    src = tmp_path / "tx.csv"
    src.write_text("customer_id,time,amount\n1,2024-01-01,5\n")
    assert main(["tier", str(src), "--policy", str(f), "-q"]) == EXIT_POLICY
    assert "policy error" in capsys.readouterr().err
    f.write_text("tierkit: 1\ntiers: &t [{tier: A, when: 'x > 1'}, *t]\n")
    with pytest.raises(tk.PolicyError, match="node at line 2 that contains an alias to itself"):
        tk.Tiering.from_file(f)


def test_aliases_and_merge_keys_within_the_budget_still_work(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("tierkit: 1\n"
                 "description: &base {owner: desk, channel: phone}\n"
                 "tiers:\n"
                 "  - {<<: *base, tier: A, when: 'monetary > 100', owner: KAM}\n"
                 "  - {<<: *base, tier: B, when: 'monetary > 10'}\n"
                 "default: C\n")
    job = tk.Tiering.from_file(f)
    assert job.policy.rules == [
        {"tier": "A", "when": "monetary > 100", "owner": "KAM", "channel": "phone"},
        {"tier": "B", "when": "monetary > 10", "owner": "desk", "channel": "phone"}]


@pytest.mark.parametrize("name, text, message", [
    ("p.yaml", "tierkit: 1\ntiers:\n  - tier: A\n    when: x > 1\n    tier: B\n",
     "repeats the key 'tier' at line 5 (first at line 3)"),
    ("p.yaml", "tierkit: 1\ntiers: [{tier: A, when: x > 1}]\ndefault: B\ndefault: C\n",
     "repeats the key 'default' at line 4 (first at line 3)"),
    ("p.json", '{"tierkit": 1,\n "tiers": [{"tier": "A", "when": "x > 1",\n'
               '            "tier": "B"}]}',
     "repeats the key 'tier' at line 3 (first at line 2)"),
    ("p.json", '{"tiers": [{"tier": "A", "when": "x > 1"}],\n "default": "B", "default": "C"}',
     "repeats the key 'default' at line 2 (first at line 2)"),
])
def test_repeated_keys_in_policy_files_are_refused_with_their_lines(tmp_path, name, text, message):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(tk.PolicyError) as e:
        tk.Tiering.from_file(f)
    assert message in str(e.value) and name in str(e.value)


def test_a_policy_file_that_is_not_utf8_is_a_policy_error(tmp_path, capsys):
    f = tmp_path / "gbk.yaml"
    f.write_bytes("tierkit: 1\ntiers:\n  - {tier: 黄金, when: 'monetary > 100'}\n".encode("gbk"))
    with pytest.raises(tk.PolicyError, match="is not UTF-8 text: byte 0xbb at line 3, column 12"):
        tk.Tiering.from_file(f)
    src = tmp_path / "tx.csv"
    src.write_text("customer_id,time,amount\n1,2024-01-01,5\n")
    assert main(["tier", str(src), "--policy", str(f), "-q"]) == EXIT_POLICY
    assert "save the file as UTF-8" in capsys.readouterr().err
    # The same text in UTF-8, with a byte-order mark as some editors write it, is read.
    f.write_bytes(b"\xef\xbb\xbf" + "tierkit: 1\ntiers:\n  - {tier: 黄金, when: 'monetary > 100'}\n"
                  .encode("utf-8"))
    assert tk.Tiering.from_file(f).policy.tiers == ["黄金", "Others"]

RETAIL_POLICY = """
tierkit: 1
name: online retail
transactions:
  customer: CustomerID
  time: InvoiceDate
  amount: amount
  order: InvoiceNo
  derive: {amount: Quantity * UnitPrice}
  on_invalid: drop
  as_of: 2011-12-10
strategies:
  - rfm: {bins: 5}
  - abc: {column: monetary}
  - lifecycle: {dormant_days: 120, churn_days: 270}
tiers:
  - {tier: Platinum, when: "abc_class = 'A' and segment in ('Champions', 'Loyal Customers')"}
  - {tier: Gold, when: "abc_class in ('A', 'B') and lifecycle in ('active', 'new', 'reactivated')"}
  - {tier: Win back, when: "lifecycle in ('dormant', 'churned') and monetary >= 1000"}
  - {tier: Silver, when: "r_score >= 3"}
default: Bronze
keep: [monetary]
"""


def test_cli_on_online_retail_agrees_with_the_python_api(tmp_path, capsys):
    data = shared_data("online-retail-uci") / "online_retail.csv.gz"
    policy = tmp_path / "retail.yaml"
    policy.write_text(RETAIL_POLICY)
    out = tmp_path / "tiers.parquet"
    assert main(["tier", str(data), "--policy", str(policy), "-o", str(out)]) == EXIT_OK
    printed = capsys.readouterr()
    assert "406,829 used, 135,080 dropped as invalid; 4,372 customers" in printed.out
    assert "column 'CustomerID': 135,080 rows null" in printed.out
    cli = pq.read_table(out).to_pandas().set_index("CustomerID")

    # The same policy by the Python API, with the data read and cleaned by pandas.
    raw = pd.read_csv(data, dtype={"CustomerID": "string", "InvoiceNo": "string"},
                      parse_dates=["InvoiceDate"])
    raw = raw[raw.CustomerID.notna()].assign(amount=raw.Quantity * raw.UnitPrice)
    # Published checks of the data set (PROVENANCE.md): lines, customers, value.
    assert len(raw) == 406_829 and raw.CustomerID.nunique() == 4_372
    assert raw.amount.sum() == pytest.approx(8_300_065.814, abs=1e-3)
    prof = tk.profile(raw, customer="CustomerID", time="InvoiceDate", amount="amount",
                      order="InvoiceNo", as_of="2011-12-10")
    scores = tk.score(prof, tk.RFM(5), tk.ABC("monetary"),
                      tk.Lifecycle(dormant_days=120, churn_days=270))
    policy_api = tk.TierPolicy([
        ("Platinum", "abc_class = 'A' and segment in ('Champions', 'Loyal Customers')"),
        ("Gold", "abc_class in ('A', 'B') and lifecycle in ('active', 'new', 'reactivated')"),
        ("Win back", "lifecycle in ('dormant', 'churned') and monetary >= 1000"),
        ("Silver", "r_score >= 3")], default="Bronze")
    api = policy_api.assign(prof, scores).to_pandas()
    # The file's customer numbers are all integers: the command line keeps them as such.
    assert pq.read_schema(out).field("CustomerID").type == pa.int64()
    cli.index = cli.index.astype(str)
    assert cli.index.tolist() == api.index.tolist()
    assert (cli.tier.astype(str) == api.tier.astype(str)).all()
    assert (cli.rule.astype(str) == api.rule.astype(str)).all()
    np.testing.assert_allclose(cli.monetary.sum(), 8_300_065.814, atol=1e-3)
    # Every tier is used: the comparison covers every rule.
    assert set(api.rule.astype(str)) == {"rule 1", "rule 2", "rule 3", "rule 4", "default"}


def test_a_bare_on_key_in_yaml_is_read_as_on(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "tierkit: 1\nstrategies:\n  - asset_bands:\n      preset: chinese_retail\n      on: attributes\n"
        "tiers:\n  - {tier: Top, when: \"asset_band = 'Private banking'\"}\ndefault: Rest\n")
    job = tk.Tiering.from_file(tmp_path / "p.yaml")
    assert job.strategies[0][2] == "attributes"
