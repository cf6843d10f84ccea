"""unfold.Isomap against scikit-learn's Isomap (a test requirement), landmark Isomap, and every
refused input."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import make_swiss_roll
from sklearn.manifold import Isomap as SkIsomap

import unfold


def roll(n=300, seed=0):
    X, t = make_swiss_roll(n, noise=0.05, random_state=seed)
    return X.astype(np.float32), t


def close_up_to_sign(a, b, rtol):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a * signs, b, atol=rtol * np.abs(b).max())


def test_matches_scikit_learn_embedding_distances_error_and_transform():
    X, _ = roll()
    new, _ = roll(20, seed=1)
    ours = unfold.Isomap(n_neighbors=8, eigen_solver="dense").fit(X)
    theirs = SkIsomap(n_neighbors=8, eigen_solver="dense").fit(X)
    np.testing.assert_allclose(ours.dist_matrix_, theirs.dist_matrix_, rtol=1e-4, atol=1e-4)
    assert ours.dist_matrix_.dtype == np.float32 and ours.dist_matrix_.shape == (300, 300)
    close_up_to_sign(ours.embedding_, theirs.embedding_, 1e-3)
    np.testing.assert_allclose(ours.eigenvalues_, theirs.kernel_pca_.eigenvalues_, rtol=1e-4)
    assert ours.reconstruction_error() == pytest.approx(theirs.reconstruction_error(), rel=1e-3)
    close_up_to_sign(ours.transform(new), theirs.transform(new), 1e-3)
    assert ours.n_features_in_ == 3


def test_default_solver_metric_and_metric_params_match_scikit_learn():
    X, _ = roll(400)
    for kw in [{}, {"p": 1}, {"metric": "minkowski", "metric_params": {"p": 3}}, {"metric": "manhattan"}]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            theirs = SkIsomap(n_neighbors=10, **kw).fit(X)
        ours = unfold.Isomap(n_neighbors=10, **kw).fit(X)
        close_up_to_sign(ours.embedding_, theirs.embedding_, 2e-3)


def test_disconnected_graph_warns_and_is_joined_as_scikit_learn():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(size=(30, 3)), rng.normal(size=(30, 3)) + 50]).astype(np.float32)
    with pytest.warns(UserWarning, match="number of connected components of the neighbors graph is 2 > 1"):
        ours = unfold.Isomap(n_neighbors=4).fit(X)
    with pytest.warns(UserWarning):
        theirs = SkIsomap(n_neighbors=4).fit(X)
    np.testing.assert_allclose(ours.dist_matrix_, theirs.dist_matrix_, rtol=1e-4, atol=1e-4)
    close_up_to_sign(ours.embedding_, theirs.embedding_, 1e-3)


def test_swiss_roll_is_unrolled_exact_and_landmark():
    X, t = roll(1500)
    for n_landmarks in (None, 150):
        Y = unfold.Isomap(n_neighbors=10, n_landmarks=n_landmarks, random_state=0).fit_transform(X)
        assert abs(spearmanr(Y[:, 0], t)[0]) > 0.95


def test_landmark_mode_attributes_and_seeding():
    X, _ = roll(500)
    iso = unfold.Isomap(n_neighbors=8, n_landmarks=60, random_state=3).fit(X)
    assert iso.dist_matrix_.shape == (60, 500)
    assert iso.landmarks_.shape == (60,) and iso.landmarks_.dtype == np.int64
    np.testing.assert_allclose(iso.dist_matrix_, unfold.Isomap(n_neighbors=8).fit(X).dist_matrix_[iso.landmarks_], rtol=1e-5)
    again = unfold.Isomap(n_neighbors=8, n_landmarks=60, random_state=3, n_jobs=1).fit(X)
    np.testing.assert_array_equal(iso.embedding_, again.embedding_)
    np.testing.assert_allclose(iso.embedding_.mean(axis=0), 0, atol=1e-3 * np.abs(iso.embedding_).max())
    assert iso.reconstruction_error() >= 0
    assert iso.transform(X[:5]).shape == (5, 2)
    assert not hasattr(unfold.Isomap(n_neighbors=8).fit(X), "landmarks_")


def test_pickle_round_trip():
    X, _ = roll(200)
    iso = unfold.Isomap(n_neighbors=6).fit(X)
    back = pickle.loads(pickle.dumps(iso))
    np.testing.assert_array_equal(back.embedding_, iso.embedding_)
    np.testing.assert_array_equal(back.dist_matrix_, iso.dist_matrix_)
    np.testing.assert_array_equal(back.transform(X[:7]), iso.transform(X[:7]))
    assert back.reconstruction_error() == iso.reconstruction_error()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"radius": 1.0}, r"invalid value for `radius`: 1 \(must be none: radius neighbourhoods are not offered"),
        ({"n_neighbors": None}, r"invalid value for `n_neighbors`: none \(must be a whole number ≥ 1"),
        ({"n_neighbors": 0}, r"invalid value for `n_neighbors`: 0 \(must be at least 1\)"),
        ({"n_neighbors": 40}, r"invalid value for `n_neighbors`: 40 \(must be less than n_samples = 40\)"),
        ({"n_components": 0}, r"invalid value for `n_components`: 0 \(must be at least 1\)"),
        ({"n_landmarks": 2}, r"invalid value for `n_landmarks`: 2 \(must be in \[n_components \+ 1, n_samples\] = \[3, 40\]\)"),
        ({"n_landmarks": 41}, r"invalid value for `n_landmarks`: 41 \(must be in \[n_components \+ 1, n_samples\] = \[3, 40\]\)"),
        ({"p": 0.5}, r"invalid value for `p`: 0.5 \(must be at least 1\)"),
        ({"tol": -1.0}, r"invalid value for `tol`: -1 \(must be at least 0\)"),
        ({"max_iter": 0}, r"invalid value for `max_iter`: 0 \(must be at least 1\)"),
        ({"eigen_solver": "lobpcg"}, r"invalid value for `eigen_solver`: lobpcg \(must be one of auto, arpack, dense\)"),
        ({"path_method": "BF"}, r"invalid value for `path_method`: BF \(must be one of auto, FW, D\)"),
        ({"neighbors_algorithm": "lsh"}, r"must be one of auto, brute, kd_tree, ball_tree"),
        ({"metric": "nope"}, r"invalid value for `metric`: nope"),
    ],
)
def test_invalid_parameters_are_refused_with_their_ranges(kw, message):
    X, _ = roll(40)
    with pytest.raises(ValueError, match=message):
        unfold.Isomap(**kw).fit(X)


def test_unfitted_and_wrong_inputs():
    iso = unfold.Isomap()
    with pytest.raises(AttributeError):
        iso.dist_matrix_
    X, _ = roll(50)
    iso.fit(X)
    with pytest.raises(ValueError, match="3 features"):
        iso.transform(np.ones((2, 4)))
    with pytest.raises(ValueError, match="row 1, column 2"):
        unfold.Isomap().fit(np.where(np.arange(150).reshape(50, 3) == 5, np.nan, X))
