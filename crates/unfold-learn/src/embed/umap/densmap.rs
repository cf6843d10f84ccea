//! densMAP (Narayan, Berger & Cho 2021): UMAP plus a term that makes each point's local radius
//! in the embedding track its local radius in the data, as umap-learn's `densmap=True`.
//!
//! The local radius of point `j` is the log of the membership-weighted mean squared distance to
//! its graph neighbours: in the data `ro_j = ln(ε + Σ μ D² / Σ μ)` (with `D` the larger of the two
//! directed kNN distances of the edge), in the embedding `re_j = ln(ε + Σ φ d² / Σ φ)` with
//! `φ = 1/(1 + a d^{2b})`. During the last `dens_frac` of the epochs the layout also ascends the
//! correlation between `re` and the standardised `ro`, weighted by `dens_lambda`; the embedding's
//! statistics are taken at the start of each epoch, from the same snapshot the updates read.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::knn::KnnGraph;

use super::graph::FuzzyGraph;

/// `ε` inside the logarithms of the radii (umap-learn's 1e-8).
const EPS: f64 = 1e-8;

/// densMAP's parameters; `Default` = umap-learn's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensMapParams {
    /// Weight of the density term, `dens_lambda` (2.0); 0 turns it off.
    pub lambda: f32,
    /// Fraction of the epochs, at the end, in which the term is on, `dens_frac` (0.3).
    pub frac: f32,
    /// Added to the variance of the embedding's radii, `dens_var_shift` (0.1).
    pub var_shift: f32,
}

impl Default for DensMapParams {
    fn default() -> Self {
        DensMapParams { lambda: 2.0, frac: 0.3, var_shift: 0.1 }
    }
}

impl DensMapParams {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter.
    pub fn validate(&self) -> Result<()> {
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(Error::param("dens_lambda", self.lambda, "must be a finite number ≥ 0"));
        }
        if !(0.0..=1.0).contains(&self.frac) {
            return Err(Error::param("dens_frac", self.frac, "must be in [0, 1]"));
        }
        if !(self.var_shift.is_finite() && self.var_shift >= 0.0) {
            return Err(Error::param("dens_var_shift", self.var_shift, "must be a finite number ≥ 0"));
        }
        Ok(())
    }

    /// Whether the term is on in `epoch` of `n_epochs` (umap-learn: `(epoch + 1) / n_epochs > 1 − frac`).
    pub fn active(&self, epoch: usize, n_epochs: usize) -> bool {
        self.lambda > 0.0 && (epoch + 1) as f64 / n_epochs as f64 > 1.0 - self.frac as f64
    }
}

/// Log local radii of the data, `ro`, one per point of `graph`; `knn` gives the distances.
/// A point without edges gets `ln ε`.
pub fn original_radii(graph: &FuzzyGraph, knn: &KnnGraph) -> Vec<f32> {
    let directed = |i: usize, j: u32| -> Option<f32> {
        let (idx, dist) = knn.neighbors(i);
        idx.iter().position(|&c| c == j).map(|p| dist[p])
    };
    (0..graph.n_points())
        .into_par_iter()
        .map(|i| {
            let (cols, w) = graph.row(i);
            let (mut num, mut den) = (0.0f64, 0.0f64);
            for (&j, &mu) in cols.iter().zip(w) {
                let d = directed(i, j).into_iter().chain(directed(j as usize, i as u32)).fold(0.0f32, f32::max) as f64;
                num += mu as f64 * d * d;
                den += mu as f64;
            }
            (EPS + if den > 0.0 { num / den } else { 0.0 }).ln() as f32
        })
        .collect()
}

/// Log local radii of an embedding (`n × dim`) on the graph's edges, `re` (see the module docs).
pub fn embedding_radii(indptr: &[usize], indices: &[u32], embedding: &[f32], dim: usize, a: f32, b: f32) -> Vec<f32> {
    embedding_sums(indptr, indices, embedding, dim, a, b).into_iter().map(|(re, _)| re).collect()
}

/// Per point `(re, Σφ)` from the current coordinates.
fn embedding_sums(indptr: &[usize], indices: &[u32], embedding: &[f32], dim: usize, a: f32, b: f32) -> Vec<(f32, f32)> {
    (0..indptr.len() - 1)
        .into_par_iter()
        .map(|i| {
            let yi = &embedding[i * dim..(i + 1) * dim];
            let (mut num, mut den) = (0.0f64, 0.0f64);
            for &j in &indices[indptr[i]..indptr[i + 1]] {
                let yj = &embedding[j as usize * dim..(j as usize + 1) * dim];
                let d2: f64 = yi.iter().zip(yj).map(|(p, q)| ((p - q) as f64).powi(2)).sum();
                let phi = 1.0 / (1.0 + a as f64 * d2.powf(b as f64));
                num += phi * d2;
                den += phi;
            }
            ((EPS + if den > 0.0 { num / den } else { 0.0 }).ln() as f32, den as f32)
        })
        .collect()
}

/// What the layout needs for the whole run: the standardised original radii and the total
/// membership.
#[derive(Debug, Clone)]
pub(crate) struct DensTarget {
    pub params: DensMapParams,
    /// `(ro − mean) / std`.
    pub r: Vec<f32>,
    /// Σ of every stored membership (each edge counted in both directions, halved).
    pub mu_tot: f32,
}

impl DensTarget {
    pub fn new(params: DensMapParams, ro: &[f32], weights: &[f32]) -> DensTarget {
        let n = ro.len() as f64;
        let mean = ro.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = ro.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt();
        let r = ro.iter().map(|&v| if sd > 0.0 { ((v as f64 - mean) / sd) as f32 } else { 0.0 }).collect();
        // umap-learn sums memberships into both ends of each stored entry, then halves.
        let mu_tot = weights.iter().map(|&w| w as f64).sum::<f64>() as f32;
        DensTarget { params, r, mu_tot }
    }
}

/// The embedding's radius statistics at the start of an epoch.
pub(crate) struct DensEpoch<'a> {
    pub target: &'a DensTarget,
    /// Per point `(re, Σφ)`, with Σφ counted over both directions as umap-learn does.
    pub sums: Vec<(f32, f32)>,
    pub mean: f32,
    pub sd: f32,
    pub cov: f32,
    pub n: f32,
}

impl<'a> DensEpoch<'a> {
    pub fn new(target: &'a DensTarget, indptr: &[usize], indices: &[u32], snapshot: &[f32], dim: usize, a: f32, b: f32) -> DensEpoch<'a> {
        let mut sums = embedding_sums(indptr, indices, snapshot, dim, a, b);
        sums.iter_mut().for_each(|s| s.1 *= 2.0);
        let n = sums.len() as f64;
        let mean = sums.iter().map(|s| s.0 as f64).sum::<f64>() / n;
        let var = sums.iter().map(|s| (s.0 as f64 - mean).powi(2)).sum::<f64>() / n;
        let sd = (var + target.params.var_shift as f64).sqrt();
        let cov = sums.iter().zip(&target.r).map(|(s, &r)| s.0 as f64 * r as f64).sum::<f64>() / (n - 1.0).max(1.0);
        DensEpoch { target, sums, mean: mean as f32, sd: sd as f32, cov: cov as f32, n: n as f32 }
    }

    /// The coefficient `C` of the density term for the edge `(j, k)` of membership `mu`, at
    /// squared distance `d2` with `d2b = d2^b` (umap-learn's `grad_cor_coeff`).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn coefficient(&self, j: usize, k: usize, mu: f32, d2: f32, d2b: f32, a: f32, b: f32) -> f32 {
        let phi = 1.0 / (1.0 + a * d2b);
        let dphi = a * b * (d2b / d2) * phi;
        let (re_j, ps_j) = self.sums[j];
        let (re_k, ps_k) = self.sums[k];
        let base = 1.0 - b * (1.0 - phi);
        let dr_k = (phi / ps_k) * (base / re_k.exp() + dphi);
        let dr_j = (phi / ps_j) * (base / re_j.exp() + dphi);
        let sd2 = self.sd * self.sd;
        let w_k = self.target.r[k] - self.cov * (re_k - self.mean) / sd2;
        let w_j = self.target.r[j] - self.cov * (re_j - self.mean) / sd2;
        self.target.params.lambda * self.target.mu_tot * (w_k * dr_k + w_j * dr_j) / (mu * self.sd * self.n)
    }
}
