"""unfold.LocallyLinearEmbedding against scikit-learn's LocallyLinearEmbedding: the fixtures of
crates/unfold-learn/tests/fixtures/make_lle_fixtures.py, and scikit-learn run here."""

import pathlib
import pickle

import numpy as np
import pytest
from sklearn.manifold import LocallyLinearEmbedding as SkLLE
from unfold._validation import InvalidParameterError

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"
METHODS = ("standard", "hessian", "modified", "ltsa")


def fixture(name):
    return np.load(FIXTURES / f"lle_{name}.npy")


def procrustes(a, b):
    """The orthogonal R minimising ‖a R − b‖."""
    u, _, vt = np.linalg.svd(a.T @ b)
    return u @ vt


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("eigen_solver", ["dense", "arpack"])
def test_embedding_error_and_transform_equal_scikit_learns(method, eigen_solver):
    X, X_new = fixture("X"), fixture("X_new")
    model = unfold.LocallyLinearEmbedding(n_neighbors=10, method=method, eigen_solver=eigen_solver, tol=1e-9, max_iter=500, random_state=0).fit(X)
    want = fixture(f"{method}_embedding")
    got = model.embedding_.astype(np.float64)
    r = procrustes(got, want)
    np.testing.assert_allclose(got @ r, want, atol=1e-5 * np.abs(want).max())
    import json

    error = json.loads((FIXTURES / "lle.json").read_text())[method]["reconstruction_error"]
    assert model.reconstruction_error_ == pytest.approx(error, rel=1e-4)
    placed = model.transform(X_new).astype(np.float64)
    np.testing.assert_allclose(placed @ r, fixture(f"{method}_transform"), atol=1e-4 * np.abs(want).max())


def test_matches_scikit_learn_run_here_on_other_data():
    rng = np.random.default_rng(3)
    t = rng.uniform(0, 3 * np.pi, 400)
    X = np.c_[t * np.cos(t), rng.uniform(0, 5, 400), t * np.sin(t)].astype(np.float32).astype(np.float64)
    ours = unfold.LocallyLinearEmbedding(n_neighbors=12, method="modified", random_state=0).fit(X)
    theirs = SkLLE(n_neighbors=12, method="modified", eigen_solver="dense").fit(X)
    r = procrustes(ours.embedding_.astype(np.float64), theirs.embedding_)
    np.testing.assert_allclose(ours.embedding_ @ r, theirs.embedding_, atol=1e-4 * np.abs(theirs.embedding_).max())
    assert ours.reconstruction_error_ == pytest.approx(theirs.reconstruction_error_, rel=1e-3)


def test_seeded_results_do_not_depend_on_n_jobs_and_survive_pickling():
    X = fixture("X")
    a = unfold.LocallyLinearEmbedding(n_neighbors=10, eigen_solver="arpack", random_state=2, n_jobs=1).fit(X)
    b = unfold.LocallyLinearEmbedding(n_neighbors=10, eigen_solver="arpack", random_state=2, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.embedding_.dtype == np.float32 and a.n_features_in_ == 3
    np.testing.assert_array_equal(a.fit_transform(X), a.embedding_)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.transform(X[:7]), a.transform(X[:7]))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(method="hessian", n_neighbors=5), r"greater than n_components · \(n_components \+ 3\) / 2 = 5"),
        (dict(method="modified", n_neighbors=2, n_components=3), "at least n_components = 3"),
        (dict(n_components=4), "at most the number of features, 3"),
        (dict(n_neighbors=300), "less than n_samples = 300"),
        (dict(n_neighbors=0), "`n_neighbors`"),
        (dict(reg=-1.0), "`reg`"),
        (dict(tol=-1.0), "`tol`"),
        (dict(max_iter=0), "`max_iter`"),
        (dict(method="isomap"), "`method`"),
        (dict(eigen_solver="lobpcg"), "`eigen_solver`"),
        (dict(hessian_tol=-1.0), "`hessian_tol`"),
        (dict(modified_tol=-1.0), "`modified_tol`"),
        (dict(neighbors_algorithm="hnsw"), "`neighbors_algorithm`"),
    ],
)
def test_invalid_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        unfold.LocallyLinearEmbedding(random_state=0, **params).fit(fixture("X"))


def test_range_errors_are_invalid_parameter_errors():
    with pytest.raises(InvalidParameterError, match="`reg`"):
        unfold.LocallyLinearEmbedding(reg=-1.0).fit(fixture("X"))


def test_transform_checks_the_number_of_features():
    model = unfold.LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit(fixture("X"))
    with pytest.raises(ValueError, match="3 features"):
        model.transform(np.zeros((2, 2)))


def test_cli_embeds_like_python_and_refuses_bad_options(cli, tmp_path):
    import os
    import subprocess

    X = fixture("X").astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--method", "lle", "--lle-method", "hessian", "--neighbors", 10, "--seed", 0, "--quiet", "-o", tmp_path / "y.npy")
    ours = unfold.LocallyLinearEmbedding(n_neighbors=10, method="hessian", random_state=0).fit(X)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), ours.embedding_)
    path = os.environ.get("UNFOLD_CLI") or str(pathlib.Path(__file__).resolve().parents[2] / "target" / "release" / "unfold")
    done = subprocess.run([path, "embed", str(tmp_path / "x.npy"), "--method", "lle", "--lle-method", "hessian", "--neighbors", "4", "-o", str(tmp_path / "z.npy")], capture_output=True, text=True)
    assert done.returncode == 2 and "n_neighbors" in done.stderr, done.stderr
    assert not (tmp_path / "z.npy").exists()
