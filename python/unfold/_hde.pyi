# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class HyperbolicDiffusion(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    epsilon_: float
    poincare_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_scales: int = 6,
        *,
        metric: str = "euclidean",
        epsilon: float | Literal["auto"] = "auto",
        alpha: float = 1.0,
        n_jobs: int | None = 1,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def pairwise_distances(self, rows: npt.ArrayLike | None = None) -> npt.NDArray[np.float64]: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> HyperbolicDiffusion: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
