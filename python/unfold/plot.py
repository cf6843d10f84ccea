"""Scatter plots of embeddings (needs matplotlib: ``pip install unfold-learn[plot]``)."""

from __future__ import annotations

import numpy as np

__all__ = ["plane_coordinates", "scatter"]

#: Float labels with more distinct values than this are drawn as a continuous colour scale.
MAX_CATEGORIES = 20


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "unfold.plot needs matplotlib; install it with `pip install matplotlib` "
            "or `pip install unfold-learn[plot]`"
        ) from e
    return plt


def _is_continuous(labels: np.ndarray, continuous) -> bool:
    if continuous is None:
        return labels.dtype.kind == "f" and len(np.unique(labels)) > MAX_CATEGORIES
    if continuous and labels.dtype.kind not in "iuf":
        raise ValueError(f"continuous=True needs numeric labels, got dtype {labels.dtype}")
    return bool(continuous)


def plane_coordinates(embedding, output_metric="euclidean"):
    """Two columns to draw an embedding made in ``output_metric``'s space (``UMAP(output_metric=...)``).

    'euclidean' and 'poincare' as they are (the first two columns); 'hyperboloid' mapped onto
    the Poincaré disk, ``x / (1 + z)`` with ``z = sqrt(1 + |x|^2)``; 'haversine' (colatitude,
    longitude) as an equirectangular map: longitude in (-pi, pi] across, latitude in
    [-pi/2, pi/2] up.
    """
    y = np.asarray(embedding, dtype=np.float64)
    if output_metric == "hyperboloid":
        z = np.sqrt(1.0 + (y**2).sum(axis=1, keepdims=True))
        return (y / (1.0 + z))[:, :2]
    if output_metric == "haversine":
        t, p = y[:, 0], y[:, 1]
        px, py, pz = np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)
        return np.stack([np.arctan2(py, px), np.pi / 2 - np.arccos(np.clip(pz, -1.0, 1.0))], axis=1)
    if output_metric in ("euclidean", "poincare"):
        return y
    raise ValueError(f"output_metric must be one of 'euclidean', 'hyperboloid', 'poincare', 'haversine', got {output_metric!r}")


def scatter(embedding, labels=None, *, ax=None, s=None, alpha=None, cmap=None, legend=True, title=None, continuous=None, output_metric="euclidean"):
    """Scatter plot of the first two columns of ``embedding``, coloured by ``labels``.

    A one-column embedding is drawn against the row index (the coordinate across, the row
    number up). Point size and opacity adapt to the number of points unless given.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, n_components) or (n_samples,)
    labels : array-like of shape (n_samples,), optional
        Categories (one colour and one legend entry each) or continuous values (one colour
        scale, shown by a colour bar); see ``continuous``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    s, alpha : float, optional
        Marker size and opacity.
    cmap : str, optional
        Colormap: 'tab10' for categories and 'viridis' for continuous values unless given.
    legend : bool, default=True
        Draw the legend of the categories, or the colour bar of continuous values.
    title : str, optional
    continuous : bool or None, default=None
        Colour by value on a continuous scale rather than by category. None: for float labels
        with more than 20 distinct values (measurements rather than classes).
    output_metric : str, default='euclidean'
        The space ``embedding`` lives in (``UMAP(output_metric=...)``), drawn through
        :func:`plane_coordinates`: the hyperbolic ones in the Poincaré disk with its unit circle,
        the sphere as an equirectangular map.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    y = np.asarray(embedding) if output_metric == "euclidean" else plane_coordinates(embedding, output_metric)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] < 1:
        raise ValueError(f"embedding must have shape (n_samples, n_components ≥ 1), got {np.shape(embedding)}")
    n = y.shape[0]
    if y.shape[1] == 1:
        xs, ys = y[:, 0], np.arange(n)
    else:
        xs, ys = y[:, 0], y[:, 1]
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
        ax.scatter(xs, ys, s=s, alpha=alpha, linewidths=0)
    elif _is_continuous(labels, continuous):
        points = ax.scatter(xs, ys, c=labels.astype(np.float64), s=s, alpha=alpha, linewidths=0, cmap=cmap or "viridis")
        if legend:
            bar = ax.figure.colorbar(points, ax=ax)
            bar.solids.set_alpha(1.0)  # the scale opaque even when the points are faint
    else:
        categories = np.unique(labels)
        colours = plt.get_cmap(cmap or "tab10", max(len(categories), 1))
        for i, c in enumerate(categories):
            mask = labels == c
            ax.scatter(xs[mask], ys[mask], s=s, alpha=alpha, linewidths=0, color=colours(i), label=str(c))
        if legend:
            legend_box = ax.legend(markerscale=max(1.0, 6.0 / np.sqrt(s)), frameon=False, loc="best")
            # Legend markers opaque even when the points are faint.
            for handle in getattr(legend_box, "legend_handles", getattr(legend_box, "legendHandles", [])):
                handle.set_alpha(1.0)
    if output_metric in ("hyperboloid", "poincare"):
        ax.add_patch(plt.Circle((0.0, 0.0), 1.0, fill=False, color="0.3", linewidth=1.0))
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if y.shape[1] == 1:
        ax.set_ylabel("row")
    if title is not None:
        ax.set_title(title)
    return ax
