//! Chordal averages of flags: the flag mean and the flag median (Mankovich & Birdal, "Chordal
//! Averaging on Flag Manifolds and Its Applications", ICCV 2023).
//!
//! A flag of signature `(n₁ < n₂ < … < n_k)` in `Rⁿ` is an orthonormal `n × n_k` frame `X`
//! whose first `n_j` columns span its `j`-th subspace. Its column block `X_j` (columns
//! `n_{j−1}..n_j`, `m_j = n_j − n_{j−1}` of them, `n₀ = 0`) spans the piece added at step `j`:
//! the [`Flag`] manifold with `blocks = [m₁, …, m_k]`. Points are row-major frames, one per row
//! of `x` (`n · n_k` values each).
//!
//! The chordal distance of two flags is
//!
//! `d(X, Y)² = Σ_j (m_j − ‖X_jᵀ Y_j‖²_F) = ½ Σ_j ‖X_j X_jᵀ − Y_j Y_jᵀ‖²_F`,
//!
//! independent of the rotations inside each block (evaluated as `Σ_j ‖Y_j − X_j X_jᵀ Y_j‖²_F`,
//! the same for orthonormal frames and free of cancellation near zero).
//!
//! * [`flag_mean`] minimises `Σᵢ wᵢ d(Xᵢ, Y)²`, that is maximises `Σ_j tr(Y_jᵀ P_j Y_j)` over
//!   orthonormal `Y`, with `P_j = Σᵢ wᵢ X_{ij} X_{ij}ᵀ`. With one block (the Grassmannian) the
//!   answer is exact: the top `m₁` eigenvectors of `P₁`. With more blocks it is the paper's
//!   Stiefel problem, solved as the paper does by a Riemannian trust region (Absil, Baker &
//!   Gallivan, 2007: truncated conjugate gradients on the exact Hessian), here on the flag
//!   manifold itself (the Stiefel gradient and Hessian projected on the horizontal space, which
//!   removes the block rotations the objective ignores). It starts at the caller's
//!   `initial_point`, or at the greedy flag: `Y₁` the top eigenvectors of `P₁`, then each `Y_j`
//!   the top eigenvectors of `P_j` restricted to the orthogonal complement of the blocks before.
//! * [`flag_median`] minimises `Σᵢ wᵢ d(Xᵢ, Y)` by the paper's iteratively re-weighted flag
//!   means: `Y ← flag_mean(X, wᵢ / max(d(Xᵢ, Y), wt_eps))`, each warm-started at the current
//!   `Y`, from the flag mean (or `initial_point`) until the chordal distance between successive
//!   iterates falls below `conv_eps`.
//!
//! The returned frame has each block rotated to the eigenvectors of `Y_jᵀ P_j Y_j` (descending),
//! each column's largest entry positive, so that equal flags come out as equal frames.
//!
//! `P_j` is built once per mean as a dense `n × n` matrix, in parallel over fixed blocks of
//! points added in order, and everything after it runs in a fixed order: results are identical
//! at any thread count. The cost is `O(p · n² · n_k)` for the sums and `O(n² · n_k)` per
//! Hessian product, so `n` up to a few hundred.

use super::dense::{matmul, matmul_tn, sym};
use super::rows::check_points;
use super::{Flag, Manifold};
use crate::error::{Error, Result};
use faer::Mat;
use rayon::prelude::*;

/// Points per block of the parallel sums.
const BLOCK: usize = 256;

/// Settings of [`flag_mean`].
#[derive(Debug, Clone)]
pub struct FlagMeanParams {
    /// Weights, one per point (all 1 when `None`); finite, non-negative, with a positive sum.
    pub weights: Option<Vec<f64>>,
    /// The trust region's starting frame (the greedy flag when `None`). Not used with one block,
    /// whose mean is exact.
    pub initial_point: Option<Vec<f64>>,
    /// The most trust-region steps.
    pub max_iters: usize,
    /// Stop when the Riemannian gradient's norm of the normalised objective
    /// `Σᵢ wᵢ d(Xᵢ, Y)² / Σᵢ wᵢ` falls below this.
    pub tol: f64,
    /// Worker threads (`None` = all cores).
    pub threads: Option<usize>,
}

impl Default for FlagMeanParams {
    fn default() -> Self {
        FlagMeanParams { weights: None, initial_point: None, max_iters: 200, tol: 1e-10, threads: None }
    }
}

/// Settings of [`flag_median`].
#[derive(Debug, Clone)]
pub struct FlagMedianParams {
    /// Weights, one per point (all 1 when `None`); finite, non-negative, with a positive sum.
    pub weights: Option<Vec<f64>>,
    /// The first iterate (the weighted flag mean when `None`).
    pub initial_point: Option<Vec<f64>>,
    /// The most re-weighting steps.
    pub max_iters: usize,
    /// Stop when the chordal distance between successive iterates falls below this.
    pub conv_eps: f64,
    /// The smallest distance in a weight `wᵢ / max(dᵢ, wt_eps)`.
    pub wt_eps: f64,
    /// Worker threads (`None` = all cores).
    pub threads: Option<usize>,
}

impl Default for FlagMedianParams {
    fn default() -> Self {
        FlagMedianParams { weights: None, initial_point: None, max_iters: 100, conv_eps: 1e-6, wt_eps: 1e-6, threads: None }
    }
}

/// A flag average with how its iteration ended.
#[derive(Debug, Clone)]
pub struct FlagAverage {
    /// The average: an orthonormal `n × n_k` frame, row-major.
    pub point: Vec<f64>,
    /// `Σᵢ wᵢ d(Xᵢ, Y)²` for the mean, `Σᵢ wᵢ d(Xᵢ, Y)` for the median.
    pub objective: f64,
    /// Trust-region steps (mean; 0 for the exact one-block mean) or re-weighting steps (median).
    pub n_iter: usize,
    /// Whether the stopping rule was met (`tol` for the mean, `conv_eps` for the median).
    pub converged: bool,
    /// The last gradient norm (mean) or chordal step between iterates (median).
    pub residual: f64,
}

/// The validated shape of a problem.
struct Shape {
    n: usize,
    /// Column ranges of the blocks.
    ranges: Vec<std::ops::Range<usize>>,
    /// `n_k`.
    p: usize,
    /// Number of points.
    count: usize,
    flag: Flag,
}

impl Shape {
    fn len(&self) -> usize {
        self.n * self.p
    }
}

fn shape(n: usize, signature: &[usize], x: &[f64]) -> Result<Shape> {
    if n == 0 {
        return Err(Error::param("n", 0, "must be at least 1"));
    }
    let increasing = !signature.is_empty() && signature[0] >= 1 && signature.windows(2).all(|w| w[0] < w[1]);
    let last = signature.last().copied().unwrap_or(0);
    if !increasing || last > n {
        return Err(Error::param("signature", format!("{signature:?}"), format!("must be strictly increasing dimensions 1 ≤ n₁ < … < n_k ≤ n = {n}")));
    }
    let mut ranges = Vec::with_capacity(signature.len());
    let mut start = 0;
    for &s in signature {
        ranges.push(start..s);
        start = s;
    }
    let p = last;
    let len = n * p;
    if x.is_empty() || !x.len().is_multiple_of(len) {
        return Err(Error::InvalidData(format!("`X` has {} values; it must hold at least one {n} × {p} frame ({len} values per point)", x.len())));
    }
    let flag = Flag::new(n, ranges.iter().map(|r| r.len()).collect());
    Ok(Shape { n, ranges, p, count: x.len() / len, flag })
}

fn check_weights(weights: Option<&[f64]>, count: usize) -> Result<Vec<f64>> {
    match weights {
        None => Ok(vec![1.0; count]),
        Some(w) => {
            if w.len() != count {
                return Err(Error::param("weights", format!("{} values", w.len()), format!("must have one weight per point ({count})")));
            }
            if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::param("weights", w[i], format!("weight {i} must be finite and ≥ 0")));
            }
            if w.iter().sum::<f64>() <= 0.0 {
                return Err(Error::param("weights", "all zero", "must have a positive sum"));
            }
            Ok(w.to_vec())
        }
    }
}

fn check_init(s: &Shape, init: Option<&[f64]>) -> Result<()> {
    if let Some(y) = init {
        if y.len() != s.len() {
            return Err(Error::param("initial_point", format!("{} values", y.len()), format!("must be one {} × {} frame ({} values)", s.n, s.p, s.len())));
        }
        if let Err(why) = s.flag.check_point(y, 1e-6) {
            return Err(Error::param("initial_point", "a frame", format!("must be a point of {}: {why}", s.flag.name())));
        }
    }
    Ok(())
}

fn validate(n: usize, signature: &[usize], x: &[f64], weights: Option<&[f64]>, init: Option<&[f64]>, threads: Option<usize>) -> Result<(Shape, Vec<f64>)> {
    crate::threads::check(threads)?;
    let s = shape(n, signature, x)?;
    let w = check_weights(weights, s.count)?;
    check_init(&s, init)?;
    check_points(&s.flag, "X", x, 1e-6)?;
    Ok((s, w))
}

/// The chordal distance of two frames of the same flag shape, as
/// `√Σ_j ‖Y_j − X_j (X_jᵀ Y_j)‖²_F` (equal to `m_j − ‖X_jᵀ Y_j‖²_F` for orthonormal frames, but
/// without its cancellation: coincident flags give 1e-16, not 1e-8). `a` is scratch of at least
/// `m_j²` values for the largest block.
fn chordal_with(s: &Shape, x: &[f64], y: &[f64], a: &mut [f64]) -> f64 {
    let (n, p) = (s.n, s.p);
    let mut total = 0.0;
    for r in &s.ranges {
        let m = r.len();
        a[..m * m].iter_mut().for_each(|v| *v = 0.0);
        for row in 0..n {
            for (ia, &xv) in x[row * p + r.start..row * p + r.end].iter().enumerate() {
                for (ib, &yv) in y[row * p + r.start..row * p + r.end].iter().enumerate() {
                    a[ia * m + ib] += xv * yv;
                }
            }
        }
        for row in 0..n {
            let xr = &x[row * p + r.start..row * p + r.end];
            for (ib, &yv) in y[row * p + r.start..row * p + r.end].iter().enumerate() {
                let fit: f64 = xr.iter().enumerate().map(|(ia, &xv)| xv * a[ia * m + ib]).sum();
                total += (yv - fit) * (yv - fit);
            }
        }
    }
    total.sqrt()
}

fn scratch(s: &Shape) -> Vec<f64> {
    let m = s.ranges.iter().map(|r| r.len()).max().unwrap_or(0);
    vec![0.0; m * m]
}

fn chordal(s: &Shape, x: &[f64], y: &[f64]) -> f64 {
    chordal_with(s, x, y, &mut scratch(s))
}

/// `d(Xᵢ, Y)` for every point (each independent, so identical at any thread count).
fn distances(s: &Shape, x: &[f64], y: &[f64]) -> Vec<f64> {
    let len = s.len();
    x.par_chunks(len).map_init(|| scratch(s), |a, xi| chordal_with(s, xi, y, a)).collect()
}

/// `P_j = Σᵢ cᵢ X_{ij} X_{ij}ᵀ / Σᵢ cᵢ`, one dense `n × n` matrix per block, summed over fixed
/// blocks of points in order.
fn block_operators(s: &Shape, x: &[f64], c: &[f64]) -> Vec<Vec<f64>> {
    let (n, p, len) = (s.n, s.p, s.len());
    let k = s.ranges.len();
    let partial: Vec<Vec<Vec<f64>>> = (0..s.count.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut acc = vec![vec![0.0; n * n]; k];
            for i in b * BLOCK..((b + 1) * BLOCK).min(s.count) {
                if c[i] == 0.0 {
                    continue;
                }
                let xi = &x[i * len..(i + 1) * len];
                for (j, r) in s.ranges.iter().enumerate() {
                    let pj = &mut acc[j];
                    for row in 0..n {
                        let xr = &xi[row * p + r.start..row * p + r.end];
                        for col in row..n {
                            let xc = &xi[col * p + r.start..col * p + r.end];
                            pj[row * n + col] += c[i] * xr.iter().zip(xc).map(|(a, b)| a * b).sum::<f64>();
                        }
                    }
                }
            }
            acc
        })
        .collect();
    let total: f64 = c.iter().sum();
    let mut out = vec![vec![0.0; n * n]; k];
    for part in partial {
        for (o, a) in out.iter_mut().zip(&part) {
            o.iter_mut().zip(a).for_each(|(x, y)| *x += y);
        }
    }
    for pj in &mut out {
        for row in 0..n {
            for col in row..n {
                let v = pj[row * n + col] / total;
                pj[row * n + col] = v;
                pj[col * n + row] = v;
            }
        }
    }
    out
}

/// `out[:, block j] = P_j · u[:, block j]`.
fn apply_blocks(s: &Shape, ops: &[Vec<f64>], u: &[f64], out: &mut [f64]) {
    let (n, p) = (s.n, s.p);
    out.iter_mut().for_each(|v| *v = 0.0);
    for (r, pj) in s.ranges.iter().zip(ops) {
        for row in 0..n {
            let prow = &pj[row * n..(row + 1) * n];
            for (l, &pv) in prow.iter().enumerate() {
                if pv == 0.0 {
                    continue;
                }
                for c in r.clone() {
                    out[row * p + c] += pv * u[l * p + c];
                }
            }
        }
    }
}

/// The normalised cost `Σ_j (m_j − tr(Y_jᵀ P_j Y_j))` and its Euclidean gradient `−2 P_j Y_j`.
fn cost_grad(s: &Shape, ops: &[Vec<f64>], y: &[f64], grad: &mut [f64]) -> f64 {
    apply_blocks(s, ops, y, grad);
    let captured: f64 = y.iter().zip(grad.iter()).map(|(a, b)| a * b).sum();
    grad.iter_mut().for_each(|g| *g *= -2.0);
    s.p as f64 - captured
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The top `count` eigenvectors (descending) of a symmetric `n × n` matrix, as columns of an
/// `n × count` row-major matrix.
fn top_eigenvectors(a: &[f64], n: usize, count: usize) -> Result<Vec<f64>> {
    let m = Mat::from_fn(n, n, |r, c| a[r * n + c]);
    let (_, vectors) = crate::linalg::symmetric_eigen(m.as_ref(), "flag mean eigendecomposition")?;
    let mut out = vec![0.0; n * count];
    for r in 0..n {
        for c in 0..count {
            out[r * count + c] = vectors[(r, c)];
        }
    }
    Ok(out)
}

/// The greedy flag: each block the top eigenvectors of its `P_j` on the complement of the
/// blocks before. Exact for one block.
fn greedy(s: &Shape, ops: &[Vec<f64>]) -> Result<Vec<f64>> {
    let (n, p) = (s.n, s.p);
    let mut y = vec![0.0; n * p];
    for (r, pj) in s.ranges.iter().zip(ops) {
        let before = r.start;
        let m = if before == 0 {
            pj.clone()
        } else {
            // Q P_j Q − (I − Q) with Q = I − Y₍<j₎ Y₍<j₎ᵀ: the earlier span gets eigenvalue −1,
            // below every eigenvalue of P_j (which lie in [0, 1]).
            let prev: Vec<f64> = (0..n).flat_map(|row| y[row * p..row * p + before].to_vec()).collect();
            let mut q = vec![0.0; n * n];
            for a in 0..n {
                for b in 0..n {
                    let yy: f64 = (0..before).map(|c| prev[a * before + c] * prev[b * before + c]).sum();
                    q[a * n + b] = if a == b { 1.0 - yy } else { -yy };
                }
            }
            let qpq = matmul(&matmul(&q, pj, n, n, n), &q, n, n, n);
            let mut m = vec![0.0; n * n];
            for a in 0..n {
                for b in 0..n {
                    let complement = if a == b { 1.0 - q[a * n + b] } else { -q[a * n + b] };
                    m[a * n + b] = 0.5 * (qpq[a * n + b] + qpq[b * n + a]) - complement;
                }
            }
            m
        };
        let v = top_eigenvectors(&m, n, r.len())?;
        for row in 0..n {
            y[row * p + r.start..row * p + r.end].copy_from_slice(&v[row * r.len()..(row + 1) * r.len()]);
        }
    }
    // Rounding in the deflation: re-orthonormalise (a no-op up to rounding).
    s.flag.projx(&mut y);
    Ok(y)
}

/// Rotates each block to the eigenvectors of `Y_jᵀ P_j Y_j` (descending), each column's largest
/// entry positive.
fn canonical(s: &Shape, ops: &[Vec<f64>], y: &[f64]) -> Result<Vec<f64>> {
    let (n, p) = (s.n, s.p);
    let mut out = y.to_vec();
    for (r, pj) in s.ranges.iter().zip(ops) {
        let d = r.len();
        let yb: Vec<f64> = (0..n).flat_map(|row| y[row * p + r.start..row * p + r.end].to_vec()).collect();
        let small = matmul_tn(&yb, &matmul(pj, &yb, n, n, d), n, d, d);
        let small = sym(&small, d);
        let v = top_eigenvectors(&small, d, d)?;
        let mut rotated = matmul(&yb, &v, n, d, d);
        for c in 0..d {
            let big = (0..n).map(|row| rotated[row * d + c]).fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            if big < 0.0 {
                (0..n).for_each(|row| rotated[row * d + c] = -rotated[row * d + c]);
            }
        }
        for row in 0..n {
            out[row * p + r.start..row * p + r.end].copy_from_slice(&rotated[row * d..(row + 1) * d]);
        }
    }
    Ok(out)
}

/// The outcome of the trust region on the normalised problem.
struct Solved {
    point: Vec<f64>,
    n_iter: usize,
    converged: bool,
    grad_norm: f64,
}

/// The Riemannian Hessian on the flag manifold: `P^h(ehess[u] − u sym(Yᵀ G))`.
fn hessian(s: &Shape, ops: &[Vec<f64>], y: &[f64], sym_yg: &[f64], u: &[f64], out: &mut [f64]) {
    let (n, p) = (s.n, s.p);
    apply_blocks(s, ops, u, out);
    let us = matmul(u, sym_yg, n, p, p);
    out.iter_mut().zip(&us).for_each(|(o, v)| *o = -2.0 * *o - v);
    s.flag.proju(y, out);
}

/// Riemannian trust region with truncated conjugate gradients (Absil, Baker & Gallivan, 2007;
/// the defaults of Manopt/pymanopt: `Δ̄ = √dim`, `Δ₀ = Δ̄/8`, `ρ' = 0.1`, `κ = 0.1`, `θ = 1`).
fn trust_region(s: &Shape, ops: &[Vec<f64>], start: Vec<f64>, max_iters: usize, tol: f64) -> Solved {
    let (n, p) = (s.n, s.p);
    let len = n * p;
    let dim = s.flag.dim().max(1);
    let delta_bar = (dim as f64).sqrt();
    let mut delta = delta_bar / 8.0;
    let mut y = start;
    let mut egrad = vec![0.0; len];
    let mut f = cost_grad(s, ops, &y, &mut egrad);
    let mut grad = egrad.clone();
    s.flag.egrad_to_rgrad(&y, &mut grad);
    let mut grad_norm = dot(&grad, &grad).sqrt();
    let mut n_iter = 0;
    let (mut eta, mut heta, mut r, mut z, mut d, mut hd) = (vec![0.0; len], vec![0.0; len], vec![0.0; len], vec![0.0; len], vec![0.0; len], vec![0.0; len]);
    let mut candidate = vec![0.0; len];
    let mut cand_egrad = vec![0.0; len];
    while grad_norm > tol && n_iter < max_iters && delta > 1e-15 * delta_bar {
        n_iter += 1;
        let yg = matmul_tn(&y, &egrad, n, p, p);
        let sym_yg = sym(&yg, p);
        // Truncated (Steihaug–Toint) conjugate gradients on the model.
        eta.iter_mut().for_each(|v| *v = 0.0);
        heta.iter_mut().for_each(|v| *v = 0.0);
        r.copy_from_slice(&grad);
        let mut r_r = dot(&r, &r);
        let norm_r0 = r_r.sqrt();
        z.copy_from_slice(&r);
        let mut z_r = r_r;
        let mut d_pd = z_r;
        d.iter_mut().zip(&z).for_each(|(a, b)| *a = -b);
        let (mut e_pe, mut e_pd) = (0.0, 0.0);
        let mut model = 0.0;
        let mut on_boundary = false;
        for _inner in 0..dim {
            hessian(s, ops, &y, &sym_yg, &d, &mut hd);
            let d_hd = dot(&d, &hd);
            let alpha = z_r / d_hd;
            let e_pe_new = e_pe + 2.0 * alpha * e_pd + alpha * alpha * d_pd;
            if d_hd <= 0.0 || e_pe_new >= delta * delta || !alpha.is_finite() {
                let tau = (-e_pd + (e_pd * e_pd + d_pd * (delta * delta - e_pe)).max(0.0).sqrt()) / d_pd;
                eta.iter_mut().zip(&d).for_each(|(a, b)| *a += tau * b);
                heta.iter_mut().zip(&hd).for_each(|(a, b)| *a += tau * b);
                on_boundary = true;
                break;
            }
            let new_model = (0..len).map(|i| (eta[i] + alpha * d[i]) * (grad[i] + 0.5 * (heta[i] + alpha * hd[i]))).sum::<f64>();
            if new_model >= model {
                break;
            }
            model = new_model;
            eta.iter_mut().zip(&d).for_each(|(a, b)| *a += alpha * b);
            heta.iter_mut().zip(&hd).for_each(|(a, b)| *a += alpha * b);
            e_pe = e_pe_new;
            r.iter_mut().zip(&hd).for_each(|(a, b)| *a += alpha * b);
            s.flag.proju(&y, &mut r);
            r_r = dot(&r, &r);
            if r_r.sqrt() <= norm_r0 * norm_r0.min(0.1) {
                break;
            }
            z.copy_from_slice(&r);
            let z_r_old = z_r;
            z_r = dot(&z, &r);
            let beta = z_r / z_r_old;
            d.iter_mut().zip(&z).for_each(|(a, b)| *a = -b + beta * *a);
            s.flag.proju(&y, &mut d);
            e_pd = beta * (e_pd + alpha * d_pd);
            d_pd = z_r + beta * beta * d_pd;
        }
        // The step, its model decrease and the actual one.
        s.flag.retr(&y, &eta, &mut candidate);
        let f_new = cost_grad(s, ops, &candidate, &mut cand_egrad);
        let model_decrease = -(dot(&eta, &grad) + 0.5 * dot(&eta, &heta));
        let reg = f.abs().max(1.0) * f64::EPSILON * 1e3;
        let rho = (f - f_new + reg) / (model_decrease + reg);
        let eta_norm = dot(&eta, &eta).sqrt();
        if rho.is_nan() || rho < 0.25 || model_decrease < 0.0 {
            delta /= 4.0;
        } else if rho > 0.75 && (on_boundary || eta_norm >= 0.99 * delta) {
            delta = (2.0 * delta).min(delta_bar);
        }
        if rho > 0.1 && model_decrease >= 0.0 {
            std::mem::swap(&mut y, &mut candidate);
            std::mem::swap(&mut egrad, &mut cand_egrad);
            f = f_new;
            grad.copy_from_slice(&egrad);
            s.flag.egrad_to_rgrad(&y, &mut grad);
            grad_norm = dot(&grad, &grad).sqrt();
        }
    }
    Solved { point: y, n_iter, converged: grad_norm <= tol, grad_norm }
}

/// The weighted mean with point weights `c` (validated), from `start` (greedy when `None`).
fn mean_with(s: &Shape, x: &[f64], c: &[f64], start: Option<&[f64]>, max_iters: usize, tol: f64) -> Result<(Vec<f64>, usize, bool, f64)> {
    let ops = block_operators(s, x, c);
    if s.ranges.len() == 1 {
        let y = greedy(s, &ops)?;
        return Ok((canonical(s, &ops, &y)?, 0, true, 0.0));
    }
    let start = match start {
        Some(y) => y.to_vec(),
        None => greedy(s, &ops)?,
    };
    let solved = trust_region(s, &ops, start, max_iters, tol);
    Ok((canonical(s, &ops, &solved.point)?, solved.n_iter, solved.converged, solved.grad_norm))
}

/// The weighted chordal flag mean of the frames in `x` (flags of `signature` in `Rⁿ`).
///
/// `x` holds the points one after another, each an `n × n_k` row-major frame whose first
/// `n_j` columns span its `j`-th subspace.
///
/// # Errors
/// `n` zero; `signature` not strictly increasing within `1..=n`; `x` empty or not a whole number
/// of frames; a point not orthonormal (naming the point and the entry of `XᵀX`); invalid
/// `weights`, `initial_point`, `max_iters`, `tol` or `threads`.
///
/// ```
/// use unfold_learn::manifold::flag_mean::{flag_mean, FlagMeanParams};
/// // Two lines of R² at ±30° from the x axis: their mean line is the x axis.
/// let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
/// let x = [c, s, c, -s];
/// let mean = flag_mean(2, &[1], &x, &FlagMeanParams::default())?;
/// assert!((mean.point[0].abs() - 1.0).abs() < 1e-12 && mean.point[1].abs() < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn flag_mean(n: usize, signature: &[usize], x: &[f64], params: &FlagMeanParams) -> Result<FlagAverage> {
    if params.max_iters == 0 {
        return Err(Error::param("max_iters", 0, "must be at least 1"));
    }
    if !(params.tol >= 0.0 && params.tol.is_finite()) {
        return Err(Error::param("tol", params.tol, "must be a finite number ≥ 0"));
    }
    crate::threads::install(params.threads, || {
        let (s, w) = validate(n, signature, x, params.weights.as_deref(), params.initial_point.as_deref(), params.threads)?;
        let (point, n_iter, converged, residual) = mean_with(&s, x, &w, params.initial_point.as_deref(), params.max_iters, params.tol)?;
        let d = distances(&s, x, &point);
        let objective = d.iter().zip(&w).map(|(d, w)| w * d * d).sum();
        Ok(FlagAverage { point, objective, n_iter, converged, residual })
    })?
}

/// The weighted chordal flag median of the frames in `x` (the paper's iteratively re-weighted
/// flag means). Points are laid out as in [`flag_mean`].
///
/// # Errors
/// As [`flag_mean`], and `max_iters`, `conv_eps` or `wt_eps` out of range.
pub fn flag_median(n: usize, signature: &[usize], x: &[f64], params: &FlagMedianParams) -> Result<FlagAverage> {
    if params.max_iters == 0 {
        return Err(Error::param("max_iters", 0, "must be at least 1"));
    }
    if !(params.conv_eps >= 0.0 && params.conv_eps.is_finite()) {
        return Err(Error::param("conv_eps", params.conv_eps, "must be a finite number ≥ 0"));
    }
    if !(params.wt_eps > 0.0 && params.wt_eps.is_finite()) {
        return Err(Error::param("wt_eps", params.wt_eps, "must be a finite number > 0"));
    }
    let inner = FlagMeanParams::default();
    crate::threads::install(params.threads, || {
        let (s, w) = validate(n, signature, x, params.weights.as_deref(), params.initial_point.as_deref(), params.threads)?;
        let mut y = match &params.initial_point {
            Some(y) => y.clone(),
            None => mean_with(&s, x, &w, None, inner.max_iters, inner.tol)?.0,
        };
        let mut est = FlagAverage { point: Vec::new(), objective: 0.0, n_iter: 0, converged: false, residual: f64::INFINITY };
        for it in 1..=params.max_iters {
            est.n_iter = it;
            let d = distances(&s, x, &y);
            let c: Vec<f64> = d.iter().zip(&w).map(|(d, w)| w / d.max(params.wt_eps)).collect();
            let next = mean_with(&s, x, &c, Some(&y), inner.max_iters, inner.tol)?.0;
            est.residual = chordal(&s, &y, &next);
            y = next;
            if est.residual < params.conv_eps {
                est.converged = true;
                break;
            }
        }
        let d = distances(&s, x, &y);
        est.objective = d.iter().zip(&w).map(|(d, w)| w * d).sum();
        est.point = y;
        Ok(est)
    })?
}

/// The chordal distance between two flags of `signature` in `Rⁿ` (row-major `n × n_k` frames).
///
/// # Errors
/// As [`flag_mean`] for `n`, `signature` and the frames.
pub fn chordal_distance(n: usize, signature: &[usize], x: &[f64], y: &[f64]) -> Result<f64> {
    let s = shape(n, signature, x)?;
    if x.len() != s.len() || y.len() != s.len() {
        return Err(Error::InvalidData(format!("`x` and `y` must each be one {n} × {} frame ({} values)", s.p, s.len())));
    }
    check_points(&s.flag, "x", x, 1e-6)?;
    check_points(&s.flag, "y", y, 1e-6)?;
    Ok(chordal(&s, x, y))
}
