"""unfold.metrics against scikit-learn and direct computations, and against the CLI."""

import json

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.manifold import trustworthiness as sk_trustworthiness

import unfold
from unfold import metrics


@pytest.fixture
def pair():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 10))
    Y = X[:, :2] + 0.3 * rng.normal(size=(150, 2))
    return X, Y


def knn_sets(Z, k):
    D = cdist(Z, Z)
    np.fill_diagonal(D, np.inf)
    return np.argsort(D, axis=1, kind="stable")[:, :k]


def test_trustworthiness_and_continuity_equal_sklearn(pair):
    X, Y = pair
    for k in [1, 5, 12]:
        assert metrics.trustworthiness(X, Y, n_neighbors=k) == pytest.approx(sk_trustworthiness(X, Y, n_neighbors=k), abs=1e-6)
        assert metrics.continuity(X, Y, n_neighbors=k) == pytest.approx(sk_trustworthiness(Y, X, n_neighbors=k), abs=1e-6)
    assert metrics.trustworthiness(X, Y, metric="cosine") == pytest.approx(sk_trustworthiness(X, Y, metric="cosine"), abs=1e-6)
    assert metrics.trustworthiness(X, X) == 1.0


def test_neighbor_preservation_is_the_mean_overlap(pair):
    X, Y = pair
    a, b = knn_sets(X.astype(np.float32).astype(float), 8), knn_sets(Y.astype(np.float32).astype(float), 8)
    expected = np.mean([len(set(r) & set(s)) / 8 for r, s in zip(a, b)])
    assert metrics.neighbor_preservation(X, Y, n_neighbors=8) == pytest.approx(expected, abs=1e-12)


def test_knn_accuracy_is_leave_one_out_majority_vote(pair):
    _, Y = pair
    labels = np.array(["a", "b", "c"])[np.random.default_rng(1).integers(0, 3, size=len(Y))]
    labels[Y[:, 0] > 0.5] = "a"
    near = knn_sets(Y.astype(np.float32).astype(float), 10)
    names, codes = np.unique(labels, return_inverse=True)
    votes = np.array([np.bincount(codes[row], minlength=len(names)).argmax() for row in near])  # argmax: ties → smallest
    assert metrics.knn_accuracy(Y, labels, n_neighbors=10) == pytest.approx(np.mean(votes == codes), abs=1e-12)


def test_errors(pair):
    X, Y = pair
    with pytest.raises(ValueError, match="the data has 150 rows"):
        metrics.trustworthiness(X, Y[:100])
    with pytest.raises(ValueError, match=r"invalid value for `n_neighbors`: 75 \(must be at least 1 and less than n_samples / 2 = 75"):
        metrics.trustworthiness(X, Y, n_neighbors=75)
    with pytest.raises(ValueError, match="labels have 3 entries but the data has 150 rows"):
        metrics.knn_accuracy(Y, [1, 2, 3])
    with pytest.raises(ValueError, match=r"labels must be 1-d \(one label per row\), got shape \(150, 1\)"):
        metrics.knn_accuracy(Y, np.zeros((150, 1)))
    with pytest.raises(ValueError, match="invalid value for `n_neighbors`: 150"):
        metrics.knn_accuracy(Y, np.zeros(150), n_neighbors=150)
    with pytest.raises(ValueError, match="invalid value for `n_neighbors`: 0"):
        metrics.neighbor_preservation(X, Y, n_neighbors=0)
    Y = Y.copy()
    Y[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"row 2, column 1 .* is \+inf"):
        metrics.continuity(X, Y)


def test_equals_the_cli_evaluate(cli, tmp_path, mnist):
    X, y = mnist[0][:2000], mnist[1][:2000]
    Y = unfold.PCA(n_components=2).fit_transform(X)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", Y)
    np.save(tmp_path / "labels.npy", y)
    out = cli("evaluate", tmp_path / "x.npy", tmp_path / "y.npy", "--labels", tmp_path / "labels.npy", "-k", 15, "--json")
    report = json.loads(out.stdout)
    assert metrics.trustworthiness(X, Y, n_neighbors=15) == report["trustworthiness"]
    assert metrics.continuity(X, Y, n_neighbors=15) == report["continuity"]
    assert metrics.neighbor_preservation(X, Y, n_neighbors=15) == report["neighbor_preservation"]
    assert metrics.knn_accuracy(Y, y, n_neighbors=10) == report["knn_accuracy"]


def test_precomputed_equals_sklearn(pair):
    X, Y = pair
    for metric in ["euclidean", "cityblock", "cosine"]:
        D = cdist(X, X, metric)
        for k in [3, 9]:
            want = sk_trustworthiness(D, Y, n_neighbors=k, metric="precomputed")
            assert metrics.trustworthiness(D, Y, n_neighbors=k, metric="precomputed") == pytest.approx(want, abs=1e-6)
    D = cdist(X, X)
    assert metrics.continuity(D, Y, n_neighbors=5, metric="precomputed") == metrics.continuity(X, Y, n_neighbors=5)
    assert metrics.neighbor_preservation(D, Y, n_neighbors=5, metric="precomputed") == metrics.neighbor_preservation(X, Y, n_neighbors=5)
    with pytest.raises(ValueError, match=r"the data must be a square matrix of distances between its rows, but it is 150 × 10"):
        metrics.trustworthiness(X, Y, metric="precomputed")


def test_data_parameter_metrics_equal_sklearn(pair):
    X, Y = pair
    for metric in ["seuclidean", "mahalanobis"]:
        want = sk_trustworthiness(X, Y, n_neighbors=5, metric=metric)
        assert metrics.trustworthiness(X, Y, n_neighbors=5, metric=metric) == pytest.approx(want, abs=1e-6)
