//! UMAP with a non-euclidean output metric: quality against umap-learn's (trustworthiness in the
//! output distance, fixtures from make_umap_output_fixtures.py), determinism, transform, model
//! files and refusals.

use unfold_learn::embed::umap::output::POINCARE_MAX_NORM;
use unfold_learn::embed::umap::{OutputMetric, UmapInit};
use unfold_learn::method::{Fitted, Input};
use unfold_learn::prelude::*;

use crate::common::{fixtures, load_fixture};

/// The first 600 digits of scikit-learn's load_digits, as f32.
fn digits() -> (Vec<f32>, usize, usize) {
    let bytes = std::fs::read(fixtures().join("umap_output_X.npy")).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let values: Vec<u8> = npy.into_vec().unwrap();
    (values.into_iter().map(f32::from).collect(), shape[0], shape[1])
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("umap_output.json")).unwrap()).unwrap()
}

/// Trustworthiness T(k) by brute force: ranks of euclidean distances in `x`, neighbour sets by
/// the output distance in `y` (independent of the crate's own implementation).
fn trustworthiness_in(x: &[f32], d: usize, y: &[f32], dim: usize, metric: OutputMetric, k: usize) -> f64 {
    let n = x.len() / d;
    let mut total = 0usize;
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        let mut dx: Vec<(f64, usize)> =
            (0..n).filter(|&j| j != i).map(|j| (x[j * d..(j + 1) * d].iter().zip(xi).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>(), j)).collect();
        dx.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mut rank = vec![0usize; n];
        for (r, &(_, j)) in dx.iter().enumerate() {
            rank[j] = r + 1;
        }
        let yi = &y[i * dim..(i + 1) * dim];
        let mut dy: Vec<(f64, usize)> = (0..n).filter(|&j| j != i).map(|j| (metric.distance(yi, &y[j * dim..(j + 1) * dim]), j)).collect();
        dy.sort_by(|a, b| a.partial_cmp(b).unwrap());
        total += dy[..k].iter().map(|&(_, j)| rank[j].saturating_sub(k)).sum::<usize>();
    }
    let (n, k) = (n as f64, k as f64);
    1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * total as f64
}

fn fit(metric: OutputMetric, seed: u64, threads: Option<usize>) -> UmapModel {
    let (x, n, d) = digits();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let ctx = Context { seed: Some(seed), threads, ..Context::default() };
    Umap::builder().output_metric(metric).build().unwrap().fit(&data, &ctx).unwrap()
}

#[test]
fn as_trustworthy_as_umap_learn_in_the_output_distance() {
    let reference = reference();
    let (x, _, d) = digits();
    // umap-learn has no gradient for the Poincaré ball; the same hyperbolic plane is measured
    // against its hyperboloid.
    for (metric, peer) in [(OutputMetric::Hyperboloid, "hyperboloid"), (OutputMetric::Poincare, "hyperboloid"), (OutputMetric::Haversine, "haversine")] {
        let want = reference[peer]["mean"].as_f64().unwrap();
        let trusts: Vec<f64> = [0, 1, 2]
            .iter()
            .map(|&seed| {
                let model = fit(metric, seed, None);
                let y = model.embedding();
                assert!(y.as_slice().iter().all(|v| v.is_finite()), "{metric:?}: not finite");
                if metric == OutputMetric::Poincare {
                    assert!(y.as_slice().chunks(2).all(|p| ((p[0] as f64).powi(2) + (p[1] as f64).powi(2)).sqrt() <= POINCARE_MAX_NORM + 1e-6));
                }
                trustworthiness_in(&x, d, y.as_slice(), 2, metric, 15)
            })
            .collect();
        let mean = trusts.iter().sum::<f64>() / trusts.len() as f64;
        // Measured (means over seeds 0, 1, 2): hyperboloid 0.9756 (umap-learn 0.9837), Poincaré
        // 0.9854, haversine 0.9729 (umap-learn 0.9753). On the hyperboloid the start's
        // orientation matters (below); over ten seeds unfold's own start gives 0.9787.
        assert!(mean >= want - 0.01, "{metric:?}: trustworthiness {trusts:?}, umap-learn's {peer} {want}");
        if metric == OutputMetric::Hyperboloid {
            // From umap-learn's own start the layouts are equally trustworthy. Each eigenvector
            // of the spectral start points either way (umap-learn takes ARPACK's choice, unfold
            // its own sign rule); the plane does not care, but on the hyperboloid it decides
            // which clusters start near the origin: the four orientations of unfold's start gave
            // 0.9756–0.9830 over five seeds. From umap-learn's starts of seeds 0, 1, 2: 0.9834
            // (umap-learn 0.9837).
            let (start, _, _) = load_fixture("umap_output_hyperboloid_start.npy");
            let same_start: Vec<f64> = [0u64, 1, 2]
                .iter()
                .map(|&seed| {
                    let init: Vec<f32> = start[seed as usize * 1200..(seed as usize + 1) * 1200].iter().map(|&v| v as f32).collect();
                    let data = Data::from_row_major(&x, 600, d).unwrap();
                    let model = Umap::builder().output_metric(metric).init(UmapInit::Array(init)).build().unwrap().fit(&data, &Context::seeded(seed)).unwrap();
                    trustworthiness_in(&x, d, model.embedding().as_slice(), 2, metric, 15)
                })
                .collect();
            let mean_same = same_start.iter().sum::<f64>() / 3.0;
            assert!(mean_same >= want - 0.003, "hyperboloid from umap-learn's start: {same_start:?}, umap-learn {want}");
        }
        // The output distance matters: measured as if the coordinates were a plane, the sphere's
        // unwrapped angles lose neighbours.
        if metric == OutputMetric::Haversine {
            let y = fit(metric, 0, None);
            let flat = trustworthiness_in(&x, d, y.embedding().as_slice(), 2, OutputMetric::Euclidean, 15);
            assert!(flat < trusts[0], "haversine: {flat} in the plane against {} on the sphere", trusts[0]);
        }
    }
}

#[test]
fn seeded_output_is_identical_at_one_and_two_threads() {
    for metric in [OutputMetric::Hyperboloid, OutputMetric::Poincare, OutputMetric::Haversine] {
        let one = fit(metric, 3, Some(1));
        let two = fit(metric, 3, Some(2));
        assert!(one.embedding().as_slice() == two.embedding().as_slice(), "{metric:?}");
        let (x, _, d) = digits();
        let rows = Data::from_row_major(&x[..20 * d], 20, d).unwrap();
        let shifted: Vec<f32> = rows.as_slice().iter().map(|v| v + 0.5).collect();
        let shifted = Data::from_row_major(&shifted, 20, d).unwrap();
        let ctx = |t| Context { threads: Some(t), ..Context::default() };
        let a = Fitted::transform(&one, Input::F32(&shifted), &ctx(1)).unwrap();
        let b = Fitted::transform(&one, Input::F32(&shifted), &ctx(2)).unwrap();
        assert!(a.as_slice() == b.as_slice(), "{metric:?}: transform differs between 1 and 2 threads");
    }
}

#[test]
fn transform_and_model_files_keep_the_output_metric() {
    let (x, _, d) = digits();
    let model = fit(OutputMetric::Poincare, 5, None);
    // Training rows come back where the fit put them; new rows land inside the ball.
    let rows = Data::from_row_major(&x[..10 * d], 10, d).unwrap();
    assert!(model.transform(&rows).unwrap().as_slice() == &model.embedding().as_slice()[..20]);
    let shifted: Vec<f32> = x[..10 * d].iter().map(|v| (v + 1.0).min(16.0)).collect();
    let shifted = Data::from_row_major(&shifted, 10, d).unwrap();
    let placed = model.transform(&shifted).unwrap();
    assert!(placed.as_slice().chunks(2).all(|p| p.iter().all(|v| v.is_finite()) && ((p[0] as f64).powi(2) + (p[1] as f64).powi(2)).sqrt() < 1.0));
    let loaded = UmapModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert!(loaded.params().iter().any(|(n, v)| *n == "output_metric" && v.to_string() == "poincare"), "{:?}", loaded.params());
    assert!(loaded.transform(&shifted).unwrap().as_slice() == placed.as_slice());
    // Each transformed point sits near its nearest training point in the output distance.
    let y = model.embedding();
    for (i, p) in placed.as_slice().chunks(2).enumerate() {
        let own = OutputMetric::Poincare.distance(p, &y.as_slice()[2 * i..2 * i + 2]);
        assert!(own < 3.0, "row {i}: {own} from its own training point");
    }
    // No inverse transform outside the plane, as the capabilities say.
    let e = model.inverse_transform(&placed).unwrap_err().to_string();
    assert!(e.contains("`output_metric`") && e.contains("euclidean"), "{e}");
    assert!(!Fitted::capabilities(&model).inverse_transform);
}

#[test]
fn parameters_that_do_not_fit_the_output_metric_are_refused() {
    let e = Umap::builder().output_metric(OutputMetric::Haversine).n_components(3).build().unwrap_err().to_string();
    assert!(e.contains("`output_metric`") && e.contains("n_components = 2"), "{e}");
    let e = Umap::builder().output_metric(OutputMetric::Hyperboloid).densmap(true).build().unwrap_err().to_string();
    assert!(e.contains("`output_metric`") && e.contains("densmap"), "{e}");
    let e = Umap::builder().output_metric(OutputMetric::Poincare).output_dens(true).build().unwrap_err().to_string();
    assert!(e.contains("`output_metric`") && e.contains("output_dens"), "{e}");
}

#[test]
fn gradients_are_umap_learns() {
    for case in reference()["gradients"].as_array().unwrap() {
        let metric = match case["metric"].as_str().unwrap() {
            "hyperboloid" => OutputMetric::Hyperboloid,
            _ => OutputMetric::Haversine,
        };
        let v = |key: &str| -> Vec<f32> { case[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect() };
        let (x, y) = (v("x"), v("y"));
        let mut g = vec![0f64; x.len()];
        let d = metric.distance_grad(&x, &y, &mut g);
        let want_d = case["distance"].as_f64().unwrap();
        assert!((d - want_d).abs() < 1e-5 * (1.0 + want_d), "{case}: distance {d}");
        for (a, b) in g.iter().zip(case["gradient"].as_array().unwrap()) {
            let b = b.as_f64().unwrap();
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{case}: gradient {g:?}");
        }
    }
}
