"""unfold.TSNE against openTSNE 1.0.4: the values saved by
crates/unfold-learn/tests/fixtures/make_tsne_fixtures.py (openTSNE is not a test requirement)."""

import json
import pathlib

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"
EXPECTED = json.loads((FIXTURES / "tsne.json").read_text())


def test_digits_trustworthiness_matches_open_tsne():
    X = load_digits().data[:1000].astype(float)
    model = unfold.TSNE(random_state=0)
    Y = model.fit_transform(X)
    assert Y.shape == (1000, 2) and Y.dtype == np.float64
    trust = trustworthiness(X, Y, n_neighbors=15)
    assert trust >= EXPECTED["digits_trust"] - 0.01, (trust, EXPECTED["digits_trust"])
    assert abs(model.kl_divergence_ - EXPECTED["digits_kl"]) < 0.05 * EXPECTED["digits_kl"]
    assert model.n_iter_ == 750
    assert model.learning_rate_ == 1000.0


def test_kl_matches_open_tsne_from_the_same_start():
    X = np.load(FIXTURES / "tsne_X.npy")
    init = np.load(FIXTURES / "tsne_init.npy")
    model = unfold.TSNE(perplexity=10, init=init, method="barnes_hut", random_state=0).fit(X)
    assert abs(model.kl_divergence_ - EXPECTED["kl"]) < 0.05 * EXPECTED["kl"]
    assert trustworthiness(X, model.embedding_, n_neighbors=10) >= EXPECTED["trust"] - 0.01


def test_callbacks_see_the_optimisation_and_can_stop_it():
    X = np.load(FIXTURES / "tsne_X.npy")
    seen = []

    def record(iteration, kl, embedding):
        assert embedding.shape == (150, 2)
        seen.append((iteration, kl))
        return iteration >= 300

    model = unfold.TSNE(perplexity=10, callbacks=record, random_state=0).fit(X)
    assert [s[0] for s in seen] == [50, 100, 150, 200, 250, 300]
    assert model.n_iter_ == 300
    assert seen[-1][1] > 0


def test_a_failing_callback_raises():
    X = np.load(FIXTURES / "tsne_X.npy")

    def broken(iteration, kl, embedding):
        raise RuntimeError("callback failed at %d" % iteration)

    with pytest.raises(RuntimeError, match="callback failed at 50"):
        unfold.TSNE(perplexity=10, callbacks=[broken], random_state=0).fit(X)


def test_seeded_fit_does_not_depend_on_n_jobs():
    X = np.load(FIXTURES / "tsne_X.npy")
    a = unfold.TSNE(perplexity=10, max_iter=100, n_jobs=1, random_state=3).fit_transform(X)
    b = unfold.TSNE(perplexity=10, max_iter=100, n_jobs=2, random_state=3).fit_transform(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"perplexity": 60}, r"invalid value for `perplexity`: 60 \(must be at most \(n_samples - 1\) / 3 = 49.6667"),
        ({"angle": 2.0}, r"invalid value for `angle`: 2 \(must be in \[0, 1\]\)"),
        ({"method": "fast"}, r"invalid value for `method`: fast \(must be auto, exact, barnes_hut \(bh\) or fft"),
        ({"method": "fft", "n_components": 3}, r"`n_components`: 3 \(must be 1 or 2 with method = fft"),
        ({"dof": 0}, r"invalid value for `dof`: 0 \(must be a finite number > 0\)"),
        ({"init": "umap"}, r"invalid value for `init`: umap"),
        ({"callbacks": 3}, r"invalid value for `callbacks`: must be a callable"),
    ],
)
def test_invalid_parameters_are_named(params, message):
    X = np.load(FIXTURES / "tsne_X.npy")
    with pytest.raises(ValueError, match=message):
        unfold.TSNE(**params).fit(X)


def _reference_model(method="barnes_hut"):
    """A model whose embedding is openTSNE's reference embedding (no iterations on it)."""
    X = np.load(FIXTURES / "tsne_X.npy")
    reference = np.load(FIXTURES / "tsne_ref_embedding.npy")
    with pytest.warns(UserWarning):
        model = unfold.TSNE(perplexity=10, init=reference, early_exaggeration_iter=0, max_iter=0, method=method).fit(X)
    np.testing.assert_array_equal(model.embedding_, reference)
    return model


def test_transform_follows_open_tsne():
    """openTSNE's transform with its defaults (make_tsne_transform_fixtures.py)."""
    model = _reference_model()
    X_new = np.load(FIXTURES / "tsne_new_X.npy")
    placed = model.transform(X_new)
    assert placed.shape == (30, 2) and placed.dtype == np.float64
    want = np.load(FIXTURES / "tsne_new_bh.npy")
    assert np.linalg.norm(placed - want, axis=1).mean() < 1e-5
    start = model.transform(X_new, max_iter=0)
    np.testing.assert_allclose(start, np.load(FIXTURES / "tsne_new_median.npy"), rtol=1e-12)
    # One point at a time gives the same places.
    np.testing.assert_array_equal(model.transform(X_new[5:6]), placed[5:6])


def test_transform_survives_pickling_and_gives_back_the_training_rows():
    import pickle

    X = np.load(FIXTURES / "tsne_X.npy")
    model = unfold.TSNE(perplexity=10, max_iter=50, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.embedding_, model.embedding_)
    np.testing.assert_array_equal(again.transform(X[:10] + 0.01), model.transform(X[:10] + 0.01))
    np.testing.assert_array_equal(model.transform(X), model.embedding_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"perplexity": 51}, r"invalid value for `perplexity`: 51 \(must be at least 1/3 and at most n_samples / 3 = 50.0000"),
        ({"learning_rate": -1}, r"invalid value for `learning_rate`"),
        ({"initialization": "pca"}, r"invalid value for `initialization`: pca"),
        ({"initialization": np.zeros((3, 2))}, r"invalid value for `initialization`.*\(30, 2\)"),
    ],
)
def test_transform_parameters_are_named(params, message):
    model = _reference_model()
    with pytest.raises(ValueError, match=message):
        model.transform(np.load(FIXTURES / "tsne_new_X.npy"), **params)


def test_multiscale_uniform_and_precomputed_affinities():
    X = np.load(FIXTURES / "tsne_X.npy")
    init = np.load(FIXTURES / "tsne_init.npy")
    multi = unfold.TSNE(perplexities=[5, 20], init=init, max_iter=100, random_state=0).fit(X)
    single = unfold.TSNE(perplexity=20, init=init, max_iter=100, random_state=0).fit(X)
    assert not np.array_equal(multi.embedding_, single.embedding_)
    assert trustworthiness(X, multi.embedding_, n_neighbors=10) > 0.9
    uniform = unfold.TSNE(affinity="uniform", k_neighbors=10, max_iter=100, random_state=0).fit(X)
    assert trustworthiness(X, uniform.embedding_, n_neighbors=10) > 0.9
    # openTSNE's own affinities as the input reach its KL from its start.
    P = np.load(FIXTURES / "tsne_P_nn.npy")
    pre = unfold.TSNE(affinity="precomputed", init=init, method="barnes_hut", random_state=0).fit(P)
    assert abs(pre.kl_divergence_ - EXPECTED["kl"]) < 0.05 * EXPECTED["kl"]
    with pytest.raises(ValueError, match=r"invalid value for `perplexities`"):
        unfold.TSNE(perplexities=[5, -1]).fit(X)
    with pytest.raises(ValueError, match=r"precomputed affinities: it has no training rows"):
        pre.transform(P[:3])
