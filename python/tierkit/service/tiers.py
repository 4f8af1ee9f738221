"""The tiers the service reads, from whatever holds them.

- a ``tk.TierLedger``: its spells (tiers at any date, with the day each spell began);
- a ``tk.TierAssignment`` (``TierPolicy.assign``, ``Tiering.run().tiers``) or any keyed table
  with a tier column: one tier per customer, held since the ``since`` column when the table
  has one, else since the day given (``since=``, default: the day the service looks at --
  an assignment does not know when a customer entered its tier);
- a spells table (``tierkit history -o``: key, tier, effective_from, effective_to).

Tier rank (highest first): the assignment's policy order, the ledger's latest version, a
dictionary column's order (tierkit writes tiers in rank order), else the plan's order and
then order of first appearance.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._arrow import as_arrow, missing_column, one_array
from .._errors import InvalidInput, SchemaError
from .._time import NO_DAY, to_day


class ServiceTiers:
    """Core service tiers with the key's name and type (for output tables)."""

    def __init__(self, core, key_name: str, key_type: pa.DataType):
        self.core = core
        self.key_name = key_name
        self.key_type = key_type

    @property
    def tier_names(self) -> list[str]:
        return list(self.core.tier_names)

    def keys(self) -> pa.Array:
        k = self.core.keys()
        if self.core.keys_are_strings:
            offsets, chars = k
            arr = pa.Array.from_buffers(pa.large_string(), len(offsets) - 1,
                                        [None, pa.py_buffer(offsets), pa.py_buffer(chars)])
        else:
            arr = pa.array(k, pa.int64())
        if arr.type != self.key_type:
            try:
                arr = arr.cast(self.key_type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        return arr

    def __len__(self) -> int:
        return self.core.size


def _table(data, what: str) -> pa.Table:
    source = as_arrow(data, what)
    return source.read_all() if isinstance(source, pa.RecordBatchReader) else source


def _key_capsule(arr: pa.Array, what: str):
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_floating(arr.type):
        raise SchemaError(f"{what}: the key column holds floats ({arr.type}); keys must be integers or text")
    if pa.types.is_uint64(arr.type):
        arr = arr.cast(pa.int64())
    return arr.__arrow_c_array__()


def _days(col, what: str) -> np.ndarray:
    """Day numbers of a date/timestamp column (null: NO_DAY)."""
    a = one_array(col)
    if pa.types.is_timestamp(a.type):
        a = (pc.local_timestamp(a) if a.type.tz else a).cast(pa.date32())
    elif pa.types.is_date64(a.type):
        a = a.cast(pa.date32())
    elif not pa.types.is_date32(a.type):
        raise SchemaError(f"{what} must hold dates or timestamps; got {a.type}")
    return np.asarray(a.cast(pa.int32()).fill_null(NO_DAY).to_numpy(zero_copy_only=False), dtype=np.int32)


def _ranks(column, order: list[str] | None, plan) -> list[str]:
    """Tier names, highest first (see the module)."""
    if order:
        return list(order)
    a = one_array(column)
    if pa.types.is_dictionary(a.type):
        return [str(x) for x in a.dictionary.to_pylist()]
    seen = [str(x) for x in pc.unique(a.cast(pa.string()).drop_null()).to_pylist()]
    planned = list(plan.tiers) if plan is not None else []
    return planned + [t for t in seen if t not in planned]


def _codes(column, names: list[str]) -> np.ndarray:
    """Index of each row's tier in `names` (-1: null or not among them). A dictionary column
    looks up its few values once and takes them by index."""
    a = one_array(column)
    if pa.types.is_dictionary(a.type):
        per_value = pc.index_in(a.dictionary.cast(pa.string()), value_set=pa.array(names, pa.string()))
        lookup = np.append(np.asarray(per_value.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32), -1)
        idx = a.indices
        idx = np.asarray((idx.fill_null(len(lookup) - 1) if idx.null_count else idx).to_numpy(zero_copy_only=False),
                         dtype=np.int64)
        if a.null_count and not idx.size == 0:
            idx = np.where(np.asarray(a.is_valid().to_numpy(zero_copy_only=False)), idx, len(lookup) - 1)
        return lookup[idx]
    idx = pc.index_in(a.cast(pa.string()), value_set=pa.array(names, pa.string()))
    return np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)


def _value_array(t: pa.Table, value, key: str, n_keys: pa.Array, what: str) -> np.ndarray | None:
    """Per customer (aligned with n_keys) from a column name of `t` or a keyed table."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in t.column_names:
            raise missing_column(value, t.column_names, "value", what)
        return np.asarray(one_array(t.column(value)).cast(pa.float64()).fill_null(np.nan)
                          .to_numpy(zero_copy_only=False), dtype=np.float64)
    vt = _table(value, what)
    if key not in vt.column_names:
        raise missing_column(key, vt.column_names, "value table's key", what)
    others = [c for c in vt.column_names if c != key]
    if len(others) != 1:
        raise SchemaError(f"{what}: the value table needs the key {key!r} and one value column; got {vt.column_names}")
    vk = one_array(vt.column(key))
    if vk.type != n_keys.type:
        vk = vk.cast(n_keys.type)
    rows = pc.index_in(n_keys, value_set=vk)
    vals = one_array(vt.column(others[0])).cast(pa.float64())
    return np.asarray(vals.take(rows).fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def service_tiers(tiers, plan=None, *, date: int, since=None, key: str | None = None, tier: str = "tier",
                  value="monetary", what: str = "tierkit.service") -> ServiceTiers:
    """Core service tiers of any tier source (see the module). ``date``: the day the service
    looks at (the default ``since`` of a table without one)."""
    from ..over_time.ledger import TierLedger
    from ..policy import TierAssignment
    if isinstance(tiers, ServiceTiers):
        return tiers
    if isinstance(tiers, TierLedger):
        keys = tiers._keys()
        v = None
        if value is not None and not (isinstance(value, str) and value == "monetary"):
            if isinstance(value, str):
                raise InvalidInput(f"{what}: with a ledger, value is a keyed table (the ledger's key and one "
                                   "value column)")
            v = _value_array(pa.table({tiers.key_name: keys}), value, tiers.key_name, keys, what)
        core = _core.ServiceTiers.from_ledger(tiers._core, v)
        return ServiceTiers(core, tiers.key_name, keys.type)
    order = getattr(tiers, "_tier_order", None) if isinstance(tiers, TierAssignment) else None
    key_name = key or getattr(tiers, "key_name", None)
    t = _table(tiers, what)
    key_name = key_name or ("customer_id" if "customer_id" in t.column_names else None)
    if key_name is None or key_name not in t.column_names:
        raise SchemaError(f"{what}: name the tiers' key column with key=... (columns: {', '.join(t.column_names)})")
    if tier not in t.column_names:
        raise missing_column(tier, t.column_names, "tier", what)
    keys = one_array(t.column(key_name))
    if keys.null_count:
        raise InvalidInput(f"{what}: the tiers' key column {key_name!r} has {keys.null_count:,} null rows")
    key_type = keys.type.value_type if pa.types.is_dictionary(keys.type) else keys.type
    names = _ranks(t.column(tier), order, plan)
    if value == "monetary" and "monetary" not in t.column_names:
        value = None
    if "effective_from" in t.column_names and "effective_to" in t.column_names:
        return _spells(t, key_name, key_type, tier, names, value, what)
    codes = _codes(t.column(tier), names)
    if isinstance(since, str) and since in t.column_names:
        days = _days(t.column(since), f"{what}: since")
    elif since is None and "since" in t.column_names:
        days = _days(t.column("since"), f"{what}: since")
    else:
        s = to_day(since, f"{what}: since") if since is not None else date
        days = np.full(len(codes), s, dtype=np.int32)
    v = _value_array(t, value, key_name, keys, what)
    core = _core.ServiceTiers.fixed(_key_capsule(keys, what), key_name, names, codes, days, v)
    return ServiceTiers(core, key_name, key_type)


def _spells(t: pa.Table, key: str, key_type, tier: str, names: list[str], value, what: str) -> ServiceTiers:
    """Service tiers from a spells table (one row per customer and spell)."""
    order = pc.sort_indices(t, sort_keys=[(key, "ascending"), ("effective_from", "ascending")])
    t = t.take(order)
    keys = one_array(t.column(key))
    if pa.types.is_dictionary(keys.type):
        keys = keys.cast(keys.type.value_type)
    n = len(keys)
    if n:
        change = np.ones(n, dtype=bool)
        if n > 1:
            change[1:] = np.asarray(pc.not_equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False))
        starts = np.flatnonzero(change)
    else:
        starts = np.zeros(0, dtype=np.int64)
    offsets = np.append(starts, n).astype(np.int64)
    unique = keys.take(pa.array(starts))
    frm = _days(t.column("effective_from"), f"{what}: effective_from")
    to = _days(t.column("effective_to"), f"{what}: effective_to")
    v = None
    if value is not None:
        per_row = _value_array(t, value, key, keys, what) if isinstance(value, str) else None
        v = per_row[starts] if per_row is not None else _value_array(t, value, key, unique, what)
    core = _core.ServiceTiers.from_spells(_key_capsule(unique, what), key, names, offsets,
                                          _codes(t.column(tier), names), frm, to, v)
    return ServiceTiers(core, key, key_type)


__all__ = ["ServiceTiers", "service_tiers"]
