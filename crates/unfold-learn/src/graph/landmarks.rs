//! Landmarks of a kernel graph and the landmark diffusion operator, as graphtools'
//! `LandmarkGraph` builds them for PHATE (Moon et al. 2019, Methods, "landmarking").
//!
//! 1. **Clusters** ([`spectral_clusters`]): the top `n_svd` singular vectors `V` of
//!    `D^-½ K D^-½` (a randomized SVD, Halko et al. 2011, as graphtools' `randomized_svd`), the
//!    rows of `P V` (`P = D⁻¹K`) clustered by k-means into `n_landmark` groups. graphtools runs
//!    scikit-learn's `MiniBatchKMeans`; this is Lloyd's k-means from `n_landmark` distinct
//!    points drawn from the seed, so the clusters are a different partition of the same
//!    features. [`random_clusters`]: `n_landmark` points drawn at random, each point to its
//!    nearest (graphtools' `random_landmarking`). Empty clusters are dropped, as graphtools
//!    keeps only the labels that occur.
//! 2. **Operator** ([`LandmarkOperator::new`]): `P_mn` with row `c` = `Σ_{i∈c} K[i, :]`,
//!    `transitions = rownorm(P_mnᵀ)` (`n × m`) and `landmark_op = rownorm(P_mn) · transitions`
//!    (`m × m`, row-stochastic). Anything computed on the landmarks reaches the points through
//!    `transitions`.

use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::components::breadth_first_order;
use super::csr::SparseGraph;
use super::diffusion::DiffusionOperator;
use crate::error::Result;
use crate::linalg::{DataF64, f32_square_error, lane_sum, matmul, orthonormal_columns, thin_svd};
use crate::rng::{SeedSource, sample_sorted, unit_f64};

/// Power iterations of the randomized SVD (scikit-learn's `n_iter="auto"` for few components).
const POWER_ITERATIONS: usize = 7;
/// Extra columns of the randomized SVD (scikit-learn's `n_oversamples`).
const OVERSAMPLES: usize = 10;
/// k-means rounds at most, wide and narrow (scikit-learn's `KMeans` stops at 300 too).
const KMEANS_ITERATIONS: usize = 300;
/// k-means compares each point with every centre while more than one point in this many changes
/// cluster in a round.
const WIDE_ROUNDS_UNTIL: usize = 20;
/// Then each point compares only the centres that were this many nearest to it.
const NEAR_CENTRES: usize = 16;
/// k-means first converges on this many rows per centre (see [`kmeans_labels`]).
const SAMPLE_PER_CENTRE: usize = 5;
const STAGE_SVD: u64 = 0x6c6d_0001;
const STAGE_CENTRES: u64 = 0x6c6d_0002;
const STAGE_SAMPLE: u64 = 0x6c6d_0003;

/// Rows of `P V` for the top `n_svd` singular vectors `V` of the kernel's symmetric conjugate
/// (see the [module docs](self)): `n × n_svd` row-major.
pub fn spectral_features(kernel: &SparseGraph, n_svd: usize, seed: Option<u64>) -> Result<(Vec<f64>, usize)> {
    let n = kernel.n_points();
    let a = DiffusionOperator::new(kernel, 0.0);
    // The SVD works on the points in breadth-first order, as the Laplacian eigenvectors do
    // (crate::graph::spectral): a point's neighbours sit near it in the blocks, and the sparse
    // products read mostly cached rows (on MNIST's 70,000 points, 0.06 s a product, not 0.12 s).
    let order = breadth_first_order(kernel);
    let op = a.symmetric().clone().permuted(&order);
    let l = (n_svd + OVERSAMPLES).min(n);
    let seeds = SeedSource::new(seed);
    // The start block is drawn per original point, then put in that order.
    let start = |i: usize, c: usize| 2.0 * unit_f64(seeds.value(STAGE_SVD, (i * l + c) as u64)) - 1.0;
    let mut q: Vec<f64> = order.par_iter().flat_map_iter(|&i| (0..l).map(move |c| start(i as usize, c))).collect();
    let mut y = vec![0f64; n * l];
    for _ in 0..=POWER_ITERATIONS {
        op.apply(&q, &mut y, l);
        q = orthonormal_columns(n, &y, l, "landmark spectral clustering")?;
    }
    // B = Qᵀ A; with A symmetric, Bᵀ = A Q = U S Wᵀ and B's right singular vectors are U. With
    // Q₂ an orthonormal basis of A Q and R = Q₂ᵀ A Q (l × l) = U_R S Wᵀ, U = Q₂ U_R: two
    // products and a small SVD, where the SVD of the l × n matrix B took 0.4 s on one thread
    // (70,000 rows).
    const STAGE: &str = "landmark spectral clustering";
    op.apply(&q, &mut y, l);
    let q2 = orthonormal_columns(n, &y, l, STAGE)?;
    let (q2, y) = (MatRef::from_row_major_slice(&q2, n, l), MatRef::from_row_major_slice(&y, n, l));
    let mut r = Mat::<f64>::zeros(l, l);
    matmul(r.as_mut(), Accum::Replace, q2.transpose(), y, 1.0, Par::Seq);
    // R's left singular vectors are the right ones of Rᵀ: U_Rᵀ.
    let (_, u_r_t) = thin_svd(r.as_ref().transpose(), STAGE)?;
    let k = n_svd.min(l);
    let u_r = u_r_t.as_ref().subrows(0, k).transpose();
    // U's first k columns times D^½, n × k row-major, by blocks of rows.
    const BLOCK: usize = 512;
    let root: Vec<f64> = order.iter().map(|&i| a.degree()[i as usize].sqrt()).collect();
    let mut scaled = vec![0f64; n * k];
    scaled.par_chunks_mut(BLOCK * k).enumerate().for_each(|(b, out)| {
        let rows = out.len() / k;
        matmul(MatMut::from_row_major_slice_mut(out, rows, k), Accum::Replace, q2.subrows(b * BLOCK, rows), u_r, 1.0, Par::Seq);
        out.chunks_exact_mut(k).zip(&root[b * BLOCK..]).for_each(|(row, r)| row.iter_mut().for_each(|v| *v *= r));
    });
    // P U = D^-½ A D^½ U: one more product in this order, then each row to its point.
    let mut product = vec![0f64; n * k];
    op.apply(&scaled, &mut product, k);
    let mut features = vec![0f64; n * k];
    for ((row, &i), r) in product.chunks_exact(k).zip(&order).zip(&root) {
        features[i as usize * k..(i as usize + 1) * k].iter_mut().zip(row).for_each(|(f, v)| *f = v / r);
    }
    Ok((features, k))
}

/// Lloyd's k-means of the rows of `x` (`n × dim`) into at most `m` clusters; labels
/// `0 … m' − 1` numbered by first centre, empty clusters dropped.
///
/// The start: with at least `2 ×` [`SAMPLE_PER_CENTRE`] rows per centre, the converged centres
/// of k-means on that many rows per centre drawn from `seed`, itself started from `m` distinct
/// sampled rows; with fewer rows, `m` distinct rows drawn from `seed`. The sample's rounds cost
/// a fraction of a round on all rows, and its centres leave all rows a few rounds from
/// convergence (on MNIST's 70,000 rows: five rounds over every centre instead of nine).
pub fn kmeans_labels(x: &[f64], n: usize, dim: usize, m: usize, seed: Option<u64>) -> Vec<u32> {
    let seeds = SeedSource::new(seed);
    let rows = |x: &[f64], chosen: &[usize]| -> Vec<f64> { chosen.iter().flat_map(|&i| x[i * dim..(i + 1) * dim].iter().copied()).collect() };
    let sample = SAMPLE_PER_CENTRE * m;
    let (centres, settled) = if n >= 2 * sample {
        let x_sample = rows(x, &sample_sorted(n, sample, &seeds, STAGE_SAMPLE));
        let start = rows(&x_sample, &sample_sorted(sample, m, &seeds, STAGE_CENTRES));
        (lloyd(&x_sample, sample, dim, start, false).1, true)
    } else {
        (rows(x, &sample_sorted(n, m, &seeds, STAGE_CENTRES)), false)
    };
    compact(&lloyd(x, n, dim, centres, settled).0)
}

/// Lloyd's rounds from `centres` (`m × dim`) to convergence: each row's label and the final
/// centres (a centre without rows stays where it was). `settled`: the centres converged on a
/// sample, and the narrow rounds start right after the first wide one.
///
/// A wide round compares every point with every centre and keeps, per point, its
/// [`NEAR_CENTRES`] nearest. Once fewer than one point in [`WIDE_ROUNDS_UNTIL`] changes cluster,
/// narrow rounds compare each point only with the centres of its list, and only when one of
/// them has moved since the last round: the few remaining moves happen there, at a few per cent
/// of a wide round's cost (2,000 centres on MNIST). Either round moves a point only to a nearer
/// centre, so the rounds converge. When a narrow round moves nothing, a wide round checks every
/// point against every centre again, and only a wide round that moves nothing ends the loop, as
/// in plain Lloyd's. The clusters' sums are made anew after a wide round and moved by the points
/// that changed cluster after a narrow one (a few dozen points, where summing all rows again
/// took longer than the narrow round itself).
fn lloyd(x: &[f64], n: usize, dim: usize, mut centres: Vec<f64>, settled: bool) -> (Vec<u32>, Vec<f64>) {
    let m = centres.len() / dim;
    let keep = NEAR_CENTRES.min(m);
    let mut labels = vec![u32::MAX; n];
    let (mut lists, mut bounds) = (Vec::new(), Vec::new());
    let (mut narrow, mut changed) = (false, if settled { 0 } else { n });
    let mut moved = vec![0f64; m];
    let (mut sums, mut counts, mut mean) = (vec![0f64; m * dim], vec![0usize; m], vec![0f64; dim]);
    for iteration in 0..KMEANS_ITERATIONS {
        let was = narrow;
        let new = if narrow {
            nearest_in_lists(x, dim, &labels, &centres, &lists, &moved, &mut bounds)
        } else {
            // Lists only when the narrow rounds may start after this one.
            let width = if changed * WIDE_ROUNDS_UNTIL < 2 * n { keep } else { 1 };
            (lists, bounds) = nearest_centres(x, dim, &centres, width);
            lists.chunks_exact(width).map(|l| l[0]).collect()
        };
        changed = new.iter().zip(&labels).filter(|(a, b)| a != b).count();
        if changed == 0 {
            if narrow {
                narrow = false;
                continue;
            }
            break;
        }
        // The clusters' sums anew after a wide round; after a narrow one, moved by the few
        // points that changed cluster.
        let mut touched = vec![!was; m];
        if !was {
            sums.iter_mut().for_each(|s| *s = 0.0);
            counts.iter_mut().for_each(|c| *c = 0);
        }
        for (i, (&c, &old)) in new.iter().zip(&labels).enumerate() {
            if was && c == old {
                continue;
            }
            let row = &x[i * dim..(i + 1) * dim];
            if was {
                counts[old as usize] -= 1;
                sums[old as usize * dim..(old as usize + 1) * dim].iter_mut().zip(row).for_each(|(s, v)| *s -= v);
                (touched[old as usize], touched[c as usize]) = (true, true);
            }
            counts[c as usize] += 1;
            sums[c as usize * dim..(c as usize + 1) * dim].iter_mut().zip(row).for_each(|(s, v)| *s += v);
        }
        labels = new;
        for (c, (centre, moved)) in centres.chunks_exact_mut(dim).zip(&mut moved).enumerate() {
            *moved = 0.0;
            if touched[c] && counts[c] > 0 {
                mean.iter_mut().zip(&sums[c * dim..(c + 1) * dim]).for_each(|(v, s)| *v = s / counts[c] as f64);
                *moved = sq_distance(centre, &mean).sqrt();
                centre.copy_from_slice(&mean);
            }
        }
        narrow |= (changed * WIDE_ROUNDS_UNTIL < n || (settled && iteration == 0)) && keep < m && lists.len() == n * keep;
    }
    (labels, centres)
}

/// Each row of `x` (`n × dim`) to its nearest centre (`m × dim`; ties to the lowest index), and
/// its list of `keep` centres near it for the narrow rounds: `n × keep` row-major, the nearest
/// first. Per row, the distance to the nearest and a lower bound on the distances to the
/// list's others (∞ with one centre).
///
/// The nearest is the one measuring every centre as `‖x − c‖²` in `f64` finds (as the narrow
/// rounds measure), found without measuring every pair that way. Single-precision distances
/// (`‖x‖² + ‖c‖² − 2 x·c` about the centres' mean, the products by a matrix product at twice
/// the double-precision rate) rank the centres; each is within `e = (dim + 9) u (‖x‖² + max
/// ‖c‖²)` of the exact one (`u = 2⁻²⁴`: the sums' bound, the inputs' rounding to `f32` and the
/// combination). Only the centres within `2e` of the smallest can be the nearest, and only
/// they are measured exactly (one or two per row); a row where that many reach past its
/// list measures every centre. The list's others are the next by single-precision distance.
/// On MNIST's 70,000 rows and 2,000 centres a round took 0.3 s, where measuring every pair by a
/// double-precision product took 0.5 s; the labels are the same.
fn nearest_centres(x: &[f64], dim: usize, centres: &[f64], keep: usize) -> (Vec<u32>, Vec<(f64, f64)>) {
    const BLOCK: usize = 128;
    let (n, m) = (x.len() / dim, centres.len() / dim);
    let mut mean = vec![0f64; dim];
    centres.chunks_exact(dim).for_each(|c| mean.iter_mut().zip(c).for_each(|(a, v)| *a += v));
    mean.iter_mut().for_each(|a| *a /= m as f64);
    let shifted = |row: &[f64]| -> Vec<f32> { row.iter().zip(&mean).map(|(&v, &c)| (v - c) as f32).collect() };
    let sq_norm = |row: &[f32]| -> f64 { row.iter().map(|&v| v as f64 * v as f64).sum() };
    let targets: Vec<f32> = centres.chunks_exact(dim).flat_map(shifted).collect();
    let norms: Vec<f32> = targets.chunks_exact(dim).map(|t| sq_norm(t) as f32).collect();
    let widest = norms.iter().fold(0f64, |a, &t| a.max(t as f64));
    let error = f32_square_error(dim);
    let wanted = keep.max(2).min(m);
    let centre = |c: u32| &centres[c as usize * dim..(c as usize + 1) * dim];
    let by_distance = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    let ts = MatRef::from_row_major_slice(&targets, m, dim);
    let mut lists = vec![0u32; n * keep];
    let mut bounds = vec![(0f64, f64::INFINITY); n];
    lists.par_chunks_mut(BLOCK * keep).zip(bounds.par_chunks_mut(BLOCK)).enumerate().for_each_init(
        || (Vec::new(), Vec::new(), Vec::<(f32, u32)>::with_capacity(2 * wanted)),
        |(rows, approx, best), (b, (lists, bounds))| {
            let (first, count) = (b * BLOCK, bounds.len());
            rows.clear();
            x[first * dim..(first + count) * dim].chunks_exact(dim).for_each(|row| rows.extend(shifted(row)));
            approx.resize(count * m, 0f32);
            let xs = MatRef::from_row_major_slice(rows, count, dim);
            matmul(MatMut::from_row_major_slice_mut(approx, count, m), Accum::Replace, xs, ts.transpose(), -2.0f32, Par::Seq);
            for (r, ((row, list), bound)) in approx.chunks_exact_mut(m).zip(lists.chunks_exact_mut(keep)).zip(bounds).enumerate() {
                let own = sq_norm(&rows[r * dim..(r + 1) * dim]);
                smallest(row, &norms, own as f32, wanted, best);
                let e = error * (own + widest);
                let point = &x[(first + r) * dim..(first + r + 1) * dim];
                let near = best[0].0 as f64 + 2.0 * e;
                let exact = |c: u32| (sq_distance(point, centre(c)), c);
                let nearest = if wanted < m && best[wanted - 1].0 as f64 <= near {
                    (0..m as u32).map(exact).min_by(by_distance)
                } else {
                    best.iter().take_while(|&&(a, _)| a as f64 <= near).map(|&(_, c)| exact(c)).min_by(by_distance)
                };
                let (dist, label) = nearest.expect("at least one centre");
                list[0] = label;
                let others = best.iter().filter(|&&(_, c)| c != label);
                list[1..].iter_mut().zip(others.clone()).for_each(|(o, &(_, c))| *o = c);
                let lower = others.map(|&(a, _)| a as f64 - e).next().map_or(f64::INFINITY, |v| v.max(0.0).sqrt());
                *bound = (dist.sqrt(), lower);
            }
        },
    );
    (lists, bounds)
}

/// The `wanted` smallest of `own + norms[c] + row[c]` (`row` holds `−2 x·c`, and those sums
/// after) into `best`, smallest first (ties to the lowest index). Values below the current cut
/// gather in `best` until it holds twice `wanted`, which then keeps its `wanted` smallest and
/// their largest as the cut; a run of 16 values with none below the cut is passed over whole.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn smallest(row: &mut [f32], norms: &[f32], own: f32, wanted: usize, best: &mut Vec<(f32, u32)>) {
    let order = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    row.iter_mut().zip(norms).for_each(|(v, &t)| *v += own + t);
    best.clear();
    let mut cut = f32::INFINITY;
    for (run, values) in row.chunks(16).enumerate() {
        if !values.iter().fold(false, |any, &v| any | (v < cut)) {
            continue;
        }
        for (c, &v) in values.iter().enumerate() {
            if v < cut {
                best.push((v, (run * 16 + c) as u32));
            }
        }
        if best.len() >= 2 * wanted {
            best.select_nth_unstable_by(wanted - 1, order);
            best.truncate(wanted);
            cut = best[wanted - 1].0;
        }
    }
    best.sort_unstable_by(order);
    best.truncate(wanted);
}

/// Each row of `x` to the nearest of the centres on its list (`lists`, row-major; ties to the
/// lowest index), given how far each centre `moved` in the last update. `bounds` holds per row
/// an upper bound on the distance to its own centre and a lower bound on the distance to the
/// list's others (Hamerly 2010, within the list): they grow and shrink by the moves, and a row
/// whose upper bound stays below its lower bound keeps its label unmeasured.
fn nearest_in_lists(x: &[f64], dim: usize, labels: &[u32], centres: &[f64], lists: &[u32], moved: &[f64], bounds: &mut [(f64, f64)]) -> Vec<u32> {
    let keep = lists.len() / labels.len();
    labels
        .par_iter()
        .zip(lists.par_chunks_exact(keep))
        .zip(bounds.par_iter_mut())
        .enumerate()
        .map(|(i, ((&own, list), (upper, lower)))| {
            *upper += moved[own as usize];
            *lower -= list.iter().filter(|&&c| c != own).map(|&c| moved[c as usize]).fold(0.0, f64::max);
            if *upper <= *lower {
                return own;
            }
            let row = &x[i * dim..(i + 1) * dim];
            let (mut best, mut dist, mut next) = (u32::MAX, f64::INFINITY, f64::INFINITY);
            for &c in list {
                let d = sq_distance(row, &centres[c as usize * dim..(c as usize + 1) * dim]);
                if d < dist || (d == dist && c < best) {
                    (next, best, dist) = (dist, c, d);
                } else if d < next {
                    next = d;
                }
            }
            (*upper, *lower) = (dist.sqrt(), next.sqrt());
            best
        })
        .collect()
}

/// `‖a − b‖²`, summed in eight lanes.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn sq_distance(a: &[f64], b: &[f64]) -> f64 {
    lane_sum(a, b, |x, y| (x - y) * (x - y))
}

/// Labels renumbered `0 …` in order of first appearance of their value, as sorted values
/// (np.unique's order): the kept clusters in increasing original label.
fn compact(labels: &[u32]) -> Vec<u32> {
    let mut used: Vec<u32> = labels.to_vec();
    used.sort_unstable();
    used.dedup();
    labels.iter().map(|l| used.binary_search(l).expect("label present") as u32).collect()
}

/// graphtools' random landmarks: `m` rows of `data` drawn from `seed`, each row to its nearest.
pub fn random_clusters(data: &DataF64, m: usize, seed: Option<u64>) -> Vec<u32> {
    let chosen = sample_sorted(data.n_rows(), m, &SeedSource::new(seed), STAGE_CENTRES);
    let centres: Vec<f64> = chosen.iter().flat_map(|&i| data.row(i).iter().copied()).collect();
    compact(&nearest_centres(data.as_slice(), data.n_cols(), &centres, 1).0)
}

/// The landmark operator and transitions of a symmetric kernel and cluster labels (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LandmarkOperator {
    /// Landmarks `m` (distinct labels).
    pub n_landmarks: usize,
    /// `landmark_op`, `m × m` row-major, row-stochastic.
    pub operator: Vec<f64>,
    /// `transitions`, per point its landmarks and weights (summing to 1).
    pub transitions: Vec<Vec<(u32, f64)>>,
    /// The row sums of `P_mn`: `diag(degrees) · landmark_op` is symmetric (a reversible chain).
    pub degrees: Vec<f64>,
}

impl LandmarkOperator {
    /// From the symmetric kernel `kernel` and labels `0 … m − 1` (every label used).
    pub fn new(kernel: &SparseGraph, labels: &[u32]) -> LandmarkOperator {
        let n = kernel.n_points();
        let m = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        // Row j of P_mnᵀ: Σ_{i∈c} K_ij = Σ over j's neighbours i (K symmetric) by label.
        let transitions: Vec<Vec<(u32, f64)>> = (0..n)
            .into_par_iter()
            .map(|j| {
                let (cols, w) = kernel.row(j);
                let mut row: Vec<(u32, f64)> = cols.iter().zip(w).map(|(&i, &w)| (labels[i as usize], w as f64)).collect();
                row.sort_by_key(|&(c, _)| c);
                let mut merged: Vec<(u32, f64)> = Vec::with_capacity(row.len());
                for (c, w) in row {
                    match merged.last_mut() {
                        Some((lc, lw)) if *lc == c => *lw += w,
                        _ => merged.push((c, w)),
                    }
                }
                let total: f64 = merged.iter().map(|&(_, w)| w).sum();
                merged.iter_mut().for_each(|(_, w)| *w /= total);
                merged
            })
            .collect();
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); m];
        for (i, &c) in labels.iter().enumerate() {
            members[c as usize].push(i as u32);
        }
        // Row c of landmark_op: Σ_{i∈c} Σ_j K_ij transitions[j] / Σ_{i∈c} Σ_j K_ij.
        let mut operator = vec![0f64; m * m];
        let mut degrees = vec![0f64; m];
        operator.par_chunks_mut(m.max(1)).zip(&members).zip(&mut degrees).for_each(|((out, group), total)| {
            for &i in group {
                let (cols, w) = kernel.row(i as usize);
                for (&j, &w) in cols.iter().zip(w) {
                    *total += w as f64;
                    for &(c, t) in &transitions[j as usize] {
                        out[c as usize] += w as f64 * t;
                    }
                }
            }
            out.iter_mut().for_each(|v| *v /= *total);
        });
        LandmarkOperator { n_landmarks: m, operator, transitions, degrees }
    }

    /// `transitions · y` for landmark coordinates `y` (`m × k`): `n × k`.
    pub fn interpolate(&self, y: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0f64; self.transitions.len() * k];
        out.par_chunks_mut(k).zip(&self.transitions).for_each(|(o, row)| {
            for &(c, t) in row {
                o.iter_mut().zip(&y[c as usize * k..(c as usize + 1) * k]).for_each(|(o, v)| *o += t * v);
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::normal_f64;

    fn gaussian(seed: u64, p: usize) -> f64 {
        let seeds = SeedSource::new(Some(seed));
        normal_f64(seeds.value(1, 2 * p as u64), seeds.value(1, 2 * p as u64 + 1))
    }

    /// Every row's nearest centre by measuring all of them, ties to the lowest index.
    fn brute_force(x: &[f64], dim: usize, centres: &[f64]) -> Vec<u32> {
        x.chunks_exact(dim)
            .map(|row| {
                let all = centres.chunks_exact(dim).enumerate().map(|(c, t)| (sq_distance(row, t), c as u32));
                all.min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))).unwrap().1
            })
            .collect()
    }

    /// The wide round's nearest centres equal brute force's, with their distances; each list
    /// starts with the nearest and holds distinct centres, all at least the lower bound away.
    fn check(x: &[f64], dim: usize, centres: &[f64], keep: usize) {
        let (lists, bounds) = nearest_centres(x, dim, centres, keep);
        let nearest: Vec<u32> = lists.chunks_exact(keep).map(|l| l[0]).collect();
        assert_eq!(nearest, brute_force(x, dim, centres), "keep {keep}");
        for (i, (list, &(own, lower))) in lists.chunks_exact(keep).zip(&bounds).enumerate() {
            let distance = |c: u32| sq_distance(&x[i * dim..(i + 1) * dim], &centres[c as usize * dim..][..dim]).sqrt();
            assert_eq!(own, distance(list[0]));
            let mut distinct = list.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), keep, "row {i}: {list:?}");
            for &c in &list[1..] {
                assert!(lower <= distance(c), "row {i}: bound {lower} above centre {c} at {}", distance(c));
            }
        }
    }

    #[test]
    fn wide_rounds_find_the_nearest_centre_as_measuring_all_of_them() {
        // Gaussian rows far from the origin (single precision about the centres' mean only),
        // over several blocks.
        let (n, dim, m) = (700, 12, 40);
        let x: Vec<f64> = (0..n * dim).map(|p| 1000.0 + gaussian(1, p)).collect();
        let centres: Vec<f64> = (0..m * dim).map(|p| 1000.0 + gaussian(2, p)).collect();
        for keep in [1, 16] {
            check(&x, dim, &centres, keep);
        }
        // Rows a hair from the centre of 2 × dim centres on a sphere: single precision cannot
        // rank them, and the rows fall back to measuring every centre.
        let centres: Vec<f64> = (0..2 * dim).flat_map(|c| (0..dim).map(move |j| if j == c / 2 { if c % 2 == 0 { 5.0 } else { -5.0 } } else { 0.0 })).collect();
        let x: Vec<f64> = (0..n * dim).map(|p| 1e-9 * gaussian(3, p)).collect();
        check(&x, dim, &centres, 4);
    }
}
