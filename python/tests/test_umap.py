"""unfold.UMAP against umap-learn, the CLI, and its own contract."""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.manifold import trustworthiness

import unfold

# Few epochs keep each fit well under a second; the checks below do not depend on convergence.
FAST = {"n_epochs": 30, "random_state": 0}


def find_ab_params(spread, min_dist):
    """umap-learn's curve fit (umap_.find_ab_params), restated with scipy."""
    from scipy.optimize import curve_fit

    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    (a, b), _ = curve_fit(lambda x, a, b: 1.0 / (1.0 + a * x ** (2 * b)), x, y)
    return a, b


@pytest.fixture(scope="module")
def digits(mnist):
    """800 MNIST digits (float32, 0–255) and their labels."""
    X, y = mnist
    return X[:800], y[:800]


@pytest.fixture(scope="module")
def fitted(digits):
    return unfold.UMAP(n_neighbors=10, random_state=0).fit(digits[0])


# --- fitted state ----------------------------------------------------------------------------


def test_fitted_attributes(fitted, digits):
    X = digits[0]
    assert fitted.embedding_.shape == (800, 2) and fitted.embedding_.dtype == np.float32
    assert fitted.n_features_in_ == 784
    assert fitted.get_feature_names_out().tolist() == ["umap0", "umap1"]
    g = fitted.graph_
    assert isinstance(g, scipy.sparse.csr_matrix) and g.shape == (800, 800) and g.dtype == np.float32
    # The core hands over uint32 columns (no wrap past 2³¹ points); scipy keeps int32 while they fit.
    assert g.indices.dtype == np.int32 and g.indptr.dtype == np.int32
    # A fuzzy union of memberships: symmetric, weights in (0, 1], every point has an edge of
    # weight 1 (its nearest neighbour at distance rho), no self loops.
    assert abs(g - g.T).max() < 1e-6
    assert g.data.min() > 0 and g.data.max() <= 1
    np.testing.assert_allclose(g.max(axis=1).toarray().ravel(), 1.0, rtol=1e-6)
    assert g.diagonal().max() == 0
    # Every edge joins a point to one of its 9 nearest neighbours, in one direction or the other.
    from sklearn.neighbors import NearestNeighbors

    knn = NearestNeighbors(n_neighbors=10).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    rows, cols = g.nonzero()
    near = np.zeros((800, 800), dtype=bool)
    near[np.repeat(np.arange(800), 9), knn.ravel()] = True
    assert np.all(near[rows, cols] | near[cols, rows])
    np.testing.assert_allclose([fitted._a, fitted._b], find_ab_params(1.0, 0.1), rtol=1e-3)
    assert not hasattr(fitted, "rad_orig_")


def test_ab_follow_min_dist_and_spread(digits):
    u = unfold.UMAP(min_dist=0.5, spread=2.0, **FAST).fit(digits[0][:200])
    np.testing.assert_allclose([u._a, u._b], find_ab_params(2.0, 0.5), rtol=1e-3)
    u = unfold.UMAP(a=1.0, b=2.0, **FAST).fit(digits[0][:200])
    assert (u._a, u._b) == (1.0, 2.0)


def test_embedding_keeps_neighbourhoods(digits):
    X, y = digits
    Y = unfold.UMAP(random_state=0).fit_transform(X)
    assert trustworthiness(X, Y, n_neighbors=15) > 0.9
    # About as good a kNN classifier as the 784-d data itself (0.81 on these 800 digits).
    assert unfold.metrics.knn_accuracy(Y, y) > unfold.metrics.knn_accuracy(X, y) - 0.05


def test_training_rows_transform_to_their_embedding(fitted, digits, mnist):
    X = digits[0]
    np.testing.assert_array_equal(fitted.transform(X), fitted.embedding_)
    order = np.random.default_rng(0).permutation(800)[:300]
    np.testing.assert_array_equal(fitted.transform(X[order]), fitted.embedding_[order])
    # Mixed with new rows: training rows keep their coordinates, new rows are placed as alone.
    mixed = np.vstack([X[:5], mnist[0][5000:5005], X[5:10]])
    got = fitted.transform(mixed)
    np.testing.assert_array_equal(got[:5], fitted.embedding_[:5])
    np.testing.assert_array_equal(got[10:], fitted.embedding_[5:10])
    np.testing.assert_array_equal(got[5:10], fitted.transform(mnist[0][5000:5005]))
    # The rule is the core's: its model, alone or from bytes, answers the same.
    np.testing.assert_array_equal(fitted._model.transform(X[:5]), fitted.embedding_[:5])
    # A row one grey level off a training row is placed, not looked up.
    off = X[:1].copy()
    off[0, np.argmin(off[0])] += 1
    assert not np.array_equal(fitted.transform(off), fitted.embedding_[:1])


def test_transform_places_new_points_near_their_neighbours(fitted, digits, mnist):
    X_new = mnist[0][5000:5200]
    Y_new = fitted.transform(X_new)
    assert Y_new.shape == (200, 2) and Y_new.dtype == np.float32
    # Each new point lands among the training points that are its neighbours in the data.
    from sklearn.neighbors import NearestNeighbors

    data_nn = NearestNeighbors(n_neighbors=10).fit(digits[0]).kneighbors(X_new, return_distance=False)
    emb_nn = NearestNeighbors(n_neighbors=10).fit(fitted.embedding_).kneighbors(Y_new, return_distance=False)
    shared = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(data_nn, emb_nn)])
    assert shared > 0.3
    from sklearn.neighbors import KNeighborsClassifier

    labels = mnist[1]
    accuracy = KNeighborsClassifier(10).fit(fitted.embedding_, labels[:800]).score(Y_new, labels[5000:5200])
    assert accuracy > 0.65
    # A point's place does not depend on the batch it comes in.
    np.testing.assert_array_equal(fitted.transform(X_new[:7]), Y_new[:7])


# --- inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.uint8, np.int32, np.int64])
def test_any_numeric_dtype(digits, dtype):
    X = digits[0][:200]
    expected = unfold.UMAP(**FAST).fit_transform(X)
    np.testing.assert_array_equal(unfold.UMAP(**FAST).fit_transform(X.astype(dtype)), expected)


def test_orders_strides_and_dataframes(digits):
    X = digits[0][:200, :50].astype(np.float64)
    expected = unfold.UMAP(**FAST).fit_transform(X)
    wide = np.zeros((400, 100))
    wide[::2, ::2] = X
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(50)])
    for variant in [np.asfortranarray(X), wide[::2, ::2], X.tolist(), frame]:
        np.testing.assert_array_equal(unfold.UMAP(**FAST).fit_transform(variant), expected)
    u = unfold.UMAP(**FAST).fit(frame)
    assert u.feature_names_in_.tolist() == list(frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        u.transform(X[:3] + 1)


# --- supervised UMAP ---------------------------------------------------------------------------


def test_labels_pull_classes_apart(digits):
    X, y = digits
    plain = unfold.UMAP(random_state=0).fit_transform(X)
    supervised = unfold.UMAP(random_state=0).fit_transform(X, y)
    assert unfold.metrics.knn_accuracy(supervised, y) > 0.97 > unfold.metrics.knn_accuracy(plain, y) + 0.05
    # target_weight = 1 cuts every edge between different labels.
    g = unfold.UMAP(random_state=0, n_epochs=30, target_weight=1.0).fit(X, y).graph_.tocoo()
    assert np.all(y[g.row] == y[g.col])


def test_any_labels_are_categories(digits):
    X, y = digits[0][:300], digits[1][:300]
    expected = unfold.UMAP(**FAST).fit_transform(X, y)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    for labels in [names[y], (y + 0.5), y.astype(np.float32) * 3, pd.Series(y), y.reshape(-1, 1), (y * 7).tolist()]:
        np.testing.assert_array_equal(unfold.UMAP(**FAST).fit_transform(X, labels), expected)


def test_unknown_labels_semi_supervised(digits):
    X, y = digits
    partial = y.copy()
    partial[400:] = -1
    Y = unfold.UMAP(random_state=0, target_weight=1.0).fit_transform(X, partial)
    # Labelled points of different classes share no edge; unlabelled points keep theirs.
    g = unfold.UMAP(random_state=0, n_epochs=30, target_weight=1.0).fit(X, partial).graph_.tocoo()
    labelled = (partial[g.row] >= 0) & (partial[g.col] >= 0)
    assert np.all(partial[g.row][labelled] == partial[g.col][labelled])
    assert np.any(partial[g.row] == -1)
    # The labelled points separate by class better than without labels (0.86 against 0.79).
    plain = unfold.UMAP(random_state=0).fit_transform(X)
    assert unfold.metrics.knn_accuracy(Y[:400], y[:400]) > unfold.metrics.knn_accuracy(plain[:400], y[:400]) + 0.04


def test_numeric_target(digits):
    X = digits[0][:400]
    t = unfold.PCA(n_components=1).fit_transform(X)[:, 0]
    Y = unfold.UMAP(random_state=0, target_metric="euclidean", target_weight=0.9).fit_transform(X, t)
    plain = unfold.UMAP(random_state=0).fit_transform(X)

    def neighbour_spread(Y):
        """Mean target difference to the 10 nearest embedded points, relative to all pairs."""
        from sklearn.neighbors import NearestNeighbors

        idx = NearestNeighbors(n_neighbors=11).fit(Y).kneighbors(Y, return_distance=False)[:, 1:]
        return np.mean(np.abs(t[:, None] - t[idx])) / np.mean(np.abs(t[:, None] - t[None, :]))

    # Embedded neighbours have far closer target values than without the target (0.04 against 0.41).
    assert neighbour_spread(Y) < 0.5 * neighbour_spread(plain)
    two = np.column_stack([t, t])
    assert np.isfinite(unfold.UMAP(target_metric="manhattan", target_n_neighbors=5, **FAST).fit_transform(X, two)).all()


def test_supervision_errors(digits):
    X, y = digits[0][:100], digits[1][:100]
    with pytest.raises(ValueError, match=r"y must have one entry per row of X \(100\), got shape \(99,\)"):
        unfold.UMAP().fit(X, y[:99])
    with pytest.raises(ValueError, match=r"categorical y must hold one label per row, got shape \(100, 2\)"):
        unfold.UMAP().fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match=r"y\[3\] is nan; mark unknown labels with -1"):
        unfold.UMAP().fit(X, np.where(np.arange(100) == 3, np.nan, y))
    with pytest.raises(ValueError, match=r"`target_weight`: 1.5 \(must be in \[0, 1\]\)"):
        unfold.UMAP(target_weight=1.5).fit(X, y)
    with pytest.raises(ValueError, match=r"`target_n_neighbors`: 1 \(must be at least 2"):
        unfold.UMAP(target_n_neighbors=1, target_metric="euclidean").fit(X, y)
    with pytest.raises(ValueError, match=r"`target_metric`: ordinal \(must be one of"):
        unfold.UMAP(target_metric="ordinal").fit(X, y)
    with pytest.raises(ValueError, match=r"row 5, column 0 .*is NaN"):
        unfold.UMAP(target_metric="euclidean").fit(X, np.where(np.arange(100) == 5, np.nan, 1.0))


def test_missing_labels_are_named(digits):
    X, y = digits[0][:100], digits[1][:100]
    with pytest.raises(ValueError, match=r"y\[2\] is None; mark unknown labels with -1"):
        unfold.UMAP().fit(X, [None if i == 2 else int(v) for i, v in enumerate(y)])
    names = np.array([f"digit {v}" for v in y], dtype=object)
    names[4] = None
    with pytest.raises(ValueError, match=r"y\[4\] is None; mark unknown labels with -1"):
        unfold.UMAP().fit(X, names)
    names[4] = pd.NA
    with pytest.raises(ValueError, match=r"y\[4\] is <NA>; mark unknown labels with -1"):
        unfold.UMAP().fit(X, names)
    with pytest.raises(ValueError, match=r"y\[4\] is (nan|<NA>); mark unknown labels with -1"):
        unfold.UMAP().fit(X, pd.Series(names))
    # A nullable integer column: pandas gives NaN (pandas ≥ 3) or pandas.NA for the gap.
    with pytest.raises(ValueError, match=r"y\[7\] is (nan|<NA>); mark unknown labels with -1"):
        unfold.UMAP().fit(X, pd.Series(y, dtype="Int64").where(np.arange(100) != 7, pd.NA))
    # A numeric target's missing value is reported as NaN, with its row.
    values = pd.Series(y, dtype="Float64").where(np.arange(100) != 5, pd.NA)
    with pytest.raises(ValueError, match=r"row 5, column 0 .*is NaN"):
        unfold.UMAP(target_metric="euclidean").fit(X, values.astype(object))


def test_target_weight_zero_still_weakens_edges_between_labels(tmp_path):
    """target_weight = 0 scales edges between labels by exp(-2.5) (then restores each point's
    strongest edge to 1), as umap-learn's categorical intersection: it does not keep the data's
    graph."""
    import subprocess
    import sys

    # Continuous data: no tied distances, so both libraries find the same neighbours.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(300, 8)).astype(np.float32), rng.integers(0, 4, 300)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y)
    script = """
import numpy as np
from sklearn.neighbors import NearestNeighbors
from umap.umap_ import fuzzy_simplicial_set, discrete_metric_simplicial_set_intersection
X, y = np.load("x.npy"), np.load("y.npy")
# The exact kNN graph (the point itself first), as UMAP.fit computes it for small data.
dists, knn = NearestNeighbors(n_neighbors=10).fit(X).kneighbors(X)
graph, _, _ = fuzzy_simplicial_set(X, 10, np.random.RandomState(0), "euclidean", knn_indices=knn, knn_dists=dists.astype(np.float32))
graph = discrete_metric_simplicial_set_intersection(graph.tocoo(), y, far_dist=2.5).tocoo()
np.savez("graph.npz", row=graph.row, col=graph.col, data=graph.data)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ref = np.load(tmp_path / "graph.npz")
    # unfold's graph_ lacks the edges below max / n_epochs, which the layout never samples.
    keep = ref["data"] >= ref["data"].max() / 500
    ref_edges = dict(zip(zip(ref["row"][keep], ref["col"][keep]), ref["data"][keep]))
    ours = unfold.UMAP(n_neighbors=10, target_weight=0.0, random_state=0).fit(X, y).graph_.tocoo()
    our_edges = dict(zip(zip(ours.row, ours.col), ours.data))
    shared = ref_edges.keys() & our_edges.keys()
    assert len(shared) >= 0.99 * max(len(ref_edges), len(our_edges))
    np.testing.assert_allclose([our_edges[e] for e in shared], [ref_edges[e] for e in shared], atol=1e-4)
    # Edges between different labels are far weaker than in the unsupervised graph.
    plain = unfold.UMAP(n_neighbors=10, random_state=0).fit(X).graph_
    ours = ours.tocsr()
    rows, cols = plain.nonzero()
    ratio = np.asarray(ours[rows, cols]).ravel() / np.asarray(plain[rows, cols]).ravel()
    across = y[rows] != y[cols]
    assert np.median(ratio[across]) < 0.3 * np.median(ratio[~across])


def test_init_array_and_names(digits):
    X = digits[0][:200]
    start = unfold.PCA(n_components=2).fit_transform(X)
    a = unfold.UMAP(init=start, **FAST).fit_transform(X)
    b = unfold.UMAP(init=start.astype(np.float64).tolist(), **FAST).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    for name in ["pca", "random", "spectral"]:
        assert np.isfinite(unfold.UMAP(init=name, **FAST).fit_transform(X)).all()


def test_minkowski_p_from_metric_kwds(digits):
    X = digits[0][:200]
    p1 = unfold.UMAP(metric="minkowski", metric_kwds={"p": 1}, **FAST).fit_transform(X)
    np.testing.assert_array_equal(p1, unfold.UMAP(metric="manhattan", **FAST).fit_transform(X))
    p2 = unfold.UMAP(metric="minkowski", **FAST).fit_transform(X)
    assert not np.array_equal(p1, p2)


# --- errors ----------------------------------------------------------------------------------


def test_errors_name_the_problem(digits):
    X = digits[0][:100]
    with pytest.raises(ValueError, match=r"invalid value for `n_neighbors`: 1 \(must be at least 2"):
        unfold.UMAP(n_neighbors=1).fit(X)
    with pytest.raises(ValueError, match=r"UMAP needs at least 3 samples \(each point with at least 2 neighbours\), got n_samples = 2"):
        unfold.UMAP().fit(X[:2])
    with pytest.raises(ValueError, match=r"invalid value for `min_dist`: 2 \(must be at most spread \(1\)\)"):
        unfold.UMAP(min_dist=2.0).fit(X)
    with pytest.raises(ValueError, match=r"invalid value for `n_components`: 0 \(must be at least 1\)"):
        unfold.UMAP(n_components=0).fit(X)
    with pytest.raises(ValueError, match=r"`init`: an array of shape \(100, 3\) \(must have shape \(n_samples, n_components\) = \(100, 2\)\)"):
        unfold.UMAP(init=np.zeros((100, 3))).fit(X)
    with pytest.raises(ValueError, match=r"`init`: an array of shape \(50, 2\)"):
        unfold.UMAP(init=np.zeros((50, 2))).fit(X)
    with pytest.raises(ValueError, match=r"`init`: umap \(must be spectral, pca, random, or an array"):
        unfold.UMAP(init="umap").fit(X)
    nan = X.copy()
    nan[41, 300] = np.nan
    with pytest.raises(ValueError, match=r"row 41, column 300 \(counting from 0\) is NaN"):
        unfold.UMAP().fit(nan)
    bad_init = np.zeros((100, 2))
    bad_init[7, 1] = np.inf
    with pytest.raises(ValueError, match=r"`init`: .*must hold finite coordinates"):
        unfold.UMAP(init=bad_init).fit(X)
    with pytest.raises(ValueError, match=r"`metric`: geodesic \(must be one of"):
        unfold.UMAP(metric="geodesic").fit(X)
    with pytest.raises(TypeError, match="custom metric functions are not supported"):
        unfold.UMAP(metric=lambda a, b: 0.0).fit(X)
    with pytest.raises(ValueError, match=r"invalid value for `metric_kwds`: 'V' \(the euclidean metric takes no parameters\)"):
        unfold.UMAP(metric_kwds={"V": 1}).fit(X)
    with pytest.raises(ValueError, match=r"`b`: none \(must be given together with a\)"):
        unfold.UMAP(a=1.0).fit(X)
    with pytest.raises(ValueError, match=r"`dens_frac`: 1.5 \(must be in \[0, 1\]\)"):
        unfold.UMAP(densmap=True, dens_frac=1.5).fit(X)
    with pytest.raises(ValueError, match=r"`learning_rate`: 0 \(must be a finite number > 0\)"):
        unfold.UMAP(learning_rate=0).fit(X)
    with pytest.raises(TypeError, match="n_neighbors must be an int, got float 15.5"):
        unfold.UMAP(n_neighbors=15.5).fit(X)
    with pytest.raises(TypeError, match=r"invalid value for `min_dist`: small \(must be a number\)"):
        unfold.UMAP(min_dist="small").fit(X)
    with pytest.raises(ValueError, match=r"metric.*chebyshev.*not available for sparse input"):
        unfold.UMAP(metric="chebyshev").fit(scipy.sparse.csr_matrix(X))
    with pytest.raises(ValueError, match=r"unique=True takes dense X"):
        unfold.UMAP(unique=True).fit(scipy.sparse.csr_matrix(X))


def test_transform_errors(fitted, digits):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This UMAP instance is not fitted yet"):
        unfold.UMAP().transform(digits[0])
    with pytest.raises(ValueError, match="X has 783 features, but UMAP is expecting 784 features as input"):
        fitted.transform(digits[0][:5, 1:])
    nan = digits[0][:5].copy()
    nan[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"row 2, column 3 .* is NaN"):
        fitted.transform(nan)


def test_core_warnings_become_user_warnings():
    # A point 1000 away from the 60 others: a disconnection distance of 500 removes all its
    # edges, and the core's warning about it reaches Python as a UserWarning.
    rng = np.random.default_rng(3)
    X = np.vstack([rng.random((60, 4)), [[1000.0, -1000.0, 1000.0, -1000.0]]])
    with pytest.warns(UserWarning, match=r"\(1 of 61\) were disconnected from the manifold: disconnection_distance = 500 "):
        unfold.UMAP(n_neighbors=5, n_epochs=20, disconnection_distance=500.0, random_state=3).fit(X)


# --- small data --------------------------------------------------------------------------------


def test_n_neighbors_above_the_sample_count_is_lowered_with_a_warning():
    X = np.random.default_rng(0).random((10, 4))
    with pytest.warns(UserWarning, match=r"^n_neighbors is larger than the dataset size; truncating to X.shape\[0\] - 1 \(n_neighbors=15, 10 samples: using 9\)$"):
        lowered = unfold.UMAP(random_state=0).fit_transform(X)
    np.testing.assert_array_equal(lowered, unfold.UMAP(n_neighbors=9, random_state=0).fit_transform(X))
    with pytest.warns(UserWarning, match=r"n_neighbors=10, 10 samples: using 9"):
        unfold.UMAP(n_neighbors=10, **FAST).fit(X)
    with pytest.raises(ValueError, match=r"UMAP needs at least 3 samples \(each point with at least 2 neighbours\), got n_samples = 1"):
        unfold.UMAP().fit(X[:1])


UMAP_LEARN_SMALL_DATA = """
import json, warnings
import numpy as np
import umap

rng = np.random.default_rng(0)
out = {}
for n in range(5, 16):
    X = rng.random((n, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Y = umap.UMAP(random_state=0).fit_transform(X)
    messages = [str(w.message) for w in caught if "n_neighbors" in str(w.message)]
    out[n] = {"shape": list(Y.shape), "finite": bool(np.isfinite(Y).all()), "warnings": messages}
print(json.dumps(out))
"""


def test_defaults_work_on_small_data_as_umap_learn():
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", UMAP_LEARN_SMALL_DATA], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ref = json.loads(done.stdout)
    rng = np.random.default_rng(0)
    for n in range(5, 16):
        X = rng.random((n, 4))  # the same inputs as umap-learn's
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Y = unfold.UMAP().fit_transform(X)
        assert Y.shape == (n, 2) and np.isfinite(Y).all(), n
        assert ref[str(n)]["shape"] == [n, 2] and ref[str(n)]["finite"]
        # umap-learn's warning text starts ours, so a filter written for umap-learn applies.
        ours = [str(w.message) for w in caught if "n_neighbors" in str(w.message)]
        assert len(ours) == len(ref[str(n)]["warnings"]) == 1, n
        assert ours[0].startswith(ref[str(n)]["warnings"][0])


# --- determinism and state -------------------------------------------------------------------


def test_same_random_state_same_output_at_any_n_jobs(digits):
    X = digits[0][:600]
    one = unfold.UMAP(random_state=3, n_epochs=100, n_jobs=1).fit(X)
    two = unfold.UMAP(random_state=3, n_epochs=100, n_jobs=2).fit(X)
    np.testing.assert_array_equal(one.embedding_, two.embedding_)
    assert (one.graph_ != two.graph_).nnz == 0
    X_new = digits[0][600:700]
    np.testing.assert_array_equal(one.transform(X_new), two.transform(X_new))
    other = unfold.UMAP(random_state=4, n_epochs=100).fit_transform(X)
    assert not np.array_equal(other, one.embedding_)
    # A RandomState instance draws the seed from its stream: equal streams, equal results.
    c = unfold.UMAP(n_epochs=30, random_state=np.random.RandomState(1)).fit_transform(X)
    d = unfold.UMAP(n_epochs=30, random_state=np.random.RandomState(1)).fit_transform(X)
    np.testing.assert_array_equal(c, d)


def test_pickle_round_trip_goes_through_model_bytes(fitted, digits, mnist):
    from unfold import _core

    state = fitted.__getstate__()
    assert "embedding_" not in state and "_model" not in state
    assert state["_model_bytes"].startswith(b"UNFOLD\x02M\x06\x00\x04umap")
    # Bytes of an older layout are refused, with what to do.
    older = state["_model_bytes"][:8] + b"\x05\x00" + state["_model_bytes"][10:]
    with pytest.raises(ValueError, match="model format version 5 comes from an older unfold; this build reads version 6: fit the model again"):
        _core.FittedModel.from_bytes(older)
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.get_params() == fitted.get_params()
    # The model bytes record the parameters as the fit resolved them.
    recorded = copy._model.params()
    assert recorded["n_neighbors"] == fitted.n_neighbors and recorded["a"] == pytest.approx(fitted._a)
    np.testing.assert_array_equal(copy.embedding_, fitted.embedding_)
    assert (copy.graph_ != fitted.graph_).nnz == 0
    assert (copy._a, copy._b, copy.n_features_in_) == (fitted._a, fitted._b, 784)
    X_new = mnist[0][5000:5050]
    np.testing.assert_array_equal(copy.transform(X_new), fitted.transform(X_new))
    np.testing.assert_array_equal(copy.transform(digits[0]), fitted.embedding_)
    assert "_model" in vars(fitted), "pickling must not change the original"


def test_joblib_round_trip(fitted, mnist, tmp_path):
    joblib.dump(fitted, tmp_path / "umap.joblib")
    X_new = mnist[0][5000:5050]
    np.testing.assert_array_equal(joblib.load(tmp_path / "umap.joblib").transform(X_new), fitted.transform(X_new))


def test_corrupt_model_bytes_are_refused(fitted):
    from unfold import _core

    good = fitted._model.to_bytes()
    with pytest.raises(ValueError, match="not an unfold model file"):
        _core.FittedModel.from_bytes(b"hello")
    with pytest.raises(ValueError, match="a model file of kind `umaq`, which this build of unfold does not read"):
        _core.FittedModel.from_bytes(good.replace(b"umap", b"umaq", 1))
    with pytest.raises(ValueError, match="truncated model file"):
        _core.FittedModel.from_bytes(good[:-10])
    # A pickle whose bytes hold another method's model.
    state = fitted.__getstate__()
    state["_model_bytes"] = unfold.PCA(n_components=2).fit(np.eye(5))._model.to_bytes()
    with pytest.raises(ValueError, match="holds a `pca` model, not a `umap` model"):
        unfold.UMAP().__setstate__(state)


def test_clone_is_unfitted(fitted):
    c = clone(fitted)
    assert c.get_params() == fitted.get_params() and not hasattr(c, "embedding_")


def test_verbose_draws_a_progress_bar(digits, capsys):
    unfold.UMAP(verbose=True, **FAST).fit(digits[0][:300])
    err = capsys.readouterr().err
    assert "UMAP layout [" in err and "30/30" in err and err.endswith("\n")
    unfold.UMAP(**FAST).fit(digits[0][:300])
    assert capsys.readouterr().err == ""


# --- densMAP -----------------------------------------------------------------------------------


def test_densmap_preserves_local_density(digits):
    X = digits[0][:600]
    plain = unfold.UMAP(random_state=0, n_epochs=200, output_dens=True)
    emb, r_orig, r_emb = plain.fit_transform(X)
    np.testing.assert_array_equal(emb, plain.embedding_)
    np.testing.assert_array_equal(r_orig, plain.rad_orig_)
    assert r_orig.shape == r_emb.shape == (600,)
    dens = unfold.UMAP(random_state=0, n_epochs=200, densmap=True, output_dens=True).fit(X)
    np.testing.assert_array_equal(dens.rad_orig_, plain.rad_orig_)  # a property of the data graph
    # What densMAP optimises: the correlation of embedded with original radii.
    corr_plain = np.corrcoef(plain.rad_orig_, plain.rad_emb_)[0, 1]
    corr_dens = np.corrcoef(dens.rad_orig_, dens.rad_emb_)[0, 1]
    assert corr_dens > corr_plain + 0.2
    assert not hasattr(unfold.UMAP(**FAST).fit(X), "rad_emb_")


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, params",
    [
        ([], {}),
        (
            ["--neighbors", 8, "--min-dist", 0.3, "--spread", 1.5, "--metric", "cosine", "--epochs", 120, "--dims", 3],
            {"n_neighbors": 8, "min_dist": 0.3, "spread": 1.5, "metric": "cosine", "n_epochs": 120, "n_components": 3},
        ),
        (["--init", "random", "--negative-sample-rate", 3, "--learning-rate", 0.5], {"init": "random", "negative_sample_rate": 3, "learning_rate": 0.5}),
    ],
)
def test_equals_the_cli(cli, tmp_path, mnist, options, params):
    X = mnist[0][:1000]
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--method", "umap", "--seed", 42, *options, "-o", tmp_path / "y.npy", "--quiet")
    got = unfold.UMAP(random_state=42, **params).fit_transform(X)
    np.testing.assert_array_equal(got, np.load(tmp_path / "y.npy"))


@pytest.mark.parametrize(
    "target, options, params",
    [
        ("labels", [], {}),
        ("partial", ["--target-weight", 0.8], {"target_weight": 0.8}),
        ("numeric", ["--target-metric", "euclidean", "--target-weight", 0.3], {"target_metric": "euclidean", "target_weight": 0.3}),
    ],
)
def test_supervised_equals_the_cli(cli, tmp_path, mnist, target, options, params):
    X, labels = mnist[0][:800], mnist[1][:800]
    y = {
        "labels": labels,
        "partial": np.where(np.arange(800) % 3 == 0, -1, labels),
        "numeric": X[:, 300:303].astype(np.float32),
    }[target]
    np.save(tmp_path / "x.npy", X)
    # One column, so the command reads it as numbers (a 1-d file goes through its text-label reader).
    np.save(tmp_path / "y.npy", y.reshape(800, -1))
    cli("embed", tmp_path / "x.npy", "--method", "umap", "--seed", 5, "--epochs", 100, "--target", tmp_path / "y.npy", *options, "-o", tmp_path / "e.npy", "--quiet")
    got = unfold.UMAP(random_state=5, n_epochs=100, **params).fit_transform(X, y)
    np.testing.assert_array_equal(got, np.load(tmp_path / "e.npy"))


def test_densmap_and_init_file_equal_the_cli(cli, tmp_path, mnist):
    X = mnist[0][:600]
    start = unfold.PCA(n_components=2).fit_transform(X)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "init.npy", start)
    cli(
        "embed", tmp_path / "x.npy", "--method", "umap", "--seed", 7, "--epochs", 150, "--init", tmp_path / "init.npy",
        "--densmap", "--dens-lambda", 1.5, "--output-dens", tmp_path / "radii.npy", "-o", tmp_path / "y.npy", "--quiet",
    )
    u = unfold.UMAP(random_state=7, n_epochs=150, init=start, densmap=True, dens_lambda=1.5, output_dens=True).fit(X)
    np.testing.assert_array_equal(u.embedding_, np.load(tmp_path / "y.npy"))
    radii = np.load(tmp_path / "radii.npy")
    np.testing.assert_array_equal(np.column_stack([u.rad_orig_, u.rad_emb_]), radii)


def test_model_file_and_pickle_share_one_format(cli, tmp_path, mnist):
    X, X_new = mnist[0][:1000], mnist[0][5000:5100]
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "new.npy", X_new)
    cli("embed", tmp_path / "x.npy", "--method", "umap", "--seed", 42, "--epochs", 100, "--save-model", tmp_path / "m.umap", "-o", tmp_path / "y.npy", "--quiet")
    cli("transform", "--model", tmp_path / "m.umap", tmp_path / "new.npy", "-o", tmp_path / "t.npy", "--quiet")
    u = unfold.UMAP(random_state=42, n_epochs=100).fit(X)
    assert u._model.to_bytes() == (tmp_path / "m.umap").read_bytes()
    np.testing.assert_array_equal(u.transform(X_new), np.load(tmp_path / "t.npy"))
    # The other way: a pickled estimator's model bytes, written as a file, serve `unfold transform`.
    (tmp_path / "p.umap").write_bytes(pickle.loads(pickle.dumps(u)).__getstate__()["_model_bytes"])
    cli("transform", "--model", tmp_path / "p.umap", tmp_path / "new.npy", "-o", tmp_path / "t2.npy", "--quiet")
    np.testing.assert_array_equal(np.load(tmp_path / "t2.npy"), np.load(tmp_path / "t.npy"))


# --- precomputed_knn ---------------------------------------------------------------------------


def test_precomputed_knn_gives_the_embedding_of_the_built_in_search(mnist):
    # Up to 4,096 rows the built-in search is exact, as unfold.neighbors is there.
    X, X_new = mnist[0][:1500], mnist[0][5000:5050]
    ref = unfold.UMAP(n_neighbors=12, **FAST).fit(X)
    idx, dist = unfold.neighbors(X, k=11)
    # unfold.neighbors' layout (the point itself left out), umap-learn's (itself in column 0),
    # and more columns than needed: the same graph, so the same embedding and transform.
    with_self = (np.hstack([np.arange(1500)[:, None], idx]), np.hstack([np.zeros((1500, 1), np.float32), dist]))
    wide = unfold.neighbors(X, k=20)
    for given in [(idx, dist), with_self, wide, (*with_self, None)]:
        u = unfold.UMAP(n_neighbors=12, precomputed_knn=given, **FAST).fit(X)
        np.testing.assert_array_equal(u.embedding_, ref.embedding_)
        np.testing.assert_array_equal(u.transform(X_new), ref.transform(X_new))
    # Another data set's graph changes the result: the graph is used, not searched anew.
    other = unfold.UMAP(n_neighbors=12, precomputed_knn=unfold.neighbors(mnist[0][2000:3500], k=11), **FAST).fit(X)
    assert not np.array_equal(other.embedding_, ref.embedding_)


def test_precomputed_knn_from_umap_learn_is_as_good_as_a_search(mnist):
    from umap.umap_ import nearest_neighbors

    X = mnist[0][:2000]
    knn = nearest_neighbors(X, 15, "euclidean", {}, False, np.random.RandomState(0))
    assert (knn[0][:, 0] == np.arange(2000)).mean() > 0.99  # the point itself comes first
    searched = unfold.UMAP(random_state=0).fit_transform(X)
    given = unfold.UMAP(random_state=0, precomputed_knn=knn).fit_transform(X)
    assert abs(trustworthiness(X, given, n_neighbors=15) - trustworthiness(X, searched, n_neighbors=15)) < 0.01


def test_precomputed_knn_errors_name_the_parameter(digits):
    X = digits[0][:300]
    idx, dist = unfold.neighbors(X, k=14)

    def fit(knn, **kw):
        return unfold.UMAP(precomputed_knn=knn, **FAST, **kw).fit(X)

    cases = [
        ((idx[:200], dist[:200]), ValueError, r"precomputed_knn has 200 rows but X has 300"),
        ((idx, dist[:, :10]), ValueError, r"precomputed_knn\[0\] and precomputed_knn\[1\] must have the same shape, got \(300, 14\) and \(300, 10\)"),
        ((idx[:, 0], dist[:, 0]), ValueError, r"precomputed_knn\[0\] must be a 2-d numpy array of neighbour indices \(n_samples, k\), got shape \(300,\)"),
        ((idx.tolist(), dist), ValueError, r"precomputed_knn\[0\] must be a 2-d numpy array .* got list"),
        ((idx.astype(np.float64), dist), TypeError, r"precomputed_knn\[0\] must hold integer row indices, got dtype float64"),
        ((idx[:, :10], dist[:, :10]), ValueError, r"precomputed_knn has 10 neighbours per row \(10 besides the point itself in some row\); n_neighbors=15 needs n_neighbors − 1 = 14"),
        ([idx, dist, None, None], TypeError, r"precomputed_knn must be a tuple \(knn_indices, knn_dists\)"),
    ]
    minus = idx.copy()
    minus[7, 3] = -1
    cases.append(((minus, dist), ValueError, r"precomputed_knn\[0\]\[7, 3\] is -1: every index must be a row of X, 0 ≤ index < 300"))
    beyond = idx.copy()
    beyond[0, 0] = 300
    cases.append(((beyond, dist), ValueError, r"precomputed_knn\[0\]\[0, 0\] is 300"))
    for bad_value in (np.nan, np.inf, -1.0):
        bad = dist.copy()
        bad[5, 2] = bad_value
        cases.append(((idx, bad), ValueError, rf"precomputed_knn\[1\]\[5, 2\] is {bad_value}: distances must be finite and non-negative"))
    unsorted = dist.copy()
    unsorted[4, [0, 1]] = unsorted[4, [1, 0]] + [1.0, 0.0]
    cases.append(((idx, unsorted), ValueError, r"precomputed_knn\[1\] row 4 is not sorted"))
    for knn, error, message in cases:
        with pytest.raises(error, match=message):
            fit(knn)
    with pytest.raises(ValueError, match="unique=True does not apply with precomputed_knn"):
        fit((idx, dist), unique=True)
    # umap-learn's default, which searches.
    assert unfold.UMAP().get_params()["precomputed_knn"] == (None, None, None)


# --- drop-in for umap-learn --------------------------------------------------------------------

DROP_IN_SCRIPT = """
import inspect, json
import numpy as np
{import_line}

X = np.load("x.npy")
X_new = np.load("new.npy")
reducer = umap.UMAP(n_neighbors=10, min_dist=0.2, metric="cosine", random_state=42)
embedding = reducer.fit_transform(X)
assert np.array_equal(embedding, reducer.embedding_)
new = reducer.transform(X_new)
np.save("embedding.npy", embedding)
np.save("new_embedding.npy", new)
graph = reducer.graph_.tocoo()
np.savez("graph.npz", row=graph.row, col=graph.col, data=graph.data)
defaults = {{k: repr(p.default) for k, p in inspect.signature(umap.UMAP).parameters.items()}}
print(json.dumps({{"graph": [type(reducer.graph_).__name__, list(reducer.graph_.shape)], "defaults": defaults}}))
"""


def test_umap_learn_script_runs_with_only_the_import_changed(tmp_path, mnist):
    import json
    import subprocess
    import sys

    from sklearn.neighbors import KNeighborsClassifier

    X, labels = mnist[0][:1000], mnist[1][:1000]
    X_new, labels_new = mnist[0][5000:5300], mnist[1][5000:5300]
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "new.npy", X_new)
    results = {}
    for name, import_line in [("umap-learn", "import umap"), ("unfold", "import unfold as umap")]:
        folder = tmp_path / name
        folder.mkdir()
        for f in ["x.npy", "new.npy"]:
            (folder / f).symlink_to(tmp_path / f)
        code = DROP_IN_SCRIPT.format(import_line=import_line)
        done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, env={**__import__("os").environ, "PYTHONWARNINGS": "ignore"})
        assert done.returncode == 0, done.stderr
        results[name] = {
            "out": json.loads(done.stdout),
            "embedding": np.load(folder / "embedding.npy"),
            "new": np.load(folder / "new_embedding.npy"),
            "graph": dict(np.load(folder / "graph.npz")),
        }
    ref, ours = results["umap-learn"], results["unfold"]
    assert ours["out"]["graph"] == ref["out"]["graph"] == ["csr_matrix", [1000, 1000]]
    assert ours["embedding"].shape == ref["embedding"].shape == (1000, 2)
    assert ours["new"].shape == ref["new"].shape == (300, 2)
    # Every parameter is umap-learn's, with umap-learn's default.
    ours_defaults, ref_defaults = ours["out"]["defaults"], ref["out"]["defaults"]
    assert {k: ref_defaults.get(k) for k in ours_defaults} == ours_defaults
    # As good an embedding: trustworthiness, and a kNN classifier trained on the embedding and
    # applied to the transformed new points.
    t_ours = trustworthiness(X, ours["embedding"], n_neighbors=15, metric="cosine")
    t_ref = trustworthiness(X, ref["embedding"], n_neighbors=15, metric="cosine")
    assert t_ours > t_ref - 0.01, (t_ours, t_ref)

    def new_point_accuracy(r):
        return KNeighborsClassifier(10).fit(r["embedding"], labels).score(r["new"], labels_new)

    assert new_point_accuracy(ours) > new_point_accuracy(ref) - 0.05, (new_point_accuracy(ours), new_point_accuracy(ref))
    # The same fuzzy graph: umap-learn's graph_ with the edges its layout drops (below
    # max / n_epochs, 500 epochs here) removed, as unfold's graph_ is.
    g = ref["graph"]
    keep = g["data"] >= g["data"].max() / 500
    ref_edges = dict(zip(zip(g["row"][keep], g["col"][keep]), g["data"][keep]))
    g = ours["graph"]
    our_edges = dict(zip(zip(g["row"], g["col"]), g["data"]))
    shared = ref_edges.keys() & our_edges.keys()
    assert len(shared) >= 0.99 * max(len(ref_edges), len(our_edges))
    np.testing.assert_allclose([our_edges[e] for e in shared], [ref_edges[e] for e in shared], atol=1e-4)


def test_ctrl_c_stops_a_fit(interrupted):
    code = """
        import numpy as np, unfold
        X = np.random.default_rng(0).random((20000, 50), dtype=np.float32)
        print("start", flush=True)
        try:
            unfold.UMAP(n_epochs=100000, random_state=0).fit(X)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    assert interrupted(code, wait=1.5) < 1.5
