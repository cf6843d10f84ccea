//! The heat kernel `e^{−τL}` of a graph Laplacian by a Chebyshev expansion (Marcotte et al.,
//! "Fast multiscale diffusion on graphs", ICASSP 2022; the heat-geodesic embedding's default
//! `filter_method="mar"`).
//!
//! With `φ = λ_max(L)/2` the spectrum of `L̃ = L/φ − I` lies in `[−1, 1]`, and
//!
//! ```text
//! e^{−τL} = e^{−τφ} e^{−τφ L̃} ≈ ½ c_0 T_0(L̃) + Σ_{j=1..K} c_j T_j(L̃),   c_j = 2 e^{−τφ} I_j(−τφ)
//! ```
//!
//! (`I_j` the modified Bessel function of the first kind, [`scaled_bessel_i`]), with the
//! Chebyshev recursion `T_0 = I`, `T_1 = L̃`, `T_{j+1} = 2 L̃ T_j − T_{j−1}` applied to a block of
//! vectors. [`HeatKernel::apply`] runs one recursion for several times `τ` at once; the kernel
//! matrix is never formed beyond the block it is applied to, so [`HeatKernel::map_columns`] gives
//! `e^{−τL}` a block of indicator columns at a time.

use rayon::prelude::*;

use crate::error::Result;
use crate::linalg::eigsh::{EigshOptions, Start, SymmetricOperator, Which, eigsh};

/// Columns of the identity the kernel is applied to at once ([`HeatKernel::map_columns`]): the widest
/// block [`GraphOperator::apply`] unrolls.
pub const BLOCK: usize = 16;

/// `e^{−x} I_j(x)` for `j = 0 … k` and `x ≥ 0` (SciPy's `ive(j, x)`), by Miller's backward
/// recurrence `I_{j−1} = (2j/x) I_j + I_{j+1}` from far above `k` and `x`, normalised by
/// `I_0 + 2 Σ_{j≥1} I_j = e^x`.
///
/// ```
/// use unfold_learn::graph::heat_kernel::scaled_bessel_i;
/// let v = scaled_bessel_i(1.0, 2);
/// // SciPy: ive(0, 1) = 0.46575961, ive(1, 1) = 0.20791042, ive(2, 1) = 0.04993878.
/// assert!((v[0] - 0.4657596075936404).abs() < 1e-14);
/// assert!((v[1] - 0.20791041534970842).abs() < 1e-14);
/// assert!((v[2] - 0.04993877689422356).abs() < 1e-14);
/// ```
pub fn scaled_bessel_i(x: f64, k: usize) -> Vec<f64> {
    let mut out = vec![0f64; k + 1];
    if x <= 0.0 {
        out[0] = 1.0;
        return out;
    }
    // Far enough above both the order and x that the start's error has died out (the terms of
    // the normalising sum beyond x + 10 √x are below 1e-20 of the total).
    let top = (k as f64).max(x) + 10.0 * x.sqrt() + 40.0;
    let top = top.ceil() as usize;
    let (mut above, mut here) = (0f64, 1e-300f64);
    let mut sum = 0f64;
    for j in (1..=top).rev() {
        // here = I_j (unscaled, up to a common factor); below = I_{j−1}.
        let below = 2.0 * j as f64 / x * here + above;
        if j <= k {
            out[j] = here;
        }
        sum += 2.0 * here;
        above = here;
        here = below;
        if here > 1e250 {
            let s = 1e-250;
            above *= s;
            here *= s;
            sum *= s;
            out.iter_mut().for_each(|v| *v *= s);
        }
    }
    out[0] = here;
    sum += here;
    out.iter_mut().for_each(|v| *v /= sum);
    out
}

/// The Chebyshev coefficients `c_j = 2 e^{−τφ} I_j(−τφ) = 2 (−1)^j ive(j, τφ)`, `j = 0 … order`.
pub fn chebyshev_coefficients(phi: f64, tau: f64, order: usize) -> Vec<f64> {
    scaled_bessel_i(tau * phi, order).into_iter().enumerate().map(|(j, v)| if j % 2 == 0 { 2.0 * v } else { -2.0 * v }).collect()
}

/// The heat kernel of a Laplacian (a [`GraphOperator`](super::GraphOperator), or any symmetric
/// operator) at times `taus` (see the [module docs](self)).
#[derive(Clone)]
pub struct HeatKernel<'a> {
    laplacian: &'a dyn SymmetricOperator,
    phi: f64,
    coefficients: Vec<Vec<f64>>,
}

impl<'a> HeatKernel<'a> {
    /// The expansion of order `order` of `e^{−τL}` for each `τ` of `taus`, with `φ` half the
    /// largest eigenvalue of `laplacian` (`seed` seeds the iterative eigensolver of large graphs).
    ///
    /// # Errors
    /// The eigensolver's.
    pub fn new(laplacian: &'a dyn SymmetricOperator, taus: &[f64], order: usize, seed: Option<u64>) -> Result<HeatKernel<'a>> {
        let top = eigsh(laplacian, 1, Which::Largest, None, Start::Seed(seed), &EigshOptions::default(), "largest eigenvalue of the Laplacian")?;
        Ok(HeatKernel::with_phi(laplacian, top.values[0] / 2.0, taus, order))
    }

    /// As [`HeatKernel::new`] with `φ` given.
    pub fn with_phi(laplacian: &'a dyn SymmetricOperator, phi: f64, taus: &[f64], order: usize) -> HeatKernel<'a> {
        let coefficients = taus.iter().map(|&t| chebyshev_coefficients(phi, t, order)).collect();
        HeatKernel { laplacian, phi, coefficients }
    }

    /// `φ = λ_max / 2`.
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// Number of times `τ`.
    pub fn n_times(&self) -> usize {
        self.coefficients.len()
    }

    /// `out[t] = e^{−τ_t L} x` for the row-major `n × b` block `x` (each `out[t]` `n × b`).
    ///
    /// # Panics
    /// If the blocks do not hold `n · b` values or `out` does not hold one per time.
    pub fn apply(&self, x: &[f64], b: usize, out: &mut [Vec<f64>]) {
        assert_eq!(out.len(), self.coefficients.len(), "one output block per time");
        let len = x.len();
        let order = self.coefficients.first().map_or(0, |c| c.len() - 1);
        for (o, c) in out.iter_mut().zip(&self.coefficients) {
            o.clear();
            o.extend(x.iter().map(|v| 0.5 * c[0] * v));
        }
        if order == 0 {
            return;
        }
        let mut t0 = x.to_vec();
        let mut t1 = vec![0f64; len];
        let mut lx = vec![0f64; len];
        // T_1 = L x / φ − x.
        self.laplacian.apply(&t0, &mut lx, b);
        t1.par_iter_mut().zip(lx.par_iter().zip(&t0)).for_each(|(t, (l, x))| *t = l / self.phi - x);
        accumulate(out, &self.coefficients, 1, &t1);
        for j in 2..=order {
            // T_2 = (2/φ) L T_1 − 2 T_1 − T_0, written over T_0.
            self.laplacian.apply(&t1, &mut lx, b);
            t0.par_iter_mut().zip(lx.par_iter().zip(&t1)).for_each(|(t0, (l, t1))| *t0 = 2.0 / self.phi * l - 2.0 * t1 - *t0);
            std::mem::swap(&mut t0, &mut t1);
            accumulate(out, &self.coefficients, j, &t1);
        }
    }

    /// `f(first, count, blocks)` for each block of [`BLOCK`] columns `first..first + count` of
    /// the kernels, `blocks[t]` holding `e^{−τ_t L}[:, first..first + count]` row-major
    /// (`n × count`): blocks in parallel, results in block order.
    pub fn map_columns<T: Send>(&self, f: impl Fn(usize, usize, &[Vec<f64>]) -> T + Sync) -> Vec<T> {
        let n = self.laplacian.n();
        let n_blocks = n.div_ceil(BLOCK);
        (0..n_blocks)
            .into_par_iter()
            .map(|blk| {
                let first = blk * BLOCK;
                let count = BLOCK.min(n - first);
                let mut x = vec![0f64; n * count];
                for c in 0..count {
                    x[(first + c) * count + c] = 1.0;
                }
                let mut out = vec![Vec::new(); self.coefficients.len()];
                self.apply(&x, count, &mut out);
                f(first, count, &out)
            })
            .collect()
    }

    /// The dense kernels `e^{−τ_t L}` (`n × n` row-major each): entry `(i, j)` is row `i` of the
    /// kernel applied to the indicator of `j`, as HeatGeo computes it.
    pub fn dense(&self) -> Vec<Vec<f64>> {
        let n = self.laplacian.n();
        // Column blocks are rows of the transpose: each block fills its own rows, then one transpose.
        let mut transposed: Vec<Vec<f64>> = (0..self.n_times()).map(|_| vec![0f64; n * n]).collect();
        {
            let cells: Vec<SharedRows> = transposed.iter_mut().map(|m| SharedRows(m.as_mut_ptr())).collect();
            self.map_columns(|first, count, blocks| {
                for (cell, block) in cells.iter().zip(blocks) {
                    // SAFETY: each block writes the rows first..first + count of its own matrix,
                    // which no other block touches, and the matrices outlive the scope.
                    let rows = unsafe { std::slice::from_raw_parts_mut(cell.0.add(first * n), count * n) };
                    for i in 0..n {
                        for c in 0..count {
                            rows[c * n + i] = block[i * count + c];
                        }
                    }
                }
            });
        }
        transposed.iter_mut().for_each(|m| transpose_in_place(m, n));
        transposed
    }
}

/// A raw pointer to a matrix whose disjoint rows blocks write in parallel.
struct SharedRows(*mut f64);
// SAFETY: used only to write disjoint row ranges (see `HeatKernel::dense`).
unsafe impl Sync for SharedRows {}
unsafe impl Send for SharedRows {}

fn accumulate(out: &mut [Vec<f64>], coefficients: &[Vec<f64>], j: usize, t: &[f64]) {
    for (o, c) in out.iter_mut().zip(coefficients) {
        let cj = c[j];
        o.par_iter_mut().zip(t.par_iter()).for_each(|(o, v)| *o += cj * v);
    }
}

/// Transposes the square `n × n` row-major `m` in place.
pub fn transpose_in_place(m: &mut [f64], n: usize) {
    const TILE: usize = 64;
    for bi in (0..n).step_by(TILE) {
        for bj in (bi..n).step_by(TILE) {
            for i in bi..(bi + TILE).min(n) {
                for j in bj.max(i + 1)..(bj + TILE).min(n) {
                    m.swap(i * n + j, j * n + i);
                }
            }
        }
    }
}
