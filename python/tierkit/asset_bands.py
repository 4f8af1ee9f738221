"""Asset bands and star ratings (retail banking).

    bands = tk.AssetBands.preset("chinese_retail")     # 2,000,000 / 200,000 / 100,000 / 50,000
    bands.fit_apply(customers)       # asset_band, asset_band_zh, owner_role, admitted_by, criteria_met
    tk.RelationshipStars().apply(customers)            # six levels of relationship depth
    tk.PointsStars({"adb": 0.01, "years": 5}).apply(customers)   # 准星级 ... 七星级

`customers` is a keyed table (pandas, polars, pyarrow, ...) with the columns the rules read,
e.g. the latest average daily balance joined with customer attributes. Text levels such as
card_level ("classic", "gold", ...) are turned into their rank (1, 2, ...) first. Policies:
include/tierkit/asset_bands.hpp (a bound belongs to the band above it; a missing value fails
a condition or criterion; the first criterion that holds is named).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._model import FrozenModel
from ._arrow import as_arrow
from ._errors import FormatError, InvalidInput
from ._results import Table
from .scoring import Metrics, keyed_table, metrics_of, plain_table, register_loader

CARD_LEVELS = ("classic", "gold", "platinum", "diamond", "black")
# The envelope kind of an asset band model saved with text levels of its own.
_LEVELS_KIND = "asset_bands_levels"


def _with_levels(data, levels: Mapping[str, Sequence[str]] | None):
    """`data` as an Arrow table with the text level columns replaced by their rank (1-based;
    a null row has no rank: NaN, or null on the Unicode path, both read as missing; a value
    not in the list is invalid input)."""
    if not levels:
        return data
    from .profile import Profile
    if isinstance(data, (Profile, Metrics)):
        return data
    source = as_arrow(data, "tierkit levels")
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    for name, order in levels.items():
        if name not in t.column_names:
            continue
        col = t.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
                or pa.types.is_dictionary(col.type) or pa.types.is_string_view(col.type)):
            continue
        levels_lower = [str(x).lower() for x in order]
        # Levels are matched without regard to case: in C++, as they are or after ASCII
        # lower-casing (the usual); only when some rows match no level, again here after
        # Unicode lower-casing, which also names the rows still unknown.
        if pa.types.is_dictionary(col.type):
            ranks = _ranks_by_dictionary(col, levels_lower)
            if ranks is not None:
                t = t.set_column(t.column_names.index(name), name, ranks)
                continue
            col = col.cast(pa.string())  # then as any text, which names the unknown levels
        chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
        ranks, unknown = _core.rank_levels([c.__arrow_c_array__() for c in chunks], levels_lower)
        if unknown == 0:
            t = t.set_column(t.column_names.index(name), name, pa.array(ranks))  # NaN: no rank
            continue
        text = pc.utf8_lower(col.cast(pa.string()))
        ranks = pc.index_in(text, value_set=pa.array(levels_lower))
        unknown = pc.and_(pc.is_null(ranks), pc.is_valid(text))
        bad = pc.sum(unknown.cast(pa.int64())).as_py() or 0
        if bad:
            seen = pc.unique(pc.filter(text, unknown)).to_pylist()[:5]
            raise InvalidInput(f"tierkit: column {name!r}: {bad:,} rows hold levels not in "
                               f"{list(order)} (e.g. {seen})")
        t = t.set_column(t.column_names.index(name), name, pc.add(ranks, 1).cast(pa.float64()))
    return t


def _ranks_by_dictionary(col, levels_lower: list[str]):
    """Level ranks of a dictionary-encoded text column (a pandas categorical) through its
    dictionary: each distinct text is ranked once, in C++ as any text is, and every row
    takes its entry's rank (NaN for a null row or entry). None — the caller then ranks the
    texts row by row, retrying Unicode case and naming unknown levels — when a row refers to
    an entry that is no level as it is or ASCII-lower-cased; unknown entries no row uses
    are no error."""
    out = []
    for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        dictionary = chunk.dictionary
        if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)
                or pa.types.is_string_view(dictionary.type)):
            return None
        entry_ranks, unknown = _core.rank_levels([dictionary.__arrow_c_array__()], levels_lower)
        if unknown:
            unknown_entries = np.flatnonzero(np.isnan(entry_ranks)
                                             & dictionary.is_valid().to_numpy(zero_copy_only=False))
            used = pc.is_in(chunk.indices, value_set=pa.array(unknown_entries, chunk.indices.type))
            if pc.any(used).as_py():
                return None
        out.append(pc.take(pa.array(entry_ranks), chunk.indices).fill_null(float("nan")))
    return pa.chunked_array(out, pa.float64())


class AssetBands:
    """Ordered bands on a balance measure, with owner roles, conditions and alternative
    entry criteria.

    bands: dicts {"label", "label_zh", "owner_role", "lower", "conditions": [(column, op,
    value), ...]} from the highest lower bound down; criteria: dicts {"name", "name_zh",
    "column", "threshold"} (value >= threshold admits); pool: dict {"label", "label_zh",
    "owner_role"} for admitted customers; levels: {column: [lowest, ..., highest]} text
    levels turned into ranks.
    """

    def __init__(self, bands: Sequence[Mapping] | None = None, *,
                 criteria: Sequence[Mapping] | None = None, pool: Mapping | None = None,
                 balance: str = "adb", unassigned: str = "Not maintained",
                 unassigned_zh: str = "未纳入维护",
                 levels: Mapping[str, Sequence[str]] | None = None):
        c = _core.AssetBandConfig()
        if not bands:
            raise InvalidInput("tierkit.AssetBands: give bands (or use AssetBands.preset)")
        c.bands = [_core.AssetBand(str(b["label"]), str(b.get("label_zh", "")),
                                   str(b.get("owner_role", "")), float(b["lower"]),
                                   [_core.BandCondition(str(col), str(op), float(v))
                                    for col, op, v in b.get("conditions", ())])
                   for b in bands]
        c.criteria = [_core.EntryCriterion(str(k["name"]), str(k.get("name_zh", "")),
                                           str(k["column"]), float(k["threshold"]))
                      for k in (criteria or ())]
        p = pool or {"label": "Maintained by other criteria", "label_zh": "其他条件纳入"}
        c.pool = _core.AssetBand(str(p["label"]), str(p.get("label_zh", "")),
                                 str(p.get("owner_role", "")), 0.0, [])
        c.unassigned, c.unassigned_zh = unassigned, unassigned_zh
        self._setup(c, balance, dict(levels) if levels is not None else {})

    def _setup(self, config, balance: str, levels: dict) -> None:
        config.balance_column = balance
        self._strategy = _core.AssetBandStrategy(config)  # validates
        self._config = config
        self._levels = levels

    @classmethod
    def preset(cls, name: str = "chinese_retail", *, balance: str = "adb") -> "AssetBands":
        """"chinese_retail": >= 2,000,000 private banking / wealth centre (财富经理);
        200,000-2,000,000 wealth manager (理财经理); 100,000-200,000 branch / lobby manager
        (网点主任/大堂经理); 50,000-100,000 and age < 60 branch staff (网点员工); below, admitted
        by card_spend >= 50,000, loan_balance >= 300,000, margin_balance >= 10,000 or
        card_level gold or above. Columns: adb, age, card_spend, loan_balance,
        margin_balance, card_level (text: classic, gold, platinum, diamond, black)."""
        if name != "chinese_retail":
            raise InvalidInput(f"tierkit.AssetBands: preset must be 'chinese_retail'; got {name!r}")
        bands = cls.__new__(cls)
        bands._setup(_core.AssetBandConfig.chinese_retail(), balance, {"card_level": CARD_LEVELS})
        return bands

    def __repr__(self) -> str:
        c = self._config
        bands = ", ".join(f"{b.label} >= {b.lower:,.0f}" for b in c.bands)
        return f"AssetBands({bands}; {len(c.criteria)} entry criteria; balance={c.balance_column!r})"

    @property
    def reads_source(self) -> bool:
        """True when text level columns (card_level) are ranked from the source table, so
        ``tk.score`` hands this strategy the source rather than numeric metrics."""
        return bool(self._levels)

    def fit(self, data, key: str | None = None) -> "AssetBandModel":
        """Checks the bands against ``data``'s columns and returns the frozen model (bands are
        given, not learned)."""
        metrics = metrics_of(_with_levels(data, self._levels), key, "tierkit.AssetBands.fit")
        return AssetBandModel(self._strategy.fit(metrics.core), self._levels)

    def fit_apply(self, data, key: str | None = None) -> Table:
        """``fit(data, key).apply(data, key)``: asset bands for the customers the model was
        fitted on."""
        metrics = metrics_of(_with_levels(data, self._levels), key, "tierkit.AssetBands")  # once
        return self.fit(metrics).apply(metrics)


class AssetBandModel(FrozenModel):
    """Frozen asset bands and entry criteria: applies the same band thresholds to any data with
    the same columns."""
    kind = "asset_bands"
    _core_class = _core.AssetBandModel

    def __init__(self, core: _core.AssetBandModel, levels: Mapping | None = None):
        self._core = core
        # Levels as tuples of text: a model's levels compare equal however they were given.
        self._levels = {str(k): tuple(str(x) for x in v)
                        for k, v in (levels or {"card_level": CARD_LEVELS}).items()}

    def _state(self) -> tuple:
        # The compiled model has no equality of its own: its bytes are its value.
        return (self._core.to_bytes(), self._levels)

    def to_bytes(self) -> bytes:
        """This model in tierkit's versioned envelope. Text levels other than the default
        card levels travel with it (the compiled model ranks numbers only; without them a
        loaded or unpickled model would rank text by the default card levels)."""
        if self._levels == {"card_level": CARD_LEVELS}:
            return self._core.to_bytes()
        core = self._core.to_bytes()
        levels = json.dumps({str(k): [str(x) for x in v] for k, v in self._levels.items()}).encode()
        return _core.wrap_envelope(_LEVELS_KIND, len(core).to_bytes(8, "little") + core + levels)

    @classmethod
    def from_bytes(cls, data: bytes) -> "AssetBandModel":
        """The model that ``to_bytes`` wrote, its text levels included."""
        if _core.envelope_kind(data) != _LEVELS_KIND:
            return cls(_core.AssetBandModel.from_bytes(data))
        what = "tierkit.AssetBandModel.from_bytes"
        payload = _core.unwrap_envelope(data, _LEVELS_KIND)
        n = int.from_bytes(payload[:8], "little")
        if len(payload) < 8 or 8 + n > len(payload):
            raise FormatError(f"{what}: the model's part runs past the payload")
        try:
            levels = json.loads(payload[8 + n:].decode())
        except (UnicodeDecodeError, ValueError) as e:
            raise FormatError(f"{what}: the text levels are not readable: {e}") from None
        if not isinstance(levels, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in levels.values()):
            raise FormatError(f"{what}: the text levels must map columns to lists of texts")
        return cls(_core.AssetBandModel.from_bytes(payload[8:8 + n]),
                   {k: tuple(v) for k, v in levels.items()})

    def apply(self, data, key: str | None = None) -> Table:
        """The band of each customer in ``data``: the highest band whose lower bound and
        conditions the customer meets; customers admitted only by an entry criterion go to
        the pool."""
        metrics = metrics_of(_with_levels(data, self._levels), key, "tierkit.AssetBandModel.apply")
        return keyed_table(metrics, self._core.apply(metrics.core), "asset bands")

    @property
    def rules(self) -> Table:
        """The bands with their lower bounds and entry criteria, as a table."""
        return plain_table(self._core.summary(), "asset band rules")

    def __repr__(self) -> str:
        bands = ", ".join(f"{b.label} >= {b.lower:,.0f}" for b in self._core.config.bands)
        return f"AssetBandModel({bands}; {len(self._core.config.criteria)} entry criteria)"

    def _repr_html_(self) -> str:
        return self.rules._repr_html_()


class RelationshipStars:
    """Relationship depth on six levels: 1 target without an account, 2 new account with
    little business, 3 VIP by balance but unstable, 4 VIP with a small share of wallet,
    5 stable VIP, 6 private banking. Columns and thresholds are configurable."""

    def __init__(self, *, accounts: str = "accounts", balance: str = "adb",
                 variation: str = "adb_cv", wallet_share: str = "wallet_share",
                 private_banking: float = 2_000_000, vip: float = 50_000,
                 max_variation: float = 0.3, min_wallet_share: float = 0.5,
                 labels: Sequence[str] | None = None, labels_zh: Sequence[str] | None = None):
        c = _core.RelationshipStarConfig()
        c.accounts_column, c.balance_column = accounts, balance
        c.variation_column, c.wallet_share_column = variation, wallet_share
        c.private_banking, c.vip = float(private_banking), float(vip)
        c.max_variation, c.min_wallet_share = float(max_variation), float(min_wallet_share)
        if labels is not None:
            c.labels = list(labels)
        if labels_zh is not None:
            c.labels_zh = list(labels_zh)
        self._config = c

    def fit(self, data, key: str | None = None) -> "RelationshipStars":
        """Checks the account and balance columns against ``data`` and returns this rating
        (levels are given, not learned)."""
        return self  # nothing to fit

    def apply(self, data, key: str | None = None) -> Table:
        """The relationship level (1-6) of each customer in ``data``."""
        metrics = metrics_of(data, key, "tierkit.RelationshipStars")
        return keyed_table(metrics, _core.relationship_stars(metrics.core, self._config),
                           "relationship stars")


class PointsStars:
    """Weighted points mapped to stars: points = sum of weight x value (a missing value adds
    0 and is counted); below boundaries[0] the first label, from boundaries[i] on the label
    after it. Default boundaries 50, 500, 2,000, 10,000, 80,000: 准星级, 三星级 ... 七星级."""

    def __init__(self, weights: Mapping[str, float], *,
                 boundaries: Sequence[float] = (50, 500, 2000, 10000, 80000),
                 labels: Sequence[str] | None = None, labels_zh: Sequence[str] | None = None):
        c = _core.PointsStarConfig()
        c.columns = [str(k) for k in weights]
        c.weights = [float(v) for v in weights.values()]
        c.boundaries = [float(b) for b in boundaries]
        if labels is not None:
            c.labels = list(labels)
            c.labels_zh = list(labels_zh) if labels_zh is not None else []
        self._config = c

    def fit(self, data, key: str | None = None) -> "PointsStars":
        """Checks the weighted columns against ``data`` and returns this star rating (points are
        given, not learned)."""
        return self  # nothing to fit

    def apply(self, data, key: str | None = None) -> Table:
        """Points (the weighted sum of the chosen columns) and the star level each customer's
        points reach."""
        metrics = metrics_of(data, key, "tierkit.PointsStars")
        return keyed_table(metrics, _core.points_stars(metrics.core, self._config), "points stars")


register_loader("asset_bands", lambda data: AssetBandModel.from_bytes(data))
register_loader(_LEVELS_KIND, lambda data: AssetBandModel.from_bytes(data))

__all__ = ["AssetBands", "AssetBandModel", "RelationshipStars", "PointsStars", "CARD_LEVELS"]
