from . import datasets as datasets
from . import metrics as metrics
from . import plot as plot
from ._neighbors import neighbors as neighbors
from ._pca import PCA as PCA
from ._umap import UMAP as UMAP

__version__: str
__all__: list[str]
