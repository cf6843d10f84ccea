# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator

class ClassicalMDS(BaseEstimator):
    embedding_: npt.NDArray[np.float64]
    eigenvalues_: npt.NDArray[np.float64]
    dissimilarity_matrix_: npt.NDArray[np.float64]
    landmarks_: npt.NDArray[np.int64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        metric: Literal["euclidean", "precomputed"] = "euclidean",
        n_landmarks: int | None = None,
        metric_params: dict | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> ClassicalMDS: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float64]: ...
