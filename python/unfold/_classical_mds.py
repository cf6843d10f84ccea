"""Classical multidimensional scaling, as ``sklearn.manifold.ClassicalMDS``: the core's
``classical-mds`` method."""

from __future__ import annotations

from sklearn.utils._available_if import available_if

from ._contract import ContractTransformer
from ._mds import _never


class ClassicalMDS(ContractTransformer, auto_wrap_output_keys=None):
    """Classical multidimensional scaling (Torgerson's scaling, principal coordinates analysis).

    As ``sklearn.manifold.ClassicalMDS`` of scikit-learn 1.9: the dissimilarities (the rows'
    euclidean distances, or ``X`` itself with ``metric="precomputed"``) are double centred as
    ``B = -½ J Δ² J`` and the embedding is ``U Λ^½`` for ``B``'s ``n_components`` largest
    eigenpairs, each eigenvector signed by scikit-learn's ``svd_flip``. Fitted attributes:
    ``embedding_`` (float64), ``eigenvalues_`` (as computed, negative ones included),
    ``dissimilarity_matrix_`` (kept up to 4,096 samples) and ``n_features_in_``. There is no
    ``transform``, as in scikit-learn.

    Differences: ``metric`` is ``"euclidean"`` or ``"precomputed"`` (scikit-learn takes any
    pairwise metric; compute another metric's distances and pass them precomputed), so
    ``metric_params`` must stay ``None``; a precomputed matrix must be square, non-negative,
    symmetric (within a relative 1e-6) with a zero diagonal, and the error names the first entry
    that is not; a component whose eigenvalue is not positive is 0 with a warning, where
    scikit-learn's is NaN.

    Added: ``n_landmarks`` (landmark MDS, de Silva & Tenenbaum 2004). Exact classical MDS holds
    an n × n matrix, so above 20,000 samples (with a warning), or with ``n_landmarks`` in
    ``[n_components + 1, n_samples]``, that many random landmarks (2,000 by default) are embedded
    exactly and every other sample is triangulated from its distances to them. ``eigenvalues_``
    are then the landmarks', ``landmarks_`` (int64) names them and ``dissimilarity_matrix_`` is
    not kept; ``random_state`` draws the landmarks (the exact fit uses no randomness).

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(100, 5))
    >>> unfold.ClassicalMDS(n_components=2).fit_transform(X).shape
    (100, 2)
    """

    _method = "classical-mds"
    _precise = True
    _extra = {"metric_params": None, "n_jobs": None}

    # Not wrapped for set_output (auto_wrap_output_keys=None), so the descriptor stays and
    # hasattr(cmds, "transform") is False, as for scikit-learn's ClassicalMDS.
    @available_if(_never)
    def transform(self, X):  # pragma: no cover - scikit-learn's ClassicalMDS has no transform
        raise AttributeError("ClassicalMDS has no transform")

    def _fit_core(self, X, *, y, seed, threads, verbose):
        if self.metric_params:
            raise ValueError(
                f"metric_params={self.metric_params!r}: unfold's ClassicalMDS takes metric='euclidean' or 'precomputed', which have no parameters; "
                "compute another metric's distances and pass them with metric='precomputed'"
            )
        return super()._fit_core(X, y=y, seed=seed, threads=threads, verbose=verbose)

    def fit_transform(self, X, y=None):
        """Fit ``X`` and return ``embedding_`` (float64, (n_samples, n_components))."""
        return self.fit(X, y).embedding_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        # The embedding is float64, as scikit-learn's.
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
