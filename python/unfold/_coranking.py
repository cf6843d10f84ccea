"""The co-ranking matrix and the rank-based quality curves built on it (Q_NX, LCMC, R_NX and
its AUC), and Shepard-diagram data, computed in the Rust core.

Names follow the Python package ``coranking`` (S. Jackson, after Lee & Verleysen 2009):
``coranking_matrix(high_data, low_data)`` there is :func:`coranking_matrix` here, and its
``metrics.LCMC(Q, min_k, max_k)`` is :func:`lcmc` at one neighbourhood size or the ``lcmc``
curve of :func:`rank_curves`. ``zadu``'s ``local_continuity_meta_criteria`` gives the same LCMC.

References: J. A. Lee and M. Verleysen, *Quality assessment of dimensionality reduction:
rank-based criteria*, Neurocomputing 72 (2009) 1431–1443; J. A. Lee, D. H. Peluffo-Ordóñez
and M. Verleysen, *Multi-scale similarities in stochastic neighbour embedding*, Neurocomputing
169 (2015) 246–261.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import as_count, as_matrix, as_metric

__all__ = ["coranking_matrix", "lcmc", "rank_curves", "shepard"]

_METRIC_DOC = """metric : str, default='euclidean'
        Distance in ``X`` (the embedding is always euclidean): a name ``unfold.neighbors``
        takes, or 'precomputed' (``X`` the square matrix of distances)."""


def _pair(X, X_embedded):
    return as_matrix(X, "X"), as_matrix(X_embedded, "X_embedded")


def coranking_matrix(X, X_embedded, *, max_k=None, metric="euclidean") -> np.ndarray:
    """The co-ranking matrix (Lee & Verleysen, 2009).

    ``Q[k - 1, l - 1]`` counts the pairs ``(i, j)``, ``j ≠ i``, such that ``j`` is the ``k``-th
    nearest neighbour of ``i`` in ``X`` and the ``l``-th in the embedding (ranks from 1, distance
    ties broken by index). ``coranking.coranking_matrix(X, X_embedded)`` returns the same
    ``(n - 1) × (n - 1)`` matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
    X_embedded : array-like of shape (n_samples, n_components)
    max_k : int, optional
        Largest rank kept (``1 ≤ max_k ≤ n_samples - 1``): the upper-left ``max_k × max_k``
        block. Default ``min(n_samples - 1, 2048)``, which bounds the matrix at 16 MiB of counts.
    {metric}

    Returns
    -------
    ndarray of int64, shape (max_k, max_k)
    """
    X, Y = _pair(X, X_embedded)
    k = None if max_k is None else as_count(max_k, "max_k")
    return _core.coranking_matrix(X, Y, k_max=k, metric=as_metric(metric), k_name="max_k")


def lcmc(X, X_embedded, *, n_neighbors=5, metric="euclidean") -> float:
    """The local continuity meta-criterion (Chen & Buja, 2009) at ``n_neighbors``.

    ``LCMC(K) = Q_NX(K) - K / (n - 1)``, where ``Q_NX(K)`` is the mean over points of the
    fraction of their ``K`` nearest neighbours in ``X`` that are also nearest in the embedding;
    the subtracted term is its value for a random embedding. Equal to
    ``coranking.metrics.LCMC(Q, K, K)`` and zadu's ``local_continuity_meta_criteria``.

    Parameters
    ----------
    X, X_embedded : as :func:`coranking_matrix`
    n_neighbors : int, default=5
        ``1 ≤ n_neighbors ≤ n_samples - 2``.
    {metric}
    """
    X, Y = _pair(X, X_embedded)
    curves = _core.rank_curves(X, Y, k_max=as_count(n_neighbors, "n_neighbors"), metric=as_metric(metric), k_name="n_neighbors")
    return float(curves[1][-1])


def rank_curves(X, X_embedded, *, max_k=None, metric="euclidean") -> dict:
    """Q_NX(K), LCMC(K) and R_NX(K) for ``K = 1..max_k``, and the area under R_NX.

    ``R_NX(K) = ((n - 1) Q_NX(K) - K) / (n - 1 - K)`` rescales ``Q_NX`` so that a random
    embedding scores 0 and a perfect one 1; its AUC with weights ``1 / K`` (a log scale in
    ``K``, Lee, Peluffo-Ordóñez & Verleysen 2015) summarises all scales, small neighbourhoods
    weighing most. Memory stays ``O(n)`` per thread: no ``n × n`` matrix is formed.

    Parameters
    ----------
    X, X_embedded : as :func:`coranking_matrix`
    max_k : int, optional
        Largest ``K`` (``1 ≤ max_k ≤ n_samples - 2``); default ``n_samples - 2``, the whole
        curve. The AUC is taken over ``K = 1..max_k``.
    {metric}

    Returns
    -------
    dict with ``k`` (int64 array ``1..max_k``), ``qnx``, ``lcmc``, ``rnx`` (float arrays
    indexed like ``k``) and ``rnx_auc`` (float).
    """
    X, Y = _pair(X, X_embedded)
    k = None if max_k is None else as_count(max_k, "max_k")
    qnx, lcmc_, rnx, auc = _core.rank_curves(X, Y, k_max=k, metric=as_metric(metric), k_name="max_k")
    return {"k": np.arange(1, len(qnx) + 1, dtype=np.int64), "qnx": qnx, "lcmc": lcmc_, "rnx": rnx, "rnx_auc": float(auc)}


def shepard(X, X_embedded, *, n_pairs=10000, random_state=0, metric="euclidean") -> dict:
    """Shepard-diagram data: distances of sampled pairs of points in ``X`` and in the embedding.

    ``n_pairs`` pairs ``i < j`` are drawn uniformly without replacement (all pairs when there
    are no more than ``n_pairs``), with a seeded draw that does not depend on the number of
    threads. The summary correlations are Pearson's and Spearman's (ties sharing their average
    rank, as ``scipy.stats.spearmanr``) over those pairs.

    Parameters
    ----------
    X, X_embedded : as :func:`coranking_matrix`
    n_pairs : int, default=10000
        At least 1.
    random_state : int, default=0
        Seed of the draw.
    {metric}

    Returns
    -------
    dict with ``pairs`` (int64 array of shape (m, 2), in increasing order), ``distances``
    (float array in ``X``), ``embedded_distances`` (float array in the embedding), ``pearson``
    and ``spearman`` (floats, ``None`` when either distance is constant over the pairs).
    """
    X, Y = _pair(X, X_embedded)
    pairs, dx, dy, pearson, spearman = _core.shepard(
        X, Y, n_pairs=as_count(n_pairs, "n_pairs"), seed=as_count(random_state, "random_state"), metric=as_metric(metric)
    )
    return {"pairs": pairs, "distances": dx, "embedded_distances": dy, "pearson": pearson, "spearman": spearman}


for _f in (coranking_matrix, lcmc, rank_curves, shepard):
    _f.__doc__ = _f.__doc__.replace("{metric}", _METRIC_DOC)
del _f
