"""Ollivier–Ricci curvature of the kNN graph (GraphRicciCurvature's ``OllivierRicci`` with
``method="OTD"``), computed in the Rust core."""

from __future__ import annotations

import math

from . import _core
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs

__all__ = ["ollivier_ricci"]


def ollivier_ricci(X, n_neighbors=10, *, alpha=0.5, weighted=True, metric="euclidean", base=math.e, exp_power=2,
                   random_state=None, n_jobs=None, verbose=False):
    """Ollivier–Ricci curvature of the edges of the kNN graph of ``X``, and of each point.

    The graph: ``n_neighbors`` neighbours a point, symmetrised, each edge weighted by its
    ``metric`` distance (``weighted=False``: 1). For an edge ``(x, y)``, ``m_x`` keeps ``alpha``
    at ``x`` and spreads ``1 - alpha`` over ``x``'s neighbours in proportion to
    ``base ** -(w ** exp_power)`` (uniform when those weights sum below 1e-7);
    ``κ(x, y) = 1 - W(m_x, m_y) / d(x, y)`` with ``W`` the exact optimal transport cost under the
    graph's shortest-path distances ``d``. The defaults are GraphRicciCurvature 0.6's
    (``OllivierRicci(G, alpha=0.5, method="OTD")``); a point's curvature is the mean of its
    edges', as its ``ricciCurvature`` node attribute.

    Returns
    -------
    dict with ``edges`` (int64 array of shape (n_edges, 2), ``i < j``), ``edge_curvature``
    (n_edges,) and ``curvature`` (n_samples,), each point's mean.
    """
    X = as_matrix(X, "X")
    edges, edge_k, node_k = _core.ollivier_ricci(
        X, n_neighbors=as_count(n_neighbors, "n_neighbors"), metric=as_metric(metric), weighted=bool(weighted),
        alpha=float(alpha), base=float(base), exp_power=float(exp_power), seed=seed_from_random_state(random_state),
        threads=threads_from_n_jobs(n_jobs), verbose=bool(verbose),
    )
    return {"edges": edges, "edge_curvature": edge_k, "curvature": node_k}
