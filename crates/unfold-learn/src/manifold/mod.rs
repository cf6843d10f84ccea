//! Riemannian geometry: one [`Manifold`] trait and its models.
//!
//! A point is one row of an `f64` row-major array of [`Manifold::point_len`] values (matrix
//! points row-major: an SPD `n × n` matrix is `n²` values, a Stiefel `n × p` frame `n·p`);
//! tangent vectors use the same ambient coordinates. The trait works on one point; [`rows`]
//! applies it to every row of an array in parallel (each row independent, so the result is the
//! same at any thread count).
//!
//! | model | points | metric |
//! |---|---|---|
//! | [`Euclidean`] `Eⁿ` | `Rⁿ` | dot product |
//! | [`Sphere`] `Sⁿ` | unit vectors of `Rⁿ⁺¹` | induced |
//! | [`Stereographic`] (κ) | `Rⁿ`, the ball of radius `1/√−κ` when κ < 0 | `λ²ₓ⟨u, v⟩`, `λₓ = 2 / (1 + κ‖x‖²)` |
//! | [`PoincareBall`] (c) | the ball of radius `1/√c` | κ-stereographic at κ = −c |
//! | [`Lorentz`] (k) | `−x₀² + Σ xᵢ² = −k`, `x₀ > 0` | Minkowski, curvature `−1/k` |
//! | [`Spd`] | symmetric positive definite `n × n` | affine-invariant, log-Euclidean or Bures–Wasserstein |
//! | [`Stiefel`] `St(n, p)` | `n × p`, `XᵀX = I` | embedded (Euclidean) |
//! | [`Grassmann`] `Gr(n, p)` | a frame representing its span | quotient of the embedded |
//! | [`Flag`] `Fl(n; d₁, …, d_k)` | a frame whose column blocks span the nested subspaces | quotient of the embedded |
//! | [`Product`] | concatenated rows, e.g. `"H2xS2xE2"` | sum of the factors' |
//!
//! The κ-stereographic model follows Bachmann, Bécigneul & Ganea (2020) and geoopt: `tan_κ` and
//! `artan_κ` switch to their Taylor series when `|κ|·r²` is small, so every operation is smooth
//! through κ = 0 and equals the Euclidean one there.
//!
//! # Clamping policy
//!
//! Hyperbolic formulas divide by quantities that vanish at the ball's boundary and take
//! `artanh`/`arcosh` of values that rounding pushes past their domain. So that no operation
//! returns NaN or infinity on a finite point, however close to the boundary:
//!
//! * [`Stereographic::projx`] (and so [`PoincareBall`]) pulls points into the closed ball of
//!   radius `(1 − BALL_EPS)/√−κ` ([`BALL_EPS`] = 1e-5, geoopt's float64 value); `exp`, `retr`
//!   and Möbius additions project their result the same way.
//! * Conformal factors `1 + κ‖x‖²` and Möbius denominators are clamped below at
//!   [`MIN_DENOM`] = 1e-15.
//! * `artanh` arguments are clamped to `[−1 + 1e-15, 1 − 1e-15]` (so distances stay below
//!   ≈ 36.7/√c) and `arcosh` arguments below at 1; `arccos`/`arcsin` of cosines at `[−1, 1]`.
//! * A zero tangent vector or coincident points give zero (not 0/0) in `exp`, `log`, `transp`.
//!
//! `log` at the cut locus (antipodal points on the sphere, principal angles of π/2 on the
//! Grassmannian) returns one of the minimising directions or zero; it is documented per model.
//! The Stiefel and flag `log` have no closed form and are solved by shooting (see [`Stiefel`]).

pub mod barycentric;
mod dense;
mod euclidean;
pub mod flag_mean;
mod lorentz;
mod product;
pub mod rows;
mod spd;
mod spec;
mod sphere;
pub mod stats;
mod stereographic;
mod stiefel;

pub use euclidean::Euclidean;
pub use lorentz::Lorentz;
pub use product::{Product, parse_signature};
pub use spd::{Spd, SpdMetric};
pub use spec::Spec;
pub use sphere::Sphere;
pub use stereographic::{PoincareBall, Stereographic};
pub use stiefel::{Flag, Grassmann, Stiefel};

use crate::rng::{Stream, normal_f64};
use rand_xoshiro::rand_core::Rng;

/// Distance of [`Stereographic::projx`]'s radius from the boundary, relative: `(1 − BALL_EPS)/√−κ`.
pub const BALL_EPS: f64 = 1e-5;
/// The smallest denominator of a conformal factor or Möbius addition.
pub const MIN_DENOM: f64 = 1e-15;
/// How far an `artanh` argument may come to ±1.
pub const ARTANH_EPS: f64 = 1e-15;

/// A Riemannian manifold whose points are rows of [`Manifold::point_len`] values.
///
/// Tangent vectors are given in the same ambient coordinates as points. Methods that write a
/// result take `out` of the point length. Every method is total on finite input: see the
/// module's clamping policy.
pub trait Manifold: Send + Sync + std::fmt::Debug {
    /// A short name with the dimensions, e.g. `"Sphere(3)"` for points in `R³`.
    fn name(&self) -> String;
    /// The number of values of a point (and of a tangent vector).
    fn point_len(&self) -> usize;
    /// The manifold's intrinsic dimension.
    fn dim(&self) -> usize;
    /// The metric `⟨u, v⟩ₓ` of two tangent vectors at `x`.
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64;
    /// `‖u‖ₓ = √⟨u, u⟩ₓ`.
    fn norm(&self, x: &[f64], u: &[f64]) -> f64 {
        self.inner(x, u, u).max(0.0).sqrt()
    }
    /// The geodesic distance; by default the length of `log_x(y)`, for models without a closed
    /// form.
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        let mut v = vec![0.0; x.len()];
        self.log(x, y, &mut v);
        self.norm(x, &v)
    }
    /// Distances between the paired rows of `x` and `y` into `out` (one per row): [`Manifold::dist`]
    /// row by row, unless the model has a batched form.
    fn dist_rows(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        dist_rows_by_row(self, x, y, out)
    }
    /// The exponential map `exp_x(u)`.
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]);
    /// The logarithm `log_x(y)`, the inverse of `exp_x` inside the injectivity radius.
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]);
    /// A retraction: a first-order approximation of `exp` (the exponential map unless the model
    /// has a cheaper one).
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        self.exp(x, u, out)
    }
    /// Projects an ambient point onto the manifold, in place.
    fn projx(&self, x: &mut [f64]);
    /// Projects an ambient vector onto the tangent space at `x`, in place.
    fn proju(&self, x: &[f64], u: &mut [f64]);
    /// Turns the Euclidean gradient of a function at `x` into its Riemannian gradient, in place.
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]);
    /// Transports `v` from the tangent space at `x` to the one at `y`: parallel transport along
    /// the geodesic where the model has it in closed form (an isometry), otherwise the model's
    /// documented vector transport.
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]);
    /// Whether [`Manifold::transp`] is the parallel transport (it preserves inner products).
    fn transp_is_isometric(&self) -> bool {
        true
    }
    /// A random point (a documented distribution per model) drawn from `rng`.
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]);
    /// A random tangent vector at `x`: a standard normal ambient vector projected on the tangent
    /// space.
    fn random_tangent(&self, x: &[f64], rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        self.proju(x, out);
    }
    /// `Ok` if `x` is on the manifold within `tol`, else the violated constraint with the values
    /// that violate it.
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String>;
    /// `acc += Σᵢ wᵢ log_x(yᵢ)` over the rows `yᵢ` of `ys`, skipping zero weights: the sums of
    /// the Fréchet mean and the geometric median. Models with a cheaper batched form override it.
    fn add_weighted_logs(&self, x: &[f64], ys: &[f64], w: &[f64], acc: &mut [f64]) {
        add_weighted_logs_by_row(self, x, ys, w, acc)
    }
    /// Where [`stats::frechet_mean`] starts for the rows of `x` with weights `w` (unless the
    /// caller gives `init`): a point cheaper to reach the mean from than the first row, for models
    /// that have one; `None` (the default) starts at the first row.
    fn mean_start(&self, _x: &[f64], _w: &[f64]) -> Option<Vec<f64>> {
        None
    }
    /// The Riemannian Hessian at `x` of `x ↦ ½ d²(x, y)`, written in `basis` (`d` rows of
    /// [`Manifold::point_len`] values, orthonormal at `x`) into `out` (`d × d`, row-major), for
    /// models that have it in closed form; `false` (the default) otherwise. Newton's method for
    /// the Fréchet mean ([`stats::frechet_mean`]) uses it.
    fn half_sq_dist_hessian(&self, _x: &[f64], _y: &[f64], _basis: &[f64], _out: &mut [f64]) -> bool {
        false
    }
}

/// [`Manifold::dist_rows`] one `dist` at a time.
pub(crate) fn dist_rows_by_row<M: Manifold + ?Sized>(m: &M, x: &[f64], y: &[f64], out: &mut [f64]) {
    let len = m.point_len();
    for ((o, a), b) in out.iter_mut().zip(x.chunks_exact(len)).zip(y.chunks_exact(len)) {
        *o = m.dist(a, b);
    }
}

/// [`Manifold::add_weighted_logs`] one `log` at a time.
pub(crate) fn add_weighted_logs_by_row<M: Manifold + ?Sized>(m: &M, x: &[f64], ys: &[f64], w: &[f64], acc: &mut [f64]) {
    let len = m.point_len();
    let mut v = vec![0.0; len];
    for (y, &wi) in ys.chunks_exact(len).zip(w) {
        if wi != 0.0 {
            m.log(x, y, &mut v);
            acc.iter_mut().zip(&v).for_each(|(a, b)| *a += wi * b);
        }
    }
}

/// [`Manifold::half_sq_dist_hessian`] on a space of constant curvature `k`: with `θ = d(x, y)`
/// and `u = log_x(y)/θ`, the Hessian is 1 along `u` and `f(θ) = θ√k·cot(θ√k)` (`k > 0`),
/// `θ√−k·coth(θ√−k)` (`k < 0`) or 1 (`k = 0`) across it, the Jacobi fields of the space.
pub(crate) fn constant_curvature_hessian<M: Manifold + ?Sized>(m: &M, k: f64, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
    let len = m.point_len();
    let d = basis.len() / len;
    let mut u = vec![0.0; len];
    m.log(x, y, &mut u);
    let theta = m.norm(x, &u);
    let s = theta * k.abs().sqrt();
    let f = if s < 1e-4 {
        1.0 - k.signum() * s * s / 3.0
    } else if k > 0.0 {
        s / s.tan()
    } else {
        s / s.tanh()
    };
    out.iter_mut().for_each(|o| *o = 0.0);
    if !f.is_finite() {
        return false;
    }
    if theta > 0.0 {
        let a: Vec<f64> = basis.chunks_exact(len).map(|b| m.inner(x, b, &u) / theta).collect();
        for (j, aj) in a.iter().enumerate() {
            for (l, al) in a.iter().enumerate() {
                out[j * d + l] = (1.0 - f) * aj * al;
            }
        }
    }
    (0..d).for_each(|j| out[j * d + j] += f);
    true
}

/// Fills `out` with independent standard normal values from `rng`.
pub fn fill_normal(rng: &mut Stream, out: &mut [f64]) {
    for o in out.iter_mut() {
        let (a, b) = (rng.next_u64(), rng.next_u64());
        *o = normal_f64(a, b);
    }
}

/// Values per call of [`ln_lanes`].
pub(crate) const LANES: usize = 8;

/// Natural logarithms of [`LANES`] positive normal numbers, in place, within 3e-16 relative of
/// `f64::ln` (tested): `v = 2ᵉ m` with `m ∈ (√½, √2]`, then `ln m = 2 artanh(s)`,
/// `s = (m − 1)/(m + 1)`, `|s| ≤ 0.172`, by its series to `s²¹`. One loop over the lanes, inlined
/// always, so the compiler packs it into the caller's vector instructions (in three loops, the
/// AVX-512 build of the ball's `dist` kept half of it in scalar code): about a third of the time
/// of eight libm calls, whose `ln` was half of the ball's `dist`.
#[inline(always)]
pub(crate) fn ln_lanes(v: &mut [f64; LANES]) {
    // 2⁵² + the exponent bits, read as a float: the exponent without an integer conversion.
    const TWO52: f64 = 4_503_599_627_370_496.0;
    for x in v.iter_mut() {
        let bits = x.to_bits();
        let e = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - (TWO52 + 1023.0);
        let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
        let big = m > std::f64::consts::SQRT_2;
        let (m, e) = if big { (0.5 * m, e + 1.0) } else { (m, e) };
        let f = m - 1.0;
        let s = f / (2.0 + f);
        let z = s * s;
        let p = 2.0 / 3.0
            + z * (2.0 / 5.0
                + z * (2.0 / 7.0
                    + z * (2.0 / 9.0 + z * (2.0 / 11.0 + z * (2.0 / 13.0 + z * (2.0 / 15.0 + z * (2.0 / 17.0 + z * (2.0 / 19.0 + z * (2.0 / 21.0)))))))));
        *x = e * std::f64::consts::LN_2 + (2.0 * s + s * z * p);
    }
}

/// `artanh` with its argument clamped to `[−1 + ARTANH_EPS, 1 − ARTANH_EPS]`.
#[inline]
pub fn artanh_clamped(x: f64) -> f64 {
    x.clamp(-1.0 + ARTANH_EPS, 1.0 - ARTANH_EPS).atanh()
}

/// `arcosh` with its argument clamped below at 1.
#[inline]
pub fn arcosh_clamped(x: f64) -> f64 {
    x.max(1.0).acosh()
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[inline]
pub(crate) fn sq_norm(a: &[f64]) -> f64 {
    dot(a, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_logarithms_match_libm() {
        // Positive normal numbers across the exponent range, and around the reduction's ends.
        let mut values: Vec<f64> = (0..4000).map(|i| 10f64.powf(-300.0 + 0.15 * i as f64)).collect();
        for c in [1.0, std::f64::consts::SQRT_2, 2.0] {
            values.extend((-40..=40).map(|j| c * (1.0 + j as f64 * 1e-3)));
            values.extend([c * (1.0 - f64::EPSILON), c, c * (1.0 + f64::EPSILON)]);
        }
        for chunk in values.chunks(LANES) {
            let mut v = [1.0; LANES];
            v[..chunk.len()].copy_from_slice(chunk);
            ln_lanes(&mut v);
            for (&x, &got) in chunk.iter().zip(&v) {
                let want = x.ln();
                assert!((got - want).abs() <= 3e-16 * want.abs().max(f64::MIN_POSITIVE) + 1e-300, "ln({x}) = {got}, libm {want}");
            }
        }
    }
}
