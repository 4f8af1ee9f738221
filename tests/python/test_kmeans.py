"""k-means segments (issue 21): tk.KMeans against an independent Lloyd's algorithm in numpy
from the same initial centres (and scikit-learn when it is installed), the transform
policies, silhouette, elbow table, persistence, tk.score and policy files."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import tierkit as tk


def blobs(n_per=300, seed=3):
    rng = np.random.default_rng(seed)
    centres = np.array([[5.0, 200.0, 1.0], [60.0, 20.0, 8.0], [200.0, 5.0, 2.0], [30.0, 900.0, 20.0]])
    spread = np.array([4.0, 30.0, 0.8])
    pts = np.concatenate([c + rng.normal(size=(n_per * (i + 1), 3)) * spread for i, c in enumerate(centres)])
    df = pd.DataFrame(pts, columns=["recency", "monetary", "frequency"])
    df.insert(0, "customer_id", np.arange(len(df)))
    return df.sample(frac=1.0, random_state=1).reset_index(drop=True)


def numpy_lloyd(X, centres, max_iterations=300):
    """Lloyd's algorithm, written out independently: nearest centre (first on ties), means."""
    centres = centres.copy()
    labels = np.argmin(((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    for _ in range(max_iterations):
        for c in range(len(centres)):
            if (labels == c).any():
                centres[c] = X[labels == c].mean(axis=0)
        new = np.argmin(((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        if (new == labels).all():
            break
        labels = new
    inertia = ((X - centres[labels]) ** 2).sum()
    return labels, centres, inertia


def standardized(df, columns, log=False):
    X = df[columns].to_numpy(dtype=np.float64)
    if log:
        X = np.sign(X) * np.log1p(np.abs(X))
    return (X - X.mean(axis=0)) / X.std(axis=0)  # population standard deviation


@pytest.mark.parametrize("transform", ["standardize", "log_standardize"])
def test_equals_numpy_lloyd_from_the_same_initial_centres(transform):
    df = blobs()
    cols = ["recency", "frequency", "monetary"]
    X = standardized(df, cols, log=transform == "log_standardize")
    model = tk.KMeans(cols, k=4, transform=transform, seed=11).fit(df)
    np.testing.assert_allclose(model.transform(df), X, rtol=1e-12, atol=1e-12)
    labels, centres, inertia = numpy_lloyd(X, model.initial_centres)
    assert model.report["converged"]
    assert model.inertia == pytest.approx(inertia, rel=1e-10)
    out = model.apply(df).to_pandas()
    # same partition: cluster numbers are a relabelling of numpy's labels
    pairs = set(zip(out["cluster"], labels))
    assert len(pairs) == 4
    for number, label in pairs:
        np.testing.assert_allclose(model.centres[number - 1], centres[label], rtol=1e-10, atol=1e-12)
    # numbered by decreasing size
    sizes = model.summary.to_pandas()["customers"].tolist()
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == len(df)
    # given initial centres: the same fit
    again = tk.KMeans(cols, k=4, transform=transform, initial_centres=model.initial_centres).fit(df)
    np.testing.assert_array_equal(again.apply(df).to_pandas()["cluster"], out["cluster"])


def test_equals_scikit_learn_when_installed():
    sklearn = pytest.importorskip("sklearn.cluster")
    df = blobs()
    cols = ["recency", "frequency", "monetary"]
    model = tk.KMeans(cols, k=4, seed=5).fit(df)
    X = standardized(df, cols)
    ref = sklearn.KMeans(n_clusters=4, init=model.initial_centres, n_init=1, tol=0, algorithm="lloyd").fit(X)
    assert model.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    out = model.apply(df).to_pandas()
    assert len(set(zip(out["cluster"], ref.labels_))) == 4


def test_silhouette_equals_the_definition():
    df = blobs(n_per=40)
    cols = ["recency", "frequency", "monetary"]
    model = tk.KMeans(cols, k=4, seed=2, silhouette_sample=10_000).fit(df)
    X = standardized(df, cols)
    labels = model.apply(df).to_pandas()["cluster"].to_numpy()
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    s = np.zeros(len(X))
    for i in range(len(X)):
        own = labels == labels[i]
        a = D[i, own].sum() / (own.sum() - 1)
        b = min(D[i, labels == c].mean() for c in set(labels) - {labels[i]})
        s[i] = (b - a) / max(a, b)
    assert model.silhouette == pytest.approx(s.mean(), rel=1e-10)
    assert model.report["silhouette_rows"] == len(df)
    # a sample: drawn by the seed, the same each time
    a = tk.KMeans(cols, k=4, seed=2, silhouette_sample=50).fit(df)
    assert a.report["silhouette_rows"] == 50 and a == tk.KMeans(cols, k=4, seed=2, silhouette_sample=50).fit(df)


def test_seed_makes_the_fit_reproducible_and_restarts_keep_the_lowest_inertia():
    df = blobs(n_per=100)
    a = tk.KMeans(k=6, seed=9).fit(df)
    b = tk.KMeans(k=6, seed=9).fit(df)
    assert a == b
    assert a.inertia <= min(a.report["restart_inertia"]) * (1 + 1e-12)
    assert len(a.report["restart_inertia"]) == 10
    one_thread = tk.KMeans(k=6, seed=9, threads=1).fit(df)
    assert one_thread == a


def test_profiles_missing_values_and_descriptions():
    p = tk.profile(tk.demo.transactions(400, 6000, seed=4), customer="customer_id", time="time", amount="amount")
    km = tk.KMeans(k=3, transform="log_standardize", names=["A", "B", "C"], seed=1)
    model = km.fit(p)
    out = model.apply(p).to_pandas()
    assert set(out.columns) >= {"cluster", "cluster_name", "cluster_distance"}
    missing = p.to_pandas()["recency"].isna().to_numpy()
    assert out["cluster"].isna().to_numpy().tolist() == missing.tolist()
    assert model.report["left_out"] == int(missing.sum())
    s = model.summary.to_pandas()
    assert s["name"].tolist() == ["A", "B", "C"]
    assert {"mean_recency", "mean_frequency", "mean_monetary", "centre_monetary", "description"} <= set(s.columns)
    assert s["share"].sum() == pytest.approx(1.0)
    # means are in the original units: recompute from the assignment
    prof = p.to_pandas()
    assert np.allclose(s["mean_monetary"].to_numpy(),
                       [prof["monetary"].to_numpy()[out["cluster"].to_numpy() == c].mean() for c in (1, 2, 3)])
    assert "KMeansModel(" in repr(model) and "<table>" in model._repr_html_()


def test_log_transform_keeps_negative_values():
    df = pd.DataFrame({"customer_id": range(6), "monetary": [-50.0, -1.0, 0.0, 1.0, 50.0, 5000.0]})
    m = tk.KMeans(["monetary"], k=2, transform="log").fit(df)
    np.testing.assert_allclose(m.transform(df)[:, 0], np.sign(df["monetary"]) * np.log1p(np.abs(df["monetary"])))


def test_bad_input_is_named():
    df = pd.DataFrame({"customer_id": range(4), "a": [1.0, np.inf, 2.0, 3.0], "b": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(tk.InvalidInput, match="column 'a' has 1 infinite values"):
        tk.KMeans(["a", "b"], k=2).fit(df)
    with pytest.raises(tk.SchemaError, match="'zz'"):
        tk.KMeans(["b", "zz"], k=2).fit(df)
    with pytest.raises(tk.InvalidInput, match="transform must be"):
        tk.KMeans(["a"], transform="zscore")
    with pytest.raises(tk.InvalidInput, match="need at least 9 rows"):
        tk.KMeans(["b"], k=9).fit(df)


def test_elbow_table():
    df = blobs(n_per=60)
    e = tk.KMeans(seed=3).elbow(df, ks=[2, 3, 4, 5, 6]).to_pandas()
    assert e["k"].tolist() == [2, 3, 4, 5, 6]
    assert (np.diff(e["inertia"]) < 0).all()
    assert e["silhouette"].between(-1, 1).all()
    assert e["silhouette"].idxmax() == 2  # the four blobs


def test_save_load_pickle_and_registry(tmp_path):
    df = blobs(n_per=50)
    model = tk.KMeans(k=4, seed=1, names=["w", "x", "y", "z"]).fit(df)
    assert pickle.loads(pickle.dumps(model)) == model
    model.save(tmp_path / "k.tkm")
    loaded = tk.load(tmp_path / "k.tkm")
    assert isinstance(loaded, tk.KMeansModel) and loaded == model
    assert loaded.apply(df).to_pandas().equals(model.apply(df).to_pandas())
    bad = bytearray(model.to_bytes())
    bad[-3] ^= 1
    with pytest.raises(tk.FormatError):
        tk.KMeansModel.from_bytes(bytes(bad))


def test_in_score_and_policy_files():
    p = tk.profile(tk.demo.transactions(300, 5000, seed=2), customer="customer_id", time="time", amount="amount")
    s = tk.score(p, tk.RFM(), tk.KMeans(k=3, seed=1)).to_pandas()
    assert {"segment", "cluster", "cluster_name"} <= set(s.columns)
    job = tk.Tiering.from_dict({
        "tierkit": 1,
        "transactions": {"customer": "customer_id", "time": "time", "amount": "amount"},
        "strategies": [{"kmeans": {"k": 3, "transform": "log_standardize", "seed": 1,
                                   "names": ["big", "mid", "small"]}}],
        "tiers": [{"tier": "Top", "when": "cluster_name = 'big'"}],
        "default": "Other"})
    result = job.run(tk.demo.transactions(300, 5000, seed=2))
    tiers = result.tiers.to_pandas()
    assert set(tiers["tier"].astype(str)) <= {"Top", "Other"} and (tiers["tier"] == "Top").any()
    with pytest.raises(tk.PolicyError, match="kmeans"):
        tk.Tiering.from_dict({"tierkit": 1, "transactions": {"customer": "c", "time": "t", "amount": "a"},
                              "strategies": [{"kmeans": {"kk": 3}}], "tiers": [], "default": "x"})
