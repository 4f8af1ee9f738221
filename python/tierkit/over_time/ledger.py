"""The tier ledger: every customer's tier over time, and what can be read from it.

    ledger.spells()                      customer, tier, effective_from, effective_to, reason, ...
    ledger.at("2011-06-01")              every customer's tier on a day (a lookup)
    ledger.history(12346)                one customer's spells
    ledger.changes("2011-05-01", "2011-06-01")   spells that began in [from, to)
    ledger.records("2011-06-01")         per customer: raw tier, held tier, watch count, ...
    ledger.watch_list()                  customers on watch (关注) at the last assessment
    ledger.migration(d1, d2)             customers (and value) by tier on d1 x tier on d2
    ledger.flows()                       tier -> tier per assessment step (for Sankey charts)
    ledger.kpis()                        per tier and assessment: customers, next-period value,
                                         retention, churn, upgrades and downgrades, lift
    ledger.feedback(events)              complaints, surveys, contacts per tier and period
    ledger.advance(next_transactions)    the next assessment, incrementally
    ledger.save("ledger.tkl"); tk.TierLedger.load("ledger.tkl"); pickle.dumps(ledger)

Spells are [effective_from, effective_to): effective_to is null while the spell is open.
Reasons: initial, upgrade, downgrade, manual, override expired, policy changed.
"""
from __future__ import annotations

import datetime as _dt
import html

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._arrow import as_arrow, key_array, missing_column, one_array
from .._errors import FormatError, InvalidInput, SchemaError
from .._results import Table, html_table, text_table
from .._time import NO_DAY, to_day
from ..scoring import register_loader, save_bytes

REASONS = list(_core.REASONS)
OVERRIDE_KINDS = list(_core.OVERRIDE_KINDS)


def _dates(days: np.ndarray) -> pa.Array:
    """date32 with nulls for the no-day sentinel."""
    days = np.asarray(days, dtype=np.int32)
    mask = days == NO_DAY
    return pa.array(np.where(mask, 0, days), pa.int32(), mask=mask if mask.any() else None).view(pa.date32())


def _labels(codes: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    """Dictionary column of labels[code] (code -1: null)."""
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes), pa.int32(), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(idx, pa.array(labels, pa.string()))


def _day(value, what: str) -> int:
    d = to_day(value, what)
    if d is None:
        raise InvalidInput(f"{what}: a date is required")
    return d


class Migration:
    """Customers by tier on two days: ``counts`` (rows: tiers on the first day, and
    "(new)" for customers without a tier then; columns: tiers on the second day),
    ``shares`` of each row, and ``value`` moved when a value was given."""

    def __init__(self, from_day: int, to_day: int, rows: list[str], columns: list[str],
                 counts: np.ndarray, value: np.ndarray | None, value_name: str | None):
        self.from_date = _dt.date(1970, 1, 1) + _dt.timedelta(days=from_day)
        self.to_date = _dt.date(1970, 1, 1) + _dt.timedelta(days=to_day)
        self.rows, self.columns = rows, columns
        self.counts = counts
        with np.errstate(invalid="ignore", divide="ignore"):
            totals = counts.sum(axis=1, keepdims=True)
            self.shares = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
        self.value = value
        self.value_name = value_name

    def rates(self, ranks: list[str]) -> dict:
        """Shares of the customers who had a tier on both days that moved up, down or stayed
        (up = to a tier ranked higher in `ranks`)."""
        pos = {t: i for i, t in enumerate(ranks)}
        up = down = stay = 0
        for i, r in enumerate(self.rows):
            if r not in pos:
                continue
            for j, c in enumerate(self.columns):
                n = int(self.counts[i, j])
                if pos[c] < pos[r]:
                    up += n
                elif pos[c] > pos[r]:
                    down += n
                else:
                    stay += n
        total = up + down + stay
        return {"customers": total, "up": up / total if total else float("nan"),
                "down": down / total if total else float("nan"),
                "stay": stay / total if total else float("nan")}

    def to_arrow(self, what: str = "counts") -> pa.Table:
        """The matrix as a table: a `from` column and one column per tier on the second day
        (what: "counts", "shares" or "value")."""
        m = {"counts": self.counts, "shares": self.shares, "value": self.value}[what]
        if m is None:
            raise InvalidInput("tierkit.Migration: no value was given for this migration")
        cols = {"from": pa.array(self.rows, pa.string())}
        for j, c in enumerate(self.columns):
            cols[c] = pa.array(m[:, j])
        return pa.table(cols)

    def to_long(self) -> pa.Table:
        """One row per (from, to) cell: customers, share of the from-tier, value."""
        fr, to, n, sh, val = [], [], [], [], []
        for i, r in enumerate(self.rows):
            for j, c in enumerate(self.columns):
                fr.append(r)
                to.append(c)
                n.append(int(self.counts[i, j]))
                sh.append(float(self.shares[i, j]))
                val.append(None if self.value is None else float(self.value[i, j]))
        cols = {"from": fr, "to": to, "customers": n, "share_of_from": sh}
        if self.value is not None:
            cols[self.value_name or "value"] = val
        return pa.table(cols)

    def plot(self, ax=None, lang: str = "en"):
        """The matrix as a heatmap of row shares with counts (tk.plots.migration_heatmap)."""
        from ..plots import migration_heatmap
        return migration_heatmap(self, ax=ax, lang=lang)

    def to_pandas(self, what: str = "counts"):
        """The matrix as a pandas DataFrame indexed by the first day's tier (what: "counts",
        "shares" or "value"); needs pandas."""
        from .._optional import require
        require("pandas", "Migration.to_pandas()")
        return self.to_arrow(what).to_pandas().set_index("from")

    def __repr__(self) -> str:
        return (f"<tierkit migration {self.from_date} -> {self.to_date}>\n" + text_table(self.to_arrow()))

    def _repr_html_(self) -> str:
        return html_table(self.to_arrow(), f"tierkit migration {self.from_date} -> {self.to_date}: customers")


class TierLedger:
    """Every customer's tier over time (see the module). Made by ``TierHistory.run``; loaded
    by ``TierLedger.load`` / ``from_bytes``."""

    def __init__(self, core: _core.TierLedger, engine=None, key_name: str | None = None,
                 key_type: pa.DataType | None = None, settings: dict | None = None):
        self._core = core
        self._engine = engine
        self.key_name = key_name or (engine.key_name if engine else "customer_id")
        self._key_type = key_type or (engine.key_type if engine and engine.key_type else None)
        self.settings = settings if settings is not None else (engine.history.settings() if engine else {})

    # --- basics ---------------------------------------------------------------------------------
    @property
    def dates(self) -> list[_dt.date]:
        """The assessment dates so far."""
        return [_dt.date(1970, 1, 1) + _dt.timedelta(days=int(d)) for d in self._core.dates]

    @property
    def tiers(self) -> list[str]:
        """Tier names, in order of first use (the first version's ranking first)."""
        return list(self._core.tier_names)

    @property
    def ranks(self) -> list[str]:
        """The tiers of the latest policy version, highest first."""
        return list(self._core.versions[-1].tiers)

    @property
    def versions(self) -> pa.Table:
        """Policy versions: label, effective_from, fingerprint, ranked tiers."""
        v = self._core.versions
        return pa.table({"version": list(range(len(v))), "label": [x.label for x in v],
                         "effective_from": _dates(np.array([max(x.effective_from, -719162) for x in v])),
                         "fingerprint": [x.fingerprint for x in v],
                         "tiers": [" > ".join(x.tiers) for x in v]})

    @property
    def report(self) -> dict:
        """Rows read, used, dropped (per column and problem) and waiting after the last
        assessment."""
        if self._engine is None:
            return {}
        r = dict(self._engine.report)
        r["dropped"] = [{"column": c, "problem": p, "rows": n} for (c, p), n in r["dropped"].items()]
        return r

    def __len__(self) -> int:
        return self._core.customers

    def _keys(self) -> pa.Array:
        return key_array(self._core, self._key_type or (pa.large_string() if self._core.keys_are_strings
                                                        else pa.int64()))

    def _index_of(self, customer) -> int:
        keys = self._keys()
        try:
            where = pc.index(keys, pa.scalar(customer, type=keys.type)).as_py()
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            where = -1
        if where is None or where < 0:
            raise InvalidInput("tierkit.TierLedger: no customer with the key given is in the ledger")
        return where

    # --- tables ---------------------------------------------------------------------------------
    def spells(self) -> Table:
        """Every spell: customer, tier, effective_from, effective_to (null while open), reason,
        rule (the rule that named the raw tier; null when manual), policy version, fingerprint,
        previous_tier."""
        return self._spell_table(None)

    def _spell_table(self, rows: np.ndarray | None) -> Table:
        s = self._core.spells()
        if rows is not None:
            s = {k: np.asarray(v)[rows] for k, v in s.items()}
        keys = self._keys().take(pa.array(np.asarray(s["customer"], dtype=np.int64)))
        names = self.tiers
        versions = self._core.versions
        rule = np.asarray(s["rule"])
        version = np.asarray(s["version"])
        rule_text = [None if r == _core.RULE_NONE
                     else (versions[v].rule_names[r] if 0 <= r < len(versions[v].rule_names) else "default")
                     for r, v in zip(rule.tolist(), version.tolist())]
        t = pa.table({self.key_name: keys, "tier": _labels(s["tier"], names),
                      "effective_from": _dates(s["from"]), "effective_to": _dates(s["to"]),
                      "reason": _labels(s["reason"], REASONS), "rule": pa.array(rule_text, pa.string()),
                      "version": pa.array(version, pa.int32()),
                      "fingerprint": pa.array([versions[v].fingerprint for v in version.tolist()], pa.string()),
                      "previous_tier": _labels(s["previous_tier"], names)})
        return Table(t, self.key_name, "tier spells")

    def at(self, date) -> Table:
        """Every customer's tier on `date` (customers without a tier then are absent): tier and
        since (the spell's start)."""
        d = _day(date, "tierkit.TierLedger.at")
        snap = self._core.at(d)
        keys = self._keys().take(pa.array(snap["customer"].astype(np.int64)))
        t = pa.table({self.key_name: keys, "tier": _labels(snap["tier"], self.tiers),
                      "since": _dates(snap["since"])})
        return Table(t, self.key_name, f"tiers on {_dt.date(1970, 1, 1) + _dt.timedelta(days=d)}")

    def history(self, customer) -> Table:
        """One customer's spells, in time order."""
        return self._spell_table(np.asarray(self._core.history(self._index_of(customer))))

    def changes(self, from_date, to_date) -> Table:
        """Spells that began on days [from_date, to_date), with the tier before."""
        a = _day(from_date, "tierkit.TierLedger.changes")
        b = _day(to_date, "tierkit.TierLedger.changes")
        return self._spell_table(np.asarray(self._core.changes(a, b)))

    def records(self, date=None) -> Table:
        """Per assessment and customer: raw tier, rule, held tier, watch (consecutive
        assessments below the held tier), downgrade_on (the projected downgrade date while on
        watch), override in force, protected_new. ``date``: one assessment only."""
        k = -1
        if date is not None:
            d = _day(date, "tierkit.TierLedger.records")
            dates = list(self._core.dates)
            if d not in dates:
                raise InvalidInput(f"tierkit.TierLedger.records: {date} is not an assessment date")
            k = dates.index(d)
        r = self._core.records(k)
        names = self.tiers
        keys = self._keys().take(pa.array(np.asarray(r["customer"], dtype=np.int64)))
        below = np.asarray(r["below"], dtype=np.int32)
        t = pa.table({"assessment": _dates(r["date"]), self.key_name: keys,
                      "raw_tier": _labels(r["raw"], names),
                      "rule": pa.array(np.asarray(r["rule"], dtype=np.int32)),
                      "tier": _labels(r["held"], names),
                      "watch": pa.array(below),
                      "downgrade_on": _dates(r["downgrade_on"]),
                      "override": _labels(np.where(np.asarray(r["override"]) == 0, -1,
                                                   np.asarray(r["override"], dtype=np.int32)), OVERRIDE_KINDS),
                      "protected_new": pa.array(np.asarray(r["protected_new"], dtype=bool)),
                      "version": pa.array(np.asarray(r["version"], dtype=np.int32))})
        return Table(t, None, "assessment records")

    def watch_list(self, date=None) -> Table:
        """Customers on watch (关注) at an assessment (default: the last): held tier, raw
        tier, watch count and the projected downgrade date if nothing changes."""
        if not self._core.dates:
            raise InvalidInput("tierkit.TierLedger.watch_list: no assessment yet")
        d = date if date is not None else self.dates[-1]
        t = self.records(d).to_arrow()
        t = t.filter(pc.greater(t.column("watch"), 0))
        return Table(t.select([self.key_name, "tier", "raw_tier", "watch", "downgrade_on"]),
                     self.key_name, f"watch list on {d}")

    def flows(self) -> Table:
        """Held tier from one assessment to the next: assessment, from_tier (null: first
        assessed then), to_tier, customers."""
        f = self._core.flows()
        t = pa.table({"assessment": _dates(f["date"]), "from_tier": _labels(f["from"], self.tiers),
                      "to_tier": _labels(f["to"], self.tiers), "customers": pa.array(f["customers"])})
        return Table(t, None, "tier flows")

    def migration(self, from_date, to_date, value="spend") -> Migration:
        """Customers by tier on `from_date` (rows; "(new)" for customers without a tier then)
        and `to_date` (columns).

        ``value``: "spend" (default) sums each customer's net spend between the two dates when
        both are assessment dates of this ledger's run (else no value); a keyed table (the
        ledger's key column and one numeric column) sums that column; None for counts only.
        """
        what = "tierkit.TierLedger.migration"
        a, b = _day(from_date, what), _day(to_date, what)
        v, name = self._values(value, a, b, what)
        m = self._core.migration(a, b, v)
        names = self.tiers
        rows = [names[i] if i >= 0 else "(new)" for i in m["from_tiers"]]
        cols = [names[i] for i in m["to_tiers"]]
        shape = (len(rows), len(cols))
        counts = np.asarray(m["counts"]).reshape(shape)
        val = None if m["value"] is None else np.asarray(m["value"]).reshape(shape)
        return Migration(a, b, rows, cols, counts, val, name)

    def _values(self, value, a: int, b: int, what: str):
        n = self._core.customers
        if value is None:
            return None, None
        if isinstance(value, str) and value == "spend":
            e = self._engine
            dates = list(self._core.dates)
            if e is None or a not in dates or b not in dates or a == b:
                return None, None
            v = np.zeros(n)
            for k in range(dates.index(a), dates.index(b)):
                if k in e.next_period:
                    idx, val, _ = e.next_period[k]
                    np.add.at(v, idx, val)
            return v, "spend"
        source = as_arrow(value, what)
        t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
        if self.key_name not in t.column_names:
            raise missing_column(self.key_name, t.column_names, "value", what)
        others = [c for c in t.column_names if c != self.key_name]
        if len(others) != 1:
            raise SchemaError(f"{what}: the value table needs the key {self.key_name!r} and one value "
                              f"column; got {t.column_names}")
        idx = self._find(one_array(t.column(self.key_name)))
        vals = one_array(t.column(others[0])).cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
        v = np.full(n, np.nan)
        known = idx >= 0
        v[idx[known]] = vals[known]
        return v, others[0]

    def _find(self, keys: pa.Array) -> np.ndarray:
        if pa.types.is_dictionary(keys.type):
            keys = keys.cast(keys.type.value_type)
        if pa.types.is_integer(keys.type):
            return np.asarray(self._core.find_keys(np.asarray(keys.cast(pa.int64()).to_numpy(zero_copy_only=False))))
        return np.asarray(self._core.find_keys([str(k) for k in keys.to_pylist()]))

    # --- KPIs -----------------------------------------------------------------------------------
    def kpis(self) -> Table:
        """Per assessment and tier (held): customers and share; what followed in the period up
        to the next assessment: value (net spend) and its share, value per customer, retention
        (share who bought again), lift (value per customer over the mean of all customers);
        churn (share whose lifecycle stage was 'churned' at the next assessment, with a
        lifecycle strategy in the policy); upgrades_in / downgrades_in (customers who came from
        a lower / higher tier at this assessment) and upgrades_out / downgrades_out (customers
        who leave for a higher / lower tier at the next). The next-period columns are null for
        the last assessment."""
        e = self._engine
        off = np.asarray(self._core.record_offsets())
        dates = list(self._core.dates)
        names = self.tiers
        rank = {t: i for i, t in enumerate(self.ranks)}
        tier_rank = np.array([rank.get(t, len(rank)) for t in names] + [len(rank) + 1])
        held_all = np.asarray(self._core.held(), dtype=np.int64)
        out: dict[str, list] = {k: [] for k in (
            "assessment", "tier", "customers", "share", "next_value", "next_value_share",
            "next_value_per_customer", "retention", "lift", "churn", "upgrades_in", "downgrades_in",
            "upgrades_out", "downgrades_out")}
        T = len(names)
        prev_held = None
        for k, d in enumerate(dates):
            lo, hi = int(off[k]), int(off[k + 1])
            held = held_all[lo:hi]
            n = hi - lo
            counts = np.bincount(held, minlength=T)
            # Moves at this assessment: customer c's previous record is at c (records list
            # customers 0, 1, ... in order).
            up_in = np.zeros(T, np.int64)
            down_in = np.zeros(T, np.int64)
            if prev_held is not None:
                m = len(prev_held)
                before, now = prev_held, held[:m]
                moved_up = tier_rank[now] < tier_rank[before]
                moved_down = tier_rank[now] > tier_rank[before]
                up_in = np.bincount(now[moved_up], minlength=T)
                down_in = np.bincount(now[moved_down], minlength=T)
            up_out = np.zeros(T, np.int64)
            down_out = np.zeros(T, np.int64)
            if k + 1 < len(dates):
                nxt = held_all[int(off[k + 1]):int(off[k + 2])][:n]
                up_out = np.bincount(held[tier_rank[nxt] < tier_rank[held]], minlength=T)
                down_out = np.bincount(held[tier_rank[nxt] > tier_rank[held]], minlength=T)
            has_next = e is not None and k in e.next_period
            if has_next:
                idx, val, bought = e.next_period[k]
                value = np.zeros(n)
                buy = np.zeros(n, bool)
                inside = idx < n
                value[idx[inside]] = val[inside]
                buy[idx[inside]] = bought[inside]
                v_sum = np.bincount(held, weights=value, minlength=T)
                b_sum = np.bincount(held, weights=buy, minlength=T)
                total = value.sum()
                mean_all = total / n if n else np.nan
            churned = None
            if e is not None and (k + 1) in e.churned:
                flag = np.zeros(n, bool)
                c = e.churned[k + 1]
                flag[c[c < n]] = True
                churned = np.bincount(held, weights=flag, minlength=T)
            for t in range(T):
                if counts[t] == 0 and up_out[t] == 0:
                    continue
                out["assessment"].append(d)
                out["tier"].append(names[t])
                out["customers"].append(int(counts[t]))
                out["share"].append(counts[t] / n if n else np.nan)
                if has_next:
                    per = v_sum[t] / counts[t] if counts[t] else np.nan
                    out["next_value"].append(float(v_sum[t]))
                    out["next_value_share"].append(float(v_sum[t] / total) if total else np.nan)
                    out["next_value_per_customer"].append(float(per))
                    out["retention"].append(float(b_sum[t] / counts[t]) if counts[t] else np.nan)
                    out["lift"].append(float(per / mean_all) if mean_all else np.nan)
                else:
                    for c in ("next_value", "next_value_share", "next_value_per_customer", "retention", "lift"):
                        out[c].append(None)
                out["churn"].append(float(churned[t] / counts[t]) if churned is not None and counts[t] else None)
                out["upgrades_in"].append(int(up_in[t]))
                out["downgrades_in"].append(int(down_in[t]))
                out["upgrades_out"].append(int(up_out[t]))
                out["downgrades_out"].append(int(down_out[t]))
            prev_held = held
        cols = {"assessment": _dates(np.array(out["assessment"], dtype=np.int32)),
                "tier": pa.array(out["tier"], pa.string())}
        for c in list(out)[2:]:
            cols[c] = pa.array(out[c], pa.int64() if c in ("customers", "upgrades_in", "downgrades_in",
                                                          "upgrades_out", "downgrades_out") else pa.float64())
        t = pa.table(cols)
        # Tiers in rank order within each assessment.
        order = np.lexsort((np.array([rank.get(x, len(rank)) for x in out["tier"]]),
                            np.array(out["assessment"], dtype=np.int64)))
        return Table(t.take(pa.array(order)), None, "tier KPIs")

    def feedback(self, events, *, customer: str | None = None, time: str = "time", kind: str = "kind",
                 value: str | None = "value") -> Table:
        """Feedback events (complaints, survey scores, contacts, ...) per assessment period,
        tier and kind: events, customers in the tier, events per customer, mean value.

        An event at time t belongs to the period [assessment k, assessment k + 1) holding its
        day (the last period is open-ended), and to the tier the customer held at the start of
        that period. Events before the first assessment or of customers without a tier then
        are left out and counted in the result's ``left_out``.
        """
        what = "tierkit.TierLedger.feedback"
        customer = customer or self.key_name
        source = as_arrow(events, what)
        t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
        for c in [customer, time, kind] + ([value] if value else []):
            if c not in t.column_names:
                raise missing_column(c, t.column_names, "feedback", what)
        tc = one_array(t.column(time))
        if pa.types.is_timestamp(tc.type):
            tc = (pc.local_timestamp(tc) if tc.type.tz else tc).cast(pa.date32())
        if not (pa.types.is_date32(tc.type) or pa.types.is_date64(tc.type)):
            raise SchemaError(f"{what}: the time column {time!r} must hold dates or timestamps; got {tc.type}")
        days = np.asarray(tc.cast(pa.date32()).cast(pa.int32()).fill_null(np.iinfo(np.int32).min)
                          .to_numpy(zero_copy_only=False), dtype=np.int64)
        dates = np.asarray(self._core.dates, dtype=np.int64)
        period = np.searchsorted(dates, days, side="right") - 1
        idx = self._find(one_array(t.column(customer)))
        kinds = one_array(t.column(kind)).cast(pa.string()).to_pylist()
        vals = (one_array(t.column(value)).cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
                if value else np.full(len(days), np.nan))
        off = np.asarray(self._core.record_offsets())
        held_all = np.asarray(self._core.held(), dtype=np.int64)
        names = self.tiers
        groups: dict[tuple, list] = {}
        left_out = 0
        tier_sizes: dict[tuple, int] = {}
        for k in range(len(dates)):
            lo, hi = int(off[k]), int(off[k + 1])
            counts = np.bincount(held_all[lo:hi], minlength=len(names))
            for ti, n in enumerate(counts):
                tier_sizes[(k, ti)] = int(n)
        for i in range(len(days)):
            k = int(period[i])
            c = int(idx[i])
            if k < 0 or c < 0 or c >= int(off[k + 1] - off[k]):
                left_out += 1
                continue
            ti = int(held_all[int(off[k]) + c])
            g = groups.setdefault((k, ti, kinds[i]), [0, 0.0, 0])
            g[0] += 1
            if not np.isnan(vals[i]):
                g[1] += vals[i]
                g[2] += 1
        rows = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2])))
        out = pa.table({
            "assessment": _dates(np.array([int(dates[k]) for (k, _, _), _ in rows], dtype=np.int32)),
            "tier": pa.array([names[ti] for (_, ti, _), _ in rows], pa.string()),
            "kind": pa.array([kd for (_, _, kd), _ in rows], pa.string()),
            "events": pa.array([g[0] for _, g in rows], pa.int64()),
            "customers": pa.array([tier_sizes[(k, ti)] for (k, ti, _), _ in rows], pa.int64()),
            "per_customer": pa.array([g[0] / tier_sizes[(k, ti)] if tier_sizes[(k, ti)] else None
                                      for (k, ti, _), g in rows], pa.float64()),
            "mean_value": pa.array([g[1] / g[2] if g[2] else None for _, g in rows], pa.float64())})
        result = Table(out, None, "feedback per tier")
        result.left_out = left_out
        return result

    def plot_flows(self, ax=None, lang: str = "en"):
        """Customers per held tier at each assessment, stacked (tk.plots.tier_flows)."""
        from ..plots import tier_flows
        return tier_flows(self, ax=ax, lang=lang)

    def plot_kpis(self, ax=None, lang: str = "en"):
        """Next period's value per customer by tier (tk.plots.tier_kpis)."""
        from ..plots import tier_kpis
        return tier_kpis(self, ax=ax, lang=lang)

    # --- over time ------------------------------------------------------------------------------
    def advance(self, transactions=None, attributes=None, *, date=None) -> "TierLedger":
        """The next assessment (the schedule's next date, or `date`), from the transactions
        since the last assessment (rows before it are refused). Gives exactly the ledger a run
        over the whole history would. Returns self."""
        if self._engine is None:
            raise InvalidInput("tierkit.TierLedger.advance: this ledger was loaded without its "
                               "assessment state; advance the ledger its TierHistory.run made (or one "
                               "saved with state)")
        self._engine.advance(transactions, attributes, date)
        return self

    def save_state(self, path) -> None:
        """Writes the ledger with everything ``advance`` needs (period states, the rows after
        the last assessment, frozen models) to `path`; ``TierHistory.resume(path)`` reads it
        back. Written beside the target and renamed when complete."""
        save_bytes(path, self.state_bytes())

    def state_bytes(self) -> bytes:
        """The ledger and its assessment state as bytes (see ``save_state``)."""
        if self._engine is None:
            raise InvalidInput("tierkit.TierLedger.state_bytes: this ledger holds no assessment state "
                               "(it was loaded from ledger bytes); save() writes the ledger itself")
        return self._engine.to_bytes()

    def change_policy(self, history, effective_from=None) -> "TierLedger":
        """A new policy version from `effective_from` (default: the next assessment date): the
        TierHistory (or Tiering, TierPolicy, policy file) whose rules, ranks and transitions
        apply from then on. At its first assessment every customer is re-tiered at the new raw
        tier (reason "policy changed"); overrides in force still apply. Returns self."""
        from .history import TierHistory
        e = self._engine
        if e is None:
            raise InvalidInput("tierkit.TierLedger.change_policy: this ledger holds no assessment state")
        new = history if isinstance(history, TierHistory) else TierHistory(
            history, frequency=e.history.frequency, dates=e.history.dates,
            window_months=e.history.window_months, attributes_effective=e.history.attributes_effective)
        if new.window_months != e.history.window_months or new.tiering.roles != e.history.tiering.roles:
            raise InvalidInput("tierkit.TierLedger.change_policy: a new version keeps the window and the "
                               "transactions' columns (the periods already profiled depend on them)")
        last = int(self._core.dates[-1]) if self._core.dates else None
        if effective_from is None:
            if last is None or e.history.frequency is None:
                raise InvalidInput("tierkit.TierLedger.change_policy: give effective_from")
            day = _core.assessment_after(e.history.frequency, last, 1)
        else:
            day = _day(effective_from, "tierkit.TierLedger.change_policy")
        v = new.version
        self._core.add_version(_core.PolicyVersion(v.label, day, v.fingerprint, list(v.tiers), list(v.transitions),
                                                   v.protect_new_days, list(v.rule_names)))
        e.pending_history = (day, new)
        return self

    def check(self) -> None:
        """Checks the ledger's invariants (no overlapping spells, no gaps, one open spell per
        customer); raises RuntimeError naming the first broken one."""
        try:
            self._core.check_invariants()
        except RuntimeError:
            raise

    # --- persistence ----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The ledger (spells, records, versions, overrides, states) in tierkit's envelope."""
        return self._core.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, key_name: str = "customer_id",
                   key_type: pa.DataType | None = None) -> "TierLedger":
        """The ledger that ``to_bytes`` wrote; ``key_name`` and ``key_type`` name and type the
        customer column of its tables."""
        return cls(_core.TierLedger.from_bytes(data), None, key_name, key_type, {})

    def save(self, path) -> None:
        """Writes ``to_bytes()`` (the spells and overrides, not the period states: see
        save_state) to ``path`` atomically."""
        save_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path, key_name: str = "customer_id") -> "TierLedger":
        """The ledger a ``save`` wrote; FormatError when the file holds something else."""
        from ..scoring import load
        obj = load(path)
        if not isinstance(obj, TierLedger):
            raise FormatError(f"tierkit.TierLedger.load: {path} holds a {type(obj).__name__}, not a ledger")
        obj.key_name = key_name
        return obj

    def __reduce__(self):
        return (_from_pickle, (self.to_bytes(), self.key_name, str(self._key_type) if self._key_type else None,
                               self.settings))

    def __eq__(self, other) -> bool:
        return isinstance(other, TierLedger) and self._core == other._core

    __hash__ = None  # type: ignore[assignment]  # unhashable: compares by value

    def to_arrow(self) -> pa.Table:
        """The spells, as an Arrow table (export with pyarrow.parquet.write_table)."""
        return self.spells().to_arrow()

    def __repr__(self) -> str:
        n = len(self._core.dates)
        head = (f"<tierkit TierLedger: {len(self):,} customers, {n} assessments"
                + (f" {self.dates[0]} .. {self.dates[-1]}" if n else "")
                + f", {len(self._core.spells()['tier']):,} spells>")
        if not n:
            return head
        return head + "\n" + text_table(self._tier_counts())

    def _tier_counts(self) -> pa.Table:
        snap = self._core.at(int(self._core.dates[-1]))
        counts = np.bincount(np.asarray(snap["tier"]), minlength=len(self.tiers))
        order = [t for t in self.ranks] + [t for t in self.tiers if t not in self.ranks]
        return pa.table({"tier": order, "customers": [int(counts[self.tiers.index(t)]) for t in order]})

    def _repr_html_(self) -> str:
        n = len(self._core.dates)
        title = f"tierkit TierLedger: {len(self):,} customers, {n} assessments"
        if not n:
            return f"<div><strong>{html.escape(title)}</strong></div>"
        return html_table(self._tier_counts(), f"{title}; tiers on {self.dates[-1]}") + \
            html_table(self.watch_list().to_arrow(), "watch list", limit=10)


def _from_pickle(data: bytes, key_name: str, key_type: str | None, settings: dict) -> TierLedger:
    t = None
    if key_type is not None:
        try:
            t = pa.type_for_alias(key_type)
        except ValueError:
            t = None
    return TierLedger(_core.TierLedger.from_bytes(data), None, key_name, t, settings)


register_loader("tier_ledger", lambda data: TierLedger.from_bytes(data))

__all__ = ["TierLedger", "Migration"]
