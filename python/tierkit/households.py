"""Households: roll members' balances and metrics up, tier the household, hand the tier back.

    hh = tk.Households(members, customer="customer_id", household="household_id",
                       role="role", weight="weight")
    rolled = hh.rollup(profile_or_balances, {"balance": "sum", "monetary": "max",
                                             "assets": "weighted"})
    hh_tiers = policy.assign(rolled)                  # any strategy or policy: a keyed table
    member_tiers = hh.hand_back(own_tiers, hh_tiers, order=policy, rule="higher")

Treatments (each tested in tests/python/test_households.py):

* Measures: ``sum`` adds the members' values, ``max`` takes the largest, ``weighted`` adds
  value × weight (the membership's weight column, 1 when there is none). A member's missing
  value (NaN/null) is left out of the household's figure; a household none of whose
  members has a value for a measure gets null there (not 0), so strategies leave it
  unscored. ``members`` counts membership rows, ``members_with_data`` those found in the data.
* A customer in several households is counted in each of them (with that membership's
  weight: weights summing to 1 over a customer's households keep ``weighted`` totals equal to
  the members' totals). ``several="error"`` refuses such a table instead. At hand-back the
  customer gets the highest tier among their households.
* A member missing from the data contributes nothing to the roll-up (counted in
  ``rollup(...).report["members_missing"]``) and at hand-back still receives the household's
  tier (it is a member).
* A household with no members with data keeps a row with null measures (counted in
  ``report["households_without_data"]``).
* Hand-back rules: ``"household"`` (members get the household's tier; a member whose
  household has no tier keeps their own) or ``"higher"`` (the higher of their own and the
  household's, by ``order``: a list of tiers highest first, or a TierPolicy whose rule order,
  then its default, is that order). Under "higher" handing back never lowers a tier.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow import as_arrow, missing_column, one_array
from ._errors import InvalidInput, SchemaError
from ._results import Table
from .scoring import metrics_of

_HOW = ("sum", "max", "weighted")
_RULES = ("higher", "household")


def _table(data, what: str) -> pa.Table:
    if hasattr(data, "to_arrow") and not isinstance(data, pa.Table):
        data = data.to_arrow()
    source = as_arrow(data, what)
    return source.read_all() if isinstance(source, pa.RecordBatchReader) else source


def _text(col: pa.Array) -> pa.Array:
    return col.dictionary_decode() if pa.types.is_dictionary(col.type) else col


class Households:
    """A membership table: one row per (customer, household) with a role and optional weight."""

    def __init__(self, membership, *, customer: str = "customer_id",
                 household: str = "household_id", role: str | None = "role",
                 weight: str | None = None, several: str = "allow"):
        what = "tierkit.Households"
        t = _table(membership, what)
        for name, kind in ((customer, "customer"), (household, "household")):
            if name not in t.column_names:
                raise missing_column(name, t.column_names, kind, what)
        if role is not None and role not in t.column_names:
            if role == "role":  # the default name: a table without roles is fine
                role = None
            else:
                raise missing_column(role, t.column_names, "role", what)
        if several not in ("allow", "error"):
            raise InvalidInput(f"{what}: several must be 'allow' or 'error'; got {several!r}")
        self.customer_name, self.household_name = customer, household
        self.customers = _text(one_array(t.column(customer)))
        self.households = _text(one_array(t.column(household)))
        for name, col in ((customer, self.customers), (household, self.households)):
            if col.null_count:
                raise InvalidInput(f"{what}: the {name!r} column has {col.null_count:,} null rows "
                                   f"(of {len(col):,})")
        # An empty table from pandas has columns of type null: read them as text.
        if pa.types.is_null(self.customers.type):
            self.customers = self.customers.cast(pa.string())
        if pa.types.is_null(self.households.type):
            self.households = self.households.cast(pa.string())
        self.roles = _text(one_array(t.column(role))) if role is not None else None
        if weight is not None:
            if weight not in t.column_names:
                raise missing_column(weight, t.column_names, "weight", what)
            wt = t.schema.field(weight).type
            if not (pa.types.is_integer(wt) or pa.types.is_floating(wt) or pa.types.is_decimal(wt)):
                raise SchemaError(f"{what}: the weight column {weight!r} is {wt}, not numbers")
            w = one_array(t.column(weight)).cast(pa.float64())
            bad = int(w.null_count)
            wv = w.to_numpy(zero_copy_only=False)
            bad += int((~np.isfinite(wv) | (wv < 0)).sum()) - int(w.null_count)
            if bad:
                raise InvalidInput(f"{what}: the weight column {weight!r} has {bad:,} rows that are "
                                   "null, negative or not finite")
            self.weights = np.asarray(wv, dtype=np.float64)
        else:
            self.weights = np.ones(len(self.customers), dtype=np.float64)
        pairs = pa.table({"c": self.customers, "h": self.households})
        distinct = pairs.group_by(["c", "h"]).aggregate([]).num_rows
        if distinct != pairs.num_rows:
            raise InvalidInput(f"{what}: {pairs.num_rows - distinct:,} rows repeat a (customer, "
                               "household) pair already listed")
        per_customer = pairs.group_by("c").aggregate([([], "count_all")])
        self.in_several = int(pc.sum(pc.greater(per_customer.column("count_all"), 1)).as_py() or 0)
        if several == "error" and self.in_several:
            raise InvalidInput(f"{what}: {self.in_several:,} customers belong to more than one "
                               "household (several='error')")
        self.household_ids = pc.unique(self.households)
        self._hcode = pc.index_in(self.households, value_set=self.household_ids).to_numpy(
            zero_copy_only=False).astype(np.int64)

    def __len__(self) -> int:
        return len(self.household_ids)

    def rollup(self, data, measures: Mapping[str, str], key: str | None = None,
               roles: Sequence[str] | None = None) -> Table:
        """Per household: members, members_with_data and each measure (see the module).
        ``roles``: only these members' values count (e.g. ["head", "spouse"])."""
        what = "tierkit.Households.rollup"
        if not isinstance(measures, Mapping) or not measures:
            raise InvalidInput(f"{what}: measures must map column names to one of {_HOW}")
        metrics = metrics_of(data, key, what)
        for name, how in measures.items():
            if how not in _HOW:
                raise InvalidInput(f"{what}: measure {name!r}: how must be one of {_HOW}; got {how!r}")
            if name not in metrics.names:
                raise missing_column(name, metrics.names, "measure", what)
        keys = metrics.keys
        members = self.customers
        try:
            members = members.cast(keys.type) if members.type != keys.type else members
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaError(f"{what}: the membership's customers are {self.customers.type}, "
                              f"the data's keys are {keys.type}") from None
        pos = pc.index_in(members, value_set=keys)
        found = ~pos.is_null().to_numpy(zero_copy_only=False)
        counts = found.copy()
        if roles is not None:
            if self.roles is None:
                raise InvalidInput(f"{what}: roles=... needs a membership table with a role column")
            counts &= pc.is_in(self.roles, value_set=pa.array(list(roles), pa.string())).to_numpy(
                zero_copy_only=False)
        idx = pos.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        nh = len(self.household_ids)
        # The sums, maxima and weighted sums per household: one C++ pass per measure
        # (tierkit::roll_up, households.hpp).
        raw = _core.household_rollup(metrics.core, self._hcode, np.where(found, idx, -1),
                                     self.weights, nh, counts if roles is not None else None,
                                     list(measures.items()))
        out = {self.household_name: self.household_ids,
               "members": pa.array(raw["members"]),
               "members_with_data": pa.array(raw["members_with_data"])}
        for name, values, valid in zip(measures, raw["values"], raw["valid"]):
            out[name] = pa.array(values, mask=~valid.astype(bool))
        table = Table(pa.table(out), self.household_name, "households")
        missing_members = int((~found).sum())
        table.report = {
            "households": nh,
            "members_missing": missing_members,
            "customers_missing": int(pc.count_distinct(self.customers.filter(pa.array(~found))).as_py())
            if missing_members else 0,
            "households_without_data": int(raw["households_without_data"]),
            "customers_in_several": self.in_several,
        }
        return table

    def hand_back(self, member_tiers, household_tiers, order, *, rule: str = "higher",
                  tier: str = "tier", key: str | None = None) -> Table:
        """Tier per customer (every member and every customer in ``member_tiers``): own_tier,
        household (whose tier was considered; the highest when several), household_tier,
        tier and source ("own" or "household")."""
        what = "tierkit.Households.hand_back"
        if rule not in _RULES:
            raise InvalidInput(f"{what}: rule must be one of {_RULES}; got {rule!r}")
        ranks = _order(order, what)
        # Households' tiers.
        ht = _table(household_tiers, f"{what} household_tiers")
        hkey = self.household_name
        for name, kind in ((hkey, "household key"), (tier, "tier")):
            if name not in ht.column_names:
                raise missing_column(name, ht.column_names, kind, f"{what} household_tiers")
        h_ids = _text(one_array(ht.column(hkey)))
        try:
            h_ids = h_ids.cast(self.household_ids.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaError(f"{what}: household_tiers' {hkey!r} is {h_ids.type}, the "
                              f"membership's is {self.household_ids.type}") from None
        if pc.count_distinct(h_ids).as_py() != len(h_ids):
            raise InvalidInput(f"{what}: household_tiers repeats "
                               f"{len(h_ids) - pc.count_distinct(h_ids).as_py():,} households")
        h_rank = _ranks(_text(one_array(ht.column(tier))), ranks, f"{what} household_tiers")
        # Rank of each membership row's household (-1: no tier).
        hpos = pc.index_in(self.households, value_set=h_ids)
        row_rank = np.where(hpos.is_null().to_numpy(zero_copy_only=False), -1,
                            h_rank[hpos.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)]
                            if len(h_rank) else -1)
        cust = self.customers
        # Own tiers.
        if member_tiers is not None:
            mt = _table(member_tiers, f"{what} member_tiers")
            ckey = key or (getattr(member_tiers, "key_name", None) or self.customer_name)
            for name, kind in ((ckey, "customer key"), (tier, "tier")):
                if name not in mt.column_names:
                    raise missing_column(name, mt.column_names, kind, f"{what} member_tiers")
            own_keys = one_array(mt.column(ckey))
            own_keys = _text(own_keys)
            if own_keys.null_count:
                raise InvalidInput(f"{what}: member_tiers' {ckey!r} has {own_keys.null_count:,} null rows")
            if pc.count_distinct(own_keys).as_py() != len(own_keys):
                raise InvalidInput(f"{what}: member_tiers repeats "
                                   f"{len(own_keys) - pc.count_distinct(own_keys).as_py():,} customers")
            try:
                cust = cust.cast(own_keys.type) if cust.type != own_keys.type else cust
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise SchemaError(f"{what}: the membership's customers are {cust.type}, "
                                  f"member_tiers' keys are {own_keys.type}") from None
            own_rank = _ranks(_text(one_array(mt.column(tier))), ranks, f"{what} member_tiers")
            extra = pc.unique(cust.filter(pc.invert(pc.is_in(cust, value_set=own_keys))))
            all_keys = pa.concat_arrays([own_keys, extra.cast(own_keys.type)])
            own_all = np.concatenate([own_rank, np.full(len(extra), -1)])
        else:
            if rule == "higher":
                raise InvalidInput(f"{what}: rule='higher' needs member_tiers")
            all_keys = pc.unique(cust)
            own_all = np.full(len(all_keys), -1)
        n = len(all_keys)
        cpos = pc.index_in(cust, value_set=all_keys).to_numpy(zero_copy_only=False).astype(np.int64)
        # Per customer: the best household rank, the rule, and which household is named
        # (tierkit::hand_back, households.hpp).
        raw = _core.household_hand_back(cpos, row_rank.astype(np.int32), own_all.astype(np.int32), rule)
        h_rank_c = raw["household_tier"].astype(np.int64)
        use_h = raw["from_household"].astype(bool)
        final = raw["tier"].astype(np.int64)
        names = np.array(ranks + [None], dtype=object)
        def tiers_of(r):
            return pa.array(names[np.where(r < 0, len(ranks), r)].tolist(), pa.string())
        # The household named: the one whose tier was considered, else the first listed.
        named = raw["household_row"]
        if len(self.households) == 0:  # an empty membership table: nobody has a household
            hh = pa.nulls(n, self.households.type)
        else:
            hh = self.households.take(pa.array(np.where(named >= 0, named, 0)))
            hh = pc.if_else(pa.array(named >= 0), hh, pa.scalar(None, self.households.type))
        key_name = key or getattr(member_tiers, "key_name", None) or self.customer_name
        out = pa.table({
            key_name: all_keys,
            "own_tier": tiers_of(own_all),
            self.household_name: hh,
            "household_tier": tiers_of(h_rank_c),
            tier: tiers_of(final),
            "source": pa.array(np.where(use_h, "household", "own").tolist(), pa.string()),
        })
        table = Table(out, key_name, "member tiers")
        table.report = {
            "customers": n,
            "members": int(raw["members"]),
            "raised": int(raw["raised"]),
            "lowered": int(raw["lowered"]),
            "without_own_tier": int(raw["without_own_tier"]),
        }
        return table

    def __repr__(self) -> str:
        return (f"Households({len(self):,} households, {len(self.customers):,} memberships, "
                f"{self.in_several:,} customers in several)")


def _order(order, what: str) -> list[str]:
    from .policy import TierPolicy
    if isinstance(order, TierPolicy):
        return order.tiers
    if isinstance(order, str) or not isinstance(order, Sequence) or not order:
        raise InvalidInput(f"{what}: order must be a list of tiers, highest first, or a TierPolicy")
    names = [str(x) for x in order]
    if len(set(names)) != len(names):
        raise InvalidInput(f"{what}: order names a tier twice: {names!r}")
    return names


def _ranks(tiers: pa.Array, order: list[str], what: str) -> np.ndarray:
    """Rank per row (0 = highest; -1 = null)."""
    tiers = tiers.cast(pa.string())
    pos = pc.index_in(tiers, value_set=pa.array(order, pa.string()))
    unknown = pc.and_(pos.is_null(), pc.invert(tiers.is_null()))
    bad = int(pc.sum(unknown).as_py() or 0)
    if bad:
        first = tiers.filter(unknown)[0].as_py()
        raise InvalidInput(f"{what}: {bad:,} rows have a tier not in the order {order!r} "
                           f"(first: {first!r})")
    return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


__all__ = ["Households"]
