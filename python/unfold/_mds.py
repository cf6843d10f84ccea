"""Multidimensional scaling, as ``sklearn.manifold.MDS``: the core's ``mds`` method."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils._available_if import available_if

from ._contract import ContractTransformer
from ._validation import plain


def _never(_estimator) -> bool:
    return False


class MDS(ContractTransformer, auto_wrap_output_keys=None):
    """Multidimensional scaling by SMACOF stress majorization.

    As ``sklearn.manifold.MDS`` of scikit-learn 1.9: the same parameters, defaults and
    algorithm (metric or non-metric SMACOF, the same Guttman transform, isotonic disparities,
    stopping rule and stress), with the fitted attributes ``embedding_`` (float64),
    ``stress_``, ``n_iter_`` and ``dissimilarity_matrix_`` (kept up to 4,096 samples). ``fit``
    and ``fit_transform`` take ``init=`` starting coordinates, as scikit-learn's. There is no
    ``transform``, as in scikit-learn.

    Differences: ``init`` defaults to ``"random"``, what scikit-learn 1.9's ``"warn"`` does
    (without the warning that 1.10 will change it); ``metric`` is ``"euclidean"`` or
    ``"precomputed"`` (scikit-learn takes any pairwise metric); a precomputed matrix must be
    square, non-negative, symmetric (within a relative 1e-6) with a zero diagonal, and the error
    names the first entry that is not; random starts come from another generator than numpy's,
    so a ``random_state`` gives another (equally good) local optimum than scikit-learn's, the
    same at any ``n_jobs``. The deprecated ``dissimilarity=`` and ``metric=True/False`` work with
    scikit-learn's ``FutureWarning``.

    Added: ``n_landmarks``. Exact MDS holds n × n matrices, so above 20,000 samples (with a
    warning), or with ``n_landmarks`` in ``[n_components + 1, n_samples]``, that many random
    landmarks (2,000 by default) are embedded by SMACOF and every other sample is placed on its
    own against them (triangulated, then moved to the least stress of its distances to them).
    ``stress_`` and ``n_iter_`` are then the landmarks', ``landmarks_`` (int64) names them and
    ``dissimilarity_matrix_`` is not kept.
    """

    _method = "mds"
    _precise = True
    _extra = {"verbose": 0, "n_jobs": None, "metric_params": None}

    def fit(self, X, y=None, init=None):
        """Compute the embedding of ``X`` (rows, or with ``metric="precomputed"`` a square
        dissimilarity matrix); ``init`` optionally gives the starting coordinates
        (n_samples, n_components), as scikit-learn's ``fit(X, init=…)``. Returns ``self``."""
        self._init_array = None if init is None else np.asarray(init, dtype=np.float64)
        try:
            return super().fit(X, y)
        finally:
            del self._init_array

    def fit_transform(self, X, y=None, init=None):
        """Fit ``X`` and return ``embedding_`` (float64, (n_samples, n_components))."""
        return self.fit(X, y, init=init).embedding_

    # Not wrapped for set_output (auto_wrap_output_keys=None), so the descriptor stays and
    # hasattr(mds, "transform") is False, as for scikit-learn's MDS.
    @available_if(_never)
    def transform(self, X):  # pragma: no cover - scikit-learn's MDS has no transform
        raise AttributeError("MDS has no transform")

    def _fit_core(self, X, *, y, seed, threads, verbose):
        params = {n: plain(getattr(self, n)) for n in self._core_names}
        metric = self.metric
        if isinstance(metric, (bool, np.bool_)):
            warnings.warn(
                f"Use metric_mds={bool(metric)} instead of metric={bool(metric)}. The support for metric={{True/False}} will be dropped in 1.10.",
                FutureWarning,
                stacklevel=4,
            )
            params["metric_mds"] = bool(metric)
            params["metric"] = "euclidean"
        if self.dissimilarity != "deprecated":
            if not isinstance(metric, (bool, np.bool_)) and metric != "euclidean":
                raise ValueError("You provided both `dissimilarity` and `metric`. Please use only `metric`.")
            warnings.warn("The `dissimilarity` parameter is deprecated and will be removed in 1.10. Use `metric` instead.", FutureWarning, stacklevel=4)
        if self.metric_params:
            raise ValueError(
                f"metric_params={self.metric_params!r}: unfold's MDS takes metric='euclidean' or 'precomputed', which have no parameters; "
                "compute another metric's distances and pass them with metric='precomputed'"
            )
        if getattr(self, "_init_array", None) is not None:
            params["init"] = self._init_array
        return self._call_core(X, params, seed=seed, threads=threads, verbose=verbose)

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["stress_"] = float(attrs["stress_"])
        attrs["n_iter_"] = int(attrs["n_iter_"])
        return attrs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed" or self.dissimilarity == "precomputed"
        # The embedding is float64, as scikit-learn's.
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
