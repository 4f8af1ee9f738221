"""BG/NBD fit: tierkit against lifetimes' BetaGeoFitter and PyMC-Marketing's BetaGeoModel
(maximum a posteriori with flat priors, so the same maximum likelihood), on the same data,
with the answers checked to 1e-4 relative.

    python benchmarks/clv.py                       # CDNOW (shared data) and 10^6 customers
    python benchmarks/clv.py --customers 100000 --repeat 5
    python benchmarks/clv.py --peers-python /path/to/venv/bin/python
    python benchmarks/clv.py --install-peers       # peers in a virtual environment of their own

The peers run in their own processes, with the interpreter given by --peers-python (or
$TIERKIT_PEERS_PYTHON), else with this interpreter; they rarely install beside a current
pandas, so a separate virtual environment is the usual way:
    python -m venv peers && peers/bin/pip install lifetimes pymc-marketing
or let the benchmark make it: with --install-peers, when a peer does not import with that
interpreter, a virtual environment is created under --peers-cache (default
$XDG_CACHE_HOME/tierkit/clv-peers, else ~/.cache/tierkit/clv-peers), the peers are
installed there with pip (minutes, once; it needs the package index) and run from it.
A peer that is not installed, fails, or exceeds --timeout is reported as such. Generated
data: the BG/NBD process with r 0.25, alpha 4, a 0.8, b 2.5 (weeks), each customer
observed for a whole number of days up to a year, purchases on whole days (so customers
repeat: tierkit merges identical rows, the peers take them as given).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

PEER_CODE = r"""
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
d = np.load(sys.argv[2])
x, tx, T = d["x"], d["t_x"], d["T"]
which = sys.argv[1]
if which == "lifetimes":
    import pandas as pd
    from lifetimes import BetaGeoFitter
    t0 = time.perf_counter()
    f = BetaGeoFitter().fit(pd.Series(x), pd.Series(tx), pd.Series(T))
    seconds = time.perf_counter() - t0
    p = [f.params_[k] for k in ("r", "alpha", "a", "b")]
else:
    import pandas as pd
    from pymc_marketing.clv import BetaGeoModel
    try:
        from pymc_extras.prior import Prior
    except ImportError:
        from pymc_marketing.prior import Prior
    df = pd.DataFrame({"customer_id": np.arange(len(x)), "frequency": x, "recency": tx, "T": T})
    t0 = time.perf_counter()
    # Flat priors on the parameters: the maximum a posteriori is then the maximum likelihood.
    m = BetaGeoModel(data=df, model_config={k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")})
    m.fit(method="map") if "method" in m.fit.__code__.co_varnames else m.fit(fit_method="map")
    seconds = time.perf_counter() - t0
    post = m.fit_result
    p = [float(post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")]
print(json.dumps({"seconds": seconds, "params": p}))
"""


def generate(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    days = rng.integers(1, 366, n)
    T = days / 7.0
    t = np.zeros(n)
    x = np.zeros(n)
    last = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0, idx.size) / np.maximum(lam[idx], 1e-300)
        bought = t[idx] <= T[idx]
        alive[idx[~bought]] = False
        got = idx[bought]
        x[got] += 1
        last[got] = t[got]
        drop = rng.random(got.size) < p[got]
        alive[got[drop]] = False
    t_x = np.floor(last * 7) / 7.0
    return x, np.where(x > 0, t_x, 0.0), T


def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    root = Path(os.environ.get("TIERKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
    path = root / "cdnow" / "btyd_cdnowSummary_cbs.csv"
    if not path.exists():
        return None
    d = np.genfromtxt(path, delimiter=",", names=True)
    return d["x"], d["t_x"], d["T_cal"]


def run_tierkit(x, tx, T, repeat: int) -> tuple[float, list[float]]:
    import tierkit as tk
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        m = tk.BGNBD().fit({"x": x, "t_x": tx, "T": T})
        times.append(time.perf_counter() - t0)
    p = m.params
    return float(np.median(times)), [p["r"], p["alpha"], p["a"], p["b"]]


def run_peer(which: str, x, tx, T, python: str, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, x=x, t_x=tx, T=T)
        try:
            out = subprocess.run([python, "-c", PEER_CODE, which, str(data)], capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish in {timeout:g} s"}
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["failed"])[-1]
            return {"error": last[:200]}
        return json.loads(out.stdout.strip().splitlines()[-1])


PEER_MODULES = {"lifetimes": "lifetimes", "pymc_marketing": "pymc_marketing"}
PEER_PACKAGES = {"lifetimes": "lifetimes", "pymc_marketing": "pymc-marketing"}


def default_peers_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tierkit" / "clv-peers"


def imports(python: str, module: str) -> bool:
    try:
        out = subprocess.run([python, "-c", f"import {module}"], capture_output=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0


def peers_environment(peers: list[str], python: str, cache: Path) -> str:
    """The interpreter to run the peers with: `python` when every peer imports there, else
    one of a virtual environment under `cache`, created (and the peers installed with pip)
    when missing. Returns `python` unchanged, with a message, when that fails."""
    missing = [p for p in peers if not imports(python, PEER_MODULES[p])]
    if not missing:
        return python
    venv_python = cache / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not venv_python.exists():
        print(f"creating a virtual environment for the peers in {cache}")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(cache)], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"could not create it ({e}): the peers run with {python}")
            return python
    need = [PEER_PACKAGES[p] for p in peers if not imports(str(venv_python), PEER_MODULES[p])]
    if need:
        print(f"installing {', '.join(need)} into {cache} (minutes, once)")
        done = subprocess.run([str(venv_python), "-m", "pip", "install", "-q", *need])
        if done.returncode != 0:
            print(f"pip failed (exit {done.returncode}): peers that do not import are reported as not run")
    return str(venv_python)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--peers-python", default=os.environ.get("TIERKIT_PEERS_PYTHON", sys.executable))
    ap.add_argument("--peers", default="lifetimes,pymc_marketing")
    ap.add_argument("--install-peers", action="store_true",
                    help="when a peer does not import with --peers-python, install the peers into a virtual "
                         "environment under --peers-cache and run them from there")
    ap.add_argument("--peers-cache", type=Path, default=default_peers_cache())
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    unknown = [p for p in peers if p not in PEER_MODULES]
    if unknown:
        ap.error(f"--peers: unknown {', '.join(unknown)} (known: {', '.join(PEER_MODULES)})")
    if args.install_peers and peers:
        args.peers_python = peers_environment(peers, args.peers_python, args.peers_cache)
    sets = []
    c = cdnow()
    if c is not None:
        sets.append(("CDNOW sample (2,357)", c))
    else:
        print("CDNOW data not found: that row is skipped")
    sets.append((f"generated ({args.customers:,})", generate(args.customers)))
    print(f"{'data':<24} {'engine':<16} {'seconds':>9} {'ratio':>8}  parameters r, alpha, a, b  (agree to 1e-4)")
    for name, (x, tx, T) in sets:
        secs, ref = run_tierkit(x, tx, T, args.repeat)
        print(f"{name:<24} {'tierkit':<16} {secs:9.4f} {1.0:8.1f}  " + ", ".join(f"{v:.6f}" for v in ref))
        for peer in peers:
            res = run_peer(peer, x, tx, T, args.peers_python, args.timeout)
            if "error" in res:
                print(f"{'':<24} {peer:<16} {'-':>9} {'-':>8}  not run: {res['error']}")
                continue
            rel = max(abs(a - b) / abs(b) for a, b in zip(res["params"], ref))
            agree = "yes" if rel <= 1e-4 else f"no (largest relative difference {rel:.1e})"
            print(f"{'':<24} {peer:<16} {res['seconds']:9.4f} {res['seconds'] / secs:8.1f}  "
                  + ", ".join(f"{v:.6f}" for v in res["params"]) + f"  {agree}")


if __name__ == "__main__":
    main()
