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
