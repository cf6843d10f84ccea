"""unfold.dask on a two-process local cluster equals the single-process results row for row;
unfold.NearestNeighbors against scikit-learn's exact search."""

import pickle

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors

import unfold

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import unfold.dask  # noqa: E402


def blobs(n, d, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(5, d))
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def test_transform_umap_and_pca_on_a_cluster(client):
    X = blobs(1000, 12)
    sample = X[:400]
    Xd = da.from_array(X, chunks=(137, 5))  # column chunks are merged, row chunks kept
    for model in (unfold.UMAP(random_state=0, n_epochs=60).fit(sample), unfold.PCA(n_components=3, random_state=0).fit(sample)):
        lazy = unfold.dask.transform(model, Xd)
        local = model.transform(X)
        assert lazy.shape == local.shape and lazy.dtype == local.dtype and lazy.chunks[0] == Xd.chunks[0]
        out = lazy.compute()
        np.testing.assert_array_equal(out, local)


def test_kneighbors_on_a_cluster(client):
    X = blobs(800, 6)
    Q = blobs(500, 6, seed=1)
    nn = unfold.NearestNeighbors(n_neighbors=7).fit(X)
    dist, ind = unfold.dask.kneighbors(nn, da.from_array(Q, chunks=(120, -1)))
    ref_dist, ref_ind = nn.kneighbors(Q)
    assert ind.dtype == np.int64 and dist.dtype == np.float64
    np.testing.assert_array_equal(ind.compute(), ref_ind)
    np.testing.assert_array_equal(dist.compute(), ref_dist)
    only = unfold.dask.kneighbors(nn, da.from_array(Q, chunks=(120, -1)), n_neighbors=3, return_distance=False)
    np.testing.assert_array_equal(only.compute(), ref_ind[:, :3])


def test_evaluate_on_a_cluster_equals_the_full_metric(client):
    rng = np.random.default_rng(0)
    X = blobs(600, 10)
    Y = X[:, :2] + rng.normal(scale=0.5, size=(600, 2)).astype(np.float32)
    Xd = da.from_array(X, chunks=(100, 4))
    full = unfold.dask.evaluate(Xd, Y, n_neighbors=10, sample_size=10_000)
    assert full["sample_size"] == 600
    assert full["trustworthiness"] == pytest.approx(unfold.metrics.trustworthiness(X, Y, n_neighbors=10), abs=1e-12)
    assert full["continuity"] == pytest.approx(unfold.metrics.continuity(X, Y, n_neighbors=10), abs=1e-12)
    # A sample: the same formula on the sampled rows' terms, by brute force.
    part = unfold.dask.evaluate(Xd, da.from_array(Y, chunks=(250, -1)), n_neighbors=10, sample_size=50, random_state=3)
    rows = np.sort(np.random.default_rng(3).choice(600, size=50, replace=False))
    assert part["trustworthiness"] == pytest.approx(sampled_trustworthiness(X, Y, rows, 10), abs=1e-12)
    assert part["continuity"] == pytest.approx(sampled_trustworthiness(Y, X, rows, 10), abs=1e-12)
    assert part == unfold.dask.evaluate(Xd, Y, n_neighbors=10, sample_size=50, random_state=3)


def sampled_trustworthiness(X, Y, rows, k):
    """Venna & Kaski's sum over ``rows`` only, from full distance matrices."""
    n = X.shape[0]
    dx = ((X[:, None, :].astype(np.float64) - X[None]) ** 2).sum(-1)
    dy = ((Y[:, None, :].astype(np.float64) - Y[None]) ** 2).sum(-1)
    penalty = 0
    for i in rows:
        dx[i, i] = dy[i, i] = np.inf
        rank = np.empty(n, int)
        rank[np.lexsort((np.arange(n), dx[i]))] = np.arange(1, n + 1)
        nearest_y = np.lexsort((np.arange(n), dy[i]))[:k]
        penalty += np.maximum(rank[nearest_y] - k, 0).sum()
    return 1 - 2 / (len(rows) * k * (2 * n - 3 * k - 1)) * penalty


def test_dask_bad_input():
    model = unfold.PCA(n_components=2).fit(blobs(50, 4))
    with pytest.raises(TypeError, match="X must be a dask.array.Array"):
        unfold.dask.transform(model, blobs(10, 4))
    with pytest.raises(TypeError, match="model must be a fitted estimator with a transform method"):
        unfold.dask.transform(object(), da.zeros((4, 4)))
    with pytest.raises(ValueError, match="X must be 2-d"):
        unfold.dask.transform(model, da.zeros(4))
    nn = unfold.NearestNeighbors().fit(blobs(50, 4))
    with pytest.raises(ValueError, match="Expected n_neighbors <= n_samples_fit, but n_neighbors = 51"):
        unfold.dask.kneighbors(nn, da.zeros((4, 4)), n_neighbors=51)
    Xd = da.from_array(blobs(50, 4))
    with pytest.raises(ValueError, match="embedding has 40 rows but X has 50"):
        unfold.dask.evaluate(Xd, np.zeros((40, 2)))
    with pytest.raises(ValueError, match="n_neighbors must be less than n_samples / 2 = 25.0, got 30"):
        unfold.dask.evaluate(Xd, np.zeros((50, 2)), n_neighbors=30)
    with pytest.raises(ValueError, match="sample_size must be an int ≥ 1, got 0"):
        unfold.dask.evaluate(Xd, np.zeros((50, 2)), sample_size=0)


def test_nearest_neighbors_exact_against_scikit_learn():
    X = blobs(500, 8)
    Q = blobs(100, 8, seed=2)
    for metric, kw in (("minkowski", {}), ("manhattan", {}), ("cosine", {}), ("minkowski", {"p": 3})):
        ours = unfold.NearestNeighbors(n_neighbors=6, metric=metric, **kw).fit(X)
        ref = SkNearestNeighbors(n_neighbors=6, metric=metric, algorithm="brute", **kw).fit(X)
        for query in (Q, None):
            d, i = ours.kneighbors(query)
            rd, ri = ref.kneighbors(query)
            np.testing.assert_array_equal(i, ri)
            np.testing.assert_allclose(d, rd, rtol=1e-4, atol=1e-5)
    ind = ours.kneighbors(Q[:3], n_neighbors=2, return_distance=False)
    assert ind.shape == (3, 2) and ind.dtype == np.int64
    again = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(again.kneighbors(Q)[1], ours.kneighbors(Q)[1])
    assert again.get_params() == ours.get_params()


def test_nearest_neighbors_approximate_recall():
    X = blobs(6000, 20)  # above 4,096 rows: the graph search
    Q = blobs(300, 20, seed=5)
    ours = unfold.NearestNeighbors(n_neighbors=10, random_state=0).fit(X)
    _, ri = SkNearestNeighbors(n_neighbors=10).fit(X).kneighbors(Q)
    _, i = ours.kneighbors(Q)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(i, ri)])
    assert recall >= 0.95, recall
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ours)).kneighbors(Q)[1], i)
    _, self_i = ours.kneighbors(n_neighbors=5)
    _, self_ri = SkNearestNeighbors(n_neighbors=5).fit(X).kneighbors()
    assert np.mean([len(set(a) & set(b)) / 5 for a, b in zip(self_i, self_ri)]) >= 0.95
    assert not np.any(self_i == np.arange(6000)[:, None])
    # Seeded: the same index and answers at one thread as at two.
    one = unfold.NearestNeighbors(n_neighbors=10, random_state=0, n_jobs=1).fit(X)
    for a, b in ((one.kneighbors(Q), ours.kneighbors(Q)), (one.kneighbors(n_neighbors=5), (_, self_i))):
        np.testing.assert_array_equal(a[1], b[1])


def test_nearest_neighbors_bad_input():
    X = blobs(20, 3)
    with pytest.raises(ValueError, match="metric='precomputed' is not supported"):
        unfold.NearestNeighbors(metric="precomputed").fit(X)
    nn = unfold.NearestNeighbors().fit(X)
    with pytest.raises(ValueError, match="X has 4 features, but NearestNeighbors is expecting 3 features"):
        nn.kneighbors(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="Expected n_neighbors < n_samples_fit with X=None, but n_neighbors = 20"):
        nn.kneighbors(n_neighbors=20)
    with pytest.raises(ValueError, match="n_neighbors must be an int ≥ 1, got 0"):
        nn.kneighbors(X, n_neighbors=0)
    with pytest.raises(ValueError, match="p must be a number > 0, got -1"):
        unfold.NearestNeighbors(p=-1).fit(X)
    with pytest.raises(ValueError, match="NaN|nan|finite"):
        nn.kneighbors(np.full((1, 3), np.nan))
    with pytest.raises(ValueError, match=r"corrupt|truncated|not an unfold model"):
        unfold._core.NeighborIndex.from_bytes(pickle.dumps(0))
