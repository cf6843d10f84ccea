"""Persistent homology (ripser.py's ``ripser``) and distances between persistence diagrams
(persim's ``bottleneck`` and ``wasserstein``), computed in the Rust core."""

from __future__ import annotations

import warnings

import numpy as np

from . import _core
from ._validation import as_count, as_matrix, threads_from_n_jobs

__all__ = ["ripser", "persistent_homology", "bottleneck", "wasserstein"]


def ripser(X, maxdim=1, thresh=np.inf, coeff=2, distance_matrix=False, do_cocycles=False, metric="euclidean",
           n_perm=None, *, n_jobs=None, verbose=False):
    """Persistence diagrams of the Vietoris–Rips filtration of ``X``, as ``ripser.ripser``.

    Ripser's algorithm (Bauer 2021) over Z/2: H0 by union–find, higher dimensions by the reduced
    coboundary matrix with clearing, apparent and emergent pairs. As ripser.py, distances are
    rounded to float32, ``thresh=inf`` stops at the enclosing radius (nothing changes above
    it), pairs of zero persistence are left out and essential classes die at ``inf``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or (n_samples, n_samples) distances
    maxdim : int, default=1
        Highest homology dimension (0 to 3). Dimension 2 and up is for small inputs: a size
        guard refuses a complex that would not fit in memory, suggesting ``n_perm`` or ``thresh``.
    thresh : float, default=inf
        Largest diameter of a simplex.
    coeff : int, default=2
        The field Z/pZ; only 2 is offered.
    distance_matrix : bool, default=False
        ``X`` is a square distance matrix (symmetric, zero diagonal); same as
        ``metric="precomputed"``.
    do_cocycles : bool, default=False
        Representative cocycles are not offered (only False).
    metric : str, default="euclidean"
        A metric ``unfold.neighbors`` takes, or "precomputed".
    n_perm : int, optional
        Compute on a greedy (maxmin) subsample of this many points, the first point first.
    n_jobs, verbose
        Threads, and a progress bar.

    Returns
    -------
    dict with ``dgms`` (one float64 array of (birth, death) rows per dimension), ``num_edges``,
    ``idx_perm`` (the points used, in order) and ``r_cover`` (the largest distance of a point to
    its nearest subsample point; 0 without ``n_perm``).
    """
    if coeff != 2:
        raise ValueError(f"coeff must be 2 (persistence over Z/2 only), got {coeff!r}")
    if do_cocycles:
        raise ValueError("do_cocycles=True is not offered: representative cocycles are not computed")
    if isinstance(metric, str) and metric.lower() == "precomputed":
        distance_matrix = True
    X = as_matrix(X, "X")
    if distance_matrix:
        metric = "precomputed"
    elif X.shape[1] > X.shape[0]:
        warnings.warn("The input point cloud has more columns than rows; did you mean to transpose?")
    if n_perm is not None:
        n_perm = as_count(n_perm, "n_perm")
    dgms, num_edges, idx_perm, r_cover = _core.rips_persistence(
        X, maxdim=as_count(maxdim, "maxdim"), thresh=float(thresh), metric=metric, n_perm=n_perm,
        threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )
    return {"dgms": dgms, "num_edges": num_edges, "idx_perm": idx_perm, "r_cover": r_cover}


def persistent_homology(X, maxdim=1, *, thresh=np.inf, metric="euclidean", n_perm=None, n_jobs=None, verbose=False):
    """:func:`ripser` with keyword options: ``metric="precomputed"`` for a distance matrix."""
    return ripser(X, maxdim=maxdim, thresh=thresh, metric=metric, n_perm=n_perm, n_jobs=n_jobs, verbose=verbose)


def _diagram(dgm, name):
    d = np.asarray(dgm, dtype=np.float64)
    if d.size == 0:
        return np.zeros((0, 2))
    if d.ndim != 2 or d.shape[1] < 2:
        raise ValueError(f"{name} must be an array of (birth, death) rows, got shape {d.shape}")
    d = np.ascontiguousarray(d[:, :2])
    if np.isinf(d[:, 1]).any():
        warnings.warn(f"{name} has points with non-finite death times;ignoring those points")
    return d


def bottleneck(dgm1, dgm2):
    """The bottleneck distance between two diagrams, as ``persim.bottleneck``: L∞ costs, a
    point's distance to the diagonal ``(death - birth) / 2``, points dying at ``inf`` left out.
    """
    return _core.bottleneck_distance(_diagram(dgm1, "dgm1"), _diagram(dgm2, "dgm2"))


def wasserstein(dgm1, dgm2, *, p=1.0, internal_p=2.0):
    """The p-Wasserstein distance ``(min Σ cost^p)^(1/p)`` between two diagrams, over matchings
    of points to points or to the diagonal, the cost the L_q norm with ``q = internal_p``.

    The defaults give ``persim.wasserstein`` (p = 1 with its euclidean costs, a point's distance
    to the diagonal ``(death - birth) / √2``); ``internal_p=np.inf`` is the L∞ ground metric of
    the bottleneck distance (GUDHI's default). Points dying at ``inf`` are left out.
    """
    return _core.wasserstein_distance(_diagram(dgm1, "dgm1"), _diagram(dgm2, "dgm2"), float(p), float(internal_p))
