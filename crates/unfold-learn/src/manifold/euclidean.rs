//! Euclidean space `Eⁿ`.

use super::{Manifold, dot, fill_normal};
use crate::rng::Stream;

/// Euclidean space `Rⁿ` with the dot product; random points are standard normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Euclidean {
    n: usize,
}

impl Euclidean {
    /// `Rⁿ`.
    pub fn new(n: usize) -> Self {
        Euclidean { n }
    }
}

impl Manifold for Euclidean {
    fn name(&self) -> String {
        format!("Euclidean({})", self.n)
    }
    fn point_len(&self) -> usize {
        self.n
    }
    fn dim(&self) -> usize {
        self.n
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        dot(u, v)
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(x).zip(u) {
            *o = a + b;
        }
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(x).zip(y) {
            *o = b - a;
        }
    }
    fn projx(&self, _x: &mut [f64]) {}
    fn proju(&self, _x: &[f64], _u: &mut [f64]) {}
    fn egrad_to_rgrad(&self, _x: &[f64], _g: &mut [f64]) {}
    fn transp(&self, _x: &[f64], _y: &[f64], v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
    }
    fn check_point(&self, x: &[f64], _tol: f64) -> Result<(), String> {
        match x.iter().position(|v| !v.is_finite()) {
            Some(j) => Err(format!("value {j} is not finite")),
            None => Ok(()),
        }
    }
    fn half_sq_dist_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        super::constant_curvature_hessian(self, 0.0, x, y, basis, out)
    }
}
