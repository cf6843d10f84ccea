"""t-SNE: the core's ``tsne`` method, with scikit-learn's parameter names and openTSNE's optimiser."""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted

from . import _core
from ._contract import ContractTransformer
from ._validation import InvalidParameterError, plain, seed_from_random_state, threads_from_n_jobs


class TSNE(ContractTransformer):
    """t-distributed Stochastic Neighbor Embedding (van der Maaten & Hinton, 2008).

    Affinities are Gaussian over each point's ``3 * perplexity`` nearest neighbours, calibrated
    to the perplexity by openTSNE's binary search (in float64), symmetrised and normalised; the
    embedding minimises their KL divergence to the heavy-tailed kernel ``(1 + d²/dof)^-dof`` as
    openTSNE 1.0.4 does: ``early_exaggeration_iter`` (250) iterations at ``early_exaggeration``
    ("auto": ``max(12, exaggeration)``), then ``max_iter`` (500) at ``exaggeration`` (1), momentum
    0.8 in both, delta-bar-delta gains carried over, ``learning_rate="auto"`` = ``n_samples /
    exaggeration`` of the phase, steps clipped to norm 5. The start is PCA scaled to standard
    deviation 1e-4 (``init="pca"``), ``"random"``, ``"spectral"`` or an array used as given.

    Against scikit-learn's ``TSNE``: the names are scikit-learn's, the defaults and the optimiser
    openTSNE's, so ``max_iter`` counts the iterations after early exaggeration (openTSNE's
    ``n_iter``; scikit-learn's counts both phases) and ``n_iter_`` both phases; ``method`` is
    ``"auto"`` (openTSNE's: Barnes–Hut below 10,000 samples, ``"fft"`` from there), ``"barnes_hut"``,
    ``"fft"`` (openTSNE's interpolation on a grid, with its ``n_interpolation_points``,
    ``min_num_intervals`` and ``ints_in_interval``; 1 or 2 components) or ``"exact"``;
    ``angle`` is openTSNE's ``theta``,
    compared with the whole cell side (scikit-learn's and bhtsne's ``angle`` compare half of it);
    the gradient has no factor 4. openTSNE's ``exaggeration``, ``dof`` and ``callbacks`` are
    keywords: each callback is called as ``callback(iteration, kl_divergence, embedding)`` every
    50 iterations, and returning True stops the optimisation. ``n_jobs`` sets threads and never
    changes a seeded result. ``perplexity`` must be at most ``(n_samples - 1) / 3``.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components), float64
    kl_divergence_ : float
        KL divergence after the optimisation.
    n_iter_ : int
        Iterations run, both phases.
    learning_rate_ : float
        The step size of the main phase.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, unfold
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> unfold.TSNE(perplexity=20, random_state=0).fit_transform(X).shape
    (200, 2)
    """

    # scipy sparse X is fitted as it is (kNN on sparse rows; PCA start by truncated SVD).
    _accept_sparse = True
    _method = "tsne"
    _extra = {"callbacks": None, "n_jobs": None, "verbose": False}

    def _fit_core(self, X, *, y, seed, threads, verbose):
        callbacks = self.callbacks
        if callbacks is None:
            return super()._fit_core(X, y=y, seed=seed, threads=threads, verbose=verbose)
        if callable(callbacks):
            callbacks = [callbacks]
        if not isinstance(callbacks, (list, tuple)) or not all(callable(c) for c in callbacks):
            raise InvalidParameterError("invalid value for `callbacks`: must be a callable or a list of callables")
        params = {n: plain(getattr(self, n)) for n in self._core_names}
        try:
            return _core.fit_tsne(X, params, seed=seed, threads=threads, verbose=verbose, callbacks=list(callbacks))
        except ValueError as e:
            if str(e).startswith("invalid value for `"):
                raise InvalidParameterError(str(e)) from None
            raise

    def _fitted_attributes(self, model) -> dict:
        attrs = super()._fitted_attributes(model)
        attrs["n_iter_"] = int(attrs["n_iter_"])
        attrs["kl_divergence_"] = float(attrs["kl_divergence_"])
        attrs["learning_rate_"] = float(attrs["learning_rate_"])
        return attrs

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its embedding (float64, shape (n_samples, n_components))."""
        self.fit(X, y)
        return self.embedding_

    def transform(
        self,
        X,
        *,
        perplexity=5,
        initialization="median",
        k=25,
        learning_rate=0.1,
        early_exaggeration=4,
        early_exaggeration_iter=0,
        exaggeration=1.5,
        max_iter=250,
    ):
        """Place new points against the fitted embedding, as openTSNE's ``transform``.

        Each new point is attracted by its ``3 * perplexity`` nearest training points (affinities
        calibrated to ``perplexity`` and normalised per point) and repelled by all of them; the
        training points stay where they are and the new points do not act on one another, so a
        point's place does not depend on the others transformed with it. The names and defaults
        are openTSNE's (``max_iter`` is its ``n_iter``): the start is the median of the embedding
        of the ``k`` nearest training points (``initialization="median"``), ``"random"``, or an
        array of shape (n_new, n_components); then ``early_exaggeration_iter`` iterations at
        ``early_exaggeration`` and ``max_iter`` at ``exaggeration``, momentum 0.8, gradients
        clipped to norm 0.25. The gradient method is the fit's. A row equal to a training row is
        placed where that row is.

        Returns
        -------
        ndarray of shape (n_samples, n_components), float64
        """
        check_is_fitted(self)
        X32 = self._validate_input(X, reset=False)
        params = {
            "perplexity": perplexity,
            "initialization": initialization,
            "k": k,
            "learning_rate": learning_rate,
            "early_exaggeration": early_exaggeration,
            "early_exaggeration_iter": early_exaggeration_iter,
            "exaggeration": exaggeration,
            "max_iter": max_iter,
        }
        try:
            return _core.transform_tsne(
                self._model,
                X32,
                {n: plain(v) for n, v in params.items()},
                seed=seed_from_random_state(self.random_state),
                threads=threads_from_n_jobs(self.n_jobs),
                verbose=bool(self.verbose),
            )
        except ValueError as e:
            if str(e).startswith("invalid value for `"):
                raise InvalidParameterError(str(e)) from None
            raise

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        # The embedding is float64 whatever the input (openTSNE's too).
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
