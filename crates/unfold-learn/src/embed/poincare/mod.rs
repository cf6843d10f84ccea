//! Poincaré embeddings of hierarchies (Nickel & Kiela, 2017, "Poincaré Embeddings for Learning
//! Hierarchical Representations"), and their Lorentz-model variant (Nickel & Kiela, 2018).
//!
//! Stages, each a public function:
//!
//! 1. [`Relations`] ([`relations`]): the edges `(u, v)` (child, ancestor) of a hierarchy, with
//!    its transitive closure on request; [`read_edges`] reads them from a two-column file.
//! 2. [`fit`]: for every edge, the loss `−log(e^{−d(u,v)} / Σ_{v' ∈ {v} ∪ N(u)} e^{−d(u,v')})`
//!    over `negative` nodes `N(u)` not related to `u`, minimised by Riemannian SGD with the
//!    sparse optimiser ([`SparseOptimizer`]) in the Poincaré ball (`retr_x(u) = x + u`
//!    projected to radius `1 − 1e-5`, the Riemannian gradient `(1 − ‖x‖²)²/4 · ∇`) or, with
//!    `model = Lorentz`, on the hyperboloid with the exponential map, mapped to the ball at the
//!    end (`x ↦ x₁.. / (1 + x₀)`).
//! 3. [`reconstruction`] ([`evaluate`]): mean rank and mean average precision, as gensim.
//!
//! The defaults and the training schedule are gensim 4.4's `PoincareModel`: `size = 50`,
//! `alpha = 0.1`, `negative = 10`, `burn_in = 10` epochs at `burn_in_alpha = 0.01` before the
//! `epochs` at `alpha`, `regularization_coeff = 1.0` (an `‖v‖²` penalty on each edge's ancestor),
//! batches of 10 edges whose gradients are taken at the same point, initial coordinates uniform in
//! `[−0.001, 0.001]`, negatives drawn in proportion to the nodes' occurrence counts, never a
//! positive of `u`, never twice. Deliberate differences: `u` is never its own negative (gensim
//! may draw it, with a zero gradient), a node with fewer than `negative` possible negatives uses
//! those it has (gensim raises), and the ball's projection is geoopt's (radius `1 − ε`) instead of
//! gensim's extra per-coordinate shift by `ε`.
//!
//! Determinism: every edge of every epoch draws its negatives from its own stream `(seed, epoch,
//! position)`; a batch's gradients are computed into per-edge buffers (in parallel for large
//! batches) and summed into the touched rows in edge order, so a seeded fit is bit-identical at
//! any thread count.

pub mod evaluate;
pub mod relations;

pub use evaluate::{Reconstruction, poincare_distance, reconstruction};
pub use relations::{Relations, read_edges};

use rand_xoshiro::rand_core::Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::manifold::{Lorentz, Manifold, PoincareBall};
use crate::optim::{Method, SparseGrad, SparseOptimizer};
use crate::progress::Progress;
use crate::rng::{SeedSource, Stream, below, unit_f64};

/// The model of hyperbolic space that is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HyperbolicModel {
    /// The Poincaré ball (Nickel & Kiela, 2017).
    Poincare,
    /// The hyperboloid (Nickel & Kiela, 2018), mapped to the ball at the end.
    Lorentz,
}

impl std::str::FromStr for HyperbolicModel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "poincare" => Ok(HyperbolicModel::Poincare),
            "lorentz" => Ok(HyperbolicModel::Lorentz),
            other => Err(Error::param("model", format!("{other:?}"), "must be \"poincare\" or \"lorentz\"")),
        }
    }
}

/// Parameters of [`fit`]; `Default` is gensim's `PoincareModel` (with 50 training epochs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PoincareParams {
    /// Dimensions of the ball (gensim's `size`).
    pub n_components: usize,
    /// Ball or hyperboloid.
    pub model: HyperbolicModel,
    /// Negative samples per edge.
    pub negative: usize,
    /// Training epochs after the burn-in.
    pub epochs: usize,
    /// Burn-in epochs, at `burn_in_alpha`.
    pub burn_in: usize,
    /// Learning rate.
    pub alpha: f64,
    /// Learning rate of the burn-in.
    pub burn_in_alpha: f64,
    /// Coefficient of the `‖v‖²` penalty on each edge's ancestor (0 = none).
    pub regularization_coeff: f64,
    /// Edges per batch.
    pub batch_size: usize,
    /// Initial coordinates are uniform in `[−init_range, init_range]`.
    pub init_range: f64,
    /// Seed of the initialisation, shuffles and negatives; `None` = random.
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for PoincareParams {
    fn default() -> Self {
        PoincareParams {
            n_components: 50,
            model: HyperbolicModel::Poincare,
            negative: 10,
            epochs: 50,
            burn_in: 10,
            alpha: 0.1,
            burn_in_alpha: 0.01,
            regularization_coeff: 1.0,
            batch_size: 10,
            init_range: 0.001,
            seed: None,
            threads: None,
        }
    }
}

impl PoincareParams {
    /// Checks every parameter's range.
    ///
    /// # Errors
    /// The first parameter out of range, named.
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &'static str, v: f64| if v > 0.0 && v.is_finite() { Ok(()) } else { Err(Error::param(name, v, "must be a positive number")) };
        if self.n_components == 0 {
            return Err(Error::param("n_components", 0, "must be at least 1"));
        }
        if self.negative == 0 {
            return Err(Error::param("negative", 0, "must be at least 1"));
        }
        if self.epochs == 0 {
            return Err(Error::param("epochs", 0, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", 0, "must be at least 1"));
        }
        positive("alpha", self.alpha)?;
        positive("burn_in_alpha", self.burn_in_alpha)?;
        if !(self.regularization_coeff >= 0.0 && self.regularization_coeff.is_finite()) {
            return Err(Error::param("regularization_coeff", self.regularization_coeff, "must be a finite number ≥ 0"));
        }
        if !(self.init_range > 0.0 && self.init_range < 0.1) {
            return Err(Error::param("init_range", self.init_range, "must be in (0, 0.1)"));
        }
        crate::threads::check(self.threads)
    }
}

/// A fitted embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct PoincareEmbedding {
    /// `n_nodes × n_components` points of the unit Poincaré ball, row `i` for node `i`.
    pub embedding: Vec<f64>,
    /// The number of columns of `embedding`.
    pub n_components: usize,
    /// The mean loss per edge of each epoch (burn-in first).
    pub losses: Vec<f64>,
}

/// Stream stages.
const STAGE_INIT: u64 = 1;
const STAGE_SHUFFLE: u64 = 2;
const STAGE_NEGATIVES: u64 = 3;
/// Edges of a batch per parallel task; smaller batches run on the calling thread.
const EDGES_PER_TASK: usize = 64;
/// Draws per negative before [`sample_negatives`] falls back to an explicit candidate list.
const MAX_REJECTIONS: usize = 64;

/// One edge's share of a batch: the rows it touches (`u`, `v`, the negatives) and their
/// Euclidean gradients.
#[derive(Clone, Default)]
struct EdgeGrad {
    rows: Vec<u32>,
    grads: Vec<f64>,
    loss: f64,
}

/// Trains an embedding of `relations` with `params`.
///
/// # Errors
/// Invalid parameters (named); cancellation through `progress`.
///
/// ```
/// use unfold_learn::NoProgress;
/// use unfold_learn::embed::poincare::{PoincareParams, Relations, fit, reconstruction};
/// let edges = [("a", "root"), ("b", "root"), ("c", "a"), ("d", "a"), ("e", "b"), ("f", "b")];
/// let r = Relations::from_pairs(edges, true)?;
/// let params = PoincareParams { n_components: 2, negative: 2, epochs: 100, seed: Some(0), ..Default::default() };
/// let fitted = fit(&r, &params, &NoProgress)?;
/// assert_eq!(fitted.embedding.len(), 7 * 2);
/// let q = reconstruction(&fitted.embedding, 2, &r)?;
/// assert!(q.map > 0.5);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn fit(relations: &Relations, params: &PoincareParams, progress: &dyn Progress) -> Result<PoincareEmbedding> {
    params.validate()?;
    crate::threads::install(params.threads, || match params.model {
        HyperbolicModel::Poincare => {
            let ball = PoincareBall::new(params.n_components, 1.0);
            let embedding = train(&ball, &PoincareGeometry, relations, params, progress)?;
            Ok(PoincareEmbedding { embedding: embedding.0, n_components: params.n_components, losses: embedding.1 })
        }
        HyperbolicModel::Lorentz => {
            let hyperboloid = Lorentz::new(params.n_components + 1, 1.0);
            let (points, losses) = train(&hyperboloid, &LorentzGeometry, relations, params, progress)?;
            let d = params.n_components;
            let mut embedding = vec![0.0; relations.n_nodes() * d];
            for (out, x) in embedding.chunks_mut(d).zip(points.chunks(d + 1)) {
                let s = 1.0 / (1.0 + x[0]);
                out.iter_mut().zip(&x[1..]).for_each(|(o, v)| *o = v * s);
                // Far points round to the boundary; keep them inside as the ball's projection does.
                let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
                let max = 1.0 - crate::manifold::BALL_EPS;
                if norm > max {
                    out.iter_mut().for_each(|v| *v *= max / norm);
                }
            }
            Ok(PoincareEmbedding { embedding, n_components: d, losses })
        }
    })?
}

/// The distance and its Euclidean gradients in one model's coordinates.
trait Geometry: Sync {
    /// Initial point from uniform coordinates `init` (`n_components` values).
    fn init(&self, init: &[f64], out: &mut [f64]);
    /// `d(u, v)`; adds `scale · ∂d/∂u` to `gu` and `scale · ∂d/∂v` to `gv` where `scale(d)` is
    /// given the distance.
    fn dist_grad(&self, u: &[f64], v: &[f64], gu: &mut [f64], gv: &mut [f64], scale: &dyn Fn(f64) -> f64) -> f64;
    /// `d(u, v)`.
    fn dist(&self, u: &[f64], v: &[f64]) -> f64;
    /// Adds the gradient of `c ‖v‖²`, `v` in ball coordinates (gensim's penalty), to `gv`.
    fn add_regularization(&self, v: &[f64], c: f64, gv: &mut [f64]);
}

/// Ball coordinates: `d = arcosh(γ)`, `γ = 1 + 2‖u − v‖² / (αβ)`, `α = 1 − ‖u‖²`, `β = 1 − ‖v‖²`;
/// `∂d/∂u = 4 / (αβ √(γ² − 1)) · ((‖u − v‖² + α)/α · u − v)` (gensim's, zero when `γ = 1`).
struct PoincareGeometry;

impl Geometry for PoincareGeometry {
    fn init(&self, init: &[f64], out: &mut [f64]) {
        out.copy_from_slice(init);
    }
    fn dist(&self, u: &[f64], v: &[f64]) -> f64 {
        poincare_distance(u, v)
    }
    fn dist_grad(&self, u: &[f64], v: &[f64], gu: &mut [f64], gv: &mut [f64], scale: &dyn Fn(f64) -> f64) -> f64 {
        let (mut uu, mut vv, mut diff) = (0.0, 0.0, 0.0);
        for (a, b) in u.iter().zip(v) {
            uu += a * a;
            vv += b * b;
            diff += (a - b) * (a - b);
        }
        let (alpha, beta) = (1.0 - uu, 1.0 - vv);
        let gamma = (1.0 + 2.0 * diff / (alpha * beta)).max(1.0);
        let d = gamma.acosh();
        let root = (gamma * gamma - 1.0).sqrt();
        if root > 0.0 {
            let c = scale(d) * 4.0 / (alpha * beta * root);
            let (cu, cv) = ((diff + alpha) / alpha, (diff + beta) / beta);
            for i in 0..u.len() {
                gu[i] += c * (cu * u[i] - v[i]);
                gv[i] += c * (cv * v[i] - u[i]);
            }
        }
        d
    }
    fn add_regularization(&self, v: &[f64], c: f64, gv: &mut [f64]) {
        gv.iter_mut().zip(v).for_each(|(g, x)| *g += 2.0 * c * x);
    }
}

/// Hyperboloid coordinates (k = 1): `d = arcosh(γ)`, `γ = −⟨u, v⟩_L = u₀v₀ − Σ uᵢvᵢ`;
/// `∂d/∂u = (v₀, −v₁, …) / √(γ² − 1)`.
struct LorentzGeometry;

impl Geometry for LorentzGeometry {
    fn init(&self, init: &[f64], out: &mut [f64]) {
        out[1..].copy_from_slice(init);
        out[0] = (1.0 + init.iter().map(|v| v * v).sum::<f64>()).sqrt();
    }
    fn dist(&self, u: &[f64], v: &[f64]) -> f64 {
        (u[0] * v[0] - u[1..].iter().zip(&v[1..]).map(|(a, b)| a * b).sum::<f64>()).max(1.0).acosh()
    }
    fn dist_grad(&self, u: &[f64], v: &[f64], gu: &mut [f64], gv: &mut [f64], scale: &dyn Fn(f64) -> f64) -> f64 {
        let gamma = (u[0] * v[0] - u[1..].iter().zip(&v[1..]).map(|(a, b)| a * b).sum::<f64>()).max(1.0);
        let d = gamma.acosh();
        let root = (gamma * gamma - 1.0).sqrt();
        if root > 0.0 {
            let c = scale(d) / root;
            gu[0] += c * v[0];
            gv[0] += c * u[0];
            for i in 1..u.len() {
                gu[i] -= c * v[i];
                gv[i] -= c * u[i];
            }
        }
        d
    }
    /// The same penalty as in the ball, `c ‖p‖²` with `p = v₁.. / (1 + v₀)`:
    /// `∂/∂vᵢ = 2c vᵢ / (1 + v₀)²`, `∂/∂v₀ = −2c Σvᵢ² / (1 + v₀)³`.
    fn add_regularization(&self, v: &[f64], c: f64, gv: &mut [f64]) {
        let a = 1.0 / (1.0 + v[0]);
        let spatial: f64 = v[1..].iter().map(|x| x * x).sum();
        gv[0] -= 2.0 * c * spatial * a * a * a;
        gv[1..].iter_mut().zip(&v[1..]).for_each(|(g, x)| *g += 2.0 * c * x * a * a);
    }
}

/// Gensim's negative-sampling table: cumulative occurrence counts.
struct NegativeTable {
    cumulative: Vec<u64>,
}

impl NegativeTable {
    fn new(counts: &[u64]) -> Self {
        let mut total = 0;
        NegativeTable {
            cumulative: counts
                .iter()
                .map(|c| {
                    total += c;
                    total
                })
                .collect(),
        }
    }
    /// A node drawn in proportion to its count.
    #[inline]
    fn draw(&self, rng: &mut Stream) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = (unit_f64(rng.next_u64()) * total as f64) as u64;
        self.cumulative.partition_point(|&c| c <= x.min(total - 1))
    }
}

/// Fills `out` with up to `k` distinct nodes drawn in proportion to their counts, none `u` or
/// a positive of `u`: by rejection, or from the explicit list of candidates when rejection keeps
/// failing (few candidates left). Fewer than `k` when fewer candidates exist.
fn sample_negatives(u: usize, relations: &Relations, table: &NegativeTable, k: usize, rng: &mut Stream, out: &mut Vec<u32>) {
    out.clear();
    let positives = relations.targets(u);
    let excluded = |c: usize, out: &[u32]| c == u || positives.binary_search(&(c as u32)).is_ok() || out.contains(&(c as u32));
    let mut rejections = 0;
    while out.len() < k && rejections < MAX_REJECTIONS * k {
        let c = table.draw(rng);
        if excluded(c, out) {
            rejections += 1;
        } else {
            out.push(c as u32);
        }
    }
    if out.len() < k {
        // Sequential weighted sampling without replacement from what is left.
        let counts = relations.counts();
        let mut candidates: Vec<usize> = (0..relations.n_nodes()).filter(|&c| !excluded(c, out)).collect();
        while out.len() < k && !candidates.is_empty() {
            let total: u64 = candidates.iter().map(|&c| counts[c]).sum();
            let pick = if total == 0 {
                below(rng.next_u64(), candidates.len())
            } else {
                let mut x = (unit_f64(rng.next_u64()) * total as f64) as u64;
                candidates
                    .iter()
                    .position(|&c| {
                        if x < counts[c] {
                            true
                        } else {
                            x -= counts[c];
                            false
                        }
                    })
                    .unwrap_or(candidates.len() - 1)
            };
            out.push(candidates.swap_remove(pick) as u32);
        }
    }
}

/// The loss of one edge `(u, v)` against `negatives`, its gradients written to `edge`.
#[allow(clippy::too_many_arguments)]
fn edge_gradient<G: Geometry>(geometry: &G, x: &[f64], len: usize, u: usize, v: usize, negatives: &[u32], reg: f64, edge: &mut EdgeGrad) {
    edge.rows.clear();
    edge.rows.push(u as u32);
    edge.rows.push(v as u32);
    edge.rows.extend_from_slice(negatives);
    let m = edge.rows.len();
    edge.grads.clear();
    edge.grads.resize(m * len, 0.0);
    let row = |i: u32| &x[i as usize * len..(i as usize + 1) * len];
    let xu = row(u as u32);
    // Z = Σ exp(−d_k) over v and the negatives; distances first (the gradient needs Z).
    let mut z = 0.0;
    let mut d0 = 0.0;
    for (k, &r) in edge.rows[1..].iter().enumerate() {
        let d = geometry.dist(xu, row(r));
        if k == 0 {
            d0 = d;
        }
        z += (-d).exp();
    }
    // loss = d(u, v) + log Z; ∂loss/∂d_k = [k = 0] − exp(−d_k)/Z.
    let (gu, rest) = edge.grads.split_at_mut(len);
    for (k, (&r, gv)) in edge.rows[1..].iter().zip(rest.chunks_mut(len)).enumerate() {
        let first = if k == 0 { 1.0 } else { 0.0 };
        geometry.dist_grad(xu, row(r), gu, gv, &|d| first - (-d).exp() / z);
    }
    if reg > 0.0 {
        geometry.add_regularization(row(v as u32), reg, &mut rest[..len]);
    }
    edge.loss = d0 + z.ln();
}

/// Runs the burn-in and the epochs on `manifold`; returns the points and the mean losses.
fn train<M: Manifold, G: Geometry>(
    manifold: &M,
    geometry: &G,
    relations: &Relations,
    params: &PoincareParams,
    progress: &dyn Progress,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = relations.n_nodes();
    let len = manifold.point_len();
    let d = params.n_components;
    let seeds = SeedSource::new(params.seed);
    // Initial coordinates: node i from stream (seed, INIT, i).
    let mut x = vec![0.0; n * len];
    let mut init = vec![0.0; d];
    for (i, out) in x.chunks_mut(len).enumerate() {
        let mut rng = seeds.stream(STAGE_INIT, i as u64);
        init.iter_mut().for_each(|v| *v = params.init_range * (2.0 * unit_f64(rng.next_u64()) - 1.0));
        geometry.init(&init, out);
    }
    let edges = relations.edges();
    let m = edges.len();
    let table = NegativeTable::new(relations.counts());
    let mut optimizer = SparseOptimizer::new(manifold, Method::Sgd { lr: params.burn_in_alpha, momentum: 0.0 }, n)?;
    let mut grad = SparseGrad::new(n, len);
    let mut buffers: Vec<(EdgeGrad, Vec<u32>)> = vec![Default::default(); params.batch_size.min(m)];
    let mut order: Vec<usize> = (0..m).collect();
    let total_epochs = params.burn_in + params.epochs;
    let mut losses = Vec::with_capacity(total_epochs);
    progress.stage("Poincaré embedding epochs", total_epochs as u64);
    for epoch in 0..total_epochs {
        optimizer.set_lr(if epoch < params.burn_in { params.burn_in_alpha } else { params.alpha })?;
        // Fisher–Yates shuffle of the edges from the epoch's own stream.
        let mut rng = seeds.stream(STAGE_SHUFFLE, epoch as u64);
        for i in (1..m).rev() {
            order.swap(i, below(rng.next_u64(), i + 1));
        }
        let mut loss_sum = 0.0;
        for (b, batch) in order.chunks(params.batch_size).enumerate() {
            let first = (epoch * m + b * params.batch_size) as u64;
            let work = |(j, (edge, negatives)): (usize, &mut (EdgeGrad, Vec<u32>))| {
                let (u, v) = edges[batch[j]];
                let mut rng = seeds.stream(STAGE_NEGATIVES, first + j as u64);
                sample_negatives(u as usize, relations, &table, params.negative, &mut rng, negatives);
                edge_gradient(geometry, &x, len, u as usize, v as usize, negatives, params.regularization_coeff, edge);
            };
            let bufs = &mut buffers[..batch.len()];
            if batch.len() < EDGES_PER_TASK {
                bufs.iter_mut().enumerate().for_each(work);
            } else {
                bufs.par_iter_mut().enumerate().with_min_len(EDGES_PER_TASK).for_each(work);
            }
            grad.clear();
            for (edge, _) in bufs.iter() {
                loss_sum += edge.loss;
                for (&r, g) in edge.rows.iter().zip(edge.grads.chunks(len)) {
                    grad.add(r as usize, g);
                }
            }
            optimizer.step(&mut x, &grad)?;
        }
        let mean = loss_sum / m as f64;
        if !mean.is_finite() {
            return Err(Error::Numerical { stage: "Poincaré embedding", message: format!("the loss is {mean} at epoch {epoch}") });
        }
        losses.push(mean);
        progress.inc(1);
        progress.check()?;
    }
    progress.finish_stage();
    Ok((x, losses))
}
