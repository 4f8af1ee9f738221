"""Grouped RFM benchmark: quintile scores fitted within each of G groups, against the same
job ungrouped and against polars and DuckDB doing it with window functions per group.

    python benchmarks/groups.py [--transactions 10000000] [--customers 1000000]
                                [--groups 1000] [--repeat 3] [--engines tierkit,polars,duckdb]

Data: tk.demo.transactions (customer_id, time, amount, order_id) and a group per customer
(customer_id % G, as an attributes table). The job, every engine: the profile (per customer
last purchase day, distinct purchase orders, net value in whole cents), then within each
group R, F and M quintile scores with tierkit's rule: cut j is the ceil(j n / 5)-th smallest
value among the group's customers with a purchase, bins (c_{j-1}, c_j], recency reversed,
0 without a purchase. tierkit runs tk.profile + tk.Grouped(tk.RFM(segments=None), by=group);
the peers profile as benchmarks/jobs.py does and rank within the group
(row_number()/count over partition by group). Every engine's scores are checked equal to
tierkit's, customer for customer (exit 1 when one differs).

Times are medians of `repeat` runs in this process, data in memory, after one warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parent))
import jobs  # noqa: E402  (the peers' profile code, shared with the other benchmarks)

K = 5
COLUMNS = ["customer_id", "r_score", "f_score", "m_score"]


def make_data(transactions: int, customers: int, groups: int):
    import tierkit as tk
    t = tk.demo.transactions(customers, transactions, seed=7)
    t = t.select(["customer_id", "time", "amount", "order_id"])
    ids = np.unique(t.column("customer_id").to_numpy())
    attrs = pa.table({"customer_id": pa.array(ids), "grp": pa.array(ids % groups)})
    return t, attrs


def _frame(out) -> pd.DataFrame:
    a = out.to_arrow()
    df = pd.DataFrame({c: a.column(c).to_numpy(zero_copy_only=False) for c in COLUMNS})
    for c in COLUMNS[1:]:
        df[c] = np.nan_to_num(df[c].astype(float), nan=0).astype(np.int64)
    return df.sort_values("customer_id", ignore_index=True)


def tierkit_grouped(t, attrs):
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    return tk.Grouped(tk.RFM(segments=None), by="grp", overall=False).fit_apply(p, groups=attrs)


def tierkit_ungrouped(t, attrs):
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    return tk.RFM(segments=None).fit_apply(p)


def polars_grouped(t, attrs):
    import polars as pl
    prof = pl.from_pandas(jobs.profile_polars(t, purchase_days=False))
    as_of = (t.column("time").cast(pa.int64()).to_numpy() // jobs.US_PER_DAY).max() + 1
    prof = prof.join(pl.from_arrow(attrs), on="customer_id", how="left").with_columns(
        (pl.lit(as_of) - pl.col("last_purchase")).alias("recency"))
    buy = pl.col("last_purchase").is_not_null()

    def score(col, better):
        # Rank within the group's buyers; the cut values are the values at ranks ceil(j n/5).
        x = pl.when(buy).then(pl.col(col))
        n = x.count().over("grp")
        rank = x.rank("ordinal").over("grp")
        b = sum((pl.col(col) > x.filter(rank == (n * j + K - 1) // K).first().over("grp")).cast(pl.Int32)
                for j in range(1, K))
        s = (b + 1) if better else (K - b)
        return pl.when(buy).then(s).otherwise(0).alias(col[0] + "_score")

    out = prof.with_columns(score("recency", False), score("frequency", True),
                            score("monetary", True)).sort("customer_id")
    return out.select(COLUMNS).to_pandas()


def duckdb_grouped(t, attrs, con):
    con.register("tx", t)
    con.register("attrs", attrs)
    def ranks(col):
        return ", ".join(
            f"max(case when rn_{col} = (n * {j} + {K - 1}) // {K} then {col} end) over w as {col}_c{j}"
            for j in range(1, K))

    def score(col, better):
        return ("case when last_purchase is null then 0 else "
                + ("1 + " if better else f"{K} - (")
                + " + ".join(f"({col} > {col}_c{j})::int" for j in range(1, K))
                + ("" if better else ")") + f" end as {col[0]}_score")

    sql = f"""
        with {jobs.duckdb_profile_ctes(purchase_days=False)},
        horizon as (select max(day) + 1 as as_of from lines),
        scored as (
          select p.customer_id, a.grp, p.last_purchase, (select as_of from horizon) - p.last_purchase as recency,
                 p.frequency, p.monetary from prof p left join attrs a using (customer_id)),
        ranked as (
          select *,
                 count(last_purchase) over (partition by grp) as n,
                 case when last_purchase is not null then
                   row_number() over (partition by grp, last_purchase is null order by recency) end as rn_recency,
                 case when last_purchase is not null then
                   row_number() over (partition by grp, last_purchase is null order by frequency) end as rn_frequency,
                 case when last_purchase is not null then
                   row_number() over (partition by grp, last_purchase is null order by monetary) end as rn_monetary
          from scored),
        cuts as (
          select *, {ranks('recency')}, {ranks('frequency')}, {ranks('monetary')}
          from ranked window w as (partition by grp))
        select customer_id, {score('recency', False)}, {score('frequency', True)}, {score('monetary', True)}
        from cuts order by customer_id"""
    return con.sql(sql).to_arrow_table().to_pandas()[COLUMNS]


def timed(f, repeat: int):
    f()
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default="tierkit,polars,duckdb")
    args = ap.parse_args()
    engines = args.engines.split(",")
    t, attrs = make_data(args.transactions, args.customers, args.groups)
    print(f"grouped RFM: {t.num_rows:,} transactions, {attrs.num_rows:,} customers, "
          f"{args.groups:,} groups; median of {args.repeat}")
    # tierkit's grouped and ungrouped jobs run alternately, so that a machine shared with
    # other work slows both alike and their ratio stays meaningful.
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    jobs_ = {"grouped": lambda: tierkit_grouped(t, attrs),
             "ungrouped": lambda: tierkit_ungrouped(t, attrs),
             "grouped_fit": lambda: tk.Grouped(tk.RFM(segments=None), by="grp", overall=False)
             .fit_apply(p, groups=attrs),
             "ungrouped_fit": lambda: tk.RFM(segments=None).fit_apply(p)}
    times = {name: [] for name in jobs_}
    out = None
    for round_ in range(args.repeat + 1):  # the first round warms up
        for name, job in jobs_.items():
            t0 = time.perf_counter()
            result = job()
            if round_:
                times[name].append(time.perf_counter() - t0)
            if name == "grouped":
                out = result
    sec_g, sec_u, sec_fit, sec_fit_u = (statistics.median(times[n]) for n in jobs_)
    reference = _frame(out)
    print(f"{'job':<44}{'seconds':>9}{'vs tierkit grouped':>20}")
    print(f"{'tierkit grouped (profile + per-group RFM)':<44}{sec_g:>9.3f}{1:>19.2f}x")
    print(f"{'tierkit ungrouped (profile + one RFM)':<44}{sec_u:>9.3f}{sec_u / sec_g:>19.2f}x")
    print(f"{'  grouped RFM fit+apply on the profile':<44}{sec_fit:>9.3f}")
    print(f"{'  ungrouped RFM fit+apply on the profile':<44}{sec_fit_u:>9.3f}")
    print(f"grouped / ungrouped job: {sec_g / sec_u:.2f}")
    status = 0
    for name in engines:
        if name == "tierkit":
            continue
        if name == "polars":
            sec, df = timed(lambda: polars_grouped(t, attrs), args.repeat)
        elif name == "duckdb":
            import duckdb
            con = duckdb.connect()
            sec, df = timed(lambda con=con: duckdb_grouped(t, attrs, con), args.repeat)
            con.close()
        else:
            print(f"unknown engine {name!r}")
            return 2
        df = df.astype({c: np.int64 for c in COLUMNS}).sort_values("customer_id", ignore_index=True)
        same = df.equals(reference.astype({c: np.int64 for c in COLUMNS}))
        print(f"{name + ' grouped (window functions)':<44}{sec:>9.3f}{sec / sec_g:>19.2f}x"
              f"  answers {'equal' if same else 'DIFFER'}")
        if not same:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
