"""Strategies fitted within groups: branch, store, region, channel (or several columns).

    g = tk.Grouped(tk.RFM(5), by="branch", min_size=50)   # any strategy
    model = g.fit(profile, groups=attributes)               # one frozen model per branch
    scores = model.apply(profile, groups=attributes)        # r_score ... within the branch,
                                                            # overall_r_score ... over everyone
    model.groups                                            # per group: customers, which model
    model.report                                            # small groups, fallbacks, nulls

Policies (stated here because a user needs them to read the numbers):

* A group's model is fitted on exactly the rows of that group, so it equals fitting that
  group's customers separately (tested on Online Retail by country).
* ``min_size``: a group with fewer rows than this at fit time gets no model of its own; its
  customers are scored by the overall model (``small="overall"``, default) or the fit fails
  (``small="error"``). Either way ``model.report["small"]`` lists them with their sizes.
* ``unseen``: a group met at apply time that had no rows at fit time is scored by the overall
  model (``"overall"``, default) or is an error (``"error"``).
* Null group values (in any of the ``by`` columns) are an error by default
  (``nulls="error"``, naming the column and the row count); ``nulls="overall"`` scores those
  rows with the overall model. A customer absent from the ``groups=`` table counts as null.
* The result holds the strategy's columns computed within the group under their usual names
  (``r_score``, ``segment``, ``abc_class`` ...), the overall model's columns prefixed
  ``overall_`` (``overall_r_score`` ...; ``overall=False`` leaves them out), and
  ``group_model``: "group" where the group's own model scored the row, else the reason the
  overall model did: "small", "unseen" or "null". Tier rules can read all of them.

Each row gets a group number (numpy/Arrow); the rows are ordered by group once in C++ and
each group's fit and apply is the strategy's own C++ kernel on that group's rows, the
groups on the usable CPUs (strategies with a core strategy: RFM, ABC, Lifecycle and
ValuePotential without a lifetime-value model, AssetBands, KMeans; others group by group
from Python, with the same results).
"""
from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow import as_arrow, missing_column, one_array
from ._errors import FormatError, InvalidInput, SchemaError
from ._results import Table, arrow_columns
from .attributes import CustomerAttributes
from .profile import Profile
from .scoring import (Metrics, _strictly_increasing, load, metrics_of, register_loader,
                      save_bytes)

_POLICIES = {"unseen": ("overall", "error"), "small": ("overall", "error"),
             "nulls": ("error", "overall")}
_FORMAT = 1


def _by_list(by, what: str) -> list[str]:
    cols = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else None
    if not cols or not all(isinstance(c, str) and c for c in cols):
        raise InvalidInput(f"{what}: by must be a column name or a list of them; got {by!r}")
    if len(set(cols)) != len(cols):
        raise InvalidInput(f"{what}: by names a column twice: {cols!r}")
    return cols


def _keyed_source(groups, key_name: str, what: str) -> tuple[pa.Table, str]:
    """(table, key column) of a groups= argument: CustomerAttributes or a keyed table."""
    if isinstance(groups, CustomerAttributes):
        return groups.to_arrow(), groups._key_name
    source = as_arrow(groups, f"{what} groups")
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    if key_name not in t.column_names:
        raise missing_column(key_name, t.column_names, "key", f"{what} groups")
    return t, key_name


def _group_columns(metrics: Metrics, data, groups, by: list[str], what: str) -> list[pa.Array]:
    """The `by` columns aligned with metrics' rows (nulls where a customer has no row in
    the groups table)."""
    if groups is None:
        if isinstance(data, (pa.Table, pa.RecordBatch)) or (
                not isinstance(data, (Profile, Metrics)) and data is not None):
            source = as_arrow(data, what)
            t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
            missing = [c for c in by if c not in t.column_names]
            if missing:
                raise missing_column(missing[0], t.column_names, "group", what)
            return [one_array(t.column(c)) for c in by]
        raise SchemaError(f"{what}: the data has no group columns {by!r}; pass groups=... "
                          "(customer attributes or a keyed table holding them)")
    t, key = _keyed_source(groups, metrics.key_name, what)
    missing = [c for c in by if c not in t.column_names]
    if missing:
        raise missing_column(missing[0], t.column_names, "group", f"{what} groups")
    gkeys = one_array(t.column(key))
    if gkeys.null_count:
        raise InvalidInput(f"{what}: the groups table's key column {key!r} has "
                           f"{gkeys.null_count:,} null rows")
    keys = metrics.keys
    try:
        gkeys = gkeys.cast(keys.type) if gkeys.type != keys.type else gkeys
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise SchemaError(f"{what}: the groups table's keys are {gkeys.type}, the data's keys "
                          f"are {keys.type}") from None
    if gkeys.equals(keys) and _strictly_increasing(keys):
        # The same keys in the same order (attributes made beside the profile): no lookup.
        return [one_array(t.column(c)) for c in by]
    if not _strictly_increasing(gkeys) and pc.count_distinct(gkeys).as_py() != len(gkeys):
        raise InvalidInput(f"{what}: the groups table's key column {key!r} repeats "
                           f"{len(gkeys) - pc.count_distinct(gkeys).as_py():,} rows; a customer "
                           "belongs to one group")
    pos = pc.index_in(keys, value_set=gkeys)
    return [one_array(t.column(c)).take(pos) for c in by]


def _normalise(col: pa.Array, name: str, what: str) -> pa.Array:
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_large_string(col.type) or str(col.type) == "string_view":
        col = col.cast(pa.string())
    t = col.type
    if not (pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)):
        raise SchemaError(f"{what}: the group column {name!r} is {t}; groups are text, integer "
                          "or boolean columns")
    if pa.types.is_integer(t):
        col = col.cast(pa.int64())
    return col


class _Codes:
    """Row -> group number for a set of known groups (one distinct-value list per column)."""

    def __init__(self, values: list[pa.Array]):
        self.values = values  # per column: its distinct non-null values, in order
        self.radix = [len(v) for v in values]
        self.lookup = [{x: i for i, x in enumerate(v.to_pylist())} for v in values]

    @staticmethod
    def learn(cols: list[pa.Array]) -> "_Codes":
        return _Codes([pc.unique(c.drop_null()).sort() if len(c) else c for c in cols])

    @staticmethod
    def learn_coded(cols: list[pa.Array]) -> tuple["_Codes", np.ndarray]:
        """learn(cols) and the code of each row (-1 for null), as learn + combined give them.
        One integer column without nulls whose values span at most 4 per row (branch or
        store numbers) is counted over its range instead of hashed."""
        col = cols[0]
        if len(cols) == 1 and len(col) and not col.null_count and pa.types.is_integer(col.type):
            v = col.to_numpy(zero_copy_only=False)
            lo, hi = int(v.min()), int(v.max())
            if hi - lo < 4 * len(v):
                present = np.bincount(v - lo, minlength=hi - lo + 1) > 0
                number = np.cumsum(present) - 1
                codes = _Codes([pa.array(np.flatnonzero(present) + lo, col.type)])
                return codes, number[v - lo].astype(np.int64)
        codes = _Codes.learn(cols)
        return codes, codes.combined(cols)[0]

    def combined(self, cols: list[pa.Array]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(code per row, -1 where unknown or null; null mask; unknown mask)."""
        n = len(cols[0])
        code = np.zeros(n, dtype=np.int64)
        null = np.zeros(n, dtype=bool)
        unknown = np.zeros(n, dtype=bool)
        for col, vals, r in zip(cols, self.values, self.radix):
            idx = pc.index_in(col, value_set=vals.cast(col.type) if len(vals) else
                              pa.array([], col.type))
            isnull = col.is_null().to_numpy(zero_copy_only=False)
            miss = idx.is_null().to_numpy(zero_copy_only=False) & ~isnull
            null |= isnull
            unknown |= miss
            code = code * max(r, 1) + idx.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        code[null | unknown] = -1
        return code, null, unknown

    def keys(self, codes: np.ndarray) -> list[tuple]:
        """The value tuples of many group numbers (one column's values taken at once)."""
        parts = []
        rest = np.asarray(codes, dtype=np.int64)
        for vals, r in zip(reversed(self.values), reversed(self.radix)):
            parts.append(vals.take(pa.array(rest % r)).to_pylist())
            rest = rest // r
        return list(zip(*reversed(parts)))

    def key(self, code: int) -> tuple:
        parts = []
        for vals, r in zip(reversed(self.values), reversed(self.radix)):
            parts.append(vals[code % r].as_py())
            code //= r
        return tuple(reversed(parts))


def _dense_groups(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group of each row, -1 for none; each group's code; each group's rows): the codes
    that occur numbered 0, 1, ... in increasing order, by counting over the code range
    when it is small next to the rows (no sort), else by np.unique."""
    present = code >= 0
    if len(code) and present.all() and int(code.max()) < len(code):
        # Every row coded (no nulls): the codes of one column are already dense when every
        # value occurs.
        counts = np.bincount(code)
        if counts.all():
            return code, np.arange(len(counts), dtype=np.int64), counts
    if not present.any():
        return np.full(len(code), -1, dtype=np.int64), np.array([], np.int64), np.array([], np.int64)
    space = int(code.max()) + 1
    if space <= max(4 * len(code), 1 << 16):
        counts = np.bincount(code[present], minlength=space)
        group_codes = np.flatnonzero(counts)
        number = np.full(space, -1, dtype=np.int64)
        number[group_codes] = np.arange(len(group_codes))
        group_of = np.where(present, number[np.where(present, code, 0)], -1)
        return group_of, group_codes, counts[group_codes]
    group_codes, inverse, sizes = np.unique(code[present], return_inverse=True, return_counts=True)
    group_of = np.full(len(code), -1, dtype=np.int64)
    group_of[present] = inverse
    return group_of, group_codes, sizes


def _group_order(codes: np.ndarray) -> np.ndarray:
    """Stable order of rows by group number. Numbers narrowed to 16 bits when they fit, for
    which numpy's stable sort is a radix sort (one pass per byte, not a comparison sort)."""
    if len(codes) and codes.max() < 65536:
        codes = codes.astype(np.uint16)
    return np.argsort(codes, kind="stable")


class _Sorted:
    """The metrics' columns put in group order once, so that each group is a contiguous
    slice: a group's table then borrows its slice instead of copying the whole column per
    group (which made 1,000 groups cost 1,000 passes over every column)."""

    def __init__(self, metrics: Metrics, order: np.ndarray, columns):
        self.metrics = metrics
        self.columns = {name: np.ascontiguousarray(metrics.column(name)[order]) for name in columns}
        self.keys = metrics.keys.take(pa.array(order))

    def group(self, start: int, end: int) -> Metrics:
        core = _core.MetricTable()
        for name, values in self.columns.items():
            core.add(name, values[start:end], borrow=True)
        for name, why in self.metrics.core.absent:
            core.note_absent(name, why)
        return Metrics(core, self.keys.slice(start, end - start), self.metrics.key_name)


def _columns_read(strategy, metrics: Metrics) -> list[str]:
    reads = getattr(strategy, "profile_columns", None)
    if reads is not None and all(c in metrics.names for c in reads):
        return list(reads)
    return metrics.names


class Grouped:
    """A strategy fitted once per group (see the module for the policies).

    Parameters
    ----------
    strategy
        Any tierkit strategy (RFM, ABC, ValuePotential, Lifecycle, ...).
    by
        The group column, or a list of columns (a group is one combination of values).
    min_size
        Groups with fewer rows at fit time use the overall model (default 1: every group
        with a row gets its own model).
    unseen, small, nulls
        "overall" or "error" (defaults "overall", "overall", "error").
    overall
        Also return the overall model's columns, prefixed ``overall_`` (default True).
    groups
        Where the group columns are when fit/apply are not told: customer attributes or a
        keyed table (used by policy files).
    """

    def __init__(self, strategy, by, *, min_size: int = 1, unseen: str = "overall",
                 small: str = "overall", nulls: str = "error", overall: bool = True,
                 groups=None):
        what = "tierkit.Grouped"
        if not (hasattr(strategy, "fit") and callable(strategy.fit)):
            raise InvalidInput(f"{what}: {type(strategy).__name__} is not a strategy (no fit)")
        if isinstance(strategy, Grouped):
            raise InvalidInput(f"{what}: a Grouped strategy cannot be grouped again; give "
                               "several columns in by=[...] instead")
        self.strategy = strategy
        self.by = _by_list(by, what)
        if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 1:
            raise InvalidInput(f"{what}: min_size must be a whole number >= 1; got {min_size!r}")
        self.min_size = int(min_size)
        for name, value in (("unseen", unseen), ("small", small), ("nulls", nulls)):
            if value not in _POLICIES[name]:
                raise InvalidInput(f"{what}: {name} must be one of {_POLICIES[name]}; got {value!r}")
        self.unseen, self.small, self.nulls = unseen, small, nulls
        self.overall = bool(overall)
        self.groups = groups

    @property
    def profile_columns(self):
        """The profile columns the wrapped strategy reads (None: not known in advance)."""
        return getattr(self.strategy, "profile_columns", None)

    @property
    def reads_source(self) -> bool:
        """True when the wrapped strategy reads the source table rather than metrics."""
        return getattr(self.strategy, "reads_source", False)

    def fit(self, data, key: str | None = None, groups=None) -> "GroupedModel":
        """Fits one model per group of ``by`` (read from ``data`` or from ``groups``, a table
        keyed by customer) and one over all customers; groups under ``min_size`` and null
        groups follow the configured policy, and the model's ``report`` lists them."""
        return self._fit(data, key, groups, "tierkit.Grouped.fit", scores=False)[0]

    def _fit(self, data, key, groups, what: str, scores: bool):
        """(model, scores): the grouped model and, when ``scores`` is asked and one C++ call
        can fit and apply every group (tierkit::fit_apply_by_group), its scores of the rows
        fitted on (else None: the caller applies the model)."""
        metrics = metrics_of(data, key, what)
        groups = groups if groups is not None else self.groups
        cols = [_normalise(c, n, what) for c, n in
                zip(_group_columns(metrics, data, groups, self.by, what), self.by)]
        null = np.zeros(len(metrics.keys), dtype=bool)
        for c, n in zip(cols, self.by):
            if c.null_count and self.nulls == "error":
                raise InvalidInput(f"{what}: the group column {n!r} has {c.null_count:,} null "
                                   f"rows (of {len(c):,}); give every customer a group or pass "
                                   "nulls='overall'")
            if c.null_count:
                null |= c.is_null().to_numpy(zero_copy_only=False)
        codes, code = _Codes.learn_coded(cols)
        # Groups numbered densely in the order of their codes (the groups' values sorted).
        group_of, group_codes, sizes = _dense_groups(code)
        read = _columns_read(self.strategy, metrics)
        columns = None if read == metrics.names else list(read)
        found = _core_strategy(self.strategy)
        # fit_apply of a strategy with a core strategy: one C++ call fits the overall model
        # (beside the groups), every group's, and scores the rows.
        fused = scores and found is not None and len(group_codes) > 0
        overall_model = None if fused else self.strategy.fit(metrics)
        fitted: list | None = None
        raw: tuple[dict, dict | None] | None = None
        if found is not None and len(group_codes):
            core, wrap = found
            if fused:
                _derive_for(self.strategy, metrics)  # what the strategy's own fit adds first
                try:
                    cores, within, everyone, overall_core = _core.fit_apply_by_group(
                        core, metrics.core, group_of, len(group_codes), self.min_size, None,
                        columns=columns, fallback_all=self.overall)
                    overall_model = wrap(overall_core)
                    raw = (within, everyone)
                except SchemaError:
                    # The models give different columns, or the data lack one: the strategy's
                    # own fit and the per-group path report it.
                    overall_model = self.strategy.fit(metrics)
                    cores = _core.fit_by_group(core, metrics.core, group_of, len(group_codes),
                                               self.min_size, columns=columns)
            else:
                cores = _core.fit_by_group(core, metrics.core, group_of, len(group_codes),
                                           self.min_size, columns=columns)
            fitted = [None if c is None else wrap(c) for c in cores]
        if fitted is None:
            fitted = self._fit_per_group(metrics, read, group_of, sizes)
        small_at = np.flatnonzero(sizes < self.min_size)
        keys = codes.keys(group_codes)
        if len(small_at) and self.small == "error":
            names = ", ".join(f"{_show(keys[k])} ({int(sizes[k]):,} rows)" for k in small_at[:10])
            raise InvalidInput(f"{what}: {len(small_at):,} groups have fewer than min_size="
                               f"{self.min_size:,} rows: {names}; pass small='overall' to score "
                               "them with the overall model")
        model = GroupedModel(self.by, [c.type for c in cols], keys, fitted, sizes.tolist(),
                             overall_model,
                             dict(min_size=self.min_size, unseen=self.unseen, small=self.small,
                                  nulls=self.nulls, overall=self.overall, columns=columns))
        model.report["null_rows"] = int(null.sum())
        model.groups_source = groups
        if raw is not None:
            reason = np.zeros(len(group_of), dtype=np.int8)  # 0 group, 1 small, 3 null
            reason[group_of < 0] = 3
            if len(small_at):
                is_small = sizes < self.min_size
                reason[(group_of >= 0) & is_small[np.maximum(group_of, 0)]] = 1
            return model, model._scores_table(metrics, raw[0], raw[1], reason)
        model._fit_rows = (metrics, groups, code, null)  # for the apply of fit_apply
        return model, None

    def _fit_per_group(self, metrics: Metrics, read, group_of: np.ndarray,
                       sizes: np.ndarray) -> list:
        """Every group's model from the strategy's own Python fit, one group at a time (the
        strategies without a core strategy to call); None under min_size."""
        valid = np.flatnonzero(group_of >= 0)
        order = valid[_group_order(group_of[valid])]
        ends = np.cumsum(sizes)
        sorted_rows = _Sorted(metrics, order, read)
        return [None if e - s < self.min_size else self.strategy.fit(sorted_rows.group(s, e))
                for s, e in zip((ends - sizes).tolist(), ends.tolist())]

    def fit_apply(self, data, key: str | None = None, groups=None) -> Table:
        """``fit(...).apply(...)`` on the same customers: within-group scores under the
        strategy's own column names, the overall model's with an ``overall_`` prefix, and
        ``group_model`` saying which model scored each row."""
        metrics = metrics_of(data, key, "tierkit")
        g = groups if groups is not None else self.groups
        if g is None and not isinstance(data, (Profile, Metrics)):
            # The group columns are in the data: read them from it in both steps.
            model, scores = self._fit(data, key, None, "tierkit.Grouped.fit", scores=True)
            return scores if scores is not None else model.apply(data, key=key)
        model, scores = self._fit(metrics, None, g, "tierkit.Grouped.fit", scores=True)
        return scores if scores is not None else model.apply(metrics, groups=g)

    def __repr__(self) -> str:
        return (f"Grouped({self.strategy!r}, by={self.by if len(self.by) > 1 else self.by[0]!r}, "
                f"min_size={self.min_size}, unseen={self.unseen!r}, small={self.small!r}, "
                f"nulls={self.nulls!r})")


def _show(k: tuple) -> str:
    return repr(k[0]) if len(k) == 1 else repr(k)


class GroupedModel:
    """One frozen model per group plus the overall model (fallback and ``overall_`` columns)."""

    kind = "grouped"

    def __init__(self, by, types, keys, models, sizes, overall_model, options):
        self.by = list(by)
        self._types = list(types)
        self._keys = [tuple(k) for k in keys]
        self._models = list(models)
        self._sizes = list(sizes)
        self.overall_model = overall_model
        self.options = dict(options)
        self._index = {k: i for i, k in enumerate(self._keys)}
        self.groups_source = None  # where apply() finds the group columns when not told
        self._fit_rows = None
        small = [(k, n) for k, n, m in zip(self._keys, self._sizes, self._models) if m is None]
        self.report: dict[str, Any] = {
            "groups": len(self._keys),
            "fitted": sum(m is not None for m in self._models),
            "small": [{"group": _plain(k), "rows": n} for k, n in small],
            "min_size": self.options["min_size"],
            "null_rows": 0,
        }

    # --- access --------------------------------------------------------------------------
    @property
    def models(self) -> dict:
        """Group (a value, or a tuple for several columns) -> its model (None: too small)."""
        return {_plain(k): m for k, m in zip(self._keys, self._models)}

    @property
    def groups(self) -> Table:
        """Per group: its values, the rows at fit, and which model scores it."""
        cols = {b: pa.array([k[i] for k in self._keys], t)
                for i, (b, t) in enumerate(zip(self.by, self._types))}
        cols["customers"] = pa.array(self._sizes, pa.int64())
        cols["model"] = pa.array(["group" if m is not None else "overall (small)"
                                  for m in self._models], pa.string())
        return Table(pa.table(cols), None, "groups")

    # --- scoring -------------------------------------------------------------------------
    def apply(self, data, key: str | None = None, groups=None) -> Table:
        """The strategy's columns within each group, the ``overall_`` columns and
        ``group_model`` (see the module), one row per input row in input order."""
        what = "tierkit.GroupedModel.apply"
        metrics = metrics_of(data, key, what)
        groups = groups if groups is not None else self.groups_source
        cached, self._fit_rows = self._fit_rows, None
        codes = _Codes([pa.array(sorted({k[i] for k in self._keys}), t)
                        for i, t in enumerate(self._types)])
        if cached is not None and cached[0] is metrics and cached[1] is groups:
            # fit_apply: the rows fitted a moment ago, their group numbers known (the same
            # numbering: both are the groups' values in sorted order).
            code, null = cached[2], cached[3]
            unknown = np.zeros(len(code), dtype=bool)
            cols = None
        else:
            raw = _group_columns(metrics, data, groups, self.by, what)
            cols = []
            for c, n, t in zip(raw, self.by, self._types):
                c = _normalise(c, n, what)
                if c.type != t:
                    try:
                        c = c.cast(t)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        raise SchemaError(f"{what}: the group column {n!r} is {c.type}; the model "
                                          f"was fitted with {t}") from None
                if c.null_count and self.options["nulls"] == "error":
                    raise InvalidInput(f"{what}: the group column {n!r} has {c.null_count:,} null "
                                       f"rows (of {len(c):,}); give every customer a group or fit "
                                       "with nulls='overall'")
                cols.append(c)
            code, null, unknown = codes.combined(cols)
        n = len(code)
        # Row -> model number: the group's own, or -1 for the overall model.
        known_codes = np.array([self._code_of(codes, k) for k in self._keys], dtype=np.int64)
        has_model = np.array([m is not None for m in self._models], dtype=bool)
        order_known = np.argsort(known_codes)
        pos = np.searchsorted(known_codes[order_known], code)
        pos = np.clip(pos, 0, max(len(known_codes) - 1, 0))
        found = (code >= 0) & (len(known_codes) > 0)
        if len(known_codes):
            found &= known_codes[order_known][pos] == code
        model_of = np.full(n, -1, dtype=np.int64)
        model_of[found] = order_known[pos[found]]
        reason = np.full(n, 0, dtype=np.int8)  # 0 group, 1 small, 2 unseen, 3 null
        small_rows = found.copy()
        small_rows[found] = ~has_model[model_of[found]]
        model_of[small_rows] = -1
        reason[small_rows] = 1
        unseen_rows = ~found & ~null
        reason[unseen_rows] = 2
        reason[null] = 3
        if unseen_rows.any() and self.options["unseen"] == "error":
            first = codes_first_unseen(cols, unseen_rows)
            raise InvalidInput(f"{what}: {int(unseen_rows.sum()):,} rows are in groups the model "
                               f"was not fitted on (first: {first}); fit with unseen='overall' "
                               "to score them with the overall model")
        read = self.options.get("columns")
        read = read if read and all(c in metrics.names for c in read) else metrics.names
        fallback = np.flatnonzero(model_of < 0)
        fast = _by_row(self._models, self.overall_model, metrics, read, model_of,
                       len(fallback) > 0, self.options["overall"])
        if fast is not None:
            return self._scores_table(metrics, fast[0], fast[1], reason)
        overall_out = None
        if self.options["overall"] or len(fallback) == n:
            overall_out = self.overall_model.apply(metrics).to_arrow()
        within, score_cols = self._apply_per_group(metrics, read, model_of, fallback, overall_out)
        # Some model scored every row (n > 0), or the overall model's columns were taken.
        assert score_cols is not None
        arrays = {metrics.key_name: metrics.keys}
        for name in score_cols:
            arrays[name] = within.column(name)
        if self.options["overall"]:
            assert overall_out is not None  # applied above whenever overall_ columns are asked
            for name in score_cols:
                arrays[f"overall_{name}"] = overall_out.column(name)
        return self._finish(metrics, arrays, reason)

    def _scores_table(self, metrics: Metrics, within: dict, overall: dict | None,
                      reason: np.ndarray) -> Table:
        """The result table from core score tables: the within-group scores and, with
        overall_ columns, the overall model's scores of every row."""
        arrays = {metrics.key_name: metrics.keys}
        columns = arrow_columns(within)
        for name, arr in columns.items():
            if name == metrics.key_name:
                raise SchemaError(f"tierkit: the key column {name!r} collides with a score column")
            arrays[name] = arr
        if self.options["overall"]:
            assert overall is not None
            everyone = arrow_columns(overall)
            for name in columns:
                arrays[f"overall_{name}"] = everyone[name]
        return self._finish(metrics, arrays, reason)

    @staticmethod
    def _finish(metrics: Metrics, arrays: dict, reason: np.ndarray) -> Table:
        labels = pa.array(["group", "small", "unseen", "null"], pa.string())
        arrays["group_model"] = pa.DictionaryArray.from_arrays(pa.array(reason), labels)
        table = Table(pa.table(arrays), metrics.key_name, "grouped scores")
        table._rows_of = metrics
        return table

    def _apply_per_group(self, metrics: Metrics, read, model_of: np.ndarray, fallback: np.ndarray,
                         overall_out) -> tuple[pa.Table, list[str] | None]:
        """The within-group scores, one model's Python apply per group (models the one C++
        call cannot take: those whose apply is more than their core's score table)."""
        key_name = metrics.key_name
        n = len(model_of)
        pieces, rows_in = [], []
        if overall_out is not None:
            score_cols = [c for c in overall_out.column_names if c != key_name]
            if len(fallback):
                pieces.append(overall_out.take(pa.array(fallback)).select(score_cols))
        else:
            # Without overall_ columns the overall model scores only the rows that fall back.
            score_cols = None
            if len(fallback):
                part = self.overall_model.apply(_Sorted(metrics, fallback, read).group(
                    0, len(fallback))).to_arrow()
                score_cols = [c for c in part.column_names if c != key_name]
                pieces.append(part.select(score_cols))
        if len(fallback):
            rows_in.append(fallback)
        used = np.flatnonzero(model_of >= 0)
        if len(used):
            order = used[_group_order(model_of[used])]
            m_sorted = model_of[order]
            starts = np.flatnonzero(np.r_[True, m_sorted[1:] != m_sorted[:-1]])
            ends = np.r_[starts[1:], len(order)]
            sorted_rows = _Sorted(metrics, order, read)
            for s, e in zip(starts, ends):
                model = self._models[int(m_sorted[s])]
                out = model.apply(sorted_rows.group(int(s), int(e))).to_arrow()
                if score_cols is None:
                    score_cols = [c for c in out.column_names if c != key_name]
                pieces.append(out.select(score_cols))
            rows_in.append(order)
        if pieces:
            pieces = [p.cast(pieces[0].schema) if p.schema != pieces[0].schema else p
                      for p in pieces]
            stacked = pa.concat_tables(pieces).unify_dictionaries()
            where = np.concatenate(rows_in)
            inverse = np.empty(n, dtype=np.int64)
            inverse[where] = np.arange(n)
            return stacked.take(pa.array(inverse)).combine_chunks(), score_cols
        return overall_out.drop_columns([key_name]).slice(0, 0), score_cols

    @staticmethod
    def _code_of(codes: _Codes, k: tuple) -> int:
        code = 0
        for v, lookup, r in zip(k, codes.lookup, codes.radix):
            code = code * max(r, 1) + lookup[v]
        return code

    def summary(self, data, column: str | None = None, key: str | None = None,
                groups=None) -> Table:
        """Per group and label of `column` (default: the strategy's first text column, e.g.
        segment or abc_class): customers and their share of the group."""
        scores = self.apply(data, key=key, groups=groups)
        t = scores.to_arrow()
        metrics = metrics_of(data, key, "tierkit.GroupedModel.summary")
        g = groups if groups is not None else self.groups_source
        gcols = _group_columns(metrics, data, g, self.by, "tierkit.GroupedModel.summary")
        if column is None:
            text = [f.name for f in t.schema if (pa.types.is_dictionary(f.type) or
                                                 pa.types.is_string(f.type))
                    and not f.name.startswith("overall_") and f.name not in
                    ("group_model", scores.key_name) and not f.name.endswith("_zh")]
            if not text:
                raise SchemaError("tierkit.GroupedModel.summary: name the column to count "
                                  f"(columns: {', '.join(t.column_names)})")
            column = text[0]
        if column not in t.column_names:
            raise missing_column(column, t.column_names, "column", "tierkit.GroupedModel.summary")
        col = one_array(t.column(column))
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        parts = {b: c.dictionary_decode() if pa.types.is_dictionary(c.type) else c
                 for b, c in zip(self.by, gcols)}
        parts[column] = col
        counted = pa.table(parts).group_by(self.by + [column]).aggregate([([], "count_all")])
        counted = counted.rename_columns([*self.by, column, "customers"])
        totals = pa.table(parts).group_by(self.by).aggregate([([], "count_all")]) \
            .rename_columns([*self.by, "group_customers"])
        joined = counted.join(totals, self.by).sort_by([(b, "ascending") for b in self.by]
                                                        + [(column, "ascending")])
        share = pc.divide(joined.column("customers").cast(pa.float64()),
                          joined.column("group_customers").cast(pa.float64()))
        joined = joined.append_column("share", share).drop_columns(["group_customers"])
        return Table(joined, None, f"{column} per group")

    # --- persistence ---------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The grouped model in tierkit's envelope (kind "grouped"): the groups, options and
        every group's model; ``from_bytes``, ``tk.load`` and pickle read it back."""
        schema = pa.schema([pa.field(b, t) for b, t in zip(self.by, self._types)])
        header = {"format": _FORMAT, "by": self.by, "options": self.options,
                  "schema": base64.b64encode(schema.serialize().to_pybytes()).decode("ascii"),
                  "keys": [list(k) for k in self._keys], "sizes": self._sizes,
                  "fitted": [m is not None for m in self._models]}
        parts = [json.dumps(header).encode("utf-8"), self.overall_model.to_bytes()]
        parts += [m.to_bytes() for m in self._models if m is not None]
        payload = b"".join(len(p).to_bytes(8, "little") + p for p in parts)
        return _core.wrap_envelope("grouped", payload)

    @classmethod
    def from_bytes(cls, data: bytes) -> "GroupedModel":
        """The model that ``to_bytes`` wrote; FormatError for other or damaged bytes."""
        payload = _core.unwrap_envelope(bytes(data), "grouped")
        parts, i = [], 0
        try:
            while i < len(payload):
                n = int.from_bytes(payload[i:i + 8], "little")
                if n > len(payload) - i - 8:
                    raise ValueError("a part runs past the end")
                parts.append(payload[i + 8:i + 8 + n])
                i += 8 + n
            header = json.loads(parts[0].decode("utf-8"))
            if header.get("format") != _FORMAT:
                raise FormatError(f"tierkit.GroupedModel: format {header.get('format')!r} is not "
                                  f"readable (reads {_FORMAT})")
            schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(header["schema"])))
            fitted = header["fitted"]
            if len(parts) != 2 + sum(fitted) or len(fitted) != len(header["keys"]):
                raise ValueError("the number of models does not match the groups")
            overall = load(parts[1])
            it = iter(parts[2:])
            models = [load(next(it)) if f else None for f in fitted]
            return cls(header["by"], list(schema.types), header["keys"], models, header["sizes"],
                       overall, header["options"])
        except FormatError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError,
                pa.ArrowInvalid) as e:
            raise FormatError(f"tierkit.GroupedModel.from_bytes: damaged model ({e})") from None

    def save(self, path) -> None:
        """Writes ``to_bytes()`` to ``path`` atomically; ``tk.load(path)`` reads it back."""
        save_bytes(path, self.to_bytes())

    def __reduce__(self):
        return (GroupedModel.from_bytes, (self.to_bytes(),))

    def __eq__(self, other) -> bool:
        return (isinstance(other, GroupedModel) and self.by == other.by
                and self._keys == other._keys and self._sizes == other._sizes
                and self.options == other.options and self.overall_model == other.overall_model
                and all((a is None and b is None) or (a is not None and a == b)
                        for a, b in zip(self._models, other._models)))

    __hash__ = None  # type: ignore[assignment]  # equal by value, so not hashable

    def __repr__(self) -> str:
        small = len(self.report["small"])
        return (f"GroupedModel(by={self.by!r}, {self.report['groups']:,} groups, "
                f"{self.report['fitted']:,} with their own model, {small:,} below min_size="
                f"{self.options['min_size']:,} scored by the overall "
                f"{type(self.overall_model).__name__})")


def _derive_for(strategy, metrics: Metrics) -> None:
    """Adds the derived profile metrics `strategy`'s own fit would add (RFM presets)."""
    from .rfm import RFM, _derive
    if type(strategy) is RFM:
        c = strategy._config
        _derive(metrics, (c.recency_column, c.frequency_column, c.monetary_column))


def _fast_models():
    """The model classes whose apply is their core model's score table made keyed (no
    lifetime-value model inside: see _is_fast)."""
    from .abc import ABCModel
    from .asset_bands import AssetBandModel
    from .kmeans import KMeansModel
    from .lifecycle import LifecycleModel
    from .rfm import RFMModel
    from .value_potential import ValuePotentialModel
    return (RFMModel, ABCModel, LifecycleModel, ValuePotentialModel, AssetBandModel, KMeansModel)


def _is_fast(model, fast) -> bool:
    """True when one C++ call may apply `model` (its class is in `fast` and it carries no
    lifetime-value model, whose predictions its Python apply adds first)."""
    return type(model) in fast and getattr(model, "clv_model", None) is None


def _core_strategy(strategy):
    """(core strategy, core model -> model) for a strategy whose fit is its core strategy's
    fit on the metrics, wrapped in its model class: RFM, ABC, Lifecycle and ValuePotential
    (without a lifetime-value model to fit), AssetBands and KMeans; else None (the per-group
    Python loop fits)."""
    from .abc import ABC, ABCModel
    from .asset_bands import AssetBandModel, AssetBands
    from .kmeans import KMeans, KMeansModel
    from .lifecycle import Lifecycle, LifecycleModel
    from .rfm import RFM, RFMModel
    from .value_potential import ValuePotential, ValuePotentialModel
    kind = type(strategy)
    if kind is RFM:
        return _core.RFMStrategy(strategy._config), RFMModel
    if kind is ABC:
        return strategy._strategy, ABCModel
    if kind is Lifecycle and strategy._clv is None:
        return strategy._strategy, LifecycleModel
    if kind is ValuePotential and strategy._clv is None:
        return strategy._strategy, ValuePotentialModel
    if kind is AssetBands:
        levels = strategy._levels
        return strategy._strategy, lambda core: AssetBandModel(core, levels)
    if kind is KMeans:
        return _core.KMeansStrategy(strategy._config), KMeansModel
    return None


def _by_row(models, overall, metrics: Metrics, read, model_of: np.ndarray, falls_back: bool,
            overall_columns: bool) -> tuple[dict, dict | None] | None:
    """(within-group scores, the overall model's scores of every row or None) as core score
    tables in the rows' order, from one C++ call (tierkit::apply_by_row: each group's model
    applied to exactly its rows, the rows falling back taking the overall model's scores,
    which it computes once, label lists merged as concatenating the per-group tables
    would). Only for models whose apply is their core's score table made keyed (RFM, ABC);
    else None (the per-group Python path)."""
    fast = _fast_models()
    # The models scoring some row (counted: np.unique would sort the rows).
    used = set(np.flatnonzero(np.bincount(model_of[model_of >= 0], minlength=len(models))).tolist())
    need_overall = falls_back or overall_columns or not len(model_of)  # no rows: its columns
    if not all(_is_fast(models[i], fast) for i in used) or (need_overall and not _is_fast(overall, fast)):
        return None
    if _is_fast(overall, fast) and hasattr(overall, "_metrics"):
        overall._metrics(metrics, metrics.key_name, "tierkit.GroupedModel.apply")  # derived metrics
    cores = [m._core if i in used else None for i, m in enumerate(models)]
    try:
        raw = _core.apply_by_row(metrics.core, cores, model_of.astype(np.int32),
                                 overall._core if need_overall else None,
                                 columns=None if read == metrics.names else list(read),
                                 fallback_all=overall_columns)
    except SchemaError:
        return None  # the models give different columns: the per-group path reports it
    return raw if overall_columns else (raw, None)


def codes_first_unseen(cols: list[pa.Array], rows: np.ndarray) -> str:
    i = int(np.flatnonzero(rows)[0])
    return _show(tuple(c[i].as_py() for c in cols))


def _plain(k: tuple):
    return k[0] if len(k) == 1 else k


register_loader("grouped", GroupedModel.from_bytes)

__all__ = ["Grouped", "GroupedModel"]
