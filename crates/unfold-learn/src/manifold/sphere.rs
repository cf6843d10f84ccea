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
    /// The normalised weighted Euclidean mean (the extrinsic mean): within the square of the
    /// spread of the Fréchet mean, and exactly it for symmetric data. `None` when the rows
    /// cancel out (their sum shorter than 1e-8 of the weight).
    fn mean_start(&self, x: &[f64], w: &[f64]) -> Option<Vec<f64>> {
        let mut sum = vec![0.0; self.n];
        for (y, &wi) in x.chunks_exact(self.n).zip(w) {
            sum.iter_mut().zip(y).for_each(|(a, b)| *a += wi * b);
        }
        let norm = sq_norm(&sum).sqrt();
        (norm > 1e-8 * w.iter().sum::<f64>() && norm.is_finite()).then(|| sum.iter().map(|v| v / norm).collect())
    }
    /// One pass over each row: `log_x(y) = θ/sin θ · (y − cos θ·x)` (`‖y − cos θ·x‖ = sin θ` on
    /// the sphere), summed as `Σ fᵢ yᵢ − (Σ fᵢ cos θᵢ) x`. Past θ = π/2, where `θ/sin θ` is
    /// sensitive to `θ`, each row's `log` is formed as [`Manifold::log`] does.
    fn add_weighted_logs(&self, x: &[f64], ys: &[f64], w: &[f64], acc: &mut [f64]) {
        let mut shift = 0.0;
        for (y, &wi) in ys.chunks_exact(self.n).zip(w) {
            if wi == 0.0 {
                continue;
            }
            let (mut c, mut chord) = (0.0, 0.0);
            for (a, b) in x.iter().zip(y) {
                c += a * b;
                chord += (a - b) * (a - b);
            }
            let h = (0.5 * chord.sqrt()).min(1.0);
            if h <= std::f64::consts::FRAC_1_SQRT_2 {
                // θ = 2 asin h and sin θ = 2h√(1 − h²).
                let f = if h > 0.0 { wi * h.asin() / (h * (1.0 - h * h).sqrt()) } else { wi };
                acc.iter_mut().zip(y).for_each(|(a, b)| *a += f * b);
                shift += f * c;
            } else {
                let theta = 2.0 * h.asin();
                let norm = x.iter().zip(y).map(|(a, b)| (b - c * a) * (b - c * a)).sum::<f64>().sqrt();
                let f = if norm > 1e-300 { wi * theta / norm } else { 0.0 };
                acc.iter_mut().zip(x.iter().zip(y)).for_each(|(o, (a, b))| *o += f * (b - c * a));
            }
        }
        acc.iter_mut().zip(x).for_each(|(a, b)| *a -= shift * b);
    }
    fn half_sq_dist_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        super::constant_curvature_hessian(self, 1.0, x, y, basis, out)
    }
}
