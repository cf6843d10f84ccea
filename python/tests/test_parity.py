"""Drop-in names: each estimator with a peer has the peer's parameters and defaults, except the
differences the README gives (listed here with their reason, so that a new one fails)."""

import inspect

import numpy as np
import pytest
import umap
from sklearn import decomposition, manifold, random_projection

import unfold

# (ours, the peer's, the peer's parameters unfold lacks, parameters unfold adds, defaults that differ)
CASES = [
    # copy, tol and power_iteration_normalizer: unfold never copies or overwrites X, and its
    # eigensolvers have their own stopping rules (README, PCA).
    (unfold.PCA, decomposition.PCA, {"copy", "tol", "power_iteration_normalizer"}, {"n_jobs", "verbose"}, {}),
    (unfold.TruncatedSVD, decomposition.TruncatedSVD, set(), set(), {}),
    (unfold.GaussianRandomProjection, random_projection.GaussianRandomProjection, set(), set(), {}),
    (unfold.SparseRandomProjection, random_projection.SparseRandomProjection, set(), set(), {}),
    # eigen_solver, eigen_tol: scikit-learn's solvers; drop_first from its spectral_embedding function.
    (unfold.SpectralEmbedding, manifold.SpectralEmbedding, {"eigen_solver", "eigen_tol"}, {"drop_first"}, {}),
    # init: scikit-learn 1.9's "warn" is "random" with a warning about 1.10.
    (unfold.MDS, manifold.MDS, set(), {"n_landmarks"}, {"init": ("random", "warn")}),
    (unfold.ClassicalMDS, manifold.ClassicalMDS, set(), {"n_landmarks", "n_jobs", "random_state"}, {}),
    (unfold.Isomap, manifold.Isomap, set(), {"n_landmarks", "random_state"}, {}),
    (unfold.LocallyLinearEmbedding, manifold.LocallyLinearEmbedding, set(), set(), {}),
    # low_memory, tqdm_kwds, …: umap-learn's memory and display switches; target_metric_kwds
    # and the others are not supported (README, UMAP).
    (
        unfold.UMAP,
        umap.UMAP,
        {"angular_rp_forest", "force_approximation_algorithm", "low_memory", "target_metric_kwds", "tqdm_kwds", "transform_mode", "transform_queue_size"},
        set(),
        {},
    ),
]


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b or (a is None and b is None)


@pytest.mark.parametrize("ours, theirs, lacks, adds, differ", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_parameters_and_defaults_are_the_peers(ours, theirs, lacks, adds, differ):
    a, b = ours().get_params(), theirs().get_params()
    assert set(b) - set(a) == lacks
    assert set(a) - set(b) == adds
    changed = {k: (a[k], b[k]) for k in set(a) & set(b) if not _same(a[k], b[k])}
    assert changed == differ
    # The same first parameter, which both take by position.
    first = [list(inspect.signature(cls.__init__).parameters)[1] for cls in (ours, theirs)]
    assert first[0] == first[1]
