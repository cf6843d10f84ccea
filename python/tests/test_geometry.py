"""unfold.geometry: fixed-dimension manifolds, their names and shapes, and the optimisers on a
user's numpy objective, checked against closed forms."""

import doctest

import numpy as np
import pytest

from unfold import geometry as G
from unfold import manifolds as M

# (manifold, point shape, intrinsic dimension by its closed form)
SPACES = [
    (G.Euclidean(3), (3,), 3),
    (G.Sphere(2), (3,), 2),
    (G.Sphere(9), (10,), 9),
    (G.PoincareBall(3, c=0.5), (3,), 3),
    (G.Lorentz(2), (3,), 2),
    (G.Stereographic(3, k=0.4), (3,), 3),
    (G.Stereographic(2, k=-1.0), (2,), 2),
    (G.SPD(3), (3, 3), 6),
    (G.SPD(2, metric="log_euclidean"), (2, 2), 3),
    (G.SPD(3, metric="bures_wasserstein"), (3, 3), 6),
    (G.Stiefel(5, 2), (5, 2), 5 * 2 - 3),
    (G.Grassmann(5, 2), (5, 2), 2 * 3),
    (G.Flag(5, (1, 3)), (5, 3), 1 * 2 + 1 * 2 + 2 * 2),  # blocks 1, 2 and the complement 2: Σ bᵢbⱼ
    (G.Product([G.PoincareBall(2), G.Sphere(2), G.Euclidean(2)]), (7,), 6),
    (G.Product.from_signature("H2xS2xE2"), (7,), 6),
]
IDS = [repr(m) for m, _, _ in SPACES]


@pytest.mark.parametrize("m,shape,dim", SPACES, ids=IDS)
def test_shape_dimension_and_identities(m, shape, dim):
    assert m.shape == shape and m.dim == dim
    x = m.random_point(6, random_state=0)
    assert x.shape == (6, *shape) and m.check_point(x)
    one = m.random_point(random_state=0)
    assert one.shape == shape  # one point without a batch axis, as geomstats
    np.testing.assert_array_equal(m.random_point(6, random_state=0), x)
    v = m.random_tangent(x, random_state=1)
    v *= (0.5 / m.norm(x, v))[(...,) + (None,) * len(shape)]
    y = m.exp(x, v)
    np.testing.assert_allclose(m.dist(x, y), 0.5, rtol=1e-8)
    np.testing.assert_allclose(m.dist(m.exp(x, m.log(x, y)), y), 0, atol=1e-7)
    # Parallel transport preserves inner products (the models whose transp is a projection
    # — Stiefel, Grassmann, flags, Bures–Wasserstein — say so and are left out).
    u = m.random_tangent(x, random_state=2)
    if m._core_for(shape).transp_is_isometric:
        np.testing.assert_allclose(m.inner(y, m.transp(x, y, u), m.transp(x, y, v)), m.inner(x, u, v), rtol=1e-7, atol=1e-9)
    # proj is the tangent projection: idempotent, and the Riemannian gradient lies in it.
    g = np.random.default_rng(3).normal(size=x.shape)
    p = m.proj(x, g)
    np.testing.assert_allclose(m.proj(x, p), p, atol=1e-10)


def test_the_same_core_as_unfold_manifolds():
    g, old = G.PoincareBall(4, c=0.7), M.PoincareBall(c=0.7)
    x, y = g.random_point(20, random_state=1), g.random_point(20, random_state=2)
    np.testing.assert_array_equal(g.dist(x, y), old.dist(x, y))
    np.testing.assert_array_equal(g.log(x, y), old.logmap(x, y))
    # Closed forms: the sphere's great-circle distance and the ball's arcosh formula.
    s = G.Sphere(3)
    a, b = s.random_point(30, random_state=3), s.random_point(30, random_state=4)
    np.testing.assert_allclose(s.dist(a, b), np.arccos(np.clip((a * b).sum(1), -1, 1)), atol=1e-7)
    sq = ((x - y) ** 2).sum(1)
    want = np.arccosh(1 + 2 * 0.7 * sq / ((1 - 0.7 * (x**2).sum(1)) * (1 - 0.7 * (y**2).sum(1)))) / np.sqrt(0.7)
    np.testing.assert_allclose(g.dist(x, y), want, rtol=1e-9)


def test_random_state_forms():
    s = G.Sphere(4)
    a = s.random_point(5, random_state=np.random.default_rng(7))
    b = s.random_point(5, random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    c = s.random_point(5, random_state=np.random.RandomState(7))
    assert c.shape == (5, 5) and s.check_point(c)
    assert not np.array_equal(s.random_point(5), s.random_point(5))
    for bad in (-1, 1.5, "x", True):
        with pytest.raises(ValueError, match="random_state"):
            s.random_point(2, random_state=bad)
    with pytest.raises(ValueError, match="n_samples"):
        s.random_point(0)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"Sphere\(2\) points have shape \(3,\), got arrays whose last axes are \(4,\)"):
        G.Sphere(2).dist(np.ones((2, 4)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="metric must be one of"):
        G.SPD(3, metric="affine-invariant")
    with pytest.raises(ValueError, match="signature must be strictly increasing"):
        G.Flag(4, (2, 2))
    with pytest.raises(ValueError, match="signature must be strictly increasing"):
        G.Flag(4, (1, 5))
    with pytest.raises(ValueError, match="p must be at most n"):
        G.Stiefel(2, 3)
    with pytest.raises(ValueError, match="n must be an integer"):
        G.Sphere(0)
    with pytest.raises(ValueError, match="c"):
        G.PoincareBall(2, c=-1.0)
    with pytest.raises(ValueError, match="each factor must be an unfold.geometry manifold"):
        G.Product([M.Sphere()])
    assert not G.Sphere(2).check_point(np.array([1.0, 1.0, 0.0]))


def test_statistics_take_geometry_manifolds():
    # Points symmetric about the north pole of S^2: the Fréchet mean is the pole.
    s = G.Sphere(2)
    t = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    x = np.stack([0.6 * np.cos(t), 0.6 * np.sin(t), np.full(8, 0.8)], 1)
    np.testing.assert_allclose(G.frechet_mean(s, x), [0, 0, 1], atol=1e-10)
    np.testing.assert_allclose(G.geometric_median(s, x), [0, 0, 1], atol=1e-8)


METHODS = [("armijo", {}), ("sgd", {"lr": 0.1, "momentum": 0.5}), ("adam", {"lr": 0.05}), ("amsgrad", {"lr": 0.05})]


@pytest.mark.parametrize("method,kw", METHODS, ids=[m for m, _ in METHODS])
def test_minimize_finds_the_top_eigenvector(method, kw):
    rng = np.random.default_rng(0)
    B = rng.normal(size=(8, 8))
    A = B + B.T
    w, V = np.linalg.eigh(A)
    res = G.minimize(G.Sphere(7), lambda x: (-x @ A @ x, -2 * A @ x), G.Sphere(7).random_point(random_state=1),
                     method=method, max_iter=20000, **kw)
    assert res.success, res
    np.testing.assert_allclose(-res.fun, w[-1], rtol=1e-9)
    np.testing.assert_allclose(abs(res.x @ V[:, -1]), 1, atol=1e-6)
    assert set(res) == {"x", "fun", "grad_norm", "nit", "success", "message"}


def test_minimize_on_spd_finds_the_gaussian_maximum_likelihood():
    # f(P) = tr(P⁻¹S) + log det P is minimised at P = S; ∇f = P⁻¹ − P⁻¹ S P⁻¹.
    rng = np.random.default_rng(1)
    B = rng.normal(size=(3, 3))
    S = B @ B.T + np.eye(3)

    def f(P):
        inv = np.linalg.inv(P)
        return np.trace(inv @ S) + np.linalg.slogdet(P)[1], inv - inv @ S @ inv

    for metric in ("affine", "log_euclidean", "bures_wasserstein"):
        res = G.minimize(G.SPD(3, metric=metric), f, np.eye(3), grad_tol=1e-8)
        # The line search cannot see a decrease of f ≈ 5 below a gradient norm of about
        # √(ε f) ≈ 3e-8: with some LAPACK builds the log-Euclidean run stops there, a hair above
        # 1e-8 ("no decrease after 50 halvings"), at the same minimiser.
        assert res.success or res.grad_norm < 3e-8, (metric, res)
        np.testing.assert_allclose(res.x, S, rtol=1e-6, atol=1e-6)


def test_minimize_many_points_at_once_on_stiefel():
    # −tr(XᵀAX) over frames: the top-2 eigenspace; each of 3 frames in the batch finds it.
    rng = np.random.default_rng(2)
    B = rng.normal(size=(6, 6))
    A = B + B.T
    top = np.linalg.eigh(A)[1][:, -2:]
    st = G.Stiefel(6, 2)
    x0 = st.random_point(3, random_state=4)

    def f(X):
        return -np.einsum("bij,ik,bkj->", X, A, X), -2 * np.einsum("ik,bkj->bij", A, X)

    res = G.minimize(st, f, x0, max_iter=5000)
    assert res.success and res.x.shape == (3, 6, 2)
    for X in res.x:
        np.testing.assert_allclose(X @ X.T, top @ top.T, atol=1e-6)


def test_minimize_errors():
    s = G.Sphere(2)
    x0 = np.array([0.0, 0.0, 1.0])

    def boom(x):
        raise KeyError("from the objective")

    with pytest.raises(KeyError, match="from the objective"):
        G.minimize(s, boom, x0)
    with pytest.raises(KeyError, match="from the objective"):
        G.minimize(s, boom, x0, method="adam")
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\), expected x0's shape \(3,\)"):
        G.minimize(s, lambda x: (0.0, np.zeros(2)), x0)
    with pytest.raises(ValueError, match="gradient is not finite at flat index 1"):
        G.minimize(s, lambda x: (0.0, np.array([0.0, np.nan, 0.0])), x0)
    with pytest.raises(TypeError, match=r"pair \(value, gradient\)"):
        G.minimize(s, lambda x: 1.0, x0)
    with pytest.raises(RuntimeError, match="the objective returned NaN"):
        G.minimize(s, lambda x: (np.nan, np.zeros(3)), x0)
    with pytest.raises(ValueError, match="method must be one of"):
        G.minimize(s, lambda x: (0.0, np.zeros(3)), x0, method="lbfgs")
    with pytest.raises(ValueError, match="lr"):
        G.minimize(s, lambda x: (0.0, np.zeros(3)), x0, method="sgd", lr=-1.0)
    with pytest.raises(ValueError, match="x0"):
        G.minimize(s, lambda x: (0.0, np.zeros(3)), np.array([1.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match="fun must be a callable"):
        G.minimize(s, None, x0)


def test_docstrings_run():
    result = doctest.testmod(G)
    assert result.attempted > 0 and result.failed == 0
