"""Hyperbolic diffusion embedding: the core's ``hde`` method."""

from __future__ import annotations

import numpy as np
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._contract import ContractTransformer


def _never(_estimator) -> bool:
    return False


class HyperbolicDiffusion(ContractTransformer, auto_wrap_output_keys=None):
    """Hyperbolic diffusion embedding and distance (Lin, Coifman, Mishne & Talmon, ICML 2023).

    A Gaussian kernel ``exp(-d^2 / epsilon)`` of the pairwise ``metric`` distances (``epsilon="auto"``:
    the median squared distance; ``metric="precomputed"`` takes a distance matrix), density-normalised
    by ``alpha``, gives the diffusion operator ``P``. For each scale ``k = 0 .. n_scales - 1`` the
    rows of ``P^(2^-k)`` (eigenvalues and densities floored at 1e-6) are square-rooted and placed in
    the hyperbolic half-space ``H^(n+1)`` at height ``2^(k/2 - 2)``. ``embedding_`` concatenates these
    points, ``n_scales * (n_samples + 1)`` coordinates per sample; :meth:`pairwise_distances` gives
    the hyperbolic diffusion distance, the sum over scales of the half-space distances
    ``2 asinh(2^(1 - k/2) |sqrt(p_i) - sqrt(p_j)|)``. ``poincare_`` is a 2-D view in the Poincaré disk
    for plots: hydra (Keller-Ressel & Nargang 2020) of that distance scaled to diameter 6.

    The fit holds dense ``n x n`` matrices and takes at most 5,000 samples. There is no
    ``transform``. The tests compare the distances with a brute-force numpy reference of the
    paper's formulas (no package on PyPI implements the method).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_scales * (n_samples + 1)), float32
    epsilon_ : float
        The kernel scale used.
    poincare_ : ndarray of shape (n_samples, 2)
        The 2-D Poincaré-disk view.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> hde = unfold.HyperbolicDiffusion(n_scales=4).fit(X)
    >>> hde.embedding_.shape, hde.pairwise_distances().shape, hde.pairwise_distances([0, 1]).shape
    ((50, 204), (50, 50), (2, 50))
    """

    _method = "hde"
    _extra = {"n_jobs": 1, "verbose": 0}

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["embedding_"] = model.embedding
        attrs["epsilon_"] = float(attrs["epsilon_"])
        return attrs

    def pairwise_distances(self, rows=None):
        """Hyperbolic diffusion distances from ``rows`` (indices of fitted samples; all when None)
        to every fitted sample: ndarray of shape (len(rows), n_samples), float64."""
        check_is_fitted(self)
        if rows is not None:
            rows = [int(i) for i in np.atleast_1d(np.asarray(rows)).ravel()]
            if any(i < 0 for i in rows):
                raise ValueError(f"rows: indices must be non-negative, got {min(rows)}")
        return _core.hde_pairwise_distances(self._model, rows)

    # hasattr(model, "transform") is False: the method places no new points.
    @available_if(_never)
    def transform(self, X):  # pragma: no cover - no transform
        raise AttributeError("HyperbolicDiffusion has no transform")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags
