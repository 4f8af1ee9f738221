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

    and, for service (tierkit.service):

    - ``customers`` also has branch (null for a few), birthday and opened (date32; some
      birthdays fall on 29 February);
    - ``roster``: the relationship owners -- owner_id, role (private banker, wealth manager,
      branch manager, branch staff), branch, capacity (保有量 cap), active (false: leaving);
    - ``contacts``: customer_id, time (timestamp), channel (visit, phone, messaging, sms),
      owner_id, outcome (reached, visited, no answer); wealthier customers are contacted
      more often, over the year before the balance events through their end;
    - ``feedback``: customer_id, time, kind (survey, complaint), value (survey score 1-5);
    - ``sales``: customer_id, time, product, amount (wealth products sold).

    Wealth is lognormal (a few customers above 2,000,000, most below 50,000); each account's
    balance drifts from its level with deposits and withdrawals. Seeded with numpy's PCG64,
    so the same seed gives the same data (the service tables draw from a stream of their
    own, so the balance tables are those of earlier versions).
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
    service = _bank_service(np.random.Generator(np.random.PCG64([seed, 20])), wealth, age, ids, first_day, days)
    out = {
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
    for name, column in service.pop("customer_columns").items():
        out["customers"] = out["customers"].append_column(name, column)
    out.update(service)
    return out


BRANCHES = ("Chaoyang", "Haidian", "Xicheng", "Dongcheng", "Pudong", "Huangpu")
# Role, owners per 1,000 customers and branch, capacity (customers an owner may hold).
_ROLES = (("private banker", 0.2, 30), ("wealth manager", 1.0, 100), ("branch manager", 1.0, 150),
          ("branch staff", 2.0, 120))


def _bank_service(rng, wealth, age, ids, first_day: int, days: int) -> dict:
    """The service tables of tk.demo.bank (see its docstring)."""
    import numpy as np

    n = len(ids)
    nb = len(BRANCHES)
    branch = rng.choice(nb, n, p=np.linspace(1.5, 0.5, nb) / np.linspace(1.5, 0.5, nb).sum())
    no_branch = rng.random(n) < 0.005
    # Birthdays from the age (unknown ages: a random adult), spread over the year.
    years = np.where(np.isnan(age), rng.integers(25, 70, n), np.nan_to_num(age)).astype(np.int64)
    birth_year = 2024 - years
    birth = (np.array([f"{y:04d}-01-01" for y in birth_year], dtype="datetime64[D]").astype(np.int64)
             + rng.integers(0, 365, n))
    leap_day = rng.random(n) < 0.002  # a few born on 29 February of a leap year
    leap_years = birth_year - birth_year % 4
    birth = np.where(leap_day, np.array([f"{y:04d}-02-29" for y in leap_years],
                                        dtype="datetime64[D]").astype(np.int64), birth)
    opened = first_day - rng.integers(30, 15 * 365, n)
    # The roster: owners per branch in proportion to the customers.
    rows = []
    next_id = 9001
    for role, per_thousand, cap in _ROLES:
        per_branch = max(1, int(round(per_thousand * n / 1000 / nb)))
        for b in range(nb):
            for _ in range(per_branch):
                rows.append((next_id, role, BRANCHES[b], cap))
                next_id += 1
    roster_ids = np.array([r[0] for r in rows], dtype=np.int64)
    active = rng.random(len(rows)) >= 0.03
    roster_branch = np.array([BRANCHES.index(r[2]) for r in rows])
    # Contacts: a rate per year rising with wealth, over the year before the balance events
    # through their end.
    start = first_day - 365
    span = 365 + days
    level = np.clip(np.log10(wealth + 1) - 3.5, 0.1, 3.0)
    # Owners keep a rhythm that follows the customer's wealth (about every 12 days for the
    # wealthiest, every 3 months for the rest), each with its own pace and lapses.
    rate = np.select([wealth >= 2e6, wealth >= 2e5, wealth >= 1e5, wealth >= 5e4], [30.0, 14.0, 7.0, 4.0], 1.5)
    interval = 365.0 / (rate * rng.uniform(0.75, 1.35, n))
    per_year = np.ceil(span / interval).astype(np.int64)
    who = np.repeat(np.arange(n), per_year)
    m = len(who)
    k = np.arange(m) - np.repeat(np.cumsum(per_year) - per_year, per_year)
    phase = rng.uniform(0, 1, n) * interval
    day = start + np.floor(phase[who] + k * interval[who] + rng.normal(0, 0.2, m) * interval[who]).astype(np.int64)
    keep = (day >= start) & (day < start + span) & (rng.random(m) >= 0.05)  # some contacts skipped
    who, day = who[keep], day[keep]
    m = len(who)
    second = rng.integers(8 * 3600, 19 * 3600, m)
    rich = level[who] > 2.0
    channels = np.array(["visit", "phone", "messaging", "sms"])
    ch = np.where(rich, rng.choice(4, m, p=[0.3, 0.4, 0.25, 0.05]), rng.choice(4, m, p=[0.05, 0.45, 0.2, 0.3]))
    reached = rng.random(m) < 0.8
    outcome = np.where(reached, np.where(ch == 0, "visited", "reached"), "no answer")
    same_branch = [np.flatnonzero(roster_branch == b) for b in range(nb)]
    contact_owner = np.array([roster_ids[same_branch[b][k % len(same_branch[b])]]
                              for b, k in zip(branch[who], rng.integers(0, 1 << 30, m))], dtype=np.int64)
    order = np.lexsort((second, day))
    ts = (day.astype(np.int64) * 86400 + second)[order]
    contacts = {
        "customer_id": pa.array(ids[who][order]),
        "time": pa.array(ts).cast(pa.timestamp("s")),
        "channel": pa.array(channels[ch][order]).dictionary_encode(),
        "owner_id": pa.array(contact_owner[order]),
        "outcome": pa.array(outcome[order]).dictionary_encode(),
    }
    # Feedback: surveys after some contacts (scores higher when contacted often), complaints.
    survey = rng.random(m) < 0.1
    sw = who[survey]
    score = np.clip(np.round(3.2 + 0.25 * np.log1p(rate[sw]) + rng.normal(0, 0.9, len(sw))), 1, 5)
    sday = day[survey] + rng.integers(0, 5, len(sw))
    complaints = rng.random(n) < 0.04
    cw = np.flatnonzero(complaints)
    cday = start + rng.integers(0, span, len(cw))
    fb_who = np.concatenate([sw, cw])
    fb_day = np.minimum(np.concatenate([sday, cday]), start + span - 1)
    fb_kind = np.array(["survey"] * len(sw) + ["complaint"] * len(cw))
    fb_value = np.concatenate([score, np.full(len(cw), np.nan)])
    fo = np.lexsort((fb_who, fb_day))
    feedback = {
        "customer_id": pa.array(ids[fb_who][fo]),
        "time": pa.array((fb_day[fo].astype(np.int64) * 86400 + 12 * 3600)).cast(pa.timestamp("s")),
        "kind": pa.array(fb_kind[fo]),
        "value": pa.array(fb_value[fo], mask=np.isnan(fb_value[fo])),
    }
    # Sales of wealth products: more for the wealthy.
    buys = rng.poisson(level * 0.8)
    bw = np.repeat(np.arange(n), buys)
    bday = start + rng.integers(0, span, len(bw))
    products = np.array(["fund", "insurance", "wealth product", "time deposit"])
    amount = np.round(wealth[bw] * rng.uniform(0.01, 0.1, len(bw)), 2)
    bo = np.lexsort((bw, bday))
    sales = {
        "customer_id": pa.array(ids[bw][bo]),
        "time": pa.array((bday[bo].astype(np.int64) * 86400 + 15 * 3600)).cast(pa.timestamp("s")),
        "product": pa.array(products[rng.integers(0, 4, len(bw))][bo]),
        "amount": pa.array(amount[bo]),
    }
    branch_names = np.array(BRANCHES)[branch]
    return {
        "customer_columns": {
            "branch": pa.array(branch_names, mask=no_branch),
            "birthday": pa.array(birth.astype(np.int32)).view(pa.date32()),
            "opened": pa.array(opened.astype(np.int32)).view(pa.date32()),
        },
        "roster": pa.table({"owner_id": pa.array(roster_ids), "role": pa.array([r[1] for r in rows]),
                            "branch": pa.array([r[2] for r in rows]),
                            "capacity": pa.array(np.array([r[3] for r in rows], dtype=np.int64)),
                            "active": pa.array(active)}),
        "contacts": pa.table(contacts),
        "feedback": pa.table(feedback),
        "sales": pa.table(sales),
    }
