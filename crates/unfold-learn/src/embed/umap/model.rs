//! The UMAP estimator: parameters, validation, and the fit that chains the stages.

use crate::data::{Data, Embedding, SparseData};
use crate::embed::pca::Pca;
use crate::error::{Error, Result};
use crate::knn::{KnnGraph, KnnParams, knn_graph_fitted};
use crate::method::params::ParamType;
use crate::method::{Attribute, Capabilities, Context, FitRows, Fitted, Input, MethodEntry, ParamKind, Range, Value, params_from};
use crate::metric::{Metric, PreparedMetric};
use crate::progress::{NoProgress, Progress};
use crate::rng::{SeedSource, unit_f64};

use super::densmap::{self, DensMapParams};
use super::graph::{FuzzyGraph, FuzzySetParams, fuzzy_simplicial_set};
use super::layout::{LayoutParams, default_epochs, optimize_layout_densmap};
use super::output::OutputMetric;
use super::spectral::{EigenOptions, noisy_scale, spectral_layout_with};
use super::{curve, supervised, transform};

/// How the layout starts.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum UmapInit {
    /// Eigenvectors of the graph's normalised Laplacian (umap-learn's default); falls back to
    /// `Pca` with a warning if the eigensolver fails.
    #[default]
    Spectral,
    /// The first principal components of the data.
    Pca,
    /// Uniform in a box.
    Random,
    /// Given coordinates, row-major `n × n_components`.
    Array(Vec<f32>),
}

impl UmapInit {
    /// Parses `spectral`, `pca` or `random` (an array is passed as [`UmapInit::Array`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for any other name.
    pub fn parse(name: &str) -> Result<UmapInit> {
        match name.to_ascii_lowercase().as_str() {
            "spectral" => Ok(UmapInit::Spectral),
            "pca" => Ok(UmapInit::Pca),
            "random" => Ok(UmapInit::Random),
            _ => Err(Error::param("init", name, "must be spectral, pca, random, or an array of starting coordinates")),
        }
    }

    /// `spectral`, `pca`, `random` or `array`.
    pub fn name(&self) -> &'static str {
        match self {
            UmapInit::Spectral => "spectral",
            UmapInit::Pca => "pca",
            UmapInit::Random => "random",
            UmapInit::Array(_) => "array",
        }
    }
}

/// `init` as a method parameter: `spectral`, `pca` or `random` by name; coordinates come
/// through the typed API ([`UmapInit::Array`]) or a front end's array.
impl ParamType for UmapInit {
    const KIND: ParamKind = ParamKind::ChoiceOrArray(&["spectral", "pca", "random"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) => UmapInit::parse(t),
            // The shape against the data is checked at fit.
            Value::Array { values, shape } if shape.len() == 2 => {
                if let Some(p) = values.iter().position(|x| !(x.is_finite() && x.abs() <= f32::MAX as f64)) {
                    let at = format!("an array holding {} at row {}, column {}", values[p], p / shape[1].max(1), p % shape[1].max(1));
                    return Err(Error::param(name, at, "must hold finite coordinates within float32's range"));
                }
                Ok(UmapInit::Array(values.iter().map(|&x| x as f32).collect()))
            }
            v => Err(Error::param(name, v, "must be spectral, pca, random, or an array of starting coordinates of shape (n_samples, n_components)")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(self.name().to_string())
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

/// The target `y` of supervised UMAP: labels, or numbers compared with `target_metric`.
pub type UmapTarget = crate::method::Target;

/// umap-learn's `target_metric`: `categorical` for labels, or the metric of a numeric target.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum TargetMetric {
    /// Labels: edges between different labels are weakened.
    #[default]
    Categorical,
    /// Numbers compared with this metric: the data's graph is intersected with the target's.
    Metric(Metric),
}

impl ParamType for TargetMetric {
    const KIND: ParamKind = ParamKind::Other("str");
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Text(t) if t.eq_ignore_ascii_case("categorical") => Ok(TargetMetric::Categorical),
            v => Metric::from_value(name, v).map(TargetMetric::Metric),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            TargetMetric::Categorical => Value::Text("categorical".into()),
            TargetMetric::Metric(m) => m.to_value(),
        }
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::method_params! {
    /// UMAP parameters. Names and `Default` values are umap-learn's; the seed and the threads
    /// come from the fit's [`Context`].
    pub struct UmapParams {
        /// Neighbourhood size, the point itself included; below the number of points.
        n_neighbors: usize = 15, flag = "neighbors", range = Range::at_least(2.0);
        /// Output dimensions.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Input distance: euclidean, cosine, correlation, manhattan, … or precomputed (the input is a square distance matrix).
        metric: Metric = Metric::Euclidean;
        /// Output space: euclidean, hyperboloid (hyperbolic, the spatial coordinates), poincare (hyperbolic, the Poincaré ball) or haversine (the sphere, colatitude and longitude; 2 components).
        output_metric: OutputMetric = OutputMetric::Euclidean;
        /// Layout epochs; none = 500 up to 10,000 points, else 200 (200 more with densmap); 0 returns the initialisation.
        n_epochs: Option<usize> = None, flag = "epochs";
        /// Initial step of the layout's gradient descent.
        learning_rate: f32 = 1.0, range = Range::above(0.0);
        /// Initial layout: spectral, pca, random, or starting coordinates (n_samples × n_components).
        init: UmapInit = UmapInit::Spectral;
        /// Smallest distance between embedded points, at most spread.
        min_dist: f32 = 0.1, range = Range::at_least(0.0);
        /// Scale of the embedded clusters.
        spread: f32 = 1.0, range = Range::above(0.0);
        /// Fuzzy union (1) versus intersection (0) when the graph is symmetrised.
        set_op_mix_ratio: f32 = 1.0, range = Range::closed(0.0, 1.0);
        /// Neighbours assumed connected at full strength.
        local_connectivity: f32 = 1.0, range = Range::at_least(0.0);
        /// Weight of the repulsion.
        repulsion_strength: f32 = 1.0, range = Range::at_least(0.0);
        /// Negative samples per positive sample.
        negative_sample_rate: usize = 5;
        /// Curve parameter a, given with b instead of fitting the curve to min_dist and spread.
        a: Option<f32> = None, range = Range::above(0.0);
        /// Curve parameter b, given with a.
        b: Option<f32> = None, range = Range::above(0.0);
        /// Neighbours at this distance or farther are cut; none = umap-learn's per-metric default (2 for cosine and correlation, 1 for jaccard, hellinger and dice).
        disconnection_distance: Option<f32> = None, range = Range::above(0.0);
        /// Seed of transform's random choices.
        transform_seed: u64 = 42;
        /// Neighbourhood size in a numeric target, the point included; none = n_neighbors.
        target_n_neighbors: Option<usize> = None, range = Range::at_least(2.0);
        /// categorical for labels (negative = unknown), or the metric of a numeric supervision target (euclidean, …).
        target_metric: TargetMetric = TargetMetric::Categorical;
        /// Weight of the target against the data, 0 to 1.
        target_weight: f32 = 0.5, range = Range::closed(0.0, 1.0);
        /// densMAP: also preserve each point's local density.
        densmap: bool = false;
        /// densMAP's weight of the density term.
        dens_lambda: f32 = 2.0, range = Range::at_least(0.0);
        /// densMAP's fraction of the epochs, at the end, with the density term.
        dens_frac: f32 = 0.3, range = Range::closed(0.0, 1.0);
        /// densMAP's variance shift.
        dens_var_shift: f32 = 0.1, range = Range::at_least(0.0);
        /// Keep the log local radii of the data and of the embedding (umap-learn's output_dens).
        output_dens: bool = false;
    }
}

impl UmapParams {
    /// Checks every range that does not depend on the data: the declared ranges, and those
    /// between parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and its allowed range.
    pub fn validate(&self) -> Result<()> {
        crate::method::Params::check_ranges(self)?;
        if self.min_dist > self.spread {
            return Err(Error::param("min_dist", self.min_dist, format!("must be at most spread ({})", self.spread)));
        }
        match (self.a, self.b) {
            (Some(_), None) => return Err(Error::param("b", "none", "must be given together with a")),
            (None, Some(_)) => return Err(Error::param("a", "none", "must be given together with b")),
            _ => {}
        }
        self.output_metric.check_components(self.n_components)?;
        if !self.output_metric.is_euclidean() && (self.densmap || self.output_dens) {
            let which = if self.densmap { "densmap" } else { "output_dens" };
            return Err(Error::param(
                "output_metric",
                self.output_metric.name(),
                format!("must be euclidean with {which} (local radii are measured in the plane)"),
            ));
        }
        if let UmapInit::Array(v) = &self.init
            && let Some(p) = v.iter().position(|x| !x.is_finite())
        {
            return Err(Error::param("init", format!("array with {} at value {p}", v[p]), "must hold finite coordinates"));
        }
        Ok(())
    }

    /// densMAP's parameters.
    pub fn dens(&self) -> DensMapParams {
        DensMapParams { lambda: self.dens_lambda, frac: self.dens_frac, var_shift: self.dens_var_shift }
    }

    /// umap-learn's disconnection distance for the metric, unless one is set.
    fn resolved_disconnection(&self) -> Option<f32> {
        self.disconnection_distance.or(match self.metric {
            Metric::Cosine | Metric::Correlation => Some(2.0),
            Metric::Jaccard | Metric::Hellinger | Metric::Dice => Some(1.0),
            _ => None,
        })
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "umap",
    summary: "Uniform Manifold Approximation and Projection (umap-learn's algorithm and defaults)",
    specs: <UmapParams as crate::method::Params>::specs,
    precise: false,
    supervised: true,
    precomputed_knn: true,
    sparse: true,
    fit: |values, data, ctx| {
        let umap = Umap::new(params_from(values)?)?;
        match data.x {
            Input::Sparse(_) => Ok(Box::new(umap.fit_inner(data.x, data.knn, data.y, ctx)?)),
            x => Ok(Box::new(umap.fit_inner(Input::F32(&x.f32()?), data.knn, data.y, ctx)?)),
        }
    },
    load: |bytes| Ok(Box::new(UmapModel::from_bytes(bytes)?)),
};

/// Validated UMAP, ready to fit.
#[derive(Debug, Clone)]
pub struct Umap {
    params: UmapParams,
    /// The spectral initialisation's eigensolver settings (always the defaults outside tests,
    /// which lower them to make the solver fail and the fit fall back to PCA).
    eigen: EigenOptions,
}

/// Builder for [`Umap`]; every setter takes and returns the builder, [`UmapBuilder::build`] validates.
#[derive(Debug, Clone, Default)]
pub struct UmapBuilder {
    params: UmapParams,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $field:ident $(($wrap:path))?;)*) => {
        impl UmapBuilder {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.params.$field = $($wrap)?(value);
                    self
                }
            )*
        }
    };
}

setters! {
    /// Neighbourhood size (counting the point itself).
    n_neighbors: usize => n_neighbors;
    /// Output dimensions.
    n_components: usize => n_components;
    /// Input distance.
    metric: Metric => metric;
    /// Output space.
    output_metric: OutputMetric => output_metric;
    /// Layout epochs.
    n_epochs: usize => n_epochs (Some);
    /// Initial SGD step.
    learning_rate: f32 => learning_rate;
    /// Initial layout.
    init: UmapInit => init;
    /// Smallest distance between embedded points.
    min_dist: f32 => min_dist;
    /// Scale of the embedded clusters.
    spread: f32 => spread;
    /// Fuzzy union versus intersection.
    set_op_mix_ratio: f32 => set_op_mix_ratio;
    /// Neighbours assumed connected at full strength.
    local_connectivity: f32 => local_connectivity;
    /// Weight of the repulsion.
    repulsion_strength: f32 => repulsion_strength;
    /// Negative samples per positive sample.
    negative_sample_rate: usize => negative_sample_rate;
    /// Cut neighbours at this distance or farther.
    disconnection_distance: f32 => disconnection_distance (Some);
    /// Seed of `transform`.
    transform_seed: u64 => transform_seed;
    /// densMAP on or off.
    densmap: bool => densmap;
    /// Keep the local radii.
    output_dens: bool => output_dens;
    /// Metric of a numeric target.
    target_metric: TargetMetric => target_metric;
    /// Neighbourhood size in a numeric target.
    target_n_neighbors: usize => target_n_neighbors (Some);
    /// Weight of the target.
    target_weight: f32 => target_weight;
}

impl UmapBuilder {
    /// densMAP's `dens_lambda`, `dens_frac` and `dens_var_shift`.
    pub fn dens(mut self, lambda: f32, frac: f32, var_shift: f32) -> Self {
        (self.params.dens_lambda, self.params.dens_frac, self.params.dens_var_shift) = (lambda, frac, var_shift);
        self
    }
    /// Curve parameters `a` and `b`, instead of fitting them to `min_dist` and `spread`.
    pub fn ab(mut self, a: f32, b: f32) -> Self {
        self.params.a = Some(a);
        self.params.b = Some(b);
        self
    }
    /// Validates the parameters.
    ///
    /// # Errors
    /// See [`UmapParams::validate`].
    pub fn build(self) -> Result<Umap> {
        Umap::new(self.params)
    }
}

impl Umap {
    /// A builder starting from umap-learn's defaults.
    pub fn builder() -> UmapBuilder {
        UmapBuilder::default()
    }

    /// Validates `params`.
    ///
    /// # Errors
    /// See [`UmapParams::validate`].
    pub fn new(params: UmapParams) -> Result<Umap> {
        params.validate()?;
        Ok(Umap { params, eigen: EigenOptions::default() })
    }

    /// The parameters.
    pub fn params(&self) -> &UmapParams {
        &self.params
    }

    /// Fits the model and embeds `data`, on `ctx`'s threads, with `ctx.seed` for every random
    /// choice.
    ///
    /// # Errors
    /// As [`Umap::fit_with`].
    pub fn fit(&self, data: &Data, ctx: &Context) -> Result<UmapModel> {
        self.fit_with(data, None, ctx)
    }

    /// Fits with an optional precomputed kNN graph of `data` (self excluded, at least
    /// `n_neighbors − 1` neighbours per point; extra columns are ignored).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `n_neighbors ≥ n` or the parameters don't fit the data
    /// (`init` array shape, PCA init with `n_components > min(n, d)`, a metric's column count);
    /// [`Error::InvalidData`] for a kNN graph of another size or more rows than
    /// [`MAX_POINTS`](crate::knn::MAX_POINTS); [`Error::Cancelled`].
    pub fn fit_with(&self, data: &Data, knn: Option<&KnnGraph>, ctx: &Context) -> Result<UmapModel> {
        ctx.install(|| self.fit_inner(Input::F32(data), knn, None, ctx))
    }

    /// Supervised or semi-supervised fit: the graph is combined with the target `y` before the
    /// layout (see [`super::supervised`]), as umap-learn's `fit(X, y)`.
    ///
    /// # Errors
    /// As [`Umap::fit_with`], and [`Error::InvalidParameter`] for a target of another length or
    /// `target_n_neighbors` beyond the number of points.
    pub fn fit_supervised(&self, data: &Data, y: &UmapTarget, knn: Option<&KnnGraph>, ctx: &Context) -> Result<UmapModel> {
        ctx.install(|| self.fit_inner(Input::F32(data), knn, Some(y), ctx))
    }

    /// Fits sparse rows (see [`Umap::fit_with`]). The model gives its embedding; transforming
    /// new rows needs a model fitted on dense rows.
    ///
    /// # Errors
    /// As [`Umap::fit_with`], and [`Error::InvalidParameter`] for a metric sparse rows do not
    /// take ([`crate::knn::SPARSE_METRICS`]).
    pub fn fit_sparse(&self, x: &SparseData, knn: Option<&KnnGraph>, ctx: &Context) -> Result<UmapModel> {
        ctx.install(|| self.fit_inner(Input::Sparse(x), knn, None, ctx))
    }

    /// Fits `x`: `f32` rows or sparse rows.
    fn fit_inner(&self, x: Input<'_>, knn: Option<&KnnGraph>, y: Option<&UmapTarget>, ctx: &Context) -> Result<UmapModel> {
        let progress = ctx.progress;
        // Every graph of the fit numbers points with `u32` ids: refuse too many rows before any work.
        crate::knn::check_point_count(x.n_rows())?;
        let dense_rows;
        let rows = match x {
            Input::Sparse(s) => FitRows::Sparse(s),
            _ => {
                dense_rows = x.f32()?;
                FitRows::Dense(&dense_rows)
            }
        };
        // Parameters a metric takes from the data (seuclidean's V, mahalanobis's VI) are fixed
        // here, so that a transform uses the fit's.
        let metric = match rows {
            FitRows::Dense(d) => self.params.metric.fit(d)?,
            FitRows::Sparse(_) => {
                crate::knn::check_sparse_metric(&self.params.metric)?;
                PreparedMetric::new(self.params.metric.clone(), x.n_cols())?
            }
        };
        let fitted = UmapParams { metric: metric.metric().clone(), ..self.params.clone() };
        let p = &fitted;
        let (n, dim) = (x.n_rows(), p.n_components);
        if p.n_neighbors >= n {
            return Err(Error::param("n_neighbors", p.n_neighbors, format!("must be at least 2 and less than the number of points ({n})")));
        }
        if let UmapInit::Array(v) = &p.init
            && v.len() != n * dim
        {
            return Err(Error::param("init", format!("an array of {} values", v.len()), format!("must have shape (n_samples, n_components) = ({n}, {dim})")));
        }
        let k = p.n_neighbors - 1;
        let seeds = SeedSource::new(ctx.seed);
        let knn = match knn {
            Some(g) => truncate_knn(g, n, k)?,
            None => {
                // On this fit's pool.
                let params = KnnParams { k, metric: p.metric.clone(), seed: Some(seeds.value(STAGE_KNN, 0)), threads: None, ..Default::default() };
                params.validate(n, x.n_cols())?;
                match rows {
                    FitRows::Dense(d) => knn_graph_fitted(d, &params, &metric, progress)?,
                    FitRows::Sparse(s) => crate::knn::sparse::sparse_knn_fitted(s, &params, progress)?,
                }
            }
        };
        progress.check()?;
        let fuzzy = FuzzySetParams {
            local_connectivity: p.local_connectivity,
            set_op_mix_ratio: p.set_op_mix_ratio,
            bandwidth: 1.0,
            disconnection_distance: p.resolved_disconnection(),
        };
        progress.stage("UMAP graph", 1);
        let mut graph = fuzzy_simplicial_set(&knn, &fuzzy)?;
        // The data's bandwidths, before a target changes the graph: the inverse transform's
        // memberships in data space.
        let scales = transform::DataScales { sigmas: graph.sigmas.clone(), rhos: graph.rhos.clone() };
        match (y, &p.target_metric) {
            (None, _) => {}
            (Some(y), TargetMetric::Categorical) => {
                let labels = categorical_labels(y)?;
                let far = supervised::categorical_far_dist(p.target_weight)?;
                graph = supervised::categorical_simplicial_set_intersection(&graph, &labels, supervised::UNKNOWN_DIST, far)?;
            }
            (Some(y), TargetMetric::Metric(metric)) => {
                let (values, n_cols) = match y {
                    UmapTarget::Numeric { values, n_cols } => (std::borrow::Cow::Borrowed(values.as_slice()), *n_cols),
                    UmapTarget::Categorical(labels) => (labels.iter().map(|&l| l as f32).collect(), 1),
                };
                let rows = values.len().checked_div(n_cols).unwrap_or(0);
                let target = Data::from_row_major(&values, rows, n_cols).map_err(|e| Error::param("y", "numeric target", e.to_string()))?;
                let tk = p.target_n_neighbors.unwrap_or(p.n_neighbors);
                let seed = Some(seeds.value(STAGE_TARGET, 0));
                graph = supervised::numeric_target_intersection(&graph, &target, tk, metric.clone(), seed, p.target_weight)?;
            }
        }
        // umap-learn gives densMAP 200 more epochs by default.
        let n_epochs = p.n_epochs.unwrap_or_else(|| default_epochs(n) + if p.densmap { 200 } else { 0 });
        // umap-learn prunes only above 10 epochs; below, the layout still never samples them.
        if n_epochs > 10 {
            prune(&mut graph, n_epochs);
        }
        progress.inc(1);
        progress.finish_stage();
        progress.check()?;

        let (a, b) = match (p.a, p.b) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                let (a, b) = curve::find_ab_params(p.spread as f64, p.min_dist as f64)?;
                let (a32, b32) = (a as f32, b as f32);
                if !(a32.is_finite() && a32 > 0.0 && b32.is_finite() && b32 > 0.0) {
                    return Err(Error::param(
                        "spread",
                        p.spread,
                        format!("with min_dist = {} gives the curve a = {a:e}, b = {b:e}, outside float32's range; choose a spread nearer 1", p.min_dist),
                    ));
                }
                (a32, b32)
            }
        };
        let mut warnings = Vec::new();
        if let Some(w) = disconnected_warning(&graph, p.resolved_disconnection()) {
            warnings.push(w);
        }
        let mut embedding = self.initialise(rows, &graph, seeds.value(STAGE_INIT, 0), &mut warnings, progress)?;
        p.output_metric.map_start(&mut embedding, dim);
        progress.check()?;
        let layout = LayoutParams {
            n_epochs,
            learning_rate: p.learning_rate,
            repulsion_strength: p.repulsion_strength,
            negative_sample_rate: p.negative_sample_rate,
            a,
            b,
            seed: Some(seeds.value(STAGE_LAYOUT, 0)),
            output_metric: p.output_metric,
        };
        let ro = (p.densmap || p.output_dens).then(|| densmap::original_radii(&graph, &knn));
        let dens_params = p.dens();
        let dens = ro.as_deref().filter(|_| p.densmap).map(|ro| (&dens_params, ro));
        // umap-learn returns the initialisation for `n_epochs=0`.
        if n_epochs > 0 {
            optimize_layout_densmap(graph.indptr(), graph.indices(), graph.weights(), &mut embedding, dim, &layout, dens, progress)?;
        }
        if let Some(i) = embedding.iter().position(|v| !v.is_finite()) {
            return Err(Error::Numerical {
                stage: "UMAP layout",
                message: format!(
                    "point {} got the coordinate {}; with a = {a}, b = {b}, learning_rate = {}, repulsion_strength = {} the gradients overflow float32: use values nearer umap-learn's defaults",
                    i / dim,
                    embedding[i],
                    p.learning_rate,
                    p.repulsion_strength
                ),
            });
        }
        let radii = match ro {
            Some(ro) if p.output_dens => Some((ro, densmap::embedding_radii(graph.indptr(), graph.indices(), &embedding, dim, a, b))),
            _ => None,
        };
        let state = transform::TransformState::new(p, metric, a, b, rows.dense(), x.n_cols(), knn, scales, embedding, ctx.keep_data);
        Ok(UmapModel { state, graph: Some(graph), warnings, radii, n_epochs: Some(n_epochs) })
    }

    /// The layout's start.
    fn initialise(&self, x: FitRows<'_>, graph: &FuzzyGraph, seed: u64, warnings: &mut Vec<String>, progress: &dyn Progress) -> Result<Vec<f32>> {
        let (n, dim) = (x.n_rows(), self.params.n_components);
        let pca = |progress: &dyn Progress| -> Result<Vec<f32>> {
            if dim > n.min(x.n_cols()) {
                return Err(Error::param("n_components", dim, format!("must be at most min(n, d) = {} for a PCA initialisation", n.min(x.n_cols()))));
            }
            // On this fit's pool (threads: None runs where it is called).
            let ctx = Context { seed: Some(seed), threads: None, progress, ..Context::default() };
            // Sparse rows take a truncated SVD, as umap-learn does: centring would densify them.
            let mut y = match x {
                FitRows::Dense(d) => Pca::builder().n_components(dim).build()?.fit(d, &ctx)?.into_embedding(),
                FitRows::Sparse(s) => crate::embed::truncated_svd::sparse_embedding(s, dim, &ctx)?,
            };
            noisy_scale(&mut y, dim, Some(seed));
            Ok(y)
        };
        match &self.params.init {
            UmapInit::Spectral => {
                progress.stage("UMAP spectral initialisation", 1);
                let result = spectral_layout_with(graph, dim, Some(seed), &self.eigen);
                progress.finish_stage();
                match result {
                    Ok(y) => Ok(y),
                    Err(Error::Numerical { stage, message }) => {
                        warnings.push(format!("spectral initialisation failed ({stage}: {message}); using PCA instead"));
                        pca(progress)
                    }
                    Err(e) => Err(e),
                }
            }
            UmapInit::Pca => pca(progress),
            UmapInit::Random => {
                let seeds = SeedSource::new(Some(seed));
                let mut y: Vec<f32> = (0..n * dim).map(|i| (20.0 * unit_f64(seeds.value(0, i as u64)) - 10.0) as f32).collect();
                min_max_scale(&mut y, dim);
                Ok(y)
            }
            UmapInit::Array(v) => {
                if let Some(d) = (0..dim).find(|&d| v.iter().skip(d).step_by(dim).all(|&x| x == v[d])) {
                    return Err(Error::param(
                        "init",
                        format!("array whose column {d} is constant ({})", v[d]),
                        "must vary along every column: the layout is scaled to [0, 10] per column, as umap-learn does, and a constant column would hold every point on one line",
                    ));
                }
                let mut y = v.clone();
                min_max_scale(&mut y, dim);
                Ok(y)
            }
        }
    }
}

/// The labels of a target for `target_metric = categorical`: integer numbers in one column are
/// labels too.
fn categorical_labels(y: &UmapTarget) -> Result<std::borrow::Cow<'_, [i64]>> {
    match y {
        UmapTarget::Categorical(labels) => Ok(std::borrow::Cow::Borrowed(labels)),
        UmapTarget::Numeric { values, n_cols } => {
            if *n_cols != 1 {
                return Err(Error::param(
                    "y",
                    format!("a target of {n_cols} columns"),
                    "must hold one label per row with target_metric = categorical; a numeric target takes a metric (target_metric = euclidean, …)",
                ));
            }
            values
                .iter()
                .enumerate()
                .map(|(row, &v)| {
                    if v.is_finite() && v.fract() == 0.0 && v.abs() < 2f32.powi(53) {
                        Ok(v as i64)
                    } else {
                        Err(Error::param(
                            "y",
                            format!("{v} at row {row}"),
                            "must be an integer label with target_metric = categorical (numeric targets take target_metric = euclidean)",
                        ))
                    }
                })
                .collect::<Result<Vec<i64>>>()
                .map(std::borrow::Cow::Owned)
        }
    }
}

const STAGE_KNN: u64 = 1;
const STAGE_INIT: u64 = 2;
const STAGE_LAYOUT: u64 = 3;
const STAGE_TARGET: u64 = 4;

/// umap-learn's warning when its disconnection distance has left points without any edge: they
/// keep their initial coordinates, apart from the rest.
fn disconnected_warning(graph: &FuzzyGraph, disconnection: Option<f32>) -> Option<String> {
    let d = disconnection?;
    let n = graph.n_points();
    let isolated = graph.rows().filter(|(_, w)| w.iter().all(|&w| w <= 0.0)).count();
    (isolated > 0).then(|| {
        let how = if isolated as f64 <= 0.1 * n as f64 { "a few of" } else { "a large number of" };
        format!(
            "{how} the points ({isolated} of {n}) were disconnected from the manifold: disconnection_distance = {d} removed all their neighbours, so they keep their initial coordinates; raise disconnection_distance or remove those points"
        )
    })
}

/// Maps each column onto `[0, 10]`, as umap-learn does to every initialisation.
fn min_max_scale(y: &mut [f32], dim: usize) {
    for d in 0..dim {
        let (lo, hi) = y.iter().skip(d).step_by(dim).fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let range = hi - lo;
        for v in y.iter_mut().skip(d).step_by(dim) {
            *v = if range > 0.0 { 10.0 * (*v - lo) / range } else { 0.0 };
        }
    }
}

/// Drops edges lighter than `w_max / n_epochs`, which the layout would never sample, before the
/// initialisation sees the graph (as umap-learn does).
fn prune(graph: &mut FuzzyGraph, n_epochs: usize) {
    let w_max = graph.weights().iter().copied().fold(0.0f32, f32::max);
    let cut = w_max / n_epochs as f32;
    graph.graph.retain(|_, _, w| w >= cut);
}

/// The first `k` neighbours of a precomputed graph, checked against `n`.
fn truncate_knn(g: &KnnGraph, n: usize, k: usize) -> Result<KnnGraph> {
    if g.n_points() != n {
        return Err(Error::InvalidData(format!("the precomputed kNN graph has {} rows but the data has {n}", g.n_points())));
    }
    if g.k() < k {
        return Err(Error::InvalidData(format!(
            "the precomputed kNN graph has {} neighbours per point; n_neighbors = {} needs at least {k} (the point itself not counted)",
            g.k(),
            k + 1
        )));
    }
    let (mut idx, mut dist) = (Vec::with_capacity(n * k), Vec::with_capacity(n * k));
    for i in 0..n {
        let (gi, gd) = g.neighbors(i);
        idx.extend_from_slice(&gi[..k]);
        dist.extend_from_slice(&gd[..k]);
    }
    KnnGraph::from_parts(n, k, idx, dist)
}

/// A fitted UMAP: the embedding, the graph, and what [`UmapModel::transform`] needs.
#[derive(Debug, Clone)]
pub struct UmapModel {
    pub(super) state: transform::TransformState,
    graph: Option<FuzzyGraph>,
    warnings: Vec<String>,
    radii: Option<(Vec<f32>, Vec<f32>)>,
    /// The layout's epochs (not kept in model files).
    n_epochs: Option<usize>,
}

impl UmapModel {
    pub(super) fn from_state(state: transform::TransformState) -> UmapModel {
        UmapModel { state, graph: None, warnings: Vec::new(), radii: None, n_epochs: None }
    }

    /// The embedding of the training data, `n × n_components`.
    pub fn embedding(&self) -> Data<'_> {
        Data::from_trusted_slice(&self.state.embedding, self.state.n_train(), self.state.n_components)
    }

    /// Consumes the model, returning the embedding's values (row-major).
    pub fn into_embedding(self) -> Vec<f32> {
        self.state.embedding
    }

    /// The fuzzy graph of the training data after pruning (not kept in model files).
    pub fn graph(&self) -> Option<&FuzzyGraph> {
        self.graph.as_ref()
    }

    /// With `output_dens`: the log local radii of the data and of the embedding, one per point
    /// (umap-learn's `rad_orig_` and `rad_emb_`; see [`densmap`]). Not kept in model files.
    pub fn radii(&self) -> Option<(&[f32], &[f32])> {
        self.radii.as_ref().map(|(o, e)| (o.as_slice(), e.as_slice()))
    }

    /// Warnings from the fit, e.g. a spectral initialisation that fell back to PCA.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The fitted curve parameters `(a, b)`.
    pub fn ab(&self) -> (f32, f32) {
        (self.state.a, self.state.b)
    }

    /// Number of input columns.
    pub fn n_features(&self) -> usize {
        self.state.n_features
    }

    /// Places new points in the fitted embedding (see [`transform`]).
    ///
    /// # Errors
    /// As [`UmapModel::transform_with`].
    pub fn transform(&self, data: &Data) -> Result<Embedding> {
        self.transform_with(data, None, &NoProgress)
    }
}

impl Fitted for UmapModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        let metric = self.state.metric();
        let kept = UmapModel::capabilities(self);
        let inverse =
            kept.inverse_transform && *metric != Metric::Precomputed && metric.has_gradient() && !self.state.densmap && self.state.output_metric.is_euclidean();
        Capabilities { inverse_transform: inverse, ..kept }
    }

    fn n_components(&self) -> usize {
        self.state.n_components
    }

    fn n_features(&self) -> usize {
        self.state.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(UmapModel::embedding(self))
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        let x = data.f32()?;
        ctx.install(|| self.transform_with(&x, None, ctx.progress))
    }

    fn inverse_transform(&self, embedded: &Data, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| self.inverse_transform_with(embedded, ctx.progress))
    }

    /// With `output_dens`, umap-learn's `rad_orig_` and `rad_emb_`.
    fn attributes(&self) -> Vec<Attribute> {
        let Some((orig, emb)) = self.radii() else { return Vec::new() };
        let f64s = |v: &[f32]| v.iter().map(|&x| x as f64).collect();
        vec![Attribute::vector("rad_orig_", f64s(orig)), Attribute::vector("rad_emb_", f64s(emb))]
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        UmapModel::to_bytes(self)
    }

    /// The curve parameters `a` and `b` as fitted, and the layout's epochs.
    fn resolved(&self) -> Vec<(&'static str, Value)> {
        let (a, b) = self.ab();
        let mut out = vec![("a", a.to_value()), ("b", b.to_value())];
        if let Some(e) = self.n_epochs {
            out.push(("n_epochs", e.to_value()));
        }
        out
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        UmapModel::params(self).to_vec()
    }

    fn warnings(&self) -> &[String] {
        UmapModel::warnings(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::lobpcg::LobpcgOptions;
    use crate::rng::normal_f64;

    /// Three Gaussian blobs in 5 dimensions, 200 points.
    fn blobs() -> Vec<f32> {
        let s = SeedSource::new(Some(12));
        (0..200 * 5).map(|u| ((u / 5) % 3) as f32 * 8.0 + normal_f64(s.value(0, 2 * u as u64), s.value(0, 2 * u as u64 + 1)) as f32).collect()
    }

    #[test]
    fn a_failed_spectral_initialisation_falls_back_to_pca_with_a_warning() {
        let x = blobs();
        let data = Data::from_row_major(&x, 200, 5).unwrap();
        // The iterative solver (forced below its usual size) with one iteration cannot converge.
        let failing = EigenOptions { dense_max: 0, lobpcg: LobpcgOptions { max_iter: 1, ..Default::default() }, ..Default::default() };
        let fit = |init: UmapInit, eigen: EigenOptions, epochs: usize| {
            let umap = Umap { eigen, ..Umap::builder().n_neighbors(10).init(init).n_epochs(epochs).build().unwrap() };
            umap.fit(&data, &Context::seeded(6)).unwrap()
        };
        for epochs in [0, 30] {
            let fallen = fit(UmapInit::Spectral, failing, epochs);
            let w = fallen.warnings();
            assert!(
                w.len() == 1
                    && w[0].starts_with("spectral initialisation failed")
                    && w[0].contains("did not converge in 1 iterations")
                    && w[0].ends_with("using PCA instead"),
                "{w:?}"
            );
            let pca = fit(UmapInit::Pca, EigenOptions::default(), epochs);
            assert!(pca.warnings().is_empty(), "{:?}", pca.warnings());
            assert!(fallen.embedding().as_slice() == pca.embedding().as_slice(), "{epochs} epochs: the fallback is not PCA's initialisation");
            let spectral = fit(UmapInit::Spectral, EigenOptions::default(), epochs);
            assert!(spectral.warnings().is_empty(), "{:?}", spectral.warnings());
            assert!(spectral.embedding().as_slice() != pca.embedding().as_slice());
        }
        // With no epochs the embedding is the initialisation: each column an increasing affine
        // map of the data's principal component (up to the 1e-4 noise umap-learn adds).
        let fallen = fit(UmapInit::Spectral, failing, 0).into_embedding();
        let components = Pca::builder().n_components(2).build().unwrap().fit(&data, &Context::default()).unwrap().into_embedding();
        for c in 0..2 {
            let a: Vec<f64> = (0..200).map(|i| fallen[2 * i + c] as f64).collect();
            let b: Vec<f64> = (0..200).map(|i| components[2 * i + c] as f64).collect();
            let r = correlation(&a, &b);
            assert!(r > 0.9999, "column {c}: correlation with the principal component {r}");
        }
    }

    #[test]
    fn the_registered_fit_is_the_typed_fit() {
        let x = blobs();
        let data = Data::from_row_major(&x, 200, 5).unwrap();
        let ctx = Context::seeded(3);
        let labels: Vec<i64> = (0..200).map(|i| (i % 3) as i64).collect();
        let y = UmapTarget::Categorical(labels);
        let start: Vec<f64> = (0..400).map(|i| ((i * 37) % 101) as f64).collect();
        let values = [
            ("n_neighbors", Value::Int(10)),
            ("n_epochs", Value::Int(30)),
            ("init", Value::Array { values: start.clone(), shape: vec![200, 2] }),
            ("target_weight", Value::Float(0.3)),
        ];
        let fit_data = crate::method::FitData { x: Input::F32(&data), y: Some(&y), knn: None };
        let registered = (ENTRY.fit)(&values, fit_data, &ctx).unwrap();
        let init = UmapInit::Array(start.iter().map(|&v| v as f32).collect());
        let typed = Umap::builder().n_neighbors(10).n_epochs(30).init(init).target_weight(0.3).build().unwrap().fit_supervised(&data, &y, None, &ctx).unwrap();
        assert!(registered.embedding().unwrap().as_slice() == typed.embedding().as_slice());
        assert_eq!(registered.resolved()[2], ("n_epochs", Value::Int(30)));
        let c = registered.capabilities();
        assert!(c.transform && c.inverse_transform && c.save && c.embedding);
        // A 1-D array is not a layout; the shape is checked against the data.
        let e = (ENTRY.fit)(&[("init", Value::Array { values: vec![0.0; 400], shape: vec![400] })], Input::F32(&data).into(), &ctx).err().unwrap().to_string();
        assert!(e.contains("`init`") && e.contains("(400)"), "{e}");
        let e =
            (ENTRY.fit)(&[("init", Value::Array { values: vec![0.0; 300], shape: vec![100, 3] })], Input::F32(&data).into(), &ctx).err().unwrap().to_string();
        assert!(e.contains("`init`: an array of 300 values") && e.contains("= (200, 2)"), "{e}");
    }

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let (va, vb): (f64, f64) = (a.iter().map(|x| (x - ma).powi(2)).sum(), b.iter().map(|y| (y - mb).powi(2)).sum());
        cov / (va * vb).sqrt()
    }
}
