"""Bytes of ProfileBuilder partial state per customer: its serialized size (what a Dask or
Spark task sends) and the process's resident growth while it is built, for several lines
per customer and with purchase days / spend series on and off. Each configuration runs in
a fresh process.

    python benchmarks/state_memory.py                    # 10^6 customers
    python benchmarks/state_memory.py --customers 1e5    # quick

Data: dense integer customer ids, one line per order (so the distinct orders kept for
exact counts equal the lines), days spread over two years, float amounts.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = r"""
import gc, sys
import numpy as np, pyarrow as pa
import tierkit as tk

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

customers, per, flags = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(1)
n = customers * per
t = pa.table({"customer_id": np.repeat(np.arange(customers, dtype=np.int64), per),
              "time": pa.array(rng.integers(18000, 18730, n).astype("int32"), pa.date32()),
              "amount": rng.gamma(2.0, 30.0, n), "order_id": np.arange(n, dtype=np.int64)})
batches = t.to_batches(max_chunksize=1 << 20)
gc.collect()
before = rss()
b = tk.ProfileBuilder(customer="customer_id", time="time", amount="amount", order="order_id",
                      spend_series=flags == "on", purchase_days=flags == "on", threads=1)
for batch in batches:
    b.update(batch)
gc.collect()
grown = rss() - before
print(len(b.to_bytes()) / customers, grown / customers)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", default="1e6")
    args = ap.parse_args()
    c = int(float(args.customers))
    print(f"{c:,} customers\n")
    print("| lines per customer | purchase days, spend series | serialized B/customer | resident B/customer |")
    print("| --- | --- | --- | --- |")
    for per in (1, 10):
        for flags in ("off", "on"):
            out = subprocess.run([sys.executable, "-c", CHILD, str(c), str(per), flags],
                                 capture_output=True, text=True, check=True).stdout.split()
            print(f"| {per} | {flags} | {float(out[0]):.0f} | {float(out[1]):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
