"""Built-in demo data: a seeded generator of realistic retail transactions.

The model (implemented in C++, include/tierkit/demo.hpp): customers join over the period
and leave after an exponential lifetime; lognormal activity weights make a minority of
customers produce most purchases; orders have one or more lines in eight categories with
their own price levels, a channel and a time of day; about 3% of lines are returned 1-30
days later as a negative line with its own order id. Rows come in day order by default.
Same seed, same data.
"""
from __future__ import annotations

import pyarrow as pa

from . import _core
from ._time import to_day


def transactions(customers: int = 10_000, transactions: int = 200_000, *, seed: int = 42,
                 start="2021-01-01", days: int = 1095, return_rate: float = 0.03,
                 mean_lines_per_order: float = 2.0, ids: str = "dense",
                 time_ordered: bool = True, threads: int | None = None) -> pa.Table:
    """Generated transactions as a pyarrow Table (columns are not copied from the generator).

    Columns: customer_id (int64, or large_string with ids="text"), time
    (timestamp[us, UTC]), amount (float64, negative for returns), order_id (int64), quantity
    (int32), channel and category (dictionary<int8, string>).

    ids: "dense" (1..customers), "sparse" (distinct pseudo-random 62-bit integers) or
    "text" ("C000000001").

    time_ordered: rows in day order, as a transaction log arrives (times within a day are
    not sorted); False leaves them in generation order, days shuffled.
    """
    first_day = to_day(start, "tierkit.demo.transactions: start")
    data = _core.generate_demo_transactions(
        customers=int(customers), transactions=int(transactions), first_day=first_day,
        days=int(days), seed=int(seed), return_rate=float(return_rate),
        mean_lines_per_order=float(mean_lines_per_order), ids=ids,
        time_ordered=bool(time_ordered), threads=threads or 0)
    c = data.columns()
    n = data.size
    if "customer_offsets" in c:
        customer = pa.Array.from_buffers(
            pa.large_string(), n,
            [None, pa.py_buffer(c["customer_offsets"]), pa.py_buffer(c["customer_chars"])])
    else:
        customer = pa.array(c["customer_id"])
    channel = pa.DictionaryArray.from_arrays(pa.array(c["channel"]), pa.array(data.channel_names))
    category = pa.DictionaryArray.from_arrays(pa.array(c["category"]),
                                              pa.array(data.category_names))
    return pa.table({
        "customer_id": customer,
        "time": pa.array(c["timestamp_us"]).view(pa.timestamp("us", tz="UTC")),
        "amount": pa.array(c["amount"]),
        "order_id": pa.array(c["order_id"]),
        "quantity": pa.array(c["quantity"]),
        "channel": channel,
        "category": category,
    })


def profile_roles() -> dict[str, str]:
    """The column roles of the demo table, for tierkit.profile(**roles)."""
    return {"customer": "customer_id", "time": "time", "amount": "amount", "order": "order_id",
            "quantity": "quantity", "channel": "channel", "category": "category"}


__all__ = ["transactions", "profile_roles"]
