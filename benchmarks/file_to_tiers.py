"""File in, tiers out: `tierkit tier` against DuckDB running the same policy as SQL over the
same CSV or Parquet file, each writing the tiers to Parquet; wall time and peak memory of
each process, tiers checked equal.

    python benchmarks/file_to_tiers.py                          # 10^7 lines, 4*10^5 customers
    python benchmarks/file_to_tiers.py --lines 1e6 --repeat 1   # quick
    python benchmarks/file_to_tiers.py --skew heavy --order shuffled --ids text

The data (benchmarks/shapes.py: orders of 1-4 lines, float amounts with 3% returns, UTC
timestamps) is generated once into a temporary directory and written as CSV (pyarrow's
writer) and Parquet (pyarrow's defaults). The job is the suite's full job (benchmarks/jobs.py):
profile with distinct orders, RFM quintiles, ABC by monetary value and a six-rule tier
policy. tierkit runs it from a policy file as a user writes one (no profile options);
DuckDB reads the file with read_csv/read_parquet and writes with COPY ... TO, as its users
do. Each run is a fresh process (imports included, as a command line user waits for them);
the peak is the process's maximum resident set size.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def policy_yaml() -> str:
    from jobs import FULL_RULES
    rules = "\n".join(f"  - tier: {name}\n    when: \"{cond}\"" for name, cond in FULL_RULES)
    return f"""tierkit: 1
name: benchmark full job
transactions: {{customer: customer_id, time: time, amount: amount, order: order_id}}
strategies:
  - rfm: {{bins: 5}}
  - abc: {{column: monetary}}
tiers:
{rules}
default: Bronze
"""


def duckdb_script(path: Path, out: Path) -> str:
    from jobs import FULL_RULES, _duckdb_cases, _duckdb_rfm_abc_ctes
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    cases = _duckdb_cases(FULL_RULES)
    sql = f"""copy (with {_duckdb_rfm_abc_ctes()}
        select customer_id, case {cases} else 'Bronze' end as tier from scores)
        to '{out}' (format parquet)"""
    return (f"import duckdb\ncon = duckdb.connect()\n"
            f"con.sql(\"create view tx as select customer_id, time, amount, order_id "
            f"from {reader}('{path}')\")\n"
            f"con.sql({sql!r})\n")


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of a command, started from a small process
    (benchmarks/peak.py) so that its peak is its own, not this process's."""
    out = subprocess.run([sys.executable, str(HERE / "peak.py"), *cmd], capture_output=True,
                         text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["exit"] != 0:
        raise SystemExit(f"failed ({r['exit']}): {' '.join(cmd)}")
    return r["wall_s"], r["peak_mib"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1e7")
    ap.add_argument("--customers", default="4e5")
    ap.add_argument("--skew", default="uniform", choices=["uniform", "heavy"])
    ap.add_argument("--order", default="day", choices=["day", "shuffled"])
    ap.add_argument("--ids", default="dense", choices=["dense", "sparse", "text"])
    ap.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--results", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import pandas as pd
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    import shapes
    n, c = int(float(args.lines)), int(float(args.customers))
    tierkit_cli = str(Path(sys.executable).with_name("tierkit"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = shapes.transactions(n, c, skew=args.skew, order=args.order, ids=args.ids, time="utc")
        policy = tmp / "policy.yaml"
        policy.write_text(policy_yaml())
        for fmt in args.formats:
            data = tmp / f"tx.{fmt}"
            if fmt == "csv":
                pcsv.write_csv(t, data)
            else:
                pq.write_table(t, data)
            size_mb = data.stat().st_size / 1e6
            runs = {"tierkit": [], "duckdb": []}
            outs = {e: tmp / f"{e}-{fmt}.parquet" for e in runs}
            script = tmp / "duck.py"
            script.write_text(duckdb_script(data, outs["duckdb"]))
            cmds = {"tierkit": [tierkit_cli, "tier", str(data), "--policy", str(policy),
                                "-o", str(outs["tierkit"]), "-q"],
                    "duckdb": [sys.executable, str(script)]}
            for _ in range(args.repeat):
                for engine, cmd in cmds.items():        # alternate: load changes hit both
                    runs[engine].append(timed(cmd))
            ours = pd.read_parquet(outs["tierkit"]).sort_values("customer_id", ignore_index=True)
            theirs = pd.read_parquet(outs["duckdb"]).sort_values("customer_id", ignore_index=True)
            assert len(ours) == len(theirs), (len(ours), len(theirs))
            assert (ours["customer_id"].to_numpy() == theirs["customer_id"].to_numpy()).all()
            differ = int((ours["tier"].astype(str).to_numpy() != theirs["tier"].astype(str).to_numpy()).sum())
            assert differ == 0, f"{fmt}: {differ} customers' tiers differ"
            for engine, r in runs.items():
                rows.append({"format": fmt, "file_mb": size_mb, "engine": engine, "lines": n,
                             "customers": len(ours), "median_s": statistics.median(w for w, _ in r),
                             "times_s": [w for w, _ in r], "peak_mib": max(m for _, m in r)})
    print(f"\nfile -> tiers, {n:,} lines, {rows[0]['customers']:,} customers, {args.skew} customers, "
          f"rows {args.order}-ordered, {args.ids} ids; median of {args.repeat} runs; tiers equal")
    print(f"{'format':>8} {'MB':>6} {'engine':>8} {'median s':>9} {'peak MiB':>9} {'x tierkit':>10}")
    for r in rows:
        base = next(x for x in rows if x["format"] == r["format"] and x["engine"] == "tierkit")
        print(f"{r['format']:>8} {r['file_mb']:>6.0f} {r['engine']:>8} {r['median_s']:>9.2f} "
              f"{r['peak_mib']:>9.0f} {r['median_s'] / base['median_s']:>10.2f}")
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"file_to_tiers-{args.skew}-{args.order}-{args.ids}.json"
    path.write_text(json.dumps({"cores": os.cpu_count(), "measured_at": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows}, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
