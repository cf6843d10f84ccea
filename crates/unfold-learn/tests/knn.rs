//! kNN graphs against brute force: exact search must equal it, NN-descent must come close.

use unfold_learn::knn::knn;
use unfold_learn::prelude::*;
use unfold_learn::rng::SeedSource;

/// Brute force with the public per-pair distance, ties by index, self excluded.
fn brute_force(x: &[f32], n: usize, d: usize, k: usize, metric: Metric) -> Vec<Vec<(u32, f32)>> {
    (0..n)
        .map(|i| {
            let mut row: Vec<(f32, u32)> =
                (0..n).filter(|&j| j != i).map(|j| (metric.distance(&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d]), j as u32)).collect();
            row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            row.into_iter().take(k).map(|(dd, j)| (j, dd)).collect()
        })
        .collect()
}

fn random_data(n: usize, d: usize, seed: u64, offset: f32) -> Vec<f32> {
    let s = SeedSource::new(Some(seed));
    (0..n * d).map(|i| offset + (s.value(0, i as u64) % 1000) as f32 / 100.0).collect()
}

/// Same neighbour sets and distances; the order may differ only between equal distances.
fn assert_same_graph(g: &KnnGraph, want: &[Vec<(u32, f32)>], tol: f32, what: &str) {
    for (i, w) in want.iter().enumerate() {
        let (idx, dist) = g.neighbors(i);
        for (c, &(j, dd)) in w.iter().enumerate() {
            assert!((dist[c] - dd).abs() <= tol * (1.0 + dd.abs()), "{what}: row {i} col {c}: distance {} vs brute force {dd}", dist[c]);
            if idx[c] != j {
                // Allowed only for a tie at the k-th place or a swap of equal distances.
                let theirs = w.iter().find(|e| e.0 == idx[c]).map(|e| e.1).unwrap_or(w[w.len() - 1].1);
                assert!((theirs - dd).abs() <= tol * (1.0 + dd.abs()), "{what}: row {i} col {c}: neighbour {} vs brute force {j}", idx[c]);
            }
        }
    }
}

#[test]
fn exact_equals_brute_force_for_every_metric() {
    let (n, d, k) = (300, 7, 6);
    let mut x = random_data(n, d, 1, 0.0);
    // binary columns for jaccard/hamming-style ties, and duplicated rows
    for i in 0..n {
        x[i * d] = (i % 3 == 0) as u8 as f32;
    }
    let (head, tail) = x.split_at_mut(20 * d);
    tail[..5 * d].copy_from_slice(&head[..5 * d]);
    let metrics = [
        Metric::Euclidean,
        Metric::SqEuclidean,
        Metric::Cosine,
        Metric::Correlation,
        Metric::Manhattan,
        Metric::Chebyshev,
        Metric::Minkowski { p: 3.0 },
        Metric::Canberra,
        Metric::BrayCurtis,
        Metric::Hamming,
        Metric::Jaccard,
    ];
    let data = Data::from_row_major(&x, n, d).unwrap();
    for metric in metrics {
        let g = knn(&data, &KnnParams { k, metric, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_same_graph(&g, &brute_force(&x, n, d, k, metric), 2e-5, &metric.to_string());
        for i in 0..n {
            assert!(!g.neighbors(i).0.contains(&(i as u32)), "{metric}: row {i} lists itself");
        }
    }
    // Duplicates are each other's nearest neighbour at distance 0, never themselves.
    let g = knn(&data, &KnnParams { k, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    assert_eq!(g.neighbors(20).0[0], 0);
    assert_eq!(g.neighbors(20).1[0], 0.0);
    assert_eq!(g.neighbors(0).0[0], 20);
}

#[test]
fn exact_haversine() {
    let s = SeedSource::new(Some(4));
    let x: Vec<f32> = (0..200)
        .flat_map(|i| {
            let lat = (s.value(1, i) % 3000) as f32 / 1000.0 - 1.5;
            let lon = (s.value(2, i) % 6000) as f32 / 1000.0 - 3.0;
            [lat, lon]
        })
        .collect();
    let data = Data::from_row_major(&x, 200, 2).unwrap();
    let g = knn(&data, &KnnParams { k: 5, metric: Metric::Haversine, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    assert_same_graph(&g, &brute_force(&x, 200, 2, 5, Metric::Haversine), 1e-5, "haversine");
}

#[test]
fn product_form_is_rechecked_on_far_from_origin_data() {
    // Norms of ~1e4 make |a|² + |b|² − 2a·b lose most digits in f32; the re-check restores them.
    let (n, d, k) = (400, 16, 10);
    let x = random_data(n, d, 2, 5_000.0);
    let data = Data::from_row_major(&x, n, d).unwrap();
    let g = knn(&data, &KnnParams { k, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    assert_same_graph(&g, &brute_force(&x, n, d, k, Metric::Euclidean), 1e-4, "offset euclidean");
}

fn recall(g: &KnnGraph, truth: &KnnGraph) -> f64 {
    let k = g.k();
    let hits: usize = (0..g.n_points())
        .map(|i| g.neighbors(i).0.iter().filter(|j| truth.neighbors(i).0.contains(j)).count())
        .sum();
    hits as f64 / (g.n_points() * k) as f64
}

#[test]
fn nn_descent_recall_on_mnist_sample() {
    let (m, _) = crate::common::demo();
    let pixels = m.data().unwrap().select_rows(&(0..5000).collect::<Vec<_>>());
    // Raw pixels take the byte path for euclidean; scaled pixels take the float path.
    let scaled: Vec<f32> = pixels.as_slice().iter().map(|v| v / 255.0).collect();
    let scaled = Data::from_row_major(&scaled, 5000, 784).unwrap();
    for (data, metric) in
        [(&pixels, Metric::Euclidean), (&scaled, Metric::Euclidean), (&pixels, Metric::Cosine), (&pixels, Metric::Manhattan)]
    {
        let exact = knn(data, &KnnParams { k: 15, metric, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        let approx =
            knn(data, &KnnParams { k: 15, metric, algorithm: KnnAlgorithm::NnDescent, seed: Some(1), ..Default::default() }).unwrap();
        let r = recall(&approx, &exact);
        assert!(r >= 0.97, "{metric}: NN-descent recall {r} < 0.97");
        for i in 0..5000 {
            let (idx, dist) = approx.neighbors(i);
            assert!(!idx.contains(&(i as u32)));
            assert!(dist.windows(2).all(|w| w[0] <= w[1]), "row {i} not sorted");
        }
    }
}

#[test]
fn seeded_nn_descent_is_identical_across_runs_and_thread_counts() {
    let (m, _) = crate::common::demo();
    let data = m.data().unwrap().select_rows(&(0..3000).collect::<Vec<_>>());
    let run = |threads| {
        knn(&data, &KnnParams { k: 10, algorithm: KnnAlgorithm::NnDescent, seed: Some(7), threads: Some(threads), ..Default::default() })
            .unwrap()
    };
    let (a, b, c) = (run(1), run(2), run(2));
    assert!(a == b, "1 and 2 threads differ");
    assert!(b == c, "two runs differ");
    let other = knn(&data, &KnnParams { k: 10, algorithm: KnnAlgorithm::NnDescent, seed: Some(8), ..Default::default() }).unwrap();
    assert!(other != a, "the seed has no effect");
}

#[test]
fn nn_descent_with_many_duplicates_and_tiny_n() {
    // 200 rows but only 20 distinct values: leaves are degenerate and many distances tie at 0.
    let x: Vec<f32> = (0..200 * 3).map(|i| ((i / 3) % 20) as f32).collect();
    let data = Data::from_row_major(&x, 200, 3).unwrap();
    let g = knn(&data, &KnnParams { k: 9, algorithm: KnnAlgorithm::NnDescent, seed: Some(3), ..Default::default() }).unwrap();
    for i in 0..200 {
        let (idx, dist) = g.neighbors(i);
        assert!(!idx.contains(&(i as u32)));
        // Each row has 9 exact duplicates: all neighbours at distance 0.
        assert!(dist.iter().all(|&d| d == 0.0), "row {i}: {dist:?}");
    }
    // k = n − 1 still works (every other point is a neighbour).
    let small = Data::from_row_major(&x[..8 * 3], 8, 3).unwrap();
    let g = knn(&small, &KnnParams { k: 7, algorithm: KnnAlgorithm::NnDescent, seed: Some(3), ..Default::default() }).unwrap();
    let mut row: Vec<u32> = g.neighbors(0).0.to_vec();
    row.sort();
    assert_eq!(row, [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn invalid_parameters() {
    let x = [0.0f32; 10];
    let data = Data::from_row_major(&x, 5, 2).unwrap();
    let e = knn(&data, &KnnParams { k: 5, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("`k`") && e.contains("less than the number of rows (5)"), "{e}");
    let e = knn(&data, &KnnParams { k: 2, metric: Metric::Haversine, ..Default::default() });
    assert!(e.is_ok(), "haversine on 2 columns is fine");
    let data3 = Data::from_row_major(&[0.0f32; 9], 3, 3).unwrap();
    let e = knn(&data3, &KnnParams { k: 1, metric: Metric::Haversine, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("exactly 2 columns"), "{e}");
    let e = knn(&data, &KnnParams { k: 2, threads: Some(0), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("`threads`"), "{e}");
}
