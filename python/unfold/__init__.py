"""unfold: manifold learning over a fast Rust core, as scikit-learn estimators.

>>> import unfold
>>> X, y = unfold.datasets.load_mnist_sample()
>>> Y = unfold.PCA(n_components=2, random_state=0).fit_transform(X)
>>> Y.shape
(10000, 2)

Estimators (``unfold.PCA``, ``unfold.UMAP``, ``unfold.GaussianRandomProjection``,
``unfold.SparseRandomProjection``, ``unfold.SpectralEmbedding``, ``unfold.MDS``, ``unfold.ClassicalMDS``, ``unfold.DiffusionMap``, ``unfold.LocallyLinearEmbedding``, ``unfold.Isomap``, ``unfold.TSNE``, ``unfold.PHATE``, ``unfold.TruncatedSVD``, ``unfold.HeatGeo``, ``unfold.HyperbolicDiffusion``) are
scikit-learn estimators;
``unfold.neighbors`` computes k-nearest-neighbour graphs and ``unfold.NearestNeighbors`` searches
a fitted index; ``unfold.tl`` runs them on AnnData with scanpy's conventions and ``unfold.dask``
on Dask arrays; ``unfold.metrics`` measures embedding quality;
``unfold.measure`` the data's intrinsic dimension;
``unfold.datasets`` and ``unfold.plot`` help with examples.

Names are imported on first use, so ``import unfold`` stays fast (scikit-learn is only
loaded when an estimator is first touched).
"""

from importlib import import_module
from typing import TYPE_CHECKING

from ._core import __version__

# Public name → module that defines it. One line per estimator.
_ESTIMATORS = {
    "ClassicalMDS": "._classical_mds",
    "DiffusionMap": "._diffusion",
    "GaussianRandomProjection": "._random_projection",
    "HeatGeo": "._heatgeo",
    "HyperbolicDiffusion": "._hde",
    "Isomap": "._isomap",
    "LocallyLinearEmbedding": "._lle",
    "MDS": "._mds",
    "NearestNeighbors": "._nearest_neighbors",
    "PCA": "._pca",
    "PHATE": "._phate",
    "PoincareEmbedding": "._poincare",
    "SparseRandomProjection": "._random_projection",
    "SpectralEmbedding": "._spectral",
    "TSNE": "._tsne",
    "TruncatedSVD": "._truncated_svd",
    "UMAP": "._umap",
}
_SUBMODULES = ("dask", "datasets", "geometry", "manifolds", "measure", "metrics", "plot", "tl")
_FUNCTIONS = {"neighbors": "._neighbors"}

__all__ = sorted([*_ESTIMATORS, *_SUBMODULES, *_FUNCTIONS, "__version__"])

if TYPE_CHECKING:
    from . import dask, datasets, geometry, manifolds, measure, metrics, plot, tl
    from ._nearest_neighbors import NearestNeighbors
    from ._classical_mds import ClassicalMDS
    from ._diffusion import DiffusionMap
    from ._heatgeo import HeatGeo
    from ._hde import HyperbolicDiffusion
    from ._lle import LocallyLinearEmbedding
    from ._isomap import Isomap
    from ._neighbors import neighbors
    from ._mds import MDS
    from ._pca import PCA
    from ._phate import PHATE
    from ._poincare import PoincareEmbedding
    from ._random_projection import GaussianRandomProjection, SparseRandomProjection
    from ._spectral import SpectralEmbedding
    from ._truncated_svd import TruncatedSVD
    from ._tsne import TSNE
    from ._umap import UMAP


def __getattr__(name: str):
    module = _ESTIMATORS.get(name) or _FUNCTIONS.get(name)
    if module is not None:
        value = getattr(import_module(module, __name__), name)
    elif name in _SUBMODULES:
        value = import_module("." + name, __name__)
    else:
        raise AttributeError(f"module 'unfold' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
