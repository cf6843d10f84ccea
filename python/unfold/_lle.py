"""Locally linear embedding: the core's ``lle`` method, as scikit-learn's LocallyLinearEmbedding."""

from __future__ import annotations

from ._contract import ContractTransformer


class LocallyLinearEmbedding(ContractTransformer):
    """Locally linear embedding (Roweis & Saul, 2000) and its variants, as scikit-learn's
    ``sklearn.manifold.LocallyLinearEmbedding``.

    Each point's ``n_neighbors`` nearest points give a local fit, and the local fits are aligned
    in one sparse symmetric matrix ``M`` whose null space (its ``n_components + 1`` smallest
    eigenvectors, the constant one dropped) is the embedding. ``method`` picks the local fit:
    ``"standard"`` (barycenter weights regularised by ``reg`` times the local Gram matrix's
    trace, ``M = (I - W)ᵀ(I - W)``), ``"hessian"`` (Hessian eigenmaps; needs ``n_neighbors >
    n_components (n_components + 3) / 2``), ``"modified"`` (MLLE, several weight vectors per
    point; needs ``n_neighbors >= n_components``) or ``"ltsa"`` (local tangent space
    alignment). The formulas, defaults and checks are scikit-learn 1.9's.

    ``eigen_solver="dense"`` decomposes the dense ``M``; ``"arpack"`` is a shift-invert solver
    on the sparse ``M`` (a sparse Cholesky factor of ``M + δI`` and LOBPCG on its inverse, the
    constant vector deflated; ``tol`` is its relative residual, ``max_iter`` its iterations);
    ``"auto"`` is dense up to 200 samples and shift-invert above (scikit-learn's ``"auto"``
    stays dense when ``n_components >= 9``). ``transform`` is scikit-learn's: barycenter
    weights of each new point on its ``n_neighbors`` nearest training points, and the weighted
    sum of their coordinates.

    Differences from scikit-learn: the neighbour search with ``neighbors_algorithm="auto"`` is
    exact up to 4,096 samples and NN-descent (approximate) above; ``"brute"``, ``"kd_tree"``
    and ``"ball_tree"`` are exact. The fitted search is kept inside the model, so there is no
    ``nbrs_`` attribute. Each embedding column is signed so that its largest-magnitude entry is
    positive (scikit-learn leaves the sign to its solver). Local fits compute in float64 from
    float32 rows; the embedding is float32. ``n_jobs`` sets threads; with a ``random_state`` the
    result is identical at any ``n_jobs``.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
    reconstruction_error_ : float
        The sum of the eigenvalues of ``M`` whose eigenvectors are the embedding.
    eigenvalues_ : ndarray of shape (n_components,)
        Those eigenvalues.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> t = np.linspace(0, 3 * np.pi, 400)
    >>> X = np.c_[t * np.cos(t), np.linspace(0, 5, 400) % 1, t * np.sin(t)]
    >>> unfold.LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit_transform(X).shape
    (400, 2)
    """

    _method = "lle"
    _extra = {"n_jobs": None}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        attrs["reconstruction_error_"] = float(attrs["reconstruction_error_"])
        return attrs
