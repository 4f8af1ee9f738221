"""The ``tierkit`` command line.

    tierkit demo                      profile built-in demo data and print the summary
    tierkit profile FILE [options]    profile a CSV or Parquet file of transactions

Exit codes, for schedulers: 0 success; 2 bad command line; 3 bad input data (a missing
column, an unsupported type, invalid rows under --on-invalid raise); 1 anything else.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow as pa

from . import __version__, demo
from ._errors import TierkitError
from .abc import ABC
from .asset_bands import AssetBands, RelationshipStars
from .balances import average_daily_balances
from .lifecycle import Lifecycle
from .profile import Profile, profile
from .rfm import RFM
from .value_potential import ValuePotential

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DATA = 0, 1, 2, 3


def _add_profile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="evaluation day YYYY-MM-DD (default: day after the last "
                   "transaction)")
    p.add_argument("--window-start", help="first day of an explicit window [start, as_of)")
    p.add_argument("--time-zone", default="UTC", help="zone for time-zone-aware timestamps")
    p.add_argument("--period", default="month",
                   choices=["day", "week", "month", "quarter", "year"],
                   help="bucket of the spend series")
    p.add_argument("--on-invalid", default="raise", choices=["raise", "drop"],
                   help="invalid rows: stop with an error, or leave them out and report them")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    p.add_argument("--output", "-o", help="write the profile to this .parquet or .csv file")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tierkit", description="Customer tiering.")
    parser.add_argument("--version", action="version", version=f"tierkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="profile built-in demo data and print the summary")
    d.add_argument("--customers", type=int, default=20_000)
    d.add_argument("--transactions", type=int, default=500_000)
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--ids", default="dense", choices=["dense", "sparse", "text"])
    _add_profile_options(d)

    p = sub.add_parser("profile", help="profile a CSV or Parquet file of transactions")
    p.add_argument("input", help="a .csv, .csv.gz, .tsv or .parquet file")
    p.add_argument("--customer", default="customer_id", help="customer key column")
    p.add_argument("--time", default="time", help="date or timestamp column")
    p.add_argument("--time-format", help="strptime format when the time column holds text "
                   "that is not ISO 8601, e.g. %%Y%%m%%d")
    p.add_argument("--amount", default="amount", help="signed line value column")
    p.add_argument("--order", help="order id column")
    p.add_argument("--quantity", help="quantity column")
    p.add_argument("--channel", help="channel column")
    p.add_argument("--category", help="category column")
    p.add_argument("--delimiter", help="CSV field delimiter (default ',', tab for .tsv)")
    _add_profile_options(p)
    return parser


def _read_table(path: Path, args) -> pa.Table:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        import pyarrow.parquet as pq
        return pq.read_table(path)
    import pyarrow.csv as pcsv
    delimiter = args.delimiter or ("\t" if ".tsv" in name else ",")
    # Keys stay text: "00042" must not become 42.
    types = {args.customer: pa.string()}
    if args.order:
        types[args.order] = pa.string()
    if args.time_format:
        types[args.time] = pa.string()
    table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter),
                          convert_options=pcsv.ConvertOptions(column_types=types))
    if args.time_format and args.time in table.column_names:
        import pyarrow.compute as pc
        i = table.column_names.index(args.time)
        parsed = pc.strptime(table.column(i), format=args.time_format, unit="s")
        table = table.set_column(i, args.time, parsed)
    return table


def _write(prof: Profile, output: str) -> None:
    path = Path(output)
    table = prof.to_arrow()
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq
        pq.write_table(table, path)
    else:
        import pyarrow.csv as pcsv
        pcsv.write_csv(table, path)
    print(f"wrote {len(prof):,} customers to {path}")


def _settings(args) -> dict:
    return dict(as_of=args.as_of, window_start=args.window_start, time_zone=args.time_zone,
                period=args.period, on_invalid=args.on_invalid, threads=args.threads)


def _run(args) -> int:
    if args.command == "demo":
        t0 = time.perf_counter()
        data = demo.transactions(args.customers, args.transactions, seed=args.seed, ids=args.ids)
        t1 = time.perf_counter()
        prof = profile(data, **demo.profile_roles(), **_settings(args))
        t2 = time.perf_counter()
        print(f"tierkit {__version__}: demo data, {data.num_rows:,} transactions of "
              f"{args.customers:,} potential customers (seed {args.seed}), generated in "
              f"{t1 - t0:.2f} s, profiled in {t2 - t1:.2f} s\n")
    else:
        path = Path(args.input)
        if not path.exists():
            print(f"tierkit: no such file: {path}", file=sys.stderr)
            return EXIT_USAGE
        data = _read_table(path, args)
        t1 = time.perf_counter()
        prof = profile(data, customer=args.customer, time=args.time, amount=args.amount,
                       order=args.order, quantity=args.quantity, channel=args.channel,
                       category=args.category, **_settings(args))
        t2 = time.perf_counter()
        print(f"tierkit {__version__}: {path.name}, {data.num_rows:,} rows, profiled in "
              f"{t2 - t1:.2f} s\n")
    print(prof.describe())
    if args.command == "demo":
        _print_scores(prof)
        _print_bank(args.seed)
    if args.output:
        _write(prof, args.output)
    return EXIT_OK


def _print_scores(prof: Profile) -> None:
    """RFM segments and ABC classes of the profile, as tables."""
    rfm = RFM().fit(prof)
    seg = rfm.segment_summary(prof).to_arrow().to_pylist()
    print("\nRFM segments (quintiles; tierkit's eleven segments):")
    print(f"{'segment':<22}{'customers':>10}{'share':>8}{'revenue':>16}{'share':>8}{'AOV':>10}")
    for r in seg:
        name = r["segment"] if r["segment"] is not None else "(no purchase)"
        print(f"{name:<22}{r['customers']:>10,}{r['customer_share']:>8.1%}{r['revenue']:>16,.2f}"
              f"{r['revenue_share']:>8.1%}{r['average_order_value']:>10,.2f}")
    abc = ABC().fit(prof)
    print("\nABC classes of net value (A: first 80%, B: to 95%, C: rest, N: zero or negative):")
    for r in abc.summary.to_arrow().to_pylist():
        print(f"{r['class']:<4}{r['customers']:>10,} customers ({r['customer_share']:.1%}) hold "
              f"{r['value']:>16,.2f} ({(r['value_share'] or 0):.1%})")
    c = abc.concentration
    print(f"Gini {c.gini:.3f}; the top 20% of customers hold {c.top20_share:.1%}")

    vp = ValuePotential().fit(prof)
    print("\nValue x potential (net value x spend growth, split at their medians; "
          f"{vp._core.unscored:,} customers without a first-half baseline are not placed):")
    for r in vp.summary.to_arrow().to_pylist():
        print(f"  {r['cell']:<10}{r['customers']:>8,} customers ({r['customer_share']:.1%}), "
              f"{(r['value_share'] or 0):.1%} of value")
    life = Lifecycle().fit_apply(prof).to_pandas()
    counts = life["lifecycle"].value_counts()
    print("\nLifecycle (new <= 90 days, dormant > 180 days silent, churned > 365):")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


def _print_bank(seed: int) -> None:
    """Average daily balances, asset bands and stars on generated bank data."""
    bank = demo.bank(5_000, 200_000, seed=seed)
    adb = average_daily_balances(bank["events"])
    by_customer = adb.by_customer(bank["owners"])
    latest = by_customer.latest().to_pandas()
    table = latest.join(by_customer.mean().to_pandas()[["adb_cv"]]) \
        .join(bank["customers"].to_pandas().set_index("customer_id"))
    print(f"\nBank demo: {bank['events'].num_rows:,} balance events on "
          f"{bank['owners'].num_rows:,} accounts of 5,000 customers; average daily balance of "
          "the last month, asset bands (Chinese retail preset):")
    bands = AssetBands.preset().fit_apply(table).to_pandas()
    for (band, role), n in bands.groupby(["asset_band", "owner_role"], dropna=False,
                                         observed=True).size().items():
        print(f"  {band:<30}{n:>7,}  {role if isinstance(role, str) else ''}")
    stars = RelationshipStars().apply(table).to_pandas()["relationship_level"].value_counts()
    print("Relationship stars: " + ", ".join(f"{k} {v:,}" for k, v in stars.items()))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except TierkitError as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_DATA
    except (OSError, pa.ArrowInvalid) as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
