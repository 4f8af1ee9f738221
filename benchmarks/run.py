"""Side-by-side benchmark: the same job on the same in-memory data in tierkit, pandas,
polars and DuckDB; answers checked equal; median wall time of repeated runs, ratio to
tierkit and peak memory beyond the input.

    python benchmarks/run.py                      # profile job, 10^6 and 10^7 transactions
    python benchmarks/run.py --sizes 1e6 --repeat 5 --engines tierkit polars
    python benchmarks/run.py --job full --sizes 1e6 1e7 1e8     # profile + RFM + ABC + tiers
    python benchmarks/run.py --job full --sizes 1e7 --customers-ratio 0.001 0.01 0.1
                                                  # scaling in customers at fixed transactions

Each (engine, size) runs in its own process, which generates the data with the seeded
demo generator (so every engine sees identical data), resets the peak-RSS counter, runs
the job `repeat` times and reports the times, its peak memory and its answer. Results are
printed as a table and written to benchmarks/results/<job>-<ids>-<order>[-customers].json;
rows of other sizes already in that file (an earlier run's) are kept, each row with the
time it was measured.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def worker(job: str, engine: str, transactions: int, customers: int, ids: str, order: str,
           repeat: int, out: str) -> None:
    sys.path.insert(0, str(HERE))
    import pyarrow as pa

    import tierkit as tk
    from jobs import DATA, JOBS

    fn = JOBS[job][engine]
    if job in DATA:
        data = DATA[job](transactions)
    else:
        data = tk.demo.transactions(customers, transactions, seed=7, ids=ids,
                                    time_ordered=(order == "day"))
        data = data.select(["customer_id", "time", "amount", "order_id"])
    input_bytes = data.nbytes
    fn(data.slice(0, 1000))  # warm up imports and caches outside the timing
    base = _rss_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        peak_reset = True
    except OSError:
        peak_reset = False
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(data)
        times.append(time.perf_counter() - t0)
    peak = _rss_kib("VmHWM")
    result.to_parquet(out + ".parquet")
    with open(out + ".json", "w") as f:
        json.dump({"times": times, "peak_extra_mib": (peak - base) / 1024 if peak_reset else None,
                   "input_mib": input_bytes / 2**20, "customers": len(result)}, f)
    _ = pa


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--job", default="profile",
                    choices=["profile", "rfm_abc", "full", "history", "balances", "bands", "policy"],
                    help="profile, rfm_abc, full (profile + RFM + ABC + a 6-rule tier "
                         "policy), history (24 monthly re-assessments on 12-month windows with "
                         "grace) on n transactions; balances (n balance events); "
                         "bands, policy (n customers: asset bands; a 6-rule tier policy)")
    ap.add_argument("--sizes", nargs="+", default=["1e6", "1e7"],
                    help="numbers of transactions")
    ap.add_argument("--customers-ratio", type=float, nargs="+", default=[0.05],
                    help="customers = ratio * transactions (default 1 per 20 lines); several "
                         "values give the scaling in customers")
    ap.add_argument("--ids", default="dense", choices=["dense", "sparse", "text"])
    ap.add_argument("--order", default="day", choices=["day", "shuffled"],
                    help="rows in day order, as a log arrives (default), or shuffled")
    ap.add_argument("--engines", nargs="+", default=["tierkit", "polars", "duckdb", "pandas"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--results", type=Path, default=HERE / "results",
                    help="directory of the results files (default benchmarks/results)")
    ap.add_argument("--worker", nargs=8,
                    metavar=("JOB", "ENGINE", "N", "C", "IDS", "ORDER", "R", "OUT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        job, engine, n, c, ids, order, r, out = args.worker
        worker(job, engine, int(n), int(c), ids, order, int(r), out)
        return 0

    sys.path.insert(0, str(HERE))
    import pandas as pd

    from jobs import check_same

    rows = []
    sys.path.insert(0, str(HERE))
    from jobs import JOBS
    engines = ["tierkit"] + [e for e in args.engines if e != "tierkit" and e in JOBS[args.job]]
    with tempfile.TemporaryDirectory() as tmp:
        for size, ratio in [(z, r) for z in args.sizes for r in args.customers_ratio]:
            n = int(float(size))
            c = max(1, int(n * ratio))
            answers = {}
            for engine in engines:
                out = os.path.join(tmp, f"{engine}-{n}")
                cmd = [sys.executable, __file__, "--worker", args.job, engine, str(n), str(c),
                       args.ids, args.order, str(args.repeat), out]
                subprocess.run(cmd, check=True)
                with open(out + ".json") as f:
                    r = json.load(f)
                answers[engine] = pd.read_parquet(out + ".parquet")
                if engine != "tierkit":
                    check_same(args.job, answers["tierkit"], answers[engine], engine)
                rows.append({"job": args.job, "engine": engine, "transactions": n,
                             "customers": r["customers"], "ids": args.ids, "order": args.order,
                             "median_s": statistics.median(r["times"]), "times_s": r["times"],
                             "peak_extra_mib": r["peak_extra_mib"], "input_mib": r["input_mib"]})
                print(f"  {engine:>8} {n:>12,}: median {rows[-1]['median_s']:.3f} s "
                      f"(answers agree)" if engine != "tierkit" else
                      f"  {engine:>8} {n:>12,}: median {rows[-1]['median_s']:.3f} s", flush=True)

    base = {(r["transactions"], r["customers"]): r["median_s"] for r in rows if r["engine"] == "tierkit"}
    for r in rows:
        r["ratio_to_tierkit"] = r["median_s"] / base[(r["transactions"], r["customers"])]
        r["ns_per_row"] = r["median_s"] / r["transactions"] * 1e9
    print()
    print(f"job '{args.job}', ids {args.ids}, rows {args.order}-ordered, {args.repeat} runs "
          f"each, median wall time; "
          f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    print(f"{'rows':>14} {'customers':>10} {'engine':>8} {'median s':>10} "
          f"{'x tierkit':>10} {'ns/row':>8} {'peak MiB':>10} {'input MiB':>10}")
    for r in rows:
        peak = f"{r['peak_extra_mib']:.0f}" if r["peak_extra_mib"] is not None else "n/a"
        print(f"{r['transactions']:>14,} {r['customers']:>10,} {r['engine']:>8} "
              f"{r['median_s']:>10.3f} {r['ratio_to_tierkit']:>10.1f} {r['ns_per_row']:>8.1f} "
              f"{peak:>10} {r['input_mib']:>10.0f}")
    results = args.results
    results.mkdir(parents=True, exist_ok=True)
    scaling = "-customers" if len(args.customers_ratio) > 1 else ""
    path = results / f"{args.job}-{args.ids}-{args.order}{scaling}.json"
    # Runs of other sizes (say 10^8 on its own after 10^6 and 10^7) add to the file: a row
    # is replaced only by a new measurement of the same engine, transactions and customers.
    measured = {(r["engine"], r["transactions"], r["customers"]) for r in rows}
    kept = []
    if path.exists():
        fields = ("engine", "transactions", "customers", "median_s")
        try:
            old = json.loads(path.read_text())
            kept = [r for r in old["rows"] if isinstance(r, dict) and all(f in r for f in fields)
                    and (r["engine"], r["transactions"], r["customers"]) not in measured]
        except (ValueError, KeyError, TypeError):
            print(f"{path} is not a results file of this runner: overwritten")
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for r in rows:
        r["measured_at"] = when
    merged = sorted(kept + rows, key=lambda r: (r["transactions"], r["customers"],
                                                r["engine"] != "tierkit", r["engine"]))
    # Ratios against the tierkit row the file now holds for the same size.
    ours = {(r["transactions"], r["customers"]): r["median_s"] for r in merged if r["engine"] == "tierkit"}
    for r in merged:
        if (r["transactions"], r["customers"]) in ours:
            r["ratio_to_tierkit"] = r["median_s"] / ours[(r["transactions"], r["customers"])]
    path.write_text(json.dumps({"job": args.job, "python": sys.version, "cores": os.cpu_count(),
                                "rows": merged}, indent=1))
    print(f"\nwrote {path} ({len(rows)} rows measured now, {len(kept)} kept from earlier runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
