//! The von Neumann entropy of a diffusion operator's powers and the knee of a curve: how PHATE
//! picks its diffusion time (Moon et al. 2019, "Visualizing structure and transitions…",
//! Methods; phate's `vne.py`).
//!
//! * [`von_neumann_entropy`]: for the singular values `σ` of the operator and `k = 0 … t_max − 1`,
//!   `p = σ^(k+1) / Σ σ^(k+1) + ε` (`ε` = `f64::EPSILON`, as phate adds it) and
//!   `H_k = −Σ p ln p`.
//! * [`knee_point`]: the breakpoint `b` (`1 ≤ b ≤ N − 2`) where a least-squares line through the
//!   points `0..=b` and one through `b..N` (the latter's fit also taking point `b − 1`, as phate
//!   fits it) leave the least total absolute residual.
//!
//! PHATE's `t = "auto"` is `x[knee]` with `x = 0, 1, …`: the 0-based index, one less than the
//! power whose entropy sits there — phate's own choice, kept.

/// `H_k` for `k = 0 … t_max − 1` (see the [module docs](self)) from the singular values `sigma`.
///
/// ```
/// use unfold_learn::linalg::vne::von_neumann_entropy;
/// // Two equal singular values: p = ½ at every power, H = ln 2.
/// let h = von_neumann_entropy(&[0.5, 0.5], 3);
/// assert!(h.iter().all(|v| (v - 2f64.ln()).abs() < 1e-12));
/// ```
pub fn von_neumann_entropy(sigma: &[f64], t_max: usize) -> Vec<f64> {
    let mut powered = sigma.to_vec();
    let mut out = Vec::with_capacity(t_max);
    for _ in 0..t_max {
        let total: f64 = powered.iter().sum();
        out.push(-powered.iter().map(|&s| s / total + f64::EPSILON).map(|p| p * p.ln()).sum::<f64>());
        powered.iter_mut().zip(sigma).for_each(|(p, &s)| *p *= s);
    }
    out
}

/// The index of the knee of `y` over `x = 0, 1, …, N − 1` (see the [module docs](self)); `None`
/// for fewer than 3 points.
///
/// ```
/// use unfold_learn::linalg::vne::knee_point;
/// // phate's doctest: y = exp(−x/10) over 20 points has its knee at 8.
/// let y: Vec<f64> = (0..20).map(|x| (-(x as f64) / 10.0).exp()).collect();
/// assert_eq!(knee_point(&y), Some(8));
/// ```
pub fn knee_point(y: &[f64]) -> Option<usize> {
    let n = y.len();
    if n < 3 {
        return None;
    }
    // Lines through the first m + 2 points (forward) and the last m + 2 points (backward),
    // m = 0 … n − 2, from running sums as phate computes them.
    let fit = |xs: &mut dyn Iterator<Item = (f64, f64)>| -> Vec<(f64, f64)> {
        let (mut sx, mut sy, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0);
        let mut lines = Vec::with_capacity(n);
        for (count, (x, y)) in xs.enumerate() {
            sx += x;
            sy += y;
            sxy += x * y;
            sxx += x * x;
            if count >= 1 {
                let m = (count + 1) as f64;
                let det = m * sxx - sx * sx;
                lines.push(((m * sxy - sx * sy) / det, -(sx * sxy - sxx * sy) / det));
            }
        }
        lines
    };
    let forward = fit(&mut (0..n).map(|i| (i as f64, y[i])));
    let mut backward = fit(&mut (0..n).rev().map(|i| (i as f64, y[i])));
    backward.reverse();
    let mut best: Option<(f64, usize)> = None;
    for b in 1..n - 1 {
        let (mf, bf) = forward[b - 1];
        let (mb, bb) = backward[b - 1];
        let err: f64 = (0..=b).map(|i| (mf * i as f64 + bf - y[i]).abs()).sum::<f64>() + (b..n).map(|i| (mb * i as f64 + bb - y[i]).abs()).sum::<f64>();
        if best.is_none_or(|(e, _)| err < e) {
            best = Some((err, b));
        }
    }
    best.map(|(_, b)| b)
}

/// The knee of an increasing concave curve `y(x)` by Kneedle (Satopää et al., "Finding a
/// 'Kneedle' in a haystack", ICDCSW 2011), as the `kneed` package's `KneeLocator(x, y, S=s,
/// curve="concave", direction="increasing")` finds its first knee (the heat-geodesic embedding's
/// automatic `tau`): `x` and `y` scaled to `[0, 1]`, the difference curve `d = y − x`, its local
/// maxima and minima (ends included, plateaus counted); from each maximum `i` the threshold is
/// `d_i − s · mean Δx`, a minimum resets it to 0 and pauses the search, and the knee is the
/// maximum before the first point that falls below its threshold. Returns its index, `None` when
/// there is no knee.
///
/// ```
/// use unfold_learn::linalg::vne::kneedle;
/// // y = 1 − (1 − x)⁴ on x = 0, 0.1, …, 1: kneed puts the knee at x = 0.4.
/// let x: Vec<f64> = (0..=10).map(|i| i as f64 / 10.0).collect();
/// let y: Vec<f64> = x.iter().map(|&v| 1.0 - (1.0 - v).powi(4)).collect();
/// assert_eq!(kneedle(&x, &y, 1.0), Some(4));
/// ```
pub fn kneedle(x: &[f64], y: &[f64], s: f64) -> Option<usize> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let scaled = |a: &[f64]| -> Vec<f64> {
        let (lo, hi) = a.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        a.iter().map(|&v| (v - lo) / (hi - lo)).collect()
    };
    let (xn, yn) = (scaled(&x[..n]), scaled(&y[..n]));
    let d: Vec<f64> = yn.iter().zip(&xn).map(|(y, x)| y - x).collect();
    // scipy's argrelextrema with order 1 and mode "clip": each end compared with itself.
    let side = |i: usize| (d[i.saturating_sub(1)], d[(i + 1).min(n - 1)]);
    let is_max = |i: usize| {
        let (a, b) = side(i);
        d[i] >= a && d[i] >= b
    };
    let is_min = |i: usize| {
        let (a, b) = side(i);
        d[i] <= a && d[i] <= b
    };
    let first = (0..n).find(|&i| is_max(i))?;
    let mean_step = ((xn[n - 1] - xn[0]) / (n - 1) as f64).abs();
    let (mut threshold, mut at, mut active) = (0.0, first, true);
    for i in first..n - 1 {
        if is_max(i) {
            threshold = d[i] - s * mean_step;
            at = i;
            active = true;
        }
        if is_min(i) {
            threshold = 0.0;
            active = false;
        }
        if active && d[i + 1] < threshold {
            return Some(at);
        }
    }
    None
}
