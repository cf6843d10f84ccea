# The signatures unfold._contract writes from the core's parameter table;
# python/tests/test_random_projection.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

class GaussianRandomProjection(TransformerMixin, BaseEstimator):
    n_components_: int
    components_: npt.NDArray[np.float64]
    inverse_components_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int | Literal["auto"] = "auto",
        *,
        eps: float = 0.1,
        compute_inverse_components: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> GaussianRandomProjection: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
    def inverse_transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...

class SparseRandomProjection(TransformerMixin, BaseEstimator):
    n_components_: int
    components_: sp.csr_array
    density_: float
    inverse_components_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int | Literal["auto"] = "auto",
        *,
        eps: float = 0.1,
        density: float | Literal["auto"] = "auto",
        compute_inverse_components: bool = False,
        dense_output: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> SparseRandomProjection: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
    def inverse_transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
