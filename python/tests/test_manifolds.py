"""unfold.manifolds: identities, closed forms against numpy, boundary safety, errors."""

import doctest

import numpy as np
import pytest

import unfold
from unfold import manifolds as M

VECTOR = [
    (M.Euclidean(), (3,)),
    (M.Sphere(), (4,)),
    (M.PoincareBall(c=1.0), (3,)),
    (M.PoincareBall(c=0.3), (2,)),
    (M.Stereographic(k=-0.5), (3,)),
    (M.Stereographic(k=0.7), (3,)),
    (M.Lorentz(k=1.0), (4,)),
    (M.SymmetricPositiveDefinite(), (3, 3)),
    (M.SymmetricPositiveDefinite("log-euclidean"), (3, 3)),
    (M.SymmetricPositiveDefinite("bures-wasserstein"), (3, 3)),
    (M.Stiefel(), (5, 2)),
    (M.Grassmann(), (5, 2)),
    (M.Flag([1, 2]), (5, 3)),
]


def small_tangent(m, x, r, seed):
    v = m.random_tangent(x, seed=seed)
    n = m.norm(x, v)
    return v * (r / n)[(...,) + (None,) * m.ndim]


@pytest.mark.parametrize("m,shape", VECTOR, ids=[repr(m) for m, _ in VECTOR])
def test_exp_log_roundtrip_and_distance(m, shape):
    x = m.random(7, *shape, seed=1)
    assert x.shape == (7, *shape)
    assert m.check_point_on_manifold(x)
    y = m.expmap(x, small_tangent(m, x, 0.6, 2))
    v = m.logmap(x, y)
    np.testing.assert_allclose(m.dist(m.expmap(x, v), y), 0, atol=1e-7)
    np.testing.assert_allclose(m.dist(x, y), m.norm(x, v), rtol=1e-7)
    np.testing.assert_allclose(m.dist(x, y), 0.6, rtol=1e-7)
    # Seeded and batch-shaped.
    np.testing.assert_array_equal(m.random(7, *shape, seed=1), x)
    assert m.random(2, 3, *shape, seed=0).shape == (2, 3, *shape)


def test_sphere_matches_numpy():
    s = M.Sphere()
    x = s.random(50, 3, seed=3)
    y = s.random(50, 3, seed=4)
    np.testing.assert_allclose(s.dist(x, y), np.arccos(np.clip((x * y).sum(1), -1, 1)), atol=1e-7)
    u = s.proju(x, np.ones_like(x))
    np.testing.assert_allclose((u * x).sum(1), 0, atol=1e-12)
    # Broadcasting one point against many.
    np.testing.assert_allclose(s.dist(x[0], y), s.dist(np.repeat(x[:1], 50, 0), y))


def test_poincare_distance_closed_form_and_lorentz_isometry():
    for c in (1.0, 0.5, 2.0):
        ball = M.PoincareBall(c=c)
        x = ball.random(40, 3, seed=5)
        y = ball.random(40, 3, seed=6)
        sq = ((x - y) ** 2).sum(1)
        want = np.arccosh(1 + 2 * c * sq / ((1 - c * (x**2).sum(1)) * (1 - c * (y**2).sum(1)))) / np.sqrt(c)
        np.testing.assert_allclose(ball.dist(x, y), want, rtol=1e-9)
        # To the hyperboloid of k = 1/c: x0 = √k (1 + c|p|²)/(1 − c|p|²), xi = 2p/(1 − c|p|²).
        k = 1 / c
        def lift(p):
            d = 1 - c * (p**2).sum(1, keepdims=True)
            return np.concatenate([np.sqrt(k) * (1 + c * (p**2).sum(1, keepdims=True)) / d, 2 * p / d], 1)
        lor = M.Lorentz(k=k)
        np.testing.assert_allclose(lor.dist(lift(x), lift(y)), want, rtol=1e-8)


def test_nothing_nan_or_inf_at_the_boundary():
    ball = M.PoincareBall(c=1.0)
    d = M.Sphere().random(30, 3, seed=7)
    near = d * (1 - 1e-7)
    inner = ball.random(30, 3, seed=8)
    big = 100 * d
    outs = [
        ball.dist(near, inner),
        ball.dist(near, near[::-1]),
        ball.logmap(near, inner),
        ball.logmap(inner, near),
        ball.expmap(near, big),
        ball.retr(near, big),
        ball.transp(inner, near, big),
        ball.egrad2rgrad(near, big),
        ball.projx(big),
    ]
    for out in outs:
        assert np.isfinite(out).all()
    assert ball.check_point_on_manifold(ball.expmap(near, big))


def test_stereographic_limits():
    x = M.PoincareBall(c=1).random(20, 2, seed=9)
    y = M.PoincareBall(c=1).random(20, 2, seed=10)
    np.testing.assert_array_equal(M.Stereographic(k=-1.0).dist(x, y), M.PoincareBall(c=1.0).dist(x, y))
    flat = M.Stereographic(k=0.0).dist(x, y)
    np.testing.assert_allclose(flat, 2 * np.linalg.norm(x - y, axis=1), rtol=1e-12)
    for k in (1e-8, -1e-8):
        np.testing.assert_allclose(M.Stereographic(k=k).dist(x, y), flat, rtol=1e-6)


def test_spd_affine_distance_against_scipy_free_eigen_formula():
    spd = M.SymmetricPositiveDefinite()
    x = spd.random(10, 3, 3, seed=11)
    y = spd.random(10, 3, 3, seed=12)
    want = []
    for a, b in zip(x, y):
        lam = np.linalg.eigvals(np.linalg.solve(a, b)).real
        want.append(np.sqrt((np.log(lam) ** 2).sum()))
    np.testing.assert_allclose(spd.dist(x, y), want, rtol=1e-8)
    le = M.SymmetricPositiveDefinite("log-euclidean")
    def logm(a):
        w, v = np.linalg.eigh(a)
        return (v * np.log(w)) @ v.T
    np.testing.assert_allclose(le.dist(x, y), [np.linalg.norm(logm(a) - logm(b)) for a, b in zip(x, y)], rtol=1e-8)


def test_grassmann_principal_angles():
    g = M.Grassmann()
    x = g.random(10, 6, 2, seed=13)
    y = g.random(10, 6, 2, seed=14)
    s = np.linalg.svd(np.swapaxes(x, 1, 2) @ y, compute_uv=False)
    np.testing.assert_allclose(g.dist(x, y), np.linalg.norm(np.arccos(np.clip(s, -1, 1)), axis=1), rtol=1e-6)


def test_product_signature_and_pairs():
    p = M.ProductManifold.from_signature("H2×S2×E2")
    x = p.random(5, seed=15)
    assert x.shape == (5, 7)
    q = M.ProductManifold((M.PoincareBall(), 2), (M.Sphere(), 3), (M.Euclidean(), 2))
    y = q.random(5, seed=16)
    np.testing.assert_allclose(p.dist(x, y), q.dist(x, y), rtol=1e-12)
    parts = (
        M.PoincareBall().dist(x[:, :2], y[:, :2]) ** 2
        + M.Sphere().dist(x[:, 2:5], y[:, 2:5]) ** 2
        + M.Euclidean().dist(x[:, 5:], y[:, 5:]) ** 2
    )
    np.testing.assert_allclose(p.dist(x, y), np.sqrt(parts), rtol=1e-12)
    spd_prod = M.ProductManifold((M.SymmetricPositiveDefinite(), (2, 2)), (M.Sphere(), 3))
    assert spd_prod.random(4, seed=0).shape == (4, 7)


def test_frechet_mean_median_and_tangent_pca():
    e = M.Euclidean()
    x = np.random.default_rng(0).normal(size=(30, 3))
    np.testing.assert_allclose(M.frechet_mean(e, x), x.mean(0), atol=1e-12)
    w = np.arange(1, 31, dtype=float)
    np.testing.assert_allclose(M.frechet_mean(e, x, w), (w[:, None] * x).sum(0) / w.sum(), atol=1e-12)
    line = np.array([[0.0, 0], [1, 0], [2, 0], [10, 0], [11, 0]])
    np.testing.assert_allclose(M.geometric_median(e, line, max_iter=1000, tol=1e-13), [2, 0], atol=1e-6)
    ball = M.PoincareBall()
    pts = np.array([[0.3, 0.2], [-0.3, -0.2]])
    np.testing.assert_allclose(M.frechet_mean(ball, pts), [0, 0], atol=1e-12)
    base, comps, var, scores = M.tangent_pca(e, x, n_components=2)
    cov = np.cov(x.T)
    np.testing.assert_allclose(var, np.sort(np.linalg.eigvalsh(cov))[::-1][:2], rtol=1e-9)
    assert scores.shape == (30, 2) and comps.shape == (2, 3)
    assert unfold.manifolds.Sphere is M.Sphere


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"invalid value for `c`.*positive"):
        M.PoincareBall(c=-1.0)
    with pytest.raises(ValueError, match=r"invalid value for `k`"):
        M.Lorentz(k=0.0)
    with pytest.raises(ValueError, match=r"invalid value for `metric`"):
        M.SymmetricPositiveDefinite("frobenius")
    with pytest.raises(ValueError, match=r"invalid value for `signature`.*\"Q2\""):
        M.ProductManifold.from_signature("H2xQ2")
    with pytest.raises(ValueError, match=r"row 1 is not a point of Sphere\(3\): not on the unit sphere"):
        M.Sphere().assert_check_point_on_manifold(np.array([[1.0, 0, 0], [2.0, 0, 0]]))
    with pytest.raises(ValueError, match=r"invalid value for `weights`"):
        M.frechet_mean(M.Sphere(), M.Sphere().random(3, 3, seed=0), weights=[-1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"`x` row 0 is not a point"):
        M.frechet_mean(M.PoincareBall(), np.array([[2.0, 0.0]]))
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer"):
        M.Sphere().random(3, 3, seed=-1)


def test_docstring_example():
    assert doctest.testmod(M, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
