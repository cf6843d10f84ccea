"""Estimators for the methods on the core's method contract, built from their parameter tables.

A method registered in the core (``unfold_learn::method``) declares its parameters once; this
module reads that table (``unfold._core.method_specs``) and writes the estimator's ``__init__``
from it, so the class of a new method names only its registered method and what it fixes::

    class GaussianRandomProjection(ContractTransformer):
        _method = "random-projection"
        _fixed = {"gaussian": True}       # core parameters this class sets itself
        _hidden = ("density",)             # core parameters this class does not take

The first parameter is positional-or-keyword, the others keyword-only, as scikit-learn's
estimators have them; ``random_state`` is appended (the fit's seed), ``_extra`` adds
Python-only parameters, and ``_defaults`` replaces a core default with the peer's (PCA's
``n_components=None``, where the command line's default is 2). A class whose ``_extra`` has
scikit-learn's ``metric_params`` passes them to the core with its ``metric``.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core
from ._base import UnfoldTransformer
from ._neighbors import metric_spec
from ._validation import InvalidParameterError, as_matrix, as_matrix_or_sparse, plain


def _write_init(cls) -> None:
    specs = [s for s in _core.method_specs(cls._method) if s["name"] not in cls._hidden and s["name"] not in cls._fixed]
    names = [s["name"] for s in specs] + list(cls._extra) + ["random_state"]
    defaults = [cls._defaults.get(s["name"], s["default"]) for s in specs] + list(cls._extra.values()) + [None]
    params = [f"{n}=_d[{i}]" for i, n in enumerate(names)]
    args = ", *, ".join([params[0], ", ".join(params[1:])]) if len(params) > 1 else params[0]
    body = "".join(f"    self.{n} = {n}\n" for n in names)
    namespace: dict = {}
    exec(f"def __init__(self, {args}):\n{body}", {"_d": defaults}, namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__name__}.__init__"
    init.__doc__ = "Parameters\n----------\n" + "".join(
        f"{s['name']} : default={cls._defaults.get(s['name'], s['default'])!r}\n    {s['help']}\n" for s in specs
    )
    cls.__init__ = init
    cls._core_names = tuple(s["name"] for s in specs)


class ContractTransformer(UnfoldTransformer):
    """A scikit-learn transformer over a method of the core's contract (not used directly)."""

    #: The method's registered name.
    _method: str = ""
    #: Core parameters the class sets itself.
    _fixed: dict = {}
    #: Core parameters the class does not take.
    _hidden: tuple = ()
    #: Python-only parameters and their defaults.
    _extra: dict = {}
    #: Core parameters whose Python default differs from the core's.
    _defaults: dict = {}
    #: The method computes in the input's precision: float64 input is passed as float64.
    _precise: bool = False
    #: The category of the fit's warnings.
    _warning_category: type = UserWarning
    _model_class = _core.FittedModel

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_method"):
            _write_init(cls)

    def _validate_input(self, X, *, reset: bool) -> np.ndarray:
        if not self._precise:
            return super()._validate_input(X, reset=reset)
        converted = as_matrix_or_sparse(X, keep_float64=True) if self._accept_sparse else as_matrix(X, keep_float64=True)
        validate_data(self, X=X, reset=reset, skip_check_array=True)
        return converted

    def _fit_core(self, X, *, y, seed, threads, verbose):
        params = {n: plain(getattr(self, n)) for n in self._core_names}
        if "metric_params" in self._extra:
            # scikit-learn's metric_params: the metric's parameters, passed with its name.
            params["metric"] = metric_spec(self.metric, self.metric_params, name="metric_params")
        return self._call_core(X, params, seed=seed, threads=threads, verbose=verbose)

    def _call_core(self, X, params: dict, **kwargs):
        """The core's fit of ``X`` with ``params`` by name (and the fixed ones)."""
        params = {**params, **self._fixed}
        try:
            return _core.fit_method(self._method, X, params, **kwargs)
        except ValueError as e:
            # The core's parameter errors ("invalid value for `eps`: 1.5 (must be > 0 and < 1)").
            if str(e).startswith("invalid value for `"):
                raise InvalidParameterError(str(e)) from None
            raise

    def _set_model(self, model) -> None:
        if model.method != self._method:
            raise ValueError(f"this model holds a `{model.method}` model, not a `{self._method}` model")
        super()._set_model(model)

    def _fitted_attributes(self, model) -> dict:
        attrs = dict(model.attributes())
        for name in ("n_components_", "n_samples_"):
            if name in attrs:
                attrs[name] = int(attrs[name])
        # Point indices (landmark modes) are integers, as numpy indexes with them.
        if "landmarks_" in attrs:
            attrs["landmarks_"] = attrs["landmarks_"].astype(np.int64)
        return attrs

    def _after_fit(self, X, model) -> None:
        for w in model.warnings():
            warnings.warn(w, self._warning_category, stacklevel=3)

    @property
    def _n_features_out(self) -> int:
        return self._model.n_components

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its embedding (float32, shape (n_samples, n_components))."""
        self.fit(X, y)
        embedding = self._model.embedding
        return embedding if embedding is not None else self.transform(X)

    def inverse_transform(self, X):
        """Map points of the embedding back into data space (float32, (n_samples, n_features_in_))."""
        check_is_fitted(self)
        if not self._model.capabilities()["inverse_transform"]:
            raise AttributeError(f"{type(self).__name__} has no inverse_transform")
        return self._model.inverse_transform(as_matrix(X))
