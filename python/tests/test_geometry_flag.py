"""unfold.geometry.flag_mean / flag_median: the Grassmann closed form (numpy's eigh), the
numpy reference of crates/unfold-learn/tests/fixtures/make_flag_mean_fixtures.py (the paper's
Stiefel problem by steepest descent, its IRLS median), robustness, errors and determinism."""

import doctest
import json
import pathlib

import numpy as np
import pytest

import unfold._flag_mean
from unfold.geometry import FlagAverage, flag_chordal_distance, flag_mean, flag_median

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"
CASES = json.loads((FIXTURES / "flag_mean_fixtures.json").read_text())


def case(name):
    c = CASES[name]
    w = None if c["weights"] is None else np.array(c["weights"])
    return np.array(c["X"]), c["signature"], w, c


def flag_gap(a, b, signature):
    """The largest entrywise difference of the projectors onto each nested subspace."""
    return max(np.abs(a[:, :d] @ a[:, :d].T - b[:, :d] @ b[:, :d].T).max() for d in signature)


def objective(X, Y, signature, w, power):
    starts = [0] + list(signature[:-1])
    d2 = np.array([
        sum((e - s) - np.sum((x[:, s:e].T @ Y[:, s:e]) ** 2) for s, e in zip(starts, signature)) for x in X
    ])
    w = np.ones(len(X)) if w is None else w
    return float(np.sum(w * np.sqrt(np.maximum(d2, 0.0)) ** power))


def test_grassmann_mean_is_the_closed_form():
    X, sig, w, _ = case("grassmann")
    P = np.einsum("i,iak,ibk->ab", w, X, X)
    top = np.linalg.eigh(P)[1][:, ::-1][:, : sig[0]]
    res = flag_mean(X, sig, w, return_all=True)
    assert isinstance(res, FlagAverage)
    assert res.n_iter == 0 and res.converged
    assert flag_gap(res.point, top, sig) < 1e-10
    assert res.point.shape == (7, 2)
    np.testing.assert_allclose(res.point.T @ res.point, np.eye(2), atol=1e-12)
    assert res.objective == pytest.approx(objective(X, res.point, sig, w, 2), rel=1e-10)
    # An int signature means one block.
    assert flag_gap(flag_mean(X, 2, w), top, [2]) < 1e-10


@pytest.mark.parametrize("name", ["flag123", "flag235_weighted", "outlier"])
def test_flag_mean_matches_the_reference(name):
    X, sig, w, c = case(name)
    res = flag_mean(X, sig, w, return_all=True)
    assert res.converged and res.n_iter >= 1
    assert flag_gap(res.point, np.array(c["mean"]), sig) < 1e-8
    assert res.objective <= objective(X, np.array(c["mean"]), sig, w, 2) * (1 + 1e-10)


@pytest.mark.parametrize("name", ["flag123", "flag235_weighted", "outlier"])
def test_flag_median_matches_the_reference(name):
    X, sig, w, c = case(name)
    res = flag_median(X, sig, w, conv_eps=1e-12, max_iters=2000, return_all=True)
    assert res.converged
    assert flag_gap(res.point, np.array(c["median"]), sig) < 1e-6
    assert res.objective == pytest.approx(objective(X, res.point, sig, w, 1), rel=1e-10)


def test_flag_median_resists_outliers():
    X, sig, _, c = case("outlier")
    center = np.array(c["center"])
    mean = flag_mean(X, sig)
    median = flag_median(X, sig)
    d_mean, d_median = flag_chordal_distance(mean, center, sig), flag_chordal_distance(median, center, sig)
    assert d_median < 0.4 * d_mean


def test_block_rotations_and_layout_do_not_matter():
    X, sig, w, _ = case("flag235_weighted")
    rng = np.random.default_rng(0)
    Xr = X.copy()
    for i in range(len(X)):
        q = np.linalg.qr(rng.standard_normal((2, 2)))[0]
        Xr[i, :, :2] = X[i, :, :2] @ q
    a = flag_mean(X, sig, w)
    b = flag_mean(Xr, sig, w)
    assert flag_gap(a, b, sig) < 1e-9
    # Fortran order and float32 input are converted.
    f = flag_mean(np.asfortranarray(X), sig, list(w))
    assert flag_gap(a, f, sig) < 1e-12


def test_determinism_across_threads():
    X, sig, w, _ = case("flag123")
    X = np.concatenate([X] * 20)
    w = np.linspace(0.5, 2.0, len(X))
    for fn in (flag_mean, flag_median):
        a = fn(X, sig, w, n_jobs=1, return_all=True)
        b = fn(X, sig, w, n_jobs=2, return_all=True)
        assert np.array_equal(a.point, b.point) and a.objective == b.objective and a.n_iter == b.n_iter


def test_errors_name_the_problem():
    X, sig, _, _ = case("flag123")
    with pytest.raises(ValueError, match="signature"):
        flag_mean(X, [1, 1, 3])
    with pytest.raises(ValueError, match="signature"):
        flag_mean(X[:, :, :2], [1, 2, 11])
    with pytest.raises(ValueError, match="n_k"):
        flag_mean(X, [1, 2])
    with pytest.raises(ValueError, match="3-d"):
        flag_mean(X[0], sig)
    with pytest.raises(TypeError, match="signature"):
        flag_mean(X, [1.5, 3])
    bad = X.copy()
    bad[4, 0, 0] += 0.1
    with pytest.raises(ValueError, match="row 4.*orthonormal"):
        flag_mean(bad, sig)
    with pytest.raises(ValueError, match="weights"):
        flag_mean(X, sig, np.ones(3))
    w = np.ones(len(X))
    w[2] = -1
    with pytest.raises(ValueError, match="weight 2"):
        flag_median(X, sig, w)
    with pytest.raises(ValueError, match="positive sum"):
        flag_mean(X, sig, np.zeros(len(X)))
    with pytest.raises(ValueError, match="initial_point"):
        flag_mean(X, sig, initial_point=np.ones((10, 3)))
    with pytest.raises(ValueError, match="wt_eps"):
        flag_median(X, sig, wt_eps=0.0)
    with pytest.raises(ValueError, match="conv_eps"):
        flag_median(X, sig, conv_eps=np.nan)
    with pytest.raises(ValueError, match="max_iters"):
        flag_mean(X, sig, max_iters=0)
    with pytest.raises(ValueError, match="n_jobs"):
        flag_mean(X, sig, n_jobs=0)


def test_docstring_examples():
    result = doctest.testmod(unfold._flag_mean, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
