//! Spectral embedding of a weighted graph: the eigenvectors of its normalised Laplacian, as
//! UMAP's initialisation uses them (umap-learn's `spectral_layout` and
//! `multi_component_layout`), and as Laplacian eigenmaps and diffusion maps build on them.
//!
//! **Connected graph** ([`laplacian_eigenvectors`]). With `W` the symmetric weight matrix and
//! `D` its row sums (degrees), the coordinates are the eigenvectors of the normalised Laplacian
//! `L = I − D^{-1/2} W D^{-1/2}` ([`super::laplacian`]) for its 2nd … (k+1)-th smallest
//! eigenvalues; the smallest, `0`, belongs to the trivial vector `D^{1/2} 1`, which carries no
//! information. They are the largest eigenpairs of `M = I − L = D^{-1/2} W D^{-1/2}`
//! ([`normalized_adjacency`]) without the trivial vector, found by
//! [`eigsh`](crate::linalg::eigsh): up to 2,000 vertices `M` is decomposed densely (exact).
//! Above, LOBPCG works on `A = I + M = 2I − L` (spectrum in `[0, 2]`, so the wanted eigenvalues are
//! the largest in magnitude), with the trivial vector `√deg / ‖√deg‖` deflated, a block of
//! `k + 4` seeded Gaussian columns, residual tolerance `3e-3` (umap-learn's is `1e-4`; see
//! [`EigenOptions`] for why the looser one serves) and at most 1,000 iterations. umap-learn
//! uses ARPACK (`eigsh`, `which="SM"`) below 2·10⁶ vertices and LOBPCG above; both solve the
//! same problem, so results agree up to the sign of each vector and the solver tolerance.
//!
//! **Disconnected graph** ([`spectral_embedding`], umap-learn's `multi_component_layout`). Each
//! connected component gets a meta position; with at most `2·dim` components these are
//! umap-learn's `±[I_k | 0]`, `k = ⌈nc/2⌉`. With more, umap-learn embeds the components'
//! centroids in the *data*, which is not available from the graph alone: the meta positions
//! here are the points of a regular grid in `[−1, 1]^dim`, in component order, so nearby
//! components are not placed near each other. Each component is laid out by its own
//! eigenvectors scaled so that `max |x| = r`, half the distance to the nearest other meta
//! position, and shifted to its meta position; components with fewer than `2·dim` or at most
//! `dim + 1` vertices (isolated vertices included) are placed uniformly at random in that box
//! instead. Edges of weight 0 are ignored, so every vertex has a positive degree within its
//! component.
//!
//! **Failure.** When the eigensolver does not converge, these functions return
//! [`Error::Numerical`] naming the stage; umap-learn then falls back to a uniform random
//! layout, and UMAP here falls back to PCA of the data with a warning.
//!
//! With a seed the output is identical at any thread count: the random draws are hashes of
//! `(seed, stage, index)`, sparse products work row by row ([`GraphOperator::apply`]), and
//! reductions use fixed chunks.

use std::borrow::Cow;

use super::components::{breadth_first_order, connected_components};
use super::csr::SparseGraph;
use super::laplacian::normalized_adjacency;
use crate::error::{Error, Result};
use crate::linalg::eigsh::{EigshOptions, Start, Which, eigsh};
use crate::linalg::lobpcg::LobpcgOptions;
use crate::rng::{SeedSource, normal_f64, unit_f64};
use rayon::prelude::*;

/// Stages of the random draws (see [`SeedSource`]).
const STAGE_START: u64 = 0x5ec7_0001;
const STAGE_TINY: u64 = 0x5ec7_0002;
const STAGE_COMPONENT: u64 = 0x5ec7_0003;
const STAGE: &str = "spectral initialisation (Laplacian eigenvectors)";

/// Solver settings of [`laplacian_eigenvectors_with`] and [`spectral_embedding_with`].
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

/// The eigenvalues (ascending) and eigenvectors (`n × k` row-major, unit columns) of the
/// normalised Laplacian of a connected graph for its 2nd … (k+1)-th smallest eigenvalues, with
/// the default [`EigenOptions`].
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// use unfold_learn::graph::spectral::laplacian_eigenvectors;
/// // The cycle 0 – 1 – 2 – 3 – 0: eigenvalues 1 − cos(2πk/4) = 0, 1, 1, 2.
/// let g = SparseGraph::from_parts(4, vec![0, 2, 4, 6, 8], vec![1, 3, 0, 2, 1, 3, 0, 2], vec![1.0; 8])?;
/// let (values, vectors) = laplacian_eigenvectors(&g, 3, Some(1))?;
/// assert!((values[0] - 1.0).abs() < 1e-12 && (values[2] - 2.0).abs() < 1e-12);
/// assert_eq!(vectors.len(), 4 * 3);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// As [`laplacian_eigenvectors_with`].
pub fn laplacian_eigenvectors(graph: &SparseGraph, k: usize, seed: Option<u64>) -> Result<(Vec<f64>, Vec<f64>)> {
    laplacian_eigenvectors_with(graph, k, seed, &EigenOptions::default())
}

/// [`laplacian_eigenvectors`] with explicit solver settings.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `dim` if `k` is 0 or `k + 1` exceeds the number of
/// vertices; [`Error::InvalidData`] if a vertex has no positive degree; [`Error::Numerical`] if
/// the eigensolver fails.
pub fn laplacian_eigenvectors_with(graph: &SparseGraph, k: usize, seed: Option<u64>, options: &EigenOptions) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = graph.n_points();
    if k == 0 || k + 1 > n {
        return Err(Error::param("dim", k, format!("must be at least 1 and less than the number of vertices ({n})")));
    }
    let degree = graph.degrees();
    if let Some(i) = degree.iter().position(|&d| !(d > 0.0 && d.is_finite())) {
        return Err(Error::InvalidData(format!("vertex {i} has degree {} (the Laplacian needs positive degrees)", degree[i])));
    }
    // M = I − L = D^{-1/2} W D^{-1/2}: L's smallest eigenvalues are M's largest. The dense path
    // decomposes M; the iterative one works on I + M = 2I − L, spectrum in [0, 2].
    let m = normalized_adjacency(graph);
    let eig = EigshOptions { dense_max: options.dense_max, extra_vectors: options.extra_vectors, shift: 1.0, lobpcg: options.lobpcg };
    let root: f64 = degree.iter().sum::<f64>().sqrt();
    if eig.is_dense(n, k) {
        let trivial: Vec<f64> = degree.iter().map(|d| d.sqrt() / root).collect();
        let found = eigsh(&m, k, Which::Largest, Some(&trivial), Start::Seed(seed), &eig, STAGE)?;
        return Ok((found.values.iter().map(|l| 1.0 - l).collect(), found.vectors));
    }
    // The solver works on the vertices in breadth-first order, so that a vertex's neighbours sit
    // near it in the blocks: the sparse product then reads mostly cached rows instead of
    // random ones (on MNIST's graph it took half of the solver's time).
    let order = breadth_first_order(graph);
    let mut at = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        at[old as usize] = new as u32;
    }
    let m = m.permuted(&order);
    let trivial: Vec<f64> = order.iter().map(|&i| degree[i as usize].sqrt() / root).collect();
    let seeds = SeedSource::new(seed);
    let width = k + options.extra_vectors;
    // The start block is drawn per original vertex, then put in solver order.
    let start = |i: usize, c: usize| {
        let u = (i * width + c) as u64;
        normal_f64(seeds.value(STAGE_START, 2 * u), seeds.value(STAGE_START, 2 * u + 1))
    };
    let x0: Vec<f64> = order.iter().flat_map(|&i| (0..width).map(move |c| start(i as usize, c))).collect();
    let found = eigsh(&m, k, Which::Largest, Some(&trivial), Start::Block(x0), &eig, STAGE)?;
    let vectors = (0..n).flat_map(|i| &found.vectors[at[i] as usize * k..(at[i] as usize + 1) * k]).copied().collect();
    Ok((found.values.iter().map(|l| 1.0 - l).collect(), vectors))
}

/// The spectral embedding of a symmetric weighted graph (both directions of every edge stored):
/// `n × dim` row-major coordinates, the Laplacian eigenvectors of each connected component
/// placed apart (see the [module docs](self)); uses the default [`EigenOptions`].
///
/// ```
/// use unfold_learn::graph::SparseGraph;
/// use unfold_learn::graph::spectral::spectral_embedding;
/// // A path 0 – 1 – 2 – 3 – 4 and an isolated vertex 5.
/// let g = SparseGraph::from_parts(6, vec![0, 1, 3, 5, 7, 8, 8], vec![1, 0, 2, 1, 3, 2, 4, 3], vec![1.0; 8])?;
/// let y = spectral_embedding(&g, 2, Some(42))?;
/// assert_eq!(y.len(), 12);
/// assert!(y.iter().all(|v| v.is_finite()));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] if `dim` is 0; [`Error::InvalidData`] for a graph without
/// vertices; [`Error::Numerical`] if an eigensolver fails.
pub fn spectral_embedding(graph: &SparseGraph, dim: usize, seed: Option<u64>) -> Result<Vec<f64>> {
    spectral_embedding_with(graph, dim, seed, &EigenOptions::default())
}

/// [`spectral_embedding`] with explicit solver settings.
///
/// # Errors
/// As [`spectral_embedding`].
pub fn spectral_embedding_with(graph: &SparseGraph, dim: usize, seed: Option<u64>, options: &EigenOptions) -> Result<Vec<f64>> {
    let n = graph.n_points();
    if n == 0 {
        return Err(Error::InvalidData("the spectral embedding needs a graph with at least one vertex".into()));
    }
    if dim == 0 {
        return Err(Error::param("dim", 0, "must be at least 1"));
    }
    // Keep only positive weights, so every vertex of a component has a positive degree.
    let graph = if graph.weights().iter().all(|&w| w > 0.0) {
        Cow::Borrowed(graph)
    } else {
        let mut kept = graph.clone();
        kept.retain(|_, _, w| w > 0.0);
        Cow::Owned(kept)
    };
    let (nc, labels) = connected_components(&graph);
    if nc == 1 && !is_tiny(n, dim) {
        Ok(laplacian_eigenvectors_with(&graph, dim, seed, options)?.1)
    } else {
        multi_component_layout(&graph, dim, nc, &labels, seed, options)
    }
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
fn multi_component_layout(graph: &SparseGraph, dim: usize, nc: usize, labels: &[u32], seed: Option<u64>, options: &EigenOptions) -> Result<Vec<f64>> {
    let n = labels.len();
    let seeds = SeedSource::new(seed);
    let (meta, r) = meta_positions(nc, dim);
    // Each vertex's component and its number within it.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); nc];
    let mut local = vec![0u32; n];
    for (v, &l) in labels.iter().enumerate() {
        local[v] = members[l as usize].len() as u32;
        members[l as usize].push(v as u32);
    }
    // The components' eigenproblems are independent: they are solved as many at a time as there
    // are threads (each draws from its own seed, so the result does not depend on the threads).
    // One at a time, each component's solver had too little work per parallel product to keep
    // both cores busy. All at once, a thread waiting inside one component's products started
    // others, and their solvers' memory added up (on 1M points in 20 components, 1.75 GB
    // instead of 1.07 GB).
    let solve = |c: usize| -> Result<Option<(f64, Vec<f64>)>> {
        let verts = &members[c];
        if is_tiny(verts.len(), dim) {
            return Ok(None);
        }
        let sub_seed = Some(seeds.value(STAGE_COMPONENT, c as u64));
        let (_, vectors) = laplacian_eigenvectors_with(&graph.component(verts, &local), dim, sub_seed, options)?;
        let max = vectors.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        Ok(Some((if max > 0.0 { r / max } else { 0.0 }, vectors)))
    };
    let (at_once, mut solved) = (rayon::current_num_threads(), Vec::with_capacity(nc));
    for first in (0..nc).step_by(at_once) {
        let batch: Vec<_> = (first..nc.min(first + at_once)).into_par_iter().map(solve).collect::<Result<_>>()?;
        solved.extend(batch);
    }
    let mut out = vec![0.0; n * dim];
    for (c, (verts, solved)) in members.iter().zip(solved).enumerate() {
        let centre = &meta[c * dim..(c + 1) * dim];
        let Some((scale, vectors)) = solved else {
            for &v in verts {
                let v = v as usize;
                for d in 0..dim {
                    let u = unit_f64(seeds.value(STAGE_TINY, (v * dim + d) as u64));
                    out[v * dim + d] = centre[d] + r * (2.0 * u - 1.0);
                }
            }
            continue;
        };
        for (t, &v) in verts.iter().enumerate() {
            for d in 0..dim {
                out[v as usize * dim + d] = centre[d] + scale * vectors[t * dim + d];
            }
        }
    }
    Ok(out)
}
