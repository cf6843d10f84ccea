# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class DiffusionMap(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    eigenvalues_: npt.NDArray[np.float64]
    eigenvectors_: npt.NDArray[np.float64]
    epsilon_: float
    dimension_: float
    bandwidths_: npt.NDArray[np.float64]
    kernel_degree_: npt.NDArray[np.float64]
    n_neighbors_: int
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        n_neighbors: int = 64,
        epsilon: float | Literal["bgh", "bgh_generous"] = "bgh",
        alpha: float = 0.5,
        t: int = 1,
        adaptive_k: int | None = None,
        metric: str = "euclidean",
        metric_params: dict | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> DiffusionMap: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
