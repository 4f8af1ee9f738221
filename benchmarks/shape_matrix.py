"""The shape matrix: the profile job and the full job (profile + RFM quintile scores) on
transactions of many shapes, in tierkit, polars (lazy) and DuckDB (SQL), answers checked
equal in every cell, each cell's times also as a multiple of the floor.

    python benchmarks/shape_matrix.py                       # every cell, 10^7 lines
    python benchmarks/shape_matrix.py --lines 1e6 --repeat 1 --cells 0 5
    python benchmarks/shape_matrix.py --plot docs/images/shape-matrix.png

The data come from benchmarks/shapes.py (independent of tk.demo). The cells vary one factor
at a time from a base of 4*10^5 uniform customers, day-ordered rows, dense ids and
time-zone-aware timestamps (Asia/Shanghai), plus the combinations users meet most (heavy
skew with shuffled rows and text ids; many customers shuffled). The headline is the worst
cell, not the best.

Jobs, the same semantics in every engine:
- profile: per customer, first and last purchase day (calendar days in the time column's
  own zone; the day itself for date32), frequency (distinct orders with a purchase line,
  amount >= 0) and monetary (the sum of all lines; compared in whole cents, the amounts
  being whole cents: the peers sum cents as integers, tierkit on its 10^-9 decimal grid);
- full: the profile, then R, F and M scores 1-5 over the customers with a purchase: cut
  points the ceil(j n / 5)-th smallest value, bins (c_{j-1}, c_j], recency reversed, as_of
  the day after the last line; customers without a purchase score 0.

The floor: one pass over the same input columns (every value read once: sums of the
integer columns, of the text columns' lengths, of the amounts), in Arrow's C++ kernels on
both cores (the chunks split between two threads).

Each cell runs in its own process, which generates the cell's data once and runs every
engine `repeat` times, alternating engines so that load changes hit all of them; the
median is reported. Results go to benchmarks/results/shape-matrix-<lines>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

K = 5
BASE = dict(customers=400_000, skew="uniform", order="day", ids="dense", time="tz")
CELLS = [
    dict(BASE, customers=1_000),
    dict(BASE, customers=100_000),
    dict(BASE),
    dict(BASE, customers=2_500_000),
    dict(BASE, skew="heavy"),
    dict(BASE, order="shuffled"),
    dict(BASE, ids="sparse"),
    dict(BASE, ids="text"),
    dict(BASE, time="date"),
    dict(BASE, time="utc"),
    dict(BASE, customers=75_000, skew="heavy", order="shuffled"),
    dict(BASE, skew="heavy", order="shuffled", ids="text"),
    dict(BASE, order="shuffled", ids="text"),
    dict(BASE, customers=2_500_000, order="shuffled"),
    dict(BASE, customers=2_500_000, order="shuffled", ids="text"),
]
ENGINES = ["tierkit", "polars", "duckdb"]
JOBS = ["profile", "full"]


def label(cell: dict) -> str:
    return (f"{cell['customers']:>9,} {cell['skew']:<7} {cell['order']:<8} {cell['ids']:<6} "
            f"{cell['time']:<4}")


# --- the floor --------------------------------------------------------------------------------
def _column_pass(col: pa.ChunkedArray) -> float:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return pc.sum(pc.binary_length(col)).as_py() or 0
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        col = col.cast(pa.int64() if pa.types.is_timestamp(col.type) else pa.int32())
    return pc.sum(col).as_py() or 0


def floor(t: pa.Table) -> None:
    """Every value of every input column read once, the rows split between two threads."""
    half = t.num_rows // 2
    parts = [t.slice(0, half), t.slice(half)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda part: [_column_pass(part.column(c)) for c in part.column_names], parts))


# --- the jobs -----------------------------------------------------------------------------------
def _as_frame(keys, first, last, freq, cents) -> dict:
    """Answers as numpy arrays ordered by key, for comparison."""
    keys = np.asarray(keys)
    order = np.argsort(keys, kind="stable")
    return {"key": keys[order], "first": np.asarray(first, dtype=np.float64)[order],
            "last": np.asarray(last, dtype=np.float64)[order],
            "frequency": np.asarray(freq, dtype=np.int64)[order],
            "cents": np.asarray(cents, dtype=np.int64)[order]}


def _scores(x: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """The reference scoring for the answers' check (not timed)."""
    v = np.sort(x[~np.isnan(x)])
    cuts = v[[int(np.ceil(j * len(v) / K)) - 1 for j in range(1, K)]]
    b = np.searchsorted(cuts, x, side="left")
    s = b + 1 if higher_is_better else K - b
    return np.where(np.isnan(x), 0, s)


def tierkit_job(t: pa.Table, job: str):
    import tierkit as tk
    p = tk.profile(t, order="order_id", spend_series=False, purchase_days=False)
    if job == "profile":
        return p
    return p, tk.RFM(segments=None).fit_apply(p)


def tierkit_answer(result, job: str) -> dict:
    p = result if job == "profile" else result[0]
    a = p.to_arrow()
    first = pc.cast(a.column("first_purchase"), pa.int32()).to_numpy(zero_copy_only=False)
    last = pc.cast(a.column("last_purchase"), pa.int32()).to_numpy(zero_copy_only=False)
    out = _as_frame(a.column(p.key_name).to_numpy(zero_copy_only=False), first, last,
                    a.column("frequency").to_numpy(),
                    np.round(a.column("monetary").to_numpy(zero_copy_only=False) * 100))
    if job == "full":
        s = result[1].to_arrow()
        keys = s.column(p.key_name).to_numpy(zero_copy_only=False)
        order = np.argsort(keys, kind="stable")
        for c in ("r_score", "f_score", "m_score"):
            out[c] = s.column(c).fill_null(0).to_numpy(zero_copy_only=False)[order].astype(np.int64)
    return out


def polars_job(t: pa.Table, job: str):
    import polars as pl
    buy = pl.col("amount") >= 0
    if pa.types.is_timestamp(t.schema.field("time").type):
        day = pl.col("time").dt.date().cast(pl.Int32)          # the column's own zone
    else:
        day = pl.col("time").cast(pl.Int32)
    lines = pl.from_arrow(t).lazy().with_columns(
        day.alias("day"), (pl.col("amount") * 100).round().cast(pl.Int64).alias("cents"))
    prof = lines.group_by("customer_id").agg(
        pl.col("day").filter(buy).min().alias("first"),
        pl.col("day").filter(buy).max().alias("last"),
        pl.col("order_id").filter(buy).n_unique().alias("frequency"),
        pl.col("cents").sum().alias("monetary"),
    )
    if job == "profile":
        return prof.collect()
    as_of = lines.select(pl.col("day").max() + 1)
    scored = prof.join(as_of.select(pl.col("day").alias("as_of")), how="cross").with_columns(
        (pl.col("as_of") - pl.col("last")).alias("recency"))
    buyers = scored.filter(pl.col("last").is_not_null())
    n = pl.len()
    cut_exprs = []
    for col in ("recency", "frequency", "monetary"):
        for j in range(1, K):
            rank = ((n * j + K - 1) // K - 1).cast(pl.Int64)
            cut_exprs.append(pl.col(col).sort().gather(rank).first().alias(f"{col}_{j}"))
    cuts = buyers.select(cut_exprs)

    def score(col: str, better: bool):
        above = pl.sum_horizontal([(pl.col(col) > pl.col(f"{col}_{j}")).cast(pl.Int32)
                                   for j in range(1, K)])
        s = (above + 1) if better else (K - above)
        return pl.when(pl.col("last").is_null()).then(0).otherwise(s).alias(col[0] + "_score")

    return (scored.join(cuts, how="cross")
            .with_columns(score("recency", False), score("frequency", True), score("monetary", True))
            .select("customer_id", "first", "last", "frequency", "monetary",
                    "r_score", "f_score", "m_score")
            .collect())


def polars_answer(df, job: str) -> dict:
    out = _as_frame(df.get_column("customer_id").to_numpy(),
                    df.get_column("first").to_numpy().astype(np.float64),
                    df.get_column("last").to_numpy().astype(np.float64),
                    df.get_column("frequency").to_numpy(), df.get_column("monetary").to_numpy())
    if job == "full":
        order = np.argsort(df.get_column("customer_id").to_numpy(), kind="stable")
        for c in ("r_score", "f_score", "m_score"):
            out[c] = df.get_column(c).to_numpy()[order].astype(np.int64)
    return out


def duckdb_sql(t: pa.Table, job: str) -> str:
    tt = t.schema.field("time").type
    if pa.types.is_timestamp(tt):
        # with the session in the column's zone, ::date is the local calendar day
        day = "(time::date - date '1970-01-01')"
    else:
        day = "(time - date '1970-01-01')"
    prof = f"""
        lines as (select customer_id, {day} as day, round(amount * 100)::bigint as cents, amount,
                         order_id from tx),
        prof as (
          select customer_id,
                 min(day) filter (where amount >= 0) as first,
                 max(day) filter (where amount >= 0) as last,
                 count(distinct order_id) filter (where amount >= 0) as frequency,
                 sum(cents) as monetary
          from lines group by customer_id)"""
    if job == "profile":
        return f"with {prof} select * from prof"
    ranks = ", ".join(f"(n * {j} + {K - 1}) // {K}" for j in range(1, K))

    def cut(col):
        return f"""(select list(x order by rn) from (
            select {col} as x, row_number() over (order by {col}) as rn, count(*) over () as n
            from buyers) where rn in ({ranks}))"""

    def score(col, better):
        above = " + ".join(f"({col} > c.{col[0]}c[{j}])::int" for j in range(1, K))
        s = f"1 + {above}" if better else f"{K} - ({above})"
        return f"case when last is null then 0 else {s} end as {col[0]}_score"

    return f"""with {prof},
        horizon as (select max(day) + 1 as as_of from lines),
        scored as (select p.*, (select as_of from horizon) - last as recency from prof p),
        buyers as (select * from scored where last is not null),
        cuts as (select {cut('recency')} as rc, {cut('frequency')} as fc, {cut('monetary')} as mc)
        select customer_id, first, last, frequency, monetary,
               {score('recency', False)}, {score('frequency', True)}, {score('monetary', True)}
        from scored, cuts c"""


def duckdb_job(con, t: pa.Table, job: str):
    return con.sql(duckdb_sql(t, job)).arrow()


def duckdb_answer(a, job: str) -> dict:
    if isinstance(a, pa.RecordBatchReader):
        a = a.read_all()

    def col(c):
        return a.column(c).to_numpy(zero_copy_only=False)

    out = _as_frame(col("customer_id"), col("first").astype(np.float64), col("last").astype(np.float64),
                    col("frequency"), col("monetary"))
    if job == "full":
        order = np.argsort(col("customer_id"), kind="stable")
        for c in ("r_score", "f_score", "m_score"):
            out[c] = col(c)[order].astype(np.int64)
    return out


def check_equal(ref: dict, other: dict, engine: str, job: str) -> None:
    for c, v in ref.items():
        w = other[c]
        same = (len(v) == len(w) and
                (np.array_equal(v, w, equal_nan=True) if v.dtype.kind == "f" else np.array_equal(v, w)))
        if not same:
            bad = len(v) if len(v) != len(w) else int((v != w).sum())
            raise SystemExit(f"{job}: {engine}'s column {c} differs from tierkit's ({bad} rows)")


def run_cell(cell: dict, lines: int, repeat: int) -> dict:
    import duckdb

    import shapes
    t = shapes.transactions(lines, cell["customers"], skew=cell["skew"], order=cell["order"],
                            ids=cell["ids"], time=cell["time"], seed=7)
    con = duckdb.connect()
    tt = t.schema.field("time").type
    if pa.types.is_timestamp(tt) and tt.tz:
        con.sql(f"set TimeZone = '{tt.tz}'")
    con.register("tx", t)
    # warm-up: imports, the first touch of the input's pages
    floor(t)
    tierkit_job(t.slice(0, 1000), "full")
    polars_job(t.slice(0, 1000), "full")
    runs = {(e, j): [] for e in ENGINES for j in JOBS}
    results = {}
    floors = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor(t)
        floors.append(time.perf_counter() - t0)
        for job in JOBS:
            for engine in ENGINES:
                t0 = time.perf_counter()
                r = (tierkit_job(t, job) if engine == "tierkit" else
                     polars_job(t, job) if engine == "polars" else duckdb_job(con, t, job))
                if engine == "duckdb" and isinstance(r, pa.RecordBatchReader):
                    r = r.read_all()
                runs[(engine, job)].append(time.perf_counter() - t0)
                results[(engine, job)] = r
    answers = {}
    for job in JOBS:
        ref = tierkit_answer(results[("tierkit", job)], job)
        answers[job] = len(ref["key"])
        check_equal(ref, polars_answer(results[("polars", job)], job), "polars", job)
        check_equal(ref, duckdb_answer(results[("duckdb", job)], job), "duckdb", job)
        if job == "full":   # and against a plain numpy scoring of tierkit's own profile
            rec = np.where(np.isnan(ref["last"]), np.nan, _last_day(t) + 1 - ref["last"])
            bought = ~np.isnan(ref["last"])
            for c, x, better in (("r_score", rec, False),
                                 ("f_score", np.where(bought, ref["frequency"], np.nan), True),
                                 ("m_score", np.where(bought, ref["cents"], np.nan), True)):
                if not np.array_equal(_scores(x, better), ref[c]):
                    raise SystemExit(f"full: tierkit's {c} differs from the numpy scoring")
    con.close()
    return {"cell": cell, "lines": lines, "customers_seen": answers["profile"],
            "floor_s": statistics.median(floors),
            "median_s": {f"{e}/{j}": statistics.median(v) for (e, j), v in runs.items()},
            "times_s": {f"{e}/{j}": v for (e, j), v in runs.items()}}


def _last_day(t: pa.Table) -> int:
    col = t.column("time")
    if pa.types.is_timestamp(col.type):
        import polars as pl
        return int(pl.from_arrow(t.select(["time"])).select(pl.col("time").dt.date().cast(pl.Int32).max()).item())
    return int(pc.max(col.cast(pa.int32())).as_py())


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    base_cells = [r for r in rows if all(r["cell"][k] == v for k, v in BASE.items() if k != "customers")]
    base_cells.sort(key=lambda r: r["cell"]["customers"])
    for ax, job in zip(axes, JOBS):
        x = [r["cell"]["customers"] for r in base_cells]
        for engine in ENGINES:
            ax.plot(x, [r["median_s"][f"{engine}/{job}"] for r in base_cells], marker="o", label=engine)
        ax.plot(x, [r["floor_s"] for r in base_cells], ls=":", color="grey", label="floor")
        ax.set_xscale("log")
        ax.set_xlabel("customers (uniform, day order, dense ids, tz timestamps)")
        ax.set_title(f"{job} job, {base_cells[0]['lines']:,} lines" if base_cells else job)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("seconds (median)")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1e7")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cells", type=int, nargs="+", default=None, help="cell indices (default: all)")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--plot", type=Path, default=None, help="write the customers plot here")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        cell, lines, repeat = int(args.worker[0]), int(args.worker[1]), int(args.worker[2])
        print(json.dumps(run_cell(CELLS[cell], lines, repeat)))
        return 0
    lines = int(float(args.lines))
    rows = []
    print(f"shape matrix, {lines:,} lines, median of {args.repeat}; answers checked equal in every cell")
    head = f"{'customers':>9} {'skew':<7} {'order':<8} {'ids':<6} {'time':<4}"
    print(f"{head} | {'job':<7} {'tierkit':>8} {'polars':>8} {'duckdb':>8} {'margin':>7} {'x floor':>8}")
    for i in (args.cells if args.cells is not None else range(len(CELLS))):
        out = subprocess.run([sys.executable, __file__, "--worker", str(i), str(lines), str(args.repeat)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout + out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        for job in JOBS:
            m = r["median_s"]
            ours = m[f"tierkit/{job}"]
            peer = min(m[f"polars/{job}"], m[f"duckdb/{job}"])
            print(f"{label(r['cell'])} | {job:<7} {ours:>8.3f} {m[f'polars/{job}']:>8.3f} "
                  f"{m[f'duckdb/{job}']:>8.3f} {peer / ours:>6.2f}x {ours / r['floor_s']:>8.1f}")
        sys.stdout.flush()
    for job in JOBS:
        worst = min(rows, key=lambda r: min(r["median_s"][f"polars/{job}"], r["median_s"][f"duckdb/{job}"])
                    / r["median_s"][f"tierkit/{job}"])
        m = worst["median_s"]
        margin = min(m[f"polars/{job}"], m[f"duckdb/{job}"]) / m[f"tierkit/{job}"]
        print(f"worst cell for the {job} job: {label(worst['cell']).split()} -> faster peer / tierkit = {margin:.2f}x")
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"shape-matrix-{lines:.0e}.json".replace("+", "")
    path.write_text(json.dumps({"cores": os.cpu_count(), "measured_at": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows}, indent=1))
    print(f"wrote {path}")
    if args.plot:
        plot(rows, args.plot)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
