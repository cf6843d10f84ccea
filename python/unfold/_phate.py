"""PHATE: the core's ``phate`` method, as the phate 2.0 package computes it."""

from __future__ import annotations

from ._contract import ContractTransformer


class PHATE(ContractTransformer):
    """PHATE (Moon et al., Nature Biotechnology 2019): potential of heat-diffusion for affinity-based
    transition embedding, with phate 2.0's parameter names and defaults.

    The data is reduced to ``n_pca`` principal components (skipped when ``n_pca`` is at least the
    number of samples or features), an α-decay kernel ``exp(-(d / σ_i)^decay)`` is built with
    ``σ_i`` the distance to the ``knn``-th nearest neighbour (entries below 1e-4 dropped,
    symmetrised as ``(K + Kᵀ)/2``), row-normalised into the diffusion operator ``P`` — or, with more
    than ``n_landmark`` samples, the landmark operator between spectral clusters — and raised to
    the power ``t`` (``"auto"``: the knee of the von Neumann entropy, as the package picks it).
    The potential ``-log(P^t + 1e-7)`` (``gamma=1``; ``gamma=0`` gives ``2 sqrt(P^t)``) is embedded
    by metric MDS (``mds_solver``: ``"sgd"``, the package's minibatch SGD, or ``"smacof"``) from the
    package's classical MDS start, and oriented onto that start by Procrustes. ``transform`` is
    the package's: the new point's kernel row to the training points times their embedding.

    Against ``phate.PHATE``: the kernel, operator, entropy, ``t``, potential, classical start and
    SMACOF follow it exactly (the tests compare them with the package). The landmarks come from
    Lloyd's k-means instead of ``MiniBatchKMeans`` and the SGD pairs from unfold's generator, so
    those results agree in distribution, not digit for digit. The PCA is exact where the package's
    is randomized. ``knn_max``, ``decay=None``,
    precomputed inputs and the package's plotting helpers are not offered; ``verbose`` defaults to
    0 (no progress bar). The embedding is float32. ``n_jobs`` sets threads and never changes a
    seeded result.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
    diff_op_ : ndarray of shape (n, n) or (n_landmarks, n_landmarks)
        The diffusion operator (the landmark operator with landmarks). Also ``diff_op``.
    optimal_t_ : int
        With ``t="auto"``: the chosen diffusion time. Also ``optimal_t`` (None when ``t`` is given).
    t_ : int
        The diffusion time used.
    von_neumann_entropy_ : ndarray of shape (100,)
        The entropy curve ``t`` was chosen from.
    clusters_ : ndarray of shape (n_samples,)
        With landmarks: each sample's landmark.
    landmark_embedding_ : ndarray of shape (n_landmarks, n_components)
        With landmarks: the landmarks' embedding.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> t = np.linspace(0, 4 * np.pi, 300)
    >>> X = np.c_[np.cos(t), np.sin(t), t / 4]
    >>> unfold.PHATE(random_state=0).fit_transform(X).shape
    (300, 2)
    """

    _method = "phate"
    _extra = {"n_jobs": 1, "verbose": 0}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        attrs["t_"] = int(attrs["t_"])
        if "optimal_t_" in attrs:
            attrs["optimal_t_"] = int(attrs["optimal_t_"])
        if "clusters_" in attrs:
            attrs["clusters_"] = attrs["clusters_"].astype(int)
        return attrs

    @property
    def embedding(self):
        """The package's name for ``embedding_``."""
        return self.embedding_

    @property
    def diff_op(self):
        """The package's name for ``diff_op_``."""
        return self.diff_op_

    @property
    def optimal_t(self):
        """The package's name for ``optimal_t_`` (None when ``t`` was given)."""
        return getattr(self, "optimal_t_", None)
