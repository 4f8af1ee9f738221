"""Service plans, contacts, due lists, SLA, occasions and KPIs (tierkit.service)."""
import datetime as dt
import pickle

import numpy as np
import pyarrow as pa
import pytest

import tierkit as tk
from tierkit.cli import DEMO_POLICY

D = dt.date


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


PLAN = {
    "Gold": {"owner_role": "manager", "channels": ["visit", "phone"],
             "cadence": [{"every_days": 30}, {"channel": "visit", "every_days": 90}]},
    "Silver": {"owner_role": "staff", "channels": ["phone", "sms"], "cadence": {"every_days": 90}},
    "Bronze": {},
}


def plan(**tweak):
    p = {k: dict(v) for k, v in PLAN.items()}
    for tier, settings in tweak.items():
        p[tier].update(settings)
    return tk.ServicePlan(p, counted_outcomes=["reached"])


def log(rows):
    """rows: (customer, date, channel[, outcome])."""
    return pa.table({"customer_id": pa.array([r[0] for r in rows], pa.int64()),
                     "time": pa.array([day(r[1]) for r in rows], pa.date32()),
                     "channel": pa.array([r[2] for r in rows], pa.string()),
                     "outcome": pa.array([r[3] if len(r) > 3 else "reached" for r in rows], pa.string())})


def tiers(rows, since=None):
    t = {"customer_id": [r[0] for r in rows], "tier": [r[1] for r in rows]}
    if since:
        t["since"] = pa.array([day(s) for s in since], pa.date32())
    return pa.table(t)


# --- plans ---------------------------------------------------------------------------------------

def test_a_plan_from_the_demo_policy_file_lists_each_tier_s_service():
    p = tk.ServicePlan.from_file(DEMO_POLICY)
    assert p.tiers == ["Diamond", "Gold", "Win back", "Silver", "Bronze"]
    assert p["Diamond"]["owner_role"] == "key account manager"
    assert p["Diamond"]["cadence"] == [{"every_days": 30}, {"channel": "visit", "every_days": 90}]
    assert p["Win back"]["cadence"] == [{"per_period": 1, "period": "month"}]
    assert p.counted_outcomes == ["reached", "visited"]
    assert "Diamond" in p._repr_html_() and "every 90 days by visit" in repr(p)
    assert pickle.loads(pickle.dumps(p)) == p
    assert tk.ServicePlan.from_dict(p.to_dict()) == p


def test_plan_errors_name_the_tier_the_setting_and_the_close_names(tmp_path):
    with pytest.raises(tk.InvalidInput, match="every_days must be positive"):
        tk.ServicePlan({"Gold": {"cadence": {"every_days": -30}}})
    with pytest.raises(tk.InvalidInput, match="give exactly one of every_days"):
        tk.ServicePlan({"Gold": {"cadence": {"every_days": 30, "per_period": 2}}})
    with pytest.raises(tk.InvalidInput, match="did you mean 'cadence'"):
        tk.ServicePlan({"Gold": {"cadance": {"every_days": 30}}})
    with pytest.raises(tk.InvalidInput, match="did you mean 'every_days'"):
        tk.ServicePlan({"Gold": {"cadence": {"every_day": 30}}})
    with pytest.raises(tk.InvalidInput, match="period must be"):
        tk.ServicePlan({"Gold": {"cadence": {"per_period": 1, "period": "fortnight"}}})
    with pytest.raises(tk.InvalidInput, match="on_upgrade"):
        tk.ServicePlan({"Gold": {"on_upgrade": "maybe"}})
    text = DEMO_POLICY.read_text().replace("    Win back:\n      owner_role", "    Winback:\n      owner_role")
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(tk.PolicyError, match="'Winback', which the policy does not have .*did you mean 'Win back'"):
        tk.ServicePlan.from_file(tmp_path / "p.yaml")
    (tmp_path / "q.yaml").write_text(DEMO_POLICY.read_text().replace("counted_outcomes:", "counted_outcome:"))
    with pytest.raises(tk.PolicyError, match="did you mean 'counted_outcomes'"):
        tk.ServicePlan.from_file(tmp_path / "q.yaml")
    (tmp_path / "r.yaml").write_text(DEMO_POLICY.read_text().replace("{every_days: 60}", "{every_days: -60}"))
    with pytest.raises(tk.PolicyError, match="tier 'Gold', cadence rule 1: every_days must be positive"):
        tk.ServicePlan.from_file(tmp_path / "r.yaml")


# --- contacts and due lists: the hand-worked cases -------------------------------------------------

def test_cadence_per_channel():
    book = plan().contacts(log([(7, "2024-01-21", "visit"), (7, "2024-04-10", "phone")]),
                           tiers([(7, "Gold")], since=["2024-01-01"]), as_of="2024-04-30")
    s = book.schedule().to_pandas()
    assert s["rule"].tolist() == ["every 30 days", "every 90 days by visit"]
    assert s["due"].tolist() == [pd_ts("2024-05-10"), pd_ts("2024-04-20")]
    assert s["days_overdue"].tolist() == [-10, 10]
    due = book.due()
    assert due["rule"].to_pylist() == ["every 90 days by visit"] and due["days_overdue"].to_pylist() == [10]
    assert len(book.due(10)) == 2 and len(book.due(9)) == 1
    st = book.status().to_arrow().to_pylist()[0]
    assert st["last_contact"] == D(2024, 4, 10) and st["last_visit"] == D(2024, 1, 21)
    assert st["last_phone"] == D(2024, 4, 10) and st["last_sms"] is None


def pd_ts(s):
    import pandas as pd
    return pd.Timestamp(s)


def test_a_customer_never_contacted_is_due_on_entering_the_tier_plus_first_contact_days():
    t = tiers([(1, "Silver")], since=["2024-03-01"])
    book = plan().contacts(log([]), t, as_of="2024-03-11")
    assert book.due()["days_overdue"].to_pylist() == [10]
    assert book.due()["last_contact"].to_pylist() == [None]
    book = plan(Silver={"first_contact_days": 7}).contacts(log([]), t, as_of="2024-03-11")
    assert book.due()["due"].to_pylist() == [D(2024, 3, 8)]
    # Without dates, an assignment's customers entered their tiers on as_of (since=).
    book = plan().contacts(log([]), tiers([(1, "Silver")]), as_of="2024-03-11")
    assert book.due()["days_overdue"].to_pylist() == [0]


def test_a_contact_on_the_due_day_is_on_time():
    t = tiers([(1, "Silver")], since=["2024-01-01"])
    on_time = log([(1, "2024-01-01", "sms"), (1, "2024-03-31", "phone")])  # 90 days apart
    book = plan().contacts(on_time, t, as_of="2024-07-01")
    assert book.within_cadence("2024-01-01", "2024-06-30")["cadence"].to_pylist() == ["within"]  # due 29 June
    assert book.within_cadence("2024-01-01", "2024-07-01")["cadence"].to_pylist() == ["missed"]
    late = log([(1, "2024-01-01", "sms"), (1, "2024-04-01", "phone")])  # 91 days
    book = plan().contacts(late, t, as_of="2024-07-01")
    assert book.within_cadence("2024-01-01", "2024-04-01")["cadence"].to_pylist() == ["within"]
    assert book.within_cadence("2024-01-01", "2024-04-02")["cadence"].to_pylist() == ["missed"]
    # A missing bound (or occasions' as_of) was a TypeError from the binding.
    with pytest.raises(tk.InvalidInput, match="start: got None"):
        book.within_cadence(None, "2024-04-02")
    with pytest.raises(tk.InvalidInput, match="as_of: got None"):
        tk.service.occasions(pa.table({"customer_id": [1], "birthday": [D(2000, 1, 1)]}), t, "birthday",
                             as_of=None)


def test_a_tier_change_mid_cadence_keeps_the_clock_from_the_last_contact():
    # Silver (90 days) from 1 January, Gold (30 days) from 10 February; last contact 1 January.
    spells = pa.table({"customer_id": [1, 1], "tier": ["Silver", "Gold"],
                       "effective_from": pa.array([D(2024, 1, 1), D(2024, 2, 10)]),
                       "effective_to": pa.array([D(2024, 2, 10), None], pa.date32())})
    contacts = log([(1, "2024-01-01", "phone")])
    book = plan().contacts(contacts, spells, as_of="2024-02-20")
    s = book.schedule().to_arrow().to_pylist()
    # max(1 Jan + 30, 10 Feb): due on the day of the change, not 30 days after it.
    assert [r["due"] for r in s] == [D(2024, 2, 10), D(2024, 2, 10)]
    assert [r["days_overdue"] for r in s] == [10, 10]
    # An upgrade while the last contact is recent: the clock keeps running from it.
    spells2 = spells.set_column(2, "effective_from", pa.array([D(2024, 1, 1), D(2024, 1, 20)]))
    spells2 = spells2.set_column(3, "effective_to", pa.array([D(2024, 1, 20), None], pa.date32()))
    book = plan().contacts(contacts, spells2, as_of="2024-01-25")
    assert book.schedule()["due"].to_pylist()[0] == D(2024, 1, 31)


def test_k_contacts_per_period_and_the_sla_of_a_month():
    p = tk.ServicePlan({"Key": {"cadence": {"per_period": 2, "period": "month"}}})
    t = tiers([(1, "Key"), (2, "Key")], since=["2024-01-01", "2024-01-10"])
    contacts = log([(1, "2024-01-05", "phone"), (1, "2024-01-20", "phone"), (1, "2024-02-03", "phone"),
                    (2, "2024-02-03", "phone"), (2, "2024-02-04", "phone")])
    book = p.contacts(contacts, t, as_of="2024-02-10")
    s = book.schedule().to_arrow().to_pylist()
    assert [(r["due"], r["remaining"]) for r in s] == [(D(2024, 2, 29), 1), (D(2024, 3, 31), 2)]
    assert len(book.due()) == 0
    sla = book.sla("month", 2).to_arrow().to_pylist()
    assert [(r["period"], r["customers"], r["within"]) for r in sla] == [(D(2024, 1, 1), 1, 1)]


def test_sla_per_tier_and_owner_and_the_due_list_names_owners():
    t = tiers([(1, "Silver"), (2, "Silver"), (3, "Gold")], since=["2023-01-01"] * 3)
    rows = [(1, "2022-12-20", "phone"), (2, "2022-12-20", "phone"), (2, "2023-01-15", "phone")]
    rows += [(1, f"2023-{m:02d}-15", "phone") for m in range(1, 13)]
    owners = pa.table({"customer_id": [1, 2, 3], "owner": ["ann", "ann", "bo"]})
    book = plan().contacts(log(rows), t, as_of="2024-01-01")
    sla = book.sla("quarter", 4, owners=owners).to_arrow()
    silver = sla.filter(pa.compute.equal(sla["tier"].cast(pa.string()), "Silver")).to_pylist()
    assert [(r["owner"], r["customers"], r["within"]) for r in silver] == [("ann", 2, 2), ("ann", 2, 1),
                                                                            ("ann", 2, 1), ("ann", 2, 1)]
    assert silver[-1]["judged_to"] == D(2023, 12, 31)
    due = book.due(owners=owners).to_arrow()
    assert due["owner"].to_pylist()[:2] == ["bo", "bo"]  # Gold first


def test_the_due_list_orders_by_tier_rank_days_overdue_value_and_key():
    t = pa.table({"customer_id": [5, 4, 3, 2, 1], "tier": ["Silver", "Gold", "Silver", "Silver", "Gold"],
                  "monetary": [10.0, 1.0, 10.0, 20.0, 1.0]})
    contacts = log([(5, "2024-01-05", "phone"), (3, "2024-01-05", "phone"), (2, "2024-01-05", "phone"),
                    (4, "2024-01-01", "visit"), (1, "2024-01-01", "visit")])
    book = plan().contacts(contacts, t, as_of="2024-07-01", since="2024-01-01")
    due = book.due()
    assert due["customer_id"].to_pylist() == [1, 4, 1, 4, 2, 3, 5]
    assert due.summary()["rows"].to_pylist() == [4, 3]


def test_contacts_of_unknown_customers_are_counted_or_rejected():
    t = tiers([(1, "Gold")], since=["2024-01-01"])
    contacts = log([(1, "2024-01-10", "phone"), (1, "2024-01-11", "phone", "no answer"),
                    (1, "2024-03-01", "phone"), (99, "2024-01-12", "phone")])
    book = plan().contacts(contacts, t, as_of="2024-03-01")
    r = book.report
    assert (r["rows_read"], r["rows_used"], r["not_counted"], r["after_as_of"], r["unknown_customers"]) == \
        (4, 1, 1, 1, 1)
    with pytest.raises(tk.InvalidInput, match="1 row of 4 are invalid: column 'customer_id': 1 row is customers "
                                               "the tiers do not hold") as e:
        plan().contacts(contacts, t, as_of="2024-03-01", on_invalid="raise")
    assert "99" not in str(e.value)
    nulls = contacts.set_column(1, "time", pa.array([D(2024, 1, 10), None, None, None], pa.date32()))
    r = plan().contacts(nulls, t, as_of="2024-03-01").report
    assert r["rows_dropped"] == 3 and r["dropped"] == [{"column": "time", "problem": "null", "rows": 3}]
    with pytest.raises(tk.SchemaError, match="holds strings|must hold dates"):
        plan().contacts(contacts.set_column(1, "time", pa.array(["x"] * 4)), t, as_of="2024-03-01")
    with pytest.raises(tk.SchemaError, match="no column 'when'"):
        plan().contacts(contacts, t, as_of="2024-03-01", time="when")
    text_keys = contacts.set_column(0, "customer_id", contacts["customer_id"].cast(pa.string()))
    with pytest.raises(tk.SchemaError, match="holds text customer keys, the tiers' keys are integers"):
        plan().contacts(text_keys, t, as_of="2024-03-01")


def test_outputs_convert_to_pandas_polars_and_arrow_and_render_as_html():
    pl = pytest.importorskip("polars")
    book = plan().contacts(log([(1, "2024-01-10", "phone")]), tiers([(1, "Gold")], since=["2024-01-01"]),
                           as_of="2024-03-01")
    due = book.due()
    assert due.to_pandas().index.name == "customer_id"
    assert pl.DataFrame(due).height == 2 and due.to_polars().height == 2
    assert pa.table(due).num_rows == 2
    assert "<table>" in due._repr_html_() and "<table>" in book._repr_html_()
    assert "due list" in repr(due)


def test_tiers_from_a_ledger_and_from_an_assignment():
    tx = tk.demo.transactions(400, 12_000, seed=5)
    ledger = tk.TierHistory.from_file(DEMO_POLICY, start="2023-01-01", end="2023-06-01").run(tx)
    p = tk.ServicePlan.from_file(DEMO_POLICY)
    at = ledger.at("2023-06-01").to_arrow()
    contacts = pa.table({"customer_id": at["customer_id"].combine_chunks()[:50],
                         "time": pa.array([D(2023, 5, 1)] * 50, pa.date32()),
                         "channel": pa.array(["phone"] * 50), "outcome": pa.array(["reached"] * 50)})
    from_ledger = p.contacts(contacts, ledger, as_of="2023-06-01")
    from_snapshot = p.contacts(contacts, at, as_of="2023-06-01")  # tier and since columns
    a = from_ledger.schedule().to_arrow()
    b = from_snapshot.schedule().to_arrow()
    assert a.column("due").equals(b.column("due")) and a.column("customer_id").equals(b.column("customer_id"))
    # An assignment carries its policy's tier order (the rank of the due list).
    job = tk.Tiering.from_file(DEMO_POLICY)
    result = job.run(tx)
    book = p.contacts(contacts, result.tiers, as_of="2023-06-01", since="2023-01-01")
    assert book.tiers.tier_names == ["Diamond", "Gold", "Win back", "Silver", "Bronze"]
    assert len(book.due()) > 0


# --- occasions ------------------------------------------------------------------------------------

def test_birthdays_on_29_february():
    t = tiers([(1, "Gold"), (2, "Silver")])
    attrs = pa.table({"customer_id": [1, 2, 3],
                      "birthday": pa.array([D(2000, 2, 29), D(1990, 3, 1), D(1980, 2, 28)], pa.date32())})
    o = tk.service.occasions(attrs, t, "birthday", as_of="2023-02-20", days=14).to_arrow().to_pylist()
    assert [(r["customer_id"], r["on"], r["years"], r["days_until"]) for r in o] == \
        [(1, D(2023, 2, 28), 23, 8), (2, D(2023, 3, 1), 33, 9)]
    o = tk.service.occasions(attrs, t, "birthday", as_of="2024-02-20", days=14).to_arrow().to_pylist()
    assert [r["on"] for r in o] == [D(2024, 2, 29), D(2024, 3, 1)]
    res = tk.service.occasions(attrs, t, ["birthday"], as_of="2024-02-20", days=14)
    assert res.unknown_customers == 1


# --- KPIs -----------------------------------------------------------------------------------------

def test_kpis_per_tier_and_for_on_time_versus_overdue_are_labelled_descriptive():
    p = tk.ServicePlan({"Gold": {"cadence": {"per_period": 1, "period": "month"}}})
    t = tiers([(1, "Gold"), (2, "Gold")], since=["2024-01-01", "2024-01-01"])
    contacts = log([(1, "2024-01-04", "phone"), (2, "2024-01-05", "phone"), (2, "2024-02-05", "phone")])
    feedback = pa.table({"customer_id": [1, 1, 2, 2, 9],
                         "time": pa.array([D(2024, 2, 2), D(2024, 2, 3), D(2024, 1, 10), D(2024, 2, 10),
                                           D(2024, 1, 1)], pa.date32()),
                         "kind": ["complaint", "survey", "survey", "praise", "survey"],
                         "value": pa.array([None, 2.0, 5.0, None, 1.0])})
    sales = pa.table({"customer_id": [1, 2, 2], "time": pa.array([D(2024, 1, 2), D(2024, 2, 2), D(2024, 2, 3)]),
                      "amount": [100.0, 50.0, -20.0]})
    book = p.contacts(contacts, t, as_of="2024-03-01")
    k = book.kpis(feedback=feedback, purchases=sales, period="month", periods=2)
    rows = k.on_time_vs_overdue().to_arrow().to_pylist()
    assert [(r["period"], r["cadence"], r["customers"], r["complaints"], r["sales"]) for r in rows] == [
        (D(2024, 1, 1), "within", 2, 0, 100.0), (D(2024, 2, 1), "within", 1, 0, 30.0),
        (D(2024, 2, 1), "missed", 1, 1, 0.0)]
    by_tier = k.by("tier").to_arrow().to_pylist()
    assert [r["mean_survey_score"] for r in by_tier] == [5.0, 2.0]
    assert [r["retention"] for r in by_tier] == [0.5, 0.5]
    assert "descriptive, not causal" in repr(k) and "descriptive, not causal" in k._repr_html_()
    assert k.feedback_report["other_kinds"] == 1 and k.feedback_report["unknown_customers"] == 1


# --- properties -----------------------------------------------------------------------------------

def _random_book(rng, n_customers, n_contacts, order=None, threads=None):
    tiers_t = pa.table({"customer_id": np.arange(1, n_customers + 1),
                        "tier": rng.choice(["Gold", "Silver", "Bronze"], n_customers),
                        "since": pa.array(rng.integers(19000, 19300, n_customers).astype(np.int32)).view(pa.date32()),
                        "monetary": rng.integers(0, 5, n_customers).astype(float)})
    contacts = pa.table({"customer_id": rng.integers(1, n_customers + 20, n_contacts),
                         "time": pa.array(rng.integers(18800, 19400, n_contacts).astype(np.int32)).view(pa.date32()),
                         "channel": rng.choice(["visit", "phone", "sms", "letter"], n_contacts),
                         "outcome": rng.choice(["reached", "no answer"], n_contacts, p=[0.8, 0.2])})
    if order is not None:
        contacts = contacts.take(pa.array(order(n_contacts)))
    return plan().contacts(contacts, tiers_t, as_of=D(2023, 3, 1), threads=threads)


def test_row_order_and_threads_do_not_change_status_due_list_sla_or_kpis():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=15, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(0, 3000))
    def check(seed, n, m):
        perm = np.random.default_rng(seed + 1).permutation
        a = _random_book(np.random.default_rng(seed), n, m, threads=1)
        b = _random_book(np.random.default_rng(seed), n, m, order=perm, threads=2)
        assert a.status().to_arrow().equals(b.status().to_arrow())
        assert a.due(30).to_arrow().equals(b.due(30).to_arrow())
        assert a.sla("month", 6).to_arrow().equals(b.sla("month", 6).to_arrow())
        assert a.kpis(periods=6).table.equals(b.kpis(periods=6).table)
    check()


def test_due_days_and_the_sla_agree_with_a_plain_python_reference():
    rng = np.random.default_rng(11)
    n, m = 150, 1500
    t = pa.table({"customer_id": np.arange(1, n + 1), "tier": rng.choice(["Gold", "Silver", "Bronze"], n),
                  "since": pa.array(rng.integers(19000, 19100, n).astype(np.int32)).view(pa.date32())})
    contacts = pa.table({"customer_id": rng.integers(1, n + 1, m),
                         "time": pa.array(rng.integers(18900, 19200, m).astype(np.int32)).view(pa.date32()),
                         "channel": rng.choice(["visit", "phone", "sms"], m),
                         "outcome": rng.choice(["reached", "no answer"], m, p=[0.8, 0.2])})
    ep = D(1970, 1, 1)
    as_of = (D(2022, 6, 1) - ep).days
    book = plan().contacts(contacts, t, as_of=as_of_date(as_of))
    rules = {"Gold": [(None, 30), ("visit", 90)], "Silver": [(None, 90)], "Bronze": []}
    by = {}
    for c, d, ch, o in zip(*(contacts[k].to_pylist() for k in ("customer_id", "time", "channel", "outcome"))):
        if o == "reached":
            by.setdefault(c, []).append(((d - D(1970, 1, 1)).days, ch))
    expected = []
    firsts = [(D(2022, m, 1) - ep).days for m in range(1, 7)]
    windows = list(zip(firsts[:-1], firsts[1:]))
    within = {}
    for c, tier, since in zip(t["customer_id"].to_pylist(), t["tier"].to_pylist(), t["since"].to_pylist()):
        since = (since - D(1970, 1, 1)).days
        for channel, every in rules[tier]:
            days = sorted(d for d, ch in by.get(c, []) if channel is None or ch == channel)
            before = [d for d in days if d < as_of]
            due = max(before[-1] + every, since) if before else since
            expected.append((c, due))
            # Overdue on day x: x > max(last contact before x + every, since).
            for w, (a, b) in enumerate(windows):
                start = max(a, since)
                if start >= b:
                    continue
                late = any(x > (max([d for d in days if d < x][-1] + every, since)
                                if [d for d in days if d < x] else since) for x in range(start, b))
                within.setdefault((w, c), True)
                within[(w, c)] &= not late
    got = [(r["customer_id"], (r["due"] - D(1970, 1, 1)).days) for r in book.schedule().to_arrow().to_pylist()]
    assert got == expected
    sla = book.sla("month", 5).to_arrow().to_pylist()
    for w, (a, _b) in enumerate(windows):
        judged = [c for (k, c) in within if k == w]
        rows = [r for r in sla if (r["period"] - D(1970, 1, 1)).days == a]
        assert sum(r["customers"] for r in rows) == len(judged)
        assert sum(r["within"] for r in rows) == sum(within[(w, c)] for c in judged)


def as_of_date(n):
    return D(1970, 1, 1) + dt.timedelta(days=n)
