"""Service benchmarks: the due list and SLA from a contact log, and owner assignment.

    python benchmarks/service.py [--customers 1000000] [--contacts 10000000] [--owners 10000]
                                 [--repeat 3] [--engines tierkit,polars,duckdb]

Job "due + SLA": customers 1..C with a tier (Gold, Silver, Bronze: ranked), the day they
entered it (since) and a value; a contact log of N rows (customer, day as date32, channel as
a dictionary of visit/phone/email/sms, outcome as a dictionary of reached/no answer), over
13 months around as_of = 2024-01-01 (a few rows after it, and of customers without a tier).
The plan: Gold a contact on any channel every 30 days and a visit every 90; Silver any
channel every 90 days; Bronze nothing. Only "reached" contacts before as_of count.

    due list   per customer and rule due on or before as_of: due = max(last + N, since) (since
               without a contact), days overdue = as_of - due; ordered by tier rank, days
               overdue (most first), value (highest first), customer, rule
    SLA        per month of 2023 and tier: customers judged (a tier and since before the
               month's end) and those never overdue in the month: day d is overdue when
               d > max(last contact before d + N, since), for every rule of the tier

The peers are written as their users would write this: the due list from per-customer
maxima (group_by + joins), the SLA from each rule's overdue intervals -- between consecutive
contacts (LAG/shift within customer), before the first and after the last -- intersected
with the months. Every engine's answers (the whole due list in order, the SLA table) are
checked equal to tierkit's.

Job "owners": C customers in 12 branches (Private 2%, Wealth 18%, Branch 60%, Mass 20%) to
a roster of O owners (roles in proportion, capacities that leave about 5% of customers in
the pool), from nothing and then incrementally from that assignment with 3% of the owners
gone and 5% of the customers re-tiered. tierkit only (no peer has the rules).

The floor: one pass over the log's input columns (the sums of the customer and day columns;
of text keys, their lengths).
Times are medians of `repeat` runs in this process, data in memory, after one warm-up.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

AS_OF = dt.date(2024, 1, 1)
EPOCH = dt.date(1970, 1, 1)
RULES = {"Gold": [(None, 30), ("visit", 90)], "Silver": [(None, 90)]}
RANK = {"Gold": 0, "Silver": 1, "Bronze": 2}
MONTHS = [dt.date(2023, m, 1) for m in range(1, 13)] + [dt.date(2024, 1, 1)]


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def key_array(numbers: np.ndarray, ids: str) -> pa.Array:
    """Customer keys of customer numbers 1..C: dense (the numbers), sparse (distinct
    pseudo-random 62-bit integers, by a fixed odd multiplier) or text ("C000000001")."""
    if ids == "dense":
        return pa.array(numbers.astype(np.int64))
    if ids == "sparse":
        return pa.array(((numbers.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(2)).astype(np.int64))
    return pa.array(np.char.add("C", np.char.zfill(numbers.astype(str), 9)), pa.string())


def make_data(customers: int, contacts: int, seed: int = 7, ids: str = "dense"):
    rng = np.random.default_rng(seed)
    tier = rng.choice(3, customers, p=[0.1, 0.3, 0.6]).astype(np.int8)
    since = rng.integers(day(dt.date(2022, 6, 1)), day(dt.date(2023, 12, 1)), customers).astype(np.int32)
    value = np.round(rng.gamma(1.0, 500.0, customers), 2)
    tiers = pa.table({"customer_id": key_array(np.arange(1, customers + 1), ids),
                      "tier": pa.DictionaryArray.from_arrays(pa.array(tier), pa.array(["Gold", "Silver", "Bronze"])),
                      "since": pa.array(since).view(pa.date32()), "monetary": value})
    # Gold customers are contacted more often; a few rows are of unknown customers.
    weight = np.array([6.0, 2.0, 1.0])[tier]
    who = rng.choice(customers, contacts, p=weight / weight.sum()) + 1
    who[rng.random(contacts) < 0.001] = customers + 7
    days = rng.integers(day(dt.date(2022, 12, 1)), day(dt.date(2024, 1, 15)), contacts).astype(np.int32)
    channel = rng.choice(4, contacts, p=[0.15, 0.5, 0.25, 0.1]).astype(np.int8)
    outcome = (rng.random(contacts) < 0.2).astype(np.int8)
    log = pa.table({"customer_id": key_array(who, ids), "time": pa.array(days).view(pa.date32()),
                    "channel": pa.DictionaryArray.from_arrays(pa.array(channel),
                                                              pa.array(["visit", "phone", "email", "sms"])),
                    "outcome": pa.DictionaryArray.from_arrays(pa.array(outcome), pa.array(["reached", "no answer"]))})
    return tiers, log


# --- tierkit ------------------------------------------------------------------------------------

def tierkit_plan():
    import tierkit as tk
    return tk.ServicePlan({"Gold": {"channels": ["visit", "phone", "email", "sms"],
                                    "cadence": [{"every_days": 30}, {"channel": "visit", "every_days": 90}]},
                           "Silver": {"cadence": {"every_days": 90}}, "Bronze": {}},
                          counted_outcomes=["reached"])


def run_tierkit(tiers: pa.Table, log: pa.Table, plan):
    book = plan.contacts(log, tiers, as_of=AS_OF)
    due = book.due(0).to_arrow()
    sla = book.sla("month", 12).to_arrow()
    return due, sla


def answers_tierkit(due: pa.Table, sla: pa.Table):
    # Rule index within the tier: Gold's visit rule is its second; every other rule a first.
    d = {"customer_id": _keys(due["customer_id"]),
         "rule": pa.compute.equal(due["rule"].cast(pa.string()), "every 90 days by visit").to_numpy(
             zero_copy_only=False).astype(np.int64),
         "due": due["due"].cast(pa.int32()).to_numpy(), "days_overdue": due["days_overdue"].to_numpy()}
    s = sorted((str(p), str(t), int(c), int(w)) for p, t, c, w in zip(
        sla["period"].to_pylist(), sla["tier"].cast(pa.string()).to_pylist(), sla["customers"].to_pylist(),
        sla["within"].to_pylist()))
    return d, s


# --- polars ---------------------------------------------------------------------------------------

def run_polars(tiers: pa.Table, log: pa.Table):
    import polars as pl
    as_of = day(AS_OF)
    t = pl.from_arrow(tiers).with_columns(pl.col("tier").cast(pl.Utf8),
                                          pl.col("since").cast(pl.Int32).alias("since"))
    c = (pl.from_arrow(log).lazy()
         .filter((pl.col("outcome").cast(pl.Utf8) == "reached") & (pl.col("time").cast(pl.Int32) < as_of))
         .select("customer_id", pl.col("time").cast(pl.Int32).alias("day"),
                 (pl.col("channel").cast(pl.Utf8) == "visit").alias("visit"))
         .join(t.lazy().select("customer_id", "tier", "since"), on="customer_id", how="inner")
         .filter(pl.col("tier") != "Bronze"))
    # One frame of (customer, rule, day) per rule's contacts.
    rules = []
    for tier, rs in RULES.items():
        for k, (channel, n) in enumerate(rs):
            f = c.filter(pl.col("tier") == tier)
            if channel == "visit":
                f = f.filter(pl.col("visit"))
            rules.append(f.select("customer_id", "day", "since", pl.lit(k, pl.Int64).alias("rule"),
                                  pl.lit(n, pl.Int32).alias("n")))
    contacts = pl.concat(rules).collect()
    # Due list.
    last = contacts.group_by("customer_id", "rule").agg(pl.col("day").max().alias("last"))
    rows = []
    for tier, rs in RULES.items():
        for k, (_channel, n) in enumerate(rs):
            rows.append(t.filter(pl.col("tier") == tier).select(
                "customer_id", "tier", "since", "monetary", pl.lit(k, pl.Int64).alias("rule"),
                pl.lit(n, pl.Int32).alias("n")))
    r = pl.concat(rows).join(last, on=["customer_id", "rule"], how="left")
    r = r.with_columns(pl.when(pl.col("last").is_null()).then(pl.col("since"))
                       .otherwise(pl.max_horizontal(pl.col("last") + pl.col("n"), pl.col("since"))).alias("due"))
    due = (r.filter(pl.col("due") <= as_of)
           .with_columns((as_of - pl.col("due")).alias("days_overdue"),
                         pl.col("tier").replace_strict(RANK, return_dtype=pl.Int32).alias("rank"))
           .sort(["rank", "days_overdue", "monetary", "customer_id", "rule"],
                 descending=[False, True, True, False, False])
           .select("customer_id", "rule", "due", "days_overdue"))
    # SLA: overdue intervals [max(last + n, since) + 1, next contact] per rule and customer,
    # before the first contact (from since) and after the last (open).
    ordered = contacts.sort(["customer_id", "rule", "day"])
    iv = ordered.with_columns(pl.col("day").shift(1).over(["customer_id", "rule"]).alias("prev"))
    inner = iv.select("customer_id", "since", "n", start=pl.when(pl.col("prev").is_null()).then(pl.col("since"))
                      .otherwise(pl.max_horizontal(pl.col("prev") + pl.col("n"), pl.col("since"))) + 1,
                      end=pl.col("day"))
    tail = last.join(pl.concat(rows).select("customer_id", "rule", "since", "n"), on=["customer_id", "rule"]) \
        .select("customer_id", "since", "n", start=pl.max_horizontal(pl.col("last") + pl.col("n"), pl.col("since")) + 1,
                end=pl.lit(as_of, pl.Int32))
    never = pl.concat(rows).join(last, on=["customer_id", "rule"], how="anti") \
        .select("customer_id", "since", "n", start=pl.col("since") + 1, end=pl.lit(as_of, pl.Int32))
    intervals = pl.concat([inner, tail, never.select(tail.columns)], how="vertical_relaxed") \
        .filter(pl.col("start") <= pl.col("end"))
    bounds = [day(m) for m in MONTHS]
    lo, hi = bounds[0], bounds[-1] - 1
    months = pl.Series(bounds[:-1], dtype=pl.Int32)
    iv2 = intervals.with_columns(pl.max_horizontal(pl.col("start"), pl.lit(lo)).alias("a"),
                                 pl.min_horizontal(pl.col("end"), pl.lit(hi)).alias("b")) \
        .filter(pl.col("a") <= pl.col("b"))
    iv2 = iv2.with_columns(pl.col("a").cast(pl.Date).dt.month().cast(pl.Int32).alias("m0"),
                           pl.col("b").cast(pl.Date).dt.month().cast(pl.Int32).alias("m1"))
    missed = (iv2.select("customer_id", pl.int_ranges("m0", pl.col("m1") + 1).alias("m")).explode("m")
              .unique().join(t.select("customer_id", "tier"), on="customer_id")
              .group_by("m", "tier").agg(pl.len().alias("missed")))
    judged = []
    for k in range(12):
        judged.append(t.filter((pl.col("tier") != "Bronze") & (pl.col("since") < bounds[k + 1]))
                      .group_by("tier").agg(pl.len().alias("customers"))
                      .with_columns(pl.lit(k + 1, pl.Int32).alias("m")))
    sla = (pl.concat(judged).join(missed, on=["m", "tier"], how="left")
           .with_columns((pl.col("customers") - pl.col("missed").fill_null(0)).alias("within")))
    del months
    return due, sla


def answers_polars(due, sla):
    d = {"customer_id": _keys(due["customer_id"].to_arrow()), "rule": due["rule"].to_numpy(),
         "due": due["due"].to_numpy(), "days_overdue": due["days_overdue"].to_numpy()}
    s = sorted((str(dt.date(2023, int(m), 1)), str(t), int(c), int(w)) for m, t, c, w in sla.select(
        "m", "tier", "customers", "within").iter_rows())
    return d, s


# --- DuckDB ---------------------------------------------------------------------------------------

def run_duckdb(tiers: pa.Table, log: pa.Table, con):
    as_of = day(AS_OF)
    con.register("tiers_arrow", tiers)
    con.register("log_arrow", log)
    bounds = [day(m) for m in MONTHS]
    months_sql = " union all ".join(f"select {k + 1} as m, {bounds[k]} as s, {bounds[k + 1]} as e" for k in range(12))
    rules_sql = " union all ".join(f"select '{tier}' as tier, {k} as rule, "
                                   f"{('true' if ch else 'false')} as visit_only, {n} as n"
                                   for tier, rs in RULES.items() for k, (ch, n) in enumerate(rs))
    con.execute(f"""
        create or replace temp table t as
          select customer_id, tier::varchar as tier, (since - date '1970-01-01')::integer as since, monetary
          from tiers_arrow;
        create or replace temp table rules as {rules_sql};
        create or replace temp table c as
          select l.customer_id, (l.time - date '1970-01-01')::integer as day, r.rule, r.n, t.since
          from log_arrow l join t using (customer_id) join rules r on r.tier = t.tier
          where l.outcome::varchar = 'reached' and (l.time - date '1970-01-01') < {as_of}
            and (not r.visit_only or l.channel::varchar = 'visit');
        create or replace temp table last as
          select customer_id, rule, max(day) as last from c group by all;
    """)
    due = con.sql(f"""
        select t.customer_id, r.rule,
               case when l.last is null then t.since else greatest(l.last + r.n, t.since) end as due,
               {as_of} - (case when l.last is null then t.since else greatest(l.last + r.n, t.since) end)
                 as days_overdue,
               case t.tier when 'Gold' then 0 when 'Silver' then 1 else 2 end as rank, t.monetary
        from t join rules r on r.tier = t.tier
        left join last l on l.customer_id = t.customer_id and l.rule = r.rule
        where (case when l.last is null then t.since else greatest(l.last + r.n, t.since) end) <= {as_of}
        order by rank, days_overdue desc, monetary desc, t.customer_id, r.rule
    """).to_arrow_table()
    sla = con.sql(f"""
        with iv as (
          select customer_id, since, n,
                 case when lag(day) over w is null then since else greatest(lag(day) over w + n, since) end + 1 as a,
                 day as b
          from c window w as (partition by customer_id, rule order by day)
          union all
          select l.customer_id, t.since, r.n, greatest(l.last + r.n, t.since) + 1, {as_of}
          from last l join t using (customer_id) join rules r on r.tier = t.tier and r.rule = l.rule
          union all
          select t.customer_id, t.since, r.n, t.since + 1, {as_of}
          from t join rules r on r.tier = t.tier
          where not exists (select 1 from last l where l.customer_id = t.customer_id and l.rule = r.rule)
        ),
        months as ({months_sql}),
        missed as (
          select distinct iv.customer_id, months.m
          from iv join months on iv.a < months.e and iv.b >= months.s
          where iv.a <= iv.b
        ),
        judged as (
          select months.m, t.tier, count(*) as customers
          from t join months on t.since < months.e
          where t.tier <> 'Bronze' group by all
        ),
        missed_per as (
          select missed.m, t.tier, count(*) as missed from missed join t using (customer_id) group by all
        )
        select j.m, j.tier, j.customers, j.customers - coalesce(mp.missed, 0) as within
        from judged j left join missed_per mp on mp.m = j.m and mp.tier = j.tier
    """).to_arrow_table()
    return due, sla


def answers_duckdb(due, sla):
    d = {"customer_id": _keys(due["customer_id"]), "rule": due["rule"].to_numpy().astype(np.int64),
         "due": due["due"].to_numpy(), "days_overdue": due["days_overdue"].to_numpy()}
    s = sorted((str(dt.date(2023, int(m), 1)), str(t), int(c), int(w)) for m, t, c, w in zip(
        sla["m"].to_pylist(), sla["tier"].to_pylist(), sla["customers"].to_pylist(), sla["within"].to_pylist()))
    return d, s


# --- owners ---------------------------------------------------------------------------------------

def owner_data(customers: int, owners: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    branches = [f"B{i:02d}" for i in range(12)]
    tiers = ["Private", "Wealth", "Branch", "Mass"]
    t = rng.choice(4, customers, p=[0.02, 0.18, 0.6, 0.2])
    tiers_t = pa.table({"customer_id": np.arange(1, customers + 1, dtype=np.int64),
                        "tier": pa.DictionaryArray.from_arrays(pa.array(t.astype(np.int8)), pa.array(tiers)),
                        "monetary": np.round(rng.gamma(1.0, 500.0, customers), 2)})
    branch_t = pa.table({"customer_id": np.arange(1, customers + 1, dtype=np.int64),
                         "branch": pa.DictionaryArray.from_arrays(
                             pa.array(rng.integers(0, 12, customers).astype(np.int8)), pa.array(branches))})
    share = np.array([0.02, 0.18, 0.6]) / 0.8
    role = rng.choice(3, owners, p=share)
    need = np.bincount(t[t < 3], minlength=3)
    per_owner = need / np.maximum(np.bincount(role, minlength=3), 1)
    capacity = np.maximum(1, np.round(per_owner[role] * rng.uniform(0.8, 1.15, owners))).astype(np.int64)
    roster = pa.table({"owner_id": np.arange(100_000, 100_000 + owners, dtype=np.int64),
                       "role": np.array(["private banker", "wealth manager", "branch staff"])[role],
                       "branch": np.array(branches)[rng.integers(0, 12, owners)],
                       "capacity": capacity})
    return tiers_t, branch_t, roster


def owner_plan():
    import tierkit as tk
    return tk.ServicePlan({"Private": {"owner_role": "private banker"}, "Wealth": {"owner_role": "wealth manager"},
                           "Branch": {"owner_role": "branch staff"}, "Mass": {}})


# --- running ----------------------------------------------------------------------------------------

def timed(f, repeat: int):
    f()  # warm-up
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _keys(col) -> np.ndarray:
    """Keys as a numpy array (integers, or text as objects) for comparing answers."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return np.array(col.to_pylist(), dtype=object)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)


def same(a, b) -> bool:
    da, sa = a
    db, sb = b
    for k in da:
        x, y = np.asarray(da[k]), np.asarray(db[k])
        if x.dtype != object:
            x, y = x.astype(np.int64), y.astype(np.int64)
        if not np.array_equal(x, y):
            return False
    return sa == sb


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=10_000_000)
    ap.add_argument("--owners", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default="tierkit,polars,duckdb")
    ap.add_argument("--ids", default="dense", choices=["dense", "sparse", "text"],
                    help="customer keys: dense integers 1..C, sparse 62-bit integers, or text")
    args = ap.parse_args()
    engines = args.engines.split(",")
    tiers, log = make_data(args.customers, args.contacts, ids=args.ids)
    print(f"due + SLA: {args.customers:,} customers ({args.ids} ids), {args.contacts:,} contacts, "
          f"repeat {args.repeat}")
    import pyarrow.compute as pc
    floor, _ = timed(lambda: (pc.sum(pc.binary_length(log["customer_id"])) if args.ids == "text" else
                              np.sum(log["customer_id"].chunk(0).to_numpy()),
                              np.sum(log["time"].chunk(0).view(pa.int32()).to_numpy())), args.repeat)
    results = {}
    plan = tierkit_plan()
    sec, out = timed(lambda: run_tierkit(tiers, log, plan), args.repeat)
    results["tierkit"] = (sec, answers_tierkit(*out))
    print(f"  due rows {out[0].num_rows:,}, SLA rows {out[1].num_rows}")
    if "polars" in engines:
        sec, out = timed(lambda: run_polars(tiers, log), args.repeat)
        results["polars"] = (sec, answers_polars(*out))
    if "duckdb" in engines:
        import duckdb
        con = duckdb.connect()
        sec, out = timed(lambda: run_duckdb(tiers, log, con), args.repeat)
        results["duckdb"] = (sec, answers_duckdb(*out))
    base = results["tierkit"][0]
    print(f"  {'engine':<10}{'seconds':>10}{'x tierkit':>11}{'x floor':>10}  answer")
    disagree = False
    for name, (sec, ans) in results.items():
        ok = same(ans, results["tierkit"][1])
        disagree |= not ok
        print(f"  {name:<10}{sec:>10.3f}{sec / base:>11.1f}{sec / floor:>10.1f}  {'equal' if ok else 'DIFFERENT'}")
    print(f"  floor (one pass over customer and day columns): {floor:.4f} s")
    peers = [sec for name, (sec, _) in results.items() if name != "tierkit"]
    if peers:
        print(f"  tierkit vs the faster peer: {min(peers) / base:.1f}x")

    tiers_o, branches, roster = owner_data(args.customers, args.owners)
    oplan = owner_plan()
    print(f"\nowners: {args.customers:,} customers, {args.owners:,} owners")
    sec, first = timed(lambda: oplan.assign_owners(tiers_o, roster, date="2024-01-01", branches=branches),
                       args.repeat)
    summary = dict(zip(first.summary()["reason"].to_pylist(), first.summary()["customers"].to_pylist()))
    print(f"  from nothing: {sec:.3f} s ({summary})")
    rng = np.random.default_rng(9)
    keep = rng.random(roster.num_rows) >= 0.03
    roster2 = roster.filter(pa.array(keep))
    t = np.asarray(tiers_o["tier"].chunk(0).indices.to_numpy()).copy()
    move = rng.random(len(t)) < 0.05
    t[move] = rng.integers(0, 4, int(move.sum()))
    tiers2 = tiers_o.set_column(1, "tier", pa.DictionaryArray.from_arrays(pa.array(t.astype(np.int8)),
                                                                          tiers_o["tier"].chunk(0).dictionary))
    sec2, second = timed(lambda: oplan.assign_owners(tiers2, roster2, date="2024-02-01", branches=branches,
                                                     previous=first), args.repeat)
    summary = dict(zip(second.summary()["reason"].to_pylist(), second.summary()["customers"].to_pylist()))
    print(f"  incremental (3% of owners gone, 5% re-tiered): {sec2:.3f} s ({summary})")
    loads = second.loads().to_arrow()
    assert all(load <= c for load, c in zip(loads["load"].to_pylist(), loads["capacity"].to_pylist()))
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
