"""AnnData front end with scanpy's conventions: ``unfold.tl.umap``, ``unfold.tl.tsne`` and
``unfold.tl.pca`` take scanpy's ``sc.tl.umap``, ``sc.tl.tsne`` and ``sc.pp.pca`` parameters
(names, defaults, ``copy``/``key_added``) and write their results where scanpy does, so that
``sc.pl.umap`` and the rest of a scanpy workflow read them unchanged.

>>> import unfold
>>> unfold.tl.umap(adata)                        # doctest: +SKIP
>>> adata.obsm["X_umap"].shape                   # doctest: +SKIP
(700, 2)

Differences from scanpy, on purpose:

* ``umap`` without ``sc.pp.neighbors`` having run computes the neighbours itself (15, euclidean,
  on scanpy's choice of representation) and stores them as ``sc.pp.neighbors`` would, with a
  ``UserWarning`` saying so; scanpy raises instead.
* ``umap`` builds the fuzzy graph from ``.obsp["distances"]`` (as ``sc.pp.neighbors`` with its
  default ``method="umap"`` builds ``.obsp["connectivities"]``), instead of reading
  ``.obsp["connectivities"]``.
* ``tsne`` runs ``unfold.TSNE`` with scikit-learn's iteration counts (250 early-exaggeration
  iterations, 1,000 in all) rather than scikit-learn's ``TSNE``.
* Values unfold does not implement (``method="rapids"``, ``init_pos="paga"``,
  ``zero_center=False``, ``chunked=True``, ``use_fast_tsne=True``) raise a ``ValueError``.

anndata is an optional dependency: ``pip install "unfold-learn[anndata]"``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._validation import as_count

__all__ = ["pca", "tsne", "umap"]

#: scanpy's ``settings.N_PCS``: principal components used when none is said.
N_PCS = 50

_INSTALL = 'unfold.tl needs the anndata package: pip install "unfold-learn[anndata]"'


def _anndata():
    try:
        import anndata
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    return anndata


def _start(adata, copy):
    """The AnnData to write to: ``adata`` itself, or a copy with ``copy=True``."""
    if not isinstance(adata, _anndata().AnnData):
        raise TypeError(f"adata must be an anndata.AnnData, got {type(adata).__name__}")
    if not isinstance(copy, (bool, np.bool_)):
        raise TypeError(f"copy must be True or False, got {copy!r}")
    return adata.copy() if copy else adata


def _key(key_added, default: str) -> str:
    if key_added is None:
        return default
    if not isinstance(key_added, str) or not key_added:
        raise TypeError(f"key_added must be a non-empty string or None, got {key_added!r}")
    return key_added


def choose_representation(adata, *, use_rep=None, n_pcs=None):
    """The rows to embed, by scanpy's rule (``scanpy.tools._utils._choose_representation``):
    ``use_rep`` (a key of ``.obsm``, or ``"X"``), its first ``n_pcs`` columns when given; with
    neither, ``.X`` when it has at most 50 variables, else the first ``n_pcs`` columns of
    ``.obsm["X_pca"]``, else a PCA of ``.X`` (a truncated SVD of a sparse ``.X``) computed and stored first (``unfold.tl.pca`` with
    ``n_comps = n_pcs or 50``, with scanpy's ``UserWarning``). ``n_pcs=0`` means ``.X``."""
    if n_pcs is not None:
        n_pcs = as_count(n_pcs, "n_pcs")
    if use_rep is None and n_pcs == 0:
        use_rep = "X"
    if use_rep is None:
        if adata.n_vars <= N_PCS:
            return adata.X
        if "X_pca" in adata.obsm:
            if n_pcs is not None and n_pcs > adata.obsm["X_pca"].shape[1]:
                raise ValueError(f"n_pcs={n_pcs} but .obsm['X_pca'] has {adata.obsm['X_pca'].shape[1]} components: run unfold.tl.pca with n_comps ≥ n_pcs, or lower n_pcs")
            return adata.obsm["X_pca"][:, :n_pcs]
        warnings.warn(
            f"You’re trying to run this on {adata.n_vars} dimensions of `.X`, if you really want this, set `use_rep='X'`.\n"
            "         Falling back to preprocessing with `unfold.tl.pca` and default params.",
            UserWarning,
            stacklevel=3,
        )
        # A sparse .X takes the truncated SVD (zero_center=False): centring would densify it.
        pca(adata, n_comps=n_pcs if n_pcs is not None else N_PCS, zero_center=not hasattr(adata.X, "tocsr"))
        return adata.obsm["X_pca"]
    if not isinstance(use_rep, str):
        raise TypeError(f"use_rep must be a key of .obsm, 'X' or None, got {use_rep!r}")
    if use_rep in adata.obsm:
        rep = adata.obsm[use_rep]
        if n_pcs is None:
            return rep
        if n_pcs > rep.shape[1]:
            raise ValueError(f"n_pcs={n_pcs} but .obsm[{use_rep!r}] has {rep.shape[1]} columns: give a representation with at least n_pcs columns or lower n_pcs")
        return rep[:, :n_pcs]
    if use_rep == "X":
        return adata.X
    raise ValueError(f"use_rep={use_rep!r} is not in .obsm (keys: {sorted(adata.obsm.keys())}) and is not 'X': compute it first")


def _as_rows(x):
    """A representation as an estimator takes it: dense arrays as they are, scipy sparse
    matrices passed on (the estimators say whether they accept them)."""
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        x = x.to_numpy()
    return x


def _scalar(value):
    """A parameter read back from ``.uns`` (h5ad files store scalars as 1-element arrays)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        value = value.item()
    return value


def knn_from_distances(distances, n_neighbors: int, x=None, *, metric="euclidean", metric_kwds=None):
    """``sc.pp.neighbors``' distance matrix as ``unfold.UMAP``'s ``precomputed_knn``: each row's
    ``n_neighbors − 1`` nearest stored entries other than the cell itself, nearest first, ties
    in stored order. Returns ``(indices int64, distances float32)`` of shape
    ``(n_obs, n_neighbors − 1)``.

    scanpy drops the first column of its search's result as "the cell itself"; where a cell has
    duplicates at distance 0 the first may be a duplicate, so the cell itself stays stored and
    the row holds one neighbour fewer. Those rows' neighbours are found again exactly in the
    representation ``x`` (scikit-learn's ``pairwise_distances`` under ``metric``); without
    ``x`` a row that is short is refused."""
    import scipy.sparse as sp

    if not sp.issparse(distances):
        raise TypeError(f"the neighbours' distances must be a scipy sparse matrix (as sc.pp.neighbors stores them), got {type(distances).__name__}")
    d = sp.csr_matrix(distances)
    n = d.shape[0]
    if d.shape != (n, n):
        raise ValueError(f"the neighbours' distance matrix must be square (n_obs × n_obs), got shape {d.shape}")
    k = n_neighbors - 1
    rows = np.repeat(np.arange(n), np.diff(d.indptr))
    other = d.indices != rows
    rows, cols, vals = rows[other], d.indices[other], d.data[other]
    counts = np.bincount(rows, minlength=n)
    short = np.flatnonzero(counts < k)
    if short.size and x is None:
        i = short[0]
        raise ValueError(
            f"row {i} of the neighbours' distances stores {counts[i]} neighbours besides the cell itself, but n_neighbors={n_neighbors} "
            f"needs {k}: run sc.pp.neighbors again"
        )
    # lexsort is stable: by row, then distance, ties in stored order.
    order = np.lexsort((vals, rows))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(order.size) - np.repeat(starts, counts)
    take = order[(rank < k) & (counts[rows[order]] >= k)]
    indices = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k), dtype=np.float32)
    full = np.setdiff1d(np.arange(n), short, assume_unique=True)
    indices[full] = cols[take].reshape(-1, k)
    dist[full] = vals[take].reshape(-1, k)
    if short.size:
        indices[short], dist[short] = _exact_neighbors(x, short, k, metric, metric_kwds)
    return indices, dist


def _exact_neighbors(x, rows, k, metric, metric_kwds):
    """The ``k`` nearest rows of ``x`` to each of ``rows`` (itself excluded, ties by index), by
    all distances from those rows."""
    from sklearn.metrics import pairwise_distances

    try:
        d = pairwise_distances(x[rows], x, metric=metric, **(metric_kwds or {}))
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"{len(rows)} rows of the neighbours' distances hold the cell itself (duplicated cells) and their neighbours "
            f"could not be found again under metric={metric!r}: {e}; run sc.pp.neighbors again"
        ) from e
    d[np.arange(len(rows)), rows] = np.inf
    nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
    return nearest, np.take_along_axis(d, nearest, axis=1).astype(np.float32)


def _random_state(random_state):
    if isinstance(random_state, (bool, np.bool_)) or not (random_state is None or isinstance(random_state, (numbers.Integral, np.random.RandomState, np.random.Generator))):
        raise TypeError(f"random_state must be an int, a numpy RandomState or Generator, or None, got {random_state!r}")
    return random_state


def umap(
    adata,
    *,
    min_dist: float = 0.5,
    spread: float = 1.0,
    n_components: int = 2,
    maxiter: int | None = None,
    alpha: float = 1.0,
    gamma: float = 1.0,
    negative_sample_rate: int = 5,
    init_pos="spectral",
    random_state=0,
    a: float | None = None,
    b: float | None = None,
    method: str = "umap",
    key_added: str | None = None,
    neighbors_key: str = "neighbors",
    copy: bool = False,
    n_jobs: int | None = None,
):
    """Embed the neighbourhood graph with UMAP, as ``scanpy.tl.umap`` (scanpy 1.11), computed by
    ``unfold.UMAP``.

    Reads the neighbours of ``sc.pp.neighbors`` (``.uns[neighbors_key]["params"]`` and the
    distances in ``.obsp``), hands them to ``unfold.UMAP`` as ``precomputed_knn``, and lays out
    the fuzzy graph built from them with scanpy's parameters. If ``.uns[neighbors_key]`` is
    missing, the neighbours are computed here (``sc.pp.neighbors``' defaults: 15 neighbours,
    euclidean, on the representation of :func:`choose_representation`) and stored in
    ``.obsp["distances"]``, ``.obsp["connectivities"]`` (the fuzzy graph) and
    ``.uns[neighbors_key]`` as ``sc.pp.neighbors`` would, with a ``UserWarning`` (scanpy raises).

    Parameters
    ----------
    adata : anndata.AnnData
    min_dist : float, default=0.5
    spread : float, default=1.0
    n_components : int, default=2
    maxiter : int or None, default=None
        Layout epochs (umap-learn's ``n_epochs``); None: 500 up to 10,000 cells, 200 above.
    alpha : float, default=1.0
        Initial learning rate (umap-learn's ``learning_rate``).
    gamma : float, default=1.0
        Weight of the negative samples (umap-learn's ``repulsion_strength``).
    negative_sample_rate : int, default=5
    init_pos : str or ndarray, default='spectral'
        A key of ``.obsm``, 'spectral', 'random', 'pca', or an array (n_obs, n_components).
        scanpy's 'paga' is not supported (ValueError).
    random_state : int, RandomState or None, default=0
    a, b : float or None, default=None
        The curve ``1 / (1 + a d^2b)``; None: fitted to ``min_dist`` and ``spread``.
    method : {'umap'}, default='umap'
        scanpy's deprecated 'rapids' is not supported (ValueError).
    key_added : str or None, default=None
        Where the result goes: ``.obsm["X_umap"]`` and ``.uns["umap"]``, or
        ``.obsm[key_added]`` and ``.uns[key_added]``.
    neighbors_key : str, default='neighbors'
        The ``.uns`` entry of the neighbours (and its ``distances_key``).
    copy : bool, default=False
        Return a new AnnData instead of writing to ``adata``.
    n_jobs : int or None, default=None
        Worker threads (unfold's addition); None uses all cores.

    Returns
    -------
    None, or the new AnnData with ``copy=True``. Sets ``.obsm["X_umap" | key_added]`` (float32,
    n_obs × n_components) and ``.uns["umap" | key_added] = {"params": {"a", "b"[, "random_state"]}}``.
    """
    from ._umap import UMAP

    adata = _start(adata, copy)
    key = _key(key_added, "X_umap")
    key_uns = "umap" if key_added is None else key
    if method != "umap":
        raise ValueError(f"method={method!r} is not supported: unfold.tl.umap implements method='umap' (scanpy's 'rapids' is deprecated there)")
    if not isinstance(neighbors_key, str):
        raise TypeError(f"neighbors_key must be a string, got {neighbors_key!r}")
    random_state = _random_state(random_state)
    if isinstance(init_pos, str) and init_pos in adata.obsm:
        init = np.asarray(adata.obsm[init_pos], dtype=np.float32)
    elif isinstance(init_pos, str) and init_pos == "paga":
        raise ValueError("init_pos='paga' is not supported: pass the positions as an array or a key of .obsm, or use 'spectral', 'random' or 'pca'")
    elif isinstance(init_pos, str):
        if init_pos not in ("spectral", "random", "pca"):
            raise ValueError(f"init_pos={init_pos!r} is neither a key of .obsm nor one of 'spectral', 'random', 'pca'")
        init = init_pos
    elif init_pos is None:
        init = "spectral"
    else:
        init = np.asarray(init_pos, dtype=np.float32)
    layout = {
        "n_components": n_components,
        "n_epochs": None if maxiter is None else as_count(maxiter, "maxiter"),
        "learning_rate": alpha,
        "init": init,
        "min_dist": min_dist,
        "spread": spread,
        "repulsion_strength": gamma,
        "negative_sample_rate": negative_sample_rate,
        "a": a,
        "b": b,
        "random_state": random_state,
        "n_jobs": n_jobs,
    }
    if neighbors_key not in adata.uns:
        warnings.warn(
            f".uns[{neighbors_key!r}] not found: computing 15 nearest neighbours (euclidean) with unfold, "
            f"stored in .obsp and .uns[{neighbors_key!r}] as sc.pp.neighbors would",
            UserWarning,
            stacklevel=2,
        )
        _umap_from_scratch(adata, key, key_uns, neighbors_key, layout)
        return adata if copy else None
    neighbors = adata.uns[neighbors_key]
    params = dict(neighbors.get("params", {}))
    if _scalar(params.get("method", "umap")) != "umap":
        warnings.warn(f"the neighbours in .uns[{neighbors_key!r}] were computed with method={params.get('method')!r}; UMAP's graph is built from their distances", UserWarning, stacklevel=2)
    distances_key = neighbors.get("distances_key", "distances")
    if distances_key not in adata.obsp:
        raise ValueError(f".obsp[{distances_key!r}] not found: .uns[{neighbors_key!r}] names it as the neighbours' distances; run sc.pp.neighbors again")
    if "n_neighbors" not in params:
        raise ValueError(f".uns[{neighbors_key!r}]['params'] has no 'n_neighbors'; run sc.pp.neighbors again")
    n_neighbors = int(_scalar(params["n_neighbors"]))
    x = _as_rows(choose_representation(adata, use_rep=_scalar(params.get("use_rep")), n_pcs=_scalar(params.get("n_pcs"))))
    metric = _scalar(params.get("metric", "euclidean"))
    metric_kwds = params.get("metric_kwds") or None
    knn = knn_from_distances(adata.obsp[distances_key], n_neighbors, x, metric=metric, metric_kwds=metric_kwds)
    model = UMAP(n_neighbors=n_neighbors, metric=metric, metric_kwds=metric_kwds, precomputed_knn=knn, **layout)
    adata.obsm[key] = model.fit_transform(x)
    _umap_uns(adata, key_uns, model, random_state)
    return adata if copy else None


def _umap_uns(adata, key_uns, model, random_state):
    """scanpy's ``.uns["umap"]``: the curve's ``a`` and ``b`` as fitted, ``random_state`` when
    not 0."""
    params = {"a": float(model._a), "b": float(model._b)}
    if not (isinstance(random_state, numbers.Integral) and random_state == 0):
        params["random_state"] = random_state
    adata.uns[key_uns] = {"params": params}


def _umap_from_scratch(adata, key, key_uns, neighbors_key, layout):
    """``umap`` without stored neighbours: unfold.UMAP searches them, and they are stored as
    ``sc.pp.neighbors`` stores its own (distances without the cell itself, the fuzzy graph as
    connectivities)."""
    import scipy.sparse as sp

    from ._neighbors import neighbors as knn_search
    from ._umap import UMAP

    n_neighbors = 15
    x = _as_rows(choose_representation(adata))
    n = adata.n_obs
    if n_neighbors >= n:
        raise ValueError(f"UMAP needs more cells than neighbours: {n} cells for 15 neighbours")
    seed = layout["random_state"]
    idx, dist = knn_search(x, n_neighbors - 1, random_state=seed, n_jobs=layout["n_jobs"])
    model = UMAP(n_neighbors=n_neighbors, precomputed_knn=(idx, dist), **layout)
    adata.obsm[key] = model.fit_transform(x)
    indptr = np.arange(0, n * (n_neighbors - 1) + 1, n_neighbors - 1)
    distances_key, connectivities_key = ("distances", "connectivities") if neighbors_key == "neighbors" else (f"{neighbors_key}_distances", f"{neighbors_key}_connectivities")
    adata.obsp[distances_key] = sp.csr_matrix((dist.ravel().astype(np.float32), idx.ravel(), indptr), shape=(n, n))
    adata.obsp[connectivities_key] = sp.csr_matrix(model.graph_)
    adata.uns[neighbors_key] = {
        "connectivities_key": connectivities_key,
        "distances_key": distances_key,
        "params": {"n_neighbors": n_neighbors, "method": "umap", "random_state": seed if isinstance(seed, numbers.Integral) else 0, "metric": "euclidean"},
    }
    _umap_uns(adata, key_uns, model, seed)


def tsne(
    adata,
    n_pcs: int | None = None,
    *,
    use_rep: str | None = None,
    perplexity: float = 30,
    metric: str = "euclidean",
    early_exaggeration: float = 12,
    learning_rate: float = 1000,
    random_state=0,
    use_fast_tsne: bool = False,
    n_jobs: int | None = None,
    key_added: str | None = None,
    copy: bool = False,
):
    """t-SNE, as ``scanpy.tl.tsne`` (scanpy 1.11), computed by ``unfold.TSNE``.

    scanpy runs scikit-learn's ``TSNE`` with its defaults besides these parameters: 1,000
    iterations of which the first 250 at ``early_exaggeration``, PCA initialisation. Here
    ``unfold.TSNE`` runs with the same counts (``early_exaggeration_iter=250``,
    ``max_iter=750`` after them) and the FFT-accelerated gradient above a few thousand cells.

    Parameters
    ----------
    adata : anndata.AnnData
    n_pcs : int or None, default=None
        Columns of the representation used (see :func:`choose_representation`); 0 means ``.X``.
    use_rep : str or None, default=None
        A key of ``.obsm``, or 'X'.
    perplexity : float, default=30
    metric : str, default='euclidean'
    early_exaggeration : float, default=12
    learning_rate : float, default=1000
    random_state : int, RandomState or None, default=0
    use_fast_tsne : bool, default=False
        True (scanpy's deprecated MulticoreTSNE) is not supported (ValueError).
    n_jobs : int or None, default=None
        Worker threads; None uses all cores.
    key_added : str or None, default=None
        ``.obsm["X_tsne"]`` and ``.uns["tsne"]``, or ``.obsm[key_added]`` and ``.uns[key_added]``.
    copy : bool, default=False

    Returns
    -------
    None, or the new AnnData with ``copy=True``. Sets ``.obsm["X_tsne" | key_added]`` (float64)
    and ``.uns["tsne" | key_added] = {"params": {perplexity, early_exaggeration,
    learning_rate, n_jobs, metric, use_rep}}`` (the None ones left out).
    """
    from ._tsne import TSNE

    adata = _start(adata, copy)
    key = _key(key_added, "X_tsne")
    key_uns = "tsne" if key_added is None else key
    if use_fast_tsne:
        raise ValueError("use_fast_tsne=True (MulticoreTSNE, deprecated in scanpy) is not supported: unfold.TSNE is the fast implementation")
    random_state = _random_state(random_state)
    x = choose_representation(adata, use_rep=use_rep, n_pcs=n_pcs)
    model = TSNE(
        n_components=2,
        perplexity=perplexity,
        metric=metric,
        early_exaggeration=early_exaggeration,
        early_exaggeration_iter=250,
        max_iter=750,
        learning_rate=learning_rate,
        init="pca",
        random_state=random_state,
        n_jobs=n_jobs,
    )
    adata.obsm[key] = model.fit_transform(_as_rows(x))
    params = {"perplexity": perplexity, "early_exaggeration": early_exaggeration, "learning_rate": learning_rate, "n_jobs": n_jobs, "metric": metric, "use_rep": use_rep}
    adata.uns[key_uns] = {"params": {k: v for k, v in params.items() if v is not None}}
    return adata if copy else None


class _Empty:
    """scanpy's ``_empty``: ``mask_var`` not given (then ``.var["highly_variable"]`` is used
    when present)."""

    def __repr__(self):
        return "_empty"


_empty = _Empty()


def _mask_var(adata, mask_var, use_highly_variable):
    """scanpy's ``_handle_mask_var``: ``(the mask parameter as stored, boolean mask or None)``."""
    if use_highly_variable is not None:
        warnings.warn(
            "Argument `use_highly_variable` is deprecated, consider using the mask argument. "
            'Use_highly_variable=True can be called through mask_var="highly_variable". Use_highly_variable=False can be called through mask_var=None',
            FutureWarning,
            stacklevel=3,
        )
        if mask_var is not _empty:
            raise ValueError("use_highly_variable and mask_var are incompatible: give mask_var only")
    if use_highly_variable or (use_highly_variable is None and mask_var is _empty and "highly_variable" in adata.var.columns):
        mask_var = "highly_variable"
    if mask_var is _empty or mask_var is None:
        return None, None
    if isinstance(mask_var, str):
        if mask_var not in adata.var.columns:
            raise ValueError(f"mask_var={mask_var!r} is not a column of .var")
        mask = np.asarray(adata.var[mask_var])
    else:
        mask = np.asarray(mask_var)
    if mask.dtype != bool or mask.shape != (adata.n_vars,):
        raise ValueError(f"mask_var must select variables: a boolean array of length n_vars = {adata.n_vars} (or a boolean column of .var), got dtype {mask.dtype}, shape {mask.shape}")
    return mask_var, mask


_SOLVERS = {None: "auto", "auto": "auto", "full": "full", "covariance_eigh": "covariance_eigh", "randomized": "randomized", "arpack": "full"}


def pca(
    data,
    n_comps: int | None = None,
    *,
    layer: str | None = None,
    zero_center: bool = True,
    svd_solver: str | None = None,
    chunked: bool = False,
    chunk_size: int | None = None,
    random_state=0,
    return_info: bool = False,
    mask_var=_empty,
    use_highly_variable: bool | None = None,
    dtype="float32",
    key_added: str | None = None,
    copy: bool = False,
    n_jobs: int | None = None,
):
    """Principal component analysis, as ``scanpy.pp.pca`` (scanpy 1.11), computed by
    ``unfold.PCA``.

    Parameters
    ----------
    data : anndata.AnnData or array of shape (n_obs, n_vars)
    n_comps : int or None, default=None
        None: 50, or ``min(n_obs, n_vars) − 1`` when that is at most 50.
    layer : str or None, default=None
        Use ``.layers[layer]`` instead of ``.X``.
    zero_center : bool, default=True
        True: PCA of the centred data (dense X). False: truncated SVD without centring
        (``unfold.TruncatedSVD``), which keeps a sparse X sparse, as scanpy does.
    svd_solver : {None, 'auto', 'full', 'covariance_eigh', 'randomized', 'arpack'}, default=None
        None and 'auto' let unfold choose; 'arpack' (exact leading components) is computed by
        the exact 'full' solver.
    chunked, chunk_size
        Only ``chunked=False`` (True raises a ValueError; see ``unfold.dask`` for data that
        does not fit in memory).
    random_state : int, RandomState or None, default=0
    return_info : bool, default=False
        For array input: also return ``components_``, ``explained_variance_ratio_`` and
        ``explained_variance_``.
    mask_var : str, boolean array or None, default: ``.var["highly_variable"]`` when present
        Variables to use; loadings of the others are 0 in ``.varm["PCs"]``.
    use_highly_variable : bool or None, default=None
        Deprecated in scanpy; ``mask_var="highly_variable"``.
    dtype : dtype, default='float32'
        Of ``.obsm["X_pca"]``.
    key_added : str or None, default=None
        ``.obsm["X_pca"]``, ``.varm["PCs"]``, ``.uns["pca"]`` or all three at ``key_added``.
    copy : bool, default=False
    n_jobs : int or None, default=None
        Worker threads; None uses all cores.

    Returns
    -------
    For AnnData: None, or the new AnnData with ``copy=True``; sets ``.obsm["X_pca"]``,
    ``.varm["PCs"]`` (n_vars × n_comps), ``.uns["pca"]`` with ``params``, ``variance`` and
    ``variance_ratio``. For an array: the projections (and the info with ``return_info``).
    """
    from ._pca import PCA

    if not isinstance(zero_center, (bool, np.bool_)):
        raise TypeError(f"zero_center must be True or False, got {zero_center!r}")
    if not zero_center and svd_solver not in (None, "randomized"):
        raise ValueError(f"svd_solver={svd_solver!r} with zero_center=False: unfold's truncated SVD is randomized (svd_solver=None or 'randomized')")
    if chunked:
        raise ValueError("chunked=True is not supported: unfold's PCA works on the whole matrix (for data beyond memory, fit on a sample and use unfold.dask.transform)")
    if svd_solver not in _SOLVERS:
        raise ValueError(f"svd_solver={svd_solver!r} is not one of {sorted(s for s in _SOLVERS if s)} or None")
    random_state = _random_state(random_state)
    anndata = _anndata()
    is_adata = isinstance(data, anndata.AnnData)
    if not isinstance(copy, (bool, np.bool_)):
        raise TypeError(f"copy must be True or False, got {copy!r}")
    adata = (data.copy() if copy else data) if is_adata else anndata.AnnData(np.asarray(data) if not hasattr(data, "tocsr") else data)
    mask_param, mask = _mask_var(adata, mask_var, use_highly_variable)
    if layer is not None and layer not in adata.layers:
        raise ValueError(f"layer={layer!r} is not in .layers (keys: {sorted(adata.layers.keys())})")
    x = adata.X if layer is None else adata.layers[layer]
    if mask is not None:
        x = x[:, mask]
    n_obs, n_vars = x.shape
    if n_comps is None:
        min_dim = min(n_obs, n_vars)
        n_comps = min_dim - 1 if min_dim <= N_PCS else N_PCS
    n_comps = as_count(n_comps, "n_comps")
    if zero_center:
        if hasattr(x, "tocsr"):
            raise ValueError(
                "X is sparse: PCA centres the data, which would make it dense; pass zero_center=False for a truncated SVD of the sparse matrix (as scanpy does), or densify it"
            )
        model = PCA(n_components=n_comps, svd_solver=_SOLVERS[svd_solver], random_state=random_state, n_jobs=n_jobs)
    else:
        from ._truncated_svd import TruncatedSVD

        model = TruncatedSVD(n_components=n_comps, random_state=random_state)
    x_pca = np.asarray(model.fit_transform(_as_rows(x))).astype(dtype, copy=False)
    if not is_adata:
        if return_info:
            return x_pca, model.components_, model.explained_variance_ratio_, model.explained_variance_
        return x_pca
    key_obsm, key_varm, key_uns = ("X_pca", "PCs", "pca") if key_added is None else (_key(key_added, ""),) * 3
    adata.obsm[key_obsm] = x_pca
    if mask is not None:
        loadings = np.zeros((adata.n_vars, n_comps))
        loadings[mask] = model.components_.T
        adata.varm[key_varm] = loadings
    else:
        adata.varm[key_varm] = np.asarray(model.components_.T)
    params = {"zero_center": bool(zero_center), "use_highly_variable": mask_param == "highly_variable", "mask_var": mask_param}
    if layer is not None:
        params["layer"] = layer
    adata.uns[key_uns] = {"params": params, "variance": np.asarray(model.explained_variance_), "variance_ratio": np.asarray(model.explained_variance_ratio_)}
    return adata if copy else None
