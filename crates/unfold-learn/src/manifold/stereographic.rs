//! The κ-stereographic model (Bachmann, Bécigneul & Ganea, 2020) and the Poincaré ball.
//!
//! With Möbius addition `x ⊕κ y = ((1 − 2κ⟨x,y⟩ − κ‖y‖²) x + (1 + κ‖x‖²) y) / (1 − 2κ⟨x,y⟩ + κ²‖x‖²‖y‖²)`
//! and the conformal factor `λₓ = 2 / (1 + κ‖x‖²)`:
//!
//! * `d(x, y) = 2 artan_κ(‖(−x) ⊕κ y‖)`
//! * `exp_x(u) = x ⊕κ (tan_κ(λₓ‖u‖/2) u/‖u‖)`, `log_x(y) = (2/λₓ) artan_κ(‖w‖) w/‖w‖`, `w = (−x) ⊕κ y`
//! * `transp_{x→y}(v) = (λₓ/λ_y) gyr[y, −x] v`
//!
//! where `tan_κ(r) = tan(√κ r)/√κ` (κ > 0), `tanh(√−κ r)/√−κ` (κ < 0), `r` at κ = 0, and
//! `artan_κ` its inverse. Both switch to their Taylor series in `κ r²` when that is below
//! 1e-6, which makes every operation smooth through κ = 0.

use super::{ARTANH_EPS, BALL_EPS, LANES, MIN_DENOM, Manifold, dot, fill_normal, ln_lanes, sq_norm};
use crate::prefetch;
use crate::rng::Stream;

/// The κ-stereographic model of constant curvature κ on `Rⁿ` (the ball of radius `1/√−κ` when
/// κ < 0, all of `Rⁿ` — the stereographically projected sphere — when κ > 0, Euclidean space at 0).
///
/// Random points are `exp₀` of a standard normal tangent vector at the origin (a wrapped
/// normal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stereographic {
    n: usize,
    k: f64,
}

/// Below this `|κ| r²`, `tan_κ` and `artan_κ` use their Taylor series.
const SERIES_BELOW: f64 = 1e-6;

/// How many blocks of [`LANES`] rows ahead [`ball_dist_rows`] prefetches.
const AHEAD: usize = 4;

/// `tan_κ(r)`: `tan(√κ r)/√κ`, `tanh(√−κ r)/√−κ`, or its series `r + κr³/3 + 2κ²r⁵/15 + 17κ³r⁷/315`.
pub fn tan_k(r: f64, k: f64) -> f64 {
    let kr2 = k * r * r;
    if kr2.abs() < SERIES_BELOW {
        r * (1.0 + kr2 * (1.0 / 3.0 + kr2 * (2.0 / 15.0 + kr2 * 17.0 / 315.0)))
    } else if k > 0.0 {
        let s = k.sqrt();
        (s * r).tan() / s
    } else {
        let s = (-k).sqrt();
        (s * r).tanh() / s
    }
}

/// `artan_κ(r)`: `atan(√κ r)/√κ`, `artanh(√−κ r)/√−κ` (argument clamped), or its series
/// `r − κr³/3 + κ²r⁵/5 − κ³r⁷/7`.
pub fn artan_k(r: f64, k: f64) -> f64 {
    let kr2 = k * r * r;
    if kr2.abs() < SERIES_BELOW {
        r * (1.0 - kr2 * (1.0 / 3.0 - kr2 * (1.0 / 5.0 - kr2 / 7.0)))
    } else if k > 0.0 {
        let s = k.sqrt();
        (s * r).atan() / s
    } else {
        let s = (-k).sqrt();
        (s * r).clamp(-1.0 + ARTANH_EPS, 1.0 - ARTANH_EPS).atanh() / s
    }
}

impl Stereographic {
    /// The κ-stereographic model on `Rⁿ`; κ any finite value.
    pub fn new(n: usize, k: f64) -> Self {
        Stereographic { n, k }
    }

    /// The curvature κ.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// `λₓ = 2 / (1 + κ‖x‖²)`, its denominator clamped at [`MIN_DENOM`].
    #[inline]
    pub fn lambda(&self, x: &[f64]) -> f64 {
        2.0 / (1.0 + self.k * sq_norm(x)).max(MIN_DENOM)
    }

    /// Möbius addition `x ⊕κ y` into `out` (not projected).
    pub fn mobius_add(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        self.mobius_add_scaled(1.0, x, 1.0, y, out)
    }

    /// `(s x) ⊕κ (t y)` into `out`, without forming the scaled vectors.
    fn mobius_add_scaled(&self, s: f64, x: &[f64], t: f64, y: &[f64], out: &mut [f64]) {
        let k = self.k;
        let (x2, y2, xy) = (s * s * sq_norm(x), t * t * sq_norm(y), s * t * dot(x, y));
        let a = (1.0 - 2.0 * k * xy - k * y2) * s;
        let b = (1.0 + k * x2) * t;
        let denom = (1.0 - 2.0 * k * xy + k * k * x2 * y2).max(MIN_DENOM);
        for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
            *o = (a * xi + b * yi) / denom;
        }
    }

    /// `(−x) ⊕κ y` into `out`, written in `d = y − x` so that near points lose no digits:
    /// the numerator is `(1 + κ‖x‖²) d + κ‖d‖² x` and the denominator
    /// `(1 + κ‖x‖² + κ⟨x, d⟩)² + κ²(‖x‖²‖d‖² − ⟨x, d⟩²)`.
    fn mobius_sub(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let (b, _, d2, _, denom) = self.mobius_sub_parts(x, y);
        let kd2 = self.k * d2;
        for ((o, xi), yi) in out.iter_mut().zip(x).zip(y) {
            *o = (b * (yi - xi) + kd2 * xi) / denom;
        }
    }

    /// `(1 + κ‖x‖², ‖x‖², ‖d‖², ⟨x, d⟩, denominator)` of [`Stereographic::mobius_sub`].
    #[inline]
    fn mobius_sub_parts(&self, x: &[f64], y: &[f64]) -> (f64, f64, f64, f64, f64) {
        let k = self.k;
        let (mut x2, mut d2, mut xd) = (0.0, 0.0, 0.0);
        for (xi, yi) in x.iter().zip(y) {
            let d = yi - xi;
            x2 += xi * xi;
            d2 += d * d;
            xd += xi * d;
        }
        let (b, denom) = sub_b_denom(k, x2, d2, xd);
        (b, x2, d2, xd, denom)
    }

    /// `‖(−x) ⊕κ y‖` without forming the sum.
    fn mobius_sub_norm(&self, x: &[f64], y: &[f64]) -> f64 {
        let (num, denom) = self.mobius_sub_num_denom(x, y);
        num / denom
    }

    /// `‖(−x) ⊕κ y‖` as the pair `(numerator norm, denominator)`.
    #[inline]
    fn mobius_sub_num_denom(&self, x: &[f64], y: &[f64]) -> (f64, f64) {
        let (b, x2, d2, xd, denom) = self.mobius_sub_parts(x, y);
        (sub_num(self.k, b, x2, d2, xd), denom)
    }

    /// `gyr[u, v] w` (Ungar), in the κ convention: the rotation that makes Möbius addition associative.
    /// Here `v` is given as `t·v` (`t = −1` for `gyr[y, −x]`).
    fn gyration(&self, u: &[f64], t: f64, v: &[f64], w: &[f64], out: &mut [f64]) {
        let k = self.k;
        let (u2, v2, uv, uw, vw) = (sq_norm(u), t * t * sq_norm(v), t * dot(u, v), dot(u, w), t * dot(v, w));
        let k2 = k * k;
        let a = -k2 * uw * v2 - k * vw + 2.0 * k2 * uv * vw;
        let b = -k2 * vw * u2 + k * uw;
        let d = (1.0 - 2.0 * k * uv + k2 * u2 * v2).max(MIN_DENOM);
        for (((o, wi), ui), vi) in out.iter_mut().zip(w).zip(u).zip(v) {
            *o = wi + 2.0 * (a * ui + b * t * vi) / d;
        }
    }
}

/// `(1 + κ‖x‖², denominator)` of `(−x) ⊕κ y` from `‖x‖²`, `‖d‖²` and `⟨x, d⟩` (`d = y − x`).
#[inline(always)]
fn sub_b_denom(k: f64, x2: f64, d2: f64, xd: f64) -> (f64, f64) {
    let b = 1.0 + k * x2;
    let c = b + k * xd;
    (b, (c * c + k * k * (x2 * d2 - xd * xd).max(0.0)).max(MIN_DENOM))
}

/// The norm of the numerator of `(−x) ⊕κ y`: `‖b d + κ‖d‖² x‖² = ‖d‖² (b² + 2bκ⟨x, d⟩ +
/// κ²‖d‖²‖x‖²)`, with `b` from [`sub_b_denom`].
#[inline(always)]
fn sub_num(k: f64, b: f64, x2: f64, d2: f64, xd: f64) -> f64 {
    (d2 * (b * b + 2.0 * b * k * xd + k * k * d2 * x2)).max(0.0).sqrt()
}

/// Distances between the paired rows (`n` values each) of `x` and `y` in the ball of curvature
/// `k < 0`, [`LANES`] rows at a time with the rows in the vector lanes: the three sums of
/// [`Stereographic::mobius_sub_parts`], then `d = 2 artanh(u)/√−κ` with
/// `u = √−κ ‖(−x) ⊕κ y‖ = √−κ num/denom`, written as `ln((1 + u)/(1 − u))/√−κ` with the logarithms
/// by [`ln_lanes`], or as the series `2u(1 + u²/3 + … + u⁸/9)/√−κ` where `u < 0.01` (its first
/// omitted term is below 1e-20 relative). Compiled for the CPU's vector units, and the rows
/// [`AHEAD`] blocks on are prefetched: the profile had the loads waiting on memory (1M pairs of
/// B^10 on 2 threads: 15.5 ms row by row with libm's `ln_1p`, 10.5 ms in lanes, 8.5 ms with the
/// prefetch).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn ball_dist_rows(k: f64, n: usize, x: &[f64], y: &[f64], out: &mut [f64]) {
    let s = (-k).sqrt();
    let inv_s = 1.0 / s;
    let block_len = LANES * n;
    for (c, ((block, xb), yb)) in out.chunks_mut(LANES).zip(x.chunks(block_len)).zip(y.chunks(block_len)).enumerate() {
        let ahead = ((c + AHEAD) * block_len).min(x.len())..((c + AHEAD + 1) * block_len).min(x.len());
        prefetch::slice(&x[ahead.clone()]);
        prefetch::slice(&y[ahead]);
        // The last block of a chunk may be short: its missing rows are zeros (distance 0, unused).
        let padded;
        let (xb, yb) = if block.len() == LANES {
            (xb, yb)
        } else {
            padded = [xb, yb].map(|b| {
                let mut p = vec![0.0; block_len];
                p[..b.len()].copy_from_slice(b);
                p
            });
            (&padded[0][..], &padded[1][..])
        };
        let (mut x2, mut d2, mut xd) = ([0.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES]);
        let xr: [&[f64]; LANES] = std::array::from_fn(|l| &xb[l * n..(l + 1) * n]);
        let yr: [&[f64]; LANES] = std::array::from_fn(|l| &yb[l * n..(l + 1) * n]);
        for j in 0..n {
            let xv: [f64; LANES] = std::array::from_fn(|l| xr[l][j]);
            let yv: [f64; LANES] = std::array::from_fn(|l| yr[l][j]);
            for l in 0..LANES {
                let d = yv[l] - xv[l];
                x2[l] += xv[l] * xv[l];
                d2[l] += d * d;
                xd[l] += xv[l] * d;
            }
        }
        let (mut ratio, mut series, mut on_series) = ([1.0f64; LANES], [0.0f64; LANES], [false; LANES]);
        for l in 0..LANES {
            let (x2, d2, xd) = (x2[l], d2[l], xd[l]);
            let (b, denom) = sub_b_denom(k, x2, d2, xd);
            let num = sub_num(k, b, x2, d2, xd);
            let u = (s * num / denom).min(1.0 - ARTANH_EPS);
            let u2 = u * u;
            series[l] = 2.0 * u * (1.0 + u2 * (1.0 / 3.0 + u2 * (1.0 / 5.0 + u2 * (1.0 / 7.0 + u2 / 9.0))));
            on_series[l] = u < 0.01;
            // Lanes on the series take ln 1 = 0.
            ratio[l] = if on_series[l] { 1.0 } else { (1.0 + u) / (1.0 - u) };
        }
        ln_lanes(&mut ratio);
        for (l, o) in block.iter_mut().enumerate() {
            *o = inv_s * if on_series[l] { series[l] } else { ratio[l] };
        }
    }
}

impl Manifold for Stereographic {
    fn name(&self) -> String {
        format!("Stereographic({}, k={})", self.n, self.k)
    }
    fn point_len(&self) -> usize {
        self.n
    }
    fn dim(&self) -> usize {
        self.n
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        let l = self.lambda(x);
        l * l * dot(u, v)
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        2.0 * artan_k(self.mobius_sub_norm(x, y), self.k)
    }
    /// For κ < 0, eight rows at a time in the CPU's vector units (the sums of `(−x) ⊕κ y`, then
    /// `ln((1 + u)/(1 − u))` with `u = √−κ ‖(−x) ⊕κ y‖`): equal to [`Manifold::dist`] within
    /// 1e-12 relative (tested), except near the boundary, where the distance itself is good
    /// only to about `ε/(1 − u)` and the two round differently.
    fn dist_rows(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        if self.k >= 0.0 {
            return super::dist_rows_by_row(self, x, y, out);
        }
        ball_dist_rows(self.k, self.n, x, y, out);
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let un = sq_norm(u).sqrt();
        if un <= 1e-300 {
            out.copy_from_slice(x);
            return self.projx(out);
        }
        let scale = tan_k(0.5 * self.lambda(x) * un, self.k) / un;
        self.mobius_add_scaled(1.0, x, scale, u, out);
        self.projx(out);
    }
    /// The first-order retraction `x + u`, projected.
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(x).zip(u) {
            *o = a + b;
        }
        self.projx(out);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        self.mobius_sub(x, y, out);
        let wn = sq_norm(out).sqrt();
        if wn <= 1e-300 {
            out.iter_mut().for_each(|o| *o = 0.0);
            return;
        }
        let scale = 2.0 / self.lambda(x) * artan_k(wn, self.k) / wn;
        out.iter_mut().for_each(|o| *o *= scale);
    }
    /// For κ < 0, pulls `x` into the ball of radius `(1 − BALL_EPS)/√−κ`; otherwise nothing.
    fn projx(&self, x: &mut [f64]) {
        if self.k < 0.0 {
            let max = (1.0 - BALL_EPS) / (-self.k).sqrt();
            let norm = sq_norm(x).sqrt();
            if norm > max {
                let s = max / norm;
                x.iter_mut().for_each(|v| *v *= s);
            }
        }
    }
    fn proju(&self, _x: &[f64], _u: &mut [f64]) {}
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        let l = self.lambda(x);
        let s = 1.0 / (l * l);
        g.iter_mut().for_each(|v| *v *= s);
    }
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        self.gyration(y, -1.0, x, v, out);
        let s = self.lambda(x) / self.lambda(y);
        out.iter_mut().for_each(|o| *o *= s);
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        let mut u = vec![0.0; self.n];
        fill_normal(rng, &mut u);
        // A unit-variance wrapped normal at the origin, where λ₀ = 2.
        u.iter_mut().for_each(|v| *v *= 0.5);
        let zero = vec![0.0; self.n];
        self.exp(&zero, &u, out);
    }
    fn random_tangent(&self, x: &[f64], rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        let s = 1.0 / self.lambda(x);
        out.iter_mut().for_each(|v| *v *= s);
    }
    fn check_point(&self, x: &[f64], _tol: f64) -> Result<(), String> {
        if let Some(j) = x.iter().position(|v| !v.is_finite()) {
            return Err(format!("value {j} is not finite"));
        }
        if self.k < 0.0 {
            let norm = sq_norm(x).sqrt();
            let radius = 1.0 / (-self.k).sqrt();
            if norm >= radius {
                return Err(format!("outside the open ball: ‖x‖ = {norm}, must be less than 1/√(−κ) = {radius}"));
            }
        }
        Ok(())
    }
    fn half_sq_dist_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        super::constant_curvature_hessian(self, self.k, x, y, basis, out)
    }
}

/// The Poincaré ball of curvature `−c` (radius `1/√c`): the κ-stereographic model at κ = −c,
/// geoopt's `PoincareBall(c)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoincareBall {
    inner: Stereographic,
}

impl PoincareBall {
    /// The ball in `Rⁿ` of curvature `−c`, `c > 0`.
    pub fn new(n: usize, c: f64) -> Self {
        PoincareBall { inner: Stereographic::new(n, -c) }
    }
    /// The κ-stereographic model it is.
    pub fn as_stereographic(&self) -> &Stereographic {
        &self.inner
    }
}

macro_rules! delegate {
    ($($f:ident($($a:ident: $t:ty),*) $(-> $r:ty)?;)*) => {
        $(fn $f(&self, $($a: $t),*) $(-> $r)? { self.inner.$f($($a),*) })*
    };
}

impl Manifold for PoincareBall {
    fn name(&self) -> String {
        format!("PoincareBall({}, c={})", self.inner.n, -self.inner.k)
    }
    delegate! {
        point_len() -> usize;
        dim() -> usize;
        inner(x: &[f64], u: &[f64], v: &[f64]) -> f64;
        dist(x: &[f64], y: &[f64]) -> f64;
        dist_rows(x: &[f64], y: &[f64], out: &mut [f64]);
        exp(x: &[f64], u: &[f64], out: &mut [f64]);
        retr(x: &[f64], u: &[f64], out: &mut [f64]);
        log(x: &[f64], y: &[f64], out: &mut [f64]);
        projx(x: &mut [f64]);
        proju(x: &[f64], u: &mut [f64]);
        egrad_to_rgrad(x: &[f64], g: &mut [f64]);
        transp(x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]);
        random_point(rng: &mut Stream, out: &mut [f64]);
        random_tangent(x: &[f64], rng: &mut Stream, out: &mut [f64]);
        check_point(x: &[f64], tol: f64) -> Result<(), String>;
        half_sq_dist_hessian(x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool;
    }
}
