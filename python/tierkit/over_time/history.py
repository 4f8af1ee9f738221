"""Periodic re-assessment: a tier policy applied at every assessment date, tiers kept stable
by transition rules, the result a tier ledger.

    hist = tk.TierHistory("retail.yaml", frequency="month", window_months=12,
                          transitions={"Gold": {"downgrade_after": 3}})
    ledger = hist.run(transactions, attributes)     # one assessment per month of the data
    ledger.at("2011-06-01"); ledger.migration("2011-01-01", "2011-12-01"); ledger.kpis()
    ledger.advance(next_month)                       # the next assessment, incrementally

How each assessment sees the customers (include/tierkit/over_time/assessment_profile.hpp):
every customer seen before the date is assessed; recency, tenure, first and last purchase
come from all history before the date, every other column (frequency, monetary, ...) from
the trailing window (zero when the customer bought nothing in it). The history is cut into
periods at the assessment dates and window starts; each period is profiled once and the
periods of a window are merged, so a run of assessments costs about one pass over the rows.

Cut points: ``refit="every"`` fits the strategies afresh at every assessment (the default),
``"first"`` fits them at the first assessment and applies those models after, ``models=``
applies given models throughout. The ledger's ``settings`` say which.

Transitions (include/tierkit/over_time/transitions.hpp): tiers are ranked in policy order
(the first rule's tier highest, the default lowest) or by ``ranks=``; per tier
``upgrade_after`` and ``downgrade_after`` (consecutive assessments, 1 = at once) and
``downgrade_to`` ("raw" or "one_step"); ``protect_new_days``; manual ``overrides``.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import os
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._arrow import as_arrow, missing_column, one_array
from .._errors import FormatError, InvalidInput, SchemaError, TierkitError, threads_arg
from .._time import required_day, resolve_zone, to_day, valid_dates_arg
from ..attributes import CustomerAttributes
from ..policy import TierPolicy
from ..profile import Profile
from ..tiering import PolicyError, Tiering, derive_columns
from ..transactions import Transactions

if TYPE_CHECKING:
    from .ledger import TierLedger

# Open ends of the first and last period: the first and last supported days.
LOW_DAY = -719_162  # 0001-01-01
HIGH_DAY = 2_932_896  # 9999-12-31

# The default frequency (monthly), told apart from a frequency given with a list of dates.
_MONTHLY = "month (default)"

_ASSESSMENT_KEYS = {"frequency", "dates", "from", "to", "window_months", "refit", "transitions",
                    "ranks", "protect_new_days", "overrides", "attributes_effective", "label",
                    "effective_from"}
_TRANSITION_KEYS = {"upgrade_after", "downgrade_after", "downgrade_to"}


@dataclasses.dataclass(frozen=True)
class Transition:
    """How a tier is entered and left over successive assessments.

    upgrade_after: consecutive assessments at this tier or higher before a customer moves up
    to it (1: at once). downgrade_after: consecutive assessments below this tier before a
    customer holding it moves down (1: at once; while fewer, the customer is on watch).
    downgrade_to: "raw" (the latest raw tier) or "one_step".
    """
    upgrade_after: int = 1
    downgrade_after: int = 1
    downgrade_to: str = "raw"


def _close(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=2, cutoff=0.5)
    return (f" (did you mean {' or '.join(map(repr, close))}?)" if close
            else f" (known: {', '.join(map(str, known))})")


def _as_tiering(policy) -> Tiering:
    if isinstance(policy, Tiering):
        return policy
    if isinstance(policy, TierPolicy):
        return Tiering(policy)
    if isinstance(policy, (str, Path)):
        return Tiering.from_file(policy)
    raise InvalidInput("tierkit.TierHistory: policy must be a tk.Tiering, a tk.TierPolicy or the path "
                       f"of a policy file; got {type(policy).__name__}")


def _int_setting(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InvalidInput(f"{what} must be a whole number from {low:,} to {high:,}; got {value!r}")
    return int(value)


class TierHistory:
    """Re-assess customers over a calendar and keep their tiers in a ledger (see the module).

    Parameters
    ----------
    policy
        A ``tk.Tiering`` (strategies and rules), a ``tk.TierPolicy`` (rules over profile and
        attribute columns), or the path of a policy file (its ``assessment:`` section is read
        by ``from_file``).
    frequency
        "month", "quarter", "half_year" or "year": assess on the first day of each period (the
        as_of of the day after each period's end). Ignored when ``dates`` are given.
    dates
        Assessment dates given one by one (strictly ascending).
    start, end
        First and last assessment date of a frequency (default: the first period start
        after the first transaction, and the last period start on or before the day after
        the last transaction: complete periods only).
    window_months
        The trailing window of each assessment in months (default 12); None for all history.
    refit
        "every" (fit the strategies at every assessment), "first" (fit at the first, then
        apply those models), or ignored when ``models`` are given (applied throughout).
    transitions
        {tier: Transition or {upgrade_after, downgrade_after, downgrade_to}}; other tiers
        move at once.
    ranks
        The tiers from highest to lowest (default: policy order, the default tier last).
    protect_new_days
        No downgrade (nor watch) while the assessment is fewer days than this after the
        customer's first purchase.
    overrides
        A table of manual tiers: customer key (named as the transactions' customer column),
        tier, from, to (null: open), kind ("fixed" default, or "floor"), reason, operator.
    attributes_effective
        With attributes given as a long table: the column of the date each row takes effect;
        an assessment on day d reads, per customer, the latest row effective on or before d.
    label, effective_from
        The policy version's label (default: the policy's name) and its first day (default:
        from the beginning).
    """

    def __init__(self, policy, *, frequency: str | None = _MONTHLY, dates: Sequence | None = None,
                 start=None, end=None, window_months: int | None = 12, refit: str = "every",
                 models: Mapping | None = None,
                 transitions: Mapping[str, Any] | None = None, ranks: Sequence[str] | None = None,
                 protect_new_days: int = 0, overrides=None, attributes_effective: str | None = None,
                 label: str | None = None, effective_from=None):
        what = "tierkit.TierHistory"
        self.tiering = _as_tiering(policy)
        self.dates = None if dates is None else [required_day(d, f"{what}: dates") for d in dates]
        if self.dates is not None:
            _core.check_assessment_dates(self.dates, what)
        if frequency is _MONTHLY:  # the default: monthly, unless dates are listed
            frequency = None if self.dates is not None else "month"
        if frequency is not None and frequency not in ("month", "quarter", "half_year", "year"):
            raise InvalidInput(f"{what}: frequency must be 'month', 'quarter', 'half_year' or 'year'; "
                               f"got {frequency!r}")
        if frequency is None and self.dates is None:
            raise InvalidInput(f"{what}: give a frequency or the assessment dates")
        self.frequency = frequency
        self.start = to_day(start, f"{what}: start")
        self.end = to_day(end, f"{what}: end")
        self.window_months = None if window_months is None else \
            _int_setting(window_months, f"{what}: window_months", 1, 1200)
        if refit not in ("every", "first"):
            raise InvalidInput(f"{what}: refit must be 'every' or 'first'; got {refit!r}")
        self.models = dict(models) if models else None
        self.refit = "given models" if self.models else refit
        self.protect_new_days = _int_setting(protect_new_days, f"{what}: protect_new_days", 0, 100_000)
        tiers = self.tiering.policy.tiers
        self.ranks = list(ranks) if ranks is not None else list(tiers)
        if sorted(self.ranks) != sorted(tiers):
            missing = [t for t in tiers if t not in self.ranks]
            extra = [t for t in self.ranks if t not in tiers]
            raise InvalidInput(f"{what}: ranks must list every tier of the policy once: "
                               + (f"missing {missing}" if missing else "")
                               + (f" unknown {extra}" if extra else "")
                               + (" repeated" if not missing and not extra else ""))
        self.transitions: dict[str, Transition] = {}
        for tier, t in (transitions or {}).items():
            if tier not in tiers:
                raise InvalidInput(f"{what}: transitions name tier {tier!r}, which the policy does "
                                   f"not have{_close(tier, tiers)}")
            if isinstance(t, Mapping):
                unknown = [k for k in t if k not in _TRANSITION_KEYS]
                if unknown:
                    raise InvalidInput(f"{what}: transitions of {tier!r}: unknown key {unknown[0]!r}"
                                       f"{_close(unknown[0], sorted(_TRANSITION_KEYS))}")
                t = Transition(**t)
            if not isinstance(t, Transition):
                raise InvalidInput(f"{what}: transitions of {tier!r} must be a mapping or a "
                                   f"tk.Transition; got {type(t).__name__}")
            self.transitions[tier] = t
        self.label = label or self.tiering.name
        self.effective_from = to_day(effective_from, f"{what}: effective_from")
        self.attributes_effective = attributes_effective
        self.overrides = overrides
        self.version = self._version()  # validates the transitions

    @classmethod
    def from_file(cls, path, **overrides) -> "TierHistory":
        """From a policy file with an ``assessment:`` section (keyword arguments override it)::

            assessment:
              frequency: month            # or dates: [2024-01-01, ...]
              from: 2011-01-01            # optional, default from the data
              to: 2011-12-01
              window_months: 12           # or null for all history
              refit: every                # or first
              ranks: [Diamond, Gold, Silver, Bronze]   # optional, default policy order
              protect_new_days: 90
              transitions:
                Diamond: {downgrade_after: 3}
                Gold: {upgrade_after: 2, downgrade_after: 2, downgrade_to: one_step}
              overrides: overrides.csv    # relative to the policy file
        """
        tiering = Tiering.from_file(path)
        where = f"tierkit policy {tiering.name!r}: assessment"
        a = dict(tiering.assessment)
        for k in a:
            if k not in _ASSESSMENT_KEYS:
                raise PolicyError(f"{where}: unknown key {k!r}{_close(k, sorted(_ASSESSMENT_KEYS))}")
        kwargs: dict[str, Any] = {}
        for key, arg in (("frequency", "frequency"), ("dates", "dates"), ("from", "start"),
                         ("to", "end"), ("refit", "refit"), ("transitions", "transitions"),
                         ("ranks", "ranks"), ("protect_new_days", "protect_new_days"),
                         ("attributes_effective", "attributes_effective"), ("label", "label"),
                         ("effective_from", "effective_from")):
            if key in a:
                kwargs[arg] = a[key]
        if "window_months" in a:
            kwargs["window_months"] = a["window_months"]
        if "dates" in a and "frequency" not in a:
            kwargs["frequency"] = None
        if "overrides" in a and a["overrides"] is not None:
            from .._io import read_table
            p = Path(a["overrides"])
            if not p.is_absolute():
                p = Path(path).parent / p
            if not p.exists():
                raise PolicyError(f"{where}: no overrides file {str(p)!r}")
            kwargs["overrides"] = read_table(p, text_columns=["tier", "kind", "reason", "operator"])
        kwargs.update(overrides)
        try:
            return cls(tiering, **kwargs)
        except PolicyError:
            raise
        except (TierkitError, TypeError) as e:
            raise PolicyError(f"{where}: {e}") from None

    # --- the policy version ---------------------------------------------------------------------
    def _version(self) -> "_core.PolicyVersion":
        policy = self.tiering.policy
        per_tier = [self.transitions.get(t, Transition()) for t in self.ranks]
        core_t = []
        for tier, t in zip(self.ranks, per_tier):
            try:
                core_t.append(_core.TierTransition(int(t.upgrade_after), int(t.downgrade_after),
                                                   str(t.downgrade_to)))
            except (TypeError, ValueError) as e:
                raise InvalidInput(f"tierkit.TierHistory: transitions of {tier!r}: {e}") from None
        rule_names = [f"rule {i + 1}: {r['tier']} when {r['when']}" for i, r in enumerate(policy.rules)]
        return _core.PolicyVersion(self.label, self.effective_from if self.effective_from is not None
                                   else LOW_DAY, self.fingerprint(), list(self.ranks), core_t,
                                   self.protect_new_days, rule_names)

    def fingerprint(self) -> str:
        """16 hex digits identifying the policy's content: its rules, default, strategies,
        ranks, transitions, window and refit setting. Equal policies give equal prints."""
        t = self.tiering
        canon = {
            "rules": t.policy.rules, "default": t.policy.default,
            "strategies": [(n, type(s).__name__, _public_settings(s), on) for n, s, on in t.strategies],
            "transactions": {k: v for k, v in t.transactions.items() if k not in ("as_of", "window_start")},
            "ranks": self.ranks, "protect_new_days": self.protect_new_days,
            "transitions": {k: dataclasses.asdict(v) for k, v in sorted(self.transitions.items())},
            "window_months": self.window_months, "refit": self.refit,
        }
        return _core.policy_fingerprint(json.dumps(canon, sort_keys=True, default=str))

    def settings(self) -> dict:
        """What this history does, as recorded with its ledger."""
        return {"policy": self.tiering.name, "label": self.label, "fingerprint": self.version.fingerprint,
                "frequency": self.frequency, "window_months": self.window_months, "refit": self.refit,
                "ranks": list(self.ranks), "protect_new_days": self.protect_new_days,
                "transitions": {k: dataclasses.asdict(v) for k, v in self.transitions.items()}}

    # --- running ------------------------------------------------------------------------------
    def run(self, transactions, attributes=None, *, threads: int | None = None,
            progress=None) -> TierLedger:
        """Assess the customers of `transactions` at every date of the schedule and return the
        TierLedger. ``attributes``: static (CustomerAttributes or a keyed table) or, with
        ``attributes_effective``, a long table of dated rows. ``progress``: a callable taking a
        message per finished assessment."""
        from .ledger import TierLedger
        engine = _Engine(self, threads_arg(threads, "tierkit.TierHistory.run"), progress)
        engine.load(transactions, attributes)
        return TierLedger(engine.loaded_ledger(), engine)

    def resume(self, state, *, threads: int | None = None, progress=None) -> TierLedger:
        """The TierLedger saved with ``TierLedger.save_state`` (a path or bytes), ready to
        advance. The policy must be the one the state was saved under (its fingerprint is
        checked); a new policy joins as a version with ``TierLedger.change_policy``."""
        from .ledger import TierLedger
        data = state if isinstance(state, (bytes, bytearray)) else Path(state).read_bytes()
        engine = _Engine.from_bytes(self, data, threads_arg(threads, "tierkit.TierHistory.resume"), progress)
        return TierLedger(engine.loaded_ledger(), engine)

    def __repr__(self) -> str:
        when = f"every {self.frequency}" if self.dates is None else f"{len(self.dates)} dates"
        window = f"{self.window_months}-month window" if self.window_months else "all history"
        return (f"<tierkit TierHistory of {self.tiering.name!r}: {when}, {window}, refit {self.refit}; "
                f"ranks {' > '.join(self.ranks)}>")


def _public_settings(strategy) -> dict:
    """A strategy's settings for the fingerprint: its public, plainly printable attributes."""
    out = {}
    for k, v in sorted(vars(strategy).items()):
        if isinstance(v, (int, float, str, bool, type(None), list, tuple, dict)):
            out[k] = v
        else:
            out[k] = type(v).__name__
    return out


class _Engine:
    """The state a ledger needs to advance: period tables of the history still inside future
    windows, the customers seen before them, the rows after the last assessment, frozen
    models, the numbering of text values, and per assessment what followed it (KPIs)."""

    def __init__(self, history: TierHistory, threads: int, progress):
        self.history = history
        self.threads = threads
        self.step = progress or (lambda message: None)
        t = history.tiering
        self.what = f"tierkit.TierHistory ({t.name!r})"
        self.roles = t.roles or {"customer": "customer_id", "time": "time", "amount": "amount"}
        for role, default in (("customer", "customer_id"), ("time", "time"), ("amount", "amount")):
            self.roles.setdefault(role, default)
        s = t.profile_settings()
        for k in ("customer", "time", "amount", "order", "quantity", "channel", "category", "as_of",
                  "window_start"):
            s.pop(k, None)
        self.on_invalid = s.get("on_invalid", "raise")
        # Without time_zone in the policy, a time-zone-aware column's own zone cuts its days
        # (as in tk.profile), read from the first data.
        self.zone_given = s.get("time_zone") is not None
        self.settings = dict(zone=resolve_zone(s.get("time_zone")), period=s.get("period", "month"),
                             spend_series=bool(s.get("spend_series", True)),
                             purchase_days=bool(s.get("purchase_days", True)),
                             on_invalid=self.on_invalid,
                             valid_dates=valid_dates_arg(s.get("valid_dates"), self.what),
                             threads=threads)
        self.ledger: _core.TierLedger | None = None  # made by load or from_bytes
        # [lo, hi, PeriodTable, pushed]: periods not yet dropped from the rolling window (those
        # pushed into it, and later ones); the customers of dropped periods are in
        # history_before (kept for saving: a resumed run remembers them).
        self.segments: list[list] = []
        self.history_before = _core.CustomerHistory()
        self.rolling = _core.RollingProfile()
        self.value_dicts: dict[str, pa.Array] = {}  # text order/channel/category values, numbered
        self.future: pa.Table | None = None  # rows on or after the last assessment
        # Periods being profiled, in time order: (lo, hi, future or (function, arguments)),
        # hi None for the rows after the last cut (validated only); and the rows they came
        # from (for the error of the whole table).
        self._pending: deque[tuple] = deque()
        self._whole: pa.Table | None = None
        self.frozen = dict(history.models) if history.models else None
        self.key_name = self.roles["customer"]
        self.key_type: pa.DataType | None = None
        self.next_period: dict[int, tuple] = {}  # assessment index -> (index, value, bought)
        self.churned: dict[int, np.ndarray] = {}  # assessment index -> ledger indices churned
        self.raw_attributes = None
        self.report: dict[str, Any] = {"rows_read": 0, "rows_used": 0, "rows_dropped": 0,
                                       "rows_after_last_assessment": 0, "dropped": {}}
        self.models_by_date: dict[int, dict] = {}
        self.pending_history: tuple | None = None  # (first day, TierHistory) of a new version

    def loaded_ledger(self) -> _core.TierLedger:
        """The ledger (assessments are made only after load or from_bytes made it)."""
        assert self.ledger is not None
        return self.ledger

    # --- input ---------------------------------------------------------------------------------
    def _table(self, transactions) -> pa.Table:
        source = as_arrow(transactions, self.what)
        table = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
        derive = self.history.tiering.transactions.get("derive") or {}
        if derive:
            table = derive_columns(table, derive, self.what)
        Transactions(table.slice(0, 0), **self.roles)  # checks the roles against the schema
        t = table.schema.field(self.roles["time"]).type
        if not self.zone_given and self.ledger is None and pa.types.is_timestamp(t) and t.tz:
            self.settings["zone"] = resolve_zone(t.tz)
            self.zone_given = True
        table = self._number_values(table)
        key_type = table.schema.field(self.key_name).type
        if self.key_type is None:
            self.key_type = key_type
        return table

    def _number_values(self, table: pa.Table) -> pa.Table:
        """Text order, channel and category values as integers numbered over the whole history
        (period tables compare values across periods; a number means the same text in every
        period, later runs included). Nulls stay null (and invalid, as in profiles)."""
        for role in ("order", "channel", "category"):
            name = self.roles.get(role)
            if name is None:
                continue
            col = one_array(table.column(name))
            t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
            if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)):
                continue
            values = col.cast(pa.large_string())
            known = self.value_dicts.get(role)
            if known is None:
                enc = values.dictionary_encode()
                self.value_dicts[role] = enc.dictionary
                codes = enc.indices
            else:
                codes = pc.index_in(values, value_set=known)
                unseen = values.filter(pc.and_(pc.is_null(codes), pc.is_valid(values)))
                if len(unseen):
                    known = pa.concat_arrays([known, pc.unique(unseen)])
                    self.value_dicts[role] = known
                    codes = pc.index_in(values, value_set=known)
            table = table.set_column(table.column_names.index(name), name, codes.cast(pa.int64()))
        return table

    def _time_capsule(self, table: pa.Table):
        col = one_array(table.column(self.roles["time"]))
        return col, col.__arrow_c_array__()

    def _state(self, lo: int, hi: int, threads: int | None = None):
        settings = self.settings if threads is None else {**self.settings, "threads": threads}
        return _core.ProfileState(as_of=hi, window_start=lo, **settings)

    def _update(self, state, table: pa.Table) -> None:
        groups = list(Transactions(table, **self.roles).groups())
        for g in groups:
            state.update(g)

    def _validate_all(self, table: pa.Table) -> None:
        """Raises the error of the whole table (every problem, every count) when some period
        raised: a period's own error counts only its rows."""
        whole = _core.ProfileState(as_of=None, window_start=None, **self.settings)
        self._update(whole, table)

    def _dates(self, table: pa.Table) -> list[int]:
        h = self.history
        if h.dates is not None:
            return list(h.dates)
        _, capsules = self._time_capsule(table)
        span = _core.day_span(capsules, self.roles["time"], self.settings["zone"],
                              self.settings["valid_dates"], self.threads)
        if span is None and (h.start is None or h.end is None):
            raise InvalidInput(f"{self.what}: no valid transaction times to place the assessments; "
                               "give start and end")
        freq = h.frequency
        assert freq is not None  # without dates, TierHistory requires a frequency
        if h.start is not None:
            start = h.start
        else:
            assert span is not None  # no span and no start raised above
            start = span[0] + 1
        if h.end is not None:
            end = h.end
        else:
            assert span is not None  # no span and no end raised above
            last = span[1] + 1  # the day after the last transaction
            end = last if _core.is_assessment_date(freq, last) else \
                _core.assessment_after(freq, _first_on_or_after(freq, last), -1)
        dates = _core.assessment_dates(freq, start, end) if start <= end else []
        if not dates:
            raise InvalidInput(f"{self.what}: no {h.frequency} assessment date falls between "
                               f"{_fmt(start)} and {_fmt(end)}")
        return dates

    def _cuts(self, dates: list[int]) -> list[int]:
        h = self.history
        cuts = set(dates)
        if h.window_months is not None:
            starts = [_core.months_before(d, h.window_months) for d in dates]
            cuts.update(starts)
            if h.frequency is not None:
                # Every period start from the first window on: the windows of later
                # assessments (advance) start on one of them.
                first = min(starts)
                cuts.update(_core.assessment_dates(h.frequency, _first_on_or_after(h.frequency, first),
                                                   dates[-1]))
        return sorted(c for c in cuts if c <= dates[-1])

    def load(self, transactions, attributes) -> None:
        table = self._table(transactions)
        self.raw_attributes = attributes
        dates = self._dates(table)
        cuts = self._cuts(dates)
        self.step(f"{len(dates)} assessments from {_fmt(dates[0])} to {_fmt(dates[-1])}; "
                  f"{len(cuts) + 1} periods")
        workers = self.threads or _usable_cpus()
        if workers < 2 or len(cuts) < 2:
            self._add_periods(table, cuts, LOW_DAY)
            self._take_periods(None)
            self.ledger = _core.TierLedger(self.history.version, self._overrides(), self.history.frequency)
            for d in dates:
                self._assess(d)
            return
        # The periods are profiled on a pool of one thread a core (one thread each), in time
        # order, while this thread assesses every date whose periods are done: the profiling
        # and the assessments, mostly serial work each, then keep every core busy.
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tierkit-period")
        try:
            self._add_periods(table, cuts, LOW_DAY, pool)
            self.ledger = _core.TierLedger(self.history.version, self._overrides(), self.history.frequency)
            for d in dates:
                self._take_periods(d)
                self._assess(d)
            self._take_periods(None)
        finally:
            self._pending.clear()
            pool.shutdown(wait=True, cancel_futures=True)

    def _add_periods(self, table: pa.Table, cuts: list[int], low: int,
                     pool: ThreadPoolExecutor | None = None) -> None:
        """Profiles the rows of `table` into one state per period [low, c0), [c0, c1), ...;
        rows on or after the last cut wait in self.future (validated with the periods). The
        periods join self.segments through _take_periods, in time order; with a pool they are
        profiled on its threads meanwhile, else when taken."""
        col, capsules = self._time_capsule(table)
        offsets, order = _core.split_by_period(capsules, self.roles["time"], self.settings["zone"],
                                               list(cuts), self.threads)
        grouped = table if order is None else table.take(pa.array(order))
        starts = [low] + list(cuts)
        ends: list[int | None] = list(cuts) + [None]  # None: the rows after the last cut, validated only
        self._whole = table
        threads = None if pool is None else 1

        def profile(lo: int, hi: int | None, rows: pa.Table):
            state = self._state(lo, HIGH_DAY if hi is None else hi, threads)
            self._update(state, rows)
            return None if hi is None else state.finish_period()

        for k in range(len(cuts) + 1):
            rows = grouped.slice(int(offsets[k]), int(offsets[k + 1] - offsets[k])) if k < len(cuts) \
                else grouped.slice(int(offsets[k]))
            lo, hi = starts[k], ends[k]
            self._pending.append((lo, hi, pool.submit(profile, lo, hi, rows) if pool is not None
                                  else (profile, (lo, hi, rows))))
        rest = grouped.slice(int(offsets[len(cuts)]))
        self.future = rest if self.future is None else pa.concat_tables([self.future, rest])
        self.report["rows_after_last_assessment"] = self.future.num_rows

    def _take_periods(self, until: int | None) -> None:
        """Adds the profiled periods that end on or before `until` (None: all, the rows after
        the last cut validated too) to self.segments, in time order. A period's invalid rows
        raise the error of the whole table (every problem, every count)."""
        while self._pending and (until is None or (self._pending[0][1] is not None
                                                   and self._pending[0][1] <= until)):
            lo, hi, job = self._pending.popleft()
            try:
                table = job.result() if isinstance(job, Future) else job[0](*job[1])
            except InvalidInput:
                if self.on_invalid == "raise":
                    self._validate_all(self._whole)
                raise
            if hi is not None:
                self.segments.append([lo, hi, table, False])
                self._count(table)
        if not self._pending:
            self._whole = None

    def _count(self, table) -> None:
        self.report["rows_read"] += table.rows_read
        self.report["rows_used"] += table.rows_used
        self.report["rows_dropped"] += table.rows_dropped
        for column, problem, rows in table.dropped:
            k = (column, problem)
            self.report["dropped"][k] = self.report["dropped"].get(k, 0) + rows

    def _overrides(self):
        o = self.history.overrides
        if o is None:
            return _core.TierOverrides()
        return _overrides_of(o, self.key_name, self.key_type, self.what)

    # --- one assessment ------------------------------------------------------------------------
    def _roll_to(self, date: int, start: int | None) -> None:
        """Pushes the periods that end on or before `date` into the rolling window and drops
        those that end on or before `start`."""
        for seg in self.segments:
            if not seg[3] and seg[1] <= date:
                self.rolling.push(seg[2], self.threads)
                seg[3] = True
        if start is None:
            return
        self.rolling.drop_before(start, self.threads)
        keep = []
        for seg in self.segments:
            if seg[3] and seg[1] <= start:
                self.history_before.add_table(seg[2])
            else:
                keep.append(seg)
        self.segments = keep

    def _assess(self, date: int) -> None:
        if self.pending_history is not None and date >= self.pending_history[0]:
            self.history = self.pending_history[1]
            self.pending_history = None
            self.frozen = dict(self.history.models) if self.history.models else None
        h = self.history
        start = None if h.window_months is None else _core.months_before(date, h.window_months)
        k = len(self.loaded_ledger().dates)
        # What followed the last assessment, read before its periods are folded or merged
        # away, and stored once this assessment has added the customers new in it.
        following = self._period_profile(self.loaded_ledger().dates[-1], date) if k > 0 else None
        self._roll_to(date, start)
        core = self.rolling.current(date, start, self.threads)
        prof = Profile(core, self.key_name, self.key_type or pa.int64(), self.on_invalid, True)
        if len(prof) == 0:
            empty = np.zeros(0, np.int32)
            self.loaded_ledger().advance(date, core, empty, empty, empty)
            self._store_next_period(k - 1, following)
            return
        tiering = h.tiering
        # The tiers, scores and models are kept; the check of the rules on each date's data
        # is not.
        result = tiering._run(prof, self._attributes_at(date), threads=self.threads or None,
                              models=self.frozen, check=False)
        if h.refit == "first" and self.frozen is None:
            self.frozen = dict(result.models)
        self.models_by_date[date] = dict(result.models)
        raw, rule = _raw_ranks(result.tiers, tiering.policy, h.ranks)
        first = np.asarray(core.columns()["first_purchase"], dtype=np.int32)
        self.loaded_ledger().advance(date, core, raw, rule, first)
        self._store_next_period(k - 1, following)
        self._record_churn(k, result, core)
        self.step(f"assessed {len(prof):,} customers on {_fmt(date)}")

    def _period_profile(self, lo: int, hi: int):
        """The profile of the periods in [lo, hi), or None when none is held."""
        parts = [seg[2] for seg in self.segments if seg[0] >= lo and seg[1] <= hi]
        if not parts:
            return None
        return _core.window_profile(parts, self.threads)

    def _store_next_period(self, k: int, p) -> None:
        """Net spend and whether each customer bought in the period after assessment k, by
        ledger index (customers new in it included: migrations count their value)."""
        if k < 0 or p is None:
            return
        if p.size == 0:
            self.next_period[k] = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))
            return
        idx = np.asarray(self.loaded_ledger().find(p))
        cols = p.columns()
        value = np.asarray(cols["monetary"], dtype=np.float64)
        bought = np.asarray(cols["frequency"]) > 0
        known = idx >= 0
        self.next_period[k] = (idx[known], value[known], bought[known])

    def _record_churn(self, k: int, result, core) -> None:
        for s in result.scores:
            t = s.to_arrow()
            if "lifecycle" in t.column_names:
                stage = t.column("lifecycle").cast(pa.string())
                churned = pc.fill_null(pc.equal(stage, "churned"), False).to_numpy(zero_copy_only=False)
                idx = np.asarray(self.loaded_ledger().find(core))
                self.churned[k] = idx[np.asarray(churned, dtype=bool)]
                return

    def _attributes_at(self, date: int):
        a = self.raw_attributes
        if a is None:
            return None
        t = self.history.tiering
        key = t.attributes.get("customer", "customer_id")
        if self.history.attributes_effective is None:
            if not isinstance(a, CustomerAttributes):
                a = CustomerAttributes(a, customer=key, columns=t.attributes.get("columns"),
                                       time_zone=t.attributes.get("time_zone", "UTC"))
                self.raw_attributes = a
            return a
        return CustomerAttributes(_rows_in_effect(a, key, self.history.attributes_effective, date, self.what),
                                  customer=key, columns=t.attributes.get("columns"),
                                  time_zone=t.attributes.get("time_zone", "UTC"))

    # --- persistence ---------------------------------------------------------------------------
    # The state travels in tierkit's envelope (kind "tier_history_state"): a JSON header of
    # plain settings and numbers, then blobs (the ledger, period states, the customers seen
    # before the windows, the rows after the last assessment as Arrow IPC, frozen models,
    # next-period values) each as tierkit bytes or raw little-endian numbers. Nothing in it
    # is executed on load (no pickle).
    STATE_KIND = "tier_history_state"

    def to_bytes(self) -> bytes:
        if self.pending_history is not None:
            raise InvalidInput("tierkit.TierLedger.save_state: a new policy version is waiting for its "
                               "first assessment; advance to it before saving the state")
        blobs: list[bytes] = []

        def blob(b) -> int:
            blobs.append(bytes(b))
            return len(blobs) - 1

        def ipc(table: pa.Table) -> bytes:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as w:
                w.write_table(table)
            return sink.getvalue().to_pybytes()

        key_schema = pa.schema([pa.field("key", self.key_type or pa.int64())])
        header = {
            "format": 1, "fingerprint": self.history.fingerprint(), "policy": self.history.tiering.name,
            "ledger": blob(self.loaded_ledger().to_bytes()), "history_before": blob(self.history_before.to_bytes()),
            "segments": [[int(lo), int(hi), blob(t.to_bytes()), bool(pushed)] for lo, hi, t, pushed in self.segments],
            "values": {role: blob(ipc(pa.table({"value": d}))) for role, d in self.value_dicts.items()},
            "future": blob(ipc(self.future)) if self.future is not None else None,
            "key": blob(key_schema.serialize().to_pybytes()),
            "frozen": {n: blob(m.to_bytes()) for n, m in self.frozen.items()} if self.frozen else None,
            "next_period": {str(k): [blob(np.asarray(i, "<i8").tobytes()), blob(np.asarray(v, "<f8").tobytes()),
                                     blob(np.asarray(b, "u1").tobytes())]
                            for k, (i, v, b) in self.next_period.items()},
            "churned": {str(k): blob(np.asarray(c, "<i8").tobytes()) for k, c in self.churned.items()},
            "report": {k: v for k, v in self.report.items() if k != "dropped"},
            "zone": self.settings["zone"].name,
            "dropped": [[c, p, n] for (c, p), n in self.report["dropped"].items()],
        }
        head = json.dumps(header).encode()
        parts = [len(head).to_bytes(8, "little"), head]
        for b in blobs:
            parts += [len(b).to_bytes(8, "little"), b]
        return _core.wrap_envelope(self.STATE_KIND, b"".join(parts))

    @classmethod
    def from_bytes(cls, history: "TierHistory", data: bytes | bytearray, threads: int, progress) -> "_Engine":
        from ..scoring import load as load_model
        what = "tierkit.TierHistory.resume"
        payload = _core.unwrap_envelope(bytes(data), cls.STATE_KIND)
        view = memoryview(payload)
        pos = 0

        def take() -> bytes:
            nonlocal pos
            if pos + 8 > len(view):
                raise FormatError(f"{what}: damaged state (truncated)")
            n = int.from_bytes(view[pos:pos + 8], "little")
            pos += 8
            if n > len(view) - pos:
                raise FormatError(f"{what}: damaged state (a part longer than the bytes left)")
            out = bytes(view[pos:pos + n])
            pos += n
            return out

        try:
            header = json.loads(take().decode())
            blobs = []
            while pos < len(view):
                blobs.append(take())
            e = cls(history, threads, progress)
            if header.get("format") != 1:
                raise FormatError(f"{what}: state format {header.get('format')!r} is not readable here")
            if header["fingerprint"] != history.fingerprint():
                raise InvalidInput(
                    f"{what}: the state was saved under another policy (fingerprint {header['fingerprint']}, "
                    f"policy {header['policy']!r}); this policy's fingerprint is {history.fingerprint()}. "
                    "Resume with the policy it was saved under, then add the new one as a version "
                    "(TierLedger.change_policy)")
            e.ledger = _core.TierLedger.from_bytes(blobs[header["ledger"]])
            e.history_before = _core.CustomerHistory.from_bytes(blobs[header["history_before"]])
            e.segments = [[lo, hi, _core.PeriodTable.from_bytes(blobs[b]), pushed]
                          for lo, hi, b, pushed in header["segments"]]
            e.rolling.remember(e.history_before)
            for seg in e.segments:
                if seg[3]:
                    e.rolling.push(seg[2], threads)
            e.value_dicts = {role: pa.ipc.open_stream(blobs[b]).read_all().column("value").combine_chunks()
                             for role, b in header["values"].items()}
            if header["future"] is not None:
                e.future = pa.ipc.open_stream(blobs[header["future"]]).read_all()
            e.key_type = pa.ipc.read_schema(pa.py_buffer(blobs[header["key"]])).field("key").type
            if header["frozen"]:
                e.frozen = {n: load_model(blobs[b]) for n, b in header["frozen"].items()}
            e.next_period = {int(k): (np.frombuffer(blobs[i], "<i8").copy(), np.frombuffer(blobs[v], "<f8").copy(),
                                      np.frombuffer(blobs[b], "u1").astype(bool))
                             for k, (i, v, b) in header["next_period"].items()}
            e.churned = {int(k): np.frombuffer(blobs[b], "<i8").copy() for k, b in header["churned"].items()}
            e.report = dict(header["report"])
            e.settings["zone"] = resolve_zone(header["zone"])
            e.zone_given = True
            e.report["dropped"] = {(c, p): n for c, p, n in header["dropped"]}
        except (KeyError, IndexError, TypeError, ValueError, pa.ArrowInvalid) as err:
            if isinstance(err, TierkitError):
                raise
            raise FormatError(f"{what}: damaged state ({type(err).__name__}: {err})") from None
        return e

    # --- advancing -----------------------------------------------------------------------------
    def advance(self, transactions, attributes=None, date=None) -> None:
        h = self.history
        last = self.loaded_ledger().dates[-1]
        if date is None:
            if h.frequency is None:
                raise InvalidInput(f"{self.what}: advance needs date= when the schedule is a list of dates")
            date = _core.assessment_after(h.frequency, last, 1)
        else:
            date = to_day(date, f"{self.what}: advance date")
        if date <= last:
            raise InvalidInput(f"{self.what}: the next assessment ({_fmt(date)}) must come after the last "
                               f"({_fmt(last)})")
        if transactions is not None:
            table = self._table(transactions)
            col, capsules = self._time_capsule(table)
            span = _core.day_span(capsules, self.roles["time"], self.settings["zone"],
                                  self.settings["valid_dates"], self.threads)
            if span is not None and span[0] < last:
                offsets, _ = _core.split_by_period(capsules, self.roles["time"], self.settings["zone"],
                                                   [last], self.threads)
                early = int(offsets[1])
                raise InvalidInput(f"{self.what}: {early:,} rows are dated before the last assessment "
                                   f"({_fmt(last)}); assessed periods cannot change")
            if self.future is None or self.future.num_rows == 0:
                rows = table
            else:
                try:
                    rows = pa.concat_tables([self.future, table.select(self.future.column_names)
                                             .cast(self.future.schema)])
                except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
                    raise SchemaError(f"{self.what}: the new transactions do not match the columns "
                                      f"and types of the earlier ones ({e})") from None
        else:
            rows = self.future if self.future is not None else None
        if attributes is not None:
            self.raw_attributes = attributes
        start = None if h.window_months is None else _core.months_before(date, h.window_months)
        if start is not None and start < last and not any(seg[0] == start for seg in self.segments):
            raise InvalidInput(f"{self.what}: the window of {_fmt(date)} starts on {_fmt(start)}, inside a "
                               "period already profiled; use a frequency whose windows start on "
                               "assessment dates")
        self.future = None
        if rows is not None and rows.num_rows:
            self._add_periods(rows, [date], last)
            self._take_periods(None)
        else:
            self.segments.append([last, date, self._state(last, date).finish_period(), False])
        self._assess(date)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this platform
        return os.cpu_count() or 1


def _first_on_or_after(frequency: str, day: int) -> int:
    return day if _core.is_assessment_date(frequency, day) else \
        _core.assessment_dates(frequency, day, day + 400)[0]


def _fmt(day: int) -> str:
    import datetime as _dt
    return (_dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))).isoformat()


def _raw_ranks(tiers, policy: TierPolicy, ranks: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(rank of the raw tier, rule index or -1 for the default) per customer of an assignment."""
    rule = one_array(tiers.to_arrow().column("rule"))
    idx = np.asarray(rule.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    names = [r["tier"] for r in policy.rules] + [policy.default]
    position = {t: i for i, t in enumerate(ranks)}
    rank_of_rule = np.array([position[t] for t in names], dtype=np.int32)
    default = len(names) - 1
    return rank_of_rule[idx], np.where(idx == default, -1, idx).astype(np.int32)


def _overrides_of(data, key: str, key_type: pa.DataType | None, what: str):
    """A core TierOverrides from a table of (key, tier, from, to, kind, reason, operator)."""
    if isinstance(data, _core.TierOverrides):
        return data
    source = as_arrow(data, f"{what}: overrides")
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    names = t.column_names
    for c in (key, "tier", "from"):
        if c not in names:
            raise missing_column(c, names, "overrides", what)
    n = t.num_rows

    def days(col: str, required: bool) -> np.ndarray:
        if col not in names:
            return np.full(n, np.iinfo(np.int32).min, np.int32)
        arr = one_array(t.column(col))
        if pa.types.is_null(arr.type):  # every row null (open ends)
            arr = pa.nulls(len(arr), pa.date32())
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            arr = pc.strptime(arr, "%Y-%m-%d", "s").cast(pa.date32())
        if pa.types.is_timestamp(arr.type):
            arr = (pc.local_timestamp(arr) if arr.type.tz else arr).cast(pa.date32())
        if not (pa.types.is_date32(arr.type) or pa.types.is_date64(arr.type)):
            raise SchemaError(f"{what}: overrides column {col!r} must hold dates; got {arr.type}")
        nulls = arr.null_count
        if required and nulls:
            raise InvalidInput(f"{what}: overrides column {col!r} has {nulls:,} null rows")
        v = arr.cast(pa.date32()).cast(pa.int32()).fill_null(np.iinfo(np.int32).min)
        return np.asarray(v.to_numpy(zero_copy_only=False), dtype=np.int32)

    def texts(col: str, default: str) -> list[str]:
        if col not in names:
            return [default] * n
        return [default if v is None else str(v) for v in t.column(col).to_pylist()]

    k = one_array(t.column(key))
    if k.null_count:
        raise InvalidInput(f"{what}: overrides column {key!r} has {k.null_count:,} null rows")
    if pa.types.is_dictionary(k.type):
        k = k.cast(k.type.value_type)
    int_keys = key_type is not None and (pa.types.is_integer(key_type) or (
        pa.types.is_dictionary(key_type) and pa.types.is_integer(key_type.value_type)))
    if int_keys and not pa.types.is_integer(k.type):
        try:
            k = k.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaError(f"{what}: overrides column {key!r} holds keys that are not integers; the "
                              f"transactions' customer keys are {key_type}") from None
    if not int_keys and key_type is not None and pa.types.is_integer(k.type):
        k = k.cast(pa.string())
    if pa.types.is_integer(k.type):
        if key_type is not None and not (pa.types.is_integer(key_type) or
                                         (pa.types.is_dictionary(key_type)
                                          and pa.types.is_integer(key_type.value_type))):
            raise SchemaError(f"{what}: overrides have integer customer keys; the transactions' are {key_type}")
        keys: np.ndarray | list[str] = np.asarray(k.cast(pa.int64()).to_numpy(zero_copy_only=False),
                                                  dtype=np.int64)
    else:
        keys = [str(v) for v in k.to_pylist()]
    tiers = texts("tier", "")
    return _core.TierOverrides(keys, tiers, days("from", True), days("to", False), texts("kind", "fixed"),
                               texts("reason", ""), texts("operator", ""))


def _rows_in_effect(data, key: str, effective: str, date: int, what: str) -> pa.Table:
    """Per customer, the latest row of a long table whose effective date is on or before `date`."""
    source = as_arrow(data, f"{what}: attributes")
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    for c in (key, effective):
        if c not in t.column_names:
            raise missing_column(c, t.column_names, "attributes", what)
    eff = one_array(t.column(effective))
    if pa.types.is_timestamp(eff.type):
        eff = (pc.local_timestamp(eff) if eff.type.tz else eff).cast(pa.date32())
    if not (pa.types.is_date32(eff.type) or pa.types.is_date64(eff.type)):
        raise SchemaError(f"{what}: the attributes' effective column {effective!r} must hold dates; "
                          f"got {eff.type}")
    days = np.asarray(eff.cast(pa.date32()).cast(pa.int32()).fill_null(np.iinfo(np.int32).max)
                      .to_numpy(zero_copy_only=False), dtype=np.int64)
    rows = np.nonzero(days <= date)[0]
    if len(rows) == 0:
        return t.slice(0, 0).drop_columns([effective])
    sub = t.take(pa.array(rows))
    keys = one_array(sub.column(key))
    # Latest per key: sort by (key, day), keep each key's last row.
    order = pc.sort_indices(pa.table({"k": keys, "d": pa.array(days[rows])}),
                            sort_keys=[("k", "ascending"), ("d", "ascending")])
    sub = sub.take(order)
    k = one_array(sub.column(key))
    last = np.ones(len(k), dtype=bool)
    if len(k) > 1:
        same = pc.equal(k.slice(1), k.slice(0, len(k) - 1)).to_numpy(zero_copy_only=False)
        last[:-1] = ~np.asarray(same, dtype=bool)
    return sub.filter(pa.array(last)).drop_columns([effective])


__all__ = ["TierHistory", "Transition"]
