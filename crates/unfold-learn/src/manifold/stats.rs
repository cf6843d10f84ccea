//! Statistics on manifolds: the weighted Fréchet (Karcher) mean, the geometric median and
//! tangent PCA.
//!
//! * [`frechet_mean`] minimises `½ Σ wᵢ d²(p, xᵢ) / Σ wᵢ`. Its gradient step is the Karcher
//!   fixed point `p ← exp_p(g)`, `g = Σ wᵢ log_p(xᵢ) / Σ wᵢ` (Karcher, 1977). Where the model
//!   has the Hessian of the squared distance in closed form
//!   ([`Manifold::half_sq_dist_hessian`]: constant curvature, affine-invariant and log-Euclidean
//!   SPD) it takes Newton steps `exp_p(H⁻¹g)` instead (Ferreira, Xavier, Costeira & Barroso,
//!   2006), `H` averaged over at most 1,024 points at a fixed stride: quadratic convergence up to
//!   the sample's error, about half the Karcher steps on spread data. A Newton step that would
//!   lengthen `g`, or an `H` that is not positive definite, falls back to the gradient step.
//! * [`geometric_median`] minimises `Σ wᵢ d(p, xᵢ)` by the Riemannian Weiszfeld iteration
//!   `p ← exp_p(Σ wᵢ log_p(xᵢ)/dᵢ / Σ wᵢ/dᵢ)` (Fletcher, Venkatasubramanian & Joshi, 2009);
//!   points within 1e-12 of `p` are left out of a step.
//! * [`tangent_pca`] is PCA of the `log_p(xᵢ)` in an orthonormal basis of the tangent space at
//!   `p` (Fletcher et al., 2004).
//!
//! The mean starts where the model suggests ([`Manifold::mean_start`]: the sphere's normalised
//! Euclidean mean), else at the first point; the median at the first point; either at the
//! caller's `init` when given. Both iterations halve their gradient step
//! whenever it would lengthen the direction (as geomstats' `FrechetMean`), and stop when the
//! gradient step's norm `‖g‖` falls below `tol` or after `max_iter` steps. The sums over points run in parallel over
//! fixed blocks added in order, so results are identical at any thread count.

use super::Manifold;
use super::dense::{cholesky, sym_eigen};
use super::rows::{check_points, n_rows};
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Rows per block of the parallel sums.
const BLOCK: usize = 4096;

/// Settings of [`frechet_mean`] and [`geometric_median`].
#[derive(Debug, Clone)]
pub struct MeanParams {
    /// Weights, one per point (all 1 when `None`); non-negative with a positive sum.
    pub weights: Option<Vec<f64>>,
    /// The most steps.
    pub max_iter: usize,
    /// Stop when a step's norm falls below this.
    pub tol: f64,
    /// The starting point (when `None`: the model's [`Manifold::mean_start`] for the mean, else
    /// the first point).
    pub init: Option<Vec<f64>>,
}

impl Default for MeanParams {
    fn default() -> Self {
        MeanParams { weights: None, max_iter: 100, tol: 1e-10, init: None }
    }
}

/// A point found by an iteration, with how it ended.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// The point.
    pub point: Vec<f64>,
    /// Steps taken.
    pub n_iter: usize,
    /// The last step's norm.
    pub step_norm: f64,
    /// Whether the step norm fell below `tol`.
    pub converged: bool,
}

fn validate<M: Manifold + ?Sized>(m: &M, x: &[f64], p: &MeanParams) -> Result<(usize, Vec<f64>)> {
    let n = n_rows(m, "x", x)?;
    if n == 0 {
        return Err(Error::InvalidData("`x` has no rows".into()));
    }
    if p.max_iter == 0 {
        return Err(Error::param("max_iter", 0, "must be at least 1"));
    }
    if !(p.tol >= 0.0 && p.tol.is_finite()) {
        return Err(Error::param("tol", p.tol, "must be a finite number ≥ 0"));
    }
    let weights = match &p.weights {
        None => vec![1.0; n],
        Some(w) => {
            if w.len() != n {
                return Err(Error::param("weights", format!("{} values", w.len()), format!("must have one weight per point ({n})")));
            }
            if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::param("weights", w[i], format!("weight {i} must be finite and ≥ 0")));
            }
            if w.iter().sum::<f64>() <= 0.0 {
                return Err(Error::param("weights", "all zero", "must have a positive sum"));
            }
            w.clone()
        }
    };
    if let Some(init) = p.init.as_ref().filter(|init| init.len() != m.point_len()) {
        return Err(Error::param("init", format!("{} values", init.len()), format!("must be one point of {} values", m.point_len())));
    }
    Ok((n, weights))
}

/// `(Σ cᵢ log_p(xᵢ), Σ cᵢ)` with `cᵢ = coef(wᵢ, d(p, xᵢ))` over fixed blocks, added in order.
fn weighted_log_sum<M: Manifold + ?Sized>(m: &M, x: &[f64], w: &[f64], p: &[f64], coef: impl Fn(f64, &[f64], &[f64]) -> f64 + Sync) -> (Vec<f64>, f64) {
    let len = m.point_len();
    let n = w.len();
    let partial: Vec<(Vec<f64>, f64)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * BLOCK..((b + 1) * BLOCK).min(n);
            let block = &x[rows.start * len..rows.end * len];
            let c: Vec<f64> = block.chunks_exact(len).zip(&w[rows]).map(|(xi, &wi)| coef(wi, p, xi)).collect();
            let mut acc = vec![0.0; len];
            m.add_weighted_logs(p, block, &c, &mut acc);
            (acc, c.iter().sum())
        })
        .collect();
    let mut acc = vec![0.0; len];
    let mut total = 0.0;
    for (a, t) in partial {
        acc.iter_mut().zip(&a).for_each(|(x, y)| *x += y);
        total += t;
    }
    (acc, total)
}

/// The weighted direction `Σ cᵢ log_p(xᵢ) / Σ cᵢ` and its norm at `p`; `None` when every weight
/// vanishes (the median's points all at `p`).
fn direction<M: Manifold + ?Sized>(m: &M, x: &[f64], w: &[f64], p: &[f64], coef: &(impl Fn(f64, &[f64], &[f64]) -> f64 + Sync)) -> Option<(Vec<f64>, f64)> {
    let (mut g, total) = weighted_log_sum(m, x, w, p, coef);
    if total <= 0.0 {
        return None;
    }
    g.iter_mut().for_each(|v| *v /= total);
    let norm = m.norm(p, &g);
    Some((g, norm))
}

/// Sampled points of the Newton Hessian: all of them up to this many, a fixed stride beyond.
const HESSIAN_SAMPLE: usize = 1024;
/// Sampled points per block of the Hessian's parallel sum.
const HESSIAN_BLOCK: usize = 64;

/// The Newton step `H⁻¹ g` of the mean at `p` for the Karcher direction `g`, with `H` the
/// weighted mean of the Hessians of `½ d²(p, xᵢ)` ([`Manifold::half_sq_dist_hessian`]) over at
/// most [`HESSIAN_SAMPLE`] points taken at a fixed stride, written in an orthonormal tangent
/// basis. `None` when the model has no closed-form Hessian, the sampled weights vanish, or `H`
/// is not positive definite (beyond a positively curved space's convexity radius): the caller
/// then takes the gradient step.
fn newton_direction<M: Manifold + ?Sized>(m: &M, x: &[f64], w: &[f64], p: &[f64], g: &[f64]) -> Option<Vec<f64>> {
    let len = m.point_len();
    let basis: Vec<f64> = tangent_basis(m, p).concat();
    let d = basis.len() / len;
    if d == 0 {
        return None;
    }
    let stride = w.len().div_ceil(HESSIAN_SAMPLE);
    let sampled = w.len().div_ceil(stride);
    let blocks: Vec<Option<(Vec<f64>, f64)>> = (0..sampled.div_ceil(HESSIAN_BLOCK))
        .into_par_iter()
        .map(|b| {
            let (mut acc, mut h, mut total) = (vec![0.0; d * d], vec![0.0; d * d], 0.0);
            for s in b * HESSIAN_BLOCK..((b + 1) * HESSIAN_BLOCK).min(sampled) {
                let i = s * stride;
                if w[i] == 0.0 {
                    continue;
                }
                if !m.half_sq_dist_hessian(p, &x[i * len..(i + 1) * len], &basis, &mut h) {
                    return None;
                }
                acc.iter_mut().zip(&h).for_each(|(a, v)| *a += w[i] * v);
                total += w[i];
            }
            Some((acc, total))
        })
        .collect();
    let (mut hess, mut total) = (vec![0.0; d * d], 0.0);
    for block in blocks {
        let (acc, t) = block?;
        hess.iter_mut().zip(&acc).for_each(|(a, v)| *a += v);
        total += t;
    }
    if total <= 0.0 {
        return None;
    }
    hess.iter_mut().for_each(|v| *v /= total);
    let mut l = vec![0.0; d * d];
    if !cholesky(&hess, d, 1e-8, &mut l) {
        return None;
    }
    // Solve L Lᵀ z = Bᵀ g by substitution, then map z back to ambient coordinates.
    let mut z: Vec<f64> = basis.chunks_exact(len).map(|b| m.inner(p, b, g)).collect();
    for i in 0..d {
        z[i] = (z[i] - (0..i).map(|k| l[i * d + k] * z[k]).sum::<f64>()) / l[i * d + i];
    }
    for i in (0..d).rev() {
        z[i] = (z[i] - (i + 1..d).map(|k| l[k * d + i] * z[k]).sum::<f64>()) / l[i * d + i];
    }
    let mut v = vec![0.0; len];
    for (zj, b) in z.iter().zip(basis.chunks_exact(len)) {
        v.iter_mut().zip(b).for_each(|(a, c)| *a += zj * c);
    }
    v.iter().all(|a| a.is_finite()).then_some(v)
}

/// `p ← exp_p(s·g)` with the step `s` (1 at first) halved whenever a step would lengthen the
/// direction: the plain fixed point (`s = 1`) can overshoot on negatively curved, spread data.
/// `newton` (the mean): Newton steps where the model has the Hessian, from the model's start.
fn iterate<M: Manifold + ?Sized>(m: &M, x: &[f64], params: &MeanParams, newton: bool, coef: impl Fn(f64, &[f64], &[f64]) -> f64 + Sync) -> Result<Estimate> {
    let (_, w) = validate(m, x, params)?;
    check_points(m, "x", x, 1e-6)?;
    let len = m.point_len();
    let start = if newton { params.init.clone().or_else(|| m.mean_start(x, &w)) } else { params.init.clone() };
    let mut p = start.unwrap_or_else(|| x[..len].to_vec());
    // Whether the model has the Hessian at all, asked once at a point against itself (θ = 0,
    // where every closed form exists), so models without one skip the basis in every step.
    let newton = newton && {
        let basis = tangent_basis(m, &p).concat();
        let d = basis.len() / len;
        d > 0 && m.half_sq_dist_hessian(&p, &p, &basis, &mut vec![0.0; d * d])
    };
    let mut next = vec![0.0; len];
    let mut est = Estimate { point: Vec::new(), n_iter: 0, step_norm: f64::INFINITY, converged: false };
    let mut current = direction(m, x, &w, &p, &coef);
    let mut step = 1.0;
    let mut try_newton = newton;
    for it in 1..=params.max_iter {
        est.n_iter = it;
        let Some((g, norm)) = current.take() else {
            est.step_norm = 0.0;
            est.converged = true;
            break;
        };
        est.step_norm = step * norm;
        if est.step_norm <= params.tol {
            est.converged = true;
            break;
        }
        let newton_step = if try_newton { newton_direction(m, x, &w, &p, &g) } else { None };
        let scaled: Vec<f64> = match &newton_step {
            Some(v) => v.clone(),
            None => g.iter().map(|v| step * v).collect(),
        };
        m.exp(&p, &scaled, &mut next);
        let candidate = direction(m, x, &w, &next, &coef);
        match candidate {
            Some((_, n)) if n > norm => {
                // A Newton step that lengthens the direction is retried as a gradient step;
                // a gradient step, with half the step.
                if newton_step.is_some() {
                    try_newton = false;
                } else {
                    step *= 0.5;
                }
                current = Some((g, norm));
            }
            other => {
                std::mem::swap(&mut p, &mut next);
                current = other;
                try_newton = newton;
            }
        }
    }
    est.point = p;
    Ok(est)
}

/// The weighted Fréchet (Karcher) mean of the rows of `x`.
///
/// # Errors
/// Shape errors, a row off the manifold (naming the row), invalid `weights`, `max_iter` or `tol`.
///
/// ```
/// use unfold_learn::manifold::{Sphere, stats};
/// let s = Sphere::new(3);
/// let x = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
/// let mean = stats::frechet_mean(&s, &x, &stats::MeanParams::default())?;
/// let h = 0.5f64.sqrt();
/// assert!((mean.point[0] - h).abs() < 1e-12 && (mean.point[1] - h).abs() < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn frechet_mean<M: Manifold + ?Sized>(m: &M, x: &[f64], params: &MeanParams) -> Result<Estimate> {
    iterate(m, x, params, true, |w, _, _| w)
}

/// The weighted geometric median of the rows of `x` (Riemannian Weiszfeld).
///
/// # Errors
/// As [`frechet_mean`].
pub fn geometric_median<M: Manifold + ?Sized>(m: &M, x: &[f64], params: &MeanParams) -> Result<Estimate> {
    iterate(m, x, params, false, |w, p, xi| {
        let d = m.dist(p, xi);
        if d < 1e-12 { 0.0 } else { w / d }
    })
}

/// Tangent PCA: principal directions of the `log_p(xᵢ)` at a base point `p`.
#[derive(Debug, Clone)]
pub struct TangentPca {
    /// The base point.
    pub base: Vec<f64>,
    /// The principal directions, `n_components` rows of tangent vectors at `base` (unit norm in
    /// the metric, ambient coordinates).
    pub components: Vec<f64>,
    /// The variance along each direction (descending, divided by `n − 1`).
    pub explained_variance: Vec<f64>,
    /// The coordinates of each point's (centred) logarithm on the directions, `n × n_components`.
    pub scores: Vec<f64>,
}

/// An orthonormal basis (in the metric at `p`) of the tangent space at `p`: projected ambient
/// unit vectors, Gram–Schmidt.
pub fn tangent_basis<M: Manifold + ?Sized>(m: &M, p: &[f64]) -> Vec<Vec<f64>> {
    let len = m.point_len();
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for j in 0..len {
        if basis.len() == m.dim() {
            break;
        }
        let mut e = vec![0.0; len];
        e[j] = 1.0;
        m.proju(p, &mut e);
        for _pass in 0..2 {
            for b in &basis {
                let r = m.inner(p, &e, b);
                e.iter_mut().zip(b).for_each(|(a, c)| *a -= r * c);
            }
        }
        let norm = m.norm(p, &e);
        if norm > 1e-8 {
            e.iter_mut().for_each(|a| *a /= norm);
            basis.push(e);
        }
    }
    basis
}

/// Tangent PCA of the rows of `x` at `base` (their Fréchet mean when `None`), keeping
/// `n_components` directions.
///
/// # Errors
/// Shape errors, a row off the manifold, `n_components` outside `1..=dim`.
pub fn tangent_pca<M: Manifold + ?Sized>(m: &M, x: &[f64], n_components: usize, base: Option<&[f64]>) -> Result<TangentPca> {
    let n = n_rows(m, "x", x)?;
    let len = m.point_len();
    if n < 2 {
        return Err(Error::InvalidData(format!("`x` has {n} rows; tangent PCA needs at least 2")));
    }
    if n_components == 0 || n_components > m.dim() {
        return Err(Error::param("n_components", n_components, format!("must be between 1 and the manifold's dimension ({})", m.dim())));
    }
    check_points(m, "x", x, 1e-6)?;
    let base = match base {
        Some(b) => {
            if b.len() != len {
                return Err(Error::param("base", format!("{} values", b.len()), format!("must be one point of {len} values")));
            }
            b.to_vec()
        }
        None => frechet_mean(m, x, &MeanParams::default())?.point,
    };
    let basis = tangent_basis(m, &base);
    let k = basis.len();
    // The metric against each basis vector, as an ambient covector: ⟨v, b⟩ = Σ_j v_j G[b][j].
    let g: Vec<f64> = basis
        .iter()
        .flat_map(|b| {
            (0..len).map(|j| {
                let mut e = vec![0.0; len];
                e[j] = 1.0;
                m.inner(&base, &e, b)
            })
        })
        .collect();
    let logs = super::rows::log(m, &base.repeat(n), x)?;
    let mut coords = vec![0.0; n * k];
    coords.par_chunks_mut(k).enumerate().for_each(|(i, c)| {
        let v = &logs[i * len..(i + 1) * len];
        for (a, ci) in c.iter_mut().enumerate() {
            *ci = super::dot(v, &g[a * len..(a + 1) * len]);
        }
    });
    let mean: Vec<f64> = (0..k).map(|a| (0..n).map(|i| coords[i * k + a]).sum::<f64>() / n as f64).collect();
    coords.chunks_mut(k).for_each(|c| c.iter_mut().zip(&mean).for_each(|(v, mu)| *v -= mu));
    let mut cov = vec![0.0; k * k];
    for c in coords.chunks(k) {
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] += c[a] * c[b];
            }
        }
    }
    cov.iter_mut().for_each(|v| *v /= (n - 1) as f64);
    let (values, vectors) = sym_eigen(&cov, k);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let order = &order[..n_components];
    let mut components = vec![0.0; n_components * len];
    for (r, &o) in order.iter().enumerate() {
        // Fix the sign: the largest coefficient positive, as scikit-learn's svd_flip.
        let col: Vec<f64> = (0..k).map(|a| vectors[a * k + o]).collect();
        let big = col.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        for (a, b) in basis.iter().enumerate() {
            for j in 0..len {
                components[r * len + j] += sign * col[a] * b[j];
            }
        }
    }
    let explained_variance = order.iter().map(|&o| values[o].max(0.0)).collect();
    let mut scores = vec![0.0; n * n_components];
    for i in 0..n {
        for (r, &o) in order.iter().enumerate() {
            let col = (0..k).map(|a| vectors[a * k + o]);
            let big = (0..k).map(|a| vectors[a * k + o]).fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            let sign = if big < 0.0 { -1.0 } else { 1.0 };
            scores[i * n_components + r] = sign * col.zip(&coords[i * k..(i + 1) * k]).map(|(a, b)| a * b).sum::<f64>();
        }
    }
    Ok(TangentPca { base, components, explained_variance, scores })
}
