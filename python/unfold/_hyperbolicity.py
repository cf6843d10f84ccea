"""Gromov δ-hyperbolicity (the four-point δ), computed in the Rust core."""

from __future__ import annotations

from . import _core
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs

__all__ = ["hyperbolicity"]


def hyperbolicity(X, *, metric="euclidean", n_neighbors=None, method="auto", n_samples=1_000_000, random_state=None,
                  n_jobs=None, verbose=False):
    """Gromov's four-point δ of the rows of ``X``: ``max (S₁ - S₂) / 2`` over all quadruples
    ``x, y, z, w``, where ``S₁ ≥ S₂ ≥ S₃`` are ``d(x,y) + d(z,w)``, ``d(x,z) + d(y,w)`` and
    ``d(x,w) + d(y,z)``. Trees have δ = 0 and the cycle ``C_4k`` has δ = k.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or (n_samples, n_samples) distances
    metric : str, default="euclidean"
        A metric ``unfold.neighbors`` takes, or "precomputed" (a symmetric matrix, zero diagonal).
    n_neighbors : int, optional
        Measure the geodesic (shortest-path) distances of the symmetrised kNN graph with this many
        neighbours, its edges weighted by the metric, instead of the metric itself.
    method : {"auto", "exact", "sampled"}, default="auto"
        "exact": the pruned enumeration of Cohen, Coudert & Lancin (pairs by decreasing distance,
        stopping once no remaining quadruple can beat the best), up to 2,000 points; it also
        reports the base-point δ_w of one point (δ_w ≤ δ ≤ 2 δ_w). "sampled": the largest δ of
        ``n_samples`` random quadruples of distinct points, a lower bound. "auto": exact up to
        2,000 points.
    n_samples : int, default=1,000,000
        Quadruples drawn by the sampled method.
    random_state : int, optional
        Seed of the sampled quadruples and the approximate neighbour search.
    n_jobs, verbose
        Threads, and a progress bar.

    Returns
    -------
    dict with ``delta``, ``method``, ``quadruple`` (4 row indices attaining it), ``diameter``,
    ``n_quadruples`` (scored), ``base_point`` and ``delta_base_point`` (exact method).
    """
    X = as_matrix(X, "X")
    if n_neighbors is not None:
        n_neighbors = as_count(n_neighbors, "n_neighbors")
    delta, how, quadruple, diameter, scored, base, delta_base = _core.hyperbolicity(
        X, metric=as_metric(metric), n_neighbors=n_neighbors, method=str(method), n_samples=as_count(n_samples, "n_samples"),
        seed=seed_from_random_state(random_state), threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )
    return {"delta": delta, "method": how, "quadruple": list(quadruple), "diameter": diameter, "n_quadruples": scored,
            "base_point": base, "delta_base_point": delta_base}
