# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator

class SpectralEmbedding(BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    affinity_matrix_: sp.csr_matrix | npt.NDArray[np.float64]
    n_neighbors_: int
    gamma_: float
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        affinity: Literal["nearest_neighbors", "rbf", "precomputed"] = "nearest_neighbors",
        gamma: float | None = None,
        n_neighbors: int | None = None,
        drop_first: bool = True,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike | sp.sparray | sp.spmatrix, y: object = None) -> SpectralEmbedding: ...
    def fit_transform(self, X: npt.ArrayLike | sp.sparray | sp.spmatrix, y: object = None) -> npt.NDArray[np.float32]: ...
