# UMAP's signature, from the core's parameter table (python/tests/test_contract.py checks that
# it agrees with the class and the table).
from typing import Any, Literal, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse
from sklearn.base import BaseEstimator, TransformerMixin

#: umap-learn's precomputed_knn: (knn_indices, knn_dists) or (knn_indices, knn_dists,
#: knn_search_index), arrays of shape (n_samples, k); the third element is ignored.
PrecomputedKnn = tuple[npt.NDArray[np.integer], npt.NDArray[np.floating]] | tuple[npt.NDArray[np.integer], npt.NDArray[np.floating], Any] | tuple[None, None, None]

class UMAP(TransformerMixin, BaseEstimator):
    embedding_: npt.NDArray[np.float32]
    graph_: scipy.sparse.csr_matrix
    rad_orig_: npt.NDArray[np.float32]
    rad_emb_: npt.NDArray[np.float32]
    n_features_in_: int
    feature_names_in_: npt.NDArray[np.object_]
    def __init__(
        self,
        n_neighbors: int = 15,
        *,
        n_components: int = 2,
        metric: str = "euclidean",
        output_metric: Literal["euclidean", "hyperboloid", "poincare", "haversine"] = "euclidean",
        n_epochs: int | None = None,
        learning_rate: float = 1.0,
        init: Literal["spectral", "pca", "random"] | npt.ArrayLike = "spectral",
        min_dist: float = 0.1,
        spread: float = 1.0,
        set_op_mix_ratio: float = 1.0,
        local_connectivity: float = 1.0,
        repulsion_strength: float = 1.0,
        negative_sample_rate: int = 5,
        a: float | None = None,
        b: float | None = None,
        disconnection_distance: float | None = None,
        transform_seed: int = 42,
        target_n_neighbors: int | None = -1,
        target_metric: str = "categorical",
        target_weight: float = 0.5,
        densmap: bool = False,
        dens_lambda: float = 2.0,
        dens_frac: float = 0.3,
        dens_var_shift: float = 0.1,
        output_dens: bool = False,
        metric_kwds: dict[str, Any] | None = None,
        output_metric_kwds: dict[str, Any] | None = None,
        n_jobs: int | None = -1,
        verbose: bool = False,
        precomputed_knn: PrecomputedKnn = (None, None, None),
        unique: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None: ...
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike | None = None) -> UMAP: ...
    def fit_transform(
        self, X: npt.ArrayLike, y: npt.ArrayLike | None = None
    ) -> npt.NDArray[np.float32] | tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    def transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def inverse_transform(self, X: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> npt.NDArray[np.object_]: ...
