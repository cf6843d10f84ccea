"""Heat-geodesic embedding: the core's ``heatgeo`` method, as the heatgeo package computes it."""

from __future__ import annotations

from sklearn.utils._available_if import available_if

from ._contract import ContractTransformer


def _never(_estimator) -> bool:
    return False


class HeatGeo(ContractTransformer, auto_wrap_output_keys=None):
    """Heat-geodesic embedding (Huguet et al., NeurIPS 2023), with the heatgeo package's parameter
    names and defaults.

    The data is reduced to ``n_pca`` principal components (skipped when ``n_pca`` is at least the
    number of samples or features) and PHATE's α-decay graph is built (``knn``, ``decay``,
    ``anisotropy``, entries below 1e-4 dropped, no self-loops). The heat kernel ``H = exp(-tau L)``
    of its Laplacian (``lap_type``) is applied by a Chebyshev expansion of order ``order``, a block
    of indicator columns at a time. ``tau="auto"`` picks the Kneedle knee of the kernel's entropy
    over ``linspace(0.05, tau_max, n_tau)`` (``n_tau=1`` means 10), as the package. The distance is
    Varadhan's ``sqrt(-4 tau ln H_ij + h 4 tau ln((H_ii + H_jj)/2))`` with ``h = harnack_regul``,
    raised to ``scale_factor``, and embedded by metric MDS (``solver``; SMACOF above two
    dimensions) from the package's classical start, oriented onto it by Procrustes.

    Against ``heatgeo.embedding.HeatGeo``: the graph, Laplacian, heat kernel, automatic ``tau``,
    distances and the SMACOF embedding follow it (the tests compare them with the package). Its
    SGD is s_gd2's with seed 2; unfold's ``"sgd"`` is s_gd2's algorithm up to 2,500 points and
    PHATE's minibatch SGD above, shuffled from ``random_state``, so those embeddings agree in
    distribution, not digit for digit. ``n_components`` is the
    package's ``emb_dim``; ``knn`` (required by the package) defaults to 5. Not offered:
    ``filter_method`` other than ``"mar"``, ``graph_type`` other than ``"alpha"``,
    ``log_normalize``, ``denoising``, the truncations and ``mds_weights_type``; ``tau_max`` is used
    as given (the package turns ``tau_max=1`` into 50 with ``tau="auto"``). There is no
    ``transform``, as in the package. The embedding is float32.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
        Also ``emb``, the package's name.
    taus_ : ndarray
        The diffusion times whose distances were used (one, unless ``n_tau > 1`` with ``tau``
        given).
    opt_tau_ : float
        With ``tau="auto"``: the chosen time (the package's ``opt_tau``).
    taus_tried_, entropy_ : ndarray of shape (n_tau,)
        With ``tau="auto"``: the times tried and the kernel's entropy at each.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> t = np.linspace(0, 4 * np.pi, 300)
    >>> X = np.c_[np.cos(t), np.sin(t), t / 4]
    >>> unfold.HeatGeo(knn=5, random_state=0).fit_transform(X).shape
    (300, 2)
    """

    _method = "heatgeo"
    _extra = {"n_jobs": 1, "verbose": 0}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        if "opt_tau_" in attrs:
            attrs["opt_tau_"] = float(attrs["opt_tau_"])
        return attrs

    # hasattr(model, "transform") is False: the method places no new points.
    @available_if(_never)
    def transform(self, X):  # pragma: no cover - the package has no transform
        raise AttributeError("HeatGeo has no transform")

    @property
    def emb(self):
        """The package's name for ``embedding_``."""
        return self.embedding_

    @property
    def opt_tau(self):
        """The package's name for ``opt_tau_`` (None when ``tau`` was given)."""
        return getattr(self, "opt_tau_", None)
