"""unfold.ClassicalMDS against scikit-learn's ClassicalMDS (the version pinned in requirements.txt)."""

import pickle

import numpy as np
import pytest
from sklearn.manifold import ClassicalMDS as SklearnClassicalMDS
from sklearn.metrics import euclidean_distances

import unfold


def _X(n=80, d=6):
    return np.random.default_rng(1).normal(size=(n, d))


def test_parameters_are_scikit_learns_that_unfold_has():
    ours, theirs = unfold.ClassicalMDS().get_params(), SklearnClassicalMDS().get_params()
    # Added on purpose (README): landmarks for large n, threads, and the landmarks' seed.
    assert {k: v for k, v in ours.items() if k not in ("n_landmarks", "n_jobs", "random_state")} == theirs
    assert not hasattr(unfold.ClassicalMDS(), "transform")


@pytest.mark.parametrize("n_components", [1, 2, 4])
def test_embedding_and_eigenvalues_equal_scikit_learns(n_components):
    X = _X()
    ours = unfold.ClassicalMDS(n_components)
    E = ours.fit_transform(X)
    theirs = SklearnClassicalMDS(n_components).fit(X)
    assert E.dtype == np.float64 and E is ours.embedding_ and E.shape == (80, n_components)
    np.testing.assert_allclose(E, theirs.embedding_, atol=1e-10 * np.abs(theirs.embedding_).max())
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-10)
    np.testing.assert_allclose(ours.dissimilarity_matrix_, theirs.dissimilarity_matrix_, atol=1e-12)
    assert ours.n_features_in_ == 6


def test_precomputed_and_non_euclidean():
    X = _X()
    D = np.round(euclidean_distances(X), 1)
    ours = unfold.ClassicalMDS(3, metric="precomputed").fit(D)
    theirs = SklearnClassicalMDS(3, metric="precomputed").fit(D)
    np.testing.assert_allclose(ours.embedding_, theirs.embedding_, atol=1e-10 * np.abs(theirs.embedding_).max())
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, rtol=1e-10)
    assert unfold.ClassicalMDS(metric="precomputed").__sklearn_tags__().input_tags.pairwise
    # Negative eigenvalues (random dissimilarities are not euclidean): scikit-learn's components
    # are NaN there, unfold's 0 with a warning.
    A = np.random.default_rng(2).uniform(0, 3, size=(10, 10))
    B = (A + A.T) / 2
    np.fill_diagonal(B, 0)
    with pytest.warns(UserWarning, match="where scikit-learn's are NaN"):
        ours = unfold.ClassicalMDS(10, metric="precomputed").fit(B)
    with np.errstate(invalid="ignore"):
        theirs = SklearnClassicalMDS(10, metric="precomputed").fit(B)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.eigenvalues_, atol=1e-12 * theirs.eigenvalues_[0])
    # The centring's null eigenvalue (about 1e-15, either sign) is left out.
    negative, positive = theirs.eigenvalues_ < -1e-9, theirs.eigenvalues_ > 1e-9
    assert negative.sum() == 3 and positive.sum() == 6 and np.isnan(theirs.embedding_[:, negative]).all()
    assert (ours.embedding_[:, negative] == 0).all()
    np.testing.assert_allclose(ours.embedding_[:, positive], theirs.embedding_[:, positive], atol=1e-10)


def test_bad_input_is_named():
    X = _X()
    D = euclidean_distances(X)
    D[5, 9] += 1.0
    with pytest.raises(ValueError, match=r"row 5, column 9 holds .* and row 9, column 5 holds"):
        unfold.ClassicalMDS(metric="precomputed").fit(D)
    with pytest.raises(ValueError, match="square dissimilarity matrix, but the data has 80 rows and 6 columns"):
        unfold.ClassicalMDS(metric="precomputed").fit(X)
    with pytest.raises(ValueError, match="metric_params"):
        unfold.ClassicalMDS(metric_params={"p": 3}).fit(X)
    with pytest.raises(ValueError, match="n_landmarks"):
        unfold.ClassicalMDS(n_landmarks=81).fit(X)
    with pytest.raises(ValueError, match="metric"):
        unfold.ClassicalMDS(metric="cosine").fit(X)


def test_landmarks_pickle_and_threads():
    X = _X(600, 3)
    a = unfold.ClassicalMDS(3, n_landmarks=50, random_state=0, n_jobs=1).fit(X)
    b = unfold.ClassicalMDS(3, n_landmarks=50, random_state=0, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.landmarks_.dtype == np.int64 and len(a.landmarks_) == 50 and not hasattr(a, "dissimilarity_matrix_")
    # Three-dimensional rows in three components: triangulation keeps every distance.
    np.testing.assert_allclose(euclidean_distances(a.embedding_), euclidean_distances(X), atol=1e-8)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.embedding_, a.embedding_)
    np.testing.assert_array_equal(c.landmarks_, a.landmarks_)
