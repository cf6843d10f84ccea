//! The low-dimensional similarity curve of UMAP: `1 / (1 + a x^(2b))`.
//!
//! UMAP wants embedded points closer than `min_dist` to count as fully similar and farther ones
//! to decay as `exp(−(x − min_dist)/spread)`. That target is not differentiable at `min_dist`,
//! so umap-learn (`find_ab_params`) fits the smooth family `1 / (1 + a x^(2b))` to it by least
//! squares on `x = linspace(0, 3·spread, 300)`, with scipy's `curve_fit` (Levenberg–Marquardt
//! from `(a, b) = (1, 1)`). [`find_ab_params`] solves the same problem with a small
//! Levenberg–Marquardt using the analytic Jacobian. The results agree with umap-learn to a few
//! 1e-6 relative (scipy differentiates numerically and stops at a looser tolerance). The
//! defaults `spread = 1`, `min_dist = 0.1` give `a ≈ 1.577`, `b ≈ 0.895`.

use crate::error::{Error, Result};

/// Number of sample points of the fit, as in umap-learn.
const N_SAMPLES: usize = 300;
/// Iteration cap of the Levenberg–Marquardt loop; the fit converges in a few dozen.
const MAX_ITER: usize = 1000;

/// Fits `a`, `b` of the curve `1 / (1 + a x^(2b))` to UMAP's target for `spread` and
/// `min_dist`, as umap-learn's `find_ab_params` does.
///
/// The target is 1 for `x < min_dist` and `exp(−(x − min_dist)/spread)` otherwise, sampled at
/// 300 evenly spaced points of `[0, 3·spread]`; `(a, b)` minimises the sum of squared residuals,
/// found by Levenberg–Marquardt from `(1, 1)`.
///
/// ```
/// use unfold_learn::embed::umap::curve::find_ab_params;
/// let (a, b) = find_ab_params(1.0, 0.1)?;
/// assert!((a - 1.577).abs() < 1e-3 && (b - 0.895).abs() < 1e-3);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] unless `spread` is finite and positive and `min_dist` is finite
/// with `0 ≤ min_dist ≤ spread`; [`Error::Numerical`] if the fit does not converge.
pub fn find_ab_params(spread: f64, min_dist: f64) -> Result<(f64, f64)> {
    if !(spread.is_finite() && spread > 0.0) {
        return Err(Error::param("spread", spread, "must be a finite number greater than 0"));
    }
    if !(min_dist.is_finite() && min_dist >= 0.0) {
        return Err(Error::param("min_dist", min_dist, "must be a finite number of at least 0"));
    }
    if min_dist > spread {
        return Err(Error::param("min_dist", min_dist, format!("must be less than or equal to spread ({spread})")));
    }
    // numpy.linspace: x_i = i · step, the last point set to the end exactly.
    let stop = 3.0 * spread;
    let step = stop / (N_SAMPLES - 1) as f64;
    let xs: Vec<f64> = (0..N_SAMPLES).map(|i| if i == N_SAMPLES - 1 { stop } else { i as f64 * step }).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| if x < min_dist { 1.0 } else { (-(x - min_dist) / spread).exp() }).collect();
    levenberg_marquardt(&xs, &ys).ok_or_else(|| Error::Numerical {
        stage: "UMAP curve fit (find_ab_params)",
        message: format!("Levenberg–Marquardt did not converge for spread = {spread}, min_dist = {min_dist}"),
    })
}

/// Sum of squared residuals of `(a, b)`; `None` when the curve is not finite on the samples.
fn cost(xs: &[f64], ys: &[f64], a: f64, b: f64) -> Option<f64> {
    let c: f64 = xs.iter().zip(ys).map(|(&x, &y)| (curve(x, a, b).0 - y).powi(2)).sum();
    c.is_finite().then_some(c)
}

/// The curve at `x` and its partial derivatives with respect to `a` and `b`.
///
/// `x^(2b)` is 0 at `x = 0` (for `b > 0`, the only region the fit visits), and so is its
/// derivative `2 ln(x) x^(2b)` in the limit, which is used there instead of `0 · ln 0`.
#[inline]
fn curve(x: f64, a: f64, b: f64) -> (f64, f64, f64) {
    if x <= 0.0 {
        return (1.0, 0.0, 0.0);
    }
    let p = x.powf(2.0 * b);
    let f = 1.0 / (1.0 + a * p);
    let f2 = f * f;
    (f, -p * f2, -a * p * 2.0 * x.ln() * f2)
}

/// Minimises `Σ (curve(x_i; a, b) − y_i)²` from `(1, 1)` with Marquardt's diagonal scaling.
fn levenberg_marquardt(xs: &[f64], ys: &[f64]) -> Option<(f64, f64)> {
    let (mut a, mut b) = (1.0f64, 1.0f64);
    let mut c = cost(xs, ys, a, b)?;
    let mut lambda = 1e-3;
    for _ in 0..MAX_ITER {
        // Normal equations JᵀJ δ = −Jᵀr.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(ys) {
            let (f, da, db) = curve(x, a, b);
            let r = f - y;
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        if ga.abs().max(gb.abs()) <= 1e-300 {
            return Some((a, b));
        }
        let mut improved = false;
        while lambda < 1e16 {
            let (m11, m22) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = m11 * m22 - jab * jab;
            if det > 0.0 && det.is_finite() {
                let da = -(m22 * ga - jab * gb) / det;
                let db = -(m11 * gb - jab * ga) / det;
                let (na, nb) = (a + da, b + db);
                if let Some(nc) = cost(xs, ys, na, nb).filter(|&nc| nc <= c) {
                    let small_step = da.abs() <= 1e-14 * (a.abs() + 1e-14) && db.abs() <= 1e-14 * (b.abs() + 1e-14);
                    let small_gain = c - nc <= 1e-16 * c;
                    a = na;
                    b = nb;
                    c = nc;
                    lambda = (lambda / 3.0).max(1e-15);
                    if small_step || small_gain {
                        return Some((a, b));
                    }
                    improved = true;
                    break;
                }
            }
            lambda *= 4.0;
        }
        if !improved {
            // No step lowers the cost at any damping: a minimum to working precision.
            return Some((a, b));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_umap_learn() {
        let (a, b) = find_ab_params(1.0, 0.1).unwrap();
        assert!((a / 1.57694346 - 1.0).abs() < 1e-6, "a = {a}");
        assert!((b / 0.89506088 - 1.0).abs() < 1e-6, "b = {b}");
    }

    #[test]
    fn curve_is_one_at_zero() {
        assert_eq!(curve(0.0, 1.5, 0.9), (1.0, 0.0, 0.0));
    }
}
