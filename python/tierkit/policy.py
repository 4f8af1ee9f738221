"""Tier policies: ordered, explainable tier rules.

    policy = tk.TierPolicy([
        ("Diamond", "monetary >= 100000 and frequency >= 12", {"owner": "private banker"}),
        ("Gold", "segment in ('Champions', 'Loyal Customers')"),
        ("Silver", "recency <= 180"),
    ], default="Bronze")
    tiers = policy.assign(profile, scores)   # tier, rule, attributes, the columns the rules read
    tiers.summary()                          # customers, shares and value per tier
    policy.check(profile, scores)            # matches per rule, rules that never match, covered rules
    policy.explain(12345, profile, scores)   # why customer 12345 got its tier

Conditions are written in tierkit's expression language (include/tierkit/expression.hpp):
comparisons, and/or/not, in (...), between, is [not] null, arithmetic, 'text', date
'YYYY-MM-DD'; safe by construction. The first rule that holds names the tier; a condition
that is null (a missing value) does not match.
"""
from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._model import FrozenModel
from ._arrow import as_arrow, one_array
from ._errors import InvalidInput, SchemaError, threads_arg
from ._results import Table, html_table, label_array, text_table
from .scoring import register_loader


def _attributes_of(value, i: int) -> dict[str, str]:
    """A rule's attributes: a mapping of names to values (an empty `attributes:` is none)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"tierkit.TierPolicy: rule {i + 1}'s attributes must be a mapping of "
                           f"names to values; got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def _rules_of(rules) -> list:
    out = []
    for i, r in enumerate(rules):
        if isinstance(r, Mapping):
            r = dict(r)
            tier = r.pop("tier", None)
            cond = r.pop("when", r.pop("condition", None))
            attrs = _attributes_of(r.pop("attributes", None), i)
            attrs.update({str(k): str(v) for k, v in r.items()})
        elif isinstance(r, (tuple, list)) and 2 <= len(r) <= 3:
            tier, cond = r[0], r[1]
            attrs = _attributes_of(r[2] if len(r) == 3 else None, i)
        else:
            raise InvalidInput(f"tierkit.TierPolicy: rule {i + 1} must be (tier, condition[, "
                               f"attributes]) or a dict with 'tier' and 'when'; got {r!r}")
        if not tier or cond is None:
            raise InvalidInput(f"tierkit.TierPolicy: rule {i + 1} needs a tier and a condition")
        out.append(_core.TierRule(str(tier), str(cond), attrs))
    return out


def _keyed_arrow(data, key: str | None, what: str) -> tuple[pa.Table, str, bool]:
    """(pyarrow table, key column name, keys known to be unique) of a Profile, a tierkit
    result, CustomerAttributes or any keyed table. tierkit's own results hold one row per
    customer by construction; other tables are checked when joined."""
    from .attributes import CustomerAttributes
    from .profile import Profile
    if isinstance(data, (Profile, CustomerAttributes)) or (isinstance(data, Table) and data.key_name):
        name = data.key_name if not isinstance(data, CustomerAttributes) else data._key_name
        assert name is not None  # profiles and attributes always name their key
        return data.to_arrow(), name, True
    source = as_arrow(data, what)
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    name = key or ("customer_id" if "customer_id" in t.column_names else None)
    if name is None or name not in t.column_names:
        raise SchemaError(f"{what}: name the key column with key=... (columns: "
                          f"{', '.join(t.column_names)})")
    return t, name, False


def joined_columns(tables: Sequence, columns: Sequence[str], key: str | None, what: str):
    """The key column of the first table and `columns`, each taken from the one table that
    has it, aligned to the first table's rows (a left join on the key).

    Policy: the first table names the customers; no table may repeat a key (nor have a null
    one); a later table may miss customers (their values are null, and the count is reported in `missing`) and may
    hold customers the first does not (ignored, counted in `extra`). A column found in more
    than one table is ambiguous and raises SchemaError.
    Returns (key array, key name, {column: array}, {table index: (missing, extra)}).
    """
    if not tables:
        raise InvalidInput(f"{what}: give the data to tier (a profile, scores, attributes, ...)")
    keyed = [_keyed_arrow(t, key, what) for t in tables]
    base, base_key, unique = keyed[0]
    keys = one_array(base.column(base_key))
    if not unique:
        _check_unique_keys(keys, base_key, 0, what)
    elif keys.null_count:
        raise InvalidInput(f"{what}: the key column {base_key!r} has {keys.null_count:,} null rows")
    out, coverage, rows_of = {}, {}, {}
    for name in columns:
        holders = [i for i, (t, k, _) in enumerate(keyed) if name in t.column_names and name != k]
        if len(holders) > 1:
            raise SchemaError(f"{what}: column {name!r} is in inputs "
                              f"{' and '.join(str(i + 1) for i in holders)}; rename one of them")
        if not holders:
            from .profile import Profile
            reasons = [t.absent_because(name) for t in tables if isinstance(t, Profile)]
            why = next((r for r in reasons if r), None)
            if why:
                raise SchemaError(f"{what}: the rules read a column {name!r} no input has: {why}")
            available = sorted({c for t, k, _ in keyed for c in t.column_names if c != k})
            close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
            hint = (" (did you mean " + " or ".join(repr(c) for c in close) + "?)") if close \
                else f" (available: {', '.join(available)})"
            raise SchemaError(f"{what}: the rules read a column {name!r} no input has{hint}")
        i = holders[0]
        t = keyed[i][0]
        if i != 0 and i not in rows_of:
            rows_of[i], coverage[i] = _rows_in(keys, keyed[i], i, what)
        rows = rows_of.get(i)
        out[name] = t.column(name) if rows is None else t.column(name).take(rows)
    return keys, base_key, out, coverage


def _rows_in(keys: pa.Array, keyed: tuple[pa.Table, str, bool], i: int, what: str):
    """Where each of `keys` sits in input i's key column (None: the same keys in the same
    order, so its columns align as they are), and (missing, extra) counts."""
    t, k, unique = keyed
    other = one_array(t.column(k))
    if other.type != keys.type:
        try:
            other = other.cast(keys.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaError(f"{what}: input {i + 1} is keyed by {other.type} values, the "
                              f"first input by {keys.type}") from None
    if not unique:
        _check_unique_keys(other, k, i, what)
    if other.equals(keys):  # scores of the same profile: nothing to look up
        return None, (0, 0)
    rows = pc.index_in(keys, value_set=other)
    missing = rows.null_count
    return rows, (missing, len(other) - (len(keys) - missing))


def _check_unique_keys(keys: pa.Array, name: str, i: int, what: str) -> None:
    """Raises InvalidInput when input i's key column has nulls or repeats a key: every input
    needs one row per customer (in the first, a repeated key would get a tier per row; in
    a later one, it would make the values read ambiguous)."""
    if keys.null_count:
        raise InvalidInput(f"{what}: the key column {name!r} of input {i + 1} has "
                           f"{keys.null_count:,} null rows; one row per customer is needed")
    distinct = pc.count_distinct(keys).as_py()
    if distinct == len(keys):
        return
    counts = pc.value_counts(keys)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    # The first repeat by its row numbers (1-based), not by the key: messages may be logged or
    # shown where customer ids must not go. A stable sort puts each key's rows in order.
    order = pc.sort_indices(keys).to_numpy()
    ordered = keys.take(pa.array(order)).to_numpy(zero_copy_only=False)
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    later, earlier = order[same + 1], order[same]
    at = int(np.argmin(later))
    raise InvalidInput(f"{what}: the key column {name!r} of input {i + 1} repeats "
                       f"{len(repeated):,} keys ({len(keys) - distinct:,} extra rows; the first at "
                       f"row {int(later[at]) + 1}, repeating row {int(earlier[at]) + 1}); one row "
                       "per customer is needed")


# Evaluation blocks end where any column's chunks meet: chunks shorter than this on
# average are combined first, so that blocks stay long.
MIN_PIECE_ROWS = 16_384


def rule_table_of(columns: Mapping[str, pa.ChunkedArray], rows: int, what: str):
    """A core RuleTable of `columns`, read in place (no copy) where Arrow allows: a chunked
    column is borrowed chunk by chunk (not combined) when its chunks hold MIN_PIECE_ROWS
    rows on average, except dictionaries, whose chunks are unified and combined (so that
    their indices agree).

    Numbers and booleans are numbers (null -> null); decimals become float64; dates and
    timestamps become day numbers (date32: days since 1970-01-01, so `date '2024-01-01'`
    compares); strings and dictionaries of strings are text.
    """
    table = _core.RuleTable(rows)
    for name, col in columns.items():
        ty = col.type
        if pa.types.is_decimal(ty):
            col = col.cast(pa.float64())
        elif pa.types.is_timestamp(ty) or pa.types.is_date64(ty):
            col = col.cast(pa.date32())
        elif not (pa.types.is_integer(ty) or pa.types.is_floating(ty) or pa.types.is_boolean(ty)
                  or pa.types.is_date32(ty) or pa.types.is_string(ty) or pa.types.is_large_string(ty)
                  or pa.types.is_string_view(ty) or pa.types.is_dictionary(ty)):
            raise SchemaError(f"{what}: column {name!r} has type {ty}, which rules cannot read")
        if pa.types.is_dictionary(ty) and not (pa.types.is_string(ty.value_type)
                                               or pa.types.is_large_string(ty.value_type)):
            col = col.cast(ty.value_type)  # a dictionary of numbers: its values
        if isinstance(col, pa.ChunkedArray):
            if col.num_chunks > 1 and not pa.types.is_dictionary(col.type) \
                    and len(col) >= col.num_chunks * MIN_PIECE_ROWS:
                table.add_pieces(name, [c.__arrow_c_array__() for c in col.chunks])
                continue
            col = one_array(col)
        table.add_column(name, col.__arrow_c_array__())
    return table


def _labels_by_rule(labels: Sequence[str | None], idx: np.ndarray) -> pa.DictionaryArray:
    """A dictionary column holding labels[idx[i]] (None -> null), with distinct labels
    (pandas turns it into a categorical). Distinct labels without None reuse `idx` as the
    indices (no copy); otherwise the rule indices are recoded in C++ to codes of the
    distinct labels (int8 up to 128 labels, else int32). The indices are in range by
    construction (rule indices of this policy): without missing labels they are used in
    place, unchecked; with missing ones, one C++ pass writes the validity bitmap."""
    distinct = list(dict.fromkeys(v for v in labels if v is not None))
    if len(distinct) == len(labels):
        return label_array(idx, distinct, in_place=True)
    codes = _core.recode(idx, [distinct.index(v) if v is not None else -1 for v in labels])
    return label_array(codes, distinct, in_place=None not in labels)


class TierAssignment(Table):
    """Tiers per key: tier, rule (the rule that matched, or 'default'), the attributes of
    the rules, and the columns the rules read."""

    # Set by TierPolicy.assign: the tiers in policy order (then the default), and per input
    # the customers it lacked and the keys it had that the first input did not.
    _tier_order: list[str]
    coverage: dict[str, dict[str, int]]

    @property
    def defaulted(self) -> pa.Array:
        """The keys no rule matched (they have the default tier)."""
        t = self.to_arrow()
        return one_array(t.column(0).filter(pc.equal(t.column("rule").cast(pa.string()), "default")))

    def summary(self, value: str | None = "monetary") -> Table:
        """Per tier (in policy order, then the default): customers, their share, the rules
        that named them, and the sum and share of `value` when the assignment has that
        column (see ``assign(keep=...)``); null values count as 0 in the sums."""
        t = self.to_arrow()
        order = list(self._tier_order)
        tier = one_array(t.column("tier"))
        codes = np.asarray(tier.indices.to_numpy(zero_copy_only=False))
        # The assignment's tier dictionary is in policy order; map it onto `order`.
        position = np.array([order.index(v) for v in tier.dictionary.to_pylist()], dtype=np.int64)
        at = position[codes] if len(codes) else codes.astype(np.int64)
        counts = np.bincount(at, minlength=len(order))
        n = int(counts.sum())
        rows = {"tier": order, "customers": counts.astype(np.int64),
                "share": counts / n if n else np.full(len(order), np.nan)}
        if value is not None and value in t.column_names and value != self.key_name:
            ty = t.schema.field(value).type
            if pa.types.is_integer(ty) or pa.types.is_floating(ty) or pa.types.is_decimal(ty):
                v = t.column(value).cast(pa.float64()).fill_null(0.0).to_numpy()
                sums = np.bincount(at, weights=v, minlength=len(order))
                total = sums.sum()
                rows[value] = sums
                rows[f"{value}_share"] = sums / total if total else np.full(len(order), np.nan)
        rule = one_array(t.column("rule"))
        pairs = _pairs(codes, np.asarray(rule.indices.to_numpy(zero_copy_only=False)))
        names = tier.dictionary.to_pylist()
        labels = rule.dictionary.to_pylist()
        by_tier: dict[str, list[str]] = {k: [] for k in order}
        for c, r in sorted(pairs, key=lambda p: p[1]):
            by_tier[names[c]].append(labels[r])
        rows["rules"] = [", ".join(by_tier[k]) for k in order]
        return Table(pa.table(rows), "tier", "tier summary")


    def __repr__(self) -> str:
        return f"<tierkit tiers: {self.to_arrow().num_rows:,} customers>\n" + \
            text_table(self.summary().to_arrow())

    def _repr_html_(self) -> str:
        """The per-tier summary, then the first rows."""
        return html_table(self.summary().to_arrow(), "tierkit tiers: summary") + \
            html_table(self.to_arrow(), f"tiers of {self.to_arrow().num_rows:,} customers", limit=10)


def _pairs(a: np.ndarray, b: np.ndarray) -> set:
    """Distinct (a, b) pairs of two small-valued code arrays."""
    a = a.astype(np.int64)
    width = int(b.max()) + 1 if len(b) else 1
    return {(int(x) // width, int(x) % width) for x in np.unique(a * width + b)}


class TierPolicy(FrozenModel):
    """An ordered list of tier rules and a default tier.

    Rules are (tier, condition[, attributes]) tuples or dicts {"tier": ..., "when": ...,
    other keys become attributes}; attributes (owner role, service level, ...) come back
    as columns of the assignment.
    """

    _core_class = _core.TierPolicy

    def __init__(self, rules: Sequence, default: str = "Others",
                 default_attributes: Mapping[str, str] | None = None):
        core_rules = _rules_of(rules)
        attrs = {str(k): str(v) for k, v in (default_attributes or {}).items()}
        self._core = _core.TierPolicy(core_rules, str(default), attrs)
        self._check_attribute_names((), "tierkit.TierPolicy", InvalidInput)

    def _check_attribute_names(self, keep: Sequence[str], what: str, error) -> None:
        """Raises `error` when a rule attribute (or a default attribute) has the name of a
        column the rules read or `keep` carries: the assignment holds the attributes and
        those columns side by side, so one would replace the other."""
        readers: dict[str, str] = {}
        for i, r in enumerate(self._core.rules):
            for c in _core.Expression.parse(r.condition, f"rule {i + 1}").columns():
                readers.setdefault(c, f"rule {i + 1} reads")
        for c in keep:
            readers.setdefault(c, "keep= carries")
        owners = [(f"rule {i + 1} ({r.tier!r})", r.attributes) for i, r in enumerate(self._core.rules)]
        owners.append(("the default", self._core.default_attributes))
        for owner, attributes in owners:
            for a in attributes:
                if a in readers:
                    raise error(f"{what}: the attribute {a!r} of {owner} has the name of the "
                                f"column {a!r} that {readers[a]}; the assignment holds both "
                                "side by side, so rename the attribute")

    @classmethod
    def _from_core(cls, core) -> "TierPolicy":
        obj = object.__new__(cls)
        obj._core = core
        return obj

    @classmethod
    def from_dict(cls, d: Mapping) -> "TierPolicy":
        """From {"tiers": [...rules...], "default": ..., "default_attributes": {...}} (the
        tiers part of a policy file)."""
        if "tiers" not in d:
            raise InvalidInput("tierkit.TierPolicy.from_dict: no 'tiers' list")
        return cls(d["tiers"], d.get("default", "Others"), d.get("default_attributes"))

    # --- facts -------------------------------------------------------------------------------
    @property
    def rules(self) -> list[dict]:
        """The rules in order, as {"tier", "when", attributes...} dicts."""
        return [{"tier": r.tier, "when": r.condition, **r.attributes} for r in self._core.rules]

    @property
    def default(self) -> str:
        """The tier of customers no rule matches."""
        return self._core.default_tier

    @property
    def columns(self) -> list[str]:
        """The columns the rules read."""
        return list(self._core.columns())

    @property
    def tiers(self) -> list[str]:
        """Tier names in policy order, the default last (each once)."""
        return list(dict.fromkeys([r.tier for r in self._core.rules] + [self.default]))

    # --- use ---------------------------------------------------------------------------------
    def _inputs(self, data, key, what):
        keys, key_name, columns, coverage = joined_columns(data, self.columns, key, what)
        return rule_table_of(columns, len(keys), what), keys, key_name, columns, coverage

    def assign(self, *data, key: str | None = None, keep: Sequence[str] = (),
               threads: int | None = None) -> TierAssignment:
        """Tier per customer of the first input.

        ``data``: one or more keyed tables joined on the key (a Profile, scores from
        ``tk.score`` or a model's ``apply``, CustomerAttributes, pandas/polars/Arrow tables
        with a key column); each column a rule reads must be in exactly one of them.
        Customers a later table lacks read null there (a null condition does not match);
        ``assignment.coverage`` reports how many. Every table has one row per customer (a
        repeated key raises InvalidInput with the count of repeated keys). ``keep``: more
        columns to carry into the assignment (e.g. "monetary", for the value shares of
        ``summary()``); a rule attribute may not share a name with a kept column or a column
        the rules read.
        """
        what = "tierkit.TierPolicy.assign"
        if isinstance(keep, str):
            keep = [keep]
        self._check_attribute_names(keep, what, SchemaError)
        keys, key, columns, coverage = joined_columns(
            data, list(dict.fromkeys([*self.columns, *keep])), key, what)
        table = rule_table_of({c: columns[c] for c in self.columns}, len(keys), what)
        idx = self._core.assign(table, threads_arg(threads, what))  # rule index; len(rules) = default
        rules = self._core.rules
        names = [r.tier for r in rules] + [self.default]
        rule_labels = [f"rule {i + 1}" for i in range(len(rules))] + ["default"]
        cols = {key: keys, "tier": _labels_by_rule(names, idx), "rule": _labels_by_rule(rule_labels, idx)}
        attr_keys = list(dict.fromkeys([k for r in rules for k in r.attributes]
                                       + list(self._core.default_attributes)))
        for a in attr_keys:
            if a in (key, "tier", "rule"):
                raise SchemaError(f"{what}: a rule attribute is called {a!r}, a name the "
                                  "assignment uses; rename it")
            cols[a] = _labels_by_rule([r.attributes.get(a) for r in rules]
                                      + [self._core.default_attributes.get(a)], idx)
        for c, arr in columns.items():
            if c not in cols:
                cols[c] = arr
        result = TierAssignment(pa.table(cols), key, "tiers")
        result._tier_order = list(dict.fromkeys(names))
        result.coverage = {f"input {i + 1}": {"customers_missing": m, "extra_keys_ignored": e}
                           for i, (m, e) in coverage.items()}
        return result

    def check(self, *data, key: str | None = None) -> "PolicyCheck":
        """Static checks (contradictory rules; rules an earlier rule covers, where the
        conditions are simple conjunctions) and, with data (as for ``assign``), matches per
        rule."""
        table = self._inputs(data, key, "tierkit.TierPolicy.check")[0] if data else None
        return PolicyCheck(self, self._core.check(table))

    def explain(self, customer, *data, key: str | None = None) -> "Explanation":
        """Why `customer` got its tier in ``assign(*data)``: every rule tried, the truth of
        each part of its condition, and the values the rules read."""
        what = "tierkit.TierPolicy.explain"
        table, keys, key, _, _ = self._inputs(data, key, what)
        try:
            where = pc.index(keys, pa.scalar(customer, type=keys.type)).as_py()
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            where = -1
        if where is None or where < 0:
            raise InvalidInput(f"{what}: no customer {customer!r} in the key column {key!r}")
        return Explanation(self, customer, self._core.explain(table, where))

    # --- persistence: FrozenModel; equality compares the rules, not the compiled form --------
    def _state(self) -> tuple:
        return (self.rules, self.default, dict(self._core.default_attributes))

    def __repr__(self) -> str:
        lines = ["TierPolicy(["]
        for r in self._core.rules:
            attrs = f", {dict(r.attributes)!r}" if r.attributes else ""
            lines.append(f"    ({r.tier!r}, {r.condition!r}{attrs}),")
        lines.append(f"], default={self.default!r})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><td>{i + 1}</td><td>{esc(r.tier)}</td><td><code>{esc(r.condition)}</code></td>"
            f"<td>{esc(', '.join(f'{k}={v}' for k, v in r.attributes.items()))}</td></tr>"
            for i, r in enumerate(self._core.rules))
        rows += f"<tr><td></td><td>{esc(self.default)}</td><td><em>otherwise</em></td><td></td></tr>"
        return ("<div><strong>tierkit TierPolicy</strong> (first rule that holds)<table><tr><th>#</th>"
                "<th>tier</th><th>when</th><th>attributes</th></tr>" + rows + "</table></div>")


class PolicyCheck:
    """What a policy's rules do: per rule its matches (with data), rules that never match,
    contradictory rules and rules an earlier rule covers."""

    def __init__(self, policy: TierPolicy, raw: dict):
        self.rules = [f"rule {i + 1} ({r.tier})" for i, r in enumerate(policy._core.rules)]
        self.matched = list(raw["matched"])
        self.would_match = list(raw["would_match"])
        self.defaulted = raw["defaulted"] if raw["matched"] else None
        self.unmatched = [self.rules[i] for i in raw["unmatched"]]
        self.contradictory = [self.rules[i] for i in raw["contradictory"]]
        self.covered = [(self.rules[j], self.rules[i]) for j, i in raw["covered"]]
        # Shadowed on this data: the condition held for someone, but earlier rules took all.
        self.shadowed = [name for name, m, w in zip(self.rules, self.matched, self.would_match)
                         if m == 0 and w > 0]

    @property
    def ok(self) -> bool:
        """True when no rule is unmatched, contradictory or covered by an earlier rule."""
        return not self.unmatched and not self.contradictory and not self.covered

    def __str__(self) -> str:
        lines = []
        if self.matched:
            for name, m, w in zip(self.rules, self.matched, self.would_match):
                lines.append(f"{name}: matched {m:,}" + (f" (its condition held for {w:,})" if w != m else ""))
            lines.append(f"default: {self.defaulted:,}")
        for name in self.contradictory:
            lines.append(f"{name} can never match: its conditions contradict each other")
        for later, earlier in self.covered:
            lines.append(f"{later} can never match: {earlier} takes every customer it would")
        for name in self.unmatched:
            if name in self.contradictory or name in [c[0] for c in self.covered]:
                continue
            if name in self.shadowed:
                lines.append(f"{name} is shadowed on this data: earlier rules took every customer "
                             "its condition held for")
            else:
                lines.append(f"{name} matched nobody on this data")
        return "\n".join(lines) if lines else "no problems found"

    def __repr__(self) -> str:
        return f"PolicyCheck(ok={self.ok}, unmatched={self.unmatched}, covered={self.covered})"

    def to_arrow(self) -> pa.Table:
        """Per rule: matched, would_match (with data) and the problem found, if any."""
        covered = dict(self.covered)
        problems = [("contradictory" if r in self.contradictory else
                     f"covered by {covered[r]}" if r in covered else
                     "shadowed on this data" if r in self.shadowed else
                     "matched nobody" if r in self.unmatched else None) for r in self.rules]
        cols = {"rule": self.rules, "problem": pa.array(problems, pa.string())}
        if self.matched:
            cols["matched"] = self.matched
            cols["would_match"] = self.would_match
        return pa.table(cols)

    def _repr_html_(self) -> str:
        tail = f" (default: {self.defaulted:,})" if self.defaulted is not None else ""
        return html_table(self.to_arrow(), f"tierkit policy check{tail}", limit=1000)


class Explanation:
    """Why a customer got its tier."""

    def __init__(self, policy: TierPolicy, customer, raw: dict):
        self.customer = customer.item() if isinstance(customer, np.generic) else customer
        self.tier = raw["tier"]
        self.matched_rule = raw["matched"] + 1 if raw["matched"] >= 0 else None
        self.values = dict(raw["values"])
        self.tried = [{"rule": f"rule {r + 1} ({policy._core.rules[r].tier})", "result": res,
                       "parts": [{"condition": c, "result": v} for c, v in parts]}
                      for r, res, parts in raw["tried"]]

    def __str__(self) -> str:
        lines = [f"customer {self.customer!r}: tier {self.tier!r} "
                 + (f"by rule {self.matched_rule}" if self.matched_rule else "(default: no rule matched)")]
        lines.append("  values: " + ", ".join(f"{k} = {v}" for k, v in self.values.items()))
        for t in self.tried:
            lines.append(f"  {t['rule']}: {t['result']}")
            for p in t["parts"]:
                lines.append(f"      {p['condition']}: {p['result']}")
        return "\n".join(lines)

    __repr__ = __str__


register_loader("tier_policy", lambda data: TierPolicy.from_bytes(data))

__all__ = ["TierPolicy", "TierAssignment", "PolicyCheck", "Explanation", "rule_table_of"]
