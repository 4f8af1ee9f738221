"""Transactions: a table of transaction lines with the role of each column named."""
from __future__ import annotations

from typing import Iterator

import pyarrow as pa

from ._arrow import as_arrow, batch_groups, check_roles, export_columns

ROLES = ("customer", "time", "amount", "order", "quantity", "channel", "category")


class Transactions:
    """Transaction lines and which column plays which role.

    Parameters
    ----------
    data
        A pyarrow Table/RecordBatch/RecordBatchReader, a polars or pandas DataFrame, a DuckDB
        relation, any object exporting ``__arrow_c_stream__``, or a dict of columns. Columns
        are read in place, never copied.
    customer, time, amount
        Column names of the required roles. ``customer``: integer or string keys (or a
        dictionary of either). ``time``: dates or timestamps of any unit, naive (wall-clock,
        taken as they are) or time-zone aware (UTC instants, converted to days in the
        profile's time zone). ``amount``: the signed line value, integer, float or decimal;
        a negative amount is a return, zero or positive a purchase.
    order, quantity, channel, category
        Optional column names: order id (frequency then counts distinct orders), units on
        the line, and channel/category keys (profiles count distinct values).
    """

    def __init__(self, data, *, customer: str = "customer_id", time: str = "time",
                 amount: str = "amount", order: str | None = None, quantity: str | None = None,
                 channel: str | None = None, category: str | None = None):
        self._source = as_arrow(data, "tierkit.Transactions")
        roles = {"customer": customer, "time": time, "amount": amount, "order": order,
                 "quantity": quantity, "channel": channel, "category": category}
        self.roles: dict[str, str] = {r: c for r, c in roles.items() if c is not None}
        check_roles(self._source.schema, self.roles, "tierkit.Transactions")
        self._consumed = False

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of the input."""
        return self._source.schema

    @property
    def is_stream(self) -> bool:
        """True for one-pass streams (RecordBatchReader, C streams): readable once."""
        return isinstance(self._source, pa.RecordBatchReader)

    @property
    def num_rows(self) -> int | None:
        """Rows of an in-memory table; None for a stream."""
        return None if self.is_stream else self._source.num_rows

    @property
    def customer_type(self) -> pa.DataType:
        """The Arrow type of the customer key column."""
        return self.schema.field(self.roles["customer"]).type

    def groups(self) -> Iterator[list[dict]]:
        """Groups of batches, each batch as {role: (name, capsules)} for the core."""
        if self.is_stream:
            if self._consumed:
                from ._errors import InvalidInput
                raise InvalidInput(
                    "tierkit.Transactions: this stream was already read; streams can be read "
                    "once (pass a table to read it again)")
            self._consumed = True
        for group in batch_groups(self._source):
            yield [export_columns(b, self.roles) for b in group]

    def __repr__(self) -> str:
        rows = "stream" if self.is_stream else f"{self.num_rows:,} rows"
        roles = ", ".join(f"{r}={c!r}" for r, c in self.roles.items())
        return f"Transactions({rows}; {roles})"


def as_transactions(data, roles: dict) -> Transactions:
    """`data` if it is already Transactions (then no role may be given), else wrap it."""
    if isinstance(data, Transactions):
        given = {k: v for k, v in roles.items() if v is not None}
        if given:
            from ._errors import SchemaError
            raise SchemaError(
                "tierkit: column roles (" + ", ".join(given) + ") were given for a "
                "Transactions object that already names its columns")
        return data
    return Transactions(data, **{k: v for k, v in roles.items() if v is not None})
