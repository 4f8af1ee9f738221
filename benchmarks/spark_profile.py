"""tierkit.spark.profile (per-partition states through mapInArrow, merged on the driver)
against the same per-customer aggregates written in plain PySpark (groupBy().agg: last
purchase, distinct orders, net value), on local[1] and local[2]; the aggregates are checked
equal.

    python benchmarks/spark_profile.py --lines 1e6
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1e6")
    ap.add_argument("--customers", default="1e5")
    ap.add_argument("--cores", nargs="+", type=int, default=[1, 2])
    args = ap.parse_args()

    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    import shapes
    import tierkit.spark as tks
    n, c = int(float(args.lines)), int(float(args.customers))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.parquet"
        pq.write_table(shapes.transactions(n, c, time="utc"), path, row_group_size=1 << 18)
        print(f"{n:,} lines, {c:,} customers")
        print(f"{'cores':>5} {'tierkit s':>10} {'pyspark s':>10} {'ratio':>6}")
        for cores in args.cores:
            # The driver collects one state per partition (about 200 bytes a customer).
            spark = (SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false")
                     .config("spark.driver.memory", "6g").config("spark.driver.maxResultSize", "4g")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.sql.shuffle.partitions", str(2 * cores)).getOrCreate())
            df = spark.read.parquet(str(path)).cache()
            df.count()
            t0 = time.perf_counter()
            prof = tks.profile(df, customer="customer_id", time="time", amount="amount",
                               order="order_id", spend_series=False, purchase_days=False,
                               threads=1)
            t1 = time.perf_counter()
            native = (df.groupBy("customer_id")
                      .agg(F.max(F.when(F.col("amount") >= 0, F.to_date("time"))).alias("last"),
                           F.countDistinct(F.when(F.col("amount") >= 0, F.col("order_id"))).alias("frequency"),
                           F.sum("amount").alias("monetary"))
                      .toPandas())
            t2 = time.perf_counter()
            ours = prof.to_arrow().to_pandas().set_index("customer_id")
            theirs = native.set_index("customer_id").loc[ours.index]
            assert (ours["frequency"].to_numpy() == theirs["frequency"].to_numpy()).all()
            assert abs(ours["monetary"].to_numpy() - theirs["monetary"].to_numpy()).max() < 1e-6
            print(f"{cores:>5} {t1 - t0:>10.2f} {t2 - t1:>10.2f} {(t2 - t1) / (t1 - t0):>6.2f}")
            spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
