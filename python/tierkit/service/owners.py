"""Relationship owners (客户经理 / 保有量管理): who serves each customer.

    owners = plan.assign_owners(tiers, roster, date="2024-04-01", branches=customers,
                                previous=last_month, choice=requests)
    owners.to_arrow()      # key, tier, owner, owner_role, reason, cause, credited_to, owner_since, ...
    owners.loads()         # per owner: role, branch, capacity, load, utilisation
    owners.coverage()      # per tier: customers, needing an owner, with one, with one of the role, pooled
    owners.pool()          # the unassigned pool (公海)
    tk.service.OwnerAssignment.from_arrow(pq.read_table("owners.parquet"))   # next month's previous

The rules (include/tierkit/service/owners.hpp): a customer's choice of an owner of the
required role (or of its current owner) is honoured; the current owner is kept while active
and of the role, and on an upgrade whatever the role unless the tier's plan says
``on_upgrade: reassign`` (a downgrade reassigns unless ``on_downgrade: keep``); no owner
holds more than its capacity (kept customers first, by tier, longest served, key); everyone
else -- new, orphaned by an owner who left (absent from the roster or ``active`` false),
released, pooled before -- goes in order of tier, value and key to the least-loaded active
owner of the role in its branch (ties by owner id), or to the pool, reported with the cause.
``credited_to`` is the first owner a customer ever had and never changes. Nothing depends on
row order, and advancing month by month from the previous assignment equals running the
months in one go (``assign_owners_over``).
"""
from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._arrow import missing_column, one_array
from .._errors import InvalidInput, SchemaError
from .._results import Table, html_table, table_from_ipc, table_to_ipc, text_table
from .._time import to_date, to_day
from .contacts import _dates, _labels
from .tiers import _days, _key_capsule, _table, service_tiers

OWNER_REASONS = list(_core.OWNER_REASONS)
OWNER_CAUSES = list(_core.OWNER_CAUSES)


def _aligned(table, key: str, column: str, keys: pa.Array, what: str, role: str) -> pa.Array:
    """`column` of a keyed table, aligned to `keys` (null where the table lacks a customer)."""
    t = _table(table, what)
    if key not in t.column_names:
        raise missing_column(key, t.column_names, f"{role}' key", what)
    if column not in t.column_names:
        raise missing_column(column, t.column_names, role, what)
    tk = one_array(t.column(key))
    if pa.types.is_dictionary(tk.type):
        tk = tk.cast(tk.type.value_type)
    if tk.type != keys.type:
        try:
            tk = tk.cast(keys.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaError(f"{what}: the {role} table is keyed by {tk.type}, the tiers by {keys.type}") from None
    if tk.equals(keys):  # the tiers' own keys in their order: nothing to look up
        rows = None
    else:
        found, repeated = _core.rows_of(_key_capsule(keys, what), _key_capsule(tk, what), column)
        if repeated:
            raise InvalidInput(f"{what}: the {role} table repeats customer keys ({repeated:,} extra rows); one "
                               "row per customer is needed")
        found = np.asarray(found)
        rows = pa.array(found, mask=found < 0)
    col = one_array(t.column(column))
    return col.take(rows) if rows is not None else col


def _ids(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.large_string())
    return arr


def _keys_as(k, are_strings: bool, key_type: pa.DataType) -> pa.Array:
    """Keys from the core (int64, or text as offsets and chars) in the caller's key type where
    they convert to it."""
    if are_strings:
        offsets, chars = k
        arr = pa.Array.from_buffers(pa.large_string(), max(len(offsets) - 1, 0),
                                    [None, pa.py_buffer(offsets), pa.py_buffer(chars)]) \
            if len(offsets) else pa.array([], pa.large_string())
    else:
        arr = pa.array(k, pa.int64())
    if arr.type != key_type:
        try:
            arr = arr.cast(key_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return arr

class OwnerAssignment(Table):
    """Owners per customer (see the module): key, tier, owner, owner_role, reason, cause,
    credited_to, owner_since, previous_owner, assigned_on."""

    def __init__(self, core, tiers_key: str, key_type: pa.DataType, owner_type: pa.DataType, plan=None):
        self._core = core
        self._key_type = key_type
        self._owner_type = owner_type
        self.plan = plan
        Table.__init__(self, self._build(tiers_key), tiers_key, f"owner assignment on {to_date(core.date)}")
        self._loads = self._build_loads()

    # --- building the tables ----------------------------------------------------------------------
    def _owner_keys(self) -> pa.Array:
        return _keys_as(self._core.owner_keys(), self._core.owners_are_strings, self._owner_type)

    def _customer_keys(self) -> pa.Array:
        return _keys_as(self._core.customer_keys(), self._core.customers_are_strings, self._key_type)

    def _owner(self, idx) -> pa.Array:
        idx = np.asarray(idx, dtype=np.int64)
        mask = idx < 0
        return self._owner_keys().take(pa.array(np.where(mask, 0, idx), mask=mask if mask.any() else None))

    def _build(self, key: str) -> pa.Table:
        c = self._core.columns()
        roster = self._core.roster_size
        roles = list(self._core.role)
        owner = np.asarray(c["owner"], dtype=np.int64)
        role_idx = np.where((owner >= 0) & (owner < roster), owner, -1)
        role_names = list(dict.fromkeys(roles))
        role_code = np.array([role_names.index(r) for r in roles] + [-1], dtype=np.int32)[role_idx] \
            if len(owner) else np.zeros(0, np.int32)
        n = len(owner)
        # A rebuilt assignment (from_arrow) keeps what the next one needs: no causes nor
        # previous owners.
        cause = np.asarray(c["cause"], dtype=np.int32) if len(c["cause"]) == n else np.zeros(n, np.int32)
        previous = c["previous_owner"] if len(c["previous_owner"]) == n else np.full(n, -1, np.int32)
        return pa.table({
            key: self._customer_keys(),
            "tier": _labels(c["tier"], list(self._core.tier_names)),
            "owner": self._owner(owner),
            "owner_role": _labels(role_code, role_names),
            "reason": _labels(c["reason"], OWNER_REASONS),
            "cause": _labels(np.where(cause == 0, -1, cause), OWNER_CAUSES),
            "credited_to": self._owner(c["credited_to"]),
            "owner_since": _dates(c["owner_since"]),
            "previous_owner": self._owner(previous),
            "assigned_on": _dates(np.full(len(owner), self._core.date, dtype=np.int32)),
        })

    def _build_loads(self) -> pa.Table:
        c = self._core.columns()
        n = self._core.roster_size
        cap = np.asarray(c["capacity"], dtype=np.int64)
        load = np.asarray(c["load"], dtype=np.int64)
        return pa.table({
            "owner": self._owner_keys().slice(0, n),
            "role": pa.array(list(self._core.role), pa.string()).dictionary_encode(),
            "branch": pa.array(list(self._core.branch), pa.string()).dictionary_encode(),
            "active": pa.array(np.asarray(c["active"], dtype=bool)),
            "capacity": pa.array(cap), "load": pa.array(load),
            "utilisation": pa.array(np.where(cap > 0, load / np.maximum(cap, 1), np.nan)),
        })

    # --- views --------------------------------------------------------------------------------------
    @property
    def date(self):
        """The day of this assignment, as a date."""
        return to_date(self._core.date)

    @property
    def customers_gone(self) -> int:
        """Customers of the previous assignment no longer in the tiers."""
        return self._core.customers_gone

    def loads(self) -> Table:
        """Per owner of the roster: role, branch, active, capacity, load (customers held) and
        utilisation (load / capacity)."""
        return Table(self._loads, "owner", "owner loads")

    def pool(self) -> Table:
        """The unassigned pool (公海): customers who need an owner and have none, with the cause."""
        t = self.to_arrow()
        return Table(t.filter(pc.equal(t.column("reason").cast(pa.string()), "pooled")), self.key_name, "owner pool")

    def coverage(self) -> Table:
        """Per tier (rank order): customers, needing an owner (the plan names a role),
        with an owner, with an owner of the required role, its share of those needing one,
        and pooled."""
        if self.plan is None:
            raise InvalidInput("tierkit.service.OwnerAssignment.coverage: this assignment was rebuilt from a "
                               "table without its plan")
        c = _core.owner_coverage(self._core, self.plan._core)
        need = np.asarray(c["needing"])
        role = np.asarray(c["with_role"])
        return Table(pa.table({"tier": list(self._core.tier_names), "customers": pa.array(c["customers"]),
                               "needing_owner": pa.array(need), "with_owner": pa.array(c["with_owner"]),
                               "with_role": pa.array(role),
                               "share_with_role": pa.array(np.where(need > 0, role / np.maximum(need, 1), np.nan)),
                               "pooled": pa.array(c["pooled"])}), "tier", "owner coverage")

    def summary(self) -> Table:
        """Customers by reason (kept, customer's choice, assigned, pooled, not needed)."""
        t = self.to_arrow()
        counts = pc.value_counts(t.column("reason").cast(pa.string()))
        got = {v.as_py(): n.as_py() for v, n in zip(counts.field("values"), counts.field("counts"))}
        return Table(pa.table({"reason": OWNER_REASONS, "customers": [got.get(r, 0) for r in OWNER_REASONS]}),
                     "reason", "owner assignment summary")

    # --- round trip ---------------------------------------------------------------------------------
    @classmethod
    def from_arrow(cls, table, *, key: str | None = None, plan=None) -> "OwnerAssignment":
        """An assignment from its table (``to_arrow()``, or a file written from it): the
        previous assignment of the next run. Columns read: the key (the first column unless
        ``key``), tier, owner, credited_to, owner_since, reason, assigned_on."""
        what = "tierkit.service.OwnerAssignment.from_arrow"
        t = _table(table, what)
        key = key or t.column_names[0]
        for c in (key, "tier", "owner", "credited_to", "owner_since", "reason", "assigned_on"):
            if c not in t.column_names:
                raise missing_column(c, t.column_names, "previous assignment", what)
        keys = one_array(t.column(key))
        if pa.types.is_dictionary(keys.type):
            keys = keys.cast(keys.type.value_type)
        tier = one_array(t.column("tier"))
        names = [str(x) for x in (tier.dictionary.to_pylist() if pa.types.is_dictionary(tier.type)
                                  else pc.unique(tier.drop_null()).to_pylist())]
        from .tiers import _codes
        owner = _ids(one_array(t.column("owner")))
        credited = _ids(one_array(t.column("credited_to")))
        if owner.type != credited.type:
            credited = credited.cast(owner.type)
        owners = pc.unique(pa.concat_arrays([owner.drop_null(), credited.drop_null()]))
        owner_type = owners.type if len(owners) else owner.type
        def idx(col):
            return np.asarray(pc.index_in(col, value_set=owners).fill_null(-1).to_numpy(zero_copy_only=False),
                              dtype=np.int32)
        reason = one_array(t.column("reason")).cast(pa.string())
        reason_codes = pc.index_in(reason, value_set=pa.array(OWNER_REASONS))
        if reason_codes.null_count:
            raise InvalidInput(f"{what}: {reason_codes.null_count:,} rows have a reason that is not one of "
                               f"{', '.join(OWNER_REASONS)}")
        dates = _days(t.column("assigned_on"), f"{what}: assigned_on")
        date = int(dates[0]) if len(dates) else 0
        core = _core.OwnerAssignment.from_columns(
            date, _key_capsule(keys, what), key, names, _codes(t.column("tier"), names),
            _key_capsule(owners, what) if len(owners) else None, "owner", idx(owner), idx(credited),
            _days(t.column("owner_since"), f"{what}: owner_since"),
            np.asarray(reason_codes.to_numpy(zero_copy_only=False), dtype=np.uint8))
        return cls(core, key, keys.type, owner_type, plan)

    def __reduce__(self):
        return (_from_pickle, (table_to_ipc(self.to_arrow()), table_to_ipc(self._loads), self.key_name, self.plan))

    def __eq__(self, other) -> bool:
        # Utilisation is derived (and NaN for a capacity of 0, which equals nothing).
        return isinstance(other, OwnerAssignment) and self.to_arrow().equals(other.to_arrow()) and \
            self._loads.drop_columns(["utilisation"]).equals(other._loads.drop_columns(["utilisation"]))

    __hash__ = None  # type: ignore[assignment]  # unhashable: compares by value

    def __repr__(self) -> str:
        t = self.to_arrow()
        return (f"<tierkit owner assignment on {self.date}: {t.num_rows:,} customers>\n"
                + text_table(self.summary().to_arrow()) + "\n\n" + text_table(self._loads, limit=10))

    def _repr_html_(self) -> str:
        out = html_table(self.summary().to_arrow(), f"tierkit owner assignment on {self.date}")
        if self.plan is not None:
            out += html_table(self.coverage().to_arrow(), "coverage per tier")
        return out + html_table(self._loads, "owner loads", limit=10) + \
            html_table(self.to_arrow(), "customers", limit=10)


def _from_pickle(data: bytes, loads: bytes, key: str, plan) -> OwnerAssignment:
    """An assignment rebuilt from its table; the loads table travels along (the rebuilt core
    holds what the next assignment needs, not the roster)."""
    table = table_from_ipc(data)
    a = OwnerAssignment.from_arrow(table, key=key, plan=plan)
    a._table = table  # with the causes and previous owners the rebuilt core does not hold
    a._loads = table_from_ipc(loads)
    return a


def _roster(roster, *, owner: str, role: str, branch: str, capacity: str, active: str | None, what: str):
    t = _table(roster, what)
    for c, r in ((owner, "owner id"), (role, "role"), (branch, "branch"), (capacity, "capacity")):
        if c not in t.column_names:
            raise missing_column(c, t.column_names, f"roster's {r}", what)
    ids = _ids(one_array(t.column(owner)))
    if ids.null_count:
        raise InvalidInput(f"{what}: the roster's {owner!r} column has {ids.null_count:,} null rows")
    cap = one_array(t.column(capacity))
    if not pa.types.is_integer(cap.type):
        raise SchemaError(f"{what}: the roster's capacity column {capacity!r} must hold whole numbers; got {cap.type}")
    if cap.null_count:
        raise InvalidInput(f"{what}: the roster's capacity column has {cap.null_count:,} null rows")
    act = None
    if active and active in t.column_names:
        a = one_array(t.column(active))
        if not pa.types.is_boolean(a.type):
            raise SchemaError(f"{what}: the roster's {active!r} column must hold true/false; got {a.type}")
        act = np.asarray(a.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.uint8)

    def texts(c: str) -> list[str]:
        return [str(x) if x is not None else "" for x in one_array(t.column(c)).cast(pa.string()).to_pylist()]

    return ids, texts(role), texts(branch), np.asarray(cap.cast(pa.int64()).to_numpy(zero_copy_only=False)), act


def assign_owners(plan, tiers, roster, *, date, branches=None, previous=None, choice=None, key: str | None = None,
                  tier: str = "tier", since=None, value="monetary", owner: str = "owner_id", role: str = "role",
                  branch: str = "branch", capacity: str = "capacity", active: str | None = "active",
                  choice_column: str = "choice") -> OwnerAssignment:
    """Owners for the customers of `tiers` on `date` (see the module).

    ``roster``: one row per owner: ``owner`` id, ``role`` (one of the plan's owner roles),
    ``branch``, ``capacity`` (保有量 cap) and optionally ``active`` (false: leaving).
    ``branches``: a keyed table with each customer's ``branch`` (customers without one are
    pooled). ``previous``: the last OwnerAssignment (or its table). ``choice``: a keyed table
    whose ``choice`` column holds the owner id a customer chose (null: none). ``value``:
    orders who gets an owner first when owners are short (a tiers column, default
    ``monetary`` when present, or a keyed table).
    """
    what = "tierkit.service.assign_owners"
    day = to_day(date, f"{what}: date")
    if day is None:
        raise InvalidInput(f"{what}: date is required (the day the tiers are read on)")
    st = service_tiers(tiers, plan, date=day, since=since, key=key, tier=tier, value=value, what=what)
    ids, roles, owner_branches, caps, act = _roster(roster, owner=owner, role=role, branch=branch,
                                                    capacity=capacity, active=active, what=what)
    keys = st.keys()
    if branches is not None:
        b = _aligned(branches, key or st.key_name, branch, keys, what, "branches")
        enc = b if pa.types.is_dictionary(b.type) else b.cast(pa.string()).dictionary_encode()
        if enc.dictionary.null_count or pc.count_distinct(enc.dictionary).as_py() != len(enc.dictionary):
            enc = b.cast(b.type.value_type).cast(pa.string()).dictionary_encode()  # a dictionary to tidy first
        branch_codes = np.asarray(enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
        if b.null_count:
            branch_codes = np.where(np.asarray(b.is_valid().to_numpy(zero_copy_only=False)), branch_codes, -1)
        branch_names = [str(x) for x in enc.dictionary.to_pylist()]
    else:
        branch_codes = np.full(len(keys), -1, dtype=np.int32)
        branch_names = []
    choice_codes = None
    if choice is not None:
        chosen = _ids(_aligned(choice, key or st.key_name, choice_column, keys, what, "choice"))
        if chosen.type != ids.type:
            try:
                chosen = chosen.cast(ids.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise SchemaError(f"{what}: the choice column holds {chosen.type}, the roster's ids "
                                  f"{ids.type}") from None
        found = pc.index_in(chosen, value_set=ids)
        codes = np.array(found.fill_null(-2).to_numpy(zero_copy_only=False), dtype=np.int32)
        codes[np.asarray(chosen.is_null().to_numpy(zero_copy_only=False))] = -1
        choice_codes = codes
    prev_core = None
    if previous is not None:
        prev = previous if isinstance(previous, OwnerAssignment) else \
            OwnerAssignment.from_arrow(previous, key=key or st.key_name)
        prev_core = prev._core
    core = _core.assign_owners(plan._core, _key_capsule(ids, what), owner, roles, owner_branches, caps, act, st.core,
                               day, branch_codes, branch_names, choice_codes, prev_core)
    return OwnerAssignment(core, st.key_name, st.key_type, ids.type, plan)


def assign_owners_over(plan, periods, *, previous=None, **common) -> OwnerAssignment:
    """assign_owners applied period after period: `periods` is a list of dicts of
    assign_owners' arguments (tiers, roster, date, branches, choice, ...; ``common`` fills
    the rest), each advanced from the one before."""
    a = previous
    for p in periods:
        args = {**common, **p}
        a = assign_owners(plan, args.pop("tiers"), args.pop("roster"), previous=a, **args)
    if a is None:
        raise InvalidInput("tierkit.service.assign_owners_over: no periods given")
    return a


__all__ = ["OwnerAssignment", "assign_owners", "assign_owners_over", "OWNER_REASONS", "OWNER_CAUSES"]
