"""unfold.measure.sectional_curvature against the triangle-comparison estimate written plainly in
numpy/scipy (Gu et al. 2019), with the references the core drew, and the CLI."""

import json
import os
import subprocess

import numpy as np
import pytest
from scipy.sparse.csgraph import shortest_path
from sklearn.neighbors import NearestNeighbors

import unfold


def reference(D, W, refs):
    """Each point's mean xi over its graph neighbours' pairs and the references a, d(a, m) > 0."""
    out = np.zeros(len(D))
    for m in range(len(D)):
        nb = np.flatnonzero(W[m] > 0)
        a = refs[D[refs, m] > 0]
        vals = [
            ((D[a, m] ** 2 + D[b, c] ** 2 / 4 - (D[a, b] ** 2 + D[a, c] ** 2) / 2) / (2 * D[a, m])).mean()
            for i, b in enumerate(nb) for c in nb[i + 1:]
        ]
        out[m] = np.mean(vals) if vals else 0.0
    return out


def knn_weights(X, k):
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    W = np.zeros((len(X), len(X)))
    W[np.repeat(np.arange(len(X)), k), idx[:, 1:].ravel()] = dist[:, 1:].ravel()
    return np.maximum(W, W.T)


def test_sampled_references_match_numpy():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    r = unfold.measure.sectional_curvature(X, n_neighbors=6, n_samples=25, random_state=7)
    assert r["references"].shape == (25,) and r["references"].dtype == np.int64
    W = knn_weights(X, 6)
    want = reference(shortest_path(W, directed=False), W, r["references"])
    np.testing.assert_allclose(r["curvature"], want, rtol=1e-5, atol=1e-6)
    assert r["mean"] == pytest.approx(want.mean(), abs=1e-6)
    again = unfold.measure.sectional_curvature(X, n_neighbors=6, n_samples=25, random_state=7, n_jobs=1)
    np.testing.assert_array_equal(again["curvature"], r["curvature"])


def test_precomputed_sphere_matches_numpy_and_is_positive():
    rng = np.random.default_rng(0)
    P = rng.normal(size=(150, 3))
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    G = np.arccos(np.clip(P @ P.T, -1, 1))
    np.fill_diagonal(G, 0)
    r = unfold.measure.sectional_curvature(G, n_neighbors=6, n_samples=None, metric="precomputed")
    np.testing.assert_array_equal(r["references"], np.arange(150))
    # The graph: each row's 6 smallest off-diagonal entries, symmetrised.
    idx = np.argsort(G + np.diag(np.full(150, np.inf)), axis=1)[:, :6]
    W = np.zeros_like(G)
    W[np.repeat(np.arange(150), 6), idx.ravel()] = 1.0
    W = np.maximum(W, W.T)
    G32 = G.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(r["curvature"], reference(G32, W, np.arange(150)), rtol=1e-9, atol=1e-12)
    # Irregular samples bend single points either way; the sphere shows on average.
    assert r["mean"] > 0 and np.median(r["curvature"]) > 0


def test_errors_name_the_parameter():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"n_neighbors.*\[1, n_samples - 1 = 19\]"):
        unfold.measure.sectional_curvature(X, n_neighbors=20)
    with pytest.raises(ValueError, match="n_samples.*at least 1"):
        unfold.measure.sectional_curvature(X, n_samples=0)
    with pytest.raises(ValueError, match="must be square"):
        unfold.measure.sectional_curvature(X, metric="precomputed")


def test_cli_agrees(tmp_path):
    cli = os.environ.get("UNFOLD_CLI")
    if not cli:
        pytest.skip("UNFOLD_CLI not set")
    X = np.random.default_rng(5).normal(size=(80, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    out = subprocess.run([cli, "measure", "curvature", str(tmp_path / "x.npy"), "--kind", "sectional", "--samples", "30",
                          "--seed", "4", "--per-point", str(tmp_path / "k.npy"), "--json", "--quiet"],
                         capture_output=True, text=True, check=True)
    r = unfold.measure.sectional_curvature(X, n_samples=30, random_state=4)
    assert json.loads(out.stdout)["mean_sectional_curvature"] == pytest.approx(r["mean"], rel=1e-12)
    np.testing.assert_array_equal(np.load(tmp_path / "k.npy"), r["curvature"])
