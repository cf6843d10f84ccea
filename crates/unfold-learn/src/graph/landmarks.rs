//! Landmarks of a kernel graph and the landmark diffusion operator, as graphtools'
//! `LandmarkGraph` builds them for PHATE (Moon et al. 2019, Methods, "landmarking").
//!
//! 1. **Clusters** ([`spectral_clusters`]): the top `n_svd` singular vectors `V` of
//!    `D^-½ K D^-½` (a randomized SVD, Halko et al. 2011, as graphtools' `randomized_svd`), the
//!    rows of `P V` (`P = D⁻¹K`) clustered by k-means into `n_landmark` groups. graphtools runs
//!    scikit-learn's `MiniBatchKMeans`; this is Lloyd's k-means from `n_landmark` distinct
//!    points drawn from the seed, so the clusters are a different partition of the same
//!    features. [`random_clusters`]: `n_landmark` points drawn at random, each point to its
//!    nearest (graphtools' `random_landmarking`). Empty clusters are dropped, as graphtools
//!    keeps only the labels that occur.
//! 2. **Operator** ([`LandmarkOperator::new`]): `P_mn` with row `c` = `Σ_{i∈c} K[i, :]`,
//!    `transitions = rownorm(P_mnᵀ)` (`n × m`) and `landmark_op = rownorm(P_mn) · transitions`
//!    (`m × m`, row-stochastic). Anything computed on the landmarks reaches the points through
//!    `transitions`.

use faer::Mat;
use rayon::prelude::*;

use super::csr::SparseGraph;
use super::diffusion::DiffusionOperator;
use crate::error::Result;
use crate::linalg::mds::DistancesTo;
use crate::linalg::{DataF64, orthonormalize, thin_svd};
use crate::rng::{SeedSource, sample_sorted, unit_f64};

/// Power iterations of the randomized SVD (scikit-learn's `n_iter="auto"` for few components).
const POWER_ITERATIONS: usize = 7;
/// Extra columns of the randomized SVD (scikit-learn's `n_oversamples`).
const OVERSAMPLES: usize = 10;
/// Lloyd iterations at most.
const KMEANS_ITERATIONS: usize = 100;
const STAGE_SVD: u64 = 0x6c6d_0001;
const STAGE_CENTRES: u64 = 0x6c6d_0002;

/// Rows of `P V` for the top `n_svd` singular vectors `V` of the kernel's symmetric conjugate
/// (see the [module docs](self)): `n × n_svd` row-major.
pub fn spectral_features(kernel: &SparseGraph, n_svd: usize, seed: Option<u64>) -> Result<(Vec<f64>, usize)> {
    let n = kernel.n_points();
    let a = DiffusionOperator::new(kernel, 0.0);
    let op = a.symmetric();
    let l = (n_svd + OVERSAMPLES).min(n);
    let seeds = SeedSource::new(seed);
    let omega: Vec<f64> = (0..n * l).map(|u| 2.0 * unit_f64(seeds.value(STAGE_SVD, u as u64)) - 1.0).collect();
    let mut y = vec![0f64; n * l];
    op.apply(&omega, &mut y, l);
    let mut q = orthonormalize(Mat::from_fn(n, l, |i, c| y[i * l + c]).as_ref());
    let mut x = vec![0f64; n * l];
    for _ in 0..POWER_ITERATIONS {
        x.iter_mut().enumerate().for_each(|(p, v)| *v = q[(p / l, p % l)]);
        op.apply(&x, &mut y, l);
        q = orthonormalize(Mat::from_fn(n, l, |i, c| y[i * l + c]).as_ref());
    }
    // B = Qᵀ A; with A symmetric, Bᵀ = A Q = U S Wᵀ and B's right singular vectors are U.
    x.iter_mut().enumerate().for_each(|(p, v)| *v = q[(p / l, p % l)]);
    op.apply(&x, &mut y, l);
    let b = Mat::from_fn(l, n, |c, i| y[i * l + c]);
    let (_, vt) = thin_svd(b.as_ref(), "landmark spectral clustering")?;
    let k = n_svd.min(l);
    let degree = kernel.degrees();
    let mut features = vec![0f64; n * k];
    features.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
        let (cols, w) = kernel.row(i);
        for (&j, &w) in cols.iter().zip(w) {
            for (c, f) in row.iter_mut().enumerate() {
                *f += w as f64 * vt[(c, j as usize)];
            }
        }
        row.iter_mut().for_each(|f| *f /= degree[i]);
    });
    Ok((features, k))
}

/// Lloyd's k-means of the rows of `x` (`n × dim`) into at most `m` clusters from `m` distinct
/// rows drawn from `seed`; labels `0 … m' − 1` numbered by first centre, empty clusters dropped.
pub fn kmeans_labels(x: &[f64], n: usize, dim: usize, m: usize, seed: Option<u64>) -> Vec<u32> {
    let seeds = SeedSource::new(seed);
    let start = sample_sorted(n, m, &seeds, STAGE_CENTRES);
    let m = start.len();
    let mut centres: Vec<f64> = start.iter().flat_map(|&i| x[i * dim..(i + 1) * dim].iter().copied()).collect();
    let mut labels = vec![u32::MAX; n];
    let data = DataF64::from_row_major(x, n, dim).expect("features are finite");
    for _ in 0..KMEANS_ITERATIONS {
        let new = nearest(&data, &centres, m, dim);
        if new == labels {
            break;
        }
        labels = new;
        let mut sums = vec![0f64; m * dim];
        let mut counts = vec![0usize; m];
        for (i, &c) in labels.iter().enumerate() {
            counts[c as usize] += 1;
            sums[c as usize * dim..(c as usize + 1) * dim].iter_mut().zip(&x[i * dim..(i + 1) * dim]).for_each(|(s, v)| *s += v);
        }
        for ((centre, sum), &count) in centres.chunks_exact_mut(dim).zip(sums.chunks_exact(dim)).zip(&counts) {
            if count > 0 {
                centre.iter_mut().zip(sum).for_each(|(o, s)| *o = s / count as f64);
            }
        }
    }
    compact(&labels)
}

/// Each row of `data` to its nearest centre (`m × dim`), ties to the lowest index.
fn nearest(data: &DataF64, centres: &[f64], m: usize, dim: usize) -> Vec<u32> {
    const BLOCK: usize = 64;
    let targets = DataF64::from_row_major(centres, m, dim).expect("centres are finite");
    let to = DistancesTo::new(&targets);
    let n = data.n_rows();
    let mut labels = vec![0u32; n];
    labels.par_chunks_mut(BLOCK).enumerate().for_each_init(
        || (Vec::new(), vec![0f64; BLOCK * m]),
        |(scratch, d), (b, out)| {
            let first = b * BLOCK;
            let d = &mut d[..out.len() * m];
            to.block(data, first, out.len(), scratch, d);
            for (r, o) in out.iter_mut().enumerate() {
                let row = &d[r * m..(r + 1) * m];
                *o = (0..m).fold(0, |best, c| if row[c] < row[best] { c } else { best }) as u32;
            }
        },
    );
    labels
}

/// Labels renumbered `0 …` in order of first appearance of their value, as sorted values
/// (np.unique's order): the kept clusters in increasing original label.
fn compact(labels: &[u32]) -> Vec<u32> {
    let mut used: Vec<u32> = labels.to_vec();
    used.sort_unstable();
    used.dedup();
    labels.iter().map(|l| used.binary_search(l).expect("label present") as u32).collect()
}

/// graphtools' random landmarks: `m` rows of `data` drawn from `seed`, each row to its nearest.
pub fn random_clusters(data: &DataF64, m: usize, seed: Option<u64>) -> Vec<u32> {
    let (n, dim) = (data.n_rows(), data.n_cols());
    let chosen = sample_sorted(n, m, &SeedSource::new(seed), STAGE_CENTRES);
    let centres: Vec<f64> = chosen.iter().flat_map(|&i| data.row(i).iter().copied()).collect();
    compact(&nearest(data, &centres, chosen.len(), dim))
}

/// The landmark operator and transitions of a symmetric kernel and cluster labels (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LandmarkOperator {
    /// Landmarks `m` (distinct labels).
    pub n_landmarks: usize,
    /// `landmark_op`, `m × m` row-major, row-stochastic.
    pub operator: Vec<f64>,
    /// `transitions`, per point its landmarks and weights (summing to 1).
    pub transitions: Vec<Vec<(u32, f64)>>,
}

impl LandmarkOperator {
    /// From the symmetric kernel `kernel` and labels `0 … m − 1` (every label used).
    pub fn new(kernel: &SparseGraph, labels: &[u32]) -> LandmarkOperator {
        let n = kernel.n_points();
        let m = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        // Row j of P_mnᵀ: Σ_{i∈c} K_ij = Σ over j's neighbours i (K symmetric) by label.
        let transitions: Vec<Vec<(u32, f64)>> = (0..n)
            .into_par_iter()
            .map(|j| {
                let (cols, w) = kernel.row(j);
                let mut row: Vec<(u32, f64)> = cols.iter().zip(w).map(|(&i, &w)| (labels[i as usize], w as f64)).collect();
                row.sort_by_key(|&(c, _)| c);
                let mut merged: Vec<(u32, f64)> = Vec::with_capacity(row.len());
                for (c, w) in row {
                    match merged.last_mut() {
                        Some((lc, lw)) if *lc == c => *lw += w,
                        _ => merged.push((c, w)),
                    }
                }
                let total: f64 = merged.iter().map(|&(_, w)| w).sum();
                merged.iter_mut().for_each(|(_, w)| *w /= total);
                merged
            })
            .collect();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); m];
        for (i, &c) in labels.iter().enumerate() {
            members[c as usize].push(i as u32);
        }
        // Row c of landmark_op: Σ_{i∈c} Σ_j K_ij transitions[j] / Σ_{i∈c} Σ_j K_ij.
        let mut operator = vec![0f64; m * m];
        operator.par_chunks_mut(m.max(1)).zip(&members).for_each(|(out, group)| {
            let mut total = 0.0;
            for &i in group {
                let (cols, w) = kernel.row(i as usize);
                for (&j, &w) in cols.iter().zip(w) {
                    total += w as f64;
                    for &(c, t) in &transitions[j as usize] {
                        out[c as usize] += w as f64 * t;
                    }
                }
            }
            out.iter_mut().for_each(|v| *v /= total);
        });
        LandmarkOperator { n_landmarks: m, operator, transitions }
    }

    /// `transitions · y` for landmark coordinates `y` (`m × k`): `n × k`.
    pub fn interpolate(&self, y: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0f64; self.transitions.len() * k];
        out.par_chunks_mut(k).zip(&self.transitions).for_each(|(o, row)| {
            for &(c, t) in row {
                o.iter_mut().zip(&y[c as usize * k..(c as usize + 1) * k]).for_each(|(o, v)| *o += t * v);
            }
        });
        out
    }
}
