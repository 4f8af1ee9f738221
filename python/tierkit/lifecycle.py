"""Lifecycle stages: prospect, new, active, dormant (沉睡), churned (流失), reactivated (回流).

    life = tk.Lifecycle(new_days=90, dormant_days=180, churn_days=365)
    life.fit_apply(profile, prospects=attributes)        # lifecycle, lifecycle_zh, thresholds
    tk.Lifecycle(relative_to_gap=True, dormant_gaps=3, churn_gaps=6)   # each customer's rhythm

Rules (first that holds; include/tierkit/lifecycle.hpp): no purchase -> prospect; silence
beyond the churn threshold -> churned; beyond the dormant threshold -> dormant; first
purchase within new_days -> new; came back after a gap beyond the dormant threshold ->
reactivated; else active. Prospects are customers of an attribute table (or any key list)
without transactions.

    tk.Lifecycle(p_alive={"dormant": 0.5, "churned": 0.2})   # judged by P(alive) instead

With ``p_alive``, dormant and churned follow a lifetime-value model's probability that the
customer is still buying (below the thresholds), not days of silence; the data's
``p_alive`` column is used when present, else the model ``clv=`` (default ``tk.CLV()``) is
fitted on them and kept for later data.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._model import FrozenModel
from ._arrow import one_array
from ._errors import flag_arg
from ._results import Table
from .attributes import CustomerAttributes
from .scoring import Metrics, keyed_table, metrics_of, plain_table, register_loader


class Lifecycle:
    """The lifecycle strategy (nothing to fit: the settings are frozen in the model)."""

    def __init__(self, *, new_days: int = 90, dormant_days: int = 180, churn_days: int = 365,
                 relative_to_gap: bool = False, dormant_gaps: float = 3.0,
                 churn_gaps: float = 6.0, min_relative_days: int = 14, p_alive=None, clv=None):
        c = _core.LifecycleConfig()
        c.new_days, c.dormant_days, c.churn_days = int(new_days), int(dormant_days), int(churn_days)
        c.relative_to_gap = flag_arg(relative_to_gap, "tierkit.Lifecycle: relative_to_gap")
        c.dormant_gaps, c.churn_gaps = float(dormant_gaps), float(churn_gaps)
        c.min_relative_days = int(min_relative_days)
        if p_alive is not None:
            if not isinstance(p_alive, dict) or set(p_alive) - {"dormant", "churned"}:
                from ._errors import InvalidInput
                raise InvalidInput("tierkit.Lifecycle: p_alive must be a mapping with 'dormant' and/or "
                                   f"'churned' thresholds; got {p_alive!r}")
            c.by_p_alive = True
            c.dormant_p_alive = float(p_alive.get("dormant", c.dormant_p_alive))
            c.churn_p_alive = float(p_alive.get("churned", c.churn_p_alive))
        self._strategy = _core.LifecycleStrategy(c)  # validates
        self._config = c
        self._clv = None
        if p_alive is not None:
            from .clv import CLV
            self._clv = clv if clv is not None else CLV()

    def fit(self, data, key: str | None = None) -> "LifecycleModel":
        """Returns the frozen model: the stage settings, checked against ``data``'s columns,
        with the lifetime-value model fitted on ``data`` when stages are judged by P(alive)."""
        metrics = metrics_of(data, key, "tierkit.Lifecycle.fit")
        clv_model = None
        if self._clv is not None and "p_alive" not in metrics.names:
            from .clv import _clv_metrics
            metrics = _clv_metrics(metrics, None, "tierkit.Lifecycle.fit")
            clv_model = self._clv.fit(metrics)
            _add_p_alive(metrics, clv_model)
        return LifecycleModel(self._strategy.fit(metrics.core), clv_model)

    def fit_apply(self, data, key: str | None = None, prospects=None) -> Table:
        """``fit(data, key).apply(data, key)``: lifecycle stages for the customers the model was
        fitted on."""
        metrics = metrics_of(data, key, "tierkit")  # read the input once
        return self.fit(metrics).apply(metrics, prospects=prospects)

    def __repr__(self) -> str:
        return _repr("Lifecycle", self._config)


def _repr(name: str, c) -> str:
    if c.by_p_alive:
        return (f"{name}(p_alive={{'dormant': {c.dormant_p_alive:g}, 'churned': {c.churn_p_alive:g}}}, "
                f"new_days={c.new_days}, dormant_days={c.dormant_days}, churn_days={c.churn_days})")
    if c.relative_to_gap:
        return (f"{name}(relative_to_gap=True, dormant_gaps={c.dormant_gaps:g}, "
                f"churn_gaps={c.churn_gaps:g}, min_relative_days={c.min_relative_days}, "
                f"new_days={c.new_days}, dormant_days={c.dormant_days}, churn_days={c.churn_days})")
    return (f"{name}(new_days={c.new_days}, dormant_days={c.dormant_days}, "
            f"churn_days={c.churn_days})")


def _with_prospects(metrics: Metrics, prospects) -> Metrics:
    """Metrics extended by the prospects' keys that have no row yet (all metrics NaN)."""
    if prospects is None:
        return metrics
    if isinstance(prospects, CustomerAttributes):
        keys = prospects.to_arrow().column(0)
    elif isinstance(prospects, (pa.Array, pa.ChunkedArray)):
        keys = prospects
    else:
        from ._arrow import as_arrow
        t = as_arrow(prospects, "tierkit.Lifecycle prospects")
        t = t.read_all() if isinstance(t, pa.RecordBatchReader) else t
        if metrics.key_name not in t.column_names:
            from ._arrow import missing_column
            raise missing_column(metrics.key_name, t.column_names, "prospect key",
                                 "tierkit.Lifecycle prospects")
        keys = t.column(metrics.key_name)
    keys = one_array(keys)
    try:
        keys = keys.cast(metrics.keys.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        from ._errors import SchemaError
        raise SchemaError(f"tierkit.Lifecycle: prospect keys are {keys.type}, the data's keys "
                          f"are {metrics.keys.type}") from None
    new = pc.filter(keys, pc.invert(pc.is_in(keys, value_set=metrics.keys)))
    new = pc.unique(new.drop_null())
    if len(new) == 0:
        return metrics
    core = _core.MetricTable()
    for name in metrics.names:
        core.add(name, np.concatenate([metrics.column(name), np.full(len(new), np.nan)]))
    for name, why in metrics.core.absent:  # what was left out, and why, stays said
        core.note_absent(name, why)
    return Metrics(core, pa.concat_arrays([metrics.keys, new]), metrics.key_name)


def _add_p_alive(metrics: Metrics, clv_model) -> None:
    out = clv_model._core.apply(metrics.core)["p_alive"]
    values = np.array(out["values"], dtype=np.float64)
    if "valid" in out:
        values[np.asarray(out["valid"]) == 0] = np.nan
    metrics.add("p_alive", values)


class LifecycleModel(FrozenModel):
    """Frozen lifecycle rules; judged by P(alive), also the lifetime-value model
    (``clv_model``) that gives it when the data lack a p_alive column."""

    kind = "lifecycle"
    _core_class = _core.LifecycleModel
    _with_clv_kind = "lifecycle_clv"

    def __init__(self, core: _core.LifecycleModel, clv_model=None):
        self._core = core
        self.clv_model = clv_model

    def apply(self, data, key: str | None = None, prospects=None) -> Table:
        """Stages per key (lifecycle, lifecycle_zh) and the thresholds used (days). With
        `prospects` (CustomerAttributes, a key array, or a table with the key column),
        keys without transactions are added as prospects."""
        metrics = metrics_of(data, key, "tierkit.LifecycleModel.apply")
        if self.clv_model is not None and "p_alive" not in metrics.names:
            from .clv import _clv_metrics
            metrics = _clv_metrics(metrics, None, "tierkit.LifecycleModel.apply")
            _add_p_alive(metrics, self.clv_model)
        metrics = _with_prospects(metrics, prospects)
        return keyed_table(metrics, self._core.apply(metrics.core), "lifecycle stages")

    @property
    def rules(self) -> Table:
        """The stages with their frozen settings, as a table."""
        return plain_table(self._core.summary(), "lifecycle rules")

    def __repr__(self) -> str:
        return _repr("LifecycleModel", self._core.config)

    def _repr_html_(self) -> str:
        return self.rules._repr_html_()


register_loader("lifecycle", lambda data: LifecycleModel.from_bytes(data))
register_loader("lifecycle_clv", lambda data: LifecycleModel.from_bytes(data))

__all__ = ["Lifecycle", "LifecycleModel"]
