# The signature unfold._contract writes from the core's parameter table;
# python/tests/test_contract.py checks that they agree.
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin

class TSNE(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float64]
    kl_divergence_: float
    n_iter_: int
    learning_rate_: float
    n_features_in_: int
    def __init__(
        self,
        n_components: int = 2,
        *,
        perplexity: float = 30.0,
        perplexities: Sequence[float] | None = None,
        affinity: Literal["perplexity", "uniform", "precomputed"] = "perplexity",
        k_neighbors: int = 30,
        early_exaggeration: float | Literal["auto"] = "auto",
        early_exaggeration_iter: int = 250,
        exaggeration: float = 1.0,
        max_iter: int = 500,
        learning_rate: float | Literal["auto"] = "auto",
        method: Literal["auto", "exact", "barnes_hut", "fft"] = "auto",
        angle: float = 0.5,
        n_interpolation_points: int = 3,
        min_num_intervals: int = 50,
        ints_in_interval: float = 1.0,
        dof: float = 1.0,
        init: Literal["pca", "random", "spectral"] | npt.ArrayLike = "pca",
        metric: str = "euclidean",
        callbacks: Callable[[int, float, npt.NDArray[np.float64]], bool] | Sequence[Callable[[int, float, npt.NDArray[np.float64]], bool]] | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: object = None) -> TSNE: ...
    def fit_transform(self, X: npt.ArrayLike, y: object = None) -> npt.NDArray[np.float64]: ...
    def transform(
        self,
        X: npt.ArrayLike,
        *,
        perplexity: float = 5,
        initialization: Literal["median", "random"] | npt.ArrayLike = "median",
        k: int = 25,
        learning_rate: float = 0.1,
        early_exaggeration: float = 4,
        early_exaggeration_iter: int = 0,
        exaggeration: float = 1.5,
        max_iter: int = 250,
    ) -> npt.NDArray[np.float64]: ...
