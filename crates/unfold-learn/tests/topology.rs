//! Rips persistence against ripser.py 0.6 and diagram distances against persim
//! (fixtures/make_topology_fixtures.py), plus closed forms.

use unfold_learn::data::Data;
use unfold_learn::measure::topology::diagram_distance::{bottleneck, wasserstein};
use unfold_learn::measure::topology::{RipsParams, rips_persistence};
use unfold_learn::{Metric, NoProgress};

use crate::common::{fixtures, load_fixture};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("topology_expected.json")).unwrap()).unwrap()
}

fn cloud(name: &str) -> Data<'static> {
    let (x, n, d) = load_fixture(&format!("topo_{name}.npy"));
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn diagram(v: &serde_json::Value) -> Vec<[f64; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let death = if p[1].is_string() { f64::INFINITY } else { p[1].as_f64().unwrap() };
            [p[0].as_f64().unwrap(), death]
        })
        .collect()
}

/// Equal as multisets of pairs, to `tol` (both sorted the same way).
fn assert_same_diagram(got: &[[f64; 2]], want: &[[f64; 2]], tol: f64, what: &str) {
    let sorted = |d: &[[f64; 2]]| {
        let mut d = d.to_vec();
        d.sort_by(|a, b| a[1].total_cmp(&b[1]).then(a[0].total_cmp(&b[0])));
        d
    };
    let (g, w) = (sorted(got), sorted(want));
    assert_eq!(g.len(), w.len(), "{what}: {} pairs vs ripser's {}\n{g:?}\n{w:?}", g.len(), w.len());
    for (a, b) in g.iter().zip(&w) {
        let close = |x: f64, y: f64| (x == y) || (x - y).abs() <= tol * y.abs().max(1.0);
        assert!(close(a[0], b[0]) && close(a[1], b[1]), "{what}: {a:?} vs ripser's {b:?}");
    }
}

fn params(kwargs: &serde_json::Value) -> RipsParams {
    RipsParams {
        maxdim: kwargs["maxdim"].as_u64().unwrap() as usize,
        thresh: kwargs.get("thresh").and_then(|t| t.as_f64()).unwrap_or(f64::INFINITY),
        metric: kwargs.get("metric").map_or(Metric::Euclidean, |m| Metric::parse(m.as_str().unwrap()).unwrap()),
        n_perm: kwargs.get("n_perm").map(|m| m.as_u64().unwrap() as usize),
        threads: None,
    }
}

#[test]
fn diagrams_equal_ripser() {
    let e = expected();
    for (case, c) in e["cases"].as_object().unwrap() {
        let mut p = params(&c["kwargs"]);
        let x = if c["cloud"] == "random_dm" {
            p.metric = Metric::Precomputed;
            cloud("random_dm")
        } else {
            cloud(c["cloud"].as_str().unwrap())
        };
        let got = rips_persistence(&x, &p, &NoProgress).unwrap();
        let want = c["dgms"].as_array().unwrap();
        assert_eq!(got.dgms.len(), want.len(), "{case}");
        for (dim, (g, w)) in got.dgms.iter().zip(want).enumerate() {
            assert_same_diagram(g, &diagram(w), 1e-6, &format!("{case} H{dim}"));
        }
        assert_eq!(got.num_edges as u64, c["num_edges"].as_u64().unwrap(), "{case}: num_edges");
        let idx: Vec<usize> = c["idx_perm"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        assert_eq!(got.idx_perm, idx, "{case}: idx_perm");
        let r = c["r_cover"].as_f64().unwrap();
        // The points are float32 here, float64 there.
        assert!((got.r_cover - r).abs() <= 1e-6 * r.max(1.0), "{case}: r_cover {} vs {r}", got.r_cover);
    }
}

#[test]
fn a_noisy_circle_has_one_long_loop_and_two_circles_two() {
    let e = expected();
    let long = |case: &str| {
        let c = &e["cases"][case];
        let p = rips_persistence(&cloud(c["cloud"].as_str().unwrap()), &params(&c["kwargs"]), &NoProgress).unwrap();
        p.dgms[1].iter().filter(|b| b[1] - b[0] > 0.5).count()
    };
    assert_eq!(long("circle"), 1);
    assert_eq!(long("two_circles"), 2);
    // The sphere's cavity: one H2 bar far longer than the rest.
    let c = &e["cases"]["sphere"];
    let p = rips_persistence(&cloud("sphere"), &params(&c["kwargs"]), &NoProgress).unwrap();
    let mut h2: Vec<f64> = p.dgms[2].iter().map(|b| b[1] - b[0]).collect();
    h2.sort_by(|a, b| b.total_cmp(a));
    assert!(h2[0] > 0.4 && h2.get(1).is_none_or(|&s| s < 0.01), "{h2:?}");
}

#[test]
fn output_is_identical_at_one_and_two_threads() {
    let x = cloud("random");
    let run = |t| rips_persistence(&x, &RipsParams { maxdim: 2, threads: Some(t), ..RipsParams::default() }, &NoProgress).unwrap();
    assert_eq!(run(1), run(2));
}

#[test]
fn h0_is_the_minimum_spanning_tree() {
    // Points on a line: H0 deaths are the gaps; no loops.
    let xs = [0.0f32, 1.0, 3.0, 6.0, 10.0];
    let p = rips_persistence(&Data::from_row_major(&xs, 5, 1).unwrap(), &RipsParams::default(), &NoProgress).unwrap();
    let mut deaths: Vec<f64> = p.dgms[0].iter().map(|b| b[1]).collect();
    deaths.sort_by(f64::total_cmp);
    assert_eq!(deaths, [1.0, 2.0, 3.0, 4.0, f64::INFINITY]);
    assert!(p.dgms[1].is_empty());
}

#[test]
fn bad_input_is_named() {
    let x = cloud("circle");
    let err = |p: RipsParams, x: &Data| rips_persistence(x, &p, &NoProgress).unwrap_err().to_string();
    assert!(err(RipsParams { thresh: -1.0, ..Default::default() }, &x).contains("`thresh`"));
    assert!(err(RipsParams { n_perm: Some(101), ..Default::default() }, &x).contains("n_samples = 100"));
    assert!(err(RipsParams { maxdim: 4, ..Default::default() }, &x).contains("`maxdim`"));
    let pre = RipsParams { metric: Metric::Precomputed, ..Default::default() };
    assert!(err(pre.clone(), &x).contains("must be square"));
    let mut d = vec![0f32, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.5, 0.0];
    assert!(err(pre.clone(), &Data::from_row_major(&d, 3, 3).unwrap()).contains("row 1, column 2 holds 3 and row 2, column 1 holds 3.5"));
    d[7] = 3.0;
    d[4] = 0.5;
    assert!(err(pre.clone(), &Data::from_row_major(&d, 3, 3).unwrap()).contains("row 1, column 1 holds 0.5"));
    // The size guard names the way out instead of allocating.
    let big = RipsParams { maxdim: 3, ..Default::default() };
    let many: Vec<f32> = (0..3000 * 2).map(|i| ((i * 7919) % 1000) as f32).collect();
    let msg = err(big, &Data::from_row_major(&many, 3000, 2).unwrap());
    assert!(msg.contains("n_perm") && msg.contains("thresh"), "{msg}");
}

#[test]
fn diagram_distances_equal_persim() {
    let e = expected();
    for d in e["distances"].as_array().unwrap() {
        let dim = d["dim"].as_u64().unwrap() as usize;
        let dg = |case: &str| diagram(&e["cases"][case]["dgms"][dim]);
        let (a, b) = (dg(d["a"].as_str().unwrap()), dg(d["b"].as_str().unwrap()));
        let what = format!("{} vs {} H{dim}", d["a"], d["b"]);
        let close = |x: f64, y: f64, name: &str| assert!((x - y).abs() <= 1e-9 * y.max(1.0), "{what} {name}: {x} vs {y}");
        close(bottleneck(&a, &b).unwrap(), d["bottleneck"].as_f64().unwrap(), "bottleneck");
        // persim's wasserstein: p = 1 with the euclidean ground metric.
        close(wasserstein(&a, &b, 1.0, 2.0).unwrap(), d["wasserstein"].as_f64().unwrap(), "wasserstein");
        close(wasserstein(&a, &b, 2.0, f64::INFINITY).unwrap(), d["wasserstein_2"].as_f64().unwrap(), "wasserstein p=2, L∞");
        close(bottleneck(&b, &a).unwrap(), d["bottleneck"].as_f64().unwrap(), "bottleneck (swapped)");
    }
}
