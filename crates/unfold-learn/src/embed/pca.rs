//! Principal component analysis, as scikit-learn's `PCA`.
//!
//! Projects centred data `X − 1μᵀ` onto its top `k` right singular vectors. Three solvers, chosen
//! automatically as scikit-learn (≥ 1.5) chooses them:
//!
//! * `CovarianceEigh` when `d ≤ 1000` and `n ≥ 10 d`: eigendecomposition of the `d × d` scatter
//!   matrix, streamed from the data in blocks (no centred copy);
//! * `Full` when `max(n, d) ≤ 500`, `k ≥ 0.8 min(n, d)`, or `k` is chosen from the spectrum
//!   (a variance fraction or Minka's MLE): thin SVD of the centred data;
//! * `Randomized` otherwise: Halko et al. (2011) range finder with `k + 10` columns and 7 power
//!   iterations (4 when `k ≥ 0.1 min(n, d)`), centring applied implicitly.
//!
//! Signs follow scikit-learn's `svd_flip(u_based_decision=False)`: in each component the entry of
//! largest magnitude is positive. `explained_variance = S² / (n − 1)`; `noise_variance` is the
//! mean variance of the discarded directions (Tipping & Bishop's σ², 0 when `k = min(n, d)`).
//! [`PcaComponents`] gives scikit-learn's three forms of `n_components`, [`PcaParams::whiten`]
//! divides the projections by `√explained_variance`, and the fitted model has the probabilistic
//! PCA likelihood (`score_samples`, `get_covariance`, `get_precision`, in `pca/likelihood.rs`).
//!
//! Precision: the data is `f32` ([`Data`]) or `f64` ([`DataF64`], for values `f32` cannot hold,
//! e.g. `10⁶ + 10⁻³ u`); means, centring and projections are computed in `f64`. Centred values are
//! scaled by a power of two (exact) so that the largest is about 1 before anything is squared:
//! data of any magnitude, `10⁻³⁰` or `10³⁰`, gives the same components. A result that does not
//! fit its type (a variance beyond `f64`, an embedding beyond `f32`) is an error naming it, never
//! an infinity or NaN.
//!
//! ```
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..200).map(|i| ((i * 7919) % 101) as f32 / 10.0).collect();
//! let data = Data::from_row_major(&x, 50, 4)?;
//! let pca = Pca::builder().n_components(2).build()?.fit(&data, &Context::default())?;
//! assert_eq!(pca.components().len(), 2 * 4);
//! assert!(pca.explained_variance()[0] >= pca.explained_variance()[1]);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

mod likelihood;
mod mle;

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::Kind;
use crate::linalg::randomized_svd::{Centred, randomized_svd};
use crate::linalg::{self, Rows};
use crate::method::params::ParamType;
use crate::method::{Attribute, Auto, Capabilities, Context, Fitted, Input, MethodEntry, ParamKind, Value, params_from};
use crate::progress::Progress;

pub use crate::linalg::DataF64;

/// The model file kind of a fitted PCA (version 2 added `noise_variance` and `whiten`; version 3
/// records the parameters).
pub const MODEL_KIND: Kind = Kind { tag: "pca", version: 3 };

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
    /// Parses `auto`, `full`, `covariance_eigh` or `randomized` (the words of its
    /// [`ParamType`] declaration, `svd_solver`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `svd_solver` and the words.
    pub fn parse(s: &str) -> Result<PcaSolver> {
        PcaSolver::from_value("svd_solver", &Value::Text(s.to_string()))
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

/// scikit-learn's `n_components`: a count, a variance fraction, `"mle"`, or `None` (all).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum PcaComponents {
    /// `min(n_samples, n_features)` components (scikit-learn's `None`).
    All,
    /// This many components, 1 ≤ k ≤ min(n_samples, n_features).
    Count(usize),
    /// The fewest components whose explained variance ratios sum to more than this fraction
    /// (strictly between 0 and 1).
    VarianceFraction(f64),
    /// Minka's (2000) Bayesian model selection, as scikit-learn's `n_components="mle"`
    /// (needs `n_samples ≥ n_features`).
    Mle,
}

impl ParamType for PcaComponents {
    const KIND: ParamKind = ParamKind::Other("int | float | Literal[\"mle\"] | None");
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        let what = "must be a whole number ≥ 1, a fraction strictly between 0 and 1, \"mle\" or none";
        match value {
            Value::None => Ok(PcaComponents::All),
            Value::Text(t) if t == "mle" => Ok(PcaComponents::Mle),
            Value::Int(k) if *k >= 1 => Ok(PcaComponents::Count(*k as usize)),
            Value::Float(f) if *f > 0.0 && *f < 1.0 => Ok(PcaComponents::VarianceFraction(*f)),
            _ => Err(Error::param(name, value, what)),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            PcaComponents::All => Value::None,
            PcaComponents::Count(k) => Value::Int(*k as i64),
            PcaComponents::VarianceFraction(f) => Value::Float(*f),
            PcaComponents::Mle => Value::Text("mle".into()),
        }
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::choice_param!(PcaSolver { Auto = "auto", Full = "full", CovarianceEigh = "covariance_eigh", Randomized = "randomized" });

crate::method_params! {
    /// PCA parameters. `Default` is scikit-learn's `PCA(n_components=2)`: two components, as
    /// `unfold embed` gives by default (Python's `unfold.PCA` keeps scikit-learn's `None`).
    pub struct PcaParams {
        /// Number of components: a count, a fraction of the variance to keep, "mle", or none for all.
        n_components: PcaComponents = PcaComponents::Count(2), flag = "dims";
        /// Divide each component by its standard deviation, for unit variance (scikit-learn's whiten).
        whiten: bool = false;
        /// Solver: auto (as scikit-learn picks), full SVD, covariance eigendecomposition or randomized.
        svd_solver: PcaSolver = PcaSolver::Auto;
        /// Extra random vectors of the randomized solver.
        n_oversamples: usize = 10;
        /// Power iterations of the randomized solver; auto = 7, or 4 when n_components ≥ 0.1 min(n, d).
        iterated_power: Auto<usize> = Auto::Auto;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "pca",
    summary: "Principal component analysis (exact, covariance or randomized solver, as scikit-learn picks)",
    specs: <PcaParams as crate::method::Params>::specs,
    precise: true,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| {
        let pca = Pca::new(params_from(values)?)?;
        Ok(Box::new(match data.x {
            Input::F32(d) => pca.fit(d, ctx)?,
            Input::F64(d) => pca.fit(d, ctx)?,
            Input::Sparse(_) => return Err(crate::method::sparse_refused(&ENTRY)),
        }))
    },
    load: |bytes| Ok(Box::new(PcaModel::from_bytes(bytes)?)),
};

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
        self.params.n_components = PcaComponents::Count(k);
        self
    }
    /// Keep the fewest components explaining more than `fraction` of the variance.
    pub fn variance_fraction(mut self, fraction: f64) -> Self {
        self.params.n_components = PcaComponents::VarianceFraction(fraction);
        self
    }
    /// Choose the number of components by Minka's MLE.
    pub fn mle(mut self) -> Self {
        self.params.n_components = PcaComponents::Mle;
        self
    }
    /// Whitening.
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.params.whiten = whiten;
        self
    }
    /// Solver.
    pub fn solver(mut self, s: PcaSolver) -> Self {
        self.params.svd_solver = s;
        self
    }
    /// Validates the parameters.
    pub fn build(self) -> Result<Pca> {
        Pca::new(self.params)
    }
}

/// What a solver returns, before `k` is chosen: singular values of the scaled centred data
/// (descending; every one the solver knows), the matching right singular vectors as rows, and the
/// scaled total sum of squares `Σ ((x − μ) · scale)²`.
struct Spectrum {
    singular: Vec<f64>,
    vt: Mat<f64>,
    total_ss: f64,
}

impl Pca {
    /// A builder starting from the defaults.
    pub fn builder() -> PcaBuilder {
        PcaBuilder::default()
    }

    /// Validates `params`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_components` of 0, a variance fraction outside `(0, 1)`,
    /// or a variance fraction or MLE with the randomized solver.
    pub fn new(params: PcaParams) -> Result<Pca> {
        match params.n_components {
            PcaComponents::Count(0) => return Err(Error::param("n_components", 0, "must be at least 1")),
            PcaComponents::VarianceFraction(f) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::param("n_components", f, "a fraction of the variance must be strictly between 0 and 1"));
            }
            PcaComponents::VarianceFraction(_) | PcaComponents::Mle if params.svd_solver == PcaSolver::Randomized => {
                return Err(Error::param(
                    "n_components",
                    params.n_components.to_value(),
                    "a variance fraction or 'mle' needs the whole spectrum: use svd_solver auto, full or covariance_eigh, not randomized",
                ));
            }
            _ => {}
        }
        crate::method::Params::check_ranges(&params)?;
        Ok(Pca { params })
    }

    /// The parameters.
    pub fn params(&self) -> &PcaParams {
        &self.params
    }

    /// Fits the model and embeds `data` ([`Data`] or [`DataF64`]), on `ctx`'s threads, with
    /// `ctx.seed` for the randomized solver.
    ///
    /// # Errors
    /// [`Error::InvalidData`] with fewer than 2 rows, or when a result does not fit its type
    /// (variances beyond `f64`, an embedding beyond `f32`: the message says which and why);
    /// [`Error::InvalidParameter`] when `n_components > min(n, d)` or MLE is asked for with
    /// `n < d`; [`Error::Numerical`] if a decomposition fails; [`Error::Cancelled`].
    pub fn fit<R: Rows + ?Sized>(&self, data: &R, ctx: &Context) -> Result<PcaModel> {
        ctx.install(|| self.fit_inner(data, ctx.seed, ctx.progress))
    }

    /// The solver used for an `n × d` fit.
    fn solver_for(&self, n: usize, d: usize) -> PcaSolver {
        match self.params.n_components {
            PcaComponents::Count(k) => self.params.svd_solver.resolve(n, d, k),
            // scikit-learn: a fraction or "mle" is chosen from all min(n, d) components, so
            // the automatic choice is never the randomized solver.
            _ => self.params.svd_solver.resolve(n, d, n.min(d)),
        }
    }

    fn fit_inner<R: Rows + ?Sized>(&self, data: &R, seed: Option<u64>, progress: &dyn Progress) -> Result<PcaModel> {
        let (n, d) = (data.n_rows(), data.n_cols());
        if n < 2 {
            // scikit-learn fits one sample and reports its variances as 0 / 0 = NaN (with a
            // RuntimeWarning); unfold refuses instead of returning NaN.
            return Err(Error::InvalidData(format!("PCA needs at least 2 rows (its variances divide by n_samples − 1), but the data has n_samples = {n}")));
        }
        match self.params.n_components {
            PcaComponents::Count(k) if k > n.min(d) => {
                return Err(Error::param("n_components", k, format!("must be between 1 and min(n_samples, n_features) = min({n}, {d}) = {}", n.min(d))));
            }
            PcaComponents::Mle if n < d => {
                return Err(Error::param(
                    "n_components",
                    "mle",
                    format!("is only supported if n_samples >= n_features, but the data has {n} samples and {d} features"),
                ));
            }
            _ => {}
        }
        let solver = self.solver_for(n, d);
        progress.stage("PCA", 3);
        let mean = linalg::column_means(data);
        let spread = linalg::max_abs_deviation(data, &mean);
        if !mean.iter().all(|m| m.is_finite()) || !spread.is_finite() {
            return Err(Error::InvalidData(
                "the data's values are too large for PCA: their differences from the column means overflow float64; scale the data down".into(),
            ));
        }
        let scale = linalg::pow2_scale(spread);
        progress.inc(1);
        progress.check()?;
        // The randomized solver computes k components (a fraction or "mle" is refused with it).
        let k_fixed = match self.params.n_components {
            PcaComponents::Count(k) => k,
            _ => n.min(d),
        };
        let spectrum = match solver {
            PcaSolver::CovarianceEigh | PcaSolver::Auto => {
                let gram = linalg::centred_gram(data, &mean, scale);
                let (values, vectors) = linalg::symmetric_eigen(gram.as_ref(), "PCA eigendecomposition")?;
                // Eigenvalues of a scatter matrix are ≥ 0; rounding can make the last ones
                // slightly negative, clipped as scikit-learn clips them.
                let singular: Vec<f64> = values.iter().map(|&l| l.max(0.0).sqrt()).collect();
                let total_ss = singular.iter().map(|s| s * s).sum();
                Spectrum { singular, vt: vectors.as_ref().transpose().to_owned(), total_ss }
            }
            PcaSolver::Full => {
                let centred = Mat::from_fn(n, d, |i, j| (data.row(i)[j].into() - mean[j]) * scale);
                let (singular, vt) = linalg::thin_svd(centred.as_ref(), "PCA SVD")?;
                let total_ss = singular.iter().map(|s| s * s).sum();
                Spectrum { singular, vt, total_ss }
            }
            PcaSolver::Randomized => self.randomized(data, &mean, scale, k_fixed, seed, progress)?,
        };
        progress.inc(1);
        progress.check()?;
        let mut model = PcaModel::from_spectrum(self, spectrum, solver, mean, scale, n, d)?;
        model.embedding = model.project(data)?;
        model.params = crate::method::resolved_values(&self.params, &Fitted::resolved(&model));
        progress.inc(1);
        progress.finish_stage();
        Ok(model)
    }

    fn randomized<R: Rows + ?Sized>(&self, data: &R, mean: &[f64], scale: f64, k: usize, seed: Option<u64>, progress: &dyn Progress) -> Result<Spectrum> {
        let (n, d) = (data.n_rows(), data.n_cols());
        let iters = match self.params.iterated_power {
            Auto::Value(i) => i,
            Auto::Auto if (k as f64) < 0.1 * n.min(d) as f64 => 7,
            Auto::Auto => 4,
        };
        let centred = Centred { data, mean, scale };
        let (s, vt) = randomized_svd(&centred, k, self.params.n_oversamples, iters, true, seed, progress, "PCA randomized SVD")?;
        let total_ss = linalg::centred_sum_of_squares(data, mean, scale);
        Ok(Spectrum { singular: s, vt, total_ss })
    }
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
    noise_variance: f64,
    whiten: bool,
    solver: PcaSolver,
    embedding: Vec<f32>,
    /// The parameters as the fit resolved them; the model file keeps them in its header.
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl PcaModel {
    /// Chooses `k`, unscales the spectrum and computes the variances (without the embedding).
    fn from_spectrum(pca: &Pca, sp: Spectrum, solver: PcaSolver, mean: Vec<f64>, scale: f64, n: usize, d: usize) -> Result<PcaModel> {
        let dof = (n - 1) as f64;
        let all_variance: Vec<f64> = sp.singular.iter().map(|s| (s / scale) * (s / scale) / dof).collect();
        let total_variance = sp.total_ss / dof / scale / scale;
        if let Some(v) = all_variance.iter().chain([&total_variance]).find(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!(
                "PCA's variances overflow float64 ({v}): the data's largest deviation from its column mean is {:e}; scale the data down",
                1.0 / scale
            )));
        }
        // Ratios from the scaled values: the scale cancels, nothing overflows.
        let all_ratio: Vec<f64> = sp.singular.iter().map(|s| if sp.total_ss > 0.0 { s * s / sp.total_ss } else { 0.0 }).collect();
        let k = match pca.params.n_components {
            PcaComponents::All => n.min(d),
            PcaComponents::Count(k) => k,
            PcaComponents::VarianceFraction(f) => {
                // scikit-learn: searchsorted(cumsum(ratio), f, side="right") + 1.
                let mut cumulative = 0.0;
                let below = all_ratio.iter().take_while(|&&r| {
                    cumulative += r;
                    cumulative <= f
                });
                (below.count() + 1).min(all_ratio.len())
            }
            PcaComponents::Mle => match mle::infer_dimension(&all_variance, n) {
                0 => {
                    return Err(Error::InvalidData(
                        "n_components='mle' found no dimension to keep: every component's variance is below 1e-15 or the data has a single column".into(),
                    ));
                }
                k => k,
            },
        };
        let min_nd = n.min(d);
        let noise_variance = if k >= min_nd {
            0.0
        } else if solver == PcaSolver::Randomized {
            ((total_variance - all_variance[..k].iter().sum::<f64>()) / (min_nd - k) as f64).max(0.0)
        } else {
            all_variance[k..].iter().sum::<f64>() / (all_variance.len() - k) as f64
        };
        let mut components: Vec<f64> = (0..k).flat_map(|c| (0..d).map(move |j| (c, j))).map(|(c, j)| sp.vt[(c, j)]).collect();
        svd_flip_rows(&mut components, d);
        Ok(PcaModel {
            n_features: d,
            n_samples: n,
            components,
            mean,
            explained_variance: all_variance[..k].to_vec(),
            explained_variance_ratio: all_ratio[..k].to_vec(),
            singular_values: sp.singular[..k].iter().map(|s| s / scale).collect(),
            noise_variance,
            whiten: pca.params.whiten,
            solver,
            embedding: Vec::new(),
            params: Vec::new(),
        })
    }

    /// Number of components `k`.
    pub fn n_components(&self) -> usize {
        self.singular_values.len()
    }
    /// Number of features `d` of the training data.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// Number of training rows `n`.
    pub fn n_samples(&self) -> usize {
        self.n_samples
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
    /// The probabilistic PCA noise variance σ²: the mean variance of the discarded directions
    /// (scikit-learn's `noise_variance_`; 0 when `k = min(n, d)`).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Whether projections are whitened.
    pub fn whiten(&self) -> bool {
        self.whiten
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

    /// Projects new rows onto the components: `(X − 1μᵀ) Vᵀ`, divided by `√explained_variance`
    /// when whitening.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when `data` has a different number of columns than the training
    /// data, or a projection does not fit in `f32`.
    pub fn transform<R: Rows + ?Sized>(&self, data: &R) -> Result<Embedding> {
        self.check_columns(data.n_cols())?;
        Ok(Data::from_trusted(self.project(data)?, data.n_rows(), self.n_components()))
    }

    /// Maps embedded rows (`m × k`) back to the data space: `Y W + 1μᵀ`, with `W` the components
    /// (scaled by `√explained_variance` when whitening). Returns `m × d` row-major `f64`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when `y` does not have `k` columns or a value overflows `f64`.
    pub fn inverse_transform<R: Rows + ?Sized>(&self, y: &R) -> Result<Vec<f64>> {
        let (k, d) = (self.n_components(), self.n_features);
        if y.n_cols() != k {
            return Err(Error::InvalidData(format!("the model has {k} components but the data to map back has {} columns", y.n_cols())));
        }
        let weights: Vec<f64> = self.explained_variance.iter().map(|&v| if self.whiten { v.sqrt() } else { 1.0 }).collect();
        let mut out = vec![0.0f64; y.n_rows() * d];
        use rayon::prelude::*;
        out.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
            row.copy_from_slice(&self.mean);
            for (c, (&v, w)) in y.row(i).iter().zip(&weights).enumerate() {
                let a = v.into() * w;
                for (o, &comp) in row.iter_mut().zip(&self.components[c * d..(c + 1) * d]) {
                    *o += a * comp;
                }
            }
        });
        if let Some(pos) = out.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!(
                "inverse_transform overflows float64 at row {}, column {}: the embedded values are too large",
                pos / d,
                pos % d
            )));
        }
        Ok(out)
    }

    /// The model as versioned, checksummed bytes, with its parameters (the format of
    /// `unfold embed --save-model`).
    ///
    /// # Errors
    /// As [`crate::io::model::to_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::io::model::to_bytes(MODEL_KIND, &self.params, self)
    }

    /// Reads a model written by [`PcaModel::to_bytes`].
    ///
    /// # Errors
    /// [`Error::InvalidData`] for bytes that are not a PCA model of this format version, or are
    /// truncated or corrupt (the message says which), or whose parts do not fit together
    /// ("corrupt model: …", naming the part).
    pub fn from_bytes(bytes: &[u8]) -> Result<PcaModel> {
        let (read, mut model): (_, PcaModel) = crate::io::model::decode(MODEL_KIND, bytes)?;
        model.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        model.params = crate::method::declared(&<PcaParams as crate::method::Params>::specs(), read)?;
        Ok(model)
    }

    /// Checks what every method relies on, for a model read from a file: `k` components of `d`
    /// features (1 ≤ k ≤ d), arrays of those lengths, finite values, non-negative variances.
    fn validate(&self) -> std::result::Result<(), String> {
        let (k, d, n) = (self.n_components(), self.n_features, self.n_samples);
        let unfit = |what: String| Err(format!("the PCA model's arrays do not fit together: {what}"));
        if !(1..=d).contains(&k) {
            return unfit(format!("{k} components of {d} features (needs 1 ≤ n_components ≤ n_features)"));
        }
        if k.checked_mul(d) != Some(self.components.len()) {
            return unfit(format!("components_ has {} values, not {k} × {d}", self.components.len()));
        }
        for (name, len, expected) in [
            ("mean_", self.mean.len(), d),
            ("explained_variance_", self.explained_variance.len(), k),
            ("explained_variance_ratio_", self.explained_variance_ratio.len(), k),
        ] {
            if len != expected {
                return unfit(format!("{name} has {len} values, not {expected}"));
            }
        }
        if n.checked_mul(k) != Some(self.embedding.len()) {
            return unfit(format!("the embedding has {} values, not n_samples × n_components = {n} × {k}", self.embedding.len()));
        }
        let floats: [(&str, &[f64]); 6] = [
            ("components_", &self.components),
            ("mean_", &self.mean),
            ("explained_variance_", &self.explained_variance),
            ("explained_variance_ratio_", &self.explained_variance_ratio),
            ("singular_values_", &self.singular_values),
            ("noise_variance_", std::slice::from_ref(&self.noise_variance)),
        ];
        for (name, values) in floats {
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(format!("{name} holds {} at index {i}, not a finite number", values[i]));
            }
        }
        if let Some(i) = self.embedding.iter().position(|v| !v.is_finite()) {
            return Err(format!("the embedding holds {} at index {i}, not a finite number", self.embedding[i]));
        }
        for (name, values) in [("explained_variance_", &self.explained_variance[..]), ("noise_variance_", std::slice::from_ref(&self.noise_variance))] {
            if let Some(i) = values.iter().position(|&v| v < 0.0) {
                return Err(format!("{name} holds the negative variance {} at index {i}", values[i]));
            }
        }
        Ok(())
    }

    fn check_columns(&self, d: usize) -> Result<()> {
        if d != self.n_features {
            return Err(Error::InvalidData(format!("the model was fitted on {} columns but the data has {d}", self.n_features)));
        }
        Ok(())
    }

    /// The embedding of `data` in `f32`; an error if a value does not fit.
    fn project<R: Rows + ?Sized>(&self, data: &R) -> Result<Vec<f32>> {
        let k = self.n_components();
        let basis = MatRef::from_row_major_slice(&self.components, k, self.n_features);
        let y = linalg::centred_times(data, &self.mean, 1.0, basis.transpose());
        // scikit-learn clips √variance at machine epsilon before whitening.
        let inv: Vec<f64> = self.explained_variance.iter().map(|&v| if self.whiten { 1.0 / v.sqrt().max(f64::EPSILON) } else { 1.0 }).collect();
        let mut out = Vec::with_capacity(data.n_rows() * k);
        for i in 0..data.n_rows() {
            for (c, w) in inv.iter().enumerate() {
                let v = y[(i, c)] * w;
                if v.is_nan() || v.abs() > f32::MAX as f64 {
                    return Err(Error::InvalidData(format!(
                        "the PCA embedding does not fit in float32: row {i}, component {c} is {v:e} (float32 holds up to 3.4e38); scale the data down"
                    )));
                }
                out.push(v as f32);
            }
        }
        Ok(out)
    }
}

impl Fitted for PcaModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: true, inverse_transform: true, save: true }
    }

    fn n_components(&self) -> usize {
        PcaModel::n_components(self)
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(PcaModel::embedding(self))
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| match data {
            Input::F32(d) => PcaModel::transform(self, d),
            Input::F64(d) => PcaModel::transform(self, d),
            Input::Sparse(_) => Err(crate::method::sparse_refused(&ENTRY)),
        })
    }

    fn inverse_transform(&self, embedded: &Data, ctx: &Context) -> Result<Embedding> {
        let x = ctx.install(|| PcaModel::inverse_transform(self, embedded))?;
        let values: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        Data::from_vec(values, embedded.n_rows(), self.n_features)
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (k, d) = (PcaModel::n_components(self), self.n_features);
        vec![
            Attribute::matrix("components_", self.components.clone(), k, d),
            Attribute::vector("explained_variance_", self.explained_variance.clone()),
            Attribute::vector("explained_variance_ratio_", self.explained_variance_ratio.clone()),
            Attribute::vector("singular_values_", self.singular_values.clone()),
            Attribute::vector("mean_", self.mean.clone()),
            Attribute::scalar("noise_variance_", self.noise_variance),
            Attribute::scalar("n_components_", k as f64),
            Attribute::scalar("n_samples_", self.n_samples as f64),
        ]
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        PcaModel::to_bytes(self)
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        vec![("n_components", Value::Int(PcaModel::n_components(self) as i64)), ("svd_solver", self.solver.to_value())]
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted() -> PcaModel {
        let x: Vec<f32> = (0..200).map(|i| ((i * 7919) % 101) as f32 / 10.0).collect();
        let data = Data::from_row_major(&x, 50, 4).unwrap();
        Pca::builder().variance_fraction(0.6).build().unwrap().fit(&data, &Context::default()).unwrap()
    }

    #[test]
    fn the_file_records_the_parameters_as_the_fit_resolved_them() {
        let model = fitted();
        let k = model.n_components();
        assert!((1..4).contains(&k));
        let read = crate::io::model::parameters_of(&model.to_bytes().unwrap()).unwrap();
        let names: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["n_components", "whiten", "svd_solver", "n_oversamples", "iterated_power"]);
        // A fraction became a count; "auto" the solver scikit-learn picks for 50 × 4 (n ≥ 10 d): covariance_eigh.
        assert_eq!(read[0].1, Value::Int(k as i64));
        assert_eq!(read[2].1, Value::Text("covariance_eigh".into()));
        assert_eq!(read[4].1, Value::Text("auto".into()));
        let back = PcaModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
        assert_eq!(Fitted::params(&back), Fitted::params(&model));
    }

    #[test]
    fn loading_names_the_part_that_does_not_fit() {
        let good = fitted();
        let k = good.n_components();
        let check = |change: &dyn Fn(&mut PcaModel), expected: &str| {
            let mut m = good.clone();
            change(&mut m);
            let bytes = crate::io::model::to_bytes(MODEL_KIND, &m.params, &m).unwrap();
            let e = PcaModel::from_bytes(&bytes).unwrap_err().to_string();
            assert!(e.starts_with("corrupt model: ") && e.contains(expected), "expected {expected:?} in {e:?}");
        };
        check(&|m| m.n_features = 5, &format!("components_ has {} values, not {k} × 5", 4 * k));
        check(&|m| m.n_features = 0, &format!("{k} components of 0 features"));
        check(&|m| m.mean.pop().map_or((), drop), "mean_ has 3 values, not 4");
        check(&|m| m.explained_variance.push(1.0), &format!("explained_variance_ has {} values, not {k}", k + 1));
        check(&|m| m.explained_variance_ratio.clear(), &format!("explained_variance_ratio_ has 0 values, not {k}"));
        check(&|m| m.n_samples = 49, &format!("the embedding has {} values, not n_samples × n_components = 49 × {k}", 50 * k));
        check(&|m| m.components[1] = f64::NAN, "components_ holds NaN at index 1");
        check(&|m| m.singular_values[0] = f64::INFINITY, "singular_values_ holds inf at index 0");
        check(&|m| m.embedding[3] = f32::NAN, "the embedding holds NaN at index 3");
        check(&|m| m.noise_variance = -1.0, "noise_variance_ holds the negative variance -1");
    }
}
