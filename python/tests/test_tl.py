"""unfold.tl: scanpy's conventions on AnnData, compared with scanpy, scikit-learn and umap-learn."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA as SkPCA
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors

import unfold

anndata = pytest.importorskip("anndata")


def blobs(n=300, d=60, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(4, d))
    return (centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))).astype(np.float32)


@pytest.fixture
def adata():
    return anndata.AnnData(blobs())


def test_pca_fields_copy_and_key_added(adata):
    X = adata.X.copy()
    out = unfold.tl.pca(adata, n_comps=10, copy=True)
    assert "X_pca" not in adata.obsm and "pca" not in adata.uns  # copy=True leaves adata alone
    assert out is not adata and out.obsm["X_pca"].shape == (300, 10) and out.obsm["X_pca"].dtype == np.float32
    assert out.varm["PCs"].shape == (60, 10)
    ref = SkPCA(n_components=10, svd_solver="full").fit(X)
    np.testing.assert_allclose(out.uns["pca"]["variance"], ref.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(out.uns["pca"]["variance_ratio"], ref.explained_variance_ratio_, rtol=1e-4)
    np.testing.assert_allclose(np.abs(out.varm["PCs"]), np.abs(ref.components_.T), atol=1e-4)
    np.testing.assert_allclose(np.abs(out.obsm["X_pca"]), np.abs(ref.transform(X)), atol=1e-3)
    assert out.uns["pca"]["params"] == {"zero_center": True, "use_highly_variable": False, "mask_var": None}

    assert unfold.tl.pca(adata, n_comps=5, key_added="pc5") is None  # copy=False writes in place
    assert adata.obsm["pc5"].shape == (300, 5) and adata.varm["pc5"].shape == (60, 5) and "variance" in adata.uns["pc5"]
    assert "X_pca" not in adata.obsm


def test_pca_default_comps_mask_and_arrays(adata):
    unfold.tl.pca(adata)
    assert adata.obsm["X_pca"].shape == (300, 50)  # scanpy's N_PCS
    small = anndata.AnnData(blobs(n=30, d=20))
    unfold.tl.pca(small)
    assert small.obsm["X_pca"].shape == (30, 19)  # min(n_obs, n_vars) − 1 when that is ≤ 50
    mask = np.zeros(60, bool)
    mask[::2] = True
    adata.var["highly_variable"] = mask
    unfold.tl.pca(adata, n_comps=4)  # .var["highly_variable"] is used by default, as in scanpy
    assert np.all(adata.varm["PCs"][~mask] == 0) and np.any(adata.varm["PCs"][mask] != 0)
    assert adata.uns["pca"]["params"]["mask_var"] == "highly_variable"
    ref = SkPCA(n_components=4, svd_solver="full").fit(adata.X[:, mask])
    np.testing.assert_allclose(adata.uns["pca"]["variance"], ref.explained_variance_, rtol=1e-4)
    Y, components, ratio, variance = unfold.tl.pca(blobs(), n_comps=3, return_info=True)
    assert Y.shape == (300, 3) and components.shape == (3, 60) and ratio.shape == variance.shape == (3,)


def test_choose_representation(adata):
    small = anndata.AnnData(blobs(d=20))
    assert unfold.tl.choose_representation(small) is small.X  # ≤ 50 variables: X itself
    with pytest.warns(UserWarning, match="Falling back to preprocessing with `unfold.tl.pca`"):
        x = unfold.tl.choose_representation(adata)
    assert x.shape == (300, 50) and "X_pca" in adata.obsm
    assert unfold.tl.choose_representation(adata, n_pcs=7).shape == (300, 7)
    assert unfold.tl.choose_representation(adata, n_pcs=0) is adata.X
    with pytest.raises(ValueError, match=r"n_pcs=60 but .obsm\['X_pca'\] has 50 components"):
        unfold.tl.choose_representation(adata, n_pcs=60)
    with pytest.raises(ValueError, match="use_rep='X_nope' is not in .obsm"):
        unfold.tl.choose_representation(adata, use_rep="X_nope")


def test_knn_from_distances_matches_brute_force():
    sc = pytest.importorskip("scanpy")
    a = anndata.AnnData(blobs(n=200, d=20))
    sc.pp.neighbors(a, n_neighbors=10, use_rep="X")
    idx, dist = unfold.tl.knn_from_distances(a.obsp["distances"], 10)
    ref_dist, ref_idx = SkNearestNeighbors(n_neighbors=9).fit(a.X).kneighbors()
    assert idx.shape == (200, 9)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5)
    with pytest.raises(ValueError, match="stores 9 neighbours besides the cell itself, but n_neighbors=15 needs 14"):
        unfold.tl.knn_from_distances(a.obsp["distances"], 15)


def test_knn_from_distances_with_duplicated_cells():
    # scanpy drops the first column as the cell itself; with duplicates that may be a duplicate,
    # and the cell stays stored in its own row with one neighbour fewer.
    sc = pytest.importorskip("scanpy")
    X = blobs(n=200, d=20)
    X[[1, 5]] = X[0]
    X[7] = X[6]
    a = anndata.AnnData(X)
    sc.pp.neighbors(a, n_neighbors=6, use_rep="X")
    d = a.obsp["distances"]
    stored_self = [i for i in range(200) if i in d.indices[d.indptr[i] : d.indptr[i + 1]]]
    assert stored_self  # the case this test is about
    with pytest.raises(ValueError, match=f"row {stored_self[0]} of the neighbours' distances stores 4 neighbours besides the cell itself"):
        unfold.tl.knn_from_distances(d, 6)
    idx, dist = unfold.tl.knn_from_distances(d, 6, a.X)
    ref_dist, ref_idx = SkNearestNeighbors(n_neighbors=6).fit(X).kneighbors()
    np.testing.assert_allclose(dist, ref_dist[:, :5], rtol=1e-5, atol=1e-6)
    assert not np.any(idx == np.arange(200)[:, None])
    for i in np.flatnonzero(ref_dist[:, 4] < ref_dist[:, 5]):  # no tie at the cut: the same set
        assert set(idx[i]) == set(ref_idx[i, :5]), i
    unfold.tl.umap(a, maxiter=20)
    assert np.isfinite(a.obsm["X_umap"]).all()


def test_umap_reuses_scanpy_neighbours():
    sc = pytest.importorskip("scanpy")
    from umap.umap_ import find_ab_params

    a = anndata.AnnData(blobs(n=300, d=20))
    sc.pp.neighbors(a, n_neighbors=12, use_rep="X")
    b = unfold.tl.umap(a, copy=True)
    assert "X_umap" not in a.obsm and b.obsm["X_umap"].shape == (300, 2)
    ref_a, ref_b = find_ab_params(1.0, 0.5)  # scanpy's spread and min_dist
    assert set(b.uns["umap"]["params"]) == {"a", "b"}
    np.testing.assert_allclose([b.uns["umap"]["params"]["a"], b.uns["umap"]["params"]["b"]], [ref_a, ref_b], rtol=1e-3)
    # The same as unfold.UMAP on those neighbours with scanpy's parameters.
    knn = unfold.tl.knn_from_distances(a.obsp["distances"], 12)
    direct = unfold.UMAP(n_neighbors=12, min_dist=0.5, random_state=0, precomputed_knn=knn).fit_transform(a.X)
    np.testing.assert_array_equal(b.obsm["X_umap"], direct)
    unfold.tl.umap(a, random_state=3, key_added="umap3", n_components=3, maxiter=50)
    assert a.obsm["umap3"].shape == (300, 3) and a.uns["umap3"]["params"]["random_state"] == 3
    init = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    a.obsm["start"] = init
    unfold.tl.umap(a, init_pos="start", maxiter=10)
    assert a.obsm["X_umap"].shape == (300, 2)


def test_umap_without_neighbours_computes_and_stores_them(adata):
    sc = pytest.importorskip("scanpy")
    small = anndata.AnnData(blobs(n=200, d=20))
    with pytest.warns(UserWarning, match=r"\.uns\['neighbors'\] not found: computing 15 nearest neighbours"):
        unfold.tl.umap(small)
    assert small.obsm["X_umap"].shape == (200, 2)
    assert small.uns["neighbors"]["params"]["n_neighbors"] == 15
    assert small.obsp["distances"].shape == (200, 200) and np.all(np.diff(small.obsp["distances"].indptr) == 14)
    ref_dist, ref_idx = SkNearestNeighbors(n_neighbors=14).fit(small.X).kneighbors()
    idx, dist = unfold.tl.knn_from_distances(small.obsp["distances"], 15)
    np.testing.assert_array_equal(idx, ref_idx)
    # scanpy reads what was stored.
    sc.tl.umap(small, maxiter=5)
    assert small.obsm["X_umap"].shape == (200, 2)


def test_umap_trustworthiness_on_pbmc68k_reduced_against_scanpy():
    sc = pytest.importorskip("scanpy")
    a = sc.datasets.pbmc68k_reduced()
    b = a.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.tl.umap(b)
    unfold.tl.umap(a)
    X = a.obsm["X_pca"]  # the representation sc.pp.neighbors used for this data set
    t_sc = trustworthiness(X, b.obsm["X_umap"], n_neighbors=15)
    t_unfold = trustworthiness(X, a.obsm["X_umap"], n_neighbors=15)
    assert t_unfold >= t_sc - 0.01, (t_unfold, t_sc)
    assert t_unfold > 0.9


def test_tsne(adata):
    small = anndata.AnnData(blobs(n=300, d=20))
    out = unfold.tl.tsne(small, copy=True, random_state=1)
    assert out.obsm["X_tsne"].shape == (300, 2) and "X_tsne" not in small.obsm
    assert out.uns["tsne"]["params"] == {"perplexity": 30, "early_exaggeration": 12, "learning_rate": 1000, "metric": "euclidean"}
    assert trustworthiness(small.X, out.obsm["X_tsne"], n_neighbors=10) > 0.9
    unfold.tl.tsne(small, use_rep="X", key_added="t", perplexity=10)
    assert small.uns["t"]["params"]["use_rep"] == "X" and small.obsm["t"].shape == (300, 2)


def test_bad_input(adata):
    with pytest.raises(TypeError, match="adata must be an anndata.AnnData, got ndarray"):
        unfold.tl.umap(np.zeros((5, 5)))
    with pytest.raises(ValueError, match="method='rapids' is not supported"):
        unfold.tl.umap(adata, method="rapids")
    with pytest.raises(ValueError, match="init_pos='paga' is not supported"):
        unfold.tl.umap(adata, init_pos="paga")
    with pytest.raises(ValueError, match="init_pos='circle' is neither a key of .obsm"):
        unfold.tl.umap(adata, init_pos="circle")
    with pytest.raises(TypeError, match="zero_center must be True or False"):
        unfold.tl.pca(adata, zero_center="no")
    with pytest.raises(ValueError, match="chunked=True is not supported"):
        unfold.tl.pca(adata, chunked=True)
    with pytest.raises(ValueError, match="svd_solver='lobpcg' is not one of"):
        unfold.tl.pca(adata, svd_solver="lobpcg")
    with pytest.raises(ValueError, match="use_fast_tsne=True"):
        unfold.tl.tsne(adata, use_fast_tsne=True)
    with pytest.raises(ValueError, match="layer='counts' is not in .layers"):
        unfold.tl.pca(adata, layer="counts")
    with pytest.raises(ValueError, match="mask_var must select variables"):
        unfold.tl.pca(adata, mask_var=np.ones(3, bool))
    adata.uns["neighbors"] = {"params": {"n_neighbors": 15, "method": "umap"}}
    with pytest.raises(ValueError, match=r"\.obsp\['distances'\] not found"):
        unfold.tl.umap(adata)
    with pytest.raises(TypeError, match="copy must be True or False"):
        unfold.tl.tsne(adata, copy="yes")


def test_sparse_x_takes_truncated_svd():
    from sklearn.decomposition import TruncatedSVD as SkTruncatedSVD

    X = blobs(n=200, d=60)
    X[X < 1] = 0
    a = anndata.AnnData(sp.csr_matrix(X))
    # PCA would centre, densifying X: scanpy's zero_center=False is the sparse path.
    with pytest.raises(ValueError, match="zero_center=False"):
        unfold.tl.pca(a, n_comps=5)
    # Four components: the blobs' spectrum has a gap after the fourth (332, 200, 182, 161, 17).
    unfold.tl.pca(a, n_comps=4, zero_center=False, random_state=0)
    ref = SkTruncatedSVD(n_components=4, algorithm="arpack").fit(X)
    np.testing.assert_allclose(a.uns["pca"]["variance"], ref.explained_variance_, rtol=1e-3)
    np.testing.assert_allclose(np.abs(a.varm["PCs"]), np.abs(ref.components_.T), atol=1e-4)
    assert a.uns["pca"]["params"]["zero_center"] is False
    # UMAP on the sparse X itself.
    b = anndata.AnnData(sp.csr_matrix(X))
    unfold.tl.umap(b, random_state=0)
    assert b.obsm["X_umap"].shape == (200, 2)


def test_import_without_anndata_or_dask():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["anndata"] = None  # as if not installed
        sys.modules["dask"] = None
        import unfold
        unfold.tl, unfold.dask
        for call in (lambda: unfold.tl.umap(None), lambda: unfold.dask.transform(None, None)):
            try:
                call()
            except ImportError as e:
                print(e)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        'unfold.tl needs the anndata package: pip install "unfold-learn[anndata]"',
        'unfold.dask needs dask: pip install "unfold-learn[dask]"',
    ]
