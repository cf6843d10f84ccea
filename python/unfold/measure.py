"""Measurements of the data: its intrinsic dimension, as scikit-dimension defines it.

>>> import numpy as np, unfold
>>> rng = np.random.default_rng(0)
>>> X = rng.random((1000, 3)) @ rng.random((3, 10))       # a 3-D cube in 10 dimensions
>>> round(unfold.measure.intrinsic_dimension(X, method="twonn"))
3
>>> unfold.measure.MLE().fit(X).dimension_pw_.shape
(1000,)

The estimators are scikit-dimension 0.5's, with its definitions, parameter names and defaults:
``TwoNN`` (Facco et al. 2017), ``MLE`` (Levina & Bickel 2005, combined by MacKay and
Ghahramani's harmonic mean) and ``lPCA`` (rules on the PCA eigenvalues). The neighbours come from
unfold's kNN engine (exact up to max(4,096, 7k²) rows, NN-descent above, seeded by
``random_state``) and the work runs in parallel in the Rust core.

What differs from scikit-dimension: TwoNN's ``dist=True`` (precomputed first and second
neighbour distances), MLE's noise model (``dnoise``, ``sigma``, ``n``,
``integral_approximation``), its ``neighborhood_based=False`` and ``K``, and lPCA's signal-rank
versions (``MP``, ``GD``, ``KN``, ``Minka``, ``parallel``, ``denoised``, ``scRMT``) and its
``center=False`` and ``fit_explained_variance`` are not offered; passing them raises
``TypeError``. TwoNN's ``x_`` and ``y_`` are not kept. An MLE point whose neighbours are all
duplicates of it raises ``ValueError`` naming its row (scikit-dimension returns NaN).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs

__all__ = ["intrinsic_dimension", "TwoNN", "MLE", "lPCA"]

_LPCA_DEFAULTS = {"alphaFO": 0.05, "alphaFan": 10.0, "betaFan": 0.8, "PFan": 0.95, "alphaRatio": 0.05}
_OPTIONS = {
    "twonn": {"discard_fraction": 0.1, "twonn_method": "linear"},
    "mle": {"unbiased": False, "comb": "mle"},
    "lpca": {"ver": "FO", **_LPCA_DEFAULTS},
}


def _run(X, method, *, n_neighbors, per_point, metric, random_state, n_jobs, verbose, options):
    if method not in _OPTIONS:
        raise ValueError(f"method must be one of 'twonn', 'mle', 'lpca', got {method!r}")
    unknown = sorted(set(options) - set(_OPTIONS[method]))
    if unknown:
        raise TypeError(
            f"{', '.join(unknown)} {'is not an option' if len(unknown) == 1 else 'are not options'} of method={method!r}; "
            f"its options are {', '.join(_OPTIONS[method])}"
        )
    o = {k: v for m in _OPTIONS.values() for k, v in m.items()}
    o.update(options)
    X = as_matrix(X, "X")
    if n_neighbors is not None:
        n_neighbors = as_count(n_neighbors, "n_neighbors")
    return _core.intrinsic_dimension(
        X,
        estimator_name=method,
        n_neighbors=n_neighbors,
        per_point=bool(per_point),
        metric=as_metric(metric),
        seed=seed_from_random_state(random_state),
        threads=threads_from_n_jobs(n_jobs),
        verbose=bool(verbose),
        discard_fraction=float(o["discard_fraction"]),
        twonn_method=str(o["twonn_method"]),
        unbiased=bool(o["unbiased"]),
        comb=str(o["comb"]),
        ver=str(o["ver"]),
        lpca=[float(o[k]) for k in _LPCA_DEFAULTS],
    )


def intrinsic_dimension(
    X, method="twonn", *, n_neighbors=None, per_point=False, metric="euclidean", random_state=None, n_jobs=None,
    verbose=False, **options,
):
    """The intrinsic dimension of ``X``: a float, or with ``per_point=True`` an array of one
    estimate per point (``method`` ``"mle"`` or ``"lpca"``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    method : {"twonn", "mle", "lpca"}, default="twonn"
    n_neighbors : int, optional
        Neighbours per point: 2 for TwoNN, 20 for MLE, 100 for per-point lPCA by default.
    per_point : bool, default=False
    metric : str, default="euclidean"
        A metric ``unfold.neighbors`` takes.
    random_state, n_jobs, verbose
        As unfold's estimators: the seed of the approximate neighbour search (above
        max(4,096, 7k²) rows), the threads, a progress bar.
    **options
        The estimator's scikit-dimension parameters: ``discard_fraction`` and
        ``twonn_method`` (TwoNN's ``method``: "linear" or "mle"); ``unbiased`` and ``comb``
        ("mle", "mean", "median") for MLE; ``ver``, ``alphaFO``, ``alphaFan``, ``betaFan``,
        ``PFan``, ``alphaRatio`` for lPCA.
    """
    dimension, pw, _, _ = _run(
        X, method, n_neighbors=n_neighbors, per_point=per_point, metric=metric, random_state=random_state, n_jobs=n_jobs,
        verbose=verbose, options=options,
    )
    return pw if per_point else dimension


class _IdEstimator(BaseEstimator):
    """Shared fitting of the scikit-dimension-style estimators (not used directly)."""

    _method: str

    def _options(self) -> dict:
        raise NotImplementedError

    def _fit(self, X, *, n_neighbors=None, per_point=False):
        X = as_matrix(X, "X")
        self.n_features_in_ = X.shape[1]
        return _run(
            X, self._method, n_neighbors=n_neighbors, per_point=per_point, metric=self.metric,
            random_state=self.random_state, n_jobs=self.n_jobs, verbose=False, options=self._options(),
        )

    def transform(self, X=None):
        """The fitted ``dimension_`` (scikit-dimension's ``transform``)."""
        check_is_fitted(self, "dimension_")
        return self.dimension_

    def fit_transform(self, X, y=None):
        """Fit and return ``dimension_``."""
        return self.fit(X).dimension_


class TwoNN(_IdEstimator):
    """TwoNN (Facco et al. 2017), as ``skdim.id.TwoNN``: the ratios of second to first
    neighbour distances follow a Pareto law whose shape is the dimension.

    Parameters
    ----------
    discard_fraction : float in [0, 1), default=0.1
        Fraction of the largest ratios left out.
    method : {"linear", "mle"}, default="linear"
        The line fit of Facco et al., or the censored maximum-likelihood estimate.
    metric, random_state, n_jobs
        As :func:`intrinsic_dimension`.

    Attributes
    ----------
    dimension_ : float
    n_dropped_ : int
        Points left out for a duplicate (distance 0 to the nearest neighbour).
    """

    _method = "twonn"

    def __init__(self, discard_fraction=0.1, method="linear", *, metric="euclidean", random_state=None, n_jobs=None):
        self.discard_fraction = discard_fraction
        self.method = method
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"discard_fraction": self.discard_fraction, "twonn_method": self.method}

    def fit(self, X, y=None):
        dimension, _, _, dropped = self._fit(X)
        if dropped:
            warnings.warn(f"Dropping {dropped} points with zero distance to their nearest neighbour (duplicate points).")
        self.dimension_, self.n_dropped_ = dimension, dropped
        return self


class MLE(_IdEstimator):
    """Levina–Bickel maximum likelihood, as ``skdim.id.MLE`` (Haro's form without noise): per
    point ``(k - 1) / Σ ln(R_k / R_j)`` over its ``n_neighbors`` neighbour distances.

    Parameters
    ----------
    unbiased : bool, default=False
        ``k - 2`` for ``k - 1``.
    metric, random_state, n_jobs
        As :func:`intrinsic_dimension`.

    ``fit(X, n_neighbors=None, comb="mle")`` takes scikit-dimension's fitting arguments:
    ``n_neighbors`` (20; lowered to ``n_samples - 1`` with a warning, as scikit-dimension does)
    and ``comb`` ("mle" — the harmonic mean — "mean" or "median").

    Attributes
    ----------
    dimension_ : float
    dimension_pw_ : ndarray of shape (n_samples,)
    n_neighbors_ : int
    comb_ : str
    """

    _method = "mle"

    def __init__(self, unbiased=False, *, metric="euclidean", random_state=None, n_jobs=None):
        self.unbiased = unbiased
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"unbiased": self.unbiased, "comb": self._comb}

    def fit(self, X, y=None, n_neighbors=None, comb="mle"):
        n = len(X)
        k = 20 if n_neighbors is None else as_count(n_neighbors, "n_neighbors")
        if k >= n:
            warnings.warn("n_neighbors >= len(X), setting n_neighbors = len(X)-1")
            k = n - 1
        self._comb = comb
        dimension, pw, used, _ = self._fit(X, n_neighbors=k, per_point=True)
        self.dimension_, self.dimension_pw_, self.n_neighbors_, self.comb_ = dimension, pw, used, comb
        return self


class lPCA(_IdEstimator):  # noqa: N801 (scikit-dimension's name)
    """Intrinsic dimension from the PCA eigenvalues, as ``skdim.id.lPCA``'s explained-variance
    rules: "FO" (eigenvalues above ``alphaFO`` times the largest), "Fan", "maxgap", "ratio",
    "participation_ratio", "Kaiser", "broken_stick".

    ``fit(X)`` applies the rule to all rows; ``fit_pw(X, n_neighbors=100)`` to each point's
    neighbours (the point itself left out), setting ``dimension_pw_``.

    Attributes
    ----------
    dimension_ : float
    dimension_pw_ : ndarray of shape (n_samples,), after ``fit_pw``
    """

    _method = "lpca"

    def __init__(
        self, ver="FO", alphaRatio=0.05, alphaFO=0.05, alphaFan=10, betaFan=0.8, PFan=0.95, *, metric="euclidean",
        random_state=None, n_jobs=None,
    ):
        self.ver = ver
        self.alphaRatio = alphaRatio
        self.alphaFO = alphaFO
        self.alphaFan = alphaFan
        self.betaFan = betaFan
        self.PFan = PFan
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"ver": self.ver, "alphaFO": self.alphaFO, "alphaFan": self.alphaFan, "betaFan": self.betaFan,
                "PFan": self.PFan, "alphaRatio": self.alphaRatio}

    def fit(self, X, y=None):
        self.dimension_ = self._fit(X)[0]
        return self

    def fit_pw(self, X, n_neighbors=100):
        """Per-point estimates on each point's ``n_neighbors`` neighbours (``dimension_pw_``)."""
        dimension, pw, _, _ = self._fit(X, n_neighbors=n_neighbors, per_point=True)
        self.dimension_, self.dimension_pw_ = dimension, pw
        return self

    def transform_pw(self, X=None):
        """The fitted ``dimension_pw_``."""
        check_is_fitted(self, "dimension_pw_")
        return self.dimension_pw_

# Persistent homology and distances between diagrams (ripser.py's and persim's).
from ._topology import bottleneck, persistent_homology, ripser, wasserstein  # noqa: E402

__all__ += ["ripser", "persistent_homology", "bottleneck", "wasserstein"]
