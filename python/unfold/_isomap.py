"""Isomap, as ``sklearn.manifold.Isomap``: the core's ``isomap`` method."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._contract import ContractTransformer


class Isomap(ContractTransformer):
    """Isomap embedding: geodesic distances on the k-nearest-neighbour graph, then kernel PCA.

    As ``sklearn.manifold.Isomap`` of scikit-learn 1.9: the same parameters and defaults
    (``n_neighbors=5``, ``n_components=2``, ``eigen_solver="auto"``, ``tol=0``,
    ``max_iter=None``, ``path_method="auto"``, ``neighbors_algorithm="auto"``,
    ``metric="minkowski"`` with ``p=2``, ``metric_params``, ``n_jobs``), the same graph
    (a disconnected one is joined by the closest pair of points of every two components, with
    scikit-learn's warning), the same kernel PCA (eigenvalues checked and clipped as
    scikit-learn's ``_check_psd_eigenvalues``, eigenvectors signed by ``svd_flip``), the same
    ``transform`` and ``reconstruction_error()``.

    Added: ``n_landmarks``. ``None`` embeds exactly up to 20,000 samples and uses landmark Isomap
    (de Silva & Tenenbaum) with 1,000 landmarks above; an integer in ``[n_components + 1,
    n_samples]`` forces landmark mode. Landmarks are chosen farthest-point first by geodesic
    distance (the first from ``random_state``), only their geodesic rows are computed, and every
    point is triangulated from its distances to them; the embedding is centred.

    Differences: distances are float32 and the embedding is float32; ``radius`` neighbourhoods
    are not offered (``radius`` must be None); ``neighbors_algorithm="auto"`` searches exactly up
    to 4,096 samples and by NN-descent above (the other choices search exactly);
    ``path_method`` "FW" and "D" give the same distances and both run Dijkstra; the iterative
    eigensolver ("arpack", and "auto" above 1,500 samples) is LOBPCG, with ``tol`` its residual
    tolerance relative to the kernel's norm (0 means 1e-5); there are no ``nbrs_`` or
    ``kernel_pca_`` objects. ``dist_matrix_`` is built from the model each time it is read (a
    float32 copy); in landmark mode it holds the (n_landmarks, n_samples) geodesic distances
    from the landmarks ``landmarks_``, and ``reconstruction_error()`` is that of the landmarks'
    kernel.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float32
    dist_matrix_ : ndarray of shape (n_samples, n_samples), float32
        Geodesic distances; (n_landmarks, n_samples) in landmark mode.
    eigenvalues_ : ndarray of shape (n_components,)
        The centred kernel's largest eigenvalues (scikit-learn's ``kernel_pca_.eigenvalues_``).
    landmarks_ : ndarray of shape (n_landmarks,), int64
        In landmark mode: the landmarks, in the order chosen.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> t = np.linspace(0, 3 * np.pi, 400)
    >>> X = np.c_[t * np.cos(t), t * np.sin(t), np.linspace(0, 1, 400)]
    >>> Y = unfold.Isomap(n_neighbors=8).fit_transform(X)
    >>> abs(np.corrcoef(Y[:, 0], t)[0, 1]) > 0.99
    True
    """

    _method = "isomap"
    _defaults = {"metric": "minkowski"}
    _extra = {"metric_params": None, "n_jobs": None}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        attrs["_reconstruction_error"] = float(attrs.pop("reconstruction_error_"))
        return attrs

    @property
    def dist_matrix_(self) -> np.ndarray:
        """Geodesic distances (float32): (n_samples, n_samples), or (n_landmarks, n_samples) in
        landmark mode. A new copy from the model at each read."""
        check_is_fitted(self)
        return _core.isomap_dist_matrix(self._model)

    def reconstruction_error(self) -> float:
        """scikit-learn's reconstruction error: ``sqrt(sum(K_c**2) - sum(eigenvalues**2)) / n``
        for the centred kernel ``K_c`` of ``-0.5 * dist_matrix_**2`` (landmark mode: of the
        landmarks' kernel, divided by n_landmarks)."""
        check_is_fitted(self)
        return self._reconstruction_error

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags
