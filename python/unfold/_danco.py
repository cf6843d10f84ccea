"""DANCo (Ceruti et al. 2014), as scikit-dimension 0.5's ``skdim.id.DANCo``, computed in the Rust
core."""

from __future__ import annotations

import warnings

from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._validation import as_count, as_matrix, seed_from_random_state, threads_from_n_jobs

__all__ = ["DANCo", "danco"]

_VERSIONS = ("DANCo", "MIND_MLk", "MIND_MLi")


def _calibration_in(cal):
    """scikit-dimension's calibration dict as the core's ``(k, N, [(dhat, mu_nu, mu_tau)])``."""
    if cal is None:
        return None
    try:
        rows = [(float(c["dhat"]), float(c["mu_nu"]), float(c["mu_tau"])) for c in cal["calibration_data"]]
        return as_count(cal["k"], "calibration_data['k']"), as_count(cal["N"], "calibration_data['N']"), rows
    except (KeyError, TypeError) as e:
        raise ValueError(
            "calibration_data must be a dict with 'k', 'N' and 'calibration_data' (a list of dicts with 'dhat', "
            f"'mu_nu', 'mu_tau'), as DANCo's calibration_data_; got {type(cal).__name__} ({e})"
        ) from None


def _run(X, *, k, D, ver, fractal, calibration_data, random_state, n_jobs, verbose):
    if ver not in _VERSIONS:
        raise ValueError(f"ver must be one of {', '.join(map(repr, _VERSIONS))}, got {ver!r}")
    X = as_matrix(X, "X")
    return _core.danco(
        X, k=as_count(k, "k"), max_dim=None if D is None else as_count(D, "D"), ver=str(ver), fractal=bool(fractal),
        calibration=_calibration_in(calibration_data), seed=seed_from_random_state(random_state),
        threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )


def danco(X, *, k=10, D=None, ver="DANCo", fractal=True, calibration_data=None, random_state=None, n_jobs=None,
          verbose=False):
    """DANCo's intrinsic dimension of ``X`` (a float); see :class:`DANCo`."""
    return _run(X, k=k, D=D, ver=ver, fractal=fractal, calibration_data=calibration_data, random_state=random_state,
                n_jobs=n_jobs, verbose=verbose)[0]


class DANCo(BaseEstimator):
    """DANCo (Ceruti, Bassis, Rozza, Lombardi, Casiraghi & Campadelli 2014), as
    ``skdim.id.DANCo``: the dimension of the uniform ball whose statistics are closest, in
    Kullback–Leibler divergence, to the data's — the MiND-MLk dimension of the ratios of first to
    ``(k+1)``-th neighbour distances, and the mean von Mises location and concentration of the
    angles between the vectors to the first ``k`` neighbours. The balls (``n_samples`` points in
    each dimension ``1..D``) are drawn at random from ``random_state``.

    Parameters
    ----------
    k : int, default=10
        Neighbours; as scikit-dimension, ``k >= n_samples - 1`` is lowered to ``n_samples - 2``
        with a warning.
    D : int, optional
        The largest dimension considered; the number of features by default.
    calibration_data : dict, optional
        ``calibration_data_`` of an earlier fit with the same ``k`` and number of samples
        (extended when it stops below ``D``).
    ver : {"DANCo", "MIND_MLk", "MIND_MLi"}, default="DANCo"
        DANCo, or the MiND-ML dimension alone (maximum over ``[0, D]``, or whole ``1..D``).
    fractal : bool, default=True
        The minimum of the spline through the divergences (cubic for more than 3 features,
        quadratic for 3, linear for 2) near the whole dimension of least divergence, rather than
        that whole dimension.
    verbose : bool, default=False
        A progress bar.
    random_state : int, RandomState or Generator, optional
        Seed of the calibration balls and of the approximate neighbour search.
    n_jobs : int, optional
        Threads.

    Attributes
    ----------
    dimension_ : float
    kl_divergence_ : float
        The divergence at the whole dimension of least divergence (``ver="DANCo"``).
    calibration_data_ : dict
        ``{"k", "N", "maxdim", "calibration_data": [{"dhat", "mu_nu", "mu_tau"}, ...]}``, reusable
        for data of the same size (``ver="DANCo"``).

    Notes
    -----
    scikit-dimension's random stream cannot be reproduced, so fractal estimates differ from its
    by the calibration's noise (about 0.05–0.3 on its benchmark manifolds of 1,000 points).
    The fractal minimum is found to full precision where scikit-dimension stops L-BFGS-B at a
    relative decrease of 1e-3, and MiND-MLk maximises the likelihood exactly where
    scikit-dimension's L-BFGS-B sometimes stays at its whole starting point. A duplicate row
    raises ``ValueError`` naming it. ``ver="DANCoFit"`` (a precomputed table) is not offered.
    """

    def __init__(self, k=10, D=None, calibration_data=None, ver="DANCo", fractal=True, verbose=False,  # noqa: N803
                 random_state=None, *, n_jobs=None):
        self.k = k
        self.D = D
        self.calibration_data = calibration_data
        self.ver = ver
        self.fractal = fractal
        self.verbose = verbose
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        """Estimate the dimension of ``X``; returns ``self``."""
        X = as_matrix(X, "X")
        n = X.shape[0]
        k = as_count(self.k, "k")
        if k >= n - 1 and n >= 4:
            warnings.warn("k larger or equal to len(X) - 1, using len(X) - 2")
            k = n - 2
        self.n_features_in_ = X.shape[1]
        dimension, kl, _, _, cal = _run(
            X, k=k, D=self.D, ver=self.ver, fractal=self.fractal, calibration_data=self.calibration_data,
            random_state=self.random_state, n_jobs=self.n_jobs, verbose=self.verbose,
        )
        self.dimension_ = dimension
        if cal is not None:
            ck, cn, rows = cal
            self.kl_divergence_ = kl
            self.calibration_data_ = {
                "k": ck, "N": cn, "maxdim": len(rows),
                "calibration_data": [{"dhat": a, "mu_nu": b, "mu_tau": c} for a, b, c in rows],
            }
        return self

    def transform(self, X=None):
        """The fitted ``dimension_`` (scikit-dimension's ``transform``)."""
        check_is_fitted(self, "dimension_")
        return self.dimension_

    def fit_transform(self, X, y=None):
        """Fit and return ``dimension_``."""
        return self.fit(X).dimension_
