"""Input conversion shared by every entry point: arrays, seeds and thread counts.

Everything here only converts or rejects; ranges that depend on the method (``n_components``,
``n_neighbors``…) are checked by the Rust core, once, with the parameter's name in the message.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

_SPARSE_HINT = (
    "{name} is a scipy sparse matrix; unfold needs dense input for now (sparse kernels are "
    "planned). Densify it with {name}.toarray() if it fits in memory "
    "({rows} × {cols} × 4 bytes as float32)."
)


def _is_sparse(x) -> bool:
    # Without importing scipy: its sparse classes live in scipy.sparse modules.
    return type(x).__module__.startswith("scipy.sparse")


def as_matrix(x, name: str = "X") -> np.ndarray:
    """``x`` as a C-contiguous float32 array of shape (n_samples, n_features).

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
    return np.ascontiguousarray(arr, dtype=np.float32)


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
    a positive int → that many, -2 → all but one (joblib's rule ``cpu_count + 1 + n_jobs``)."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be None or an int, got {type(n_jobs).__name__}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0: use a positive number of threads, or None or -1 for all cores")
    if n_jobs == -1:
        return None
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


def as_count(value, name: str) -> int:
    """A non-negative int parameter (the core checks its range and names it)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def as_metric(metric, name: str = "metric") -> str:
    """A metric name (the core checks it and lists the accepted names)."""
    if not isinstance(metric, str):
        raise TypeError(f"{name} must be a string such as 'euclidean' or 'cosine', got {type(metric).__name__}")
    return metric
