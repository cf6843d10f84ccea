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
    # eigen_solver and eigen_tol choose among scikit-learn's solvers (README).
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
