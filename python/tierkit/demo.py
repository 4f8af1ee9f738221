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
from ._errors import flag_arg, threads_arg
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
        time_ordered=flag_arg(time_ordered, "tierkit.demo.transactions: time_ordered"),
        threads=threads_arg(threads, "tierkit.demo.transactions"))
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


__all__ = ["transactions", "profile_roles", "bank"]


def bank(customers: int = 5_000, events: int = 200_000, *, seed: int = 42,
         start="2024-01-01", days: int = 91) -> dict[str, pa.Table]:
    """Generated retail-bank data: three pyarrow Tables.

    - ``events``: account_id, date (date32), balance after the movement (rows in day order);
    - ``owners``: account_id, customer_id, asset_type (deposit, time deposit, fund, wealth
      product; one owner per account);
    - ``customers``: customer_id, age, card_level (classic, gold, platinum, diamond, black),
      card_spend (a year), loan_balance, margin_balance, wallet_share, accounts.

    Wealth is lognormal (a few customers above 2,000,000, most below 50,000); each account's
    balance drifts from its level with deposits and withdrawals. Seeded with numpy's PCG64,
    so the same seed gives the same data.
    """
    import numpy as np

    if customers < 1 or events < 1 or days < 1:
        from ._errors import InvalidInput
        raise InvalidInput("tierkit.demo.bank: customers, events and days must be positive")
    rng = np.random.Generator(np.random.PCG64(seed))
    first_day = to_day(start, "tierkit.demo.bank: start")
    wealth = rng.lognormal(np.log(30_000), 1.6, customers)
    n_acc = 1 + rng.binomial(3, np.clip(np.log10(wealth) / 8, 0.05, 0.9))
    owner = np.repeat(np.arange(customers), n_acc)
    accounts = len(owner)
    types = np.array(["deposit", "time deposit", "fund", "wealth product"])
    asset = rng.choice(4, accounts, p=[0.55, 0.2, 0.15, 0.1])
    share = rng.dirichlet(np.ones(4), customers)  # how each customer splits its wealth
    level = wealth[owner] * share[owner, np.minimum(asset, 3)] * n_acc[owner] / n_acc[owner]
    # events: accounts active in proportion to their level's order of magnitude
    weight = np.log10(level + 10)
    ev_acc = rng.choice(accounts, events, p=weight / weight.sum())
    ev_day = first_day + rng.integers(0, days, events)
    order = np.lexsort((ev_acc, ev_day))
    ev_acc, ev_day = ev_acc[order], ev_day[order]
    noise = rng.normal(0, 0.08, events) * level[ev_acc]
    balance = np.round(np.maximum(level[ev_acc] + noise, -2_000), 2)
    age = rng.integers(18, 86, customers).astype(float)
    age[rng.random(customers) < 0.02] = np.nan  # some ages unknown
    card_rank = np.clip((np.log10(wealth) - 3.6) * 1.6 + rng.normal(0, 0.8, customers), 0, 4).astype(int)
    cards = np.array(["classic", "gold", "platinum", "diamond", "black"])
    ids = np.arange(1, customers + 1)
    return {
        "events": pa.table({"account_id": pa.array(100_000 + ev_acc),
                            "date": pa.array(ev_day.astype(np.int32)).view(pa.date32()),
                            "balance": pa.array(balance)}),
        "owners": pa.table({"account_id": pa.array(100_000 + np.arange(accounts)),
                            "customer_id": pa.array(ids[owner]),
                            "asset_type": pa.array(types[asset])}),
        "customers": pa.table({
            "customer_id": pa.array(ids),
            "age": pa.array(age),
            "card_level": pa.array(cards[card_rank]),
            "card_spend": pa.array(np.round(rng.gamma(1.2, 0.25, customers) * np.sqrt(wealth) * 40, 2)),
            "loan_balance": pa.array(np.where(rng.random(customers) < 0.15,
                                              np.round(rng.lognormal(np.log(200_000), 0.8, customers), 2), 0.0)),
            "margin_balance": pa.array(np.where(rng.random(customers) < 0.05,
                                                np.round(rng.lognormal(np.log(20_000), 1.0, customers), 2), 0.0)),
            "wallet_share": pa.array(np.round(rng.beta(2, 2, customers), 3)),
            "accounts": pa.array(n_acc.astype(np.int64)),
        }),
    }
