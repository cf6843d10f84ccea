"""Uniform Manifold Approximation and Projection, as umap-learn's ``UMAP``."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._contract import ContractTransformer
from ._neighbors import metric_spec
from ._validation import InvalidParameterError, SparseRows, as_count, as_matrix, as_metric, missing_mask, plain, threads_from_n_jobs


def _core_metric(metric, metric_kwds):
    """umap-learn's ``metric`` and ``metric_kwds`` as the core takes them."""
    if callable(metric):
        raise TypeError("metric must be the name of a metric such as 'euclidean' or 'cosine'; custom metric functions are not supported")
    return metric_spec(metric, metric_kwds)


def _supervision_target(y, n: int, target_metric):
    """``y`` as the core takes it: ``(labels int64, None)`` for ``target_metric='categorical'``
    or ``(None, values float32 n × c)`` for a numeric target."""
    y = y.to_numpy() if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray) else np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(f"y must have one entry per row of X ({n}), got shape {y.shape}")
    if target_metric != "categorical":
        return None, as_matrix(y.reshape(n, -1), "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"categorical y must hold one label per row, got shape {y.shape}; for numeric targets set target_metric='euclidean'")
    if y.dtype == object:
        missing = np.flatnonzero(missing_mask(y))
        if missing.size:
            raise ValueError(f"y[{missing[0]}] is {y[missing[0]]}; mark unknown labels with -1")
    if y.dtype.kind in "iub":
        return y.astype(np.int64), None
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise ValueError(f"y[{bad[0]}] is {y[bad[0]]}; mark unknown labels with -1")
        if np.array_equal(y, np.round(y)):
            return y.astype(np.int64), None
    # Any other labels (strings, fractional numbers): one category per distinct value.
    _, codes = np.unique(y, return_inverse=True)
    return codes.astype(np.int64).ravel(), None


def _n_neighbors_for(n_neighbors: int, n: int) -> int:
    """umap-learn's rule for small data: ``n_neighbors ≥ n_samples`` is lowered to
    ``n_samples − 1`` with a ``UserWarning`` (its message, so filters written for umap-learn
    apply). The core needs ``2 ≤ n_neighbors < n_samples``, hence at least 3 samples."""
    if n_neighbors < n:
        return n_neighbors
    if n < 3:
        raise ValueError(f"UMAP needs at least 3 samples (each point with at least 2 neighbours), got n_samples = {n}")
    warnings.warn(
        f"n_neighbors is larger than the dataset size; truncating to X.shape[0] - 1 (n_neighbors={n_neighbors}, "
        f"{n} samples: using {n - 1})",
        UserWarning,
        stacklevel=5,
    )
    return n - 1


def _knn_given(precomputed_knn) -> bool:
    """Whether ``precomputed_knn`` is anything but umap-learn's default ``(None, None, None)``."""
    return precomputed_knn is not None and not (
        isinstance(precomputed_knn, (tuple, list)) and len(precomputed_knn) >= 2 and precomputed_knn[0] is None and precomputed_knn[1] is None
    )


def _knn_graph(precomputed_knn, n: int, n_neighbors: int):
    """umap-learn's ``precomputed_knn`` as the core's kNN graph: ``(indices uint32, distances
    float32)`` of shape ``n × (n_neighbors − 1)``, each row's nearest neighbours other than the
    point itself, nearest first; ``None`` when not given."""
    if not _knn_given(precomputed_knn):
        return None
    if not isinstance(precomputed_knn, (tuple, list)) or len(precomputed_knn) not in (2, 3):
        raise TypeError(
            "precomputed_knn must be a tuple (knn_indices, knn_dists) or (knn_indices, knn_dists, knn_search_index), "
            f"got {type(precomputed_knn).__name__}"
        )
    indices, distances = precomputed_knn[0], precomputed_knn[1]
    for i, (array, what) in enumerate(((indices, "neighbour indices"), (distances, "distances"))):
        if not isinstance(array, np.ndarray) or array.ndim != 2:
            found = f"shape {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
            raise ValueError(f"precomputed_knn[{i}] must be a 2-d numpy array of {what} (n_samples, k), got {found}")
    if indices.shape != distances.shape:
        raise ValueError(f"precomputed_knn[0] and precomputed_knn[1] must have the same shape, got {indices.shape} and {distances.shape}")
    if indices.shape[0] != n:
        raise ValueError(f"precomputed_knn has {indices.shape[0]} rows but X has {n}: give the neighbours of every row of X")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"precomputed_knn[0] must hold integer row indices, got dtype {indices.dtype}")
    if distances.dtype.kind not in "fiu":
        raise TypeError(f"precomputed_knn[1] must hold numbers, got dtype {distances.dtype}")
    bad = np.argwhere((indices < 0) | (indices >= n))
    if bad.size:
        r, c = bad[0]
        raise ValueError(f"precomputed_knn[0][{r}, {c}] is {indices[r, c]}: every index must be a row of X, 0 ≤ index < {n}")
    distances = distances.astype(np.float32)
    bad = np.argwhere(~np.isfinite(distances) | (distances < 0))
    if bad.size:
        r, c = bad[0]
        raise ValueError(f"precomputed_knn[1][{r}, {c}] is {distances[r, c]}: distances must be finite and non-negative")
    # umap-learn's rows start with the point itself (distance 0), unfold.neighbors' leave it out:
    # drop it wherever it is, keeping the others in their order.
    own = indices == np.arange(n)[:, None]
    k = n_neighbors - 1
    fewest = int((indices.shape[1] - own.sum(axis=1)).min())
    if fewest < k:
        raise ValueError(
            f"precomputed_knn has {indices.shape[1]} neighbours per row ({fewest} besides the point itself in some row); "
            f"n_neighbors={n_neighbors} needs n_neighbors − 1 = {k} besides the point itself"
        )
    order = np.argsort(own, axis=1, kind="stable")[:, :k]
    indices = np.take_along_axis(indices, order, axis=1)
    distances = np.take_along_axis(distances, order, axis=1)
    unsorted = np.argwhere(np.diff(distances, axis=1) < 0)
    if unsorted.size:
        r, c = unsorted[0]
        raise ValueError(f"precomputed_knn[1] row {r} is not sorted: give each row's neighbours nearest first")
    return np.ascontiguousarray(indices, dtype=np.uint32), np.ascontiguousarray(distances)


class UMAP(ContractTransformer):
    """Uniform Manifold Approximation and Projection (umap-learn's ``UMAP``, computed by the Rust core).

    Builds the fuzzy simplicial set of the ``n_neighbors``-nearest-neighbour graph and lays it out
    in ``n_components`` dimensions by stochastic gradient descent on the fuzzy cross entropy,
    with umap-learn 0.5's parameters, defaults, graph and gradients. With a ``random_state``
    the result is identical across runs **at any** ``n_jobs`` (all cores stay in use), and equal
    to ``unfold embed --method umap --seed``. Change ``import umap`` to ``import unfold as umap``
    and typical code runs unchanged.

    Parameters
    ----------
    n_neighbors : int, default=15
        Neighbourhood size, counting the point itself (≥ 2). As in umap-learn, a value of at
        least ``n_samples`` is lowered to ``n_samples − 1`` with a ``UserWarning`` (so UMAP
        needs at least 3 samples); the ``unfold`` command refuses it instead.
    n_components : int, default=2
        Embedding dimensions (≥ 1).
    metric : str, default='euclidean'
        Input distance: 'euclidean' ('l2'), 'sqeuclidean', 'cosine', 'correlation',
        'manhattan' ('l1', 'taxicab', 'cityblock'), 'chebyshev' ('linf'), 'minkowski',
        'canberra', 'braycurtis', 'hamming', 'jaccard', 'haversine', 'hellinger', 'seuclidean',
        'mahalanobis', 'wminkowski', the boolean 'dice', 'kulsinski', 'rogerstanimoto',
        'russellrao', 'sokalmichener', 'sokalsneath', 'yule' (non-zero = true), or
        'precomputed' (``X`` is a square distance matrix; ``transform`` then takes the distances
        from each new point to the training points, shape (n_new, n_train), as umap-learn).
        Custom functions are not supported.
    metric_kwds : dict or None, default=None
        The metric's parameters, as umap-learn's: ``p`` for 'minkowski' and 'wminkowski'
        (default 2), ``w`` for 'wminkowski' (column weights, default 1), ``V`` for 'seuclidean'
        (column variances, default those of the training data with ``ddof=1``), ``VI`` for
        'mahalanobis' (default the inverse covariance of the training data). Defaults taken
        from the data are fixed at ``fit``, and ``transform`` uses them.
    output_metric : {'euclidean', 'hyperboloid', 'poincare', 'haversine'}, default='euclidean'
        The space of the embedding, as umap-learn's. 'hyperboloid': the hyperbolic plane (or
        space) by the spatial coordinates of its hyperboloid model, as umap-learn returns them
        (the last coordinate is ``z = sqrt(1 + sum(embedding_**2, axis=1))``; the Poincaré disk
        is ``embedding_ / (1 + z)``). 'poincare': the same hyperbolic space in Poincaré-ball
        coordinates (norm < 1; umap-learn has no gradient for it and refuses it), laid out with
        Riemannian steps and held within norm 1 − 1e-5. 'haversine': the sphere, two columns
        (colatitude, longitude) in radians, not wrapped, as umap-learn's layout reads them (the
        point is ``(sin t cos p, sin t sin p, cos t)``). ``transform`` works in every space;
        ``inverse_transform``, ``densmap`` and ``output_dens`` need 'euclidean'.
    output_metric_kwds : dict or None, default=None
        umap-learn's parameters of the output metric; none of these metrics takes any, so it
        must be None or empty.
    n_epochs : int or None, default=None
        Layout epochs; None: 500 up to 10,000 samples, 200 above (200 more with densMAP).
    learning_rate : float, default=1.0
        Initial SGD step (> 0).
    init : {'spectral', 'pca', 'random'} or array of shape (n_samples, n_components), default='spectral'
        Initial layout. 'spectral' falls back to 'pca' with a ``UserWarning`` if the
        eigensolver fails. Every initialisation is rescaled to [0, 10] as in umap-learn.
    min_dist : float, default=0.1
        Smallest distance between embedded points, ``0 ≤ min_dist ≤ spread``.
    spread : float, default=1.0
        Scale of the embedded clusters (> 0).
    set_op_mix_ratio : float, default=1.0
        Fuzzy union (1) versus intersection (0) when symmetrising the graph.
    local_connectivity : float, default=1.0
        Neighbours assumed connected at full strength (≥ 0).
    repulsion_strength : float, default=1.0
        Weight of the negative samples (≥ 0).
    negative_sample_rate : int, default=5
        Negative samples per positive sample.
    a, b : float or None, default=None
        Curve parameters of ``1 / (1 + a d^(2b))``; both or neither (then fitted to
        ``min_dist`` and ``spread``).
    random_state : int, RandomState instance or None, default=None
        Seed of every random choice. An int gives the same result as ``unfold embed --seed``.
        Unlike umap-learn, a seed does not reduce the run to one thread.
    transform_seed : int, default=42
        Seed of :meth:`transform`.
    densmap : bool, default=False
        densMAP (Narayan, Berger & Cho 2021): also preserve each point's local density.
    dens_lambda : float, default=2.0
        Weight of the density term (≥ 0).
    dens_frac : float, default=0.3
        Fraction of the epochs, at the end, with the density term (in [0, 1]).
    dens_var_shift : float, default=0.1
        Added to the variance of the embedded radii (≥ 0).
    target_n_neighbors : int, default=-1
        Neighbourhood size in a numeric ``y``, the point included; -1 uses ``n_neighbors``.
    target_metric : str, default='categorical'
        'categorical' for labels, or a metric name for a numeric ``y``.
    target_weight : float, default=0.5
        Weight of ``y`` against the data, in [0, 1], with umap-learn's arithmetic. With labels,
        an edge between two different labels is multiplied by ``exp(-2.5 / (1 - target_weight))``
        (by 0.08 at 0, 0.007 at 0.5) and removed at 1, and an edge at an unknown label by
        ``exp(-1)`` whatever the weight: even 0 pulls the classes apart. With a numeric target, an
        edge of weight ``g`` in the data's graph and ``t`` in the target's becomes, with
        ``w = target_weight``, ``g · t^(w / (1 - w))`` below 0.5 and ``g^((1 - w) / w) · t`` from
        0.5 on: 0 keeps the
        data's weights, 1 takes the target's (an edge missing from one graph counts there with a
        small floor weight). Either way each point's strongest edge is then scaled back to 1.
    output_dens : bool, default=False
        Also compute the log local radii ``rad_orig_`` and ``rad_emb_``; ``fit_transform`` then
        returns ``(embedding, rad_orig, rad_emb)`` as umap-learn's does.
    disconnection_distance : float or None, default=None
        Neighbours at this distance or farther are cut; None: 2 for 'cosine' and
        'correlation', 1 for 'jaccard', no cut otherwise (umap-learn's defaults).
    precomputed_knn : tuple, default=(None, None, None)
        Nearest neighbours already computed, as umap-learn's: ``(knn_indices, knn_dists)`` or
        ``(knn_indices, knn_dists, knn_search_index)``, two arrays of shape (n_samples, k), each
        row nearest first. umap-learn's own rows (``umap.umap_.nearest_neighbors``) start with
        the point itself; it is skipped wherever it appears, so ``k ≥ n_neighbors`` with it and
        ``k ≥ n_neighbors − 1`` without (the output of :func:`unfold.neighbors`); extra columns
        are ignored. The graph UMAP would search itself (exact up to 4,096 rows) gives the same
        embedding as leaving ``precomputed_knn`` out. The third element (umap-learn's search index)
        is ignored: :meth:`transform` works either way, searching an index built from this
        graph. Unlike umap-learn, which falls back to its own search with a warning, a graph
        of the wrong shape or with fewer neighbours is refused, as are indices outside
        ``[0, n_samples)`` (umap-learn's ``-1`` for a missing neighbour included) and
        distances that are negative or not finite.
    unique : bool, default=False
        Embed each distinct row once, then give every copy of a row its coordinates (as
        umap-learn's ``unique``): with many duplicates, copies of one row would otherwise be
        laid out in different places. ``graph_`` then covers the distinct rows, in the order
        of ``numpy.unique(X, axis=0)``.
    n_jobs : int or None, default=-1
        Worker threads; None or -1 uses all cores, and larger counts are capped at the number
        of cores. Results do not depend on it.
    verbose : bool, default=False
        Show a progress bar on stderr.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
        The embedding of the training data.
    graph_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples), float32
        The symmetric fuzzy graph the layout optimised. Unlike umap-learn's, edges lighter than
        ``max weight / n_epochs`` (which the layout never samples) are already removed.
    rad_orig_, rad_emb_ : ndarray of shape (n_samples,), float32
        With ``output_dens``: log local radii in the data and in the embedding.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has string column names (a DataFrame).

    Notes
    -----
    ``fit(X, y)`` fits supervised UMAP, as umap-learn's: with ``target_metric='categorical'``
    the edges between points of different labels are weakened (negative labels, such as
    umap-learn's -1, mark unknown labels: semi-supervised UMAP; labels that are not integers
    are categories, none of them unknown); with a metric, the data graph is intersected with
    the fuzzy graph of the numeric target. Unlike umap-learn, every negative label is unknown,
    not only -1.

    :meth:`transform` places each new point on its own, so a point gets the same coordinates
    in any batch; a row equal to a training row gets that row's ``embedding_`` coordinates, as
    with ``unfold transform``. (umap-learn returns ``embedding_`` when given exactly the training
    matrix, and places anything else as a batch.)

    Pickles (and ``joblib.dump``) hold the core model's bytes, the same format as
    ``unfold embed --save-model``; ``graph_`` and the radii are kept beside them.

    See Also
    --------
    umap.UMAP : the reference implementation (umap-learn).

    References
    ----------
    L. McInnes, J. Healy and J. Melville, *UMAP: Uniform Manifold Approximation and Projection
    for Dimension Reduction*, arXiv:1802.03426 (2018).

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> reducer = unfold.UMAP(n_neighbors=10, random_state=42)
    >>> reducer.fit_transform(X).shape
    (200, 2)
    >>> reducer.transform(X[:3] + 0.01).shape
    (3, 2)
    """

    _method = "umap"
    # scipy sparse X is fitted as it is (kNN on sparse rows; init="pca" takes a truncated SVD).
    _accept_sparse = True
    # umap-learn's parameters beyond the core's table, and its -1 for "n_neighbors".
    _extra = {"metric_kwds": None, "output_metric_kwds": None, "n_jobs": -1, "verbose": False, "precomputed_knn": (None, None, None), "unique": False}
    _defaults = {"target_n_neighbors": -1}

    def _fit_core(self, X, *, y, seed, threads, verbose):
        target_metric = as_metric(self.target_metric, "target_metric")
        if self.output_metric_kwds:
            raise InvalidParameterError(
                f"invalid value for `output_metric_kwds`: {self.output_metric_kwds!r} (the {self.output_metric} output metric takes no parameters; "
                "give None or {})"
            )
        labels, values = (None, None) if y is None else _supervision_target(y, X.shape[0], target_metric)
        # With `unique`, the distinct rows are fitted, in numpy.unique's order as umap-learn does,
        # and `_unique_inverse` maps every row to its distinct row (read by _fitted_attributes).
        self._unique_inverse = None
        init = self.init
        if not isinstance(init, str):
            init = as_matrix(init, "init")
        if self.unique and isinstance(X, SparseRows):
            raise ValueError("unique=True takes dense X: pass X.toarray(), or drop duplicate rows from the sparse matrix first")
        if self.unique and _knn_given(self.precomputed_knn):
            raise ValueError("unique=True does not apply with precomputed_knn: the neighbours are given for every row of X, duplicates included")
        if self.unique and as_metric(self.metric) == "precomputed":
            raise ValueError("unique=True does not apply to metric='precomputed': X is a square matrix of distances, whose rows cannot be reduced without its columns")
        if self.unique:
            _, index, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
            if len(index) < X.shape[0]:
                self._unique_inverse = inverse.reshape(-1)
                X = np.ascontiguousarray(X[index])
                labels = None if labels is None else labels[index]
                values = None if values is None else values[index]
                if not isinstance(init, str):
                    if init.shape[0] != inverse.size:
                        raise ValueError(f"init has {init.shape[0]} rows but X has {inverse.size}: give one starting point per row of X")
                    init = init[index]
        if not isinstance(init, str) and init.shape != (X.shape[0], self.n_components):
            raise InvalidParameterError(
                f"invalid value for `init`: an array of shape {init.shape} (must have shape (n_samples, n_components) = ({X.shape[0]}, {self.n_components}))"
            )
        n_neighbors = _n_neighbors_for(as_count(self.n_neighbors, "n_neighbors"), X.shape[0])
        knn = _knn_graph(self.precomputed_knn, X.shape[0], n_neighbors)
        params = {n: plain(getattr(self, n)) for n in self._core_names}
        params.update(
            n_neighbors=n_neighbors,
            metric=_core_metric(self.metric, self.metric_kwds),
            init=init if isinstance(init, str) else init.astype(np.float64),
            target_n_neighbors=None if params["target_n_neighbors"] == -1 else params["target_n_neighbors"],
        )
        return self._call_core(
            X,
            params,
            seed=seed,
            threads=threads,
            verbose=verbose,
            y_labels=labels,
            y_values=values,
            knn_indices=None if knn is None else knn[0],
            knn_distances=None if knn is None else knn[1],
        )

    def _fitted_attributes(self, model):
        resolved = model.resolved()
        embedding = model.embedding
        inverse = getattr(self, "_unique_inverse", None)
        if inverse is not None:
            embedding = embedding[inverse]
        return {"embedding_": embedding, "_a": resolved["a"], "_b": resolved["b"]}

    def _after_fit(self, X, model):
        for message in model.warnings():
            warnings.warn(message, UserWarning, stacklevel=4)
        indptr, indices, weights = _core.umap_graph(model)
        n = len(indptr) - 1
        from scipy.sparse import csr_matrix

        self.graph_ = csr_matrix((weights, indices, indptr), shape=(n, n))
        attributes = model.attributes()
        if "rad_orig_" in attributes:
            self.rad_orig_ = attributes["rad_orig_"].astype(np.float32)
            self.rad_emb_ = attributes["rad_emb_"].astype(np.float32)
            if self._unique_inverse is not None:
                self.rad_orig_, self.rad_emb_ = self.rad_orig_[self._unique_inverse], self.rad_emb_[self._unique_inverse]
        else:
            for name in ("rad_orig_", "rad_emb_"):
                self.__dict__.pop(name, None)

    def fit(self, X, y=None):
        """Fit the embedding to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: any numpy integer or float dtype, any memory layout, or a DataFrame.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Supervision: labels (``target_metric='categorical'``, -1 = unknown) or numeric
            targets (see Notes of the class).

        Returns
        -------
        self
        """
        return super().fit(X, y)

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its embedding (float32, shape (n_samples, n_components)).

        With ``output_dens=True``, returns ``(embedding, rad_orig, rad_emb)`` as umap-learn does.
        """
        self.fit(X, y)
        if self.output_dens:
            return self.embedding_, self.rad_orig_, self.rad_emb_
        return self.embedding_

    def transform(self, X):
        """Place new points in the fitted embedding.

        Each point's ``n_neighbors`` nearest training points give its start (their
        membership-weighted mean), then the layout moves only the new points, for
        ``n_epochs / 3`` epochs (100 by default). A point's result depends only on the point, not
        on the batch. Rows equal to a training row return that row of ``embedding_``, so
        ``transform`` of the training data equals ``fit_transform``.

        Returns
        -------
        ndarray of shape (n_samples, n_components), float32
        """
        check_is_fitted(self)
        X32 = self._validate_input(X, reset=False)
        return self._model.transform(X32, threads=threads_from_n_jobs(self.n_jobs), verbose=bool(self.verbose))

    def inverse_transform(self, X):
        """Map points of the embedding space back into data space (umap-learn's method).

        For each point, the Delaunay triangulation of ``embedding_`` is searched outward from
        the nearest embedded point until ``min(n_features, n_samples)`` training points are found;
        their memberships ``1 / (1 + a d^(2b))`` (``d``: distance in the embedding) weight the mean
        of their data rows, which a short stochastic gradient descent in data space then adjusts
        with the input metric's gradient (``n_epochs / 3`` epochs, 100 by default). The result
        is a plausible data point for that place in the embedding, not an exact inverse.

        As in umap-learn, the input metric must have a gradient ('euclidean', 'seuclidean',
        'mahalanobis', 'manhattan', 'chebyshev', 'minkowski', 'wminkowski'), and models of
        ``metric='precomputed'`` or ``densmap=True`` are refused; ``n_components >= 8`` gives
        umap-learn's warning. Unlike umap-learn, a point outside the embedding's convex hull is
        mapped from the embedded points nearest to it (umap-learn starts from an arbitrary
        triangle there), a point's result does not depend on the other points of the batch, and
        with ``n_components != 2`` the nearest embedded points are found exactly instead of by a
        triangulation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Points of the embedding space.

        Returns
        -------
        ndarray of shape (n_samples, n_features), float32

        Raises
        ------
        ValueError
            For a model whose metric has no gradient, a precomputed or densMAP model, or
            points with another number of columns than ``n_components``.

        Examples
        --------
        >>> import numpy as np, unfold
        >>> X = np.random.default_rng(0).normal(size=(200, 5))
        >>> reducer = unfold.UMAP(n_epochs=50, random_state=0).fit(X)
        >>> reducer.inverse_transform(reducer.embedding_[:3]).shape
        (3, 5)
        """
        check_is_fitted(self)
        Y = as_matrix(X, "X")
        n_components = self.embedding_.shape[1]
        if Y.shape[1] != n_components:
            raise ValueError(
                f"X has {Y.shape[1]} columns, but inverse_transform maps points of the {n_components}-dimensional embedding: "
                f"give an array of shape (n_samples, {n_components})"
            )
        if n_components >= 8:
            warnings.warn(
                "Inverse transform works best with low dimensional embeddings. Results may be poor, or this approach to "
                "inverse transform may fail altogether! If you need a high dimensional latent space and inverse transform "
                "operations consider using an autoencoder.",
                UserWarning,
                stacklevel=2,
            )
        return self._model.inverse_transform(Y, threads=threads_from_n_jobs(self.n_jobs), verbose=bool(self.verbose))
