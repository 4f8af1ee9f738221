"""Transactions of a chosen shape, generated independently of tk.demo (numpy only), so that
speed is measured on data tierkit's own generator did not shape.

    t = transactions(10**7, 400_000, skew="heavy", order="shuffled", ids="text",
                     time="tz", seed=7)

Lines come in orders of 1-4 lines (2.5 on average), an order's lines share its customer and
instant; amounts are floats in whole cents (lognormal prices, 3% of lines are returns with
a negative amount). Shapes:

- skew: "uniform" (every customer equally likely per order) or "heavy" (Zipf-like weights:
  the top 1% of customers hold at least half of the lines);
- order: "day" (orders in time order, an order's lines adjacent, as a log arrives) or
  "shuffled" (every line at a random position);
- ids: "dense" (1..customers), "sparse" (random 63-bit integers) or "text" ("C" and 9
  digits; orders "O" and 9 digits); order ids follow the same kind;
- time: "tz" (timestamp[us, Asia/Shanghai]), "utc" (timestamp[us, UTC]) or "date"
  (date32: the day only).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

START_US = 1_640_995_200_000_000        # 2022-01-01T00:00:00Z
SPAN_US = 3 * 365 * 86_400_000_000      # three years of purchases
US_PER_DAY = 86_400_000_000


def customer_weights(customers: int, skew: str) -> np.ndarray | None:
    """Per-customer probability of an order (None: uniform)."""
    if skew == "uniform":
        return None
    if skew != "heavy":
        raise ValueError(f"skew must be 'uniform' or 'heavy', not {skew!r}")
    # Zipf weights 1/rank^s with s chosen so that the top 1% hold at least half the mass.
    ranks = np.arange(1, customers + 1, dtype=np.float64)
    for s in np.arange(0.8, 2.01, 0.05):
        w = ranks ** -s
        w /= w.sum()
        if w[: max(1, customers // 100)].sum() >= 0.5:
            return w
    return w


def _ids(kind: str, values: np.ndarray, rng: np.random.Generator, universe: int,
         prefix: str) -> pa.Array:
    """values in [0, universe) as ids of the given kind (the same value, the same id)."""
    if kind == "dense":
        return pa.array(values + 1, pa.int64())
    if kind == "sparse":
        table = np.unique(rng.integers(1, 2 ** 62, size=int(universe * 1.01) + 16))[:universe]
        return pa.array(rng.permutation(table)[values], pa.int64())
    if kind == "text":
        # "C" + 9 digits, built by arrow's string kernels (numpy's astype(str) is slow at 10^7).
        import pyarrow.compute as pc
        digits = pc.utf8_lpad(pc.cast(pa.array(values + 1, pa.int64()), pa.string()), 9, "0")
        return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    raise ValueError(f"ids must be 'dense', 'sparse' or 'text', not {kind!r}")


def transactions(lines: int, customers: int, *, skew: str = "uniform", order: str = "day",
                 ids: str = "dense", time: str = "tz", seed: int = 7) -> pa.Table:
    """About `lines` transaction lines (whole orders) of up to `customers` customers:
    customer_id, time, amount, order_id (see the module doc for the shapes)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    orders = int(lines / 2.5) + 1
    size = rng.integers(1, 5, orders)
    keep = np.searchsorted(np.cumsum(size), lines, side="left") + 1
    size = size[:keep]
    size[-1] -= size.sum() - lines                 # exactly `lines` lines
    orders = len(size)
    w = customer_weights(customers, skew)
    if w is None:
        cust = rng.integers(0, customers, orders)
    else:
        cust = np.searchsorted(np.cumsum(w), rng.random(orders), side="right")
        cust = np.minimum(cust, customers - 1)
        cust = rng.permutation(customers)[cust]    # the heavy buyers are not the low ids
    when = START_US + rng.integers(0, SPAN_US, orders)
    by_time = np.argsort(when, kind="stable")
    cust, when = cust[by_time], when[by_time]
    line_order = np.repeat(np.arange(orders), size[by_time])
    price = np.round(rng.lognormal(np.log(25.0), 1.0, lines), 2)
    sign = np.where(rng.random(lines) < 0.03, -1.0, 1.0)
    amount = price * sign
    if order == "shuffled":
        perm = rng.permutation(lines)
        line_order, amount = line_order[perm], amount[perm]
    elif order != "day":
        raise ValueError(f"order must be 'day' or 'shuffled', not {order!r}")
    t_us = when[line_order]
    if time == "tz":
        t = pa.array(t_us, pa.timestamp("us", tz="Asia/Shanghai"))
    elif time == "utc":
        t = pa.array(t_us, pa.timestamp("us", tz="UTC"))
    elif time == "date":
        t = pa.array((t_us // US_PER_DAY).astype(np.int32), pa.date32())
    else:
        raise ValueError(f"time must be 'tz', 'utc' or 'date', not {time!r}")
    order_ids = _ids(ids, line_order, rng, orders, "O")
    return pa.table({"customer_id": _ids(ids, cust[line_order], rng, customers, "C"), "time": t,
                     "amount": pa.array(amount), "order_id": order_ids})
