"""UMAP(output_metric=...) in the hyperbolic plane and on the sphere, against umap-learn.

The reference trustworthiness (in each output distance, umap-learn 0.5.12 on the first 600 of
scikit-learn's digits) comes from crates/unfold-learn/tests/fixtures/make_umap_output_fixtures.py.
"""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import unfold
from unfold.plot import plane_coordinates

REFERENCE = json.loads((Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures/umap_output.json").read_text())
K = 15


def trustworthiness(X, embedded_distances, k=K):
    """T(k): euclidean ranks in X, neighbour sets from the embedded distances (brute force)."""
    n = X.shape[0]
    dx = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(dx, np.inf)
    order = np.argsort(dx, axis=1, kind="stable")
    ranks = np.empty_like(order)
    ranks[np.arange(n)[:, None], order] = np.arange(1, n + 1)[None, :]
    de = embedded_distances.copy()
    np.fill_diagonal(de, np.inf)
    nn = np.argsort(de, axis=1, kind="stable")[:, :k]
    r = ranks[np.arange(n)[:, None], nn] - k
    return 1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * np.maximum(r, 0).sum()


def hyperboloid_distances(Y):
    Y = Y.astype(np.float64)
    z = np.sqrt(1.0 + (Y**2).sum(1))
    return np.arccosh(np.maximum(z[:, None] * z[None, :] - Y @ Y.T, 1.0))


def poincare_distances(U):
    U = U.astype(np.float64)
    n2 = (U**2).sum(1)
    d2 = ((U[:, None, :] - U[None, :, :]) ** 2).sum(-1)
    return np.arccosh(1.0 + 2.0 * d2 / ((1.0 - n2)[:, None] * (1.0 - n2)[None, :]))


def haversine_distances(Y):
    t, p = Y[:, 0].astype(np.float64), Y[:, 1].astype(np.float64)
    P = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=1)
    return 2.0 * np.arcsin(np.clip(np.sqrt(((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)) / 2.0, 0.0, 1.0))


@pytest.fixture(scope="module")
def digits():
    return load_digits().data[:600].astype(np.float32)


@pytest.mark.parametrize(
    "metric, distances, peer, slack",
    [
        ("hyperboloid", hyperboloid_distances, "hyperboloid", 0.01),
        # umap-learn has no Poincaré gradient: the same hyperbolic plane against its hyperboloid.
        ("poincare", poincare_distances, "hyperboloid", 0.01),
        ("haversine", haversine_distances, "haversine", 0.01),
    ],
)
def test_as_trustworthy_as_umap_learn_in_the_output_distance(digits, metric, distances, peer, slack):
    trusts = []
    for seed in (0, 1, 2):
        Y = unfold.UMAP(output_metric=metric, random_state=seed).fit_transform(digits)
        assert Y.shape == (600, 2) and Y.dtype == np.float32 and np.isfinite(Y).all()
        if metric == "poincare":
            assert (np.linalg.norm(Y, axis=1) < 1.0).all()
        trusts.append(trustworthiness(digits.astype(np.float64), distances(Y)))
    assert np.mean(trusts) >= REFERENCE[peer]["mean"] - slack, (trusts, REFERENCE[peer])


def test_seeded_output_is_identical_at_one_and_two_threads(digits):
    for metric in ("hyperboloid", "poincare", "haversine"):
        one = unfold.UMAP(output_metric=metric, n_epochs=60, random_state=4, n_jobs=1).fit_transform(digits)
        two = unfold.UMAP(output_metric=metric, n_epochs=60, random_state=4, n_jobs=2).fit_transform(digits)
        assert np.array_equal(one, two), metric


def test_transform_pickle_and_refusals(digits):
    reducer = unfold.UMAP(output_metric="hyperboloid", n_epochs=60, random_state=0).fit(digits[:500])
    new = reducer.transform(digits[500:])
    assert new.shape == (100, 2) and np.isfinite(new).all()
    np.testing.assert_array_equal(reducer.transform(digits[:5]), reducer.embedding_[:5])
    again = pickle.loads(pickle.dumps(reducer))
    assert again.output_metric == "hyperboloid"
    np.testing.assert_array_equal(again.transform(digits[500:]), new)
    with pytest.raises(ValueError, match="`output_metric`: hyperboloid .*inverse_transform"):
        reducer.inverse_transform(reducer.embedding_[:3])
    with pytest.raises(ValueError, match="`output_metric`: sphere \\(must be one of euclidean, hyperboloid, poincare, haversine\\)"):
        unfold.UMAP(output_metric="sphere").fit(digits[:100])
    with pytest.raises(ValueError, match="`output_metric`: haversine \\(takes n_components = 2"):
        unfold.UMAP(output_metric="haversine", n_components=3).fit(digits[:100])
    with pytest.raises(ValueError, match="`output_metric_kwds`: \\{'p': 2\\} \\(the hyperboloid output metric takes no parameters"):
        unfold.UMAP(output_metric="hyperboloid", output_metric_kwds={"p": 2}).fit(digits[:100])
    # An empty dict is umap-learn's way of giving none.
    unfold.UMAP(output_metric="poincare", output_metric_kwds={}, n_epochs=5, random_state=0).fit(digits[:100])


def test_plane_coordinates_closed_forms():
    np.testing.assert_allclose(plane_coordinates(np.array([[3.0, 4.0]]), "hyperboloid"), [[3.0 / (1 + np.sqrt(26)), 4.0 / (1 + np.sqrt(26))]])
    # Colatitude pi/2 at longitude pi/4: the equator, 45 degrees east; the north pole: latitude pi/2.
    np.testing.assert_allclose(plane_coordinates(np.array([[np.pi / 2, np.pi / 4], [0.0, 1.0]]), "haversine"), [[np.pi / 4, 0.0], [0.0, np.pi / 2]], atol=1e-12)
    np.testing.assert_array_equal(plane_coordinates(np.array([[0.5, -0.25]]), "poincare"), [[0.5, -0.25]])
    with pytest.raises(ValueError, match="output_metric must be one of"):
        plane_coordinates(np.zeros((2, 2)), "sphere")


def test_scatter_draws_the_disk(digits):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    Y = unfold.UMAP(output_metric="hyperboloid", n_epochs=30, random_state=0).fit_transform(digits[:200])
    ax = unfold.plot.scatter(Y, np.arange(200) % 3, output_metric="hyperboloid")
    assert ax.get_xlim() == (-1.05, 1.05) and len(ax.patches) == 1
    xs = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections])
    assert np.abs(xs).max() < 1.0
