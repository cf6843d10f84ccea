"""unfold.MDS against scikit-learn's MDS (the version pinned in requirements.txt)."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.manifold import MDS as SklearnMDS
from sklearn.metrics import euclidean_distances

import unfold


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    init = rng.uniform(size=(60, 2))
    return X, init


def test_metric_smacof_follows_scikit_learn_from_the_same_start():
    X, init = _data()
    ours = unfold.MDS(random_state=0)
    E = ours.fit_transform(X, init=init)
    theirs = SklearnMDS(init="random", n_init=1).fit(X, init=init)
    assert E.dtype == np.float64 and E is ours.embedding_
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.stress_, theirs.stress_, rtol=1e-9)
    np.testing.assert_allclose(E, theirs.embedding_, atol=1e-8)
    np.testing.assert_allclose(ours.dissimilarity_matrix_, theirs.dissimilarity_matrix_, atol=1e-12)


@pytest.mark.parametrize("normalized_stress", ["auto", True, False])
def test_nonmetric_precomputed_follows_scikit_learn(normalized_stress):
    X, init = _data()
    D = np.round(euclidean_distances(X), 1)
    kwargs = dict(metric_mds=False, metric="precomputed", normalized_stress=normalized_stress)
    ours = unfold.MDS(**kwargs).fit(D, init=init)
    theirs = SklearnMDS(init="random", n_init=1, **kwargs).fit(D, init=init)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.stress_, theirs.stress_, rtol=1e-7)
    np.testing.assert_allclose(ours.embedding_, theirs.embedding_, atol=1e-6)


@pytest.mark.parametrize("metric_mds", [True, False])
def test_classical_start_gives_scikit_learns_fit(metric_mds):
    X, _ = _data()
    ours = unfold.MDS(init="classical_mds", metric_mds=metric_mds).fit(X)
    theirs = SklearnMDS(init="classical_mds", metric_mds=metric_mds).fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.stress_, theirs.stress_, rtol=1e-7)
    np.testing.assert_allclose(ours.embedding_, theirs.embedding_, atol=1e-6)


def test_random_starts_are_seeded_identical_at_any_n_jobs_and_as_good_as_scikit_learns():
    X, _ = _data()
    fits = [unfold.MDS(n_init=4, random_state=7, n_jobs=j).fit(X) for j in (1, 2)]
    assert np.array_equal(fits[0].embedding_, fits[1].embedding_) and fits[0].stress_ == fits[1].stress_
    theirs = SklearnMDS(init="random", n_init=4, random_state=7).fit(X)
    # Other starts reach other local optima; the best of four is within a few percent.
    assert fits[0].stress_ < 1.1 * theirs.stress_


def test_deprecated_names_warn_as_scikit_learn():
    X, _ = _data()
    D = euclidean_distances(X)
    with pytest.warns(FutureWarning, match="The `dissimilarity` parameter is deprecated"):
        a = unfold.MDS(dissimilarity="precomputed", random_state=1).fit(D)
    b = unfold.MDS(metric="precomputed", random_state=1).fit(D)
    assert np.array_equal(a.embedding_, b.embedding_)
    with pytest.warns(FutureWarning, match=r"Use metric_mds=False instead of metric=False"):
        c = unfold.MDS(metric=False, random_state=1).fit(X)
    assert np.array_equal(c.embedding_, unfold.MDS(metric_mds=False, random_state=1).fit(X).embedding_)
    with pytest.raises(ValueError, match="You provided both `dissimilarity` and `metric`"):
        unfold.MDS(dissimilarity="precomputed", metric="precomputed").fit(D)
    with pytest.raises(ValueError, match="metric_params=.*no parameters"):
        unfold.MDS(metric_params={"p": 3}).fit(X)


def test_precomputed_matrices_are_checked():
    X, _ = _data()
    D = euclidean_distances(X)
    bad = D.copy()
    bad[3, 5] += 1.0
    with pytest.raises(ValueError, match=r"must be symmetric .* row 3, column 5 holds"):
        unfold.MDS(metric="precomputed").fit(bad)
    bad = D.copy()
    bad[2, 2] = 0.5
    with pytest.raises(ValueError, match=r"zero diagonal .* row 2, column 2 holds 0.5"):
        unfold.MDS(metric="precomputed").fit(bad)
    bad = -D
    with pytest.raises(ValueError, match=r"non-negative, but row 0, column 1 holds -"):
        unfold.MDS(metric="precomputed").fit(bad)
    with pytest.raises(ValueError, match="square dissimilarity matrix, but the data has 60 rows and 5 columns"):
        unfold.MDS(metric="precomputed").fit(X)
    with pytest.raises(ValueError, match=r"init matrix should be of shape \(60, 2\)"):
        unfold.MDS().fit(X, init=np.zeros((59, 2)))
    with pytest.warns(UserWarning, match="square matrix"):
        unfold.MDS(max_iter=5).fit(D)


def test_no_transform_and_pickles():
    X, _ = _data()
    m = unfold.MDS(random_state=0, max_iter=50).fit(X)
    assert not hasattr(m, "transform")
    back = pickle.loads(pickle.dumps(m))
    assert np.array_equal(back.embedding_, m.embedding_) and back.stress_ == m.stress_ and back.n_iter_ == m.n_iter_
    assert np.array_equal(back.dissimilarity_matrix_, m.dissimilarity_matrix_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unfold.MDS(random_state=0, max_iter=5).fit(X)


def test_landmark_mode_keeps_the_distances_of_points_it_never_saw_in_smacof():
    # Points of a plane: metric MDS from the classical start has zero stress, and every point
    # placed against the landmarks must keep its distance to every other point.
    rng = np.random.default_rng(3)
    X = np.hstack([rng.uniform(0, 10, size=(400, 2)), np.zeros((400, 3))])
    m = unfold.MDS(n_landmarks=40, init="classical_mds", eps=1e-12, random_state=0).fit(X)
    assert m.embedding_.shape == (400, 2) and m.embedding_.dtype == np.float64
    assert m.landmarks_.dtype == np.int64 and m.landmarks_.shape == (40,)
    assert np.all(np.diff(m.landmarks_) > 0) and not hasattr(m, "dissimilarity_matrix_")
    d_true = euclidean_distances(X)
    np.testing.assert_allclose(euclidean_distances(m.embedding_), d_true, atol=1e-6 * d_true.max())
    with pytest.raises(ValueError, match=r"n_landmarks.*\[3, 400\]"):
        unfold.MDS(n_landmarks=2).fit(X)
