"""tk.TierHistory: assessments over a calendar, checked against a plain pandas computation of
each assessment's profile and a customer-by-customer replay of the transition rules."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk
from reference_over_time import assessment_frames, replay

RULES = [("Gold", "monetary >= 1500"), ("Silver", "monetary >= 400 or frequency >= 6")]
RANKS = ["Gold", "Silver", "Bronze"]


def _tiering(rules=RULES, **transactions):
    roles = dict(customer="customer_id", time="time", amount="amount", order="order_id")
    roles.update(transactions)
    return tk.Tiering(tk.TierPolicy(rules, default="Bronze"), transactions=roles)


def _raw_pandas(frame: pd.DataFrame) -> dict:
    """The policy's raw tier per customer, from the reference frame."""
    gold = frame["monetary"] >= 1500
    silver = (frame["monetary"] >= 400) | (frame["frequency"] >= 6)
    tier = np.where(gold, "Gold", np.where(silver, "Silver", "Bronze"))
    return dict(zip(frame.index, tier))


def _dates_as_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as datetime.date, to compare with the reference's dates."""
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.date
    return df


def _held_by_date(ledger) -> dict:
    r = _dates_as_dates(ledger.records().to_pandas())
    return {d: dict(zip(g["customer_id"], g["tier"].astype(str))) for d, g in r.groupby("assessment")}


@pytest.fixture(scope="module")
def demo():
    t = tk.demo.transactions(1500, 40_000, seed=11)
    df = t.to_pandas()
    df["day"] = df["time"].dt.date
    return t, df


def test_raw_tiers_equal_a_pandas_computation_of_each_window(demo):
    t, df = demo
    ledger = tk.TierHistory(_tiering(), window_months=6).run(t)
    dates = ledger.dates
    assert dates[0] == dt.date(2021, 2, 1) and dates[-1] == dt.date(2024, 1, 1)
    frames = assessment_frames(df, dates, 6)
    records = _dates_as_dates(ledger.records().to_pandas())
    for d in dates[::5]:
        got = records[records["assessment"] == d].set_index("customer_id").sort_index()
        want = frames[d]
        assert list(got.index) == list(want.index)
        assert got["raw_tier"].astype(str).to_dict() == _raw_pandas(want)


@pytest.mark.parametrize("transitions,protect", [
    ({}, 0),
    ({"Gold": {"downgrade_after": 3}, "Silver": {"downgrade_after": 2}}, 0),
    ({"Gold": {"upgrade_after": 2, "downgrade_after": 2, "downgrade_to": "one_step"},
      "Silver": {"upgrade_after": 3}}, 0),
    ({"Gold": {"downgrade_after": 4}}, 120),
])
def test_held_tiers_equal_a_replay_of_the_transition_rules(demo, transitions, protect):
    t, df = demo
    ledger = tk.TierHistory(_tiering(), window_months=3, transitions=transitions,
                            protect_new_days=protect).run(t)
    frames = assessment_frames(df, ledger.dates, 3)
    raw = {d: _raw_pandas(f) for d, f in frames.items()}
    first = {d: f["first_purchase"].dropna().to_dict() for d, f in frames.items()}
    want = replay(raw, RANKS, transitions, protect, first)
    got = _held_by_date(ledger)
    for d in ledger.dates:
        assert got[d] == want[d], d
    ledger.check()


def test_spells_cover_each_day_with_the_records_tier(demo):
    t, _ = demo
    ledger = tk.TierHistory(_tiering(), window_months=12, transitions={"Gold": {"downgrade_after": 2}}).run(t)
    spells = ledger.spells().to_pandas(index=False)
    assert spells.groupby("customer_id")["effective_to"].apply(lambda s: s.isna().sum()).eq(1).all()
    for d in ledger.dates[::7]:
        at = ledger.at(d).to_pandas()["tier"].astype(str).to_dict()
        rec = _dates_as_dates(ledger.records(d).to_pandas()).set_index("customer_id")["tier"].astype(str).to_dict()
        assert at == rec
        # The spells covering d, found by hand.
        start, end = pd.to_datetime(spells["effective_from"]), pd.to_datetime(spells["effective_to"])
        open_then = spells[(start <= pd.Timestamp(d)) & (end.isna() | (end > pd.Timestamp(d)))]
        assert dict(zip(open_then["customer_id"], open_then["tier"].astype(str))) == at


def test_all_history_window_and_refit_settings(demo):
    t, df = demo
    every = tk.TierHistory(_tiering(), window_months=None).run(t)
    frames = assessment_frames(df, every.dates, None)
    d = every.dates[-1]
    got = every.records(d).to_pandas().set_index("customer_id")["raw_tier"].astype(str).to_dict()
    assert got == _raw_pandas(frames[d])
    strat = tk.Tiering(tk.TierPolicy([("Top", "r_score >= 4 and m_score >= 4")], default="Rest"),
                       transactions=dict(customer="customer_id", time="time", amount="amount"),
                       strategies=[{"rfm": {}}])
    first = tk.TierHistory(strat, refit="first").run(t)
    assert first.settings["refit"] == "first"
    models = first._engine.models_by_date
    cuts = [m["rfm"].cuts.to_arrow() for m in models.values()]
    assert all(c.equals(cuts[0]) for c in cuts)  # frozen at the first assessment
    refit = tk.TierHistory(strat).run(t)
    cuts = [m["rfm"].cuts.to_arrow() for m in refit._engine.models_by_date.values()]
    assert not all(c.equals(cuts[0]) for c in cuts)
    given_models = tk.TierHistory(strat, models=next(iter(models.values()))).run(t)
    assert given_models.settings["refit"] == "given models"
    assert given_models.records().to_arrow().equals(first.records().to_arrow())
    assert given_models.settings["fingerprint"] != first.settings["fingerprint"]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), split=st.integers(1, 30), months=st.sampled_from([1, 3, 12, None]))
def test_advancing_gives_the_ledger_of_one_run(seed, split, months):
    t = tk.demo.transactions(200, 3000, seed=seed)
    hist = dict(window_months=months, transitions={"Gold": {"downgrade_after": 3, "upgrade_after": 2}})
    whole = tk.TierHistory(_tiering(), **hist).run(t)
    dates = whole.dates
    k = min(split, len(dates) - 1)
    # The rows up to the k-th date, then each later month's rows.
    day = pa.compute.cast(t.column("time"), pa.date32())
    before = t.filter(pa.compute.less(day, pa.scalar(dates[k - 1], pa.date32())))
    part = tk.TierHistory(_tiering(), end=dates[k - 1], start=dates[0], **hist).run(before)
    for j in range(k, len(dates)):
        lo, hi = dates[j - 1], dates[j]
        rows = t.filter(pa.compute.and_(pa.compute.greater_equal(day, pa.scalar(lo, pa.date32())),
                                        pa.compute.less(day, pa.scalar(hi, pa.date32()))))
        part.advance(rows)
    assert part.dates == dates
    assert part == whole
    part.check()
    # Saved and loaded, the ledger is the same.
    assert tk.TierLedger.from_bytes(part.to_bytes()) == whole


def test_advance_refuses_rows_of_assessed_periods(demo):
    t, _ = demo
    ledger = tk.TierHistory(_tiering(), end="2023-06-01").run(t)
    with pytest.raises(tk.InvalidInput, match="rows are dated before the last assessment"):
        ledger.advance(t)


def test_rows_dated_outside_valid_dates_place_no_assessment_and_are_invalid(demo):
    t, _ = demo
    utc = dt.timezone.utc
    placeholder = pa.array([dt.datetime(1, 1, 1, tzinfo=utc), dt.datetime(1850, 6, 1, tzinfo=utc)],
                           t.schema.field("time").type)
    bad = pa.concat_tables([t, t.slice(0, 2).set_column(t.schema.get_field_index("time"), "time", placeholder)])
    with pytest.raises(tk.InvalidInput, match=r"2 rows are dated before 1900-01-01 \(the first of valid_dates\)"):
        tk.TierHistory(_tiering(), window_months=6).run(bad)
    clean = tk.TierHistory(_tiering(), window_months=6).run(t)
    dropped = tk.TierHistory(_tiering(on_invalid="drop"), window_months=6).run(bad)
    assert dropped.dates == clean.dates  # the assessments start where the valid rows do
    assert dropped.report["rows_dropped"] == 2
    assert dropped.report["dropped"] == [{"column": "time", "rows": 2,
                                          "problem": "dated before 1900-01-01 (the first of valid_dates)"}]
    assert _held_by_date(dropped) == _held_by_date(clean)
    wide = tk.TierHistory(_tiering(on_invalid="drop", valid_dates=["1800-01-01", "2100-01-01"]),
                          end="2024-01-01").run(bad)
    assert wide.dates[0] == dt.date(1850, 7, 1) and wide.report["rows_dropped"] == 1


def test_one_thread_gives_the_ledger_of_all_cores(demo):
    t, _ = demo
    hist = tk.TierHistory(_tiering(), transitions={"Gold": {"downgrade_after": 3}})
    assert hist.run(t, threads=1) == hist.run(t)


@pytest.mark.parametrize("threads", [1, None])
def test_invalid_rows_in_later_periods_raise_the_error_of_the_whole_table(threads):
    t = tk.demo.transactions(300, 6000, seed=3)
    amount = t.column("amount").to_pylist()
    amount[3000] = amount[5990] = None  # in two periods after the first
    t = t.set_column(t.column_names.index("amount"), "amount", pa.array(amount, pa.float64()))
    with pytest.raises(tk.InvalidInput, match="2 rows of 6,000 are invalid: column 'amount': 2 rows are null"):
        tk.TierHistory(_tiering()).run(t, threads=threads)


def test_overrides_and_the_policy_file(tmp_path, demo):
    t, _ = demo
    overrides = pa.table({"customer_id": [5, 9], "tier": ["Gold", "Silver"],
                          "from": [dt.date(2022, 3, 15), dt.date(2022, 1, 1)],
                          "to": [dt.date(2022, 9, 10), None], "kind": ["fixed", "floor"],
                          "reason": ["retention", "vip"], "operator": ["ops", "ops"]})
    ledger = tk.TierHistory(_tiering(), overrides=overrides).run(t)
    h5 = ledger.history(5).to_pandas(index=False)
    assert ((h5["tier"].astype(str) == "Gold") &
            (pd.to_datetime(h5["effective_from"]) <= pd.Timestamp("2022-03-15"))).any()
    assert ledger.at("2022-06-01").to_pandas().loc[5, "tier"] == "Gold"
    nine = _dates_as_dates(ledger.records().to_pandas())
    nine = nine[(nine["customer_id"] == 9) & (nine["assessment"] >= dt.date(2022, 1, 1))]
    assert (nine["tier"].astype(str) != "Bronze").all()  # the floor holds Silver
    ledger.check()
    (tmp_path / "over.csv").write_text("customer_id,tier,from,to,kind\n5,Gold,2022-03-15,2022-09-10,fixed\n")
    (tmp_path / "p.yaml").write_text(
        "tierkit: 1\ntransactions: {customer: customer_id, time: time, amount: amount, order: order_id}\n"
        "tiers:\n  - {tier: Gold, when: 'monetary >= 1500'}\n"
        "  - {tier: Silver, when: 'monetary >= 400 or frequency >= 6'}\ndefault: Bronze\n"
        "assessment:\n  frequency: month\n  window_months: 12\n  from: 2022-01-01\n  to: 2022-12-01\n"
        "  transitions:\n    Gold: {downgrade_after: 3}\n  overrides: over.csv\n")
    from_file = tk.TierHistory.from_file(tmp_path / "p.yaml").run(t)
    by_hand = tk.TierHistory(_tiering(), start="2022-01-01", end="2022-12-01",
                             transitions={"Gold": {"downgrade_after": 3}}, overrides=overrides.slice(0, 1)).run(t)
    assert from_file.records().to_arrow().equals(by_hand.records().to_arrow())
    assert from_file.spells().to_arrow().equals(by_hand.spells().to_arrow())
    assert from_file.settings["fingerprint"] == by_hand.settings["fingerprint"]
    (tmp_path / "bad.yaml").write_text((tmp_path / "p.yaml").read_text().replace("downgrade_after", "downgrade_afer"))
    with pytest.raises(tk.PolicyError, match="unknown key 'downgrade_afer'"):
        tk.TierHistory.from_file(tmp_path / "bad.yaml")


def test_bad_settings_say_what_is_wrong():
    with pytest.raises(tk.InvalidInput, match="transitions name tier 'Gld'.*did you mean 'Gold'"):
        tk.TierHistory(_tiering(), transitions={"Gld": {}})
    with pytest.raises(tk.InvalidInput, match="upgrade_after must be between 1 and 16"):
        tk.TierHistory(_tiering(), transitions={"Gold": {"upgrade_after": 40}})
    with pytest.raises(tk.InvalidInput, match="must be strictly ascending"):
        tk.TierHistory(_tiering(), dates=["2024-02-01", "2024-01-01"])
    with pytest.raises(tk.InvalidInput, match="dates: got None"):  # was a TypeError from the binding
        tk.TierHistory(_tiering(), dates=["2024-01-01", None])
    with pytest.raises(tk.InvalidInput, match="ranks must list every tier"):
        tk.TierHistory(_tiering(), ranks=["Gold", "Bronze"])
    overlapping = pa.table({"customer_id": [1, 1], "tier": ["Gold", "Gold"],
                            "from": [dt.date(2022, 1, 1), dt.date(2022, 2, 1)], "to": [None, None]})
    t = tk.demo.transactions(100, 2000, seed=1)
    with pytest.raises(tk.InvalidInput, match="override rows 1 and 2 are for the same customer and overlap"):
        tk.TierHistory(_tiering(), overrides=overlapping).run(t)


def test_attributes_in_effect_at_each_assessment():
    t = tk.demo.transactions(50, 1000, seed=3)
    custs = np.unique(t.column("customer_id").to_numpy())
    long = pa.table({"customer_id": np.concatenate([custs, custs]),
                     "effective": [dt.date(2021, 1, 1)] * len(custs) + [dt.date(2022, 6, 1)] * len(custs),
                     "vip": [0] * len(custs) + [1] * len(custs)})
    pol = tk.Tiering(tk.TierPolicy([("VIP", "vip = 1")], default="Other"),
                     transactions=dict(customer="customer_id", time="time", amount="amount"))
    ledger = tk.TierHistory(pol, attributes_effective="effective").run(t, long)
    r = _dates_as_dates(ledger.records().to_pandas())
    assert (r[r["assessment"] < dt.date(2022, 6, 1)]["raw_tier"].astype(str) == "Other").all()
    assert (r[r["assessment"] >= dt.date(2022, 6, 1)]["raw_tier"].astype(str) == "VIP").all()


# --- real data -----------------------------------------------------------------------------------
from conftest import shared_data  # noqa: E402

RETAIL_HISTORY = """
tierkit: 1
name: online retail over 2011
transactions:
  customer: CustomerID
  time: InvoiceDate
  amount: amount
  order: InvoiceNo
  derive: {amount: Quantity * UnitPrice}
  on_invalid: drop
strategies:
  - rfm: {bins: 5}
  - abc: {column: monetary}
  - lifecycle: {dormant_days: 120, churn_days: 270}
tiers:
  - {tier: Platinum, when: "abc_class = 'A' and segment in ('Champions', 'Loyal Customers')"}
  - {tier: Gold, when: "abc_class in ('A', 'B') and lifecycle in ('active', 'new', 'reactivated')"}
  - {tier: Silver, when: "r_score >= 3"}
default: Bronze
assessment:
  frequency: month
  from: 2011-01-01
  to: 2011-12-01
  window_months: 12
  transitions:
    Platinum: {downgrade_after: 3}
    Gold: {downgrade_after: 3}
"""


def test_online_retail_twelve_monthly_assessments(tmp_path):
    from tierkit._io import read_table
    data = shared_data("online-retail-uci") / "online_retail.csv.gz"
    (tmp_path / "retail.yaml").write_text(RETAIL_HISTORY)
    tx = read_table(data, text_columns=["CustomerID", "InvoiceNo"])
    ledger = tk.TierHistory.from_file(tmp_path / "retail.yaml").run(tx)
    assert len(ledger.dates) == 12 and ledger.dates[-1] == dt.date(2011, 12, 1)
    rep = ledger.report
    # PROVENANCE.md: 541,909 lines, 135,080 without a customer; the 25,525 lines of December
    # 2011 wait after the last assessment.
    assert rep["rows_read"] + rep["rows_after_last_assessment"] == 541_909
    assert rep["rows_after_last_assessment"] == 25_525
    records = _dates_as_dates(ledger.records().to_pandas())
    # Customer numbers are integers in the file, and so read (tierkit._io's policy).
    assert tx.schema.field("CustomerID").type == pa.int64()
    raw = pd.read_csv(data, dtype={"CustomerID": "Int64"}, parse_dates=["InvoiceDate"])
    raw = raw[raw.CustomerID.notna()]
    for d in (dt.date(2011, 1, 1), dt.date(2011, 12, 1)):
        known = set(raw[raw.InvoiceDate < pd.Timestamp(d)].CustomerID)
        assert set(records[records.assessment == d].CustomerID) == known
    # Held tiers follow the raw tiers by the transition rules, replayed by hand.
    by_date = {d: dict(zip(g.CustomerID, g.raw_tier.astype(str))) for d, g in records.groupby("assessment")}
    want = replay(by_date, ledger.ranks, {"Platinum": {"downgrade_after": 3}, "Gold": {"downgrade_after": 3}})
    got = {d: dict(zip(g.CustomerID, g.tier.astype(str))) for d, g in records.groupby("assessment")}
    assert got == want
    assert (records.watch > 0).sum() > 0
    # Migration matrices equal a pandas cross-tabulation of the tiers on the two dates.
    for a, b in ((dt.date(2011, 1, 1), dt.date(2011, 12, 1)), (dt.date(2011, 6, 1), dt.date(2011, 7, 1))):
        m = ledger.migration(a, b)
        before = records[records.assessment == a].set_index("CustomerID").tier.astype(str)
        after = records[records.assessment == b].set_index("CustomerID").tier.astype(str)
        frame = pd.DataFrame({"to": after}).join(before.rename("from"), how="left").fillna({"from": "(new)"})
        ref = pd.crosstab(frame["from"], frame["to"]).reindex(index=m.rows, columns=m.columns, fill_value=0)
        np.testing.assert_array_equal(m.counts, ref.to_numpy())
        # Value moved: net spend between the dates, summed by cell.
        spend = raw[(raw.InvoiceDate >= pd.Timestamp(a)) & (raw.InvoiceDate < pd.Timestamp(b))]
        spend = (spend.Quantity * spend.UnitPrice).groupby(spend.CustomerID).sum()
        frame["spend"] = spend.reindex(frame.index).fillna(0.0)
        ref_value = frame.pivot_table(index="from", columns="to", values="spend", aggfunc="sum") \
            .reindex(index=m.rows, columns=m.columns).fillna(0.0)
        np.testing.assert_allclose(m.value, ref_value.to_numpy(), atol=1e-6)
    ledger.check()
    k = _dates_as_dates(ledger.kpis().to_pandas())
    nov = k[k.assessment == dt.date(2011, 11, 1)].set_index("tier")
    assert nov.customers.sum() == (records.assessment == dt.date(2011, 11, 1)).sum()
    # Tiers predict value: next month's spend per customer falls with the tier.
    assert list(nov.loc[["Platinum", "Gold", "Silver", "Bronze"], "next_value_per_customer"]) == \
        sorted(nov.next_value_per_customer, reverse=True)


def test_berka_monthly_asset_bands_with_three_short_months_before_a_downgrade():
    root = shared_data("berka-pkdd99")
    tr = pd.read_csv(root / "trans_19930101-19940330.asc", sep=";", dtype={"date": str})
    tr["date"] = pd.to_datetime(tr["date"], format="%y%m%d")
    disp = pd.read_csv(root / "disp.asc", sep=";")
    owners = disp[disp["type"] == "OWNER"][["account_id", "client_id"]]
    tr = tr.merge(owners, on="account_id")
    tr["signed"] = np.where(tr["type"] == "PRIJEM", tr["amount"], -tr["amount"])
    adb = tk.average_daily_balances(tr, account="account_id", time="date", value="balance")
    monthly = adb.by_customer(owners, customer="client_id").to_pandas(index=False)
    monthly["effective"] = (pd.to_datetime(monthly["period_start"]) + pd.DateOffset(months=1)).dt.date
    loans = pd.read_csv(root / "loan.asc", sep=";").merge(owners, on="account_id") \
        .groupby("client_id")["amount"].sum()
    monthly["loan_balance"] = monthly["client_id"].map(loans).fillna(0.0)
    monthly = monthly.rename(columns={"average_daily_balance": "adb"})
    attrs = monthly[["client_id", "effective", "adb", "loan_balance"]]
    policy = tk.TierPolicy([("Branch managed", "adb >= 100000"), ("Branch staff", "adb >= 50000"),
                            ("Other criteria", "loan_balance >= 300000")], default="Not maintained")
    tiering = tk.Tiering(policy, transactions=dict(customer="client_id", time="date", amount="signed"),
                         attributes=dict(customer="client_id"))
    grace = {t: {"downgrade_after": 3} for t in ("Branch managed", "Branch staff", "Other criteria")}
    ledger = tk.TierHistory(tiering, transitions=grace, attributes_effective="effective").run(tr, attrs)
    assert ledger.dates[0] == dt.date(1993, 2, 1) and ledger.dates[-1] == dt.date(1994, 3, 1)
    # The hand-written reference: each month's band from the month before's average, then
    # three short months before a downgrade.
    raw = {}
    for d in ledger.dates:
        seen = set(tr[tr["date"] < pd.Timestamp(d)]["client_id"])
        m = monthly[monthly["effective"] == d].set_index("client_id")
        band = {}
        for c in seen:
            a = m["adb"].get(c, np.nan)
            loan = loans.get(c, 0.0)
            band[c] = ("Branch managed" if a >= 100_000 else "Branch staff" if a >= 50_000
                       else "Other criteria" if loan >= 300_000 else "Not maintained")
        raw[d] = band
    ranks = ["Branch managed", "Branch staff", "Other criteria", "Not maintained"]
    want = replay(raw, ranks, grace)
    records = _dates_as_dates(ledger.records().to_pandas())
    got = {d: dict(zip(g.client_id, g.tier.astype(str))) for d, g in records.groupby("assessment")}
    got_raw = {d: dict(zip(g.client_id, g.raw_tier.astype(str))) for d, g in records.groupby("assessment")}
    assert got_raw == raw
    assert got == want
    # The grace mattered: some customer kept a band through a short month.
    assert (records.watch > 0).any()
    assert len(ledger.spells().to_pandas().query("reason == 'downgrade'")) > 0


def test_a_saved_state_resumes_and_advances_to_the_ledger_of_one_run(tmp_path):
    t = tk.demo.transactions(300, 6000, seed=21)
    hist = dict(window_months=6, transitions={"Gold": {"downgrade_after": 2}})
    whole = tk.TierHistory(_tiering(), **hist).run(t)
    dates = whole.dates
    day = pa.compute.cast(t.column("time"), pa.date32())
    cut = dates[10]
    early = t.filter(pa.compute.less(day, pa.scalar(cut, pa.date32())))
    part = tk.TierHistory(_tiering(), end=dates[9], **hist).run(early)
    part.save_state(tmp_path / "state.tks")
    resumed = tk.TierHistory(_tiering(), **hist).resume(tmp_path / "state.tks")
    assert resumed == part
    rest = t.filter(pa.compute.greater_equal(day, pa.scalar(cut, pa.date32())))
    resumed.advance(rest)  # the rows of every later month at once: one assessment
    for _ in dates[11:]:
        resumed.advance()
    assert resumed == whole
    assert resumed.kpis().to_arrow().equals(whole.kpis().to_arrow())
    with pytest.raises(tk.InvalidInput, match="saved under another policy"):
        tk.TierHistory(_tiering(), window_months=6).resume(tmp_path / "state.tks")
    with pytest.raises(tk.FormatError):
        tk.TierHistory(_tiering(), **hist).resume(b"TIERKIT\x1a garbage")


def test_a_new_policy_version_takes_effect_at_its_date():
    t = tk.demo.transactions(300, 6000, seed=22)
    ledger = tk.TierHistory(_tiering(), end="2023-01-01").run(t)
    strict = tk.TierHistory(_tiering([("Gold", "monetary >= 3000"), ("Silver", "monetary >= 800")]),
                            label="stricter")
    ledger.change_policy(strict)
    ledger.advance()
    spells = ledger.spells().to_pandas(index=False)
    new = spells[pd.to_datetime(spells.effective_from) == pd.Timestamp("2023-02-01")]
    before = set(ledger.at("2023-01-01").to_pandas().index)
    changed = new[new.customer_id.isin(before)]
    assert (changed.reason.astype(str) == "policy changed").all() and len(changed) == len(before)
    assert (new[~new.customer_id.isin(before)].reason.astype(str) == "initial").all()
    assert new.version.eq(1).all()
    assert ledger.versions.column("label").to_pylist() == ["tiering", "stricter"]
    ledger.check()
