"""unfold.PHATE against phate 2.0.0's values, saved as fixtures by
crates/unfold-learn/tests/fixtures/make_phate_fixtures.py (phate is not a test requirement),
and unfold.metrics.demap against a brute-force scipy reference."""

import json
import pathlib
import pickle

import numpy as np
import pytest
from scipy.spatial import procrustes

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"


def fixture(name):
    return np.load(FIXTURES / f"phate_{name}.npy")


CASES = {
    "log": dict(knn=5, decay=40, t="auto", gamma=1, mds_solver="smacof"),
    "sqrt": dict(knn=7, decay=20, t=12, gamma=0, mds_solver="smacof"),
}


@pytest.mark.parametrize("name", CASES)
def test_operator_t_and_embedding_equal_phates(name):
    X = fixture("X")
    model = unfold.PHATE(random_state=0, **CASES[name]).fit(X)
    np.testing.assert_allclose(model.diff_op, fixture(f"{name}_diff_op"), atol=1e-5)
    np.testing.assert_allclose(model.von_neumann_entropy_, fixture(f"{name}_entropy"), atol=1e-5)
    expected_t = json.loads((FIXTURES / "phate_cases.json").read_text())[name]["optimal_t"]
    assert model.optimal_t == expected_t
    assert model.t_ == (expected_t or CASES[name]["t"])
    emb = fixture(f"{name}_embedding")
    assert procrustes(emb, model.embedding_)[2] < 1e-6
    np.testing.assert_allclose(model.embedding, emb, atol=1e-3)
    np.testing.assert_allclose(model.transform(fixture("new")), fixture(f"{name}_transform"), atol=1e-3)


def test_landmarks_seeded_pickled_and_thread_count_free():
    X = fixture("Xl")
    a = unfold.PHATE(n_landmark=40, random_state=3, n_jobs=1).fit(X)
    b = unfold.PHATE(n_landmark=40, random_state=3, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.diff_op_.shape == (40, 40) and a.clusters_.shape == (300,) and a.landmark_embedding_.shape == (40, 2)
    np.testing.assert_allclose(a.diff_op_.sum(axis=1), 1.0, atol=1e-12)
    # phate's own runs at other seeds lie at disparity 0.61-0.67 from its seed-0 run.
    assert procrustes(fixture("landmark_embedding"), a.embedding_)[2] < 0.67
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.transform(fixture("new")), a.transform(fixture("new")))


def test_bad_parameters_name_themselves():
    X = fixture("X")
    with pytest.raises(ValueError, match=r"invalid value for `gamma`: 1\.5 \(must be in \[-1, 1\]\)"):
        unfold.PHATE(gamma=1.5).fit(X)
    with pytest.raises(ValueError, match="invalid value for `mds_solver`: newton"):
        unfold.PHATE(mds_solver="newton").fit(X)
    with pytest.raises(ValueError, match="knn"):
        unfold.PHATE(knn=400).fit(X)


def test_demap_equals_a_brute_force_reference():
    X, Y = np.load(FIXTURES / "demap_X.npy"), np.load(FIXTURES / "demap_Y.npy")
    expected = json.loads((FIXTURES / "demap.json").read_text())
    got = unfold.metrics.demap(X, Y, n_neighbors=expected["n_neighbors"])
    assert got == pytest.approx(expected["demap"], abs=1e-6)
    assert unfold.metrics.demap(X, X[:, :2], n_neighbors=10) > got
    with pytest.raises(ValueError, match="n_neighbors"):
        unfold.metrics.demap(X, Y, n_neighbors=0)
