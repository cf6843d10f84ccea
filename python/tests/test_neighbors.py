"""unfold.neighbors against brute force and the CLI."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import unfold


def brute_force(X, k, metric="euclidean"):
    D = cdist(X, X, metric=metric)
    np.fill_diagonal(D, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), D.shape), D), axis=1)[:, :k]
    return order, np.take_along_axis(D, order, axis=1)


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "cityblock", "chebyshev"])
def test_exact_equals_brute_force(metric):
    X = np.random.default_rng(3).normal(size=(300, 8))
    name = {"cityblock": "manhattan"}.get(metric, metric)
    idx, dist = unfold.neighbors(X, 7, metric=name)
    ref_idx, ref_dist = brute_force(X.astype(np.float32).astype(np.float64), 7, metric)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-4, atol=1e-5)
    assert idx.dtype == np.int64 and dist.dtype == np.float32


def test_nndescent_recall_and_seed(mnist):
    X = mnist[0][:6000]
    idx, _ = unfold.neighbors(X, 10, random_state=1)
    exact, _ = unfold.neighbors(X, 10, exact=True)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, exact)])
    assert recall > 0.95
    again, _ = unfold.neighbors(X, 10, random_state=1, n_jobs=1)
    np.testing.assert_array_equal(idx, again)


def test_equals_the_cli(cli, tmp_path, mnist):
    X = mnist[0][:5000]  # above 4,096 rows: NN-descent
    np.save(tmp_path / "x.npy", X)
    cli("neighbors", tmp_path / "x.npy", "-k", 12, "--metric", "cosine", "--seed", 9, "-o", tmp_path / "i.npy", "--distances", tmp_path / "d.npy", "--quiet")
    idx, dist = unfold.neighbors(X, 12, metric="cosine", random_state=9)
    np.testing.assert_array_equal(idx, np.load(tmp_path / "i.npy"))
    np.testing.assert_array_equal(dist, np.load(tmp_path / "d.npy"))


def test_errors():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match=r"`k`: 10 \(must be less than the number of rows \(10\)"):
        unfold.neighbors(X, 10)
    with pytest.raises(ValueError, match="`k`: 0 .must be at least 1"):
        unfold.neighbors(X, 0)
    with pytest.raises(ValueError, match="`metric`: nope .must be one of euclidean, sqeuclidean, cosine") as e:
        unfold.neighbors(X, 3, metric="nope")
    names = str(e.value).split("must be one of ")[1].rstrip(")").split(", ")
    assert len(names) == len(set(names)) and "hellinger" in names and "precomputed" in names
    with pytest.raises(ValueError, match="haversine needs exactly 2 columns"):
        unfold.neighbors(X, 3, metric="haversine")
    with pytest.raises(TypeError, match="metric must be a string"):
        unfold.neighbors(X, 3, metric=len)
    with pytest.raises(TypeError, match="k must be an int, got float"):
        unfold.neighbors(X, 2.5)
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="row 4, column 1 .* is NaN"):
        unfold.neighbors(X, 3)


# --- metrics added for umap-learn's names, checked against scipy and umap-learn ---------------


def positive_data(n=120, d=6, seed=11):
    rng = np.random.default_rng(seed)
    X = rng.gamma(2.0, 1.0, size=(n, d)) * np.array([1.0, 3.0, 0.5, 10.0, 2.0, 1.0])[:d]
    X[:, 1] += 0.5 * X[:, 0]
    return X.astype(np.float32).astype(np.float64)


def boolean_data(n=120, d=16, seed=12):
    rng = np.random.default_rng(seed)
    B = rng.choice([0.0, 0.5, 2.0], size=(n, d), p=[0.55, 0.25, 0.2])
    # unique non-zero patterns: scipy's russellrao differs from umap-learn's for equal patterns
    _, keep = np.unique(B != 0, axis=0, return_index=True)
    return B[np.sort(keep)]


def check_against(X, D, k, **kwargs):
    """unfold.neighbors (exact) equals the nearest entries of the reference matrix D."""
    D = D.copy()
    np.fill_diagonal(D, np.inf)
    idx, dist = unfold.neighbors(X, k, exact=True, **kwargs)
    ref = np.take_along_axis(D, idx, axis=1)
    np.testing.assert_allclose(dist, ref, rtol=2e-5, atol=2e-6)
    # the k-th distance is scipy's k-th smallest: the sets agree up to ties
    np.testing.assert_allclose(dist[:, -1], np.sort(D, axis=1)[:, k - 1], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(
    "metric, kwds, scipy_metric, scipy_kwds",
    [
        ("seuclidean", None, "seuclidean", {}),
        ("seuclidean", {"V": [2.0, 9.0, 0.25, 100.0, 4.0, 1.0]}, "seuclidean", {"V": np.array([2.0, 9.0, 0.25, 100.0, 4.0, 1.0])}),
        ("mahalanobis", None, "mahalanobis", {}),
        ("wminkowski", {"w": np.array([1.0, 0.5, 2.0, 0.1, 1.5, 3.0]), "p": 3}, "minkowski", {"p": 3, "w": np.array([1.0, 0.5, 2.0, 0.1, 1.5, 3.0])}),
        ("minkowski", {"p": 1.5}, "minkowski", {"p": 1.5}),
    ],
)
def test_weighted_metrics_equal_scipy(metric, kwds, scipy_metric, scipy_kwds):
    from scipy.spatial.distance import pdist, squareform

    X = positive_data()
    # pdist: scipy's defaults (V, VI) come from X itself
    D = squareform(pdist(X, scipy_metric, **scipy_kwds))
    check_against(X, D, 8, metric=metric, metric_kwds=kwds)
    idx, _ = unfold.neighbors(X, 8, metric=metric, metric_kwds=kwds, random_state=0)  # NN-descent on request too
    assert idx.shape == (len(X), 8)


def test_mahalanobis_with_given_vi_equals_scipy():
    X = positive_data()
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6))
    VI = A @ A.T + np.eye(6)
    check_against(X, cdist(X, X, "mahalanobis", VI=VI), 6, metric="mahalanobis", metric_kwds={"VI": VI})


def test_hellinger_equals_umap_learn_and_scipy():
    from umap.distances import hellinger

    X = positive_data()
    P = X / X.sum(axis=1, keepdims=True)
    D = cdist(np.sqrt(P), np.sqrt(P)) / np.sqrt(2.0)
    Xf = X.astype(np.float32)
    np.testing.assert_allclose(D[:5, :5], [[hellinger(a, b) for b in Xf[:5]] for a in Xf[:5]], atol=2e-4)
    check_against(X, D, 8, metric="hellinger")


@pytest.mark.parametrize("metric", ["dice", "rogerstanimoto", "russellrao", "sokalmichener", "sokalsneath", "yule", "kulsinski"])
def test_boolean_metrics_equal_umap_learn(metric):
    import umap.distances as ud

    B = boolean_data()
    fn = {
        "dice": ud.dice,
        "rogerstanimoto": ud.rogers_tanimoto,
        "russellrao": ud.russellrao,
        "sokalmichener": ud.sokal_michener,
        "sokalsneath": ud.sokal_sneath,
        "yule": ud.yule,
        "kulsinski": ud.kulsinski,
    }[metric]
    D = np.array([[fn(a, b) for b in B] for a in B])
    check_against(B, D, 6, metric=metric)
    if metric != "kulsinski":  # removed from scipy 1.17; sokalmichener too, as rogerstanimoto
        name = "rogerstanimoto" if metric == "sokalmichener" else metric
        off = ~np.eye(len(B), dtype=bool)
        np.testing.assert_allclose(cdist(B != 0, B != 0, name)[off], D[off], rtol=1e-12)


def test_precomputed_reads_the_matrix():
    X = positive_data()
    D = cdist(X, X, "cityblock")
    idx, dist = unfold.neighbors(D, 5, metric="precomputed")
    ref_idx, ref_dist = unfold.neighbors(X, 5, metric="manhattan")
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5)
    with pytest.raises(ValueError, match=r"`metric`: precomputed \(the data must be a square matrix of distances between its rows, but it is 120 × 6\)"):
        unfold.neighbors(X, 5, metric="precomputed")
    D[3, 7] = -1
    with pytest.raises(ValueError, match=r"distances must be non-negative, but row 3, column 7 is -1"):
        unfold.neighbors(D, 5, metric="precomputed")


def test_metric_kwds_errors():
    X = positive_data()
    with pytest.raises(ValueError, match=r"`metric_kwds`: 'VI' \(the seuclidean metric takes only 'V'\)"):
        unfold.neighbors(X, 3, metric="seuclidean", metric_kwds={"VI": np.eye(6)})
    with pytest.raises(ValueError, match=r"`metric_kwds`: 'q' \(the wminkowski metric takes only 'w' and 'p'\)"):
        unfold.neighbors(X, 3, metric="wminkowski", metric_kwds={"q": 1})
    with pytest.raises(ValueError, match=r"`V`: 3 values \(must hold one value per column of the data \(6\)\)"):
        unfold.neighbors(X, 3, metric="seuclidean", metric_kwds={"V": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"`V`: 0 at index 2 \(every value must be finite and positive\)"):
        unfold.neighbors(X, 3, metric="seuclidean", metric_kwds={"V": [1.0, 2.0, 0.0, 1.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match=r"`metric_kwds`: 'VI': an array of shape \[6\] \(must be a square 2-d array\)"):
        unfold.neighbors(X, 3, metric="mahalanobis", metric_kwds={"VI": np.ones(6)})
    with pytest.raises(ValueError, match=r"`VI`: a matrix with eigenvalue .* \(must be positive semi-definite"):
        unfold.neighbors(X, 3, metric="mahalanobis", metric_kwds={"VI": -np.eye(6)})
    with pytest.raises(ValueError, match=r"hellinger compares distributions: it needs non-negative values, but row 0, column 0 is -1"):
        unfold.neighbors(np.vstack([-np.ones(6), X]), 3, metric="hellinger")
    with pytest.raises(ValueError, match=r"column 2 of the data is constant"):
        unfold.neighbors(np.column_stack([X[:, :2], np.ones(len(X))]), 3, metric="seuclidean")
    with pytest.raises(TypeError, match=r"metric_kwds must be a dict"):
        unfold.neighbors(X, 3, metric="minkowski", metric_kwds=[3])


def test_umap_takes_the_new_metrics():
    X = positive_data(n=150)
    fast = dict(n_neighbors=10, n_epochs=30, random_state=0)
    for metric, kwds in [("hellinger", None), ("seuclidean", None), ("mahalanobis", None), ("wminkowski", {"w": np.ones(6), "p": 1}), ("yule", None)]:
        model = unfold.UMAP(metric=metric, metric_kwds=kwds, **fast).fit(X[:120])
        assert np.isfinite(model.embedding_).all(), metric
        assert np.isfinite(model.transform(X[120:])).all(), metric
    # wminkowski with unit weights and p = 1 is manhattan
    np.testing.assert_array_equal(
        unfold.UMAP(metric="wminkowski", metric_kwds={"w": np.ones(6), "p": 1}, **fast).fit_transform(X),
        unfold.UMAP(metric="manhattan", **fast).fit_transform(X),
    )
    # The fit fixes seuclidean's V from the training data: the same as giving it.
    V = X[:120].var(axis=0, ddof=1)
    a = unfold.UMAP(metric="seuclidean", **fast).fit(X[:120])
    b = unfold.UMAP(metric="seuclidean", metric_kwds={"V": V}, **fast).fit(X[:120])
    np.testing.assert_allclose(a.transform(X[120:]), b.transform(X[120:]), atol=1e-3)


def test_umap_precomputed():
    X = positive_data(n=150)
    D = cdist(X, X, "cityblock")
    model = unfold.UMAP(metric="precomputed", n_neighbors=10, n_epochs=50, random_state=0).fit(D)
    assert unfold.metrics.trustworthiness(D, model.embedding_, n_neighbors=5, metric="precomputed") > 0.9
    # transform takes distances to the 150 training points (the core's own message for other
    # shapes is checked in the Rust tests).
    with pytest.raises(ValueError, match=r"X has 6 features, but UMAP is expecting 150 features as input"):
        model.transform(X[:5])
    with pytest.raises(ValueError, match=r"square matrix of distances between its rows, but it is 150 × 6"):
        unfold.UMAP(metric="precomputed").fit(X)


def test_umap_precomputed_transform_reads_distances_to_the_training_points():
    # As umap-learn 0.5: a model fitted on precomputed distances takes, in transform, the
    # distances from each new point to the training points (n_new × n_train).
    import warnings

    import umap

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 5)) * 6
    X = np.concatenate([c + rng.normal(size=(60, 5)) for c in centres])
    labels = np.repeat(np.arange(3), 60)
    order = rng.permutation(len(X))
    X, labels = X[order], labels[order]
    train, new = X[:150], X[150:]
    D, D_new = cdist(train, train), cdist(new, train)
    ours = unfold.UMAP(metric="precomputed", n_neighbors=10, random_state=0).fit(D)
    placed = ours.transform(D_new)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = umap.UMAP(metric="precomputed", n_neighbors=10, random_state=0).fit(D)
        ref_placed = ref.transform(D_new)

    def agreement(embedding, points):
        # Each new point's nearest fitted training point is of its own cluster.
        return (labels[:150][cdist(points, embedding).argmin(axis=1)] == labels[150:]).mean()

    assert agreement(ref.embedding_, ref_placed) == 1.0
    assert agreement(ours.embedding_, placed) == 1.0
    # The same points as raw rows, under a euclidean model, land in the same clusters.
    plain = unfold.UMAP(n_neighbors=10, random_state=0).fit(train)
    assert agreement(plain.embedding_, plain.transform(new)) == 1.0
    # A point's place depends only on its distances, not on the batch.
    np.testing.assert_array_equal(ours.transform(D_new[:7]), placed[:7])
    # The training distances themselves give the fitted embedding, as umap-learn's.
    np.testing.assert_array_equal(ours.transform(D), ours.embedding_)
    with pytest.raises(ValueError, match=r"distances must be non-negative, but row 0, column 4 is -1"):
        bad = D_new[:1].copy()
        bad[0, 4] = -1.0
        ours.transform(bad)
