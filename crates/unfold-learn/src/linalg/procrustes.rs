//! Orthogonal Procrustes analysis (Gower 1975), as scipy's `spatial.procrustes`: both
//! configurations are centred and scaled to unit Frobenius norm, and the second is rotated (or
//! reflected) and scaled to best match the first. PHATE orients its metric MDS result this way
//! against the classical MDS start; tests compare embeddings up to rotation with its disparity.

use faer::Mat;

use crate::error::Result;

/// A Procrustes fit of `y` onto a reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Procrustes {
    /// `y` standardised (centred, unit Frobenius norm), rotated and scaled onto the standardised
    /// reference: `n × k` row-major (scipy's second output).
    pub aligned: Vec<f64>,
    /// `Σ (reference − aligned)²` over the standardised configurations, in `[0, 1]`.
    pub disparity: f64,
}

fn standardised(m: &[f64], n: usize, k: usize) -> Vec<f64> {
    let mut out = m.to_vec();
    for c in 0..k {
        let mean = (0..n).map(|i| m[i * k + c]).sum::<f64>() / n as f64;
        (0..n).for_each(|i| out[i * k + c] -= mean);
    }
    let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|v| *v /= norm);
    }
    out
}

/// Aligns `y` onto `reference` (both `n × k` row-major), as `scipy.spatial.procrustes(reference, y)`.
///
/// # Errors
/// [`crate::Error::Numerical`] if the `k × k` SVD fails.
///
/// ```
/// use unfold_learn::linalg::procrustes::procrustes;
/// let a = [0.0, 0.0, 1.0, 0.0, 0.0, 2.0];
/// // The same triangle rotated by 90°, scaled and moved.
/// let b = [5.0, 5.0, 5.0, 8.0, -1.0, 5.0];
/// let fit = procrustes(&a, &b, 3, 2)?;
/// assert!(fit.disparity < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn procrustes(reference: &[f64], y: &[f64], n: usize, k: usize) -> Result<Procrustes> {
    let a = standardised(reference, n, k);
    let b = standardised(y, n, k);
    // scipy: u, w, vt = svd(bᵀ a)ᵀ … R = u vt of svd(aᵀ b)ᵀ; the aligned b is b Rᵀ s, s = Σ w.
    let m = Mat::<f64>::from_fn(k, k, |r, c| (0..n).map(|i| b[i * k + r] * a[i * k + c]).sum());
    let svd = m.as_ref().thin_svd().map_err(|e| crate::Error::Numerical { stage: "Procrustes alignment", message: format!("SVD did not converge ({e:?})") })?;
    let (u, v) = (svd.U(), svd.V());
    let scale: f64 = (0..k).map(|i| svd.S().column_vector()[i]).sum();
    // bᵀa = U S Vᵀ; the rotation taking b onto a is Q = U Vᵀ (b Q ≈ a).
    let q = Mat::<f64>::from_fn(k, k, |r, c| (0..k).map(|l| u[(r, l)] * v[(c, l)]).sum());
    let mut aligned = vec![0f64; n * k];
    for i in 0..n {
        for c in 0..k {
            aligned[i * k + c] = scale * (0..k).map(|r| b[i * k + r] * q[(r, c)]).sum::<f64>();
        }
    }
    let disparity = a.iter().zip(&aligned).map(|(x, y)| (x - y) * (x - y)).sum();
    Ok(Procrustes { aligned, disparity })
}
