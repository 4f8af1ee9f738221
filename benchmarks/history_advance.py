"""One month's advance of a saved tier history: the monthly run a bank schedules.

    python benchmarks/history_advance.py [--transactions 10000000] [--customers 500000] [--repeat 5]

Data: tk.demo.transactions (customer_id, time, amount, order_id; 2021-01-01 .. 2023-12-31),
the policy, window and grace of benchmarks/jobs_history.py. The history is run once through
the 2023-11-01 assessment and its state saved (bytes in memory); then, `repeat` times, the
state is resumed and advanced by the rows of November 2023 to the 2023-12-01 assessment.
Reported per repeat: the resume (reading the state: ledger, period tables, customers seen
before) and the advance (profiling the month, rolling the window, tiering every customer,
the ledger's records), and the customers assessed. The advanced ledger is checked equal to
one run through 2023-12-01 (the same assessments from scratch).

Times are medians of `repeat` runs in this process, data in memory, after one warm-up.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).parent))
from jobs_history import GRACE  # noqa: E402  (the history job's grace, shared)

LAST = dt.date(2023, 12, 1)  # the assessment the advance makes
BEFORE = dt.date(2023, 11, 1)  # the last assessment of the saved state


def _history():
    import tierkit as tk
    policy = tk.TierPolicy([("Gold", "monetary >= 1000 and recency <= 90"),
                            ("Silver", "frequency >= 4 or monetary >= 300")], default="Bronze")
    tiering = tk.Tiering(policy, transactions=dict(customer="customer_id", time="time", amount="amount",
                                                   order="order_id", spend_series=False,
                                                   purchase_days=False))
    return tk.TierHistory(tiering, start=dt.date(2022, 1, 1), window_months=12,
                          transitions={t: {"downgrade_after": n} for t, n in GRACE.items()})


def _before(t: pa.Table, day: dt.date) -> pa.Table:
    edge = pa.scalar(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc),
                     t.schema.field("time").type)
    return t.filter(pc.less(t["time"], edge))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import tierkit as tk
    t = tk.demo.transactions(args.customers, args.transactions, seed=7)
    t = t.select(["customer_id", "time", "amount", "order_id"])
    through_before = _before(t, BEFORE)
    month = _before(t, LAST).filter(pc.greater_equal(
        _before(t, LAST)["time"], pa.scalar(dt.datetime(BEFORE.year, BEFORE.month, 1, tzinfo=dt.timezone.utc),
                                            t.schema.field("time").type)))
    h = _history()
    state = h.run(through_before).state_bytes()
    # Warm-up, then the timed repeats.
    h.resume(state).advance(month)
    resumes, advances = [], []
    ledger = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ledger = h.resume(state)
        t1 = time.perf_counter()
        ledger.advance(month)
        t2 = time.perf_counter()
        resumes.append(t1 - t0)
        advances.append(t2 - t1)
    assert ledger is not None
    whole = h.run(_before(t, LAST))
    same = ledger == whole
    assessed = len(ledger.records(LAST).to_arrow())
    print(f"state {len(state) / 2**20:.1f} MiB; month {month.num_rows:,} lines; "
          f"{assessed:,} customers assessed on {LAST}")
    print(f"resume  median {statistics.median(resumes):.3f} s  (runs: "
          + " ".join(f"{x:.3f}" for x in resumes) + ")")
    print(f"advance median {statistics.median(advances):.3f} s  (runs: "
          + " ".join(f"{x:.3f}" for x in advances) + ")")
    print("advanced ledger equals one run through", LAST, ":", "yes" if same else "NO")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
