//! The probabilistic PCA model of a fitted PCA (Tipping & Bishop, 1999; Bishop, "Pattern
//! Recognition and Machine Learning", §12.2.1), as scikit-learn's `get_covariance`,
//! `get_precision`, `score_samples` and `score`.
//!
//! The model covariance is `C = Σᵢ cᵢ vᵢ vᵢᵀ + σ² I` with `vᵢ` the components, σ² the noise
//! variance and `cᵢ = max(λᵢ − σ², 0)` for the explained variances `λᵢ` (times `λᵢ` when
//! whitening, as scikit-learn scales the components by `√λᵢ` then). The components are
//! orthonormal, so `C` has eigenvalues `cᵢ + σ²` along them and σ² across: its inverse and
//! log-determinant are closed forms, and a row's log-likelihood costs `O(d k)`, not `O(d²)`.

use rayon::prelude::*;

use super::PcaModel;
use crate::error::{Error, Result};
use crate::linalg::Rows;

impl PcaModel {
    /// `cᵢ` of the module docs, one per component.
    fn covariance_weights(&self) -> Vec<f64> {
        let s2 = self.noise_variance;
        self.explained_variance.iter().map(|&l| (l - s2).max(0.0) * if self.whiten { l } else { 1.0 }).collect()
    }

    /// The model covariance's eigenvalues along the components, after checking that it is
    /// invertible.
    fn covariance_eigenvalues(&self) -> Result<Vec<f64>> {
        let (k, d) = (self.n_components(), self.n_features);
        let s2 = self.noise_variance;
        let values: Vec<f64> = self.covariance_weights().iter().map(|c| c + s2).collect();
        if (s2 <= 0.0 && k < d) || values.iter().any(|&v| v <= 0.0) {
            return Err(Error::InvalidData(format!(
                "the PCA model's covariance is singular (noise_variance_ = {s2}, n_components = {k}, n_features = {d}, \
                 smallest explained variance {:e}), so its precision and the log-likelihood are undefined; \
                 fit with fewer components than min(n_samples, n_features)",
                self.explained_variance.last().copied().unwrap_or(0.0)
            )));
        }
        Ok(values)
    }

    /// `Σᵢ wᵢ vᵢ vᵢᵀ + diag · I`, `d × d` row-major.
    fn low_rank_plus_diagonal(&self, weights: &[f64], diag: f64) -> Vec<f64> {
        let d = self.n_features;
        let mut out = vec![0.0f64; d * d];
        out.par_chunks_mut(d).enumerate().for_each(|(r, row)| {
            for (c, &w) in weights.iter().enumerate() {
                let v = &self.components[c * d..(c + 1) * d];
                let a = w * v[r];
                for (o, &vc) in row.iter_mut().zip(v) {
                    *o += a * vc;
                }
            }
            row[r] += diag;
        });
        out
    }

    /// The data covariance of the generative model, `d × d` row-major (scikit-learn's
    /// `get_covariance`).
    pub fn covariance(&self) -> Vec<f64> {
        self.low_rank_plus_diagonal(&self.covariance_weights(), self.noise_variance)
    }

    /// The inverse of [`PcaModel::covariance`], `d × d` row-major (scikit-learn's
    /// `get_precision`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the covariance is singular: no noise variance (`k = min(n, d)`)
    /// with `k < d`, or a zero variance.
    pub fn precision(&self) -> Result<Vec<f64>> {
        let values = self.covariance_eigenvalues()?;
        let s2 = self.noise_variance;
        let inv_s2 = if s2 > 0.0 { 1.0 / s2 } else { 0.0 };
        let weights: Vec<f64> = values.iter().map(|v| 1.0 / v - inv_s2).collect();
        Ok(self.low_rank_plus_diagonal(&weights, inv_s2))
    }

    /// The log-likelihood of each row of `data` under the model (scikit-learn's
    /// `score_samples`): `−½ (x − μ)ᵀ C⁻¹ (x − μ) − ½ (d ln 2π + ln det C)`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a different number of columns than the training data, a
    /// singular covariance (see [`PcaModel::precision`]), or a likelihood that overflows.
    pub fn score_samples<R: Rows + ?Sized>(&self, data: &R) -> Result<Vec<f64>> {
        self.check_columns(data.n_cols())?;
        let values = self.covariance_eigenvalues()?;
        let (k, d) = (self.n_components(), self.n_features);
        let s2 = self.noise_variance;
        let log_det = values.iter().map(|v| v.ln()).sum::<f64>() + if k < d { (d - k) as f64 * s2.ln() } else { 0.0 };
        let constant = -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det);
        // Everything divided by the standard deviations before squaring: no overflow for data
        // of any magnitude whose likelihood is itself a float.
        let sd: Vec<f64> = values.iter().map(|v| v.sqrt()).collect();
        let noise_sd = s2.sqrt();
        let scores: Vec<f64> = (0..data.n_rows())
            .into_par_iter()
            .with_min_len(64)
            .map_init(Vec::new, |r: &mut Vec<f64>, i| {
                r.clear();
                r.extend(data.row(i).iter().zip(&self.mean).map(|(&x, &m)| x.into() - m));
                let mut along = 0.0;
                let mut across = if s2 > 0.0 { r.iter().map(|v| (v / noise_sd).powi(2)).sum::<f64>() } else { 0.0 };
                for (c, &s) in sd.iter().enumerate() {
                    let p: f64 = r.iter().zip(&self.components[c * d..(c + 1) * d]).map(|(a, b)| a * b).sum();
                    along += (p / s).powi(2);
                    if s2 > 0.0 {
                        across -= (p / noise_sd).powi(2);
                    }
                }
                -0.5 * (along + across.max(0.0)) + constant
            })
            .collect();
        if let Some(i) = scores.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("the log-likelihood of row {i} is {}: the row is too far from the model for float64", scores[i])));
        }
        Ok(scores)
    }

    /// The mean of [`PcaModel::score_samples`] (scikit-learn's `score`).
    ///
    /// # Errors
    /// As [`PcaModel::score_samples`].
    pub fn score<R: Rows + ?Sized>(&self, data: &R) -> Result<f64> {
        let s = self.score_samples(data)?;
        Ok(s.iter().sum::<f64>() / s.len() as f64)
    }
}
