"""Poincaré embeddings of hierarchies (Nickel & Kiela 2017), trained in the Rust core."""

from __future__ import annotations

import numbers
import os

import numpy as np
from sklearn.base import BaseEstimator

from . import _core
from ._validation import as_count, seed_from_random_state, threads_from_n_jobs

__all__ = ["PoincareEmbedding"]


def _node(value):
    """A hashable node: numpy scalars become Python scalars."""
    if isinstance(value, np.generic):
        value = value.item()
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"edges: node {value!r} is not hashable; use names (str) or ids (int)") from None
    return value


class PoincareEmbedding(BaseEstimator):
    """Poincaré embeddings of a hierarchy (Nickel & Kiela, NeurIPS 2017), as gensim's
    ``PoincareModel``.

    Every edge ``(u, v)`` ("u is a v") is pulled together against ``negative`` nodes not related to
    ``u`` with the loss ``-log(exp(-d(u, v)) / sum over v' in {v} + negatives of exp(-d(u, v')))``,
    ``d`` the hyperbolic distance, minimised by Riemannian SGD in the Poincaré ball (or, with
    ``model="lorentz"``, on the hyperboloid of Nickel & Kiela 2018, mapped to the ball). The
    schedule is gensim's: ``burn_in`` epochs at ``burn_in_alpha``, then ``epochs`` at ``alpha``, in
    batches of ``batch_size`` edges, negatives drawn by node frequency, coordinates initialised
    uniformly in [-0.001, 0.001], an ``regularization_coeff * |v|^2`` penalty on each ancestor.

    Parameters
    ----------
    n_components : int, default=50
        Dimension of the ball (gensim's ``size``).
    model : {"poincare", "lorentz"}, default="poincare"
    negative : int, default=10
    epochs : int, default=50
        Training epochs after the burn-in (gensim's ``train(epochs=...)``).
    burn_in : int, default=10
    alpha : float, default=0.1
    burn_in_alpha : float, default=0.01
    regularization_coeff : float, default=1.0
    batch_size : int, default=10
    transitive_closure : bool, default=False
        Add every ancestor of each node as an edge before training.
    random_state : int, RandomState or None, default=None
        With a seed the embedding is identical at any ``n_jobs``.
    n_jobs : int or None, default=None
    verbose : bool, default=False

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components), float64
        Points of the open unit ball, row ``i`` for ``nodes_[i]``.
    nodes_ : list
        The nodes in row order (order of first appearance in ``edges``).
    rank_ : float
        Mean rank of the training edges, as gensim's ``ReconstructionEvaluation`` (a node counts
        among its own negatives, so the best rank is 2).
    map_ : float
        Mean average precision, likewise.
    reconstruction_ : dict
        ``mean_rank``, ``map`` and ``mean_rank_excluding_self``, ``map_excluding_self`` (the
        paper's ranking, without the node itself).
    loss_ : list of float
        Mean loss per edge of every epoch (burn-in first).

    Examples
    --------
    >>> import unfold
    >>> edges = [("cat", "feline"), ("lion", "feline"), ("feline", "mammal"), ("dog", "canine"),
    ...          ("wolf", "canine"), ("canine", "mammal")]
    >>> model = unfold.PoincareEmbedding(n_components=2, negative=2, transitive_closure=True, random_state=0).fit(edges)
    >>> model.embedding_.shape, model.nodes_[:3]
    ((7, 2), ['cat', 'feline', 'lion'])
    """

    def __init__(self, n_components=50, *, model="poincare", negative=10, epochs=50, burn_in=10, alpha=0.1,
                 burn_in_alpha=0.01, regularization_coeff=1.0, batch_size=10, transitive_closure=False,
                 random_state=None, n_jobs=None, verbose=False):
        self.n_components = n_components
        self.model = model
        self.negative = negative
        self.epochs = epochs
        self.burn_in = burn_in
        self.alpha = alpha
        self.burn_in_alpha = burn_in_alpha
        self.regularization_coeff = regularization_coeff
        self.batch_size = batch_size
        self.transitive_closure = transitive_closure
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, edges, y=None):
        """Trains on ``edges``: an iterable of ``(u, v)`` pairs (child, parent) of hashable nodes
        (names or ids), an array of shape (n_edges, 2), or the path of a two-column ``.tsv`` /
        ``.csv`` file read as ``unfold hierarchy`` reads it (tab- or comma-separated, ``#``
        comments and blank lines skipped, no header; the nodes are then the file's names, as
        with gensim's ``PoincareRelations``). Returns ``self``."""
        if isinstance(edges, (str, os.PathLike)):
            edges = _core.read_hierarchy_edges(os.fspath(edges))
        if isinstance(edges, np.ndarray):
            if edges.ndim != 2 or edges.shape[1] != 2:
                raise ValueError(f"edges must have shape (n_edges, 2), got {edges.shape}")
            pairs = [(_node(u), _node(v)) for u, v in edges]
        else:
            if isinstance(edges, bytes):
                raise TypeError("edges must be (u, v) pairs or a file path, not bytes")
            pairs = []
            for i, pair in enumerate(edges):
                if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                    raise ValueError(f"edges: edge {i} must be a (u, v) pair, got {pair!r}")
                pairs.append((_node(pair[0]), _node(pair[1])))
        if not pairs:
            raise ValueError("edges: the hierarchy has no edges")
        # The core numbers nodes by first appearance: pass each node's position, keep the objects.
        index: dict = {}
        for u, v in pairs:
            index.setdefault(u, len(index))
            index.setdefault(v, len(index))
        nodes = list(index)
        for name, value in (("alpha", self.alpha), ("burn_in_alpha", self.burn_in_alpha),
                            ("regularization_coeff", self.regularization_coeff)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if self.model not in ("poincare", "lorentz"):
            raise ValueError(f"model must be 'poincare' or 'lorentz', got {self.model!r}")
        embedding, names, losses, scores = _core.poincare_embedding(
            [(str(index[u]), str(index[v])) for u, v in pairs],
            closure=bool(self.transitive_closure), n_components=as_count(self.n_components, "n_components"),
            model=self.model, negative=as_count(self.negative, "negative"), epochs=as_count(self.epochs, "epochs"),
            burn_in=as_count(self.burn_in, "burn_in"), alpha=float(self.alpha), burn_in_alpha=float(self.burn_in_alpha),
            regularization_coeff=float(self.regularization_coeff), batch_size=as_count(self.batch_size, "batch_size"),
            seed=seed_from_random_state(self.random_state), threads=threads_from_n_jobs(self.n_jobs),
            verbose=bool(self.verbose),
        )
        self.nodes_ = [nodes[int(i)] for i in names]
        self.embedding_ = embedding
        self.loss_ = list(losses)
        mean_rank, map_, mean_rank_own, map_own = scores
        self.rank_, self.map_ = mean_rank, map_
        self.reconstruction_ = {"mean_rank": mean_rank, "map": map_, "mean_rank_excluding_self": mean_rank_own,
                                "map_excluding_self": map_own}
        return self

    def fit_transform(self, edges, y=None):
        """Fits and returns ``embedding_``."""
        return self.fit(edges).embedding_
