//! Gromov δ-hyperbolicity: trees have δ = 0, cycles their closed form, and the exact method
//! equals the brute-force maximum over all quadruples of small random graphs.

use unfold_learn::data::Data;
use unfold_learn::measure::hyperbolicity::{HyperbolicityMethod, HyperbolicityParams, base_point_delta, hyperbolicity, quadruple_delta};
use unfold_learn::{Metric, NoProgress};

/// A small deterministic generator, independent of the crate's.
fn lcg(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *state >> 33
}

/// All-pairs shortest paths of a weighted edge list by Floyd–Warshall (in f64, then f32).
fn floyd(n: usize, edges: &[(usize, usize, f64)]) -> Vec<f32> {
    let mut d = vec![f64::INFINITY; n * n];
    (0..n).for_each(|i| d[i * n + i] = 0.0);
    for &(a, b, w) in edges {
        d[a * n + b] = d[a * n + b].min(w);
        d[b * n + a] = d[b * n + a].min(w);
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                let v = d[i * n + k] + d[k * n + j];
                if v < d[i * n + j] {
                    d[i * n + j] = v;
                }
            }
        }
    }
    d.iter().map(|&v| v as f32).collect()
}

fn brute_force(d: &[f32], n: usize) -> f64 {
    let mut best = 0f64;
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                for e in c + 1..n {
                    best = best.max(quadruple_delta(d, n, [a, b, c, e]));
                }
            }
        }
    }
    best
}

fn precomputed(method: HyperbolicityMethod) -> HyperbolicityParams {
    HyperbolicityParams { metric: Metric::Precomputed, method, n_samples: 200_000, seed: Some(1), ..HyperbolicityParams::default() }
}

fn delta_of(d: &[f32], n: usize, method: HyperbolicityMethod) -> unfold_learn::measure::hyperbolicity::Hyperbolicity {
    hyperbolicity(&Data::from_row_major(d, n, n).unwrap(), &precomputed(method), &NoProgress).unwrap()
}

#[test]
fn trees_have_delta_zero() {
    let mut s = 11;
    for n in [5, 30, 120] {
        // A random tree: vertex i hangs from a random earlier vertex, random lengths.
        let edges: Vec<(usize, usize, f64)> = (1..n).map(|i| (i, lcg(&mut s) as usize % i, 1.0 + (lcg(&mut s) % 7) as f64)).collect();
        let d = floyd(n, &edges);
        for method in [HyperbolicityMethod::Exact, HyperbolicityMethod::Sampled] {
            assert_eq!(delta_of(&d, n, method).delta, 0.0, "n = {n}, {method:?}");
        }
    }
}

#[test]
fn cycles_have_their_closed_form() {
    // C_n with unit edges: δ = k for n = 4k, 4k + 2, 4k + 3 and k − ½ for n = 4k + 1.
    for n in 4..=41 {
        let edges: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, (i + 1) % n, 1.0)).collect();
        let d = floyd(n, &edges);
        let k = (n / 4) as f64;
        let want = if n % 4 == 1 { k - 0.5 } else { k };
        let got = delta_of(&d, n, HyperbolicityMethod::Exact);
        assert_eq!(got.delta, want, "C_{n}");
        assert_eq!(quadruple_delta(&d, n, got.quadruple), want, "C_{n}: {:?}", got.quadruple);
        assert!(got.delta_base_point.unwrap() <= want && want <= 2.0 * got.delta_base_point.unwrap());
    }
    // Points evenly on a circle with 2 neighbours each: the kNN graph is C_24, edges one chord.
    let n = 24;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * std::f32::consts::TAU / n as f32;
            [t.cos(), t.sin()]
        })
        .collect();
    let p = HyperbolicityParams { n_neighbors: Some(2), ..HyperbolicityParams::default() };
    let h = hyperbolicity(&Data::from_row_major(&x, n, 2).unwrap(), &p, &NoProgress).unwrap();
    let chord = 2.0 * (std::f64::consts::PI / n as f64).sin();
    assert!((h.delta - 6.0 * chord).abs() < 1e-5, "{} vs {}", h.delta, 6.0 * chord);
}

#[test]
fn exact_equals_brute_force_on_random_graphs() {
    let mut s = 5;
    for trial in 0..12 {
        let n = 6 + trial * 3;
        // A random connected graph: a spanning path plus random chords, random weights.
        let mut edges: Vec<(usize, usize, f64)> = (1..n).map(|i| (i - 1, i, 1.0 + (lcg(&mut s) % 10) as f64 / 3.0)).collect();
        for _ in 0..n {
            let (a, b) = (lcg(&mut s) as usize % n, lcg(&mut s) as usize % n);
            if a != b {
                edges.push((a, b, 1.0 + (lcg(&mut s) % 10) as f64 / 2.0));
            }
        }
        let d = floyd(n, &edges);
        let want = brute_force(&d, n);
        let got = delta_of(&d, n, HyperbolicityMethod::Exact);
        assert_eq!(got.delta, want, "trial {trial}, n = {n}");
        assert_eq!(quadruple_delta(&d, n, got.quadruple), want);
        // The base point's δ is the maximum over the quadruples that contain it.
        for w in [0, n / 2, n - 1] {
            let mut at_w = 0f64;
            for a in 0..n {
                for b in a + 1..n {
                    for c in b + 1..n {
                        if ![a, b, c].contains(&w) {
                            at_w = at_w.max(quadruple_delta(&d, n, [a, b, c, w]));
                        }
                    }
                }
            }
            assert!((base_point_delta(&d, n, w) - at_w).abs() < 1e-9, "trial {trial}, w = {w}");
        }
        // Sampling finds a lower bound; many draws on few points find the maximum.
        let sampled = delta_of(&d, n, HyperbolicityMethod::Sampled);
        assert!(sampled.delta <= want);
        if n <= 24 {
            // At most 10,626 quadruples: each is missed by 200,000 draws with probability < 1e-8.
            assert_eq!(sampled.delta, want, "trial {trial}: 200,000 draws of {n} points");
        }
        assert_eq!(sampled.n_quadruples, 200_000);
        assert_eq!(quadruple_delta(&d, n, sampled.quadruple), sampled.delta);
    }
}

#[test]
fn euclidean_points_and_thread_independence() {
    let mut s = 9;
    let n = 60;
    let x: Vec<f32> = (0..n * 3).map(|_| (lcg(&mut s) % 1000) as f32 / 100.0).collect();
    let data = Data::from_row_major(&x, n, 3).unwrap();
    let d: Vec<f32> = (0..n * n)
        .map(|e| {
            let (i, j) = (e / n, e % n);
            (0..3).map(|c| (f64::from(x[i * 3 + c]) - f64::from(x[j * 3 + c])).powi(2)).sum::<f64>().sqrt() as f32
        })
        .collect();
    let want = brute_force(&d, n);
    let got = hyperbolicity(&data, &HyperbolicityParams::default(), &NoProgress).unwrap();
    assert!((got.delta - want).abs() < 1e-5, "{} vs {want}", got.delta);
    let sampled = |threads| {
        let p = HyperbolicityParams {
            method: HyperbolicityMethod::Sampled,
            n_samples: 5000,
            seed: Some(3),
            threads: Some(threads),
            ..HyperbolicityParams::default()
        };
        hyperbolicity(&data, &p, &NoProgress).unwrap()
    };
    assert_eq!(sampled(1), sampled(2));
}

#[test]
fn bad_input_is_named() {
    let x = [0f32, 1.0, 2.0, 3.0, 4.0];
    let data = Data::from_row_major(&x, 5, 1).unwrap();
    let err = |p: HyperbolicityParams| hyperbolicity(&data, &p, &NoProgress).unwrap_err().to_string();
    assert!(err(HyperbolicityParams { n_samples: 0, ..HyperbolicityParams::default() }).contains("n_samples"));
    assert!(err(HyperbolicityParams { n_neighbors: Some(5), ..HyperbolicityParams::default() }).contains("n_neighbors"));
    let three = Data::from_row_major(&x[..3], 3, 1).unwrap();
    assert!(hyperbolicity(&three, &HyperbolicityParams::default(), &NoProgress).unwrap_err().to_string().contains("at least 4 points"));
    // Two far groups with one neighbour each: a disconnected graph.
    let y = [0f32, 0.1, 100.0, 100.1];
    let e =
        hyperbolicity(&Data::from_row_major(&y, 4, 1).unwrap(), &HyperbolicityParams { n_neighbors: Some(1), ..HyperbolicityParams::default() }, &NoProgress)
            .unwrap_err()
            .to_string();
    assert!(e.contains("disconnected"), "{e}");
}
