"""Keyed result tables: what profiles, scores and summaries come back as.

A result is a pyarrow Table whose first column is the key (customer id, product id, ...)
with its original name and type; it converts to pandas (indexed by the key), polars and
any Arrow consumer (``__arrow_c_stream__``), and renders as an HTML table in Jupyter.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from . import _core
from ._errors import InvalidInput
from ._optional import require


class ArrowResult:
    """Base of keyed results: subclasses provide ``to_arrow()`` and ``key_name``."""

    if TYPE_CHECKING:
        # Read-only here: Table sets it, Profile and other results compute it.
        @property
        def key_name(self) -> str | None: ...
    else:
        key_name = None

    def to_arrow(self) -> pa.Table:  # pragma: no cover - abstract
        raise NotImplementedError

    def __arrow_c_stream__(self, requested_schema=None):
        """Arrow PyCapsule export: pa.table(x), pl.DataFrame(x), duckdb, ..."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def to_pandas(self, index: bool = True, **kwargs):
        """A pandas DataFrame, indexed by the key unless index=False.

        Types: integer columns with missing values become pandas' nullable integers (a
        missing score is <NA>, not a float: Int32, Int64, ...), the others stay numpy
        integers; dates become datetime64, labels categoricals; a missing value is always
        missing, never a sentinel. Keyword arguments go to ``pyarrow.Table.to_pandas`` and
        override these (e.g. ``types_mapper=pd.ArrowDtype``).
        """
        pd = require("pandas", f"{type(self).__name__}.to_pandas()")
        t = self.to_arrow()
        options = {"date_as_object": False}
        options.update(kwargs)
        df = t.to_pandas(**options)
        if "types_mapper" not in kwargs:
            nullable = _nullable_integers(pd)
            for name, col in zip(t.column_names, t.columns):
                if col.null_count and nullable(col.type) is not None:
                    df[name] = col.to_pandas(types_mapper=nullable)
        return df.set_index(self.key_name) if index and self.key_name else df

    def to_polars(self):
        """A polars DataFrame."""
        pl = require("polars", f"{type(self).__name__}.to_polars()")
        return pl.from_arrow(self.to_arrow())

    def __getitem__(self, name: str) -> pa.ChunkedArray:
        """One column, as an Arrow column (missing values are nulls)."""
        t = self.to_arrow()
        if name not in t.column_names:
            from ._arrow import missing_column
            raise missing_column(name, t.column_names, "column", f"tierkit {type(self).__name__}")
        return t.column(name)

    def __len__(self) -> int:
        return self.to_arrow().num_rows


def _nullable_integers(pd):
    """A pyarrow types_mapper: integer columns to pandas' nullable integer dtypes."""
    mapping = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
               pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
               pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}
    return mapping.get


def table_to_ipc(table: pa.Table) -> bytes:
    """A table as Arrow IPC stream bytes (pickling results)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def table_from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _table_from_pickle(cls, data: bytes, key_name, title, extra: dict):
    obj = cls.__new__(cls)
    Table.__init__(obj, table_from_ipc(data), key_name, title)
    obj.__dict__.update(extra)
    return obj


class Table(ArrowResult):
    """A keyed result table (scores of a strategy, a summary)."""

    key_name: str | None
    # Set on the tables that carry them, by the functions that make those tables: the core
    # metrics a score table's rows are aligned with (joins need no key lookup), the entries
    # TierLedger.feedback left out, the occasions' customers the tiers do not hold.
    _rows_of: Any
    left_out: int
    unknown_customers: int
    report: dict[str, Any]

    def __init__(self, table: pa.Table, key_name: str | None = None, title: str = "result"):
        self._table = table
        self.key_name = key_name
        self.title = title

    def to_arrow(self) -> pa.Table:
        return self._table

    @property
    def column_names(self) -> list[str]:
        return self._table.column_names

    def column(self, name: str) -> pa.ChunkedArray:
        return self._table.column(name)

    def __reduce__(self):
        """Pickles as Arrow IPC bytes (joblib, notebook caches); plain attributes such as a
        tier assignment's coverage travel along."""
        extra = {k: v for k, v in self.__dict__.items()
                 if k not in ("_table", "key_name", "title", "_rows_of", "_core")}
        return (_table_from_pickle, (type(self), table_to_ipc(self._table), self.key_name, self.title, extra))

    def __repr__(self) -> str:
        cols = ", ".join(self._table.column_names)
        return f"<tierkit {self.title}: {self._table.num_rows:,} rows; {cols}>"

    def _repr_html_(self) -> str:
        return html_table(self._table, title=f"tierkit {self.title}")


def html_table(table: pa.Table, title: str = "", limit: int = 20) -> str:
    esc = html.escape
    cols = table.column_names
    out = [f"<div><strong>{esc(title)}</strong>" if title else "<div>", "<table><tr>"]
    out += [f"<th>{esc(c)}</th>" for c in cols]
    out.append("</tr>")
    for row in table.slice(0, limit).to_pylist():
        out.append("<tr>" + "".join(f"<td>{esc(cell(row[c]))}</td>" for c in cols) + "</tr>")
    if table.num_rows > limit:
        out.append(f"<tr><td colspan='{len(cols)}'>… {table.num_rows - limit:,} more rows</td></tr>")
    out.append("</table></div>")
    return "".join(out)


def text_table(table: pa.Table, limit: int = 20) -> str:
    """A plain-text table (reprs and the command line need no pandas): columns padded to
    their widest cell, numbers right-aligned."""
    cols = table.column_names
    rows = table.slice(0, limit).to_pylist()
    cells = [[cell(r[c]) for c in cols] for r in rows]
    width = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    numeric = [pa.types.is_integer(t) or pa.types.is_floating(t) for t in table.schema.types]
    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, width, numeric)).rstrip()
    out = [line(cols)] + [line(r) for r in cells]
    if table.num_rows > limit:
        out.append(f"... {table.num_rows - limit:,} more rows")
    return "\n".join(out)


def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:,.4g}" if abs(v) < 1 and v != 0 else f"{v:,.2f}"
    return str(v)


# Scores are small but come back as int32: int8 columns overflow silently in pandas
# arithmetic (r_score * 100).
_INTEGER_TYPES = {"r_score": pa.int32(), "f_score": pa.int32(), "m_score": pa.int32(),
                  "rfm_sum": pa.int32(), "rfm_code": pa.int32(), "score": pa.int32()}


def label_array(codes: np.ndarray, labels: Sequence[str], *, in_place: bool = False) -> pa.DictionaryArray:
    """A dictionary column of distinct `labels` indexed by integer `codes`; a negative code
    is a missing label (null). One pass in C++ writes Arrow's indices (int8 up to 128 labels,
    as a pandas categorical's codes; else int32) and the validity bitmap, and refuses codes
    beyond the labels (InvalidInput); int8 codes all present and in range are the indices
    themselves (the column shares their memory: callers pass codes they no longer change).
    `in_place=True` says the codes are valid indices already (in range, none missing, by
    construction): they are used as they are, whatever their width. Integer codes of other
    widths are narrowed to int32 after checking them; other types are refused."""
    codes = np.ascontiguousarray(codes)
    dictionary = pa.array(list(labels), pa.string())
    if in_place:
        return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary, safe=False)
    if codes.dtype not in (np.int8, np.int32):
        if codes.dtype.kind not in "iu":
            raise InvalidInput(f"tierkit: label codes must be integers, not {codes.dtype}")
        beyond = int((codes >= len(labels)).sum())
        if beyond:
            raise InvalidInput(f"tierkit: {beyond:,} {'row holds' if beyond == 1 else 'rows hold'} "
                               f"a label code beyond the {len(labels)} labels")
        # In range above; any negative code (however wide) is missing.
        codes = np.maximum(codes, -1).astype(np.int32) if codes.dtype.kind == "i" \
            else codes.astype(np.int32)
    indices, validity, missing = _core.label_indices(codes, len(labels))
    arrow_indices = pa.Array.from_buffers(
        pa.from_numpy_dtype(indices.dtype), len(indices),
        [pa.py_buffer(validity) if missing else None, pa.py_buffer(indices)], null_count=missing)
    return pa.DictionaryArray.from_arrays(arrow_indices, dictionary, safe=False)


def arrow_columns(core_columns: dict) -> dict[str, pa.Array]:
    """Arrow arrays of a core score table ({name: {kind, values, valid | labels}})."""
    out = {}
    for name, c in core_columns.items():
        values = c["values"]
        if c["kind"] == "label":
            # Several codes may share a text (two bands with one owner role): dictionary
            # values must be unique, so codes map to the first code of their text.
            labels = list(c["labels"])
            unique = list(dict.fromkeys(labels))
            if len(unique) != len(labels):
                remap = np.array([unique.index(x) for x in labels], dtype=np.int32)
                values = np.where(values < 0, -1, remap[np.maximum(values, 0)])
                labels = unique
            if values.dtype not in (np.int8, np.int32):
                values = np.asarray(values, dtype=np.int32)
            out[name] = label_array(values, labels)
            continue
        valid = c.get("valid")
        mask = None if valid is None else ~valid.astype(bool)
        if mask is not None and not mask.any():
            mask = None
        arr = pa.array(values, mask=mask)
        if c["kind"] == "integer":
            arr = arr.cast(_INTEGER_TYPES.get(name, pa.int64()))
        out[name] = arr
    return out
