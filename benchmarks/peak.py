"""Runs a command and prints its wall time and peak resident memory as JSON:

    python benchmarks/peak.py CMD ARG...   ->   {"wall_s": ..., "peak_mib": ...}

A child's peak resident memory (ru_maxrss) starts from its parent's at the fork: a
benchmark process holding a large table would report that table in every command it starts.
Started from this small process instead, the command's peak is its own.
"""
import json
import os
import subprocess
import sys
import time


def main() -> int:
    t0 = time.perf_counter()
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "peak_mib": usage.ru_maxrss / 1024,
                      "exit": os.waitstatus_to_exitcode(status)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
