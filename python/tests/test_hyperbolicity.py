"""unfold.measure.hyperbolicity against brute force over all quadruples, and closed forms."""

from itertools import combinations

import numpy as np
import pytest

import unfold


def brute_force(D):
    best = 0.0
    for x, y, z, w in combinations(range(len(D)), 4):
        s = sorted([D[x, y] + D[z, w], D[x, z] + D[y, w], D[x, w] + D[y, z]], reverse=True)
        best = max(best, (s[0] - s[1]) / 2)
    return best


def test_cycle_closed_form():
    for n in range(4, 20):
        i = np.arange(n)
        diff = np.abs(i[:, None] - i[None, :])
        D = np.minimum(diff, n - diff).astype(np.float32)
        k = n // 4
        assert unfold.measure.hyperbolicity(D, metric="precomputed")["delta"] == (k - 0.5 if n % 4 == 1 else k)


def test_exact_matches_brute_force_on_points():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, 4)).astype(np.float32)
    D = np.sqrt(((X[:, None].astype(np.float64) - X[None]) ** 2).sum(-1))
    h = unfold.measure.hyperbolicity(X)
    assert h["method"] == "exact"
    assert h["delta"] == pytest.approx(brute_force(D), abs=1e-5)
    assert h["delta_base_point"] <= h["delta"] + 1e-9 <= 2 * h["delta_base_point"] + 1e-9
    s = unfold.measure.hyperbolicity(X, method="sampled", n_samples=2000, random_state=0)
    assert s["method"] == "sampled" and s["n_quadruples"] == 2000 and s["delta"] <= h["delta"] + 1e-9
    assert s == unfold.measure.hyperbolicity(X, method="sampled", n_samples=2000, random_state=0, n_jobs=1)


def test_line_is_a_tree_along_its_knn_graph():
    # Edge lengths and geodesics are float32: 0 up to their rounding (the diameter is 162).
    X = (np.arange(30.0) ** 1.5)[:, None]
    h = unfold.measure.hyperbolicity(X, n_neighbors=3)
    assert h["delta"] == pytest.approx(0.0, abs=1e-4) and h["diameter"] == pytest.approx(29**1.5, rel=1e-6)


def test_bad_parameters_are_named():
    X = np.arange(10.0)[:, None]
    with pytest.raises(ValueError, match="n_samples"):
        unfold.measure.hyperbolicity(X, n_samples=0)
    with pytest.raises(ValueError, match="method"):
        unfold.measure.hyperbolicity(X, method="fast")
    with pytest.raises(ValueError, match="n_neighbors"):
        unfold.measure.hyperbolicity(X, n_neighbors=10)
