//! Sparse input: the methods that take it give what they give on the same rows stored dense,
//! and truncated SVD matches a dense SVD.

use unfold_learn::embed::truncated_svd::{TruncatedSvd, TruncatedSvdParams};
use unfold_learn::embed::tsne::{Tsne, TsneInit, TsneParams};
use unfold_learn::knn::{KnnAlgorithm, sparse_knn};
use unfold_learn::method::{FitData, Fitted, Input};
use unfold_learn::prelude::*;
use unfold_learn::rng::SeedSource;

/// Small integers, mostly zero, in three groups with their own columns: squared distances of
/// integers are exact in `f32` and `f64` alike, so dense and sparse searches agree to the bit.
fn counts(n: usize, d: usize, seed: u64) -> Data<'static> {
    let s = SeedSource::new(Some(seed));
    let x = (0..n * d)
        .map(|i| {
            let (r, c) = (i / d, i % d);
            let own = c % 3 == r % 3;
            let v = s.value(0, i as u64) % 100;
            if (own && v < 50) || v < 8 { (1 + s.value(1, i as u64) % 5) as f32 } else { 0.0 }
        })
        .collect();
    Data::from_vec(x, n, d).unwrap()
}

#[test]
fn sparse_knn_of_integer_counts_is_exact() {
    let data = counts(500, 30, 1);
    let sparse = SparseData::from_dense(&data);
    for algorithm in [KnnAlgorithm::Exact, KnnAlgorithm::NnDescent] {
        let g = sparse_knn(&sparse, &KnnParams { k: 10, algorithm, seed: Some(4), ..Default::default() }).unwrap();
        for i in 0..500 {
            for (&j, &d) in g.neighbors(i).0.iter().zip(g.neighbors(i).1) {
                let sq: f64 = data.row(i).iter().zip(data.row(j as usize)).map(|(a, b)| ((a - b) as f64).powi(2)).sum();
                assert_eq!(d, sq.sqrt() as f32, "{algorithm:?} ({i}, {j})");
            }
        }
    }
}

#[test]
fn sparse_umap_equals_dense_umap() {
    // 512 rows of integers: the column means are exact, so the dense search's centred rows
    // are too, and both searches find the same distances.
    let data = counts(512, 40, 2);
    let sparse = SparseData::from_dense(&data);
    let ctx = Context { keep_data: false, ..Context::seeded(5) };
    let umap = Umap::builder().n_neighbors(12).n_epochs(80).build().unwrap();
    // Up to 4,096 points both search exactly: the same graph, so the same layout to the bit.
    let dense = umap.fit(&data, &ctx).unwrap();
    let from_sparse = umap.fit_sparse(&sparse, None, &ctx).unwrap();
    assert_eq!(dense.embedding().as_slice(), from_sparse.embedding().as_slice());
    // The PCA start takes the truncated SVD of sparse rows, as umap-learn does.
    let pca = Umap::builder().n_neighbors(12).n_epochs(30).init(UmapInit::Pca).build().unwrap();
    let y = pca.fit_sparse(&sparse, None, &ctx).unwrap();
    assert!(y.embedding().as_slice().iter().all(|v| v.is_finite()));
    // A sparse fit keeps no rows to place new points against, and says so.
    let e = Fitted::transform(&from_sparse, Input::F32(&data), &ctx).unwrap_err().to_string();
    assert!(e.contains("fitted on sparse rows"), "{e}");
    let e = Umap::builder().metric(Metric::Chebyshev).build().unwrap().fit_sparse(&sparse, None, &ctx).unwrap_err().to_string();
    assert!(e.contains("not available for sparse input"), "{e}");
}

#[test]
fn sparse_tsne_equals_dense_tsne() {
    let data = counts(256, 40, 3);
    let sparse = SparseData::from_dense(&data);
    let params = TsneParams { perplexity: 10.0, max_iter: 100, early_exaggeration_iter: 50, init: TsneInit::Spectral, ..Default::default() };
    let tsne = Tsne::new(params).unwrap();
    let ctx = Context::seeded(6);
    let dense = tsne.fit(Input::F32(&data).into(), &ctx).unwrap();
    let from_sparse = tsne.fit(FitData::from(Input::Sparse(&sparse)), &ctx).unwrap();
    assert_eq!(dense.embedding().as_slice(), from_sparse.embedding().as_slice());
    let e = Fitted::transform(&from_sparse, Input::F32(&data), &ctx).unwrap_err().to_string();
    assert!(e.contains("fitted on sparse rows"), "{e}");
    // PCA start: the truncated SVD.
    let pca = Tsne::new(TsneParams { max_iter: 10, early_exaggeration_iter: 5, ..Default::default() }).unwrap();
    assert!(pca.fit(FitData::from(Input::Sparse(&sparse)), &ctx).unwrap().embedding().as_slice().iter().all(|v| v.is_finite()));
}

/// The exact thin SVD of the dense matrix, singular values descending.
fn dense_svd(data: &Data) -> (Vec<f64>, faer::Mat<f64>) {
    let m = faer::Mat::from_fn(data.n_rows(), data.n_cols(), |i, j| data.row(i)[j] as f64);
    let svd = m.thin_svd().unwrap();
    let s = (0..data.n_cols().min(data.n_rows())).map(|i| svd.S()[i]).collect();
    (s, svd.V().to_owned())
}

#[test]
fn truncated_svd_matches_the_exact_svd() {
    let data = counts(400, 25, 7);
    let sparse = SparseData::from_dense(&data);
    let (s, v) = dense_svd(&data);
    let params = TruncatedSvdParams { n_components: 3, n_iter: 12, ..Default::default() };
    let model = TruncatedSvd::new(params).fit(Input::Sparse(&sparse), &Context::seeded(1)).unwrap();
    let d = data.n_cols();
    for r in 0..3 {
        assert!((model.singular_values()[r] - s[r]).abs() < 1e-6 * s[0], "{r}: {} vs {}", model.singular_values()[r], s[r]);
        // Same direction up to sign, and the sign makes the largest entry positive.
        let comp = &model.components()[r * d..(r + 1) * d];
        let dot: f64 = (0..d).map(|c| comp[c] * v[(c, r)]).sum();
        assert!(dot.abs() > 1.0 - 1e-8, "{r}: {dot}");
        let big = comp.iter().fold(0.0f64, |m, &x| if x.abs() > m.abs() { x } else { m });
        assert!(big > 0.0);
    }
    // The embedding is X Vᵀ; dense input gives the same model.
    let y = model.embedding();
    for i in [0, 17, 399] {
        for r in 0..3 {
            let want: f64 = (0..d).map(|c| data.row(i)[c] as f64 * model.components()[r * d + c]).sum();
            assert!((y.row(i)[r] as f64 - want).abs() < 1e-4 * (1.0 + want.abs()));
        }
    }
    let from_dense =
        TruncatedSvd::new(TruncatedSvdParams { n_components: 3, n_iter: 12, ..Default::default() }).fit(Input::F32(&data), &Context::seeded(1)).unwrap();
    for (a, b) in from_dense.singular_values().iter().zip(model.singular_values()) {
        assert!((a - b).abs() < 1e-9 * a);
    }
    // Transform of sparse rows equals the fit's embedding.
    let t = Fitted::transform(&model, Input::Sparse(&sparse), &Context::seeded(1)).unwrap();
    for (a, b) in t.as_slice().iter().zip(y.as_slice()) {
        assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()));
    }
    // explained variance: the embedding columns' variances over the data's total variance.
    let attrs = Fitted::attributes(&model);
    let ratio = &attrs.iter().find(|a| a.name == "explained_variance_ratio_").unwrap().values;
    let n = data.n_rows() as f64;
    let total: f64 = (0..d)
        .map(|c| {
            let m = (0..data.n_rows()).map(|i| data.row(i)[c] as f64).sum::<f64>() / n;
            (0..data.n_rows()).map(|i| (data.row(i)[c] as f64 - m).powi(2)).sum::<f64>() / n
        })
        .sum();
    let col0: Vec<f64> = (0..data.n_rows()).map(|i| y.row(i)[0] as f64).collect();
    let m0 = col0.iter().sum::<f64>() / n;
    let var0 = col0.iter().map(|v| (v - m0).powi(2)).sum::<f64>() / n;
    assert!((ratio[0] - var0 / total).abs() < 1e-5, "{} vs {}", ratio[0], var0 / total);
    // Saved and loaded, the model transforms the same.
    let back = TruncatedSvdModelBytes::round_trip(&model);
    assert_eq!(back.components(), model.components());
}

struct TruncatedSvdModelBytes;
impl TruncatedSvdModelBytes {
    fn round_trip(m: &unfold_learn::embed::truncated_svd::TruncatedSvdModel) -> unfold_learn::embed::truncated_svd::TruncatedSvdModel {
        unfold_learn::embed::truncated_svd::TruncatedSvdModel::from_bytes(&m.to_bytes().unwrap()).unwrap()
    }
}

#[test]
fn truncated_svd_checks_n_components() {
    let data = counts(10, 4, 1);
    let e =
        TruncatedSvd::new(TruncatedSvdParams { n_components: 5, ..Default::default() }).fit(Input::F32(&data), &Context::seeded(1)).unwrap_err().to_string();
    assert!(e.contains("n_components") && e.contains("at most min(n_samples, n_features) = 4"), "{e}");
}

#[test]
fn methods_without_sparse_input_refuse_it_by_name() {
    let entry = unfold_learn::method::methods().into_iter().find(|m| m.name == "pca").unwrap();
    let e = unfold_learn::method::sparse_refused(&entry).to_string();
    assert!(e.contains("method pca takes dense rows") && e.contains("svd") && e.contains("umap") && e.contains("tsne"), "{e}");
}
