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
Ghahramani's harmonic mean), ``lPCA`` (rules on the PCA eigenvalues), ``CorrInt`` (the
correlation dimension of Grassberger & Procaccia 1983), ``MADA`` (Farahmand et al. 2007),
``ESS`` (Johnsson et al. 2015) and ``MiND_ML`` (Rozza et al. 2012). The neighbours come from
unfold's kNN engine (exact up to max(4,096, 7k²) rows, NN-descent above, seeded by
``random_state``) and the work runs in parallel in the Rust core.

What differs from scikit-dimension: TwoNN's ``dist=True`` (precomputed first and second
neighbour distances), MLE's noise model (``dnoise``, ``sigma``, ``n``,
``integral_approximation``), its ``neighborhood_based=False`` and ``K``, and lPCA's signal-rank
versions (``MP``, ``GD``, ``KN``, ``Minka``, ``parallel``, ``denoised``, ``scRMT``) and its
``center=False`` and ``fit_explained_variance`` are not offered; passing them raises
``TypeError``. TwoNN's ``x_`` and ``y_`` are not kept. An MLE point whose neighbours are all
duplicates of it raises ``ValueError`` naming its row (scikit-dimension returns NaN).
The precomputed-distance switch ``DM`` of CorrInt and MADA is ``metric="precomputed"`` here.
CorrInt counts the pairs closer than r1 and r2 from the kNN graph (exactly when the graph is
exact) instead of a full distance matrix; a pair exactly at r1 or r2 is not counted (``<``),
where scikit-dimension's rounded matrix-product distances may count it. MADA raises
``ValueError`` for a row with a duplicate (scikit-dimension skips its zero distances). ESS uses
every pair of a neighbourhood (scikit-dimension draws 5,000 at random above 100 neighbours),
offers ``d=1`` only and keeps no ``essval_``. MiND_ML's ``MLk`` maximises the likelihood exactly
(scikit-dimension's L-BFGS-B agrees to about 1e-6) and ``k + 1`` must be below the number of
points.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs

__all__ = ["intrinsic_dimension", "TwoNN", "MLE", "lPCA", "CorrInt", "MADA", "ESS", "MiND_ML"]

_LPCA_DEFAULTS = {"alphaFO": 0.05, "alphaFan": 10.0, "betaFan": 0.8, "PFan": 0.95, "alphaRatio": 0.05}
_OPTIONS = {
    "twonn": {"discard_fraction": 0.1, "twonn_method": "linear"},
    "mle": {"unbiased": False, "comb": "mle"},
    "lpca": {"ver": "FO", **_LPCA_DEFAULTS},
    "corrint": {"k1": 10, "k2": 20},
    "mada": {"comb": "mean"},
    "ess": {"ver": "a", "d": 1, "comb": "mean"},
    "mind_ml": {"D": 10, "ver": "MLk"},
}


def _run(X, method, *, n_neighbors, per_point, metric, random_state, n_jobs, verbose, options):
    if method not in _OPTIONS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _OPTIONS))}, got {method!r}")
    unknown = sorted(set(options) - set(_OPTIONS[method]))
    if unknown:
        raise TypeError(
            f"{', '.join(unknown)} {'is not an option' if len(unknown) == 1 else 'are not options'} of method={method!r}; "
            f"its options are {', '.join(_OPTIONS[method])}"
        )
    o = {k: v for m in _OPTIONS.values() for k, v in m.items()}
    o.update(_OPTIONS[method])
    o.update(options)
    if method == "ess" and o["d"] != 1:
        raise ValueError(f"d must be 1 (the only ESS simplex dimension offered), got {o['d']!r}")
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
        counts=[as_count(o["k1"], "k1"), as_count(o["k2"], "k2"), as_count(o["D"], "D")],
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
    method : {"twonn", "mle", "lpca", "corrint", "mada", "ess", "mind_ml", "danco"}, default="twonn"
    n_neighbors : int, optional
        Neighbours per point: 2 for TwoNN, 20 for MLE and MADA, 100 for ESS and per-point lPCA
        by default; MiND_ML's ``k`` (20). CorrInt takes ``k1`` and ``k2`` instead.
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
        ``PFan``, ``alphaRatio`` for lPCA; ``k1`` and ``k2`` for CorrInt; ``comb`` ("mean",
        "median") for MADA; ``ver`` ("a", "b"), ``d`` and ``comb`` for ESS; ``D`` and ``ver``
        ("MLk", "MLi") for MiND_ML; ``D``, ``ver``, ``fractal`` and ``calibration_data`` for
        DANCo (``n_neighbors`` is its ``k``, 10).
    """
    if method == "danco":
        if per_point:
            raise ValueError("per_point is not available for danco, a global estimator; per-point estimates come from mle, lpca, mada or ess")
        if metric != "euclidean":
            raise ValueError(f"metric must be 'euclidean' for danco (its angles and calibration balls are euclidean), got {metric!r}")
        return _danco.danco(X, k=10 if n_neighbors is None else n_neighbors, random_state=random_state, n_jobs=n_jobs,
                            verbose=verbose, **options)
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


class _LocalIdEstimator(_IdEstimator):
    """scikit-dimension's local estimators: ``fit(X, n_neighbors=None, comb="mean")``."""

    _N_NEIGHBORS: int

    def fit(self, X, y=None, n_neighbors=None, comb="mean"):
        n = len(X)
        k = self._N_NEIGHBORS if n_neighbors is None else as_count(n_neighbors, "n_neighbors")
        if k >= n:
            warnings.warn("n_neighbors >= len(X), setting n_neighbors = len(X)-1")
            k = n - 1
        self._comb = comb
        dimension, pw, used, _ = self._fit(X, n_neighbors=k, per_point=True)
        self.dimension_, self.dimension_pw_, self.n_neighbors_, self.comb_ = dimension, pw, used, comb
        return self

    def transform_pw(self, X=None):
        """The fitted ``dimension_pw_``."""
        check_is_fitted(self, "dimension_pw_")
        return self.dimension_pw_


class CorrInt(_IdEstimator):
    """The correlation dimension (Grassberger & Procaccia 1983), as ``skdim.id.CorrInt``: with r1
    and r2 the median ``k1``-th and ``k2``-th neighbour distances and C(r) the fraction of pairs
    closer than r, ``(ln C(r2) - ln C(r1)) / ln(r2 / r1)``.

    Parameters
    ----------
    k1 : int, default=10
    k2 : int, default=20
        As scikit-dimension, ``k2 >= n_samples`` is lowered to ``n_samples - 1`` and ``k1 >= k2``
        to ``k2 - 1``, with a warning.
    metric, random_state, n_jobs
        As :func:`intrinsic_dimension`; ``metric="precomputed"`` is scikit-dimension's ``DM=True``.

    Attributes
    ----------
    dimension_ : float
    """

    _method = "corrint"

    def __init__(self, k1=10, k2=20, *, metric="euclidean", random_state=None, n_jobs=None):
        self.k1 = k1
        self.k2 = k2
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"k1": self._k1, "k2": self._k2}

    def fit(self, X, y=None):
        n = len(X)
        self._k1, self._k2 = as_count(self.k1, "k1"), as_count(self.k2, "k2")
        if self._k2 >= n:
            warnings.warn("k2 larger or equal to len(X), using len(X)-1")
            self._k2 = n - 1
        if self._k1 >= n or self._k1 >= self._k2:
            warnings.warn("k1 larger than k2 or len(X), using k2-1")
            self._k1 = self._k2 - 1
        self.dimension_ = self._fit(X)[0]
        return self


class MADA(_LocalIdEstimator):
    """MADA (Farahmand, Szepesvári & Audibert 2007), as ``skdim.id.MADA``: per point
    ``ln 2 / ln(R_k / R_{k/2})`` from its ``k``-th and ``floor(k/2)``-th neighbour distances.

    ``fit(X, n_neighbors=None, comb="mean")`` takes scikit-dimension's fitting arguments:
    ``n_neighbors`` (20) and ``comb`` ("mean" or "median").

    Attributes
    ----------
    dimension_ : float
    dimension_pw_ : ndarray of shape (n_samples,)
    n_neighbors_ : int
    comb_ : str
    """

    _method = "mada"
    _N_NEIGHBORS = 20

    def __init__(self, *, metric="euclidean", random_state=None, n_jobs=None):
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"comb": self._comb}


class ESS(_LocalIdEstimator):
    """Expected simplex skewness (Johnsson, Soneson & Fontes 2015), as ``skdim.id.ESS``: the
    neighbours of each point, centred on their mean, are compared pairwise, and the statistic
    is read against its value for uniform balls of each dimension (interpolated linearly).

    Parameters
    ----------
    ver : {"a", "b"}, default="a"
        "a": the simplex skewness ``sum |u||v| sin(u, v) / sum |u||v|``; "b": the projection
        ``sum |u.v| / sum |u||v|``.
    d : int, default=1
        The simplex dimension; only 1 is offered.
    random_state
        Kept for scikit-dimension's signature: every pair is used, so nothing is drawn at random;
        it seeds the approximate neighbour search.

    ``fit(X, n_neighbors=None, comb="mean")``: ``n_neighbors`` (100), ``comb`` ("mean", "median").

    Attributes
    ----------
    dimension_ : float
    dimension_pw_ : ndarray of shape (n_samples,)
    n_neighbors_ : int
    comb_ : str
    """

    _method = "ess"
    _N_NEIGHBORS = 100

    def __init__(self, ver="a", d=1, random_state=None, *, metric="euclidean", n_jobs=None):
        self.ver = ver
        self.d = d
        self.random_state = random_state
        self.metric = metric
        self.n_jobs = n_jobs

    def _options(self):
        return {"ver": self.ver, "d": self.d, "comb": self._comb}


class MiND_ML(_IdEstimator):  # noqa: N801 (scikit-dimension's name)
    """MiND-ML (Rozza et al. 2012), as ``skdim.id.MiND_ML``: the maximum-likelihood dimension of
    the ratios of each point's first to ``(k+1)``-th neighbour distance.

    Parameters
    ----------
    k : int, default=20
    D : int, default=10
        The largest dimension considered.
    ver : {"MLk", "MLi"}, default="MLk"
        The maximum over ``[0, D]``, or over the whole dimensions ``1..D``.
    metric, random_state, n_jobs
        As :func:`intrinsic_dimension`.

    Attributes
    ----------
    dimension_ : float
    """

    _method = "mind_ml"

    def __init__(self, k=20, D=10, ver="MLk", *, metric="euclidean", random_state=None, n_jobs=None):  # noqa: N803
        self.k = k
        self.D = D
        self.ver = ver
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _options(self):
        return {"D": self.D, "ver": self.ver}

    def fit(self, X, y=None):
        self.dimension_ = self._fit(X, n_neighbors=as_count(self.k, "k"))[0]
        return self
# Persistent homology and distances between diagrams (ripser.py's and persim's).
from ._topology import bottleneck, persistent_homology, ripser, wasserstein  # noqa: E402

__all__ += ["ripser", "persistent_homology", "bottleneck", "wasserstein"]

from ._entropy import diffusion_spectral_entropy, diffusion_spectral_mutual_information  # noqa: E402

__all__ += ["diffusion_spectral_entropy", "diffusion_spectral_mutual_information"]

from ._hyperbolicity import hyperbolicity  # noqa: E402

__all__ += ["hyperbolicity"]

from ._curvature import ollivier_ricci  # noqa: E402

__all__ += ["ollivier_ricci"]

from ._sectional import sectional_curvature  # noqa: E402

__all__ += ["sectional_curvature"]

# DANCo (Ceruti et al. 2014), scikit-dimension's DANCo.
from . import _danco  # noqa: E402
from ._danco import DANCo  # noqa: E402

__all__ += ["DANCo"]
