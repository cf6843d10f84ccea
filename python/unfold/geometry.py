"""Riemannian geometry over numpy arrays: manifolds of a fixed dimension, statistics and
optimisers, with no PyTorch dependency.

The statistics take a manifold and an array of points (one point per row, or per leading index).
"""

from __future__ import annotations

from ._sliced_wasserstein import IntrinsicSlicedWasserstein, sliced_wasserstein, wasserstein_1d
from .manifolds import frechet_mean, geometric_median, tangent_pca

__all__ = [
    "IntrinsicSlicedWasserstein",
    "sliced_wasserstein",
    "wasserstein_1d",
    "frechet_mean",
    "geometric_median",
    "tangent_pca",
]
