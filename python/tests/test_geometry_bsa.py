"""Barycentric subspace analysis: closed forms, the brute-force reference of
crates/unfold-learn/tests/fixtures/make_bsa_fixtures.py, the Poincaré ball, errors."""

import json
import pathlib

import numpy as np
import pytest
from scipy.optimize import minimize

from unfold.geometry import BarycentricSubspaceAnalysis, barycentric_subspace_analysis
from unfold.manifolds import Euclidean, Lorentz, PoincareBall, Sphere

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures/bsa_reference.json"
METHODS = ["forward", "pure", "backward", "auv"]


def projector(rows):
    q, _ = np.linalg.qr(np.asarray(rows).T)
    return q @ q.T


def great_circle_data(rng, n=30):
    u, _ = np.linalg.qr(rng.normal(size=(4, 2)))
    t = rng.uniform(-1.0, 1.0, size=n)
    return np.outer(np.cos(t), u[:, 0]) + np.outer(np.sin(t), u[:, 1]), u


def noisy_sphere(rng, n=40):
    mean = np.array([1.0, 0.0, 0.0, 0.0])
    v = rng.normal(size=(n, 4)) * np.array([0.0, 0.8, 0.4, 0.1])
    t = np.linalg.norm(v, axis=1, keepdims=True)
    return np.cos(t) * mean + np.sin(t) * v / t


@pytest.mark.parametrize("method", METHODS)
def test_points_on_a_great_circle_are_explained_exactly(method):
    x, u = great_circle_data(np.random.default_rng(0))
    bsa = BarycentricSubspaceAnalysis(Sphere(), n_components=1, method=method).fit(x)
    assert bsa.unexplained_variance_[1] < 1e-20
    np.testing.assert_allclose(projector(bsa.subspace_bases_[1]), u @ u.T, atol=1e-9)
    np.testing.assert_allclose(bsa.project(x), x, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(bsa.reference_points_, axis=1), 1.0, atol=1e-12)
    w = bsa.transform(x)
    assert w.shape == (30, 2)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    # The weights rebuild the point: y ∝ Σ λᵢ θᵢ / sin θᵢ xᵢ (Pennec's closed form).
    theta = np.arccos(np.clip(x @ bsa.reference_points_.T, -1, 1))
    ratio = np.where(theta > 0, theta / np.sin(np.where(theta > 0, theta, 1.0)), 1.0)
    y = (w * ratio) @ bsa.reference_points_
    np.testing.assert_allclose(y / np.linalg.norm(y, axis=1, keepdims=True), x, atol=1e-9)


def test_points_on_a_geodesic_of_the_hyperboloid_are_explained_exactly():
    k = 1.7
    a = 0.5
    t = np.array([np.cosh(a), 0.0, np.sinh(a), 0.0])
    s = np.array([0.0, 1.0, 0.0, 0.0])
    r = np.linspace(-1.5, 2.0, 25)[:, None]
    x = np.sqrt(k) * (np.cosh(r) * t + np.sinh(r) * s)
    for method in METHODS:
        bsa = BarycentricSubspaceAnalysis(Lorentz(k), n_components=1, method=method).fit(x)
        assert bsa.unexplained_variance_[1] < 1e-18
        np.testing.assert_allclose(projector(bsa.subspace_bases_[1]), projector([t, s]), atol=1e-8)
        np.testing.assert_allclose(bsa.project(x), x, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_subspaces_match_the_brute_force_reference(method):
    for case in json.loads(FIXTURE.read_text()):
        x = np.array(case["x"])
        manifold = Sphere() if case["kind"] == "sphere" else Lorentz(case["k"])
        bsa = BarycentricSubspaceAnalysis(manifold, n_components=case["n_components"], method=method).fit(x)
        ref = case[method]
        for k, basis in enumerate(bsa.subspace_bases_):
            np.testing.assert_allclose(projector(basis), np.array(ref["projectors"][k]), atol=1e-6, err_msg=f"{case['name']} k={k}")
        np.testing.assert_allclose(bsa.unexplained_variance_, ref["unexplained_variance"], rtol=1e-6)


def test_forward_step_matches_a_direct_minimisation():
    # The first forward direction: minimise Σ arccos²‖P x‖ over planes through the mean.
    x = noisy_sphere(np.random.default_rng(1))
    bsa = BarycentricSubspaceAnalysis(Sphere(), n_components=1).fit(x)
    p0 = bsa.subspace_bases_[0][0]

    def cost(v):
        q, _ = np.linalg.qr(np.column_stack([p0, v]))
        return np.mean(np.arccos(np.clip(np.linalg.norm(x @ q, axis=1), -1, 1)) ** 2)

    best = min((minimize(cost, v0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000}) for v0 in np.eye(4)), key=lambda r: r.fun)
    assert bsa.unexplained_variance_[1] <= best.fun + 1e-10
    assert best.fun - bsa.unexplained_variance_[1] < 1e-8


def test_unexplained_variance_decreases_and_vanishes_at_full_dimension():
    x = noisy_sphere(np.random.default_rng(2))
    for method in METHODS:
        bsa = BarycentricSubspaceAnalysis(Sphere(), n_components=3, method=method).fit(x)
        uv = bsa.unexplained_variance_
        assert np.all(np.diff(uv) <= 1e-12), (method, uv)
        assert uv[3] < 1e-24
        np.testing.assert_allclose(bsa.explained_variance_, bsa.total_variance_ - uv)


def test_poincare_ball_is_the_hyperboloid_mapped():
    rng = np.random.default_rng(3)
    c = 0.5
    ball = rng.normal(size=(30, 3)) * np.array([0.6, 0.3, 0.05])
    ball /= 1 + np.linalg.norm(ball, axis=1, keepdims=True)
    ball *= 1 / np.sqrt(c)
    # The inverse of the hyperboloid → ball map x ↦ √k x₁.. / (x₀ + √k), k = 1/c.
    k = 1 / c
    sq = np.sum(ball**2, axis=1, keepdims=True)
    hyper = np.hstack([np.sqrt(k) * (k + sq) / (k - sq), 2 * k * ball / (k - sq)])
    a = BarycentricSubspaceAnalysis(PoincareBall(c), n_components=2, method="auv").fit(ball)
    b = BarycentricSubspaceAnalysis(Lorentz(k), n_components=2, method="auv").fit(hyper)
    np.testing.assert_allclose(a.unexplained_variance_, b.unexplained_variance_, rtol=1e-9)
    back = np.sqrt(k) * b.reference_points_[:, 1:] / (b.reference_points_[:, :1] + np.sqrt(k))
    np.testing.assert_allclose(a.reference_points_, back, atol=1e-9)
    assert np.all(np.linalg.norm(a.project(ball), axis=1) < 1 / np.sqrt(c))
    np.testing.assert_allclose(a.residuals(ball), b.residuals(hyper), atol=1e-9)


def test_function_returns_points_projections_and_variances():
    x = noisy_sphere(np.random.default_rng(4))
    refs, proj, uv = barycentric_subspace_analysis(Sphere(), x, n_components=2, method="fbs")
    assert refs.shape == (3, 4) and proj.shape == x.shape and uv.shape == (3,)
    np.testing.assert_allclose(np.linalg.norm(proj, axis=1), 1.0, atol=1e-12)


def test_results_do_not_depend_on_the_thread_count():
    x = np.tile(noisy_sphere(np.random.default_rng(5)), (40, 1))
    for method in METHODS:
        one = BarycentricSubspaceAnalysis(Sphere(), n_components=2, method=method, n_jobs=1).fit(x)
        two = BarycentricSubspaceAnalysis(Sphere(), n_components=2, method=method, n_jobs=2).fit(x)
        assert np.array_equal(one.reference_points_, two.reference_points_)
        assert np.array_equal(one.unexplained_variance_, two.unexplained_variance_)


def test_bad_input_is_refused_clearly():
    x = noisy_sphere(np.random.default_rng(6))
    with pytest.raises(TypeError, match="Sphere, Lorentz or PoincareBall"):
        BarycentricSubspaceAnalysis(Euclidean()).fit(x)
    with pytest.raises(ValueError, match="manifold must be given"):
        BarycentricSubspaceAnalysis().fit(x)
    with pytest.raises(ValueError, match="n_components"):
        BarycentricSubspaceAnalysis(Sphere(), n_components=4).fit(x)
    with pytest.raises(ValueError, match="method must be one of"):
        BarycentricSubspaceAnalysis(Sphere(), method="sideways").fit(x)
    bad = x.copy()
    bad[3] *= 1.1
    with pytest.raises(ValueError, match="row 3"):
        BarycentricSubspaceAnalysis(Sphere()).fit(bad)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="row 3 is not finite"):
        BarycentricSubspaceAnalysis(Sphere()).fit(bad)
    with pytest.raises(ValueError, match="row 1 is not a point of the Poincaré ball"):
        BarycentricSubspaceAnalysis(PoincareBall(1.0)).fit(np.array([[0.1, 0.2], [1.0, 0.5]]))
    bsa = BarycentricSubspaceAnalysis(Sphere(), n_components=1).fit(x)
    with pytest.raises(ValueError, match="k must be an integer between 0 and n_components"):
        bsa.transform(x, k=2)
    with pytest.raises(ValueError, match="n_jobs"):
        BarycentricSubspaceAnalysis(Sphere(), n_jobs=0).fit(x)
