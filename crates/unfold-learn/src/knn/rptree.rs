//! Random-projection trees for NN-descent's first graph.
//!
//! Trees split on a low-dimensional Gaussian sketch of the data (`S = X R`, `R` of shape
//! `d × s` with `s ≤` [`SKETCH_DIMS`]): each split takes two random points of the node and
//! cuts by the hyperplane halfway between them, as pynndescent's euclidean trees do. Splitting
//! on the sketch instead of the full rows makes a tree cost `O(n s log n)` instead of
//! `O(n d log n)`; the leaves only propose candidates, and every distance is later computed on
//! the full rows.

use crate::linalg::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand_xoshiro::rand_core::Rng;
use rayon::prelude::*;

use crate::data::SparseData;
use crate::rng::{SeedSource, Stream, below, normal_f64};

/// Columns of the sketch the trees split on.
pub const SKETCH_DIMS: usize = 24;

/// A tree as a permutation of the points whose consecutive runs are the leaves.
pub(crate) struct Tree {
    /// Points in leaf order.
    pub order: Vec<u32>,
    /// Leaf `l` is `order[offsets[l]..offsets[l + 1]]`.
    pub offsets: Vec<u32>,
}

/// The sketch `X R` (`n × s`, row-major). Returns the rows themselves when `d ≤ s`.
pub(crate) fn sketch(rows: &[f32], n: usize, d: usize, seeds: &SeedSource, stage: u64) -> (Vec<f32>, usize) {
    if d <= SKETCH_DIMS {
        return (rows.to_vec(), d);
    }
    let s = SKETCH_DIMS;
    let r = Mat::<f32>::from_fn(d, s, |i, j| projection_entry(seeds, stage, i, j));
    let mut out = vec![0f32; n * s];
    const BLOCK: usize = 2048;
    out.par_chunks_mut(BLOCK * s).enumerate().for_each(|(b, chunk)| {
        let nb = chunk.len() / s;
        let x = MatRef::from_row_major_slice(&rows[b * BLOCK * d..(b * BLOCK + nb) * d], nb, d);
        let y = MatMut::from_row_major_slice_mut(chunk, nb, s);
        matmul(y, Accum::Replace, x, r.as_ref(), 1.0f32, Par::Seq);
    });
    (out, s)
}

/// Entry `(i, j)` of the sketch's `d × s` Gaussian projection.
fn projection_entry(seeds: &SeedSource, stage: u64, i: usize, j: usize) -> f32 {
    let at = (i * SKETCH_DIMS + j) as u64 * 2;
    normal_f64(seeds.value(stage, at), seeds.value(stage, at + 1)) as f32
}

/// The sketch of sparse rows under the same projection as [`sketch`] (the rows themselves,
/// densified, when `d ≤ s`): each row's stored values times the projection's rows.
pub(crate) fn sparse_sketch(x: &SparseData, seeds: &SeedSource, stage: u64) -> (Vec<f32>, usize) {
    let (n, d) = (x.n_rows(), x.n_cols());
    if d <= SKETCH_DIMS {
        return (x.to_dense().into_vec(), d);
    }
    let s = SKETCH_DIMS;
    let mut r = vec![0f32; d * s];
    r.par_chunks_mut(s).enumerate().for_each(|(i, row)| row.iter_mut().enumerate().for_each(|(j, v)| *v = projection_entry(seeds, stage, i, j)));
    let mut out = vec![0f32; n * s];
    out.par_chunks_mut(s).enumerate().for_each(|(i, dst)| {
        let (cols, vals) = x.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            dst.iter_mut().zip(&r[c as usize * s..(c as usize + 1) * s]).for_each(|(o, &p)| *o += v * p);
        }
    });
    (out, s)
}

/// `side[i]`, the signed distance of each sketch row `i` of `rows` (`s ≤` [`SKETCH_DIMS`]
/// columns) to the hyperplane `normal · x = offset` (up to the norm of `normal`), each dot
/// product summed as [`row_dot`] sums it. One call per node.
fn project(rows: &[f32], s: usize, normal: &[f32], offset: f32, side: &mut [f32]) {
    assert!(s <= SKETCH_DIMS && normal.len() >= s && rows.len() >= side.len() * s);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is available, checked just above; the sizes are checked above.
        return unsafe { project_avx512(rows, s, normal, offset, side) };
    }
    for (row, out) in rows.chunks_exact(s).zip(side.iter_mut()) {
        *out = row_dot(row, normal) - offset;
    }
}

/// The dot product of a sketch row (at most [`SKETCH_DIMS`] = 24 columns) with `normal`, in a
/// fixed order that [`project_avx512`] follows lane for lane, so that a tree is the same on
/// every machine: products `j` and `j + 16` added, then the 16 sums halved three times (lane
/// `l` plus lane `l + 8`, then `l + 4`, then `l + 2`) and the last two added.
#[inline]
fn row_dot(row: &[f32], normal: &[f32]) -> f32 {
    let mut t = [0f32; 16];
    for (j, (&x, &y)) in row.iter().zip(normal).enumerate() {
        if j < 16 { t[j] = x * y } else { t[j - 16] += x * y }
    }
    for width in [8, 4, 2, 1] {
        for l in 0..width {
            t[l] += t[l + width];
        }
    }
    t[0]
}

/// [`project`] in AVX-512 vectors: a row is one 16-lane product and one of the rest, and
/// its sum is reduced by halves as in [`row_dot`], with the same result. Summed through
/// accumulator arrays, a row took about 50 cycles (the arrays went through the stack), and the
/// projections were half of the trees' time.
///
/// # Safety
/// AVX-512F must be available; `s ≤ 24`, `normal` holds at least `s` values and `rows` at
/// least `side.len() · s`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn project_avx512(rows: &[f32], s: usize, normal: &[f32], offset: f32, side: &mut [f32]) {
    use std::arch::x86_64::*;
    let head: __mmask16 = if s >= 16 { 0xFFFF } else { (1u16 << s) - 1 };
    let tail: __mmask16 = if s > 16 { (1u16 << (s - 16)) - 1 } else { 0 };
    // SAFETY (all blocks below): the masked loads read lanes below `s` of `normal` and of row
    // `i < side.len()` only, inside the slices (the caller's contract).
    let (n_head, n_tail) = unsafe { (_mm512_maskz_loadu_ps(head, normal.as_ptr()), _mm512_maskz_loadu_ps(tail, normal.as_ptr().wrapping_add(16))) };
    for (i, out) in side.iter_mut().enumerate() {
        let row = rows.as_ptr().wrapping_add(i * s);
        let (p, q) = unsafe { (_mm512_maskz_loadu_ps(head, row), _mm512_maskz_loadu_ps(tail, row.wrapping_add(16))) };
        let (p, q) = (_mm512_mul_ps(p, n_head), _mm512_mul_ps(q, n_tail));
        // Lanes 0..8 gain products 16..24; lanes 8..16 stay as they are.
        let t = _mm512_mask_add_ps(p, 0x00FF, p, q);
        let u = _mm256_add_ps(_mm512_castps512_ps256(t), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(t))));
        let v = _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps::<1>(u));
        let w = _mm_add_ps(v, _mm_movehl_ps(v, v));
        let r = _mm_add_ss(w, _mm_shuffle_ps::<1>(w, w));
        *out = _mm_cvtss_f32(r) - offset;
    }
}

/// Builds one tree over the sketch with leaves of at most `leaf_size` points.
///
/// The tree keeps its own copy of the sketch and moves the rows with the points, so that every
/// node's rows are contiguous and each split reads them in order. Reading them through the
/// point ids instead, every split past the first scattered its reads over the whole sketch: on
/// 1M points (a 96 MB sketch, beyond the last-level cache) the trees took 50 times as long as
/// on 100k points. The splits, and so the tree, are the same either way.
pub(crate) fn build_tree(sketch: &[f32], s: usize, n: usize, leaf_size: usize, mut rng: Stream) -> Tree {
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut rows = sketch.to_vec();
    let mut offsets = vec![0u32];
    // `side[i]` belongs to position `i`, and moves with it.
    let mut side = vec![0f32; n];
    let mut normal = vec![0f32; s];
    // Depth-first, left child first, so leaves come out in a spatially coherent order.
    let mut stack = vec![(0usize, n)];
    while let Some((lo, hi)) = stack.pop() {
        if hi - lo <= leaf_size {
            offsets.push(hi as u32);
            continue;
        }
        let len = hi - lo;
        let a = lo + below(rng.next_u64(), len);
        let mut b = lo + below(rng.next_u64(), len - 1);
        if b == a {
            b = hi - 1;
        }
        let (ra, rb) = (&rows[a * s..(a + 1) * s], &rows[b * s..(b + 1) * s]);
        let mut offset = 0f32;
        for j in 0..s {
            normal[j] = ra[j] - rb[j];
            offset += normal[j] * (ra[j] + rb[j]) * 0.5;
        }
        project(&rows[lo * s..hi * s], s, &normal, offset, &mut side[lo..hi]);
        // Partition: negative side first. Points on the hyperplane go by a coin flip.
        let mut mid = lo;
        for i in lo..hi {
            let left = side[i] < 0.0 || (side[i] == 0.0 && rng.next_u64() & 1 == 0);
            if left {
                if i != mid {
                    order.swap(i, mid);
                    side.swap(i, mid);
                    let (head, tail) = rows.split_at_mut(i * s);
                    head[mid * s..(mid + 1) * s].swap_with_slice(&mut tail[..s]);
                }
                mid += 1;
            }
        }
        if mid == lo || mid == hi {
            // Degenerate split (duplicates or a useless hyperplane): halve the node.
            mid = lo + len / 2;
        }
        stack.push((mid, hi));
        stack.push((lo, mid));
    }
    Tree { order, offsets }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projections_follow_the_portable_order_and_the_exact_dot() {
        // Every sketch width, rows of mixed scale: the dispatched projection (AVX-512 where the
        // machine has it) equals the portable order bit for bit, and the exact dot closely.
        let mut rng = SeedSource::new(Some(5)).stream(0, 0);
        for s in 1..=SKETCH_DIMS {
            let n = 37;
            let draw = |rng: &mut Stream| (normal_f64(rng.next_u64(), rng.next_u64()) * 10f64.powi((rng.next_u64() % 5) as i32 - 2)) as f32;
            let rows: Vec<f32> = (0..n * s).map(|_| draw(&mut rng)).collect();
            let normal: Vec<f32> = (0..s).map(|_| draw(&mut rng)).collect();
            let mut side = vec![0f32; n];
            project(&rows, s, &normal, 0.25, &mut side);
            for (i, (&got, row)) in side.iter().zip(rows.chunks_exact(s)).enumerate() {
                assert_eq!(got.to_bits(), (row_dot(row, &normal) - 0.25).to_bits(), "s = {s}, row {i}");
                let exact: f64 = row.iter().zip(&normal).map(|(&x, &y)| x as f64 * y as f64).sum::<f64>() - 0.25;
                let scale: f64 = row.iter().zip(&normal).map(|(&x, &y)| (x as f64 * y as f64).abs()).sum::<f64>() + 0.25;
                assert!((got as f64 - exact).abs() <= 1e-6 * scale, "s = {s}, row {i}: {got} against {exact}");
            }
        }
    }
}
