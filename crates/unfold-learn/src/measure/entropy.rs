//! Diffusion spectral entropy and mutual information (Liao, Liu et al., "Assessing Neural
//! Network Representations During Training Using Noise-Resilient Diffusion Spectral Entropy",
//! 2023), as the authors' `dse_dsmi` package defines them.
//!
//! * **The diffusion operator** of `n` points: the Gaussian kernel
//!   `G_ij = exp(−‖x_i − x_j‖² / 2σ²)` on all pairs, self-affinities included (the package's
//!   `gaussian_kernel_sigma`, default 10; its constant `1 / σ√2π` cancels), and the Markov matrix
//!   `P = D⁻¹ G` — [`DiffusionOperator`] with `α = 0`, whose symmetric conjugate
//!   `D^-½ G D^-½` has the eigenvalues `λ_i` of `P`, all of them found by a dense symmetric
//!   eigensolver.
//! * **DSE** at diffusion time `t`: the Shannon entropy in bits of the spectrum of `P^t`,
//!   `p_i = |λ_i|^t / Σ_j |λ_j|^t + ε` (ε = `f64::EPSILON`, as the package adds), `DSE = −Σ p_i
//!   log₂ p_i`. Powering by `t` suppresses the small eigenvalues that noise adds; the entropy
//!   grows with the number of diffusion components that survive, a noise-resilient intrinsic
//!   dimension. Above `max_n` points (default 10,000) a seeded uniform subsample is used.
//! * **DSMI** between a representation `A` and a discrete variable `B` (class labels, or the
//!   bins of a continuous scalar): `Σ_b p(B = b) [DSE(A*) − DSE(A | B = b)]`, where
//!   `DSE(A | B = b)` is the entropy of the points of class `b` and `DSE(A*)` the mean entropy of
//!   `num_repetitions` uniform subsamples of `A` of the class's size (the package's estimate
//!   of `DSE(A)` at the same sample size). A continuous scalar `B` is min–max scaled and cut into
//!   `n_clusters` equal bins, as the package does.
//!
//! Deliberate differences: the subsamples come from the crate's seeded generator (the package
//! uses Python's `random` seeded with `random_seed`), so DSMI agrees with the package exactly
//! only when no subsample is drawn at random — a statistic of equal-sized draws otherwise; the
//! kernel is stored in `f32` (the diffusion operator's graph), which moves the entropy by about
//! `1e-6` relative. As the package, a subsample draw depends only on its size and repetition,
//! so classes of equal size share their `DSE(A*)` draws.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::graph::csr::SparseGraph;
use crate::graph::diffusion::DiffusionOperator;
use crate::graph::spectral_clustering::spectral_clustering;
use crate::linalg::mds::euclidean_dissimilarities;
use crate::linalg::symmetric_eigenvalues;
use crate::progress::Progress;
use crate::rng::{SeedSource, sample_sorted};

/// Largest number of points whose dense kernel is built (the operator's graph and its dense
/// copy take about 28 bytes a pair).
pub const MAX_POINTS: usize = 20_000;
/// Neighbours of the spectral clustering of reference vectors (scikit-learn's default).
const SPECTRAL_NEIGHBORS: usize = 10;

/// What [`diffusion_spectral_entropy`] computes, with the `dse_dsmi` package's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DseParams {
    /// Bandwidth `σ` of the Gaussian kernel (`gaussian_kernel_sigma`, default 10).
    pub sigma: f64,
    /// Diffusion time: the power of the eigenvalues (`t`, default 1).
    pub t: u32,
    /// At most this many points; a seeded uniform subsample above (`max_N`, default 10,000).
    pub max_n: Option<usize>,
    /// Seed of the subsamples (`random_seed`, default 0).
    pub seed: u64,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for DseParams {
    fn default() -> Self {
        DseParams { sigma: 10.0, t: 1, max_n: Some(10_000), seed: 0, threads: None }
    }
}

/// The result of [`diffusion_spectral_entropy`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dse {
    /// The entropy in bits.
    pub entropy: f64,
    /// The eigenvalues of the Markov matrix `P` (before the power `t`), in decreasing order.
    pub eigenvalues: Vec<f64>,
    /// The rows used, in increasing order (all of them unless above `max_n`).
    pub rows: Vec<usize>,
}

fn validate(params: &DseParams) -> Result<()> {
    if !(params.sigma.is_finite() && params.sigma > 0.0) {
        return Err(Error::param("gaussian_kernel_sigma", params.sigma, "must be a positive finite number"));
    }
    if let Some(m) = params.max_n
        && m == 0
    {
        return Err(Error::param("max_N", m, "must be at least 1 (or None: all points)"));
    }
    crate::threads::check(params.threads)
}

fn check_size(n: usize) -> Result<()> {
    if n > MAX_POINTS {
        return Err(Error::param("max_N", n, format!("is too many points for the dense diffusion operator (at most {MAX_POINTS}); pass a smaller max_N")));
    }
    Ok(())
}

/// The eigenvalues (decreasing) of the Markov matrix of the Gaussian kernel of bandwidth `sigma`
/// on all pairs of rows of `data`: [`DiffusionOperator`] with `α = 0` on the dense kernel graph,
/// its symmetric conjugate diagonalised in full.
///
/// # Errors
/// [`Error::Numerical`] when the eigensolver fails.
pub fn diffusion_spectrum(data: &Data, sigma: f64) -> Result<Vec<f64>> {
    let n = data.n_rows();
    if n == 0 {
        return Ok(Vec::new());
    }
    let operator = {
        let mut weights = euclidean_dissimilarities(data);
        let scale = -0.5 / (sigma * sigma);
        let weights: Vec<f32> = {
            weights.par_iter_mut().for_each(|d| *d = (*d * *d * scale).exp());
            weights.into_par_iter().map(|w| w as f32).collect()
        };
        let indices: Vec<u32> = (0..n * n).map(|e| (e % n) as u32).collect();
        let indptr: Vec<usize> = (0..=n).map(|i| i * n).collect();
        let kernel = SparseGraph::from_parts(n, indptr, indices, weights)?;
        DiffusionOperator::new(&kernel, 0.0)
    };
    let dense = operator.symmetric().to_dense();
    drop(operator);
    symmetric_eigenvalues(dense.as_ref(), "diffusion spectral entropy")
}

/// The entropy in bits of the spectrum `eigenvalues` at diffusion time `t`:
/// `p_i = |λ_i|^t / Σ|λ_j|^t + ε`, `−Σ p_i log₂ p_i` (the `dse_dsmi` package's formula).
pub fn spectral_entropy(eigenvalues: &[f64], t: u32) -> f64 {
    let powered: Vec<f64> = eigenvalues.iter().map(|l| l.abs().powi(t as i32)).collect();
    let total: f64 = powered.iter().sum();
    powered
        .iter()
        .map(|&v| {
            let p = v / total + f64::EPSILON;
            -p * p.log2()
        })
        .sum()
}

/// Diffusion spectral entropy of the rows of `data` (see the [module docs](self)).
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::measure::entropy::{DseParams, diffusion_spectral_entropy};
/// // Points far apart (σ small): P is the identity, n eigenvalues 1, entropy log₂ n.
/// let x: Vec<f32> = (0..8).map(|i| 100.0 * i as f32).collect();
/// let dse = diffusion_spectral_entropy(&Data::from_row_major(&x, 8, 1)?, &DseParams::default(), &NoProgress)?;
/// assert!((dse.entropy - 3.0).abs() < 1e-9);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `sigma` not positive and finite, `max_n = 0`, more than
/// [`MAX_POINTS`] points to use; [`Error::InvalidData`] for no rows; [`Error::Numerical`],
/// [`Error::Cancelled`].
pub fn diffusion_spectral_entropy(data: &Data, params: &DseParams, progress: &dyn Progress) -> Result<Dse> {
    validate(params)?;
    let n = data.n_rows();
    if n == 0 {
        return Err(Error::InvalidData("diffusion spectral entropy needs at least 1 point, got 0".into()));
    }
    let rows = match params.max_n {
        Some(m) if m < n => sample_sorted(n, m, &SeedSource::new(Some(params.seed)), 0),
        _ => (0..n).collect(),
    };
    check_size(rows.len())?;
    crate::threads::install(params.threads, || {
        progress.stage("diffusion spectrum", 0);
        let eigenvalues = if rows.len() == n { diffusion_spectrum(data, params.sigma)? } else { diffusion_spectrum(&data.select_rows(&rows), params.sigma)? };
        progress.finish_stage();
        progress.check()?;
        Ok(Dse { entropy: spectral_entropy(&eigenvalues, params.t), eigenvalues, rows })
    })?
}

/// The second variable of [`diffusion_spectral_mutual_information`].
#[derive(Debug, Clone, PartialEq)]
pub enum Reference<'a> {
    /// Discrete values (class labels), one a row.
    Labels(&'a [i64]),
    /// A continuous scalar, one a row: min–max scaled and cut into `n_clusters` equal bins.
    Scalar(&'a [f64]),
    /// Continuous vectors, `n_cols` a row (row-major): their `n_clusters` spectral clusters
    /// ([`spectral_clustering`](crate::graph::spectral_clustering), the package's
    /// `SpectralClustering(affinity="nearest_neighbors", assign_labels="cluster_qr")`).
    Vectors(&'a [f32], usize),
}

/// What [`diffusion_spectral_mutual_information`] computes, with the `dse_dsmi` package's
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DsmiParams {
    /// The entropy's parameters (`gaussian_kernel_sigma`, `t`, `max_N`, `random_seed`).
    pub dse: DseParams,
    /// Subsamples drawn to estimate `DSE(A)` at each class's size (`num_repetitions`, default 5).
    pub num_repetitions: usize,
    /// Bins of a continuous scalar reference (`n_clusters`, default 10).
    pub n_clusters: usize,
}

impl Default for DsmiParams {
    fn default() -> Self {
        DsmiParams { dse: DseParams::default(), num_repetitions: 5, n_clusters: 10 }
    }
}

/// One class's terms of the mutual information.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassTerm {
    /// The class (the label, or the bin `1..=n_clusters` of a scalar reference).
    pub class: i64,
    /// Its number of points.
    pub count: usize,
    /// `DSE(A | B = class)`.
    pub conditional_entropy: f64,
    /// `DSE(A*)`: the mean entropy of the random subsamples of the class's size.
    pub subsample_entropy: f64,
}

/// The result of [`diffusion_spectral_mutual_information`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dsmi {
    /// The mutual information in bits.
    pub mutual_information: f64,
    /// The class of each row (the labels, or the bins of a scalar reference).
    pub clusters: Vec<i64>,
    /// The terms of each class, in increasing class order.
    pub classes: Vec<ClassTerm>,
}

/// The bins `1..=n_clusters` of a min–max scaled scalar (numpy's `digitize` on
/// `linspace(0, 1, n_clusters + 1)[:-1]`, as the package).
fn scalar_bins(values: &[f64], n_clusters: usize) -> Result<Vec<i64>> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidData(format!("the reference must be finite, but row {i} holds {}", values[i])));
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi <= lo {
        return Err(Error::InvalidData(format!("a continuous reference must take more than one value to be binned, but all its rows hold {lo}")));
    }
    let edges: Vec<f64> = (0..n_clusters).map(|i| i as f64 / n_clusters as f64).collect();
    Ok(values
        .iter()
        .map(|&v| {
            let s = (v - lo) / (hi - lo);
            edges.partition_point(|&e| e <= s) as i64
        })
        .collect())
}

/// The package's spectral clusters of reference vectors: scikit-learn's default 10 neighbours
/// (the point itself counted), its fixed `random_state=0`.
fn vector_clusters(values: &[f32], cols: usize, params: &DsmiParams, progress: &dyn Progress) -> Result<Vec<i64>> {
    let n = values.len() / cols;
    if params.n_clusters > n || n < SPECTRAL_NEIGHBORS {
        return Err(Error::param(
            "n_clusters",
            params.n_clusters,
            format!("spectral clustering of {n} reference rows needs n_clusters in [1, {n}] and at least {SPECTRAL_NEIGHBORS} rows (its neighbours)"),
        ));
    }
    let reference = Data::from_row_major(values, n, cols)?;
    let labels = crate::threads::install(params.dse.threads, || spectral_clustering(&reference, params.n_clusters, SPECTRAL_NEIGHBORS, Some(0), progress))??;
    Ok(labels.into_iter().map(|l| l as i64).collect())
}

/// Diffusion spectral mutual information between the rows of `data` and `reference` (see the
/// [module docs](self)).
///
/// # Errors
/// As [`diffusion_spectral_entropy`]; [`Error::InvalidParameter`] for `num_repetitions` or
/// `n_clusters` 0; [`Error::InvalidData`] for a reference whose length is not the number of
/// rows, a non-finite or constant scalar reference.
pub fn diffusion_spectral_mutual_information(data: &Data, reference: &Reference<'_>, params: &DsmiParams, progress: &dyn Progress) -> Result<Dsmi> {
    validate(&params.dse)?;
    if params.num_repetitions == 0 {
        return Err(Error::param("num_repetitions", 0, "must be at least 1"));
    }
    if params.n_clusters == 0 {
        return Err(Error::param("n_clusters", 0, "must be at least 1"));
    }
    let n = data.n_rows();
    if n == 0 {
        return Err(Error::InvalidData("diffusion spectral mutual information needs at least 1 point, got 0".into()));
    }
    let len = match reference {
        Reference::Labels(l) => l.len(),
        Reference::Scalar(s) => s.len(),
        Reference::Vectors(v, cols) => {
            if *cols == 0 || v.len() % cols != 0 {
                return Err(Error::InvalidData(format!("reference vectors of {} values cannot be rows of {cols} columns", v.len())));
            }
            v.len() / cols
        }
    };
    if len != n {
        return Err(Error::InvalidData(format!("the reference has {len} rows but the data has {n}; give one value per row")));
    }
    let clusters = match reference {
        Reference::Labels(l) => l.to_vec(),
        Reference::Scalar(s) => scalar_bins(s, params.n_clusters)?,
        Reference::Vectors(v, cols) => vector_clusters(v, *cols, params, progress)?,
    };
    let mut members: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &c) in clusters.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    let cap = |m: usize| params.dse.max_n.map_or(m, |c| m.min(c));
    if let Some(largest) = members.values().map(Vec::len).max() {
        check_size(cap(largest))?;
    }
    // One job per class (its conditional entropy) and per distinct class size and repetition
    // (a subsample of that size): the draws depend only on the size and the repetition.
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = members.values().map(Vec::len).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let classes: Vec<(&i64, &Vec<usize>)> = members.iter().collect();
    let jobs: Vec<(Option<usize>, usize, usize)> =
        (0..classes.len()).map(|c| (Some(c), 0, 0)).chain(sizes.iter().flat_map(|&m| (0..params.num_repetitions).map(move |r| (None, m, r)))).collect();
    let seeds = SeedSource::new(Some(params.dse.seed));
    let entropy_of = |rows: &[usize]| -> Result<f64> {
        // The package caps every entropy at `max_N` points with its own subsample.
        let rows: Vec<usize> = match params.dse.max_n {
            Some(m) if m < rows.len() => sample_sorted(rows.len(), m, &seeds, 0).into_iter().map(|i| rows[i]).collect(),
            _ => rows.to_vec(),
        };
        let spectrum = diffusion_spectrum(&data.select_rows(&rows), params.dse.sigma)?;
        Ok(spectral_entropy(&spectrum, params.dse.t))
    };
    let results: Vec<f64> = crate::threads::install(params.dse.threads, || {
        progress.stage("diffusion spectra", jobs.len() as u64);
        let out = jobs
            .par_iter()
            .map(|&(class, size, rep)| {
                progress.check()?;
                let rows = match class {
                    Some(c) => classes[c].1.clone(),
                    None => sample_sorted(n, size, &seeds, 1 + rep as u64),
                };
                let h = entropy_of(&rows);
                progress.inc(1);
                h
            })
            .collect::<Result<Vec<f64>>>();
        progress.finish_stage();
        out
    })??;
    let subsample_mean = |m: usize| {
        let at = classes.len() + sizes.binary_search(&m).expect("a class size") * params.num_repetitions;
        results[at..at + params.num_repetitions].iter().sum::<f64>() / params.num_repetitions as f64
    };
    let terms: Vec<ClassTerm> = classes
        .iter()
        .enumerate()
        .map(|(c, (class, rows))| ClassTerm {
            class: **class,
            count: rows.len(),
            conditional_entropy: results[c],
            subsample_entropy: subsample_mean(rows.len()),
        })
        .collect();
    let mutual_information = terms.iter().map(|t| t.count as f64 / n as f64 * (t.subsample_entropy - t.conditional_entropy)).sum();
    Ok(Dsmi { mutual_information, clusters, classes: terms })
}
