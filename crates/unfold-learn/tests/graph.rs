//! The shared graph module: the checked sparse graph, symmetrisations and Laplacians against
//! dense brute-force computations on small random graphs, Laplacian spectra against their
//! closed forms (paths and cycles), and connected components against a search done here.

// Index loops over dense matrices read as the formulas they check.
#![allow(clippy::needless_range_loop)]

use faer::{Mat, Side};
use unfold_learn::graph::spectral::laplacian_eigenvectors;
use unfold_learn::graph::{LaplacianKind, SparseGraph, Symmetrization, breadth_first_order, connected_components, laplacian, symmetrize};
use unfold_learn::knn::KnnGraph;
use unfold_learn::linalg::lobpcg::CHUNK_ROWS;
use unfold_learn::rng::{SeedSource, unit_f64};

/// A random directed graph on `n` vertices: each pair present with probability `p`, weights in
/// `(0, 1]`, no self-loops; also as a dense matrix.
fn random_graph(n: usize, p: f64, seed: u64) -> (SparseGraph, Vec<Vec<f64>>) {
    let s = SeedSource::new(Some(seed));
    let mut dense = vec![vec![0.0; n]; n];
    let (mut indptr, mut indices, mut weights) = (vec![0], vec![], vec![]);
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i) {
            let u = (i * n + j) as u64;
            if unit_f64(s.value(0, u)) < p {
                let w = (1.0 - unit_f64(s.value(1, u))) as f32;
                dense[i][j] = w as f64;
                indices.push(j as u32);
                weights.push(w);
            }
        }
        indptr.push(indices.len());
    }
    (SparseGraph::from_parts(n, indptr, indices, weights).unwrap(), dense)
}

fn to_dense(g: &SparseGraph) -> Vec<Vec<f64>> {
    let n = g.n_points();
    let mut m = vec![vec![0.0; n]; n];
    for (i, (cols, w)) in g.rows().enumerate() {
        for (&j, &w) in cols.iter().zip(w) {
            m[i][j as usize] = w as f64;
        }
    }
    m
}

/// An undirected graph from an edge list, unit weights.
fn undirected(n: usize, edges: &[(u32, u32)]) -> SparseGraph {
    let mut rows = vec![Vec::new(); n];
    for &(a, b) in edges {
        rows[a as usize].push(b);
        rows[b as usize].push(a);
    }
    let (mut indptr, mut indices) = (vec![0], vec![]);
    for mut r in rows {
        r.sort_unstable();
        indices.extend(r);
        indptr.push(indices.len());
    }
    let w = vec![1.0; indices.len()];
    SparseGraph::from_parts(n, indptr, indices, w).unwrap()
}

fn cycle(n: usize) -> SparseGraph {
    undirected(n, &(0..n as u32).map(|i| (i, (i + 1) % n as u32)).collect::<Vec<_>>())
}

fn path(n: usize) -> SparseGraph {
    undirected(n, &(0..n as u32 - 1).map(|i| (i, i + 1)).collect::<Vec<_>>())
}

fn eigenvalues(m: &Mat<f64>) -> Vec<f64> {
    let evd = m.self_adjoint_eigen(Side::Lower).unwrap();
    let s = evd.S().column_vector();
    (0..m.nrows()).map(|i| s[i]).collect()
}

fn assert_spectrum(got: &[f64], mut want: Vec<f64>, what: &str) {
    want.sort_by(f64::total_cmp);
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() < 1e-10, "{what}: eigenvalue {k}: {g} vs {w}");
    }
}

#[test]
fn from_parts_names_the_broken_invariant_and_row() {
    let err = |n, p: Vec<usize>, i: Vec<u32>, w: Vec<f32>| SparseGraph::from_parts(n, p, i, w).unwrap_err().to_string();
    assert!(err(2, vec![0, 1], vec![1], vec![1.0]).contains("indptr has 2 entries, expected n + 1 = 3"));
    assert!(err(2, vec![0, 1, 2], vec![1, 0], vec![1.0]).contains("2 column indices but 1 weights"));
    assert!(err(2, vec![0, 1, 1], vec![1, 0], vec![1.0, 1.0]).contains("indptr runs from 0 to 1"));
    assert!(err(3, vec![0, 2, 1, 3], vec![1, 2, 0], vec![1.0; 3]).contains("row 1: indptr decreases from 2 to 1"));
    assert!(err(2, vec![0, 1, 2], vec![1, 2], vec![1.0, 1.0]).contains("row 1: column 2 is not a vertex (at most 1)"));
    assert!(err(3, vec![0, 0, 2, 2], vec![2, 0], vec![1.0, 1.0]).contains("row 1: columns must be strictly increasing, but 2 is followed by 0"));
    assert!(err(3, vec![0, 0, 2, 2], vec![0, 0], vec![1.0, 1.0]).contains("row 1: columns must be strictly increasing, but 0 is followed by 0"));
    assert!(err(2, vec![0, 1, 2], vec![1, 0], vec![1.0, -0.5]).contains("row 1: the weight of column 0 is -0.5, expected a finite number of at least 0"));
    assert!(err(2, vec![0, 1, 2], vec![1, 0], vec![f32::NAN, 1.0]).contains("row 0: the weight of column 1 is NaN"));
    assert!(err(2, vec![0, 1, 2], vec![1, 0], vec![1.0, f32::INFINITY]).contains("row 1: the weight of column 0 is inf"));
    assert!(SparseGraph::from_parts(0, vec![0], vec![], vec![]).is_ok());
}

/// The transpose works in blocks of 65,536 old rows and 4,096 new ones: a graph spanning
/// several of each, with empty rows and rows of many edges, against the edges sorted directly.
#[test]
fn transpose_across_blocks_matches_the_sorted_edge_list() {
    let n = 150_001;
    let s = SeedSource::new(Some(7));
    let (mut indptr, mut indices, mut weights) = (vec![0], vec![], vec![]);
    let mut edges = Vec::new();
    for i in 0..n {
        // Every 10th row empty, every 1000th with 300 edges, the rest with 0–7.
        let count = if i % 10 == 0 {
            0
        } else if i % 1000 == 1 {
            300
        } else {
            (s.value(0, i as u64) % 8) as usize
        };
        let mut cols: Vec<u32> = (0..count).map(|c| (s.value(1, (i * 300 + c) as u64) % n as u64) as u32).collect();
        cols.sort_unstable();
        cols.dedup();
        for &j in &cols {
            let w = unit_f64(s.value(2, (i as u64) << 32 | j as u64)) as f32;
            edges.push((j, i as u32, w));
            weights.push(w);
        }
        indices.extend(cols);
        indptr.push(indices.len());
    }
    let g = SparseGraph::from_parts(n, indptr, indices, weights).unwrap();
    edges.sort_unstable_by_key(|&(j, i, _)| (j, i));
    let t = g.transpose();
    let mut want_ptr = vec![0usize; n + 1];
    for &(j, _, _) in &edges {
        want_ptr[j as usize + 1] += 1;
    }
    for i in 0..n {
        want_ptr[i + 1] += want_ptr[i];
    }
    assert_eq!(t.indptr(), want_ptr);
    assert!(t.indices().iter().eq(edges.iter().map(|e| &e.1)));
    assert!(t.weights().iter().eq(edges.iter().map(|e| &e.2)));
    assert_eq!(t.transpose(), g);
    assert_eq!(SparseGraph::from_parts(0, vec![0], vec![], vec![]).unwrap().transpose().n_points(), 0);
}

#[test]
fn rows_transpose_degrees_and_subgraphs_match_the_dense_matrix() {
    for seed in 0..5 {
        let (g, dense) = random_graph(23, 0.2, seed);
        let t = g.transpose();
        let n = g.n_points();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(t.weight(i, j) as f64, dense[j][i]);
                assert_eq!(g.weight(i, j) as f64, dense[i][j]);
            }
        }
        assert_eq!(t.transpose(), g);
        assert!(!g.is_symmetric());
        let deg = g.degrees();
        for i in 0..n {
            let want: f64 = dense[i].iter().sum();
            assert!((deg[i] - want).abs() < 1e-12);
        }
        // Induced subgraph on the even vertices.
        let keep: Vec<u32> = (0..n as u32).step_by(2).collect();
        let sub = g.subgraph(&keep);
        for (a, &i) in keep.iter().enumerate() {
            for (b, &j) in keep.iter().enumerate() {
                assert_eq!(sub.weight(a, b) as f64, dense[i as usize][j as usize]);
            }
        }
        let mut light = g.clone();
        light.retain(|_, _, w| w < 0.5);
        assert!(light.weights().iter().all(|&w| w < 0.5));
        assert_eq!(light.nnz(), g.weights().iter().filter(|&&w| w < 0.5).count());
    }
}

#[test]
fn from_knn_sorts_each_row_by_column() {
    let knn = KnnGraph::from_parts(4, 2, vec![3, 1, 0, 2, 1, 3, 2, 0], vec![0.5, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]).unwrap();
    let g = SparseGraph::from_knn(&knn);
    for i in 0..4 {
        let (idx, dist) = knn.neighbors(i);
        for (&j, &d) in idx.iter().zip(dist) {
            assert_eq!(g.weight(i, j as usize), d);
        }
        assert!(g.row(i).0.windows(2).all(|w| w[0] < w[1]));
    }
    assert_eq!(g.nnz(), 8);
}

/// A symmetrisation, its formula for a pair of entries, and whether it drops entries that come out 0.
type Formula = (Symmetrization, fn(f64, f64) -> f64, bool);

#[test]
fn symmetrisations_match_their_formulas() {
    let formulas: [Formula; 5] = [
        (Symmetrization::Max, |a, b| a.max(b), false),
        (Symmetrization::Mean, |a, b| (a + b) / 2.0, false),
        (Symmetrization::FuzzyUnion, |a, b| a + b - a * b, true),
        (Symmetrization::FuzzyIntersection, |a, b| a * b, true),
        (Symmetrization::FuzzyMix(0.3), |a, b| 0.3 * (a + b - a * b) + 0.7 * a * b, true),
    ];
    for seed in 0..5 {
        let (g, dense) = random_graph(19, 0.25, 10 + seed);
        let n = g.n_points();
        for (how, f, drops) in formulas {
            let s = symmetrize(&g, how).unwrap();
            assert!(s.is_symmetric(), "{how:?}");
            for i in 0..n {
                for j in 0..n {
                    let (a, b) = (dense[i][j], dense[j][i]);
                    let want = if a == 0.0 && b == 0.0 { 0.0 } else { f(a, b) };
                    assert!((s.weight(i, j) as f64 - want).abs() < 1e-6, "{how:?} ({i}, {j}): {} vs {want}", s.weight(i, j));
                    // Stored exactly where an entry exists in either direction (fuzzy: and non-zero).
                    let stored = s.row(i).0.binary_search(&(j as u32)).is_ok();
                    assert_eq!(stored, (a > 0.0 || b > 0.0) && !(drops && want == 0.0), "{how:?} ({i}, {j}) stored");
                }
            }
        }
        // The mix at its ends is the union and the intersection, bit for bit.
        assert_eq!(symmetrize(&g, Symmetrization::FuzzyMix(1.0)).unwrap(), symmetrize(&g, Symmetrization::FuzzyUnion).unwrap());
        assert_eq!(symmetrize(&g, Symmetrization::FuzzyMix(0.0)).unwrap(), symmetrize(&g, Symmetrization::FuzzyIntersection).unwrap());
    }
    let (g, _) = random_graph(5, 0.5, 1);
    let e = symmetrize(&g, Symmetrization::FuzzyMix(1.5)).unwrap_err().to_string();
    assert!(e.contains("set_op_mix_ratio") && e.contains("must be in [0, 1]"), "{e}");
    let heavy = SparseGraph::from_parts(2, vec![0, 0, 1], vec![0], vec![2.0]).unwrap();
    let e = symmetrize(&heavy, Symmetrization::FuzzyUnion).unwrap_err().to_string();
    assert!(e.contains("row 1, column 0 has the weight 2"), "{e}");
    assert!(symmetrize(&heavy, Symmetrization::Max).unwrap().is_symmetric());
}

/// The Laplacian of `kind` built densely from its definition.
fn dense_laplacian(w: &[Vec<f64>], kind: LaplacianKind) -> Vec<Vec<f64>> {
    let n = w.len();
    let d: Vec<f64> = w.iter().map(|r| r.iter().sum()).collect();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            let eye = if i == j && d[i] > 0.0 { 1.0 } else { 0.0 };
            l[i][j] = match kind {
                LaplacianKind::Unnormalized => (if i == j { d[i] } else { 0.0 }) - w[i][j],
                LaplacianKind::SymmetricNormalized => eye - if d[i] > 0.0 && d[j] > 0.0 { w[i][j] / (d[i] * d[j]).sqrt() } else { 0.0 },
                LaplacianKind::RandomWalk => eye - if d[i] > 0.0 { w[i][j] / d[i] } else { 0.0 },
            };
        }
    }
    l
}

const KINDS: [LaplacianKind; 3] = [LaplacianKind::Unnormalized, LaplacianKind::SymmetricNormalized, LaplacianKind::RandomWalk];

#[test]
fn laplacians_match_the_dense_definition() {
    for seed in 0..4 {
        let (g, _) = random_graph(17, 0.2, 30 + seed);
        // Symmetric, with an isolated vertex (the last: its edges removed).
        let mut s = symmetrize(&g, Symmetrization::Max).unwrap();
        s.retain(|i, j, _| i != 16 && j != 16);
        let w = to_dense(&s);
        let n = s.n_points();
        for kind in KINDS {
            let want = dense_laplacian(&w, kind);
            let op = laplacian(&s, kind);
            let dense = op.to_dense();
            let sparse = op.to_sparse().to_dense();
            for i in 0..n {
                for j in 0..n {
                    assert!((dense[(i, j)] - want[i][j]).abs() < 1e-12, "{kind:?} dense ({i}, {j})");
                    assert!((sparse[(i, j)] - want[i][j]).abs() < 1e-12, "{kind:?} sparse ({i}, {j})");
                }
            }
            // Products with blocks of several widths (the fixed-width and the general kernels).
            for b in [1, 3, 17] {
                let x: Vec<f64> = (0..n * b).map(|u| ((u * 7919) % 101) as f64 / 50.0 - 1.0).collect();
                let mut y = vec![f64::NAN; n * b];
                op.apply(&x, &mut y, b);
                for i in 0..n {
                    for c in 0..b {
                        let want: f64 = (0..n).map(|j| want[i][j] * x[j * b + c]).sum();
                        assert!((y[i * b + c] - want).abs() < 1e-12, "{kind:?} b = {b} ({i}, {c})");
                    }
                }
            }
        }
    }
}

#[test]
fn laplacian_spectra_of_cycles_and_paths_have_their_closed_forms() {
    use std::f64::consts::PI;
    for n in [3, 4, 7, 12] {
        let c = cycle(n);
        let want: Vec<f64> = (0..n).map(|k| 2.0 - 2.0 * (2.0 * PI * k as f64 / n as f64).cos()).collect();
        assert_spectrum(&eigenvalues(&laplacian(&c, LaplacianKind::Unnormalized).to_dense()), want.clone(), &format!("C{n}"));
        // Every degree is 2: L_sym = L / 2, and L_rw = L_sym.
        let half: Vec<f64> = want.iter().map(|v| v / 2.0).collect();
        assert_spectrum(&eigenvalues(&laplacian(&c, LaplacianKind::SymmetricNormalized).to_dense()), half.clone(), &format!("C{n} sym"));
        let (rw, sym) = (laplacian(&c, LaplacianKind::RandomWalk).to_dense(), laplacian(&c, LaplacianKind::SymmetricNormalized).to_dense());
        assert!((0..n).all(|i| (0..n).all(|j| (rw[(i, j)] - sym[(i, j)]).abs() < 1e-15)), "C{n}: L_rw ≠ L_sym");
        // The path P_n: 2 − 2 cos(πk/n).
        let p = path(n);
        let want: Vec<f64> = (0..n).map(|k| 2.0 - 2.0 * (PI * k as f64 / n as f64).cos()).collect();
        assert_spectrum(&eigenvalues(&laplacian(&p, LaplacianKind::Unnormalized).to_dense()), want, &format!("P{n}"));
        // The iterative-solver entry point on the cycle: 1 − cos(2πk/n), k = 1, 2 (dense below 2,000).
        if n >= 4 {
            let (values, _) = laplacian_eigenvectors(&c, 2, Some(1)).unwrap();
            let mut sorted = half.clone();
            sorted.sort_by(f64::total_cmp);
            assert_spectrum(&values, sorted[1..3].to_vec(), &format!("C{n} eigenvectors"));
        }
    }
}

#[test]
fn random_walk_laplacian_is_similar_to_the_symmetric_one() {
    // L_rw = D^{-1/2} L_sym D^{1/2}.
    let (g, _) = random_graph(15, 0.3, 50);
    let s = symmetrize(&g, Symmetrization::Mean).unwrap();
    let d = s.degrees();
    let (rw, sym) = (laplacian(&s, LaplacianKind::RandomWalk).to_dense(), laplacian(&s, LaplacianKind::SymmetricNormalized).to_dense());
    for i in 0..15 {
        for j in 0..15 {
            assert!((rw[(i, j)] - sym[(i, j)] * (d[j] / d[i]).sqrt()).abs() < 1e-12);
        }
    }
}

#[test]
fn laplacian_products_are_identical_at_one_and_two_threads() {
    let n = 2 * CHUNK_ROWS + 77;
    let edges: Vec<(u32, u32)> = (0..n as u32).flat_map(|i| [(i, (i + 1) % n as u32), (i, (i * 31 + 7) % n as u32)]).filter(|(a, b)| a != b).collect();
    let mut rows = vec![std::collections::BTreeMap::new(); n];
    for (k, &(a, b)) in edges.iter().enumerate() {
        let w = 0.1 + (k % 13) as f32 / 13.0;
        rows[a as usize].insert(b, w);
        rows[b as usize].insert(a, w);
    }
    let (mut indptr, mut indices, mut weights) = (vec![0], vec![], vec![]);
    for r in rows {
        for (j, w) in r {
            indices.push(j);
            weights.push(w);
        }
        indptr.push(indices.len());
    }
    let g = SparseGraph::from_parts(n, indptr, indices, weights).unwrap();
    let x: Vec<f64> = (0..n * 5).map(|u| ((u * 104_729) % 1009) as f64 / 1009.0).collect();
    for kind in KINDS {
        let op = laplacian(&g, kind);
        let run = |t: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
            let mut y = vec![0.0; n * 5];
            pool.install(|| op.apply(&x, &mut y, 5));
            y
        };
        let (a, b) = (run(1), run(2));
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()), "{kind:?}");
    }
}

#[test]
fn connected_components_match_a_search_done_here() {
    for seed in 0..6 {
        let (g, dense) = random_graph(40, 0.03, 70 + seed);
        let (nc, labels) = connected_components(&g);
        // Reference: repeated flood fill over the undirected adjacency.
        let n = 40;
        let mut want = vec![usize::MAX; n];
        let mut count = 0;
        for root in 0..n {
            if want[root] != usize::MAX {
                continue;
            }
            let mut stack = vec![root];
            want[root] = count;
            while let Some(v) = stack.pop() {
                for u in 0..n {
                    if (dense[v][u] > 0.0 || dense[u][v] > 0.0) && want[u] == usize::MAX {
                        want[u] = count;
                        stack.push(u);
                    }
                }
            }
            count += 1;
        }
        assert_eq!(nc, count);
        assert_eq!(labels.iter().map(|&l| l as usize).collect::<Vec<_>>(), want);
        // Breadth-first order visits every vertex once.
        let mut order = breadth_first_order(&g);
        order.sort_unstable();
        assert_eq!(order, (0..n as u32).collect::<Vec<_>>());
    }
}
