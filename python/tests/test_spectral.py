"""unfold.SpectralEmbedding against scikit-learn's sklearn.manifold.SpectralEmbedding."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import manifold
from sklearn.datasets import make_s_curve
from sklearn.metrics.pairwise import rbf_kernel

import unfold


@pytest.fixture(scope="module")
def scurve():
    X, _ = make_s_curve(400, noise=0.05, random_state=3)
    return X.astype(np.float32)


def test_parameters_are_scikit_learns_that_unfold_has():
    ours, theirs = unfold.SpectralEmbedding().get_params(), manifold.SpectralEmbedding().get_params()
    # eigen_solver and eigen_tol choose among scikit-learn's solvers; drop_first is added (README).
    assert ours.pop("drop_first") is True
    assert {k: v for k, v in theirs.items() if k not in ("eigen_solver", "eigen_tol")} == ours
    assert unfold.SpectralEmbedding(3).n_components == 3
    assert not hasattr(unfold.SpectralEmbedding(), "transform")


@pytest.mark.parametrize(
    "params",
    [{}, {"n_components": 3, "n_neighbors": 15}, {"affinity": "rbf", "gamma": 0.5}, {"affinity": "rbf"}],
    ids=["default", "knn15-3d", "rbf", "rbf-default-gamma"],
)
def test_embedding_equals_scikit_learns(scurve, params):
    ours = unfold.SpectralEmbedding(random_state=0, **params).fit(scurve)
    theirs = manifold.SpectralEmbedding(random_state=0, **params).fit(scurve.astype(np.float64))
    assert ours.embedding_.dtype == np.float32 and ours.embedding_.shape == theirs.embedding_.shape
    scale = np.abs(theirs.embedding_).max()
    # Same sign convention: equal, not only up to sign.
    np.testing.assert_allclose(ours.embedding_, theirs.embedding_, atol=1e-5 * scale)
    if params.get("affinity", "nearest_neighbors") == "nearest_neighbors":
        assert ours.n_neighbors_ == theirs.n_neighbors_
        assert isinstance(ours.affinity_matrix_, sp.csr_matrix)
        np.testing.assert_array_equal(ours.affinity_matrix_.toarray(), theirs.affinity_matrix_.toarray())
    else:
        assert ours.gamma_ == pytest.approx(theirs.gamma_)
        np.testing.assert_allclose(ours.affinity_matrix_, theirs.affinity_matrix_, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(ours.fit_transform(scurve), ours.embedding_)


def test_precomputed_affinity(scurve):
    A = rbf_kernel(scurve.astype(np.float64), gamma=0.5)
    A[A < 0.05] = 0.0
    ours = unfold.SpectralEmbedding(affinity="precomputed").fit_transform(A)
    theirs = manifold.SpectralEmbedding(affinity="precomputed").fit_transform(A)
    np.testing.assert_allclose(ours, theirs, atol=1e-5 * np.abs(theirs).max())
    with pytest.raises(ValueError, match="square affinity matrix, but the data has 400 rows and 3 columns"):
        unfold.SpectralEmbedding(affinity="precomputed").fit(scurve)
    assert unfold.SpectralEmbedding(affinity="precomputed").__sklearn_tags__().input_tags.pairwise


def test_disconnected_graph_warns_as_scikit_learn():
    X = np.concatenate([np.arange(20.0), 1000 + np.arange(20.0)]).reshape(-1, 1)
    with pytest.warns(UserWarning, match="Graph is not fully connected, spectral embedding may not work as expected."):
        manifold.SpectralEmbedding(n_neighbors=4).fit(X)
    with pytest.warns(UserWarning, match="Graph is not fully connected, spectral embedding may not work as expected."):
        Y = unfold.SpectralEmbedding(n_neighbors=4).fit_transform(X)
    assert np.isfinite(Y).all()


def test_errors_name_the_parameter(scurve):
    with pytest.raises(ValueError, match="n_neighbors"):
        unfold.SpectralEmbedding(n_neighbors=401).fit(scurve)
    with pytest.raises(ValueError, match="affinity"):
        unfold.SpectralEmbedding(affinity="cosine").fit(scurve)
    with pytest.raises(ValueError, match="refused above 10000 samples"):
        unfold.SpectralEmbedding(affinity="rbf").fit(np.zeros((10001, 1)))


def test_pickle_and_thread_counts_give_the_same_embedding(scurve):
    a = unfold.SpectralEmbedding(random_state=0, n_jobs=1).fit(scurve)
    b = unfold.SpectralEmbedding(random_state=0, n_jobs=2).fit(scurve)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.embedding_, a.embedding_)
    assert c.n_neighbors_ == 40


def _sparse_affinity(X, gamma, cut):
    A = rbf_kernel(X.astype(np.float64), gamma=gamma)
    A[A < cut] = 0.0
    return sp.csr_matrix(A)


@pytest.mark.parametrize("n", [400, 2500], ids=["dense-solver", "lobpcg"])
def test_sparse_precomputed_affinity_equals_scikit_learns(n):
    X, _ = make_s_curve(n, noise=0.05, random_state=4)
    A = _sparse_affinity(X, 2.0, 0.05)
    ours = unfold.SpectralEmbedding(affinity="precomputed", random_state=0).fit(A)
    theirs = manifold.SpectralEmbedding(affinity="precomputed", random_state=0).fit(A)
    np.testing.assert_allclose(ours.embedding_, theirs.embedding_, atol=1e-4 * np.abs(theirs.embedding_).max())
    if n <= 1000:
        assert isinstance(ours.affinity_matrix_, sp.csr_matrix)
        np.testing.assert_allclose(ours.affinity_matrix_.toarray(), A.toarray(), rtol=1e-6)
        c = pickle.loads(pickle.dumps(ours))
        assert isinstance(c.affinity_matrix_, sp.csr_matrix)
    else:
        assert not hasattr(ours, "affinity_matrix_")


def test_sparse_precomputed_affinity_is_checked_and_symmetrised():
    A = sp.csr_matrix(np.array([[0, 1, 0, 2.0], [1, 0, 3, 0], [0, 3, 0, 1], [2, 0, 1, 0]]))
    B = A.tolil()
    B[2, 1] = 1.0  # (1, 2) holds 3: not symmetric
    B = B.tocsr()
    with pytest.warns(UserWarning, match="Array is not symmetric"):
        ours = unfold.SpectralEmbedding(n_components=1, affinity="precomputed").fit_transform(B)
    theirs = unfold.SpectralEmbedding(n_components=1, affinity="precomputed").fit_transform(((B + B.T) / 2).toarray())
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    C = A.tolil()
    C[3, 2] = -0.5
    with pytest.raises(ValueError, match=r"row 3, column 2 holds -0.5, but affinities must be non-negative"):
        unfold.SpectralEmbedding(n_components=1, affinity="precomputed").fit(C.tocsr())
    with pytest.raises(ValueError, match="square affinity matrix, but the data has 4 rows and 3 columns"):
        unfold.SpectralEmbedding(n_components=1, affinity="precomputed").fit(A[:, :3])


@pytest.mark.parametrize("params", [{"n_neighbors": 12}, {"affinity": "rbf", "gamma": 0.02}], ids=["knn", "rbf"])
def test_sparse_rows_equal_scikit_learns(params):
    rng = np.random.default_rng(5)
    X = sp.random(300, 40, density=0.2, random_state=6, format="csr", data_rvs=lambda k: rng.uniform(0.5, 3, k))
    ours = unfold.SpectralEmbedding(random_state=0, **params).fit_transform(X)
    # scikit-learn's nearest_neighbors falls back to rbf on sparse rows (with a warning); unfold
    # searches the sparse rows, so it is compared with scikit-learn on the rows made dense.
    theirs = manifold.SpectralEmbedding(random_state=0, **params).fit_transform(X if "gamma" in params else X.toarray())
    np.testing.assert_allclose(ours, theirs, atol=1e-4 * np.abs(theirs).max())
    # The same rows given dense give the same embedding.
    np.testing.assert_allclose(ours, unfold.SpectralEmbedding(random_state=0, **params).fit_transform(X.toarray()), atol=1e-6 * np.abs(theirs).max())


def test_drop_first_false_equals_scikit_learns_function(scurve):
    A = _sparse_affinity(scurve, 0.5, 0.05)
    ours = unfold.SpectralEmbedding(n_components=3, affinity="precomputed", drop_first=False).fit_transform(A)
    theirs = manifold.spectral_embedding(A, n_components=3, drop_first=False, random_state=0)
    np.testing.assert_allclose(ours, theirs, atol=1e-5 * np.abs(theirs).max())
    # The first column is the constant vector over √degree; the others are the class's embedding.
    dropped = unfold.SpectralEmbedding(n_components=2, affinity="precomputed").fit_transform(A)
    np.testing.assert_allclose(ours[:, 1:], dropped, atol=1e-6 * np.abs(dropped).max())
    with pytest.raises(ValueError, match="at least n_components samples"):
        unfold.SpectralEmbedding(n_components=5, drop_first=False, affinity="precomputed").fit(np.eye(4))
