"""Riemannian manifolds with numpy in and out, named as in geoopt.

Points are arrays whose last axis (vector manifolds) or last two axes (matrix manifolds) hold one
point; leading axes are a batch and broadcast between arguments. Every operation runs in the
compiled core, in parallel over the batch, in float64::

    >>> import numpy as np
    >>> from unfold.manifolds import PoincareBall
    >>> ball = PoincareBall(c=1.0)
    >>> x = ball.random(100, 2, seed=0)
    >>> y = ball.expmap(x, ball.logmap(x, x[::-1]))
    >>> bool(np.allclose(y, x[::-1]))
    True

Near the boundary of a hyperbolic ball the core clamps (see the README's geometry section):
no operation returns NaN or infinity on finite input.
"""

from __future__ import annotations

import numpy as np

from . import _core

__all__ = [
    "Euclidean",
    "Sphere",
    "PoincareBall",
    "Stereographic",
    "Lorentz",
    "SymmetricPositiveDefinite",
    "Stiefel",
    "EuclideanStiefel",
    "Grassmann",
    "Flag",
    "ProductManifold",
    "frechet_mean",
    "geometric_median",
    "tangent_pca",
]


def _seed(seed):
    if seed is None:
        return int(np.random.SeedSequence().entropy) & (2**64 - 1)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


class _Manifold:
    """Shared plumbing: shapes, broadcasting, and the core manifold for a point shape."""

    #: Axes of one point: 1 for vectors, 2 for matrices.
    ndim = 1

    def __init__(self):
        self._cache = {}

    def _make(self, shape):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _core_for(self, shape):
        shape = tuple(int(s) for s in shape)
        if shape not in self._cache:
            self._cache[shape] = self._make(shape)
        return self._cache[shape]

    def _prepare(self, *arrays):
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        for a in arrays:
            if a.ndim < self.ndim:
                raise ValueError(f"{type(self).__name__} points need at least {self.ndim} axes, got an array of shape {a.shape}")
        arrays = np.broadcast_arrays(*arrays)
        shape = arrays[0].shape
        point = shape[len(shape) - self.ndim:]
        batch = shape[: len(shape) - self.ndim]
        core = self._core_for(point)
        flat = [np.ascontiguousarray(a.reshape(-1, core.point_len)) for a in arrays]
        return core, flat, batch, point

    def _vectors(self, name, *arrays):
        core, flat, batch, point = self._prepare(*arrays)
        return getattr(core, name)(*flat).reshape(batch + point)

    def _scalars(self, name, *arrays):
        core, flat, batch, _ = self._prepare(*arrays)
        return getattr(core, name)(*flat).reshape(batch)

    def dist(self, x, y):
        """Geodesic distances between ``x`` and ``y`` (batch shape)."""
        return self._scalars("dist", x, y)

    def inner(self, x, u, v=None):
        """The metric ``<u, v>_x`` (``<u, u>_x`` when ``v`` is None)."""
        return self._scalars("inner", x, u, u if v is None else v)

    def norm(self, x, u):
        """``||u||_x``."""
        return self._scalars("norm", x, u)

    def expmap(self, x, u):
        """The exponential map ``exp_x(u)``."""
        return self._vectors("expmap", x, u)

    def logmap(self, x, y):
        """The logarithm ``log_x(y)``."""
        return self._vectors("logmap", x, y)

    def retr(self, x, u):
        """The manifold's retraction at ``x`` along ``u``."""
        return self._vectors("retr", x, u)

    def projx(self, x):
        """Projects ambient points onto the manifold."""
        return self._vectors("projx", x)

    def proju(self, x, u):
        """Projects ambient vectors onto the tangent space at ``x``."""
        return self._vectors("proju", x, u)

    def egrad2rgrad(self, x, u):
        """The Riemannian gradient from a Euclidean gradient ``u`` at ``x``."""
        return self._vectors("egrad2rgrad", x, u)

    def transp(self, x, y, v):
        """Transports ``v`` from the tangent space at ``x`` to the one at ``y``."""
        return self._vectors("transp", x, y, v)

    def random(self, *size, seed=None):
        """Random points; ``size`` ends with the point's shape, e.g. ``random(10, 3)``."""
        if len(size) == 1 and isinstance(size[0], tuple):
            size = size[0]
        if len(size) < self.ndim:
            raise ValueError(f"size must end with the point shape ({self.ndim} axes), got {size}")
        point = tuple(size[len(size) - self.ndim:])
        batch = tuple(size[: len(size) - self.ndim])
        core = self._core_for(point)
        n = int(np.prod(batch, dtype=np.int64)) if batch else 1
        return core.random(n, _seed(seed)).reshape(batch + point)

    def random_tangent(self, x, seed=None):
        """A random tangent vector at each point of ``x``."""
        core, (flat,), batch, point = self._prepare(x)
        return core.random_tangent(flat, _seed(seed)).reshape(batch + point)

    def check_point_on_manifold(self, x, tol=1e-6):
        """True if every point of ``x`` lies on the manifold within ``tol``."""
        try:
            self.assert_check_point_on_manifold(x, tol=tol)
        except ValueError:
            return False
        return True

    def assert_check_point_on_manifold(self, x, tol=1e-6):
        """Raises ValueError naming the first row off the manifold and the violated constraint."""
        core, (flat,), _, _ = self._prepare(x)
        core.check_point(flat, float(tol))

    def dimension(self, shape):
        """The intrinsic dimension for points of ``shape``."""
        return self._core_for(shape).dim

    def __repr__(self):
        return f"{type(self).__name__}()"


class Euclidean(_Manifold):
    """Euclidean space with the dot product."""

    def _make(self, shape):
        return _core.Manifold.euclidean(shape[-1])


class Sphere(_Manifold):
    """The unit sphere of the last axis (points of length n, dimension n - 1)."""

    def _make(self, shape):
        return _core.Manifold.sphere(shape[-1])


class PoincareBall(_Manifold):
    """The Poincaré ball of curvature ``-c`` (radius ``1/sqrt(c)``), as geoopt's."""

    def __init__(self, c=1.0):
        super().__init__()
        self.c = float(c)
        _core.Manifold.poincare_ball(1, self.c)  # validates c

    def _make(self, shape):
        return _core.Manifold.poincare_ball(shape[-1], self.c)

    def __repr__(self):
        return f"PoincareBall(c={self.c})"


class Stereographic(_Manifold):
    """The κ-stereographic model of curvature ``k`` (smooth through ``k = 0``)."""

    def __init__(self, k=0.0):
        super().__init__()
        self.k = float(k)
        _core.Manifold.stereographic(1, self.k)

    def _make(self, shape):
        return _core.Manifold.stereographic(shape[-1], self.k)

    def __repr__(self):
        return f"Stereographic(k={self.k})"


class Lorentz(_Manifold):
    """The hyperboloid ``-x0² + Σ xi² = -k`` (curvature ``-1/k``), as geoopt's ``Lorentz(k)``."""

    def __init__(self, k=1.0):
        super().__init__()
        self.k = float(k)
        _core.Manifold.lorentz(2, self.k)

    def _make(self, shape):
        return _core.Manifold.lorentz(shape[-1], self.k)

    def __repr__(self):
        return f"Lorentz(k={self.k})"


class SymmetricPositiveDefinite(_Manifold):
    """SPD matrices (last two axes) with the ``"affine-invariant"``, ``"log-euclidean"`` or
    ``"bures-wasserstein"`` metric."""

    ndim = 2

    def __init__(self, metric="affine-invariant"):
        super().__init__()
        self.metric = metric
        _core.Manifold.spd(1, metric)

    def _make(self, shape):
        if shape[0] != shape[1]:
            raise ValueError(f"SPD points must be square matrices, got shape {shape}")
        return _core.Manifold.spd(shape[0], self.metric)

    def __repr__(self):
        return f"SymmetricPositiveDefinite(metric={self.metric!r})"


class Stiefel(_Manifold):
    """Orthonormal ``n × p`` frames with the embedded metric (geoopt's ``EuclideanStiefel``)."""

    ndim = 2

    def _make(self, shape):
        return _core.Manifold.stiefel(shape[0], shape[1])


EuclideanStiefel = Stiefel


class Grassmann(_Manifold):
    """``p``-dimensional subspaces of ``R^n``, each an orthonormal ``n × p`` frame."""

    ndim = 2

    def _make(self, shape):
        return _core.Manifold.grassmann(shape[0], shape[1])


class Flag(_Manifold):
    """Flags of nested subspaces: an ``n × sum(blocks)`` frame whose column blocks span them."""

    ndim = 2

    def __init__(self, blocks):
        super().__init__()
        self.blocks = [int(b) for b in blocks]

    def _make(self, shape):
        if shape[1] != sum(self.blocks):
            raise ValueError(f"Flag{tuple(self.blocks)} points have {sum(self.blocks)} columns, got shape {shape}")
        return _core.Manifold.flag(shape[0], self.blocks)

    def __repr__(self):
        return f"Flag(blocks={self.blocks})"


class ProductManifold(_Manifold):
    """A product of manifolds, geoopt-style: ``ProductManifold((Sphere(), 3), (PoincareBall(), 2))``.

    A point is the concatenation of the flattened factor points; ``from_signature("H2xS2xE2")``
    builds the products of hyperbolic (Poincaré ``H``, Lorentz ``L``), spherical (``S``) and
    Euclidean (``E``) factors of the given intrinsic dimensions.
    """

    def __init__(self, *factors):
        super().__init__()
        if not factors:
            raise ValueError("ProductManifold needs at least one (manifold, shape) factor")
        parts = []
        for f in factors:
            if not (isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], _Manifold)):
                raise ValueError(f"each factor must be a (manifold, shape) pair, got {f!r}")
            m, shape = f
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            if len(shape) != m.ndim:
                raise ValueError(f"{m!r} points have {m.ndim} axes, got shape {shape}")
            parts.append((m, shape))
        self.factors = parts
        self._signature = None
        self._product = _core.Manifold.product([m._core_for(s) for m, s in parts])

    @classmethod
    def from_signature(cls, signature):
        """The product described by ``signature``, e.g. ``"H2xS2xE2"`` or ``"H2×S2×E2"``."""
        self = cls.__new__(cls)
        _Manifold.__init__(self)
        self.factors = None
        self._signature = signature
        self._product = _core.Manifold.signature(signature)
        return self

    def _make(self, shape):
        if shape[-1] != self._product.point_len:
            raise ValueError(f"{self!r} points have {self._product.point_len} values, got shape {shape}")
        return self._product

    def random(self, *size, seed=None):
        """``random(n)``: n random points (the point length is the product's)."""
        if len(size) == 1 and isinstance(size[0], tuple):
            size = size[0]
        return super().random(*size, self._product.point_len, seed=seed)

    def __repr__(self):
        if self._signature is not None:
            return f"ProductManifold.from_signature({self._signature!r})"
        return "ProductManifold(" + ", ".join(f"({m!r}, {s})" for m, s in self.factors) + ")"


def _mean(manifold, x, weights, max_iter, tol, median):
    if not isinstance(manifold, _Manifold):
        raise TypeError(f"manifold must be one of unfold.manifolds' classes, got {type(manifold).__name__}")
    core, (flat,), batch, point = manifold._prepare(x)
    w = None
    if weights is not None:
        w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64).reshape(-1))
    est, _, _ = core.frechet_mean(flat, w, max_iter=int(max_iter), tol=float(tol), median=median)
    return est.reshape(point)


def frechet_mean(manifold, x, weights=None, *, max_iter=100, tol=1e-10):
    """The weighted Fréchet (Karcher) mean of the points ``x`` on ``manifold``."""
    return _mean(manifold, x, weights, max_iter, tol, False)


def geometric_median(manifold, x, weights=None, *, max_iter=100, tol=1e-10):
    """The weighted geometric median of ``x`` on ``manifold`` (Riemannian Weiszfeld)."""
    return _mean(manifold, x, weights, max_iter, tol, True)


def tangent_pca(manifold, x, n_components=2):
    """Tangent PCA at the Fréchet mean: ``(mean, components, explained_variance, scores)``."""
    core, (flat,), _, point = manifold._prepare(x)
    base, comps, var, scores = core.tangent_pca(flat, int(n_components))
    return base.reshape(point), comps.reshape((-1,) + point), var, scores
