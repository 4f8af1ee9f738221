"""RFM scores and segments with frozen, explainable cut points.

    rfm = tk.RFM()                       # quintiles, tierkit's eleven English segments
    model = rfm.fit(profile)             # cut points frozen in the model
    scores = model.apply(profile)        # r/f/m scores, code, sum, segment (+ Chinese label)
    model.cuts                           # tidy table of cut points per metric and score
    model.segment_summary(profile)       # customers, orders, revenue, shares, AOV per segment
    tk.RFM.preset("r_rfm")               # R package rfm 0.3.0, exactly
    tk.RFM.preset("pymc_marketing")      # PyMC-Marketing's rfm_segments, exactly
    tk.RFM.preset("chinese_eight")       # 重要价值客户 ... 一般挽留客户 (mean split)

Policies (include/tierkit/binning.hpp and rfm.hpp): cut points are values; equal values
always get the same score; ties that collapse bins leave scores empty (reported in
``model.empty_scores``), never renumbered (except in the PyMC-Marketing preset, which
renumbers as pandas.qcut does); customers without purchases get no scores and are counted.
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from . import _core
from ._model import FrozenModel
from ._arrow import one_array
from ._errors import InvalidInput
from ._results import Table, cell
from .scoring import Metrics, keyed_table, metrics_of, plain_table, register_loader, save_bytes


class Bins:
    """How one metric is cut into scores.

    Exactly one of: ``k`` (quantile bins, default 5), ``percentiles`` (levels in (0, 100)),
    ``cuts`` (fixed cut values), ``mean=True`` or ``median=True`` (two bins). ``closed`` is
    "right" (bins (lo, hi], default) or "left" ([lo, hi)).
    """

    def __init__(self, k: int | None = None, *, percentiles: Sequence[float] | None = None,
                 cuts: Sequence[float] | None = None, mean: bool = False, median: bool = False,
                 closed: str = "right"):
        chosen = [x for x in (k is not None, percentiles is not None, cuts is not None, mean,
                              median) if x]
        if len(chosen) > 1:
            raise InvalidInput("tierkit.Bins: give only one of k, percentiles, cuts, mean, median")
        self.k, self.percentiles, self.cuts, self.mean, self.median = k, percentiles, cuts, mean, median
        self.closed = closed

    def _apply_to(self, b: _core.BinningConfig) -> None:
        if self.percentiles is not None:
            b.method = "percentiles"
            b.percentiles = [float(x) for x in self.percentiles]
        elif self.cuts is not None:
            b.method = "fixed"
            b.cuts = [float(x) for x in self.cuts]
        elif self.mean:
            b.method = "mean"
        elif self.median:
            b.method = "median"
        else:
            b.method = "quantiles"
            b.bins = int(self.k if self.k is not None else 5)
        b.closed = self.closed

    def __repr__(self) -> str:
        if self.percentiles is not None:
            arg = f"percentiles={list(self.percentiles)!r}"
        elif self.cuts is not None:
            arg = f"cuts={list(self.cuts)!r}"
        elif self.mean or self.median:
            arg = "mean=True" if self.mean else "median=True"
        else:
            arg = f"{self.k if self.k is not None else 5}"
        closed = "" if self.closed == "right" else f", closed={self.closed!r}"
        return f"Bins({arg}{closed})"


class Segments:
    """An ordered table of named (R, F, M) score ranges; first match wins; a catch-all.

    Build from a list of dicts ``{"name": ..., "recency": (lo, hi), "frequency": (lo, hi),
    "monetary": (lo, hi), "label_zh": ...}`` (omitted ranges mean any score), from tuples
    ``(name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi))``, from a code-list mapping
    ``{"Top": ["555", "554"], ...}`` (PyMC-Marketing style), or from a preset:
    "english", "r_rfm", "pymc_marketing", "chinese_eight".
    """

    def __init__(self, rules, default: str = "Others", default_zh: str = "其他"):
        if isinstance(rules, _core.SegmentTable):
            self._core = rules
            return
        core_rules = []
        if isinstance(rules, Mapping):
            # Code lists: later names win where codes repeat (as in PyMC-Marketing), so
            # they go first in a first-match table.
            for name, codes in reversed(list(rules.items())):
                for code in codes:
                    digits = str(code)
                    if len(digits) != 3 or not digits.isdigit() or "0" in digits:
                        raise InvalidInput(f"tierkit.Segments: code {code!r} of {name!r} is not "
                                           "three digits 1-9")
                    r, f, m = (int(d) for d in digits)
                    core_rules.append(_core.SegmentRule(str(name), "", r, r, f, f, m, m))
        else:
            for i, rule in enumerate(rules):
                if isinstance(rule, Mapping):
                    unknown = set(rule) - {"name", "label_zh", "recency", "frequency", "monetary"}
                    if unknown:
                        raise InvalidInput(f"tierkit.Segments: rule {i + 1} has unknown keys "
                                           f"{sorted(unknown)}")
                    name = rule.get("name")
                    r, f, m = (rule.get(k, (1, 99)) for k in ("recency", "frequency", "monetary"))
                    zh = rule.get("label_zh", "")
                else:
                    name, r, f, m = rule[0], rule[1], rule[2], rule[3]
                    zh = rule[4] if len(rule) > 4 else ""
                if not name:
                    raise InvalidInput(f"tierkit.Segments: rule {i + 1} has no name")
                core_rules.append(_core.SegmentRule(str(name), str(zh), int(r[0]), int(r[1]),
                                                    int(f[0]), int(f[1]), int(m[0]), int(m[1])))
        self._core = _core.SegmentTable(core_rules, default, default_zh)

    @classmethod
    def preset(cls, name: str) -> "Segments":
        """A built-in segment table by name (for example "r_rfm", "pymc_marketing",
        "chinese_eight")."""
        return cls(_core.SegmentTable.preset(name))

    @property
    def default(self) -> str:
        """The segment of cells no rule matches."""
        return self._core.default_name

    @property
    def rules(self) -> list[dict]:
        """The rules in order, each with its name, score ranges and Chinese label."""
        return [{"name": r.name, "label_zh": r.label_zh, "recency": r.recency,
                 "frequency": r.frequency, "monetary": r.monetary} for r in self._core.rules]

    def match(self, r: int, f: int, m: int) -> str:
        """The segment of the score cell (r, f, m): the first rule whose ranges hold it, else
        the default."""
        i = self._core.match(r, f, m)
        return self._core.rules[i].name if i < len(self._core.rules) else self.default

    def check(self, r_bins: int = 5, f_bins: int = 5, m_bins: int = 5) -> "SegmentCheck":
        """Rules that can never match, overlapping rules and cells left to the catch-all,
        computed exactly over the score grid."""
        return SegmentCheck(self, self._core.check(r_bins, f_bins, m_bins))

    def to_bytes(self) -> bytes:
        """The segment table in tierkit's versioned envelope; ``tk.load`` and pickle read it
        back."""
        return self._core.to_bytes()

    def save(self, path) -> None:
        """Writes ``to_bytes()`` to ``path`` atomically; ``tk.load(path)`` reads it back."""
        save_bytes(path, self.to_bytes())

    def __reduce__(self):
        return (_segments_from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        lines = [f"Segments(default={self.default!r}, rules=["]
        for r in self.rules:
            zh = f", {r['label_zh']!r}" if r["label_zh"] else ""
            lines.append(f"    ({r['name']!r}, {r['recency']}, {r['frequency']}, "
                         f"{r['monetary']}{zh}),")
        lines.append("])")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><td>{i + 1}</td><td>{esc(r['name'])}</td><td>{esc(r['label_zh'])}</td>"
            f"<td>{r['recency'][0]}–{r['recency'][1]}</td><td>{r['frequency'][0]}–{r['frequency'][1]}</td>"
            f"<td>{r['monetary'][0]}–{r['monetary'][1]}</td></tr>"
            for i, r in enumerate(self.rules))
        return ("<div><strong>tierkit Segments</strong> (first match wins; otherwise "
                f"{esc(self.default)})<table><tr><th>#</th><th>segment</th><th>中文</th><th>R</th>"
                f"<th>F</th><th>M</th></tr>{rows}</table></div>")


def _segments_from_bytes(data: bytes) -> Segments:
    return Segments(_core.SegmentTable.from_bytes(data))


class SegmentCheck:
    """The result of Segments.check: per rule the cells it wins, rules that never match,
    overlapping pairs, and uncovered cells (codes R*100+F*10+M)."""

    def __init__(self, segments: Segments, raw: dict):
        names = [r["name"] for r in segments.rules]
        self.cells_won = dict(zip(range(len(names)), raw["cells_won"]))
        self.never_match = [names[i] for i in raw["never_match"]]
        self.overlaps = [(names[a], names[b], cells) for a, b, cells in raw["overlaps"]]
        self.uncovered = list(raw["uncovered"])
        self.grid_cells = raw["grid_cells"]
        self._names = names

    @property
    def ok(self) -> bool:
        """No rule is dead and no cell falls to the catch-all."""
        return not self.never_match and not self.uncovered

    def __repr__(self) -> str:
        return (f"SegmentCheck({self.grid_cells} cells: never match {self.never_match}, "
                f"{len(self.overlaps)} overlapping pairs, {len(self.uncovered)} cells to the "
                "catch-all)")


def _recency_pymc(m: Metrics) -> np.ndarray:
    # PyMC-Marketing measures recency to the last day of data: the profile's as_of - 1.
    return m.column("recency") - 1.0


def _monetary_per_day(m: Metrics) -> np.ndarray:
    # PyMC-Marketing's monetary value: mean of the per-day sums, first purchase included.
    days = m.column("purchase_days")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(days > 0, m.column("monetary") / np.where(days > 0, days, 1), np.nan)


# Metrics some presets read that a profile derives on request.
_DERIVED = {"recency_pymc": _recency_pymc, "monetary_per_day": _monetary_per_day}


def _derive(metrics: Metrics, columns) -> None:
    """Adds the derived profile metrics among `columns` that `metrics` lacks."""
    if metrics.profile is None:
        return
    for name in columns:
        if name not in metrics.names and name in _DERIVED:
            metrics.add(name, _DERIVED[name](metrics))


class RFM:
    """The RFM strategy: bins per metric, metric columns, segments.

    Parameters
    ----------
    bins
        Quantile bins per metric (default 5), overridden per metric by ``recency``,
        ``frequency``, ``monetary`` (each a ``Bins`` or an int).
    segments
        A ``Segments`` table or preset name (default "english"); None for no segments.
    columns
        Metric column names as (recency, frequency, monetary); default
        ("recency", "frequency", "monetary") of a profile.
    """

    def __init__(self, bins: int = 5, *, recency: Bins | int | None = None,
                 frequency: Bins | int | None = None, monetary: Bins | int | None = None,
                 segments: Segments | str | None = "english",
                 columns: tuple[str, str, str] = ("recency", "frequency", "monetary")):
        self._setup(bins, recency, frequency, monetary, segments, columns, "default")

    def _setup(self, bins, recency, frequency, monetary, segments, columns, preset: str) -> None:
        self._config = _core.RFMConfig.preset(preset)
        self._preset = preset
        if preset == "default":
            self._config.recency_column, self._config.frequency_column, \
                self._config.monetary_column = columns
            for attr, given in (("recency", recency), ("frequency", frequency),
                                ("monetary", monetary)):
                spec = given if given is not None else bins
                spec = Bins(spec) if isinstance(spec, int) else spec
                b = getattr(self._config, attr)
                spec._apply_to(b)
                if attr == "recency":
                    b.higher_is_better = False
                setattr(self._config, attr, b)
                b.check(f"tierkit.RFM {attr}")
            self._config.segments = self._segments_core(segments)
        self._spec = dict(bins=bins, recency=recency, frequency=frequency, monetary=monetary,
                          segments=segments, columns=columns)

    @staticmethod
    def _segments_core(segments):
        if segments is None:
            return _core.SegmentTable([], "Unsegmented", "")
        if isinstance(segments, str):
            return _core.SegmentTable.preset(segments)
        if isinstance(segments, Segments):
            return segments._core
        return Segments(segments)._core

    @property
    def profile_columns(self) -> list[str] | None:
        """The profile columns fit and apply read (None: not known in advance, as for the
        presets that derive their metrics)."""
        if self._preset != "default":
            return None
        c = self._config
        return [c.recency_column, c.frequency_column, c.monetary_column]

    @classmethod
    def preset(cls, name: str) -> "RFM":
        """A compatibility or classic setup: "r_rfm" (R package rfm 0.3.0: type-7
        quantiles + 1, [lo, hi) bins, frequency = all lines, its segment table),
        "pymc_marketing" (PyMC-Marketing rfm_segments: quartiles by pandas.qcut, its
        metrics and default segments), "chinese_eight" / "chinese_eight_median" (R, F, M
        split at their mean or median; 重要价值客户 ... 一般挽留客户)."""
        rfm = cls.__new__(cls)
        rfm._setup(5, None, None, None, "english", ("recency", "frequency", "monetary"), name)
        return rfm

    def fit(self, data, key: str | None = None) -> "RFMModel":
        """Fits cut points to `data` (a Profile, or a keyed table with the metric columns)."""
        metrics = metrics_of(data, key, "tierkit.RFM.fit")
        c = self._config
        _derive(metrics, (c.recency_column, c.frequency_column, c.monetary_column))
        return RFMModel(_core.RFMStrategy(c).fit(metrics.core))

    def fit_apply(self, data, key: str | None = None) -> Table:
        """``fit(data, key).apply(data, key)``: R, F and M scores and segments for the customers
        the model was fitted on."""
        metrics = metrics_of(data, key, "tierkit")  # read the input once
        return self.fit(metrics).apply(metrics)

    def __repr__(self) -> str:
        if self._preset != "default":
            return f"RFM.preset({self._preset!r})"
        parts = [f"{self._spec['bins']}"]
        for k in ("recency", "frequency", "monetary"):
            if self._spec[k] is not None:
                parts.append(f"{k}={self._spec[k]!r}")
        seg = self._spec["segments"]
        parts.append(f"segments={seg!r}" if isinstance(seg, (str, type(None))) else "segments=Segments(...)")
        return f"RFM({', '.join(parts)})"


class RFMModel(FrozenModel):
    """A fitted RFM model: frozen cut points, applied to any data with the same metrics."""

    kind = "rfm"
    _core_class = _core.RFMModel

    def __init__(self, core: _core.RFMModel):
        self._core = core

    def _metrics(self, data, key, what) -> Metrics:
        metrics = metrics_of(data, key, what)
        _derive(metrics, self._core.columns)
        return metrics

    # --- scoring -------------------------------------------------------------------------
    def apply(self, data, key: str | None = None) -> Table:
        """Scores per key: r_score, f_score, m_score, rfm_code, rfm_sum, segment (and
        segment_zh). Keys without all three metrics get nulls."""
        metrics = self._metrics(data, key, "tierkit.RFMModel.apply")
        return keyed_table(metrics, self._core.apply(metrics.core), "RFM scores")

    def segment_summary(self, data, key: str | None = None) -> Table:
        """Per segment: customers, orders (sum of the frequency metric), revenue (sum of
        the monetary metric), their shares and the average order value — like R rfm's
        rfm_segment_summary. Unscored customers form a row with a null segment."""
        metrics = self._metrics(data, key, "tierkit.RFMModel.segment_summary")
        segment = one_array(self.apply(metrics).to_arrow().column("segment"))
        labels = list(segment.dictionary.to_pylist()) + [None]
        # (Widened first: with 128 segments the null slot's number does not fit int8 indices.)
        idx = segment.indices.cast(pa.int64()).fill_null(len(labels) - 1).to_numpy()
        _, freq_col, mon_col = self._core.columns
        n = len(labels)
        customers = np.bincount(idx, minlength=n)
        orders = np.bincount(idx, weights=np.nan_to_num(metrics.column(freq_col)), minlength=n)
        revenue = np.bincount(idx, weights=np.nan_to_num(metrics.column(mon_col)), minlength=n)
        keep = customers > 0
        total_c, total_r = customers.sum(), revenue.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            out = pa.table({
                "segment": pa.array([label for label, k in zip(labels, keep) if k], pa.string()),
                "customers": pa.array(customers[keep]),
                "customer_share": pa.array(customers[keep] / total_c),
                "orders": pa.array(orders[keep]),
                "revenue": pa.array(revenue[keep]),
                "revenue_share": pa.array(revenue[keep] / total_r if total_r else np.full(keep.sum(), np.nan)),
                "average_order_value": pa.array(np.where(orders[keep] > 0,
                                                         revenue[keep] / np.where(orders[keep] > 0, orders[keep], 1),
                                                         np.nan)),
            })
        out = out.sort_by([("segment", "ascending")])
        return Table(out, "segment", "RFM segment summary")

    # --- the frozen model ----------------------------------------------------------------
    @property
    def cuts(self) -> Table:
        """Tidy table: metric, score, lower, upper, closed, customers and share at fit,
        is_empty (1 when ties left the score without customers)."""
        return plain_table(self._core.summary(), "RFM cut points")

    @property
    def bins(self) -> dict[str, dict]:
        """Per metric: cut values, number of bins, closure, direction, counts at fit."""
        return {"recency": self._core.recency, "frequency": self._core.frequency,
                "monetary": self._core.monetary}

    @property
    def empty_scores(self) -> dict[str, list[int]]:
        """Scores no fitted customer received (ties collapsing bins), per metric."""
        return {k: v["empty_scores"] for k, v in self.bins.items()}

    @property
    def segments(self) -> Segments:
        """The segment table that names the (R, F, M) score cells."""
        return Segments(self._core.segments)

    def check_segments(self) -> SegmentCheck:
        """Segments.check over this model's score grid."""
        return SegmentCheck(self.segments, self._core.check_segments())

    # --- display -------------------------------------------------------------------------
    def __repr__(self) -> str:
        def spec(b):
            cuts = ", ".join(_num(c) for c in b["cuts"])
            extra = "" if b["closed"] == "right" else ", closed='left'"
            return f"Bins(cuts=[{cuts}]{extra})"
        r, f, m = self._core.columns
        b = self.bins
        return (f"RFMModel(recency={spec(b['recency'])}, frequency={spec(b['frequency'])}, "
                f"monetary={spec(b['monetary'])}, columns=({r!r}, {f!r}, {m!r}), "
                f"segments={len(self.segments.rules)} rules, fitted on "
                f"{b['recency']['fit_rows']:,} customers ({b['recency']['fit_missing']:,} unscored))")

    def _repr_html_(self) -> str:
        esc = html.escape
        t = self.cuts.to_arrow().to_pylist()
        rows = []
        for row in t:
            lo, hi = row["lower"], row["upper"]
            interval = (f"({_num(lo)}, {_num(hi)}]" if row["closed"] == "(lower, upper]"
                        else f"[{_num(lo)}, {_num(hi)})")
            style = " style='color:#999'" if row["is_empty"] else ""
            rows.append(f"<tr{style}><td>{esc(row['metric'])}</td><td>{row['score']}</td>"
                        f"<td>{esc(interval)}</td><td>{row['customers']:,}</td>"
                        f"<td>{cell(row['share'])}</td></tr>")
        return ("<div><strong>tierkit RFMModel</strong><table><tr><th>metric</th><th>score</th>"
                "<th>values</th><th>customers at fit</th><th>share</th></tr>"
                + "".join(rows) + "</table></div>")


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isinf(x)):
        return "inf" if x and x > 0 else "-inf"
    return f"{x:g}"


register_loader("rfm", lambda data: RFMModel.from_bytes(data))
register_loader("segment_table", lambda data: _segments_from_bytes(data))

__all__ = ["Bins", "Segments", "SegmentCheck", "RFM", "RFMModel"]
