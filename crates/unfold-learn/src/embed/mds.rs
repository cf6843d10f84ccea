//! Multidimensional scaling, as scikit-learn 1.9's `sklearn.manifold.MDS`: SMACOF stress
//! majorization ([`crate::linalg::mds`]) of the rows' euclidean distances, or of a square
//! dissimilarity matrix given as the data (`metric = "precomputed"`).
//!
//! Parameters and defaults are scikit-learn's: `n_components = 2`, `metric_mds = true` (metric
//! MDS; `false` = non-metric, Kruskal's isotonic disparities), `n_init = 1`, `init = "random"`
//! (uniform in `[0, 1)`; `"classical_mds"` starts from classical MDS and makes one run),
//! `max_iter = 300`, `eps = 1e-6`, `normalized_stress = "auto"` (Stress-1 for non-metric MDS,
//! the raw stress for metric MDS), `metric = "euclidean"`. `dissimilarity`, scikit-learn's name
//! for `metric` before 1.8, is still read, as scikit-learn 1.9 does (Python warns that it is
//! deprecated, as scikit-learn does; giving both is an error).
//!
//! Each of the `n_init` runs starts from its own stream of the fit's seed, and the run of least
//! stress is kept (the first on ties). The fit is identical at any thread count: every pass over
//! the pairs sums each row in one task and the rows in order.
//!
//! Differences from scikit-learn: distances are computed in `f64` from centred rows; a
//! precomputed matrix must be square, non-negative, symmetric (within a relative 1e-6, then
//! averaged with its transpose) with a zero diagonal, and the first entry that is not is named;
//! only the euclidean and precomputed metrics are offered; classical MDS gives 0, not NaN, for a
//! component whose eigenvalue is negative. MDS holds `n × n` matrices, so at most
//! [`MAX_POINTS`] points are embedded. There is no `transform`, as in scikit-learn.

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::mds::{Smacof, SmacofOptions, classical_mds, euclidean_dissimilarities};
use crate::method::params::{ParamKind, ParamType};
use crate::method::{Attribute, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};
use crate::rng::SeedSource;

/// Most points MDS embeds: its `n × n` dissimilarities take `8 n²` bytes (3.2 GB at 20,000
/// points), non-metric MDS three such matrices and a sorted list of pairs (about `30 n²` bytes).
pub const MAX_POINTS: usize = 20_000;
/// Most points whose dissimilarity matrix the model keeps as `dissimilarity_matrix_` (134 MB).
pub const KEEP_DISSIMILARITY_MAX: usize = 4096;
/// A precomputed matrix is symmetric when `|Δ_ij − Δ_ji| ≤ SYMMETRY_TOLERANCE · max(Δ_ij, Δ_ji)`.
pub const SYMMETRY_TOLERANCE: f64 = 1e-6;

/// How SMACOF starts.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum MdsInit {
    /// Uniform in `[0, 1)`, from the seed (scikit-learn 1.9's default).
    #[default]
    Random,
    /// Classical MDS of the dissimilarities; one run whatever `n_init` says.
    ClassicalMds,
    /// Given coordinates, row-major `n × n_cols` (scikit-learn's `fit(X, init=…)`); their number
    /// of columns is the embedding's dimension, and one run is made.
    Array {
        /// The coordinates.
        values: Vec<f64>,
        /// Their columns.
        n_cols: usize,
    },
}

impl ParamType for MdsInit {
    const KIND: ParamKind = ParamKind::ChoiceOrArray(&["random", "classical_mds"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) => match t.to_ascii_lowercase().replace('-', "_").as_str() {
                "random" => Ok(MdsInit::Random),
                "classical_mds" => Ok(MdsInit::ClassicalMds),
                _ => Err(Error::param(name, t, "must be random, classical_mds, or an array of starting coordinates")),
            },
            Value::Array { values, shape } if shape.len() == 2 && shape[1] > 0 => {
                if let Some(p) = values.iter().position(|x| !x.is_finite()) {
                    let at = format!("an array holding {} at row {}, column {}", values[p], p / shape[1], p % shape[1]);
                    return Err(Error::param(name, at, "must hold finite coordinates"));
                }
                Ok(MdsInit::Array { values: values.clone(), n_cols: shape[1] })
            }
            v => Err(Error::param(name, v, "must be random, classical_mds, or an array of starting coordinates of shape (n_samples, n_components)")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                MdsInit::Random => "random",
                MdsInit::ClassicalMds => "classical_mds",
                MdsInit::Array { .. } => "array",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

/// What the data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MdsMetric {
    /// Rows of features: their euclidean distances are the dissimilarities.
    Euclidean,
    /// A square matrix of dissimilarities.
    Precomputed,
}
crate::choice_param!(MdsMetric { Euclidean = "euclidean", Precomputed = "precomputed" });

/// scikit-learn's deprecated `dissimilarity` (renamed `metric` in 1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Dissimilarity {
    /// Not given: `metric` decides.
    Deprecated,
    /// As `metric = "euclidean"`.
    Euclidean,
    /// As `metric = "precomputed"`.
    Precomputed,
}
crate::choice_param!(Dissimilarity { Deprecated = "deprecated", Euclidean = "euclidean", Precomputed = "precomputed" });

/// `normalized_stress`: `true`, `false` or `"auto"` (= non-metric MDS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NormalizedStress {
    /// Stress-1 for non-metric MDS, raw stress for metric MDS.
    Auto,
    /// Always Stress-1 (`true`) or always the raw stress (`false`).
    Given(bool),
}

impl ParamType for NormalizedStress {
    const KIND: ParamKind = ParamKind::Other("bool | Literal[\"auto\"]");
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(NormalizedStress::Given(*b)),
            Value::Text(t) if t.eq_ignore_ascii_case("auto") => Ok(NormalizedStress::Auto),
            v => Err(Error::param(name, v, "must be true, false or \"auto\"")),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            NormalizedStress::Auto => Value::Text("auto".into()),
            NormalizedStress::Given(b) => Value::Bool(*b),
        }
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::method_params! {
    /// Parameters of [`Mds`]; `Default` = scikit-learn 1.9's.
    pub struct MdsParams {
        /// Dimensions of the embedding.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Metric MDS (true) or non-metric MDS (false: only the order of the dissimilarities counts, zeros are missing).
        metric_mds: bool = true;
        /// Runs of SMACOF from different random starts; the one of least stress is kept.
        n_init: usize = 1, range = Range::at_least(1.0);
        /// Start: random (uniform in [0, 1)), classical_mds (classical MDS, one run), or coordinates.
        init: MdsInit = MdsInit::Random;
        /// Iterations of one SMACOF run at most.
        max_iter: usize = 300, range = Range::at_least(1.0);
        /// Stop when the stress falls by less than eps times the sum of squared embedded distances.
        eps: f64 = 1e-6, range = Range::at_least(0.0);
        /// scikit-learn's name for metric before 1.8 (deprecated there): euclidean or precomputed; deprecated = use metric.
        dissimilarity: Dissimilarity = Dissimilarity::Deprecated;
        /// euclidean (distances between the rows) or precomputed (the data is a square dissimilarity matrix).
        metric: MdsMetric = MdsMetric::Euclidean;
        /// Report Stress-1 instead of the raw stress; auto = for non-metric MDS only.
        normalized_stress: NormalizedStress = NormalizedStress::Auto;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "mds",
    summary: "Multidimensional scaling by SMACOF, metric or non-metric (scikit-learn's MDS)",
    specs: <MdsParams as crate::method::Params>::specs,
    precise: true,
    supervised: false,
    precomputed_knn: false,
    fit: |values, data, ctx| Ok(Box::new(Mds::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(MdsModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "mds", version: 1 };
/// Seed stage of the random starts (unit = the run).
const STAGE_INIT: u64 = 0x6d64_7301;

/// MDS with validated parameters.
#[derive(Debug, Clone)]
pub struct Mds {
    params: MdsParams,
}

impl Mds {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: MdsParams) -> Result<Mds> {
        params.check_ranges()?;
        Ok(Mds { params })
    }

    /// Embeds the rows of `data` (or, with `metric = "precomputed"`, the points whose
    /// dissimilarities `data` holds).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `dissimilarity` and `metric` both given;
    /// [`Error::InvalidData`] for more than [`MAX_POINTS`] points, a precomputed matrix that is not
    /// a dissimilarity matrix (naming the first entry at fault), an `init` array of the wrong
    /// shape; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<MdsModel> {
        ctx.install(|| {
            let p = &self.params;
            let mut warnings = Vec::new();
            let metric = match (p.dissimilarity, p.metric) {
                (Dissimilarity::Deprecated, m) => m,
                // The front ends say it is deprecated where the peer does (Python's FutureWarning).
                (Dissimilarity::Precomputed, MdsMetric::Euclidean) => MdsMetric::Precomputed,
                (_, MdsMetric::Euclidean) => MdsMetric::Euclidean,
                (d, MdsMetric::Precomputed) => {
                    return Err(Error::param(
                        "dissimilarity",
                        Value::Text(format!("{d:?}").to_lowercase()),
                        "must be left out when `metric` is given: both name the dissimilarity; use only `metric`",
                    ));
                }
            };
            let x = data.x;
            let (n, n_features) = (x.n_rows(), x.n_cols());
            check_size(n)?;
            let dissimilarities = match metric {
                MdsMetric::Precomputed => precomputed_dissimilarities(x)?,
                MdsMetric::Euclidean => {
                    if n == n_features && n > 1 {
                        warnings.push("the data is a square matrix; its rows are taken as points and its columns as features: for a matrix of dissimilarities, set metric=\"precomputed\"".to_string());
                    }
                    match x {
                        Input::F32(d) => euclidean_dissimilarities(d),
                        Input::F64(d) => euclidean_dissimilarities(d),
                    }
                }
            };
            ctx.progress.check()?;
            let normalized_stress = match p.normalized_stress {
                NormalizedStress::Auto => !p.metric_mds,
                NormalizedStress::Given(b) => b,
            };
            let options = SmacofOptions { metric: p.metric_mds, max_iter: p.max_iter, eps: p.eps, normalized_stress };
            let smacof = Smacof::new(&dissimilarities, n, options)?;
            let mut k = p.n_components;
            let given_start = match &p.init {
                MdsInit::Random => None,
                MdsInit::ClassicalMds => {
                    if k > n {
                        return Err(Error::InvalidData(format!(
                            "init=\"classical_mds\" gives at most as many components as points: n_components={k} but n_samples={n}; lower n_components or use init=\"random\""
                        )));
                    }
                    let c = classical_mds(&dissimilarities, n, k)?;
                    let positive = c.eigenvalues.iter().filter(|&&l| l > 0.0).count();
                    if positive < k {
                        warnings.push(format!(
                            "classical MDS found {positive} positive eigenvalue(s) for {k} components (the dissimilarities are not euclidean in {k} dimensions); the start's other components are 0"
                        ));
                    }
                    Some(c.embedding)
                }
                MdsInit::Array { values, n_cols } => {
                    if values.len() != n * n_cols {
                        return Err(Error::InvalidData(format!(
                            "init matrix should be of shape ({n}, {n_cols}): the array of starting coordinates has {} rows for {n} points",
                            values.len() / n_cols
                        )));
                    }
                    k = *n_cols;
                    Some(values.clone())
                }
            };
            if given_start.is_some() && p.n_init != 1 {
                warnings.push(format!("explicit initial positions passed: performing only one init of the MDS instead of {}", p.n_init));
            }
            let runs = if given_start.is_some() { 1 } else { p.n_init };
            ctx.progress.stage("MDS (SMACOF)", (runs * p.max_iter) as u64);
            let seeds = SeedSource::new(ctx.seed);
            let mut best: Option<crate::linalg::mds::SmacofRun> = None;
            let mut start = given_start;
            for r in 0..runs {
                let init = start.take().unwrap_or_else(|| Smacof::random_init(n, k, &seeds, STAGE_INIT, r as u64));
                let run = smacof.run(init, k, ctx.progress)?;
                if best.as_ref().is_none_or(|b| run.stress < b.stress) {
                    best = Some(run);
                }
            }
            ctx.progress.finish_stage();
            let best = best.expect("n_init ≥ 1");
            if let Some(p) = best.embedding.iter().position(|v| v.abs() > f32::MAX as f64) {
                return Err(Error::InvalidData(format!(
                    "the embedding reaches {:e} at row {}, beyond float32's range; scale the dissimilarities down",
                    best.embedding[p],
                    p / k
                )));
            }
            drop(smacof);
            let keep = ctx.keep_data && n <= KEEP_DISSIMILARITY_MAX;
            let mut model = MdsModel {
                n_samples: n,
                n_features,
                n_components: k,
                embedding32: best.embedding.iter().map(|&v| v as f32).collect(),
                embedding: best.embedding,
                stress: best.stress,
                n_iter: best.n_iter,
                dissimilarity_matrix: keep.then_some(dissimilarities),
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// Refuses more than [`MAX_POINTS`] points, saying what they would take.
fn check_size(n: usize) -> Result<()> {
    if n > MAX_POINTS {
        let gb = |m: usize| (m as f64) * (m as f64) * 8.0 / 1e9;
        return Err(Error::InvalidData(format!(
            "MDS holds n × n matrices of float64: {n} points would need {:.1} GB for the dissimilarities alone (non-metric MDS about 4 times that); \
             the limit is {MAX_POINTS} points ({:.1} GB). Embed a sample of the points, or use a method on a neighbour graph (UMAP)",
            gb(n),
            gb(MAX_POINTS)
        )));
    }
    Ok(())
}

/// A square dissimilarity matrix from the data, checked: square, non-negative, a zero diagonal,
/// symmetric within [`SYMMETRY_TOLERANCE`] (then averaged with its transpose). Values are finite
/// already (the front ends' data is).
fn precomputed_dissimilarities(x: Input<'_>) -> Result<Vec<f64>> {
    let (n, c) = (x.n_rows(), x.n_cols());
    if n != c {
        return Err(Error::InvalidData(format!("metric=\"precomputed\" takes a square dissimilarity matrix, but the data has {n} rows and {c} columns")));
    }
    let mut d: Vec<f64> = match x {
        Input::F32(m) => m.as_slice().iter().map(|&v| v as f64).collect(),
        Input::F64(m) => m.as_slice().to_vec(),
    };
    for i in 0..n {
        if d[i * n + i] != 0.0 {
            return Err(Error::InvalidData(format!(
                "a precomputed dissimilarity matrix needs a zero diagonal (a point's dissimilarity to itself), but row {i}, column {i} holds {}",
                d[i * n + i]
            )));
        }
        for j in 0..n {
            let (a, b) = (d[i * n + j], d[j * n + i]);
            if a < 0.0 {
                return Err(Error::InvalidData(format!("dissimilarities must be non-negative, but row {i}, column {j} holds {a}")));
            }
            if j > i && (a - b).abs() > SYMMETRY_TOLERANCE * a.max(b) {
                return Err(Error::InvalidData(format!(
                    "a precomputed dissimilarity matrix must be symmetric (within a relative {SYMMETRY_TOLERANCE:e}), but row {i}, column {j} holds {a} and row {j}, column {i} holds {b}"
                )));
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            let m = 0.5 * (d[i * n + j] + d[j * n + i]);
            d[i * n + j] = m;
            d[j * n + i] = m;
        }
    }
    Ok(d)
}

/// A fitted MDS: the embedding and its stress.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MdsModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    /// `n_samples × n_components`, row-major.
    embedding: Vec<f64>,
    #[serde(skip)]
    embedding32: Vec<f32>,
    stress: f64,
    n_iter: usize,
    /// The dissimilarities, when kept (at most [`KEEP_DISSIMILARITY_MAX`] points).
    dissimilarity_matrix: Option<Vec<f64>>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl MdsModel {
    /// The embedding in `f64`, row-major `n × n_components`.
    pub fn embedding_f64(&self) -> &[f64] {
        &self.embedding
    }

    /// The final stress of the kept run (scikit-learn's `stress_`).
    pub fn stress(&self) -> f64 {
        self.stress
    }

    /// Iterations of the kept run (`n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The embedding rounded to `f32`.
    pub fn embedding32(&self) -> Embedding {
        Data::from_vec(self.embedding32.clone(), self.n_samples, self.n_components).expect("finite, checked at fit")
    }

    /// The dissimilarities (`dissimilarity_matrix_`), when kept.
    pub fn dissimilarity_matrix(&self) -> Option<&[f64]> {
        self.dissimilarity_matrix.as_deref()
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`MdsModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<MdsModel> {
        let (read, mut m): (_, MdsModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.embedding32 = m.embedding.iter().map(|&v| v as f32).collect();
        m.params = declared(&MdsParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if n == 0 || k == 0 || n.checked_mul(k) != Some(self.embedding.len()) {
            return Err(format!("the MDS model's embedding has {} values, not {n} × {k}", self.embedding.len()));
        }
        if let Some(p) = self.embedding.iter().position(|v| !(v.is_finite() && v.abs() <= f32::MAX as f64)) {
            return Err(format!("the embedding holds {} at index {p}", self.embedding[p]));
        }
        if let Some(d) = &self.dissimilarity_matrix
            && n.checked_mul(n) != Some(d.len())
        {
            return Err(format!("the dissimilarity matrix has {} values, not {n} × {n}", d.len()));
        }
        if self.n_iter == 0 || self.stress.is_nan() || self.stress < 0.0 {
            return Err(format!("the stress is {} after {} iterations", self.stress, self.n_iter));
        }
        Ok(())
    }
}

impl Fitted for MdsModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        // scikit-learn's MDS places no new points.
        Capabilities { embedding: true, transform: false, inverse_transform: false, save: true }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(Data::from_trusted_slice(&self.embedding32, self.n_samples, self.n_components))
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        vec![("n_components", Value::Int(self.n_components as i64))]
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out = vec![
            Attribute::matrix("embedding_", self.embedding.clone(), n, k),
            Attribute::scalar("stress_", self.stress),
            Attribute::scalar("n_iter_", self.n_iter as f64),
        ];
        if let Some(d) = &self.dissimilarity_matrix {
            out.push(Attribute::matrix("dissimilarity_matrix_", d.clone(), n, n));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        MdsModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
