# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class PHATE(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    diff_op_: npt.NDArray[np.float64]
    optimal_t_: int
    t_: int
    von_neumann_entropy_: npt.NDArray[np.float64]
    clusters_: npt.NDArray[np.int_]
    landmark_embedding_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        knn: int = 5,
        decay: float = 40.0,
        n_landmark: int | None = 2000,
        t: int | Literal["auto"] = "auto",
        gamma: float = 1.0,
        n_pca: int | None = 100,
        mds_solver: Literal["sgd", "smacof"] = "sgd",
        knn_dist: str = "euclidean",
        mds_dist: Literal["euclidean", "cosine"] = "euclidean",
        mds: Literal["classic", "metric", "nonmetric"] = "metric",
        random_landmarking: bool = False,
        n_jobs: int | None = 1,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    @property
    def embedding(self) -> npt.NDArray[np.float32]: ...
    @property
    def diff_op(self) -> npt.NDArray[np.float64]: ...
    @property
    def optimal_t(self) -> int | None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> PHATE: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
