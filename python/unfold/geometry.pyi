from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import manifolds as _m
from ._bsa import BarycentricSubspaceAnalysis as BarycentricSubspaceAnalysis
from ._bsa import barycentric_subspace_analysis as barycentric_subspace_analysis
from ._flag_mean import FlagAverage as FlagAverage
from ._flag_mean import flag_chordal_distance as flag_chordal_distance
from ._flag_mean import flag_mean as flag_mean
from ._flag_mean import flag_median as flag_median
from ._sliced_wasserstein import IntrinsicSlicedWasserstein as IntrinsicSlicedWasserstein
from ._sliced_wasserstein import sliced_wasserstein as sliced_wasserstein
from ._sliced_wasserstein import wasserstein_1d as wasserstein_1d
from .manifolds import frechet_mean as frechet_mean
from .manifolds import geometric_median as geometric_median
from .manifolds import tangent_pca as tangent_pca

ArrayLike = npt.ArrayLike
F64 = npt.NDArray[np.float64]
RandomState = Union[None, int, np.random.Generator, np.random.RandomState]

__all__: list[str]

class _Fixed:
    shape: tuple[int, ...]
    @property
    def dim(self) -> int: ...
    def exp(self, x: ArrayLike, v: ArrayLike) -> F64: ...
    def log(self, x: ArrayLike, y: ArrayLike) -> F64: ...
    def proj(self, x: ArrayLike, u: ArrayLike) -> F64: ...
    def egrad_to_rgrad(self, x: ArrayLike, g: ArrayLike) -> F64: ...
    def random_point(self, n_samples: int = 1, random_state: RandomState = None) -> F64: ...
    def random_tangent(self, x: ArrayLike, random_state: RandomState = None) -> F64: ...  # type: ignore[override]
    def check_point(self, x: ArrayLike, atol: float = 1e-6) -> bool: ...

class Euclidean(_Fixed, _m.Euclidean):
    def __init__(self, n: int) -> None: ...

class Sphere(_Fixed, _m.Sphere):
    def __init__(self, n: int) -> None: ...

class PoincareBall(_Fixed, _m.PoincareBall):
    def __init__(self, n: int, c: float = 1.0) -> None: ...

class Lorentz(_Fixed, _m.Lorentz):
    def __init__(self, n: int, k: float = 1.0) -> None: ...

class Stereographic(_Fixed, _m.Stereographic):
    def __init__(self, n: int, k: float = 0.0) -> None: ...

class SPD(_Fixed, _m.SymmetricPositiveDefinite):
    spd_metric: str
    def __init__(self, n: int, metric: str = "affine") -> None: ...

class Stiefel(_Fixed, _m.Stiefel):
    def __init__(self, n: int, p: int) -> None: ...

class Grassmann(_Fixed, _m.Grassmann):
    def __init__(self, n: int, p: int) -> None: ...

class Flag(_Fixed, _m.Flag):
    signature: tuple[int, ...]
    def __init__(self, n: int, signature: Sequence[int]) -> None: ...

class Product(_Fixed, _m.ProductManifold):
    def __init__(self, factors: Sequence[_Fixed]) -> None: ...  # type: ignore[override]
    @classmethod
    def from_signature(cls, signature: str) -> "Product": ...

class OptimizeResult(dict[str, Any]):
    x: F64
    fun: float
    grad_norm: float
    nit: int
    success: bool
    message: str

def minimize(
    manifold: _m._Manifold,
    fun: Callable[[F64], tuple[float, ArrayLike]],
    x0: ArrayLike,
    *,
    method: str = "armijo",
    lr: float = 1e-3,
    momentum: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    max_iter: int = 1000,
    grad_tol: float = 1e-6,
    initial_step: float = 1.0,
    shrink: float = 0.5,
    sufficient_decrease: float = 1e-4,
    max_backtrack: int = 50,
) -> OptimizeResult: ...
