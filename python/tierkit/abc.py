"""ABC (Pareto) classes and the concentration of value.

    abc = tk.ABC()                        # monetary; A 80%, B 95%, C rest; N for <= 0
    model = abc.fit(profile)              # or abc.fit(products, key="sku") with column=...
    model.apply(profile)                  # abc_class per key
    model.summary                         # customers, value and shares per class
    model.concentration                   # Gini, top-20% share, Lorenz curve

Policies (include/tierkit/abc.hpp): the customer who crosses a boundary belongs to the
higher class; equal values share a class; zero and negative values get their own class by
default ("N"), or the lowest class, or none; concentration is over values >= 0.
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence

import numpy as np

from . import _core
from ._results import Table, cell
from .scoring import keyed_table, metrics_of, plain_table, register_loader, save_bytes


@dataclasses.dataclass(frozen=True)
class Concentration:
    """Concentration of value over keys with value >= 0 (negative values left out)."""
    customers: int
    negative_left_out: int
    total: float
    gini: float
    top20_share: float
    lorenz: np.ndarray  # 101 points: share of value held by the bottom 0%, 1%, ..., 100%

    def __repr__(self) -> str:
        return (f"Concentration(gini={self.gini:.4f}, top20_share={self.top20_share:.4f}, "
                f"customers={self.customers:,}, negative_left_out={self.negative_left_out:,})")


def concentration(values) -> Concentration:
    """Gini, top-20% share and Lorenz curve of any numbers (NaN left out)."""
    d = _core.concentration(np.asarray(values, dtype=np.float64))
    return Concentration(**d)


class ABC:
    """The ABC strategy.

    Parameters
    ----------
    column
        The value to classify (default "monetary"; any numeric column of a keyed table).
    mode
        "value" (cumulative share of value; default bounds 0.80, 0.95) or "count" (share of
        customers; default 0.20, 0.90).
    shares
        Cumulative bounds, increasing in (0, 1), one fewer than labels.
    labels
        Class labels (default A, B, C).
    nonpositive
        "own_class" (default, labelled ``nonpositive_label``), "lowest_class" or
        "unclassified" (null).
    """

    def __init__(self, column: str = "monetary", *, mode: str = "value",
                 shares: Sequence[float] | None = None, labels: Sequence[str] = ("A", "B", "C"),
                 nonpositive: str = "own_class", nonpositive_label: str = "N"):
        c = _core.ABCConfig()
        c.column = column
        c.mode = mode
        c.shares = [float(x) for x in shares] if shares is not None else []
        c.labels = [str(x) for x in labels]
        c.nonpositive = nonpositive
        c.nonpositive_label = nonpositive_label
        self._strategy = _core.ABCStrategy(c)  # validates
        self._column = column
        self._repr = (f"ABC({column!r}, mode={mode!r}"
                      + (f", shares={list(shares)!r}" if shares is not None else "")
                      + (f", labels={list(labels)!r}" if tuple(labels) != ("A", "B", "C") else "")
                      + (f", nonpositive={nonpositive!r}" if nonpositive != "own_class" else "")
                      + ")")

    @property
    def profile_columns(self) -> list[str]:
        """The profile columns fit and apply read."""
        return [self._column]

    def fit(self, data, key: str | None = None) -> "ABCModel":
        metrics = metrics_of(data, key, "tierkit.ABC.fit")
        return ABCModel(self._strategy.fit(metrics.core))

    def fit_apply(self, data, key: str | None = None) -> Table:
        metrics = metrics_of(data, key, "tierkit")  # read the input once
        return self.fit(metrics).apply(metrics)

    def __repr__(self) -> str:
        return self._repr


class ABCModel:
    """A fitted ABC model: each class's smallest value is frozen, so new data are
    classified against this fit."""

    kind = "abc"

    def __init__(self, core: _core.ABCModel):
        self._core = core

    def apply(self, data, key: str | None = None) -> Table:
        metrics = metrics_of(data, key, "tierkit.ABCModel.apply")
        return keyed_table(metrics, self._core.apply(metrics.core), "ABC classes")

    @property
    def summary(self) -> Table:
        """Per class: customers and their share, value and its share, smallest and
        largest value at fit."""
        return plain_table(self._core.summary(), "ABC summary")

    @property
    def labels(self) -> list[str]:
        return list(self._core.labels)

    @property
    def concentration(self) -> Concentration:
        return Concentration(**self._core.concentration)

    def to_bytes(self) -> bytes:
        return self._core.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "ABCModel":
        return cls(_core.ABCModel.from_bytes(data))

    def save(self, path) -> None:
        save_bytes(path, self.to_bytes())

    def __reduce__(self):
        return (ABCModel.from_bytes, (self.to_bytes(),))

    def __eq__(self, other) -> bool:
        return isinstance(other, ABCModel) and self._core == other._core

    __hash__ = None

    def plot_lorenz(self, ax=None, lang: str = "en"):
        """The Lorenz curve with the line of equality (tk.plots.lorenz)."""
        from .plots import lorenz
        return lorenz(self, ax=ax, lang=lang)

    def __repr__(self) -> str:
        rows = self.summary.to_arrow().to_pylist()
        classes = ", ".join(f"{r['class']}: {r['customers']:,}" for r in rows)
        return (f"ABCModel(column={self._core.column!r}, mode={self._core.mode!r}, "
                f"shares={list(self._core.shares)!r}, nonpositive={self._core.nonpositive!r}; "
                f"{classes}; gini={self.concentration.gini:.4f})")

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = self.summary.to_arrow().to_pylist()
        body = "".join(
            f"<tr><td>{esc(str(r['class']))}</td><td>{r['customers']:,}</td>"
            f"<td>{cell(r['customer_share'])}</td><td>{cell(r['value'])}</td>"
            f"<td>{cell(r['value_share'])}</td><td>{cell(r['min_value'])}</td></tr>" for r in rows)
        c = self.concentration
        return ("<div><strong>tierkit ABCModel</strong> "
                f"({esc(self._core.column)}, {esc(self._core.mode)} mode; Gini {c.gini:.3f}, top 20% hold "
                f"{c.top20_share:.1%})<table><tr><th>class</th><th>customers</th><th>share</th>"
                "<th>value</th><th>value share</th><th>smallest value</th></tr>"
                + body + "</table></div>")


register_loader("abc", lambda data: ABCModel.from_bytes(data))

__all__ = ["ABC", "ABCModel", "Concentration", "concentration"]
