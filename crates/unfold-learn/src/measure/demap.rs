//! DEMaP, "denoised embedding manifold preservation" (Moon et al. 2019, Methods): how well the
//! distances in an embedding follow the geodesic distances of the data.
//!
//! The geodesic distances are the shortest paths on the data's `n_neighbors`-nearest-neighbour
//! graph (euclidean edge lengths, edges usable both ways: scipy's `shortest_path(kneighbors_graph(X,
//! k, mode="distance"), directed=False)`); DEMaP is Spearman's rank correlation between them and
//! the euclidean distances in the embedding over the pairs `i < j` of a seeded uniform subsample
//! of `sample` points (all points when there are no more). Pairs in different components of the
//! graph (no path) are left out. Ties share their average rank, as `scipy.stats.spearmanr`.
//! The paper computes geodesics on noiseless data where it has them; here they come from the
//! data given.

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::shortest_paths::shortest_path_rows;
use crate::graph::{SparseGraph, Symmetrization, symmetrize};
use crate::knn::{KnnAlgorithm, KnnParams, exact_is_faster, knn_graph};
use crate::metric::Metric;
use crate::progress::Progress;
use crate::rng::{SeedSource, sample_sorted};

const STAGE: u64 = 0xde3a_0001;

/// DEMaP of the embedding `y` of `x` (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidData`] when `x` and `y` have different numbers of rows, or no pair of the
/// subsample is connected; [`Error::InvalidParameter`] naming `n_neighbors` unless
/// `1 ≤ n_neighbors < n`, or `sample` below 3; the errors of the kNN search.
///
/// ```
/// use unfold_learn::measure::demap::demap;
/// use unfold_learn::prelude::*;
/// // Points on an arc and the arc unrolled: geodesic and embedded distances agree in order.
/// let x: Vec<f32> = (0..40).flat_map(|i| { let a = i as f32 * 0.07; [a.cos(), a.sin()] }).collect();
/// let y: Vec<f32> = (0..40).map(|i| i as f32).collect();
/// let (x, y) = (Data::from_row_major(&x, 40, 2)?, Data::from_row_major(&y, 40, 1)?);
/// // Equal gaps tie in exact arithmetic; float32 path sums may break those ties.
/// assert!(demap(&x, &y, 5, 2000, 0, &Metric::Euclidean, &NoProgress)? > 0.999);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn demap(x: &Data, y: &Data, n_neighbors: usize, sample: usize, seed: u64, metric: &Metric, progress: &dyn Progress) -> Result<f64> {
    let n = x.n_rows();
    if y.n_rows() != n {
        return Err(Error::InvalidData(format!("the embedding has {} rows but the data has {n}", y.n_rows())));
    }
    if n_neighbors == 0 || n_neighbors >= n {
        return Err(Error::param("n_neighbors", n_neighbors, format!("must be at least 1 and below n_samples = {n}")));
    }
    if sample < 3 {
        return Err(Error::param("sample", sample, "must be at least 3"));
    }
    let algorithm = if exact_is_faster(n, n_neighbors) { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto };
    let knn = knn_graph(x, &KnnParams { k: n_neighbors, algorithm, metric: metric.clone(), seed: Some(seed), ..KnnParams::default() }, progress)?;
    let graph = symmetrize(&SparseGraph::from_knn(&knn), Symmetrization::Max)?;
    progress.check()?;
    let sources: Vec<u32> = sample_sorted(n, sample.min(n), &SeedSource::new(Some(seed)), STAGE).into_iter().map(|i| i as u32).collect();
    let m = sources.len();
    let mut geo = vec![0f32; m * n];
    shortest_path_rows(&graph, &sources, &mut geo)?;
    progress.check()?;
    let k = y.n_cols();
    let pairs: Vec<(f64, f64)> = (0..m)
        .into_par_iter()
        .flat_map_iter(|a| {
            let (geo, sources) = (&geo, &sources);
            (a + 1..m).filter_map(move |b| {
                let g = geo[a * n + sources[b] as usize];
                if !g.is_finite() {
                    return None;
                }
                let (ya, yb) = (y.row(sources[a] as usize), y.row(sources[b] as usize));
                let e = (0..k).map(|c| (ya[c] as f64 - yb[c] as f64).powi(2)).sum::<f64>().sqrt();
                Some((g as f64, e))
            })
        })
        .collect();
    if pairs.len() < 2 {
        return Err(Error::InvalidData("no two points of the sample are connected in the neighbour graph: DEMaP has no pairs to compare".into()));
    }
    let (g, e): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    pearson(&ranks(&g), &ranks(&e))
        .ok_or_else(|| Error::InvalidData("the geodesic or the embedded distances of the sample are all equal: their rank correlation is undefined".into()))
}

/// Average ranks (1-based), ties sharing their mean rank.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<u32> = (0..v.len() as u32).collect();
    order.par_sort_by(|&a, &b| v[a as usize].total_cmp(&v[b as usize]));
    let mut out = vec![0f64; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end] as usize] == v[order[start] as usize] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| out[i as usize] = rank);
        start = end;
    }
    out
}

pub(crate) fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}
