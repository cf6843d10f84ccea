"""Chordal averages of flags: the flag mean and the flag median (Mankovich & Birdal, ICCV 2023).

A flag of signature ``(n_1 < n_2 < ... < n_k)`` in ``R^n`` is an orthonormal ``n × n_k`` frame
whose first ``n_j`` columns span its ``j``-th subspace; block ``j`` (columns ``n_{j-1}:n_j``,
``m_j`` of them) spans the piece added at step ``j``. The chordal distance of two flags is

    d(X, Y)^2 = sum_j (m_j - ||X_j^T Y_j||_F^2) = 1/2 sum_j ||X_j X_j^T - Y_j Y_j^T||_F^2,

blind to rotations inside each block.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from . import _core
from ._validation import as_count, threads_from_n_jobs

__all__ = ["FlagAverage", "flag_mean", "flag_median", "flag_chordal_distance"]


class FlagAverage(NamedTuple):
    """A flag average with how its iteration ended (``return_all=True``)."""

    #: The average, an orthonormal ``n × n_k`` frame.
    point: np.ndarray
    #: ``sum_i w_i d(X_i, Y)^2`` for the mean, ``sum_i w_i d(X_i, Y)`` for the median.
    objective: float
    #: Trust-region steps (mean; 0 for the exact one-block mean) or re-weighting steps (median).
    n_iter: int
    #: Whether the stopping rule was met (``tol`` for the mean, ``conv_eps`` for the median).
    converged: bool
    #: The last gradient norm (mean) or chordal step between iterates (median).
    residual: float


def _signature(signature):
    if isinstance(signature, (numbers.Integral, np.integer)):
        signature = [signature]
    try:
        values = list(signature)
    except TypeError:
        raise TypeError(f"signature must be a sequence of ints, got {type(signature).__name__}") from None
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
            raise TypeError(f"signature must be a sequence of ints, got an element {v!r}")
        if int(v) < 0:
            raise ValueError(f"signature must be strictly increasing dimensions 1 ≤ n_1 < ... < n_k ≤ n, got {values!r}")
        out.append(as_count(v, "signature"))
    return out


def _frames(X):
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    if X.ndim != 3:
        raise ValueError(f"X must be a 3-d array of shape (p, n, n_k), one n × n_k frame per point, got shape {X.shape}")
    return X


def _weights(weights):
    if weights is None:
        return None
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
    if w.ndim != 1:
        raise ValueError(f"weights must be a 1-d array, one weight per point, got shape {w.shape}")
    return w


def _init(initial_point):
    if initial_point is None:
        return None
    y = np.ascontiguousarray(np.asarray(initial_point, dtype=np.float64))
    if y.ndim != 2:
        raise ValueError(f"initial_point must be one n × n_k frame (a 2-d array), got shape {y.shape}")
    return y


def _result(raw, return_all):
    avg = FlagAverage(raw[0], float(raw[1]), int(raw[2]), bool(raw[3]), float(raw[4]))
    return avg if return_all else avg.point


def flag_mean(X, signature, weights=None, *, initial_point=None, max_iters=200, tol=1e-10, n_jobs=None, return_all=False):
    """The weighted chordal flag mean of the flags ``X``.

    Minimises ``sum_i w_i d(X_i, Y)^2`` over flags ``Y`` of the same signature, that is
    maximises ``sum_j tr(Y_j^T P_j Y_j)`` over orthonormal ``Y`` with
    ``P_j = sum_i w_i X_ij X_ij^T``. With one block (the Grassmannian) the mean is exact: the
    top ``n_1`` eigenvectors of ``P_1``. With several blocks it is the paper's Stiefel problem,
    solved by a Riemannian trust region (truncated CG on the exact Hessian) on the flag manifold,
    from ``initial_point`` or the greedy flag (each block the top eigenvectors of its ``P_j``
    on the complement of the blocks before).

    Parameters
    ----------
    X : array of shape (p, n, n_k)
        ``p`` flags, each an orthonormal ``n × n_k`` frame whose first ``n_j`` columns span the
        ``j``-th subspace (the authors' ``data`` is the same with the point axis last).
    signature : sequence of int
        ``(n_1 < ... < n_k)``, ``n_k ≤ n``: the subspace dimensions (the authors' ``flag_type``).
    weights : array of shape (p,), optional
        Non-negative weights with a positive sum (all 1 by default).
    initial_point : array of shape (n, n_k), optional
        The trust region's starting frame; unused with one block.
    max_iters : int, default 200
        The most trust-region steps.
    tol : float, default 1e-10
        Stop when the Riemannian gradient of ``sum_i w_i d(X_i, Y)^2 / sum_i w_i`` is smaller.
    n_jobs : int, optional
        Threads for the sums over points (``None`` or -1: all cores); the result does not depend
        on it.
    return_all : bool, default False
        Return a :class:`FlagAverage` (point, objective, n_iter, converged, residual) instead
        of the frame alone.

    Returns
    -------
    ndarray of shape (n, n_k), or FlagAverage
        The mean's frame, each block rotated to the eigenvectors of ``Y_j^T P_j Y_j`` and each
        column's largest entry positive.

    References
    ----------
    N. Mankovich and T. Birdal, "Chordal Averaging on Flag Manifolds and Its Applications",
    ICCV 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from unfold.geometry import flag_mean
    >>> c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    >>> X = np.array([[[c], [s]], [[c], [-s]]])  # two lines at ±30°
    >>> np.round(np.abs(flag_mean(X, [1])), 12).ravel()
    array([1., 0.])
    """
    sig = _signature(signature)
    raw = _core.flag_mean(
        _frames(X), sig, _weights(weights), initial_point=_init(initial_point),
        max_iters=as_count(max_iters, "max_iters"), tol=float(tol), threads=threads_from_n_jobs(n_jobs),
    )
    return _result(raw, return_all)


def flag_median(
    X, signature, weights=None, *, initial_point=None, max_iters=100, conv_eps=1e-6, wt_eps=1e-6, n_jobs=None,
    return_all=False,
):
    """The weighted chordal flag median of the flags ``X``.

    Minimises ``sum_i w_i d(X_i, Y)`` by the paper's iteratively re-weighted flag means:
    ``Y <- flag_mean(X, w_i / max(d(X_i, Y), wt_eps))``, each warm-started at the current ``Y``,
    from the weighted flag mean (or ``initial_point``) until successive iterates are within
    ``conv_eps`` in chordal distance. Robust to outliers, which the mean follows.

    Parameters
    ----------
    X, signature, weights, n_jobs, return_all
        As :func:`flag_mean`.
    initial_point : array of shape (n, n_k), optional
        The first iterate (the weighted flag mean by default).
    max_iters : int, default 100
        The most re-weighting steps (the authors' code stops at 10).
    conv_eps : float, default 1e-6
        Stop when the chordal distance between successive iterates is smaller.
    wt_eps : float, default 1e-6
        The smallest distance in a weight, so that a point at the median does not get an
        infinite one.

    Returns
    -------
    ndarray of shape (n, n_k), or FlagAverage
        As :func:`flag_mean`; ``objective`` is ``sum_i w_i d(X_i, Y)``.

    References
    ----------
    N. Mankovich and T. Birdal, "Chordal Averaging on Flag Manifolds and Its Applications",
    ICCV 2023.
    """
    sig = _signature(signature)
    raw = _core.flag_median(
        _frames(X), sig, _weights(weights), initial_point=_init(initial_point),
        max_iters=as_count(max_iters, "max_iters"), conv_eps=float(conv_eps), wt_eps=float(wt_eps),
        threads=threads_from_n_jobs(n_jobs),
    )
    return _result(raw, return_all)


def flag_chordal_distance(X, Y, signature):
    """The chordal distance ``sqrt(sum_j (m_j - ||X_j^T Y_j||_F^2))`` between two flags given as
    orthonormal ``n × n_k`` frames."""
    x = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    y = np.ascontiguousarray(np.asarray(Y, dtype=np.float64))
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"X and Y must be two n × n_k frames of the same shape, got {x.shape} and {y.shape}")
    return float(_core.flag_chordal_distance(x, y, _signature(signature)))
