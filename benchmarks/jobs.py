"""The benchmark jobs: the same computation written for tierkit and for each peer.

Every implementation receives the same in-memory pyarrow Table (demo data: customer_id,
time as timestamp[us, UTC], amount, order_id) and returns a pandas DataFrame sorted by
customer with the columns of `PROFILE_COLUMNS`, so that answers can be compared.

The profile job: per customer, first and last purchase day, frequency (distinct orders
with a purchase line), purchase days (distinct days with a purchase line), lines, returns
(distinct orders with a return line), net, gross and returned value. A purchase line has
amount >= 0; days are UTC calendar days.
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


def profile_pandas(t: pa.Table) -> pd.DataFrame:
    df = pd.DataFrame({
        "customer_id": t.column("customer_id").to_numpy(),
        "day": t.column("time").cast(pa.int64()).to_numpy() // US_PER_DAY,
        "amount": t.column("amount").to_numpy(),
        "order_id": t.column("order_id").to_numpy(),
    })
    buy = df["amount"] >= 0
    every = df.groupby("customer_id").agg(transactions=("amount", "size"),
                                          monetary=("amount", "sum"))
    b = df[buy].groupby("customer_id").agg(first_purchase=("day", "min"),
                                           last_purchase=("day", "max"),
                                           frequency=("order_id", "nunique"),
                                           purchase_days=("day", "nunique"),
                                           gross_sales=("amount", "sum"))
    r = df[~buy].groupby("customer_id").agg(returns=("order_id", "nunique"),
                                            returns_value=("amount", "sum"))
    out = every.join(b).join(r)
    out["returns_value"] = -out["returns_value"].fillna(0.0)
    for c in ("frequency", "purchase_days", "returns"):
        out[c] = out[c].fillna(0).astype(np.int64)
    out["gross_sales"] = out["gross_sales"].fillna(0.0)
    return out.reset_index().sort_values("customer_id", ignore_index=True)[PROFILE_COLUMNS]


def profile_polars(t: pa.Table) -> pd.DataFrame:
    import polars as pl
    buy = pl.col("amount") >= 0
    out = (
        pl.from_arrow(t).lazy()
        .with_columns((pl.col("time").cast(pl.Int64) // US_PER_DAY).alias("day"))
        .group_by("customer_id")
        .agg(
            pl.col("day").filter(buy).min().alias("first_purchase"),
            pl.col("day").filter(buy).max().alias("last_purchase"),
            pl.col("order_id").filter(buy).n_unique().alias("frequency"),
            pl.col("day").filter(buy).n_unique().alias("purchase_days"),
            pl.len().alias("transactions"),
            pl.col("order_id").filter(~buy).n_unique().alias("returns"),
            pl.col("amount").sum().alias("monetary"),
            pl.col("amount").filter(buy).sum().alias("gross_sales"),
            (-pl.col("amount").filter(~buy).sum()).alias("returns_value"),
        )
        .sort("customer_id")
        .collect()
    )
    return out.to_pandas()[PROFILE_COLUMNS]


def profile_duckdb(t: pa.Table) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect()
    con.register("tx", t)
    q = f"""
        with lines as (
          select customer_id, epoch_us(time) // {US_PER_DAY} as day, amount, order_id
          from tx)
        select customer_id,
               min(day) filter (where amount >= 0) as first_purchase,
               max(day) filter (where amount >= 0) as last_purchase,
               count(distinct order_id) filter (where amount >= 0) as frequency,
               count(distinct day) filter (where amount >= 0) as purchase_days,
               count(*) as transactions,
               count(distinct order_id) filter (where amount < 0) as returns,
               sum(amount) as monetary,
               coalesce(sum(amount) filter (where amount >= 0), 0) as gross_sales,
               coalesce(-sum(amount) filter (where amount < 0), 0) as returns_value
        from lines group by customer_id order by customer_id"""
    out = con.execute(q).to_arrow_table()
    con.close()
    return out.to_pandas()[PROFILE_COLUMNS]


JOBS = {
    "profile": {
        "tierkit": profile_tierkit,
        "pandas": profile_pandas,
        "polars": profile_polars,
        "duckdb": profile_duckdb,
    },
}


def check_same(job: str, reference: pd.DataFrame, other: pd.DataFrame, engine: str) -> None:
    """Raise AssertionError unless `other` gives the same answer as `reference`."""
    assert len(reference) == len(other), f"{job}/{engine}: {len(other)} customers, " \
                                         f"expected {len(reference)}"
    for c in reference.columns:
        a = reference[c].to_numpy(dtype=np.float64, na_value=np.nan)
        b = other[c].to_numpy(dtype=np.float64, na_value=np.nan)
        if c in ("monetary", "gross_sales", "returns_value"):
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-6,
                                       err_msg=f"{job}/{engine}: column {c}")
        else:
            np.testing.assert_array_equal(b, a, err_msg=f"{job}/{engine}: column {c}")
