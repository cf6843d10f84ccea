"""Per-point sectional curvature by triangle comparison (Gu, Sala, Gunel & Ré 2019, the estimate
of Manify's ``curvature_estimation.sectional_curvature``), computed in the Rust core."""

from __future__ import annotations

from . import _core
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs

__all__ = ["sectional_curvature"]


def sectional_curvature(X, n_neighbors=5, *, n_samples=100, metric="euclidean", random_state=None, n_jobs=None,
                        verbose=False):
    """Sectional curvature of each point, by comparison with flat triangles.

    For a point ``m``, two of its neighbours ``b, c`` in the symmetrised kNN graph of
    ``n_neighbors`` and a reference point ``a``::

        xi(m; b, c; a) = (d(a,m)**2 + d(b,c)**2 / 4 - (d(a,b)**2 + d(a,c)**2) / 2) / (2 d(a,m))

    (Gu et al. 2019): zero in the plane when ``m`` is the midpoint of ``b c``, at most zero on a
    tree, positive on a sphere. A point's estimate is the mean over the pairs ``b < c`` of its
    neighbours and over the references with ``d(a, m) > 0``. ``d`` is the kNN graph's
    shortest-path distance (edges weighted by ``metric``), or with ``metric="precomputed"`` the
    given square distance matrix itself (its ``n_neighbors`` smallest entries a row make the
    graph).

    Parameters
    ----------
    X : array of shape (n_samples, n_features), or (n_samples, n_samples) when precomputed.
    n_neighbors : int, default 5
        Neighbours of the kNN graph (Manify's ``k_neighbors``).
    n_samples : int or None, default 100
        Reference points ``a``, drawn once from ``random_state`` and shared by every point
        (Manify's name); ``None`` (or at least the number of rows): every point, no sampling.
    metric : str, default "euclidean"
        Distance between rows, or ``"precomputed"``.
    random_state : int, RandomState or None
        Seed of the references and of the approximate neighbour search.
    n_jobs : int or None
        Threads (``None``/-1: all cores).
    verbose : bool
        Progress on stderr.

    Returns
    -------
    dict with ``curvature`` (n_samples,) each point's estimate (0 for a point with fewer than two
    neighbours), ``mean`` over the points that have one, ``references`` (int64, increasing) and
    ``n_without_pairs``.
    """
    X = as_matrix(X, "X")
    per_point, mean, references, without = _core.sectional_curvature(
        X, n_neighbors=as_count(n_neighbors, "n_neighbors"),
        n_samples=None if n_samples is None else as_count(n_samples, "n_samples"), metric=as_metric(metric),
        seed=seed_from_random_state(random_state), threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )
    return {"curvature": per_point, "mean": mean, "references": references, "n_without_pairs": without}
