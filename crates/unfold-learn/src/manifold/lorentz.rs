//! The hyperboloid (Lorentz) model, geoopt's `Lorentz(k)`.
//!
//! Points `x ∈ Rⁿ⁺¹` with `⟨x, x⟩_L = −x₀² + Σ xᵢ² = −k`, `x₀ > 0`; curvature `−1/k`.
//! `d(x, y) = √k arcosh(−⟨x, y⟩_L / k)`; `exp_x(u) = cosh(‖u‖/√k) x + √k sinh(‖u‖/√k) u/‖u‖`;
//! parallel transport `v + ⟨y, v⟩_L / (k − ⟨x, y⟩_L) (x + y)`. The map to the Poincaré ball
//! of curvature `−1/k` is `x ↦ √k x₁.. / (x₀ + √k)`.

use super::{Manifold, arcosh_clamped, fill_normal};
use crate::rng::Stream;

/// The hyperboloid in `Rⁿ⁺¹` (intrinsic dimension `n`) of curvature `−1/k`.
///
/// Random points are `exp` at the origin `(√k, 0, …)` of a standard normal tangent vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lorentz {
    n: usize,
    k: f64,
}

/// The Minkowski product `−u₀v₀ + Σ uᵢvᵢ`.
#[inline]
pub fn minkowski(u: &[f64], v: &[f64]) -> f64 {
    -u[0] * v[0] + u[1..].iter().zip(&v[1..]).map(|(a, b)| a * b).sum::<f64>()
}

impl Lorentz {
    /// The hyperboloid with points of `n_ambient` values (`n_ambient ≥ 2`), `k > 0`.
    pub fn new(n_ambient: usize, k: f64) -> Self {
        Lorentz { n: n_ambient, k }
    }
    /// The parameter `k` (curvature `−1/k`).
    pub fn k(&self) -> f64 {
        self.k
    }
}

impl Manifold for Lorentz {
    fn name(&self) -> String {
        format!("Lorentz({}, k={})", self.n, self.k)
    }
    fn point_len(&self) -> usize {
        self.n
    }
    fn dim(&self) -> usize {
        self.n.saturating_sub(1)
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        minkowski(u, v)
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        // Near the diagonal arcosh(1 + ε) loses half the digits: there use the chord
        // ‖x − y‖_L (a positive spacelike norm), d = 2√k asinh(‖x − y‖_L / (2√k)).
        let sk = self.k.sqrt();
        let diff2: f64 = {
            let d0 = x[0] - y[0];
            -d0 * d0 + x[1..].iter().zip(&y[1..]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
        };
        let arg = -minkowski(x, y) / self.k;
        // The chord is spacelike between points of the sheet; rounding can make it slightly negative.
        if arg < 1.5 { 2.0 * sk * (diff2.max(0.0).sqrt() / (2.0 * sk)).asinh() } else { sk * arcosh_clamped(arg) }
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let sk = self.k.sqrt();
        let un = minkowski(u, u).max(0.0).sqrt();
        let t = un / sk;
        let (c, s) = (t.cosh(), if t > 1e-300 { sk * t.sinh() / un } else { 1.0 });
        for ((o, a), b) in out.iter_mut().zip(x).zip(u) {
            *o = c * a + s * b;
        }
        self.projx(out);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let xy = minkowski(x, y) / self.k;
        for ((o, a), b) in out.iter_mut().zip(x).zip(y) {
            *o = b + xy * a;
        }
        let norm = minkowski(out, out).max(0.0).sqrt();
        let d = self.dist(x, y);
        let s = if norm > 1e-300 { d / norm } else { 0.0 };
        out.iter_mut().for_each(|o| *o *= s);
    }
    /// Sets `x₀ = √(k + Σ xᵢ²)` (the point of the upper sheet above `x₁..`).
    fn projx(&self, x: &mut [f64]) {
        let rest: f64 = x[1..].iter().map(|v| v * v).sum();
        x[0] = (self.k + rest).sqrt();
    }
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        let c = minkowski(x, u) / self.k;
        for (b, a) in u.iter_mut().zip(x) {
            *b += c * a;
        }
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        g[0] = -g[0];
        self.proju(x, g);
    }
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        let denom = (self.k - minkowski(x, y)).max(super::MIN_DENOM);
        let c = minkowski(y, v) / denom;
        for (((o, a), b), w) in out.iter_mut().zip(x).zip(y).zip(v) {
            *o = w + c * (a + b);
        }
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        let mut u = vec![0.0; self.n];
        fill_normal(rng, &mut u[1..]);
        let mut origin = vec![0.0; self.n];
        origin[0] = self.k.sqrt();
        self.exp(&origin, &u, out);
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        if let Some(j) = x.iter().position(|v| !v.is_finite()) {
            return Err(format!("value {j} is not finite"));
        }
        let q = minkowski(x, x);
        if x[0] <= 0.0 {
            return Err(format!("not on the upper sheet: x₀ = {} must be positive", x[0]));
        }
        if (q + self.k).abs() > tol * (1.0 + x[0] * x[0]) {
            return Err(format!("not on the hyperboloid: ⟨x, x⟩_L = {q}, expected −k = {} (tolerance {tol})", -self.k));
        }
        Ok(())
    }
    fn half_sq_dist_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        super::constant_curvature_hessian(self, -1.0 / self.k, x, y, basis, out)
    }
}
