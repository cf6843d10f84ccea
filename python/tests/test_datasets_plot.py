"""The bundled MNIST sample and the scatter plot."""

import sys

import numpy as np
import pytest

import unfold


def test_mnist_sample(mnist):
    X, y = mnist
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    # The published class counts of the MNIST test set.
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert X.min() == 0 and X.max() == 255 and float(X.mean()) == pytest.approx(33.79, abs=0.01)


def test_scatter_draws_one_group_per_label(mnist):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    Y = unfold.PCA(n_components=2).fit_transform(mnist[0][:500])
    ax = unfold.plot.scatter(Y, mnist[1][:500], title="digits")
    assert len(ax.collections) == len(np.unique(mnist[1][:500]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(d) for d in np.unique(mnist[1][:500])]
    assert ax.get_title() == "digits"
    assert all(h.get_alpha() == 1.0 for h in ax.get_legend().legend_handles)
    assert len(unfold.plot.scatter(Y).collections) == 1
    with pytest.raises(ValueError, match=r"labels must have one entry per row of embedding \(500\), got shape \(3,\)"):
        unfold.plot.scatter(Y, [1, 2, 3])
    with pytest.raises(ValueError, match=r"embedding must have shape \(n_samples, ≥ 2\), got \(500, 1\)"):
        unfold.plot.scatter(Y[:, :1])


def test_scatter_without_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"unfold.plot needs matplotlib; install it with `pip install matplotlib` or `pip install unfold-learn\[plot\]`"):
        unfold.plot.scatter(np.zeros((3, 2)))
