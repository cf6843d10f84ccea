"""Scatter plots of embeddings (needs matplotlib: ``pip install unfold-learn[plot]``)."""

from __future__ import annotations

import numpy as np

__all__ = ["scatter"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "unfold.plot needs matplotlib; install it with `pip install matplotlib` "
            "or `pip install unfold-learn[plot]`"
        ) from e
    return plt


def scatter(embedding, labels=None, *, ax=None, s=None, alpha=None, cmap="tab10", legend=True, title=None):
    """Scatter plot of the first two columns of ``embedding``, coloured by ``labels``.

    Point size and opacity adapt to the number of points unless given.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, n_components), n_components ≥ 2
    labels : array-like of shape (n_samples,), optional
        Categories to colour by (one legend entry each).
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    s, alpha : float, optional
        Marker size and opacity.
    cmap : str, default='tab10'
        Colormap of the categories.
    legend : bool, default=True
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    y = np.asarray(embedding)
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"embedding must have shape (n_samples, ≥ 2), got {y.shape}")
    n = y.shape[0]
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have one entry per row of embedding ({n}), got shape {labels.shape}")
    if s is None:
        s = float(np.clip(2e4 / max(n, 1), 0.5, 30.0))
    if alpha is None:
        alpha = float(np.clip(3e3 / max(n, 1), 0.2, 1.0))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    if labels is None:
        ax.scatter(y[:, 0], y[:, 1], s=s, alpha=alpha, linewidths=0)
    else:
        categories = np.unique(labels)
        colours = plt.get_cmap(cmap, max(len(categories), 1))
        for i, c in enumerate(categories):
            mask = labels == c
            ax.scatter(y[mask, 0], y[mask, 1], s=s, alpha=alpha, linewidths=0, color=colours(i), label=str(c))
        if legend:
            legend_box = ax.legend(markerscale=max(1.0, 6.0 / np.sqrt(s)), frameon=False, loc="best")
            # Legend markers opaque even when the points are faint.
            for handle in getattr(legend_box, "legend_handles", getattr(legend_box, "legendHandles", [])):
                handle.set_alpha(1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax
