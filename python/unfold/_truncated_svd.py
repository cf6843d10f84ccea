"""Truncated SVD, as ``sklearn.decomposition.TruncatedSVD``: the core's ``svd`` method."""

from __future__ import annotations

from ._contract import ContractTransformer


class TruncatedSVD(ContractTransformer):
    """Dimensionality reduction by truncated SVD, without centring: for sparse input.

    As ``sklearn.decomposition.TruncatedSVD``: the ``n_components`` largest singular directions
    of ``X`` by randomized SVD (``n_iter=5`` power iterations, ``n_oversamples=10``). Takes dense
    arrays and scipy sparse matrices alike, and never densifies sparse input. The embedding is
    ``U Σ = X Vᵀ``; ``transform`` projects new rows, dense or sparse, on ``components_``.

    Fitted attributes: ``components_`` (float64, (n_components, n_features)), with the
    largest-magnitude entry of each component positive (scikit-learn's ``svd_flip``);
    ``explained_variance_`` (the variance of each embedding column), ``explained_variance_ratio_``
    (its share of the data's total variance) and ``singular_values_``.

    Differences from scikit-learn, on purpose: ``algorithm="arpack"`` is not offered (raise
    ``n_iter`` for more precision; ``tol``, which only ARPACK reads, is accepted and unused, as
    scikit-learn's randomized solver leaves it); ``power_iteration_normalizer="auto"`` is QR
    (scikit-learn picks LU, which spans the same subspace) and ``"LU"`` is not offered. The same
    ``random_state`` gives the same result at any thread count. Outputs are float32.

    Examples
    --------
    >>> import scipy.sparse as sp, unfold
    >>> X = sp.random(100, 50, density=0.1, random_state=0, format="csr")
    >>> unfold.TruncatedSVD(n_components=5, random_state=0).fit_transform(X).shape
    (100, 5)
    """

    _method = "svd"
    _precise = True
    _accept_sparse = True
    _extra = {"tol": 0.0}
