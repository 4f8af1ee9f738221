"""Reading user data as Arrow, and handing columns to the core without copies.

Accepted inputs: pyarrow Table / RecordBatch / RecordBatchReader; any object exporting the
Arrow PyCapsule stream or array interface (polars DataFrame, pandas >= 2.2 DataFrame,
DuckDB relation, nanoarrow, ...); pandas DataFrames (index levels with a name become
columns); and dicts of columns (numpy arrays, lists, pyarrow arrays).
"""
from __future__ import annotations

import difflib
from typing import Iterator

import numpy as np
import pyarrow as pa

from ._errors import SchemaError

# Streams are handed to the core in groups of about this many rows: big enough to use both
# cores well, small enough to keep a bounded working set.
GROUP_ROWS = 1 << 22


def as_arrow(data, what: str = "data") -> pa.Table | pa.RecordBatchReader:
    """A pyarrow Table, or a RecordBatchReader for streams, for any accepted input."""
    if isinstance(data, (pa.Table, pa.RecordBatchReader)):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, dict):
        try:
            return pa.table({str(k): _as_array(v) for k, v in data.items()})
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as e:
            raise SchemaError(f"{what}: cannot read the dict of columns as a table: {e}") from None
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and hasattr(data, "columns"):
        # Named index levels become columns, so a frame indexed by customer id works (also
        # when pandas keeps consecutive ids as a RangeIndex, which preserve_index=None would
        # store as metadata only); an unnamed index is dropped.
        named = any(n is not None for n in data.index.names)
        try:
            return pa.Table.from_pandas(data, preserve_index=named)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise _mixed_column_error(data, e, what) from None
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if hasattr(data, "__arrow_c_array__"):
        return pa.Table.from_batches([pa.record_batch(data)])
    if hasattr(data, "arrow") and module == "duckdb":
        return data.arrow()
    raise SchemaError(
        f"{what}: cannot read a {type(data).__module__}.{type(data).__name__}; pass a pyarrow "
        "Table or RecordBatchReader, a polars or pandas DataFrame, a DuckDB relation, any "
        "object with __arrow_c_stream__, or a dict of columns"
    )


def _mixed_column_error(df, error: Exception, what: str) -> SchemaError:
    """A pandas column Arrow cannot convert (mixed types in an object column), named with
    the Python types it holds and how many rows of each."""
    text = str(error)
    column = next((c for c in df.columns if f"column {c} " in text or f"column {c!r}" in text), None)
    if column is None:
        return SchemaError(f"{what}: a column cannot be read as Arrow: {text}")
    values = df[column]
    kinds: dict[str, int] = {}
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            continue
        kinds[type(v).__name__] = kinds.get(type(v).__name__, 0) + 1
    found = ", ".join(f"{k} ({n:,} rows)" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return SchemaError(f"{what}: column {column!r} mixes value types: {found}; make it one type "
                       f"(e.g. df[{column!r}].astype(str) for text keys, or pd.to_numeric for numbers)")


def _as_array(values) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, np.ndarray):
        return pa.array(values)  # zero-copy for numeric arrays without nulls
    return pa.array(values)


def one_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one array: its only chunk as it is (pyarrow's combine_chunks copies
    even a single chunk, a pass over the whole column), several chunks concatenated, none an
    empty array of its type. Dictionary chunks are unified first."""
    if isinstance(column, pa.Array):
        return column
    if column.num_chunks == 1:
        return column.chunk(0)
    if pa.types.is_dictionary(column.type) and column.num_chunks > 1:
        column = column.unify_dictionaries()
    return column.combine_chunks()


def missing_column(name: str, available: list[str], role: str, what: str) -> SchemaError:
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
    hint = (
        " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
        if close
        else f" (available: {', '.join(available)})"
    )
    return SchemaError(f"{what}: no column {name!r} for the {role}{hint}")


def check_roles(schema: pa.Schema, roles: dict[str, str], what: str) -> None:
    """Every named column exists; a time column of strings gets a hint to parse it."""
    names = schema.names
    for role, name in roles.items():
        if name not in names:
            raise missing_column(name, names, role, what)
        if names.count(name) > 1:
            raise SchemaError(f"{what}: column name {name!r} appears {names.count(name)} times")
        t = schema.field(name).type
        if role in ("customer", "order", "channel", "category") and pa.types.is_floating(t):
            raise SchemaError(
                f"{what}: the {role} column {name!r} holds floats ({t}); keys must be integers or "
                "text. pandas turns integer ids into floats when some are missing: drop the rows "
                f"without one and convert, e.g. df.dropna(subset=[{name!r}]).astype({{{name!r}: "
                "'int64'}), or keep them as pandas' Int64 dtype")
        if role == "time" and (pa.types.is_string(t) or pa.types.is_large_string(t)
                               or pa.types.is_string_view(t)):
            raise SchemaError(
                f"{what}: the time column {name!r} holds strings; parse it into dates or "
                "timestamps first (pandas.to_datetime, polars str.to_datetime, or "
                "pyarrow.compute.strptime)"
            )


def batch_groups(source: pa.Table | pa.RecordBatchReader,
                 group_rows: int = GROUP_ROWS) -> Iterator[list[pa.RecordBatch]]:
    """The input's record batches in groups of about group_rows rows (a table: one group)."""
    if isinstance(source, pa.Table):
        yield source.to_batches()
        return
    group: list[pa.RecordBatch] = []
    rows = 0
    for batch in source:
        group.append(batch)
        rows += batch.num_rows
        if rows >= group_rows:
            yield group
            group, rows = [], 0
    if group:
        yield group


def export_columns(batch: pa.RecordBatch, roles: dict[str, str]) -> dict:
    """{role: (column name, (schema capsule, array capsule))} for the core."""
    out = {}
    for role, name in roles.items():
        out[role] = (name, batch.column(name).__arrow_c_array__())
    return out


def key_array(core_obj, original_type: pa.DataType) -> pa.Array:
    """Customer keys of a core result as an Arrow array of the input's key type."""
    if core_obj.keys_are_strings:
        offsets = core_obj.key_offsets()
        chars = core_obj.key_chars()
        n = len(offsets) - 1 if len(offsets) else 0
        arr = pa.Array.from_buffers(
            pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)]
        )
    else:
        arr = pa.array(core_obj.key_ints(), pa.int64())
    target = original_type.value_type if pa.types.is_dictionary(original_type) else original_type
    if arr.type != target:
        try:
            arr = arr.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # keep int64 / large_string when the original type cannot hold the values
    return arr


def masked(values: np.ndarray, mask: np.ndarray | None, type_: pa.DataType | None = None) -> pa.Array:
    """An Arrow array of numpy values with nulls where mask is True."""
    arr = pa.array(values, mask=mask if mask is not None and mask.any() else None)
    if type_ is not None and arr.type != type_:
        arr = arr.view(type_)
    return arr
