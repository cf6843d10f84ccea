//! Distances with their gradient in the first row, for optimisations in data space (UMAP's
//! inverse transform).
//!
//! The gradients are those of umap-learn's `*_grad` functions: `∂d/∂x` with umap-learn's
//! `1e-6` in the denominators of the root metrics, so that `x = y` gives a zero gradient and
//! no NaN. Only the Minkowski family has them here: euclidean (`(x−y) / (d + 1e-6)`),
//! standardised euclidean (`(x−y) / (d V + 1e-6)`), Mahalanobis (`VI (x−y) / (d + 1e-6)`),
//! manhattan (`sign(x−y)`), chebyshev (the sign on the first coordinate of largest `|x−y|`),
//! and (weighted) Minkowski (`w |x−y|^(p−1) sign(x−y) / d^(p−1)`).

use super::Metric;

const EPS: f64 = 1e-6;

impl Metric {
    /// Whether [`Metric::distance_gradient`] knows this metric's gradient. `seuclidean`,
    /// `mahalanobis` and `wminkowski` need their `V`, `VI` or `w` (see [`Metric::fitted`]), as
    /// a fitted model holds them.
    pub fn has_gradient(&self) -> bool {
        matches!(
            self,
            Metric::Euclidean
                | Metric::Manhattan
                | Metric::Chebyshev
                | Metric::Minkowski { .. }
                | Metric::SEuclidean { v: Some(_) }
                | Metric::Mahalanobis { vi: Some(_) }
                | Metric::WMinkowski { .. }
        )
    }

    /// The distance from `x` to `y`, with its gradient in `x` written to `grad` (same length);
    /// `None`, leaving `grad` untouched, for a metric without one ([`Metric::has_gradient`]).
    ///
    /// ```
    /// use unfold_learn::Metric;
    /// let mut g = [0.0f32; 2];
    /// assert_eq!(Metric::Euclidean.distance_gradient(&[3.0, 4.0], &[0.0, 0.0], &mut g), Some(5.0));
    /// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
    /// assert_eq!(Metric::Cosine.distance_gradient(&[3.0, 4.0], &[0.0, 1.0], &mut g), None);
    /// ```
    pub fn distance_gradient(&self, x: &[f32], y: &[f32], grad: &mut [f32]) -> Option<f32> {
        debug_assert!(x.len() == y.len() && grad.len() == x.len());
        let diffs = || x.iter().zip(y).map(|(&a, &b)| a as f64 - b as f64);
        let d = match self {
            Metric::Euclidean => {
                let d = diffs().map(|e| e * e).sum::<f64>().sqrt();
                grad.iter_mut().zip(diffs()).for_each(|(g, e)| *g = (e / (EPS + d)) as f32);
                d
            }
            Metric::SEuclidean { v: Some(v) } => {
                let d = diffs().zip(v).map(|(e, v)| e * e / v).sum::<f64>().sqrt();
                grad.iter_mut().zip(diffs()).zip(v).for_each(|((g, e), v)| *g = (e / (EPS + d * v)) as f32);
                d
            }
            Metric::Mahalanobis { vi: Some(vi) } => {
                // grad holds VI (x − y) first, then is divided by the distance.
                let n = x.len();
                let mut q = 0.0f64;
                for ((g, row), e) in grad.iter_mut().zip(vi.chunks_exact(n)).zip(diffs()) {
                    let t: f64 = row.iter().zip(diffs()).map(|(v, f)| v * f).sum();
                    q += t * e;
                    *g = t as f32;
                }
                let d = q.max(0.0).sqrt();
                grad.iter_mut().for_each(|g| *g = (*g as f64 / (EPS + d)) as f32);
                d
            }
            Metric::Manhattan => {
                grad.iter_mut().zip(diffs()).for_each(|(g, e)| *g = sign(e) as f32);
                diffs().map(f64::abs).sum()
            }
            Metric::Chebyshev => {
                let (mut best, mut at) = (0.0f64, 0usize);
                for (i, e) in diffs().enumerate() {
                    if e.abs() > best {
                        (best, at) = (e.abs(), i);
                    }
                }
                grad.fill(0.0);
                if let Some(g) = grad.get_mut(at) {
                    *g = sign(x[at] as f64 - y[at] as f64) as f32;
                }
                best
            }
            Metric::Minkowski { p } => minkowski_gradient(x, y, None, *p, grad),
            Metric::WMinkowski { w, p } => minkowski_gradient(x, y, w.as_deref(), *p, grad),
            _ => return None,
        };
        Some(d as f32)
    }
}

/// umap-learn's `minkowski_grad` and `weighted_minkowski_grad` (weights `w`, default 1).
fn minkowski_gradient(x: &[f32], y: &[f32], w: Option<&[f64]>, p: f64, grad: &mut [f32]) -> f64 {
    let weight = |i: usize| w.map_or(1.0, |w| w[i]);
    let s: f64 = x.iter().zip(y).enumerate().map(|(i, (&a, &b))| weight(i) * (a as f64 - b as f64).abs().powf(p)).sum();
    if s == 0.0 {
        grad.fill(0.0);
        return 0.0;
    }
    let inv = s.powf((1.0 - p) / p);
    for (i, (g, (&a, &b))) in grad.iter_mut().zip(x.iter().zip(y)).enumerate() {
        let e = a as f64 - b as f64;
        *g = (weight(i) * e.abs().powf(p - 1.0) * sign(e) * inv) as f32;
    }
    s.powf(1.0 / p)
}

/// `numpy.sign`: 0 at 0.
fn sign(e: f64) -> f64 {
    if e > 0.0 {
        1.0
    } else if e < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every gradient against central differences of [`Metric::distance`], at a point where the
    /// metric is differentiable.
    #[test]
    fn gradients_match_finite_differences() {
        let x = [0.7f32, -1.3, 2.1, 0.4];
        let y = [0.2f32, 0.5, 1.0, -0.9];
        let metrics = [
            Metric::Euclidean,
            Metric::Manhattan,
            Metric::Chebyshev,
            Metric::Minkowski { p: 3.0 },
            Metric::WMinkowski { w: Some(vec![1.0, 2.0, 0.5, 3.0]), p: 1.5 },
            Metric::SEuclidean { v: Some(vec![0.5, 2.0, 1.5, 4.0]) },
            Metric::Mahalanobis { vi: Some(vec![2.0, 0.3, 0.0, 0.1, 0.3, 1.0, 0.2, 0.0, 0.0, 0.2, 1.5, 0.4, 0.1, 0.0, 0.4, 0.8]) },
        ];
        for m in &metrics {
            assert!(m.has_gradient(), "{m}");
            let mut g = [0f32; 4];
            let d = m.distance_gradient(&x, &y, &mut g).unwrap();
            assert!((d - m.distance(&x, &y)).abs() < 1e-5, "{m}: {d} vs {}", m.distance(&x, &y));
            for i in 0..4 {
                let h = 1e-3f32;
                let (mut xp, mut xm) = (x, x);
                xp[i] += h;
                xm[i] -= h;
                let fd = (m.distance(&xp, &y) - m.distance(&xm, &y)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 2e-3, "{m}, coordinate {i}: gradient {} vs finite difference {fd}", g[i]);
            }
        }
    }

    #[test]
    fn equal_rows_give_a_zero_gradient_and_other_metrics_none() {
        let mut g = [9f32; 3];
        for m in [Metric::Euclidean, Metric::Minkowski { p: 2.5 }, Metric::Manhattan] {
            assert_eq!(m.distance_gradient(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], &mut g), Some(0.0));
            assert_eq!(g, [0.0; 3], "{m}");
        }
        for m in [Metric::Cosine, Metric::SqEuclidean, Metric::Hamming, Metric::Precomputed, Metric::SEuclidean { v: None }] {
            assert!(!m.has_gradient());
            assert_eq!(m.distance_gradient(&[1.0, 0.0, 3.0], &[1.0, 2.0, 3.0], &mut g), None, "{m}");
        }
    }
}
