//! UMAP's spectral initialisation (umap-learn's `spectral_layout`, `multi_component_layout` and
//! `noisy_scale_coords`).
//!
//! **Connected graph.** With `W` the symmetric weight matrix and `D` its row sums (degrees), the
//! coordinates are the eigenvectors of the normalised Laplacian `L = I − D^{-1/2} W D^{-1/2}` for
//! its 2nd … (dim+1)-th smallest eigenvalues; the smallest, `0`, belongs to the trivial vector
//! `D^{1/2} 1`, which carries no information. Up to 2,000 vertices `L` is decomposed densely
//! (exact). Above, [`lobpcg`](crate::linalg::lobpcg) finds the largest eigenvalues of
//! `A = I + D^{-1/2} W D^{-1/2} = 2I − L` (spectrum in `[0, 2]`, so the wanted eigenvalues are the
//! largest in magnitude), with the trivial vector `√deg / ‖√deg‖` deflated, a block of
//! `dim + 4` seeded Gaussian columns, residual tolerance `3e-3` (umap-learn's is `1e-4`; see
//! [`EigenOptions`] for why the looser one serves) and at most 1,000 iterations. umap-learn
//! uses ARPACK (`eigsh`, `which="SM"`) below 2·10⁶ vertices and LOBPCG above; both solve the
//! same problem, so results agree up to the sign of each vector and the solver tolerance.
//!
//! **Disconnected graph** (umap-learn's `multi_component_layout`). Each connected component gets a
//! meta position; with at most `2·dim` components these are umap-learn's `±[I_k | 0]`,
//! `k = ⌈nc/2⌉`. With more, umap-learn embeds the components' centroids in the *data*, which is
//! not available from the graph alone: the meta positions here are the points of a regular grid
//! in `[−1, 1]^dim`, in component order, so nearby components are not placed near each other.
//! Each component is laid out by its own spectral layout scaled so that `max |x| = r`, half the
//! distance to the nearest other meta position, and shifted to its meta position; components
//! with fewer than `2·dim` or at most `dim + 1` vertices (isolated vertices included) are
//! placed uniformly at random in that box instead. Edges with a weight that is not a positive
//! finite number are ignored, so every vertex has a positive degree within its component.
//!
//! **Post-processing** ([`noisy_scale`], umap-learn's `noisy_scale_coords` then the min–max step of
//! `simplicial_set_embedding`): scale so that `max |x| = 10`, add `N(0, 10⁻⁴)` noise, then map each
//! column onto `[0, 10]`.
//!
//! **Failure.** When the eigensolver does not converge, [`spectral_layout`] returns
//! [`Error::Numerical`] naming the stage; umap-learn then falls back to a uniform random
//! layout, and callers of this module fall back to PCA of the data with a warning.
//!
//! With a seed the output is identical at any thread count: the random draws are hashes of
//! `(seed, stage, index)`, sparse products work row by row, and reductions use fixed chunks.

use faer::Mat;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::linalg::lobpcg::{CHUNK_ROWS, LobpcgOptions, lobpcg_largest};
use crate::linalg::symmetric_eigen;
use crate::rng::{SeedSource, normal_f64, unit_f64};

/// Stages of the random draws (see [`SeedSource`]).
const STAGE_START: u64 = 0x5ec7_0001;
const STAGE_TINY: u64 = 0x5ec7_0002;
const STAGE_COMPONENT: u64 = 0x5ec7_0003;
const STAGE_NOISE: u64 = 0x5ec7_0004;
const STAGE: &str = "spectral initialisation (Laplacian eigenvectors)";

/// Solver settings of [`laplacian_eigenvectors_with`] and [`spectral_layout_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EigenOptions {
    /// Graphs with at most this many vertices are decomposed densely (2,000); `0` forces the
    /// iterative solver (when the graph has at least `3 · (k + extra_vectors)` vertices).
    pub dense_max: usize,
    /// Columns added to the iterative solver's block beyond the `k` wanted (4).
    pub extra_vectors: usize,
    /// Tolerance and iteration cap of the iterative solver (residual norm 3e-3).
    pub lobpcg: LobpcgOptions,
}

/// The defaults serve an initialisation, not an eigenproblem for its own sake: on MNIST (70,000
/// points) residuals of 1e-3 with 4 extra block columns took half the time of 1e-4 with 8 and
/// gave the same final layout quality (trustworthiness 0.948 against 0.946, 10-NN accuracy 0.968
/// against 0.970). With the layout's sub-epochs (four then), 3e-3 took 37 iterations instead of 44
/// for the same quality again (0.953 / 0.969 against 0.952 / 0.970; 1e-2: 24 iterations,
/// 0.951 / 0.968).
impl Default for EigenOptions {
    fn default() -> Self {
        EigenOptions { dense_max: 2000, extra_vectors: 4, lobpcg: LobpcgOptions { tol: 3e-3, ..LobpcgOptions::default() } }
    }
}

/// Connected components of a graph in CSR form (edges are taken as undirected). Returns the
/// number of components and a label per vertex; labels are numbered in the order of each
/// component's smallest vertex.
///
/// ```
/// use unfold_learn::embed::umap::spectral::connected_components;
/// // 0 – 2, 1 alone.
/// let (nc, labels) = connected_components(&[0, 1, 1, 2], &[2, 0])?;
/// assert_eq!((nc, labels), (2, vec![0, 1, 0]));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidData`] for more vertices than [`MAX_POINTS`](crate::knn::MAX_POINTS): vertices
/// and labels are `u32`, as the graph's columns.
pub fn connected_components(indptr: &[usize], indices: &[u32]) -> Result<(usize, Vec<u32>)> {
    let n = indptr.len().saturating_sub(1);
    crate::knn::check_point_count(n)?;
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let up = parent[parent[v as usize] as usize];
            parent[v as usize] = up;
            v = up;
        }
        v
    }
    for i in 0..n {
        for &j in &indices[indptr[i]..indptr[i + 1]] {
            let (a, b) = (find(&mut parent, i as u32), find(&mut parent, j));
            // The smaller root wins, so every root is its component's smallest vertex.
            if a < b {
                parent[b as usize] = a;
            } else if b < a {
                parent[a as usize] = b;
            }
        }
    }
    let mut labels = vec![u32::MAX; n];
    let mut count = 0u32;
    for v in 0..n {
        let root = find(&mut parent, v as u32) as usize;
        if labels[root] == u32::MAX {
            labels[root] = count;
            count += 1;
        }
        labels[v] = labels[root];
    }
    Ok((count as usize, labels))
}

/// The eigenvalues (ascending) and eigenvectors (`n × k` row-major, unit columns) of the
/// normalised Laplacian of a connected graph for its 2nd … (k+1)-th smallest eigenvalues, with
/// the default [`EigenOptions`].
///
/// # Errors
/// As [`laplacian_eigenvectors_with`].
pub fn laplacian_eigenvectors(indptr: &[usize], indices: &[u32], weights: &[f32], k: usize, seed: Option<u64>) -> Result<(Vec<f64>, Vec<f64>)> {
    laplacian_eigenvectors_with(indptr, indices, weights, k, seed, &EigenOptions::default())
}

/// [`laplacian_eigenvectors`] with explicit solver settings.
///
/// # Errors
/// [`Error::InvalidParameter`] if `k + 1` exceeds the number of vertices;
/// [`Error::InvalidData`] if a vertex has no positive degree, the CSR arrays disagree or there
/// are more vertices than [`MAX_POINTS`](crate::knn::MAX_POINTS); [`Error::Numerical`] if the
/// eigensolver fails.
pub fn laplacian_eigenvectors_with(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    k: usize,
    seed: Option<u64>,
    options: &EigenOptions,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = check_csr(indptr, indices, weights)?;
    if k == 0 || k + 1 > n {
        return Err(Error::param("dim", k, format!("must be at least 1 and less than the number of vertices ({n})")));
    }
    let degree: Vec<f64> = (0..n).map(|i| weights[indptr[i]..indptr[i + 1]].iter().map(|&w| w as f64).sum()).collect();
    if let Some(i) = degree.iter().position(|&d| !(d > 0.0 && d.is_finite())) {
        return Err(Error::InvalidData(format!("vertex {i} has degree {} (the Laplacian needs positive degrees)", degree[i])));
    }
    let s: Vec<f64> = degree.iter().map(|d| 1.0 / d.sqrt()).collect();
    let m = k + options.extra_vectors;
    if n <= options.dense_max || n < 3 * m + 1 {
        return dense_eigenvectors(indptr, indices, weights, &s, k);
    }
    // The solver works on the vertices in breadth-first order, so that a vertex's neighbours sit
    // near it in the blocks: the sparse product then reads mostly cached rows instead of
    // random ones (on MNIST's graph it took half of the solver's time).
    let order = breadth_first_order(indptr, indices);
    let mut at = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        at[old as usize] = new as u32;
    }
    // Normalised edge weights w_ij / √(d_i d_j), then A = I + D^{-1/2} W D^{-1/2}.
    let mut ptr = Vec::with_capacity(n + 1);
    let mut cols = Vec::with_capacity(indices.len());
    let mut norm = Vec::with_capacity(indices.len());
    ptr.push(0);
    for &i in &order {
        let i = i as usize;
        for e in indptr[i]..indptr[i + 1] {
            let j = indices[e] as usize;
            cols.push(at[j]);
            norm.push(weights[e] as f64 * s[i] * s[j]);
        }
        ptr.push(cols.len());
    }
    let csr = Csr { ptr: &ptr, cols: &cols, weights: &norm };
    let apply = |x: &[f64], y: &mut [f64], b: usize| {
        y.par_chunks_mut(CHUNK_ROWS * b).enumerate().for_each(|(c, out)| csr.add_product(x, out, c * CHUNK_ROWS, b));
    };
    let root: f64 = degree.iter().sum::<f64>().sqrt();
    let trivial: Vec<f64> = order.iter().map(|&i| degree[i as usize].sqrt() / root).collect();
    let seeds = SeedSource::new(seed);
    // The start block is drawn per original vertex, then put in solver order.
    let start = |i: usize, c: usize| {
        let u = (i * m + c) as u64;
        normal_f64(seeds.value(STAGE_START, 2 * u), seeds.value(STAGE_START, 2 * u + 1))
    };
    let x0: Vec<f64> = order.iter().flat_map(|&i| (0..m).map(move |c| start(i as usize, c))).collect();
    let found = lobpcg_largest(n, &apply, x0, k, Some(&trivial), &options.lobpcg, STAGE)?;
    let vectors = (0..n).flat_map(|i| &found.vectors[at[i] as usize * k..(at[i] as usize + 1) * k]).copied().collect();
    Ok((found.values.iter().map(|l| 2.0 - l).collect(), vectors))
}

/// A sparse matrix in CSR form with `f64` weights.
struct Csr<'a> {
    ptr: &'a [usize],
    cols: &'a [u32],
    weights: &'a [f64],
}

impl Csr<'_> {
    /// `out = X + W X` on the rows `first..` that `out` covers, for a row-major block `x` with
    /// `b` columns. Each output row is accumulated in registers, in edge order.
    fn add_product(&self, x: &[f64], out: &mut [f64], first: usize, b: usize) {
        // A fixed width lets the compiler keep the row in registers and unroll over columns:
        // the width-generic loop took twice as long on MNIST's graph.
        macro_rules! widths {
            ($($w:literal)*) => {
                match b {
                    $($w => self.add_product_fixed::<$w>(x, out, first),)*
                    _ => self.add_product_any(x, out, first, b),
                }
            };
        }
        widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    fn add_product_fixed<const B: usize>(&self, x: &[f64], out: &mut [f64], first: usize) {
        for (r, row) in out.chunks_exact_mut(B).enumerate() {
            let i = first + r;
            let mut acc: [f64; B] = std::array::from_fn(|c| x[i * B + c]);
            for e in self.ptr[i]..self.ptr[i + 1] {
                let (j, w) = (self.cols[e] as usize, self.weights[e]);
                let xj = &x[j * B..(j + 1) * B];
                for c in 0..B {
                    acc[c] += w * xj[c];
                }
            }
            row.copy_from_slice(&acc);
        }
    }

    fn add_product_any(&self, x: &[f64], out: &mut [f64], first: usize, b: usize) {
        for (r, row) in out.chunks_exact_mut(b).enumerate() {
            let i = first + r;
            row.copy_from_slice(&x[i * b..(i + 1) * b]);
            for e in self.ptr[i]..self.ptr[i + 1] {
                let (j, w) = (self.cols[e] as usize, self.weights[e]);
                for (o, &v) in row.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                    *o += w * v;
                }
            }
        }
    }
}

/// The vertices in breadth-first order: from the lowest-numbered unvisited vertex, neighbours in
/// the order the graph lists them, each component after the other.
fn breadth_first_order(indptr: &[usize], indices: &[u32]) -> Vec<u32> {
    let n = indptr.len() - 1;
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut head = order.len();
        order.push(root as u32);
        while head < order.len() {
            let v = order[head] as usize;
            head += 1;
            for &j in &indices[indptr[v]..indptr[v + 1]] {
                if !std::mem::replace(&mut seen[j as usize], true) {
                    order.push(j);
                }
            }
        }
    }
    order
}

/// Dense path: all eigenpairs of `D^{-1/2} W D^{-1/2}`, keeping the 2nd … (k+1)-th largest.
fn dense_eigenvectors(indptr: &[usize], indices: &[u32], weights: &[f32], s: &[f64], k: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = s.len();
    let mut m = Mat::<f64>::zeros(n, n);
    for i in 0..n {
        for e in indptr[i]..indptr[i + 1] {
            let j = indices[e] as usize;
            m[(i, j)] += weights[e] as f64 * s[i] * s[j];
        }
    }
    let sym = Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let (values, vectors) = symmetric_eigen(sym.as_ref(), STAGE)?;
    let out: Vec<f64> = (0..n).flat_map(|i| (1..=k).map(move |c| (i, c))).map(|(i, c)| vectors[(i, c)]).collect();
    Ok((values[1..=k].iter().map(|l| 1.0 - l).collect(), out))
}

/// Checks the CSR arrays and returns the number of vertices.
fn check_csr(indptr: &[usize], indices: &[u32], weights: &[f32]) -> Result<usize> {
    let n = indptr.len().saturating_sub(1);
    // Vertices are renumbered (solver order, components) in `u32`, as the columns are.
    crate::knn::check_point_count(n)?;
    let consistent = n > 0
        && indices.len() == weights.len()
        && indptr.last() == Some(&indices.len())
        && indptr.windows(2).all(|w| w[0] <= w[1])
        && indices.iter().all(|&j| (j as usize) < n);
    if !consistent {
        return Err(Error::InvalidData(format!(
            "the spectral initialisation needs a non-empty CSR graph: {} row pointers, {} indices, {} weights (indices below the number of rows)",
            indptr.len(),
            indices.len(),
            weights.len()
        )));
    }
    Ok(n)
}

/// UMAP's spectral initialisation of a symmetric weighted graph in CSR form (both directions of
/// every edge present): `n × dim` row-major coordinates, each column in `[0, 10]`. See the module
/// documentation for the method; uses the default [`EigenOptions`].
///
/// ```
/// use unfold_learn::embed::umap::spectral::spectral_layout;
/// // A path 0 – 1 – 2 – 3 – 4 and an isolated vertex 5.
/// let indptr = [0, 1, 3, 5, 7, 8, 8];
/// let indices = [1, 0, 2, 1, 3, 2, 4, 3];
/// let y = spectral_layout(&indptr, &indices, &[1.0; 8], 2, Some(42))?;
/// assert_eq!(y.len(), 12);
/// assert!(y.iter().all(|v| (0.0..=10.0).contains(v)));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if `dim` is 0; [`Error::InvalidData`] for inconsistent CSR
/// arrays or more vertices than [`MAX_POINTS`](crate::knn::MAX_POINTS); [`Error::Numerical`] if an eigensolver fails (callers fall back to PCA).
pub fn spectral_layout(indptr: &[usize], indices: &[u32], weights: &[f32], dim: usize, seed: Option<u64>) -> Result<Vec<f32>> {
    spectral_layout_with(indptr, indices, weights, dim, seed, &EigenOptions::default())
}

/// [`spectral_layout`] with explicit solver settings.
///
/// # Errors
/// As [`spectral_layout`].
pub fn spectral_layout_with(indptr: &[usize], indices: &[u32], weights: &[f32], dim: usize, seed: Option<u64>, options: &EigenOptions) -> Result<Vec<f32>> {
    let n = check_csr(indptr, indices, weights)?;
    if dim == 0 {
        return Err(Error::param("dim", 0, "must be at least 1"));
    }
    // Keep only positive finite weights, so every vertex of a component has a positive degree.
    let (indptr, indices, weights) = if weights.iter().all(|w| *w > 0.0 && w.is_finite()) {
        (indptr.to_vec(), indices.to_vec(), weights.to_vec())
    } else {
        let keep = |e: usize| weights[e] > 0.0 && weights[e].is_finite();
        let mut p = vec![0usize; n + 1];
        let (mut ix, mut ws) = (Vec::new(), Vec::new());
        for i in 0..n {
            for e in (indptr[i]..indptr[i + 1]).filter(|&e| keep(e)) {
                ix.push(indices[e]);
                ws.push(weights[e]);
            }
            p[i + 1] = ix.len();
        }
        (p, ix, ws)
    };
    let (nc, labels) = connected_components(&indptr, &indices)?;
    let coords = if nc == 1 && !is_tiny(n, dim) {
        laplacian_eigenvectors_with(&indptr, &indices, &weights, dim, seed, options)?.1
    } else {
        multi_component_layout(&indptr, &indices, &weights, dim, nc, &labels, seed, options)?
    };
    let mut out: Vec<f32> = coords.iter().map(|&v| v as f32).collect();
    noisy_scale(&mut out, dim, seed);
    Ok(out)
}

/// umap-learn's rule for components too small for a spectral layout.
fn is_tiny(size: usize, dim: usize) -> bool {
    size < 2 * dim || size <= dim + 1
}

/// Meta positions (`nc × dim`, row-major) and the box half-width `r` around each.
fn meta_positions(nc: usize, dim: usize) -> (Vec<f64>, f64) {
    let mut meta = vec![0.0; nc * dim];
    if nc == 1 {
        return (meta, 1.0);
    }
    if nc <= 2 * dim {
        // ±[I_k | 0], k = ⌈nc/2⌉; the nearest other point is at √2 (2 when k = 1).
        let k = nc.div_ceil(2);
        for c in 0..nc {
            meta[c * dim + c % k] = if c < k { 1.0 } else { -1.0 };
        }
        return (meta, if k == 1 { 1.0 } else { std::f64::consts::SQRT_2 / 2.0 });
    }
    let mut side = 2usize;
    while (side as f64).powi(dim as i32) < nc as f64 {
        side += 1;
    }
    let step = 2.0 / (side - 1) as f64;
    for c in 0..nc {
        let mut cell = c;
        for d in 0..dim {
            meta[c * dim + d] = -1.0 + step * (cell % side) as f64;
            cell /= side;
        }
    }
    (meta, step / 2.0)
}

/// umap-learn's `multi_component_layout`, with grid meta positions for many components.
#[allow(clippy::too_many_arguments)]
fn multi_component_layout(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    dim: usize,
    nc: usize,
    labels: &[u32],
    seed: Option<u64>,
    options: &EigenOptions,
) -> Result<Vec<f64>> {
    let n = labels.len();
    let seeds = SeedSource::new(seed);
    let (meta, r) = meta_positions(nc, dim);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); nc];
    for (v, &l) in labels.iter().enumerate() {
        members[l as usize].push(v);
    }
    let mut local = vec![0u32; n];
    let mut out = vec![0.0; n * dim];
    for (c, verts) in members.iter().enumerate() {
        let centre = &meta[c * dim..(c + 1) * dim];
        if is_tiny(verts.len(), dim) {
            for &v in verts {
                for d in 0..dim {
                    let u = unit_f64(seeds.value(STAGE_TINY, (v * dim + d) as u64));
                    out[v * dim + d] = centre[d] + r * (2.0 * u - 1.0);
                }
            }
            continue;
        }
        for (t, &v) in verts.iter().enumerate() {
            local[v] = t as u32;
        }
        let mut p = vec![0usize];
        let (mut ix, mut ws) = (Vec::new(), Vec::new());
        for &v in verts {
            for e in indptr[v]..indptr[v + 1] {
                ix.push(local[indices[e] as usize]);
                ws.push(weights[e]);
            }
            p.push(ix.len());
        }
        let sub_seed = Some(seeds.value(STAGE_COMPONENT, c as u64));
        let (_, vectors) = laplacian_eigenvectors_with(&p, &ix, &ws, dim, sub_seed, options)?;
        let max = vectors.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let scale = if max > 0.0 { r / max } else { 0.0 };
        for (t, &v) in verts.iter().enumerate() {
            for d in 0..dim {
                out[v * dim + d] = centre[d] + scale * vectors[t * dim + d];
            }
        }
    }
    Ok(out)
}

/// umap-learn's `noisy_scale_coords` followed by its per-column min–max scaling: multiply by
/// `10 / max |x|`, add `N(0, 10⁻⁴)` noise (drawn from `seed`), then map each of the `dim` columns
/// of the row-major `coords` onto `[0, 10]` (a constant column becomes 0).
///
/// ```
/// use unfold_learn::embed::umap::spectral::noisy_scale;
/// let mut y: Vec<f32> = vec![-1.0, 0.5, 0.0, 2.0, 3.0, -4.0];
/// noisy_scale(&mut y, 2, Some(1));
/// assert!(y.iter().all(|v| (0.0..=10.0).contains(v)));
/// assert!((y[0] - 0.0).abs() < 1e-6 && (y[4] - 10.0).abs() < 1e-6);
/// ```
pub fn noisy_scale(coords: &mut [f32], dim: usize, seed: Option<u64>) {
    if dim == 0 || coords.is_empty() {
        return;
    }
    let max = coords.iter().fold(0.0f64, |a, &v| a.max((v as f64).abs()));
    let expansion = if max > 0.0 && max.is_finite() { 10.0 / max } else { 1.0 };
    let seeds = SeedSource::new(seed);
    let y: Vec<f64> = coords
        .iter()
        .enumerate()
        .map(|(i, &v)| v as f64 * expansion + 1e-4 * normal_f64(seeds.value(STAGE_NOISE, 2 * i as u64), seeds.value(STAGE_NOISE, 2 * i as u64 + 1)))
        .collect();
    for d in 0..dim {
        let col = || y.iter().skip(d).step_by(dim);
        let lo = col().fold(f64::INFINITY, |a, &v| a.min(v));
        let hi = col().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
        let range = hi - lo;
        for (o, &v) in coords.iter_mut().skip(d).step_by(dim).zip(col()) {
            *o = if range > 0.0 && range.is_finite() { (10.0 * (v - lo) / range).clamp(0.0, 10.0) as f32 } else { 0.0 };
        }
    }
}
