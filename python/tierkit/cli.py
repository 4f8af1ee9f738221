"""The ``tierkit`` command line.

    tierkit demo                      the main job on built-in demo data: profile, scores, tiers
    tierkit profile FILE [options]    profile a CSV or Parquet file of transactions
    tierkit tier FILE --policy P      tier the customers of a transactions file by a policy file
    tierkit history FILE --policy P   re-assess customers over time; write the tier ledger
    tierkit migrations LEDGER --from D1 --to D2   customers by tier on two dates
    tierkit service --tiers T --contacts C --policy P --as-of D   due list, owners and SLA

Exit codes, for schedulers: 0 success; 2 bad command line: a missing input file, or an
output (-o, --models) that cannot be created there (a missing or read-only directory),
found before any work starts; 3 bad input data (a missing column, an unsupported type,
invalid rows under on_invalid raise); 4 a policy file that cannot be used (syntax, unknown
keys, a rule that does not parse); 1 anything else, including an output that fails while
it is written (a full disk); 130 interrupted (Ctrl-C). Messages go to stderr, results and
summaries to stdout.

Outputs are written beside their target and renamed onto it only when complete: a failed
or interrupted run leaves an existing output file as it was (see ``_io``).

What leaves (``-o``): ``--columns a,b,c`` writes only those columns (an allow-list: a column
not named is not written; a name the output lacks is a bad command line, exit 2);
``--pseudonymise KEYFILE`` replaces the customer ids by keyed pseudonyms (``tierkit.pseudonym``)
and ``--key-table FILE`` writes the pseudonym -> id table that alone leads back. The key file
is read before any work starts (a missing or short key: exit 2).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import __version__, demo
from ._errors import TierkitError
from ._files import FileSource
from ._io import (KeysNotIntegers, check_writable, is_integer_key, keys_as_text, needed_columns,
                  read_table, write_table)
from ._optional import MissingDependency
from ._progress import Progress
from .abc import ABC
from .asset_bands import AssetBands, RelationshipStars
from .balances import average_daily_balances
from .lifecycle import Lifecycle
from .over_time import cli as over_time_cli
from .profile import Profile, profile
from .pseudonym import pseudonymise, read_key
from .rfm import RFM
from .service import cli as service_cli
from .tiering import PolicyError, Tiering, TieringResult
from .value_potential import ValuePotential

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DATA, EXIT_POLICY = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process ended by Ctrl-C


class _OutputError(Exception):
    """An output file or directory that could not be written while writing it."""
DEMO_POLICY = Path(__file__).parent / "policies" / "demo.yaml"


def _add_profile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", help="evaluation day YYYY-MM-DD (default: day after the last "
                   "transaction)")
    p.add_argument("--window-start", help="first day of an explicit window [start, as_of)")
    p.add_argument("--time-zone", default=None, help="zone in which time-zone-aware timestamps "
                   "become days (default: the column's own zone)")
    p.add_argument("--period", default="month",
                   choices=["day", "week", "month", "quarter", "year"],
                   help="bucket of the spend series")
    p.add_argument("--on-invalid", default="raise", choices=["raise", "drop"],
                   help="invalid rows: stop with an error, or leave them out and report them")
    p.add_argument("--valid-dates", nargs=2, metavar=("FIRST", "LAST"), default=None,
                   help="the days a transaction may be dated, both included (default 1900-01-01 "
                   "2200-12-31); rows dated outside are invalid rows (--on-invalid)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    p.add_argument("--output", "-o", help="write the profile to this .parquet or .csv file")
    _add_output_options(p)


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--columns", help="write only these columns of -o, comma-separated, in this "
                   "order (an allow-list of what leaves: nothing else is written)")
    p.add_argument("--pseudonymise", "--pseudonymize", metavar="KEYFILE", dest="pseudonymise",
                   help="replace the customer ids of -o by keyed pseudonyms (HMAC-SHA256 under "
                   "the bytes of KEYFILE, at least 16; e.g. head -c 32 /dev/urandom > KEYFILE)")
    p.add_argument("--key-table", help="with --pseudonymise: also write the key table "
                   "(pseudonym -> customer id, the only way back) to this .parquet or .csv file")


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
    p.add_argument("input", nargs="+", help="transactions: .csv, .csv.gz, .tsv or .parquet files, "
                   "directories of them (hive key=value partitions included) or globs "
                   "(quoted), streamed batch by batch")
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
    p.add_argument("--no-spend-series", dest="spend_series", action="store_false",
                   help="skip the per-period spend series")
    p.add_argument("--no-purchase-days", dest="purchase_days", action="store_false",
                   help="skip purchase_days, previous_purchase and median_gap (faster, less "
                   "memory)")
    _add_profile_options(p)

    t = sub.add_parser("tier", help="tier the customers of a transactions file by a policy file")
    t.add_argument("input", nargs="+", help="transactions: .csv, .csv.gz, .tsv or .parquet files, "
                   "directories of them or globs (quoted), streamed batch by batch")
    t.add_argument("--policy", required=True, help="policy file (.yaml, .yml or .json); "
                   f"see {DEMO_POLICY} for a template")
    t.add_argument("--attributes", help="customer attributes: a .csv or .parquet file keyed "
                   "as the policy's attributes.customer says")
    t.add_argument("--as-of", help="evaluation day YYYY-MM-DD (overrides the policy's)")
    t.add_argument("--time-format", help="strptime format when the time column holds text "
                   "that is not ISO 8601")
    t.add_argument("--delimiter", help="CSV field delimiter (default ',', tab for .tsv)")
    t.add_argument("--output", "-o", help="write the tiers to this .parquet or .csv file")
    _add_output_options(t)
    t.add_argument("--models", help="directory to save the fitted models and the policy in")
    t.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    t.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    g = t.add_argument_group("groups and households (docs/groups.md)")
    g.add_argument("--by", help="fit every strategy of the policy within groups of these "
                   "--attributes columns (comma-separated), as `by:` in the file does")
    g.add_argument("--min-group-size", type=int, default=None, help="with --by: groups with "
                   "fewer customers are scored by the overall model (default 1)")
    g.add_argument("--null-groups", choices=["error", "overall"], default=None,
                   help="with --by: customers without a group (default: an error)")
    g.add_argument("--households", help="membership file (.csv or .parquet): customer, "
                   "household, optional role and weight; members get their household's tier "
                   "by --hand-back")
    g.add_argument("--member-column", help="membership's customer column (default: the "
                   "policy's customer key)")
    g.add_argument("--household-column", default="household_id",
                   help="membership's household column (default household_id)")
    g.add_argument("--weight-column", help="membership's weight column (for weighted measures)")
    g.add_argument("--household-measures", help="what rolls up, e.g. "
                   "'monetary=sum,balance=max,assets=weighted' (profile or attributes columns; "
                   "default: the numeric columns the household policy's rules read, summed)")
    g.add_argument("--household-policy", help="policy file tiering the households (its "
                   "strategies are fitted on the roll-up; default: --policy's tier rules)")
    g.add_argument("--hand-back", choices=["higher", "household"], default="higher",
                   help="members get the higher of their own and the household's tier "
                   "(default), or the household's")
    over_time_cli.add_parsers(sub)
    service_cli.add_parser(sub)
    return parser


def _read_transactions(path: Path, args, roles: dict, progress: Progress | None = None) -> pa.Table:
    """The whole file (the jobs that need every row at once), its needed columns only."""
    bar = (lambda done, total: progress.update(f"reading {path.name}", done, total)) if progress else None
    columns = needed_columns({k: roles.get(k) for k in _ROLES}, roles.get("derive"))
    table = read_table(path, text_columns=[roles.get("customer"), roles.get("order")],
                       time_column=roles.get("time"), time_format=args.time_format,
                       delimiter=args.delimiter, progress=bar)
    # A missing column is left for the job to report, with its role and the close names.
    table = table.select([c for c in columns if c in table.column_names])
    if progress:
        progress.stage(f"read {table.num_rows:,} rows of {path.name}")
    return table


_ROLES = ("customer", "time", "amount", "order", "quantity", "channel", "category")
_DEFAULT_ROLES = {"customer": "customer_id", "time": "time", "amount": "amount"}


def _files(args, progress: Progress | None = None) -> FileSource:
    """The transactions files named on the command line (files, directories, globs)."""
    bar = (lambda label, done, total: progress.update(label, done, total)) if progress else None
    return FileSource(args.input if len(args.input) > 1 else args.input[0], what="tierkit",
                      time_format=args.time_format, delimiter=args.delimiter, progress=bar)


def _inputs_name(files: FileSource) -> str:
    return files.files[0].path.name if len(files.files) == 1 else f"{len(files.files):,} files"


def _stream_transactions(files: FileSource, roles: dict,
                         keys_as_text: bool = False) -> pa.RecordBatchReader:
    """The files batch by batch, only the columns the job reads: profiled as they are read."""
    # A policy that does not name a required role means tk.profile's default column.
    roles = {**_DEFAULT_ROLES, **{k: v for k, v in roles.items() if v is not None}}
    columns = needed_columns({k: roles.get(k) for k in _ROLES}, roles.get("derive"))
    return files.open(columns, text_columns=[roles.get("customer"), roles.get("order")],
                      time_column=roles.get("time"), keys_as_text=keys_as_text)


def _run_streamed(files: FileSource, args, roles: dict, run, progress: Progress | None = None,
                  attributes: pa.Table | None = None, attribute_key: str | None = None):
    """run(stream, attributes) over the files, keys as integers where they all are (see
    tierkit._io). The customer keys of both inputs are made one kind: text on both sides
    when either is text. Files whose keys turn out to be text after integer first rows are
    read again with their keys as text (run's work on the first attempt is discarded)."""
    as_text = attributes is not None and not is_integer_key(attributes.schema, attribute_key)
    for attempt in (1, 2):
        data = _stream_transactions(files, roles, keys_as_text=as_text)
        attrs = attributes
        # A policy that does not name the customer column means the default one.
        if not is_integer_key(data.schema, roles.get("customer") or "customer_id"):
            attrs = keys_as_text(attributes, attribute_key)
        try:
            return run(data, attrs)
        except KeysNotIntegers as e:
            if attempt == 2:
                raise
            data.close()
            if progress:
                progress.stage(f"{e}: reading {_inputs_name(files)} again with its keys as text")
            as_text = True


class _UsageError(Exception):
    """A command line whose options do not fit together or name what does not exist."""


def _output_settings(args) -> bytes | None:
    """Checks the output options before any work: the key file's bytes (or None)."""
    output = getattr(args, "output", None)
    for option in ("columns", "pseudonymise", "key_table"):
        if getattr(args, option, None) and not output:
            raise _UsageError(f"--{option.replace('_', '-')} applies to the output; give -o too")
    if getattr(args, "key_table", None) and not args.pseudonymise:
        raise _UsageError("--key-table comes with --pseudonymise KEYFILE")
    if not getattr(args, "pseudonymise", None):
        return None
    try:
        return read_key(args.pseudonymise)
    except OSError as e:
        raise _UsageError(f"cannot read the key file {args.pseudonymise!r}: {e.strerror or e}") from None
    except TierkitError as e:
        raise _UsageError(str(e)) from None


def _outgoing(table: pa.Table, args, id_column: str, secret: bytes | None):
    """The output as it may leave: only the --columns asked for, ids pseudonymised."""
    keys = None
    if getattr(args, "columns", None):
        wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
        missing = [c for c in wanted if c not in table.column_names]
        if missing or not wanted:
            raise _UsageError(f"--columns names {', '.join(map(repr, missing)) or 'no column'}, "
                              f"which the output does not have (it has: {', '.join(table.column_names)})")
        table = table.select(list(dict.fromkeys(wanted)))
    if secret is not None and id_column in table.column_names:
        table, keys = pseudonymise(table, key=secret, columns=[id_column], threads=args.threads)
    return table, keys


def _write(table: pa.Table, output: str, what: str) -> None:
    try:
        write_table(table, Path(output))
    except OSError as e:
        raise _OutputError(f"writing the {what} to {output!r} failed: {e.strerror or e}; an "
                           "existing file there is left as it was") from None
    print(f"wrote {table.num_rows:,} {what} to {output}")


def _write_outgoing(table: pa.Table, args, id_column: str, secret: bytes | None, what: str) -> None:
    table, keys = _outgoing(table, args, id_column, secret)
    _write(table, args.output, what)
    if keys is not None and args.key_table:
        _write(keys, args.key_table, "pseudonyms and their customer ids (keep them apart)")


def _unwritable_outputs(args) -> str | None:
    """Why an output named on the command line cannot be written, checked before the work
    starts (a long run should not end on a typo in a directory name)."""
    for option, given, directory in (("--output", getattr(args, "output", None), False),
                                     ("--models", getattr(args, "models", None), True),
                                     ("--records", getattr(args, "records", None), False),
                                     ("--kpis", getattr(args, "kpis", None), False),
                                     ("--state", getattr(args, "state", None), False),
                                     ("--key-table", getattr(args, "key_table", None), False),

                                     ("--owners", getattr(args, "owners", None), False),
                                     ("--sla", getattr(args, "sla", None), False),
                                     ("--occasions", getattr(args, "occasions", None), False)):
        if given:
            why = check_writable(Path(given), directory=directory)
            if why:
                return f"cannot write {option} {given!r}: {why}"
    return None


def _settings(args) -> dict:
    return dict(as_of=args.as_of, window_start=args.window_start, time_zone=args.time_zone,
                period=args.period, on_invalid=args.on_invalid, threads=args.threads,
                valid_dates=getattr(args, "valid_dates", None),
                spend_series=getattr(args, "spend_series", True),
                purchase_days=getattr(args, "purchase_days", True))


def _run(args) -> int:
    unwritable = _unwritable_outputs(args)
    if unwritable:
        print(f"tierkit: error: {unwritable}", file=sys.stderr)
        return EXIT_USAGE
    secret = _output_settings(args)
    if args.command == "tier":
        return _tier(args, secret)
    if args.command == "history":
        for name, given in (("transactions", args.input), ("policy", args.policy),
                            ("attributes", args.attributes)):
            if given and not Path(given).exists():
                print(f"tierkit: error: no such {name} file: {given}", file=sys.stderr)
                return EXIT_USAGE
        return over_time_cli.run_history(args, _read_transactions, _write,
                                         Progress(enabled=not args.quiet))
    if args.command == "migrations":
        return over_time_cli.run_migrations(args, _write)
    if args.command == "service":
        return service_cli.run_service(args, _write)
    if args.command == "demo":
        t0 = time.perf_counter()
        data = demo.transactions(args.customers, args.transactions, seed=args.seed, ids=args.ids)
        t1 = time.perf_counter()
        roles: dict[str, Any] = demo.profile_roles()
        prof = profile(data, **roles, **_settings(args))
        t2 = time.perf_counter()
        print(f"tierkit {__version__}: demo data, {data.num_rows:,} transactions of "
              f"{args.customers:,} potential customers (seed {args.seed}), generated in "
              f"{t1 - t0:.2f} s, profiled in {t2 - t1:.2f} s\n")
    else:
        try:
            files = _files(args)
        except TierkitError as e:
            print(f"{e}", file=sys.stderr)
            return EXIT_USAGE
        t1 = time.perf_counter()
        # Files go to profile whole: it reads only the role columns, pushes an explicit
        # window down to Parquet row groups and reads CSV keys again as text when needed.
        prof = profile(files, customer=args.customer, time=args.time, amount=args.amount, order=args.order,
                       quantity=args.quantity, channel=args.channel, category=args.category,
                       **_settings(args))
        t2 = time.perf_counter()
        print(f"tierkit {__version__}: {_inputs_name(files)}, {prof.report.rows_read:,} rows, read and "
              f"profiled in {t2 - t1:.2f} s\n")
    print(prof.describe())
    if args.command == "demo":
        _print_scores(prof)
        _print_bank(args.seed)
    if args.command == "demo":
        _print_tiers(data)
        _print_history(data)
        _print_service(args.seed)
    if args.output:
        key = args.customer if args.command == "profile" else demo.profile_roles()["customer"]
        _write_outgoing(prof.to_arrow(), args, key, secret, "customers")
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
    life = Lifecycle().fit_apply(prof).to_arrow().column("lifecycle")
    print("\nLifecycle (new <= 90 days, dormant > 180 days silent, churned > 365):")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in _counts(life)))


def _counts(column: pa.ChunkedArray) -> list[tuple]:
    """(value, count) pairs of a column, most frequent first (ties by value), with the labels
    of a dictionary column that no row has at 0; nulls last."""
    vc = pc.value_counts(column.cast(column.type.value_type)
                         if pa.types.is_dictionary(column.type) else column)
    pairs = [(v.as_py(), n.as_py()) for v, n in zip(vc.field("values"), vc.field("counts"))]
    if pa.types.is_dictionary(column.type) and column.num_chunks:  # labels no one has: 0
        seen = {v for v, _ in pairs}
        pairs += [(v, 0) for v in column.chunk(0).dictionary.to_pylist() if v not in seen]
    return sorted(pairs, key=lambda p: (p[0] is None, -p[1], str(p[0])))


def _print_bank(seed: int) -> None:
    """Average daily balances, asset bands and stars on generated bank data."""
    bank = demo.bank(5_000, 200_000, seed=seed)
    adb = average_daily_balances(bank["events"])
    by_customer = adb.by_customer(bank["owners"])
    key = by_customer.key_name
    table = by_customer.latest().to_arrow() \
        .join(by_customer.mean().to_arrow().select([key, "adb_cv"]), key) \
        .join(bank["customers"].rename_columns(
            [key if c == "customer_id" else c for c in bank["customers"].column_names]), key) \
        .sort_by(key)
    print(f"\nBank demo: {bank['events'].num_rows:,} balance events on "
          f"{bank['owners'].num_rows:,} accounts of 5,000 customers; average daily balance of "
          "the last month, asset bands (Chinese retail preset):")
    bands = AssetBands.preset().fit_apply(table, key=key).to_arrow()
    pairs = pa.table({"band": bands.column("asset_band").cast(pa.string()),
                      "role": bands.column("owner_role").cast(pa.string())})
    counts = pairs.group_by(["band", "role"], use_threads=False).aggregate([([], "count_all")])
    rank = {b: i for i, b in enumerate(bands.column("asset_band").chunk(0).dictionary.to_pylist())} \
        if bands.num_rows else {}
    for r in sorted(counts.to_pylist(), key=lambda r: rank.get(r["band"], len(rank))):
        print(f"  {r['band'] or '':<30}{r['count_all']:>7,}  {r['role'] or ''}")
    stars = RelationshipStars().apply(table, key=key).to_arrow().column("relationship_level")
    print("Relationship stars: " + ", ".join(f"{k} {v:,}" for k, v in _counts(stars)))


def _tier(args, secret: bytes | None = None) -> int:
    progress = Progress(enabled=not args.quiet)
    for name, given in (("policy", args.policy), ("attributes", args.attributes)):
        if given and not Path(given).exists():
            print(f"tierkit: error: no such {name} file: {given}", file=sys.stderr)
            return EXIT_USAGE
    for name, given in (("membership", args.households),
                        ("household policy", args.household_policy)):
        if given and not Path(given).exists():
            print(f"tierkit: error: no such {name} file: {given}", file=sys.stderr)
            return EXIT_USAGE
    if args.by and not args.attributes:
        raise _UsageError("--by reads the group columns from --attributes; give --attributes")
    for option in ("min_group_size", "null_groups"):
        if getattr(args, option) is not None and not args.by:
            raise _UsageError(f"--{option.replace('_', '-')} goes with --by")
    for option in ("member_column", "weight_column", "household_measures", "household_policy"):
        if getattr(args, option) and not args.households:
            raise _UsageError(f"--{option.replace('_', '-')} goes with --households")
    try:
        files = _files(args, progress)
    except TierkitError as e:
        print(f"{e}", file=sys.stderr)
        return EXIT_USAGE
    job = Tiering.from_file(args.policy)
    if args.by:
        _group_job(job, args)
    attributes = None
    key = job.attributes.get("customer", "customer_id")
    if args.attributes:
        attributes = read_table(Path(args.attributes), text_columns=[key], delimiter=args.delimiter)
        progress.stage(f"read {attributes.num_rows:,} attribute rows of {Path(args.attributes).name}")
    result = _run_streamed(files, args, job.transactions, lambda data, attrs: job.run(
        data, attrs, as_of=args.as_of, threads=args.threads, progress=progress.stage),
        progress, attributes, key)
    progress.stage(f"read {result.profile.report.rows_read:,} rows of {_inputs_name(files)}")
    _print_result(result, f"tierkit {__version__}: {_inputs_name(files)}, {result.profile.report.rows_read:,} rows; "
                  f"policy {job.name!r}")
    _print_groups(result)
    tiers = result.tiers.to_arrow()
    if args.households:
        tiers = _households(args, job, result, attributes, key, progress)
    if args.output:
        _write_outgoing(tiers, args, job.transactions.get("customer", "customer_id"),
                        secret, "customers' tiers")
    if args.models:
        try:
            written = result.save_models(args.models)
        except OSError as e:
            raise _OutputError(f"saving the models to {args.models!r} failed: {e.strerror or e}; "
                               "the model file being written is left as it was") from None
        print(f"saved {len(written)} models and the policy to {args.models}")
    return EXIT_OK


def _group_job(job: Tiering, args) -> None:
    """Every strategy of the job fitted within the --by groups (one with its own `by:` keeps it)."""
    from .groups import Grouped
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    options = {k: v for k, v in (("min_size", args.min_group_size),
                                                     ("nulls", args.null_groups)) if v is not None}
    try:
        job.strategies = [(n, s if isinstance(s, Grouped) else Grouped(s, by, **options), on)
                          for n, s, on in job.strategies]
    except TierkitError as e:
        raise _UsageError(f"--by: {e}") from None


def _print_groups(result: TieringResult) -> None:
    """Per grouped strategy: groups fitted and the small groups scored by the overall model."""
    for name, model in result.models.items():
        rep = getattr(model, "report", None)
        if not isinstance(rep, dict) or "small" not in rep:
            continue
        small = rep["small"]
        line = (f"  {name} within {', '.join(model.by)}: {rep['groups']:,} groups, {rep['fitted']:,} "
                f"with their own model")
        if small:
            shown = ", ".join(f"{s['group']} ({s['rows']:,})" for s in small[:8])
            more = f" and {len(small) - 8:,} more" if len(small) > 8 else ""
            line += (f"; {len(small):,} under min_size={rep['min_size']:,} scored by the overall "
                     f"model: {shown}{more}")
        if rep.get("null_rows"):
            line += f"; {rep['null_rows']:,} customers without a group scored by the overall model"
        print(line)


def _households(args, job: Tiering, result: TieringResult, attributes, key: str, progress) -> pa.Table:
    """Roll the customers up to households, tier them, hand the tiers back (the -o table:
    the tiers with own_tier, household, household_tier and tier_source; members without
    transactions added)."""
    from .households import Households
    from .scoring import score
    member = args.member_column or key
    membership = read_table(Path(args.households), text_columns=[member, args.household_column],
                            delimiter=args.delimiter)
    tiers = result.tiers.to_arrow()
    keys = tiers.column(0)
    if pa.types.is_string(keys.type) and member in membership.column_names:
        membership = membership.set_column(membership.column_names.index(member), member,
                                           membership.column(member).cast(pa.string()))
    hh = Households(membership, customer=member, household=args.household_column,
                    weight=args.weight_column)
    hjob = Tiering.from_file(args.household_policy) if args.household_policy else job
    # The roll-up's input: the profile with the attributes' numeric columns beside it.
    data = result.profile.to_arrow()
    if attributes is not None:
        a = attributes
        if a.schema.field(key).type != data.schema.field(data.column_names[0]).type:
            a = a.set_column(a.column_names.index(key), key,
                             a.column(key).cast(data.schema.field(data.column_names[0]).type))
        extra = [c for c in a.column_names if c != key and c not in data.column_names]
        if extra:
            a = a.select([key, *extra]).rename_columns([data.column_names[0], *extra])
            data = data.join(a, data.column_names[0], join_type="left outer")
    numeric = {f.name for f in data.schema if pa.types.is_integer(f.type) or
               pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)}
    if args.household_measures:
        measures = {}
        for part in args.household_measures.split(","):
            name, _, how = part.partition("=")
            measures[name.strip()] = (how or "sum").strip()
    else:
        measures = {c: "sum" for c in hjob.policy.columns if c in numeric}
        if not measures:
            raise _UsageError("--households: the household policy's rules read no numeric column "
                              "of the profile or attributes; give --household-measures")
    rolled = hh.rollup(data, measures, key=data.column_names[0])
    rep = rolled.report
    progress.stage(f"rolled {len(data):,} customers up to {rep['households']:,} households")
    inputs = [rolled]
    strategies = [s for _, s, on in hjob.strategies if on == "profile"] if hjob is not job else []
    if strategies:
        inputs.append(score(rolled, *strategies))
    htiers = hjob.policy.assign(*inputs)
    back = hh.hand_back(result.tiers, htiers, job.policy, rule=args.hand_back)
    b = back.report
    print(f"\nhouseholds: {rep['households']:,} ({rep['households_without_data']:,} without members "
          f"with data); {rep['members_missing']:,} memberships of customers without transactions; "
          f"{rep['customers_in_several']:,} customers in several households; hand-back "
          f"'{args.hand_back}': {b['raised']:,} customers raised, {b['lowered']:,} lowered")
    out = back.to_arrow().rename_columns(
        [c if c != "source" else "tier_source" for c in back.to_arrow().column_names])
    rest = tiers.drop_columns(["tier"])
    joined = out.join(rest, out.column_names[0], join_type="left outer")
    return joined.sort_by([(joined.column_names[0], "ascending")])


def _print_result(result: TieringResult, title: str) -> None:
    """The run's counts, the per-tier summary and the rule check, as text."""
    print(title)
    rep = result.report
    if "profile" in rep:
        r = rep["profile"]
        dropped = f", {r.rows_dropped:,} dropped as invalid" if r.rows_dropped else ""
        print(f"  as of {r.as_of}: {r.rows_read:,} rows read, {r.rows_used:,} used{dropped}; "
              f"{r.customers:,} customers")
        for d in r.dropped:
            print(f"    dropped: {d}")
    if "attributes" in rep:
        a = rep["attributes"]
        print(f"  attributes: {a['with_attributes']:,} customers with, {a['without_attributes']:,} "
              f"without; {a['attributes_without_transactions']:,} attribute rows without "
              "transactions (not tiered)")
    s = result.summary().to_arrow().to_pylist()
    has_value = s and "monetary" in s[0]
    print(f"\n{'tier':<16}{'customers':>10}{'share':>8}" + (f"{'monetary':>16}{'share':>8}" if has_value else "")
          + "  rules")
    for row in s:
        value = f"{row['monetary']:>16,.2f}{(row['monetary_share'] or 0):>8.1%}" if has_value else ""
        print(f"{row['tier']:<16}{row['customers']:>10,}{row['share']:>8.1%}{value}  {row['rules']}")
    problems = [line for line in str(result.check).splitlines()
                if "never match" in line or "matched nobody" in line]
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)


def _print_tiers(data: pa.Table) -> None:
    """The demo policy (policies/demo.yaml) on the demo transactions."""
    job = Tiering.from_file(DEMO_POLICY)
    result = job.run(data)
    print(f"\nTiers by the demo policy ({DEMO_POLICY.name}: RFM, ABC, lifecycle and value x "
          "potential, four rules, first match wins):")
    for i, rule in enumerate(job.policy.rules):
        print(f"  rule {i + 1}: {rule['tier']:<10} when {rule['when']}")
    _print_result(result, "")


def _print_history(data: pa.Table) -> None:
    """A year of monthly re-tiering by the demo policy's assessment section."""
    from .over_time import TierHistory
    t0 = time.perf_counter()
    ledger = TierHistory.from_file(DEMO_POLICY, start="2023-01-01", end="2024-01-01").run(data)
    seconds = time.perf_counter() - t0
    dates = ledger.dates
    print(f"\nA year of monthly re-tiering ({len(dates)} assessments, {dates[0]} to {dates[-1]}, "
          f"12-month windows; Diamond leaves after 3 months below, Gold after 2) in {seconds:.2f} s:")
    m = ledger.migration(dates[0], dates[-1])
    r = m.rates(ledger.ranks)
    width = max(len(c) for c in m.columns) + 2
    corner = f"{dates[0]} \\ {dates[-1]}"
    print(f"  {corner:<26}" + "".join(f"{c:>{width}}" for c in m.columns))
    for i, row in enumerate(m.rows):
        print(f"  {row:<26}" + "".join(f"{int(n):>{width},}" for n in m.counts[i]))
    print(f"  over the year: {r['up']:.1%} moved up, {r['down']:.1%} down, {r['stay']:.1%} stayed")
    k = ledger.kpis().to_arrow().to_pylist()
    before_last = [row for row in k if row["assessment"] == dates[-2]]
    print(f"  next month's spend per customer by tier held on {dates[-2]}: " + ", ".join(
        f"{row['tier']} {row['next_value_per_customer']:,.0f} ({row['lift']:.1f}x)" for row in before_last
        if row["next_value_per_customer"] is not None))
    watch = ledger.watch_list().to_arrow()
    print(f"  watch list on {dates[-1]}: {watch.num_rows:,} customers below their tier, keeping it "
          "for now" + (":" if watch.num_rows else ""))
    for row in watch.slice(0, 5).to_pylist():
        key = row[ledger.key_name]
        print(f"    customer {key}: holds {row['tier']}, assessed {row['raw_tier']}, {row['watch']} month(s) "
              f"below; downgraded on {row['downgrade_on']} unless it requalifies")


def _print_service(seed: int) -> None:
    """Service on the bank demo: the asset bands as tiers, the Chinese retail service plan,
    a year of contacts, the owner assignment and the due list."""
    from .service import ServicePlan
    bank = demo.bank(5_000, 200_000, seed=seed)
    adb = average_daily_balances(bank["events"]).by_customer(bank["owners"])
    key = adb.key_name
    table = adb.latest().to_arrow().join(bank["customers"], key).sort_by(key)
    bands = AssetBands.preset().fit_apply(table, key=key).to_arrow()
    tiers = pa.table({key: bands.column(key), "tier": bands.column("asset_band")})
    plan = ServicePlan.preset("chinese_retail")
    as_of = "2024-04-01"
    t0 = time.perf_counter()
    owners = plan.assign_owners(tiers, bank["roster"], date=as_of, branches=bank["customers"].select([key, "branch"]),
                                since="2024-01-01")
    book = plan.contacts(bank["contacts"], tiers, as_of=as_of, since="2024-01-01")
    due = book.due(7, owners=owners)
    sla = book.sla("month", 3).to_arrow()
    seconds = time.perf_counter() - t0
    r = book.report
    print(f"\nService (bank demo, tiers = asset bands since 2024-01-01, plan chinese_retail): "
          f"{r['rows_read']:,} contacts of a year, {r['rows_used']:,} counted ({r['not_counted']:,} unanswered); "
          f"owners, contacts, due list and SLA in {seconds:.2f} s")
    service_cli.print_owners(owners, limit=5)
    from ._results import text_table
    print(f"\nDue list on {as_of} and the week after: {len(due):,} rows (highest tier, most overdue first)")
    print(text_table(due.summary().to_arrow()))
    print(text_table(due.to_arrow().drop_columns(["remaining"]), limit=8))
    march = sla.filter(pc.equal(sla.column("period"), sla.column("period")[sla.num_rows - 1]))
    print("Within cadence in " + str(march.column("period")[0]) + ": " + ", ".join(
        f"{row['tier']} {row['within']:,}/{row['customers']:,} ({row['share']:.0%})" for row in march.to_pylist()))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("tierkit: interrupted (outputs are replaced only when complete: none is "
              "half-written)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _OutputError as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except _UsageError as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except PolicyError as e:
        print(f"tierkit: policy error: {e}", file=sys.stderr)
        return EXIT_POLICY
    except TierkitError as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_DATA
    except MissingDependency as e:
        print(f"tierkit: {e}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, pa.ArrowInvalid) as e:
        print(f"tierkit: error: {e}", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
