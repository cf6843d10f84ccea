"""Principal component analysis, as scikit-learn's ``PCA``."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._contract import ContractTransformer
from ._validation import as_matrix


class PCA(ContractTransformer):
    """Principal component analysis (scikit-learn's ``PCA``, computed by the Rust core).

    Projects the centred data onto its top ``n_components`` right singular vectors, with
    scikit-learn's automatic solver choice and sign convention, so ``components_``,
    ``explained_variance_ratio_`` and the embedding match ``sklearn.decomposition.PCA``.

    float32 input is computed in float32 (products) and float64 (sums); float64 input, and
    integers float32 cannot hold exactly, in float64, so data such as ``1e6 + 1e-3 * u`` keeps
    its digits. Values of any magnitude (``1e-30`` to ``1e30``) give the same components; a
    result that does not fit its type raises ``ValueError`` naming it, never NaN.

    Parameters
    ----------
    n_components : int, float, 'mle' or None, default=None
        Number of components. None keeps ``min(n_samples, n_features)``; an int must be between
        1 and ``min(n_samples, n_features)``; a float strictly between 0 and 1 keeps the fewest
        components whose explained variance ratios sum to more than it; ``'mle'`` chooses the
        number by Minka's MLE (needs ``n_samples >= n_features``). A float or 'mle' needs the
        whole spectrum, so the solver is 'full' or 'covariance_eigh'.
    whiten : bool, default=False
        Divide the projections by ``sqrt(explained_variance_)``, so that each component has unit
        variance. ``inverse_transform`` undoes it.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'randomized'}, default='auto'
        'auto' picks as scikit-learn ≥ 1.5 does: covariance eigendecomposition for tall data
        (``n_features ≤ 1000`` and ``n_samples ≥ 10 n_features``), full SVD for small data,
        randomized SVD otherwise.
    n_oversamples : int, default=10
        Extra random vectors of the randomized solver.
    iterated_power : int or 'auto', default='auto'
        Power iterations of the randomized solver; 'auto' = 7, or 4 when
        ``n_components ≥ 0.1 min(n_samples, n_features)``.
    random_state : int, RandomState instance or None, default=None
        Seed of the randomized solver. An int gives the same result as ``unfold embed --seed``.
    n_jobs : int or None, default=None
        Worker threads; None or -1 uses all cores. Results do not depend on it.
    verbose : bool, default=False
        Show a progress bar on stderr.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features), float64
        Principal axes (unit rows), largest-magnitude entry of each positive.
    explained_variance_ : ndarray of shape (n_components_,)
        Variance along each component, ``S² / (n_samples − 1)``.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Fraction of the total variance along each component.
    singular_values_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
    noise_variance_ : float
        The probabilistic PCA noise variance (Tipping & Bishop, 1999): the mean variance of the
        discarded directions, 0 when ``n_components_ = min(n_samples, n_features)``.
    n_components_ : int
        The number of components kept (chosen by the data for a float or 'mle').
    n_samples_ : int
    svd_solver_ : str
        The solver used ('full', 'covariance_eigh' or 'randomized').
    embedding_ : ndarray of shape (n_samples, n_components_), float32
        The training data projected onto the components (whitened if ``whiten``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has string column names (a DataFrame).

    Notes
    -----
    ``transform`` returns float32 whatever the input dtype (scikit-learn returns the input's
    float dtype); ``inverse_transform``, ``score_samples``, ``get_covariance`` and
    ``get_precision`` return float64. scikit-learn's ``copy``, ``tol`` and
    ``power_iteration_normalizer`` are not parameters.

    See Also
    --------
    sklearn.decomposition.PCA : the reference implementation.

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(100, 5))
    >>> pca = unfold.PCA(n_components=2).fit(X)
    >>> pca.transform(X).shape
    (100, 2)
    >>> unfold.PCA(n_components=0.99).fit(X).n_components_
    5
    """

    _method = "pca"
    _defaults = {"n_components": None}
    _extra = {"n_jobs": None, "verbose": False}
    _precise = True

    # y is ignored, as by scikit-learn's PCA; parameters are checked by the core.

    def _fitted_attributes(self, model):
        attrs = super()._fitted_attributes(model)
        attrs["svd_solver_"] = model.resolved()["svd_solver"]
        attrs["embedding_"] = model.embedding
        return attrs

    def inverse_transform(self, X):
        """Map embedded points back to the data space: ``X @ components_ + mean_`` (undoing
        the whitening when ``whiten``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)

        Returns
        -------
        ndarray of shape (n_samples, n_features), float64
        """
        check_is_fitted(self)
        return _core.pca_inverse_transform(self._model, as_matrix(X, keep_float64=True))

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model (Tipping & Bishop,
        1999; Bishop, *Pattern Recognition and Machine Learning*, §12.2.1).

        Returns
        -------
        ndarray of shape (n_samples,), float64

        Raises
        ------
        ValueError
            When the model covariance is singular (``noise_variance_ == 0`` with fewer
            components than features), with what to do.
        """
        check_is_fitted(self)
        return _core.pca_score_samples(self._model, self._validate_input(X, reset=False))

    def score(self, X, y=None):
        """Average log-likelihood of the samples under the model (the mean of
        ``score_samples``); ``y`` is ignored."""
        return float(np.mean(self.score_samples(X)))

    def get_covariance(self):
        """Data covariance of the generative model,
        ``components_.T @ diag(explained_variance_ - noise_variance_) @ components_ +
        noise_variance_ * I`` (scikit-learn's formula, whitening included).

        Returns
        -------
        ndarray of shape (n_features, n_features), float64
        """
        check_is_fitted(self)
        return _core.pca_covariance(self._model)

    def get_precision(self):
        """Inverse of ``get_covariance()``, in closed form (the components are orthonormal).

        Returns
        -------
        ndarray of shape (n_features, n_features), float64
        """
        check_is_fitted(self)
        return _core.pca_precision(self._model)
