"""Barycentric subspace analysis (Pennec, 2018) on the sphere and hyperbolic space."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _core
from .manifolds import Lorentz, PoincareBall, Sphere

__all__ = ["BarycentricSubspaceAnalysis", "barycentric_subspace_analysis"]

_METHODS = {"forward": "forward", "fbs": "forward", "pure": "pure", "pbs": "pure", "backward": "backward", "bbs": "backward", "auv": "auv"}


class _Space:
    """The core's space for a manifold, and the map of its points to the core's coordinates."""

    def __init__(self, manifold):
        if isinstance(manifold, Sphere):
            self.kind, self.k, self.ball = "sphere", 1.0, False
        elif isinstance(manifold, Lorentz):
            self.kind, self.k, self.ball = "lorentz", manifold.k, False
        elif isinstance(manifold, PoincareBall):
            # The ball of curvature -c is the hyperboloid with k = 1/c.
            self.kind, self.k, self.ball = "lorentz", 1.0 / manifold.c, True
        else:
            raise TypeError(
                "manifold must be unfold.manifolds.Sphere, Lorentz or PoincareBall "
                f"(barycentric subspaces have a closed form there), got {type(manifold).__name__}"
            )

    def to_core(self, x, name="X"):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"{name} must be a 2-d array of points (one per row), got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            row = int(np.argwhere(~np.isfinite(x))[0, 0])
            raise ValueError(f"{name} row {row} is not finite")
        if not self.ball:
            return np.ascontiguousarray(x)
        k = self.k
        sq = np.sum(x * x, axis=1, keepdims=True)
        outside = np.flatnonzero(sq[:, 0] >= k)
        if outside.size:
            raise ValueError(f"{name} row {int(outside[0])} is not a point of the Poincaré ball (‖x‖ ≥ 1/√c)")
        den = k - sq
        return np.ascontiguousarray(np.hstack([np.sqrt(k) * (k + sq) / den, 2.0 * k * x / den]))

    def from_core(self, y):
        if not self.ball:
            return y
        sk = np.sqrt(self.k)
        return sk * y[:, 1:] / (y[:, :1] + sk)


class BarycentricSubspaceAnalysis(TransformerMixin, BaseEstimator):
    """Barycentric subspace analysis (BSA) on the sphere or hyperbolic space.

    The affine span of ``k + 1`` reference points is the set of their exponential barycentres.
    On the sphere it is the great subsphere cut by their linear span in the ambient space, and
    on the hyperboloid the totally geodesic sub-hyperboloid cut by their span in Minkowski space
    (Pennec, 2018). A data point projects onto it by the normalised (Minkowski) orthogonal
    projection. BSA chooses subspaces of dimension ``0 … n_components`` that minimise the
    unexplained variance ``σ²_out(L) = (1/n) Σ d²(xᵢ, L)``.

    Parameters
    ----------
    manifold : unfold.manifolds.Sphere, Lorentz or PoincareBall
        The space of the points (Poincaré-ball points are mapped to the hyperboloid of
        ``k = 1/c`` and results mapped back).
    n_components : int, default=2
        The largest dimension ``K`` of a subspace (``K + 1`` reference points), between 0 and
        the manifold's dimension.
    method : {"forward", "pure", "backward", "auv"}, default="forward"
        The criterion: ``"forward"`` (FBS, nested, one point added at a time from the Fréchet
        mean), ``"pure"`` (PBS: each dimension optimised on its own, not nested),
        ``"backward"`` (the pure subspace of dimension ``K``, then nested backward, one point
        removed at a time) or ``"auv"`` (the flag minimising the accumulated unexplained
        variances over all dimensions). The aliases ``"fbs"``, ``"pbs"`` and ``"bbs"`` are
        accepted.
    max_iter : int, default=1000
        The most descent steps per optimisation.
    tol : float, default=1e-10
        Stop an optimisation when the Riemannian gradient's norm falls below this.
    n_jobs : int or None, default=None
        Threads (``None`` = all cores); results do not depend on it.

    Attributes
    ----------
    reference_points_ : ndarray of shape (n_components + 1, n_features)
        Points of the manifold spanning the largest subspace; for a nested method the first
        ``k + 1`` span the ``k``-dimensional one.
    subspace_reference_points_ : list of ndarray
        The ``k + 1`` reference points of each subspace ``k = 0 … n_components``.
    subspace_bases_ : list of ndarray
        Euclidean-orthonormal rows spanning each subspace's linear span in the ambient space.
    unexplained_variance_ : ndarray of shape (n_components + 1,)
        ``σ²_out`` of each subspace on the training data.
    total_variance_ : float
        The mean squared distance to the Fréchet mean.
    explained_variance_ : ndarray of shape (n_components + 1,)
        ``total_variance_ - unexplained_variance_``: the variance each subspace explains (on the
        sphere the 0-dimensional span of ``x₀`` is ``{x₀, −x₀}``; for ``"auv"`` the point need
        not be the mean, so the first value can be slightly negative).
    explained_variance_ratio_ : ndarray of shape (n_components + 1,)
        ``explained_variance_ / total_variance_``.
    frechet_mean_ : ndarray of shape (n_features,)
    converged_ : bool
        Whether every optimisation met ``tol``.

    References
    ----------
    X. Pennec, "Barycentric subspace analysis on manifolds", Annals of Statistics 46(6A), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from unfold.geometry import BarycentricSubspaceAnalysis
    >>> from unfold.manifolds import Sphere
    >>> t = np.linspace(0, 1, 20)
    >>> X = np.column_stack([np.cos(t), np.sin(t), np.zeros_like(t)])
    >>> bsa = BarycentricSubspaceAnalysis(Sphere(), n_components=1).fit(X)
    >>> bool(bsa.unexplained_variance_[1] < 1e-20)
    True
    """

    def __init__(self, manifold=None, n_components=2, *, method="forward", max_iter=1000, tol=1e-10, n_jobs=None):
        self.manifold = manifold
        self.n_components = n_components
        self.method = method
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    def _check_params(self):
        if self.manifold is None:
            raise ValueError("manifold must be given: unfold.manifolds.Sphere(), Lorentz(k) or PoincareBall(c)")
        space = _Space(self.manifold)
        method = _METHODS.get(str(self.method).lower()) if isinstance(self.method, str) else None
        if method is None:
            raise ValueError(f"method must be one of 'forward', 'pure', 'backward', 'auv' (or 'fbs', 'pbs', 'bbs'), got {self.method!r}")
        for name in ("n_components", "max_iter"):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if self.n_jobs is not None and (not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs == 0 or self.n_jobs < -1):
            raise ValueError(f"n_jobs must be None, -1 or a positive integer, got {self.n_jobs!r}")
        threads = None if self.n_jobs in (None, -1) else int(self.n_jobs)
        return space, method, threads

    def fit(self, X, y=None):
        """Fits the subspaces to the points ``X`` (one per row); returns ``self``."""
        space, method, threads = self._check_params()
        x = space.to_core(X)
        subspaces, mean, total, converged = _core.barycentric_subspace_analysis(
            space.kind,
            space.k,
            x,
            n_components=int(self.n_components),
            method=method,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            threads=threads,
        )
        self._space = space
        self._core_refs = [refs for _, refs, _ in subspaces]
        self.subspace_bases_ = [basis for basis, _, _ in subspaces]
        self.subspace_reference_points_ = [space.from_core(refs) for refs in self._core_refs]
        self.reference_points_ = self.subspace_reference_points_[-1]
        self.unexplained_variance_ = np.array([uv for _, _, uv in subspaces])
        self.total_variance_ = float(total)
        self.explained_variance_ = self.total_variance_ - self.unexplained_variance_
        self.explained_variance_ratio_ = self.explained_variance_ / self.total_variance_ if total > 0 else np.zeros_like(self.explained_variance_)
        self.frechet_mean_ = space.from_core(mean[None, :])[0]
        self.converged_ = bool(converged)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def _refs(self, k):
        check_is_fitted(self, "subspace_reference_points_")
        kmax = len(self._core_refs) - 1
        if k is None:
            k = kmax
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 0 <= k <= kmax:
            raise ValueError(f"k must be an integer between 0 and n_components ({kmax}), got {k!r}")
        return self._core_refs[int(k)]

    def transform(self, X, k=None):
        """The barycentric weights (summing to 1 per row) of the projections of ``X`` on the
        ``k``-dimensional subspace (the largest by default), w.r.t. its reference points."""
        refs = self._refs(k)
        return _core.barycentric_weights(self._space.kind, self._space.k, refs, self._space.to_core(X))

    def project(self, X, k=None):
        """The closest points of the ``k``-dimensional subspace to the rows of ``X``."""
        refs = self._refs(k)
        return self._space.from_core(_core.barycentric_project(self._space.kind, self._space.k, refs, self._space.to_core(X)))

    def residuals(self, X, k=None):
        """The geodesic distances of the rows of ``X`` to the ``k``-dimensional subspace."""
        refs = self._refs(k)
        return _core.barycentric_residuals(self._space.kind, self._space.k, refs, self._space.to_core(X))


def barycentric_subspace_analysis(manifold, X, n_components=2, *, method="forward", max_iter=1000, tol=1e-10, n_jobs=None):
    """Fits :class:`BarycentricSubspaceAnalysis` and returns
    ``(reference_points, projections, unexplained_variance)``: the reference points of the
    largest subspace, the projections of ``X`` on it and ``σ²_out`` of each dimension
    ``0 … n_components``."""
    bsa = BarycentricSubspaceAnalysis(manifold, n_components, method=method, max_iter=max_iter, tol=tol, n_jobs=n_jobs).fit(X)
    return bsa.reference_points_, bsa.project(X), bsa.unexplained_variance_
