//! The exact repulsive term of the t-SNE gradient: every pair, `O(n²)` per iteration.
//!
//! With `w_ij = (1 + d_ij²/α)^−α` (α = `dof`), [`repulsion`] writes
//! `Σ_{j≠i} w_ij^{(α+1)/α} (y_i − y_j)` for each point and returns `Z = Σ_{i≠j} w_ij`; the
//! gradient divides the first by the second. openTSNE has no exact gradient (its exact code
//! computes only the KL divergence); this is the formula its Barnes–Hut tree approximates, and
//! equals that tree at `theta = 0`.

use super::repulsion::{CHUNK, kernel};
use rayon::prelude::*;

/// The unnormalised repulsive forces of all points on each other (see the [module docs](self)):
/// `out` (`n × dim`, overwritten) gets `Σ_{j≠i} w_ij^{(α+1)/α} (y_i − y_j)`; returns `Z`.
///
/// `Z` is summed over fixed blocks of points in a fixed order, so it does not depend on the
/// thread count.
pub fn repulsion(y: &[f64], dim: usize, dof: f64, out: &mut [f64]) -> f64 {
    debug_assert_eq!(y.len(), out.len());
    let n = y.len() / dim;
    let partial: Vec<f64> = out
        .par_chunks_mut(dim * CHUNK)
        .enumerate()
        .map(|(c, block)| {
            let mut z = 0.0;
            for (r, g) in block.chunks_mut(dim).enumerate() {
                let i = c * CHUNK + r;
                z += point_force(y, dim, dof, &y[i * dim..(i + 1) * dim], Some(i), g);
            }
            z
        })
        .collect();
    debug_assert!(n == 0 || !partial.is_empty());
    partial.iter().sum()
}

/// The unnormalised repulsive forces of the `reference` points on each of `points` (none of
/// them a reference point): `out` (`m × dim`) gets `Σ_j w_ij^{(α+1)/α} (p_i − r_j)` and
/// `sum_q[i] = Σ_j w_ij`, each point's own normaliser (openTSNE's transform).
pub fn repulsion_against(reference: &[f64], points: &[f64], dim: usize, dof: f64, out: &mut [f64], sum_q: &mut [f64]) {
    debug_assert_eq!(points.len(), out.len());
    out.par_chunks_mut(dim).zip(sum_q.par_iter_mut()).enumerate().for_each(|(i, (g, q))| {
        *q = point_force(reference, dim, dof, &points[i * dim..(i + 1) * dim], None, g);
    });
}

/// The force on `p` from every point of `y` but `skip`, into `g`; returns the sum of kernels.
fn point_force(y: &[f64], dim: usize, dof: f64, p: &[f64], skip: Option<usize>, g: &mut [f64]) -> f64 {
    g.fill(0.0);
    let mut z = 0.0;
    for (j, yj) in y.chunks_exact(dim).enumerate() {
        if Some(j) == skip {
            continue;
        }
        let d2: f64 = p.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum();
        let (w, f) = kernel(d2, dof);
        z += w;
        for ((o, a), b) in g.iter_mut().zip(p).zip(yj) {
            *o += f * (a - b);
        }
    }
    z
}
