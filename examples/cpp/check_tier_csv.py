"""Runs examples/cpp/tier_csv on a CSV file and checks its tiers against the Python API's,
customer for customer (the file includes customers whose only lines are returns).

    python examples/cpp/check_tier_csv.py path/to/tier_csv scratch_dir
"""
import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

import tierkit as tk

RULES = [("Gold", "abc_class = 'A' and recency <= 90"),
         ("Silver", "m_score >= 4 or abc_class = 'B'"),
         ("Active", "recency <= 90")]


def write_transactions(path: Path) -> None:
    t = tk.demo.transactions(800, 20_000, seed=3).to_pydict()
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "time", "amount"])   # not the program's order
        for c, when, amount, order in zip(t["customer_id"], t["time"], t["amount"], t["order_id"]):
            w.writerow([order, f"C{c:05d}", when.strftime("%Y-%m-%dT%H:%M:%S") + "Z", f"{amount:.2f}"])
        # Three customers with returns only, one with an offset written in the time.
        last = max(t["time"])
        for i, c in enumerate(("R00001", "R00002", "R00003")):
            when = last - dt.timedelta(days=10 * i)
            w.writerow([9_000_000 + i, c, when.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00", "-25.00"])


def python_tiers(path: Path) -> dict:
    t = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={"customer_id": pa.string()}))
    p = tk.profile(t, order="order_id")
    scores = tk.score(p, tk.RFM(segments=None), tk.ABC())
    a = tk.TierPolicy(RULES, default="Dormant").assign(p, scores).to_arrow()
    return dict(zip(a.column("customer_id").to_pylist(), a.column("tier").to_pylist()))


def main() -> int:
    program, scratch = Path(sys.argv[1]), Path(sys.argv[2])
    scratch.mkdir(parents=True, exist_ok=True)
    data, out = scratch / "transactions.csv", scratch / "tiers.csv"
    write_transactions(data)
    run = subprocess.run([str(program), str(data), str(out)], capture_output=True, text=True)
    print(run.stdout, run.stderr, sep="")
    if run.returncode != 0:
        return 1
    with open(out, newline="") as f:
        cpp = {r["customer_id"]: r["tier"] for r in csv.DictReader(f)}
    py = python_tiers(data)
    differ = sorted(k for k in py if cpp.get(k) != py[k])
    if set(cpp) != set(py) or differ:
        print(f"C++ and Python differ: {len(set(cpp) ^ set(py))} customers in one only, "
              f"{len(differ)} with other tiers, e.g. {[(k, cpp.get(k), py[k]) for k in differ[:5]]}")
        return 1
    returns_only = [cpp[c] for c in ("R00001", "R00002", "R00003")]
    if returns_only != ["Dormant"] * 3:
        print(f"customers with only returns were tiered {returns_only}, not Dormant")
        return 1
    print(f"C++ and Python agree on all {len(py):,} customers' tiers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
