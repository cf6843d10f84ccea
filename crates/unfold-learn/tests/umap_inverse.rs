//! UMAP's inverse transform end to end: images near their source in data space, saved models,
//! determinism across thread counts, and the models it refuses.

use unfold_learn::embed::umap::UmapBuilder;
use unfold_learn::prelude::*;

use crate::common::demo;

/// Three blobs of 60 points in 6 columns around 0, 50 and 100 (values within 1 of the centre).
fn blobs() -> Vec<f32> {
    let s = unfold_learn::rng::SeedSource::new(Some(4));
    (0..180 * 6).map(|i| 50.0 * (i / 360) as f32 + (s.value(0, i as u64) % 1000) as f32 / 1000.0).collect()
}

fn mean_row(y: &Data, rows: std::ops::Range<usize>) -> Vec<f32> {
    let n = rows.len() as f32;
    (0..y.n_cols()).map(|c| rows.clone().map(|i| y.row(i)[c]).sum::<f32>() / n).collect()
}

#[test]
fn blob_centres_and_far_points_map_back_to_their_blob() {
    let x = blobs();
    let data = Data::from_row_major(&x, 180, 6).unwrap();
    let model = Umap::builder().n_neighbors(10).build().unwrap().fit(&data, &Context::seeded(2)).unwrap();
    let y = model.embedding();
    // Each blob's embedded centre, and a point 100 units beyond it, away from the others.
    let centres: Vec<Vec<f32>> = (0..3).map(|b| mean_row(&y, b * 60..(b + 1) * 60)).collect();
    let all = mean_row(&y, 0..180);
    let mut queries = Vec::new();
    for c in &centres {
        queries.extend_from_slice(c);
    }
    for c in &centres {
        let (dx, dy) = (c[0] - all[0], c[1] - all[1]);
        let norm = (dx * dx + dy * dy).sqrt().max(1e-6);
        queries.extend([c[0] + 100.0 * dx / norm, c[1] + 100.0 * dy / norm]);
    }
    let back = model.inverse_transform(&Data::from_row_major(&queries, 6, 2).unwrap()).unwrap();
    assert_eq!((back.n_rows(), back.n_cols()), (6, 6));
    for q in 0..6 {
        let blob = q % 3;
        let centre = 50.0 * blob as f32 + 0.5;
        assert!(back.row(q).iter().all(|v| (v - centre).abs() < 5.0), "query {q} (blob {blob}): {:?}", back.row(q));
    }
}

#[test]
fn mnist_images_come_back_near_their_digit_identically_after_saving_and_at_any_thread_count() {
    let (m, labels) = demo();
    let (n, d) = (1000, 784);
    let data = Data::from_row_major(&m.values()[..n * d], n, d).unwrap();
    let model = Umap::builder().build().unwrap().fit(&data, &Context::seeded(8)).unwrap();
    let y = model.embedding();
    let rows: Vec<usize> = (0..n).step_by(50).collect();
    let points = y.select_rows(&rows);
    let back = unfold_learn::threads::install(Some(2), || model.inverse_transform(&points)).unwrap().unwrap();
    let one = unfold_learn::threads::install(Some(1), || model.inverse_transform(&points)).unwrap().unwrap();
    assert!(back.as_slice() == one.as_slice(), "1 and 2 threads differ");
    let loaded = UmapModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert!(loaded.inverse_transform(&points).unwrap().as_slice() == back.as_slice(), "a saved model maps back differently");

    // The image's nearest training image (1-NN in data space) has the point's digit; the mean
    // of the data, or any one image for all, would match 2 or 3 of the 20.
    let mut same_digit = 0;
    for (r, &i) in rows.iter().enumerate() {
        let img = back.row(r);
        let nn = (0..n).min_by(|&a, &b| Metric::Euclidean.distance(img, data.row(a)).total_cmp(&Metric::Euclidean.distance(img, data.row(b)))).unwrap();
        same_digit += usize::from(labels.codes[nn] == labels.codes[i]);
    }
    assert!(same_digit >= 17, "{same_digit} of 20 images have their point's digit");
}

#[test]
fn models_without_a_gradient_densmap_or_precomputed_are_refused_by_name() {
    let x = blobs();
    let data = Data::from_row_major(&x, 180, 6).unwrap();
    let p = Data::from_row_major(&[1.0, 2.0], 1, 2).unwrap();
    let fit = |b: UmapBuilder| b.n_neighbors(10).n_epochs(20).build().unwrap().fit(&data, &Context::seeded(1)).unwrap();
    let err = fit(Umap::builder().metric(Metric::Cosine)).inverse_transform(&p).unwrap_err().to_string();
    assert!(err.contains("`metric`") && err.contains("cosine") && err.contains("gradient"), "{err}");
    let err = fit(Umap::builder().densmap(true)).inverse_transform(&p).unwrap_err().to_string();
    assert!(err.contains("`densmap`") && err.contains("inverse_transform"), "{err}");
    let err = fit(Umap::builder()).inverse_transform(&Data::from_row_major(&[1.0, 2.0, 3.0], 1, 3).unwrap()).unwrap_err().to_string();
    assert!(err.contains("embedding has 2 columns") && err.contains("have 3"), "{err}");
    let dist: Vec<f32> = (0..40 * 40).map(|k| Metric::Euclidean.distance(data.row(k / 40), data.row(k % 40))).collect();
    let square = Data::from_row_major(&dist, 40, 40).unwrap();
    let pre = Umap::builder().metric(Metric::Precomputed).n_neighbors(5).n_epochs(20).build().unwrap().fit(&square, &Context::seeded(1)).unwrap();
    let err = pre.inverse_transform(&p).unwrap_err().to_string();
    assert!(err.contains("precomputed") && err.contains("no data space"), "{err}");
}
