"""Input conversion shared by every entry point: arrays, seeds and thread counts.

Everything here only converts or rejects; ranges that depend on the method (``n_components``,
``n_neighbors``…) are checked by the Rust core, once, with the parameter's name in the message.
"""

from __future__ import annotations

import numbers
import sys

import numpy as np

from . import _core

_SPARSE_HINT = (
    "{name} is a scipy sparse matrix; this estimator needs dense input (UMAP, TSNE, "
    "TruncatedSVD, SpectralEmbedding and unfold.neighbors take sparse input). Densify it with {name}.toarray() "
    "if it fits in memory ({rows} × {cols} × 4 bytes as float32)."
)


class InvalidParameterError(ValueError, TypeError):
    """A parameter of the wrong type or out of its range: a ``ValueError`` and a ``TypeError``,
    as scikit-learn's own ``InvalidParameterError`` is, so code catching either keeps working."""


def plain(value):
    """numpy scalars as the Python numbers they hold (``np.bool_`` → ``bool``), for the core."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_sparse(x) -> bool:
    # Without importing scipy: its sparse classes live in scipy.sparse modules.
    return type(x).__module__.startswith("scipy.sparse")


class SparseRows(tuple):
    """A scipy sparse matrix's CSR arrays as the core takes them: ``(data float32, indices
    int64, indptr int64, n_rows, n_cols)``, with the matrix's ``shape``."""

    __slots__ = ()

    @property
    def shape(self) -> tuple:
        return (self[3], self[4])


def as_matrix_or_sparse(x, name: str = "X", *, keep_float64: bool = False):
    """``x`` as :func:`as_matrix` makes it, or, for a scipy sparse matrix or array, its CSR
    arrays as the core takes them (:class:`SparseRows`). Repeated entries are summed and explicit zeros dropped, as scipy's
    ``sum_duplicates`` and ``eliminate_zeros`` do; NaN and infinity are left for the core to
    report with their row and column.

    Raises
    ------
    ValueError
        For a sparse matrix that is empty, or holds values beyond float32's range (naming the
        row and column).
    """
    if not _is_sparse(x):
        return as_matrix(x, name, keep_float64=keep_float64)
    if getattr(x, "ndim", 2) != 2:
        raise ValueError(f"{name} must be 2-d, got a sparse array of shape {x.shape}")
    csr = x.tocsr()
    n, d = csr.shape
    if n == 0 or d == 0:
        raise ValueError(f"Found array with {n} sample(s) (shape=({n}, {d})) while a minimum of 1 is required.")
    data = np.asarray(csr.data)
    if data.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {data.dtype}")
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {data.dtype}; unfold needs numbers")
    data32 = data.astype(np.float32)
    overflow = np.isinf(data32) & np.isfinite(data)
    if overflow.any():
        at = int(np.argmax(overflow))
        row = int(np.searchsorted(csr.indptr, at, side="right") - 1)
        raise ValueError(
            f"{name}[{row}, {int(csr.indices[at])}] = {data[at]:g} is beyond float32's range (3.4e38), which unfold computes in; scale the data down"
        )
    return SparseRows(
        (
            np.ascontiguousarray(data32),
            np.ascontiguousarray(csr.indices, dtype=np.int64),
            np.ascontiguousarray(csr.indptr, dtype=np.int64),
            n,
            d,
        )
    )


def as_matrix(x, name: str = "X", *, keep_float64: bool = False) -> np.ndarray:
    """``x`` as a C-contiguous float32 array of shape (n_samples, n_features).

    With ``keep_float64``, data whose values float32 cannot all hold exactly (float64, 32- and
    64-bit integers, objects) becomes float64 instead, for methods that compute in the input's
    precision (PCA).

    Accepts any numpy integer, boolean or float dtype, any memory order or stride, lists,
    and pandas DataFrames. NaN and infinity are left for the core to report with their row and
    column.

    Raises
    ------
    TypeError
        For scipy sparse input (with how to densify it), strings, or objects that are not
        array-like.
    ValueError
        For complex values, arrays that are not 2-d, and empty arrays.
    """
    if _is_sparse(x):
        rows, cols = getattr(x, "shape", ("n", "d"))
        raise TypeError(_SPARSE_HINT.format(name=name, rows=rows, cols=cols))
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{name} must be an array-like of numbers (numpy array, list of rows, DataFrame), got {type(x).__name__}")
    arr = x.to_numpy() if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray) else x
    arr = np.asarray(arr)
    if arr.dtype == object:
        arr = _missing_as_nan(arr)
    kind = arr.dtype.kind
    if kind in "USV":
        raise TypeError(f"{name} has dtype {arr.dtype} (text or raw bytes); unfold needs numbers")
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}")
    if kind in "mM":
        raise TypeError(f"{name} has dtype {arr.dtype} (dates or durations); unfold needs numbers")
    if arr.ndim != 2:
        if arr.ndim == 1:
            raise ValueError(
                f"Expected 2D array, got 1D array instead: {name}.shape = {arr.shape}. Reshape your data "
                "with array.reshape(-1, 1) if it has a single feature or array.reshape(1, -1) if it "
                "contains a single sample."
            )
        raise ValueError(f"Expected a 2D array, got {arr.ndim}D array instead: {name}.shape = {arr.shape}")
    n, d = arr.shape
    if n == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if d == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    # Object arrays holding non-numbers raise numpy's TypeError here, naming the bad type.
    dtype = np.float64 if keep_float64 and not _float32_holds(arr.dtype) else np.float32
    return np.ascontiguousarray(arr, dtype=dtype)


def _float32_holds(dtype: np.dtype) -> bool:
    """Whether float32 holds every value of ``dtype`` exactly: bool, 8- and 16-bit integers,
    float16 and float32."""
    return dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize <= 2) or (dtype.kind == "f" and dtype.itemsize <= 4)


def missing_mask(arr: np.ndarray) -> np.ndarray:
    """Where an object array holds a missing value: None, NaN, or pandas' ``NA`` and ``NaT``."""
    pandas = sys.modules.get("pandas")  # pandas' missing values exist only if pandas is loaded
    if pandas is not None:
        return np.asarray(pandas.isna(arr), dtype=bool)
    return np.frompyfunc(lambda v: v is None or (isinstance(v, float) and v != v), 1, 1)(arr).astype(bool)


def _missing_as_nan(arr: np.ndarray) -> np.ndarray:
    # A nullable pandas column (Float64, Int64…) with a missing value comes out as an object
    # array holding pandas.NA, which numpy cannot turn into a float: make it NaN, so that the
    # core reports it as it reports NaN, with its row and column.
    missing = missing_mask(arr)
    if not missing.any():
        return arr
    arr = arr.copy()
    arr[missing] = np.nan
    return arr


def seed_from_random_state(random_state) -> int | None:
    """The core's 64-bit seed for a scikit-learn ``random_state``.

    ``None`` → no seed (fresh randomness); an int in [0, 2**64) → that seed, so
    ``random_state=42`` equals the command line's ``--seed 42``; a ``numpy.random.RandomState``
    or ``Generator`` → a seed drawn from it (advancing it, as scikit-learn does).
    """
    if random_state is None:
        return None
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("random_state must be None, an int or a numpy.random.RandomState, got a bool")
    if isinstance(random_state, numbers.Integral):
        value = int(random_state)
        if not 0 <= value < 2**64:
            raise ValueError(f"random_state must be between 0 and 2**64 - 1, got {value}")
        return value
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int64).max, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int64).max, dtype=np.int64))
    raise TypeError(
        f"random_state must be None, an int or a numpy.random.RandomState, got {type(random_state).__name__}"
    )


def threads_from_n_jobs(n_jobs) -> int | None:
    """The core's thread count for a scikit-learn ``n_jobs``: ``None`` or -1 → all cores,
    a positive int → that many but at most the number of cores (more threads than cores only
    add the cost of starting them), -2 → all but one (joblib's rule ``cpu_count + 1 + n_jobs``).
    The number of cores is the core's (``std::thread::available_parallelism``: CPU affinity
    and container quotas included)."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be None or an int, got {type(n_jobs).__name__}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0: use a positive number of threads, or None or -1 for all cores")
    if n_jobs == -1:
        return None
    cores = _core.available_parallelism()
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return min(n_jobs, cores)


#: The largest count or seed the core takes (its ``usize`` and ``u64``: 64 bits on every
#: platform a wheel is built for).
MAX_COUNT = 2**64 - 1


def as_count(value, name: str) -> int:
    """A non-negative int parameter that fits the core's 64-bit integers (the core checks the
    parameter's own range and names it).

    Every integer parameter passes here before it reaches the core, so a value too large for
    64 bits raises ``ValueError`` naming the parameter, never an ``OverflowError``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    if value > MAX_COUNT:
        raise ValueError(f"invalid value for `{name}`: {value} (must be at most 2**64 - 1 = {MAX_COUNT})")
    return value


def as_positive_int(value, name: str, minimum: int = 1) -> int:
    """An int parameter of at least ``minimum``, checked on the Python side (sizes, counts)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def as_metric(metric, name: str = "metric") -> str:
    """A metric name (the core checks it and lists the accepted names)."""
    if not isinstance(metric, str):
        raise TypeError(f"{name} must be a string such as 'euclidean' or 'cosine', got {type(metric).__name__}")
    return metric
