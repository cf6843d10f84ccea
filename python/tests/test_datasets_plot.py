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
    with pytest.raises(ValueError, match=r"embedding must have shape \(n_samples, n_components ≥ 1\), got \(500, 0\)"):
        unfold.plot.scatter(Y[:, :0])


def test_scatter_draws_continuous_values_with_a_colour_bar(mnist):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    X = mnist[0][:500]
    Y = unfold.PCA(n_components=2).fit_transform(X)
    brightness = X.mean(axis=1)  # a measurement: 400 distinct float values
    ax = unfold.plot.scatter(Y, brightness)
    assert len(ax.collections) == 1 and ax.get_legend() is None
    np.testing.assert_allclose(ax.collections[0].get_array(), brightness)
    bars = [a for a in ax.figure.axes if a is not ax]
    assert len(bars) == 1  # the colour bar
    np.testing.assert_allclose(bars[0].get_ylim(), [brightness.min(), brightness.max()], rtol=1e-6)
    # Few distinct floats stay categories; the choice can be forced either way.
    assert len(unfold.plot.scatter(Y, mnist[1][:500].astype(float)).collections) == 10
    assert len(unfold.plot.scatter(Y, mnist[1][:500], continuous=True).collections) == 1
    assert len(unfold.plot.scatter(Y, np.round(brightness), continuous=False).collections) == len(np.unique(np.round(brightness)))
    with pytest.raises(ValueError, match=r"continuous=True needs numeric labels, got dtype <U1"):
        unfold.plot.scatter(Y[:3], ["a", "b", "c"], continuous=True)


def test_scatter_draws_one_column_against_the_row(mnist):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    Z = unfold.PCA(n_components=1).fit_transform(mnist[0][:300])
    ax = unfold.plot.scatter(Z, mnist[1][:300])
    assert len(ax.collections) == 10
    points = np.vstack([c.get_offsets() for c in ax.collections])
    points = points[np.argsort(points[:, 1])]
    np.testing.assert_array_equal(points, np.column_stack([Z[:, 0], np.arange(300)]))
    assert ax.get_ylabel() == "row"
    # A 1-d array is one column.
    np.testing.assert_array_equal(unfold.plot.scatter(Z[:, 0]).collections[0].get_offsets(), np.column_stack([Z[:, 0], np.arange(300)]))


def test_scatter_without_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"unfold.plot needs matplotlib; install it with `pip install matplotlib` or `pip install unfold-learn\[plot\]`"):
        unfold.plot.scatter(np.zeros((3, 2)))
