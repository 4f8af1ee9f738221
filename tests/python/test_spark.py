"""tierkit.spark on local[2]: profiles, cut points, scores and tiers identical to one
process for several partitionings. Skips without pyspark or Java."""
from __future__ import annotations

import shutil
import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest

if "asan" in os.environ.get("LD_PRELOAD", ""):
    # The suite's sanitizer run preloads the ASan runtime into every child process (the JVM,
    # Dask's worker processes); the engine adapters call the same bindings that the other
    # tests run under ASan, so they run in the plain suite only.
    pytest.skip("engine tests do not run with the ASan runtime preloaded", allow_module_level=True)

pytest.importorskip("pyspark", reason="tierkit[spark] not installed")
if shutil.which("java") is None:
    pytest.skip("no java on PATH (Spark needs Java 17)", allow_module_level=True)

import tierkit as tk  # noqa: E402
import tierkit.spark as tks  # noqa: E402

ROLES = dict(customer="customer_id", time="time", amount="amount", order="order_id")
POLICY = Path(tk.__file__).parent / "policies" / "demo.yaml"


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession
    # Tasks run this interpreter, so they import the tierkit under test, not another one
    # installed for whatever `python3` is first on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    s = (SparkSession.builder.master("local[2]").appName("tierkit-tests")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.shuffle.partitions", "3")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .getOrCreate())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def data(spark):
    t = tk.demo.transactions(300, 5_000, seed=5)
    t = pa.table({c: (t.column(c).cast(t.column(c).type.value_type) if pa.types.is_dictionary(t.column(c).type)
                      else t.column(c)) for c in t.column_names})
    df = spark.createDataFrame(t.to_pandas())
    # The one-process reference reads exactly what Spark hands its tasks.
    return df, df.toArrow()


@pytest.mark.parametrize("parts", [1, 4])
def test_profile_cut_points_and_scores_equal_one_process(spark, data, parts):
    df, ref = data
    want = tk.profile(ref, **ROLES)
    got = tks.profile(df.repartition(parts), **ROLES)
    assert got.to_arrow().equals(want.to_arrow())
    assert got.report == want.report
    model = tks.fit(tk.RFM(), got)
    assert model.to_bytes() == tk.RFM().fit(want).to_bytes()
    assert tks.fit(tk.ABC(), df, **ROLES).to_bytes() == tk.ABC().fit(want).to_bytes()
    scored = tks.apply(model, tks.to_spark(spark, got).repartition(3), key="customer_id").toPandas()
    scored = scored.sort_values("customer_id").reset_index(drop=True)
    ref_scores = model.apply(want).to_arrow().to_pandas()
    for c in ("customer_id", "r_score", "f_score", "m_score"):
        assert scored[c].tolist() == ref_scores[c].tolist()


def test_valid_dates_reach_every_task(spark, data):
    df, ref = data
    narrow = dict(valid_dates=("2022-01-01", "2022-12-31"), on_invalid="drop")
    want = tk.profile(ref, **ROLES, **narrow)
    got = tks.profile(df.repartition(3), **ROLES, **narrow)
    assert got.to_arrow().equals(want.to_arrow()) and got.report == want.report
    assert got.report.rows_dropped > 0


def test_run_gives_one_process_tiers(spark, data):
    df, ref = data
    job = tk.Tiering.from_file(POLICY)
    want = job.run(ref, as_of="2025-01-01").tiers.to_arrow().to_pandas()
    res = tks.run(job, df.repartition(3), as_of="2025-01-01", partitions=2)
    got = res.tiers.toPandas().sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(want)
    for c in want.columns:
        assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), c


def test_wrong_types_and_columns_are_named(spark, data):
    df, _ = data
    with pytest.raises(tk.SchemaError, match="'spend'"):
        tks.profile(df, customer="customer_id", time="time", amount="spend")
    with pytest.raises(tk.InvalidInput, match="expected a pyspark.sql.DataFrame"):
        tks.profile(data[1])
    bad = df.withColumn("amount", df["amount"].cast("string"))
    with pytest.raises(tk.SchemaError, match=r"amount column 'amount' .*expected numbers"):
        tks.profile(bad, **ROLES)
