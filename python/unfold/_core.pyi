"""Type stubs of the native module ``unfold._core`` (crates/unfold-py)."""

from typing import Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str

def available_parallelism() -> int: ...

F32Matrix = npt.NDArray[np.float32]
#: A metric name, or (name, kwds): umap-learn's metric_kwds, numbers as floats ("p") and
#: arrays as float64 arrays ("w", "V" 1-d; "VI" square 2-d).
MetricSpec = Union[str, tuple[str, dict[str, Union[float, npt.NDArray[np.float64]]]]]

F64Matrix = npt.NDArray[np.float64]
#: PCA computes in the precision it is given: float32, or float64 for data float32 cannot hold.
PcaInput = Union[F32Matrix, F64Matrix]

class PcaModel:
    @property
    def embedding(self) -> F32Matrix: ...
    @property
    def components(self) -> F64Matrix: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def explained_variance(self) -> npt.NDArray[np.float64]: ...
    @property
    def explained_variance_ratio(self) -> npt.NDArray[np.float64]: ...
    @property
    def singular_values(self) -> npt.NDArray[np.float64]: ...
    @property
    def noise_variance(self) -> float: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def whiten(self) -> bool: ...
    @property
    def solver(self) -> str: ...
    def transform(self, x: PcaInput) -> F32Matrix: ...
    def inverse_transform(self, y: PcaInput) -> F64Matrix: ...
    def score_samples(self, x: PcaInput) -> npt.NDArray[np.float64]: ...
    def covariance(self) -> F64Matrix: ...
    def precision(self) -> F64Matrix: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(bytes: bytes) -> PcaModel: ...

def fit_pca(
    x: PcaInput,
    *,
    n_components: Union[int, float, str],
    whiten: bool,
    svd_solver: str,
    n_oversamples: int,
    iterated_power: Optional[int],
    seed: Optional[int],
    threads: Optional[int],
    verbose: bool,
) -> PcaModel: ...

class UmapModel:
    @property
    def embedding(self) -> F32Matrix: ...
    @property
    def graph(self) -> Optional[tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]]: ...
    @property
    def ab(self) -> tuple[float, float]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def radii(self) -> Optional[tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]: ...
    @property
    def n_features(self) -> int: ...
    def transform(self, x: F32Matrix, *, verbose: bool = False) -> F32Matrix: ...
    def inverse_transform(self, y: F32Matrix, *, verbose: bool = False) -> F32Matrix: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(bytes: bytes) -> UmapModel: ...

def fit_umap(
    x: F32Matrix,
    *,
    n_neighbors: int,
    n_components: int,
    metric: MetricSpec,
    n_epochs: Optional[int],
    learning_rate: float,
    init: Union[str, F32Matrix],
    min_dist: float,
    spread: float,
    set_op_mix_ratio: float,
    local_connectivity: float,
    repulsion_strength: float,
    negative_sample_rate: int,
    a: Optional[float],
    b: Optional[float],
    disconnection_distance: Optional[float],
    seed: Optional[int],
    transform_seed: int,
    threads: Optional[int],
    densmap: bool,
    dens_lambda: float,
    dens_frac: float,
    dens_var_shift: float,
    output_dens: bool,
    target_labels: Optional[npt.NDArray[np.int64]],
    target_values: Optional[F32Matrix],
    target_metric: str,
    target_n_neighbors: Optional[int],
    target_weight: float,
    verbose: bool,
) -> UmapModel: ...
def row_digests(x: F32Matrix) -> bytes: ...
def knn(
    x: F32Matrix, k: int, *, metric: MetricSpec, exact: bool, seed: Optional[int], threads: Optional[int], verbose: bool
) -> tuple[npt.NDArray[np.int64], F32Matrix]: ...
def trustworthiness(x: F32Matrix, y: F32Matrix, *, k: int, metric: str) -> float: ...
def continuity(x: F32Matrix, y: F32Matrix, *, k: int, metric: str) -> float: ...
def neighbor_preservation(x: F32Matrix, y: F32Matrix, *, k: int, metric: str) -> float: ...
def knn_accuracy(y: F32Matrix, codes: npt.NDArray[np.int64], *, k: int) -> float: ...
def load_mnist_sample() -> tuple[F32Matrix, npt.NDArray[np.int64]]: ...
