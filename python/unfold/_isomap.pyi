# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class Isomap(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    eigenvalues_: npt.NDArray[np.float64]
    landmarks_: npt.NDArray[np.int64]
    n_features_in_: int
    @property
    def dist_matrix_(self) -> npt.NDArray[np.float32]: ...
    def __init__(
        self,
        n_neighbors: int | None = 5,
        *,
        radius: float | None = None,
        n_components: int = 2,
        eigen_solver: Literal["auto", "arpack", "dense"] = "auto",
        tol: float = 0.0,
        max_iter: int | None = None,
        path_method: Literal["auto", "FW", "D"] = "auto",
        neighbors_algorithm: Literal["auto", "brute", "kd_tree", "ball_tree"] = "auto",
        metric: str = "minkowski",
        p: float = 2.0,
        n_landmarks: int | None = None,
        metric_params: dict | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> Isomap: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
    def reconstruction_error(self) -> float: ...
