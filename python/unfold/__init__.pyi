from . import dask as dask
from . import datasets as datasets
from . import geometry as geometry
from . import manifolds as manifolds
from . import measure as measure
from . import metrics as metrics
from . import plot as plot
from . import tl as tl
from ._diffusion import DiffusionMap as DiffusionMap
from ._heatgeo import HeatGeo as HeatGeo
from ._hde import HyperbolicDiffusion as HyperbolicDiffusion
from ._lle import LocallyLinearEmbedding as LocallyLinearEmbedding
from ._isomap import Isomap as Isomap
from ._neighbors import neighbors as neighbors
from ._mds import MDS as MDS
from ._classical_mds import ClassicalMDS as ClassicalMDS
from ._nearest_neighbors import NearestNeighbors as NearestNeighbors
from ._pca import PCA as PCA
from ._phate import PHATE as PHATE
from ._poincare import PoincareEmbedding as PoincareEmbedding
from ._random_projection import GaussianRandomProjection as GaussianRandomProjection
from ._random_projection import SparseRandomProjection as SparseRandomProjection
from ._spectral import SpectralEmbedding as SpectralEmbedding
from ._truncated_svd import TruncatedSVD as TruncatedSVD
from ._tsne import TSNE as TSNE
from ._umap import UMAP as UMAP

__version__: str
__all__: list[str]
