import os
from collections.abc import Hashable, Iterable
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator

class PoincareEmbedding(BaseEstimator):
    embedding_: npt.NDArray[np.float64]
    nodes_: list[Hashable]
    rank_: float
    map_: float
    reconstruction_: dict[str, float]
    loss_: list[float]
    def __init__(
        self,
        n_components: int = 50,
        *,
        model: Literal["poincare", "lorentz"] = "poincare",
        negative: int = 10,
        epochs: int = 50,
        burn_in: int = 10,
        alpha: float = 0.1,
        burn_in_alpha: float = 0.01,
        regularization_coeff: float = 1.0,
        batch_size: int = 10,
        transitive_closure: bool = False,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None: ...
    def fit(self, edges: Iterable[tuple[Hashable, Hashable]] | npt.ArrayLike | str | os.PathLike[str], y: object = None) -> PoincareEmbedding: ...
    def fit_transform(self, edges: Iterable[tuple[Hashable, Hashable]] | npt.ArrayLike | str | os.PathLike[str], y: object = None) -> npt.NDArray[np.float64]: ...
