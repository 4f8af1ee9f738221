"""Value x potential: two axes cut into scores, a grid of named cells.

    vp = tk.ValuePotential()                 # 2 x 2: key / develop / maintain / low (核心 发展 保持 一般)
    vp.fit_apply(profile)                    # value_score, potential_score, vp_cell, vp_cell_zh
    tk.ValuePotential.preset("3x3")          # Star ... Low (明星客户 ... 一般客户)
    tk.ValuePotential(potential="wallet_estimate", potential_bins=tk.Bins(cuts=[1e4]))

The default value axis is net monetary, the default potential axis spend_growth: growth of
net spend per period between the two halves of the window (include/tierkit/value_potential.hpp:
exposure-adjusted, symmetric in [-1, 1], missing without a first-half baseline). Each axis is
split at its median by default (quantiles with k = 2, bins (lo, hi]).

``potential="clv"`` measures potential as predicted lifetime value: when the data have no
``clv`` column, a lifetime-value strategy (``clv=tk.CLV(...)``, default ``tk.CLV()``) is
fitted on them, kept in the model and applied to the data the model scores later.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from . import _core
from ._model import FrozenModel
from ._errors import InvalidInput
from ._results import Table, cell
from .rfm import Bins
from .scoring import keyed_table, metrics_of, plain_table, register_loader


class ValuePotential:
    """The value x potential strategy.

    Parameters
    ----------
    value, potential
        Metric columns of the axes (a profile's, or a keyed table's).
    value_bins, potential_bins
        ``Bins`` (or an int k for quantiles) per axis; default: the preset's.
    cells, cells_zh
        Cell names, ordered by value score then potential score (low to high); one per
        grid cell.
    """

    def __init__(self, value: str = "monetary", potential: str = "spend_growth", *,
                 value_bins: Bins | int | None = None, potential_bins: Bins | int | None = None,
                 cells: Sequence[str] | None = None, cells_zh: Sequence[str] | None = None,
                 clv=None):
        self._setup("2x2", value, potential, value_bins=value_bins, potential_bins=potential_bins,
                    cells=cells, cells_zh=cells_zh, clv=clv)

    def _setup(self, preset: str, value: str = "monetary", potential: str = "spend_growth", *,
               value_bins=None, potential_bins=None, cells=None, cells_zh=None, clv=None) -> None:
        c = _core.ValuePotentialConfig.preset(preset)
        c.value_column, c.potential_column = value, potential
        for attr, spec in (("value", value_bins), ("potential", potential_bins)):
            if spec is not None:
                b = getattr(c, attr)
                (Bins(spec) if isinstance(spec, int) else spec)._apply_to(b)
                setattr(c, attr, b)
        if cells is not None:
            c.cells = [str(x) for x in cells]
            c.cells_zh = [str(x) for x in cells_zh] if cells_zh is not None else []
        elif cells_zh is not None:
            raise InvalidInput("tierkit.ValuePotential: cells_zh needs cells")
        self._strategy = _core.ValuePotentialStrategy(c)  # validates the grid
        self._preset = preset
        self._columns = (value, potential)
        if clv is not None or "clv" in (value, potential):
            from .clv import CLV
            self._clv = clv if clv is not None else CLV()
        else:
            self._clv = None
        self._repr = (f"ValuePotential({value!r}, {potential!r}"
                      + (f", value_bins={value_bins!r}" if value_bins is not None else "")
                      + (f", potential_bins={potential_bins!r}" if potential_bins is not None else "")
                      + (f", cells={list(cells)!r}" if cells is not None else "") + ")")

    @classmethod
    def preset(cls, name: str, **kwargs) -> "ValuePotential":
        """"2x2" (key / develop / maintain / low) or "3x3" (Star, Core, Maintain, Grow,
        Steady, Watch, Develop, Nurture, Low)."""
        obj = cls.__new__(cls)
        obj._setup(name, **kwargs)
        obj._repr = f"ValuePotential.preset({name!r})"
        return obj

    def fit(self, data, key: str | None = None) -> "ValuePotentialModel":
        """Fits the value and potential cut points to ``data`` (a Profile, or a keyed table with
        the metric columns, key column ``key``) and returns the frozen model."""
        metrics = metrics_of(data, key, "tierkit.ValuePotential.fit")
        clv_model = None
        if self._clv is not None and "clv" not in metrics.names:
            from .clv import _clv_metrics
            metrics = _clv_metrics(metrics, None, "tierkit.ValuePotential.fit")
            clv_model = self._clv.fit(metrics)
            _add_clv(metrics, clv_model)
        return ValuePotentialModel(self._strategy.fit(metrics.core), clv_model)

    def fit_apply(self, data, key: str | None = None) -> Table:
        """``fit(data, key).apply(data, key)``: value and potential scores and cells for the
        customers the model was fitted on."""
        metrics = metrics_of(data, key, "tierkit")  # read the input once
        return self.fit(metrics).apply(metrics)

    def __repr__(self) -> str:
        return self._repr


def _add_clv(metrics, clv_model) -> None:
    """Adds the clv column that `clv_model` predicts for `metrics`."""
    out = clv_model._core.apply(metrics.core)["clv"]
    values = np.array(out["values"], dtype=np.float64)
    if "valid" in out:
        values[np.asarray(out["valid"]) == 0] = np.nan
    metrics.add("clv", values)


class ValuePotentialModel(FrozenModel):
    """Fitted cut points; with ``potential="clv"`` fitted on data without a clv column, also
    the lifetime-value model (``clv_model``) that predicts it for the data scored later."""

    kind = "value_potential"
    _core_class = _core.ValuePotentialModel
    _with_clv_kind = "value_potential_clv"

    def __init__(self, core: _core.ValuePotentialModel, clv_model=None):
        self._core = core
        self.clv_model = clv_model

    def apply(self, data, key: str | None = None) -> Table:
        """Value and potential scores and the value x potential cell of each customer in
        ``data``."""
        metrics = metrics_of(data, key, "tierkit.ValuePotentialModel.apply")
        if self.clv_model is not None and "clv" not in metrics.names:
            from .clv import _clv_metrics
            metrics = _clv_metrics(metrics, None, "tierkit.ValuePotentialModel.apply")
            _add_clv(metrics, self.clv_model)
        return keyed_table(metrics, self._core.apply(metrics.core), "value x potential")

    @property
    def summary(self) -> Table:
        """Per cell: its scores, customers and value at fit, and their shares."""
        return plain_table(self._core.summary(), "value x potential cells")

    @property
    def cuts(self) -> dict[str, list[float]]:
        """The frozen cut points: {"value": [...], "potential": [...]}."""
        return {"value": self._core.value_bins["cuts"], "potential": self._core.potential_bins["cuts"]}

    def __repr__(self) -> str:
        v, p = self._core.columns
        return (f"ValuePotentialModel(value={v!r} cuts {self.cuts['value']}, potential={p!r} cuts "
                f"{self.cuts['potential']}, {self._core.unscored:,} unscored at fit)")

    def _repr_html_(self) -> str:
        rows = self.summary.to_arrow().to_pylist()
        body = "".join(
            f"<tr><td>{html.escape(str(r['cell']))}</td><td>{r['value_score']}</td>"
            f"<td>{r['potential_score']}</td><td>{r['customers']:,}</td>"
            f"<td>{cell(r['customer_share'])}</td><td>{cell(r['value_share'])}</td></tr>"
            for r in rows)
        return ("<div><strong>tierkit ValuePotentialModel</strong><table><tr><th>cell</th>"
                "<th>value score</th><th>potential score</th><th>customers</th><th>share</th>"
                "<th>value share</th></tr>" + body + "</table></div>")


register_loader("value_potential", lambda data: ValuePotentialModel.from_bytes(data))
register_loader("value_potential_clv", lambda data: ValuePotentialModel.from_bytes(data))

__all__ = ["ValuePotential", "ValuePotentialModel"]
