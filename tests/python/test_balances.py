"""Average daily balances against an independent pandas computation on the real Czech bank
data (Berka, PKDD'99): transactions carry the balance after each movement; accounts map to
clients through disp.asc."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tierkit as tk
from conftest import shared_data


@pytest.fixture(scope="module")
def berka():
    root = shared_data("berka-pkdd99")
    tr = pd.read_csv(root / "trans_19930101-19940330.asc", sep=";", dtype={"date": str})
    tr["date"] = pd.to_datetime(tr["date"], format="%y%m%d")
    disp = pd.read_csv(root / "disp.asc", sep=";")
    return tr, disp


def reference_adb(tr: pd.DataFrame, start: str, through: str) -> pd.DataFrame:
    """Daily closing balance = the day's last balance in file order, carried forward over
    days without movements, 0 before the first; monthly mean over the days in range."""
    closing = tr.groupby(["account_id", "date"], sort=True)["balance"].last()
    days = pd.date_range(start, pd.Timestamp(through) - pd.Timedelta(days=1), freq="D")
    out = []
    for acc, s in closing.groupby(level=0):
        daily = s.droplevel(0).reindex(days).ffill().fillna(0.0)
        m = daily.groupby(daily.index.to_period("M")).mean()
        out.append(pd.DataFrame({"account_id": acc, "period_start": m.index.start_time, "adb": m.values}))
    return pd.concat(out, ignore_index=True)


def test_account_averages_agree_with_pandas_on_berka(berka):
    tr, _ = berka
    adb = tk.average_daily_balances(tr, account="account_id", time="date", value="balance")
    assert adb.report["through"] == "1994-03-31" and adb.report["rows_used"] == len(tr)
    got = adb.to_pandas(index=False)
    ref = reference_adb(tr, "1993-01-01", "1994-03-31")
    assert len(got) == len(ref) == 1229 * 15
    np.testing.assert_array_equal(got["account_id"], ref["account_id"])
    np.testing.assert_array_equal(pd.to_datetime(got["period_start"]), ref["period_start"])
    np.testing.assert_allclose(got["average_daily_balance"], ref["adb"], rtol=1e-9, atol=1e-6)
    march = pd.to_datetime(got["period_start"]) == pd.Timestamp("1994-03-01")
    assert got.loc[march, "days"].unique().tolist() == [30]  # 1994-03-31 is not in the data


def test_customer_sums_and_asset_bands_on_berka(berka):
    tr, disp = berka
    adb = tk.average_daily_balances(tr, account="account_id", time="date", value="balance")
    owners = disp[disp["type"] == "OWNER"]
    cb = adb.by_customer(owners, customer="client_id")
    assert cb.accounts_without_events == 4500 - 1229
    got = cb.to_pandas(index=False)
    got["period_start"] = pd.to_datetime(got["period_start"])
    ref = reference_adb(tr, "1993-01-01", "1994-03-31").merge(owners, on="account_id") \
        .groupby(["client_id", "period_start"], as_index=False)["adb"].sum()
    merged = got.merge(ref, left_on=["client_id", "period_start"], right_on=["client_id", "period_start"])
    assert len(merged) == len(ref)
    np.testing.assert_allclose(merged["average_daily_balance"], merged["adb"], rtol=1e-9, atol=1e-6)
    with pytest.raises(tk.InvalidInput, match="repeat an account"):
        adb.by_customer(disp, customer="client_id")  # owners and disponents share accounts


def test_movements_form_and_weights():
    ev = pd.DataFrame({"account_id": ["a", "a", "b"],
                       "date": pd.to_datetime(["2024-01-16", "2024-02-15", "2024-01-01"]),
                       "amount": [100.0, -50.0, 10.0]})
    adb = tk.average_daily_balances(ev, value="amount", input="movements",
                                    start_balances=pd.DataFrame({"account_id": ["a"], "balance": [1000.0]}),
                                    through="2024-03-01")
    df = adb.to_pandas(index=False)
    assert df["average_daily_balance"].round(4).tolist() == \
        [round((15 * 1000 + 16 * 1100) / 31, 4), round((14 * 1100 + 15 * 1050) / 29, 4), 10.0, 10.0]
    owners = pd.DataFrame({"account_id": ["a", "b"], "customer_id": [7, 7], "kind": ["deposit", "fund"]})
    cb = adb.by_customer(owners, asset_type="kind", weights={"deposit": 1.0, "fund": 0.5})
    assert cb.latest().to_pandas()["adb"].round(4).tolist() == [round((14 * 1100 + 15 * 1050) / 29 + 5, 4)]
    with pytest.raises(tk.InvalidInput, match="input must be"):
        tk.average_daily_balances(ev, value="amount", input="weekly")


def test_no_events_and_bad_columns_are_named():
    empty = pd.DataFrame({"account_id": pd.Series([], dtype="int64"),
                          "date": pd.Series([], dtype="datetime64[ns]"), "balance": pd.Series([], dtype=float)})
    with pytest.raises(tk.InvalidInput, match="no balance events to average"):
        tk.average_daily_balances(empty)
    with pytest.raises(tk.SchemaError, match="no column 'balanse'"):
        tk.average_daily_balances(empty, value="balanse")


def test_events_dated_outside_valid_dates_are_invalid_rows():
    ev = pd.DataFrame({"account_id": [1, 1, 2], "balance": [5.0, 7.0, 9.0],
                       "date": pd.to_datetime(["1899-12-31", "2024-01-01", "2024-01-02"])})
    with pytest.raises(tk.InvalidInput, match=r"column 'date': 1 row is dated before 1900-01-01"):
        tk.average_daily_balances(ev)
    dropped = tk.average_daily_balances(ev, on_invalid="drop")
    assert dropped.report["rows_dropped"] == 1 and dropped.report["from"] == "2024-01-01"
    assert dropped.report["dropped"] == [{"column": "date", "rows": 1,
                                          "problem": "dated before 1900-01-01 (the first of valid_dates)"}]
    wide = tk.average_daily_balances(ev, valid_dates=("1899-01-01", "2024-12-31"))
    assert wide.report["rows_dropped"] == 0 and wide.report["from"] == "1899-12-01"


@pytest.mark.parametrize("numbers", ["sparse", "compact"])
def test_same_averages_on_any_thread_count_and_row_order(numbers):
    # 300,000 events of 20,000 accounts over two years, one event per account and day: enough
    # rows for two threads and several blocks of accounts. Sparse account numbers are hashed;
    # compact ones (every other number of a range: half of it) are numbered by value, with
    # holes. Rows in day order, then reversed (every account's events arrive descending and
    # are sorted first): the same averages. The movements form starts from start balances,
    # among them a number that is a hole and one outside every range.
    rng = np.random.default_rng(5)
    n, accounts = 300_000, 20_000
    pairs = np.unique(np.stack([rng.integers(0, accounts, 2 * n), rng.integers(0, 730, 2 * n)], 1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n]]
    number = (lambda a: a * 7919 + 13) if numbers == "sparse" else (lambda a: 2 * a + 1000)
    ev = pd.DataFrame({"account_id": number(pairs[:, 0]),
                       "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(pairs[:, 1], unit="D"),
                       "balance": rng.integers(-10**6, 10**8, n) / 100})
    ev = ev.sort_values("date", kind="stable", ignore_index=True)
    starts = pd.DataFrame({"account_id": [number(0), number(7), 1001, 10**12], "balance": [5.0, -7.5, 9.0, 3.0]})
    results = {}
    for form in ("after_movement", "movements"):
        extra = {"start_balances": starts} if form == "movements" else {}
        one = tk.average_daily_balances(ev, input=form, period="quarter", threads=1, **extra).to_pandas(index=False)
        assert len(one) == accounts * 8 and 1001 not in set(one["account_id"])
        for threads in (2, None):
            got = tk.average_daily_balances(ev, input=form, period="quarter", threads=threads, **extra)
            pd.testing.assert_frame_equal(got.to_pandas(index=False), one)
        backwards = tk.average_daily_balances(ev.iloc[::-1], input=form, period="quarter", threads=2, **extra)
        pd.testing.assert_frame_equal(backwards.to_pandas(index=False), one)
        results[form] = one
    # A start balance shifts every day of its account, so every quarter's average, by itself.
    bare = tk.average_daily_balances(ev, input="movements", period="quarter").to_pandas(index=False)
    shift = results["movements"]["average_daily_balance"] - bare["average_daily_balance"]
    for account, start in ((number(0), 5.0), (number(7), -7.5), (number(1), 0.0)):
        np.testing.assert_allclose(shift[bare["account_id"] == account], start, atol=1e-9)
    with pytest.raises(tk.InvalidInput, match="threads must be a non-negative integer"):
        tk.average_daily_balances(ev, threads=-1)
    with pytest.raises(tk.InvalidInput, match="threads must be a non-negative integer"):
        tk.average_daily_balances(ev, threads=True)
    assert len(tk.average_daily_balances(ev.head(1000), threads=np.int64(2)).to_pandas()) > 0


def test_account_and_customer_keys_sharing_a_megabyte_prefix_are_ordered():
    prefix = "acct-" + "0" * (1 << 20)
    accounts = [prefix + "2", prefix + "1", prefix + "2", prefix]
    ev = pd.DataFrame({"account_id": accounts,
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-16", "2024-01-01"]),
                       "balance": [100.0, 31.0, 200.0, 62.0]})
    adb = tk.average_daily_balances(ev, through="2024-02-01")
    got = adb.to_pandas(index=False)
    assert [len(a) - len(prefix) for a in got.account_id] == [0, 1, 1]
    assert got.account_id.tolist() == sorted(set(accounts))
    assert got.average_daily_balance.tolist() == pytest.approx([62.0, 31.0, (15 * 100.0 + 16 * 200.0) / 31])
    owners = pd.DataFrame({"account_id": sorted(set(accounts)),
                           "customer_id": [prefix + "c", prefix + "b", prefix + "c"]})
    by_customer = adb.by_customer(owners).to_pandas(index=False)
    assert [c[-1] for c in by_customer.customer_id] == ["b", "c"]
    assert by_customer.average_daily_balance.tolist() == pytest.approx([31.0, 62.0 + (15 * 100.0 + 16 * 200.0) / 31])


def test_compact_account_numbers_with_gaps_match_sparse_ones():
    # Account numbers 1,000..6,999 with every third one missing fill two thirds of their
    # range: numbered by value, with holes (and one more hole: an account whose only event
    # is invalid and dropped). The same events under sparse numbers (hashed) must average
    # alike, account for account.
    rng = np.random.default_rng(11)
    ids = np.array([a for a in range(1000, 7000) if a % 3 != 0])
    n = 50_000
    ev = pd.DataFrame({"account_id": rng.choice(ids, n),
                       "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"),
                       "balance": rng.integers(0, 10**7, n) / 100})
    lone = pd.DataFrame({"account_id": [7001], "date": [pd.Timestamp("2024-02-01")], "balance": [np.nan]})
    ev = pd.concat([ev, lone], ignore_index=True)
    compact = tk.average_daily_balances(ev, on_invalid="drop").to_pandas(index=False)
    sparse_ev = ev.assign(account_id=ev["account_id"] * 1_000_003 + 7)
    sparse = tk.average_daily_balances(sparse_ev, on_invalid="drop").to_pandas(index=False)
    assert compact["account_id"].nunique() == len(np.unique(ev["account_id"][:n])) and \
        7001 not in set(compact["account_id"])
    sparse["account_id"] = (sparse["account_id"] - 7) // 1_000_003
    pd.testing.assert_frame_equal(compact, sparse)
