"""Diffusion maps: the core's ``diffusion`` method, with pyDiffMap's kernel and bandwidth."""

from __future__ import annotations

from ._contract import ContractTransformer


class DiffusionMap(ContractTransformer):
    """Diffusion maps (Coifman & Lafon, 2006) on a k-nearest-neighbour Gaussian kernel.

    Each point's kernel row holds its ``n_neighbors`` nearest points (itself included; capped at
    the number of samples), ``K = exp(-d² / (4 epsilon))``, symmetrised as ``max(K, Kᵀ)``
    (pyDiffMap's kernel). ``epsilon="bgh"`` picks the bandwidth as pyDiffMap does (Berry,
    Giannakis & Harlim: the steepest point of the kernel sum over ε = 2⁻⁴⁰…2⁴⁰, which also
    estimates the intrinsic dimension, ``dimension_``); ``"bgh_generous"`` doubles it; a number
    fixes it. With ``adaptive_k=m`` the squared distances are divided by ``σ_i σ_j``, ``σ`` the
    distance to the m-th nearest neighbour (a self-tuning kernel). The kernel is α-normalised
    (``alpha``: 0 graph Laplacian, 0.5 Fokker–Planck as pyDiffMap's default, 1 Laplace–Beltrami)
    and row-normalised into the Markov matrix ``P``; the embedding is ``λ_k^t ψ_k`` for its
    ``n_components`` largest eigenvalues after the trivial one, ``ψ_k`` its right eigenvectors,
    orthonormal under the stationary distribution and signed so that the largest-magnitude entry
    is positive. ``transform`` is the Nyström extension ``λ_k^(t-1) Σ_j p(y, j) ψ_k(x_j)``.

    Against pyDiffMap's ``DiffusionMap.from_sklearn(k=…, epsilon=…, alpha=…, n_evecs=…)``:
    ``n_neighbors`` is its ``k``, ``n_components`` its ``n_evecs``; the eigenvectors are the same
    (pyDiffMap scales them to unit norm); ``eigenvalues_`` are those of ``P``, where pyDiffMap's
    ``evals`` are its generator's, ``(λ - 1) / epsilon``; its ``dmap`` scales the eigenvectors by
    ``sqrt(-1 / evals)`` rather than ``λ^t``, and its out-of-sample extension omits Nyström's
    ``1/λ``. pyDiffMap's density-based variable bandwidths, weight and density functions are not
    offered. No n × n matrix is formed; the eigenpairs are dense up to 2,000 samples and
    iterative (LOBPCG) above. ``n_jobs`` sets threads and never changes the result. The
    embedding is float32.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
    eigenvalues_ : ndarray of shape (n_components,)
        The Markov matrix's eigenvalues after the trivial 1, descending.
    eigenvectors_ : ndarray of shape (n_samples, n_components)
        The right eigenvectors ψ_k.
    epsilon_ : float
        The bandwidth used.
    dimension_ : float
        With ``epsilon="bgh"`` or ``"bgh_generous"``: the intrinsic dimension estimate.
    bandwidths_ : ndarray of shape (n_samples,)
        With ``adaptive_k``: each point's σ.
    kernel_degree_ : ndarray of shape (n_samples,)
        The symmetrised kernel's row sums (pyDiffMap's ``q``).
    n_neighbors_ : int
        The kernel row length used.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> t = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    >>> X = np.c_[np.cos(t), np.sin(t)]
    >>> unfold.DiffusionMap(n_neighbors=20, random_state=0).fit_transform(X).shape
    (300, 2)
    """

    _method = "diffusion"
    _extra = {"metric_params": None, "n_jobs": None}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        attrs["n_neighbors_"] = int(attrs["n_neighbors_"])
        attrs["epsilon_"] = float(attrs["epsilon_"])
        if "dimension_" in attrs:
            attrs["dimension_"] = float(attrs["dimension_"])
        return attrs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags
