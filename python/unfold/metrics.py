"""Embedding quality: trustworthiness, continuity, neighbour preservation, kNN accuracy, DEMaP.

All four are exact (every pair of points is compared), computed by the Rust core in parallel.
``trustworthiness`` equals ``sklearn.manifold.trustworthiness``; ``continuity(X, Y)`` equals
``sklearn.manifold.trustworthiness(Y, X)`` for the euclidean metric.

Reference: J. Venna and S. Kaski, *Neighborhood preservation in nonlinear projection methods:
an experimental study*, ICANN 2001, 485–491.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._validation import as_count, as_matrix, as_metric

__all__ = ["trustworthiness", "continuity", "neighbor_preservation", "knn_accuracy", "demap"]
__all__ += ["coranking_matrix", "lcmc", "rank_curves", "shepard"]


def trustworthiness(X, X_embedded, *, n_neighbors=5, metric="euclidean") -> float:
    """How far the embedding's neighbours are true neighbours (Venna & Kaski, 2001).

    1 when every one of the ``n_neighbors`` nearest points in the embedding is also among the
    nearest in ``X``; about 0.5 for a random embedding. Same signature and values as
    ``sklearn.manifold.trustworthiness``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, n_samples)
        The data, or with ``metric='precomputed'`` the square matrix of distances between
        its rows (the diagonal is ignored).
    X_embedded : array-like of shape (n_samples, n_components)
    n_neighbors : int, default=5
        ``1 ≤ n_neighbors < n_samples / 2``.
    metric : str, default='euclidean'
        Distance in ``X`` (the embedding is always euclidean): a name ``unfold.neighbors``
        takes, or 'precomputed'. Metrics whose parameters default to the data's
        ('seuclidean', 'mahalanobis') take them from ``X``, as scikit-learn does.

    Returns
    -------
    float in [0, 1]
    """
    return _core.trustworthiness(
        as_matrix(X, "X"), as_matrix(X_embedded, "X_embedded"), k=as_count(n_neighbors, "n_neighbors"), metric=as_metric(metric)
    )


def continuity(X, X_embedded, *, n_neighbors=5, metric="euclidean") -> float:
    """How far the true neighbours stay neighbours in the embedding: trustworthiness with the
    roles of the spaces swapped. Parameters as :func:`trustworthiness`."""
    return _core.continuity(
        as_matrix(X, "X"), as_matrix(X_embedded, "X_embedded"), k=as_count(n_neighbors, "n_neighbors"), metric=as_metric(metric)
    )


def neighbor_preservation(X, X_embedded, *, n_neighbors=5, metric="euclidean") -> float:
    """Mean over points of the fraction of their ``n_neighbors`` nearest neighbours in ``X``
    that are also nearest in the embedding (``1 ≤ n_neighbors < n_samples``)."""
    return _core.neighbor_preservation(
        as_matrix(X, "X"), as_matrix(X_embedded, "X_embedded"), k=as_count(n_neighbors, "n_neighbors"), metric=as_metric(metric)
    )


def knn_accuracy(X_embedded, labels, *, n_neighbors=10) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour classifier in the embedding.

    Each point is predicted by a majority vote of its ``n_neighbors`` nearest other points
    (euclidean; distance ties broken by index); a tied vote goes to the smallest label.

    Parameters
    ----------
    X_embedded : array-like of shape (n_samples, n_components)
    labels : array-like of shape (n_samples,)
        Any sortable labels (ints, strings…).
    n_neighbors : int, default=10
        ``1 ≤ n_neighbors < n_samples``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-d (one label per row), got shape {labels.shape}")
    _, codes = np.unique(labels, return_inverse=True)
    return _core.knn_accuracy(
        as_matrix(X_embedded, "X_embedded"), codes.astype(np.int64).ravel(), k=as_count(n_neighbors, "n_neighbors")
    )


def demap(X, X_embedded, *, n_neighbors=10, sample=2000, random_state=0, metric="euclidean") -> float:
    """DEMaP (Moon et al., 2019, PHATE's measure): Spearman's rank correlation between geodesic
    distances in ``X`` and euclidean distances in the embedding.

    The geodesic distances are shortest paths on the ``n_neighbors``-nearest-neighbour graph of
    ``X`` (edge lengths the distances, edges usable both ways, as scipy's
    ``shortest_path(kneighbors_graph(X, n_neighbors, mode="distance"), directed=False)``), over
    the pairs of a seeded uniform subsample of ``sample`` points (all points when there are no
    more). Pairs with no path between them are left out.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    X_embedded : array-like of shape (n_samples, n_components)
    n_neighbors : int, default=10
        ``1 ≤ n_neighbors < n_samples``.
    sample : int, default=2000
        Points of the subsample (at least 3).
    random_state : int, default=0
        Seed of the subsample.
    metric : str, default='euclidean'
        Distance in ``X`` for the graph.

    Returns
    -------
    float in [-1, 1]
    """
    return _core.demap(
        as_matrix(X, "X"),
        as_matrix(X_embedded, "X_embedded"),
        k=as_count(n_neighbors, "n_neighbors"),
        sample=as_count(sample, "sample"),
        seed=as_count(random_state, "random_state"),
        metric=as_metric(metric),
    )


from ._coranking import coranking_matrix, lcmc, rank_curves, shepard  # noqa: E402
