"""unfold.geometry's intrinsic sliced Wasserstein distance against numpy references."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import wasserstein_distance

from unfold.geometry import IntrinsicSlicedWasserstein, sliced_wasserstein, wasserstein_1d


def quantile_w2_squared(x, a, y, b):
    """∫₀¹ (F⁻¹ − G⁻¹)² on the union of both sides' cumulative masses (quantiles by searchsorted)."""
    a, b = np.asarray(a, float) / np.sum(a), np.asarray(b, float) / np.sum(b)
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    x, a, y, b = np.asarray(x)[ox], a[ox], np.asarray(y)[oy], b[oy]
    ca, cb = np.cumsum(a), np.cumsum(b)
    ts = np.unique(np.clip(np.concatenate([[0.0, 1.0], ca, cb]), 0.0, 1.0))
    mid = 0.5 * (ts[1:] + ts[:-1])
    qa = x[np.minimum(np.searchsorted(ca, mid), len(x) - 1)]
    qb = y[np.minimum(np.searchsorted(cb, mid), len(y) - 1)]
    return float(np.sum(np.diff(ts) * (qa - qb) ** 2))


def reference_isw(adjacency, n_eig, alpha, mu, nu):
    w = adjacency.toarray()
    vals, vecs = np.linalg.eigh(np.diag(w.sum(1)) - w)
    vals, vecs = vals[1 : n_eig + 1], vecs[:, 1 : n_eig + 1]
    return np.sqrt(sum(alpha(vals[l]) * quantile_w2_squared(vecs[:, l], mu, vecs[:, l], nu) for l in range(n_eig)))


def path_graph(n):
    return sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")


def random_graph(n, seed):
    rng = np.random.default_rng(seed)
    w = np.zeros((n, n))
    for i in range(n):
        w[i, (i + 1) % n] = rng.integers(1, 9) / 4
    for _ in range(n):
        i, j = rng.choice(n, 2, replace=False)
        w[i, j] = rng.integers(1, 9) / 4
    return sp.csr_matrix(np.maximum(w, w.T))


def test_wasserstein_1d_matches_scipy_and_quantile_integral():
    rng = np.random.default_rng(0)
    for _ in range(20):
        u, v = rng.normal(size=rng.integers(1, 12)), rng.normal(1.0, 2.0, size=rng.integers(1, 9))
        uw, vw = rng.random(len(u)), rng.random(len(v))
        assert wasserstein_1d(u, v, uw, vw, p=1) == pytest.approx(wasserstein_distance(u, v, uw, vw), rel=1e-12, abs=1e-14)
        assert wasserstein_1d(u, v, uw, vw) ** 2 == pytest.approx(quantile_w2_squared(u, uw, v, vw), rel=1e-12)
    # Closed form: a shift.
    assert wasserstein_1d([0.0, 1.0, 2.0], [0.5, 1.5, 2.5]) == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize(
    ("weight", "alpha"),
    [("biharmonic", lambda l: l**-2.0), ("commute_time", lambda l: 1 / l), (0.5, lambda l: l**-0.5), ("heat", lambda l: np.exp(-2 * 0.7 * l))],
)
def test_matches_dense_numpy_reference(weight, alpha):
    rng = np.random.default_rng(1)
    for g, n_eig in [(path_graph(10), 6), (random_graph(30, 2), 9)]:
        n = g.shape[0]
        dists = rng.exponential(size=(5, n)) * (rng.random((5, n)) < 0.6)
        dists[:, 0] += 0.1
        isw = IntrinsicSlicedWasserstein(n_eig, weight=weight, diffusion_time=0.7).fit(g)
        d = isw.pairwise(dists)
        for i in range(5):
            for j in range(5):
                assert d[i, j] == pytest.approx(reference_isw(g, n_eig, alpha, dists[i], dists[j]), rel=1e-9, abs=1e-12)
        assert isw.distance(dists[0], dists[1]) == pytest.approx(d[0, 1], rel=1e-14)
        assert isw.spectral_weights_ == pytest.approx(alpha(isw.eigenvalues_), rel=1e-12)


def test_metric_properties_and_samples():
    g = random_graph(40, 3)
    isw = IntrinsicSlicedWasserstein(12, weight="heat", diffusion_time=0.3).fit(g)
    rng = np.random.default_rng(4)
    dists = rng.random((25, 40)) ** 3
    d = isw.pairwise(dists)
    assert np.all(np.diag(d) == 0) and np.array_equal(d, d.T) and np.all(d[~np.eye(25, dtype=bool)] > 0)
    assert np.all(d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-12)  # d(i,k) ≤ d(i,j) + d(j,k)
    # Samples are their empirical distributions.
    a, b = np.array([0, 0, 5, 7]), np.array([3, 9])
    counts = lambda s: np.bincount(s, minlength=40).astype(float)
    assert isw.distance(a, b, samples=True) == pytest.approx(isw.distance(counts(a), counts(b)), rel=1e-14)
    assert np.allclose(isw.pairwise([a, b, a], samples=True), isw.pairwise(np.stack([counts(a), counts(b), counts(a)])), rtol=1e-14)


def test_point_cloud_and_convenience_function():
    t = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    x = np.c_[np.cos(t), np.sin(t)]
    isw = IntrinsicSlicedWasserstein(6, n_neighbors=5, random_state=0).fit(x)
    assert isw.n_vertices_ == 300 and isw.eigenvectors_.shape == (300, 6)
    arc = lambda c: (np.arange(c, c + 20) % 300).astype(np.int64)
    assert isw.distance(arc(0), arc(15), samples=True) < isw.distance(arc(0), arc(150), samples=True)
    mu = np.zeros(300)
    mu[:30] = 1
    nu = np.roll(mu, 100)
    assert sliced_wasserstein(x, mu, nu, n_eigenvectors=6, n_neighbors=5, random_state=0) == pytest.approx(isw.distance(mu, nu), rel=1e-12)


def test_threads_and_pickling_give_identical_results():
    g = random_graph(50, 5)
    dists = np.random.default_rng(6).random((12, 50))
    one = IntrinsicSlicedWasserstein(10, n_jobs=1, random_state=1).fit(g)
    two = IntrinsicSlicedWasserstein(10, n_jobs=2, random_state=1).fit(g)
    assert np.array_equal(one.pairwise(dists), two.pairwise(dists))
    again = pickle.loads(pickle.dumps(one))
    assert np.array_equal(again.pairwise(dists), one.pairwise(dists))


def test_errors_are_clear():
    g = path_graph(6)
    isw = IntrinsicSlicedWasserstein(3).fit(g)
    with pytest.raises(ValueError, match=r"`mu`\[2\] = -1"):
        isw.distance([1, 0, -1, 0, 0, 0], np.ones(6))
    with pytest.raises(ValueError, match=r"`nu`\[0\] = NaN"):
        isw.distance(np.ones(6), [np.nan, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="sums to 0"):
        isw.distance(np.zeros(6), np.ones(6))
    with pytest.raises(ValueError, match=r"`distributions\[1\]` sums to 0"):
        isw.pairwise(np.stack([np.ones(6), np.zeros(6)]))
    with pytest.raises(ValueError, match="has 5 weights; the graph has 6 vertices"):
        isw.distance(np.ones(5), np.ones(6))
    with pytest.raises(ValueError, match="is not a vertex"):
        isw.distance(np.array([0, 6]), np.array([1]), samples=True)
    with pytest.raises(ValueError, match="negative vertex index -1"):
        isw.distance(np.array([0, -1]), np.array([1]), samples=True)
    with pytest.raises(ValueError, match="vertex indices"):
        isw.pairwise([np.array([0.5])], samples=True)
    with pytest.raises(ValueError, match="n_eigenvectors"):
        IntrinsicSlicedWasserstein(6).fit(g)
    with pytest.raises(ValueError, match="diffusion_time"):
        IntrinsicSlicedWasserstein(2, weight="heat", diffusion_time=-1.0).fit(g)
    with pytest.raises(ValueError, match="weight must be one of"):
        IntrinsicSlicedWasserstein(2, weight="gaussian").fit(g)
    with pytest.raises(ValueError, match="weight"):
        IntrinsicSlicedWasserstein(2, weight=-2.0).fit(g)
    with pytest.raises(ValueError, match="2 connected components"):
        IntrinsicSlicedWasserstein(1).fit(sp.block_diag([path_graph(3), path_graph(3)]))
    with pytest.raises(ValueError, match="not symmetric"):
        IntrinsicSlicedWasserstein(1).fit(sp.csr_matrix(np.triu(np.ones((4, 4)), 1)))
    with pytest.raises(ValueError, match="n_neighbors"):
        IntrinsicSlicedWasserstein(1, n_neighbors=5).fit(np.random.default_rng(0).random((5, 2)))
    with pytest.raises(ValueError, match="`p`"):
        wasserstein_1d([0.0], [1.0], p=3)
    with pytest.raises(ValueError, match="square adjacency"):
        IntrinsicSlicedWasserstein(1).fit(sp.csr_matrix(np.ones((3, 4))))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        IntrinsicSlicedWasserstein().distance([1.0], [1.0])


def test_docstring_example():
    import doctest

    import unfold._sliced_wasserstein as module

    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
