"""unfold.measure.ollivier_ricci: closed forms and an independent transport computation."""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse.csgraph import shortest_path

import unfold


def circle(n):
    t = np.arange(n) * 2 * np.pi / n
    return np.c_[np.cos(t), np.sin(t)].astype(np.float32)


def test_circle_is_flat():
    r = unfold.measure.ollivier_ricci(circle(20), n_neighbors=2, weighted=False)
    assert r["edges"].shape == (20, 2)
    np.testing.assert_allclose(r["edge_curvature"], 0, atol=1e-9)
    np.testing.assert_allclose(r["curvature"], 0, atol=1e-9)


def test_edges_match_a_linear_program():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    r = unfold.measure.ollivier_ricci(X, n_neighbors=4, alpha=0.3)
    # The same graph and measures, the transport solved by scipy's linprog.
    n = len(X)
    D = np.sqrt(((X[:, None].astype(np.float64) - X[None]) ** 2).sum(-1))
    A = np.zeros((n, n))
    for i in range(n):
        for j in np.argsort(D[i], kind="stable")[1:5]:
            A[i, j] = A[j, i] = np.float32(D[i, j])
    sp = shortest_path(A, directed=False)

    def measure(x):
        nb = np.flatnonzero(A[x])
        w = np.exp(-A[x, nb] ** 2)
        return list(nb) + [x], list(0.7 * w / w.sum()) + [0.3]

    for (x, y), k in list(zip(r["edges"], r["edge_curvature"]))[:40]:
        (sx, mx), (sy, my) = measure(x), measure(y)
        C = sp[np.ix_(sx, sy)]
        a, b = len(sx), len(sy)
        eq = np.zeros((a + b, a * b))
        for i in range(a):
            eq[i, i * b:(i + 1) * b] = 1
        for j in range(b):
            eq[a + j, j::b] = 1
        res = linprog(C.ravel(), A_eq=eq, b_eq=np.r_[mx, my], bounds=(0, None), method="highs")
        assert k == pytest.approx(1 - res.fun / sp[x, y], abs=1e-6)
    edge_mean = np.zeros(n)
    count = np.zeros(n)
    for (x, y), k in zip(r["edges"], r["edge_curvature"]):
        edge_mean[[x, y]] += k
        count[[x, y]] += 1
    np.testing.assert_allclose(r["curvature"], edge_mean / count, atol=1e-12)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="alpha"):
        unfold.measure.ollivier_ricci(circle(10), alpha=-0.1)
    with pytest.raises(ValueError, match="n_neighbors"):
        unfold.measure.ollivier_ricci(circle(10), n_neighbors=10)
