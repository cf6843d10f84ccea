//! Exact k-nearest neighbours by blocked brute force.
//!
//! Queries are processed in blocks of [`QUERY_BLOCK`] rows against reference blocks of
//! [`REF_BLOCK`] rows, so both stay in cache. For euclidean, squared euclidean, cosine and
//! correlation a block of distances is one small matrix product (`|q|² + |r|² − 2 q·r`, or
//! `1 − q·r` on unit rows, with euclidean rows centred first to keep the norms small); the
//! `k + k/2 + 4` best candidates per query (kept in sorted lists, or, above 256, in selection
//! buffers) are then recomputed with the direct kernel, which removes the cancellation error of the product form before the final
//! sort. Other metrics evaluate the kernel on every pair of the two blocks. A precomputed
//! distance matrix is read row by row.

use crate::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::{EMPTY, KnnGraph, push_sorted, write_sorted};
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
        form: ProductForm,
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
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProductForm {
    /// Direct kernel on every pair.
    None,
    /// `|q|² + |r|² − 2 q·r`.
    SquaredNorms,
    /// `1 − q·r` (rows already unit-normalised).
    OneMinusDot,
}

fn search<K: Kernel>(rows: &[f32], n: usize, d: usize, k: usize, kernel: K, form: ProductForm, progress: &dyn Progress) -> Result<KnnGraph> {
    let gemm = form != ProductForm::None;
    let row = |i: usize| &rows[i * d..(i + 1) * d];
    // Candidates kept per query: k + 1 so the point itself can be dropped, plus a margin for
    // the re-check when distances come from the product form.
    let keep = if gemm { (k + 1 + k / 2 + 4).min(n) } else { (k + 1).min(n) };
    let norms: Vec<f32> =
        if form == ProductForm::SquaredNorms { (0..n).into_par_iter().map(|i| crate::metric::dot(row(i), row(i))).collect() } else { Vec::new() };
    progress.stage("exact kNN", n as u64);
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
                if gemm {
                    let q = MatRef::from_row_major_slice(&rows[q0 * d..(q0 + nq) * d], nq, d);
                    let r = MatRef::from_row_major_slice(&rows[r0 * d..(r0 + nr) * d], nr, d);
                    let out = MatMut::from_row_major_slice_mut(&mut block[..nq * nr], nq, nr);
                    matmul(out, Accum::Replace, q, r.transpose(), 1.0f32, Par::Seq);
                }
                for qi in 0..nq {
                    let qrow = row(q0 + qi);
                    let dist = |rj: usize| match form {
                        ProductForm::None => kernel.reduced(qrow, row(r0 + rj)),
                        ProductForm::OneMinusDot => 1.0 - block[qi * nr + rj],
                        ProductForm::SquaredNorms => norms[q0 + qi] + norms[r0 + rj] - 2.0 * block[qi * nr + rj],
                    };
                    if large {
                        let (buf, b) = (&mut pool[qi], &mut bound[qi]);
                        for rj in 0..nr {
                            let d = dist(rj);
                            if d <= *b {
                                buf.push((d, (r0 + rj) as u32));
                                if buf.len() == 2 * keep {
                                    *b = cut_to(buf, keep);
                                }
                            }
                        }
                        continue;
                    }
                    let (bd, bi) = (&mut best_d[qi * keep..(qi + 1) * keep], &mut best_i[qi * keep..(qi + 1) * keep]);
                    for rj in 0..nr {
                        let d = dist(rj);
                        if d <= bd[keep - 1] {
                            push_sorted(bd, bi, d, (r0 + rj) as u32);
                        }
                    }
                }
            }
            for qi in 0..nq {
                let i = q0 + qi;
                let kept: Vec<u32> = if large {
                    cut_to(&mut pool[qi], keep);
                    pool[qi].iter().map(|&(_, j)| j).collect()
                } else {
                    best_i[qi * keep..(qi + 1) * keep].to_vec()
                };
                let mut cand: Vec<(f32, u32)> =
                    kept.iter().filter(|&&j| j != EMPTY && j as usize != i).map(|&j| (kernel.reduced(row(i), row(j as usize)), j)).collect();
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
