"""Diffusion spectral entropy and mutual information (Liao et al. 2023, the ``dse_dsmi``
package's ``diffusion_spectral_entropy`` and ``diffusion_spectral_mutual_information``),
computed in the Rust core."""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import as_count, as_matrix, threads_from_n_jobs

__all__ = ["diffusion_spectral_entropy", "diffusion_spectral_mutual_information"]


def _params(gaussian_kernel_sigma, t, max_N, random_seed):  # noqa: N803 (the package's name)
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or not 0 <= t < 2**31:
        raise ValueError(f"t must be a non-negative integer (the diffusion time), got {t!r}")
    if max_N is not None:
        max_N = as_count(max_N, "max_N")
    seed = 0 if random_seed is None else as_count(random_seed, "random_seed")
    return {"sigma": float(gaussian_kernel_sigma), "t": int(t), "max_n": max_N, "seed": seed}


def diffusion_spectral_entropy(embedding_vectors, gaussian_kernel_sigma=10, t=1, max_N=10000, random_seed=0,
                               verbose=False, *, n_jobs=None, return_eigenvalues=False):
    """Diffusion spectral entropy (DSE) of the rows of ``embedding_vectors``, in bits.

    The Gaussian kernel ``exp(-‖x_i - x_j‖² / 2σ²)`` on all pairs (``σ =
    gaussian_kernel_sigma``), the eigenvalues ``λ`` of its diffusion operator ``P = D⁻¹ G``
    (dense, all of them), ``p = |λ|^t / Σ|λ|^t + ε`` and ``-Σ p log₂ p``: the entropy of the
    diffusion spectrum at time ``t``, which grows with the number of diffusion components that
    survive ``t`` steps — a noise-resilient measure of intrinsic dimension.

    Parameters
    ----------
    embedding_vectors : array-like of shape (n_samples, n_features)
    gaussian_kernel_sigma : float, default=10
        Kernel bandwidth; increase it when the points are far apart.
    t : int, default=1
        Diffusion time: the power of the eigenvalues.
    max_N : int or None, default=10000
        At most this many points: a seeded uniform subsample above (the spectrum is dense).
    random_seed : int, default=0
        Seed of the subsample (unfold's generator, not Python's ``random``).
    verbose, n_jobs
        Progress bar, threads.
    return_eigenvalues : bool, default=False
        Also return the eigenvalues of ``P`` (decreasing, before the power ``t``).

    Returns
    -------
    float, or ``(entropy, eigenvalues)`` with ``return_eigenvalues``.
    """
    X = as_matrix(embedding_vectors, "embedding_vectors")
    entropy, eigenvalues, _ = _core.diffusion_spectral_entropy(
        X, **_params(gaussian_kernel_sigma, t, max_N, random_seed), threads=threads_from_n_jobs(n_jobs),
        verbose=bool(verbose),
    )
    return (entropy, eigenvalues) if return_eigenvalues else entropy


def diffusion_spectral_mutual_information(embedding_vectors, reference_vectors, reference_discrete=None,
                                          gaussian_kernel_sigma=10, t=1, num_repetitions=5, n_clusters=10,
                                          precomputed_clusters=None, random_seed=0, verbose=False, *,
                                          max_N=10000, n_jobs=None):
    """Diffusion spectral mutual information (DSMI) between the rows of ``embedding_vectors``
    and ``reference_vectors``, in bits: ``Σ_b p(b) [DSE(A*) - DSE(A | B = b)]``.

    ``DSE(A | B = b)`` is the entropy of the rows of class ``b`` and ``DSE(A*)`` the mean entropy
    of ``num_repetitions`` uniform subsamples of the class's size. The classes are
    ``reference_vectors`` itself when it is discrete (``reference_discrete``; by default, a 1-D
    integer array), ``precomputed_clusters`` when given, or the ``n_clusters`` equal bins of a
    min–max scaled continuous scalar, or for a continuous reference of several columns its
    ``n_clusters`` spectral clusters, as the package makes them (scikit-learn's
    ``SpectralClustering(n_clusters, affinity="nearest_neighbors", assign_labels="cluster_qr",
    random_state=0)``: the 10-neighbour connectivity graph, its normalised Laplacian's
    eigenvectors, ``cluster_qr`` labels).

    Returns
    -------
    mutual_information : float
    clusters : ndarray of shape (n_samples,)
        The class of each row.
    """
    X = as_matrix(embedding_vectors, "embedding_vectors")
    ref = np.asarray(reference_vectors)
    if ref.ndim == 2 and ref.shape[1] == 1:
        ref = ref[:, 0]
    if ref.ndim not in (1, 2) or ref.shape[0] != X.shape[0]:
        raise ValueError(
            f"reference_vectors must have one row a sample ({X.shape[0]}), got shape {np.shape(reference_vectors)}"
        )
    if reference_discrete is None:
        reference_discrete = ref.ndim == 1 and np.issubdtype(ref.dtype, np.integer)
    labels = scalar = vectors = None
    if reference_discrete or precomputed_clusters is not None:
        classes = ref if reference_discrete else np.asarray(precomputed_clusters).reshape(-1)
        if reference_discrete and ref.ndim != 1:
            raise ValueError(f"reference_discrete=True needs one value a sample, got shape {np.shape(reference_vectors)}")
        if classes.shape[0] != X.shape[0]:
            raise ValueError(f"precomputed_clusters must have one value a sample ({X.shape[0]}), got {classes.shape[0]}")
        names, labels = np.unique(classes, return_inverse=True)
        labels = np.ascontiguousarray(labels.reshape(-1), dtype=np.int64)
    elif ref.ndim == 1:
        scalar = np.ascontiguousarray(ref, dtype=np.float64)
    else:
        vectors = as_matrix(ref, "reference_vectors")
    mi, clusters, _ = _core.diffusion_spectral_mutual_information(
        X, labels=labels, scalar=scalar, vectors=vectors, **_params(gaussian_kernel_sigma, t, max_N, random_seed),
        num_repetitions=as_count(num_repetitions, "num_repetitions"), n_clusters=as_count(n_clusters, "n_clusters"),
        threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )
    if labels is not None:
        clusters = names[clusters]
    return mi, clusters
