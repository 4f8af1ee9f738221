"""Customer profiles: one exact row of aggregates per customer.

``tierkit.profile(data, ...)`` is the one-shot entry point; ``ProfileBuilder`` is the
mergeable partial state behind it (``update``, ``merge``, ``finish``) for chunked,
threaded or distributed input. Definitions of every column are in ``Profile``'s docstring
and in include/tierkit/profile.hpp.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import json
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core
from ._arrow import key_array, masked
from ._errors import flag_arg, threads_arg
from ._files import FileSource, is_file_source
from ._io import KeysNotIntegers
from ._results import ArrowResult, html_table
from ._time import NO_DAY, resolve_zone, to_date, to_day, valid_dates_arg
from .transactions import Transactions, as_transactions


@dataclasses.dataclass(frozen=True)
class DroppedRows:
    """Rows left out under on_invalid='drop': the column, the problem, how many rows."""
    column: str
    problem: str
    rows: int

    def __str__(self) -> str:
        return f"column {self.column!r}: {self.rows:,} rows {self.problem}"


@dataclasses.dataclass(frozen=True)
class ProfileReport:
    """What a profile was computed from, and what happened to every input row.

    rows_read = rows_used + rows_dropped + rows_outside_window.
    """
    as_of: _dt.date
    as_of_source: str  # "given" or "day after the last transaction"
    window_start: _dt.date | None
    time_zone: str
    period: str
    on_invalid: str
    customers: int
    rows_read: int
    rows_used: int
    rows_dropped: int
    rows_outside_window: int
    dropped: tuple[DroppedRows, ...]

    def __str__(self) -> str:
        window = (f"window [{self.window_start}, {self.as_of})" if self.window_start
                  else "no explicit window")
        lines = [
            f"as of {self.as_of} ({self.as_of_source}); {window}; time zone {self.time_zone}; "
            f"spend series by {self.period}",
            f"rows: {self.rows_read:,} read, {self.rows_used:,} used, {self.rows_dropped:,} "
            f"dropped as invalid (on_invalid={self.on_invalid!r}), "
            f"{self.rows_outside_window:,} outside the window",
        ]
        for d in self.dropped:
            lines.append(f"  dropped: {d}")
        return "\n".join(lines)


# Columns computed only with purchase_days=True (the default).
PURCHASE_DAY_COLUMNS = ("purchase_days", "previous_purchase", "median_gap")

_COLUMN_DOCS = {
    "first_purchase": "first day with a purchase line (amount >= 0); null without purchases",
    "last_purchase": "last day with a purchase line; null without purchases",
    "recency": "days from last_purchase to as_of (lower is better); null without purchases",
    "tenure": "days from first_purchase to as_of; null without purchases",
    "previous_purchase": "the purchase day before last_purchase; null with one purchase day",
    "median_gap": "median days between consecutive purchase days; null with one purchase day",
    "frequency": "distinct orders with a purchase line (purchase lines without an order column)",
    "purchase_days": "distinct days with a purchase line",
    "transactions": "all lines, purchases and returns",
    "returns": "distinct orders with a return line (return lines without an order column)",
    "monetary": "net value: the sum of all amounts, returns netted",
    "gross_sales": "sum of purchase lines",
    "returns_value": "sum of -amount over return lines (positive)",
    "average_order_value": "monetary / frequency; null when frequency is 0",
    "quantity": "sum of quantity over all lines (with a quantity column)",
    "channels": "distinct channels over purchase lines (with a channel column)",
    "categories": "distinct categories over purchase lines (with a category column)",
}


class Profile(ArrowResult):
    """One row per customer, ordered by customer key (ascending).

    Columns (see ``Profile.column_docs``): customer key (named and typed as in the
    input), first_purchase, last_purchase (date32), recency, tenure (int32 days),
    previous_purchase (date32), median_gap (float64 days),
    frequency, purchase_days, transactions, returns (int64), monetary, gross_sales,
    returns_value, average_order_value (float64), and quantity, channels, categories when
    those columns were given. previous_purchase, median_gap and purchase_days are absent
    when the profile was built with ``purchase_days=False`` (``has_purchase_days``).
    ``spend_series()`` gives net spend per period. ``report`` says how every input row was
    used.
    """

    column_docs = _COLUMN_DOCS

    def __init__(self, core: _core.Profile, key_name: str, key_type: pa.DataType,
                 on_invalid: str, as_of_given: bool):
        self._core = core
        self._key_name = key_name
        self._key_type = key_type
        self._table: pa.Table | None = None
        r = core.report
        self.report = ProfileReport(
            as_of=to_date(core.as_of),
            as_of_source="given" if as_of_given else "day after the last transaction",
            window_start=to_date(core.window_start),
            time_zone=core.time_zone,
            period=core.period,
            on_invalid=on_invalid,
            customers=core.size,
            rows_read=r["rows_read"],
            rows_used=r["rows_used"],
            rows_dropped=r["rows_dropped"],
            rows_outside_window=r["rows_outside_window"],
            dropped=tuple(DroppedRows(**d) for d in r["dropped"]),
        )

    # --- basic facts -------------------------------------------------------------------
    @property
    def as_of(self) -> _dt.date:
        """The day recency and tenure are measured to: given, or the day after the last
        transaction used (the report says which)."""
        return self.report.as_of

    @property
    def has_purchase_days(self) -> bool:
        """True when purchase_days, previous_purchase and median_gap were computed."""
        return self._core.has_purchase_days

    @property
    def has_spend_series(self) -> bool:
        """True when the spend series (and so spend_growth) was computed."""
        return self._core.has_spend_series

    @property
    def customer_column(self) -> str:
        """The name of the customer key column (as in the input)."""
        return self._key_name

    @property
    def key_name(self) -> str:
        """The name of the customer key column (as in the input); the same as customer_column."""
        return self._key_name

    def __len__(self) -> int:
        return self._core.size

    # --- conversions ---------------------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        """The profile as a pyarrow Table (built once, then cached)."""
        if self._table is None:
            self._table = self._build_table()
        return self._table

    def column(self, name: str) -> np.ndarray:
        """One per-customer column as a numpy array, missing values as missing: dates as
        datetime64[D] with NaT, recency and tenure as float64 with NaN for customers without
        a purchase, median_gap and average_order_value NaN; counts and money as stored
        (read-only, no copy)."""
        cols = self._core.columns()
        if name not in cols:
            why = self.absent_because(name)
            if why:
                from ._errors import SchemaError
                raise SchemaError(f"tierkit.Profile.column: no column {name!r}: {why}")
            from ._arrow import missing_column
            raise missing_column(name, list(cols), "profile column", "tierkit.Profile.column")
        values = cols[name]
        if name in ("first_purchase", "last_purchase", "previous_purchase"):
            out = values.astype("datetime64[D]")
            out[values == NO_DAY] = np.datetime64("NaT")
            return out
        if name in ("recency", "tenure"):
            out = values.astype(np.float64)
            out[cols["first_purchase"] == NO_DAY] = np.nan
            return out
        return values

    def __reduce__(self):
        """Pickles through the profile's bytes (every column, exactly)."""
        return (_profile_from_bytes, (self._core.to_bytes(), self._key_name, _type_bytes(self._key_type),
                                      self.report.on_invalid, self.report.as_of_source == "given"))

    def absent_because(self, name: str) -> str | None:
        """Why column `name` is not in this profile when a setting left it out, else None."""
        if name in PURCHASE_DAY_COLUMNS and not self.has_purchase_days:
            return ("the profile was built with purchase_days=False; build it with "
                    "purchase_days=True (the default) to have it")
        return None

    def _build_table(self) -> pa.Table:
        cols = self._core.columns()
        arrays: dict[str, pa.Array] = {self._key_name: key_array(self._core, self._key_type)}
        no_purchase = cols["first_purchase"] == NO_DAY
        for name, values in cols.items():
            if name in ("first_purchase", "last_purchase"):
                arrays[name] = masked(values, no_purchase, pa.date32())
            elif name == "previous_purchase":
                arrays[name] = masked(values, values == NO_DAY, pa.date32())
            elif name == "median_gap":
                arrays[name] = masked(values, np.isnan(values))
            elif name in ("recency", "tenure"):
                arrays[name] = masked(values, no_purchase)
            elif name == "average_order_value":
                arrays[name] = masked(values, cols["frequency"] == 0)
            else:
                arrays[name] = pa.array(values)
        if self._key_name in cols:
            from ._errors import SchemaError
            raise SchemaError(
                f"tierkit.Profile: the customer column is named {self._key_name!r}, like a "
                "profile column; rename it")
        return pa.table(arrays)

    def spend_series(self) -> pa.Table:
        """Net spend per customer and period (long form): customer, period_start, net.

        Periods without any line are absent (zero). The period kind is report.period.
        """
        s = self._core.series()
        offsets = s["offsets"]
        if len(offsets) == 0:
            from ._errors import InvalidInput
            raise InvalidInput(
                "tierkit.Profile.spend_series: the spend series was not computed; build the "
                "profile with spend_series=True")
        counts = np.diff(offsets)
        keys = key_array(self._core, self._key_type)
        idx = np.repeat(np.arange(len(counts)), counts)
        return pa.table({
            self._key_name: keys.take(pa.array(idx)),
            "period_start": pa.array(s["period"]).view(pa.date32()),
            "net": pa.array(s["net"]),
        })

    # --- summaries -----------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Headline figures: customers, revenue, returns, concentration, and quantiles of
        recency, frequency and monetary (over customers with a purchase for R and F)."""
        c = self._core.columns()
        n = len(self)
        buyers = c["first_purchase"] != NO_DAY
        monetary = c["monetary"]
        gross = float(c["gross_sales"].sum())
        returned = float(c["returns_value"].sum())
        net = float(monetary.sum())
        top = np.sort(monetary)[::-1][: max(1, n // 5)]
        positive_total = float(monetary[monetary > 0].sum())

        def quantiles(x: np.ndarray) -> dict[str, float]:
            if len(x) == 0:
                return {}
            q = np.quantile(x, [0.0, 0.25, 0.5, 0.75, 1.0])
            return {"min": float(q[0]), "p25": float(q[1]), "median": float(q[2]),
                    "p75": float(q[3]), "max": float(q[4]), "mean": float(np.mean(x))}

        return {
            "customers": n,
            "customers_without_purchases": int(n - buyers.sum()),
            "customers_with_nonpositive_value": int((monetary <= 0).sum()),
            "transactions": int(c["transactions"].sum()),
            "orders": int(c["frequency"].sum()),
            "gross_sales": gross,
            "returns_value": returned,
            "return_rate": returned / gross if gross > 0 else float("nan"),
            "net_revenue": net,
            "top20_share": float(top[top > 0].sum()) / positive_total if positive_total > 0
            else float("nan"),
            "recency": quantiles(c["recency"][buyers].astype(np.float64)),
            "frequency": quantiles(c["frequency"][buyers].astype(np.float64)),
            "monetary": quantiles(monetary),
        }

    def describe(self) -> str:
        """The summary as text, as the command line prints it."""
        s = self.summary()
        lines = [str(self.report), ""]
        lines.append(
            f"customers: {s['customers']:,} ({s['customers_without_purchases']:,} without "
            f"purchases, {s['customers_with_nonpositive_value']:,} with zero or negative net "
            "value; all kept)")
        freq_word = "orders" if self._core.has_orders else "purchase lines"
        lines.append(f"lines: {s['transactions']:,}; {freq_word}: {s['orders']:,}")
        lines.append(
            f"revenue: gross {s['gross_sales']:,.2f}, returns {s['returns_value']:,.2f} "
            f"({s['return_rate']:.1%}), net {s['net_revenue']:,.2f}")
        lines.append(f"concentration: the top 20% of customers hold {s['top20_share']:.1%} of "
                     "positive net value")
        lines.append("")
        lines.append(f"{'':<18}{'min':>12}{'p25':>12}{'median':>12}{'p75':>12}{'max':>14}"
                     f"{'mean':>12}")
        for label, key, fmt in (("recency (days)", "recency", "{:,.0f}"),
                                ("frequency", "frequency", "{:,.0f}"),
                                ("monetary", "monetary", "{:,.2f}")):
            q = s[key]
            if not q:
                continue
            cells = [fmt.format(q[k]) for k in ("min", "p25", "median", "p75")]
            lines.append(f"{label:<18}" + "".join(f"{c:>12}" for c in cells)
                         + f"{fmt.format(q['max']):>14}{q['mean']:>12,.2f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        r = self.report
        return (f"<tierkit.Profile: {len(self):,} customers, as_of={r.as_of.isoformat()!r}, "
                f"time_zone={r.time_zone!r}, rows_used={r.rows_used:,}, "
                f"rows_dropped={r.rows_dropped:,}>")

    def _repr_html_(self) -> str:
        s = self.summary()
        r = self.report
        facts = [
            ("customers", f"{s['customers']:,}"),
            ("as of", f"{r.as_of} ({r.as_of_source})"),
            ("time zone", r.time_zone),
            ("rows read / used / dropped / outside window",
             f"{r.rows_read:,} / {r.rows_used:,} / {r.rows_dropped:,} / {r.rows_outside_window:,}"),
            ("net revenue", f"{s['net_revenue']:,.2f}"),
            ("return rate", f"{s['return_rate']:.1%}"),
            ("top 20% share", f"{s['top20_share']:.1%}"),
        ]
        esc = html.escape
        out = ["<div><strong>tierkit.Profile</strong>", "<table>"]
        out += [f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>"
                for k, v in facts]
        out.append("</table>")
        return "".join(out) + html_table(self.to_arrow(), limit=10) + "</div>"


def _type_bytes(t: pa.DataType) -> bytes:
    return pa.schema([pa.field("key", t)]).serialize().to_pybytes()


def _profile_from_bytes(data: bytes, key_name: str, key_type: bytes, on_invalid: str, as_of_given: bool) -> Profile:
    t = pa.ipc.read_schema(pa.py_buffer(key_type)).field("key").type
    return Profile(_core.Profile.from_bytes(data), key_name, t, on_invalid, as_of_given)


_BUILDER_MAGIC = b"TKPB\x01"


def _zone_from(name):
    return resolve_zone(name) if name else resolve_zone(None)


class ProfileBuilder:
    """The mergeable partial state of a profile.

    ``update(data)`` adds transactions (validated first: an update that raises leaves the
    builder unchanged, for streams too), ``merge(other)`` adds another builder made with
    the same settings, ``finish()`` returns the Profile and leaves the builder as it was.
    Any chunking, thread count or merge order gives exactly the single-pass profile.

    Settings are those of ``tierkit.profile``; column roles are fixed here and apply to
    every update.
    """

    def __init__(self, *, customer: str = "customer_id", time: str = "time",
                 amount: str = "amount", order: str | None = None,
                 quantity: str | None = None, channel: str | None = None,
                 category: str | None = None, as_of=None, window_start=None,
                 time_zone=None, period: str = "month", spend_series: bool = True,
                 purchase_days: bool = True, on_invalid: str = "raise",
                 valid_dates=None, threads: int | None = None):
        self._roles: dict[str, str | None] = {"customer": customer, "time": time, "amount": amount, "order": order,
                       "quantity": quantity, "channel": channel, "category": category}
        self._on_invalid = on_invalid
        self._as_of_given = as_of is not None
        # Without time_zone, a time-zone-aware column's own zone cuts its days (as pandas'
        # and polars' .dt.date do); it is read from the first data (see _adopt_zone).
        self._zone_given = time_zone is not None
        self._settings: dict[str, Any] = dict(
            as_of=to_day(as_of, "tierkit.profile: as_of"),
            window_start=to_day(window_start, "tierkit.profile: window_start"),
            zone=resolve_zone(time_zone), period=period,
            spend_series=flag_arg(spend_series, "tierkit.profile: spend_series"),
            purchase_days=flag_arg(purchase_days, "tierkit.profile: purchase_days"),
            on_invalid=on_invalid, valid_dates=valid_dates_arg(valid_dates, "tierkit.profile"),
            threads=threads_arg(threads, "tierkit.profile"))
        self._core_state: _core.ProfileState | None = None
        self._key_type: pa.DataType | None = None
        # Rows of Parquet row groups that the window push-down did not read (tierkit._files):
        # counted as read and outside the window when the profile is finished.
        self._skipped = 0

    @property
    def _state(self) -> _core.ProfileState:
        if self._core_state is None:
            self._core_state = _core.ProfileState(**self._settings)
        return self._core_state

    @_state.setter
    def _state(self, state) -> None:
        self._core_state = state

    def _adopt_zone(self, schema: pa.Schema) -> None:
        """Without a time_zone given and before any data: the time column's own zone when it
        holds time-zone-aware timestamps (UTC otherwise; naive times are cut as they are)."""
        if self._zone_given or self._core_state is not None:
            return
        t = schema.field(self._roles["time"]).type
        if pa.types.is_timestamp(t) and t.tz:
            self._settings["zone"] = resolve_zone(t.tz)

    def _roles_given(self) -> dict[str, str]:
        return {k: v for k, v in self._roles.items() if v is not None}

    def update(self, data) -> "ProfileBuilder":
        """Adds transactions: any input accepted by tierkit.Transactions, or files (a path,
        a directory, a glob, a list of paths, a pyarrow.dataset.Dataset), streamed batch by
        batch with only the role columns read (see tierkit._files)."""
        if is_file_source(data):
            return self._update_files(FileSource(data, what="tierkit.ProfileBuilder.update"))
        if isinstance(data, Transactions):
            tx = data
            if tx.roles != self._roles_given():
                from ._errors import SchemaError
                raise SchemaError(
                    f"tierkit.ProfileBuilder.update: the Transactions name columns {tx.roles} "
                    f"but this builder was made for {self._roles_given()}")
        else:
            tx = Transactions(data, **self._roles_given())
        if self._key_type is None:
            self._key_type = tx.customer_type
        self._adopt_zone(tx.schema)
        groups = list(tx.groups()) if not tx.is_stream else None
        if groups is not None and len(groups) == 1:
            self._state.update(groups[0])
        elif self._core_state is None or self._core_state.rows_read == 0:
            # Several groups (a stream) into an empty builder: straight in; on a failure the
            # builder is empty again, as it was.
            try:
                for group in (groups if groups is not None else tx.groups()):
                    self._state.update(group)
            except BaseException:
                self._core_state = None
                raise
        else:
            # Into a builder holding data: build aside, then merge, so that a failure in a
            # later group leaves this builder unchanged.
            aside = self._fresh_state()
            for group in (groups if groups is not None else tx.groups()):
                aside.update(group)
            self._state.merge(aside)
        return self

    def _update_files(self, files: FileSource, columns=None, transform=None) -> "ProfileBuilder":
        """update() from files: only `columns` (default: the role columns) read, the window
        pushed down to Parquet row groups, `transform` (reader -> reader) applied to the
        stream; keys read again as text when a CSV file's keys turn out to be text."""
        roles = self._roles_given()
        columns = list(columns) if columns is not None else list(roles.values())
        lo, hi = self._settings["window_start"], self._settings["as_of"]
        window = (roles["time"], int(lo), int(hi), *self._settings["valid_dates"]) if (
            lo is not None and hi is not None and roles["time"] in columns) else None
        text = [roles.get("customer"), roles.get("order")]
        for attempt in (1, 2):
            reader = files.open(columns, text_columns=text, time_column=roles["time"], window=window,
                                keys_as_text=True if attempt == 2 else None)
            try:
                self.update(transform(reader) if transform else reader)
            except KeysNotIntegers:
                reader.close()
                if attempt == 2 or files.keys_as_text:
                    raise
                continue
            self._skipped += files.skipped_rows
            return self
        return self

    def to_bytes(self) -> bytes:
        """The builder as bytes (settings, key type and partial state), for shipping to
        another process or machine: ProfileBuilder.from_bytes gives it back exactly."""
        head = json.dumps({"roles": self._roles, "on_invalid": self._on_invalid,
                           "as_of_given": self._as_of_given, "zone_given": self._zone_given,
                           "skipped": self._skipped, "has_state": self._core_state is not None,
                           "settings": {k: v for k, v in self._settings.items() if k != "zone"},
                           "zone": self._settings["zone"].name},
                          sort_keys=True).encode()
        key = _type_bytes(self._key_type) if self._key_type is not None else b""
        state = self._core_state.to_bytes() if self._core_state is not None else b""
        parts = [head, key, state]
        return _BUILDER_MAGIC + b"".join(len(x).to_bytes(8, "little") + x for x in parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> "ProfileBuilder":
        """The builder to_bytes wrote (FormatError for anything else)."""
        from ._errors import FormatError
        data = bytes(data)
        if not data.startswith(_BUILDER_MAGIC):
            raise FormatError("tierkit.ProfileBuilder.from_bytes: not a ProfileBuilder's bytes "
                              "(they start with a different header)")
        parts, at = [], len(_BUILDER_MAGIC)
        for _ in range(3):
            if at + 8 > len(data):
                raise FormatError("tierkit.ProfileBuilder.from_bytes: the bytes are truncated")
            n = int.from_bytes(data[at:at + 8], "little")
            parts.append(data[at + 8:at + 8 + n])
            if len(parts[-1]) != n:
                raise FormatError("tierkit.ProfileBuilder.from_bytes: the bytes are truncated")
            at += 8 + n
        try:
            head = json.loads(parts[0])
        except ValueError:
            raise FormatError("tierkit.ProfileBuilder.from_bytes: the header is not readable") from None
        new = object.__new__(cls)
        new._roles = head["roles"]
        new._on_invalid = head["on_invalid"]
        new._as_of_given = head["as_of_given"]
        new._zone_given = head["zone_given"]
        new._skipped = head["skipped"]
        new._key_type = pa.ipc.read_schema(pa.py_buffer(parts[1])).field("key").type if parts[1] else None
        new._core_state = _core.ProfileState.from_bytes(parts[2]) if head["has_state"] else None
        new._settings = dict(head["settings"])
        new._settings["zone"] = _zone_from(head["zone"])
        # JSON keeps the pair as a list; bytes from before valid_dates get the default (as the
        # state inside them does, see profile_state_bytes.cpp's state layouts).
        new._settings["valid_dates"] = tuple(new._settings.get("valid_dates") or valid_dates_arg(None, ""))
        return new

    def __reduce__(self):
        return (ProfileBuilder.from_bytes, (self.to_bytes(),))

    def merge(self, other: "ProfileBuilder") -> "ProfileBuilder":
        """Adds another builder's transactions; it must have the same settings."""
        if not isinstance(other, ProfileBuilder):
            raise TypeError(f"merge expects a ProfileBuilder, got {type(other).__name__}")
        if (self._key_type is not None and other._key_type is not None
                and not self._key_type.equals(other._key_type)):
            from ._errors import SchemaError
            raise SchemaError(f"tierkit.ProfileBuilder.merge: customer keys of type {other._key_type} "
                              f"cannot join keys of type {self._key_type}; read both inputs with "
                              "one key type")
        if self._core_state is None and not self._zone_given:
            self._settings["zone"] = other._settings["zone"]  # no data yet: the other's zone
        self._state.merge(other._state)
        self._skipped += other._skipped
        if self._key_type is None:
            self._key_type = other._key_type
        return self

    def finish(self) -> Profile:
        """The profile of every row given so far; the builder can go on taking rows (finish
        again for a later profile)."""
        core = self._state.finish()
        key_type = self._key_type or pa.int64()
        customer = self._roles["customer"]
        assert customer is not None  # the customer role is always a column name
        prof = Profile(core, customer, key_type, self._on_invalid,
                       self._as_of_given)
        if self._skipped:
            r = prof.report
            prof.report = dataclasses.replace(r, rows_read=r.rows_read + self._skipped,
                                              rows_outside_window=r.rows_outside_window + self._skipped)
        return prof

    def copy(self) -> "ProfileBuilder":
        """An independent builder with the same state (to branch a running profile)."""
        new = object.__new__(ProfileBuilder)
        new.__dict__.update(self.__dict__)
        new._state = self._state.copy()
        return new

    __copy__ = copy

    def __deepcopy__(self, memo) -> "ProfileBuilder":
        return self.copy()

    @property
    def rows_read(self) -> int:
        """Rows given to update so far, valid or not."""
        return self._state.rows_read

    def __repr__(self) -> str:
        roles = ", ".join(f"{r}={c!r}" for r, c in self._roles.items() if c is not None)
        return (f"ProfileBuilder({roles}; {self._state.rows_read:,} rows read, "
                f"{self._state.customers:,} customers so far)")

    def _fresh_state(self) -> _core.ProfileState:
        return _core.ProfileState(**self._settings)


def profile(data, *, customer: str = "customer_id", time: str = "time", amount: str = "amount",
            order: str | None = None, quantity: str | None = None, channel: str | None = None,
            category: str | None = None, as_of=None, window_start=None, time_zone=None,
            period: str = "month", spend_series: bool = True, purchase_days: bool = True,
            on_invalid: str = "raise", valid_dates=None, threads: int | None = None) -> Profile:
    """Profile transactions: one exact row of aggregates per customer.

    Parameters
    ----------
    data
        Transactions, or anything ``tierkit.Transactions`` accepts (then name the columns
        with ``customer``, ``time``, ``amount`` and the optional roles).
    as_of
        The evaluation day (exclusive end of the window). Default: the day after the last
        transaction, reported back in ``profile.report``.
    window_start
        Makes the window explicit: only transactions in ``[window_start, as_of)`` are used;
        the others are counted in ``report.rows_outside_window``. Without it, a transaction
        on or after an explicit ``as_of`` is invalid input.
    time_zone
        Zone in which time-zone-aware timestamps become calendar days: by default the
        column's own zone (as pandas' and polars' ``.dt.date`` do; stated in
        ``report.time_zone``), or "UTC", an IANA name, an offset such as "+08:00", or a
        tzinfo. Naive timestamps and dates are taken as they are.
    period
        Bucket of the spend series: "day", "week" (Monday), "month", "quarter", "year".
    spend_series
        False skips the per-period spend series (``Profile.spend_series()`` then raises,
        and value x potential has no spend_growth metric).
    purchase_days
        False skips the distinct purchase days and what derives from them: the columns
        purchase_days, previous_purchase and median_gap are absent, and so are the metrics
        purchase_days, median_gap and last_gap. Lifecycle stages, the pymc_marketing RFM
        preset and rules that read those columns need them (and raise, saying so); the
        default RFM, ABC and other rules do not. The profile then keeps no per-customer
        list of days (faster, since no distinct days are counted, and less memory).
    on_invalid
        "raise" (default): invalid rows raise InvalidInput naming every column, problem and
        row count. "drop": they are left out and counted in ``report.dropped``.
    valid_dates
        The days a transaction may be dated, both included: a pair of dates, default
        ``("1900-01-01", "2200-12-31")``. A row dated outside is an invalid row, "dated before
        1900-01-01 (the first of valid_dates)" (or after the last), raised or dropped under
        ``on_invalid``: such dates are placeholders or typos (0000-01-01, 9999-12-31) far more
        often than purchases. Checked before the window. Widen it for older records, up to
        ``("0001-01-01", "9999-12-31")``, every date tierkit represents.
    threads
        Threads to use (default: all cores).
    """
    roles = {"customer": customer, "time": time, "amount": amount, "order": order,
             "quantity": quantity, "channel": channel, "category": category}
    if is_file_source(data):
        builder = ProfileBuilder(**{k: v for k, v in roles.items() if v is not None}, as_of=as_of,
                                 window_start=window_start, time_zone=time_zone, period=period,
                                 spend_series=spend_series, purchase_days=purchase_days,
                                 on_invalid=on_invalid, valid_dates=valid_dates, threads=threads)
        builder._update_files(FileSource(data, what="tierkit.profile"))
        return builder.finish()
    if isinstance(data, Transactions):
        defaults = {"customer": "customer_id", "time": "time", "amount": "amount"}
        given = {k: v for k, v in roles.items() if v is not None and v != defaults.get(k)}
        tx = as_transactions(data, given)
    else:
        tx = Transactions(data, **{k: v for k, v in roles.items() if v is not None})
    builder = ProfileBuilder(**tx.roles, as_of=as_of, window_start=window_start,
                             time_zone=time_zone, period=period, spend_series=spend_series,
                             purchase_days=purchase_days, on_invalid=on_invalid,
                             valid_dates=valid_dates, threads=threads)
    builder._key_type = tx.customer_type
    builder._adopt_zone(tx.schema)
    for group in tx.groups():
        builder._state.update(group)
    return builder.finish()
