"""Keyed pseudonyms of customer ids, for tables that leave tierkit.

    out, keys = tk.pseudonymise(tiers, key=open("keyfile", "rb").read(), columns=["customer_id"])
    out.to_pandas()        # customer_id holds 32-hex-digit pseudonyms; every other column as it was
    keys                   # pseudonym -> original: the only way back; keep it with the key
    tk.reidentify(out, keys, columns=["customer_id"])     # the original ids again

A pseudonym is HMAC-SHA256 of the id under the key, its first 16 bytes in hex (computed in
the C++ core: include/tierkit/pseudonym.hpp, which states the policies). The same id under
the same key always gives the same pseudonym, so pseudonymised files of different runs
still join; integer ids are hashed as their decimal text, so the integer 42 and the text
"42" are one id. Without the key nobody can recompute a pseudonym, and without the key
table (or the key and the original data) nobody can turn one back into an id.

Keys are bytes (a text key is taken as its UTF-8 bytes), at least 16 of them; 32 random
bytes (``head -c 32 /dev/urandom > keyfile``, or ``secrets.token_bytes(32)``) are best.
The command line's ``--pseudonymise KEYFILE`` reads a key file's bytes as they are (a
trailing newline included).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow import as_arrow, one_array
from ._errors import InvalidInput, SchemaError, threads_arg

__all__ = ["pseudonymise", "reidentify", "read_key"]


def _key_bytes(key, what: str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise InvalidInput(f"{what}: key must be bytes or a text; got {type(key).__name__}")
    key = bytes(key)
    if len(key) < _core.MIN_PSEUDONYM_KEY_BYTES:
        raise InvalidInput(f"{what}: the key has {len(key)} bytes; at least "
                           f"{_core.MIN_PSEUDONYM_KEY_BYTES} are needed (32 random bytes are best: "
                           "secrets.token_bytes(32), or head -c 32 /dev/urandom > keyfile)")
    return key


def read_key(path) -> bytes:
    """The bytes of a key file, all of them, checked for length."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    return _key_bytes(data, f"tierkit: the key file {str(path)!r}")


def _table(data, what: str) -> pa.Table:
    source = as_arrow(data, what)
    return source.read_all() if isinstance(source, pa.RecordBatchReader) else source


def _id_column(table: pa.Table, name: str, what: str) -> pa.Array:
    if name not in table.column_names:
        raise SchemaError(f"{what}: no column {name!r} to pseudonymise (columns: "
                          f"{', '.join(table.column_names)})")
    arr = one_array(table.column(name))
    t = arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type
    if not (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)
            or pa.types.is_string_view(t)):
        raise SchemaError(f"{what}: column {name!r} holds {arr.type}; ids to pseudonymise are "
                          "integers or texts")
    return arr


def _pseudonyms(values: pa.Array, name: str, key: bytes, threads: int) -> pa.Array:
    """The pseudonyms of an array's rows as a utf8 array (nulls stay null)."""
    raw = _core.pseudonyms(values.__arrow_c_array__(), name, key, threads)
    n = len(values)
    offsets = np.arange(0, 32 * (n + 1), 32, dtype=np.int32)
    out = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw)])
    if values.null_count:
        out = pc.if_else(pc.is_valid(values), out, pa.scalar(None, pa.string()))
    return out


def pseudonymise(data, *, key, columns: Sequence[str] = ("customer_id",),
                 threads: int | None = None) -> tuple[pa.Table, pa.Table]:
    """(table, key table): `data` (any table tierkit reads) with each column of `columns`
    replaced by the pseudonyms of its ids (utf8; nulls stay null; the other columns as they
    were), and the key table of every distinct id: ``pseudonym`` (utf8) and ``original``
    (the ids' type when all columns share one, else their text), one row per pseudonym,
    ordered by pseudonym. The key table is the only way back (``reidentify``): keep it as
    you keep the key, apart from the pseudonymised data."""
    what = "tierkit.pseudonymise"
    secret = _key_bytes(key, what)
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise InvalidInput(f"{what}: name at least one column to pseudonymise")
    n_threads = threads_arg(threads, what)
    table = _table(data, what)
    pairs = []
    for name in dict.fromkeys(columns):
        arr = _id_column(table, name, what)
        if pa.types.is_string_view(arr.type):
            arr = arr.cast(pa.large_string())  # pyarrow's take has no string_view kernel
        enc = arr if pa.types.is_dictionary(arr.type) else arr.dictionary_encode()
        fake = _pseudonyms(enc.dictionary, name, secret, n_threads)
        table = table.set_column(table.column_names.index(name), name, fake.take(enc.indices))
        used = pc.unique(enc.indices.drop_null())
        pairs.append((fake.take(used), enc.dictionary.take(used)))
    types = {o.type for _, o in pairs}
    common = types.pop() if len(types) == 1 else None
    originals = [o if common is not None else o.cast(pa.large_string()) for _, o in pairs]
    keys = pa.table({"pseudonym": pa.concat_arrays([p for p, _ in pairs]),
                     "original": pa.concat_arrays(originals)})
    keys = keys.group_by(["pseudonym", "original"], use_threads=False).aggregate([])
    if len(pc.unique(keys.column("pseudonym"))) != keys.num_rows:
        # 128-bit pseudonyms: practically never; refused rather than merge two customers.
        raise InvalidInput(f"{what}: two different ids got one pseudonym under this key; use "
                           "another key")
    keys = keys.select(["pseudonym", "original"]).sort_by("pseudonym")
    return table, keys


def reidentify(data, key_table, *, columns: Sequence[str] = ("customer_id",)) -> pa.Table:
    """`data` with each column of `columns` turned back from pseudonyms into the original
    ids through `key_table` (from ``pseudonymise``). A pseudonym the key table lacks is an
    error (counted), never a silent null."""
    what = "tierkit.reidentify"
    table = _table(data, what)
    keys = _table(key_table, what)
    for need in ("pseudonym", "original"):
        if need not in keys.column_names:
            raise SchemaError(f"{what}: the key table has no column {need!r}")
    fake = one_array(keys.column("pseudonym"))
    original = one_array(keys.column("original"))
    for name in dict.fromkeys([columns] if isinstance(columns, str) else columns):
        if name not in table.column_names:
            raise SchemaError(f"{what}: no column {name!r} (columns: {', '.join(table.column_names)})")
        col = one_array(table.column(name))
        at = pc.index_in(col, value_set=fake)
        missing = pc.sum(pc.and_(pc.is_valid(col), pc.is_null(at))).as_py() or 0
        if missing:
            raise InvalidInput(f"{what}: {missing:,} rows of column {name!r} hold pseudonyms the "
                               "key table does not have (another key, or another key table)")
        table = table.set_column(table.column_names.index(name), name, original.take(at))
    return table
