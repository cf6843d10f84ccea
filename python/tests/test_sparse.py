"""scipy sparse input: UMAP, TSNE, TruncatedSVD, SpectralEmbedding and unfold.neighbors take it without densifying."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD as SkTruncatedSVD
from sklearn.neighbors import NearestNeighbors

import unfold


def counts(n, d, seed):
    """Small integer counts, mostly zero, in three groups with their own columns. Integer
    squared distances are exact in float32 and float64, and with n a power of two the column
    means are exact too: dense and sparse searches find the same neighbours and distances."""
    rng = np.random.default_rng(seed)
    own = (np.arange(d)[None, :] % 3) == (np.arange(n)[:, None] % 3)
    u = rng.random((n, d))
    keep = (own & (u < 0.5)) | (u < 0.08)
    return np.where(keep, rng.integers(1, 6, size=(n, d)), 0).astype(np.float32)


def test_sparse_umap_and_tsne_equal_their_dense_fit():
    X = counts(512, 40, 0)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.coo_array):
        dense = unfold.UMAP(n_neighbors=10, n_epochs=60, random_state=1).fit_transform(X)
        sparse = unfold.UMAP(n_neighbors=10, n_epochs=60, random_state=1).fit_transform(fmt(X))
        np.testing.assert_array_equal(dense, sparse)
    X = X[:256]
    dense = unfold.TSNE(perplexity=10, max_iter=60, early_exaggeration_iter=30, init="spectral", random_state=2).fit_transform(X)
    sparse = unfold.TSNE(perplexity=10, max_iter=60, early_exaggeration_iter=30, init="spectral", random_state=2).fit_transform(sp.csr_matrix(X))
    np.testing.assert_array_equal(dense, sparse)
    # The PCA start of sparse rows is a truncated SVD, as umap-learn's.
    assert np.isfinite(unfold.UMAP(init="pca", n_epochs=10, random_state=0).fit_transform(sp.csr_matrix(X))).all()
    assert np.isfinite(unfold.TSNE(max_iter=10, early_exaggeration_iter=5, random_state=0).fit_transform(sp.csr_matrix(X))).all()


def test_a_sparse_fit_says_why_it_cannot_transform():
    X = sp.csr_matrix(counts(128, 20, 3))
    model = unfold.UMAP(n_epochs=10, random_state=0).fit(X)
    with pytest.raises(ValueError, match="fitted on sparse rows"):
        model.transform(X[:3].toarray())


def test_sparse_neighbors_equal_scikit_learn_for_each_metric():
    base = counts(300, 30, 4)
    for metric in ("euclidean", "cosine", "manhattan", "correlation", "jaccard"):
        X = base.copy()
        if metric != "correlation":  # scipy's correlation of a constant row is NaN
            X[7] = 0  # an empty row
        S = sp.csr_matrix(X)
        idx, dist = unfold.neighbors(S, k=8, metric=metric, exact=True)
        ref = NearestNeighbors(n_neighbors=8, metric=metric, algorithm="brute").fit(X.astype(bool) if metric == "jaccard" else X)
        ref_dist, _ = ref.kneighbors(X.astype(bool) if metric == "jaccard" else X, n_neighbors=9)
        # Rows' own column 0 in scikit-learn's answer (duplicates aside): compare distances.
        np.testing.assert_allclose(dist, ref_dist[:, 1:], atol=1e-5, err_msg=metric)
        assert idx.dtype == np.int64


def test_truncated_svd_matches_scikit_learn():
    rng = np.random.default_rng(5)
    # A clear spectral gap after 3 components, stored sparse.
    low = rng.normal(size=(400, 3)) @ (rng.normal(size=(3, 80)) * np.array([[9.0], [5.0], [3.0]]))
    X = np.where(rng.random((400, 80)) < 0.3, low + 0.01 * rng.normal(size=(400, 80)), 0.0)
    ref = SkTruncatedSVD(n_components=3, algorithm="arpack").fit(X)
    for x in (sp.csr_matrix(X), X):
        ours = unfold.TruncatedSVD(n_components=3, n_iter=10, random_state=0).fit(x)
        np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-6)
        np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-5)
        # scikit-learn's svd_flip: the same signs, not only the same directions.
        np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-6)
        np.testing.assert_allclose(ours.transform(x), ref.transform(X), rtol=1e-4, atol=1e-4)
    assert unfold.TruncatedSVD().get_params() == {
        "n_components": 2, "algorithm": "randomized", "n_iter": 5, "n_oversamples": 10,
        "power_iteration_normalizer": "auto", "tol": 0.0, "random_state": None,
    }
    with pytest.raises(ValueError, match="power_iteration_normalizer"):
        unfold.TruncatedSVD(power_iteration_normalizer="LU").fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        unfold.TruncatedSVD(algorithm="arpack").fit(X)
    with pytest.raises(ValueError, match=r"n_components.*at most min\(n_samples, n_features\) = 80"):
        unfold.TruncatedSVD(n_components=81).fit(X)


def test_non_canonical_input_is_summed_as_scipy_sums_it():
    X = counts(64, 12, 6)
    coo = sp.coo_matrix(X)
    # Every entry split in two halves, in reverse order: scipy's sum gives X back.
    row, col, data = np.concatenate([coo.row, coo.row])[::-1], np.concatenate([coo.col, coo.col])[::-1], np.concatenate([coo.data, coo.data])[::-1] / 2
    split = sp.csr_matrix((data, (row, col)), shape=X.shape)
    split.has_canonical_format = False
    a = unfold.neighbors(split, k=5, exact=True)
    b = unfold.neighbors(sp.csr_matrix(X), k=5, exact=True)
    np.testing.assert_array_equal(a[0], b[0])


def test_bad_sparse_input_is_named():
    X = sp.csr_matrix(counts(64, 12, 7))
    bad = X.copy()
    bad.data[5] = np.nan
    row = int(np.searchsorted(bad.indptr, 5, side="right") - 1)
    with pytest.raises(ValueError, match=rf"row {row}, column {bad.indices[5]} \(counting from 0\) is NaN"):
        unfold.UMAP(n_epochs=5).fit(bad)
    big = X.astype(np.float64)
    big.data[0] = 1e300
    with pytest.raises(ValueError, match=r"X\[0, \d+\] = 1e\+300 is beyond float32's range"):
        unfold.TSNE().fit(big)
    with pytest.raises(TypeError, match="this estimator needs dense input.*TruncatedSVD"):
        unfold.PCA(2).fit(X)
    with pytest.raises(TypeError, match="this estimator needs dense input"):
        unfold.Isomap().fit(X)
    with pytest.raises(ValueError, match="not available for sparse input"):
        unfold.neighbors(X, k=3, metric="chebyshev")
