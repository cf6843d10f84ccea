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
//! component whose eigenvalue is negative. There is no `transform`, as in scikit-learn.
//!
//! **Landmark mode** (not in scikit-learn). MDS holds `n × n` matrices, so above [`MAX_POINTS`]
//! points, or with `n_landmarks` given, `m` landmarks are drawn uniformly from the seed, SMACOF
//! embeds them as above (every run, start and stopping rule on their `m × m` dissimilarities),
//! and every other point is placed on its own against the landmarks' configuration by
//! [`LandmarkPlacement`]: triangulated from it (landmark MDS, de Silva & Tenenbaum 2004), then
//! moved to the least stress `Σ_l (‖x − y_l‖ − δ̂_l)²` of its disparities to them, with the same
//! `max_iter` and `eps`. Non-metric MDS reads a point's disparities from the landmarks' final
//! isotonic fit ([`SmacofRun::disparity`](crate::linalg::mds::SmacofRun::disparity)). Memory is
//! `8 m²` bytes and the rows; time `O(m² · iterations + n m (features + iterations))`. `stress_` and `n_iter_` are the landmark
//! configuration's, `landmarks_` names the landmarks, and no `dissimilarity_matrix_` is kept.

use rayon::prelude::*;

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::DataF64;
use crate::linalg::mds::{DistancesTo, LandmarkPlacement, Smacof, SmacofOptions, classical_mds, euclidean_dissimilarities};
use crate::method::params::{ParamKind, ParamType};
use crate::method::{Attribute, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};
use crate::rng::{SeedSource, sample_sorted};

/// Most points MDS embeds: its `n × n` dissimilarities take `8 n²` bytes (3.2 GB at 20,000
/// points), non-metric MDS three such matrices and a sorted list of pairs (about `30 n²` bytes).
pub const MAX_POINTS: usize = 20_000;
/// Landmarks used above [`MAX_POINTS`] points when `n_landmarks` is not given.
pub const DEFAULT_LANDMARKS: usize = 2000;
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
        /// Landmarks (random, from the seed) embedded by SMACOF, the other points placed against them; default: all points up to 20000, 2000 above.
        n_landmarks: Option<usize> = None, range = Range::at_least(1.0);
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
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(Mds::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(MdsModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "mds", version: 2 };
/// Seed stage of the random starts (unit = the run).
const STAGE_INIT: u64 = 0x6d64_7301;
/// Seed stage of the landmarks.
const STAGE_LANDMARKS: u64 = 0x6d64_7302;
/// Points per task of the landmark placement.
const PLACE_BLOCK: usize = 64;

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
            let (n_all, n_features) = (x.n_rows(), x.n_cols());
            let landmarks = match p.n_landmarks {
                Some(m) if m <= p.n_components || m > n_all => {
                    return Err(Error::param("n_landmarks", m, format!("must be in [n_components + 1, n_samples] = [{}, {n_all}]", p.n_components + 1)));
                }
                Some(m) => Some(random_landmarks(n_all, m, ctx.seed)),
                None if n_all > MAX_POINTS => {
                    warnings.push(format!(
                        "{n_all} points are more than MDS embeds exactly ({MAX_POINTS}): {DEFAULT_LANDMARKS} random landmarks are embedded and the other points placed against them; set n_landmarks to choose how many"
                    ));
                    Some(random_landmarks(n_all, DEFAULT_LANDMARKS, ctx.seed))
                }
                None => None,
            };
            if metric == MdsMetric::Euclidean && n_all == n_features && n_all > 1 {
                warnings.push("the data is a square matrix; its rows are taken as points and its columns as features: for a matrix of dissimilarities, set metric=\"precomputed\"".to_string());
            }
            if metric == MdsMetric::Precomputed {
                check_precomputed(x)?;
            }
            // The points SMACOF embeds: all, or the landmarks.
            let n = landmarks.as_ref().map_or(n_all, Vec::len);
            let dissimilarities = match (&landmarks, metric) {
                (None, MdsMetric::Precomputed) => symmetric_part(x, None),
                (Some(l), MdsMetric::Precomputed) => symmetric_part(x, Some(l)),
                (None, MdsMetric::Euclidean) => match x {
                    Input::F32(d) => euclidean_dissimilarities(d),
                    Input::F64(d) => euclidean_dissimilarities(d),
                    Input::Sparse(_) => return Err(crate::method::sparse_refused(&ENTRY)),
                },
                (Some(l), MdsMetric::Euclidean) => euclidean_dissimilarities(&landmark_rows(x, l)?),
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
                    if values.len() != n_all * n_cols {
                        return Err(Error::InvalidData(format!(
                            "init matrix should be of shape ({n_all}, {n_cols}): the array of starting coordinates has {} rows for {n_all} points",
                            values.len() / n_cols
                        )));
                    }
                    k = *n_cols;
                    match &landmarks {
                        None => Some(values.clone()),
                        Some(l) => Some(l.iter().flat_map(|&i| values[i as usize * n_cols..(i as usize + 1) * n_cols].iter().copied()).collect()),
                    }
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
            drop(smacof);
            let embedding = match &landmarks {
                None => best.embedding.clone(),
                Some(l) => {
                    let placement = LandmarkPlacement::new(&best.embedding, l.len(), k, p.max_iter, p.eps)?;
                    let place = |delta: &mut [f64], point: &mut [f64]| {
                        delta.iter_mut().for_each(|v| *v = best.disparity(*v));
                        placement.place(delta, point);
                    };
                    place_all(x, metric, l, &best.embedding, k, "MDS placement against the landmarks", ctx, place)?
                }
            };
            if let Some(p) = embedding.iter().position(|v| v.abs() > f32::MAX as f64) {
                return Err(Error::InvalidData(format!(
                    "the embedding reaches {:e} at row {}, beyond float32's range; scale the dissimilarities down",
                    embedding[p],
                    p / k
                )));
            }
            let keep = ctx.keep_data && landmarks.is_none() && n <= KEEP_DISSIMILARITY_MAX;
            let mut model = MdsModel {
                n_samples: n_all,
                n_features,
                n_components: k,
                embedding32: embedding.iter().map(|&v| v as f32).collect(),
                embedding,
                stress: best.stress,
                n_iter: best.n_iter,
                dissimilarity_matrix: keep.then_some(dissimilarities),
                landmarks,
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// `m` distinct points drawn uniformly from `0..n` by the seed, in increasing order.
pub(crate) fn random_landmarks(n: usize, m: usize, seed: Option<u64>) -> Vec<u32> {
    sample_sorted(n, m, &SeedSource::new(seed), STAGE_LANDMARKS).into_iter().map(|i| i as u32).collect()
}

/// The landmarks' rows in `f64`.
pub(crate) fn landmark_rows(x: Input<'_>, landmarks: &[u32]) -> Result<DataF64<'static>> {
    let d = x.n_cols();
    let values: Vec<f64> = match x {
        Input::F32(m) => landmarks.iter().flat_map(|&i| m.row(i as usize).iter().map(|&v| v as f64)).collect(),
        Input::F64(m) => landmarks.iter().flat_map(|&i| m.row(i as usize).iter().copied()).collect(),
        Input::Sparse(_) => return Err(crate::method::sparse_refused(&ENTRY)),
    };
    DataF64::from_vec(values, landmarks.len(), d)
}

/// Entry `(i, j)` of the data in `f64`.
fn entry(x: Input<'_>, i: usize, j: usize) -> f64 {
    let n = x.n_cols();
    match x {
        Input::F32(m) => m.as_slice()[i * n + j] as f64,
        Input::F64(m) => m.as_slice()[i * n + j],
        Input::Sparse(m) => {
            let (cols, vals) = m.row(i);
            cols.binary_search(&(j as u32)).map_or(0.0, |p| vals[p] as f64)
        }
    }
}

/// Checks that the data is a dissimilarity matrix: square, non-negative, a zero diagonal,
/// symmetric within [`SYMMETRY_TOLERANCE`], naming the first entry that is not. Values are finite
/// already (the front ends' data is).
pub(crate) fn check_precomputed(x: Input<'_>) -> Result<()> {
    let (n, c) = (x.n_rows(), x.n_cols());
    if n != c {
        return Err(Error::InvalidData(format!("metric=\"precomputed\" takes a square dissimilarity matrix, but the data has {n} rows and {c} columns")));
    }
    for i in 0..n {
        let diagonal = entry(x, i, i);
        if diagonal != 0.0 {
            return Err(Error::InvalidData(format!(
                "a precomputed dissimilarity matrix needs a zero diagonal (a point's dissimilarity to itself), but row {i}, column {i} holds {diagonal}"
            )));
        }
        for j in 0..n {
            let (a, b) = (entry(x, i, j), entry(x, j, i));
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
    Ok(())
}

/// `(Δ + Δᵀ) / 2` of a checked dissimilarity matrix, on every point or only on `points`.
pub(crate) fn symmetric_part(x: Input<'_>, points: Option<&[u32]>) -> Vec<f64> {
    let all: Vec<u32>;
    let points = match points {
        Some(p) => p,
        None => {
            all = (0..x.n_rows() as u32).collect();
            &all
        }
    };
    let m = points.len();
    let mut d = vec![0f64; m * m];
    d.par_chunks_mut(m.max(1)).enumerate().for_each(|(a, row)| {
        let i = points[a] as usize;
        for (v, &j) in row.iter_mut().zip(points) {
            *v = if i == j as usize { 0.0 } else { 0.5 * (entry(x, i, j as usize) + entry(x, j as usize, i)) };
        }
    });
    d
}

/// Every point's coordinates in landmark mode: the landmarks' own (`m × k` in `own`), every other
/// point written by `place` from its dissimilarities to the landmarks (read from the matrix, or
/// computed from the rows a block at a time; `place` may overwrite them). Blocks run in
/// parallel, each point on its own. Shared with classical MDS's landmark mode.
#[allow(clippy::too_many_arguments)]
pub(crate) fn place_all(
    x: Input<'_>,
    metric: MdsMetric,
    landmarks: &[u32],
    own: &[f64],
    k: usize,
    stage: &'static str,
    ctx: &Context,
    place: impl Fn(&mut [f64], &mut [f64]) + Sync,
) -> Result<Vec<f64>> {
    let (n, m) = (x.n_rows(), landmarks.len());
    let targets = match metric {
        MdsMetric::Euclidean => Some(DistancesTo::new(&landmark_rows(x, landmarks)?)),
        MdsMetric::Precomputed => None,
    };
    // Each point's place among the landmarks, or none.
    let mut slot = vec![u32::MAX; n];
    for (l, &i) in landmarks.iter().enumerate() {
        slot[i as usize] = l as u32;
    }
    ctx.progress.stage(stage, n as u64);
    let mut out = vec![0f64; n * k];
    out.par_chunks_mut(PLACE_BLOCK * k).enumerate().try_for_each_init(
        || (vec![0f64; PLACE_BLOCK * m], Vec::new()),
        |(delta, scratch), (b, rows)| -> Result<()> {
            ctx.progress.check()?;
            let (first, count) = (b * PLACE_BLOCK, rows.len() / k);
            let delta = &mut delta[..count * m];
            match &targets {
                Some(t) => match x {
                    Input::F32(d) => t.block(d, first, count, scratch, delta),
                    Input::F64(d) => t.block(d, first, count, scratch, delta),
                    Input::Sparse(_) => return Err(crate::method::sparse_refused(&ENTRY)),
                },
                None => {
                    for (r, row) in delta.chunks_exact_mut(m).enumerate() {
                        let i = first + r;
                        for (v, &l) in row.iter_mut().zip(landmarks) {
                            *v = 0.5 * (entry(x, i, l as usize) + entry(x, l as usize, i));
                        }
                    }
                }
            }
            for (r, (row, point)) in delta.chunks_exact_mut(m).zip(rows.chunks_exact_mut(k)).enumerate() {
                match slot[first + r] {
                    u32::MAX => place(row, point),
                    l => point.copy_from_slice(&own[l as usize * k..(l as usize + 1) * k]),
                }
            }
            ctx.progress.inc(count as u64);
            Ok(())
        },
    )?;
    ctx.progress.finish_stage();
    Ok(out)
}

/// The checks a read MDS or classical MDS model shares: an `n × k` embedding, finite and within
/// `f32`'s range, an `n × n` dissimilarity matrix when kept, and distinct increasing landmarks
/// (more than `k`) among the `n` points.
pub(crate) fn validate_parts(
    n: usize,
    k: usize,
    embedding: &[f64],
    dissimilarity: Option<&[f64]>,
    landmarks: Option<&[u32]>,
) -> std::result::Result<(), String> {
    if n == 0 || k == 0 || n.checked_mul(k) != Some(embedding.len()) {
        return Err(format!("the model's embedding has {} values, not {n} × {k}", embedding.len()));
    }
    if let Some(p) = embedding.iter().position(|v| !(v.is_finite() && v.abs() <= f32::MAX as f64)) {
        return Err(format!("the embedding holds {} at index {p}", embedding[p]));
    }
    if let Some(d) = dissimilarity
        && n.checked_mul(n) != Some(d.len())
    {
        return Err(format!("the dissimilarity matrix has {} values, not {n} × {n}", d.len()));
    }
    if let Some(l) = landmarks
        && (l.len() <= k || l.windows(2).any(|w| w[0] >= w[1]) || l.last().is_some_and(|&i| i as usize >= n))
    {
        return Err(format!("the {} landmarks are not distinct increasing points among {n} for {k} components", l.len()));
    }
    Ok(())
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
    /// In landmark mode, the landmarks, increasing.
    landmarks: Option<Vec<u32>>,
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
        validate_parts(self.n_samples, self.n_components, &self.embedding, self.dissimilarity_matrix.as_deref(), self.landmarks.as_deref())?;
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
        if let Some(l) = &self.landmarks {
            out.push(Attribute::vector("landmarks_", l.iter().map(|&i| i as f64).collect()));
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
