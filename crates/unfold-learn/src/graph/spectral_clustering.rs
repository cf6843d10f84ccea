//! Spectral clustering of points, as scikit-learn's `SpectralClustering(n_clusters,
//! affinity="nearest_neighbors", assign_labels="cluster_qr")` computes it (the settings the
//! `dse_dsmi` package uses to make classes of a multi-column reference).
//!
//! 1. **Affinity.** The kNN connectivity graph with each point counted among its own
//!    `n_neighbors` (scikit-learn's default 10, `include_self=True`), entries 1, symmetrised as
//!    `(A + Aᵀ)/2`. Neighbours are exact (all pairs), as scikit-learn's.
//! 2. **Embedding** (`spectral_embedding(..., drop_first=False)`): the eigenvectors `v` of the
//!    `n_clusters` largest eigenvalues of `D^{-1/2} A D^{-1/2}` (the smallest of the normalised
//!    Laplacian; degrees without the diagonal, as SciPy's `laplacian(normed=True)`), each divided
//!    by `√d` ([`eigsh`]: dense up to 2,000 points, LOBPCG above).
//! 3. **Labels** by `cluster_qr` (Damle, Minden & Ying 2019): the rows picked by a QR
//!    factorisation with column pivoting of the embedding's transpose (the row of largest
//!    remaining norm, `n_clusters` times), the polar factor `R = U Vᵀ` of those rows'
//!    `k × k` block (its SVD `U S Vᵀ`), and each point's label the column of largest `|u R|`.
//!    No random start: the labels are the same for any basis of the eigenspace up to signs.
//!
//! On well-separated groups the graph falls apart into its components, the eigenspace of
//! eigenvalue 1 is spanned by their indicators, and the labels are the components.

use faer::Mat;

use super::csr::SparseGraph;
use super::laplacian::normalized_adjacency;
use super::symmetrize::{Symmetrization, symmetrize};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::{KnnAlgorithm, KnnParams, knn_graph, sparse_knn_graph};
use crate::linalg::eigsh::{EigshOptions, Start, Which, eigsh};
use crate::linalg::lobpcg::LobpcgOptions;
use crate::method::FitRows;
use crate::progress::Progress;

const STAGE: &str = "spectral clustering (Laplacian eigenvectors)";

/// scikit-learn's `kneighbors_graph(X, n_neighbors, include_self=True)` (connectivity), then
/// `(A + Aᵀ)/2`: each row holds the point itself and its `n_neighbors − 1` nearest others, found
/// by `algorithm` (on dense or sparse rows). Shared with the spectral embedding's
/// `nearest_neighbors` affinity.
pub(crate) fn connectivity(rows: FitRows, n_neighbors: usize, algorithm: KnnAlgorithm, seed: Option<u64>, progress: &dyn Progress) -> Result<SparseGraph> {
    let n = rows.n_rows();
    let knn = if n_neighbors > 1 {
        let params = KnnParams { k: n_neighbors - 1, algorithm, seed, ..KnnParams::default() };
        Some(match rows {
            FitRows::Dense(data) => knn_graph(data, &params, progress)?,
            FitRows::Sparse(x) => sparse_knn_graph(x, &params, progress)?,
        })
    } else {
        None
    };
    let mut indptr = vec![0usize];
    let mut indices = Vec::with_capacity(n * n_neighbors);
    let mut row: Vec<u32> = Vec::with_capacity(n_neighbors);
    for i in 0..n {
        row.clear();
        row.push(i as u32);
        if let Some(g) = &knn {
            row.extend_from_slice(g.neighbors(i).0);
        }
        row.sort_unstable();
        indices.extend_from_slice(&row);
        indptr.push(indices.len());
    }
    drop(knn);
    let weights = vec![1.0f32; indices.len()];
    symmetrize(&SparseGraph::from_parts(n, indptr, indices, weights)?, Symmetrization::Mean)
}

/// scikit-learn's `cluster_qr` on the `n × k` row-major embedding `u`: the label of each row.
pub fn cluster_qr(u: &[f64], n: usize, k: usize) -> Result<Vec<usize>> {
    // Pivoted Gram–Schmidt on the rows: each step takes the row of largest remaining norm
    // (the first on ties, as LAPACK's pivoting) and removes its direction from the others.
    let mut rest = u.to_vec();
    let mut norms: Vec<f64> = rest.chunks(k).map(|r| r.iter().map(|x| x * x).sum()).collect();
    let mut taken = vec![false; n];
    let mut pivots = Vec::with_capacity(k);
    for _ in 0..k.min(n) {
        let p = (0..n).filter(|&i| !taken[i]).fold(None, |best: Option<usize>, i| match best {
            Some(b) if norms[b] >= norms[i] => Some(b),
            _ => Some(i),
        });
        let Some(p) = p else { break };
        taken[p] = true;
        pivots.push(p);
        let q: Vec<f64> = rest[p * k..(p + 1) * k].to_vec();
        let qq: f64 = q.iter().map(|x| x * x).sum();
        if qq <= 0.0 {
            continue;
        }
        for i in 0..n {
            if taken[i] {
                continue;
            }
            let row = &mut rest[i * k..(i + 1) * k];
            let c = row.iter().zip(&q).map(|(a, b)| a * b).sum::<f64>() / qq;
            for (a, b) in row.iter_mut().zip(&q) {
                *a -= c * b;
            }
            norms[i] = row.iter().map(|x| x * x).sum();
        }
    }
    // svd(u[pivots].T) = U S Vᵀ; R = U Vᵀ.
    let block = Mat::<f64>::from_fn(k, pivots.len(), |r, c| u[pivots[c] * k + r]);
    let svd = block.as_ref().thin_svd().map_err(|e| Error::Numerical { stage: STAGE, message: format!("SVD did not converge ({e:?})") })?;
    let (us, vs) = (svd.U(), svd.V());
    let m = pivots.len();
    let rot = Mat::<f64>::from_fn(k, m, |r, c| (0..m).map(|l| us[(r, l)] * vs[(c, l)]).sum());
    Ok((0..n)
        .map(|i| {
            let row = &u[i * k..(i + 1) * k];
            let mut best = (0, f64::NEG_INFINITY);
            for c in 0..m {
                let v = (0..k).map(|r| row[r] * rot[(r, c)]).sum::<f64>().abs();
                if v > best.1 {
                    best = (c, v);
                }
            }
            best.0
        })
        .collect())
}

/// The spectral clustering labels `0..n_clusters` of the rows of `data` (see the
/// [module docs](self)).
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::graph::spectral_clustering::spectral_clustering;
/// // Two groups of 12 points on a line, far apart.
/// let x: Vec<f32> = (0..24).map(|i| if i < 12 { i as f32 } else { 100.0 + i as f32 }).collect();
/// let labels = spectral_clustering(&Data::from_row_major(&x, 24, 1)?, 2, 10, Some(0), &NoProgress)?;
/// assert!(labels[..12].iter().all(|&l| l == labels[0]) && labels[12..].iter().all(|&l| l == labels[12]));
/// assert_ne!(labels[0], labels[12]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_clusters` outside `[1, n]` or `n_neighbors` outside
/// `[1, n]`; [`Error::Numerical`] if the eigensolver fails; [`Error::Cancelled`].
pub fn spectral_clustering(data: &Data, n_clusters: usize, n_neighbors: usize, seed: Option<u64>, progress: &dyn Progress) -> Result<Vec<usize>> {
    let n = data.n_rows();
    if n_clusters == 0 || n_clusters > n {
        return Err(Error::param("n_clusters", n_clusters, format!("must be in [1, n_samples = {n}] for spectral clustering")));
    }
    if n_neighbors == 0 || n_neighbors > n {
        return Err(Error::param("n_neighbors", n_neighbors, format!("must be in [1, n_samples = {n}] for spectral clustering (the point itself counted)")));
    }
    let mut graph = connectivity(FitRows::Dense(data), n_neighbors, KnnAlgorithm::Exact, seed, progress)?;
    progress.check()?;
    graph.retain(|i, j, w| j as usize != i && w != 0.0);
    let degree = graph.degrees();
    let m = normalized_adjacency(&graph);
    drop(graph);
    let options = EigshOptions { shift: 1.0, lobpcg: LobpcgOptions { tol: 1e-5, max_iter: 2000 }, ..EigshOptions::default() };
    let found = eigsh(&m, n_clusters, Which::Largest, None, Start::Seed(seed), &options, STAGE)?;
    let k = n_clusters;
    let mut u = found.vectors;
    for (i, row) in u.chunks_mut(k).enumerate() {
        let dd = if degree[i] > 0.0 { degree[i].sqrt() } else { 1.0 };
        row.iter_mut().for_each(|x| *x /= dd);
    }
    cluster_qr(&u, n, k)
}
