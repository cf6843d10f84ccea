//! Exact k-nearest neighbours by blocked brute force.
//!
//! Queries are processed in blocks of [`QUERY_BLOCK`] rows against reference blocks of
//! [`REF_BLOCK`] rows, so both stay in cache. For euclidean, squared euclidean, cosine and
//! correlation a block of distances is one small matrix product (`|q|² + |r|² − 2 q·r`, or
//! `1 − q·r` on unit rows, with euclidean rows centred first to keep the norms small); the
//! `k + k/2 + 4` best candidates per query (kept in sorted lists, or, above 32, in selection
//! buffers) are then recomputed with the direct kernel, which removes the cancellation error of the product form before the final
//! sort. Euclidean distances between byte rows (every value an integer in `0..=255`) are exact
//! integer products on machines with AVX-512 VNNI ([`super::byte_product`]), and need no second
//! pass. Other metrics evaluate the kernel on every pair of the two blocks. A precomputed
//! distance matrix is read row by row.

use crate::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::byte_product::BytePanels;
use super::{EMPTY, KnnGraph, write_sorted};
use crate::data::Data;
use crate::error::Result;
use crate::metric::{Kernel, KernelVisitor, Metric, PreparedMetric};
use crate::progress::Progress;

/// Queries per block.
pub const QUERY_BLOCK: usize = 128;
/// Reference rows per block.
pub const REF_BLOCK: usize = 1024;

/// Exact kNN graph of `data` (self excluded). With [`Metric::Precomputed`], `data` is the square
/// distance matrix and each row's `k` smallest entries are read from it.
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a `VI` that is not positive
/// semi-definite; [`Error::InvalidData`](crate::Error::InvalidData) for more rows than
/// [`MAX_POINTS`](super::MAX_POINTS); [`Error::Cancelled`](crate::Error::Cancelled).
pub fn exact_knn(data: &Data, k: usize, metric: &Metric, progress: &dyn Progress) -> Result<KnnGraph> {
    super::check_point_count(data.n_rows())?;
    exact_knn_prepared(data, k, &PreparedMetric::new(metric.clone(), data.n_cols())?, progress)
}

/// [`exact_knn`] with the metric's row map already set up.
pub(crate) fn exact_knn_prepared(data: &Data, k: usize, prepared_metric: &PreparedMetric, progress: &dyn Progress) -> Result<KnnGraph> {
    let (n, d) = (data.n_rows(), data.n_cols());
    let metric = prepared_metric.metric();
    if *metric == Metric::Precomputed {
        return precomputed_knn(data, k, progress);
    }
    let mut prepared = prepared_metric.rows(data.as_slice());
    if matches!(metric, Metric::Euclidean | Metric::SqEuclidean)
        && let Some(bytes) = BytePanels::new(&prepared, n, d)
    {
        let root = *metric == Metric::Euclidean;
        return search(&prepared, n, d, k, crate::metric::SqEuclidean { root }, ProductForm::Bytes(&bytes), progress);
    }
    if metric.is_euclidean_kind() {
        // Euclidean distances do not change under translation, but the product form's rounding
        // error grows with the norms: centre the rows first.
        let view = Data::from_trusted_slice(&prepared, n, d);
        let mean = crate::linalg::column_means(&view);
        let mut c = prepared.into_owned();
        c.par_chunks_mut(d).for_each(|row| row.iter_mut().zip(&mean).for_each(|(v, m)| *v = (*v as f64 - m) as f32));
        prepared = std::borrow::Cow::Owned(c);
    }
    let rows = &prepared[..];
    struct Run<'a> {
        rows: &'a [f32],
        n: usize,
        d: usize,
        k: usize,
        form: ProductForm<'a>,
        progress: &'a dyn Progress,
    }
    impl KernelVisitor for Run<'_> {
        type Output = Result<KnnGraph>;
        fn visit<K: Kernel>(self, kernel: K) -> Result<KnnGraph> {
            search(self.rows, self.n, self.d, self.k, kernel, self.form, self.progress)
        }
    }
    let form = match metric {
        m if m.is_euclidean_kind() => ProductForm::SquaredNorms,
        Metric::Cosine | Metric::Correlation => ProductForm::OneMinusDot,
        _ => ProductForm::None,
    };
    metric.visit_kernel(Run { rows, n, d, k, form, progress })
}

/// The kNN graph of a square distance matrix: in each row, the `k` smallest entries off the
/// diagonal, ties by column.
pub(crate) fn precomputed_knn(data: &Data, k: usize, progress: &dyn Progress) -> Result<KnnGraph> {
    let n = data.n_rows();
    progress.stage("kNN from distances", n as u64);
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    indices.par_chunks_mut(QUERY_BLOCK * k).zip(distances.par_chunks_mut(QUERY_BLOCK * k)).enumerate().try_for_each(
        |(b, (out_idx, out_dist))| -> Result<()> {
            progress.check()?;
            let nq = out_idx.len() / k;
            let mut cand: Vec<(f32, u32)> = Vec::with_capacity(n);
            for qi in 0..nq {
                let i = b * QUERY_BLOCK + qi;
                cand.clear();
                cand.extend(data.row(i).iter().enumerate().filter(|&(j, _)| j != i).map(|(j, &v)| (v, j as u32)));
                let order = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if cand.len() > k {
                    cand.select_nth_unstable_by(k - 1, order);
                    cand.truncate(k);
                }
                let out = qi * k..(qi + 1) * k;
                write_sorted(&mut cand, &mut out_idx[out.clone()], &mut out_dist[out], |r| r);
            }
            progress.inc(nq as u64);
            Ok(())
        },
    )?;
    progress.finish_stage();
    KnnGraph::from_parts(n, k, indices, distances)
}

/// Candidate lists longer than this are kept as selection buffers rather than sorted lists. On
/// MNIST's test set, t-SNE's 90 neighbours (150 kept) took 1.5–1.7 s as sorted lists and 1.3 s
/// as buffers; at 15 neighbours the two are even.
const LARGE_KEEP: usize = 32;

/// Keeps the `keep` best of `buf` by (distance, index), in no particular order; returns the
/// largest distance kept (the bound a new candidate must meet), or +∞ while fewer are held.
fn cut_to(buf: &mut Vec<(f32, u32)>, keep: usize) -> f32 {
    if buf.len() > keep {
        buf.select_nth_unstable_by(keep - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        buf.truncate(keep);
        buf[keep - 1].0
    } else {
        f32::INFINITY
    }
}

/// How a block of reduced distances is obtained from a matrix product, if at all.
#[derive(Clone, Copy)]
enum ProductForm<'a> {
    /// Direct kernel on every pair.
    None,
    /// `|q|² + |r|² − 2 q·r`.
    SquaredNorms,
    /// `1 − q·r` (rows already unit-normalised).
    OneMinusDot,
    /// Exact squared distances between byte rows.
    Bytes(&'a BytePanels),
}

/// Visits the candidates of `drow` (reference rows `r0..`) at or under `limit`, 16 at a time: a
/// group with none under it (most of them, once the lists fill) costs one mask. `below(group,
/// limit)` is the bit mask of a group's members at or under `limit`; `visit(d, j)` takes a
/// candidate and returns the limit after it, against which the group's later members are checked
/// again.
#[inline(always)]
fn visit_below(drow: &[f32], r0: usize, mut limit: f32, below: impl Fn(&[f32], f32) -> u32, mut visit: impl FnMut(f32, u32) -> f32) {
    for (c, group) in drow.chunks(16).enumerate() {
        let mut mask = below(group, limit);
        while mask != 0 {
            let l = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if group[l] <= limit {
                limit = visit(group[l], (r0 + c * 16 + l) as u32);
            }
        }
    }
}

/// Inserts the candidates of `drow` (reference rows `r0..`) that beat the last of the sorted
/// lists `bd`, `bi` ([`visit_below`]).
#[inline(always)]
fn scan_sorted(drow: &[f32], r0: usize, bd: &mut [f32], bi: &mut [u32], below: impl Fn(&[f32], f32) -> u32) {
    let last = bd.len() - 1;
    visit_below(drow, r0, bd[last], below, |d, j| {
        insert_absent(bd, bi, d, j);
        bd[last]
    });
}

/// The bit mask of the members of `group` at or under `limit`.
#[inline(always)]
fn below_scalar(group: &[f32], limit: f32) -> u32 {
    group.iter().enumerate().fold(0u32, |m, (l, &d)| m | (u32::from(d <= limit) << l))
}

/// [`scan_sorted`] with AVX-512: a group of 16 is one compare into a mask register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn scan_sorted_avx512(drow: &[f32], r0: usize, bd: &mut [f32], bi: &mut [u32]) {
    use std::arch::x86_64::{_CMP_LE_OQ, _mm512_cmp_ps_mask, _mm512_loadu_ps, _mm512_set1_ps};
    scan_sorted(drow, r0, bd, bi, |group, limit| {
        if group.len() == 16 {
            // SAFETY: the group holds 16 values.
            u32::from(_mm512_cmp_ps_mask::<_CMP_LE_OQ>(unsafe { _mm512_loadu_ps(group.as_ptr()) }, _mm512_set1_ps(limit)))
        } else {
            below_scalar(group, limit)
        }
    });
}

/// [`push_sorted`] for an id `j` not in `idx` (each reference row is seen once per query): the
/// slot is the count of entries before `(d, j)` in the order (distance, index), found by vector
/// compares, and the entries after it move up by one, the last dropped.
#[inline(always)]
fn insert_absent(dist: &mut [f32], idx: &mut [u32], d: f32, j: u32) {
    let pos = dist.iter().zip(idx.iter()).fold(0usize, |n, (&x, &i)| n + usize::from((x < d) | ((x == d) & (i < j))));
    if pos < dist.len() {
        // Element by element: a `memmove` call costs more than these few.
        let mut p = dist.len() - 1;
        while p > pos {
            dist[p] = dist[p - 1];
            idx[p] = idx[p - 1];
            p -= 1;
        }
        dist[pos] = d;
        idx[pos] = j;
    }
}

fn search<K: Kernel>(rows: &[f32], n: usize, d: usize, k: usize, kernel: K, form: ProductForm, progress: &dyn Progress) -> Result<KnnGraph> {
    let row = |i: usize| &rows[i * d..(i + 1) * d];
    // Candidates kept per query: k + 1 so the point itself can be dropped, plus a margin for
    // the re-check when distances come from the floating-point product form.
    let recheck = matches!(form, ProductForm::SquaredNorms | ProductForm::OneMinusDot);
    let keep = if recheck { (k + 1 + k / 2 + 4).min(n) } else { (k + 1).min(n) };
    let norms: Vec<f32> =
        if matches!(form, ProductForm::SquaredNorms) { (0..n).into_par_iter().map(|i| crate::metric::dot(row(i), row(i))).collect() } else { Vec::new() };
    progress.stage("exact kNN", n as u64);
    #[cfg(target_arch = "x86_64")]
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    indices.par_chunks_mut(QUERY_BLOCK * k).zip(distances.par_chunks_mut(QUERY_BLOCK * k)).enumerate().try_for_each(
        |(b, (out_idx, out_dist))| -> Result<()> {
            progress.check()?;
            let q0 = b * QUERY_BLOCK;
            let nq = out_idx.len() / k;
            // Small `keep`: sorted lists, one insertion per improving candidate. Large `keep`
            // (t-SNE's 3 × perplexity, scikit-learn's SpectralEmbedding's n/10): an unsorted buffer of
            // up to 2·keep candidates, cut back to the best `keep` by selection when full, so
            // each candidate costs O(1) amortised instead of O(keep).
            let large = keep > LARGE_KEEP;
            let (mut best_d, mut best_i) = if large { (Vec::new(), Vec::new()) } else { (vec![f32::INFINITY; nq * keep], vec![EMPTY; nq * keep]) };
            let mut pool: Vec<Vec<(f32, u32)>> = if large { (0..nq).map(|_| Vec::with_capacity(2 * keep)).collect() } else { Vec::new() };
            let mut bound = vec![f32::INFINITY; if large { nq } else { 0 }];
            let mut block = vec![0f32; nq * REF_BLOCK];
            for r0 in (0..n).step_by(REF_BLOCK) {
                let nr = REF_BLOCK.min(n - r0);
                if let ProductForm::Bytes(bytes) = form {
                    bytes.block(q0, nq, r0, nr, &mut block);
                } else if recheck {
                    let q = MatRef::from_row_major_slice(&rows[q0 * d..(q0 + nq) * d], nq, d);
                    let r = MatRef::from_row_major_slice(&rows[r0 * d..(r0 + nr) * d], nr, d);
                    let out = MatMut::from_row_major_slice_mut(&mut block[..nq * nr], nq, nr);
                    matmul(out, Accum::Replace, q, r.transpose(), 1.0f32, Par::Seq);
                }
                for qi in 0..nq {
                    // The block's row becomes the query's distances, then is scanned 16 at a
                    // time: a group with none under the bound (most of them, once the lists
                    // fill) costs one vector compare.
                    let drow = &mut block[qi * nr..(qi + 1) * nr];
                    match form {
                        ProductForm::None => {
                            let qrow = row(q0 + qi);
                            for (rj, o) in drow.iter_mut().enumerate() {
                                *o = kernel.reduced(qrow, row(r0 + rj));
                            }
                        }
                        ProductForm::OneMinusDot => drow.iter_mut().for_each(|o| *o = 1.0 - *o),
                        ProductForm::SquaredNorms => {
                            let norm = norms[q0 + qi];
                            for (o, &other) in drow.iter_mut().zip(&norms[r0..r0 + nr]) {
                                *o = norm + other - 2.0 * *o;
                            }
                        }
                        ProductForm::Bytes(_) => {}
                    }
                    if !large {
                        let (bd, bi) = (&mut best_d[qi * keep..(qi + 1) * keep], &mut best_i[qi * keep..(qi + 1) * keep]);
                        #[cfg(target_arch = "x86_64")]
                        if avx512 {
                            // SAFETY: AVX-512F was detected above.
                            unsafe { scan_sorted_avx512(drow, r0, bd, bi) };
                            continue;
                        }
                        scan_sorted(drow, r0, bd, bi, below_scalar);
                        continue;
                    }
                    // The buffer, cut back to `keep` when full, which lowers its bound.
                    let (buf, b) = (&mut pool[qi], &mut bound[qi]);
                    visit_below(drow, r0, *b, below_scalar, |d, j| {
                        buf.push((d, j));
                        if buf.len() == 2 * keep {
                            *b = cut_to(buf, keep);
                        }
                        *b
                    });
                }
            }
            for qi in 0..nq {
                let i = q0 + qi;
                let mut cand: Vec<(f32, u32)> = if large {
                    cut_to(&mut pool[qi], keep);
                    std::mem::take(&mut pool[qi])
                } else {
                    best_d[qi * keep..(qi + 1) * keep].iter().copied().zip(best_i[qi * keep..(qi + 1) * keep].iter().copied()).collect()
                };
                cand.retain(|&(_, j)| j != EMPTY && j as usize != i);
                if recheck {
                    for c in &mut cand {
                        c.0 = kernel.reduced(row(i), row(c.1 as usize));
                    }
                }
                let out = qi * k..(qi + 1) * k;
                write_sorted(&mut cand, &mut out_idx[out.clone()], &mut out_dist[out], |r| kernel.finalize(r));
            }
            progress.inc(nq as u64);
            Ok(())
        },
    )?;
    progress.finish_stage();
    KnnGraph::from_parts(n, k, indices, distances)
}
