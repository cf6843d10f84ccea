//! The UMAP estimator end to end: quality against umap-learn, determinism, disconnected data,
//! transform, model files and parameter errors.

use unfold_learn::measure::quality::{knn_accuracy, trustworthiness};
use unfold_learn::prelude::*;

use crate::common::{demo, fixtures};

/// Three tight blobs far apart and one isolated point, 4 columns.
fn blobs_and_outlier() -> Vec<f32> {
    let s = unfold_learn::rng::SeedSource::new(Some(11));
    let mut x = Vec::new();
    for (b, centre) in [0.0f32, 100.0, 200.0].iter().enumerate() {
        for i in 0..40 {
            for c in 0..4 {
                let u = (s.value(b as u64, (i * 4 + c) as u64) % 1000) as f32 / 1000.0;
                x.push(centre + u);
            }
        }
    }
    x.extend([1000.0, -1000.0, 1000.0, -1000.0]);
    x
}

fn demo_rows(n: usize) -> (Vec<f32>, Labels) {
    let (m, labels) = demo();
    let d = m.n_cols();
    let rows: Vec<usize> = (0..n).collect();
    (m.values()[..n * d].to_vec(), labels.select(&rows))
}

#[test]
fn quality_matches_umap_learn_on_mnist_rows() {
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("umap_demo_quality.json")).unwrap()).unwrap();
    let n = reference["rows"].as_u64().unwrap() as usize;
    let (x, labels) = demo_rows(n);
    let data = Data::from_row_major(&x, n, 784).unwrap();
    let model = Umap::builder().build().unwrap().fit(&data, &Context::seeded(7)).unwrap();
    let y = model.embedding();
    let trust = trustworthiness(&data, &y, 15, Metric::Euclidean).unwrap();
    let acc = knn_accuracy(&y, &labels, 10).unwrap();
    let (t_ref, a_ref) = (reference["min_trustworthiness"].as_f64().unwrap(), reference["min_knn_accuracy"].as_f64().unwrap());
    assert!(trust >= t_ref - 0.005, "trustworthiness {trust} below umap-learn's worst seed {t_ref}");
    assert!(acc >= a_ref - 0.01, "kNN accuracy {acc} below umap-learn's worst seed {a_ref}");
}

#[test]
fn disconnected_data_gives_finite_separated_output() {
    let x = blobs_and_outlier();
    let data = Data::from_row_major(&x, 121, 4).unwrap();
    let model = Umap::builder().n_neighbors(10).build().unwrap().fit(&data, &Context::seeded(3)).unwrap();
    let y = model.embedding();
    assert!(y.as_slice().iter().all(|v| v.is_finite()));
    // Each blob stays together: its widest spread is below the smallest gap to another blob.
    let dist = |i: usize, j: usize| Metric::Euclidean.distance(y.row(i), y.row(j));
    let blob = |i: usize| i / 40;
    let (mut within, mut between) = (0.0f32, f32::INFINITY);
    for i in 0..120 {
        for j in i + 1..120 {
            if blob(i) == blob(j) {
                within = within.max(dist(i, j));
            } else {
                between = between.min(dist(i, j));
            }
        }
    }
    assert!(within < between, "blobs overlap: widest blob {within}, closest pair across {between}");
}

#[test]
fn seeded_fit_is_identical_across_runs_and_thread_counts() {
    let (x, _) = demo_rows(1500);
    let data = Data::from_row_major(&x, 1500, 784).unwrap();
    let fit = |threads| {
        let ctx = Context { seed: Some(5), threads: Some(threads), ..Context::default() };
        Umap::builder().n_epochs(60).build().unwrap().fit(&data, &ctx).unwrap().into_embedding()
    };
    let one = fit(1);
    assert!(one == fit(2), "1 and 2 threads differ");
    assert!(one == fit(2), "two runs differ");
    let other = Umap::builder().n_epochs(60).build().unwrap().fit(&data, &Context::seeded(6)).unwrap().into_embedding();
    assert!(one != other, "the seed is ignored");
}

#[test]
fn transform_places_points_near_their_class_and_is_batch_independent() {
    let (x, labels) = demo_rows(2500);
    let (train_n, test_n) = (2000, 500);
    let train = Data::from_row_major(&x[..train_n * 784], train_n, 784).unwrap();
    let test = Data::from_row_major(&x[train_n * 784..], test_n, 784).unwrap();
    let model = Umap::builder().build().unwrap().fit(&train, &Context::seeded(1)).unwrap();
    let all = model.transform(&test).unwrap();
    assert_eq!((all.n_rows(), all.n_cols()), (test_n, 2));
    // A subset gives exactly the same rows.
    let rows = [3usize, 250, 499, 0];
    let some = model.transform(&test.select_rows(&rows)).unwrap();
    for (r, &i) in rows.iter().enumerate() {
        assert_eq!(some.row(r), all.row(i), "row {i} depends on the batch");
    }
    // Placed among their own digit: 10-NN vote among the training embedding.
    let emb = model.embedding();
    let train_labels: Vec<usize> = (0..train_n).map(|i| labels.codes[i] as usize).collect();
    let mut correct = 0;
    for i in 0..test_n {
        let mut d: Vec<(f32, usize)> = (0..train_n).map(|j| (Metric::Euclidean.distance(all.row(i), emb.row(j)), j)).collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut votes = [0usize; 10];
        d[..10].iter().for_each(|&(_, j)| votes[train_labels[j]] += 1);
        let best = (0..10).max_by_key(|&c| (votes[c], std::cmp::Reverse(c))).unwrap();
        correct += usize::from(best == labels.codes[train_n + i] as usize);
    }
    let acc = correct as f64 / test_n as f64;
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("umap_demo_quality.json")).unwrap()).unwrap();
    let floor = reference["min_transform_knn_accuracy"].as_f64().unwrap();
    assert!(acc >= floor - 0.02, "transform kNN accuracy {acc}, umap-learn's worst seed {floor}");
}

/// A row equal to a training row gets that row's fitted coordinates, in any batch and from a
/// saved model, whether the rows are kept as bytes (pixels) or floats; anything else is placed.
#[test]
fn training_rows_transform_to_their_own_embedding() {
    let d = 784;
    let (mut x, _) = demo_rows(1100);
    // Training row 700 repeats row 10: either gets row 10's coordinates (the lowest numbered).
    x.copy_within(10 * d..11 * d, 700 * d);
    let train = Data::from_row_major(&x[..1000 * d], 1000, d).unwrap();
    let new = Data::from_row_major(&x[1000 * d..], 100, d).unwrap();
    let model = Umap::builder().n_epochs(30).build().unwrap().fit(&train, &Context::seeded(4)).unwrap();
    let emb = model.embedding();
    assert_ne!(emb.row(10), emb.row(700), "the fit placed the two copies apart");
    let whole = model.transform(&train).unwrap();
    for i in (0..1000).filter(|&i| i != 700) {
        assert_eq!(whole.row(i), emb.row(i), "training row {i}");
    }
    assert_eq!(whole.row(700), emb.row(10));
    // Mixed with new rows, with a zero pixel given as -0.0 and a row one grey level off.
    let fresh = model.transform(&new).unwrap();
    let zero = (0..d).find(|&c| x[3 * d + c] == 0.0).unwrap();
    let mut signed = x[3 * d..4 * d].to_vec();
    signed[zero] = -0.0;
    let mut off = x[5 * d..6 * d].to_vec();
    *off.iter_mut().find(|v| **v == 0.0).unwrap() = 1.0;
    let rows = [new.row(7), train.row(999), &signed, new.row(0), &off];
    let mixed = Data::from_vec(rows.concat(), rows.len(), d).unwrap();
    let loaded = UmapModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    for (what, m) in [("fitted", &model), ("loaded", &loaded)] {
        let got = m.transform(&mixed).unwrap();
        assert_eq!(got.row(0), fresh.row(7), "{what}: a new row depends on the batch");
        assert_eq!(got.row(1), emb.row(999), "{what}");
        assert_eq!(got.row(2), emb.row(3), "{what}: -0.0 equals 0.0");
        assert_eq!(got.row(3), fresh.row(0), "{what}");
        assert_ne!(got.row(4), emb.row(5), "{what}: a row one grey level off is placed, not looked up");
    }
    // Float rows (not bytes): the same rule.
    let x = blobs_and_outlier();
    let n = x.len() / 4;
    let floats = Data::from_row_major(&x, n, 4).unwrap();
    let model = Umap::builder().n_neighbors(5).n_epochs(30).build().unwrap().fit(&floats, &Context::seeded(4)).unwrap();
    assert_eq!(model.transform(&floats).unwrap().as_slice(), model.embedding().as_slice());
    let nudged = Data::from_vec(x[..8].iter().map(|v| v + 1e-3).collect(), 2, 4).unwrap();
    let placed = model.transform(&nudged).unwrap();
    assert!(placed.row(0) != model.embedding().row(0) && placed.row(1) != model.embedding().row(1));
}

#[test]
fn model_bytes_round_trip_and_reject_damage() {
    let (x, _) = demo_rows(1200);
    let data = Data::from_row_major(&x[..1000 * 784], 1000, 784).unwrap();
    let new = Data::from_row_major(&x[1000 * 784..], 200, 784).unwrap();
    let model = Umap::builder().n_epochs(50).build().unwrap().fit(&data, &Context::seeded(2)).unwrap();
    let bytes = model.to_bytes().unwrap();
    // Integer pixel data is kept as bytes: the file is mostly the 1000 × 784 training rows.
    assert!(bytes.len() < 1000 * 784 + 200_000, "model is {} bytes", bytes.len());
    let loaded = UmapModel::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.embedding().as_slice(), model.embedding().as_slice());
    assert_eq!(loaded.transform(&new).unwrap().as_slice(), model.transform(&new).unwrap().as_slice());
    let err = |b: &[u8]| UmapModel::from_bytes(b).unwrap_err().to_string();
    assert!(err(&bytes[..bytes.len() / 2]).contains("truncated"));
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert!(err(&flipped).contains("checksum"));
    assert!(err(b"\x93NUMPY\x01\x00").contains("not an unfold model"));
    let wrong = unfold_learn::io::model::to_bytes(unfold_learn::io::model::Kind { tag: "tsne", version: 1 }, &[], &(1u8, 2u8)).unwrap();
    assert!(err(&wrong).contains("`tsne` model"));
    // Wrong column count on transform.
    let narrow = Data::from_row_major(&x[..200 * 392], 200, 392).unwrap();
    assert!(model.transform(&narrow).unwrap_err().to_string().contains("784 columns"));
}

#[test]
fn invalid_parameters_name_themselves() {
    let x = blobs_and_outlier();
    let data = Data::from_row_major(&x, 121, 4).unwrap();
    let build_err = |b: unfold_learn::embed::umap::UmapBuilder| b.build().unwrap_err().to_string();
    assert!(build_err(Umap::builder().n_neighbors(1)).contains("`n_neighbors`"));
    assert!(build_err(Umap::builder().n_components(0)).contains("`n_components`"));
    let e = build_err(Umap::builder().min_dist(2.0).spread(1.0));
    assert!(e.contains("`min_dist`") && e.contains("spread"), "{e}");
    assert!(build_err(Umap::builder().spread(0.0)).contains("`spread`"));
    assert!(build_err(Umap::builder().learning_rate(-1.0)).contains("`learning_rate`"));
    assert!(build_err(Umap::builder().set_op_mix_ratio(1.5)).contains("`set_op_mix_ratio`"));
    let ctx = Context { threads: Some(0), ..Context::default() };
    let e = Umap::builder().build().unwrap().fit(&Data::from_row_major(&[0.0, 1.0, 2.0], 3, 1).unwrap(), &ctx).unwrap_err().to_string();
    assert!(e.contains("`threads`"), "{e}");
    assert!(build_err(Umap::builder().learning_rate(f32::INFINITY)).contains("`learning_rate`"));
    assert!(build_err(Umap::builder().repulsion_strength(f32::NAN)).contains("`repulsion_strength`"));
    let mut p = UmapParams { a: Some(1.0), ..Default::default() };
    assert!(Umap::new(p.clone()).unwrap_err().to_string().contains("`b`"));
    p.a = None;
    p.init = UmapInit::Array(vec![f32::NAN; 242]);
    assert!(Umap::new(p).unwrap_err().to_string().contains("`init`"));
    let fit_err = |b: unfold_learn::embed::umap::UmapBuilder| b.build().unwrap().fit(&data, &Context::default()).unwrap_err().to_string();
    let e = fit_err(Umap::builder().n_neighbors(121));
    assert!(e.contains("`n_neighbors`") && e.contains("121"), "{e}");
    let e = fit_err(Umap::builder().init(UmapInit::Array(vec![0.0; 10])));
    assert!(e.contains("`init`") && e.contains("(121, 2)"), "{e}");
    assert!(UmapInit::parse("tsne").unwrap_err().to_string().contains("`init`"));
}

#[test]
fn every_initialisation_runs() {
    let x = blobs_and_outlier();
    let data = Data::from_row_major(&x, 121, 4).unwrap();
    let start: Vec<f32> = (0..242).map(|i| (i % 17) as f32).collect();
    for init in [UmapInit::Spectral, UmapInit::Pca, UmapInit::Random, UmapInit::Array(start)] {
        let name = init.name();
        let model = Umap::builder().n_neighbors(8).init(init).n_epochs(30).build().unwrap().fit(&data, &Context::seeded(4)).unwrap();
        assert!(model.embedding().as_slice().iter().all(|v| v.is_finite()), "{name}");
    }
}

/// Pearson correlation.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().map(|&v| v as f64).sum::<f64>() / n, b.iter().map(|&v| v as f64).sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(&x, &y)| (x as f64 - ma) * (y as f64 - mb)).sum();
    let va: f64 = a.iter().map(|&x| (x as f64 - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|&y| (y as f64 - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn densmap_makes_embedded_radii_follow_the_data() {
    let (x, _) = demo_rows(1500);
    let data = Data::from_row_major(&x, 1500, 784).unwrap();
    let fit = |densmap| Umap::builder().densmap(densmap).output_dens(true).build().unwrap().fit(&data, &Context::seeded(9)).unwrap();
    let (plain, dens) = (fit(false), fit(true));
    let (ro, re_plain) = plain.radii().unwrap();
    let (ro_dens, re_dens) = dens.radii().unwrap();
    let (c_plain, c_dens) = (correlation(ro, re_plain), correlation(ro_dens, re_dens));
    // densMAP's objective is this correlation; plain UMAP ignores density.
    assert!(c_dens > c_plain + 0.2 && c_dens > 0.5, "radius correlation: plain {c_plain:.3}, densMAP {c_dens:.3}");
    assert!(dens.embedding().as_slice().iter().all(|v| v.is_finite()));
    let e = Umap::builder().densmap(true).dens(2.0, 1.5, 0.1).build().unwrap_err().to_string();
    assert!(e.contains("`dens_frac`"), "{e}");
    let e = Umap::builder().dens(-1.0, 0.3, 0.1).build().unwrap_err().to_string();
    assert!(e.contains("`dens_lambda`"), "{e}");
}

#[test]
fn supervision_separates_labelled_classes() {
    let (x, labels) = demo_rows(1500);
    let data = Data::from_row_major(&x, 1500, 784).unwrap();
    let codes: Vec<i64> = labels.codes.iter().map(|&c| c as i64).collect();
    let umap = Umap::builder().build().unwrap();
    let ctx = Context::seeded(4);
    let plain = umap.fit(&data, &ctx).unwrap();
    let sup = umap.fit_supervised(&data, &UmapTarget::Categorical(codes.clone()), None, &ctx).unwrap();
    // Semi-supervised: every second label unknown.
    let half: Vec<i64> = codes.iter().enumerate().map(|(i, &c)| if i % 2 == 0 { c } else { -1 }).collect();
    let semi = umap.fit_supervised(&data, &UmapTarget::Categorical(half), None, &ctx).unwrap();
    let acc = |m: &UmapModel| knn_accuracy(&m.embedding(), &labels, 10).unwrap();
    let (a_plain, a_sup, a_semi) = (acc(&plain), acc(&sup), acc(&semi));
    assert!(a_sup > 0.98 && a_sup > a_plain, "supervised {a_sup} vs plain {a_plain}");
    assert!(a_semi > a_plain, "semi-supervised {a_semi} vs plain {a_plain}");
    // target_metric decides, as in umap-learn: whole numbers are labels under the default
    // `categorical`, and a metric makes any target numeric.
    let y: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
    let as_labels = umap.fit_supervised(&data, &UmapTarget::Numeric { values: y.clone(), n_cols: 1 }, None, &ctx).unwrap();
    assert!(as_labels.embedding().as_slice() == sup.embedding().as_slice());
    let numeric = Umap::builder().target_metric(TargetMetric::Metric(Metric::Euclidean)).build().unwrap();
    let num = numeric.fit_supervised(&data, &UmapTarget::Numeric { values: y.clone(), n_cols: 1 }, None, &ctx).unwrap();
    assert!(num.embedding().as_slice().iter().all(|v| v.is_finite()));
    assert!(num.embedding().as_slice() != sup.embedding().as_slice());
    let from_labels = numeric.fit_supervised(&data, &UmapTarget::Categorical(codes.clone()), None, &ctx).unwrap();
    assert!(from_labels.embedding().as_slice() == num.embedding().as_slice());
    let mut fractional = y;
    fractional[7] = 2.5;
    let e = umap.fit_supervised(&data, &UmapTarget::Numeric { values: fractional, n_cols: 1 }, None, &ctx).unwrap_err().to_string();
    assert!(e.contains("2.5 at row 7") && e.contains("integer label"), "{e}");
    let e = umap.fit_supervised(&data, &UmapTarget::Categorical(vec![0; 10]), None, &ctx).unwrap_err().to_string();
    assert!(e.contains("`y`"), "{e}");
    assert!(Umap::builder().target_weight(1.5).build().unwrap_err().to_string().contains("`target_weight`"));
}

/// 60 points in two loose clusters, 3 columns.
fn two_clusters() -> Vec<f32> {
    let s = unfold_learn::rng::SeedSource::new(Some(4));
    (0..180).map(|i| (s.value(0, i) % 1000) as f32 / 100.0 + if i >= 90 { 30.0 } else { 0.0 }).collect()
}

#[test]
fn zero_epochs_return_the_initialisation_scaled_as_umap_learn() {
    let x = two_clusters();
    let data = Data::from_row_major(&x, 60, 3).unwrap();
    let init: Vec<f32> = (0..120).map(|i| ((i * 37) % 61) as f32 - 20.0).collect();
    let model = Umap::builder().n_neighbors(5).n_epochs(0).init(UmapInit::Array(init.clone())).build().unwrap().fit(&data, &Context::seeded(1)).unwrap();
    // umap-learn maps each column of the initialisation onto [0, 10] and, with no epochs, stops.
    for d in 0..2 {
        let col: Vec<f32> = init.iter().skip(d).step_by(2).copied().collect();
        let (lo, hi) = col.iter().fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        for (i, &v) in col.iter().enumerate() {
            let want = 10.0 * (v - lo) / (hi - lo);
            assert!((model.embedding().row(i)[d] - want).abs() < 1e-5, "point {i} column {d}");
        }
    }
}

#[test]
fn constant_init_columns_are_refused_by_name() {
    let x = two_clusters();
    let data = Data::from_row_major(&x, 60, 3).unwrap();
    for (init, col) in [(vec![0.0f32; 120], 0), ((0..120).map(|i| if i % 2 == 0 { i as f32 } else { 3.0 }).collect(), 1)] {
        let e = Umap::builder().n_neighbors(5).init(UmapInit::Array(init)).build().unwrap().fit(&data, &Context::default()).unwrap_err().to_string();
        assert!(e.contains(&format!("column {col} is constant")) && e.contains("`init`"), "{e}");
    }
}

#[test]
fn extreme_curves_give_finite_output_or_name_the_parameter() {
    let x = two_clusters();
    let data = Data::from_row_major(&x, 60, 3).unwrap();
    // a = 100, b = 20: d^(2b) overflows float32 for d > 9; umap-learn stays finite.
    let params = UmapParams { n_neighbors: 5, a: Some(100.0), b: Some(20.0), ..Default::default() };
    let model = Umap::new(params).unwrap().fit(&data, &Context::seeded(2)).unwrap();
    let y = model.embedding();
    assert!((0..60).all(|i| y.row(i).iter().all(|v| v.is_finite())));
    // spread = 1e-30: the fitted `a` is beyond float32; the error names spread, not `a`.
    let e = Umap::builder().n_neighbors(5).spread(1e-30).min_dist(0.0).build().unwrap().fit(&data, &Context::default()).unwrap_err().to_string();
    assert!(e.contains("`spread`") && e.contains("min_dist = 0"), "{e}");
}

#[test]
fn data_too_large_for_float32_distances_names_the_overflow() {
    // Values near 1e20 are finite in float32, but their squared differences (1e40) are not.
    let x: Vec<f32> = two_clusters().iter().map(|v| v * 1e19).collect();
    let data = Data::from_row_major(&x, 60, 3).unwrap();
    let e = Umap::builder().n_neighbors(5).build().unwrap().fit(&data, &Context::seeded(1)).unwrap_err().to_string();
    assert!(e.contains("overflow float32") && e.contains("divide the data"), "{e}");
    assert!(!e.contains("kNN graph row"), "{e}");
}

#[test]
fn points_cut_off_by_the_disconnection_distance_are_warned_about() {
    // The isolated point lies 1000 from everything; a disconnection distance of 500 removes all
    // its neighbours, as umap-learn would, which warns about the disconnected vertex.
    let x = blobs_and_outlier();
    let data = Data::from_row_major(&x, 121, 4).unwrap();
    let model = Umap::builder().n_neighbors(5).n_epochs(20).disconnection_distance(500.0).build().unwrap().fit(&data, &Context::seeded(3)).unwrap();
    assert!(
        model.warnings().iter().any(|w| w.contains("(1 of 121) were disconnected") && w.contains("disconnection_distance = 500")),
        "{:?}",
        model.warnings()
    );
    let model = Umap::builder().n_neighbors(5).n_epochs(20).build().unwrap().fit(&data, &Context::seeded(3)).unwrap();
    assert!(model.warnings().iter().all(|w| !w.contains("disconnected")), "{:?}", model.warnings());
}
