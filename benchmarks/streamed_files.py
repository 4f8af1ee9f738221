"""Many Parquet files in, tiers out: `tierkit tier DIR` (streamed file by file, batch by
batch) against DuckDB's read_parquet('DIR/*.parquet') running the same job as SQL; wall time
and peak memory of each process, tiers checked equal.

    python benchmarks/streamed_files.py --lines 1e7 --files 20 --customers 1e6
    python benchmarks/streamed_files.py --lines 1e6 --files 4 --repeat 1      # quick

The data (benchmarks/shapes.py, one seed per file so the files differ; order ids offset per
file so that no order spans two files) is generated file by file, never whole in memory.
The job is the suite's full job (benchmarks/jobs.py via file_to_tiers.py): profile with
distinct orders, RFM quintiles, ABC by monetary value, a six-rule tier policy, tiers written
to Parquet. Each run is a fresh process; the peak is its maximum resident set size.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", default="1e7")
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--customers", default="1e6")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, help="keep the data here (default: a temporary directory)")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import shapes
    from file_to_tiers import duckdb_script, policy_yaml, timed
    n, c, f = int(float(args.lines)), int(float(args.customers)), args.files
    tierkit_cli = str(Path(sys.executable).with_name("tierkit"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = args.dir or tmp / "tx"
        data.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        for i in range(f):
            t = shapes.transactions(n // f, c, time="utc", seed=1000 + i)
            t = t.set_column(t.schema.get_field_index("order_id"), "order_id",
                             pc.add(t.column("order_id").cast(pa.int64()), i * 10**10))
            pq.write_table(t, data / f"part-{i:04d}.parquet")
        gen = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in data.glob("*.parquet")) / 1e6
        policy = tmp / "policy.yaml"
        policy.write_text(policy_yaml())
        outs = {e: tmp / f"{e}.parquet" for e in ("tierkit", "duckdb")}
        script = tmp / "duck.py"
        script.write_text(duckdb_script(Path(f"{data}/*.parquet"), outs["duckdb"]).replace(
            "read_csv", "read_parquet"))
        cmds = {"tierkit": [tierkit_cli, "tier", str(data), "--policy", str(policy),
                            "-o", str(outs["tierkit"]), "-q"],
                "duckdb": [sys.executable, str(script)]}
        runs = {e: [] for e in cmds}
        for _ in range(args.repeat):
            for engine, cmd in cmds.items():        # alternate: load changes hit both
                runs[engine].append(timed(cmd))
        ours = pd.read_parquet(outs["tierkit"]).sort_values("customer_id", ignore_index=True)
        theirs = pd.read_parquet(outs["duckdb"]).sort_values("customer_id", ignore_index=True)
        assert len(ours) == len(theirs), (len(ours), len(theirs))
        assert (ours["customer_id"].to_numpy() == theirs["customer_id"].to_numpy()).all()
        differ = int((ours["tier"].astype(str).to_numpy() != theirs["tier"].astype(str).to_numpy()).sum())
        if differ:
            print(f"tiers differ for {differ} customers", file=sys.stderr)
            return 1
    rows = [{"engine": e, "lines": n, "files": f, "data_mb": size_mb, "customers": len(ours),
             "median_s": statistics.median(w for w, _ in r), "times_s": [w for w, _ in r],
             "peak_mib": max(m for _, m in r)} for e, r in runs.items()]
    print(f"\n{f} Parquet files ({size_mb:.0f} MB, generated in {gen:.0f} s) -> tiers; {n:,} lines, "
          f"{len(ours):,} customers; median of {args.repeat} runs; tiers equal")
    print(f"{'engine':>8} {'median s':>9} {'peak MiB':>9} {'x tierkit':>10}")
    for r in rows:
        print(f"{r['engine']:>8} {r['median_s']:>9.2f} {r['peak_mib']:>9.0f} "
              f"{r['median_s'] / rows[0]['median_s']:>10.2f}")
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"streamed_files-{n}-{f}.json"
    path.write_text(json.dumps({"cores": os.cpu_count(), "measured_at": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows}, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
