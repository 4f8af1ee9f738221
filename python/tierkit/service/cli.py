"""The command line's service command (added to ``tierkit`` by ``tierkit.cli``).

    tierkit service --tiers TIERS --contacts LOG --policy P --as-of D [-o due.csv]
        The due list on D (and the next --within days) from the contact log and the tiers,
        under the policy file's ``service:`` section. TIERS: a tier assignment (``tierkit
        tier -o``: key, tier; a ``since`` column is read when present, else --since or D) or
        a spells file (``tierkit history -o``).
        With --roster and --branches: the owner assignment (--owners writes it; --previous
        advances from last period's, --choice reads customers' choices), and the due list
        names each customer's owner.
        --sla writes the SLA per period, tier (and owner); --occasions (with --attributes and
        --occasion-columns) writes birthdays and anniversaries of the next --days days.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from .._errors import InvalidInput
from .._io import integer_keys, read_table
from .._results import text_table
from .contacts import ContactBook, occasions
from .owners import OwnerAssignment, assign_owners
from .plan import ServicePlan


def add_parser(sub) -> None:
    s = sub.add_parser("service", help="due list, owner assignment and SLA from a contact log and tiers")
    s.add_argument("--tiers", required=True, help="tiers (.parquet/.csv from tierkit tier -o) or spells "
                   "(tierkit history -o)")
    s.add_argument("--contacts", required=True, help="contact log: customer, time, channel, outcome")
    s.add_argument("--policy", required=True, help="policy file with a service: section")
    s.add_argument("--as-of", required=True, help="the day of the due list, YYYY-MM-DD (contacts before it count)")
    s.add_argument("--within", type=int, default=0, help="also what falls due in the next N days (default 0: "
                   "due today or overdue)")
    s.add_argument("--since", help="the day the tiers' customers entered their tiers (tiers without dates; "
                   "default: a since column, else --as-of)")
    s.add_argument("--customer", help="customer key column (default: the policy's transactions.customer, "
                   "else the tiers file's first column)")
    s.add_argument("--time", default="time", help="the log's time column")
    s.add_argument("--channel", default="channel", help="the log's channel column (read when present)")
    s.add_argument("--outcome", default="outcome", help="the log's outcome column (read when present)")
    s.add_argument("--time-zone", help="zone in which time-zone-aware timestamps become days")
    s.add_argument("--on-invalid", default="drop", choices=["drop", "raise"],
                   help="contacts of unknown customers and invalid rows: leave out and count (default), or stop")
    s.add_argument("--roster", help="owners: owner_id, role, branch, capacity[, active]")
    s.add_argument("--branches", help="customers' branches: key, branch")
    s.add_argument("--previous", help="the previous owner assignment (a file written by --owners)")
    s.add_argument("--choice", help="customers' choices: key, choice (an owner id)")
    s.add_argument("--owners", help="write the owner assignment to this file")
    s.add_argument("--sla", help="write the SLA per period, tier (and owner) to this file")
    s.add_argument("--period", default="month", choices=["week", "month", "quarter", "year"],
                   help="SLA period")
    s.add_argument("--periods", type=int, default=12, help="SLA periods up to --as-of")
    s.add_argument("--occasions", help="write occasions of the next --days days to this file")
    s.add_argument("--attributes", help="customer attributes with the occasion dates")
    s.add_argument("--occasion-columns", default="birthday", help="comma-separated date columns (default birthday)")
    s.add_argument("--days", type=int, default=30, help="days ahead for occasions")
    s.add_argument("--delimiter", help="CSV field delimiter (default ',', tab for .tsv)")
    s.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    s.add_argument("--output", "-o", help="write the due list to this .csv or .parquet file")
    s.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _read(path: str, key: str | None, delimiter, what: str) -> pa.Table:
    p = Path(path)
    return read_table(p, text_columns=[key] if key else [], delimiter=delimiter)


def _same_key_type(t: pa.Table, key: str, target: pa.DataType, what: str) -> pa.Table:
    """Files key by integers or text (tierkit._io's policy): the other files' keys take the
    tiers' type, failing clearly when they cannot. Text becomes an integer key only when
    written canonically ("00042" is not the customer 42)."""
    if key not in t.column_names:
        return t
    col = t.column(key)
    if col.type == target or pa.types.is_dictionary(col.type):
        return t
    if pa.types.is_integer(target) and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        ints = integer_keys(col)
        if ints is not None:
            return t.set_column(t.column_names.index(key), key, ints.cast(target))
        raise InvalidInput(f"tierkit service: the {what}'s key column {key!r} holds text that is not "
                           f"integer keys as the tiers' are")
    try:
        return t.set_column(t.column_names.index(key), key, col.cast(target))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InvalidInput(f"tierkit service: the {what}'s key column {key!r} holds {col.type} values that "
                           f"are not {target} keys as the tiers' are") from None


def run_service(args, write) -> int:
    for name, given in (("tiers", args.tiers), ("contacts", args.contacts), ("policy", args.policy),
                        ("roster", args.roster), ("branches", args.branches), ("previous", args.previous),
                        ("choice", args.choice), ("attributes", args.attributes)):
        if given and not Path(given).exists():
            print(f"tierkit: error: no such {name} file: {given}", file=sys.stderr)
            return 2
    if bool(args.roster) != bool(args.branches):
        print("tierkit: error: owner assignment needs both --roster and --branches", file=sys.stderr)
        return 2
    if args.occasions and not args.attributes:
        print("tierkit: error: --occasions needs --attributes (the table with the dates)", file=sys.stderr)
        return 2
    plan = ServicePlan.from_file(args.policy)
    from ..tiering import Tiering
    key = args.customer or Tiering.from_file(args.policy).transactions.get("customer")
    tiers = _read(args.tiers, key, args.delimiter, "tiers")
    if key is None or key not in tiers.column_names:
        key = tiers.column_names[0]
        tiers = _read(args.tiers, key, args.delimiter, "tiers")
    key_type = tiers.schema.field(key).type
    if pa.types.is_dictionary(key_type):
        key_type = key_type.value_type

    def keyed(path, what):
        return _same_key_type(_read(path, key, args.delimiter, what), key, key_type, what)

    log = keyed(args.contacts, "contact log")
    book = ContactBook(plan, log, tiers, as_of=args.as_of, customer=key, time=args.time, channel=args.channel,
                       outcome=args.outcome, since=args.since, key=key, time_zone=args.time_zone,
                       on_invalid=args.on_invalid, threads=args.threads)
    r = book.report
    print(f"tierkit service: {Path(args.contacts).name}, {r['rows_read']:,} contacts read, {r['rows_used']:,} "
          f"counted for {len(book.tiers):,} customers of {Path(args.tiers).name} on {book.date}")
    left = [(r["unknown_customers"], "of customers the tiers do not hold"), (r["after_as_of"], "on or after --as-of"),
            (r["not_counted"], "attempts (outcomes not counted)"), (r["rows_dropped"], "invalid")]
    for n, why in left:
        if n:
            print(f"  {n:,} rows {why}: left out")
    for d in r["dropped"]:
        print(f"    column {d['column']!r}: {d['rows']:,} rows {d['problem']}")
    owners = None
    if args.roster:
        previous = OwnerAssignment.from_arrow(keyed(args.previous, "previous assignment"), key=key, plan=plan) \
            if args.previous else None
        owners = assign_owners(plan, tiers, _read(args.roster, "owner_id", args.delimiter, "roster"),
                               date=args.as_of, branches=keyed(args.branches, "branches"), previous=previous,
                               choice=keyed(args.choice, "choice") if args.choice else None, key=key,
                               since=args.since)
        print_owners(owners)
    due = book.due(args.within, owners=owners)
    when = "due today or overdue" if args.within == 0 else f"due by {args.within} days from {book.date}"
    print(f"\nDue list on {book.date} ({when}): {len(due):,} rows")
    print(text_table(due.summary().to_arrow()))
    print()
    print(text_table(due.to_arrow(), limit=10))
    if args.output:
        write(due.to_arrow(), args.output, "due rows")
    if owners is not None and args.owners:
        write(owners.to_arrow(), args.owners, "owner assignments")
    if args.sla:
        sla = book.sla(args.period, args.periods, owners=owners)
        write(sla.to_arrow(), args.sla, "SLA rows")
    if args.occasions:
        cols = [c.strip() for c in args.occasion_columns.split(",") if c.strip()]
        occ = occasions(keyed(args.attributes, "attributes"), book.tiers, cols, as_of=args.as_of, days=args.days)
        print(f"\nOccasions in the next {args.days} days: {len(occ):,}")
        write(occ.to_arrow(), args.occasions, "occasions")
    return 0


def print_owners(owners: OwnerAssignment, limit: int = 8) -> None:
    print(f"\nOwners on {owners.date}:")
    print("  " + ", ".join(f"{r['reason']} {r['customers']:,}" for r in owners.summary().to_arrow().to_pylist()))
    if owners.plan is not None:
        print(text_table(owners.coverage().to_arrow()))
    loads = owners.loads().to_arrow()
    if loads.num_rows:
        import pyarrow.compute as pc
        by_role = loads.group_by(["role"], use_threads=False).aggregate([("owner", "count"), ("capacity", "sum"),
                                                                         ("load", "sum")])
        print("  loads by role: " + "; ".join(
            f"{r['role']}: {r['owner_count']} owners, {r['load_sum']:,} of {r['capacity_sum']:,}"
            for r in by_role.to_pylist()))
        fullest = loads.take(pc.sort_indices(loads, sort_keys=[("utilisation", "descending"), ("owner", "ascending")]))
        print(text_table(fullest, limit=limit))


__all__ = ["add_parser", "run_service", "print_owners"]
