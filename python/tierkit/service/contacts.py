"""Contacts and due lists (联系与待办), SLA, occasions and what the service achieved.

    book = plan.contacts(log, tiers, as_of="2024-04-01")   # or tk.service.ContactBook(plan, log, tiers, ...)
    book.report                      # rows read, used, left out (unknown customers, after as_of, attempts)
    book.status()                    # per customer: tier, since, last contact overall and per channel
    book.schedule()                  # per customer and cadence rule: last, next due, days overdue
    book.due(within=7, owners=a)     # what is due by as_of + 7, highest tier and most overdue first
    book.sla("month", 12, owners=a)  # share of customers within cadence per period, tier and owner
    book.kpis(feedback=events, purchases=sales, owners=a)   # what the service achieved
    tk.service.occasions(attributes, tiers, ["birthday", "opened"], as_of=..., days=30)

Policies (include/tierkit/service/contacts.hpp, stated and tested there): contacts before
as_of count, those on or after it are left out and counted; an "every N days" rule is due N
days after the last contact on its channel, never before the day the customer entered its
tier (plus first_contact_days), so a tier change restarts nothing; a customer never
contacted is due on entering its tier (plus first_contact_days); "k per period" rules apply
from the first whole period in the tier and are due by the period's end; days_overdue =
as_of - due. Contacts of customers the tiers do not hold, and rows without a customer or
time, are left out and counted (on_invalid="drop", the default: a contact log records work
done, not the data tiers come from) or rejected (on_invalid="raise").
"""
from __future__ import annotations

import datetime as _dt
import html

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._arrow import missing_column, one_array
from .._errors import InvalidInput, SchemaError, threads_arg
from .._results import Table, html_table, text_table
from .._time import NO_DAY, required_day, resolve_zone, to_date, to_day
from .tiers import ServiceTiers, _days, _key_capsule, _table, service_tiers

CADENCE_STATES = list(_core.CADENCE_STATES)


def _dates(days) -> pa.Array:
    days = np.asarray(days, dtype=np.int32)
    mask = days == NO_DAY
    return pa.array(np.where(mask, 0, days), pa.int32(), mask=mask if mask.any() else None).view(pa.date32())


def _labels(codes, labels: list[str]) -> pa.DictionaryArray:
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes), pa.int32(), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(idx, pa.array(labels, pa.string()))


def _zone(table: pa.Table, time: str, time_zone):
    if time_zone is not None:
        return resolve_zone(time_zone)
    t = table.schema.field(time).type
    if pa.types.is_timestamp(t) and t.tz:
        return resolve_zone(t.tz)
    return resolve_zone(None)


def _column(table: pa.Table, name: str | None, role: str, what: str, required: bool):
    """(name, capsules) of a column, or (name, None) when optional and absent."""
    if name is None:
        return name, None
    if name not in table.column_names:
        if required:
            raise missing_column(name, table.column_names, role, what)
        return name, None
    arr = one_array(table.column(name))
    if role == "customer":
        return name, _key_capsule(arr, what)
    return name, arr.__arrow_c_array__()


def _owner_codes(owners, tiers: ServiceTiers, what: str):
    """(owner index per customer, owner labels as an Arrow array) from an OwnerAssignment or
    a keyed table (the tiers' key and an owner column)."""
    from .owners import OwnerAssignment
    if owners is None:
        return None, None
    if isinstance(owners, OwnerAssignment):
        idx = np.asarray(_core.owners_of(owners._core, tiers.core), dtype=np.int32)
        return idx, owners._owner_keys()
    t = _table(owners, what)
    key = tiers.key_name
    if key not in t.column_names:
        raise missing_column(key, t.column_names, "owners' key", what)
    others = [c for c in t.column_names if c != key]
    col = "owner" if "owner" in others else (others[0] if len(others) == 1 else None)
    if col is None:
        raise SchemaError(f"{what}: the owners table needs the key {key!r} and an 'owner' column; got {t.column_names}")
    from .owners import _aligned
    owner = _aligned(t, key, col, tiers.keys(), what, "owners")
    if pa.types.is_dictionary(owner.type):
        owner = owner.cast(owner.type.value_type)
    enc = owner.dictionary_encode()
    idx = np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    return idx, enc.dictionary


def _owner_column(idx: np.ndarray, labels: pa.Array) -> pa.Array:
    """Owner ids of owner indices (-1: null)."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    return labels.take(pa.array(np.where(mask, 0, idx), mask=mask if mask.any() else None))


class ContactBook:
    """A contact log read against the tiers (see the module).

    Parameters
    ----------
    plan
        A tk.ServicePlan.
    log
        The contact log: any table (pandas, polars, Arrow, ...) with a customer key, a time
        (dates or timestamps), and optionally a channel and an outcome.
    tiers
        A tk.TierLedger, a tk.TierAssignment, or a keyed table with a tier column (see
        tierkit.service.tiers).
    as_of
        The day the due list is for: contacts before it count.
    customer, time, channel, outcome
        The log's columns (customer defaults to the tiers' key name; channel and outcome are
        read when present).
    since
        For tiers without dates: the day the customers entered their tiers, or a column
        name (default: a ``since`` column, else as_of).
    tier, key, value
        The tiers table's tier and key columns, and the value that orders the due list
        (a column name, default ``monetary`` when present, or a keyed table).
    """

    def __init__(self, plan, log, tiers, *, as_of, customer: str | None = None, time: str = "time",
                 channel: str | None = "channel", outcome: str | None = "outcome", since=None,
                 tier: str = "tier", key: str | None = None, value="monetary", time_zone=None,
                 on_invalid: str = "drop", threads: int | None = None):
        what = "tierkit.service.ContactBook"
        if on_invalid not in ("drop", "raise"):
            raise InvalidInput(f"{what}: on_invalid must be 'drop' or 'raise'; got {on_invalid!r}")
        self.plan = plan
        day = to_day(as_of, f"{what}: as_of")
        if day is None:
            raise InvalidInput(f"{what}: as_of is required (the day the due list is for)")
        self.as_of: int = day
        self.tiers = service_tiers(tiers, plan, date=self.as_of, since=since, key=key, tier=tier, value=value,
                                   what=what)
        self._value_name = value if isinstance(value, str) else None
        t = _table(log, what)
        customer = customer or self.tiers.key_name
        c_name, c_caps = _column(t, customer, "customer", what, True)
        t_name, t_caps = _column(t, time, "time", what, True)
        ty = t.schema.field(time).type
        if not (pa.types.is_timestamp(ty) or pa.types.is_date(ty)):
            raise SchemaError(f"{what}: the time column {time!r} must hold dates or timestamps; got {ty}"
                              + ("; parse it first (pandas.to_datetime, polars str.to_datetime)"
                                 if pa.types.is_string(ty) or pa.types.is_large_string(ty) else ""))
        ch_name, ch_caps = _column(t, channel, "channel", what, channel not in (None, "channel"))
        o_name, o_caps = _column(t, outcome, "outcome", what, outcome not in (None, "outcome"))
        self._core = _core.ContactBook(plan._core, self.tiers.core, c_caps, c_name, t_caps, t_name,
                                       ch_caps, ch_name or "channel", o_caps, o_name or "outcome", self.as_of,
                                       _zone(t, time, time_zone), on_invalid, threads_arg(threads, what))
        self._threads = threads_arg(threads, what)

    # --- facts ---------------------------------------------------------------------------
    @property
    def report(self) -> dict:
        """Rows read, used (counted contacts of known customers before as_of), dropped as
        invalid (per column and problem), of unknown customers, on or after as_of, attempts
        (outcomes not counted), and used rows on channels the plan does not name."""
        r = dict(self._core.report)
        r["dropped"] = [{"column": c, "problem": p, "rows": n} for c, p, n in r["dropped"]]
        return r

    @property
    def channels(self) -> list[str]:
        """The channels found in the contacts."""
        return list(self._core.channels)

    @property
    def date(self) -> _dt.date:
        """The day the book is judged on (as_of), as a date."""
        return to_date(self.as_of)

    def _keys(self) -> pa.Array:
        return self.tiers.keys()

    # --- tables --------------------------------------------------------------------------
    def status(self) -> Table:
        """Per customer: tier on as_of (null: none), since, last_contact (any channel),
        contacts (counted, before as_of) and last_<channel> for each channel of the plan."""
        s = self._core.status()
        names = self.tiers.tier_names
        cols = {self.tiers.key_name: self._keys(), "tier": _labels(s["tier"], names), "since": _dates(s["since"]),
                "last_contact": _dates(s["last_contact"]), "contacts": pa.array(s["contacts"])}
        ch = self.channels
        if ch:
            per = np.asarray(s["last_by_channel"]).reshape(-1, len(ch)) if len(s["tier"]) else \
                np.zeros((0, len(ch)), np.int32)
            for j, c in enumerate(ch):
                cols[f"last_{c}"] = _dates(per[:, j])
        return Table(pa.table(cols), self.tiers.key_name, f"contact status on {self.date}")

    def _rule_labels(self, tier_codes, rule_codes):
        """(rule text, channel) per row, as dictionary columns (one lookup per tier and rule,
        not per row)."""
        from .plan import _rule_text
        names = self.tiers.tier_names
        entries = {x.tier: x for x in self.plan._core.tiers}
        width = max([len(x.cadence) for x in entries.values()] + [1])
        texts: list[str] = []
        chans: list[str] = []
        text_of = np.full(len(names) * width + 1, -1, dtype=np.int32)
        chan_of = np.full(len(names) * width + 1, -1, dtype=np.int32)
        for ti, name in enumerate(names):
            e = entries.get(name)
            for r, rule in enumerate(e.cadence if e is not None else []):
                txt = _rule_text(rule)
                if txt not in texts:
                    texts.append(txt)
                text_of[ti * width + r] = texts.index(txt)
                if rule.channel:
                    if rule.channel not in chans:
                        chans.append(rule.channel)
                    chan_of[ti * width + r] = chans.index(rule.channel)
        code = np.asarray(tier_codes, dtype=np.int64) * width + np.asarray(rule_codes, dtype=np.int64)
        return _labels(text_of[code], texts), _labels(chan_of[code], chans)

    def schedule(self) -> Table:
        """Per customer and cadence rule of its tier on as_of: last contact counting for the
        rule, next due day, days_overdue (as_of - due: positive overdue, 0 due today,
        negative days left) and the contacts still owed by then."""
        s = self._core.status()
        cust = np.asarray(s["customer"], dtype=np.int64)
        tier = np.asarray(s["tier"])[cust] if len(cust) else np.zeros(0, np.int32)
        rule, channel = self._rule_labels(tier, s["rule"])
        due = np.asarray(s["due"], dtype=np.int64)
        t = pa.table({self.tiers.key_name: self._keys().take(pa.array(cust)),
                      "tier": _labels(tier, self.tiers.tier_names), "rule": rule, "channel": channel,
                      "last_contact": _dates(s["last"]), "due": _dates(s["due"]),
                      "days_overdue": pa.array((self.as_of - due).astype(np.int32)),
                      "remaining": pa.array(s["remaining"])})
        return Table(t, self.tiers.key_name, f"contact schedule on {self.date}")

    def due(self, within: int = 0, *, owners=None) -> "DueList":
        """Rows due on or before as_of + within (0: due today or overdue), ordered by tier
        rank, days overdue (most first), value (highest first) and key. ``owners``: an
        OwnerAssignment or a keyed table with an owner column, to add each customer's owner."""
        if isinstance(within, bool) or not isinstance(within, (int, np.integer)) or within < 0:
            raise InvalidInput(f"tierkit.service.ContactBook.due: within must be a whole number of days >= 0; "
                               f"got {within!r}")
        d = self._core.due(int(within))
        cust = np.asarray(d["customer"], dtype=np.int64)
        rule, channel = self._rule_labels(d["tier"], d["rule"])
        cols = {self.tiers.key_name: self._keys().take(pa.array(cust)),
                "tier": _labels(d["tier"], self.tiers.tier_names), "rule": rule, "channel": channel,
                "last_contact": _dates(d["last"]), "due": _dates(d["due"]),
                "days_overdue": pa.array(d["days_overdue"]), "remaining": pa.array(d["remaining"])}
        if owners is not None:
            idx, labels = _owner_codes(owners, self.tiers, "tierkit.service.ContactBook.due")
            cols["owner"] = _owner_column(idx[cust], labels)
        result = DueList(pa.table(cols), self.tiers.key_name, f"due list on {self.date}")
        result.as_of, result.within = self.date, int(within)
        return result

    def within_cadence(self, start, end) -> Table:
        """Per customer: whether it was within cadence on every day of [start, end) (end <=
        as_of), judged as the SLA judges a period: "within", "missed" or "not judged"."""
        a = required_day(start, "tierkit.service.ContactBook.within_cadence: start")
        b = required_day(end, "tierkit.service.ContactBook.within_cadence: end")
        s = self._core.within_cadence(a, b)
        return Table(pa.table({self.tiers.key_name: self._keys(), "cadence": _labels(s, CADENCE_STATES)}),
                     self.tiers.key_name, f"cadence {to_date(a)} to {to_date(b)}")

    def sla(self, period: str = "month", periods: int = 12, *, owners=None) -> Table:
        """Per period (the last holding as_of - 1, judged through as_of - 1), tier and owner:
        customers judged, within cadence on every judged day, and their share. ``owners``: an
        OwnerAssignment or a keyed table with an owner column (else no owner column)."""
        what = "tierkit.service.ContactBook.sla"
        idx, labels = _owner_codes(owners, self.tiers, what)
        s = self._core.sla(period, int(periods), idx)
        cust = np.asarray(s["customers"])
        within = np.asarray(s["within"])
        cols = {"period": _dates(s["period"]), "judged_to": _dates(np.asarray(s["judged_to"]) - 1),
                "tier": _labels(s["tier"], self.tiers.tier_names)}
        if owners is not None:
            cols["owner"] = _owner_column(s["owner"], labels)
        cols.update({"customers": pa.array(cust), "within": pa.array(within),
                     "share": pa.array(np.where(cust > 0, within / np.maximum(cust, 1), np.nan))})
        return Table(pa.table(cols), None, f"SLA by {period}")

    def kpis(self, *, feedback=None, purchases=None, owners=None, period: str = "month", periods: int = 12,
             customer: str | None = None, time: str = "time", kind: str = "kind", score: str | None = "value",
             amount: str = "amount", complaint_kinds=("complaint",), survey_kinds=("survey",),
             on_invalid: str = "drop") -> "ServiceKPIs":
        """What the service achieved per period, tier, owner and cadence state (see
        ServiceKPIs). ``feedback``: events with a kind (``complaint_kinds`` count as
        complaints, ``survey_kinds`` as surveys, scored by ``score``); ``purchases``: rows
        with an ``amount``; both keyed by ``customer`` (default the tiers' key) with a time."""
        what = "tierkit.service.ContactBook.kpis"
        idx, labels = _owner_codes(owners, self.tiers, what)
        customer = customer or self.tiers.key_name

        def spec(data, roles: dict, optional: set):
            if data is None:
                return None
            t = _table(data, what)
            out: dict[str, tuple] = {}
            for role, name in roles.items():
                n, caps = _column(t, name, role, what, role not in optional)
                if caps is not None:
                    out[role] = (n, caps)
            kept.append(t)
            return out
        kept: list[pa.Table] = []  # the tables measure_service reads, alive until it has
        fb = spec(feedback, {"customer": customer, "time": time, "kind": kind, "value": score}, {"value"})
        pu = spec(purchases, {"customer": customer, "time": time, "value": amount}, set())
        raw = _core.measure_service(self._core, period, int(periods), [str(k) for k in complaint_kinds],
                                    [str(k) for k in survey_kinds], on_invalid, self._threads, idx, fb, pu)
        return ServiceKPIs(raw, self.tiers, labels if owners is not None else None, period,
                           feedback is not None, purchases is not None)

    def __repr__(self) -> str:
        r = self._core.report
        return (f"<tierkit ContactBook on {self.date}: {len(self.tiers):,} customers, {r['rows_used']:,} "
                f"contacts used of {r['rows_read']:,}>")

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        return f"<div><strong>{head}</strong></div>" + self.due()._repr_html_()


class DueList(Table):
    """The due list: one row per customer and cadence rule that is due (see ContactBook.due)."""

    as_of: _dt.date  # the book's day
    within: int  # due on or before as_of + within

    def summary(self) -> Table:
        """Per tier: rows due, customers, overdue (days_overdue > 0), the most days overdue."""
        t = self.to_arrow()
        if not t.num_rows:
            return Table(pa.table({"tier": pa.array([], pa.string()), "rows": pa.array([], pa.int64())}), "tier",
                         "due list summary")
        g = pa.table({"tier": t.column("tier").cast(pa.string()), "key": t.column(0),
                      "overdue": pc.greater(t.column("days_overdue"), 0),
                      "days": t.column("days_overdue")})
        order = list(dict.fromkeys(g.column("tier").to_pylist()))
        out: dict[str, list] = {"tier": [], "rows": [], "customers": [], "overdue": [], "most_days_overdue": []}
        for name in order:
            part = g.filter(pc.equal(g.column("tier"), name))
            out["tier"].append(name)
            out["rows"].append(part.num_rows)
            out["customers"].append(pc.count_distinct(part.column("key")).as_py())
            out["overdue"].append(int(pc.sum(part.column("overdue").cast(pa.int64())).as_py() or 0))
            out["most_days_overdue"].append(pc.max(part.column("days")).as_py())
        return Table(pa.table(out), "tier", "due list summary")

    def __repr__(self) -> str:
        t = self.to_arrow()
        return f"<tierkit due list on {getattr(self, 'as_of', '')}: {t.num_rows:,} rows>\n" + text_table(t, limit=15)

    def _repr_html_(self) -> str:
        return html_table(self.to_arrow(), f"tierkit due list on {getattr(self, 'as_of', '')}: "
                          f"{self.to_arrow().num_rows:,} rows", limit=15)


class ServiceKPIs:
    """What the service achieved: ``table`` holds, per period, tier, owner (with owners) and
    cadence state ("within", "missed", "not judged"), additive sums -- customers, contacts
    made and planned, complaints, surveys (rows, scored, score sum), purchases, sales,
    buyers. ``by(...)`` groups them (e.g. ``by("tier")``, ``by("owner")``,
    ``by("tier", "cadence")``) and adds rates: contacts per planned contact, complaints per
    customer, mean survey score, sales per customer, retention (share of customers who
    bought in the period).

    Descriptive, not causal: customers served on time may differ from the others in ways the
    service did not cause; compare the groups with that in mind.
    """

    note = ("descriptive, not causal: customers contacted on time may differ from overdue ones in "
            "ways the contacts did not cause")

    def __init__(self, raw: dict, tiers: ServiceTiers, owner_labels, period: str, has_feedback: bool,
                 has_purchases: bool):
        cols = {"period": _dates(raw["period"]), "judged_to": _dates(np.asarray(raw["judged_to"]) - 1),
                "tier": _labels(raw["tier"], tiers.tier_names)}
        if owner_labels is not None:
            cols["owner"] = _owner_column(raw["owner"], owner_labels)
        cols["cadence"] = _labels(raw["state"], CADENCE_STATES)
        for c in ("customers", "contacts", "planned"):
            cols[c] = pa.array(raw[c])
        if has_feedback:
            for c in ("complaints", "surveys", "scored", "survey_sum"):
                cols[c] = pa.array(raw[c])
        if has_purchases:
            for c in ("purchases", "sales", "buyers"):
                cols[c] = pa.array(raw[c])
        self.table = pa.table(cols)
        self.period = period
        self.feedback_report = raw["feedback_report"] if has_feedback else None
        self.purchase_report = raw["purchase_report"] if has_purchases else None

    _SUMS = ("customers", "contacts", "planned", "complaints", "surveys", "scored", "survey_sum", "purchases",
             "sales", "buyers")

    def by(self, *columns: str) -> Table:
        """Sums grouped by period and `columns` (any of tier, owner, cadence; default tier),
        with the rates (see the class)."""
        columns = columns or ("tier",)
        for c in columns:
            if c not in ("tier", "owner", "cadence"):
                raise InvalidInput(f"tierkit.service.ServiceKPIs.by: group by 'tier', 'owner' or 'cadence'; got {c!r}")
            if c not in self.table.column_names:
                raise InvalidInput("tierkit.service.ServiceKPIs.by: no owner column (pass owners= to kpis)")
        keys = ["period", *columns]
        sums = [c for c in self._SUMS if c in self.table.column_names]
        t = self.table
        plain = pa.table({**{k: (t.column(k).cast(t.column(k).type.value_type)
                                 if pa.types.is_dictionary(t.column(k).type) else t.column(k)) for k in keys},
                          **{c: t.column(c) for c in sums}})
        g = plain.group_by(keys, use_threads=False).aggregate([(c, "sum") for c in sums])
        g = g.rename_columns([c[:-4] if c.endswith("_sum") and c[:-4] in sums else c for c in g.column_names])
        rank = {n: i for i, n in enumerate(t.column("tier").chunk(0).dictionary.to_pylist())} \
            if t.num_rows and t.column("tier").num_chunks else {}
        state_rank = {"within": 0, "missed": 1, "not judged": 2}
        cols = {k: g.column(k).to_pylist() for k in keys}

        def sort_key(i):
            out: list[tuple] = []
            for k in keys:
                v = cols[k][i]
                if k == "tier":
                    out.append((rank.get(v, len(rank)),))
                elif k == "cadence":
                    out.append((state_rank.get(v, 3),))
                else:
                    out.append((v is None, "" if v is None else v))
            return tuple(out)
        order = sorted(range(g.num_rows), key=sort_key)
        g = g.take(pa.array(order, pa.int64()))
        cust = np.asarray(g.column("customers").to_numpy(zero_copy_only=False), dtype=float)

        def ratio(a, b):
            a = np.asarray(a, dtype=float)
            b = np.asarray(b, dtype=float)
            return pa.array(np.where(b > 0, a / np.where(b > 0, b, 1), np.nan))
        g = g.append_column("contacts_per_planned",
                            ratio(g.column("contacts").to_numpy(), g.column("planned").to_numpy()))
        if "complaints" in g.column_names:
            g = g.append_column("complaint_rate", ratio(g.column("complaints").to_numpy(), cust))
            g = g.append_column("mean_survey_score",
                                ratio(g.column("survey_sum").to_numpy(), g.column("scored").to_numpy()))
        if "sales" in g.column_names:
            g = g.append_column("sales_per_customer", ratio(g.column("sales").to_numpy(), cust))
            g = g.append_column("retention", ratio(g.column("buyers").to_numpy(), cust))
        return Table(g, None, f"service KPIs by {', '.join(keys)} ({self.note})")

    def on_time_vs_overdue(self) -> Table:
        """The KPIs per period, tier and cadence state: within cadence versus missed
        (descriptive, not causal)."""
        return self.by("tier", "cadence")

    def to_arrow(self) -> pa.Table:
        return self.table

    def __arrow_c_stream__(self, requested_schema=None):
        return self.table.__arrow_c_stream__(requested_schema)

    def to_pandas(self, **kwargs):
        return Table(self.table, None).to_pandas(index=False, **kwargs)

    def to_polars(self):
        return Table(self.table, None).to_polars()

    def __repr__(self) -> str:
        return f"<tierkit service KPIs ({self.note})>\n" + text_table(self.by("tier").to_arrow(), limit=20)

    def _repr_html_(self) -> str:
        return html_table(self.by("tier").to_arrow(), f"tierkit service KPIs by tier ({self.note})", limit=30)


def occasions(attributes, tiers, columns, *, as_of, days: int = 30, key: str | None = None, plan=None,
              tier: str = "tier", since=None) -> Table:
    """Occasions (生日、开户周年) within [as_of, as_of + days): per customer of the tiers and
    date column of `attributes` (birthday, account opened, ...) whose anniversary falls
    then: key, tier (on as_of), occasion (the column), date, on (the day), years.
    A 29 February date falls on 28 February in other years; rows with years < 1 are not
    occasions. Ordered by day, tier rank, key. Attribute rows of customers the tiers do not
    hold are counted in ``result.unknown_customers``."""
    what = "tierkit.service.occasions"
    day = required_day(as_of, f"{what}: as_of")
    st = service_tiers(tiers, plan, date=day, since=since, key=key, tier=tier, value=None, what=what)
    if isinstance(columns, str):
        columns = [columns]
    t = _table(attributes, what)
    k = key or st.key_name
    if k not in t.column_names:
        raise missing_column(k, t.column_names, "attributes' key", what)
    dates = []
    for c in columns:
        if c not in t.column_names:
            raise missing_column(c, t.column_names, "occasion", what)
        dates.append(_days(t.column(c), f"{what}: column {c!r}"))
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)):
        raise InvalidInput(f"{what}: days must be a whole number from 0 to 366; got {days!r}")
    r = _core.find_occasions(st.core, _key_capsule(one_array(t.column(k)), what), k, list(columns), dates, day,
                             int(days))
    cust = np.asarray(r["customer"], dtype=np.int64)
    on = np.asarray(r["on"], dtype=np.int64)
    out = pa.table({st.key_name: st.keys().take(pa.array(cust)), "tier": _labels(r["tier"], st.tier_names),
                    "occasion": _labels(r["occasion"], list(columns)), "date": _dates(r["date"]),
                    "on": _dates(r["on"]), "days_until": pa.array((on - day).astype(np.int32)),
                    "years": pa.array(r["years"])})
    result = Table(out, st.key_name, f"occasions {to_date(day)} + {days} days")
    result.unknown_customers = int(r["unknown_customers"])
    return result


__all__ = ["ContactBook", "DueList", "ServiceKPIs", "occasions", "CADENCE_STATES"]
