"""unfold.HyperbolicDiffusion against the brute-force numpy reference of the paper's formulas in
crates/unfold-learn/tests/fixtures/make_hde_fixtures.py."""

import json
import pathlib
import pickle

import numpy as np
import pytest

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"


def test_distances_equal_the_reference_and_survive_pickling():
    X = np.load(FIXTURES / "hde_X.npy")
    meta = json.loads((FIXTURES / "hde_cases.json").read_text())
    model = unfold.HyperbolicDiffusion(n_scales=3, epsilon=2.5, alpha=0.5).fit(X)
    expected = np.load(FIXTURES / "hde_given_dist.npy")
    np.testing.assert_allclose(model.pairwise_distances(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.pairwise_distances([4, 2]), expected[[4, 2]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.embedding_[:5], np.load(FIXTURES / "hde_given_embedding.npy"), atol=1e-6)
    auto = unfold.HyperbolicDiffusion().fit(X)
    assert auto.epsilon_ == pytest.approx(meta["auto"]["epsilon"], rel=1e-9)
    assert auto.embedding_.shape == (60, 6 * 61) and auto.poincare_.shape == (60, 2)
    assert (np.linalg.norm(auto.poincare_, axis=1) < 1).all()
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.pairwise_distances(), model.pairwise_distances())
    assert not hasattr(model, "transform")
    # Precomputed distances give the same fit.
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    pre = unfold.HyperbolicDiffusion(n_scales=3, epsilon=2.5, alpha=0.5, metric="precomputed").fit(D)
    np.testing.assert_allclose(pre.pairwise_distances([0]), expected[[0]], rtol=1e-4, atol=1e-5)


def test_bad_values_name_themselves():
    X = np.load(FIXTURES / "hde_X.npy")
    with pytest.raises(ValueError, match=r"invalid value for `alpha`: 2"):
        unfold.HyperbolicDiffusion(alpha=2.0).fit(X)
    with pytest.raises(ValueError, match=r"invalid value for `n_scales`: 0"):
        unfold.HyperbolicDiffusion(n_scales=0).fit(X)
    model = unfold.HyperbolicDiffusion(n_scales=2).fit(X)
    with pytest.raises(ValueError, match="row 60 is out of range"):
        model.pairwise_distances([60])
    with pytest.raises(ValueError, match="rows: indices must be non-negative"):
        model.pairwise_distances([-1])
