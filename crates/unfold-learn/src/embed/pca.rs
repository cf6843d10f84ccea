//! Principal component analysis.
//!
//! Projects centred data `X − 1μᵀ` onto its top `k` right singular vectors. Three solvers, chosen
//! automatically as scikit-learn (≥ 1.5) chooses them:
//!
//! * `CovarianceEigh` when `d ≤ 1000` and `n ≥ 10 d`: eigendecomposition of the `d × d` scatter
//!   matrix, streamed from the data in blocks (no centred copy);
//! * `Full` when `max(n, d) ≤ 500` or `k ≥ 0.8 min(n, d)`: thin SVD of the centred data;
//! * `Randomized` otherwise: Halko et al. (2011) range finder with `k + 10` columns and 7 power
//!   iterations (4 when `k ≥ 0.1 min(n, d)`), centring applied implicitly.
//!
//! Signs follow scikit-learn's `svd_flip(u_based_decision=False)`: in each component the entry of
//! largest magnitude is positive. `explained_variance = S² / (n − 1)`.
//!
//! ```
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..200).map(|i| ((i * 7919) % 101) as f32 / 10.0).collect();
//! let data = Data::from_row_major(&x, 50, 4)?;
//! let pca = Pca::builder().n_components(2).build()?.fit(&data)?;
//! assert_eq!(pca.components().len(), 2 * 4);
//! assert!(pca.explained_variance()[0] >= pca.explained_variance()[1]);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use faer::{Mat, MatRef};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Data;
use crate::error::{Error, Result};
use crate::linalg;
use crate::progress::{NoProgress, Progress};
use crate::rng::{SeedSource, normal_f64};

/// How the principal components are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PcaSolver {
    /// scikit-learn's automatic choice (see the module docs).
    #[default]
    Auto,
    /// Thin SVD of the centred data.
    Full,
    /// Eigendecomposition of the covariance matrix.
    CovarianceEigh,
    /// Randomized range finder + small SVD.
    Randomized,
}

impl PcaSolver {
    /// Parses `auto`, `full`, `covariance_eigh` or `randomized`.
    pub fn parse(s: &str) -> Result<PcaSolver> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "auto" => Ok(PcaSolver::Auto),
            "full" => Ok(PcaSolver::Full),
            "covariance_eigh" => Ok(PcaSolver::CovarianceEigh),
            "randomized" => Ok(PcaSolver::Randomized),
            _ => Err(Error::param("svd_solver", s, "must be one of auto, full, covariance_eigh, randomized")),
        }
    }

    /// The name as scikit-learn spells it (`auto`, `full`, `covariance_eigh`, `randomized`).
    pub fn name(self) -> &'static str {
        match self {
            PcaSolver::Auto => "auto",
            PcaSolver::Full => "full",
            PcaSolver::CovarianceEigh => "covariance_eigh",
            PcaSolver::Randomized => "randomized",
        }
    }

    /// The solver `Auto` picks for an `n × d` problem with `k` components.
    pub fn resolve(self, n: usize, d: usize, k: usize) -> PcaSolver {
        if self != PcaSolver::Auto {
            return self;
        }
        if d <= 1000 && n >= 10 * d {
            PcaSolver::CovarianceEigh
        } else if n.max(d) <= 500 || (k as f64) >= 0.8 * n.min(d) as f64 {
            PcaSolver::Full
        } else {
            PcaSolver::Randomized
        }
    }
}

/// PCA parameters. `Default` matches scikit-learn's `PCA(n_components=2)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaParams {
    /// Number of components `k` (1 ≤ k ≤ min(n, d)).
    pub n_components: usize,
    /// Solver; see [`PcaSolver`].
    pub solver: PcaSolver,
    /// Extra columns for the randomized solver (scikit-learn's `n_oversamples`, default 10).
    pub n_oversamples: usize,
    /// Power iterations for the randomized solver; `None` = 7, or 4 when `k ≥ 0.1 min(n, d)`.
    pub n_power_iter: Option<usize>,
    /// Seed for the randomized solver.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for PcaParams {
    fn default() -> Self {
        PcaParams { n_components: 2, solver: PcaSolver::Auto, n_oversamples: 10, n_power_iter: None, seed: None, threads: None }
    }
}

/// Validated PCA, ready to fit.
#[derive(Debug, Clone)]
pub struct Pca {
    params: PcaParams,
}

/// Builder for [`Pca`]; every setter takes and returns the builder.
#[derive(Debug, Clone, Default)]
pub struct PcaBuilder {
    params: PcaParams,
}

impl PcaBuilder {
    /// Number of components.
    pub fn n_components(mut self, k: usize) -> Self {
        self.params.n_components = k;
        self
    }
    /// Solver.
    pub fn solver(mut self, s: PcaSolver) -> Self {
        self.params.solver = s;
        self
    }
    /// Seed (randomized solver).
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = Some(seed);
        self
    }
    /// Worker threads.
    pub fn threads(mut self, t: usize) -> Self {
        self.params.threads = Some(t);
        self
    }
    /// Validates the parameters.
    pub fn build(self) -> Result<Pca> {
        Pca::new(self.params)
    }
}

impl Pca {
    /// A builder starting from the defaults.
    pub fn builder() -> PcaBuilder {
        PcaBuilder::default()
    }

    /// Validates `params`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_components == 0` or `threads == Some(0)`.
    pub fn new(params: PcaParams) -> Result<Pca> {
        if params.n_components == 0 {
            return Err(Error::param("n_components", 0, "must be at least 1"));
        }
        crate::threads::check(params.threads)?;
        Ok(Pca { params })
    }

    /// The parameters.
    pub fn params(&self) -> &PcaParams {
        &self.params
    }

    /// Fits the model and embeds `data`.
    pub fn fit(&self, data: &Data) -> Result<PcaModel> {
        self.fit_with_progress(data, &NoProgress)
    }

    /// Like [`Pca::fit`], reporting to `progress`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] with fewer than 2 rows; [`Error::InvalidParameter`] when
    /// `n_components > min(n, d)`; [`Error::Numerical`] if a decomposition fails;
    /// [`Error::Cancelled`].
    pub fn fit_with_progress(&self, data: &Data, progress: &dyn Progress) -> Result<PcaModel> {
        crate::threads::install(self.params.threads, || self.fit_inner(data, progress))?
    }

    fn fit_inner(&self, data: &Data, progress: &dyn Progress) -> Result<PcaModel> {
        let (n, d) = (data.n_rows(), data.n_cols());
        let k = self.params.n_components;
        data.require_rows(2, "PCA")?;
        if k > n.min(d) {
            return Err(Error::param(
                "n_components",
                k,
                format!("must be between 1 and min(n_samples, n_features) = min({n}, {d}) = {}", n.min(d)),
            ));
        }
        let solver = self.params.solver.resolve(n, d, k);
        progress.stage("PCA", 3);
        let mean = linalg::column_means(data);
        progress.inc(1);
        progress.check()?;
        let (singular, vt, total_var) = match solver {
            PcaSolver::CovarianceEigh | PcaSolver::Auto => {
                let gram = linalg::centred_gram(data, &mean);
                let trace: f64 = (0..d).map(|i| gram[(i, i)]).sum();
                let (values, vectors) = linalg::symmetric_eigen(gram.as_ref(), "PCA eigendecomposition")?;
                let singular: Vec<f64> = values.iter().take(k).map(|&l| l.max(0.0).sqrt()).collect();
                let vt = Mat::from_fn(k, d, |c, r| vectors[(r, c)]);
                (singular, vt, trace / (n - 1) as f64)
            }
            PcaSolver::Full => {
                let centred = Mat::from_fn(n, d, |i, j| data.row(i)[j] as f64 - mean[j]);
                let (s, vt) = linalg::thin_svd(centred.as_ref(), "PCA SVD")?;
                let total: f64 = s.iter().map(|v| v * v).sum::<f64>() / (n - 1) as f64;
                let vt = Mat::from_fn(k, d, |c, j| vt[(c, j)]);
                (s[..k].to_vec(), vt, total)
            }
            PcaSolver::Randomized => self.randomized(data, &mean, k, progress)?,
        };
        progress.inc(1);
        progress.check()?;
        let mut components: Vec<f64> = (0..k).flat_map(|c| (0..d).map(move |j| (c, j))).map(|(c, j)| vt[(c, j)]).collect();
        svd_flip_rows(&mut components, d);
        let explained_variance: Vec<f64> = singular.iter().map(|s| s * s / (n - 1) as f64).collect();
        let explained_variance_ratio = explained_variance.iter().map(|v| if total_var > 0.0 { v / total_var } else { 0.0 }).collect();
        let mut model = PcaModel {
            n_features: d,
            n_samples: n,
            components,
            mean,
            explained_variance,
            explained_variance_ratio,
            singular_values: singular,
            solver,
            embedding: Vec::new(),
        };
        model.embedding = model.project(data);
        progress.inc(1);
        progress.finish_stage();
        Ok(model)
    }

    fn randomized(&self, data: &Data, mean: &[f64], k: usize, progress: &dyn Progress) -> Result<(Vec<f64>, Mat<f64>, f64)> {
        let (n, d) = (data.n_rows(), data.n_cols());
        let l = (k + self.params.n_oversamples).min(n.min(d));
        let iters = self.params.n_power_iter.unwrap_or(if (k as f64) < 0.1 * n.min(d) as f64 { 7 } else { 4 });
        let seeds = SeedSource::new(self.params.seed);
        let omega = Mat::from_fn(d, l, |r, c| {
            let u = (r * l + c) as u64;
            normal_f64(seeds.value(0, 2 * u), seeds.value(0, 2 * u + 1))
        });
        let mut q = linalg::orthonormalize(linalg::centred_times(data, mean, omega.as_ref()).as_ref());
        for _ in 0..iters {
            progress.check()?;
            let z = linalg::orthonormalize(linalg::centred_t_times(data, mean, q.as_ref()).as_ref());
            q = linalg::orthonormalize(linalg::centred_times(data, mean, z.as_ref()).as_ref());
        }
        // B = Qᵀ (X − 1μᵀ) is l × d; its SVD gives the singular values and right vectors.
        let bt = linalg::centred_t_times(data, mean, q.as_ref());
        let b = Mat::from_fn(bt.ncols(), bt.nrows(), |i, j| bt[(j, i)]);
        let (s, vt) = linalg::thin_svd(b.as_ref(), "PCA randomized SVD")?;
        let vt = Mat::from_fn(k, d, |c, j| vt[(c, j)]);
        let total = column_variance_sum(data, mean);
        Ok((s[..k].to_vec(), vt, total))
    }
}

/// Σ_j var(X[:, j]) with `ddof = 1`.
fn column_variance_sum(data: &Data, mean: &[f64]) -> f64 {
    let n = data.n_rows();
    let ss: f64 = (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|i| data.row(i).iter().zip(mean).map(|(&v, &m)| (v as f64 - m).powi(2)).sum::<f64>())
        .collect::<Vec<_>>()
        .iter()
        .sum();
    ss / (n - 1) as f64
}

/// Makes the largest-magnitude entry of each row positive (scikit-learn's
/// `svd_flip(u_based_decision=False)`; the first such entry on ties).
fn svd_flip_rows(rows: &mut [f64], d: usize) {
    for row in rows.chunks_mut(d) {
        let mut best = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[best].abs() {
                best = j;
            }
        }
        if row[best] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
}

/// A fitted PCA: components, variances and the embedding of the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaModel {
    n_features: usize,
    n_samples: usize,
    components: Vec<f64>,
    mean: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    singular_values: Vec<f64>,
    solver: PcaSolver,
    embedding: Vec<f32>,
}

impl PcaModel {
    /// Number of components `k`.
    pub fn n_components(&self) -> usize {
        self.singular_values.len()
    }
    /// Components, row-major `k × d` (unit rows).
    pub fn components(&self) -> &[f64] {
        &self.components
    }
    /// Column means of the training data.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Variance along each component (`S² / (n − 1)`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }
    /// Fraction of the total variance along each component.
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }
    /// Singular values of the centred data.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }
    /// The solver that was used (never `Auto`).
    pub fn solver(&self) -> PcaSolver {
        self.solver
    }
    /// The embedding of the training data, `n × k`.
    pub fn embedding(&self) -> Data<'_> {
        Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components())
    }
    /// Consumes the model, returning the embedding's values (row-major `n × k`).
    pub fn into_embedding(self) -> Vec<f32> {
        self.embedding
    }

    /// Projects new rows onto the components: `(X − 1μᵀ) Vᵀ`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when `data` has a different number of columns than the training data.
    pub fn transform(&self, data: &Data) -> Result<Embedding> {
        if data.n_cols() != self.n_features {
            return Err(Error::InvalidData(format!(
                "the model was fitted on {} columns but the data has {}",
                self.n_features,
                data.n_cols()
            )));
        }
        Ok(Data::from_trusted(self.project(data), data.n_rows(), self.n_components()))
    }

    fn project(&self, data: &Data) -> Vec<f32> {
        let k = self.n_components();
        let basis = MatRef::from_row_major_slice(&self.components, k, self.n_features);
        let y = linalg::centred_times(data, &self.mean, basis.transpose());
        (0..data.n_rows()).flat_map(|i| (0..k).map(move |c| (i, c))).map(|(i, c)| y[(i, c)] as f32).collect()
    }
}

use crate::data::Embedding;
