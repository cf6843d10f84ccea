//! UMAP's spectral initialisation (umap-learn's `spectral_layout`, `multi_component_layout` and
//! `noisy_scale_coords`): the [spectral embedding](crate::graph::spectral) of the fuzzy graph,
//! one box per connected component, then [`noisy_scale`].
//!
//! **Post-processing** ([`noisy_scale`], umap-learn's `noisy_scale_coords` then the min–max step of
//! `simplicial_set_embedding`): scale so that `max |x| = 10`, add `N(0, 10⁻⁴)` noise, then map each
//! column onto `[0, 10]`.
//!
//! **Failure.** When the eigensolver does not converge, [`spectral_layout`] returns
//! [`Error::Numerical`](crate::Error::Numerical) naming the stage; umap-learn then falls back to
//! a uniform random layout, and [`Umap`](super::Umap) falls back to PCA of the data with a
//! warning.
//!
//! With a seed the output is identical at any thread count.

use crate::error::Result;
use crate::graph::SparseGraph;
pub use crate::graph::spectral::EigenOptions;
use crate::graph::spectral::spectral_embedding_with;
use crate::rng::{SeedSource, normal_f64};
use rayon::prelude::*;

/// Stage of the noise's random draws (see [`SeedSource`]).
const STAGE_NOISE: u64 = 0x5ec7_0004;

/// UMAP's spectral initialisation of a symmetric weighted graph (both directions of every edge
/// present): `n × dim` row-major coordinates, each column in `[0, 10]`; the
/// [`spectral_embedding`](crate::graph::spectral::spectral_embedding) with the default
/// [`EigenOptions`], then [`noisy_scale`].
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// use unfold_learn::embed::umap::spectral::spectral_layout;
/// // A path 0 – 1 – 2 – 3 – 4 and an isolated vertex 5.
/// let g = SparseGraph::from_parts(6, vec![0, 1, 3, 5, 7, 8, 8], vec![1, 0, 2, 1, 3, 2, 4, 3], vec![1.0; 8])?;
/// let y = spectral_layout(&g, 2, Some(42))?;
/// assert_eq!(y.len(), 12);
/// assert!(y.iter().all(|v| (0.0..=10.0).contains(v)));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// As [`spectral_embedding`](crate::graph::spectral::spectral_embedding): an invalid `dim`, an
/// empty graph, or an eigensolver that fails (callers fall back to PCA).
pub fn spectral_layout(graph: &SparseGraph, dim: usize, seed: Option<u64>) -> Result<Vec<f32>> {
    spectral_layout_with(graph, dim, seed, &EigenOptions::default())
}

/// [`spectral_layout`] with explicit solver settings.
///
/// # Errors
/// As [`spectral_layout`].
pub fn spectral_layout_with(graph: &SparseGraph, dim: usize, seed: Option<u64>, options: &EigenOptions) -> Result<Vec<f32>> {
    let coords = spectral_embedding_with(graph, dim, seed, options)?;
    let mut out: Vec<f32> = coords.iter().map(|&v| v as f32).collect();
    noisy_scale(&mut out, dim, seed);
    Ok(out)
}

/// umap-learn's `noisy_scale_coords` followed by its per-column min–max scaling: multiply by
/// `10 / max |x|`, add `N(0, 10⁻⁴)` noise (drawn from `seed`), then map each of the `dim` columns
/// of the row-major `coords` onto `[0, 10]` (a constant column becomes 0).
///
/// ```
/// use unfold_learn::embed::umap::spectral::noisy_scale;
/// let mut y: Vec<f32> = vec![-1.0, 0.5, 0.0, 2.0, 3.0, -4.0];
/// noisy_scale(&mut y, 2, Some(1));
/// assert!(y.iter().all(|v| (0.0..=10.0).contains(v)));
/// assert!((y[0] - 0.0).abs() < 1e-6 && (y[4] - 10.0).abs() < 1e-6);
/// ```
pub fn noisy_scale(coords: &mut [f32], dim: usize, seed: Option<u64>) {
    if dim == 0 || coords.is_empty() {
        return;
    }
    let max = coords.iter().fold(0.0f64, |a, &v| a.max((v as f64).abs()));
    let expansion = if max > 0.0 && max.is_finite() { 10.0 / max } else { 1.0 };
    let seeds = SeedSource::new(seed);
    // Two hashes and a logarithm per value: on 10M points, a second on one thread.
    let y: Vec<f64> = coords
        .par_iter()
        .enumerate()
        .map(|(i, &v)| v as f64 * expansion + 1e-4 * normal_f64(seeds.value(STAGE_NOISE, 2 * i as u64), seeds.value(STAGE_NOISE, 2 * i as u64 + 1)))
        .collect();
    for d in 0..dim {
        let col = || y.iter().skip(d).step_by(dim);
        let lo = col().fold(f64::INFINITY, |a, &v| a.min(v));
        let hi = col().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
        let range = hi - lo;
        for (o, &v) in coords.iter_mut().skip(d).step_by(dim).zip(col()) {
            *o = if range > 0.0 && range.is_finite() { (10.0 * (v - lo) / range).clamp(0.0, 10.0) as f32 } else { 0.0 };
        }
    }
}
