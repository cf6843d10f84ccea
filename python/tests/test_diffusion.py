"""unfold.DiffusionMap against pyDiffMap's values, saved as fixtures by
crates/unfold-learn/tests/fixtures/make_diffusion_fixtures.py (pyDiffMap is not a test
requirement)."""

import pathlib
import pickle

import numpy as np
import pytest

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"


def fixture(name):
    return np.load(FIXTURES / f"diffusion_{name}.npy")


CASES = {
    "bgh": dict(n_components=3),
    "fixed": dict(n_components=2, alpha=1.0, n_neighbors=30, epsilon=2.0),
    "generous": dict(n_components=3, alpha=0.0, epsilon="bgh_generous"),
}


@pytest.mark.parametrize("name", CASES)
def test_eigenpairs_and_extension_equal_pydiffmaps(name):
    X, Y = fixture("X"), fixture("Y")
    model = unfold.DiffusionMap(random_state=0, **CASES[name]).fit(X)
    epsilon, dimension = fixture(f"{name}_meta")
    assert model.epsilon_ == epsilon
    if dimension >= 0:
        assert model.dimension_ == dimension
    else:
        assert not hasattr(model, "dimension_")
    # pyDiffMap reports its generator's eigenvalues (λ - 1) / ε and unit-norm eigenvectors.
    np.testing.assert_allclose(model.eigenvalues_, 1 + epsilon * fixture(f"{name}_evals"), atol=1e-6)
    evecs = fixture(f"{name}_evecs")
    ours = model.eigenvectors_ / np.linalg.norm(model.eigenvectors_, axis=0)
    signs = np.sign(np.sum(ours * evecs, axis=0))
    np.testing.assert_allclose(ours, evecs * signs, atol=2e-5)
    np.testing.assert_allclose(model.kernel_degree_, fixture(f"{name}_q"), rtol=1e-5)
    # Its extension P(y, ·) dmap lacks Nyström's 1/λ: per column, ours is theirs times
    # (training ratio) / λ.
    dmap = fixture(f"{name}_dmap")
    ratio = np.sum(model.embedding_ * dmap, axis=0) / np.sum(dmap * dmap, axis=0)
    want = fixture(f"{name}_oos") * ratio / model.eigenvalues_
    np.testing.assert_allclose(model.transform(Y), want, atol=1e-4 * np.abs(dmap * ratio).max())


def test_embedding_is_eigenvalues_to_the_t_times_eigenvectors():
    X = fixture("X")
    for t in (0, 2):
        m = unfold.DiffusionMap(t=t, random_state=0).fit(X)
        np.testing.assert_allclose(m.embedding_, m.eigenvectors_ * m.eigenvalues_**t, rtol=1e-6, atol=1e-9)
        assert m.embedding_.dtype == np.float32
        np.testing.assert_array_equal(m.fit_transform(X), m.embedding_)


def test_pickle_keeps_the_extension_and_threads_do_not_matter():
    X, Y = fixture("X"), fixture("Y")
    one = unfold.DiffusionMap(adaptive_k=5, random_state=1, n_jobs=1).fit(X)
    two = unfold.DiffusionMap(adaptive_k=5, random_state=1, n_jobs=2).fit(X)
    np.testing.assert_array_equal(one.embedding_, two.embedding_)
    back = pickle.loads(pickle.dumps(one))
    np.testing.assert_array_equal(back.transform(Y), one.transform(Y))
    assert back.bandwidths_.shape == (400,)


def test_precomputed_distances_give_the_same_map():
    X, Y = fixture("X"), fixture("Y")
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    DY = np.sqrt(((Y[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    a = unfold.DiffusionMap(random_state=0).fit(X)
    b = unfold.DiffusionMap(metric="precomputed", random_state=0).fit(D)
    np.testing.assert_allclose(b.embedding_, a.embedding_, atol=1e-5 * np.abs(a.embedding_).max())
    np.testing.assert_allclose(b.transform(DY), a.transform(Y), atol=1e-4 * np.abs(a.embedding_).max())


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": 2.0}, "`alpha`"),
        ({"epsilon": -1.0}, "`epsilon`"),
        ({"epsilon": "scott"}, "`epsilon`"),
        ({"n_neighbors": 1}, "`n_neighbors`"),
        ({"adaptive_k": 64}, "`adaptive_k`"),
        ({"metric": "nope"}, "`metric`"),
        ({"metric": "minkowski", "metric_params": {"p": 0.5}}, "p"),
    ],
)
def test_invalid_parameters_name_themselves(params, message):
    with pytest.raises(ValueError, match=message):
        unfold.DiffusionMap(**params).fit(fixture("X"))


def test_too_few_samples_and_a_disconnected_kernel():
    with pytest.raises(ValueError, match="too few for n_components"):
        unfold.DiffusionMap().fit(np.zeros((3, 2)))
    X = np.r_[np.linspace(0, 1, 30)[:, None], 100 + np.linspace(0, 1, 30)[:, None]]
    with pytest.warns(UserWarning, match="not connected"):
        unfold.DiffusionMap(n_neighbors=10).fit(X)
