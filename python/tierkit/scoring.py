"""What every scoring strategy shares: reading its input, joining results, persistence.

A strategy has ``fit(data) -> model``; a model has ``apply(data) -> table``. ``data`` is a
``tierkit.Profile`` (its metrics, keyed by customer) or any table with a key column and
numeric columns (pandas, polars, pyarrow, DuckDB, ...): ABC of products works the same way
as ABC of customers. Your own strategies plug in by having the same two methods (see
``score``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow import as_arrow, missing_column, one_array
from ._errors import InvalidInput, SchemaError
from ._results import Table, arrow_columns
from .profile import Profile


class Metrics:
    """The input of a strategy: a core MetricTable, the keys and the key column's name."""

    def __init__(self, core: _core.MetricTable, keys: pa.Array, key_name: str,
                 profile: Profile | None = None):
        self.core = core
        self.keys = keys
        self.key_name = key_name
        self.profile = profile

    def add(self, name: str, values: np.ndarray) -> None:
        self.core.add(name, np.asarray(values, dtype=np.float64))

    def column(self, name: str) -> np.ndarray:
        return self.core.column(name)

    @property
    def names(self) -> list[str]:
        return list(self.core.names)


def metrics_of(data, key: str | None = None, what: str = "tierkit") -> Metrics:
    """Metrics of a Profile, or of any keyed table (all numeric columns, nulls as NaN).

    Policy for tables: the key column must be present, without nulls and without repeats
    (scores are joined back by key); booleans, integers, floats and decimals become
    numbers; other columns are left out.
    """
    if isinstance(data, Metrics):
        return data
    if isinstance(data, Profile):
        if key is not None and key != data.key_name:
            raise SchemaError(f"{what}: a Profile is keyed by {data.key_name!r}, not {key!r}")
        core = _core.MetricTable.from_profile(data._core)
        keys = one_array(data.to_arrow().column(0))
        return Metrics(core, keys, data.key_name, data)
    if key is None and isinstance(data, Table) and data.key_name:
        key = data.key_name  # a tierkit result (a household roll-up, say) says its key
    source = as_arrow(data, what)
    table = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    key = key or ("customer_id" if "customer_id" in table.column_names else None)
    if key is None:
        raise SchemaError(f"{what}: name the key column with key=... (columns: "
                          f"{', '.join(table.column_names)})")
    if key not in table.column_names:
        raise missing_column(key, table.column_names, "key", what)
    keys = one_array(table.column(key))
    if keys.null_count:
        raise InvalidInput(f"{what}: the key column {key!r} has {keys.null_count:,} null rows")
    if not _strictly_increasing(keys) and pc.count_distinct(keys).as_py() != len(keys):
        distinct = pc.count_distinct(keys).as_py()
        dated = [f.name for f in table.schema if pa.types.is_temporal(f.type)]
        hint = (f"; these look like transactions (a time column {dated[0]!r} and repeated keys): "
                f"profile them first, p = tk.profile(data, customer={key!r}, time={dated[0]!r}, "
                "amount=...), then fit the strategy on p") if dated else ""
        raise InvalidInput(f"{what}: the key column {key!r} repeats {len(keys) - distinct:,} "
                           f"rows; strategies need one row per key{hint}")
    core = _core.MetricTable()
    for name in table.column_names:
        if name == key:
            continue
        t = table.schema.field(name).type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) \
                or pa.types.is_boolean(t):
            col = table.column(name).cast(pa.float64())
            # Nulls become NaN. A float64 column without nulls in one chunk is read in place
            # (the input's own buffer, a pandas frame's memory when the table came from
            # pandas, as tierkit reads every input: it must not change during the call);
            # otherwise it is a new array nobody else holds.
            core.add(name, col.to_numpy(zero_copy_only=False), borrow=True)
    if core.rows == 0 and table.num_rows:
        raise SchemaError(f"{what}: the table has no numeric column besides the key {key!r}")
    return Metrics(core, keys, key)


def _strictly_increasing(keys: pa.Array) -> bool:
    """True for integer keys in increasing order (no repeats): checked without hashing."""
    if not pa.types.is_integer(keys.type) or len(keys) < 2:
        return len(keys) < 2
    v = keys.to_numpy(zero_copy_only=False)
    return bool((v[1:] > v[:-1]).all())


def keyed_table(metrics: Metrics, columns: dict, title: str) -> Table:
    """A keyed result table from a core score table."""
    arrays = {metrics.key_name: metrics.keys}
    for name, arr in arrow_columns(columns).items():
        if name == metrics.key_name:
            raise SchemaError(f"tierkit: the key column {name!r} collides with a score column")
        arrays[name] = arr
    table = Table(pa.table(arrays), metrics.key_name, title)
    table._rows_of = metrics  # rows aligned with these metrics: joins need no key lookup
    return table


def plain_table(columns: dict, title: str) -> Table:
    return Table(pa.table(arrow_columns(columns)), None, title)


def score(data, *strategies, key: str | None = None) -> Table:
    """Fits every strategy to `data`, applies it, and joins the results by key.

    A strategy is a tierkit strategy (RFM, ABC, ...) or any object with ``fit(data)``
    returning a model with ``apply(data)``; a Python model's result must be a table
    (pandas, polars, pyarrow, ...) holding the key column, or one row per input row in
    input order. Column names must not repeat across strategies.
    """
    if not strategies:
        raise InvalidInput("tierkit.score: give at least one strategy")
    metrics = metrics_of(data, key, "tierkit.score")
    target = metrics.profile if metrics.profile is not None else data
    result = pa.table({metrics.key_name: metrics.keys})
    for s in strategies:
        if not (hasattr(s, "fit") and callable(s.fit)):
            raise InvalidInput(f"tierkit.score: {type(s).__name__} has no fit(data) method")
        if _is_tierkit(s):
            # tierkit strategies share the metrics read once, unless they read text columns
            # of the source themselves (asset bands map card levels to ranks).
            given = target if getattr(s, "reads_source", False) else metrics
            model = s.fit(given, key=metrics.key_name) if given is target else s.fit(given)
        else:
            model = s.fit(target)
        if not (hasattr(model, "apply") and callable(model.apply)):
            raise InvalidInput(f"tierkit.score: the model of {type(s).__name__} has no "
                               "apply(data) method")
        if _is_tierkit(s) and given is target:
            out = model.apply(target, key=metrics.key_name)
        else:
            out = model.apply(metrics if _is_tierkit(s) else target)
        result = _join(result, out, metrics, type(s).__name__)
    return Table(result, metrics.key_name, "scores")


def _is_tierkit(s) -> bool:
    return type(s).__module__.startswith("tierkit")


def _join(result: pa.Table, out, metrics: Metrics, who: str) -> pa.Table:
    if getattr(out, "_rows_of", None) is metrics:  # already aligned: no key lookup
        return _append(result, out.to_arrow().drop_columns([metrics.key_name]), who)
    t = out.to_arrow() if hasattr(out, "to_arrow") and not isinstance(out, pa.Table) else out
    source = as_arrow(t, f"tierkit.score ({who})")
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    if metrics.key_name in t.column_names:
        # Align by key: every input key must be there once.
        if t.num_rows != result.num_rows:
            raise InvalidInput(f"tierkit.score: {who} returned {t.num_rows:,} rows for "
                               f"{result.num_rows:,} keys")
        order = pc.index_in(metrics.keys, value_set=t.column(metrics.key_name))
        if order.null_count:
            raise InvalidInput(f"tierkit.score: {who} left out {order.null_count:,} keys")
        t = t.take(order).drop_columns([metrics.key_name])
    elif t.num_rows != result.num_rows:
        raise InvalidInput(f"tierkit.score: {who} returned {t.num_rows:,} rows without a "
                           f"{metrics.key_name!r} column, for {result.num_rows:,} input rows")
    return _append(result, t, who)


def _append(result: pa.Table, t: pa.Table, who: str) -> pa.Table:
    for name in t.column_names:
        if name in result.column_names:
            raise SchemaError(f"tierkit.score: {who} returns a column {name!r} that another "
                              "strategy returned already")
        result = result.append_column(name, t.column(name))
    return result


_LOADERS: dict[str, Callable[[bytes], Any]] = {}


def register_loader(kind: str, load: Callable[[bytes], Any]) -> None:
    _LOADERS[kind] = load


def load(source) -> Any:
    """A model or segment table from a file path or bytes written by ``save``/``to_bytes``."""
    data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    kind = _core.envelope_kind(bytes(data))
    if kind not in _LOADERS:
        from ._errors import FormatError
        raise FormatError(f"tierkit.load: no loader for objects of kind {kind!r}")
    return _LOADERS[kind](bytes(data))


def save_bytes(path, data: bytes) -> None:
    """Writes a model file: beside the target, renamed onto it only when complete, so a
    failed save leaves an existing file as it was (see ``_io``)."""
    from ._io import write_bytes
    write_bytes(path, data)
