"""Fit on a sample, apply everywhere: unfold's fitted models on Dask arrays.

Fit an estimator (or a :class:`unfold.NearestNeighbors` index) on a sample that fits in one
machine's memory, then apply it to a Dask array of any size. The fitted objects pickle (the
core's model bytes), so Dask ships them to its workers; the work is laid out with
``dask.array`` operations (``map_blocks`` and reductions), never by hand, and runs on whatever
scheduler is active (threads, processes, a ``distributed`` cluster).

>>> import unfold, unfold.dask                                # doctest: +SKIP
>>> model = unfold.UMAP(random_state=0).fit(sample)          # doctest: +SKIP
>>> Y = unfold.dask.transform(model, X).compute()            # doctest: +SKIP

Every function returns lazy Dask arrays (``evaluate`` computes its score). A row's result
depends only on that row and the fitted object, so the results equal those of the whole array
in one process, row for row.

Needs ``pip install "unfold-learn[dask]"``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["evaluate", "kneighbors", "transform"]

_INSTALL = 'unfold.dask needs dask: pip install "unfold-learn[dask]"'


def _da():
    try:
        import dask.array as da
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return da


def _shared(value):
    """``value`` as one object of the task graph, sent once to each worker that needs it
    rather than copied into every block's task."""
    import dask

    return dask.delayed(value, pure=True)


def _rows(x, name: str):
    """``x`` as a 2-d Dask array chunked along rows only (the columns in one block)."""
    da = _da()
    if not isinstance(x, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array (e.g. dask.array.from_array(X, chunks=(10000, -1))), got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-d (n_samples, n_features), got {x.ndim}-d")
    if any(np.isnan(c) for c in x.shape):
        raise ValueError(f"{name} has rows of unknown count; call {name}.compute_chunk_sizes() first")
    return x.rechunk({1: -1}) if x.numblocks[1] > 1 else x


def _transform_block(block, model):
    return model.transform(block)


def transform(model, X):
    """``model.transform`` of every row of the Dask array ``X``, block by block.

    Parameters
    ----------
    model : fitted estimator with ``transform`` (``unfold.UMAP``, ``unfold.PCA``, ...)
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked along rows (column chunks are merged into one).

    Returns
    -------
    dask.array.Array of shape (n_samples, n_components), chunked as ``X``'s rows; its dtype is
    that of ``model.transform`` (found by transforming ``X``'s first row once, here).
    """
    _da()
    if not hasattr(model, "transform"):
        raise TypeError(f"model must be a fitted estimator with a transform method, got {type(model).__name__}")
    X = _rows(X, "X")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    probe = np.asarray(model.transform(np.asarray(X[:1].compute())))
    return X.map_blocks(_transform_block, _shared(model), chunks=(X.chunks[0], (probe.shape[1],)), dtype=probe.dtype, meta=np.empty((0, 0), probe.dtype))


def _kneighbors_block(block, index, k):
    dist, ind = index.kneighbors(block, n_neighbors=k)
    # Distances and indices travel as one float64 block: indices below 2⁵³ are exact.
    return np.hstack([dist, ind.astype(np.float64)])


def kneighbors(index, X, n_neighbors=None, return_distance=True):
    """The nearest indexed rows of every row of the Dask array ``X``: ``index.kneighbors`` block
    by block (scikit-learn's return convention).

    Parameters
    ----------
    index : fitted :class:`unfold.NearestNeighbors` (or any fitted object whose
        ``kneighbors(X, n_neighbors=k)`` returns ``(distances, indices)``)
    X : dask.array.Array of shape (n_queries, n_features)
    n_neighbors : int or None, default=None
        None: the index's ``n_neighbors``.
    return_distance : bool, default=True

    Returns
    -------
    distances : dask.array.Array (n_queries, n_neighbors), float64
        Only with ``return_distance=True``.
    indices : dask.array.Array (n_queries, n_neighbors), int64
    """
    _da()
    if not hasattr(index, "kneighbors"):
        raise TypeError(f"index must be a fitted unfold.NearestNeighbors, got {type(index).__name__}")
    k = getattr(index, "n_neighbors", None) if n_neighbors is None else n_neighbors
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"n_neighbors must be an int ≥ 1, got {k!r}")
    k = int(k)
    fitted = getattr(index, "n_samples_fit_", None)
    if fitted is not None and k > fitted:
        raise ValueError(f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, n_samples_fit = {fitted}")
    X = _rows(X, "X")
    both = X.map_blocks(_kneighbors_block, _shared(index), k, chunks=(X.chunks[0], (2 * k,)), dtype=np.float64, meta=np.empty((0, 0)))
    indices = both[:, k:].astype(np.int64)
    return (both[:, :k], indices) if return_distance else indices


def _exact(a):
    """Rows as :mod:`unfold.metrics` reads them (float32), widened to float64."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def _sq_distances(a, b):
    """Squared euclidean distances between the rows of ``a`` and ``b``, float64, computed
    difference by difference (no cancellation)."""
    a, b = _exact(a), _exact(b)
    out = np.empty((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        diff = b - a[i]
        out[i] = np.einsum("ij,ij->i", diff, diff)
    return out


def _topk_block(block, block_info=None, *, queries, query_ids, k):
    """Candidates from one row block for each query: its ``k`` nearest rows of the block (the
    query itself excluded), packed as ``(1, m, 2k)``: distances then global row numbers;
    missing candidates (a block shorter than ``k``) have distance ∞."""
    start = block_info[0]["array-location"][0][0]
    d = _sq_distances(queries, block)
    ids = np.arange(start, start + block.shape[0])
    d[query_ids[:, None] == ids[None, :]] = np.inf
    m = queries.shape[0]
    out = np.full((1, m, 2 * k), np.inf)
    take = min(k, block.shape[0])
    if take:
        # Nearest first, ties by row number: the order of the full metric.
        order = np.argsort(d, axis=1, kind="stable")[:, :take]
        out[0, :, :take] = np.take_along_axis(d, order, axis=1)
        out[0, :, k : k + take] = ids[order]
    return out


def _merge_topk(parts, axis=None, keepdims=True, *, k):
    """Merges stacked candidate blocks ``(b, m, 2k)`` into the ``k`` nearest ``(1, m, 2k)``."""
    parts = np.asarray(parts)
    dist = np.concatenate(list(parts[:, :, :k]), axis=1)
    ids = np.concatenate(list(parts[:, :, k:]), axis=1)
    order = np.lexsort((ids, dist), axis=-1)[:, :k]
    return np.concatenate([np.take_along_axis(dist, order, 1), np.take_along_axis(ids, order, 1)], axis=1)[None]


def _identity(x, axis=None, keepdims=True):
    return x


def _nearest(A, queries, query_ids, k):
    """The ``k`` nearest rows of the Dask array ``A`` to each query (itself excluded): a
    per-block top-k and a tree reduction of the candidates (computed here). Returns global row numbers
    ``(m, k)`` int64, nearest first, ties by row number."""
    da = _da()
    from functools import partial

    m = queries.shape[0]
    blocks = A.map_blocks(
        _topk_block,
        queries=_shared(queries),
        query_ids=_shared(query_ids),
        k=k,
        chunks=((1,) * A.numblocks[0], (m,), (2 * k,)),
        new_axis=2,
        dtype=np.float64,
        meta=np.empty((0, 0, 0)),
    )
    merge = partial(_merge_topk, k=k)
    merged = da.reduction(blocks, chunk=_identity, combine=merge, aggregate=merge, axis=0, keepdims=True, dtype=np.float64, concatenate=True, meta=np.empty((0, 0, 0)))
    return np.asarray(merged.compute())[0, :, k:].astype(np.int64)


def _rank_block(block, block_info=None, *, queries, query_ids, other_dist, other_ids):
    """For each query ``i`` and each of its points ``j = other_ids[i, t]`` (at squared
    distance ``other_dist[i, t]``), how many rows ``l ≠ i`` of the block come before ``j`` in
    ``i``'s order: nearer, or as near with a smaller row number. Shape ``(1, m, t)``."""
    start = block_info[0]["array-location"][0][0]
    ids = np.arange(start, start + block.shape[0])
    m, t = other_ids.shape
    out = np.zeros((1, m, t), dtype=np.int64)
    d = _sq_distances(queries, block)
    for i in range(m):
        keep = ids != query_ids[i]
        row, rid = d[i][keep], ids[keep]
        dj = other_dist[i][:, None]
        before = (row[None, :] < dj) | ((row[None, :] == dj) & (rid[None, :] < other_ids[i][:, None]))
        out[0, i] = before.sum(axis=1)
    return out


def _ranks(A, queries, query_ids, neighbor_ids):
    """The rank (1 = nearest, the query itself excluded, ties by row number) in ``A`` of each
    ``neighbor_ids[i, t]`` seen from query ``i``: per-block counts summed by a Dask reduction."""
    m, t = neighbor_ids.shape
    unique = np.unique(neighbor_ids)
    rows = _exact(A[unique].compute())[np.searchsorted(unique, neighbor_ids)]
    diff = rows - _exact(queries)[:, None, :]
    other_dist = np.einsum("ijk,ijk->ij", diff, diff)
    counts = A.map_blocks(
        _rank_block,
        queries=_shared(queries),
        query_ids=_shared(query_ids),
        other_dist=_shared(other_dist),
        other_ids=_shared(neighbor_ids),
        chunks=((1,) * A.numblocks[0], (m,), (t,)),
        new_axis=2,
        dtype=np.int64,
        meta=np.empty((0, 0, 0), dtype=np.int64),
    )
    return counts.sum(axis=0) + 1


def _score(A, B, sample, k, n):
    """``1 − 2 / (|S| k (2n − 3k − 1)) Σ_{i ∈ S} Σ_{j ∈ N_B(i)} max(0, r_A(i, j) − k)``: how far
    the ``k`` nearest rows of each sampled row in ``B`` are also near in ``A`` (trustworthiness
    with A the data and B the embedding; continuity with the roles swapped)."""
    qa = np.asarray(A[sample].compute(), dtype=np.float64)
    qb = np.asarray(B[sample].compute(), dtype=np.float64)
    nearest = _nearest(B, qb, sample, k)
    ranks = np.asarray(_ranks(A, qa, sample, nearest).compute())
    penalty = np.maximum(ranks - k, 0).sum()
    return 1.0 - 2.0 / (len(sample) * k * (2.0 * n - 3.0 * k - 1.0)) * penalty


def evaluate(X, embedding, n_neighbors=15, sample_size=1000, random_state=0):
    """Trustworthiness and continuity of an embedding of a Dask array, on a sample of its rows.

    For a seeded sample S of rows (all rows when ``sample_size ≥ n_samples``),

    ``T = 1 − 2 / (|S| k (2n − 3k − 1)) Σ_{i∈S} Σ_{j ∈ N_Y(i)} max(0, r_X(i, j) − k)``

    where ``N_Y(i)`` are the ``k`` nearest rows of ``i`` in the embedding and ``r_X(i, j)`` the
    rank of ``j`` among ``i``'s neighbours in ``X`` (1 = nearest, ``i`` left out); continuity
    swaps ``X`` and the embedding. With S all rows these are
    :func:`unfold.metrics.trustworthiness` and :func:`unfold.metrics.continuity` (euclidean);
    on a sample, their mean over the sampled rows' terms. Neighbours and ranks are exact: each
    row block gives its top-k candidates and rank counts, merged by Dask reductions.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
    embedding : dask.array.Array or ndarray of shape (n_samples, n_components)
    n_neighbors : int, default=15
        ``1 ≤ n_neighbors < n_samples / 2``.
    sample_size : int, default=1000
    random_state : int, default=0
        Seeds the sample (``numpy.random.default_rng``).

    Returns
    -------
    dict with 'trustworthiness', 'continuity' (floats) and 'sample_size'.
    """
    da = _da()
    X = _rows(X, "X")
    if not isinstance(embedding, da.Array):
        embedding = np.asarray(embedding)
        if embedding.ndim != 2:
            raise ValueError(f"embedding must be 2-d (n_samples, n_components), got {embedding.ndim}-d")
        embedding = da.from_array(embedding, chunks=(X.chunks[0] if embedding.shape[0] == X.shape[0] else -1, -1))
    Y = _rows(embedding, "embedding")
    n = X.shape[0]
    if Y.shape[0] != n:
        raise ValueError(f"embedding has {Y.shape[0]} rows but X has {n}: one embedded row per row of X")
    if Y.chunks[0] != X.chunks[0]:
        Y = Y.rechunk({0: X.chunks[0]})
    for value, name in ((n_neighbors, "n_neighbors"), (sample_size, "sample_size")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an int ≥ 1, got {value!r}")
    k = int(n_neighbors)
    if not k < n / 2:
        raise ValueError(f"n_neighbors must be less than n_samples / 2 = {n / 2}, got {k}")
    if not isinstance(random_state, numbers.Integral) or isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be an int, got {random_state!r}")
    size = min(int(sample_size), n)
    sample = np.sort(np.random.default_rng(int(random_state)).choice(n, size=size, replace=False)) if size < n else np.arange(n)
    return {
        "trustworthiness": float(_score(X, Y, sample, k, n)),
        "continuity": float(_score(Y, X, sample, k, n)),
        "sample_size": size,
    }
