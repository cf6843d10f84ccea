# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class MDS(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float64]
    stress_: float
    n_iter_: int
    dissimilarity_matrix_: npt.NDArray[np.float64]
    landmarks_: npt.NDArray[np.int64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        metric_mds: bool = True,
        n_init: int = 1,
        init: Literal["random", "classical_mds"] | npt.ArrayLike = "random",
        max_iter: int = 300,
        eps: float = 1e-06,
        dissimilarity: Literal["deprecated", "euclidean", "precomputed"] = "deprecated",
        metric: Literal["euclidean", "precomputed"] = "euclidean",
        normalized_stress: bool | Literal["auto"] = "auto",
        n_landmarks: int | None = None,
        verbose: int = 0,
        n_jobs: int | None = None,
        metric_params: dict | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None, init: npt.ArrayLike | None = None) -> MDS: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None, init: npt.ArrayLike | None = None) -> npt.NDArray[np.float64]: ...
