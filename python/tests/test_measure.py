"""unfold.measure against scikit-dimension 0.5's values, saved as fixtures by
crates/unfold-learn/tests/fixtures/make_intrinsic_dim_fixtures.py (scikit-dimension is not a
test requirement), and closed forms."""

import json
import pathlib

import numpy as np
import pytest

import unfold
from unfold.measure import ESS, MADA, MLE, CorrInt, MiND_ML, TwoNN, intrinsic_dimension, lPCA

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"
EXPECTED = json.loads((FIXTURES / "id_expected.json").read_text())
SETS = ["id_ball", "id_sphere"]


def load(name):
    return np.load(FIXTURES / f"{name}.npy")


@pytest.mark.parametrize("name", SETS)
def test_estimators_equal_scikit_dimension(name):
    X, e = load(name), EXPECTED[name]
    assert TwoNN().fit(X).dimension_ == pytest.approx(e["twonn_linear"], rel=1e-5)
    assert TwoNN(method="mle").fit_transform(X) == pytest.approx(e["twonn_mle"], rel=1e-5)
    mle = MLE().fit(X)
    assert mle.dimension_ == pytest.approx(e["mle"], rel=1e-5)
    np.testing.assert_allclose(mle.dimension_pw_, e["mle_pw"], rtol=1e-5)
    assert (mle.n_neighbors_, mle.comb_) == (20, "mle")
    assert MLE().fit(X, comb="median").dimension_ == pytest.approx(e["mle_median"], rel=1e-5)
    assert MLE(unbiased=True).fit(X).dimension_ == pytest.approx(e["mle_unbiased"], rel=1e-5)
    for ver in ("FO", "Fan", "maxgap", "ratio", "Kaiser", "broken_stick"):
        assert lPCA(ver=ver).fit(X).dimension_ == e[f"lpca_{ver}"], ver
    assert lPCA(ver="participation_ratio").fit(X).transform() == pytest.approx(e["lpca_participation_ratio"], rel=1e-9)
    np.testing.assert_array_equal(lPCA().fit_pw(X, n_neighbors=30).dimension_pw_, e["lpca_FO_pw30"])
    # The function gives the same figures.
    assert intrinsic_dimension(X) == TwoNN().fit(X).dimension_
    np.testing.assert_array_equal(intrinsic_dimension(X, "mle", per_point=True), mle.dimension_pw_)


@pytest.mark.parametrize("name", SETS)
def test_more_estimators_equal_scikit_dimension(name):
    X, e = load(name), EXPECTED[name]
    assert CorrInt().fit(X).dimension_ == pytest.approx(e["corrint"], rel=1e-6)
    # k1=5 on id_ball: a pair exactly at r1, which scikit-dimension's rounding counts (see the
    # Rust test); the exact count is the reference.
    assert CorrInt(k1=5, k2=15).fit(X).dimension_ == pytest.approx(e["corrint_5_15_exact"], rel=1e-6)
    mada = MADA().fit(X)
    assert mada.dimension_ == pytest.approx(e["mada"], rel=1e-5)
    np.testing.assert_allclose(mada.dimension_pw_, e["mada_pw"], rtol=1e-5)
    assert (mada.n_neighbors_, mada.comb_) == (20, "mean")
    assert MADA().fit(X, comb="median").dimension_ == pytest.approx(e["mada_median"], rel=1e-5)
    ess = ESS().fit(X)
    assert ess.dimension_ == pytest.approx(e["ess"], rel=1e-8)
    np.testing.assert_allclose(ess.transform_pw(), e["ess_pw"], rtol=1e-8)
    np.testing.assert_allclose(ESS(ver="b").fit(X, n_neighbors=30).dimension_pw_, e["ess_b_30"], rtol=1e-8)
    assert MiND_ML().fit(X).dimension_ == pytest.approx(e["mind_mlk"], rel=1e-5)
    assert MiND_ML(ver="MLi").fit_transform(X) == e["mind_mli"]
    assert intrinsic_dimension(X, "mind_ml", D=3) == 3.0
    np.testing.assert_array_equal(intrinsic_dimension(X, "mada", per_point=True), mada.dimension_pw_)


def test_more_estimators_bad_input_is_named():
    X = load("id_ball")
    with pytest.warns(UserWarning, match="k2 larger or equal to len"):
        CorrInt().fit(X[:15])
    with pytest.raises(ValueError, match="is not available for corrint"):
        intrinsic_dimension(X, "corrint", per_point=True)
    with pytest.raises(ValueError, match="comb must be one of 'mean', 'median'"):
        MADA().fit(X, comb="mle")
    with pytest.raises(ValueError, match="d must be 1"):
        ESS(d=2).fit(X)
    with pytest.raises(ValueError, match="ver must be one of 'MLk', 'MLi'"):
        MiND_ML(ver="ML1").fit(X)
    with pytest.raises(ValueError, match=r"`D`: 0"):
        MiND_ML(D=0).fit(X)
    with pytest.raises(ValueError, match="row 0: a neighbour at distance 0"):
        MADA().fit(np.r_[X[:1], X[:30]])


def test_a_cube_in_ten_dimensions_is_three_dimensional_at_any_thread_count():
    rng = np.random.default_rng(0)
    X = rng.random((6000, 3)) @ rng.random((3, 10))
    one = intrinsic_dimension(X, "mle", random_state=0, n_jobs=1)
    assert 2.7 < one < 3.3
    assert intrinsic_dimension(X, "mle", random_state=0, n_jobs=2) == one
    assert lPCA().fit(X).dimension_ == 3


def test_bad_input_is_named():
    X = load("id_ball")
    with pytest.raises(ValueError, match=r"`discard_fraction`: 1"):
        TwoNN(discard_fraction=1.0).fit(X)
    with pytest.raises(ValueError, match="ver must be one of"):
        lPCA(ver="MP").fit(X)
    with pytest.raises(ValueError, match="comb must be one of"):
        MLE().fit(X, comb="mode")
    with pytest.raises(TypeError, match="ver is not an option of method='mle'"):
        intrinsic_dimension(X, "mle", ver="FO")
    with pytest.raises(ValueError, match="is not available for twonn"):
        intrinsic_dimension(X, per_point=True)
    with pytest.raises(TypeError):
        MLE(sigma=0.1)
    with pytest.warns(UserWarning, match="setting n_neighbors = len"):
        assert MLE().fit(X[:10]).n_neighbors_ == 9
    with pytest.raises(ValueError, match="row 3"):
        MLE().fit(np.r_[np.arange(6.0)[:, None] * [1.0, 2.0], np.full((4, 2), 7.0)][[0, 1, 2, 6, 7, 8, 9, 3, 4, 5]], n_neighbors=3)
    with pytest.warns(UserWarning, match="Dropping 4 points"):
        TwoNN(discard_fraction=0.0, method="mle").fit(np.r_[X[:50], X[:1], X[1:2]])
    with pytest.raises(ValueError, match="discards none of the 52 ratios"):
        TwoNN(discard_fraction=0.0).fit(X[:52])
    assert "measure" in unfold.__all__
