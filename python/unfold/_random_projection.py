"""Random projection, as ``sklearn.random_projection``: the core's ``random-projection`` method."""

from __future__ import annotations

import scipy.sparse as sp
from sklearn.exceptions import DataDimensionalityWarning

from ._contract import ContractTransformer


class GaussianRandomProjection(ContractTransformer):
    """Reduce dimensionality through Gaussian random projection.

    As ``sklearn.random_projection.GaussianRandomProjection``: entries ``N(0, 1/n_components)``;
    ``n_components="auto"`` is the Johnson–Lindenstrauss bound for ``eps`` and the number of
    rows. Fitted attributes: ``n_components_``, ``components_`` (float64, (n_components,
    n_features)), ``inverse_components_`` (with ``compute_inverse_components=True``). The same
    ``random_state`` gives the same matrix at any thread count; it differs from scikit-learn's
    (another generator), with the same distribution. Outputs are float32.
    """

    _method = "random-projection"
    _fixed = {"gaussian": True}
    _hidden = ("density",)
    _warning_category = DataDimensionalityWarning


class SparseRandomProjection(ContractTransformer):
    """Reduce dimensionality through sparse random projection.

    As ``sklearn.random_projection.SparseRandomProjection``: entries ``±√(1/density)/√n_components``
    with probability ``density/2`` each, else 0; ``density="auto"`` is ``1/√n_features``.
    ``components_`` is a ``scipy.sparse`` CSR array, ``density_`` the density used. Input is
    dense, so the output is a dense float32 array whatever ``dense_output`` says, as scikit-learn's
    is for dense input.
    """

    _method = "random-projection"
    _fixed = {"gaussian": False}
    _extra = {"dense_output": False}
    _warning_category = DataDimensionalityWarning

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["components_"] = sp.csr_array(attrs["components_"])
        return attrs
