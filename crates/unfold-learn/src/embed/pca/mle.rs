//! Minka's automatic choice of dimensionality for PCA (T. P. Minka, "Automatic choice of
//! dimensionality for PCA", NIPS 2000), exactly as scikit-learn's `_assess_dimension` and
//! `_infer_dimension`: the rank `k` in `[1, d − 1]` that maximises the Laplace-approximated
//! evidence of a rank-`k` probabilistic PCA model given the spectrum of the sample covariance.

use rayon::prelude::*;

/// Eigenvalues below this are not considered as the last kept one (scikit-learn's `eps`).
const EPS: f64 = 1e-15;

/// The rank that maximises [`assess_dimension`] over `1 ≤ rank < d` for `spectrum` (the
/// explained variances, descending, length `d`) from `n` samples; 0 when no rank has a finite
/// likelihood (as scikit-learn's `argmax` over `[-inf, …]`).
pub(super) fn infer_dimension(spectrum: &[f64], n: usize) -> usize {
    let d = spectrum.len();
    let ln_gamma_half = ln_gamma_halves(d);
    let ll: Vec<f64> = (1..d).into_par_iter().map(|rank| assess_dimension(spectrum, rank, n, &ln_gamma_half)).collect();
    // numpy's argmax: the first maximum, and a NaN counts as the maximum.
    let mut best = 0;
    let mut best_ll = f64::NEG_INFINITY;
    for (i, &v) in ll.iter().enumerate() {
        if v.is_nan() {
            return i + 1;
        }
        if v > best_ll {
            best = i + 1;
            best_ll = v;
        }
    }
    best
}

/// `ln Γ(j / 2)` for `j = 0..=d` (entry 0 unused), by `Γ(x + 1) = x Γ(x)` from `Γ(1/2) = √π`
/// and `Γ(1) = 1`: the only arguments Minka's prior needs.
fn ln_gamma_halves(d: usize) -> Vec<f64> {
    let mut t = vec![0.0f64; d + 3];
    t[1] = 0.5 * std::f64::consts::PI.ln();
    t[2] = 0.0;
    for j in 3..t.len() {
        t[j] = t[j - 2] + ((j - 2) as f64 / 2.0).ln();
    }
    t
}

/// The log-likelihood of a rank-`rank` model (scikit-learn's `_assess_dimension`).
fn assess_dimension(spectrum: &[f64], rank: usize, n: usize, ln_gamma_half: &[f64]) -> f64 {
    let d = spectrum.len();
    let (nf, df, rf) = (n as f64, d as f64, rank as f64);
    if spectrum[rank - 1] < EPS {
        return f64::NEG_INFINITY;
    }
    let pi = std::f64::consts::PI;
    let mut pu = -rf * 2f64.ln();
    for i in 1..=rank {
        pu += ln_gamma_half[d - i + 1] - pi.ln() * (d - i + 1) as f64 / 2.0;
    }
    let pl = -spectrum[..rank].iter().map(|s| s.ln()).sum::<f64>() * nf / 2.0;
    let v = (spectrum[rank..].iter().sum::<f64>() / (d - rank) as f64).max(EPS);
    let pv = -v.ln() * nf * (df - rf) / 2.0;
    let m = df * rf - rf * (rf + 1.0) / 2.0;
    let pp = (2.0 * pi).ln() * (m + rf) / 2.0;
    let kept = |j: usize| if j < rank { spectrum[j] } else { v };
    let mut pa = 0.0;
    for i in 0..rank {
        for j in i + 1..d {
            pa += ((spectrum[i] - spectrum[j]) * (1.0 / kept(j) - 1.0 / kept(i))).ln() + nf.ln();
        }
    }
    pu + pl + pv + pp - pa / 2.0 - rf * nf.ln() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_of_halves_is_exact_enough() {
        let t = ln_gamma_halves(12);
        // Γ(5/2) = 3√π/4, Γ(6/2) = 2, Γ(12/2) = 120.
        assert!((t[5] - (0.75 * std::f64::consts::PI.sqrt()).ln()).abs() < 1e-14);
        assert!((t[6] - 2f64.ln()).abs() < 1e-14);
        assert!((t[12] - 120f64.ln()).abs() < 1e-13);
    }
}
