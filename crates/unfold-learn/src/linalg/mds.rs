//! Multidimensional scaling on a dense dissimilarity matrix `Δ` (`n × n`, row-major `f64`,
//! symmetric with a zero diagonal): the pieces MDS, Isomap and PHATE share.
//!
//! * [`euclidean_dissimilarities`]: `Δ_ij = ‖x_i − x_j‖` in `f64`, from centred rows by one
//!   matrix product per block of rows (the diagonal exactly 0, the matrix exactly symmetric).
//! * [`double_centre`] and [`classical_mds`]: Torgerson's classical scaling (Torgerson 1952;
//!   Gower 1966). `B = −½ J Δ² J` with `J = I − 11ᵀ/n`; the embedding is `U_k Λ_k^½` for the `k`
//!   largest eigenpairs of `B`. When `Δ` is not euclidean, `B` has negative eigenvalues; as in the
//!   textbook treatment (Cox & Cox, *Multidimensional Scaling*, 2nd ed., §2.2.5; Borg & Groenen
//!   §12.2), only positive eigenvalues give coordinates: a component whose eigenvalue is not
//!   positive is 0 (scikit-learn's `ClassicalMDS` takes `√λ` and returns NaN there). The
//!   eigenvalues are returned as computed, for the caller to report. Signs follow scikit-learn's
//!   `svd_flip`: the entry of largest magnitude in each column is positive.
//! * [`Smacof`]: stress majorization (de Leeuw 1977; Borg & Groenen ch. 8), metric and
//!   non-metric, step for step as scikit-learn 1.9's `_smacof_single`:
//!   1. disparities `Δ̂`: metric, `Δ` itself; non-metric, at the first iteration `Δ`, later the
//!      isotonic regression of the current distances on `Δ` (Kruskal 1964; pairs with `Δ_ij = 0`
//!      are missing and get disparity 0; ties in `Δ` share one value, scikit-learn's
//!      `IsotonicRegression`), scaled so that `Σ_{i<j} Δ̂² = n(n−1)/2`;
//!   2. the Guttman transform `X ← B(X) X / n`, `B_ij = −Δ̂_ij / d_ij` (`d_ij = 0` read as `1e-5`),
//!      `B_ii = −Σ_{j≠i} B_ij`;
//!   3. the stress `σ = Σ_{i<j} (d_ij − Δ̂_ij)²` at the new configuration;
//!   4. stop when `(σ_old − σ) / Σ_{i<j} d_ij² < eps`.
//!
//!   The reported stress is `σ`, or Kruskal's Stress-1 `√(σ / Σ_{i<j} d²)` when normalised.
//! * [`LandmarkMds`]: landmark MDS (de Silva & Tenenbaum 2004), classical MDS of a few landmarks
//!   and the triangulation of every other point from its distances to them; with every point a
//!   landmark, kernel PCA's projection of new points (Isomap's `transform`).
//!
//! Every pass over the pairs runs in parallel over rows, each row summed in column order by one
//! task, and the per-row sums are added in row order: results are identical at any thread
//! count. For metric MDS one pass per iteration computes the stress of the current configuration
//! and its Guttman transform together; distances are computed on the fly, never stored.

use crate::linalg::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::lobpcg::{LobpcgOptions, lobpcg_largest};
use super::{Rows, column_means, max_abs_deviation, pow2_scale, symmetric_eigen};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng::{SeedSource, unit_f64};

/// Rows per task of the pairwise passes.
const ROWS_PER_TASK: usize = 16;
/// Rows per block of the distance product.
const DISTANCE_BLOCK: usize = 64;
/// Up to this many points, classical MDS uses a full dense eigendecomposition; above, LOBPCG
/// for the top eigenpairs (with the dense solver as fallback).
pub const DENSE_EIGEN_MAX: usize = 1500;
/// What scikit-learn's Guttman transform reads a zero distance as.
const ZERO_DISTANCE: f64 = 1e-5;
/// scikit-learn's `IsotonicRegression` merges sorted inputs closer than float64's resolution.
const TIE_RESOLUTION: f64 = 1e-15;

/// Pairwise euclidean distances of the rows of `data`, `n × n` row-major `f64`.
///
/// The rows are centred and scaled by a power of two in `f64`, `‖x_i − x_j‖² = ‖x_i‖² + ‖x_j‖² −
/// 2 x_i·x_j` is computed one block of rows at a time (negative rounding clipped to 0), and the
/// upper triangle is copied to the lower one, so the result is exactly symmetric with a zero
/// diagonal and identical at any thread count.
///
/// ```
/// use unfold_learn::linalg::{DataF64, mds::euclidean_dissimilarities};
/// let x = DataF64::from_row_major(&[0.0, 0.0, 3.0, 4.0, 6.0, 8.0], 3, 2)?;
/// let d = euclidean_dissimilarities(&x);
/// assert!((d[1] - 5.0).abs() < 1e-12 && (d[2] - 10.0).abs() < 1e-12 && d[4] == 0.0 && d[3] == d[1]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn euclidean_dissimilarities<R: Rows + ?Sized>(data: &R) -> Vec<f64> {
    let (n, dim) = (data.n_rows(), data.n_cols());
    let mean = column_means(data);
    let scale = pow2_scale(max_abs_deviation(data, &mean));
    let mut centred = vec![0f64; n * dim];
    centred.par_chunks_mut(dim.max(1)).enumerate().for_each(|(i, row)| {
        for ((v, &x), &m) in row.iter_mut().zip(data.row(i)).zip(&mean) {
            *v = (x.into() - m) * scale;
        }
    });
    let norms: Vec<f64> = centred.chunks(dim.max(1)).map(|r| r.iter().map(|v| v * v).sum()).collect();
    let all = MatRef::from_row_major_slice(&centred, n, dim);
    let mut out = vec![0f64; n * n];
    out.par_chunks_mut(DISTANCE_BLOCK * n.max(1)).enumerate().for_each(|(b, block)| {
        let first = b * DISTANCE_BLOCK;
        let rows = block.len() / n;
        let xs = MatRef::from_row_major_slice(&centred[first * dim..(first + rows) * dim], rows, dim);
        matmul(MatMut::from_row_major_slice_mut(block, rows, n), Accum::Replace, xs, all.transpose(), -2.0, Par::Seq);
        for (r, row) in block.chunks_exact_mut(n).enumerate() {
            let i = first + r;
            for (j, v) in row.iter_mut().enumerate() {
                *v = if i == j { 0.0 } else { (norms[i] + norms[j] + *v).max(0.0).sqrt() / scale };
            }
        }
    });
    for i in 0..n {
        for j in i + 1..n {
            out[j * n + i] = out[i * n + j];
        }
    }
    out
}

/// Euclidean distances from any rows to `m` fixed target rows (landmarks), in `f64`, a block of
/// rows at a time: the targets are centred on their mean and scaled by a power of two once, each
/// block of rows the same way, and `‖x − t‖² = ‖x‖² + ‖t‖² − 2 x·t` comes from one matrix product
/// (negative rounding clipped to 0). No `n × m` matrix is held.
pub struct DistancesTo {
    mean: Vec<f64>,
    scale: f64,
    /// The targets, centred and scaled, `m × dim` row-major.
    targets: Vec<f64>,
    /// Their squared norms.
    norms: Vec<f64>,
    m: usize,
}

impl DistancesTo {
    /// Prepares distances to `targets` (`m × dim` rows, finite).
    pub fn new<R: Rows + ?Sized>(targets: &R) -> DistancesTo {
        let (m, dim) = (targets.n_rows(), targets.n_cols());
        let mean = column_means(targets);
        let scale = pow2_scale(max_abs_deviation(targets, &mean));
        let centred: Vec<f64> = (0..m).flat_map(|i| targets.row(i).iter().zip(&mean).map(|(&x, &c)| (x.into() - c) * scale).collect::<Vec<_>>()).collect();
        let norms = centred.chunks(dim.max(1)).map(|r| r.iter().map(|v| v * v).sum()).collect();
        DistancesTo { mean, scale, targets: centred, norms, m }
    }

    /// The targets.
    pub fn n_targets(&self) -> usize {
        self.m
    }

    /// Distances from rows `first..first + count` of `data` to the targets into `out`
    /// (`count × m` row-major); `scratch` is reused between calls.
    pub fn block<R: Rows + ?Sized>(&self, data: &R, first: usize, count: usize, scratch: &mut Vec<f64>, out: &mut [f64]) {
        let (m, dim) = (self.m, self.mean.len());
        debug_assert_eq!(out.len(), count * m);
        scratch.clear();
        for i in first..first + count {
            scratch.extend(data.row(i).iter().zip(&self.mean).map(|(&x, &c)| (x.into() - c) * self.scale));
        }
        let xs = MatRef::from_row_major_slice(scratch, count, dim);
        let ts = MatRef::from_row_major_slice(&self.targets, m, dim);
        matmul(MatMut::from_row_major_slice_mut(out, count, m), Accum::Replace, xs, ts.transpose(), -2.0, Par::Seq);
        for (r, row) in out.chunks_exact_mut(m.max(1)).enumerate() {
            let own: f64 = scratch[r * dim..(r + 1) * dim].iter().map(|v| v * v).sum();
            for (v, &t) in row.iter_mut().zip(&self.norms) {
                *v = (own + t + *v).max(0.0).sqrt() / self.scale;
            }
        }
    }
}

/// `B = −½ J (Δ∘Δ) J` in place of `Δ` (`n × n`), `J = I − 11ᵀ/n`: squares, then subtracts column
/// means and row means as scikit-learn's `ClassicalMDS` does (for symmetric `Δ` this is the
/// symmetric double centring). PHATE's variant (no `−½`) is this times `−2`.
pub fn double_centre(d: &mut [f64], n: usize) {
    d.par_iter_mut().for_each(|v| *v *= *v);
    // Column means, summed in row order.
    let mut col = vec![0f64; n];
    for row in d.chunks_exact(n) {
        for (c, v) in col.iter_mut().zip(row) {
            *c += v;
        }
    }
    col.iter_mut().for_each(|c| *c /= n as f64);
    d.par_chunks_mut(n).for_each(|row| {
        row.iter_mut().zip(&col).for_each(|(v, c)| *v -= c);
        let mean = row.iter().sum::<f64>() / n as f64;
        row.iter_mut().for_each(|v| *v = -0.5 * (*v - mean));
    });
}

/// A classical MDS embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassicalMds {
    /// `n × k` row-major: `U_k max(Λ_k, 0)^½`.
    pub embedding: Vec<f64>,
    /// The `k` largest eigenvalues of `B`, descending, as computed (negative ones included).
    pub eigenvalues: Vec<f64>,
}

/// The `k` largest eigenpairs of a symmetric `n × n` matrix `b` (row-major): eigenvalues
/// descending and eigenvectors `n × k` row-major, each column's largest-magnitude entry positive.
/// Dense for `n ≤` [`DENSE_EIGEN_MAX`], else LOBPCG on `b / ‖b‖_F` (falling back to dense).
///
/// # Errors
/// [`Error::Numerical`] naming `stage` if the dense eigendecomposition fails.
pub fn top_eigenpairs(b: &[f64], n: usize, k: usize, stage: &'static str) -> Result<(Vec<f64>, Vec<f64>)> {
    let k = k.min(n);
    let lobpcg = if n > DENSE_EIGEN_MAX { top_eigenpairs_lobpcg(b, n, k, stage) } else { None };
    let (values, mut vectors) = match lobpcg {
        Some(found) => found,
        None => {
            let m = MatRef::from_row_major_slice(b, n, n);
            let (values, vectors) = symmetric_eigen(m, stage)?;
            let v: Vec<f64> = (0..n).flat_map(|i| (0..k).map(move |c| (i, c))).map(|(i, c)| vectors[(i, c)]).collect();
            (values[..k].to_vec(), v)
        }
    };
    svd_flip_columns(&mut vectors, n, k);
    Ok((values, vectors))
}

/// scikit-learn's `svd_flip(u, v=None)` on the columns of `vectors` (`n × k` row-major): the
/// first entry of largest magnitude in each column becomes positive.
pub fn svd_flip_columns(vectors: &mut [f64], n: usize, k: usize) {
    for c in 0..k {
        let mut best = 0;
        for i in 0..n {
            if vectors[i * k + c].abs() > vectors[best * k + c].abs() {
                best = i;
            }
        }
        if vectors[best * k + c] < 0.0 {
            (0..n).for_each(|i| vectors[i * k + c] = -vectors[i * k + c]);
        }
    }
}

/// LOBPCG for the top `k` eigenpairs of `b`, or `None` if it does not converge.
fn top_eigenpairs_lobpcg(b: &[f64], n: usize, k: usize, stage: &'static str) -> Option<(Vec<f64>, Vec<f64>)> {
    let norm = b.par_chunks(n).map(|r| r.iter().map(|v| v * v).sum::<f64>()).collect::<Vec<_>>().iter().sum::<f64>().sqrt();
    if norm == 0.0 {
        return None;
    }
    let m = (k + 8).min(n);
    let seeds = SeedSource::new(Some(0x6d64_735f_6c6f_6270));
    let x0: Vec<f64> = (0..n * m).map(|u| unit_f64(seeds.value(1, u as u64)) - 0.5).collect();
    let apply = |x: &[f64], y: &mut [f64], cols: usize| {
        y.par_chunks_mut(cols * ROWS_PER_TASK).enumerate().for_each(|(t, out)| {
            let first = t * ROWS_PER_TASK;
            let rows = out.len() / cols;
            let bs = MatRef::from_row_major_slice(&b[first * n..(first + rows) * n], rows, n);
            let xs = MatRef::from_row_major_slice(x, n, cols);
            matmul(MatMut::from_row_major_slice_mut(out, rows, cols), Accum::Replace, bs, xs, 1.0 / norm, Par::Seq);
        });
    };
    let options = LobpcgOptions { tol: 1e-9, max_iter: 2000 };
    let found = lobpcg_largest(n, &apply, x0, k, None, &options, stage).ok()?;
    Some((found.values.iter().map(|v| v * norm).collect(), found.vectors))
}

/// Classical (Torgerson) MDS of the dissimilarities `d` (`n × n`) into `k` dimensions.
///
/// # Errors
/// [`Error::Numerical`] if the eigendecomposition fails.
pub fn classical_mds(d: &[f64], n: usize, k: usize) -> Result<ClassicalMds> {
    let mut b = d.to_vec();
    double_centre(&mut b, n);
    let (eigenvalues, vectors) = top_eigenpairs(&b, n, k, "classical MDS eigendecomposition")?;
    drop(b);
    let kk = eigenvalues.len();
    let roots: Vec<f64> = eigenvalues.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let mut embedding = vec![0f64; n * k];
    for i in 0..n {
        for c in 0..kk {
            embedding[i * k + c] = vectors[i * kk + c] * roots[c];
        }
    }
    Ok(ClassicalMds { embedding, eigenvalues })
}

/// Landmark MDS (de Silva & Tenenbaum, "Sparse multidimensional scaling using landmark
/// points", 2004): classical MDS of the `m × m` distances among `m` landmarks, then every point
/// placed ("triangulated") from its squared distances `δ` to the landmarks,
///
/// `x_c = −½ Σ_l v_lc / √λ_c · (δ_l − μ_l)`, with `μ_l` the mean squared distance from landmark
/// `l` to the landmarks,
///
/// for the `k` largest eigenpairs `(λ_c, v_c)` of `B = −½ J Δ² J` (components of eigenvalue ≤ 0
/// give 0). A landmark is placed at its classical MDS coordinates `√λ_c v_lc`. With every point
/// a landmark this is kernel PCA's projection of a new point on a precomputed kernel `−½ Δ²`
/// (scikit-learn's `KernelPCA.transform` after `KernelCenterer`), which is how Isomap's
/// `transform` uses it; the term of the new point's own mean, which vanishes in exact arithmetic
/// (`Σ_l v_lc = 0`), is kept, as scikit-learn keeps it.
///
/// ```
/// use unfold_learn::linalg::mds::LandmarkMds;
/// // Four points on a line at 0, 1, 3, 6; the first three are the landmarks.
/// let x = [0.0f64, 1.0, 3.0, 6.0];
/// let landmarks = [0usize, 1, 2];
/// let d: Vec<f64> = landmarks.iter().flat_map(|&a| landmarks.iter().map(move |&b| (x[a] - x[b]).abs())).collect();
/// let l = LandmarkMds::fit(&d, 3, 1)?;
/// let y = l.triangulate_one(&landmarks.iter().map(|&a| (x[3] - x[a]).powi(2)).collect::<Vec<_>>());
/// let y0 = l.triangulate_one(&landmarks.iter().map(|&a| (x[0] - x[a]).powi(2)).collect::<Vec<_>>());
/// assert!(((y[0] - y0[0]).abs() - 6.0).abs() < 1e-9);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LandmarkMds {
    /// Landmarks `m`.
    pub n_landmarks: usize,
    /// Output dimensions `k`.
    pub n_components: usize,
    /// The `k` largest eigenvalues of `B`, descending, as computed.
    pub eigenvalues: Vec<f64>,
    /// Their unit eigenvectors, `m × k` row-major, signed as [`top_eigenpairs`] signs them.
    pub eigenvectors: Vec<f64>,
    /// `μ_l`: the mean of column `l` of `Δ²` (the landmarks' squared distances).
    pub mean_sq: Vec<f64>,
    /// The mean of `Δ²`.
    pub total_mean_sq: f64,
}

impl LandmarkMds {
    /// Classical MDS of the landmarks' distances `d` (`m × m`, row-major, symmetric with a zero
    /// diagonal) into `k` dimensions.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for `k` of 0 or above `m`, or a distance that is not finite;
    /// [`Error::Numerical`] if the eigendecomposition fails.
    pub fn fit(d: &[f64], m: usize, k: usize) -> Result<LandmarkMds> {
        if k == 0 || k > m || d.len() != m * m {
            return Err(Error::InvalidData(format!("landmark MDS of {m} landmarks ({} distances) into {k} dimensions: needs 1 ≤ k ≤ m", d.len())));
        }
        if let Some(p) = d.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("landmark MDS: the distance between landmarks {} and {} is {}", p / m, p % m, d[p])));
        }
        let mut b = d.to_vec();
        double_centre(&mut b, m);
        let (values, vectors) = top_eigenpairs(&b, m, k, "landmark MDS eigendecomposition")?;
        let mean_sq: Vec<f64> = (0..m).map(|l| (0..m).map(|i| d[i * m + l] * d[i * m + l]).sum::<f64>() / m as f64).collect();
        let total_mean_sq = mean_sq.iter().sum::<f64>() / m as f64;
        Ok(LandmarkMds::from_eigenpairs(values, vectors, mean_sq, total_mean_sq))
    }

    /// The triangulation of given eigenpairs of `B` (values descending, vectors `m × k`), the
    /// column means of `Δ²` and their mean: kernel PCA's projection when every point is a
    /// landmark.
    pub fn from_eigenpairs(eigenvalues: Vec<f64>, eigenvectors: Vec<f64>, mean_sq: Vec<f64>, total_mean_sq: f64) -> LandmarkMds {
        let (m, k) = (mean_sq.len(), eigenvalues.len());
        debug_assert_eq!(eigenvectors.len(), m * k);
        LandmarkMds { n_landmarks: m, n_components: k, eigenvalues, eigenvectors, mean_sq, total_mean_sq }
    }

    /// `v_lc / √λ_c` as `k × m` rows (0 where `λ_c ≤ 0`), and each row's sum.
    fn projection(&self) -> (Vec<f64>, Vec<f64>) {
        let (m, k) = (self.n_landmarks, self.n_components);
        let mut p = vec![0.0; k * m];
        for c in 0..k {
            let l = self.eigenvalues[c];
            if l > 0.0 {
                let s = l.sqrt();
                for j in 0..m {
                    p[c * m + j] = self.eigenvectors[j * k + c] / s;
                }
            }
        }
        let sums = p.chunks(m.max(1)).map(|r| r.iter().sum()).collect();
        (p, sums)
    }

    /// The landmarks' own coordinates `√max(λ_c, 0) v_lc`, `m × k` row-major.
    pub fn landmark_embedding(&self) -> Vec<f64> {
        let k = self.n_components;
        let roots: Vec<f64> = self.eigenvalues.iter().map(|&l| l.max(0.0).sqrt()).collect();
        self.eigenvectors.iter().enumerate().map(|(p, &v)| v * roots[p % k]).collect()
    }

    /// One point from its squared distances `delta_sq` to the `m` landmarks: `k` coordinates.
    pub fn triangulate_one(&self, delta_sq: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_components];
        self.placer()(delta_sq, &mut out);
        out
    }

    /// [`LandmarkMds::triangulate_one`] for many points, the projection computed once: the
    /// closure writes a point's `k` coordinates from its `m` squared distances.
    pub fn placer(&self) -> impl Fn(&[f64], &mut [f64]) + Sync + '_ {
        let (p, sums) = self.projection();
        move |delta_sq, out| self.place(&p, &sums, delta_sq, out)
    }

    fn place(&self, p: &[f64], sums: &[f64], delta_sq: &[f64], out: &mut [f64]) {
        let m = self.n_landmarks;
        let own_mean = delta_sq.iter().sum::<f64>() / m as f64;
        for (c, o) in out.iter_mut().enumerate() {
            let row = &p[c * m..(c + 1) * m];
            let dot: f64 = row.iter().zip(delta_sq).zip(&self.mean_sq).map(|((&a, &d), &mu)| a * (d - mu)).sum();
            *o = -0.5 * (dot - (own_mean - self.total_mean_sq) * sums[c]);
        }
    }

    /// Points from their squared distances to the landmarks, `delta_sq` holding one point's `m`
    /// values after another: `rows × k` row-major, points in parallel.
    pub fn place_rows(&self, delta_sq: &[f64]) -> Vec<f64> {
        let (m, k) = (self.n_landmarks, self.n_components);
        let place = self.placer();
        let mut out = vec![0.0; delta_sq.len() / m.max(1) * k];
        out.par_chunks_mut(k).zip(delta_sq.par_chunks(m.max(1))).for_each(|(row, delta)| place(delta, row));
        out
    }

    /// Points `0..n` from their distances (not squared) to the landmarks, `d` holding the
    /// distances from landmark `l` to point `a` at `d[l · n + a]` (`m × n`, row-major, as
    /// [`shortest_path_rows`](crate::graph::shortest_paths::shortest_path_rows) writes them):
    /// `n × k` row-major. Blocks of points run in parallel, each reading the rows of `d` in
    /// contiguous pieces.
    ///
    /// # Panics
    /// If `d` does not hold `m × n` values.
    pub fn triangulate(&self, d: &[f32], n: usize) -> Vec<f64> {
        const BLOCK: usize = 64;
        let (m, k) = (self.n_landmarks, self.n_components);
        assert_eq!(d.len(), m * n, "triangulate: d must hold m × n distances");
        let place = self.placer();
        let mut out = vec![0.0; n * k];
        out.par_chunks_mut(BLOCK * k).enumerate().for_each_init(
            || vec![0.0f64; BLOCK * m],
            |delta, (b, rows)| {
                let first = b * BLOCK;
                let count = rows.len() / k;
                // delta[a · m + l]: the block's squared distances, point by point.
                for l in 0..m {
                    for (t, &g) in d[l * n + first..l * n + first + count].iter().enumerate() {
                        delta[t * m + l] = g as f64 * g as f64;
                    }
                }
                for (t, row) in rows.chunks_exact_mut(k).enumerate() {
                    place(&delta[t * m..(t + 1) * m], row);
                }
            },
        );
        out
    }
}

/// Points placed against a fixed configuration of `m` landmarks (`m × k`), each on its own, by
/// least squares on its disparities `δ̂_l` to them: the stress `σ(x) = Σ_l (‖x − y_l‖ − δ̂_l)²`
/// is minimised (the out-of-sample embedding of Trosset & Priebe 2008, with unit weights) from
/// the landmark-MDS triangulation of the configuration ([`LandmarkMds`] of its own distances),
/// until the decrease is below `eps · Σ_l ‖x − y_l‖²` or after `max_iter` steps, as [`Smacof`]
/// stops. Each step is Newton's on the `k` coordinates when the Hessian is positive definite
/// (Gauss–Newton's when it is not) and the stress falls, else the Guttman transform with the
/// landmarks held fixed,
/// `x ← (1/m) Σ_l [y_l + δ̂_l (x − y_l) / ‖x − y_l‖]`, which never raises it (de Leeuw 1977):
/// quadratic convergence near the minimum, where the Guttman transform alone creeps linearly
/// (tens to hundreds of steps on MNIST).
///
/// ```
/// use unfold_learn::linalg::mds::LandmarkPlacement;
/// // Landmarks at the corners of the unit square; a point at distance √0.5 from each.
/// let square = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
/// let place = LandmarkPlacement::new(&square, 4, 2, 300, 1e-12)?;
/// let mut x = [0.0; 2];
/// place.place(&[0.5f64.sqrt(); 4], &mut x);
/// assert!((x[0] - 0.5).abs() < 1e-9 && (x[1] - 0.5).abs() < 1e-9);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub struct LandmarkPlacement {
    /// The landmarks, `m × k`.
    config: Vec<f64>,
    m: usize,
    k: usize,
    /// The triangulation in the configuration's principal axes.
    triangulation: LandmarkMds,
    projection: (Vec<f64>, Vec<f64>),
    /// The principal axes `V` (`k × k`, column `c` the axis of component `c`) and the centre.
    axes: Vec<f64>,
    centre: Vec<f64>,
    max_iter: usize,
    eps: f64,
}

impl LandmarkPlacement {
    /// Prepares placement against `config` (`m × k` row-major, finite).
    ///
    /// # Errors
    /// [`Error::Numerical`] if the `k × k` eigendecomposition fails.
    pub fn new(config: &[f64], m: usize, k: usize, max_iter: usize, eps: f64) -> Result<LandmarkPlacement> {
        debug_assert_eq!(config.len(), m * k);
        let mut centre = vec![0f64; k];
        for row in config.chunks_exact(k) {
            centre.iter_mut().zip(row).for_each(|(c, v)| *c += v);
        }
        centre.iter_mut().for_each(|c| *c /= m as f64);
        let centred: Vec<f64> = config.chunks_exact(k).flat_map(|r| r.iter().zip(&centre).map(|(v, c)| v - c)).collect();
        // YᵀY = V S² Vᵀ; the configuration in its axes is Y V = U S, so (S², U) are the
        // eigenpairs of Y Yᵀ that landmark MDS triangulates with.
        let gram = faer::Mat::<f64>::from_fn(k, k, |a, b| centred.chunks_exact(k).map(|r| r[a] * r[b]).sum());
        let (values, vectors) = symmetric_eigen(gram.as_ref(), "landmark placement axes")?;
        let axes: Vec<f64> = (0..k).flat_map(|a| (0..k).map(move |c| (a, c))).map(|(a, c)| vectors[(a, c)]).collect();
        let mut u = vec![0f64; m * k];
        for (row, out) in centred.chunks_exact(k).zip(u.chunks_exact_mut(k)) {
            for c in 0..k {
                let s = values[c].max(0.0).sqrt();
                let proj: f64 = (0..k).map(|a| row[a] * axes[a * k + c]).sum();
                out[c] = if s > 0.0 { proj / s } else { 0.0 };
            }
        }
        let sq: Vec<f64> = centred.chunks_exact(k).map(|r| r.iter().map(|v| v * v).sum()).collect();
        let mean_norm = sq.iter().sum::<f64>() / m as f64;
        // The mean squared distance from landmark l to the landmarks: ‖y_l‖² + mean ‖y‖² (centred).
        let mean_sq = sq.iter().map(|&q| q + mean_norm).collect();
        let triangulation = LandmarkMds::from_eigenpairs(values, u, mean_sq, 2.0 * mean_norm);
        let projection = triangulation.projection();
        Ok(LandmarkPlacement { config: config.to_vec(), m, k, triangulation, projection, axes, centre, max_iter, eps })
    }

    /// Places one point from its disparities `delta` to the `m` landmarks into `out` (`k`
    /// values); returns the Guttman steps taken.
    pub fn place(&self, delta: &[f64], out: &mut [f64]) -> usize {
        let (m, k) = (self.m, self.k);
        debug_assert!(delta.len() == m && out.len() == k);
        // Triangulated in the axes, then back to the configuration's frame.
        let squared: Vec<f64> = delta.iter().map(|d| d * d).collect();
        let mut rotated = vec![0f64; k];
        self.triangulation.place(&self.projection.0, &self.projection.1, &squared, &mut rotated);
        for (a, o) in out.iter_mut().enumerate() {
            *o = self.centre[a] + (0..k).map(|c| self.axes[a * k + c] * rotated[c]).sum::<f64>();
        }
        let mut state = PointState::new(k);
        let mut fallback = vec![0f64; k];
        let mut have_fallback = false;
        let mut old: Option<f64> = None;
        for step in 0..self.max_iter {
            let (stress, ssq) = self.evaluate(delta, out, &mut state);
            if have_fallback && old.is_some_and(|o| stress > o) {
                // The Newton step went uphill: take the Guttman step from the last point instead.
                out.copy_from_slice(&fallback);
                have_fallback = false;
                continue;
            }
            if converged(old, stress, ssq, self.eps) {
                return step;
            }
            old = Some(stress);
            fallback.copy_from_slice(&state.guttman);
            have_fallback = state.newton_step(out);
            if !have_fallback {
                out.copy_from_slice(&fallback);
            }
        }
        self.max_iter
    }

    /// One pass over the landmarks at `x`: the stress and `Σ_l d_l²`, and into `state` the
    /// stress's gradient, Hessian and Gauss–Newton matrix and the Guttman transform of `x`.
    fn evaluate(&self, delta: &[f64], x: &[f64], state: &mut PointState) -> (f64, f64) {
        match self.k {
            1 => self.evaluate_k::<1>(delta, x, state),
            2 => self.evaluate_k::<2>(delta, x, state),
            3 => self.evaluate_k::<3>(delta, x, state),
            _ => self.evaluate_k::<0>(delta, x, state),
        }
    }

    /// [`LandmarkPlacement::evaluate`] with `K = k` known at compile time (1 to 3: the sums are
    /// kept in registers), or `K = 0` for any `k`.
    #[inline(always)]
    fn evaluate_k<const K: usize>(&self, delta: &[f64], x: &[f64], state: &mut PointState) -> (f64, f64) {
        state.clear();
        if K == 0 {
            let PointState { grad, hess, gauss, guttman, diff, singular, .. } = state;
            return self.sums::<K>(delta, x, [grad, hess, gauss, guttman, diff], singular);
        }
        let (mut grad, mut hess, mut gauss, mut guttman, mut diff) = ([0f64; 3], [0f64; 9], [0f64; 9], [0f64; 3], [0f64; 3]);
        let kk = K * K;
        let found = self.sums::<K>(delta, x, [&mut grad[..K], &mut hess[..kk], &mut gauss[..kk], &mut guttman[..K], &mut diff[..K]], &mut state.singular);
        state.grad.copy_from_slice(&grad[..K]);
        state.hess.copy_from_slice(&hess[..kk]);
        state.gauss.copy_from_slice(&gauss[..kk]);
        state.guttman.copy_from_slice(&guttman[..K]);
        found
    }

    /// The pass of [`LandmarkPlacement::evaluate`] into `[gradient, Hessian, Gauss–Newton
    /// matrix, Guttman transform, scratch]`.
    #[inline(always)]
    fn sums<const K: usize>(&self, delta: &[f64], x: &[f64], out: [&mut [f64]; 5], singular: &mut bool) -> (f64, f64) {
        let k = if K > 0 { K } else { self.k };
        let [grad, hess, gauss, guttman, diff] = out;
        let (x, grad, guttman, diff) = (&x[..k], &mut grad[..k], &mut guttman[..k], &mut diff[..k]);
        let (hess, gauss) = (&mut hess[..k * k], &mut gauss[..k * k]);
        let (mut stress, mut ssq) = (0.0, 0.0);
        for (y, &h) in self.config.chunks_exact(k).zip(delta) {
            let y = &y[..k];
            let mut d2 = 0.0;
            for c in 0..k {
                diff[c] = x[c] - y[c];
                d2 += diff[c] * diff[c];
            }
            let d = d2.sqrt();
            ssq += d2;
            stress += (d - h) * (d - h);
            if d == 0.0 {
                // The stress is not differentiable here; only the Guttman step is defined.
                *singular = true;
                (0..k).for_each(|c| guttman[c] += y[c]);
                continue;
            }
            // σ = Σ (d − h)²: ∇ = 2 Σ (1 − h/d)(x − y), ∇² = 2 Σ [(1 − h/d) I + (h/d³)(x − y)(x − y)ᵀ];
            // Gauss–Newton's 2 Σ (x − y)(x − y)ᵀ / d². One division.
            let inv = 1.0 / d;
            let (r, g) = (h * inv, inv * inv);
            let (a, b) = (1.0 - r, r * g);
            for c in 0..k {
                let t = diff[c];
                grad[c] += a * t;
                guttman[c] += y[c] + r * t;
                for e in 0..=c {
                    hess[c * k + e] += b * t * diff[e];
                    gauss[c * k + e] += g * t * diff[e];
                }
                hess[c * k + c] += a;
            }
        }
        let m = self.m as f64;
        guttman.iter_mut().for_each(|g| *g /= m);
        (stress, ssq)
    }
}

/// Scratch of one point's placement: the gradient, Hessian and Gauss–Newton matrix of its stress
/// (each halved; only the lower triangles of the matrices), its Guttman transform and a
/// difference vector.
struct PointState {
    k: usize,
    grad: Vec<f64>,
    hess: Vec<f64>,
    gauss: Vec<f64>,
    guttman: Vec<f64>,
    diff: Vec<f64>,
    /// The point sits on a landmark, where the stress has no Hessian.
    singular: bool,
}

impl PointState {
    fn new(k: usize) -> PointState {
        PointState { k, grad: vec![0.0; k], hess: vec![0.0; k * k], gauss: vec![0.0; k * k], guttman: vec![0.0; k], diff: vec![0.0; k], singular: false }
    }

    fn clear(&mut self) {
        self.grad.iter_mut().chain(self.hess.iter_mut()).chain(self.gauss.iter_mut()).chain(self.guttman.iter_mut()).for_each(|v| *v = 0.0);
        self.singular = false;
    }

    /// A Newton step `x ← x − H⁻¹ ∇` when the Hessian is positive definite, else a Gauss–Newton
    /// step with its matrix; false, and `x` untouched, when neither is (or on a landmark).
    fn newton_step(&mut self, x: &mut [f64]) -> bool {
        if self.singular {
            return false;
        }
        let k = self.k;
        let (matrix, p) = if cholesky(&mut self.hess, k) {
            (&self.hess, &mut self.diff)
        } else if cholesky(&mut self.gauss, k) {
            (&self.gauss, &mut self.diff)
        } else {
            return false;
        };
        // Solve L Lᵀ p = ∇, then x −= p.
        for c in 0..k {
            let v = self.grad[c] - (0..c).map(|f| matrix[c * k + f] * p[f]).sum::<f64>();
            p[c] = v / matrix[c * k + c];
        }
        for c in (0..k).rev() {
            let v = p[c] - (c + 1..k).map(|f| matrix[f * k + c] * p[f]).sum::<f64>();
            p[c] = v / matrix[c * k + c];
        }
        if p.iter().any(|v| !v.is_finite()) {
            return false;
        }
        x.iter_mut().zip(p.iter()).for_each(|(a, b)| *a -= b);
        true
    }
}

/// The Cholesky factor `L` of the symmetric `k × k` matrix whose lower triangle `l` holds, in
/// place; false if the matrix is not positive definite.
fn cholesky(l: &mut [f64], k: usize) -> bool {
    for c in 0..k {
        for e in 0..=c {
            let mut v = l[c * k + e];
            for f in 0..e {
                v -= l[c * k + f] * l[e * k + f];
            }
            if c == e {
                if v.is_nan() || v <= 0.0 {
                    return false;
                }
                l[c * k + c] = v.sqrt();
            } else {
                l[c * k + e] = v / l[e * k + e];
            }
        }
    }
    true
}

/// Options of [`Smacof`]; `Default` = scikit-learn's `smacof` (metric, 300 iterations, `eps`
/// 1e-6, raw stress).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmacofOptions {
    /// Metric MDS (disparities = dissimilarities); `false`: non-metric (isotonic disparities).
    pub metric: bool,
    /// Iterations of one run at most.
    pub max_iter: usize,
    /// Convergence tolerance on the stress decrease relative to `Σ_{i<j} d²`.
    pub eps: f64,
    /// Report Stress-1 `√(σ / Σ_{i<j} d²)` instead of the raw stress `σ`.
    pub normalized_stress: bool,
}

impl Default for SmacofOptions {
    fn default() -> Self {
        SmacofOptions { metric: true, max_iter: 300, eps: 1e-6, normalized_stress: false }
    }
}

/// One SMACOF run's result.
#[derive(Debug, Clone, PartialEq)]
pub struct SmacofRun {
    /// The configuration, `n × k` row-major.
    pub embedding: Vec<f64>,
    /// The final stress (raw or Stress-1, per [`SmacofOptions::normalized_stress`]).
    pub stress: f64,
    /// Iterations done.
    pub n_iter: usize,
    /// Non-metric MDS: the final disparity of each distinct dissimilarity, `(Δ, Δ̂)` by increasing
    /// `Δ` (empty for metric MDS, whose disparities are the dissimilarities).
    pub disparity_map: Vec<(f64, f64)>,
}

impl SmacofRun {
    /// The disparity of a dissimilarity `delta` that may not be among the fitted ones: itself for
    /// metric MDS; for non-metric MDS the monotone map [`SmacofRun::disparity_map`] read by
    /// linear interpolation, and outside its range proportionally to `delta` from its first or
    /// last entry (0 for `delta ≤ 0`).
    pub fn disparity(&self, delta: f64) -> f64 {
        let map = &self.disparity_map;
        if map.is_empty() {
            return delta;
        }
        if delta <= 0.0 {
            return 0.0;
        }
        let i = map.partition_point(|&(d, _)| d <= delta);
        let proportional = |(d, h): (f64, f64)| if d > 0.0 { h * delta / d } else { h };
        if i == 0 {
            proportional(map[0])
        } else if i == map.len() {
            proportional(map[map.len() - 1])
        } else {
            let ((d0, h0), (d1, h1)) = (map[i - 1], map[i]);
            h0 + (h1 - h0) * (delta - d0) / (d1 - d0)
        }
    }
}

/// SMACOF on one dissimilarity matrix, prepared once for any number of runs (the non-metric
/// pair order is sorted once).
pub struct Smacof<'a> {
    d: &'a [f64],
    n: usize,
    options: SmacofOptions,
    /// Non-metric: the pairs `(i, j)`, `i < j`, with `Δ_ij ≠ 0`, by increasing `Δ` (stable).
    pairs: Vec<(u32, u32)>,
    /// Non-metric: start of each group of tied `Δ` in `pairs`, then `pairs.len()`.
    groups: Vec<usize>,
}

impl<'a> Smacof<'a> {
    /// Prepares SMACOF on `d` (`n × n`, symmetric, zero diagonal: checked by the caller).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for non-metric MDS without a single non-zero dissimilarity, or with
    /// more pairs than 32-bit indices number.
    pub fn new(d: &'a [f64], n: usize, options: SmacofOptions) -> Result<Smacof<'a>> {
        debug_assert_eq!(d.len(), n * n);
        let (mut pairs, mut groups) = (Vec::new(), Vec::new());
        if !options.metric {
            if n > u32::MAX as usize {
                return Err(Error::InvalidData(format!("non-metric MDS numbers points with 32-bit indices; {n} points are too many")));
            }
            pairs = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i as u32, j as u32))).filter(|&(i, j)| d[i as usize * n + j as usize] != 0.0).collect();
            if n < 2 {
                return Err(Error::InvalidData(format!(
                    "non-metric MDS compares the dissimilarities of pairs of points and needs two points or more, got n_samples = {n}"
                )));
            }
            if pairs.is_empty() {
                return Err(Error::InvalidData(
                    "non-metric MDS reads zero dissimilarities as missing, and every dissimilarity between distinct points is 0: there is nothing to fit"
                        .into(),
                ));
            }
            let at = |p: &(u32, u32)| d[p.0 as usize * n + p.1 as usize];
            pairs.par_sort_by(|a, b| at(a).total_cmp(&at(b)));
            let mut current = f64::NEG_INFINITY;
            for (p, pair) in pairs.iter().enumerate() {
                let x = at(pair);
                if p == 0 || x - current >= TIE_RESOLUTION {
                    groups.push(p);
                    current = x;
                }
            }
            groups.push(pairs.len());
        }
        Ok(Smacof { d, n, options, pairs, groups })
    }

    /// A uniform `[0, 1)` start configuration (`n × k`) from `seeds`' stream `(stage, unit)`, as
    /// scikit-learn's `random_state.uniform(size=n·k)` (another generator).
    pub fn random_init(n: usize, k: usize, seeds: &SeedSource, stage: u64, unit: u64) -> Vec<f64> {
        use rand_xoshiro::rand_core::Rng;
        let mut rng = seeds.stream(stage, unit);
        (0..n * k).map(|_| unit_f64(rng.next_u64())).collect()
    }

    /// One run from `init` (`n × k` row-major).
    ///
    /// # Errors
    /// [`Error::Cancelled`] when `progress` asks to stop.
    pub fn run(&self, init: Vec<f64>, k: usize, progress: &dyn Progress) -> Result<SmacofRun> {
        let n = self.n;
        debug_assert_eq!(init.len(), n * k);
        let o = self.options;
        let mut x = init;
        let mut next = vec![0f64; n * k];
        let mut sums = vec![[0f64; 2]; n];
        let mut old: Option<f64> = None;
        let finish = |x: Vec<f64>, stress: f64, ssq: f64, it: usize| {
            let stress = if o.normalized_stress { normalized(stress, ssq) } else { stress };
            SmacofRun { embedding: x, stress, n_iter: it + 1, disparity_map: Vec::new() }
        };
        if o.metric {
            // Each pass gives the stress of `x` and its Guttman transform: the first pass only the
            // transform of the start, then one pass per iteration.
            pass(x.as_slice(), k, self.d, n, Some(next.as_mut_slice()), &mut sums, None);
            std::mem::swap(&mut x, &mut next);
            for it in 0..o.max_iter {
                progress.check()?;
                progress.inc(1);
                let last = it + 1 == o.max_iter;
                pass(x.as_slice(), k, self.d, n, (!last).then_some(next.as_mut_slice()), &mut sums, None);
                let (stress, ssq) = totals(&sums);
                if last || converged(old, stress, ssq, o.eps) {
                    return Ok(finish(x, stress, ssq, it));
                }
                old = Some(stress);
                std::mem::swap(&mut x, &mut next);
            }
            unreachable!("max_iter ≥ 1");
        }
        let mut disparities = vec![0f64; n * n];
        let mut distances = vec![0f64; n * n];
        let mut fitted = vec![0f64; self.groups.len() - 1];
        for it in 0..o.max_iter {
            progress.check()?;
            progress.inc(1);
            let scale = self.nonmetric_disparities(it == 0, &distances, &mut fitted, &mut disparities);
            pass(x.as_slice(), k, &disparities, n, Some(next.as_mut_slice()), &mut sums, None);
            std::mem::swap(&mut x, &mut next);
            pass(x.as_slice(), k, &disparities, n, None, &mut sums, Some(distances.as_mut_slice()));
            let (stress, ssq) = totals(&sums);
            if it + 1 == o.max_iter || converged(old, stress, ssq, o.eps) {
                let mut run = finish(x, stress, ssq, it);
                let at = |p: &(u32, u32)| self.d[p.0 as usize * n + p.1 as usize];
                run.disparity_map = fitted.iter().enumerate().map(|(g, f)| (at(&self.pairs[self.groups[g]]), f * scale)).collect();
                return Ok(run);
            }
            old = Some(stress);
        }
        unreachable!("max_iter ≥ 1");
    }

    /// Non-metric disparities into `out` (`n × n`, symmetric): the dissimilarities (`first`) or
    /// the isotonic regression of `distances` on them, scaled to `Σ_{i<j} Δ̂² = n(n−1)/2`; the
    /// groups' unscaled values stay in `fitted`, and the scale is returned.
    fn nonmetric_disparities(&self, first: bool, distances: &[f64], fitted: &mut [f64], out: &mut [f64]) -> f64 {
        let n = self.n;
        let groups = &self.groups;
        let at = |m: &[f64], p: &(u32, u32)| m[p.0 as usize * n + p.1 as usize];
        // Mean of each tie group (the dissimilarity itself on the first iteration), weight = size.
        for (g, f) in fitted.iter_mut().enumerate() {
            let members = &self.pairs[groups[g]..groups[g + 1]];
            *f = if first { at(self.d, &members[0]) } else { members.iter().map(|p| at(distances, p)).sum::<f64>() / members.len() as f64 };
        }
        if !first {
            pool_adjacent_violators(fitted, |g| (groups[g + 1] - groups[g]) as f64);
        }
        let sum_sq: f64 = fitted.iter().enumerate().map(|(g, f)| f * f * (groups[g + 1] - groups[g]) as f64).sum();
        let scale = if sum_sq > 0.0 { ((n * (n - 1) / 2) as f64 / sum_sq).sqrt() } else { 0.0 };
        for (g, f) in fitted.iter().enumerate() {
            for &(i, j) in &self.pairs[groups[g]..groups[g + 1]] {
                let (i, j) = (i as usize, j as usize);
                out[i * n + j] = f * scale;
                out[j * n + i] = f * scale;
            }
        }
        scale
    }
}

/// Stress-1 from the raw stress and `Σ_{i<j} d²` (0 for a configuration collapsed to a point
/// that fits all-zero disparities).
fn normalized(stress: f64, ssq: f64) -> f64 {
    if ssq > 0.0 {
        (stress / ssq).sqrt()
    } else if stress == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// scikit-learn's test `(σ_old − σ) / Σ_{i<j} d² < eps`; a configuration collapsed to a point
/// cannot move and stops.
fn converged(old: Option<f64>, stress: f64, ssq: f64, eps: f64) -> bool {
    match old {
        None => false,
        Some(_) if ssq == 0.0 => true,
        Some(old) => (old - stress) / ssq < eps,
    }
}

/// `(σ, Σ_{i<j} d²)` from the per-row sums over all `j` (each pair counted twice), added in row
/// order.
fn totals(sums: &[[f64; 2]]) -> (f64, f64) {
    let (mut s, mut q) = (0.0, 0.0);
    for [a, b] in sums {
        s += a;
        q += b;
    }
    (s / 2.0, q / 2.0)
}

/// One pass over all pairs at configuration `x` (`n × k`) against `disparities` (`n × n`): per
/// row `i`, `[Σ_j (d_ij − Δ̂_ij)², Σ_j d_ij²]` into `sums`; the Guttman transform into `next`
/// (when given); the distances into `distances` (when given).
fn pass(x: &[f64], k: usize, disparities: &[f64], n: usize, next: Option<&mut [f64]>, sums: &mut [[f64; 2]], distances: Option<&mut [f64]>) {
    // Columns of x, so that LANES consecutive points load as one vector.
    let mut cols = vec![0f64; n * k];
    for (i, row) in x.chunks_exact(k).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            cols[c * n + i] = v;
        }
    }
    let cols = cols.as_slice();
    let chunk = ROWS_PER_TASK;
    let row = |i: usize, next: Option<&mut [f64]>, dist: Option<&mut [f64]>, s: &mut [f64; 2], acc: &mut [[f64; LANES]]| {
        let disp = &disparities[i * n..(i + 1) * n];
        guttman_row(cols, k, i, disp, n, next, dist, s, acc)
    };
    match (next, distances) {
        (Some(next), None) => next.par_chunks_mut(chunk * k).zip(sums.par_chunks_mut(chunk)).enumerate().for_each(|(t, (nx, s))| {
            let mut acc = vec![[0f64; LANES]; k];
            for (r, (nr, sr)) in nx.chunks_exact_mut(k).zip(s.iter_mut()).enumerate() {
                row(t * chunk + r, Some(nr), None, sr, &mut acc);
            }
        }),
        (None, Some(dist)) => dist.par_chunks_mut(chunk * n).zip(sums.par_chunks_mut(chunk)).enumerate().for_each(|(t, (dx, s))| {
            let mut acc = vec![[0f64; LANES]; k];
            for (r, (dr, sr)) in dx.chunks_exact_mut(n).zip(s.iter_mut()).enumerate() {
                row(t * chunk + r, None, Some(dr), sr, &mut acc);
            }
        }),
        (None, None) => sums.par_chunks_mut(chunk).enumerate().for_each(|(t, s)| {
            let mut acc = vec![[0f64; LANES]; k];
            for (r, sr) in s.iter_mut().enumerate() {
                row(t * chunk + r, None, None, sr, &mut acc);
            }
        }),
        (Some(_), Some(_)) => unreachable!("a pass writes the transform or the distances"),
    }
}

/// Independent partial sums per row: the pairs of a row are dealt to `LANES` accumulators in a
/// fixed pattern (vectorisable, and the same at any thread count).
const LANES: usize = 8;

/// Row `i` of [`pass`] from the columns `cols` (`k × n`); `acc` is scratch of `k` lane vectors.
/// Compiled for AVX-512 and AVX2 besides the baseline, chosen at run time; no step is fused
/// (Rust does not contract `a * b + c`), so every target gives the same bits.
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn guttman_row(
    cols: &[f64],
    k: usize,
    i: usize,
    disp: &[f64],
    n: usize,
    next: Option<&mut [f64]>,
    dist: Option<&mut [f64]>,
    s: &mut [f64; 2],
    acc: &mut [[f64; LANES]],
) {
    match k {
        1 => guttman_row_k::<1>(cols, k, i, disp, n, next, dist, s, acc),
        2 => guttman_row_k::<2>(cols, k, i, disp, n, next, dist, s, acc),
        3 => guttman_row_k::<3>(cols, k, i, disp, n, next, dist, s, acc),
        _ => guttman_row_k::<0>(cols, k, i, disp, n, next, dist, s, acc),
    }
}

/// [`guttman_row`] with `K = k` known at compile time (1, 2 or 3), or `K = 0` for any `k`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn guttman_row_k<const K: usize>(
    cols: &[f64],
    k: usize,
    i: usize,
    disp: &[f64],
    n: usize,
    next: Option<&mut [f64]>,
    mut dist: Option<&mut [f64]>,
    s: &mut [f64; 2],
    acc: &mut [[f64; LANES]],
) {
    let k = if K > 0 { K } else { k };
    let transform = next.is_some();
    let (mut stress, mut ssq, mut ratios) = ([0f64; LANES], [0f64; LANES], [0f64; LANES]);
    acc.iter_mut().for_each(|a| *a = [0.0; LANES]);
    let lanes = |slice: &[f64], at: usize| -> [f64; LANES] { slice[at..at + LANES].try_into().expect("LANES values") };
    let full = n / LANES * LANES;
    for j0 in (0..full).step_by(LANES) {
        let mut d = [0f64; LANES];
        for c in 0..k {
            let col = lanes(cols, c * n + j0);
            let xi = cols[c * n + i];
            for l in 0..LANES {
                let t = xi - col[l];
                d[l] += t * t;
            }
        }
        let delta = lanes(disp, j0);
        for l in 0..LANES {
            ssq[l] += d[l];
            d[l] = d[l].sqrt();
            let e = d[l] - delta[l];
            stress[l] += e * e;
        }
        if transform {
            let mut r = [0f64; LANES];
            for l in 0..LANES {
                r[l] = delta[l] / if d[l] == 0.0 { ZERO_DISTANCE } else { d[l] };
                ratios[l] += r[l];
            }
            for (c, a) in acc.iter_mut().enumerate().take(k) {
                let col = lanes(cols, c * n + j0);
                for l in 0..LANES {
                    a[l] += r[l] * col[l];
                }
            }
        }
        if let Some(dr) = dist.as_deref_mut() {
            dr[j0..j0 + LANES].copy_from_slice(&d);
        }
    }
    // The last n mod LANES pairs, each in the lane of its position.
    for j in full..n {
        let l = j - full;
        let d2: f64 = (0..k).map(|c| (cols[c * n + i] - cols[c * n + j]) * (cols[c * n + i] - cols[c * n + j])).sum();
        ssq[l] += d2;
        let d = d2.sqrt();
        stress[l] += (d - disp[j]) * (d - disp[j]);
        if transform {
            let r = disp[j] / if d == 0.0 { ZERO_DISTANCE } else { d };
            ratios[l] += r;
            for (c, a) in acc.iter_mut().enumerate().take(k) {
                a[l] += r * cols[c * n + j];
            }
        }
        if let Some(dr) = dist.as_deref_mut() {
            dr[j] = d;
        }
    }
    let total = |v: &[f64; LANES]| v.iter().sum::<f64>();
    if let Some(out) = next {
        let ratio_sum = total(&ratios);
        for (c, o) in out.iter_mut().enumerate() {
            *o = (ratio_sum * cols[c * n + i] - total(&acc[c])) / n as f64;
        }
    }
    *s = [total(&stress), total(&ssq)];
}

/// Weighted isotonic (non-decreasing) least-squares fit of `y` in place, by pooling adjacent
/// violators (Ayer et al. 1955; Barlow et al. 1972); `weight(g)` is the weight of entry `g`.
pub fn pool_adjacent_violators(y: &mut [f64], weight: impl Fn(usize) -> f64) {
    // Blocks as (value, weight, first index), merged while they decrease.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (g, &v) in y.iter().enumerate() {
        let mut cur = (v, weight(g), g);
        while let Some(&(pv, pw, pstart)) = blocks.last() {
            if pv <= cur.0 {
                break;
            }
            blocks.pop();
            let w = pw + cur.1;
            cur = ((pv * pw + cur.0 * cur.1) / w, w, pstart);
        }
        blocks.push(cur);
    }
    for (b, &(v, _, start)) in blocks.iter().enumerate() {
        let end = blocks.get(b + 1).map_or(y.len(), |nb| nb.2);
        y[start..end].fill(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::DataF64;
    use crate::progress::NoProgress;

    #[test]
    fn placement_ends_at_a_minimum_of_the_point_stress_mostly_the_global_one() {
        // Non-euclidean disparities (random), so the minimum has stress and the Hessian is not
        // positive definite everywhere: Newton, Gauss–Newton and Guttman steps all take part. The
        // stress of one point can have several local minima; the placement is a local method.
        let (m, k) = (30, 2);
        let config = points(m, k, 1);
        let s = SeedSource::new(Some(2));
        let stress = |x: &[f64], delta: &[f64]| -> f64 {
            config.chunks_exact(k).zip(delta).map(|(y, &h)| (((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2)).sqrt() - h).powi(2)).sum()
        };
        let place = LandmarkPlacement::new(&config, m, k, 1000, 1e-15).unwrap();
        let mut global = 0;
        for trial in 0..20u64 {
            let delta: Vec<f64> = (0..m).map(|l| 0.5 + 3.0 * unit_f64(s.value(trial, l as u64))).collect();
            let mut x = [0.0; 2];
            place.place(&delta, &mut x);
            let got = stress(&x, &delta);
            // A minimum: no point on a small circle around it is lower.
            for a in 0..64 {
                let t = a as f64 * std::f64::consts::TAU / 64.0;
                let p = [x[0] + 1e-4 * t.cos(), x[1] + 1e-4 * t.sin()];
                assert!(got <= stress(&p, &delta) + 1e-12, "trial {trial}: {x:?} is not a minimum");
            }
            // The best of a 401 × 401 grid over [−4, 4]².
            let mut best = f64::INFINITY;
            for i in 0..=400 {
                for j in 0..=400 {
                    best = best.min(stress(&[-4.0 + 0.02 * i as f64, -4.0 + 0.02 * j as f64], &delta));
                }
            }
            global += usize::from(got <= best * (1.0 + 1e-9));
        }
        assert!(global >= 15, "{global} of 20 placements found the global minimum");
    }

    fn points(n: usize, dim: usize, seed: u64) -> Vec<f64> {
        let s = SeedSource::new(Some(seed));
        (0..n * dim).map(|u| unit_f64(s.value(3, u as u64)) * 4.0 - 2.0).collect()
    }

    fn direct(x: &[f64], n: usize, dim: usize) -> Vec<f64> {
        (0..n * n).map(|p| (0..dim).map(|c| (x[p / n * dim + c] - x[p % n * dim + c]).powi(2)).sum::<f64>().sqrt()).collect()
    }

    #[test]
    fn distances_match_the_direct_formula() {
        let (n, dim) = (150, 7);
        // An offset of 1e4 that the centring removes.
        let x: Vec<f64> = points(n, dim, 1).iter().map(|v| v + 1e4).collect();
        let d = euclidean_dissimilarities(&DataF64::from_row_major(&x, n, dim).unwrap());
        for (a, b) in d.iter().zip(direct(&x, n, dim)) {
            assert!((a - b).abs() < 1e-10 * (1.0 + b), "{a} vs {b}");
        }
        assert!((0..n).all(|i| d[i * n + i] == 0.0 && (0..n).all(|j| d[i * n + j] == d[j * n + i])));
    }

    #[test]
    fn classical_mds_recovers_euclidean_points_dense_and_lobpcg() {
        // Points in 3-d: classical MDS in 3 dimensions recovers every distance; the fourth
        // eigenvalue is 0.
        for n in [60, DENSE_EIGEN_MAX + 100] {
            let x = points(n, 3, 2);
            let d = direct(&x, n, 3);
            let cmds = classical_mds(&d, n, 4).unwrap();
            assert!(cmds.eigenvalues[3].abs() < 1e-8 * cmds.eigenvalues[0], "{:?}", cmds.eigenvalues);
            let y: Vec<f64> = cmds.embedding.chunks(4).flat_map(|r| r[..3].to_vec()).collect();
            let dy = direct(&y, n, 3);
            let worst = d.iter().zip(&dy).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-6, "n = {n}: {worst}");
        }
    }

    #[test]
    fn isotonic_fit_is_the_least_squares_monotone_fit() {
        let mut y = vec![1.0, 3.0, 2.0, 2.0, 5.0, 0.0];
        pool_adjacent_violators(&mut y, |g| if g == 1 { 2.0 } else { 1.0 });
        // (3·2 + 2 + 2) / 4 = 2.5; (5 + 0) / 2 = 2.5 then merged with the previous block.
        let expected = [1.0, 2.5, 2.5, 2.5, 2.5, 2.5];
        assert_eq!(y, expected);
    }

    #[test]
    fn smacof_on_exact_distances_reaches_near_zero_stress_at_any_thread_count() {
        let n = 80;
        let x = points(n, 2, 5);
        let d = direct(&x, n, 2);
        let s = Smacof::new(&d, n, SmacofOptions { max_iter: 3000, eps: 1e-12, ..Default::default() }).unwrap();
        let init = Smacof::random_init(n, 2, &SeedSource::new(Some(1)), 9, 0);
        let run = |threads| crate::threads::install(Some(threads), || s.run(init.clone(), 2, &NoProgress)).unwrap().unwrap();
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two);
        let raw_total: f64 = d.iter().map(|v| v * v).sum::<f64>() / 2.0;
        assert!(one.stress < 1e-6 * raw_total, "{} of {raw_total}", one.stress);
    }
}
