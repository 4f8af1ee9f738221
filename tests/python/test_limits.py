"""The limits of docs/limits.md, one test per row: at the limit the work is done, just beyond
it the input is refused with a clear error (or, where the limit is Arrow's or the data
type's, what happens is said). Small crafted inputs only; the limits that need billions of
rows to reach (2^32 customers) are tested in C++ (tests/cpp/test_limits.cpp)."""
from __future__ import annotations

import datetime
import decimal

import numpy as np
import pyarrow as pa
import pytest

import tierkit as tk
from tierkit import _core
from tierkit._policy_text import ALIAS_NODE_BUDGET, MAX_POLICY_BYTES

D = decimal.Decimal
DAYS = pa.array([19000, 19001], pa.date32())


def _profile(customer, amount, time=DAYS, **kw):
    return tk.profile({"c": customer, "t": time, "a": amount}, customer="c", time="t",
                      amount="a", **kw)


# --- keys and strings -------------------------------------------------------------------------

def test_integer_keys_span_int64_and_uint32_and_uint64_is_refused():
    extremes = pa.array([-(2**63), 2**63 - 1], pa.int64())
    assert _profile(extremes, [1.0, 2.0]).to_arrow().column("c").to_pylist() == [-(2**63), 2**63 - 1]
    top = pa.array([0, 2**32 - 1], pa.uint32())
    assert _profile(top, [1.0, 2.0]).to_arrow().column("c").to_pylist() == [0, 2**32 - 1]
    with pytest.raises(tk.SchemaError, match=r"'c' \(uint64\) has an unsupported type"):
        _profile(pa.array([1, 2**63], pa.uint64()), [1.0, 2.0])


@pytest.mark.parametrize("type_", [pa.string(), pa.large_string(), pa.string_view()])
def test_long_text_keys_and_attributes_come_back_byte_for_byte(type_):
    # No bound of tierkit's own below Arrow's: a 1 MiB key is a key like any other.
    # (Keys apart from their first byte on: keys sharing long prefixes are the key sort's
    # own tests, tests/cpp/test_key_dictionary.cpp.)
    long = "客" * (1 << 18) + "x"                      # 786,433 bytes of UTF-8
    keys = pa.array([long, "y" + long], type_)
    p = _profile(keys, [1.0, 2.0])
    assert p.to_arrow().column("c").to_pylist() == ["y" + long, long]   # by UTF-8 bytes
    a = tk.CustomerAttributes({"c": keys, "note": pa.array([long, None], type_)}, customer="c")
    assert a.to_arrow().column("note").to_pylist() == [long, None]


# --- rules --------------------------------------------------------------------------------------

def test_a_rule_of_a_mebibyte_parses_and_assigns():
    # No bound on a rule's length but memory: an `in` list of 150,000 numbers (1 MiB).
    big = "x in (" + ", ".join(str(i) for i in range(150_000)) + ")"
    assert len(big) > 1 << 20
    policy = tk.TierPolicy([("In", big)], default="Out")
    t = policy.assign(pa.table({"customer_id": [1, 2], "x": [149_999.0, 150_000.0]})).to_arrow()
    assert t.column("tier").to_pylist() == ["In", "Out"]


def test_rules_nest_199_parentheses_deep_and_no_deeper():
    at = "(" * 199 + "x > 1" + ")" * 199
    assert _core.Expression.parse(at, "rule 1").columns() == ["x"]
    beyond = "(" * 200 + "x > 1" + ")" * 200
    with pytest.raises(tk.InvalidInput, match="nests deeper than 200 levels"):
        tk.TierPolicy([("A", beyond)], default="B")


# --- policy files ------------------------------------------------------------------------------

def test_a_policy_file_of_one_mebibyte_is_read_and_one_byte_more_is_refused(tmp_path):
    body = '{"tiers": [{"tier": "A", "when": "x > 1"}], "default": "B"}'
    f = tmp_path / "p.json"
    f.write_text(body + " " * (MAX_POLICY_BYTES - len(body)))
    assert f.stat().st_size == MAX_POLICY_BYTES == 1 << 20
    assert tk.Tiering.from_file(f).policy.tiers == ["A", "B"]
    f.write_text(body + " " * (MAX_POLICY_BYTES - len(body) + 1))
    with pytest.raises(tk.PolicyError, match=r"p.json' is larger than 1,048,576 bytes \(1 MiB\)"):
        tk.Tiering.from_file(f)


def _aliases(extra_nodes: int) -> str:
    """A policy whose aliases expand to exactly `extra_nodes` nodes beyond those written:
    a list of 100 scalars (101 nodes) used k times adds 101 k; a list of n scalars used
    once more adds n + 1."""
    k, rest = divmod(extra_nodes, 101)
    lines = ["tierkit: 1", "description:", "  a: &a [" + ", ".join(["x"] * 100) + "]"]
    lines += [f"  u{i}: *a" for i in range(k)]
    if rest:
        lines += ["  b: &b [" + ", ".join(["y"] * (rest - 1)) + "]", "  c: *b"]
    lines += ["tiers: [{tier: A, when: 'x > 1'}]"]
    return "\n".join(lines) + "\n"


def test_yaml_aliases_may_add_10000_nodes_and_no_more(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(_aliases(ALIAS_NODE_BUDGET))
    assert ALIAS_NODE_BUDGET == 10_000
    assert tk.Tiering.from_file(f).policy.tiers == ["A", "Others"]
    f.write_text(_aliases(ALIAS_NODE_BUDGET + 1))
    with pytest.raises(tk.PolicyError, match="expand to 10,001 nodes beyond the"):
        tk.Tiering.from_file(f)


# --- amounts -----------------------------------------------------------------------------------

def test_amounts_below_2_60_are_used_and_2_60_is_an_invalid_row():
    top = 2**60 - 1
    p = _profile([1, 2], pa.array([top, -top], pa.int64()))
    assert p.to_arrow().column("monetary").to_pylist() == [float(top), float(-top)]
    for beyond in (pa.array([2**60, 1], pa.int64()), pa.array([-(2.0**60), 1.0]),
                   pa.array([D(2**60), D(1)], pa.decimal128(38, 9))):
        with pytest.raises(tk.InvalidInput, match="1 row is magnitude 2\\^60 or more"):
            _profile([1, 2], beyond)
        dropped = _profile([1, 2], beyond, on_invalid="drop")
        assert dropped.report.rows_dropped == 1 and len(dropped) == 1
    just_below = pa.array([np.nextafter(2.0**60, 0.0), 1.0])
    assert _profile([1, 2], just_below).to_arrow().column("monetary")[0].as_py() == 2.0**60 - 128


def test_sums_of_amounts_at_the_limit_are_exact():
    # 2^60 - 1 per line and up to 2^63 lines stay below 2^123 units of 10^-9: within the
    # 128-bit sums, whatever the number of lines.
    n = 1000
    p = _profile(pa.array([7] * n), pa.array([2**60 - 1] * n, pa.int64()),
                 time=pa.array([19000] * n, pa.date32()))
    assert p.to_arrow().column("monetary").to_pylist() == [float((2**60 - 1) * n)]


def test_decimal_amounts_carry_nine_places_and_the_tenth_rounds():
    # decimal128 of any precision and scale; amounts are kept in units of 10^-9, so a 10th
    # place rounds (half away from zero) on each line before the sums.
    p = _profile([1, 2], pa.array([D("0.123456789"), D("99999999999.999999999")], pa.decimal128(38, 9)))
    assert p.to_arrow().column("monetary").to_pylist() == [0.123456789, 99999999999.999999999]
    tenth = _profile([1, 1], pa.array([D("0.0000000005"), D("0.0000000004")], pa.decimal128(20, 10)),
                     time=pa.array([19000, 19000], pa.date32()))
    assert tenth.to_arrow().column("monetary").to_pylist() == [1e-9]
    wide = _profile([1, 2], pa.array([D("1" + "0" * 37), D(1)], pa.decimal128(38, 0)), on_invalid="drop")
    assert wide.report.rows_dropped == 1


# --- dates -------------------------------------------------------------------------------------

def test_dates_run_from_year_1_to_9999_and_a_day_beyond_is_an_invalid_row():
    # With valid_dates widened to every date there is (the default stops at 1900 and 2200).
    every = ("0001-01-01", "9999-12-31")
    first, last = datetime.date(1, 1, 1), datetime.date(9999, 12, 30)
    p = _profile([1, 2], [1.0, 2.0], time=pa.array([first, last], pa.date32()), as_of="9999-12-31",
                 valid_dates=every)
    assert p.to_arrow().column("first_purchase").to_pylist() == [first, last]
    before = pa.array([-719163, 0], pa.date32())          # 0000-12-31
    with pytest.raises(tk.InvalidInput, match=r"dated before 0001-01-01 \(the first of valid_dates\)"):
        _profile([1, 2], [1.0, 2.0], time=before, as_of="2000-01-01", valid_dates=every)
    after = pa.array([2932897, 0], pa.date32())            # 10000-01-01
    assert _profile([1, 2], [1.0, 2.0], time=after, as_of="2000-01-01", valid_dates=every,
                    on_invalid="drop").report.rows_dropped == 1
    with pytest.raises(tk.InvalidInput):
        _profile([1, 2], [1.0, 2.0], as_of=2932897)      # as_of beyond 9999-12-31
    # The largest timestamps, in a zone east of UTC: invalid rows (their offset once
    # overflowed the seconds; found by fuzz/fuzz_arrow.cpp).
    far = pa.array([2**63 - 1, 1_700_000_000], pa.timestamp("s", tz="Asia/Shanghai"))
    p = _profile([1, 2], [1.0, 2.0], time=far, time_zone="+08:00", on_invalid="drop")
    assert p.report.rows_dropped == 1 and len(p) == 1


# --- tiers over time ---------------------------------------------------------------------------

def test_assessment_dates_stop_at_100000():
    epoch = datetime.date(1970, 1, 1)
    first, last = (datetime.date(1, 1, 1) - epoch).days, (datetime.date(8334, 4, 1) - epoch).days
    dates = _core.assessment_dates("month", first, last)      # monthly from 0001-01-01
    assert len(dates) == 100_000 and dates[-1] == last
    with pytest.raises(tk.InvalidInput, match="more than 100,000 assessment dates"):
        _core.assessment_dates("month", first, last + 30)
    policy = tk.TierPolicy([("A", "monetary > 1")], default="B")
    listed = [datetime.date(1970, 1, 1) + datetime.timedelta(days=d) for d in range(100_001)]
    with pytest.raises(tk.InvalidInput, match="100,001 assessment dates; at most 100,000"):
        tk.TierHistory(policy, dates=listed)
    assert len(tk.TierHistory(policy, dates=listed[:-1]).dates) == 100_000


def test_a_history_ranks_at_most_32767_tiers():
    rules = [(f"t{i}", f"x > {i}") for i in range(32_766)]
    at = tk.TierPolicy(rules, default="rest")               # 32,767 tiers
    assert len(tk.TierHistory(at, frequency="month").ranks) == 32_767
    beyond = tk.TierPolicy(rules + [("one more", "x > -1")], default="rest")
    with pytest.raises(tk.InvalidInput, match="more than 32,767 tiers"):
        tk.TierHistory(beyond, frequency="month")


def test_upgrades_wait_at_most_16_assessments():
    policy = tk.TierPolicy([("Gold", "monetary > 1")], default="Bronze")
    tk.TierHistory(policy, transitions={"Gold": {"upgrade_after": 16}})
    with pytest.raises(tk.InvalidInput, match="upgrade_after must be between 1 and 16; got 17"):
        tk.TierHistory(policy, transitions={"Gold": {"upgrade_after": 17}})
