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
use crate::metric::dot_inline;
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

/// `side[i]`, the signed distance of each sketch row `i` of `rows` (`s` columns) to the
/// hyperplane `normal · x = offset` (up to the norm of `normal`). One call per node, with the
/// dot products inlined: called row by row, the dispatch of the vectorised `dot` cost more than
/// its 24 terms.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn project(rows: &[f32], s: usize, normal: &[f32], offset: f32, side: &mut [f32]) {
    for (row, out) in rows.chunks_exact(s).zip(side.iter_mut()) {
        *out = dot_inline(row, normal) - offset;
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
