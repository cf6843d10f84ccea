"""The base class every unfold estimator shares.

A concrete estimator (see ``_pca.py``) declares its scikit-learn parameters in a keyword-only
``__init__`` that only stores them, and implements two methods:

* ``_fit_core(X, y, seed, threads, verbose)``: calls its ``unfold._core.fit_<method>`` with the
  converted input and the core's parameter names, returning the fitted core model;
* ``_fitted_attributes(model)``: the public fitted attributes (ending in ``_``) read from it.

and may implement ``_after_fit(X, model)`` for fitted state that the model's bytes do not hold
(UMAP's graph): it runs after ``fit`` only, and what it sets is pickled as it is.

The base does the rest: input conversion (``X`` → float32 C order; DataFrame feature names),
``random_state`` → 64-bit seed, ``n_jobs`` → threads, ``verbose`` → a progress bar on stderr,
``transform`` through the core model, a failed ``fit`` that leaves the previous fitted state
as it was, and pickling through the model's versioned bytes (the
fitted arrays are rebuilt from the model on unpickling, never stored twice). Ctrl-C during
``fit`` or ``transform`` raises ``KeyboardInterrupt`` within about a second.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import as_matrix, as_matrix_or_sparse, seed_from_random_state, threads_from_n_jobs


class UnfoldTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared plumbing of unfold's scikit-learn transformers (not used directly)."""

    #: The fitted model class of ``unfold._core`` (has ``transform``, ``to_bytes``, ``from_bytes``).
    _model_class: type
    #: The estimator takes scipy sparse input (passed to the core as CSR arrays).
    _accept_sparse: bool = False

    @abstractmethod
    def _fit_core(self, X: np.ndarray, *, y, seed, threads, verbose: bool):
        """Fit the core model on float32 ``X`` (and ``y`` where the method uses it) and return it."""

    @abstractmethod
    def _fitted_attributes(self, model) -> dict:
        """The public fitted attributes (names ending in ``_``) read from a core model."""

    def _after_fit(self, X: np.ndarray, model) -> None:
        """Set fitted state the model's bytes do not hold (pickled as plain attributes)."""

    # --- fitting -----------------------------------------------------------------------------

    def _validate_input(self, X, *, reset: bool) -> np.ndarray:
        converted = as_matrix_or_sparse(X) if self._accept_sparse else as_matrix(X)
        # Records or checks n_features_in_ and (for DataFrames) feature_names_in_.
        validate_data(self, X=X, reset=reset, skip_check_array=True)
        return converted

    def fit(self, X, y=None):
        """Fit the model to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: any numpy integer or float dtype, any memory layout, or a DataFrame.
        y : ignored, unless the method says otherwise

        Returns
        -------
        self
        """
        # A fit that fails (bad input, a parameter out of range, Ctrl-C) leaves the estimator
        # as it was: a fitted one keeps its model and every fitted attribute, n_features_in_
        # and feature_names_in_ included, so transform goes on working.
        previous = dict(vars(self))
        try:
            X32 = self._validate_input(X, reset=True)
            model = self._fit_core(
                X32,
                y=y,
                seed=seed_from_random_state(getattr(self, "random_state", None)),
                threads=threads_from_n_jobs(getattr(self, "n_jobs", None)),
                verbose=bool(getattr(self, "verbose", False)),
            )
            self._set_model(model)
            self._after_fit(X32, model)
        except BaseException:
            vars(self).clear()
            vars(self).update(previous)
            raise
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its embedding (float32, shape (n_samples, n_components))."""
        return self.fit(X, y).embedding_

    def transform(self, X):
        """Embed new points with the fitted model.

        Returns
        -------
        ndarray of shape (n_samples, n_components), float32
        """
        check_is_fitted(self)
        X32 = self._validate_input(X, reset=False)
        return self._model.transform(X32)

    # --- fitted state ------------------------------------------------------------------------

    def _set_model(self, model) -> None:
        self._model = model
        for name, value in self._fitted_attributes(model).items():
            setattr(self, name, value)

    @property
    def _n_features_out(self) -> int:
        return self.embedding_.shape[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Embeddings are float32 whatever the input dtype (the core computes on float32 data).
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.input_tags.sparse = self._accept_sparse
        return tags

    # --- pickling: the core model's bytes, fitted arrays rebuilt from them -------------------

    def __getstate__(self):
        # A copy: on Python ≥ 3.11 the inherited __getstate__ returns the live __dict__.
        state = dict(super().__getstate__())
        model = state.pop("_model", None)
        if model is not None:
            for name in self._fitted_attributes(model):
                state.pop(name, None)
            state["_model_bytes"] = model.to_bytes()
        return state

    def __setstate__(self, state):
        model_bytes = state.pop("_model_bytes", None)
        super().__setstate__(state)
        if model_bytes is not None:
            self._set_model(self._model_class.from_bytes(model_bytes))
