//! Embedding quality against scikit-learn fixtures (tests/fixtures/make_fixtures.py), an
//! independent brute-force computation, and the subsampling contract of `evaluate`.

use unfold_learn::measure::quality::{continuity, evaluate, knn_accuracy, neighbor_preservation, subsample_indices, trustworthiness};
use unfold_learn::prelude::*;

use crate::common::{fixtures, load_fixture};

/// A fixture converted to `f32`, as a user would pass it.
fn fixture_data(name: &str) -> Embedding {
    let (v, n, d) = load_fixture(name);
    Data::from_vec(v.iter().map(|&x| x as f32).collect(), n, d).unwrap()
}

/// An int64 fixture as labels.
fn fixture_labels(name: &str) -> Labels {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    let values = npyz::NpyFile::new(&bytes[..]).unwrap().into_vec::<i64>().unwrap();
    Labels::from_ints(&values)
}

/// A number from expected.json (flat keys, written by make_fixtures.py).
fn expected(key: &str) -> f64 {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let pattern = format!("\"{key}\": ");
    let start = text.find(&pattern).unwrap_or_else(|| panic!("{key} not in expected.json")) + pattern.len();
    let rest = &text[start..];
    let end = rest.find([',', '\n']).unwrap();
    rest[..end].trim().parse().unwrap()
}

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, scikit-learn {want}");
}

#[test]
fn trustworthiness_and_continuity_match_sklearn() {
    let (x, y) = (fixture_data("trust_X.npy"), fixture_data("trust_Y.npy"));
    for k in [5, 10] {
        let t = trustworthiness(&x, &y, k, Metric::Euclidean).unwrap();
        let c = continuity(&x, &y, k, Metric::Euclidean).unwrap();
        assert_close(t, expected(&format!("trustworthiness_k{k}")), 1e-9, &format!("trustworthiness k={k}"));
        assert_close(c, expected(&format!("continuity_k{k}")), 1e-9, &format!("continuity k={k}"));
        // Continuity is trustworthiness with the spaces swapped.
        assert_eq!(c, trustworthiness(&y, &x, k, Metric::Euclidean).unwrap());
    }
}

#[test]
fn duplicate_rows_match_sklearn() {
    let (x, y) = (fixture_data("trustdup_X.npy"), fixture_data("trustdup_Y.npy"));
    let t = trustworthiness(&x, &y, 5, Metric::Euclidean).unwrap();
    assert_close(t, expected("trustworthiness_dup_k5"), 1e-9, "trustworthiness with duplicates");
}

#[test]
fn knn_accuracy_matches_reference_vote_rule() {
    let y = fixture_data("trust_Y.npy");
    let labels = fixture_labels("trust_labels.npy");
    let acc = knn_accuracy(&y, &labels, 10).unwrap();
    // 135 of 150; ties toward the largest label would give 136.
    assert_eq!(acc, expected("knn_accuracy_loo_k10"));
    assert_eq!(acc, 135.0 / 150.0);
}

/// A distance between two rows, in `f64`.
type Distance = dyn Fn(&[f32], &[f32]) -> f64;

/// Trustworthiness by sorting each row by (distance, index), in f64 from the same f32 values.
fn brute_force(x: &Data, y: &Data, k: usize, dist: impl Fn(&[f32], &[f32]) -> f64) -> (f64, f64, f64) {
    let n = x.n_rows();
    let euclid = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(&p, &q)| (p as f64 - q as f64).powi(2)).sum::<f64>();
    let order = |i: usize, d: &dyn Fn(usize) -> f64| {
        let mut o: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        o.sort_by(|&a, &b| d(a).total_cmp(&d(b)).then(a.cmp(&b)));
        o
    };
    let (mut t, mut c, mut shared) = (0usize, 0usize, 0usize);
    for i in 0..n {
        let ox = order(i, &|j| dist(x.row(i), x.row(j)));
        let oy = order(i, &|j| euclid(y.row(i), y.row(j)));
        let rank = |o: &[usize], j: usize| o.iter().position(|&l| l == j).unwrap() + 1;
        for &j in &oy[..k] {
            t += rank(&ox, j).saturating_sub(k);
            shared += ox[..k].contains(&j) as usize;
        }
        for &j in &ox[..k] {
            c += rank(&oy, j).saturating_sub(k);
        }
    }
    let norm = 2.0 / ((n * k) as f64 * (2.0 * n as f64 - 3.0 * k as f64 - 1.0));
    (1.0 - t as f64 * norm, 1.0 - c as f64 * norm, shared as f64 / (n * k) as f64)
}

#[test]
fn every_metric_agrees_with_brute_force() {
    let (x, y) = (fixture_data("trust_X.npy"), fixture_data("trust_Y.npy"));
    let cosine = |a: &[f32], b: &[f32]| {
        let dot: f64 = a.iter().zip(b).map(|(&p, &q)| p as f64 * q as f64).sum();
        let na: f64 = a.iter().map(|&p| (p as f64).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|&p| (p as f64).powi(2)).sum::<f64>().sqrt();
        1.0 - dot / (na * nb)
    };
    let manhattan = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(&p, &q)| (p as f64 - q as f64).abs()).sum::<f64>();
    let sq = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(&p, &q)| (p as f64 - q as f64).powi(2)).sum::<f64>();
    let cases: [(Metric, &Distance); 4] = [(Metric::Euclidean, &sq), (Metric::SqEuclidean, &sq), (Metric::Cosine, &cosine), (Metric::Manhattan, &manhattan)];
    for (metric, dist) in cases {
        let (t, c, p) = brute_force(&x, &y, 7, dist);
        let what = metric.to_string();
        assert_close(trustworthiness(&x, &y, 7, metric.clone()).unwrap(), t, 1e-12, &format!("{what} trustworthiness"));
        assert_close(continuity(&x, &y, 7, metric.clone()).unwrap(), c, 1e-12, &format!("{what} continuity"));
        assert_close(neighbor_preservation(&x, &y, 7, metric).unwrap(), p, 1e-12, &format!("{what} preservation"));
    }
}

#[test]
fn identical_embedding_scores_one_and_a_shuffled_one_scores_low() {
    let x = fixture_data("trust_X.npy");
    let same = x.clone();
    assert_eq!(trustworthiness(&x, &same, 10, Metric::Euclidean).unwrap(), 1.0);
    assert_eq!(continuity(&x, &same, 10, Metric::Euclidean).unwrap(), 1.0);
    assert_eq!(neighbor_preservation(&x, &same, 10, Metric::Euclidean).unwrap(), 1.0);
    let y = fixture_data("trust_Y.npy");
    let good = trustworthiness(&x, &y, 10, Metric::Euclidean).unwrap();
    // Rows of the embedding shuffled: each point gets another point's coordinates.
    let perm: Vec<usize> = (0..150).map(|i| (i * 77 + 13) % 150).collect();
    let shuffled = y.select_rows(&perm);
    let bad = trustworthiness(&x, &shuffled, 10, Metric::Euclidean).unwrap();
    let bad_c = continuity(&x, &shuffled, 10, Metric::Euclidean).unwrap();
    let bad_p = neighbor_preservation(&x, &shuffled, 10, Metric::Euclidean).unwrap();
    assert!(good > 0.8 && bad < 0.65 && bad_c < 0.65 && bad_p < 0.2, "good {good}, shuffled {bad} / {bad_c} / {bad_p}");
}

#[test]
fn invalid_inputs_are_named() {
    let (x, y) = (fixture_data("trust_X.npy"), fixture_data("trust_Y.npy"));
    let e = trustworthiness(&x, &y, 75, Metric::Euclidean).unwrap_err();
    assert!(e.is_invalid_parameter());
    let e = e.to_string();
    assert!(e.contains("`k`") && e.contains("75") && e.contains("less than n_samples / 2 = 75"), "{e}");
    let e = continuity(&x, &y, 0, Metric::Euclidean).unwrap_err().to_string();
    assert!(e.contains("`k`") && e.contains("at least 1"), "{e}");
    let e = neighbor_preservation(&x, &y, 150, Metric::Euclidean).unwrap_err().to_string();
    assert!(e.contains("`k`") && e.contains("n_samples − 1 = 149"), "{e}");

    let short = y.select_rows(&(0..149).collect::<Vec<_>>());
    let e = trustworthiness(&x, &short, 5, Metric::Euclidean).unwrap_err().to_string();
    assert!(e.contains("150 rows") && e.contains("149 rows"), "{e}");
    let e = evaluate(&x, &short, None, &QualityParams::default(), &NoProgress).unwrap_err().to_string();
    assert!(e.contains("150 rows") && e.contains("149 rows"), "{e}");

    let labels = fixture_labels("trust_labels.npy");
    let few = labels.select(&(0..149).collect::<Vec<_>>());
    let e = knn_accuracy(&y, &few, 10).unwrap_err().to_string();
    assert!(e.contains("149 entries") && e.contains("150 rows"), "{e}");
    let e = evaluate(&x, &y, Some(&few), &QualityParams::default(), &NoProgress).unwrap_err().to_string();
    assert!(e.contains("149 entries") && e.contains("150 rows"), "{e}");
    let e = knn_accuracy(&y, &labels, 150).unwrap_err().to_string();
    assert!(e.contains("`k`") && e.contains("149"), "{e}");

    let bad = |p: QualityParams| evaluate(&x, &y, Some(&labels), &p, &NoProgress).unwrap_err().to_string();
    let e = bad(QualityParams { k: 0, ..Default::default() });
    assert!(e.contains("`k`") && e.contains("at least 1"), "{e}");
    let e = bad(QualityParams { k: 80, sample: 1000, ..Default::default() });
    assert!(e.contains("`k`") && e.contains("less than n_samples / 2 = 75"), "{e}");
    let e = bad(QualityParams { knn_k: 0, ..Default::default() });
    assert!(e.contains("`knn_k`") && e.contains("at least 1"), "{e}");
    let e = bad(QualityParams { knn_k: 150, ..Default::default() });
    assert!(e.contains("`knn_k`") && e.contains("149"), "{e}");
    let e = bad(QualityParams { sample: 31, ..Default::default() });
    assert!(e.contains("`sample`") && e.contains("at least 2·k + 2 = 32"), "{e}");
    let e = bad(QualityParams { threads: Some(0), ..Default::default() });
    assert!(e.contains("`threads`") && e.contains("at least 1"), "{e}");
    let e = bad(QualityParams { metric: Metric::Haversine, ..Default::default() });
    assert!(e.contains("haversine") && e.contains("exactly 2 columns"), "{e}");
}

#[test]
fn evaluate_without_subsample_equals_the_plain_functions() {
    let (x, y) = (fixture_data("trust_X.npy"), fixture_data("trust_Y.npy"));
    let labels = fixture_labels("trust_labels.npy");
    let params = QualityParams { k: 10, metric: Metric::Manhattan, ..Default::default() };
    let r = evaluate(&x, &y, Some(&labels), &params, &NoProgress).unwrap();
    assert_eq!(r.trustworthiness, trustworthiness(&x, &y, 10, Metric::Manhattan).unwrap());
    assert_eq!(r.continuity, continuity(&x, &y, 10, Metric::Manhattan).unwrap());
    assert_eq!(r.neighbor_preservation, neighbor_preservation(&x, &y, 10, Metric::Manhattan).unwrap());
    assert_eq!(r.knn_accuracy, Some(expected("knn_accuracy_loo_k10")));
    assert_eq!((r.k, r.n, r.sample), (10, 150, None));
    let no_labels = evaluate(&x, &y, None, &params, &NoProgress).unwrap();
    assert_eq!(no_labels.knn_accuracy, None);
    assert_eq!(no_labels.trustworthiness, r.trustworthiness);
}

#[test]
fn subsample_is_seeded_uniform_and_sorted() {
    let a = subsample_indices(10_000, 1000, 3);
    assert_eq!(a, subsample_indices(10_000, 1000, 3));
    assert_ne!(a, subsample_indices(10_000, 1000, 4));
    assert_eq!(a.len(), 1000);
    assert!(a.windows(2).all(|w| w[0] < w[1]) && *a.last().unwrap() < 10_000);
    // Roughly uniform: about a tenth of the rows fall in each tenth of the range.
    for decile in 0..10 {
        let count = a.iter().filter(|&&i| i / 1000 == decile).count();
        assert!((60..=140).contains(&count), "decile {decile}: {count}");
    }
    assert_eq!(subsample_indices(5, 10, 0), vec![0, 1, 2, 3, 4]);
}

#[test]
fn evaluate_subsamples_deterministically_on_the_demo() {
    let (m, labels) = crate::common::demo();
    let data = m.data().unwrap();
    let model = Pca::builder().n_components(2).build().unwrap().fit(&data, &Context::default()).unwrap();
    let y = model.embedding();
    let params = QualityParams { sample_above: 2000, sample: 1000, seed: 11, ..Default::default() };
    let run = |threads| evaluate(&data, &y, Some(&labels), &QualityParams { threads: Some(threads), ..params.clone() }, &NoProgress).unwrap();
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two, "reports differ between 1 and 2 threads");
    assert_eq!((one.sample, one.n, one.k), (Some(1000), 10_000, 15));

    let rows = subsample_indices(10_000, 1000, 11);
    let (xs, ys, ls) = (data.select_rows(&rows), y.select_rows(&rows), labels.select(&rows));
    assert_eq!(one.trustworthiness, trustworthiness(&xs, &ys, 15, Metric::Euclidean).unwrap());
    assert_eq!(one.continuity, continuity(&xs, &ys, 15, Metric::Euclidean).unwrap());
    assert_eq!(one.neighbor_preservation, neighbor_preservation(&xs, &ys, 15, Metric::Euclidean).unwrap());
    assert_eq!(one.knn_accuracy, Some(knn_accuracy(&ys, &ls, 10).unwrap()));
    // PCA to 2-D keeps some but far from all of MNIST's neighbourhoods.
    assert!((0.6..0.95).contains(&one.trustworthiness), "{one:?}");
    assert!((0.2..0.8).contains(&one.knn_accuracy.unwrap()), "{one:?}");
}

#[test]
fn evaluate_reports_stages_and_honours_cancellation() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct Record {
        stages: Mutex<Vec<String>>,
        done: AtomicU64,
        cancel: bool,
    }
    impl Progress for Record {
        fn stage(&self, name: &str, _total: u64) {
            self.stages.lock().unwrap().push(name.to_string());
        }
        fn inc(&self, delta: u64) {
            self.done.fetch_add(delta, Ordering::Relaxed);
        }
        fn is_cancelled(&self) -> bool {
            self.cancel
        }
    }

    let (x, y) = (fixture_data("trust_X.npy"), fixture_data("trust_Y.npy"));
    let labels = fixture_labels("trust_labels.npy");
    let record = Record::default();
    evaluate(&x, &y, Some(&labels), &QualityParams::default(), &record).unwrap();
    assert_eq!(record.stages.lock().unwrap().len(), 2);
    assert_eq!(record.done.load(Ordering::Relaxed), 300);
    let cancelled = Record { cancel: true, ..Default::default() };
    assert!(evaluate(&x, &y, Some(&labels), &QualityParams::default(), &cancelled).unwrap_err().is_cancelled());
}

/// `metric = precomputed`: X is a square distance matrix, as scikit-learn's
/// `trustworthiness(D, Y, n_neighbors=k, metric="precomputed")` (make_metric_fixtures.py).
#[test]
fn precomputed_trustworthiness_matches_sklearn() {
    let (d, y) = (fixture_data("metric_D_cityblock.npy"), fixture_data("metric_Y.npy"));
    let x = fixture_data("metric_X.npy");
    let text = std::fs::read_to_string(crate::common::fixtures().join("precomputed_trust.json")).unwrap();
    for k in [5, 10] {
        let key = format!("\"k{k}\": ");
        let start = text.find(&key).unwrap() + key.len();
        let want: f64 = text[start..].split([',', '\n']).next().unwrap().trim().parse().unwrap();
        assert_close(trustworthiness(&d, &y, k, Metric::Precomputed).unwrap(), want, 1e-12, &format!("precomputed k = {k}"));
        // The same as measuring X with the metric that made the matrix.
        assert_eq!(trustworthiness(&d, &y, k, Metric::Precomputed).unwrap(), trustworthiness(&x, &y, k, Metric::Manhattan).unwrap());
        assert_eq!(continuity(&d, &y, k, Metric::Precomputed).unwrap(), continuity(&x, &y, k, Metric::Manhattan).unwrap());
        assert_eq!(neighbor_preservation(&d, &y, k, Metric::Precomputed).unwrap(), neighbor_preservation(&x, &y, k, Metric::Manhattan).unwrap());
    }
    // evaluate() subsamples rows and columns of the matrix together.
    let params = QualityParams { k: 5, sample: 40, sample_above: 50, metric: Metric::Precomputed, ..Default::default() };
    let report = evaluate(&d, &y, None, &params, &NoProgress).unwrap();
    let rows = subsample_indices(80, 40, 0);
    let manhattan = QualityParams { metric: Metric::Manhattan, sample_above: usize::MAX, ..params.clone() };
    let direct = evaluate(&x.select_rows(&rows), &y.select_rows(&rows), None, &manhattan, &NoProgress).unwrap();
    assert_eq!((report.trustworthiness, report.continuity), (direct.trustworthiness, direct.continuity));
    assert_eq!(report.sample, Some(40));
    let e = trustworthiness(&x, &y, 5, Metric::Precomputed).unwrap_err().to_string();
    assert!(e.contains("square matrix of distances") && e.contains("80 × 6"), "{e}");
}

/// Metrics that take parameters from the data use all of it, as scikit-learn's
/// `pairwise_distances(X, metric="seuclidean")`.
#[test]
fn data_parameter_metrics_rank_as_their_distance_matrix() {
    let (d, y) = (fixture_data("metric_D_seuclidean.npy"), fixture_data("metric_Y.npy"));
    let x = fixture_data("metric_X.npy");
    let seuclidean = Metric::parse("seuclidean").unwrap();
    assert_eq!(trustworthiness(&x, &y, 5, seuclidean.clone()).unwrap(), trustworthiness(&d, &y, 5, Metric::Precomputed).unwrap());
    let dm = fixture_data("metric_D_mahalanobis.npy");
    let mahalanobis = Metric::parse("mahalanobis").unwrap();
    assert_eq!(trustworthiness(&x, &y, 5, mahalanobis).unwrap(), trustworthiness(&dm, &y, 5, Metric::Precomputed).unwrap());
}
