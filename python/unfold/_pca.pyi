# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class PCA(TransformerMixin, BaseEstimator):
    components_: npt.NDArray[np.float64]
    explained_variance_: npt.NDArray[np.float64]
    explained_variance_ratio_: npt.NDArray[np.float64]
    singular_values_: npt.NDArray[np.float64]
    mean_: npt.NDArray[np.float64]
    noise_variance_: float
    n_components_: int
    n_samples_: int
    svd_solver_: str
    embedding_: npt.NDArray[np.float32]
    n_features_in_: int
    def __init__(
        self,
        n_components: int | float | Literal["mle"] | None = None,
        *,
        whiten: bool = False,
        svd_solver: Literal["auto", "full", "covariance_eigh", "randomized"] = "auto",
        n_oversamples: int = 10,
        iterated_power: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        verbose: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> PCA: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float32]: ...
    def inverse_transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def score_samples(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]: ...
    def score(self, X: npt.ArrayLike, y: object = None) -> float: ...
    def get_covariance(self) -> npt.NDArray[np.float64]: ...
    def get_precision(self) -> npt.NDArray[np.float64]: ...
