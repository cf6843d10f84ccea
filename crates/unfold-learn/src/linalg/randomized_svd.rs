//! Randomized truncated SVD (Halko, Martinsson & Tropp 2011, as scikit-learn's
//! `randomized_svd`) of any matrix that can be multiplied by a block of vectors from either side:
//! dense rows centred on their mean (PCA's randomized solver) or sparse rows as they are
//! (truncated SVD, which keeps sparse input sparse).
//!
//! A Gaussian block `Ω` of `k + n_oversamples` columns is multiplied by `A`, then `n_iter` power
//! iterations `Q ← A Aᵀ Q` sharpen the spectrum; the SVD of the small `Qᵀ A` gives the singular
//! values and right vectors. With `normalize` the block is made orthonormal (QR) after every
//! product, which keeps small singular directions from drowning in rounding; without it only the
//! last block is. Products sum in a fixed order, so results do not depend on the thread count.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::{Rows, grouped_blocks, orthonormalize, thin_svd};
use crate::data::SparseData;
use crate::error::Result;
use crate::progress::Progress;
use crate::rng::{SeedSource, normal_f64};

/// A matrix known by its products with blocks of vectors.
pub trait LinearOperator: Sync {
    /// Rows of `A`.
    fn n_rows(&self) -> usize;
    /// Columns of `A`.
    fn n_cols(&self) -> usize;
    /// `A M` for `M` of shape `n_cols × l`.
    fn times(&self, m: MatRef<'_, f64>) -> Mat<f64>;
    /// `Aᵀ M` for `M` of shape `n_rows × l`.
    fn t_times(&self, m: MatRef<'_, f64>) -> Mat<f64>;
}

/// Dense rows minus their mean, times `scale` (see [`super::centred_times`]).
pub struct Centred<'a, R: Rows + ?Sized> {
    /// The rows.
    pub data: &'a R,
    /// The column means subtracted.
    pub mean: &'a [f64],
    /// The factor applied after centring.
    pub scale: f64,
}

impl<R: Rows + ?Sized> LinearOperator for Centred<'_, R> {
    fn n_rows(&self) -> usize {
        self.data.n_rows()
    }
    fn n_cols(&self) -> usize {
        self.data.n_cols()
    }
    fn times(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        super::centred_times(self.data, self.mean, self.scale, m)
    }
    fn t_times(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        super::centred_t_times(self.data, self.mean, self.scale, m)
    }
}

impl LinearOperator for SparseData {
    fn n_rows(&self) -> usize {
        SparseData::n_rows(self)
    }
    fn n_cols(&self) -> usize {
        SparseData::n_cols(self)
    }
    fn times(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        let (n, l) = (SparseData::n_rows(self), m.ncols());
        let mr = row_major(m);
        let mut out = vec![0.0f64; n * l];
        out.par_chunks_mut(l.max(1)).enumerate().for_each(|(i, dst)| {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                let w = &mr[c as usize * l..(c as usize + 1) * l];
                dst.iter_mut().zip(w).for_each(|(o, &w)| *o += v as f64 * w);
            }
        });
        Mat::from_fn(n, l, |i, j| out[i * l + j])
    }
    fn t_times(&self, m: MatRef<'_, f64>) -> Mat<f64> {
        let (d, l) = (SparseData::n_cols(self), m.ncols());
        let mr = row_major(m);
        let partial = grouped_blocks(SparseData::n_rows(self), |rows, acc: &mut Vec<f64>| {
            if acc.is_empty() {
                acc.resize(d * l, 0.0);
            }
            for i in rows {
                let (cols, vals) = self.row(i);
                for (&c, &v) in cols.iter().zip(vals) {
                    let out = &mut acc[c as usize * l..(c as usize + 1) * l];
                    out.iter_mut().zip(&mr[i * l..(i + 1) * l]).for_each(|(o, &w)| *o += v as f64 * w);
                }
            }
        });
        let mut out = Mat::<f64>::zeros(d, l);
        for p in partial.iter().filter(|p| !p.is_empty()) {
            for r in 0..d {
                for j in 0..l {
                    out[(r, j)] += p[r * l + j];
                }
            }
        }
        out
    }
}

/// `m`'s values row by row.
fn row_major(m: MatRef<'_, f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|r| (0..m.ncols()).map(move |c| m[(r, c)])).collect()
}

/// The `k` largest singular values of `op` and their right singular vectors (rows of the
/// `k × n_cols` result), from a sketch of `k + n_oversamples` columns (at most
/// `min(n_rows, n_cols)`) refined by `n_iter` power iterations. The Gaussian block is drawn from
/// `seed`'s stream 0.
///
/// # Errors
/// [`crate::Error::Numerical`] naming `stage` when the small SVD fails;
/// [`crate::Error::Cancelled`] when `progress` asks to stop.
#[allow(clippy::too_many_arguments)]
pub fn randomized_svd(
    op: &dyn LinearOperator,
    k: usize,
    n_oversamples: usize,
    n_iter: usize,
    normalize: bool,
    seed: Option<u64>,
    progress: &dyn Progress,
    stage: &'static str,
) -> Result<(Vec<f64>, Mat<f64>)> {
    let (n, d) = (op.n_rows(), op.n_cols());
    // Saturating: any n_oversamples beyond min(n, d) − k gives the same, full-width sketch.
    let l = k.saturating_add(n_oversamples).min(n.min(d));
    let seeds = SeedSource::new(seed);
    let omega = Mat::from_fn(d, l, |r, c| {
        let u = (r * l + c) as u64;
        normal_f64(seeds.value(0, 2 * u), seeds.value(0, 2 * u + 1))
    });
    let step = |m: Mat<f64>| if normalize { orthonormalize(m.as_ref()) } else { m };
    let mut q = step(op.times(omega.as_ref()));
    for _ in 0..n_iter {
        progress.check()?;
        let z = step(op.t_times(q.as_ref()));
        q = step(op.times(z.as_ref()));
    }
    if !normalize {
        q = orthonormalize(q.as_ref());
    }
    // B = Qᵀ A is l × d; its SVD gives the singular values and right vectors.
    let bt = op.t_times(q.as_ref());
    let (s, vt) = thin_svd(bt.as_ref().transpose(), stage)?;
    Ok((s[..k].to_vec(), vt.as_ref().subrows(0, k).to_owned()))
}
