# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class LocallyLinearEmbedding(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    reconstruction_error_: float
    eigenvalues_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_neighbors: int = 5,
        *,
        n_components: int = 2,
        reg: float = 0.001,
        eigen_solver: Literal["auto", "arpack", "dense"] = "auto",
        tol: float = 1e-06,
        max_iter: int = 100,
        method: Literal["standard", "hessian", "modified", "ltsa"] = "standard",
        hessian_tol: float = 0.0001,
        modified_tol: float = 1e-12,
        neighbors_algorithm: Literal["auto", "brute", "kd_tree", "ball_tree"] = "auto",
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> LocallyLinearEmbedding: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
