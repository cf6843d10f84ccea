"""A fitted nearest-neighbour index with scikit-learn's ``NearestNeighbors`` interface."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._neighbors import metric_spec
from ._validation import as_count, as_matrix, as_metric, seed_from_random_state, threads_from_n_jobs


class NearestNeighbors(BaseEstimator):
    """Nearest neighbours of new rows among the rows of a fit (scikit-learn's
    ``NearestNeighbors``, searched by the Rust core).

    ``fit`` indexes the rows; ``kneighbors`` finds the nearest indexed rows of new ones. Up to
    4,096 indexed rows every query is compared with every row (exact, as scikit-learn); above,
    the index is the rows' kNN graph (NN-descent) searched best-first, as pynndescent does
    (recall ≈ 0.99 at ``n_neighbors`` = 15 on MNIST). A row's neighbours depend only on the row
    and the index, never on the other rows of the call, so searching a data set block by block
    (``unfold.dask.kneighbors``) gives the same result as searching it whole. The fitted index
    pickles (the core's model bytes) and can be shipped to other processes.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours returned by :meth:`kneighbors` when it is not told.
    metric : str, default='minkowski'
        A name :func:`unfold.neighbors` takes; 'minkowski' with ``p=2`` is euclidean, as in
        scikit-learn. 'precomputed' is not supported.
    p : float, default=2
        Power of the 'minkowski' metric (ignored by the others, as in scikit-learn).
    metric_params : dict or None, default=None
        Parameters of the metric, scikit-learn's name for umap-learn's ``metric_kwds``: ``p``,
        ``w`` (weights), ``V`` (seuclidean), ``VI`` (mahalanobis).
    random_state : int, RandomState instance or None, default=None
        Seeds the kNN graph and the search tree above 4,096 rows; with a seed the results are
        identical across runs and thread counts.
    n_jobs : int or None, default=None
        Worker threads; None or -1 uses all cores.

    Attributes
    ----------
    n_features_in_ : int
    n_samples_fit_ : int
    effective_metric_ : str
    effective_metric_params_ : dict

    Examples
    --------
    >>> import numpy as np, unfold
    >>> nn = unfold.NearestNeighbors(n_neighbors=2).fit(np.array([[0.0], [1.0], [3.0], [7.0]]))
    >>> dist, ind = nn.kneighbors(np.array([[2.6]]))
    >>> ind.tolist(), np.round(dist, 3).tolist()
    ([[2, 1]], [[0.4, 1.6]])
    """

    def __init__(self, n_neighbors=5, *, metric="minkowski", p=2, metric_params=None, random_state=None, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _metric(self):
        metric = as_metric(self.metric)
        if metric == "precomputed":
            raise ValueError("metric='precomputed' is not supported by unfold.NearestNeighbors: give the rows themselves")
        params = dict(self.metric_params or {})
        if metric == "minkowski":
            if not isinstance(self.p, numbers.Real) or isinstance(self.p, (bool, np.bool_)) or not self.p > 0:
                raise ValueError(f"p must be a number > 0, got {self.p!r}")
            params.setdefault("p", float(self.p))
            if params["p"] == 2 and "w" not in params:
                return "euclidean", {}
        return metric, params

    def fit(self, X, y=None):
        """Indexes the rows of ``X`` (n_samples, n_features)."""
        X = as_matrix(X)
        as_count(self.n_neighbors, "n_neighbors")
        metric, params = self._metric()
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"NearestNeighbors needs at least 2 samples to fit, got n_samples = {n}")
        # The search graph's neighbours: at least 15, as pynndescent's index (a longer list
        # finds more of the nearest few).
        k = min(max(self.n_neighbors if self.n_neighbors >= 1 else 1, 15), n - 1)
        self._index = _core.neighbor_index(
            X, k, metric=metric_spec(metric, params or None, "metric_params"), seed=seed_from_random_state(self.random_state), threads=threads_from_n_jobs(self.n_jobs), verbose=False
        )
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = n
        self.effective_metric_ = metric
        self.effective_metric_params_ = params
        return self

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The ``n_neighbors`` nearest indexed rows of each row of ``X``, nearest first.

        With ``X=None``, the neighbours of each indexed row among the others (the row itself
        left out), as scikit-learn does.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors), float64
            Only with ``return_distance=True``.
        indices : ndarray of shape (n_queries, n_neighbors), int64
        """
        check_is_fitted(self, "_index")
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"n_neighbors must be an int ≥ 1, got {k!r}")
        k = int(k)
        threads = threads_from_n_jobs(self.n_jobs)
        if X is None:
            if k >= self.n_samples_fit_:
                raise ValueError(f"Expected n_neighbors < n_samples_fit with X=None, but n_neighbors = {k}, n_samples_fit = {self.n_samples_fit_}")
            ind, dist = self._index.self_query(k, seed=seed_from_random_state(self.random_state), threads=threads, verbose=False)
        else:
            X = as_matrix(X)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but NearestNeighbors is expecting {self.n_features_in_} features as input")
            if k > self.n_samples_fit_:
                raise ValueError(f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, n_samples_fit = {self.n_samples_fit_}, n_samples = {X.shape[0]}")
            ind, dist = self._index.query(X, k, threads=threads, verbose=False)
        return (dist.astype(np.float64), ind) if return_distance else ind
