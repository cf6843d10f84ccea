from typing import Literal, NamedTuple, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
F64 = npt.NDArray[np.float64]

__all__: list[str]

class FlagAverage(NamedTuple):
    point: F64
    objective: float
    n_iter: int
    converged: bool
    residual: float

@overload
def flag_mean(
    X: ArrayLike, signature: Union[int, Sequence[int]], weights: Optional[ArrayLike] = None, *,
    initial_point: Optional[ArrayLike] = None, max_iters: int = 200, tol: float = 1e-10,
    n_jobs: Optional[int] = None, return_all: Literal[False] = False,
) -> F64: ...
@overload
def flag_mean(
    X: ArrayLike, signature: Union[int, Sequence[int]], weights: Optional[ArrayLike] = None, *,
    initial_point: Optional[ArrayLike] = None, max_iters: int = 200, tol: float = 1e-10,
    n_jobs: Optional[int] = None, return_all: Literal[True],
) -> FlagAverage: ...
@overload
def flag_median(
    X: ArrayLike, signature: Union[int, Sequence[int]], weights: Optional[ArrayLike] = None, *,
    initial_point: Optional[ArrayLike] = None, max_iters: int = 100, conv_eps: float = 1e-6, wt_eps: float = 1e-6,
    n_jobs: Optional[int] = None, return_all: Literal[False] = False,
) -> F64: ...
@overload
def flag_median(
    X: ArrayLike, signature: Union[int, Sequence[int]], weights: Optional[ArrayLike] = None, *,
    initial_point: Optional[ArrayLike] = None, max_iters: int = 100, conv_eps: float = 1e-6, wt_eps: float = 1e-6,
    n_jobs: Optional[int] = None, return_all: Literal[True],
) -> FlagAverage: ...
def flag_chordal_distance(X: ArrayLike, Y: ArrayLike, signature: Union[int, Sequence[int]]) -> float: ...
