//! The output space of the layout (umap-learn's `output_metric`): the plane (`euclidean`, the
//! default), the hyperbolic plane in hyperboloid or Poincaré-ball coordinates, or the sphere
//! (`haversine`), each with the distance `d` and its gradient the layout follows.
//!
//! In a non-euclidean space the layout is umap-learn's `optimize_layout_generic`: the similarity
//! `w = 1 / (1 + a d^{2b})` of the output distance, an attraction `2b (w − 1) / (d + 10⁻⁶)` and a
//! repulsion `2γb w / (d + 10⁻⁶)` along `∇d`, each coordinate of a move clipped to ±4 and
//! scaled by the learning rate.
//!
//! * **hyperboloid** (umap-learn's `hyperboloid_grad`): a point is its `n_components` spatial
//!   coordinates `x` on the upper sheet of the hyperboloid, whose last coordinate is
//!   `z = √(1 + ‖x‖²)`; `d = arcosh(B)`, `B = z_x z_y − ⟨x, y⟩` (held ≥ 1 + 10⁻⁸), and
//!   `∇ₓd = (x z_y / z_x − y) / √(B² − 1)`. Moves are plain steps in `x`, which has no boundary.
//! * **poincare**: coordinates in the open unit ball, `d = arcosh(1 + 2‖u − v‖² / ((1 − ‖u‖²)(1 − ‖v‖²)))`.
//!   umap-learn has the distance but no gradient for it (it refuses `output_metric="poincare"`).
//!   Here a move is a Riemannian step: the coefficient times the gradient in an orthonormal frame
//!   (`∇d / λ`, `λ = 2 / (1 − ‖u‖²)`: a unit vector, as `∇d` is in the plane), clipped to ±4 per
//!   coordinate as in the plane, then followed along the geodesic (the exponential map, by Möbius
//!   addition), so a point never leaves the ball. Points are held within radius
//!   [`POINCARE_MAX_NORM`] (hyperbolic distance 12.2 from the origin), where `f32` still tells
//!   them apart. The layout starts from the hyperboloid's start mapped into the ball,
//!   `u = x / (1 + z)`.
//! * **haversine** (umap-learn's `haversine_grad`, two coordinates): `(θ, φ)` with `θ` the polar
//!   angle from the north pole (colatitude) and `φ` the longitude, both in radians and not
//!   wrapped; the point is `(sin θ cos φ, sin θ sin φ, cos θ)` and `d` the great-circle distance,
//!   `2 asin √(sin²(Δθ/2) + sin θ_x sin θ_y sin²(Δφ/2))`. umap-learn's `haversine` distance
//!   function reads the first coordinate as a latitude instead; its gradient, which the layout
//!   follows, reads it as a colatitude, and so does this module throughout.
//!
//! All gradients are computed in `f64` from the `f32` coordinates.

use crate::error::{Error, Result};

/// The output metric of the layout (umap-learn's `output_metric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum OutputMetric {
    /// The plane or `n_components`-dimensional euclidean space (umap-learn's fast path).
    #[default]
    Euclidean,
    /// The hyperbolic space in hyperboloid coordinates (the spatial ones; `z = √(1 + ‖x‖²)`).
    Hyperboloid,
    /// The hyperbolic space in Poincaré-ball coordinates.
    Poincare,
    /// The sphere, `(colatitude, longitude)` in radians; two components only.
    Haversine,
}

crate::choice_param!(OutputMetric { Euclidean = "euclidean", Hyperboloid = "hyperboloid", Poincare = "poincare", Haversine = "haversine" });

/// Largest norm of a point in Poincaré-ball coordinates: `tanh(6.1)`, hyperbolic distance 12.2
/// from the origin.
pub const POINCARE_MAX_NORM: f64 = 1.0 - 1e-5;

/// `B ≥ 1 + 10⁻⁸` in the hyperboloid distance, as umap-learn.
const MIN_COSH: f64 = 1.0 + 1e-8;

impl OutputMetric {
    /// The name, as umap-learn spells it.
    pub fn name(&self) -> &'static str {
        match self {
            OutputMetric::Euclidean => "euclidean",
            OutputMetric::Hyperboloid => "hyperboloid",
            OutputMetric::Poincare => "poincare",
            OutputMetric::Haversine => "haversine",
        }
    }

    /// Whether this is the plane (the fast layout).
    pub fn is_euclidean(&self) -> bool {
        *self == OutputMetric::Euclidean
    }

    /// Checks that the metric takes `n_components` coordinates.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `output_metric` for `haversine` with other than 2,
    /// or `poincare` with more than [`MAX_POINCARE_DIM`].
    pub fn check_components(&self, n_components: usize) -> Result<()> {
        if *self == OutputMetric::Haversine && n_components != 2 {
            return Err(Error::param("output_metric", "haversine", format!("takes n_components = 2 (colatitude, longitude), not {n_components}")));
        }
        if *self == OutputMetric::Poincare && n_components > MAX_POINCARE_DIM {
            return Err(Error::param("output_metric", "poincare", format!("takes n_components ≤ {MAX_POINCARE_DIM}, not {n_components}")));
        }
        Ok(())
    }

    /// The output distance between points `x` and `y`.
    pub fn distance(&self, x: &[f32], y: &[f32]) -> f64 {
        match self {
            OutputMetric::Euclidean => x.iter().zip(y).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>().sqrt(),
            OutputMetric::Hyperboloid => hyperboloid_cosh(x, y).acosh(),
            OutputMetric::Poincare => poincare_distance(x, y),
            OutputMetric::Haversine => 2.0 * haversine_a(x, y).clamp(0.0, 1.0).sqrt().asin(),
        }
    }

    /// The distance from `x` to `y` and its gradient in `x`, written to `grad`, as the layout
    /// uses it (umap-learn's `*_grad` functions; see the module docs).
    pub fn distance_grad(&self, x: &[f32], y: &[f32], grad: &mut [f64]) -> f64 {
        match self {
            OutputMetric::Euclidean => {
                let d = self.distance(x, y);
                for ((g, &a), &b) in grad.iter_mut().zip(x).zip(y) {
                    *g = (a as f64 - b as f64) / (1e-6 + d);
                }
                d
            }
            OutputMetric::Hyperboloid => {
                let (s, t) = (lift(x), lift(y));
                let big_b = hyperboloid_cosh(x, y);
                let c = 1.0 / ((big_b - 1.0).sqrt() * (big_b + 1.0).sqrt());
                for ((g, &a), &b) in grad.iter_mut().zip(x).zip(y) {
                    *g = c * (a as f64 * t / s - b as f64);
                }
                big_b.acosh()
            }
            OutputMetric::Poincare => {
                let (nu, nv) = (sq_norm(x), sq_norm(y));
                let diff = x.iter().zip(y).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>();
                let (alpha, beta) = ((1.0 - nu).max(f64::MIN_POSITIVE), (1.0 - nv).max(f64::MIN_POSITIVE));
                let delta = 2.0 * diff / (alpha * beta);
                // d = arcosh(1 + δ), d′(δ) = 1 / √(δ² + 2δ); ∂δ/∂x = 4(x − y)/(αβ) + 4‖x − y‖² x / (α²β).
                let outer = 1.0 / ((delta * delta + 2.0 * delta).sqrt() + 1e-12);
                for ((g, &a), &b) in grad.iter_mut().zip(x).zip(y) {
                    let (a, b) = (a as f64, b as f64);
                    *g = outer * (4.0 * (a - b) / (alpha * beta) + 4.0 * diff * a / (alpha * alpha * beta));
                }
                (1.0 + delta).acosh()
            }
            OutputMetric::Haversine => {
                let (x0, x1, y0, y1) = (x[0] as f64, x[1] as f64, y[0] as f64, y[1] as f64);
                let (sin_lat, cos_lat) = (0.5 * (x0 - y0)).sin_cos();
                let (sin_long, cos_long) = (0.5 * (x1 - y1)).sin_cos();
                let a1 = sin_lat * sin_lat + x0.sin() * y0.sin() * sin_long * sin_long;
                let d = 2.0 * a1.abs().min(1.0).sqrt().asin();
                let denom = (a1 - 1.0).abs().sqrt() * a1.abs().sqrt() + 1e-6;
                grad[0] = (sin_lat * cos_lat + x0.cos() * y0.sin() * sin_long * sin_long) / denom;
                grad[1] = x0.sin() * y0.sin() * sin_long * cos_long / denom;
                d
            }
        }
    }

    /// Moves `x` by the step `coef · ∇d` (`grad` from [`OutputMetric::distance_grad`]), each
    /// coordinate clipped to `±clip` and scaled by `alpha`: a plain step in the coordinates, or
    /// in the Poincaré ball a step along the geodesic (see the module docs).
    #[inline]
    pub fn step(&self, x: &mut [f32], grad: &[f64], coef: f64, clip: f64, alpha: f64) {
        match self {
            OutputMetric::Poincare => {
                let lambda = 2.0 / (1.0 - sq_norm(x)).max(f64::MIN_POSITIVE);
                let mut u = [0f64; MAX_POINCARE_DIM];
                let u = &mut u[..x.len()];
                for (u, &g) in u.iter_mut().zip(grad) {
                    *u = alpha * (coef * g / lambda).clamp(-clip, clip);
                }
                poincare_exp(x, u);
            }
            _ => {
                for (p, &g) in x.iter_mut().zip(grad) {
                    *p += (alpha * (coef * g).clamp(-clip, clip)) as f32;
                }
            }
        }
    }

    /// Maps a start in the coordinates umap-learn starts from (its initialisation, scaled to
    /// `[0, 10]`) into this space: for the Poincaré ball the hyperboloid's start, `x / (1 + z)`;
    /// the others take it as it is.
    pub fn map_start(&self, y: &mut [f32], dim: usize) {
        if *self == OutputMetric::Poincare {
            for row in y.chunks_exact_mut(dim) {
                let z = lift(row);
                row.iter_mut().for_each(|v| *v = (*v as f64 / (1.0 + z)) as f32);
                project_ball(row);
            }
        }
    }

    /// Two columns to draw a `dim`-column embedding in this space: the plane as it is (the
    /// first two columns), the hyperboloid mapped onto the Poincaré disk (`x / (1 + z)`), the
    /// Poincaré disk as it is, and the sphere as an equirectangular map (longitude in
    /// `(−π, π]` across, latitude in `[−π/2, π/2]` up).
    pub fn plane(&self, y: &[f32], dim: usize) -> Vec<f32> {
        let n = y.len().checked_div(dim).unwrap_or(0);
        let mut out = Vec::with_capacity(2 * n);
        for row in y.chunks_exact(dim) {
            let (a, b) = (row[0], row.get(1).copied().unwrap_or(0.0));
            let (p, q) = match self {
                OutputMetric::Euclidean | OutputMetric::Poincare => (a as f64, b as f64),
                OutputMetric::Hyperboloid => {
                    let z = lift(row);
                    (a as f64 / (1.0 + z), b as f64 / (1.0 + z))
                }
                OutputMetric::Haversine => sphere_map(a as f64, b as f64),
            };
            out.push(p as f32);
            out.push(q as f32);
        }
        out
    }
}

/// Longitude and latitude of the sphere point with colatitude `theta` and longitude `phi`.
fn sphere_map(theta: f64, phi: f64) -> (f64, f64) {
    let (x, y, z) = (theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos());
    (y.atan2(x), std::f64::consts::FRAC_PI_2 - z.clamp(-1.0, 1.0).acos())
}

/// Dimensions a Poincaré-ball step handles on the stack.
pub const MAX_POINCARE_DIM: usize = 64;

#[inline]
fn sq_norm(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64) * (v as f64)).sum()
}

/// `z = √(1 + ‖x‖²)`, the last coordinate of the hyperboloid point over `x`.
#[inline]
fn lift(x: &[f32]) -> f64 {
    (1.0 + sq_norm(x)).sqrt()
}

/// `B = z_x z_y − ⟨x, y⟩ = cosh d`, held ≥ 1 + 10⁻⁸.
#[inline]
fn hyperboloid_cosh(x: &[f32], y: &[f32]) -> f64 {
    let dot: f64 = x.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum();
    let b = lift(x) * lift(y) - dot;
    if b <= 1.0 { MIN_COSH } else { b }
}

fn poincare_distance(x: &[f32], y: &[f32]) -> f64 {
    let diff = x.iter().zip(y).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>();
    let (alpha, beta) = ((1.0 - sq_norm(x)).max(f64::MIN_POSITIVE), (1.0 - sq_norm(y)).max(f64::MIN_POSITIVE));
    (1.0 + 2.0 * diff / (alpha * beta)).acosh()
}

/// `sin²(Δθ/2) + sin θ_x sin θ_y sin²(Δφ/2)`, whose root is the sine of half the great-circle
/// distance.
fn haversine_a(x: &[f32], y: &[f32]) -> f64 {
    let (x0, x1, y0, y1) = (x[0] as f64, x[1] as f64, y[0] as f64, y[1] as f64);
    let sin_lat = (0.5 * (x0 - y0)).sin();
    let sin_long = (0.5 * (x1 - y1)).sin();
    sin_lat * sin_lat + x0.sin() * y0.sin() * sin_long * sin_long
}

/// `x ← exp_x(v)` in the Poincaré ball for the tangent step given in the orthonormal frame,
/// `u = λ_x v` (its norm is the hyperbolic length of the step): `x ⊕ tanh(‖u‖/2) u/‖u‖` by
/// Möbius addition, then held within [`POINCARE_MAX_NORM`].
fn poincare_exp(x: &mut [f32], u: &[f64]) {
    let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return;
    }
    let scale = (0.5 * norm).tanh() / norm;
    let (mut xy, mut yy) = (0.0, 0.0);
    let xx = sq_norm(x);
    for (&a, &v) in x.iter().zip(u) {
        xy += a as f64 * v * scale;
        yy += (v * scale) * (v * scale);
    }
    let den = 1.0 + 2.0 * xy + xx * yy;
    let (cx, cy) = ((1.0 + 2.0 * xy + yy) / den, (1.0 - xx) / den);
    for (a, &v) in x.iter_mut().zip(u) {
        *a = (cx * *a as f64 + cy * v * scale) as f32;
    }
    project_ball(x);
}

/// Scales `x` back within [`POINCARE_MAX_NORM`] of the origin.
fn project_ball(x: &mut [f32]) {
    let norm = sq_norm(x).sqrt();
    if norm > POINCARE_MAX_NORM {
        let s = POINCARE_MAX_NORM / norm;
        x.iter_mut().for_each(|v| *v = (*v as f64 * s) as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central finite differences of the distance (in `f64` coordinates near `x`).
    fn numeric_grad(m: OutputMetric, x: &[f64], y: &[f32]) -> Vec<f64> {
        let h = 1e-3;
        (0..x.len())
            .map(|i| {
                let at = |s: f64| {
                    let p: Vec<f32> = x.iter().enumerate().map(|(j, &v)| (if j == i { v + s } else { v }) as f32).collect();
                    m.distance(&p, y)
                };
                (at(h) - at(-h)) / (2.0 * h)
            })
            .collect()
    }

    #[test]
    fn gradients_match_finite_differences() {
        let cases: [(OutputMetric, &[f32], &[f32]); 8] = [
            (OutputMetric::Hyperboloid, &[0.5, -1.25], &[2.0, 0.75]),
            (OutputMetric::Hyperboloid, &[3.0, 4.0, -1.0], &[-2.0, 0.5, 1.5]),
            (OutputMetric::Poincare, &[0.25, -0.5], &[-0.375, 0.125]),
            (OutputMetric::Poincare, &[0.75, 0.5], &[0.125, -0.25]),
            (OutputMetric::Haversine, &[1.0, 0.5], &[1.75, -0.75]),
            (OutputMetric::Haversine, &[4.0, 7.5], &[2.5, 9.0]),
            (OutputMetric::Euclidean, &[1.0, 2.0], &[-1.0, 0.5]),
            (OutputMetric::Poincare, &[0.0, 0.0, 0.5], &[0.25, -0.25, 0.0]),
        ];
        for (m, x, y) in cases {
            let mut g = vec![0f64; x.len()];
            let d = m.distance_grad(x, y, &mut g);
            assert!((d - m.distance(x, y)).abs() < 1e-9, "{m:?}: distance {d} against {}", m.distance(x, y));
            let xs: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            let num = numeric_grad(m, &xs, y);
            for (a, b) in g.iter().zip(&num) {
                assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{m:?} at {x:?}, {y:?}: gradient {g:?}, finite differences {num:?}");
            }
        }
    }

    #[test]
    fn closed_forms() {
        // The hyperbolic distance from the origin to x is asinh‖x‖ (hyperboloid), 2 atanh‖u‖ (ball).
        assert!((OutputMetric::Hyperboloid.distance(&[0.0, 0.0], &[3.0, 4.0]) - 5f64.asinh()).abs() < 1e-12);
        assert!((OutputMetric::Poincare.distance(&[0.0, 0.0], &[0.6, 0.0]) - 2.0 * 0.6f64.atanh()).abs() < 1e-6);
        // The same points in both models are at the same distance.
        let (x, y) = ([1.5f32, -0.5], [-0.25f32, 2.0]);
        let mut bx = x;
        let mut by = y;
        OutputMetric::Poincare.map_start(&mut bx, 2);
        OutputMetric::Poincare.map_start(&mut by, 2);
        assert!((OutputMetric::Hyperboloid.distance(&x, &y) - OutputMetric::Poincare.distance(&bx, &by)).abs() < 1e-5);
        // Pole to equator: π/2; antipodes on the equator: π.
        let h = OutputMetric::Haversine;
        assert!((h.distance(&[0.0, 0.0], &[std::f32::consts::FRAC_PI_2, 1.0]) - std::f64::consts::FRAC_PI_2).abs() < 1e-6);
        assert!((h.distance(&[std::f32::consts::FRAC_PI_2, 0.0], &[std::f32::consts::FRAC_PI_2, std::f32::consts::PI]) - std::f64::consts::PI).abs() < 1e-6);
    }

    #[test]
    fn a_poincare_step_moves_along_the_geodesic_and_stays_in_the_ball() {
        let m = OutputMetric::Poincare;
        // From the origin, a step of hyperbolic length 1 along the first axis lands at tanh(1/2).
        let mut x = [0f32, 0.0];
        m.step(&mut x, &[1.0, 0.0], 2.0, 4.0, 1.0);
        assert!((x[0] as f64 - 0.5f64.tanh()).abs() < 1e-6 && x[1] == 0.0, "{x:?}");
        assert!((m.distance(&[0.0, 0.0], &x) - 1.0).abs() < 1e-5);
        // A step toward the boundary from near it is held inside.
        let mut x = [0.99f32, 0.0];
        let mut g = [0f64; 2];
        m.distance_grad(&x, &[-0.5, 0.0], &mut g);
        for _ in 0..100 {
            m.step(&mut x, &g, 1e6, 4.0, 1.0);
        }
        assert!(sq_norm(&x).sqrt() <= POINCARE_MAX_NORM + 1e-7 && x.iter().all(|v| v.is_finite()), "{x:?}");
    }

    #[test]
    fn plane_coordinates() {
        let y = [3.0f32, 4.0];
        let p = OutputMetric::Hyperboloid.plane(&y, 2);
        let z = 26f32.sqrt();
        assert!((p[0] - 3.0 / (1.0 + z)).abs() < 1e-6 && (p[1] - 4.0 / (1.0 + z)).abs() < 1e-6);
        // Colatitude π/2 at longitude π/4: the equator, 45° east.
        let p = OutputMetric::Haversine.plane(&[std::f32::consts::FRAC_PI_2, std::f32::consts::FRAC_PI_4], 2);
        assert!((p[0] - std::f32::consts::FRAC_PI_4).abs() < 1e-6 && p[1].abs() < 1e-6, "{p:?}");
        let e = OutputMetric::Haversine.check_components(3).unwrap_err().to_string();
        assert!(e.contains("`output_metric`") && e.contains("n_components = 2"), "{e}");
    }
}
