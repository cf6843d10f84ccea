//! Ollivier–Ricci curvature against GraphRicciCurvature 0.6.1 (fixtures/make_curvature_fixtures.py)
//! and closed forms; the transport solver against brute force.

use unfold_learn::NoProgress;
use unfold_learn::data::Data;
use unfold_learn::graph::SparseGraph;
use unfold_learn::measure::curvature::{RicciParams, ollivier_ricci, ollivier_ricci_graph, transport_cost};

use crate::common::fixtures;

fn graph(n: usize, edges: &[(usize, usize, f64)]) -> SparseGraph {
    let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    for &(a, b, w) in edges {
        rows[a].push((b as u32, w as f32));
        rows[b].push((a as u32, w as f32));
    }
    let mut indptr = vec![0];
    let (mut indices, mut weights) = (Vec::new(), Vec::new());
    for mut r in rows {
        r.sort_by_key(|e| e.0);
        indices.extend(r.iter().map(|e| e.0));
        weights.extend(r.iter().map(|e| e.1));
        indptr.push(indices.len());
    }
    SparseGraph::from_parts(n, indptr, indices, weights).unwrap()
}

#[test]
fn matches_graph_ricci_curvature() {
    let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("curvature_expected.json")).unwrap()).unwrap();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n = case["n"].as_u64().unwrap() as usize;
        let edges: Vec<(usize, usize, f64)> = case["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_u64().unwrap() as usize, e[1].as_u64().unwrap() as usize, e[2].as_f64().unwrap()))
            .collect();
        let got = ollivier_ricci_graph(&graph(n, &edges), &RicciParams::default(), &NoProgress).unwrap();
        assert_eq!(got.edges.len(), edges.len(), "{name}");
        for (k, (e, want)) in got.edges.iter().zip(case["edge_curvature"].as_array().unwrap()).enumerate() {
            assert_eq!((e[0] as usize, e[1] as usize), (edges[k].0, edges[k].1), "{name}");
            let want = want.as_f64().unwrap();
            assert!((got.edge_curvature[k] - want).abs() < 1e-5, "{name} edge {e:?}: {} vs {want}", got.edge_curvature[k]);
        }
        for (i, want) in case["node_curvature"].as_array().unwrap().iter().enumerate() {
            assert!((got.node_curvature[i] - want.as_f64().unwrap()).abs() < 1e-5, "{name} node {i}");
        }
    }
}

#[test]
fn closed_forms() {
    // K_n with idleness ½: κ = n / (2 (n − 1)) on every edge.
    for n in [3usize, 5, 12] {
        let edges: Vec<(usize, usize, f64)> = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b, 1.0))).collect();
        let r = ollivier_ricci_graph(&graph(n, &edges), &RicciParams::default(), &NoProgress).unwrap();
        let want = n as f64 / (2.0 * (n as f64 - 1.0));
        assert!(r.edge_curvature.iter().all(|k| (k - want).abs() < 1e-12), "K_{n}: {:?}", r.edge_curvature);
    }
    // The cycle C_n, n ≥ 6, idleness ½: the two measures are shifted copies on a line, W1 = 1, κ = 0.
    for n in [6usize, 10] {
        let edges: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, (i + 1) % n, 1.0)).collect();
        let r = ollivier_ricci_graph(&graph(n, &edges), &RicciParams::default(), &NoProgress).unwrap();
        assert!(r.edge_curvature.iter().chain(&r.node_curvature).all(|k| k.abs() < 1e-12), "C_{n}: {:?}", r.edge_curvature);
    }
}

#[test]
fn transport_matches_brute_force_on_small_problems() {
    // 2 × 2: the optimum is one of the vertices of the transport polytope, t in [max(0, a0 − b1), min(a0, b0)].
    let mut s = 7u64;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..200 {
        let (a0, b0) = (next(), next());
        let a = [a0, 1.0 - a0];
        let b = [b0, 1.0 - b0];
        let c: Vec<f64> = (0..4).map(|_| next() * 3.0).collect();
        let cost = |t: f64| t * c[0] + (a0 - t) * c[1] + (b0 - t) * c[2] + (1.0 - a0 - b0 + t) * c[3];
        let (lo, hi) = ((a0 + b0 - 1.0).max(0.0), a0.min(b0));
        let want = cost(lo).min(cost(hi));
        assert!((transport_cost(&a, &b, &c) - want).abs() < 1e-12);
    }
    // Points on a line with |i − j| costs: W1 is the integral of |F − G|.
    for _ in 0..50 {
        let mut a: Vec<f64> = (0..7).map(|_| next()).collect();
        let mut b: Vec<f64> = (0..7).map(|_| next()).collect();
        let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
        a.iter_mut().for_each(|v| *v /= sa);
        b.iter_mut().for_each(|v| *v /= sb);
        let c: Vec<f64> = (0..49).map(|e| ((e / 7) as f64 - (e % 7) as f64).abs()).collect();
        let (mut fa, mut fb, mut want) = (0.0, 0.0, 0.0);
        for i in 0..6 {
            fa += a[i];
            fb += b[i];
            want += (fa - fb).abs();
        }
        assert!((transport_cost(&a, &b, &c) - want).abs() < 1e-12);
    }
}

#[test]
fn knn_graph_of_points_and_bad_input() {
    // Points on a circle, 2 neighbours (one each side after symmetrising): the cycle, flat.
    let n = 30;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * std::f32::consts::TAU / n as f32;
            [t.cos(), t.sin()]
        })
        .collect();
    let data = Data::from_row_major(&x, n, 2).unwrap();
    let p = RicciParams { n_neighbors: 2, weighted: false, ..RicciParams::default() };
    let r = ollivier_ricci(&data, &p, &NoProgress).unwrap();
    assert_eq!(r.edges.len(), n);
    assert!(r.node_curvature.iter().all(|k| k.abs() < 1e-9), "{:?}", r.node_curvature);
    let one = ollivier_ricci(&data, &RicciParams { n_neighbors: 5, threads: Some(1), ..RicciParams::default() }, &NoProgress).unwrap();
    let two = ollivier_ricci(&data, &RicciParams { n_neighbors: 5, threads: Some(2), ..RicciParams::default() }, &NoProgress).unwrap();
    assert_eq!(one, two);
    let err = |p: RicciParams| ollivier_ricci(&data, &p, &NoProgress).unwrap_err().to_string();
    assert!(err(RicciParams { alpha: 1.5, ..RicciParams::default() }).contains("alpha"));
    assert!(err(RicciParams { n_neighbors: 30, ..RicciParams::default() }).contains("n_neighbors"));
    assert!(err(RicciParams { base: 0.0, ..RicciParams::default() }).contains("base"));
}
