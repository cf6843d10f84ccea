//! Riemannian optimisation: SGD with transported momentum, Adam and AMSGrad, and gradient
//! descent with an Armijo line search.
//!
//! The variable is an array of `n` points of a [`Manifold`] (rows), so one optimiser handles a
//! single point or a whole embedding (a product of `n` copies). The objective returns its value
//! and its *Euclidean* gradient; each step turns it into the Riemannian gradient with
//! [`Manifold::egrad_to_rgrad`].
//!
//! * [`Method::Sgd`] (Bonnabel, 2013), as geoopt's `RiemannianSGD`: `m ← μ m + grad`,
//!   `x ← retr_x(−lr m)`, and `m` is moved to the new point with [`Manifold::transp`].
//! * [`Method::Adam`] (Bécigneul & Ganea, 2019): first moments transported like the momentum,
//!   second moments one scalar per point `‖grad‖²ₓ` (each row is one factor of the product),
//!   bias-corrected; `amsgrad` keeps the running maximum of the second moments.
//! * [`SparseOptimizer`]: the same SGD and Adam rules on the rows of an embedding table that
//!   have a gradient in a step ([`SparseGrad`]), the others untouched (geoopt's sparse variants).
//! * [`armijo`]: steepest descent with backtracking, `f(retr_x(−t g)) ≤ f(x) − σ t ‖g‖²`.
//!
//! All stop when the gradient norm `√Σᵢ ‖gradᵢ‖²` falls below `grad_tol` or after `max_iter`
//! steps. Every step is a fixed sequence of row-parallel operations with sums over fixed
//! blocks, so results are identical at any thread count.

mod sparse;
pub use sparse::{SparseGrad, SparseOptimizer};

use crate::error::{Error, Result};
use crate::manifold::{Manifold, rows};
use rayon::prelude::*;

/// A function of the points, with its Euclidean gradient.
pub trait Objective: Sync {
    /// The value at `x` (rows of points); writes the Euclidean gradient into `grad` (same shape).
    fn cost_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
}

impl<F: Fn(&[f64], &mut [f64]) -> f64 + Sync> Objective for F {
    fn cost_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self(x, grad)
    }
}

/// The update rule of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Riemannian SGD with momentum `momentum` (0 = plain gradient descent).
    Sgd {
        /// Step size.
        lr: f64,
        /// Momentum factor in `[0, 1)`.
        momentum: f64,
    },
    /// Riemannian Adam, or AMSGrad when `amsgrad`.
    Adam {
        /// Step size.
        lr: f64,
        /// First-moment decay in `[0, 1)`.
        beta1: f64,
        /// Second-moment decay in `[0, 1)`.
        beta2: f64,
        /// Added to the root of the second moment.
        eps: f64,
        /// Keep the maximum of the second moments (AMSGrad, Reddi et al., 2018).
        amsgrad: bool,
    },
}

impl Method {
    /// Adam with the usual defaults (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`).
    pub fn adam(lr: f64) -> Self {
        Method::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false }
    }
    /// AMSGrad with the same defaults.
    pub fn amsgrad(lr: f64) -> Self {
        Method::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: true }
    }

    fn validate(&self) -> Result<()> {
        let check = |name: &'static str, v: f64, lo: f64, hi: f64, open_lo: bool, what: &str| {
            let ok = v.is_finite() && (if open_lo { v > lo } else { v >= lo }) && v < hi;
            if ok { Ok(()) } else { Err(Error::param(name, v, what.to_string())) }
        };
        match *self {
            Method::Sgd { lr, momentum } => {
                check("lr", lr, 0.0, f64::INFINITY, true, "must be a positive number")?;
                check("momentum", momentum, 0.0, 1.0, false, "must be in [0, 1)")
            }
            Method::Adam { lr, beta1, beta2, eps, .. } => {
                check("lr", lr, 0.0, f64::INFINITY, true, "must be a positive number")?;
                check("beta1", beta1, 0.0, 1.0, false, "must be in [0, 1)")?;
                check("beta2", beta2, 0.0, 1.0, false, "must be in [0, 1)")?;
                check("eps", eps, 0.0, f64::INFINITY, false, "must be a finite number ≥ 0")
            }
        }
    }
}

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stopping {
    /// The most steps.
    pub max_iter: usize,
    /// Stop when the Riemannian gradient's norm is at most this.
    pub grad_tol: f64,
}

impl Default for Stopping {
    fn default() -> Self {
        Stopping { max_iter: 1000, grad_tol: 1e-8 }
    }
}

/// The result of an optimisation.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The final points.
    pub x: Vec<f64>,
    /// The objective there.
    pub cost: f64,
    /// The Riemannian gradient's norm there.
    pub grad_norm: f64,
    /// Steps taken.
    pub n_iter: usize,
    /// Whether `grad_norm ≤ grad_tol`.
    pub converged: bool,
}

/// Rows per block of the gradient-norm sum.
const BLOCK: usize = 1024;

/// The Riemannian gradient at `x` and `√Σ‖gradᵢ‖²`, the sum over fixed blocks in order.
fn riemannian_gradient<M: Manifold + ?Sized>(m: &M, x: &[f64], objective: &dyn Objective, grad: &mut Vec<f64>) -> Result<(f64, f64)> {
    grad.iter_mut().for_each(|g| *g = 0.0);
    let cost = objective.cost_grad(x, grad);
    if !cost.is_finite() {
        return Err(Error::Numerical { stage: "Riemannian optimisation", message: format!("the objective returned {cost}") });
    }
    *grad = rows::egrad_to_rgrad(m, x, grad)?;
    let sq = rows::inner(m, x, grad, grad)?;
    let partial: Vec<f64> = sq.par_chunks(BLOCK).map(|c| c.iter().sum()).collect();
    Ok((cost, partial.iter().sum::<f64>().max(0.0).sqrt()))
}

fn check_start<M: Manifold + ?Sized>(m: &M, x0: &[f64], stop: &Stopping) -> Result<()> {
    if stop.max_iter == 0 {
        return Err(Error::param("max_iter", 0, "must be at least 1"));
    }
    if !(stop.grad_tol >= 0.0 && stop.grad_tol.is_finite()) {
        return Err(Error::param("grad_tol", stop.grad_tol, "must be a finite number ≥ 0"));
    }
    rows::check_points(m, "x0", x0, 1e-6)
}

/// Minimises `objective` over the rows of `x0` with `method`.
///
/// # Errors
/// Invalid parameters (named), a starting row off the manifold, a non-finite objective value.
///
/// ```
/// use unfold_learn::manifold::Sphere;
/// use unfold_learn::optim::{Method, Stopping, minimize};
/// // The top eigenvector of diag(1, 2, 3) maximises xᵀAx on the sphere.
/// let f = |x: &[f64], g: &mut [f64]| {
///     let a = [1.0, 2.0, 3.0];
///     (0..3).for_each(|i| g[i] = -2.0 * a[i] * x[i]);
///     -(0..3).map(|i| a[i] * x[i] * x[i]).sum::<f64>()
/// };
/// let x0 = [0.6, 0.0, 0.8];
/// let r = minimize(&Sphere::new(3), &x0, &f, Method::Sgd { lr: 0.1, momentum: 0.5 }, Stopping::default())?;
/// assert!(r.converged && (r.x[2].abs() - 1.0).abs() < 1e-8);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn minimize<M: Manifold + ?Sized>(m: &M, x0: &[f64], objective: &dyn Objective, method: Method, stop: Stopping) -> Result<Minimum> {
    method.validate()?;
    check_start(m, x0, &stop)?;
    let len = m.point_len();
    let n = x0.len() / len;
    let mut x = x0.to_vec();
    let mut grad = vec![0.0; x.len()];
    let mut moment = vec![0.0; x.len()];
    let mut second = vec![0.0f64; n];
    let mut second_max = vec![0.0f64; n];
    let (mut cost, mut grad_norm) = riemannian_gradient(m, &x, objective, &mut grad)?;
    let mut n_iter = 0;
    while grad_norm > stop.grad_tol && n_iter < stop.max_iter {
        n_iter += 1;
        let t = n_iter as i32;
        let step: Vec<f64> = match method {
            Method::Sgd { lr, momentum } => {
                if momentum > 0.0 {
                    moment.iter_mut().zip(&grad).for_each(|(b, g)| *b = momentum * *b + g);
                } else {
                    moment.copy_from_slice(&grad);
                }
                moment.iter().map(|b| -lr * b).collect()
            }
            Method::Adam { lr, beta1, beta2, eps, amsgrad } => {
                moment.iter_mut().zip(&grad).for_each(|(b, g)| *b = beta1 * *b + (1.0 - beta1) * g);
                let sq = rows::inner(m, &x, &grad, &grad)?;
                second.iter_mut().zip(&sq).for_each(|(v, s)| *v = beta2 * *v + (1.0 - beta2) * s);
                second_max.iter_mut().zip(&second).for_each(|(mx, v)| *mx = if amsgrad { (*mx).max(*v) } else { *v });
                let (bias1, bias2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                let mut step = vec![0.0; x.len()];
                step.par_chunks_mut(len).zip(moment.par_chunks(len)).zip(second_max.par_iter()).for_each(|((s, mo), v)| {
                    let denom = (v / bias2).max(0.0).sqrt() + eps;
                    let scale = -lr / bias1 / denom;
                    s.iter_mut().zip(mo).for_each(|(a, b)| *a = scale * b);
                });
                step
            }
        };
        let next = rows::retr(m, &x, &step)?;
        if matches!(method, Method::Adam { .. }) || matches!(method, Method::Sgd { momentum, .. } if momentum > 0.0) {
            moment = rows::transp(m, &x, &next, &moment)?;
        }
        x = next;
        (cost, grad_norm) = riemannian_gradient(m, &x, objective, &mut grad)?;
    }
    Ok(Minimum { x, cost, grad_norm, n_iter, converged: grad_norm <= stop.grad_tol })
}

/// Settings of [`armijo`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Armijo {
    /// The length of the first trial step (a distance along the negative gradient).
    pub initial_step: f64,
    /// The backtracking factor in `(0, 1)`.
    pub shrink: f64,
    /// The sufficient-decrease constant `σ` in `(0, 1)`.
    pub sufficient_decrease: f64,
    /// The most backtracking steps per iteration.
    pub max_backtrack: usize,
}

impl Default for Armijo {
    fn default() -> Self {
        Armijo { initial_step: 1.0, shrink: 0.5, sufficient_decrease: 1e-4, max_backtrack: 50 }
    }
}

/// Riemannian steepest descent with an Armijo backtracking line search (Absil, Mahony &
/// Sepulchre, 2008, §4.2).
///
/// The first trial step moves a distance `initial_step` along the gradient. Later ones start from
/// twice the step that the last decrease predicts, `2 · 2(f_k − f_{k−1}) / (−‖g_k‖²)` (Nocedal &
/// Wright, 2006, eq. 3.60, with the optimism factor of pymanopt's back-tracking searcher), which
/// is the exact minimiser for a quadratic and keeps the search from zig-zagging in narrow
/// valleys.
///
/// # Errors
/// As [`minimize`]; `initial_step`, `shrink` and `sufficient_decrease` out of range.
pub fn armijo<M: Manifold + ?Sized>(m: &M, x0: &[f64], objective: &dyn Objective, search: Armijo, stop: Stopping) -> Result<Minimum> {
    if !(search.initial_step > 0.0 && search.initial_step.is_finite()) {
        return Err(Error::param("initial_step", search.initial_step, "must be a positive number"));
    }
    if !(search.shrink > 0.0 && search.shrink < 1.0) {
        return Err(Error::param("shrink", search.shrink, "must be in (0, 1)"));
    }
    if !(search.sufficient_decrease > 0.0 && search.sufficient_decrease < 1.0) {
        return Err(Error::param("sufficient_decrease", search.sufficient_decrease, "must be in (0, 1)"));
    }
    check_start(m, x0, &stop)?;
    let mut x = x0.to_vec();
    let mut grad = vec![0.0; x.len()];
    let mut scratch = vec![0.0; x.len()];
    let (mut cost, mut grad_norm) = riemannian_gradient(m, &x, objective, &mut grad)?;
    let mut last_cost: Option<f64> = None;
    let mut n_iter = 0;
    while grad_norm > stop.grad_tol && n_iter < stop.max_iter {
        n_iter += 1;
        let sq = grad_norm * grad_norm;
        let mut t = match last_cost {
            Some(before) if before > cost => 4.0 * (before - cost) / sq,
            _ => search.initial_step / grad_norm,
        };
        if !(t.is_finite() && t > 0.0) {
            t = search.initial_step / grad_norm;
        }
        let mut accepted = None;
        for _ in 0..=search.max_backtrack {
            let step: Vec<f64> = grad.iter().map(|g| -t * g).collect();
            let trial = rows::retr(m, &x, &step)?;
            let c = objective.cost_grad(&trial, &mut scratch);
            if c.is_finite() && c <= cost - search.sufficient_decrease * t * sq {
                accepted = Some(trial);
                break;
            }
            t *= search.shrink;
        }
        let Some(next) = accepted else { break };
        x = next;
        last_cost = Some(cost);
        (cost, grad_norm) = riemannian_gradient(m, &x, objective, &mut grad)?;
    }
    Ok(Minimum { x, cost, grad_norm, n_iter, converged: grad_norm <= stop.grad_tol })
}
