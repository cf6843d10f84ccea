"""Principal component analysis, as scikit-learn's ``PCA``."""

from __future__ import annotations

import numbers

from . import _core
from ._base import UnfoldTransformer
from ._validation import as_count


class PCA(UnfoldTransformer):
    """Principal component analysis (scikit-learn's ``PCA``, computed by the Rust core).

    Projects the centred data onto its top ``n_components`` right singular vectors, with
    scikit-learn's automatic solver choice and sign convention, so ``components_``,
    ``explained_variance_ratio_`` and the embedding match ``sklearn.decomposition.PCA`` up to
    float32 rounding.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of components; None keeps ``min(n_samples, n_features)``. Must be between 1 and
        ``min(n_samples, n_features)``. (Fractional variance targets and ``'mle'`` are not
        supported.)
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
    components_ : ndarray of shape (n_components, n_features), float64
        Principal axes (unit rows), largest-magnitude entry of each positive.
    explained_variance_ : ndarray of shape (n_components,)
        Variance along each component, ``S² / (n_samples − 1)``.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Fraction of the total variance along each component.
    singular_values_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    n_samples_ : int
    svd_solver_ : str
        The solver used ('full', 'covariance_eigh' or 'randomized').
    embedding_ : ndarray of shape (n_samples, n_components), float32
        The training data projected onto the components.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has string column names (a DataFrame).

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
    """

    _model_class = _core.PcaModel

    def __init__(
        self,
        n_components=None,
        *,
        svd_solver="auto",
        n_oversamples=10,
        iterated_power="auto",
        random_state=None,
        n_jobs=None,
        verbose=False,
    ):
        self.n_components = n_components
        self.svd_solver = svd_solver
        self.n_oversamples = n_oversamples
        self.iterated_power = iterated_power
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit_core(self, X, *, y, seed, threads, verbose):
        # y is ignored, as by scikit-learn's PCA.
        n_components = self.n_components
        if n_components is None:
            n_components = min(X.shape)
        elif isinstance(n_components, numbers.Real) and not isinstance(n_components, numbers.Integral):
            raise ValueError(
                f"n_components must be an int between 1 and min(n_samples, n_features) = {min(X.shape)} "
                f"or None, got {n_components!r} (fractional variance targets are not supported)"
            )
        if not isinstance(self.svd_solver, str):
            raise TypeError(f"svd_solver must be a string, got {type(self.svd_solver).__name__}")
        iterated_power = None if self.iterated_power == "auto" else as_count(self.iterated_power, "iterated_power")
        return _core.fit_pca(
            X,
            n_components=as_count(n_components, "n_components"),
            svd_solver=self.svd_solver,
            n_oversamples=as_count(self.n_oversamples, "n_oversamples"),
            iterated_power=iterated_power,
            seed=seed,
            threads=threads,
            verbose=verbose,
        )

    def _fitted_attributes(self, model):
        embedding = model.embedding
        return {
            "components_": model.components,
            "explained_variance_": model.explained_variance,
            "explained_variance_ratio_": model.explained_variance_ratio,
            "singular_values_": model.singular_values,
            "mean_": model.mean,
            "n_components_": embedding.shape[1],
            "n_samples_": embedding.shape[0],
            "svd_solver_": model.solver,
            "embedding_": embedding,
        }
