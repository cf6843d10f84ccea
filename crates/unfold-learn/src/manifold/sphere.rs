//! The unit sphere `Sⁿ⁻¹ ⊂ Rⁿ`.

use super::{Manifold, dot, fill_normal, sq_norm};
use crate::rng::Stream;

/// The unit sphere in `Rⁿ` (intrinsic dimension `n − 1`) with the induced metric.
///
/// Distances use `2·asin(‖x − y‖/2)`, accurate for near and far points alike. `log` of an
/// antipodal point is zero (every direction is a geodesic there). Random points are uniform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sphere {
    n: usize,
}

impl Sphere {
    /// The unit sphere of `Rⁿ` (`n ≥ 1`).
    pub fn new(n: usize) -> Self {
        Sphere { n }
    }
}

impl Manifold for Sphere {
    fn name(&self) -> String {
        format!("Sphere({})", self.n)
    }
    fn point_len(&self) -> usize {
        self.n
    }
    fn dim(&self) -> usize {
        self.n.saturating_sub(1)
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        dot(u, v)
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        let chord = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        2.0 * (0.5 * chord).clamp(-1.0, 1.0).asin()
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let t = sq_norm(u).sqrt();
        let (c, s) = (t.cos(), if t > 1e-300 { t.sin() / t } else { 1.0 });
        for ((o, a), b) in out.iter_mut().zip(x).zip(u) {
            *o = c * a + s * b;
        }
        self.projx(out);
    }
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(x).zip(u) {
            *o = a + b;
        }
        self.projx(out);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let xy = dot(x, y);
        for ((o, a), b) in out.iter_mut().zip(x).zip(y) {
            *o = b - xy * a;
        }
        let norm = sq_norm(out).sqrt();
        let theta = self.dist(x, y);
        let scale = if norm > 1e-300 { theta / norm } else { 0.0 };
        out.iter_mut().for_each(|o| *o *= scale);
    }
    fn projx(&self, x: &mut [f64]) {
        let norm = sq_norm(x).sqrt();
        if norm > 0.0 {
            x.iter_mut().for_each(|v| *v /= norm);
        } else if let Some(first) = x.first_mut() {
            *first = 1.0;
        }
    }
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        let xu = dot(x, u);
        for (b, a) in u.iter_mut().zip(x) {
            *b -= xu * a;
        }
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        self.proju(x, g)
    }
    /// Parallel transport along the minimising geodesic: `v − ⟨y, v⟩/(1 + ⟨x, y⟩) (x + y)`.
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        let denom = (1.0 + dot(x, y)).max(super::MIN_DENOM);
        let coef = dot(y, v) / denom;
        for (((o, a), b), w) in out.iter_mut().zip(x).zip(y).zip(v) {
            *o = w - coef * (a + b);
        }
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        self.projx(out);
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        let norm = sq_norm(x).sqrt();
        if (norm - 1.0).abs() > tol || !norm.is_finite() {
            return Err(format!("not on the unit sphere: ‖x‖ = {norm}, expected 1 (tolerance {tol})"));
        }
        Ok(())
    }
}
