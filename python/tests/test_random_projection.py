"""unfold.GaussianRandomProjection / SparseRandomProjection against scikit-learn's."""

import inspect
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import random_projection as skrp
from sklearn.exceptions import DataDimensionalityWarning
from sklearn.metrics import pairwise_distances

import unfold

PAIRS = [(unfold.GaussianRandomProjection, skrp.GaussianRandomProjection), (unfold.SparseRandomProjection, skrp.SparseRandomProjection)]


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_parameters_are_scikit_learns(ours, theirs):
    assert ours().get_params() == theirs().get_params()
    first = list(inspect.signature(ours.__init__).parameters.values())[1]
    assert first.name == "n_components" and first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert ours(7).n_components == 7


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_auto_dimension_and_errors_as_scikit_learn(ours, theirs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3000)).astype(np.float32)
    for eps in (0.5, 0.8):
        a, b = ours(eps=eps, random_state=0).fit(X), theirs(eps=eps, random_state=0).fit(X)
        assert a.n_components_ == b.n_components_ == skrp.johnson_lindenstrauss_min_dim(500, eps=eps)
    small = X[:, :50]
    with pytest.raises(ValueError) as e:
        theirs().fit(small)
    with pytest.raises(ValueError, match="larger than the original space with n_features=50") as f:
        ours().fit(small)
    dim = skrp.johnson_lindenstrauss_min_dim(500, eps=0.1)
    assert f"target dimension of {dim}" in str(e.value) and f"target dimension of {dim}" in str(f.value)
    with pytest.raises(ValueError, match="eps"):
        ours(eps=1.5).fit(small)
    with pytest.warns(DataDimensionalityWarning):
        ours(n_components=60).fit(small)


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_distances_kept_as_well_as_scikit_learns(ours, theirs):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2000)).astype(np.float32)
    d0 = pairwise_distances(X)[np.triu_indices(300, 1)] ** 2
    spread = {}
    for name, est in (("unfold", ours(eps=0.5, random_state=3)), ("sklearn", theirs(eps=0.5, random_state=3))):
        Y = est.fit_transform(X)
        ratio = pairwise_distances(Y)[np.triu_indices(300, 1)] ** 2 / d0
        assert 0.5 < ratio.min() and ratio.max() < 1.5, name
        spread[name] = ratio.std()
    # The same law: the spread of the distortion is scikit-learn's within 15 %.
    assert abs(spread["unfold"] / spread["sklearn"] - 1) < 0.15, spread


def test_sparse_components_have_scikit_learns_law():
    X = np.random.default_rng(2).normal(size=(20, 400)).astype(np.float32)
    ours = unfold.SparseRandomProjection(n_components=200, random_state=0).fit(X)
    theirs = skrp.SparseRandomProjection(n_components=200, random_state=0).fit(X)
    assert sp.issparse(ours.components_) and ours.components_.shape == theirs.components_.shape
    assert ours.density_ == pytest.approx(theirs.density_)
    assert ours.components_.nnz == pytest.approx(theirs.components_.nnz, rel=0.1)
    assert np.allclose(np.unique(np.abs(ours.components_.data)), np.unique(np.abs(theirs.components_.data)))


@pytest.mark.parametrize("ours, theirs", PAIRS)
def test_transform_inverse_and_pickle(ours, theirs):
    X = np.random.default_rng(4).normal(size=(50, 30)).astype(np.float32)
    est = ours(n_components=10, compute_inverse_components=True, random_state=5).fit(X)
    R = est.components_.toarray() if sp.issparse(est.components_) else est.components_
    Y = est.transform(X)
    assert Y.dtype == np.float32 and np.allclose(Y, X @ R.T, atol=1e-4)
    assert np.allclose(est.inverse_components_, np.linalg.pinv(R), atol=1e-8)
    assert np.allclose(est.inverse_transform(Y), Y @ np.linalg.pinv(R).T, atol=1e-4)
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.transform(X), Y)
    same = ours(n_components=10, random_state=5).fit(X)
    assert np.array_equal(same.transform(X), Y)
    assert not np.array_equal(ours(n_components=10, random_state=6).fit_transform(X), Y)
