"""Laplacian eigenmaps, as ``sklearn.manifold.SpectralEmbedding``: the core's ``spectral`` method."""

from __future__ import annotations

import scipy.sparse as sp

from ._contract import ContractTransformer
from ._validation import SparseRows


# auto_wrap_output_keys=None: scikit-learn's set_output would wrap the missing transform.
class SpectralEmbedding(ContractTransformer, auto_wrap_output_keys=None):
    """Spectral embedding for non-linear dimensionality reduction (Laplacian eigenmaps).

    As ``sklearn.manifold.SpectralEmbedding``: the affinity matrix ``A`` (the kNN connectivity
    graph with each point among its own ``n_neighbors``, symmetrised as ``(A + Aᵀ)/2``; or
    ``exp(-gamma·|x - y|²)``; or ``X`` itself with ``affinity="precomputed"``), the normalised
    Laplacian ``L = I - D^-½ A D^-½`` (degrees without ``A``'s diagonal), its
    ``n_components + 1`` smallest eigenvectors divided by ``√degree``, each signed so that its
    largest-magnitude entry is positive, the first dropped. On data whose Laplacian eigenvalues
    are distinct the embedding equals scikit-learn's (signs included) to the eigensolver's
    accuracy.

    ``X`` may be a scipy sparse matrix or array: data rows (kNN on sparse rows, or ``"rbf"``'s
    distances over the stored entries), or with ``affinity="precomputed"`` a sparse affinity,
    which stays sparse at any size (the dense one is refused above 10,000 samples).

    Differences: ``drop_first`` (default True) is a parameter here; scikit-learn's class always
    drops the first eigenvector, and only its ``spectral_embedding`` function takes
    ``drop_first=False``, which gives ``n_components`` vectors with the first kept. The eigensolver is unfold's own (dense up to 2,000 samples, LOBPCG above), so
    ``eigen_solver`` and ``eigen_tol`` are not parameters; ``affinity`` takes no callable and
    not ``"precomputed_nearest_neighbors"``; ``"rbf"`` and ``"precomputed"`` are refused above
    10,000 samples (a dense n × n matrix); ``affinity_matrix_`` is kept up to 1,000 samples;
    ``n_jobs`` sets threads and never changes the result. There is no ``transform``, as in
    scikit-learn. The embedding is float32.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
    affinity_matrix_ : scipy.sparse.csr_matrix (nearest_neighbors, or sparse ``X``) or ndarray, (n_samples, n_samples)
        Only up to 1,000 samples.
    n_neighbors_ : int
        With ``affinity="nearest_neighbors"``: the neighbours used.
    gamma_ : float
        With ``affinity="rbf"``: the kernel coefficient used.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> unfold.SpectralEmbedding(n_components=2, random_state=0).fit_transform(X).shape
    (200, 2)
    """

    _method = "spectral"
    _extra = {"n_jobs": None}
    _accept_sparse = True

    def _fit_core(self, X, **kwargs):
        # Kept for affinity_matrix_'s type, also when the fitted arrays are rebuilt from a pickle.
        self._sparse_input = isinstance(X, SparseRows)
        return super()._fit_core(X, **kwargs)

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        if "n_neighbors_" in attrs:
            attrs["n_neighbors_"] = int(attrs["n_neighbors_"])
        if "affinity_matrix_" in attrs and (self.affinity == "nearest_neighbors" or getattr(self, "_sparse_input", False)):
            attrs["affinity_matrix_"] = sp.csr_matrix(attrs["affinity_matrix_"])
        return attrs

    @property
    def transform(self):
        # As scikit-learn's SpectralEmbedding: no transform, and hasattr(est, "transform") is False.
        raise AttributeError("SpectralEmbedding has no transform (as scikit-learn's): fit_transform embeds the data it is fitted on")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Not a transformer for the estimator checks: no transform, as scikit-learn's.
        tags.transformer_tags = None
        tags.input_tags.pairwise = self.affinity == "precomputed"
        return tags
