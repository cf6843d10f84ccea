"""unfold.measure.diffusion_spectral_entropy / _mutual_information against a numpy version of
the dse_dsmi package's definitions (dense kernel, numpy.linalg.eigvalsh)."""

import numpy as np
import pytest

import unfold


def reference_dse(X, sigma=10.0, t=1):
    X = np.asarray(X, dtype=np.float32).astype(np.float64)
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    G = np.exp(-sq / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    s = 1 / np.sqrt(G.sum(1))
    ev = np.linalg.eigvalsh(s[:, None] * G * s[None, :])
    p = np.abs(ev) ** t
    p = p / p.sum() + np.finfo(float).eps
    return -(p * np.log2(p)).sum(), np.sort(ev)[::-1]


@pytest.fixture
def blobs():
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 8, (4, 5))
    y = np.repeat(np.arange(4), [20, 15, 25, 10])
    return (centres[y] + rng.normal(0, 1.0, (len(y), 5))).astype(np.float32), y


@pytest.mark.parametrize("sigma,t", [(10, 1), (2.0, 1), (2.0, 3), (0.7, 2)])
def test_entropy_matches_numpy(blobs, sigma, t):
    X, _ = blobs
    want, ev = reference_dse(X, sigma, t)
    got, eigenvalues = unfold.measure.diffusion_spectral_entropy(X, gaussian_kernel_sigma=sigma, t=t, return_eigenvalues=True)
    assert got == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(eigenvalues, ev, atol=1e-5)
    assert unfold.measure.diffusion_spectral_entropy(X, sigma, t) == got


def test_subsample_is_seeded_and_thread_independent(blobs):
    X, _ = blobs
    a = unfold.measure.diffusion_spectral_entropy(X, 2.0, max_N=30, random_seed=5, n_jobs=1)
    b = unfold.measure.diffusion_spectral_entropy(X, 2.0, max_N=30, random_seed=5, n_jobs=2)
    c = unfold.measure.diffusion_spectral_entropy(X, 2.0, max_N=30, random_seed=6)
    assert a == b and a != c


def test_mutual_information_with_labels(blobs):
    X, y = blobs
    mi, clusters = unfold.measure.diffusion_spectral_mutual_information(X, y, gaussian_kernel_sigma=2.0)
    np.testing.assert_array_equal(clusters, y)
    assert mi > 0.5
    # Shuffled labels carry much less information; string labels are classes too.
    shuffled = np.random.default_rng(0).permutation(y)
    assert unfold.measure.diffusion_spectral_mutual_information(X, shuffled, gaussian_kernel_sigma=2.0)[0] < mi / 2
    names = np.array(["a", "b", "c", "d"])[y]
    mi_s, clusters_s = unfold.measure.diffusion_spectral_mutual_information(X, names, reference_discrete=True, gaussian_kernel_sigma=2.0)
    assert mi_s == mi and (clusters_s == names).all()
    # One class: nothing to learn.
    mi0, _ = unfold.measure.diffusion_spectral_mutual_information(X, np.zeros(len(y), dtype=int))
    assert abs(mi0) < 1e-12
    # Precomputed clusters of a multi-column reference.
    mi_p, _ = unfold.measure.diffusion_spectral_mutual_information(X, X, precomputed_clusters=y, gaussian_kernel_sigma=2.0)
    assert mi_p == mi


def test_scalar_reference_is_binned_as_the_package(blobs):
    X, _ = blobs
    v = np.linspace(-3, 4, len(X)) ** 3
    _, clusters = unfold.measure.diffusion_spectral_mutual_information(X, v, n_clusters=6)
    scaled = (v - v.min()) / (v.max() - v.min())
    np.testing.assert_array_equal(clusters, np.digitize(scaled, np.linspace(0, 1, 7)[:-1]))


def test_bad_parameters_are_named(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="gaussian_kernel_sigma"):
        unfold.measure.diffusion_spectral_entropy(X, 0.0)
    with pytest.raises(ValueError, match="t must be"):
        unfold.measure.diffusion_spectral_entropy(X, t=1.5)
    with pytest.raises(ValueError, match="max_N"):
        unfold.measure.diffusion_spectral_entropy(X, max_N=0)
    with pytest.raises(ValueError, match=r"n_clusters.*spectral clustering of"):
        unfold.measure.diffusion_spectral_mutual_information(X, X, n_clusters=len(X) + 1)
    with pytest.raises(ValueError, match="one row a sample"):
        unfold.measure.diffusion_spectral_mutual_information(X, y[:10])
    with pytest.raises(ValueError, match="num_repetitions"):
        unfold.measure.diffusion_spectral_mutual_information(X, y, num_repetitions=0)
