"""The history job: 24 monthly re-assessments on a 12-month trailing window, with grace.

Every engine gets the demo transactions (customer_id, time as timestamp[us, UTC], amount,
order_id; 2021-01-01 .. 2023-12-31) and assesses on the first day of each month from
2022-01-01 to 2023-12-01. At date d every customer with a line before d is assessed:

    monetary   net value of the lines in [d - 12 months, d), in whole cents (exact)
    frequency  distinct orders with a purchase line (amount >= 0) in the window
    recency    d - the last purchase day before d (all history); none without purchases
    raw tier   Gold   if monetary >= 1,000.00 and recency <= 90
               Silver if frequency >= 4 or monetary >= 300.00
               Bronze otherwise

Held tiers: a customer's first assessment holds the raw tier; a higher raw tier moves up at
once; a lower one moves down to it only at the 3rd consecutive assessment below Gold, the
2nd below Silver (the watch count in between). The answer compared, per customer: the
tier held after the last assessment, the watch count then, and how many times the held tier
changed after the first assessment (the whole path, in one number).

The peers are written as their users would write this job: the transactions aggregated once
per customer and month (net cents, last purchase day, distinct purchase orders), each
assessment summing its window's months, and the transition rules as one vectorized update
of a state table per assessment, in a Python loop over the dates. Summing distinct orders
over months is exact here because an order's lines share one timestamp in the demo data;
tierkit counts distinct orders over the window whatever the data.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

US_PER_DAY = 86_400_000_000
DATES = [dt.date(2022 + (m // 12), m % 12 + 1, 1) for m in range(24)]
GRACE = {"Gold": 3, "Silver": 2}
RANKS = ["Gold", "Silver", "Bronze"]
HISTORY_COLUMNS = ["customer_id", "tier", "watch", "moves"]


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def history_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    policy = tk.TierPolicy([("Gold", "monetary >= 1000 and recency <= 90"),
                            ("Silver", "frequency >= 4 or monetary >= 300")], default="Bronze")
    tiering = tk.Tiering(policy, transactions=dict(customer="customer_id", time="time", amount="amount",
                                                   order="order_id", spend_series=False,
                                                   purchase_days=False))
    ledger = tk.TierHistory(tiering, start=DATES[0], end=DATES[-1], window_months=12,
                            transitions={t: {"downgrade_after": n} for t, n in GRACE.items()}).run(t)
    last = ledger.records(DATES[-1]).to_arrow()
    spells = ledger._core.spells()
    moved = np.isin(np.asarray(spells["reason"]), [2, 3])  # upgrade, downgrade
    moves = np.bincount(np.asarray(spells["customer"])[moved], minlength=len(ledger))
    idx = ledger._find(last.column("customer_id").combine_chunks())
    out = pd.DataFrame({"customer_id": last.column("customer_id").to_numpy(),
                        "tier": last.column("tier").to_pandas().astype(str),
                        "watch": last.column("watch").to_numpy().astype(np.int64),
                        "moves": moves[idx].astype(np.int64)})
    return out.sort_values("customer_id", ignore_index=True)


def _grace_expr_polars(pl, held):
    return pl.when(held == 0).then(GRACE["Gold"]).when(held == 1).then(GRACE["Silver"]).otherwise(1)


def history_polars(t: pa.Table) -> pd.DataFrame:
    import polars as pl
    buy = pl.col("amount") >= 0
    day = (pl.col("time").cast(pl.Int64) // US_PER_DAY).alias("day")
    monthly = (
        pl.from_arrow(t).lazy()
        .with_columns(day, (pl.col("amount") * 100).round().cast(pl.Int64).alias("cents"))
        .with_columns((pl.col("day").cast(pl.Date).dt.year() * 12 + pl.col("day").cast(pl.Date).dt.month() - 1)
                      .alias("month"))
        .group_by("customer_id", "month")
        .agg(pl.col("cents").sum().alias("cents"),
             pl.col("day").filter(buy).max().alias("last"),
             pl.col("order_id").filter(buy).n_unique().alias("orders"))
        .collect())
    state = None
    for d in DATES:
        m, day_d = _month_index(d), _day(d)
        seen = monthly.lazy().filter(pl.col("month") < m)
        prof = (seen.group_by("customer_id").agg(
            pl.col("cents").filter(pl.col("month") >= m - 12).sum().alias("monetary"),
            pl.col("orders").filter(pl.col("month") >= m - 12).sum().alias("frequency"),
            pl.col("last").max().alias("last"))
            .with_columns((day_d - pl.col("last")).alias("recency"))
            .with_columns(pl.when((pl.col("monetary") >= 100_000) & (pl.col("recency") <= 90)).then(0)
                          .when((pl.col("frequency") >= 4) | (pl.col("monetary") >= 30_000)).then(1)
                          .otherwise(2).alias("raw")))
        if state is None:
            state = prof.select("customer_id", pl.col("raw").alias("held"), pl.lit(0).alias("below"),
                                pl.lit(0).alias("moves")).collect()
            continue
        held, raw, below = pl.col("held"), pl.col("raw"), pl.col("below")
        grace = _grace_expr_polars(pl, held)
        new_held = (pl.when(held.is_null()).then(raw).when(raw <= held).then(raw)
                    .when(below + 1 >= grace).then(raw).otherwise(held))
        new_below = (pl.when(held.is_null() | (raw <= held)).then(0)
                     .when(below + 1 >= grace).then(0).otherwise(below + 1))
        state = (prof.join(state.lazy(), on="customer_id", how="left")
                 .select("customer_id", new_held.alias("held"), new_below.alias("below"),
                         (pl.col("moves").fill_null(0) + (held.is_not_null() & (new_held != held)).cast(pl.Int64))
                         .alias("moves"))
                 .collect())
    out = state.sort("customer_id").to_pandas()
    return pd.DataFrame({"customer_id": out["customer_id"], "tier": np.array(RANKS)[out["held"].to_numpy()],
                         "watch": out["below"].astype(np.int64), "moves": out["moves"].astype(np.int64)})


def history_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("tx", t)
    con.execute(f"""create table monthly as
        select customer_id, year(day) * 12 + month(day) - 1 as month, sum(cents) as cents,
               max(epoch_days) filter (where cents >= 0) as last,
               count(distinct order_id) filter (where cents >= 0) as orders
        from (select customer_id, order_id, cast(time as date) as day,
                     cast(epoch_us(time) // {US_PER_DAY} as bigint) as epoch_days,
                     cast(round(amount * 100) as bigint) as cents from tx)
        group by all""")
    first = True
    for d in DATES:
        m, day_d = _month_index(d), _day(d)
        prof = f"""(select customer_id,
                       case when monetary >= 100000 and {day_d} - last <= 90 then 0
                            when frequency >= 4 or monetary >= 30000 then 1 else 2 end as raw
                    from (select customer_id,
                                 coalesce(sum(cents) filter (where month >= {m - 12}), 0) as monetary,
                                 coalesce(sum(orders) filter (where month >= {m - 12}), 0) as frequency,
                                 max(last) as last
                          from monthly where month < {m} group by customer_id))"""
        if first:
            con.execute(f"create table state as select customer_id, raw as held, 0 as below, 0 as moves from {prof}")
            first = False
            continue
        grace = f"case when s.held = 0 then {GRACE['Gold']} when s.held = 1 then {GRACE['Silver']} else 1 end"
        new_held = f"""case when s.held is null then p.raw when p.raw <= s.held then p.raw
                            when s.below + 1 >= {grace} then p.raw else s.held end"""
        con.execute(f"""create or replace table state as
            select p.customer_id, {new_held} as held,
                   case when s.held is null or p.raw <= s.held then 0
                        when s.below + 1 >= {grace} then 0 else s.below + 1 end as below,
                   coalesce(s.moves, 0) + case when s.held is not null and {new_held} <> s.held then 1 else 0 end
                     as moves
            from {prof} p left join state s using (customer_id)""")
    out = con.sql("select * from state order by customer_id").df()
    con.close()
    return pd.DataFrame({"customer_id": out["customer_id"].to_numpy(), "tier": np.array(RANKS)[out["held"].to_numpy()],
                         "watch": out["below"].to_numpy().astype(np.int64),
                         "moves": out["moves"].to_numpy().astype(np.int64)})


HISTORY_JOBS = {"tierkit": history_tierkit, "polars": history_polars, "duckdb": history_duckdb}
