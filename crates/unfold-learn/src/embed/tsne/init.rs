//! Starting layouts of t-SNE, as openTSNE 1.0.4's `initialization` module.
//!
//! * [`pca_init`]: the data's principal components, rescaled so that the first column has
//!   standard deviation `1e-4` ([`rescale`]), plus jitter `N(0, 1e-6)` ([`jitter`]).
//! * [`random_init`]: `N(0, 1e-4²)` for every coordinate.
//! * [`spectral_init`]: the spectral embedding of `P` ([`crate::graph::spectral`]), rescaled and
//!   jittered as the PCA start.
//! * A user array is used as given (openTSNE warns when a column's standard deviation exceeds
//!   0.01; so does [`check_user_init`]).

use super::affinity::Affinities;
use crate::data::{Data, SparseData};
use crate::embed::pca::Pca;
use crate::error::{Error, Result};
use crate::graph::SparseGraph;
use crate::method::Context;
use crate::rng::{SeedSource, normal_f64};

const STAGE_JITTER: u64 = 0x75e0_0001;
const STAGE_RANDOM: u64 = 0x75e0_0002;

/// Standard deviation of the first column after [`rescale`].
pub const INIT_STD: f64 = 1e-4;

/// Standard deviation (ddof 0) of column `c`.
fn column_std(y: &[f64], dim: usize, c: usize) -> f64 {
    let n = (y.len() / dim) as f64;
    let mean = y.iter().skip(c).step_by(dim).sum::<f64>() / n;
    (y.iter().skip(c).step_by(dim).map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// Divides every coordinate by `std(column 0) / 1e-4` (openTSNE's `rescale`); a constant first
/// column is left as it is.
pub fn rescale(y: &mut [f64], dim: usize) {
    let s = column_std(y, dim, 0);
    if s > 0.0 {
        for v in y.iter_mut() {
            *v = *v / s * INIT_STD;
        }
    }
}

/// Adds `N(0, (0.01 · std(column 0))²)` noise (openTSNE's `jitter`), one stream per row.
pub fn jitter(y: &mut [f64], dim: usize, seed: u64) {
    let sigma = 0.01 * column_std(y, dim, 0);
    let seeds = SeedSource::new(Some(seed));
    for (i, v) in y.iter_mut().enumerate() {
        *v += sigma * normal_f64(seeds.value(STAGE_JITTER, 2 * i as u64), seeds.value(STAGE_JITTER, 2 * i as u64 + 1));
    }
}

/// The PCA start (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidParameter`] when `dim` exceeds the data's rank bound `min(n, d)`; PCA's errors.
pub fn pca_init(data: &Data, dim: usize, seed: u64, ctx: &Context) -> Result<Vec<f64>> {
    let (n, d) = (data.n_rows(), data.n_cols());
    if dim > n.min(d) {
        return Err(Error::param("n_components", dim, format!("must be at most min(n_samples, n_features) = {} for init=\"pca\"", n.min(d))));
    }
    let ctx = Context { seed: Some(seed), threads: None, progress: ctx.progress, keep_data: false };
    let y = Pca::builder().n_components(dim).build()?.fit(data, &ctx)?.into_embedding();
    let mut y: Vec<f64> = y.iter().map(|&v| v as f64).collect();
    rescale(&mut y, dim);
    jitter(&mut y, dim, seed);
    Ok(y)
}

/// The start for sparse rows with `init = "pca"`: their truncated SVD (centring would make
/// them dense), scaled and jittered as [`pca_init`].
///
/// # Errors
/// [`Error::InvalidParameter`] for `dim` above `min(n_samples, n_features)`.
pub fn svd_init(x: &SparseData, dim: usize, seed: u64, ctx: &Context) -> Result<Vec<f64>> {
    let (n, d) = (x.n_rows(), x.n_cols());
    if dim > n.min(d) {
        return Err(Error::param("n_components", dim, format!("must be at most min(n_samples, n_features) = {} for init=\"pca\"", n.min(d))));
    }
    let ctx = Context { seed: Some(seed), threads: None, progress: ctx.progress, keep_data: false };
    let mut y: Vec<f64> = crate::embed::truncated_svd::sparse_embedding(x, dim, &ctx)?.iter().map(|&v| v as f64).collect();
    rescale(&mut y, dim);
    jitter(&mut y, dim, seed);
    Ok(y)
}

/// The random start `N(0, 1e-4²)`.
pub fn random_init(n: usize, dim: usize, seed: u64) -> Vec<f64> {
    let seeds = SeedSource::new(Some(seed));
    (0..n * dim).map(|i| INIT_STD * normal_f64(seeds.value(STAGE_RANDOM, 2 * i as u64), seeds.value(STAGE_RANDOM, 2 * i as u64 + 1))).collect()
}

/// The spectral start from the affinities `P`.
///
/// # Errors
/// The spectral embedding's ([`crate::graph::spectral::spectral_embedding`]).
pub fn spectral_init(p: &Affinities, dim: usize, seed: u64) -> Result<Vec<f64>> {
    let n = p.n_points();
    let mut indptr = Vec::with_capacity(n + 1);
    let (mut indices, mut weights) = (Vec::new(), Vec::new());
    indptr.push(0);
    for i in 0..n {
        let (cols, vals) = p.row(i);
        indices.extend_from_slice(cols);
        weights.extend(vals.iter().map(|&v| v as f32));
        indptr.push(indices.len());
    }
    let graph = SparseGraph::from_parts(n, indptr, indices, weights)?;
    let mut y = crate::graph::spectral::spectral_embedding(&graph, dim, Some(seed))?;
    rescale(&mut y, dim);
    jitter(&mut y, dim, seed);
    Ok(y)
}

/// Starting coordinates given as parameter `name` (row-major, `n_cols` a row), checked to be
/// finite; the error names the first that is not.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the row and column of a value that is not finite.
pub fn finite_coordinates(name: &'static str, values: &[f64], n_cols: usize) -> Result<Vec<f64>> {
    if let Some(p) = values.iter().position(|x| !x.is_finite()) {
        let c = n_cols.max(1);
        return Err(Error::param(name, format!("an array holding {} at row {}, column {}", values[p], p / c, p % c), "must hold finite coordinates"));
    }
    Ok(values.to_vec())
}

/// Checks a user's start against `n × dim`; returns openTSNE's warning when a column's
/// standard deviation exceeds 0.01.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `init` when the shape is wrong.
pub fn check_user_init(y: &[f64], n: usize, dim: usize) -> Result<Option<String>> {
    if y.len() != n * dim {
        return Err(Error::param("init", format!("an array of {} values", y.len()), format!("must have shape (n_samples, n_components) = ({n}, {dim})")));
    }
    let wide = (0..dim).any(|c| column_std(y, dim, c) > 0.01);
    Ok(wide.then(|| {
        "the initial embedding has a column with standard deviation above 0.01, which may slow convergence; openTSNE rescales its own starts to 1e-4"
            .to_string()
    }))
}
