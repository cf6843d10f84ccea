"""unfold.metrics' co-ranking measures against the brute-force reference of
crates/unfold-learn/tests/fixtures/make_coranking_fixtures.py (checked there against zadu's LCMC
and scikit-learn's trustworthiness), closed forms, scipy, and the CLI."""

import json
import pathlib
import subprocess
import os

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform
from scipy.stats import pearsonr, spearmanr
from sklearn.manifold import trustworthiness as sk_trustworthiness

from unfold import metrics

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"


@pytest.fixture(scope="module")
def data():
    return np.load(FIXTURES / "coranking_X.npy"), np.load(FIXTURES / "coranking_Y.npy")


@pytest.fixture(scope="module")
def reference():
    return json.loads((FIXTURES / "coranking.json").read_text())


def test_matrix_equals_brute_force(data):
    X, Y = data
    Q = metrics.coranking_matrix(X, Y)
    assert Q.dtype == np.int64 and Q.shape == (59, 59)
    np.testing.assert_array_equal(Q, np.load(FIXTURES / "coranking_Q.npy"))
    np.testing.assert_array_equal(metrics.coranking_matrix(X, Y, metric="cosine"), np.load(FIXTURES / "coranking_Q_cosine.npy"))
    np.testing.assert_array_equal(metrics.coranking_matrix(X, Y, max_k=7), Q[:7, :7])
    # Every point has one neighbour at each rank in each space.
    assert (Q.sum(axis=0) == 60).all() and (Q.sum(axis=1) == 60).all()


def test_curves_equal_brute_force(data, reference):
    X, Y = data
    for metric, prefix in [("euclidean", ""), ("cosine", "cosine_")]:
        c = metrics.rank_curves(X, Y, metric=metric)
        np.testing.assert_array_equal(c["k"], np.arange(1, 59))
        for key in ["qnx", "lcmc", "rnx"]:
            np.testing.assert_allclose(c[key], reference[prefix + key], rtol=0, atol=1e-12)
        assert abs(c["rnx_auc"] - reference[prefix + "rnx_auc"]) <= 1e-12
    for k in [5, 10]:
        assert abs(metrics.lcmc(X, Y, n_neighbors=k) - reference["zadu_lcmc"][str(k)]) <= 1e-12


def test_precomputed_equals_euclidean(data):
    X, Y = data
    D = squareform(pdist(X))
    a = metrics.rank_curves(X, Y)
    b = metrics.rank_curves(D, Y, metric="precomputed")
    np.testing.assert_allclose(a["rnx"], b["rnx"], rtol=0, atol=1e-12)


def test_closed_forms(data):
    X, Y = data
    c = metrics.rank_curves(X, X)
    assert (c["qnx"] == 1).all() and (c["rnx"] == 1).all() and c["rnx_auc"] == 1.0
    np.testing.assert_array_equal(metrics.coranking_matrix(X, X), 60 * np.eye(59, dtype=np.int64))
    # Trustworthiness and continuity read off the matrix equal scikit-learn's.
    Q = metrics.coranking_matrix(X, Y)
    n = 60
    for k in [3, 8]:
        for M, a, b in [(Q, X, Y), (Q.T, Y, X)]:
            penalty = sum((r + 1 - k) * M[r, :k].sum() for r in range(k, n - 1))
            t = 1 - 2 / (n * k * (2 * n - 3 * k - 1)) * penalty
            assert abs(t - sk_trustworthiness(a, b, n_neighbors=k)) <= 1e-12
        assert metrics.rank_curves(X, Y, max_k=k)["qnx"][-1] == metrics.neighbor_preservation(X, Y, n_neighbors=k)


def test_shepard(data, reference):
    X, Y = data
    s = metrics.shepard(X, Y, n_pairs=5000)
    assert s["pairs"].shape == (1770, 2)
    np.testing.assert_allclose(s["distances"], pdist(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(s["embedded_distances"], pdist(Y.astype(np.float32).astype(np.float64)), rtol=0, atol=1e-12)
    assert abs(s["pearson"] - reference["shepard_pearson"]) <= 1e-12
    assert abs(s["spearman"] - reference["shepard_spearman"]) <= 1e-12
    some = metrics.shepard(X, Y, n_pairs=100, random_state=3)
    assert some["pairs"].shape == (100, 2)
    assert (some["pairs"][:, 0] < some["pairs"][:, 1]).all()
    i, j = some["pairs"].T
    np.testing.assert_allclose(some["distances"], np.linalg.norm(X[i] - X[j], axis=1), rtol=0, atol=1e-12)
    r = spearmanr(some["distances"], some["embedded_distances"])[0]
    assert abs(some["spearman"] - r) <= 1e-12
    assert abs(some["pearson"] - pearsonr(some["distances"], some["embedded_distances"])[0]) <= 1e-12
    again = metrics.shepard(X, Y, n_pairs=100, random_state=3)
    np.testing.assert_array_equal(again["pairs"], some["pairs"])
    constant = metrics.shepard(X, np.zeros((60, 2)), n_pairs=100)
    assert constant["spearman"] is None and constant["pearson"] is None


def test_bad_values_name_the_parameter(data):
    X, Y = data
    with pytest.raises(ValueError, match="n_neighbors"):
        metrics.lcmc(X, Y, n_neighbors=59)
    with pytest.raises(ValueError, match="n_neighbors"):
        metrics.lcmc(X, Y, n_neighbors=0)
    with pytest.raises(ValueError, match="max_k"):
        metrics.rank_curves(X, Y, max_k=59)
    with pytest.raises(ValueError, match="max_k"):
        metrics.coranking_matrix(X, Y, max_k=60)
    with pytest.raises(ValueError, match="n_pairs"):
        metrics.shepard(X, Y, n_pairs=0)
    with pytest.raises(ValueError, match="rows"):
        metrics.rank_curves(X, Y[:10])
    with pytest.raises(ValueError, match="metric"):
        metrics.rank_curves(X, Y, metric="nope")


@pytest.mark.skipif(not os.environ.get("UNFOLD_CLI"), reason="UNFOLD_CLI not set")
def test_cli_reports_the_same_values(data, tmp_path):
    X, Y = data
    np.save(tmp_path / "x.npy", X.astype(np.float32))
    np.save(tmp_path / "y.npy", Y.astype(np.float32))
    out = subprocess.run([os.environ["UNFOLD_CLI"], "evaluate", "x.npy", "y.npy", "-k", "7", "--json", "-q"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    j = json.loads(out.stdout)
    c = metrics.rank_curves(X, Y)
    assert j["rnx_auc"] == c["rnx_auc"]
    assert j["lcmc"] == c["lcmc"][6] and j["rnx"] == c["rnx"][6] and j["qnx"] == c["qnx"][6]
