"""Riemannian geometry over numpy arrays: manifolds of a fixed dimension, statistics and
optimisers, with no PyTorch dependency.

Each manifold is built with its dimension, as in geomstats: ``Sphere(2)`` is the unit sphere in
``R^3``, ``PoincareBall(10)`` the ball in ``R^10``, ``SPD(3)`` the 3 × 3 symmetric positive
definite matrices. ``m.shape`` is the shape of one point and ``m.dim`` the intrinsic dimension.
Arrays hold one point per row, or per leading index: an array of shape ``(..., *m.shape)``.
Leading axes broadcast between arguments, and every operation runs in the compiled core, in
parallel over the points, in float64::

    >>> import numpy as np
    >>> from unfold.geometry import PoincareBall, frechet_mean
    >>> ball = PoincareBall(2)
    >>> x = ball.random_point(100, random_state=0)
    >>> y = ball.exp(x, ball.log(x, x[::-1]))
    >>> bool(np.allclose(y, x[::-1]))
    True
    >>> frechet_mean(ball, x).shape
    (2,)

The operations: ``dist(x, y)``, ``inner(x, u, v)``, ``norm(x, u)``, ``exp(x, v)``, ``log(x, y)``,
``retr(x, v)``, ``transp(x, y, v)`` (parallel transport of ``v`` from ``x`` to ``y``),
``proj(x, u)`` (onto the tangent space at ``x``), ``projx(x)`` (onto the manifold),
``egrad_to_rgrad(x, g)``, ``random_point(n, random_state=)``, ``random_tangent(x,
random_state=)`` and ``check_point(x)``. The classes are also ``unfold.manifolds``' (geoopt's
names: ``expmap``, ``logmap``, ``proju``, …), with the point shape fixed.

The statistics: ``frechet_mean``, ``geometric_median`` and ``tangent_pca`` on any of these;
``flag_mean`` and ``flag_median`` (chordal, Mankovich & Birdal) of flags given as frames;
``BarycentricSubspaceAnalysis`` on the sphere and hyperbolic space (Pennec); and the intrinsic
sliced Wasserstein distance between distributions on a graph or point cloud
(``IntrinsicSlicedWasserstein``, Rustamov & Majumdar). ``minimize`` runs the Riemannian
optimisers on a cost written in numpy.

Near the boundary of a hyperbolic model the core clamps (the README's geometry section says
where): no operation returns NaN or infinity on finite input.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import manifolds as _m
from ._bsa import BarycentricSubspaceAnalysis, barycentric_subspace_analysis
from ._flag_mean import FlagAverage, flag_chordal_distance, flag_mean, flag_median
from ._sliced_wasserstein import IntrinsicSlicedWasserstein, sliced_wasserstein, wasserstein_1d
from ._validation import as_positive_int
from .manifolds import frechet_mean, geometric_median, tangent_pca

__all__ = [
    "Euclidean",
    "Sphere",
    "PoincareBall",
    "Lorentz",
    "Stereographic",
    "SPD",
    "Stiefel",
    "Grassmann",
    "Flag",
    "Product",
    "IntrinsicSlicedWasserstein",
    "sliced_wasserstein",
    "wasserstein_1d",
    "FlagAverage",
    "flag_chordal_distance",
    "flag_mean",
    "flag_median",
    "BarycentricSubspaceAnalysis",
    "barycentric_subspace_analysis",
    "frechet_mean",
    "geometric_median",
    "tangent_pca",
    "minimize",
]


def _seed_from(random_state):
    """A core seed from scikit-learn's ``random_state``: None, an int, or a numpy generator."""
    if random_state is None:
        return None
    if isinstance(random_state, (bool, np.bool_)):
        raise ValueError(f"random_state must be None, a non-negative int or a numpy Generator/RandomState, got {random_state!r}")
    if isinstance(random_state, numbers.Integral):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise ValueError(f"random_state must be None, a non-negative int or a numpy Generator/RandomState, got {random_state!r}")


class _Fixed:
    """A manifold of one point shape: ``shape``, ``dim``, and geomstats-style method names."""

    #: The shape of one point.
    shape: tuple

    def _make(self, shape):
        if tuple(shape) != self.shape:
            raise ValueError(f"{self!r} points have shape {self.shape}, got arrays whose last axes are {tuple(shape)}")
        return super()._make(shape)

    @property
    def dim(self):
        """The intrinsic dimension."""
        return self._core_for(self.shape).dim

    def exp(self, x, v):
        """The exponential map ``exp_x(v)``."""
        return self.expmap(x, v)

    def log(self, x, y):
        """The logarithm ``log_x(y)``: the tangent vector at ``x`` pointing to ``y``."""
        return self.logmap(x, y)

    def proj(self, x, u):
        """Projects ambient vectors ``u`` onto the tangent space at ``x``."""
        return self.proju(x, u)

    def egrad_to_rgrad(self, x, g):
        """The Riemannian gradient at ``x`` from a Euclidean gradient ``g``."""
        return self.egrad2rgrad(x, g)

    def random_point(self, n_samples=1, random_state=None):
        """``n_samples`` random points, shape ``(n_samples, *shape)``, or one point when
        ``n_samples`` is 1 (as geomstats). Seeded by ``random_state`` (None, an int, or a numpy
        ``Generator``/``RandomState``)."""
        n = as_positive_int(n_samples, "n_samples")
        points = self.random(n, *self.shape, seed=_seed_from(random_state))
        return points[0] if n == 1 else points

    def random_tangent(self, x, random_state=None):
        """A random tangent vector at each point of ``x``."""
        return super().random_tangent(x, seed=_seed_from(random_state))

    def check_point(self, x, atol=1e-6):
        """True if every point of ``x`` lies on the manifold within ``atol``."""
        return self.check_point_on_manifold(x, tol=atol)


class Euclidean(_Fixed, _m.Euclidean):
    """``R^n`` with the dot product."""

    def __init__(self, n):
        super().__init__()
        self.shape = (as_positive_int(n, "n"),)

    def __repr__(self):
        return f"Euclidean({self.shape[0]})"


class Sphere(_Fixed, _m.Sphere):
    """The unit sphere ``S^n``: points are unit vectors of ``R^(n+1)`` (geomstats'
    ``Hypersphere(n)``)."""

    def __init__(self, n):
        super().__init__()
        self.shape = (as_positive_int(n, "n") + 1,)

    def __repr__(self):
        return f"Sphere({self.shape[0] - 1})"


class PoincareBall(_Fixed, _m.PoincareBall):
    """The Poincaré ball in ``R^n`` of curvature ``-c`` (radius ``1/sqrt(c)``)."""

    def __init__(self, n, c=1.0):
        super().__init__(c=c)
        self.shape = (as_positive_int(n, "n"),)

    def __repr__(self):
        return f"PoincareBall({self.shape[0]}, c={self.c})"


class Lorentz(_Fixed, _m.Lorentz):
    """The hyperboloid model of ``H^n``: points of ``R^(n+1)`` with ``-x0² + Σ xi² = -k``
    (curvature ``-1/k``; geomstats' ``Hyperboloid(n)`` for ``k = 1``)."""

    def __init__(self, n, k=1.0):
        super().__init__(k=k)
        self.shape = (as_positive_int(n, "n") + 1,)

    def __repr__(self):
        return f"Lorentz({self.shape[0] - 1}, k={self.k})"


class Stereographic(_Fixed, _m.Stereographic):
    """The κ-stereographic model in ``R^n`` of curvature ``k``: a ball for ``k < 0``, Euclidean
    space at ``k = 0`` and the projected sphere for ``k > 0``, smooth through ``k = 0``."""

    def __init__(self, n, k=0.0):
        super().__init__(k=k)
        self.shape = (as_positive_int(n, "n"),)

    def __repr__(self):
        return f"Stereographic({self.shape[0]}, k={self.k})"


_SPD_METRICS = {"affine": "affine-invariant", "log_euclidean": "log-euclidean", "bures_wasserstein": "bures-wasserstein"}


class SPD(_Fixed, _m.SymmetricPositiveDefinite):
    """Symmetric positive definite ``n × n`` matrices with the ``"affine"`` (affine-invariant),
    ``"log_euclidean"`` or ``"bures_wasserstein"`` metric."""

    def __init__(self, n, metric="affine"):
        if metric not in _SPD_METRICS:
            raise ValueError(f"metric must be one of {sorted(_SPD_METRICS)}, got {metric!r}")
        super().__init__(metric=_SPD_METRICS[metric])
        n = as_positive_int(n, "n")
        self.shape = (n, n)
        self.spd_metric = metric

    def __repr__(self):
        return f"SPD({self.shape[0]}, metric={self.spd_metric!r})"


class _Frames(_Fixed):
    """``n × p`` orthonormal frames: the shape checks and name Stiefel and Grassmann share."""

    def __init__(self, n, p):
        super().__init__()
        n, p = as_positive_int(n, "n"), as_positive_int(p, "p")
        if p > n:
            raise ValueError(f"p must be at most n = {n}, got {p}")
        self.shape = (n, p)

    def __repr__(self):
        return f"{type(self).__name__}({self.shape[0]}, {self.shape[1]})"


class Stiefel(_Frames, _m.Stiefel):
    """Orthonormal ``n × p`` frames (``XᵀX = I``) with the embedded metric."""


class Grassmann(_Frames, _m.Grassmann):
    """``p``-dimensional subspaces of ``R^n``, each an orthonormal ``n × p`` frame spanning it."""


class Flag(_Fixed, _m.Flag):
    """Flags ``V1 ⊂ V2 ⊂ … ⊂ Vk ⊂ R^n`` of dimensions ``signature = (n1, n2, …, nk)``, strictly
    increasing and at most ``n``. A point is an orthonormal ``n × nk`` frame whose first ``ni``
    columns span ``Vi``."""

    def __init__(self, n, signature):
        n = as_positive_int(n, "n")
        dims = [as_positive_int(d, "signature entries") for d in signature]
        if not dims or any(b <= a for a, b in zip(dims, dims[1:])) or dims[-1] > n:
            raise ValueError(f"signature must be strictly increasing dimensions between 1 and n = {n}, got {tuple(signature)}")
        super().__init__([b - a for a, b in zip([0] + dims, dims)])
        self.signature = tuple(dims)
        self.shape = (n, dims[-1])

    def __repr__(self):
        return f"Flag({self.shape[0]}, {self.signature})"


class Product(_Fixed, _m.ProductManifold):
    """The product of ``factors``, e.g. ``Product([PoincareBall(2), Sphere(2), Euclidean(2)])``.

    A point is the concatenation of the factors' flattened points; ``Product.from_signature("H2xS2xE2")``
    builds products of hyperbolic (Poincaré ``H``, Lorentz ``L``), spherical (``S``) and Euclidean
    (``E``) factors of the given intrinsic dimensions.
    """

    def __init__(self, factors):
        factors = list(factors)
        for f in factors:
            if not isinstance(f, _Fixed):
                raise ValueError(f"each factor must be an unfold.geometry manifold, got {f!r}")
        super().__init__(*[(f, f.shape) for f in factors])
        self.shape = (self._product.point_len,)

    @classmethod
    def from_signature(cls, signature):
        """The product described by ``signature``, e.g. ``"H2xS2xE2"`` or ``"H2×S2×E2"``."""
        self = super().from_signature(signature)
        self.shape = (self._product.point_len,)
        return self

    def random(self, *size, seed=None):
        return _m._Manifold.random(self, *size, seed=seed)

    def __repr__(self):
        if self._signature is not None:
            return f"Product.from_signature({self._signature!r})"
        return "Product([" + ", ".join(repr(m) for m, _ in self.factors) + "])"


_METHODS = ("armijo", "sgd", "adam", "amsgrad")


class OptimizeResult(dict):
    """The result of :func:`minimize`, as ``scipy.optimize.OptimizeResult``: a dict whose keys
    are also attributes: ``x``, ``fun``, ``grad_norm``, ``nit``, ``success`` and ``message``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __repr__(self):
        return "OptimizeResult(" + ", ".join(f"{k}={v!r}" for k, v in self.items() if k != "x") + ")"


def minimize(
    manifold,
    fun,
    x0,
    *,
    method="armijo",
    lr=1e-3,
    momentum=0.0,
    betas=(0.9, 0.999),
    eps=1e-8,
    max_iter=1000,
    grad_tol=1e-6,
    initial_step=1.0,
    shrink=0.5,
    sufficient_decrease=1e-4,
    max_backtrack=50,
):
    """Minimises ``fun`` over points of ``manifold``, starting at ``x0``.

    ``fun(x)`` takes an array shaped as ``x0`` (one point, or many points optimised together as
    one product) and returns ``(value, gradient)``: the cost and its *Euclidean* gradient, an
    array of ``x0``'s shape. Each step turns it into the Riemannian gradient.

    Methods: ``"armijo"`` (steepest descent with a backtracking line search from
    ``initial_step``, shrinking by ``shrink`` until the cost falls by ``sufficient_decrease ·
    step · ‖grad‖²``; no step size to tune), ``"sgd"`` (Riemannian SGD with ``lr`` and
    transported ``momentum``, as geoopt's ``RiemannianSGD``), ``"adam"`` and ``"amsgrad"``
    (Bécigneul & Ganea's Riemannian Adam with ``lr``, ``betas`` and ``eps``, as geoopt's
    ``RiemannianAdam``). The run stops when the Riemannian gradient's norm is at most
    ``grad_tol`` or after ``max_iter`` steps (a sufficient-decrease test cannot resolve
    gradients much below ``sqrt(machine epsilon) · |cost|``, hence the default 1e-6, pymanopt's).
    An exception raised by ``fun`` stops it and is
    raised again.

    Returns an :class:`OptimizeResult` with ``x``, ``fun`` (the cost at ``x``), ``grad_norm``,
    ``nit`` and ``success`` (whether the gradient norm reached ``grad_tol``).

        >>> import numpy as np
        >>> from unfold.geometry import Sphere, minimize
        >>> A = np.diag([1.0, 2.0, 3.0])
        >>> res = minimize(Sphere(2), lambda x: (-x @ A @ x, -2 * A @ x), np.array([0.6, 0.0, 0.8]))
        >>> bool(res.success), np.round(np.abs(res.x), 6).tolist()
        (True, [0.0, 0.0, 1.0])
    """
    if not isinstance(manifold, _m._Manifold):
        raise TypeError(f"manifold must be one of unfold.geometry's classes, got {type(manifold).__name__}")
    if not callable(fun):
        raise TypeError(f"fun must be a callable returning (value, gradient), got {type(fun).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    betas = tuple(betas)
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    x0 = np.asarray(x0, dtype=np.float64)
    if not np.isfinite(x0).all():
        raise ValueError("x0 contains NaN or infinity")
    core, (flat,), batch, point = manifold._prepare(x0)
    shape = x0.shape

    def flat_fun(x):
        out = fun(x.reshape(shape))
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"fun must return a pair (value, gradient), got {type(out).__name__}")
        value, grad = out
        value = float(value)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != shape:
            raise ValueError(f"fun's gradient has shape {grad.shape}, expected x0's shape {shape}")
        bad = np.flatnonzero(~np.isfinite(grad.reshape(-1)))
        if bad.size:
            raise ValueError(f"fun's gradient is not finite at flat index {bad[0]} (value {grad.reshape(-1)[bad[0]]})")
        return value, np.ascontiguousarray(grad.reshape(flat.shape))

    x, cost, grad_norm, nit, converged = core.minimize(
        flat,
        flat_fun,
        method=method,
        lr=float(lr),
        momentum=float(momentum),
        beta1=float(betas[0]),
        beta2=float(betas[1]),
        eps=float(eps),
        max_iter=as_positive_int(max_iter, "max_iter"),
        grad_tol=float(grad_tol),
        initial_step=float(initial_step),
        shrink=float(shrink),
        sufficient_decrease=float(sufficient_decrease),
        max_backtrack=as_positive_int(max_backtrack, "max_backtrack", 0),
    )
    if converged:
        message = f"the gradient norm {grad_norm:.3g} reached grad_tol"
    elif nit < max_iter:
        message = f"the line search found no decrease after {max_backtrack} halvings (gradient norm {grad_norm:.3g})"
    else:
        message = f"max_iter = {max_iter} steps taken (gradient norm {grad_norm:.3g})"
    return OptimizeResult(x=x.reshape(shape), fun=cost, grad_norm=grad_norm, nit=nit, success=bool(converged), message=message)
