"""k-means segments on chosen metric columns, fitted in C++.

    km = tk.KMeans(["recency", "frequency", "monetary"], k=5, transform="log_standardize", seed=1)
    model = km.fit(profile)            # or km.fit(table, key="customer_id")
    model.apply(profile)               # cluster (1..k), cluster_name, cluster_distance
    model.summary                      # per cluster: size, share, means, centres, description
    km.elbow(profile, ks=range(2, 9))  # k, inertia, silhouette
    tk.score(profile, tk.RFM(), tk.KMeans(k=4))   # and ``kmeans: {...}`` in policy files

Policies (include/tierkit/strategies/kmeans.hpp): ``transform`` "standardize" (default;
mean and population standard deviation of the fitted rows, frozen in the model; a column
without spread is centred only), "log" (sign(v) * log(1 + |v|), so zero and negative values
are kept), "log_standardize" (log, then standardize) or "none". k-means++ seeding from
``seed`` (restart j draws from stream j: the same model on any number of threads), Lloyd
iterations until no customer changes cluster, the restart of lowest inertia kept.
Customers missing a chosen column are left out of the fit and get null clusters. Clusters
are numbered by decreasing size.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from . import _core
from ._model import FrozenModel
from ._results import Table
from .scoring import keyed_table, metrics_of, plain_table, register_loader


class KMeans:
    """The k-means strategy.

    Parameters
    ----------
    columns
        The metric columns clustered (default recency, frequency, monetary).
    k
        Number of clusters.
    transform
        "standardize", "log", "log_standardize" or "none" (see the module's policies).
    restarts
        k-means++ restarts; the one of lowest inertia wins.
    seed
        Seed of the k-means++ draws and of the silhouette sample.
    names
        k cluster names, in cluster order (largest first); default "cluster 1", ...
    output
        Name of the output columns: ``<output>``, ``<output>_name``, ``<output>_distance``.
    silhouette_sample
        Rows of the silhouette's sample (0: no silhouette).
    initial_centres
        k x len(columns) starting centres in the transformed space (then one run, no
        k-means++).
    """

    def __init__(self, columns: Sequence[str] = ("recency", "frequency", "monetary"), k: int = 4, *,
                 transform: str = "standardize", restarts: int = 10, seed: int = 0, max_iterations: int = 300,
                 names: Sequence[str] | None = None, output: str = "cluster", silhouette_sample: int = 5000,
                 initial_centres=None, threads: int | None = None):
        if isinstance(columns, str):
            columns = [columns]
        c = _core.KMeansConfig()
        c.columns = [str(x) for x in columns]
        c.k = int(k)
        c.transform = str(transform)
        c.restarts = int(restarts)
        c.seed = int(seed)
        c.max_iterations = int(max_iterations)
        c.names = [str(x) for x in names] if names is not None else []
        c.output = str(output)
        c.silhouette_sample = int(silhouette_sample)
        c.initial_centres = ([] if initial_centres is None
                             else np.asarray(initial_centres, dtype=np.float64).ravel().tolist())
        c.threads = int(threads or 0)
        c.check()
        self._config = c
        self._repr = (f"KMeans({list(c.columns)!r}, k={c.k}, transform={c.transform!r}, restarts={c.restarts}, "
                      f"seed={c.seed})")

    def fit(self, data, key: str | None = None) -> "KMeansModel":
        """Fits the centres to ``data`` (a Profile, or a keyed table with the chosen columns,
        key column ``key``): the transform frozen, k-means++ restarts from the seed, the
        lowest-inertia run kept. Rows with a missing value are left out (reported)."""
        metrics = metrics_of(data, key, "tierkit.KMeans.fit")
        return KMeansModel(_core.KMeansStrategy(self._config).fit(metrics.core))

    def fit_apply(self, data, key: str | None = None) -> Table:
        """``fit(data, key).apply(data, key)``: the clusters of the customers fitted on."""
        metrics = metrics_of(data, key, "tierkit")
        return self.fit(metrics).apply(metrics)

    def elbow(self, data, ks=range(2, 9), key: str | None = None) -> Table:
        """Inertia and silhouette of a fit at each k of ``ks`` (the other settings as given)."""
        metrics = metrics_of(data, key, "tierkit.KMeans.elbow")
        return plain_table(_core.kmeans_elbow(metrics.core, self._config, [int(k) for k in ks]), "k-means elbow")

    def __repr__(self) -> str:
        return self._repr


class KMeansModel(FrozenModel):
    """Fitted k-means centres: ``apply`` assigns any customers to the nearest centre after
    the frozen transform."""

    kind = "kmeans"
    _core_class = _core.KMeansModel

    def __init__(self, core: _core.KMeansModel):
        self._core = core

    def apply(self, data, key: str | None = None) -> Table:
        """The cluster (number and name) of each customer in ``data``: the nearest frozen
        centre after the frozen transform; customers with a missing value get none."""
        metrics = metrics_of(data, key, "tierkit.KMeansModel.apply")
        return keyed_table(metrics, self._core.apply(metrics.core), "k-means clusters")

    def transform(self, data, key: str | None = None) -> np.ndarray:
        """The chosen columns after the model's transform (rows x columns; NaN rows kept)."""
        return self._core.transform(metrics_of(data, key, "tierkit.KMeansModel.transform").core)

    @property
    def summary(self) -> Table:
        """Per cluster: cluster, name, description, customers, share, inertia, mean_<column>
        (original units) and centre_<column> (transformed space)."""
        return plain_table(self._core.summary(), "k-means clusters")

    @property
    def columns(self) -> list[str]:
        """The columns clustered, in order."""
        return list(self._core.config.columns)

    @property
    def names(self) -> list[str]:
        """The clusters' names, in cluster order (largest cluster first at fit)."""
        return list(self._core.names)

    @property
    def centres(self) -> np.ndarray:
        """k x columns, in the transformed space, in cluster order."""
        return self._core.centres

    @property
    def initial_centres(self) -> np.ndarray:
        """The winning run's starting centres (fit order, transformed space)."""
        return np.asarray(self.report["initial_centres"]).reshape(-1, len(self.columns))

    @property
    def shift(self) -> np.ndarray:
        """Per column, what the transform subtracts (the mean at fit for standardize)."""
        return np.asarray(self._core.shift)

    @property
    def scale(self) -> np.ndarray:
        """Per column, what the transform divides by (the population sd at fit for
        standardize; 1 for a column without spread)."""
        return np.asarray(self._core.scale)

    @property
    def report(self) -> dict:
        """How the fit went: rows fitted and left out, inertia, silhouette, the winning
        run's initial centres and the other counts the fit keeps."""
        return dict(self._core.report)

    @property
    def inertia(self) -> float:
        """The sum of squared distances of the fitted rows to their centres (transformed
        space)."""
        return self.report["inertia"]

    @property
    def silhouette(self) -> float:
        """The mean silhouette on the seeded sample of fitted rows (NaN when not computed)."""
        return self.report["silhouette"]

    def __repr__(self) -> str:
        c = self._core.config
        r = self.report
        sizes = ", ".join(f"{row['name']}: {row['customers']:,}" for row in self.summary.to_arrow().to_pylist())
        sil = "" if r["silhouette"] != r["silhouette"] else f", silhouette {r['silhouette']:.3f}"
        return (f"KMeansModel({list(c.columns)!r}, k={c.k}, transform={c.transform!r}; {sizes}; inertia "
                f"{r['inertia']:.6g}{sil}; {r['rows']:,} rows fitted, {r['left_out']:,} left out)")

    def _repr_html_(self) -> str:
        rows = self.summary.to_arrow().to_pylist()
        cols = self.columns
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ["cluster", "name", "description", "customers", "share"]
                       + [f"mean {c}" for c in cols])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in
                             [r["cluster"], r["name"], r["description"], f"{r['customers']:,}", f"{r['share']:.1%}"]
                             + [f"{r['mean_' + c]:.4g}" for c in cols]) + "</tr>" for r in rows)
        return (f"<div><strong>tierkit KMeansModel</strong> k={len(rows)}, transform "
                f"{html.escape(self._core.config.transform)}<table><tr>{head}</tr>{body}</table></div>")


register_loader("kmeans", KMeansModel.from_bytes)

__all__ = ["KMeans", "KMeansModel"]
