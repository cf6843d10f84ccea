//! openTSNE 1.0.4's gradient descent on the KL divergence `KL(P ‖ Q)` (`gradient_descent`).
//!
//! The gradient of point `i` (openTSNE omits the usual factor 4):
//! `g_i = ρ Σ_j p_ij u_ij (y_i − y_j) − (1/Z) Σ_{j≠i} w_ij^{(α+1)/α} (y_i − y_j)`, with
//! `u = 1/(1 + d²/α)`, `w = u^α`, `Z = Σ_{i≠j} w_ij` and the exaggeration `ρ`. The repulsive
//! term comes from [`Gradient::repulsion`]. Each iteration:
//!
//! 1. optionally, each row of `g` longer than `max_grad_norm` is scaled to it (transform only);
//! 2. delta-bar-delta gains: `+0.2` where the sign of the last update differs from the sign of
//!    `g` (numpy's sign, `sign(0) = 0`), else `0.8 · gain + min_gain` (openTSNE adds
//!    `min_gain`; it does not clamp);
//! 3. `update = momentum · update − learning_rate · gains · g`;
//! 4. a row of the update longer than `max_step_norm` is scaled to it;
//! 5. `y += update`, and the embedding is centred on its mean (not for new points).
//!
//! The gains and the update carry over between the early-exaggeration phase and the next
//! ([`Optimiser`]). The KL divergence
//! `Σ p ln(p/(w + ε) + ε) + (Σ p) ln(Z + ε)` is evaluated only when it is reported (every
//! [`REPORT_EVERY`] iterations, to a callback or a progress display that shows messages, and at
//! the end of each phase); under exaggeration `ρ` the reported value is
//! `KL_ρ/ρ − ln ρ`, as openTSNE's.

use super::affinity::Affinities;
use super::fft::FftRepulsion;
use super::repulsion::{CHUNK, Gradient};
use crate::error::Result;
use crate::progress::Progress;
use multiversion::multiversion;
use rayon::prelude::*;

/// `P` as the optimiser reads it: the affinities' rows with `f32` values.
///
/// The attraction streams every edge of `P` every iteration; at 70,000 MNIST points that is
/// 8.4 million edges, far beyond the caches. Values in `f32` make an edge 8 bytes instead of 12;
/// their rounding (6e-8 of each `p_ij`) is far below what the optimisation resolves.
#[derive(Debug, Clone)]
pub struct Edges {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Edges {
    /// The edges of `p`, reusing its offsets and columns.
    pub fn new(p: Affinities) -> Edges {
        let (indptr, indices, values) = p.into_parts();
        Edges { indptr, indices, values: values.iter().map(|&v| v as f32).collect() }
    }

    /// Row `i`: its columns and values.
    #[inline]
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }
}

/// Iterations between two KL evaluations (progress and callbacks; openTSNE's
/// `callbacks_every_iters`).
pub const REPORT_EVERY: usize = 50;

/// openTSNE's `min_gain`, added to the decayed gains.
pub const MIN_GAIN: f64 = 0.01;

/// A callback of the optimisation: `(iteration, KL divergence, embedding)`, called every
/// [`REPORT_EVERY`] iterations; returning `true` stops the optimisation (openTSNE's callbacks).
pub type Callback<'a> = &'a (dyn Fn(usize, f64, &[f64]) -> bool + Sync);

/// The optimiser's state: per-coordinate gains and the last update.
#[derive(Debug, Clone)]
pub struct Optimiser {
    gains: Vec<f64>,
    update: Vec<f64>,
}

impl Optimiser {
    /// A fresh state for `len` coordinates: gains 1, update 0.
    pub fn new(len: usize) -> Optimiser {
        Optimiser { gains: vec![1.0; len], update: vec![0.0; len] }
    }

    /// Drops the momentum (the last update) of the points flagged in `rows`, each `dim`
    /// coordinates.
    pub fn reset_where(&mut self, dim: usize, rows: &[bool]) {
        for (u, _) in self.update.chunks_exact_mut(dim).zip(rows).filter(|(_, r)| **r) {
            u.fill(0.0);
        }
    }
}

/// Settings of one call of the optimiser (one phase).
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Iterations.
    pub n_iter: usize,
    /// Exaggeration `ρ` of the attractive term.
    pub exaggeration: f64,
    /// Step size.
    pub learning_rate: f64,
    /// Momentum.
    pub momentum: f64,
    /// Row-wise gradient clip (openTSNE's `max_grad_norm`).
    pub max_grad_norm: Option<f64>,
    /// Row-wise step clip (openTSNE's `max_step_norm`).
    pub max_step_norm: Option<f64>,
    /// Degrees of freedom α of the kernel.
    pub dof: f64,
    /// Iterations done before this phase (for the callbacks' iteration numbers).
    pub offset: usize,
}

/// What the optimisation of one phase ends with.
#[derive(Debug, Clone, Copy)]
pub struct PhaseEnd {
    /// Iterations run (fewer than asked when a callback stopped it).
    pub n_iter: usize,
    /// KL divergence after the last step, with the unexaggerated `P`.
    pub kl: f64,
    /// A callback asked to stop.
    pub stopped: bool,
}

/// Workspace of the gradient; the FFT repulsion keeps its plans and grids here between
/// iterations.
struct Work {
    grad: Vec<f64>,
    rep: Vec<f64>,
    fft: Option<FftRepulsion>,
}

impl Work {
    fn new(len: usize) -> Work {
        Work { grad: vec![0.0; len], rep: vec![0.0; len], fft: None }
    }
}

/// Runs one phase on the full embedding `y` (`n × dim`), see the [module docs](self).
///
/// # Errors
/// [`crate::Error::Cancelled`] when `progress` asks to stop.
#[allow(clippy::too_many_arguments)]
pub fn optimise(
    p: &Edges,
    y: &mut [f64],
    dim: usize,
    gradient: Gradient,
    phase: &Phase,
    state: &mut Optimiser,
    progress: &dyn Progress,
    callback: Option<Callback>,
) -> Result<PhaseEnd> {
    let mut work = Work::new(y.len());
    let mut end = PhaseEnd { n_iter: phase.n_iter, kl: f64::NAN, stopped: false };
    for it in 0..phase.n_iter {
        progress.check()?;
        // The KL divergence is evaluated for a callback or a shown message only: its logarithms
        // and the scalar loop that evaluates it were 2 % of a 10,000-point run.
        let report = (it + 1) % REPORT_EVERY == 0 && (callback.is_some() || progress.shows_messages());
        let kl = full_gradient(p, y, dim, gradient, phase.exaggeration, phase.dof, report, &mut work);
        step(y, dim, &work.grad, phase, state);
        centre(y, dim);
        progress.inc(1);
        if report {
            let kl = if phase.exaggeration != 1.0 { kl / phase.exaggeration - phase.exaggeration.ln() } else { kl };
            progress.message(&format!("KL divergence {kl:.4}"));
            if let Some(cb) = callback
                && cb(phase.offset + it + 1, kl, y)
            {
                end = PhaseEnd { n_iter: it + 1, kl: f64::NAN, stopped: true };
                break;
            }
        }
    }
    end.kl = full_gradient(p, y, dim, gradient, 1.0, phase.dof, true, &mut work);
    Ok(end)
}

/// The KL divergence of the embedding `y` under `P`.
pub fn kl_divergence(p: &Edges, y: &[f64], dim: usize, gradient: Gradient, dof: f64) -> f64 {
    full_gradient(p, y, dim, gradient, 1.0, dof, true, &mut Work::new(y.len()))
}

/// The gradient into `work.grad`; returns the (exaggerated) KL divergence when `eval`, else NaN.
///
/// The attraction does not depend on the repulsion, so the two run side by side
/// (`rayon::join`): the threads the repulsion leaves idle (its serial steps, the ends of its
/// parallel passes) take the attraction's rows, which fills about a tenth of two cores on a
/// 10,000-point run. The repulsion divided by `Z` is added afterwards, in the same order as
/// before (`−f/Z` plus the attraction), so the gradient is the same bit for bit.
#[allow(clippy::too_many_arguments)]
fn full_gradient(p: &Edges, y: &[f64], dim: usize, gradient: Gradient, exaggeration: f64, dof: f64, eval: bool, work: &mut Work) -> f64 {
    let Work { grad, rep, fft } = work;
    let (z, partial) = rayon::join(
        || match gradient {
            Gradient::Fft(params) => fft.get_or_insert_with(|| FftRepulsion::new(params)).repulsion(y, dim, dof, rep),
            _ => gradient.repulsion(y, dim, dof, rep),
        },
        || -> Vec<(f64, f64)> {
            match (dim, eval) {
                (1, false) => attraction::<1, false>(p, y, exaggeration, dof, grad),
                (1, true) => attraction::<1, true>(p, y, exaggeration, dof, grad),
                (2, false) => attraction::<2, false>(p, y, exaggeration, dof, grad),
                (2, true) => attraction::<2, true>(p, y, exaggeration, dof, grad),
                (3, false) => attraction::<3, false>(p, y, exaggeration, dof, grad),
                (3, true) => attraction::<3, true>(p, y, exaggeration, dof, grad),
                _ => attraction_any(p, y, dim, exaggeration, dof, eval, grad),
            }
        },
    );
    let inv = 1.0 / (z + f64::EPSILON);
    for (g, &f) in grad.iter_mut().zip(rep.iter()) {
        *g += -f * inv;
    }
    if !eval {
        return f64::NAN;
    }
    let (kl, sum_p) = partial.iter().fold((0.0, 0.0), |(a, b), &(k, s)| (a + k, b + s));
    kl + sum_p * (z + f64::EPSILON).ln()
}

/// Edges of a row whose attraction is computed side by side (one vector of `f64` on AVX-512).
const LANES: usize = 8;

/// The attraction of every point's affinities into `grad` (`n × D`; the repulsion is added by
/// [`full_gradient`]). Per chunk of [`CHUNK`] rows, the KL terms and `Σ p` when `EVAL`.
///
/// A row's edges are taken [`LANES`] at a time: their other ends are gathered, then the kernel
/// values and forces are computed lane by lane (in 2-D, by [`attraction_rows_2d_avx512`] where
/// the machine has AVX-512). Each lane sums its own edges; the lanes are added in a fixed order
/// at the row's end, so the sum does not depend on the thread count or the vector width. The KL
/// terms, evaluated every [`REPORT_EVERY`] iterations, are added edge by edge, and the gradient
/// does not depend on whether they are.
fn attraction<const D: usize, const EVAL: bool>(p: &Edges, y: &[f64], exaggeration: f64, dof: f64, grad: &mut [f64]) -> Vec<(f64, f64)> {
    grad.par_chunks_mut(D * CHUNK)
        .enumerate()
        .map(|(c, block)| {
            #[cfg(target_arch = "x86_64")]
            if D == 2 && !EVAL && std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F is available, checked just above.
                unsafe {
                    if dof == 1.0 {
                        attraction_rows_2d_avx512::<true>(p, y, exaggeration, dof, c * CHUNK, block);
                    } else {
                        attraction_rows_2d_avx512::<false>(p, y, exaggeration, dof, c * CHUNK, block);
                    }
                }
                return (0.0, 0.0);
            }
            if dof == 1.0 {
                attraction_rows::<D, EVAL, true>(p, y, exaggeration, dof, c * CHUNK, block)
            } else {
                attraction_rows::<D, EVAL, false>(p, y, exaggeration, dof, c * CHUNK, block)
            }
        })
        .collect()
}

/// [`attraction`] of the rows from `first` on, into `block`; `CAUCHY` when `dof` is 1.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn attraction_rows<const D: usize, const EVAL: bool, const CAUCHY: bool>(
    p: &Edges,
    y: &[f64],
    exaggeration: f64,
    dof: f64,
    first: usize,
    block: &mut [f64],
) -> (f64, f64) {
    let (mut kl, mut sum_p) = (0.0, 0.0);
    for (r, g) in block.chunks_exact_mut(D).enumerate() {
        let i = first + r;
        let yi: [f64; D] = y[i * D..(i + 1) * D].try_into().expect("rows of D coordinates");
        let mut acc = [[0.0; LANES]; D];
        let (cols, vals) = p.row(i);
        for (cs, vs) in cols.chunks(LANES).zip(vals.chunks(LANES)) {
            // Lanes past the row's end keep p = 0 and a zero difference: they add +0.
            let mut diff = [[0.0; LANES]; D];
            let mut pij = [0.0; LANES];
            for (l, (&j, &v)) in cs.iter().zip(vs).enumerate() {
                let yj = &y[j as usize * D..][..D];
                for d in 0..D {
                    diff[d][l] = yi[d] - yj[d];
                }
                pij[l] = f64::from(v) * exaggeration;
            }
            let mut u = [0.0; LANES];
            for (l, u) in u.iter_mut().enumerate() {
                let mut d2 = 0.0;
                for row in &diff {
                    d2 += row[l] * row[l];
                }
                *u = if CAUCHY { 1.0 / (1.0 + d2) } else { 1.0 / (1.0 + d2 / dof) };
            }
            for (acc, diff) in acc.iter_mut().zip(&diff) {
                for l in 0..LANES {
                    acc[l] += u[l] * pij[l] * diff[l];
                }
            }
            if EVAL {
                for (&u, &pij) in u.iter().zip(&pij).take(cs.len()) {
                    sum_p += pij;
                    let w = if CAUCHY { u } else { u.powf(dof) };
                    kl += pij * (pij / (w + f64::EPSILON) + f64::EPSILON).ln();
                }
            }
        }
        for (o, acc) in g.iter_mut().zip(&acc) {
            *o = acc.iter().sum::<f64>();
        }
    }
    (kl, sum_p)
}

/// [`attraction_rows`] of 2-D rows without the KL terms (every iteration but each
/// [`REPORT_EVERY`]th) in AVX-512 vectors. A group's eight other ends are loaded as coordinate
/// pairs and transposed into an `x` and a `y` vector (a short group is padded with the row's own
/// point and `p = 0`, as the scalar lanes are), and each lane's kernel, force and sum are
/// computed with the operations of [`attraction_rows`] in the same order, without fused
/// multiply-adds, so the gradient is the same bit for bit. The compiler vectorised that loop
/// across the two coordinates instead, with a scalar division per edge whose latency bounded it;
/// two masked gathers in place of the pair loads were no faster. On the MNIST test set this loop
/// takes 37 % less time than the scalar one.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn attraction_rows_2d_avx512<const CAUCHY: bool>(p: &Edges, y: &[f64], exaggeration: f64, dof: f64, first: usize, block: &mut [f64]) {
    use std::arch::x86_64::*;
    let (one, rho, alpha) = (_mm512_set1_pd(1.0), _mm512_set1_pd(exaggeration), _mm512_set1_pd(dof));
    for (r, g) in block.chunks_exact_mut(2).enumerate() {
        let i = first + r;
        let (yi0, yi1) = (_mm512_set1_pd(y[2 * i]), _mm512_set1_pd(y[2 * i + 1]));
        let (mut acc0, mut acc1) = (_mm512_setzero_pd(), _mm512_setzero_pd());
        let (cols, vals) = p.row(i);
        for (cs, vs) in cols.chunks(LANES).zip(vals.chunks(LANES)) {
            // A short group is padded with the row itself (a zero difference) and p = 0.
            let (mut cbuf, mut vbuf) = ([i as u32; LANES], [0.0f32; LANES]);
            let (cs, vs) = if cs.len() == LANES {
                (cs, vs)
            } else {
                cbuf[..cs.len()].copy_from_slice(cs);
                vbuf[..vs.len()].copy_from_slice(vs);
                (&cbuf[..], &vbuf[..])
            };
            // SAFETY: LANES columns j < n (the affinities' invariant), so y[2j..2j + 2] exist, and
            // LANES values.
            let (yj0, yj1, pij) = unsafe {
                let pt = |l: usize| _mm256_castpd128_pd256(_mm_loadu_pd(y.as_ptr().add(2 * cs[l] as usize)));
                let pair = |a: usize, b: usize| _mm256_insertf128_pd::<1>(pt(a), _mm256_castpd256_pd128(pt(b)));
                // x0 y0 x1 y1 x2 y2 x3 y3 and the same for points 4–7: unpacked, the lanes hold
                // the points 0 4 1 5 2 6 3 7, and the values are put in that order.
                let lo = _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(pair(0, 1)), pair(2, 3));
                let hi = _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(pair(4, 5)), pair(6, 7));
                let v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(vs.as_ptr()), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
                (_mm512_unpacklo_pd(lo, hi), _mm512_unpackhi_pd(lo, hi), _mm512_mul_pd(_mm512_cvtps_pd(v), rho))
            };
            let (d0, d1) = (_mm512_sub_pd(yi0, yj0), _mm512_sub_pd(yi1, yj1));
            let d2 = _mm512_add_pd(_mm512_mul_pd(d0, d0), _mm512_mul_pd(d1, d1));
            let u = if CAUCHY { _mm512_div_pd(one, _mm512_add_pd(one, d2)) } else { _mm512_div_pd(one, _mm512_add_pd(one, _mm512_div_pd(d2, alpha))) };
            let t = _mm512_mul_pd(u, pij);
            acc0 = _mm512_add_pd(acc0, _mm512_mul_pd(t, d0));
            acc1 = _mm512_add_pd(acc1, _mm512_mul_pd(t, d1));
        }
        let mut acc = [[0.0f64; LANES]; 2];
        // SAFETY: each array holds eight f64.
        unsafe {
            // Lanes back in edge order (0 4 1 5 2 6 3 7 → 0 1 … 7), so the lanes add up as in
            // `attraction_rows`.
            let order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
            _mm512_storeu_pd(acc[0].as_mut_ptr(), _mm512_permutexvar_pd(order, acc0));
            _mm512_storeu_pd(acc[1].as_mut_ptr(), _mm512_permutexvar_pd(order, acc1));
        }
        for (o, acc) in g.iter_mut().zip(&acc) {
            *o = acc.iter().sum::<f64>();
        }
    }
}

/// [`attraction`] for rows of any width, edge by edge.
#[allow(clippy::too_many_arguments)]
fn attraction_any(p: &Edges, y: &[f64], dim: usize, exaggeration: f64, dof: f64, eval: bool, grad: &mut [f64]) -> Vec<(f64, f64)> {
    grad.par_chunks_mut(dim * CHUNK)
        .enumerate()
        .map(|(c, block)| {
            let (mut kl, mut sum_p) = (0.0, 0.0);
            for (r, g) in block.chunks_mut(dim).enumerate() {
                let i = c * CHUNK + r;
                let yi = &y[i * dim..(i + 1) * dim];
                g.fill(0.0);
                let (cols, vals) = p.row(i);
                for (&j, &pij) in cols.iter().zip(vals) {
                    let pij = f64::from(pij) * exaggeration;
                    let yj = &y[j as usize * dim..(j as usize + 1) * dim];
                    let d2: f64 = yi.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum();
                    let u = if dof != 1.0 { 1.0 / (1.0 + d2 / dof) } else { 1.0 / (1.0 + d2) };
                    for ((o, a), b) in g.iter_mut().zip(yi).zip(yj) {
                        *o += u * pij * (a - b);
                    }
                    if eval {
                        sum_p += pij;
                        let w = if dof != 1.0 { u.powf(dof) } else { u };
                        kl += pij * (pij / (w + f64::EPSILON) + f64::EPSILON).ln();
                    }
                }
            }
            (kl, sum_p)
        })
        .collect()
}

/// Steps 1–5 of the [module docs](self) but the centring.
///
/// Parallel over tasks of [`TASK_ROWS`] rows: a row is a few operations, and on 10,000 points,
/// tasks of a few rows each made this step twice as slow on two threads as on one.
pub(crate) fn step(y: &mut [f64], dim: usize, grad: &[f64], phase: &Phase, state: &mut Optimiser) {
    let Optimiser { gains, update } = state;
    let len = dim * TASK_ROWS;
    y.par_chunks_mut(len).zip(update.par_chunks_mut(len)).zip(gains.par_chunks_mut(len)).zip(grad.par_chunks(len)).for_each(|(((y, update), gains), grad)| {
        step_rows(y, dim, grad, phase, update, gains);
    });
}

/// Rows per parallel task of the optimiser's elementwise passes ([`step`], [`centre`]).
const TASK_ROWS: usize = 16_384;

/// [`step`] on a block of rows.
fn step_rows(y: &mut [f64], dim: usize, grad: &[f64], phase: &Phase, update: &mut [f64], gains: &mut [f64]) {
    match phase.max_grad_norm {
        Some(c) => {
            for ((u, gain), g) in update.chunks_exact_mut(dim).zip(gains.chunks_exact_mut(dim)).zip(grad.chunks_exact(dim)) {
                let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                let s = c / (norm + 1e-6);
                for ((ud, gd), &g) in u.iter_mut().zip(gain.iter_mut()).zip(g) {
                    gain_and_update(ud, gd, if s < 1.0 { g * s } else { g }, phase);
                }
            }
        }
        None => {
            for ((ud, gd), &g) in update.iter_mut().zip(gains.iter_mut()).zip(grad) {
                gain_and_update(ud, gd, g, phase);
            }
        }
    }
    clip_and_move(y, update, dim, phase);
}

/// Steps 2 and 3 for one coordinate, without branches: over whole arrays the compiler vectorises
/// it (row by row, with the sign test as branches, the step took 5 ns a point).
#[inline(always)]
fn gain_and_update(ud: &mut f64, gd: &mut f64, g: f64, phase: &Phase) {
    // numpy's `sign(update) != sign(grad)`.
    let flip = ((*ud > 0.0) != (g > 0.0)) | ((*ud < 0.0) != (g < 0.0));
    let (grown, decayed) = (*gd + 0.2, *gd * 0.8 + MIN_GAIN);
    *gd = if flip { grown } else { decayed };
    *ud = phase.momentum * *ud - phase.learning_rate * *gd * g;
}

/// Steps 4 and 5: rows of `update` longer than `max_step_norm` scaled to it, then added to `y`.
#[inline(always)]
fn clip_and_move(y: &mut [f64], update: &mut [f64], dim: usize, phase: &Phase) {
    if let Some(m) = phase.max_step_norm {
        // The square root only near the limit: below (1 − 1e-12)·m², the rounded root is below m.
        let near = m * m * (1.0 - 1e-12);
        for u in update.chunks_exact_mut(dim) {
            let norm2 = u.iter().map(|v| v * v).sum::<f64>();
            if norm2 >= near {
                let norm = norm2.sqrt();
                if norm > m {
                    for v in u.iter_mut() {
                        *v = *v / norm * m;
                    }
                }
            }
        }
    }
    for (a, &b) in y.iter_mut().zip(update.iter()) {
        *a += b;
    }
}

/// Subtracts the column means (each summed in row order; the subtraction in tasks of
/// [`TASK_ROWS`] rows).
fn centre(y: &mut [f64], dim: usize) {
    match dim {
        1 => centre_d::<1>(y),
        2 => centre_d::<2>(y),
        3 => centre_d::<3>(y),
        _ => {
            let n = y.len() / dim;
            let mut means = vec![0.0f64; dim];
            for row in y.chunks_exact(dim) {
                for (s, v) in means.iter_mut().zip(row) {
                    *s += v;
                }
            }
            for m in &mut means {
                *m /= n as f64;
            }
            y.par_chunks_mut(dim * TASK_ROWS).for_each(|y| {
                for row in y.chunks_exact_mut(dim) {
                    for (v, m) in row.iter_mut().zip(&means) {
                        *v -= m;
                    }
                }
            });
        }
    }
}

/// [`centre`] for rows of `D` coordinates (the fixed width lets the loops unroll).
fn centre_d<const D: usize>(y: &mut [f64]) {
    let n = y.len() / D;
    let mut means = [0.0f64; D];
    for row in y.chunks_exact(D) {
        for d in 0..D {
            means[d] += row[d];
        }
    }
    for m in &mut means {
        *m /= n as f64;
    }
    y.par_chunks_mut(D * TASK_ROWS).for_each(|y| {
        for row in y.chunks_exact_mut(D) {
            for d in 0..D {
                row[d] -= means[d];
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeedSource;

    /// The gradient of the [module docs](self) and the KL divergence, every pair summed from
    /// their definitions.
    fn brute_force(p: &[f64], y: &[f64], dim: usize, exaggeration: f64, dof: f64) -> (Vec<f64>, f64) {
        let n = y.len() / dim;
        let d2 = |i: usize, j: usize| (0..dim).map(|d| (y[i * dim + d] - y[j * dim + d]).powi(2)).sum::<f64>();
        let w = |i: usize, j: usize| (1.0 + d2(i, j) / dof).powf(-dof);
        let z: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| w(i, j)).sum();
        let mut grad = vec![0.0; n * dim];
        let (mut kl, mut sum_p) = (0.0, 0.0);
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let pij = p[i * n + j] * exaggeration;
                let u = 1.0 / (1.0 + d2(i, j) / dof);
                let k2 = w(i, j).powf((dof + 1.0) / dof);
                for d in 0..dim {
                    let diff = y[i * dim + d] - y[j * dim + d];
                    grad[i * dim + d] += pij * u * diff - k2 * diff / z;
                }
                if pij > 0.0 {
                    sum_p += pij;
                    kl += pij * (pij / w(i, j)).ln();
                }
            }
        }
        (grad, kl + sum_p * z.ln())
    }

    #[test]
    fn gradient_matches_its_definition_in_every_width() {
        // Widths 1–3 take the fixed-width loop, 4 the general one; 600 points span three chunks,
        // and rows of 3 to 17 edges fill one to three groups of lanes, whole and in part.
        let n = 600;
        let seeds = SeedSource::new(Some(7));
        let unit = |stage: u64, i: usize| (seeds.value(stage, i as u64) >> 11) as f64 / (1u64 << 53) as f64;
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n {
            for c in 0..3 + i % 15 {
                // Distinct columns, none the row itself.
                indices.push(((i + 1 + c * 29 + (unit(1, i * 17 + c) * 20.0) as usize) % n) as u32);
                // Values an f32 holds exactly, as the optimiser's edges keep them.
                values.push(f64::from((unit(2, i * 17 + c) / n as f64) as f32));
            }
            indptr.push(indices.len());
        }
        let p = Affinities::from_parts(n, indptr, indices, values).unwrap();
        let dense = p.to_dense();
        let p = Edges::new(p);
        for dim in 1..=4 {
            for dof in [1.0, 0.6] {
                let y: Vec<f64> = (0..n * dim).map(|i| unit(3, i) * 6.0 - 3.0).collect();
                let (want, want_kl) = brute_force(&dense, &y, dim, 4.0, dof);
                let mut work = Work::new(y.len());
                let kl = full_gradient(&p, &y, dim, Gradient::Exact, 4.0, dof, true, &mut work);
                let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let err = work.grad.iter().zip(&want).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / scale;
                assert!(err < 1e-10, "dim {dim}, dof {dof}: gradient off by {err:.2e} of its largest entry");
                assert!((kl - want_kl).abs() < 1e-9 * want_kl.abs(), "dim {dim}, dof {dof}: KL {kl} against {want_kl}");
                // Without the KL terms (in 2-D, AVX-512's loop where the machine has it) the
                // gradient is the same, bit for bit.
                let with_kl = work.grad.clone();
                assert!(full_gradient(&p, &y, dim, Gradient::Exact, 4.0, dof, false, &mut work).is_nan());
                assert_eq!(work.grad, with_kl, "dim {dim}, dof {dof}");
            }
        }
    }
}
