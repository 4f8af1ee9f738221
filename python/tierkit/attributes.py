"""Customer attributes: typed columns keyed by customer (assets, age, card level, ...)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import _core
from ._arrow import as_arrow, check_roles, key_array, missing_column
from ._optional import require
from ._time import resolve_zone
from .profile import Profile

_ARROW_KIND = {"number": pa.float64(), "integer": pa.int64(), "day": pa.date32(),
               "boolean": pa.bool_()}


class CustomerAttributes:
    """Typed columns keyed by customer, for strategies that look beyond transactions.

    Keys must be present and unique (null or repeated keys raise InvalidInput with the row
    count and the row numbers of the first repeat, never the key itself). Values may be null
    and stay null; NaN counts as null. Columns are copied once into the core (one row per
    customer). Kinds: number
    (floats, decimals), integer, text (strings, dictionaries of strings), day (dates and
    timestamps; aware timestamps become days in ``time_zone``), boolean.

    Parameters
    ----------
    data
        Anything ``tierkit.Transactions`` accepts.
    customer
        The key column.
    columns
        The attribute columns to keep (default: all others).
    """

    def __init__(self, data, *, customer: str = "customer_id", columns: list[str] | None = None,
                 time_zone="UTC"):
        what = "tierkit.CustomerAttributes"
        source = as_arrow(data, what)
        table = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
        check_roles(table.schema, {"customer": customer}, what)
        names = [n for n in table.column_names if n != customer] if columns is None else list(columns)
        for n in names:
            if n not in table.column_names:
                raise missing_column(n, table.column_names, "attribute", what)
        table = table.select([customer, *names]).combine_chunks()
        batch = table.to_batches()[0] if table.num_rows else None

        def capsules(name):
            if batch is None:
                return pa.array([], table.schema.field(name).type).__arrow_c_array__()
            return batch.column(name).__arrow_c_array__()

        self._core = _core.CustomerAttributes.from_columns(
            customer, capsules(customer), [(n, capsules(n)) for n in names],
            resolve_zone(time_zone))
        self._key_name = customer
        self._key_type = table.schema.field(customer).type
        self._table: pa.Table | None = None

    def __len__(self) -> int:
        return self._core.size

    @property
    def kinds(self) -> dict[str, str]:
        """Column name -> kind (number, integer, text, day, boolean)."""
        return dict(self._core.column_kinds())

    @property
    def columns(self) -> list[str]:
        """The attribute column names (besides the key)."""
        return [n for n, _ in self._core.column_kinds()]

    def column(self, name: str) -> pa.Array:
        """One attribute column as an Arrow array (nulls kept)."""
        d = self._core.column(name)
        valid = d["valid"].astype(bool)
        mask = ~valid if not valid.all() else None
        if d["kind"] == "text":
            n = len(d["offsets"]) - 1
            arr = pa.Array.from_buffers(
                pa.large_string(), n,
                [None, pa.py_buffer(d["offsets"]), pa.py_buffer(d["chars"])])
            return pa.array(arr.to_pylist(), pa.large_string(), mask=mask) if mask is not None else arr
        values = d["values"]
        if d["kind"] == "boolean":
            values = values.astype(bool)
        arr = pa.array(values, mask=mask)
        target = _ARROW_KIND[d["kind"]]
        return arr.view(target) if d["kind"] == "day" else arr.cast(target)

    def to_arrow(self) -> pa.Table:
        """The attributes with their key column, as an Arrow table."""
        if self._table is None:
            cols = {self._key_name: key_array(self._core, self._key_type)}
            for n in self.columns:
                cols[n] = self.column(n)
            self._table = pa.table(cols)
        return self._table

    def to_pandas(self, index: bool = True):
        """A pandas DataFrame, indexed by the customer key unless index=False."""
        require("pandas", "CustomerAttributes.to_pandas()")
        df = self.to_arrow().to_pandas()
        return df.set_index(self._key_name) if index else df

    def join(self, profile: Profile) -> pa.Table:
        """The profile with these attributes appended (left join on the customer key);
        customers without attributes get nulls. Raises SchemaError when one side has integer
        and the other string keys."""
        rows = self._core.rows_of(profile._core)
        present = rows >= 0
        take = pa.array(np.where(present, rows, 0), mask=~present)
        table = profile.to_arrow()
        for n in self.columns:
            if n in table.column_names:
                from ._errors import SchemaError
                raise SchemaError(f"tierkit.CustomerAttributes.join: attribute column {n!r} "
                                  "has the name of a profile column; rename it")
            table = table.append_column(n, self.column(n).take(take))
        return table

    def coverage(self, profile: Profile) -> dict[str, int]:
        """How the two key sets overlap: profile customers with and without attributes, and
        attribute customers without transactions (prospects)."""
        rows = self._core.rows_of(profile._core)
        matched = int((rows >= 0).sum())
        return {"profile_customers": len(profile), "with_attributes": matched,
                "without_attributes": len(profile) - matched,
                "attributes_without_transactions": len(self) - matched}

    def __repr__(self) -> str:
        kinds = ", ".join(f"{n}: {k}" for n, k in self._core.column_kinds())
        return f"CustomerAttributes({len(self):,} customers; {kinds})"
