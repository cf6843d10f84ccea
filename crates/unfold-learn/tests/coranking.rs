//! The co-ranking matrix and its curves against the brute-force reference of
//! tests/fixtures/make_coranking_fixtures.py (checked there against zadu's LCMC and
//! scikit-learn's trustworthiness), closed forms, and the agreement with `quality`.

use unfold_learn::measure::coranking::{CoRanking, coranking_matrix, evaluate_curves, rank_curves, shepard};
use unfold_learn::measure::quality::{continuity, neighbor_preservation, trustworthiness};
use unfold_learn::prelude::*;

use crate::common::{fixtures, load_fixture, load_npy};

fn fixture_data(name: &str) -> Embedding {
    let (v, n, d) = load_fixture(name);
    Data::from_vec(v.iter().map(|&x| x as f32).collect(), n, d).unwrap()
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("coranking.json")).unwrap()).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn assert_all_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-12, "{what} at K = {}: got {g}, reference {w}", k + 1);
    }
}

fn data() -> (Embedding, Embedding) {
    (fixture_data("coranking_X.npy"), fixture_data("coranking_Y.npy"))
}

#[test]
fn matrix_matches_brute_force() {
    let (x, y) = data();
    for (metric, name) in [(Metric::Euclidean, "coranking_Q"), (Metric::Cosine, "coranking_Q_cosine")] {
        let want: Vec<i64> = load_npy(name);
        let q = coranking_matrix(&x, &y, None, metric.clone(), &NoProgress).unwrap();
        assert_eq!((q.n, q.k_max), (60, 59));
        assert_eq!(q.counts.iter().map(|&c| c as i64).collect::<Vec<_>>(), want, "{name}");
        // A smaller k_max is the upper-left block.
        let small = coranking_matrix(&x, &y, Some(12), metric, &NoProgress).unwrap();
        for k in 1..=12 {
            for l in 1..=12 {
                assert_eq!(small.get(k, l) as i64, want[(k - 1) * 59 + (l - 1)]);
            }
        }
    }
}

#[test]
fn curves_match_brute_force() {
    let (x, y) = data();
    let r = reference();
    for (metric, prefix) in [(Metric::Euclidean, ""), (Metric::Cosine, "cosine_")] {
        let c = rank_curves(&x, &y, None, metric, &NoProgress).unwrap();
        assert_eq!(c.n, 60);
        assert_all_close(&c.qnx, &numbers(&r[format!("{prefix}qnx")]), "Q_NX");
        assert_all_close(&c.lcmc, &numbers(&r[format!("{prefix}lcmc")]), "LCMC");
        assert_all_close(&c.rnx, &numbers(&r[format!("{prefix}rnx")]), "R_NX");
        assert_all_close(&[c.rnx_auc], &[r[format!("{prefix}rnx_auc")].as_f64().unwrap()], "AUC");
    }
    let c = rank_curves(&x, &y, None, Metric::Euclidean, &NoProgress).unwrap();
    for k in [5, 10] {
        let zadu = r["zadu_lcmc"][k.to_string()].as_f64().unwrap();
        assert!((c.lcmc[k - 1] - zadu).abs() <= 1e-12, "LCMC({k}) {} against zadu {zadu}", c.lcmc[k - 1]);
    }
    // A truncated curve is the start of the whole one; its AUC stops at k_max.
    let short = rank_curves(&x, &y, Some(10), Metric::Euclidean, &NoProgress).unwrap();
    assert_eq!(short.rnx[..], c.rnx[..10]);
    let auc10 = (1..=10).map(|k| c.rnx[k - 1] / k as f64).sum::<f64>() / (1..=10).map(|k| 1.0 / k as f64).sum::<f64>();
    assert!((short.rnx_auc - auc10).abs() <= 1e-12);
}

/// Trustworthiness from the co-ranking matrix: the intrusions `k > K, l ≤ K` weighted by `k − K`
/// (continuity: the extrusions, the matrix transposed).
fn from_matrix(q: &CoRanking, k: usize, transpose: bool) -> f64 {
    let n = q.n;
    let mut penalty = 0u64;
    for a in k + 1..n {
        for b in 1..=k {
            let c = if transpose { q.get(b, a) } else { q.get(a, b) };
            penalty += (a - k) as u64 * c as u64;
        }
    }
    1.0 - penalty as f64 * (2.0 / ((n * k) as f64 * (2.0 * n as f64 - 3.0 * k as f64 - 1.0)))
}

#[test]
fn matrix_gives_trustworthiness_continuity_and_preservation() {
    let (x, y) = data();
    let r = reference();
    let q = coranking_matrix(&x, &y, None, Metric::Euclidean, &NoProgress).unwrap();
    let c = rank_curves(&x, &y, None, Metric::Euclidean, &NoProgress).unwrap();
    for k in [1, 5, 10, 20] {
        let t = trustworthiness(&x, &y, k, Metric::Euclidean).unwrap();
        let cont = continuity(&x, &y, k, Metric::Euclidean).unwrap();
        assert!((from_matrix(&q, k, false) - t).abs() <= 1e-12, "T({k})");
        assert!((from_matrix(&q, k, true) - cont).abs() <= 1e-12, "C({k})");
        assert_eq!(q.qnx(k), c.qnx[k - 1]);
        assert_eq!(c.qnx[k - 1], neighbor_preservation(&x, &y, k, Metric::Euclidean).unwrap());
    }
    for k in [5, 10] {
        let t = r["sklearn_trustworthiness"][k.to_string()].as_f64().unwrap();
        assert!((from_matrix(&q, k, false) - t).abs() <= 1e-12);
    }
}

#[test]
fn identical_spaces_are_perfect() {
    let (x, _) = data();
    let c = rank_curves(&x, &x, None, Metric::Euclidean, &NoProgress).unwrap();
    assert!(c.qnx.iter().all(|&q| q == 1.0));
    assert!(c.rnx.iter().all(|&r| r == 1.0));
    assert_eq!(c.rnx_auc, 1.0);
    let q = coranking_matrix(&x, &x, None, Metric::Euclidean, &NoProgress).unwrap();
    for k in 1..=59 {
        for l in 1..=59 {
            assert_eq!(q.get(k, l), if k == l { 60 } else { 0 });
        }
    }
}

#[test]
fn deterministic_across_threads() {
    let (x, y) = data();
    let on = |threads| {
        unfold_learn::threads::install(Some(threads), || {
            (rank_curves(&x, &y, None, Metric::Euclidean, &NoProgress).unwrap(), shepard(&x, &y, 300, 5, Metric::Euclidean).unwrap())
        })
        .unwrap()
    };
    let ((a, sa), (b, sb)) = (on(1), on(2));
    assert_eq!(a, b);
    assert_eq!(sa, sb);
}

#[test]
fn shepard_over_all_pairs_matches_scipy() {
    let (x, y) = data();
    let r = reference();
    let s = shepard(&x, &y, 10_000, 0, Metric::Euclidean).unwrap();
    assert_eq!(s.pairs.len(), 60 * 59 / 2);
    assert_eq!(s.pairs[0], (0, 1));
    let (xv, _, d) = load_fixture("coranking_X.npy");
    let (i, j) = s.pairs[100];
    let direct = (0..d).map(|c| (xv[i * d + c] - xv[j * d + c]).powi(2)).sum::<f64>().sqrt();
    assert!((s.data[100] - direct).abs() <= 1e-12);
    assert!((s.pearson.unwrap() - r["shepard_pearson"].as_f64().unwrap()).abs() <= 1e-12);
    assert!((s.spearman.unwrap() - r["shepard_spearman"].as_f64().unwrap()).abs() <= 1e-12);
}

#[test]
fn evaluate_curves_use_the_evaluate_sample() {
    let (x, y) = data();
    let params = QualityParams { k: 5, sample: 40, sample_above: 50, ..Default::default() };
    let c = evaluate_curves(&x, &y, &params, &NoProgress).unwrap();
    assert_eq!(c.n, 40);
    let rows = params.subsample(60).unwrap();
    let (xs, ys) = (x.select_rows(&rows), y.select_rows(&rows));
    assert_eq!(c, rank_curves(&xs, &ys, None, Metric::Euclidean, &NoProgress).unwrap());
    let all = evaluate_curves(&x, &y, &QualityParams { k: 5, ..Default::default() }, &NoProgress).unwrap();
    assert_eq!(all.n, 60);
}

#[test]
fn bad_parameters_name_themselves() {
    let (x, y) = data();
    let err = rank_curves(&x, &y, Some(59), Metric::Euclidean, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("k_max") && err.contains("58"), "{err}");
    let err = rank_curves(&x, &y, Some(0), Metric::Euclidean, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("k_max"), "{err}");
    let err = coranking_matrix(&x, &y, Some(60), Metric::Euclidean, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("k_max") && err.contains("59"), "{err}");
    let err = shepard(&x, &y, 0, 0, Metric::Euclidean).unwrap_err().to_string();
    assert!(err.contains("n_pairs"), "{err}");
    let short = y.select_rows(&[0, 1, 2]);
    let err = rank_curves(&x, &short, None, Metric::Euclidean, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("rows"), "{err}");
    let two = x.select_rows(&[0, 1]);
    assert!(rank_curves(&two, &two, None, Metric::Euclidean, &NoProgress).is_err());
}
