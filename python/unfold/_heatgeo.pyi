# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class HeatGeo(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    taus_: npt.NDArray[np.float64]
    opt_tau_: float
    taus_tried_: npt.NDArray[np.float64]
    entropy_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        knn: int = 5,
        decay: float = 40.0,
        anisotropy: float = 0.0,
        n_pca: int | None = 40,
        tau: float | Literal["auto"] = 10.0,
        order: int = 32,
        lap_type: Literal["normalized", "combinatorial"] = "normalized",
        tau_min: float = 0.1,
        tau_max: float = 200.0,
        n_tau: int = 1,
        harnack_regul: float = 0.0,
        scale_factor: float = 1.0,
        solver: Literal["sgd", "smacof"] = "sgd",
        n_jobs: int | None = 1,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    @property
    def emb(self) -> npt.NDArray[np.float32]: ...
    @property
    def opt_tau(self) -> float | None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> HeatGeo: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
