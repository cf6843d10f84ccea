"""unfold.measure.DANCo against scikit-dimension 0.5's DANCo, saved as fixtures by
crates/unfold-learn/tests/fixtures/make_danco_fixtures.py (scikit-dimension is not a test
requirement), and balls of known dimension."""

import json
import pathlib

import numpy as np
import pytest

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"


def _expected():
    return json.loads((FIXTURES / "danco_expected.json").read_text())


def _ball(n, d, cols, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, d))
    x = g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((n, 1)) ** (1 / d)
    return x @ rng.standard_normal((d, cols))


def test_mind_ml_versions_equal_scikit_dimension():
    e = _expected()["small"]
    X = np.load(FIXTURES / "danco_small.npy")
    assert unfold.measure.DANCo(ver="MIND_MLk").fit(X).dimension_ == pytest.approx(e["mind_mlk"], rel=1e-6)
    assert unfold.measure.DANCo(ver="MIND_MLi").fit(X).dimension_ == e["mind_mli"]


@pytest.mark.parametrize("name", ["M2_Affine_3to5", "M7_Roll"])
def test_benchmark_sets_match_scikit_dimension(name):
    row = _expected()["benchmark"][name]
    X = np.load(FIXTURES / f"danco_{name}.npy")
    whole = unfold.measure.DANCo(fractal=False, random_state=0).fit(X).dimension_
    assert whole in row["whole"]
    got = [unfold.measure.DANCo(random_state=s).fit(X).dimension_ for s in range(3)]
    # The calibration balls are random: the fractal estimates agree within their noise.
    assert abs(np.mean(got) - np.mean(row["fractal"])) < 0.1 + np.ptp(got) + np.ptp(row["fractal"])


def test_ball_fit_attributes_and_calibration_reuse():
    X = _ball(1500, 4, 7, 0)
    est = unfold.measure.DANCo(random_state=1).fit(X)
    assert abs(est.dimension_ - 4) < 0.5
    cal = est.calibration_data_
    assert (cal["k"], cal["N"], cal["maxdim"]) == (10, 1500, 7)
    assert [sorted(c) for c in cal["calibration_data"]] == [["dhat", "mu_nu", "mu_tau"]] * 7
    assert np.isfinite(est.kl_divergence_)
    # Reused calibration data: nothing is drawn again, so any seed gives the same estimate.
    again = unfold.measure.DANCo(calibration_data=cal, random_state=99).fit(X)
    assert again.dimension_ == est.dimension_
    assert unfold.measure.intrinsic_dimension(X, method="danco", random_state=1) == est.dimension_
    one = unfold.measure.DANCo(random_state=1, n_jobs=1).fit(X).dimension_
    two = unfold.measure.DANCo(random_state=1, n_jobs=2).fit(X).dimension_
    assert one == two == est.dimension_
    assert unfold.measure.DANCo(random_state=1, fractal=False).fit(X).dimension_ == 4.0
    assert not hasattr(unfold.measure.DANCo(ver="MIND_MLk").fit(X), "calibration_data_")


def test_bad_input_is_named():
    X = _ball(300, 3, 5, 2)
    with pytest.raises(ValueError, match="ver must be one of 'DANCo', 'MIND_MLk', 'MIND_MLi', got 'DANCoFit'"):
        unfold.measure.DANCo(ver="DANCoFit").fit(X)
    with pytest.raises(ValueError, match="`D`: 0"):
        unfold.measure.DANCo(D=0).fit(X)
    with pytest.raises(ValueError, match="row 4: .*duplicate"):
        unfold.measure.DANCo().fit(np.vstack([X, X[4:5]]))
    cal = unfold.measure.DANCo(D=2, random_state=0).fit(X).calibration_data_
    with pytest.raises(ValueError, match="calibration_data.*N = 300 points, but the data has 200"):
        unfold.measure.DANCo(D=2, calibration_data=cal).fit(X[:200])
    with pytest.raises(ValueError, match="per_point is not available for danco"):
        unfold.measure.intrinsic_dimension(X, method="danco", per_point=True)
    with pytest.warns(UserWarning, match="k larger or equal"):
        unfold.measure.DANCo(k=299, D=2, random_state=0).fit(X)
