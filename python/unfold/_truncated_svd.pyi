# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_truncated_svd.py checks that they agree.
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class TruncatedSVD(TransformerMixin, BaseEstimator):
    components_: npt.NDArray[np.float64]
    explained_variance_: npt.NDArray[np.float64]
    explained_variance_ratio_: npt.NDArray[np.float64]
    singular_values_: npt.NDArray[np.float64]
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        algorithm: Literal["randomized"] = "randomized",
        n_iter: int = 5,
        n_oversamples: int = 10,
        power_iteration_normalizer: Literal["auto", "qr", "none"] = "auto",
        tol: float = 0.0,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: object, y: object = None) -> TruncatedSVD: ...
    def transform(self, X: object) -> npt.NDArray[np.float32]: ...
    def fit_transform(self, X: object, y: object = None) -> npt.NDArray[np.float32]: ...
    def inverse_transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
