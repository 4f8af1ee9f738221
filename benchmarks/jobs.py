"""The benchmark jobs: the same computation written for tierkit and for each peer.

Every implementation receives the same in-memory pyarrow Table (demo data: customer_id,
time as timestamp[us, UTC], amount, order_id) and returns a pandas DataFrame sorted by
customer with the columns of `PROFILE_COLUMNS`, so that answers can be compared.

The profile job: per customer, first and last purchase day, frequency (distinct orders
with a purchase line), purchase days (distinct days with a purchase line), lines, returns
(distinct orders with a return line), net, gross and returned value. A purchase line has
amount >= 0; days are UTC calendar days. Money is summed exactly, as a careful
implementation does: the peers sum whole cents as integers (the demo amounts are cents),
tierkit sums on its 10^-9 decimal grid; float sums would depend on the row order and
disagree at cut points.

The scored jobs (rfm_abc, full) need no purchase days: every engine leaves them out there
(tierkit with ``purchase_days=False``, the peers without their distinct-day count).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

US_PER_DAY = 86_400_000_000
PROFILE_COLUMNS = ["customer_id", "first_purchase", "last_purchase", "frequency",
                   "purchase_days", "transactions", "returns", "monetary", "gross_sales",
                   "returns_value"]


def profile_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False)
    a = p.to_arrow()
    df = pd.DataFrame({c: a.column(c).to_numpy(zero_copy_only=False) for c in PROFILE_COLUMNS
                       if c not in ("first_purchase", "last_purchase")})
    for c in ("first_purchase", "last_purchase"):
        df[c] = a.column(c).cast(pa.int32()).to_numpy(zero_copy_only=False)
    return df[PROFILE_COLUMNS]


def _profile_columns(purchase_days: bool) -> list[str]:
    return [c for c in PROFILE_COLUMNS if purchase_days or c != "purchase_days"]


def profile_pandas(t: pa.Table, purchase_days: bool = True) -> pd.DataFrame:
    df = pd.DataFrame({
        "customer_id": t.column("customer_id").to_numpy(),
        "day": t.column("time").cast(pa.int64()).to_numpy() // US_PER_DAY,
        "amount": np.round(t.column("amount").to_numpy() * 100).astype(np.int64),  # cents
        "order_id": t.column("order_id").to_numpy(),
    })
    buy = df["amount"] >= 0
    every = df.groupby("customer_id").agg(transactions=("amount", "size"),
                                          monetary=("amount", "sum"))
    days = {"purchase_days": ("day", "nunique")} if purchase_days else {}
    b = df[buy].groupby("customer_id").agg(first_purchase=("day", "min"),
                                           last_purchase=("day", "max"),
                                           frequency=("order_id", "nunique"),
                                           **days,
                                           gross_sales=("amount", "sum"))
    r = df[~buy].groupby("customer_id").agg(returns=("order_id", "nunique"),
                                            returns_value=("amount", "sum"))
    out = every.join(b).join(r)
    out["returns_value"] = -out["returns_value"].fillna(0) / 100
    for c in ("frequency", "purchase_days", "returns"):
        if c in out:
            out[c] = out[c].fillna(0).astype(np.int64)
    out["gross_sales"] = out["gross_sales"].fillna(0) / 100
    out["monetary"] = out["monetary"] / 100
    return out.reset_index().sort_values("customer_id", ignore_index=True)[
        _profile_columns(purchase_days)]


def profile_polars(t: pa.Table, purchase_days: bool = True) -> pd.DataFrame:
    import polars as pl
    buy = pl.col("amount") >= 0
    days = [pl.col("day").filter(buy).n_unique().alias("purchase_days")] if purchase_days else []
    out = (
        pl.from_arrow(t).lazy()
        .with_columns((pl.col("time").cast(pl.Int64) // US_PER_DAY).alias("day"),
                      (pl.col("amount") * 100).round().cast(pl.Int64).alias("amount"))
        .group_by("customer_id")
        .agg(
            pl.col("day").filter(buy).min().alias("first_purchase"),
            pl.col("day").filter(buy).max().alias("last_purchase"),
            pl.col("order_id").filter(buy).n_unique().alias("frequency"),
            *days,
            pl.len().alias("transactions"),
            pl.col("order_id").filter(~buy).n_unique().alias("returns"),
            pl.col("amount").sum().alias("monetary"),
            pl.col("amount").filter(buy).sum().alias("gross_sales"),
            (-pl.col("amount").filter(~buy).sum()).alias("returns_value"),
        )
        .sort("customer_id")
        .collect()
    )
    df = out.to_pandas()[_profile_columns(purchase_days)]
    # cents to currency here: polars turns "/ 100" into "* 0.01", which is not correctly
    # rounded (255.64000000000001)
    for c in ("monetary", "gross_sales", "returns_value"):
        df[c] = df[c] / 100
    return df


def duckdb_profile_ctes(purchase_days: bool = True) -> str:
    """The profile in SQL: lines (days, whole cents) and one row of aggregates per customer."""
    days = "count(distinct day) filter (where amount >= 0) as purchase_days," if purchase_days else ""
    return f"""
        lines as (
          select customer_id, epoch_us(time) // {US_PER_DAY} as day,
                 round(amount * 100)::bigint as amount, order_id
          from tx),
        prof as (
          select customer_id,
                 min(day) filter (where amount >= 0) as first_purchase,
                 max(day) filter (where amount >= 0) as last_purchase,
                 count(distinct order_id) filter (where amount >= 0) as frequency,
                 {days}
                 count(*) as transactions,
                 count(distinct order_id) filter (where amount < 0) as returns,
                 sum(amount) / 100 as monetary,
                 coalesce(sum(amount) filter (where amount >= 0), 0) / 100 as gross_sales,
                 coalesce(-sum(amount) filter (where amount < 0), 0) / 100 as returns_value
          from lines group by customer_id)"""


def profile_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("tx", t)
    out = con.sql(f"with {duckdb_profile_ctes()} select * from prof order by customer_id").to_arrow_table()
    con.close()
    return out.to_pandas()[PROFILE_COLUMNS]


# --- profile + RFM quintiles + ABC ------------------------------------------------------------
# The same semantics everywhere: RFM cut points are the ceil(j n / 5)-th smallest values
# over customers with a purchase (inverted CDF), bins (c_{j-1}, c_j], recency reversed;
# ABC by value, bounds 80% / 95% of the positive total, a tie group takes the class that
# the value before its first member gives, non-positive values class "N". Shares are exact:
# tierkit sums on a 10^-9 decimal grid; the peers sum whole cents (the demo amounts are
# cents) and compare in integers.
SCORE_COLUMNS = ["customer_id", "r_score", "f_score", "m_score", "abc_class"]
K = 5


def rfm_abc_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    s = tk.score(p, tk.RFM(segments=None), tk.ABC()).to_arrow()
    df = pd.DataFrame({c: s.column(c).to_numpy(zero_copy_only=False) for c in SCORE_COLUMNS[:4]})
    df["abc_class"] = s.column("abc_class").to_pandas().to_numpy()  # categorical
    return df


def _scores_numpy(x: np.ndarray, higher_is_better: bool) -> np.ndarray:
    v = x[~np.isnan(x)]
    n = len(v)
    ranks = [int(np.ceil(j * n / K)) for j in range(1, K)]
    part = np.partition(v, [r - 1 for r in ranks])
    cuts = part[[r - 1 for r in ranks]]
    b = np.searchsorted(cuts, x, side="left")
    s = b + 1 if higher_is_better else K - b
    return np.where(np.isnan(x), 0, s)


def _abc_numpy(m: np.ndarray) -> np.ndarray:
    out = np.full(len(m), "N", dtype=object)
    cents = np.round(m * 100).astype(np.int64)
    pos = np.flatnonzero(cents > 0)
    order = pos[np.argsort(-cents[pos], kind="stable")]
    v = cents[order]
    before = np.cumsum(v) - v
    first = np.r_[True, v[1:] != v[:-1]]
    first_of_group = np.maximum.accumulate(np.where(first, np.arange(len(v)), 0))
    b, total = before[first_of_group] * 100, v.sum()
    out[order] = np.where(b >= 95 * total, "C", np.where(b >= 80 * total, "B", "A"))
    return out


def rfm_abc_pandas(t: pa.Table) -> pd.DataFrame:
    return _rfm_abc_pandas_frame(t)[SCORE_COLUMNS]


def _rfm_abc_pandas_frame(t: pa.Table) -> pd.DataFrame:
    """Scores with the metrics they came from (recency, frequency, monetary)."""
    prof = profile_pandas(t, purchase_days=False)
    scored = prof["first_purchase"].notna().to_numpy()
    # as_of is the day after the last line of any kind: take it from the data
    as_of = (t.column("time").cast(pa.int64()).to_numpy() // US_PER_DAY).max() + 1
    rec = np.where(scored, as_of - prof["last_purchase"].to_numpy(dtype=float), np.nan)
    freq = np.where(scored, prof["frequency"].to_numpy(dtype=float), np.nan)
    mon = np.where(scored, prof["monetary"].to_numpy(dtype=float), np.nan)
    return pd.DataFrame({"customer_id": prof["customer_id"].to_numpy(),
                         "r_score": _scores_numpy(rec, False), "f_score": _scores_numpy(freq, True),
                         "m_score": _scores_numpy(mon, True),
                         "abc_class": _abc_numpy(prof["monetary"].to_numpy(dtype=float)),
                         "recency": rec, "frequency": prof["frequency"].to_numpy(),
                         "monetary": prof["monetary"].to_numpy(dtype=float)})


def rfm_abc_polars(t: pa.Table) -> pd.DataFrame:
    return _rfm_abc_polars_frame(t).select(SCORE_COLUMNS).to_pandas()


def _rfm_abc_polars_frame(t: pa.Table):
    """A polars frame of the scores with recency, frequency and monetary."""
    import polars as pl
    prof = pl.from_pandas(profile_polars(t, purchase_days=False))
    as_of = (t.column("time").cast(pa.int64()).to_numpy() // US_PER_DAY).max() + 1
    prof = prof.with_columns((pl.lit(as_of) - pl.col("last_purchase")).alias("recency"))
    buyers = prof.filter(pl.col("last_purchase").is_not_null())
    n = buyers.height

    def cuts(col):
        s = buyers.get_column(col).sort()
        return [s[int(np.ceil(j * n / K)) - 1] for j in range(1, K)]

    def score(col, better):
        b = sum((pl.col(col) > c).cast(pl.Int32) for c in cuts(col))
        s = (b + 1) if better else (K - b)
        return pl.when(pl.col("last_purchase").is_null()).then(0).otherwise(s).alias(col[0] + "_score")

    out = prof.with_columns(score("recency", False), score("frequency", True), score("monetary", True))
    pos = (out.with_columns((pl.col("monetary") * 100).round().cast(pl.Int64).alias("cents"))
           .filter(pl.col("cents") > 0).sort("cents", descending=True)
           .with_columns((pl.col("cents").cum_sum() - pl.col("cents")).alias("before"))
           .with_columns((pl.col("before").min().over("cents") * 100).alias("first_before")))
    total = pos.get_column("cents").sum()
    pos = pos.with_columns(
        pl.when(pl.col("first_before") >= 95 * total).then(pl.lit("C"))
        .when(pl.col("first_before") >= 80 * total).then(pl.lit("B"))
        .otherwise(pl.lit("A")).alias("abc_class")).select("customer_id", "abc_class")
    out = (out.join(pos, on="customer_id", how="left")
           .with_columns(pl.col("abc_class").fill_null("N")).sort("customer_id"))
    return out.with_columns(pl.when(pl.col("last_purchase").is_null()).then(None)
                            .otherwise(pl.col("recency")).alias("recency"))


def rfm_abc_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("tx", t)
    out = con.sql(f"""with {_duckdb_rfm_abc_ctes()}
        select customer_id, r_score, f_score, m_score, abc_class from scores
        order by customer_id""").to_arrow_table()
    con.close()
    return out.to_pandas()[SCORE_COLUMNS]


def _duckdb_rfm_abc_ctes() -> str:
    """CTEs ending in `scores`: customer_id, r/f/m scores, abc_class, recency, frequency,
    monetary (recency null without purchases)."""
    # The ceil(j n / K)-th smallest value, j = 1..K-1, as a list.
    ranks = ", ".join(f"(n * {j} + {K - 1}) // {K}" for j in range(1, K))

    def cut_sql(col):
        return f"""
        (select list(x order by rn) from (
           select {col} as x, row_number() over (order by {col}) as rn, count(*) over () as n
           from buyers) where rn in ({ranks}))"""

    return f"""
        {duckdb_profile_ctes(purchase_days=False)},
        horizon as (select max(day) + 1 as as_of from lines),
        scored as (select p.*, (select as_of from horizon) - last_purchase as recency from prof p),
        buyers as (select * from scored where last_purchase is not null),
        cuts as (select {cut_sql('recency')} as rc, {cut_sql('frequency')} as fc,
                        {cut_sql('monetary')} as mc),
        rfm as (
          select s.customer_id,
                 case when last_purchase is null then 0 else
                   {K} - ((recency > rc[1])::int + (recency > rc[2])::int
                          + (recency > rc[3])::int + (recency > rc[4])::int) end as r_score,
                 case when last_purchase is null then 0 else
                   1 + (frequency > fc[1])::int + (frequency > fc[2])::int
                     + (frequency > fc[3])::int + (frequency > fc[4])::int end as f_score,
                 case when last_purchase is null then 0 else
                   1 + (monetary > mc[1])::int + (monetary > mc[2])::int
                     + (monetary > mc[3])::int + (monetary > mc[4])::int end as m_score,
                 monetary, frequency, case when last_purchase is null then null else recency end as recency
          from scored s, cuts),
        cents as (select customer_id, round(monetary * 100)::bigint as c from rfm),
        pos as (
          select customer_id, c,
                 sum(c) over (order by c desc rows between unbounded preceding and current row) - c as before
          from cents where c > 0),
        tot as (select sum(c) as total from pos),
        abc as (
          select customer_id,
                 case when first_before * 100 >= 95 * total then 'C'
                      when first_before * 100 >= 80 * total then 'B' else 'A' end as abc_class
          from (select customer_id, min(before) over (partition by c) as first_before from pos), tot),
        scores as (
          select r.customer_id, r.r_score, r.f_score, r.m_score, coalesce(a.abc_class, 'N') as abc_class,
                 r.recency, r.frequency, r.monetary
          from rfm r left join abc a using (customer_id))"""


# --- average daily balances per account and month --------------------------------------------
# Events: account_id, date, balance after the movement, rows in day order. The day's last
# balance closes it and carries forward; 0 before the first event; months from the first
# event's month to the day after the last event (a partial last month over its days).
BALANCE_COLUMNS = ["account_id", "period_start", "average_daily_balance"]


def balances_data(n: int, seed: int = 7) -> pa.Table:
    import tierkit as tk
    return tk.demo.bank(max(1, n // 10), n, seed=seed)["events"]


def balances_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    a = tk.average_daily_balances(t).to_arrow()
    return pd.DataFrame({"account_id": a.column(0).to_numpy(),
                         "period_start": a.column(1).cast(pa.int32()).to_numpy(),
                         "average_daily_balance": a.column(2).to_numpy()})


def _month_grid(first: int, through: int) -> tuple[np.ndarray, np.ndarray]:
    months = pd.period_range(pd.Timestamp(first, unit="D"), pd.Timestamp(through - 1, unit="D"), freq="M")
    starts = np.array([(m.start_time - pd.Timestamp(0)).days for m in months])
    ends = np.minimum(np.r_[starts[1:], through], through)
    return starts, ends


def balances_pandas(t: pa.Table) -> pd.DataFrame:
    df = pd.DataFrame({"account_id": t.column(0).to_numpy(),
                       "day": t.column(1).cast(pa.int32()).to_numpy().astype(np.int64),
                       "balance": t.column(2).to_numpy()})
    df = df.sort_values(["account_id", "day"], kind="stable")
    closing = df.drop_duplicates(["account_id", "day"], keep="last")
    first, through = int(df["day"].min()), int(df["day"].max()) + 1
    starts, ends = _month_grid(first, through)
    first = int(starts[0])
    nxt = closing.groupby("account_id")["day"].shift(-1).fillna(through).to_numpy(np.int64)
    day, bal = closing["day"].to_numpy(), closing["balance"].to_numpy()
    accounts = np.unique(closing["account_id"].to_numpy())
    acc_idx = np.searchsorted(accounts, closing["account_id"].to_numpy())
    out = np.zeros((len(accounts), len(starts)))
    for k, (lo, hi) in enumerate(zip(starts, ends)):
        overlap = np.clip(np.minimum(nxt, hi) - np.maximum(day, max(lo, first)), 0, None)
        out[:, k] = np.bincount(acc_idx, weights=bal * overlap, minlength=len(accounts)) / (hi - max(lo, first))
    return pd.DataFrame({"account_id": np.repeat(accounts, len(starts)),
                         "period_start": np.tile(starts, len(accounts)).astype(np.int32),
                         "average_daily_balance": out.ravel()})


def balances_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("ev", t)
    q = """
        with e as (select account_id, date::date as day, balance,
                          row_number() over () as rn from ev),
        closing as (
          select account_id, day, last(balance order by rn) as balance from e group by all),
        span as (select min(day) as first_day, max(day) + 1 as through from closing),
        intervals as (
          select account_id, day, balance,
                 coalesce(lead(day) over (partition by account_id order by day),
                          (select through from span)) as next_day from closing),
        months0 as (
          select m::date as m_start, least((m + interval 1 month)::date, (select through from span)) as m_end
          from range(date_trunc('month', (select first_day from span)),
                     (select through from span), interval 1 month) r(m)),
        months as (select m_start, m_end, m_end - m_start as days from months0),
        accounts as (select distinct account_id from closing)
        select a.account_id, (m.m_start - date '1970-01-01')::int as period_start,
               coalesce(sum(i.balance * greatest(0, least(i.next_day, m.m_end) - greatest(i.day, m.m_start))), 0)
                 / m.days as average_daily_balance
        from accounts a cross join months m
        left join intervals i on i.account_id = a.account_id
                             and i.day < m.m_end and i.next_day > m.m_start
        group by a.account_id, m.m_start, m.days order by a.account_id, period_start"""
    out = con.sql(q).to_arrow_table()
    con.close()
    return out.to_pandas()[BALANCE_COLUMNS]


# --- asset bands for customers --------------------------------------------------------------------
BAND_COLUMNS = ["customer_id", "asset_band"]
_CARDS = ["classic", "gold", "platinum", "diamond", "black"]


def bands_data(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.Generator(np.random.PCG64(seed))
    age = rng.integers(18, 86, n).astype(float)
    age[rng.random(n) < 0.02] = np.nan
    return pa.table({
        "customer_id": pa.array(np.arange(1, n + 1)),
        "adb": pa.array(np.round(rng.lognormal(np.log(30_000), 1.6, n), 2)),
        "age": pa.array(age),
        "card_spend": pa.array(np.round(rng.gamma(1.2, 20_000, n), 2)),
        "loan_balance": pa.array(np.where(rng.random(n) < 0.15,
                                          np.round(rng.lognormal(np.log(200_000), 0.8, n), 2), 0.0)),
        "margin_balance": pa.array(np.where(rng.random(n) < 0.05,
                                            np.round(rng.lognormal(np.log(20_000), 1.0, n), 2), 0.0)),
        "card_level": pa.array(np.array(_CARDS)[rng.integers(0, 5, n)]),
    })


def bands_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    s = tk.AssetBands.preset().fit_apply(t).to_arrow()
    return pd.DataFrame({"customer_id": s.column(0).to_numpy(),
                         "asset_band": s.column("asset_band").to_pandas()})  # categorical


def bands_pandas(t: pa.Table) -> pd.DataFrame:
    df = t.to_pandas()
    rank = df["card_level"].map({c: i + 1 for i, c in enumerate(_CARDS)})
    adb = df["adb"]
    staff = (adb >= 50_000) & (df["age"] < 60)
    other = (df["card_spend"] >= 50_000) | (df["loan_balance"] >= 300_000) | \
        (df["margin_balance"] >= 10_000) | (rank >= 2)
    band = np.select([adb >= 2_000_000, adb >= 200_000, adb >= 100_000, staff, other],
                     ["Private banking", "Wealth management", "Branch managed", "Branch staff",
                      "Maintained by other criteria"], "Not maintained")
    return pd.DataFrame({"customer_id": df["customer_id"].to_numpy(), "asset_band": band})


def bands_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("c", t)
    q = """
        select customer_id, case
          when adb >= 2000000 then 'Private banking'
          when adb >= 200000 then 'Wealth management'
          when adb >= 100000 then 'Branch managed'
          when adb >= 50000 and age < 60 then 'Branch staff'
          when card_spend >= 50000 or loan_balance >= 300000 or margin_balance >= 10000
               or card_level in ('gold', 'platinum', 'diamond', 'black') then 'Maintained by other criteria'
          else 'Not maintained' end as asset_band
        from c order by customer_id"""
    out = con.sql(q).to_arrow_table()
    con.close()
    return out.to_pandas()[BAND_COLUMNS]


# --- a 6-rule tier policy over customers ---------------------------------------------------------
TIER_COLUMNS = ["customer_id", "tier"]
_SEGMENTS = ["Champions", "Loyal Customers", "Potential Loyalist", "At Risk", "Lost"]
TIER_RULES = [
    ("Diamond", "monetary >= 100000 and frequency >= 12"),
    ("Gold", "segment in ('Champions', 'Loyal Customers') and recency <= 90"),
    ("Gold", "monetary between 50000 and 99999.99 and region <> 'north'"),
    ("Silver", "recency <= 180 and age is not null and age < 60"),
    ("Watch", "monetary / frequency > 5000"),
    ("Copper", "frequency >= 3 or segment = 'Potential Loyalist'"),
]


def policy_data(n: int, seed: int = 7) -> pa.Table:
    """n customers: metrics and scores as a tiering run has them (text columns as text)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    age = rng.integers(18, 90, n).astype(float)
    age[rng.random(n) < 0.05] = np.nan
    return pa.table({
        "customer_id": pa.array(np.arange(1, n + 1)),
        "monetary": pa.array(np.round(rng.lognormal(np.log(20_000), 1.4, n), 2)),
        "frequency": pa.array(rng.integers(0, 30, n)),
        "recency": pa.array(rng.integers(0, 1000, n)),
        "age": pa.array(age),
        "segment": pa.array(np.array(_SEGMENTS)[rng.integers(0, 5, n)]),
        "region": pa.array(np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]),
    })


def policy_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    a = tk.TierPolicy(TIER_RULES, default="Bronze").assign(t).to_arrow()
    return pd.DataFrame({"customer_id": a.column(0).to_numpy(),
                         "tier": a.column("tier").to_pandas()})  # categorical


def policy_pandas(t: pa.Table) -> pd.DataFrame:
    df = t.to_pandas()
    m, f, r, age = df["monetary"], df["frequency"], df["recency"], df["age"]
    masks = [
        (m >= 100_000) & (f >= 12),
        df["segment"].isin(["Champions", "Loyal Customers"]) & (r <= 90),
        m.between(50_000, 99_999.99) & (df["region"] != "north"),
        (r <= 180) & age.notna() & (age < 60),
        (f != 0) & (m / f.where(f != 0) > 5000),  # x / 0 is null, as in SQL
        (f >= 3) | (df["segment"] == "Potential Loyalist"),
    ]
    tier = np.select(masks, [name for name, _ in TIER_RULES], "Bronze")
    return pd.DataFrame({"customer_id": df["customer_id"].to_numpy(), "tier": tier})


def _duckdb_cases(rules) -> str:
    """The `when ... then ...` arms of a CASE for (tier, condition) rules. tierkit's x / 0 is
    null; DuckDB's is infinity, so the SQL says nullif."""
    sql = [(name, cond.replace("monetary / frequency", "monetary / nullif(frequency, 0)"))
           for name, cond in rules]
    return "\n".join(f"when {cond} then '{name}'" for name, cond in sql)


def policy_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("c", t)
    cases = _duckdb_cases(TIER_RULES)
    out = con.sql(f"select customer_id, case {cases} else 'Bronze' end as tier "
                  "from c order by customer_id").to_arrow_table()
    con.close()
    return out.to_pandas()[TIER_COLUMNS]


# --- the full job: profile + RFM quintiles + ABC + a 6-rule tier policy ----------------------
# The rules read the scores and the profile metrics; customers without purchases have no
# recency and no scores (null in tierkit, 0 or null in the peers: no rule below tells them
# apart), and x / 0 is null (DuckDB's is infinity: it says nullif).
FULL_RULES = [
    ("Diamond", "abc_class = 'A' and r_score >= 4 and f_score >= 4"),
    ("Gold", "abc_class = 'A' or (monetary >= 2000 and frequency >= 8)"),
    ("Gold", "m_score = 5 and recency <= 90"),
    ("Silver", "abc_class = 'B' and recency between 0 and 180"),
    ("Watch", "monetary / frequency > 500"),
    ("Copper", "frequency >= 2 or r_score >= 3"),
]


def full_tierkit(t: pa.Table) -> pd.DataFrame:
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    s = tk.score(p, tk.RFM(segments=None), tk.ABC())
    a = tk.TierPolicy(FULL_RULES, default="Bronze").assign(p, s).to_arrow()
    return pd.DataFrame({"customer_id": a.column(0).to_numpy(),
                         "tier": a.column("tier").to_pandas()})


def full_pandas(t: pa.Table) -> pd.DataFrame:
    df = _rfm_abc_pandas_frame(t)
    a, r, f, m = df["abc_class"], df["r_score"], df["f_score"], df["m_score"]
    rec, freq, mon = df["recency"], df["frequency"], df["monetary"]
    masks = [
        (a == "A") & (r >= 4) & (f >= 4),
        (a == "A") | ((mon >= 2000) & (freq >= 8)),
        (m == 5) & (rec <= 90),
        (a == "B") & rec.between(0, 180),
        (freq != 0) & (mon / freq.where(freq != 0) > 500),
        (freq >= 2) | (r >= 3),
    ]
    tier = np.select(masks, [name for name, _ in FULL_RULES], "Bronze")
    return pd.DataFrame({"customer_id": df["customer_id"].to_numpy(), "tier": tier})


def full_polars(t: pa.Table) -> pd.DataFrame:
    import polars as pl
    df = _rfm_abc_polars_frame(t)
    a, r, f, m = pl.col("abc_class"), pl.col("r_score"), pl.col("f_score"), pl.col("m_score")
    rec, freq, mon = pl.col("recency"), pl.col("frequency"), pl.col("monetary")
    conds = [
        (a == "A") & (r >= 4) & (f >= 4),
        (a == "A") | ((mon >= 2000) & (freq >= 8)),
        (m == 5) & (rec <= 90),
        (a == "B") & rec.is_between(0, 180),
        (freq != 0) & (mon / freq > 500),
        (freq >= 2) | (r >= 3),
    ]
    expr = pl.when(conds[0]).then(pl.lit(FULL_RULES[0][0]))
    for cond, (name, _) in zip(conds[1:], FULL_RULES[1:]):
        expr = expr.when(cond).then(pl.lit(name))
    out = df.select("customer_id", expr.otherwise(pl.lit("Bronze")).alias("tier"))
    return out.to_pandas()


def full_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("tx", t)
    cases = _duckdb_cases(FULL_RULES)
    out = con.sql(f"""with {_duckdb_rfm_abc_ctes()}
        select customer_id, case {cases} else 'Bronze' end as tier
        from scores order by customer_id""").to_arrow_table()
    con.close()
    return out.to_pandas()[TIER_COLUMNS]


JOBS = {
    "profile": {
        "tierkit": profile_tierkit,
        "pandas": profile_pandas,
        "polars": profile_polars,
        "duckdb": profile_duckdb,
    },
    "rfm_abc": {
        "tierkit": rfm_abc_tierkit,
        "pandas": rfm_abc_pandas,
        "polars": rfm_abc_polars,
        "duckdb": rfm_abc_duckdb,
    },
    "balances": {
        "tierkit": balances_tierkit,
        "pandas": balances_pandas,
        "duckdb": balances_duckdb,
    },
    "bands": {
        "tierkit": bands_tierkit,
        "pandas": bands_pandas,
        "duckdb": bands_duckdb,
    },
    "policy": {
        "tierkit": policy_tierkit,
        "pandas": policy_pandas,
        "duckdb": policy_duckdb,
    },
    "full": {
        "tierkit": full_tierkit,
        "pandas": full_pandas,
        "polars": full_polars,
        "duckdb": full_duckdb,
    },
}

from jobs_history import HISTORY_JOBS  # noqa: E402  (24 monthly re-assessments with grace)

JOBS["history"] = HISTORY_JOBS

# Jobs that read other data than the transactions table (n = events or customers).
DATA = {"balances": balances_data, "bands": bands_data, "policy": policy_data}


def check_same(job: str, reference: pd.DataFrame, other: pd.DataFrame, engine: str) -> None:
    """Raise AssertionError unless `other` gives the same answer as `reference`."""
    assert len(reference) == len(other), f"{job}/{engine}: {len(other)} customers, " \
                                         f"expected {len(reference)}"
    for c in reference.columns:
        if c in ("abc_class", "asset_band", "tier") or not pd.api.types.is_numeric_dtype(reference[c]):
            np.testing.assert_array_equal(other[c].astype(str).to_numpy(),
                                          reference[c].astype(str).to_numpy(),
                                          err_msg=f"{job}/{engine}: column {c}")
            continue
        a = reference[c].to_numpy(dtype=np.float64, na_value=np.nan)
        b = other[c].to_numpy(dtype=np.float64, na_value=np.nan)
        if c in ("r_score", "f_score", "m_score"):
            a, b = np.nan_to_num(a), np.nan_to_num(b)  # unscored: null (tierkit) or 0
        if c == "average_daily_balance":  # peers sum float products; tierkit sums exactly
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-6, err_msg=f"{job}/{engine}: column {c}")
            continue
        # Money too must agree exactly: every engine sums exactly (see the module doc).
        np.testing.assert_array_equal(b, a, err_msg=f"{job}/{engine}: column {c}")
