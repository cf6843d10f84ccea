//! UMAP's spectral initialisation: the iterative eigensolver against a dense decomposition built
//! here, the layout against the dense eigenvectors, disconnected graphs laid out apart,
//! thread-count independence and connected components.

use std::collections::BTreeMap;

use faer::{Mat, Side};
use unfold_learn::embed::umap::spectral::{EigenOptions, spectral_layout, spectral_layout_with};
use unfold_learn::graph::spectral::{laplacian_eigenvectors, laplacian_eigenvectors_with};
use unfold_learn::graph::{SparseGraph, connected_components};
use unfold_learn::knn::{KnnAlgorithm, KnnParams, knn};
use unfold_learn::linalg::lobpcg::{CHUNK_ROWS, LobpcgOptions};
use unfold_learn::prelude::Data;
use unfold_learn::rng::{SeedSource, normal_f64};

/// A symmetric CSR graph.
type Csr = SparseGraph;

/// Gaussian points with per-axis scales, shifted by `offset` (`n × scales.len()`).
fn cloud(n: usize, scales: &[f64], offset: f64, seed: u64) -> Vec<f64> {
    let s = SeedSource::new(Some(seed));
    let d = scales.len();
    (0..n * d).map(|u| offset + scales[u % d] * normal_f64(s.value(0, 2 * u as u64), s.value(0, 2 * u as u64 + 1))).collect()
}

/// Brute-force kNN graph, weights `exp(−dist / mean dist)`, symmetrised by the maximum.
fn knn_csr(x: &[f64], d: usize, k: usize) -> Csr {
    let n = x.len() / d;
    let dist = |i: usize, j: usize| (0..d).map(|c| (x[i * d + c] - x[j * d + c]).powi(2)).sum::<f64>().sqrt();
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    for i in 0..n {
        let mut row: Vec<(f64, usize)> = (0..n).filter(|&j| j != i).map(|j| (dist(i, j), j)).collect();
        row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        edges.extend(row[..k].iter().map(|&(dd, j)| (i, j, dd)));
    }
    let mean = edges.iter().map(|e| e.2).sum::<f64>() / edges.len() as f64;
    let mut map: BTreeMap<(u32, u32), f32> = BTreeMap::new();
    for &(i, j, dd) in &edges {
        let w = (-dd / mean).exp() as f32;
        for key in [(i as u32, j as u32), (j as u32, i as u32)] {
            let e = map.entry(key).or_insert(0.0);
            *e = e.max(w);
        }
    }
    from_edges(n, &map)
}

fn from_edges(n: usize, map: &BTreeMap<(u32, u32), f32>) -> Csr {
    let mut indptr = vec![0usize; n + 1];
    let (mut indices, mut weights) = (Vec::new(), Vec::new());
    for (&(i, j), &w) in map {
        indptr[i as usize + 1] += 1;
        indices.push(j);
        weights.push(w);
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    SparseGraph::from_parts(n, indptr, indices, weights).unwrap()
}

/// The anisotropic 300-point cloud used by the eigenvector tests (connected, well separated
/// low eigenvalues).
fn connected_graph() -> Csr {
    knn_csr(&cloud(300, &[3.0, 1.0, 0.3], 0.0, 11), 3, 10)
}

/// Smallest eigenpairs of `L = I − D^{-1/2} W D^{-1/2}`, built and decomposed densely here.
fn dense_laplacian(g: &Csr) -> (Vec<f64>, Mat<f64>) {
    let n = g.indptr().len() - 1;
    let deg: Vec<f64> = (0..n).map(|i| g.weights()[g.indptr()[i]..g.indptr()[i + 1]].iter().map(|&w| w as f64).sum()).collect();
    let mut l = Mat::<f64>::identity(n, n);
    for i in 0..n {
        for e in g.indptr()[i]..g.indptr()[i + 1] {
            let j = g.indices()[e] as usize;
            l[(i, j)] -= g.weights()[e] as f64 / (deg[i] * deg[j]).sqrt();
        }
    }
    let evd = l.self_adjoint_eigen(Side::Lower).unwrap();
    let s = evd.S().column_vector();
    ((0..n).map(|i| s[i]).collect(), evd.U().to_owned())
}

fn assert_matches_dense(values: &[f64], vectors: &[f64], k: usize, want_values: &[f64], want: &Mat<f64>, what: &str) {
    let n = want.nrows();
    for c in 0..k {
        assert!((values[c] - want_values[c + 1]).abs() < 1e-4, "{what}: eigenvalue {c}: {} vs dense {}", values[c], want_values[c + 1]);
        let dot: f64 = (0..n).map(|i| vectors[i * k + c] * want[(i, c + 1)]).sum();
        let norm: f64 = (0..n).map(|i| vectors[i * k + c].powi(2)).sum::<f64>().sqrt();
        assert!(dot.abs() / norm >= 0.999, "{what}: vector {c}: |cos| = {}", dot.abs() / norm);
    }
}

#[test]
fn sparse_and_dense_solvers_match_a_dense_laplacian_decomposition() {
    let g = connected_graph();
    assert_eq!(connected_components(&g).0, 1);
    let (want_values, want) = dense_laplacian(&g);
    let k = 3;
    // The comparison is only meaningful if the wanted eigenvalues are separated.
    for c in 1..=k {
        assert!(want_values[c + 1] - want_values[c] > 1e-3, "eigenvalues {c}, {} nearly equal: {want_values:?}", c + 1);
    }
    // A tight tolerance, so the comparison tests the solver rather than the initialisation's budget.
    let tight = LobpcgOptions { tol: 1e-6, ..Default::default() };
    let sparse = EigenOptions { dense_max: 0, extra_vectors: 8, lobpcg: tight };
    let (values, vectors) = laplacian_eigenvectors_with(&g, k, Some(3), &sparse).unwrap();
    assert_matches_dense(&values, &vectors, k, &want_values, &want, "LOBPCG");
    let (values, vectors) = laplacian_eigenvectors(&g, k, Some(3)).unwrap();
    assert_matches_dense(&values, &vectors, k, &want_values, &want, "dense");
}

/// Three separate blobs and one isolated vertex (the last).
fn disconnected_graph() -> Csr {
    let mut x = Vec::new();
    for (b, offset) in [0.0, 50.0, -50.0].into_iter().enumerate() {
        x.extend(cloud(100, &[1.0, 1.0], offset, 20 + b as u64));
    }
    let (n, mut indptr, indices, weights) = knn_csr(&x, 2, 8).into_parts();
    indptr.push(*indptr.last().unwrap());
    SparseGraph::from_parts(n + 1, indptr, indices, weights).unwrap()
}

#[test]
fn disconnected_graph_gives_finite_coordinates_in_the_box() {
    let g = disconnected_graph();
    let (nc, labels) = connected_components(&g);
    assert_eq!(nc, 4, "labels {labels:?}");
    for dim in [1, 2, 3] {
        let y = spectral_layout(&g, dim, Some(5)).unwrap();
        assert_eq!(y.len(), 301 * dim);
        assert!(y.iter().all(|v| v.is_finite() && (0.0..=10.0).contains(v)), "dim {dim}: {y:?}");
    }
    // Many components (more than 2·dim): grid meta positions; only isolated vertices and pairs.
    let mut map = BTreeMap::new();
    for i in (0..40u32).step_by(2) {
        map.insert((i, i + 1), 1.0f32);
        map.insert((i + 1, i), 1.0f32);
    }
    let h = from_edges(50, &map);
    let y = spectral_layout(&h, 2, Some(5)).unwrap();
    assert!(y.iter().all(|v| v.is_finite() && (0.0..=10.0).contains(v)));
    // No edges at all, and zero weights.
    let y = spectral_layout(&SparseGraph::from_parts(3, vec![0; 4], vec![], vec![]).unwrap(), 2, Some(1)).unwrap();
    assert!(y.iter().all(|v| v.is_finite()));
    let y = spectral_layout(&SparseGraph::from_parts(2, vec![0, 1, 2], vec![1, 0], vec![0.0, 0.0]).unwrap(), 2, None).unwrap();
    assert!(y.iter().all(|v| v.is_finite()));
}

/// A kNN graph as [`knn_csr`] builds it, with the neighbours from the library's exact search
/// (for graphs too large for the brute force here).
fn large_knn_csr(x: &[f64], d: usize, k: usize) -> Csr {
    let n = x.len() / d;
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let data = Data::from_row_major(&x32, n, d).unwrap();
    let g = knn(&data, &KnnParams { k, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    let mean = g.distances().iter().map(|&v| v as f64).sum::<f64>() / (n * k) as f64;
    let mut map: BTreeMap<(u32, u32), f32> = BTreeMap::new();
    for i in 0..n {
        let (idx, dist) = g.neighbors(i);
        for (&j, &dd) in idx.iter().zip(dist) {
            let w = (-(dd as f64) / mean).exp() as f32;
            for key in [(i as u32, j), (j, i as u32)] {
                let e = map.entry(key).or_insert(0.0);
                *e = e.max(w);
            }
        }
    }
    from_edges(n, &map)
}

#[test]
fn seeded_layout_is_identical_at_one_and_two_threads() {
    // Components of several chunks of the iterative solver's block products, so that products
    // and reductions are split between tasks.
    let (n, half) = (2 * CHUNK_ROWS + 300, CHUNK_ROWS + 300);
    assert!(n.div_ceil(CHUNK_ROWS) > 2 && half.div_ceil(CHUNK_ROWS) > 1);
    let connected = large_knn_csr(&cloud(n, &[3.0, 1.0, 0.3], 0.0, 12), 3, 15);
    let mut two = cloud(half, &[3.0, 1.0, 0.3], 0.0, 13);
    two.extend(cloud(half, &[1.0, 2.0, 0.5], 100.0, 14));
    let disconnected = large_knn_csr(&two, 3, 15);
    let sparse = EigenOptions { dense_max: 0, ..Default::default() };
    let run =
        |t: usize, g: &Csr| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| spectral_layout_with(g, 2, Some(9), &sparse).unwrap());
    // The connected graph's eigenvectors themselves, in f64: the layout's rounding to f32 would
    // hide a difference in the last bits.
    assert_eq!(connected_components(&connected).0, 1);
    let vectors = |t: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
        pool.install(|| laplacian_eigenvectors_with(&connected, 2, Some(9), &sparse).unwrap())
    };
    assert!(vectors(1) == vectors(2), "eigenvectors differ between 1 and 2 threads");
    // A layout of two such components.
    assert_eq!(connected_components(&disconnected).0, 2);
    let (a, b) = (run(1, &disconnected), run(2, &disconnected));
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "layouts differ between 1 and 2 threads");
}

/// Pearson correlation.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let (va, vb): (f64, f64) = (a.iter().map(|x| (x - ma).powi(2)).sum(), b.iter().map(|y| (y - mb).powi(2)).sum());
    cov / (va * vb).sqrt()
}

#[test]
fn layout_of_a_connected_graph_follows_the_dense_eigenvectors() {
    // Each column of the layout is the eigenvector scaled, shifted and lightly noised: it must
    // correlate with the dense decomposition's vector (either sign) almost perfectly.
    let g = connected_graph();
    let (_, want) = dense_laplacian(&g);
    let n = want.nrows();
    let tight = EigenOptions { dense_max: 0, extra_vectors: 8, lobpcg: LobpcgOptions { tol: 1e-6, ..Default::default() } };
    for (what, options) in [("dense", EigenOptions::default()), ("LOBPCG", tight)] {
        for dim in [2, 3] {
            let y = spectral_layout_with(&g, dim, Some(4), &options).unwrap();
            for c in 0..dim {
                let column: Vec<f64> = (0..n).map(|i| y[i * dim + c] as f64).collect();
                let vector: Vec<f64> = (0..n).map(|i| want[(i, c + 1)]).collect();
                let r = correlation(&column, &vector);
                assert!(r.abs() > 0.9999, "{what}, dim {dim}, column {c}: correlation with eigenvector {} is {r}", c + 1);
            }
        }
    }
}

#[test]
fn components_are_laid_out_apart() {
    // The three blobs of `disconnected_graph`: each one's points sit around its own centre, far
    // from the others' relative to their spread.
    let g = disconnected_graph();
    let (_, labels) = connected_components(&g);
    for dim in [1, 2, 3] {
        let y = spectral_layout(&g, dim, Some(5)).unwrap();
        let point = |i: usize| -> Vec<f64> { (0..dim).map(|c| y[i * dim + c] as f64).collect() };
        let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        let members: Vec<Vec<usize>> = (0..3).map(|c| (0..300).filter(|&i| labels[i] == c).collect()).collect();
        let centres: Vec<Vec<f64>> = members.iter().map(|m| (0..dim).map(|d| m.iter().map(|&i| point(i)[d]).sum::<f64>() / m.len() as f64).collect()).collect();
        let spread: Vec<f64> =
            members.iter().zip(&centres).map(|(m, c)| (m.iter().map(|&i| dist(&point(i), c).powi(2)).sum::<f64>() / m.len() as f64).sqrt()).collect();
        for a in 0..3 {
            for b in a + 1..3 {
                let ratio = dist(&centres[a], &centres[b]) / spread[a].max(spread[b]);
                assert!(ratio > 1.5, "dim {dim}: components {a} and {b}: centres {ratio} spreads apart");
            }
        }
        // Boxes of neighbouring components touch (umap-learn's layout), so a point at the edge of
        // a skewed component may lie nearer the next centre; nearly all lie nearer their own.
        let own = (0..300)
            .filter(|&i| (0..3).min_by(|&a, &b| dist(&point(i), &centres[a]).total_cmp(&dist(&point(i), &centres[b]))) == Some(labels[i] as usize))
            .count();
        assert!(own >= 285, "dim {dim}: only {own} of 300 points lie nearer their own component's centre");
    }
}

#[test]
fn connected_components_of_a_small_graph() {
    // 0 – 2 – 4, 1 – 3, 5 – 6 given in one direction only, 7 alone.
    let rows: [&[u32]; 8] = [&[2], &[3], &[0, 4], &[1], &[2], &[], &[5], &[]];
    let mut indptr = vec![0];
    let mut indices = Vec::new();
    for r in rows {
        indices.extend_from_slice(r);
        indptr.push(indices.len());
    }
    let weights = vec![1.0; indices.len()];
    let (nc, labels) = connected_components(&SparseGraph::from_parts(8, indptr, indices, weights).unwrap());
    assert_eq!(nc, 4);
    assert_eq!(labels, vec![0, 1, 0, 1, 0, 2, 2, 3]);
    assert_eq!(connected_components(&SparseGraph::from_parts(0, vec![0], vec![], vec![]).unwrap()), (0, vec![]));
}
