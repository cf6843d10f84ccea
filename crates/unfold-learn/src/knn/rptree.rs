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

/// Splits the node `lo..hi` by the hyperplane `normal · x = offset`, in place: the points on
/// its negative side first, those on it by a coin flip, and returns where the others start.
/// Lomuto's scheme: a point found on the negative side swaps with the first of the others.
/// Each point's side (a dot product summed as [`row_dot`] sums it) is computed as the point is
/// reached, so a split reads its rows once.
#[allow(clippy::too_many_arguments)]
fn partition(rows: &mut [f32], order: &mut [u32], s: usize, lo: usize, hi: usize, normal: &[f32], offset: f32, rng: &mut Stream) -> usize {
    assert!(s <= SKETCH_DIMS && normal.len() >= s && lo <= hi && rows.len() >= hi * s && order.len() >= hi);
    #[cfg(target_arch = "x86_64")]
    if s == SKETCH_DIMS && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is available, checked just above; the sizes are checked above.
        return unsafe { partition_avx512(rows, order, lo, hi, normal, offset, rng) };
    }
    let mut mid = lo;
    for i in lo..hi {
        if goes_left(row_dot(&rows[i * s..(i + 1) * s], normal) - offset, rng) {
            if i != mid {
                order.swap(i, mid);
                let (head, tail) = rows.split_at_mut(i * s);
                head[mid * s..(mid + 1) * s].swap_with_slice(&mut tail[..s]);
            }
            mid += 1;
        }
    }
    mid
}

/// Whether a point at signed distance `side` goes to the first child: the negative side, and a
/// point on the hyperplane by a coin flip (the only draws of a split, so they come in order).
#[inline(always)]
fn goes_left(side: f32, rng: &mut Stream) -> bool {
    side < 0.0 || (side == 0.0 && rng.next_u64() & 1 == 0)
}

/// The dot product of a sketch row (at most [`SKETCH_DIMS`] = 24 columns) with `normal`, in a
/// fixed order that [`partition_avx512`] follows lane for lane, so that a tree is the same on
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

/// [`partition`] in AVX-512 vectors for rows of [`SKETCH_DIMS`] = 24 values, with the same
/// result. A row is one 16-lane vector and one 8-lane vector; its dot product is reduced by
/// halves as in [`row_dot`], and the swap is made without a branch: both rows are stored back,
/// each blended by the side. Summed through accumulator arrays (which went through the stack),
/// the projections took about 50 cycles a row, and the partition's branch on a point's side,
/// as random as the side, mispredicted on half the points: together most of the trees' time.
/// (Masked loads and stores, for other widths, were slower than the branches: a row stored
/// masked is not forwarded to the next point's load of it.)
///
/// # Safety
/// AVX-512F must be available; `normal` holds at least 24 values, `rows` at least `hi · 24`
/// and `order` at least `hi`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn partition_avx512(rows: &mut [f32], order: &mut [u32], lo: usize, hi: usize, normal: &[f32], offset: f32, rng: &mut Stream) -> usize {
    use std::arch::x86_64::*;
    const S: usize = SKETCH_DIMS;
    let base = rows.as_mut_ptr();
    // SAFETY (all blocks below): the loads and stores touch values `0..24` of `normal` and of
    // rows `i, mid < hi`, inside the slices (the caller's contract).
    let load = |p: *const f32| unsafe { (_mm512_loadu_ps(p), _mm512_zextps256_ps512(_mm256_loadu_ps(p.add(16)))) };
    let (n_head, n_tail) = load(normal.as_ptr());
    let mut mid = lo;
    for i in lo..hi {
        let (ri, rm) = unsafe { (base.add(i * S), base.add(mid * S)) };
        let (xh, xt) = load(ri);
        // Lanes 0..8 gain products 16..24; lanes 8..16 stay as they are.
        let p = _mm512_mul_ps(xh, n_head);
        let t = _mm512_mask_add_ps(p, 0x00FF, p, _mm512_mul_ps(xt, n_tail));
        let u = _mm256_add_ps(_mm512_castps512_ps256(t), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(t))));
        let v = _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps::<1>(u));
        let w = _mm_add_ps(v, _mm_movehl_ps(v, v));
        let left = goes_left(_mm_cvtss_f32(_mm_add_ss(w, _mm_shuffle_ps::<1>(w, w))) - offset, rng);
        // Row `i` takes row `mid`'s values and row `mid` row `i`'s when the point goes left.
        let swap = (left as u16).wrapping_neg();
        let (yh, yt) = load(rm);
        unsafe {
            _mm512_storeu_ps(ri, _mm512_mask_blend_ps(swap, xh, yh));
            _mm256_storeu_ps(ri.add(16), _mm512_castps512_ps256(_mm512_mask_blend_ps(swap, xt, yt)));
            _mm512_storeu_ps(rm, _mm512_mask_blend_ps(swap, yh, xh));
            _mm256_storeu_ps(rm.add(16), _mm512_castps512_ps256(_mm512_mask_blend_ps(swap, yt, xt)));
        }
        let (oi, om) = (order[i], order[mid]);
        order[i] = if left { om } else { oi };
        order[mid] = if left { oi } else { om };
        mid += left as usize;
    }
    mid
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
        let mut mid = partition(&mut rows, &mut order, s, lo, hi, &normal, offset, &mut rng);
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
    fn splits_follow_the_portable_order_and_the_exact_dot() {
        // Every sketch width, rows of mixed scale and rows on the hyperplane: the dispatched
        // split (AVX-512 for 24 columns where the machine has it) moves the points and rows
        // exactly as the classic one (all sides first, then Lomuto's swaps), with the same coin
        // flips, and the portable dot product is close to the exact one.
        let seeds = SeedSource::new(Some(5));
        let mut rng = seeds.stream(0, 0);
        for (s, on_plane) in (1..=SKETCH_DIMS).flat_map(|s| [(s, false), (s, true)]) {
            let n = 61;
            let mut draw = |on_plane: bool| {
                let x = normal_f64(rng.next_u64(), rng.next_u64()) * 10f64.powi((rng.next_u64() % 5) as i32 - 2);
                if on_plane { (x * 4.0).round() as f32 } else { x as f32 }
            };
            // On the plane: integer rows and normal, offset 0, and some rows exactly on it.
            let mut rows: Vec<f32> = (0..n * s).map(|_| draw(on_plane)).collect();
            if on_plane {
                // Every third row's last value cancels the rest: exactly on the hyperplane.
                for row in rows.chunks_exact_mut(s).step_by(3) {
                    row[s - 1] = -row[..s - 1].iter().sum::<f32>();
                }
            }
            let normal: Vec<f32> = (0..s).map(|_| if on_plane { 1.0 } else { draw(false) }).collect();
            let offset = if on_plane { 0.0 } else { 0.25 };
            let (lo, hi) = (3, n - 2);

            let sides: Vec<f32> = rows.chunks_exact(s).map(|row| row_dot(row, &normal) - offset).collect();
            for (row, &side) in rows.chunks_exact(s).zip(&sides) {
                let exact: f64 = row.iter().zip(&normal).map(|(&x, &y)| x as f64 * y as f64).sum::<f64>() - offset as f64;
                let scale: f64 = row.iter().zip(&normal).map(|(&x, &y)| (x as f64 * y as f64).abs()).sum::<f64>() + offset as f64;
                assert!((side as f64 - exact).abs() <= 1e-6 * scale, "s = {s}: {side} against {exact}");
            }
            let (mut want_rows, mut want_order, mut want_sides) = (rows.clone(), (0..n as u32).collect::<Vec<_>>(), sides.clone());
            let mut coins = seeds.stream(1, (2 * s + on_plane as usize) as u64);
            let mut want_mid = lo;
            for i in lo..hi {
                if want_sides[i] < 0.0 || (want_sides[i] == 0.0 && coins.next_u64() & 1 == 0) {
                    want_order.swap(i, want_mid);
                    want_sides.swap(i, want_mid);
                    for j in 0..s {
                        want_rows.swap(i * s + j, want_mid * s + j);
                    }
                    want_mid += 1;
                }
            }
            if on_plane {
                assert!(sides[lo..hi].contains(&0.0), "s = {s}: no point on the hyperplane");
            }

            let (mut got_rows, mut got_order) = (rows.clone(), (0..n as u32).collect::<Vec<_>>());
            let mid = partition(&mut got_rows, &mut got_order, s, lo, hi, &normal, offset, &mut seeds.stream(1, (2 * s + on_plane as usize) as u64));
            assert_eq!(mid, want_mid, "s = {s}");
            assert_eq!(got_order, want_order, "s = {s}");
            assert!(got_rows.iter().zip(&want_rows).all(|(a, b)| a.to_bits() == b.to_bits()), "s = {s}");
        }
    }
}
