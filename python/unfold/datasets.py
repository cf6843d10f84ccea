"""Data sets shipped with unfold."""

from __future__ import annotations

from . import _core

__all__ = ["load_mnist_sample"]


def load_mnist_sample():
    """The MNIST test set: 10,000 handwritten digits, 28 × 28 pixels, built into unfold.

    The same data as the ``unfold`` command's built-in demo. MNIST is by Y. LeCun, C. Cortes
    and C. Burges, licensed CC BY-SA 3.0.

    Returns
    -------
    X : ndarray of shape (10000, 784), float32
        Pixel intensities 0–255, row-major images.
    y : ndarray of shape (10000,), int64
        The digit of each image.

    Examples
    --------
    >>> import unfold
    >>> X, y = unfold.datasets.load_mnist_sample()
    >>> X.shape, sorted(set(y.tolist())) == list(range(10))
    ((10000, 784), True)
    """
    return _core.load_mnist_sample()
