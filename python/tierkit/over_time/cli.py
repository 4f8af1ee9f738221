"""The command line's over-time commands (added to ``tierkit`` by ``tierkit.cli``).

    tierkit history TX --policy P [--from D] [--to D] [-o spells.parquet] [--state S]
        Re-assess the customers of TX at every assessment date of the policy's
        ``assessment:`` section (or --frequency, --window-months) and write the tier
        ledger's spells. With --state: when the file exists, resume from it and advance with
        TX (the transactions since the last assessment) to the next date (or through --to);
        the state is then written back. Without the file, the run's state is written there.
    tierkit migrations LEDGER --from D1 --to D2 [-o cells.csv]
        Customers by tier on D1 x tier on D2 (and up/down/stay rates) from a spells file
        written by ``tierkit history -o`` or a state file (--state), which also gives the
        spend moved between assessment dates.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import InvalidInput
from .._io import is_integer_key, is_parquet, keys_as_text, read_table
from .._time import to_day
from .history import TierHistory
from .ledger import Migration, TierLedger


def add_parsers(sub) -> None:
    h = sub.add_parser("history", help="re-assess customers over time and write the tier ledger")
    h.add_argument("input", help="transactions: a .csv, .csv.gz, .tsv or .parquet file")
    h.add_argument("--policy", required=True, help="policy file with an assessment: section")
    h.add_argument("--from", dest="start", help="first assessment date (default: the policy's, or "
                   "from the data)")
    h.add_argument("--to", dest="end", help="last assessment date (default: the policy's, or the "
                   "last complete period of the data)")
    h.add_argument("--frequency", choices=["month", "quarter", "half_year", "year"],
                   help="assessment frequency (overrides the policy's)")
    h.add_argument("--window-months", help="trailing window in months, or 'all' (overrides the policy's)")
    h.add_argument("--attributes", help="customer attributes (.csv or .parquet)")
    h.add_argument("--state", help="state file: resumed and advanced when it exists, written after")
    h.add_argument("--output", "-o", help="write the spells to this .parquet or .csv file")
    h.add_argument("--records", help="write the per-assessment records (raw tier, held tier, "
                   "watch) to this file")
    h.add_argument("--kpis", help="write the per-tier KPIs to this file")
    h.add_argument("--time-format", help="strptime format when the time column holds text")
    h.add_argument("--delimiter", help="CSV field delimiter (default ',', tab for .tsv)")
    h.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    h.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    m = sub.add_parser("migrations", help="customers by tier on two dates, from a ledger")
    m.add_argument("ledger", help="spells (.parquet/.csv from tierkit history -o) or a state file")
    m.add_argument("--from", dest="start", required=True, help="first date YYYY-MM-DD")
    m.add_argument("--to", dest="end", required=True, help="second date YYYY-MM-DD")
    m.add_argument("--policy", help="the policy file the state was saved under (state files only)")
    m.add_argument("--output", "-o", help="write the cells (from, to, customers, share) to this file")


def _history_kwargs(args) -> dict:
    kw = {}
    if args.start:
        kw["start"] = args.start
    if args.end:
        kw["end"] = args.end
    if args.frequency:
        kw["frequency"] = args.frequency
    if args.window_months:
        if args.window_months == "all":
            kw["window_months"] = None
        else:
            try:
                kw["window_months"] = int(args.window_months)
            except ValueError:
                raise InvalidInput(f"--window-months must be a number of months or 'all'; got "
                                   f"{args.window_months!r}") from None
    return kw


def run_history(args, read_transactions, write, progress) -> int:
    kw = _history_kwargs(args)
    hist = TierHistory.from_file(args.policy, **kw)
    path = Path(args.input)
    data = read_transactions(path, args, hist.tiering.transactions, progress)
    attributes = None
    key = hist.tiering.attributes.get("customer", "customer_id")
    if args.attributes:
        attributes = read_table(Path(args.attributes), text_columns=[key], delimiter=args.delimiter)
    # Customer keys of one kind: text on every side when any side is text (a file's keys are
    # integers only where all of them are; a resumed ledger keeps the kind it was built with).
    tx_key = hist.tiering.transactions.get("customer", "customer_id")
    resumed = bool(args.state and Path(args.state).exists())
    ledger = hist.resume(args.state, threads=args.threads, progress=progress.stage) if resumed else None
    text = not is_integer_key(data.schema, tx_key) or (
        attributes is not None and not is_integer_key(attributes.schema, key)) or (
        ledger is not None and ledger._core.keys_are_strings)
    if text:
        data = keys_as_text(data, tx_key)
        if attributes is not None:
            attributes = keys_as_text(attributes, key)
    if resumed:
        last = ledger.dates[-1]
        ledger.advance(data, attributes)
        if args.end:  # and on through --to, with the rows already given
            end = to_day(args.end, "--to")
            while _day(ledger.dates[-1]) < end:
                ledger.advance(None, attributes)
        title = f"advanced from {last} to {ledger.dates[-1]}"
    else:
        ledger = hist.run(data, attributes, threads=args.threads, progress=progress.stage)
        title = f"{len(ledger.dates)} assessments from {ledger.dates[0]} to {ledger.dates[-1]}"
    _print_ledger(ledger, f"tierkit history: {path.name}, {data.num_rows:,} rows; policy "
                  f"{hist.tiering.name!r}; {title}")
    if args.output:
        write(ledger.spells().to_arrow(), args.output, "spells")
    if args.records:
        write(ledger.records().to_arrow(), args.records, "assessment records")
    if args.kpis:
        write(ledger.kpis().to_arrow(), args.kpis, "tier KPIs")
    if args.state:
        from .._io import write_bytes
        write_bytes(args.state, ledger.state_bytes())
        print(f"wrote the state to {args.state}")
    return 0


def _day(d) -> int:
    return to_day(d, "date")


def _print_ledger(ledger: TierLedger, title: str) -> None:
    print(title)
    rep = ledger.report
    if rep:
        dropped = f", {rep['rows_dropped']:,} dropped as invalid" if rep["rows_dropped"] else ""
        print(f"  {rep['rows_read']:,} rows read, {rep['rows_used']:,} used{dropped}; "
              f"{rep['rows_after_last_assessment']:,} after the last assessment wait for the next")
        for d in rep["dropped"]:
            print(f"    dropped: column {d['column']!r}: {d['rows']:,} rows {d['problem']}")
    dates = ledger.dates
    last = dates[-1]
    recs = ledger.records(last).to_arrow()
    print(f"\nTiers on {last} ({len(recs):,} customers):")
    counts = {t: 0 for t in ledger.ranks}
    for t in recs.column("tier").to_pylist():
        counts[t] = counts.get(t, 0) + 1
    watch = pc.greater(recs.column("watch"), 0)
    watched = recs.filter(watch).column("tier").to_pylist()
    print(f"  {'tier':<20}{'customers':>10}{'share':>8}{'on watch':>10}")
    for t, n in counts.items():
        print(f"  {t:<20}{n:>10,}{n / max(len(recs), 1):>8.1%}{watched.count(t):>10,}")
    if len(dates) > 1:
        m = ledger.migration(dates[-2], last, value=None)
        r = m.rates(ledger.ranks)
        print(f"\nSince {dates[-2]}: {r['up']:.1%} up, {r['down']:.1%} down, {r['stay']:.1%} stayed "
              f"(of {r['customers']:,} customers with a tier on both dates)")
        _print_matrix(m)


def _print_matrix(m: Migration) -> None:
    width = max([len(c) for c in m.columns] + [8]) + 2
    corner = "from / to"
    print(f"  {corner:<20}" + "".join(f"{c:>{width}}" for c in m.columns))
    for i, r in enumerate(m.rows):
        print(f"  {r:<20}" + "".join(f"{int(n):>{width},}" for n in m.counts[i]))


def run_migrations(args, write) -> int:
    path = Path(args.ledger)
    if not path.exists():
        print(f"tierkit: error: no such ledger file: {path}", file=sys.stderr)
        return 2
    a, b = _day(args.start), _day(args.end)
    if path.suffix.lower() in (".csv", ".gz", ".tsv") or is_parquet(path):
        m = migration_from_spells(read_table(path), a, b)
        ranks = m.rows
    else:
        if not args.policy:
            raise InvalidInput("tierkit migrations: a state file needs --policy (the policy it was saved under)")
        ledger = TierHistory.from_file(args.policy).resume(path)
        m = ledger.migration(args.start, args.end)
        ranks = ledger.ranks
    print(f"tierkit migrations: {path.name}, {m.from_date} -> {m.to_date}")
    _print_matrix(m)
    r = m.rates([t for t in ranks if t != "(new)"])
    print(f"{r['up']:.1%} up, {r['down']:.1%} down, {r['stay']:.1%} stayed (of {r['customers']:,} "
          f"customers with a tier on both dates)")
    if args.output:
        write(m.to_long(), args.output, "migration cells")
    return 0


def migration_from_spells(spells: pa.Table, a: int, b: int) -> Migration:
    """A Migration from a spells table (columns: key, tier, effective_from, effective_to),
    tiers ordered as the tier column's dictionary (the ledger's ranking) or by first use."""
    names = [c for c in spells.column_names]
    for c in ("tier", "effective_from", "effective_to"):
        if c not in names:
            raise InvalidInput(f"tierkit migrations: the spells file has no column {c!r}")
    key = names[0]
    tier_col = spells.column("tier")
    if pa.types.is_dictionary(tier_col.type):
        order = tier_col.chunk(0).dictionary.to_pylist() if tier_col.num_chunks else []
        tier_col = tier_col.cast(pa.string())
    else:
        order = list(dict.fromkeys(tier_col.to_pylist()))
    start = spells.column("effective_from").cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
    end = spells.column("effective_to").cast(pa.date32()).cast(pa.int32()).fill_null(2**31 - 1) \
        .to_numpy(zero_copy_only=False)
    tiers = np.array(tier_col.to_pylist(), dtype=object)
    keys = np.array(spells.column(key).to_pylist(), dtype=object)

    def at(day):
        sel = (start <= day) & (end > day)
        return dict(zip(keys[sel], tiers[sel]))

    before, after = at(a), at(b)
    rows = [t for t in order if t in set(before.values())]
    cols = [t for t in order if t in set(after.values())]
    if any(c not in before for c in after):
        rows.append("(new)")
    counts = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for c, t in after.items():
        counts[rows.index(before.get(c, "(new)")), cols.index(t)] += 1
    return Migration(a, b, rows, cols, counts, None, None)


__all__ = ["add_parsers", "run_history", "run_migrations", "migration_from_spells"]
