"""tierkit on PySpark: a Spark DataFrame of transactions in, Spark DataFrames out, with the
answers of one process. DataFrame API only (mapInArrow), so it runs under Spark Connect too.

    import tierkit.spark as tks
    prof = tks.profile(df, customer="customer_id", time="time", amount="amount")
    model = tks.fit(tk.RFM(), prof)                       # exact one-process cut points
    scores = tks.apply(model, tks.to_spark(spark, prof))  # scored per partition
    result = tks.run(tk.Tiering.from_file("policy.yaml"), df)
    result.tiers                                          # a Spark DataFrame

How: every partition becomes a ``ProfileBuilder`` state, sent to the driver as bytes (one
binary row per partition) and merged there (``merge`` is exact, so any partitioning gives
the single-pass profile). Strategies are fitted on that profile, so cut points and ABC
thresholds are the one-process ones by construction; the fitted models travel to the
executors as bytes inside the task closure. ``run`` repartitions the transactions by
customer and tiers each partition with the frozen models and the job's as_of.

Spark hands time-zone-aware timestamps in the session's time zone (spark.sql.session.timeZone);
days are cut in that zone unless time_zone is given, as tk.profile does with the column's own
zone. Needs ``pip install 'tierkit[spark]'`` and Java 17; imported only when used.
"""
from __future__ import annotations

import pyarrow as pa

from ._errors import InvalidInput, SchemaError
from ._optional import require
from .profile import Profile, ProfileBuilder
from .tiering import Tiering

_ROLE_NAMES = ("customer", "time", "amount", "order", "quantity", "channel", "category")
_SETTINGS = ("as_of", "window_start", "time_zone", "period", "spend_series", "purchase_days",
             "on_invalid", "valid_dates", "threads")


def _check_frame(df, roles: dict, what: str) -> None:
    sql = require("pyspark.sql", what)
    ok = isinstance(df, sql.DataFrame)
    if not ok:
        try:  # Spark Connect's DataFrame is another class
            from pyspark.sql.connect.dataframe import DataFrame as ConnectFrame
            ok = isinstance(df, ConnectFrame)
        except ImportError:
            pass
    if not ok:
        raise InvalidInput(f"{what}: expected a pyspark.sql.DataFrame; got "
                           f"{type(df).__module__}.{type(df).__name__}")
    names = df.columns
    for role, col in roles.items():
        if col is not None and col not in names:
            from ._arrow import missing_column
            raise missing_column(col, names, role, what)
    # Types checked on the driver, before any task: a wrong one would otherwise surface as
    # an executor's Python traceback inside a Java exception.
    from pyspark.sql import types as T
    wanted = {"time": ((T.DateType, T.TimestampType, T.TimestampNTZType), "dates or timestamps"),
              "amount": ((T.NumericType,), "numbers"), "quantity": ((T.NumericType,), "numbers"),
              "customer": ((T.IntegralType, T.StringType), "integers or text"),
              "order": ((T.IntegralType, T.StringType), "integers or text"),
              "channel": ((T.IntegralType, T.StringType), "integers or text"),
              "category": ((T.IntegralType, T.StringType), "integers or text")}
    fields = {f.name: f.dataType for f in df.schema.fields}
    for role, col in roles.items():
        if col is None or role not in wanted:
            continue
        kinds, text = wanted[role]
        if not isinstance(fields[col], kinds):
            raise SchemaError(f"{what}: the {role} column {col!r} is {fields[col].simpleString()}; "
                              f"expected {text} (cast it, e.g. df.withColumn({col!r}, "
                              f"df[{col!r}].cast(...)))")


def _roles(kwargs: dict) -> dict:
    roles = {k: kwargs.get(k, d) for k, d in (("customer", "customer_id"), ("time", "time"),
                                              ("amount", "amount"))}
    roles.update({k: kwargs.get(k) for k in _ROLE_NAMES if k not in roles})
    return roles


def _state_fn(kwargs: dict):
    def states(batches):
        b = ProfileBuilder(**kwargs)
        for batch in batches:
            if batch.num_rows:
                b.update(batch)
        yield pa.record_batch([pa.array([b.to_bytes()], pa.binary())], names=["state"])
    return states


def builder(df, **kwargs) -> ProfileBuilder:
    """The merged ProfileBuilder of all partitions of a Spark DataFrame of transactions."""
    roles = _roles(kwargs)
    _check_frame(df, roles, "tierkit.spark.profile")
    unknown = set(kwargs) - set(_ROLE_NAMES) - set(_SETTINGS)
    if unknown:
        raise InvalidInput(f"tierkit.spark.profile: unknown arguments {', '.join(sorted(unknown))}")
    ProfileBuilder(**kwargs)  # settings checked before any task is sent
    cols = [c for c in dict.fromkeys(roles.values()) if c]
    sel = df.select(*cols)
    rows = sel.mapInArrow(_state_fn(kwargs), "state binary").collect()
    # Every partition sends one state, also an empty one: fewer means the driver lost some
    # (a driver out of memory can end the result stream early without an error here).
    try:
        expected = sel.rdd.getNumPartitions()
    except Exception:  # Spark Connect has no RDDs: nothing to compare with
        expected = None
    if expected is not None and len(rows) != expected:
        raise InvalidInput(f"tierkit.spark.profile: the driver received {len(rows):,} of "
                           f"{expected:,} partition states; it may have run out of memory "
                           "(see spark.driver.memory and spark.driver.maxResultSize; the "
                           "states take about 200 bytes a customer)")
    out = None
    for r in rows:
        b = ProfileBuilder.from_bytes(bytes(r["state"]))
        out = b if out is None else out.merge(b)
    return out if out is not None else ProfileBuilder(**kwargs)


def profile(df, **kwargs) -> Profile:
    """tk.profile over a Spark DataFrame of transactions (same arguments): the exact
    single-process profile, from per-partition states merged on the driver."""
    b = builder(df, **kwargs)
    if b._core_state is None or b.rows_read == 0:
        raise InvalidInput("tierkit.spark.profile: the DataFrame has no rows")
    return b.finish()


def fit(strategy, data, **kwargs):
    """A strategy fitted on the whole data: a Profile, or a Spark DataFrame of transactions
    (profiled first with kwargs). Cut points and thresholds are the one-process ones."""
    if not (hasattr(strategy, "fit") and callable(strategy.fit)):
        raise InvalidInput(f"tierkit.spark.fit: {type(strategy).__name__} has no fit(data) method")
    return strategy.fit(data if isinstance(data, Profile) else profile(data, **kwargs))


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns as their values (Spark has no dictionary type)."""
    return pa.table({n: (c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c)
                     for n, c in zip(table.column_names, table.columns)})


def _spark_schema(table: pa.Table):
    from pyspark.sql.pandas.types import from_arrow_schema
    return from_arrow_schema(_plain(table).schema)


def to_spark(spark, prof: Profile):
    """A profile as a Spark DataFrame."""
    if not isinstance(prof, Profile):
        raise InvalidInput(f"tierkit.spark.to_spark: expected a tierkit.Profile; got {type(prof).__name__}")
    t = _plain(prof.to_arrow())
    try:
        return spark.createDataFrame(t)  # Spark 4 reads Arrow tables directly
    except (TypeError, ValueError):
        return spark.createDataFrame(t.to_pandas(), schema=_spark_schema(t))


def apply(model, df, key: str | None = None):
    """model.apply per partition of a Spark DataFrame of per-customer metrics (a profile
    from to_spark, or a keyed table): a Spark DataFrame of the model's output."""
    if not (hasattr(model, "apply") and callable(model.apply)):
        raise InvalidInput(f"tierkit.spark.apply: {type(model).__name__} has no apply(data) method")
    key = key or df.columns[0]
    _check_frame(df, {"key": key}, "tierkit.spark.apply")
    sample = df.limit(16).toArrow() if hasattr(df, "toArrow") else pa.Table.from_pandas(df.limit(16).toPandas())
    if not sample.num_rows:
        raise InvalidInput("tierkit.spark.apply: the DataFrame has no rows")
    schema = _spark_schema(model.apply(sample, key=key).to_arrow())

    def scored(batches):
        for batch in batches:
            if batch.num_rows:
                yield from _plain(model.apply(pa.Table.from_batches([batch]), key=key).to_arrow()).to_batches()
    return df.mapInArrow(scored, schema)


class SparkTieringResult:
    """What tierkit.spark.run produced: the fitted models (the one-process ones), the
    profile's report, and the tiers as a Spark DataFrame (one row per customer)."""

    def __init__(self, models: dict, report: dict, tiers, as_of):
        self.models, self.report, self.tiers, self.as_of = models, report, tiers, as_of

    def __repr__(self) -> str:
        return f"<tierkit SparkTieringResult: models {', '.join(self.models) or 'none'}; as of {self.as_of}>"


def run(job: Tiering, df, *, as_of=None, threads: int | None = 1,
        partitions: int | None = None) -> SparkTieringResult:
    """A tier policy over a Spark DataFrame of transactions: strategies fitted on the merged
    profile (exact cut points), then the transactions repartitioned by customer and every
    partition tiered with those frozen models and the job's as_of. threads: per task."""
    if not isinstance(job, Tiering):
        raise InvalidInput(f"tierkit.spark.run: expected a tierkit.Tiering; got {type(job).__name__}")
    if job.transactions.get("derive"):
        raise InvalidInput("tierkit.spark.run: policy files with derived columns are not supported "
                           "on Spark; add the columns (df.withColumn) and name them")
    settings = job.profile_settings(as_of)
    roles = {k: settings.pop(k) for k in _ROLE_NAMES if k in settings}
    _check_frame(df, roles, "tierkit.spark.run")
    prof = profile(df, **roles, **settings, threads=threads)
    whole = job.run(prof, threads=threads)
    models, fixed = whole.models, prof.as_of
    schema = _spark_schema(whole.tiers.to_arrow().slice(0, 0))
    cols = [c for c in dict.fromkeys(roles.values()) if c]
    # Default partitions: spark.sql.shuffle.partitions, as any repartition by column.
    sel = df.select(*cols)
    parts = sel.repartition(partitions, roles["customer"]) if partitions else sel.repartition(roles["customer"])

    def tiers(batches):
        batches = [b for b in batches if b.num_rows]
        if batches:
            table = pa.Table.from_batches(batches)
            res = job.run(table, as_of=fixed, models=models, threads=threads)
            yield from _plain(res.tiers.to_arrow()).to_batches()
    return SparkTieringResult(models, whole.report, parts.mapInArrow(tiers, schema), fixed)


__all__ = ["profile", "builder", "fit", "apply", "to_spark", "run", "SparkTieringResult"]
