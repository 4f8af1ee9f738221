"""tierkit.profile against the independent pandas reference, and its reports and errors."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tierkit as tk
from reference import compare, day_numbers, reference_profile, reference_series


def make_transactions(n=20_000, seed=0, ids="int", tz="UTC", customers=800):
    """Transactions with returns, zero-value lines, same-day repeats, returns-only
    customers, cent amounts and times around midnight."""
    rng = np.random.default_rng(seed)
    cust = rng.zipf(1.6, n) % customers
    start = pd.Timestamp("2022-01-01", tz="UTC").value // 1000  # us
    t = start + rng.integers(0, 700 * 86400, n) * 1_000_000
    t[::7] = t[::7] - t[::7] % (86_400_000_000) + 86_400_000_000 - 1_000_000  # 23:59:59 UTC
    amount = np.round(rng.lognormal(3, 1, n), 2)
    amount[rng.random(n) < 0.08] *= -1  # returns
    amount[rng.random(n) < 0.01] = 0.0  # free items
    order = rng.integers(0, n // 3, n)
    df = pd.DataFrame({
        "customer_id": cust if ids == "int" else np.char.add("cust-", cust.astype(str)),
        "time": pd.to_datetime(t, unit="us", utc=True).tz_convert(tz),
        "amount": amount,
        "order_id": order,
        "quantity": rng.integers(1, 5, n) * np.sign(amount + 1e-9),
    })
    # Two customers with returns only.
    extra = pd.DataFrame({"customer_id": df["customer_id"].iloc[:2].to_numpy(),
                          "time": df["time"].iloc[:2].to_numpy(), "amount": [-5.0, -7.5],
                          "order_id": [-1, -2], "quantity": [-1.0, -1.0]})
    extra["customer_id"] = [customers + 1, customers + 2] if ids == "int" else ["zz-1", "zz-2"]
    return pd.concat([df, extra], ignore_index=True)


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("with_orders", [True, False])
def test_profile_agrees_with_the_pandas_reference(ids, with_orders):
    df = make_transactions(ids=ids)
    order = "order_id" if with_orders else None
    p = tk.profile(df, order=order, quantity="quantity")
    ref = reference_profile(df, order=order, quantity="quantity")
    compare(p, ref)
    assert p.as_of == dt.date(1970, 1, 1) + dt.timedelta(days=ref.attrs["as_of"])
    assert p.report.as_of_source == "day after the last transaction"


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/New_York", "+05:30"])
def test_aware_timestamps_become_days_in_the_stated_zone(tz):
    df = make_transactions(seed=3)
    p = tk.profile(df, time_zone=tz, order="order_id")
    pandas_tz = "UTC" if tz == "UTC" else (dt.timezone(dt.timedelta(hours=5, minutes=30))
                                           if tz == "+05:30" else tz)
    compare(p, reference_profile(df, order="order_id", tz=pandas_tz))
    assert p.report.time_zone == tz


def test_daylight_saving_transitions_are_located_to_the_second():
    # 2021-03-14 07:00:00Z is 03:00 EDT; one second earlier it is 01:59:59 EST.
    times = pd.to_datetime(["2021-03-14 06:59:59", "2021-03-14 07:00:00",
                            "2021-11-07 05:59:59", "2021-11-07 06:00:00"], utc=True)
    df = pd.DataFrame({"customer_id": [1, 2, 3, 4], "time": times, "amount": 1.0})
    p = tk.profile(df, time_zone="America/New_York").to_pandas()
    local = times.tz_convert("America/New_York")
    assert list(pd.to_datetime(p["last_purchase"]).dt.date) == list(local.date)


def test_naive_timestamps_and_dates_are_taken_as_they_are():
    times = pd.to_datetime(["2024-01-31 23:30", "2024-02-01 00:10"])
    df = pd.DataFrame({"customer_id": [1, 1], "time": times, "amount": [1.0, 2.0]})
    p = tk.profile(df, time_zone="Asia/Shanghai")
    assert p.to_pandas()["first_purchase"].iloc[0] == pd.Timestamp(2024, 1, 31)  # datetime64
    dates = pd.DataFrame({"customer_id": [1], "time": [dt.date(2024, 2, 29)], "amount": [1.0]})
    assert tk.profile(dates, time_zone="-10:00").to_pandas()["last_purchase"].iloc[0] == \
        pd.Timestamp(2024, 2, 29)


def test_spend_series_agrees_with_a_monthly_groupby():
    df = make_transactions(seed=5)
    p = tk.profile(df)
    got = p.spend_series().to_pandas()
    ref = reference_series(df)
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["customer_id"].to_numpy(), ref["c"].to_numpy())
    np.testing.assert_array_equal(pd.to_datetime(got["period_start"]).to_numpy(),
                                  ref["p"].to_numpy())
    np.testing.assert_allclose(got["net"], ref["a"], rtol=1e-9, atol=1e-6)


def test_explicit_window_counts_rows_outside_it():
    df = make_transactions(seed=9)
    p = tk.profile(df, window_start="2022-06-01", as_of="2023-01-01", order="order_id")
    start, end = (pd.Timestamp(x) for x in ("2022-06-01", "2023-01-01"))
    days = day_numbers(df["time"])
    s, e = ((x - pd.Timestamp("1970-01-01")).days for x in (start, end))
    inside = ((days >= s) & (days < e)).sum()
    assert p.report.rows_used == inside
    assert p.report.rows_outside_window == len(df) - inside
    assert p.report.as_of_source == "given"
    compare(p, reference_profile(df, order="order_id", as_of=e, window_start=s))


def test_rows_after_an_explicit_as_of_are_invalid_without_a_window():
    df = make_transactions(seed=1)
    with pytest.raises(tk.InvalidInput, match=r"column 'time': [\d,]+ rows are on or after "
                                              r"as_of 2023-01-01"):
        tk.profile(df, as_of="2023-01-01")
    p = tk.profile(df, as_of=dt.date(2023, 1, 1), on_invalid="drop")
    assert p.report.rows_dropped == p.report.dropped[0].rows > 0
    assert p.report.rows_used + p.report.rows_dropped == len(df)


def test_times_outside_years_1_to_9999_are_invalid_rows_at_both_ends():
    first, last = dt.date(1, 1, 1), dt.date(9999, 12, 31)
    every = (first, last)  # valid_dates widened to every date there is
    days = [first.toordinal() - 719_163 + d for d in (-1, 0)] + [0] + \
        [last.toordinal() - 719_163 + d for d in (-1, 1)]
    t = pa.table({"customer_id": [1, 2, 3, 4, 5], "time": pa.array(days, pa.int32()).cast(pa.date32()),
                  "amount": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(tk.InvalidInput, match=r"column 'time': 1 row is dated before 0001-01-01 "
                                              r"\(the first of valid_dates\); column 'time': 1 row "
                                              r"is dated after 9999-12-31"):
        tk.profile(t, valid_dates=every)
    p = tk.profile(t, on_invalid="drop", valid_dates=every)
    assert p.report.rows_dropped == 2 and p.report.as_of == last
    df = p.to_pandas()  # every date converts: the first and the last representable year
    assert df.first_purchase.dt.date.tolist() == [first, dt.date(1970, 1, 1), dt.date(9999, 12, 30)]
    assert p.to_polars().height == 3
    # Timestamps far outside the range (year -768, year 20000) are invalid rows too.
    s = pa.array([-86_400 * 1_000_000, 0, 86_400 * 6_600_000], pa.timestamp("s"))
    t = pa.table({"customer_id": [1, 2, 3], "time": s, "amount": [1.0, 2.0, 3.0]})
    p = tk.profile(t, on_invalid="drop", valid_dates=every)
    assert p.report.rows_dropped == 2 and len(p.to_pandas()) == 1


def test_a_last_purchase_on_9999_12_31_needs_an_explicit_as_of():
    t = pa.table({"customer_id": [1, 2],
                  "time": pa.array([dt.date(2024, 1, 1), dt.date(9999, 12, 31)], pa.date32()),
                  "amount": [1.0, 2.0]})
    every = ("0001-01-01", "9999-12-31")
    with pytest.raises(tk.InvalidInput, match=r"the default as_of, the day after the last "
                                              r"transaction \(9999-12-31\), is past the supported"):
        tk.profile(t, valid_dates=every)
    p = tk.profile(t, as_of="2025-01-01", on_invalid="drop", valid_dates=every)  # the placeholder dropped
    assert p.report.rows_dropped == 1 and len(p) == 1
    p = tk.profile(t, as_of="9999-12-31", on_invalid="drop", valid_dates=every)
    assert p.report.as_of == dt.date(9999, 12, 31)
    assert p.to_pandas().recency.tolist() == [(dt.date(9999, 12, 31) - dt.date(2024, 1, 1)).days]
    with pytest.raises(tk.InvalidInput, match="must lie within the supported dates"):
        tk.profile(t, as_of=np.datetime64("10000-01-01"))


# --- valid_dates: a plausible range, default 1900-01-01 through 2200-12-31 ---------------------

def _dated(time, n=None):
    n = len(time) if n is None else n
    return pa.table({"customer_id": list(range(1, n + 1)), "time": time, "amount": [1.0] * n})


def test_dates_of_year_0000_and_9999_are_invalid_rows_named_and_counted():
    # Year 0000 has no datetime.date: day numbers as date32 (0000-06-01, 9999-12-31 twice).
    days = [dt.date(1, 1, 1).toordinal() - 719_163 - 214, (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days,
            (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days, (dt.date(2024, 3, 1) - dt.date(1970, 1, 1)).days]
    t = _dated(pa.array(days, pa.int32()).cast(pa.date32()))
    with pytest.raises(tk.InvalidInput, match=r"3 rows of 4 are invalid: column 'time': 1 row is dated "
                                              r"before 1900-01-01 \(the first of valid_dates\); column "
                                              r"'time': 2 rows are dated after 2200-12-31 \(the last of "
                                              r"valid_dates\)"):
        tk.profile(t)
    p = tk.profile(t, on_invalid="drop")
    assert p.report.rows_read == 4 and p.report.rows_used == 1 and p.report.rows_dropped == 3
    assert [(d.problem, d.rows) for d in p.report.dropped] == [
        ("dated before 1900-01-01 (the first of valid_dates)", 1),
        ("dated after 2200-12-31 (the last of valid_dates)", 2)]
    assert "dated after 2200-12-31" in str(p.report)
    assert p.to_pandas().recency.tolist() == [1]  # as_of: the day after the one valid row


@pytest.mark.parametrize("time", [
    pa.array([dt.date(1899, 12, 31), dt.date(1900, 1, 1), dt.date(2200, 12, 31), dt.date(2201, 1, 1)],
             pa.date32()),
    # tz-aware timestamps: days in the column's zone (+08:00 here), so 16:00Z is the next day.
    pa.array([pd.Timestamp("1899-12-31 15:59:59", tz="UTC"), pd.Timestamp("1899-12-31 16:00", tz="UTC"),
              pd.Timestamp("2200-12-31 15:59:59", tz="UTC"), pd.Timestamp("2200-12-31 16:00", tz="UTC")],
             pa.timestamp("us", tz="+08:00")),
], ids=["date32", "timestamp-tz"])
def test_the_edges_of_valid_dates_are_valid_and_a_day_beyond_is_not(time):
    p = tk.profile(_dated(time), on_invalid="drop")
    assert p.to_pandas().index.tolist() == [2, 3]
    assert p.to_pandas().first_purchase.dt.date.tolist() == [dt.date(1900, 1, 1), dt.date(2200, 12, 31)]
    assert [(d.problem, d.rows) for d in p.report.dropped] == [
        ("dated before 1900-01-01 (the first of valid_dates)", 1),
        ("dated after 2200-12-31 (the last of valid_dates)", 1)]
    with pytest.raises(tk.InvalidInput, match="2 rows of 4 are invalid"):
        tk.profile(_dated(time))


def test_dates_parsed_from_csv_text_are_held_to_valid_dates(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,time,amount\n1,1899-12-31 23:59:59,1\n2,1900-01-01 00:00:00,1\n"
                    "3,2200-12-31 23:59:59,1\n4,2201-01-01 00:00:00,1\n5,0001-01-01 00:00:00,1\n")
    with pytest.raises(tk.InvalidInput, match=r"3 rows of 5 are invalid: column 'time': 2 rows are dated before "
                                              r"1900-01-01 \(the first of valid_dates\); column 'time': 1 row"):
        tk.profile(path)
    p = tk.profile(path, on_invalid="drop")
    assert p.to_pandas().index.tolist() == [2, 3] and p.report.rows_dropped == 3
    assert tk.profile(path, valid_dates=("0001-01-01", "2201-01-01")).report.rows_dropped == 0


def test_valid_dates_widen_and_narrow_and_must_be_a_forward_pair():
    t = _dated(pa.array([dt.date(1850, 6, 1), dt.date(2019, 12, 31), dt.date(2020, 1, 1),
                         dt.date(2023, 12, 31), dt.date(2024, 1, 1)], pa.date32()))
    wide = tk.profile(t, valid_dates=("1800-01-01", dt.date(2100, 1, 1)))
    assert wide.report.rows_dropped == 0 and len(wide) == 5
    narrow = tk.profile(t, valid_dates=(dt.datetime(2020, 1, 1, 12), "2023-12-31"), on_invalid="drop")
    assert narrow.to_pandas().index.tolist() == [3, 4]
    assert [(d.problem, d.rows) for d in narrow.report.dropped] == [
        ("dated before 2020-01-01 (the first of valid_dates)", 2),
        ("dated after 2023-12-31 (the last of valid_dates)", 1)]
    with pytest.raises(tk.InvalidInput, match="valid_dates must run forwards; got 2024-01-01 after 2023-01-01"):
        tk.profile(t, valid_dates=("2024-01-01", "2023-01-01"))
    for bad in ("2020-01-01", ("2020-01-01",), ("2020-01-01", None)):
        with pytest.raises(tk.InvalidInput, match="valid_dates"):
            tk.profile(t, valid_dates=bad)


def test_valid_dates_come_before_the_window_and_travel_with_a_builder():
    t = _dated(pa.array([dt.date(1800, 1, 1), dt.date(2024, 1, 1), dt.date(2022, 1, 1)], pa.date32()))
    p = tk.profile(t, window_start="2023-01-01", as_of="2025-01-01", on_invalid="drop")
    assert p.report.rows_dropped == 1 and p.report.rows_outside_window == 1
    b = tk.ProfileBuilder(valid_dates=("2023-06-01", "2030-12-31"), on_invalid="drop")
    again = tk.ProfileBuilder.from_bytes(b.to_bytes())  # before any data, and after
    again.update(t)
    assert again.finish().report.rows_dropped == 2
    assert tk.ProfileBuilder.from_bytes(again.to_bytes()).update(t).finish().report.rows_dropped == 4
    import pickle
    assert pickle.loads(pickle.dumps(again)).finish().report.rows_dropped == 2
    # A builder saved before valid_dates (no such setting in its header) gets the default.
    import json
    data = tk.ProfileBuilder(on_invalid="drop").to_bytes()
    magic = data[:data.index(b"{") - 8]
    n = int.from_bytes(data[len(magic):len(magic) + 8], "little")
    head = json.loads(data[len(magic) + 8:len(magic) + 8 + n])
    del head["settings"]["valid_dates"]
    new = json.dumps(head, sort_keys=True).encode()
    old = tk.ProfileBuilder.from_bytes(magic + len(new).to_bytes(8, "little") + new + data[len(magic) + 8 + n:])
    assert old.update(t).finish().report.rows_dropped == 1  # 1800-01-01, by the default


def test_invalid_rows_are_named_counted_and_never_dropped_silently():
    t = pa.table({
        "customer_id": pa.array([1, None, 3, 4, 5], pa.int64()),
        "time": pa.array([1, 2, None, 4, 5], pa.int32()).cast(pa.date32()),
        "amount": pa.array([1.0, 2.0, float("nan"), float("inf"), None]),
    })
    with pytest.raises(tk.InvalidInput) as e:
        tk.profile(t)
    msg = str(e.value)
    assert "4 rows of 5 are invalid" in msg
    for part in ("column 'customer_id': 1 row is null", "column 'time': 1 row is null",
                 "column 'amount': 1 row is NaN", "column 'amount': 1 row is infinite",
                 "column 'amount': 1 row is null"):
        assert part in msg
    assert isinstance(e.value, ValueError)
    p = tk.profile(t, on_invalid="drop")
    assert len(p) == 1 and p.report.rows_dropped == 4
    assert {(d.column, d.problem): d.rows for d in p.report.dropped} == {
        ("customer_id", "null"): 1, ("time", "null"): 1, ("amount", "NaN"): 1,
        ("amount", "infinite"): 1, ("amount", "null"): 1}
    assert "dropped: column 'amount': 1 rows NaN" in str(p.report)


def test_string_keys_sharing_a_megabyte_prefix_are_profiled_in_key_order():
    # Key order is by bytes; a long shared prefix used to cost a nested sort round per 8 bytes.
    prefix = "k" * (1 << 20)
    keys = [prefix + "b", prefix + "a", prefix + "b", prefix, prefix + "a" * 9, "k" * 1000 + "z"]
    t = pa.table({"customer_id": keys, "time": pa.array([1, 2, 3, 4, 5, 6], pa.date32()),
                  "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    out = tk.profile(t).to_arrow()
    assert out.column("customer_id").to_pylist() == sorted(set(keys))
    assert out.column("monetary").to_pylist() == [4.0, 2.0, 5.0, 4.0, 6.0]


def unmix64(h: int) -> int:
    """The inverse of MurmurHash3's 64-bit finalizer, the unkeyed hash keys were hashed with."""
    m = (1 << 64) - 1
    h ^= h >> 33
    h = h * pow(0xc4ceb9fe1a85ec53, -1, 1 << 64) & m
    h ^= h >> 33
    h = h * pow(0xff51afd7ed558ccd, -1, 1 << 64) & m
    return h ^ (h >> 33)


def test_keys_made_to_collide_under_the_old_unkeyed_hash_are_profiled():
    # 10^5 keys whose old hash ends in 32 zero bits (one probe chain: minutes of probing at
    # 10^6); the key hash is keyed per process now. The C++ tests check the probe lengths.
    keys = np.array([unmix64(i << 32) for i in range(1, 100_001)], dtype=np.uint64).view(np.int64)
    t = pa.table({"customer_id": np.repeat(keys, 2),
                  "time": pa.array(np.full(200_000, 19_000, dtype=np.int32), pa.date32()),
                  "amount": np.ones(200_000)})
    out = tk.profile(t).to_arrow()
    assert out.column("customer_id").to_numpy().tolist() == np.sort(keys).tolist()
    assert out.column("transactions").to_numpy().tolist() == [2] * 100_000


def test_profiles_are_the_same_in_processes_with_different_hash_keys():
    # Each process draws its own hash key; layouts differ, results must not.
    script = (
        "import hashlib, tierkit as tk\n"
        "h = hashlib.sha256()\n"
        "for ids in ('sparse', 'text'):\n"
        "    tx = tk.demo.transactions(customers=3000, transactions=40000, ids=ids, seed=8)\n"
        "    t = tk.profile(tx, order='order_id', channel='channel', category='category').to_arrow()\n"
        "    for c in t.columns:\n"
        "        h.update(repr(c.to_pylist()).encode())\n"
        "print(h.hexdigest())\n")
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
            for _ in range(3)}
    assert len(runs) == 1


def test_shape_errors_name_the_column():
    df = pd.DataFrame({"customer_id": [1], "time": [pd.Timestamp("2024-01-01")], "amount": [1.0]})
    with pytest.raises(tk.SchemaError, match=r"no column 'amout' for the amount \(did you mean 'amount'\?\)"):
        tk.profile(df, amount="amout")
    with pytest.raises(tk.SchemaError, match="holds strings; parse it"):
        tk.profile(df.assign(time=["2024-01-01"]))
    with pytest.raises(tk.SchemaError, match=r"column 'amount' \(bool\) has an unsupported type"):
        tk.profile(df.assign(amount=[True]))
    with pytest.raises(tk.InvalidInput, match="no transactions to profile: 0 rows read"):
        tk.profile(df.iloc[:0])
    with pytest.raises(tk.InvalidInput, match="on_invalid must be 'raise' or 'drop'"):
        tk.profile(df, on_invalid="ignore")
    with pytest.raises(tk.InvalidInput, match="period must be one of"):
        tk.profile(df, period="fortnight")
    with pytest.raises(tk.InvalidInput, match="unknown time zone 'Mars/Olympus'"):
        tk.profile(df, time_zone="Mars/Olympus")
    with pytest.raises(tk.InvalidInput, match="cannot read 'yesterday' as a date"):
        tk.profile(df, as_of="yesterday")


def test_customers_without_purchases_are_kept_with_nulls():
    df = pd.DataFrame({"customer_id": [1, 2], "time": pd.to_datetime(["2024-01-01"] * 2),
                       "amount": [10.0, -4.0]})
    p = tk.profile(df).to_pandas()
    assert p.loc[2, "monetary"] == -4.0
    assert pd.isna(p.loc[2, "recency"]) and pd.isna(p.loc[2, "first_purchase"])
    assert pd.isna(p.loc[2, "average_order_value"])
    assert p.loc[2, "frequency"] == 0 and p.loc[2, "returns"] == 1


def test_builder_updates_merges_and_copies():
    df = make_transactions(seed=11)
    whole = tk.profile(df, order="order_id").to_arrow()
    a = tk.ProfileBuilder(order="order_id").update(df.iloc[:5000])
    b = tk.ProfileBuilder(order="order_id").update(df.iloc[5000:12000])
    c = tk.ProfileBuilder(order="order_id").update(df.iloc[12000:])
    snapshot = a.copy()
    assert c.merge(a).merge(b).finish().to_arrow().equals(whole)
    assert snapshot.finish().report.rows_read == 5000
    bad = df.iloc[:10].assign(amount=np.nan)
    with pytest.raises(tk.InvalidInput):
        a.update(bad)
    assert a.rows_read == 5000  # unchanged by the failed update
    with pytest.raises(tk.InvalidInput, match="as_of dates differ"):
        a.merge(tk.ProfileBuilder(order="order_id", as_of="2030-01-01"))
    assert "ProfileBuilder(customer='customer_id'" in repr(a)


@pytest.mark.parametrize("ids", ["int", "str"])
def test_one_builder_fed_from_several_threads_gives_the_sequential_profile(ids):
    # update() runs without the GIL: calls on one builder from several threads take turns
    # (and merges of builders others are updating, copies and counts wait for them too).
    df = make_transactions(seed=5, ids=ids)
    chunks = [pa.Table.from_pandas(df.iloc[i:i + 250], preserve_index=False)
              for i in range(0, len(df), 250)]
    whole = tk.profile(df, order="order_id", threads=1).to_arrow()
    for _ in range(3):
        shared = tk.ProfileBuilder(order="order_id", threads=1)
        side = tk.ProfileBuilder(order="order_id", threads=1)

        def work(k, shared=shared, side=side):  # bound now: the builders of this round
            if k % 5 == 4:                       # side builders, merged in while others update
                side_k = tk.ProfileBuilder(order="order_id", threads=1).update(chunks[k])
                shared.merge(side_k)
            elif k % 7 == 6:                     # the side builder, updated here, merged at the end
                side.update(chunks[k])
            else:
                shared.update(chunks[k])
            shared.copy()                        # reads the state while others change it
            return shared.rows_read

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(len(chunks))))
        assert shared.merge(side).finish().to_arrow().equals(whole)
    with pytest.raises(tk.InvalidInput, match="cannot merge a profile state with itself"):
        shared.merge(shared)


def test_without_purchase_days_the_other_columns_are_the_full_profiles():
    df = make_transactions(seed=3)
    full = tk.profile(df, order="order_id").to_arrow()
    lean = tk.profile(df, order="order_id", purchase_days=False)
    day_columns = ["previous_purchase", "median_gap", "purchase_days"]
    assert not lean.has_purchase_days and tk.profile(df).has_purchase_days
    assert lean.to_arrow().equals(full.drop_columns(day_columns))
    builder = tk.ProfileBuilder(order="order_id", purchase_days=False)
    builder.update(df.iloc[:7000]).merge(
        tk.ProfileBuilder(order="order_id", purchase_days=False).update(df.iloc[7000:]))
    assert builder.finish().to_arrow().equals(lean.to_arrow())
    with pytest.raises(tk.InvalidInput, match="purchase days settings differ"):
        builder.merge(tk.ProfileBuilder(order="order_id"))
    # RFM by orders and ABC need no purchase days; a lifecycle does, and says so
    assert tk.score(lean, tk.RFM(), tk.ABC()).to_arrow().equals(
        tk.score(tk.profile(df, order="order_id"), tk.RFM(), tk.ABC()).to_arrow())
    with pytest.raises(tk.SchemaError, match="no metric column 'last_gap': the profile was "
                                             "built with purchase_days off"):
        tk.score(lean, tk.Lifecycle())
    with pytest.raises(tk.SchemaError, match="no column 'median_gap': the profile was built "
                                             "with purchase_days=False"):
        lean.column("median_gap")
    with pytest.raises(tk.SchemaError, match="did you mean 'monetary'"):
        lean.column("monetry")
    with pytest.raises(tk.SchemaError, match="no metric column 'purchase_days': the profile "
                                             "was built with purchase_days off"):
        tk.RFM.preset("pymc_marketing").fit(lean)
    # rules and kept columns that read a left-out column say why
    with pytest.raises(tk.SchemaError, match="'previous_purchase' no input has: the profile "
                                             "was built with purchase_days=False"):
        tk.TierPolicy([("A", "previous_purchase is not null")], default="B").assign(lean)
    # a lifecycle model applied to a lean profile with prospects keeps the reason
    model = tk.Lifecycle().fit(tk.profile(df, order="order_id"))
    prospects = pd.DataFrame({"customer_id": [10**6]})
    with pytest.raises(tk.SchemaError, match="built with purchase_days off"):
        model.apply(lean, prospects=prospects)
    # the reports of a lean profile work as for any profile
    assert "tierkit.Profile" in repr(lean) and "<table>" in lean._repr_html_()
    assert lean.summary()["customers"] == full.num_rows
    assert "revenue:" in lean.describe()
    with pytest.raises(tk.InvalidInput, match="purchase_days must be True or False; got 'no'"):
        tk.profile(df, purchase_days="no")
    with pytest.raises(tk.InvalidInput, match="spend_series must be True or False; got 1"):
        tk.ProfileBuilder(spend_series=1)
    assert not tk.profile(df, purchase_days=np.bool_(False)).has_purchase_days


def test_without_the_spend_series_value_x_potential_says_why():
    p = tk.profile(make_transactions(seed=4), spend_series=False)
    with pytest.raises(tk.SchemaError, match="no metric column 'spend_growth': the profile was "
                                             "built with spend_series off"):
        tk.ValuePotential().fit(p)


def test_reprs_and_summary():
    p = tk.profile(tk.demo.transactions(500, 5000), order="order_id")
    assert repr(p).startswith("<tierkit.Profile: ")
    html = p._repr_html_()
    assert "<table>" in html and "net revenue" in html
    s = p.summary()
    assert s["transactions"] == 5000
    assert 0 < s["top20_share"] <= 1
    assert "concentration: the top 20% of customers hold" in p.describe()
    assert set(tk.Profile.column_docs) >= set(p.to_arrow().column_names[1:])


def test_an_update_larger_than_one_chunk_agrees_with_the_reference():
    # 2.5 million rows: more than one internal chunk of 2^21 rows, with 60,000 customers.
    t = tk.demo.transactions(60_000, 2_500_000, seed=21, time_ordered=False)
    p = tk.profile(t, order="order_id")
    df = t.select(["customer_id", "time", "amount", "order_id"]).to_pandas()
    compare(p, reference_profile(df, order="order_id"))


def test_columns_of_different_lengths_and_bad_settings_are_named():
    with pytest.raises(tk.SchemaError, match="cannot read the dict of columns"):
        tk.profile({"customer_id": np.array([1, 2]), "time": np.array(["2024-01-01"], "datetime64[D]"),
                    "amount": np.array([1.0, 2.0])})
    df = pd.DataFrame({"customer_id": [1], "time": pd.to_datetime(["2024-01-01"]), "amount": [1.0]})
    with pytest.raises(tk.InvalidInput, match="threads must be a non-negative integer"):
        tk.profile(df, threads=-1)
    with pytest.raises(tk.InvalidInput, match="offset_seconds must lie strictly between"):
        tk.profile(df, time_zone="+25:00")
    with pytest.raises(tk.InvalidInput, match="window_start 2024-02-01 must be before as_of 2024-01-01"):
        tk.profile(df, window_start="2024-02-01", as_of="2024-01-01")


def _profile_totals(seed):
    """A worker process's job: profile demo data large enough to use several threads."""
    t = tk.demo.transactions(5_000, 300_000, seed=seed)
    p = tk.profile(t, order="order_id")
    return len(p), float(np.sum(p.column("monetary")))


def test_profiles_in_forked_worker_processes_after_the_parent_profiled():
    # Dask and PySpark workers may be forked from a process that has used tierkit: the
    # child has none of the parent's pooled threads and must start its own.
    multiprocessing = pytest.importorskip("multiprocessing")
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    expected = [_profile_totals(seed) for seed in (1, 2)]  # the parent's pool is now running
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map_async(_profile_totals, [1, 2]).get(timeout=120)
    assert got == expected


INTERRUPTED_PROFILE = r"""
import signal, sys, time
import pyarrow as pa
import tierkit as tk
signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started ignoring SIGINT
t = tk.demo.transactions(40_000, 1_000_000, seed=1)
big = pa.concat_tables([t] * 150)  # 1.5e8 rows sharing one table's buffers: many seconds
print("ready", flush=True)
start = time.monotonic()
try:
    tk.profile(big, order="order_id")
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - start:.2f} s", flush=True)
    raise
print("finished", flush=True)
"""


def test_ctrl_c_during_a_long_profile_raises_keyboard_interrupt_at_once():
    child = subprocess.Popen([sys.executable, "-c", INTERRUPTED_PROFILE], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = child.communicate(timeout=120)
        waited = time.monotonic() - sent
    finally:
        child.kill()
    assert "finished" not in out and "interrupted after" in out
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert waited < 2.0, f"the profile ran on for {waited:.2f} s after Ctrl-C"
