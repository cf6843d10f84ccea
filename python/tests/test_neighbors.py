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
    with pytest.raises(ValueError, match="`metric`: nope .must be one of euclidean, sqeuclidean, cosine"):
        unfold.neighbors(X, 3, metric="nope")
    with pytest.raises(ValueError, match="haversine needs exactly 2 columns"):
        unfold.neighbors(X, 3, metric="haversine")
    with pytest.raises(TypeError, match="metric must be a string"):
        unfold.neighbors(X, 3, metric=len)
    with pytest.raises(TypeError, match="k must be an int, got float"):
        unfold.neighbors(X, 2.5)
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="row 4, column 1 .* is NaN"):
        unfold.neighbors(X, 3)
