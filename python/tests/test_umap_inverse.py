"""UMAP.inverse_transform against umap-learn's behaviour on scikit-learn's digits.

The embeddings of the two libraries differ, so the comparison is of quantities measured on each
library's own embedding: ``make_umap_inverse.py`` (beside this file) computes them for umap-learn
0.5.12 and stores them in ``umap_inverse_reference.json``; here the same function scores unfold.
"""
import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import unfold

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_umap_inverse", HERE / "make_umap_inverse.py")
reference_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference_script)
REFERENCE = json.loads((HERE / "umap_inverse_reference.json").read_text())["seeds"]


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data.astype(np.float32), d.target


@pytest.fixture(scope="module")
def fitted_digits(digits):
    return {seed: unfold.UMAP(random_state=seed).fit(digits[0]) for seed in (0, 1)}


def _bars():
    """umap-learn's worst seed on each score, with a margin of 0.1."""
    runs = list(REFERENCE.values())
    return {
        "train_median_relative_distance": max(r["train_median_relative_distance"] for r in runs) + 0.1,
        "train_self_in_10nn": min(r["train_self_in_10nn"] for r in runs) - 0.1,
        "grid_label_agreement_inside": min(r["grid_label_agreement_inside"] for r in runs) - 0.1,
    }


def _meets(scores):
    bar = _bars()
    return (
        scores["train_median_relative_distance"] <= bar["train_median_relative_distance"]
        and scores["train_self_in_10nn"] >= bar["train_self_in_10nn"]
        and scores["grid_label_agreement_inside"] >= bar["grid_label_agreement_inside"]
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_inverse_images_are_as_faithful_as_umap_learns(digits, fitted_digits, seed):
    X, labels = digits
    model = fitted_digits[seed]
    scores = reference_script.inverse_scores(X, labels, model.embedding_, model.inverse_transform)
    assert _meets(scores), f"unfold {scores} against umap-learn's worst seed less 0.1: {_bars()}"
    # Outside the convex hull umap-learn maps from an arbitrary simplex (agreement near 0);
    # unfold maps from the nearest embedded points, as well as inside.
    outside = scores["grid_label_agreement_outside"]
    assert outside is None or outside >= _bars()["grid_label_agreement_inside"], scores


def test_the_comparison_fails_for_trivial_inverses(digits, fitted_digits):
    """The bars reject the data's mean and random training rows, so the test above can fail."""
    X, labels = digits
    model = fitted_digits[0]
    rng = np.random.default_rng(0)
    trivial = {
        "mean": lambda P: np.tile(X.mean(axis=0), (len(P), 1)),
        "random rows": lambda P: X[rng.integers(0, len(X), len(P))],
        "one neighbour's mean for all": lambda P: np.tile(X[:64].mean(axis=0), (len(P), 1)),
    }
    for name, inverse in trivial.items():
        scores = reference_script.inverse_scores(X, labels, model.embedding_, inverse)
        assert not _meets(scores), f"{name}: {scores}"


def test_inverse_transform_shape_dtype_and_determinism(digits, fitted_digits):
    X = digits[0]
    model = fitted_digits[0]
    points = model.embedding_[:7] + np.float32(0.05)
    out = model.inverse_transform(points)
    assert out.shape == (7, X.shape[1]) and out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(out, model.inverse_transform(points))
    # A point's image does not depend on the batch, nor on a round trip through pickle.
    np.testing.assert_array_equal(out[2:4], model.inverse_transform(points[2:4]))
    np.testing.assert_array_equal(out, pickle.loads(pickle.dumps(model)).inverse_transform(points))
    # Lists and float64 are accepted; a point far outside the hull maps near its nearest cluster.
    far = model.inverse_transform([[1e3, 1e3]])
    assert far.shape == (1, X.shape[1]) and np.isfinite(far).all()


def test_inverse_transform_is_the_same_at_any_thread_count(digits):
    X = digits[0][:600]
    a = unfold.UMAP(n_epochs=60, random_state=3, n_jobs=1).fit(X)
    b = unfold.UMAP(n_epochs=60, random_state=3, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    grid = np.stack(np.meshgrid(np.linspace(0, 10, 5), np.linspace(0, 10, 5)), -1).reshape(-1, 2)
    np.testing.assert_array_equal(a.inverse_transform(grid), b.inverse_transform(grid))


def test_inverse_transform_refuses_what_umap_learn_refuses(digits):
    X = digits[0][:300]
    with pytest.raises(ValueError, match="metric.*cosine.*not supported by inverse_transform"):
        unfold.UMAP(metric="cosine", n_epochs=20, random_state=0).fit(X).inverse_transform([[0.0, 0.0]])
    with pytest.raises(ValueError, match="densmap.*not supported by inverse_transform"):
        unfold.UMAP(densmap=True, n_epochs=20, random_state=0).fit(X).inverse_transform([[0.0, 0.0]])
    D = np.linalg.norm(X[:60, None] - X[None, :60], axis=-1)
    with pytest.raises(ValueError, match="precomputed.*no data space"):
        unfold.UMAP(metric="precomputed", n_epochs=20, random_state=0).fit(D).inverse_transform([[0.0, 0.0]])


def test_inverse_transform_checks_its_input(digits):
    model = unfold.UMAP(n_epochs=20, random_state=0).fit(digits[0][:300])
    with pytest.raises(ValueError, match=r"X has 3 columns.*shape \(n_samples, 2\)"):
        model.inverse_transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="row 1, column 0"):
        model.inverse_transform([[0.0, 0.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        model.inverse_transform(np.zeros(2))
    with pytest.raises(Exception, match="not fitted"):
        unfold.UMAP().inverse_transform([[0.0, 0.0]])


def test_other_metrics_and_dimensions(digits):
    X = digits[0][:400]
    variances = {"V": X.var(axis=0) + 1.0}  # digits have constant pixels
    for kwargs in ({"metric": "manhattan"}, {"metric": "seuclidean", "metric_kwds": variances}, {"metric": "minkowski", "metric_kwds": {"p": 3}}, {"n_components": 3}):
        model = unfold.UMAP(n_epochs=50, random_state=0, **kwargs).fit(X)
        out = model.inverse_transform(model.embedding_[:5])
        assert out.shape == (5, 64) and np.isfinite(out).all()
        # Each inverse image lies nearer its own training row than the data's mean does.
        assert np.median(np.linalg.norm(out - X[:5], axis=1) / np.linalg.norm(X[:5] - X.mean(axis=0), axis=1)) < 1.0, kwargs
    with pytest.warns(UserWarning, match="low dimensional embeddings"):
        model = unfold.UMAP(n_components=8, n_epochs=20, random_state=0).fit(X)
        assert model.inverse_transform(model.embedding_[:2]).shape == (2, 64)
