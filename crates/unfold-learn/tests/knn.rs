//! kNN graphs against brute force: exact search must equal it, NN-descent must come close.

use unfold_learn::knn::knn;
use unfold_learn::measure::quality::trustworthiness;
use unfold_learn::metric::MetricKwds;
use unfold_learn::prelude::*;
use unfold_learn::rng::SeedSource;

/// Brute force with the public per-pair distance, ties by index, self excluded.
fn brute_force(x: &[f32], n: usize, d: usize, k: usize, metric: &Metric) -> Vec<Vec<(u32, f32)>> {
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
        let g = knn(&data, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_same_graph(&g, &brute_force(&x, n, d, k, &metric), 2e-5, &metric.to_string());
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
fn exact_with_many_neighbours_equals_brute_force() {
    // k = 400 keeps more than 256 candidates per query: the selection-buffer path, across
    // several reference blocks (2,600 rows), with duplicated rows for ties.
    let (n, d, k) = (2600, 5, 400);
    let mut x = random_data(n, d, 7, 0.0);
    let (head, tail) = x.split_at_mut(100 * d);
    tail[..50 * d].copy_from_slice(&head[..50 * d]);
    let data = Data::from_row_major(&x, n, d).unwrap();
    for metric in [Metric::Euclidean, Metric::Manhattan] {
        let g = knn(&data, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_same_graph(&g, &brute_force(&x, n, d, k, &metric), 2e-5, &metric.to_string());
    }
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
    assert_same_graph(&g, &brute_force(&x, 200, 2, 5, &Metric::Haversine), 1e-5, "haversine");
}

#[test]
fn product_form_is_rechecked_on_far_from_origin_data() {
    // Norms of ~1e4 make |a|² + |b|² − 2a·b lose most digits in f32; the re-check restores them.
    let (n, d, k) = (400, 16, 10);
    let x = random_data(n, d, 2, 5_000.0);
    let data = Data::from_row_major(&x, n, d).unwrap();
    let g = knn(&data, &KnnParams { k, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    assert_same_graph(&g, &brute_force(&x, n, d, k, &Metric::Euclidean), 1e-4, "offset euclidean");
}

fn recall(g: &KnnGraph, truth: &KnnGraph) -> f64 {
    let k = g.k();
    let hits: usize = (0..g.n_points()).map(|i| g.neighbors(i).0.iter().filter(|j| truth.neighbors(i).0.contains(j)).count()).sum();
    hits as f64 / (g.n_points() * k) as f64
}

#[test]
fn nn_descent_recall_on_mnist_sample() {
    let (m, _) = crate::common::demo();
    let pixels = m.data().unwrap().select_rows(&(0..5000).collect::<Vec<_>>());
    // Raw pixels take the byte path for euclidean; scaled pixels take the float path.
    let scaled: Vec<f32> = pixels.as_slice().iter().map(|v| v / 255.0).collect();
    let scaled = Data::from_row_major(&scaled, 5000, 784).unwrap();
    for (data, metric) in [(&pixels, Metric::Euclidean), (&scaled, Metric::Euclidean), (&pixels, Metric::Cosine), (&pixels, Metric::Manhattan)] {
        let exact = knn(data, &KnnParams { k: 15, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        let approx = knn(data, &KnnParams { k: 15, metric: metric.clone(), algorithm: KnnAlgorithm::NnDescent, seed: Some(1), ..Default::default() }).unwrap();
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
    let run =
        |threads| knn(&data, &KnnParams { k: 10, algorithm: KnnAlgorithm::NnDescent, seed: Some(7), threads: Some(threads), ..Default::default() }).unwrap();
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

/// A fixture matrix as `f32` data, as a user would pass it.
fn fixture_data(name: &str) -> Embedding {
    let (v, n, d) = crate::common::load_fixture(name);
    Data::from_vec(v.iter().map(|&x| x as f32).collect(), n, d).unwrap()
}

/// Brute force over a reference distance matrix (row-major `n × n`), ties by index.
fn brute_force_from(dist: &[f64], n: usize, k: usize) -> Vec<Vec<(u32, f32)>> {
    (0..n)
        .map(|i| {
            let mut row: Vec<(f64, u32)> = (0..n).filter(|&j| j != i).map(|j| (dist[i * n + j], j as u32)).collect();
            row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            row.into_iter().take(k).map(|(dd, j)| (j, dd as f32)).collect()
        })
        .collect()
}

/// The metrics added for umap-learn's names, each with the scipy distance matrix of
/// make_metric_fixtures.py: every pair agrees, and exact search and NN-descent find scipy's
/// neighbours.
#[test]
fn new_metrics_match_scipy() {
    let x = fixture_data("metric_X.npy");
    let b = fixture_data("metric_B.npy");
    let (w, _, _) = crate::common::load_fixture("metric_w.npy");
    let (v, _, _) = crate::common::load_fixture("metric_V.npy");
    let kw = |w: Option<Vec<f64>>, v: Option<Vec<f64>>, p: Option<f64>| MetricKwds { w, v, p, vi: None };
    let cases: Vec<(&str, Metric, &Embedding)> = vec![
        ("seuclidean", Metric::parse("seuclidean").unwrap(), &x),
        ("seuclidean_V", Metric::with_kwds("seuclidean", kw(None, Some(v.clone()), None)).unwrap(), &x),
        ("mahalanobis", Metric::parse("mahalanobis").unwrap(), &x),
        ("wminkowski", Metric::with_kwds("wminkowski", kw(Some(w.clone()), None, Some(3.0))).unwrap(), &x),
        ("hellinger", Metric::parse("hellinger").unwrap(), &x),
        ("dice", Metric::parse("dice").unwrap(), &b),
        ("kulsinski", Metric::parse("kulsinski").unwrap(), &b),
        ("rogerstanimoto", Metric::parse("rogerstanimoto").unwrap(), &b),
        ("russellrao", Metric::parse("russellrao").unwrap(), &b),
        ("sokalmichener", Metric::parse("sokalmichener").unwrap(), &b),
        ("sokalsneath", Metric::parse("sokalsneath").unwrap(), &b),
        ("yule", Metric::parse("yule").unwrap(), &b),
    ];
    let k = 7;
    for (name, metric, data) in cases {
        let (want, n, _) = crate::common::load_fixture(&format!("metric_D_{name}.npy"));
        // Parameters taken from the data (seuclidean's V, mahalanobis's VI) come from fitted().
        let fitted = metric.fitted(data).unwrap();
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let got = fitted.distance(data.row(i), data.row(j)) as f64;
                let tol = if name == "mahalanobis" { 1e-4 } else { 2e-6 };
                assert!((got - want[i * n + j]).abs() <= tol * (1.0 + want[i * n + j]), "{name} ({i}, {j}): {got} against scipy {}", want[i * n + j]);
            }
        }
        let truth = brute_force_from(&want, n, k);
        let exact = knn(data, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_same_graph(&exact, &truth, 1e-4, name);
        let approx = knn(data, &KnnParams { k, metric, algorithm: KnnAlgorithm::NnDescent, seed: Some(5), ..Default::default() }).unwrap();
        let hits: usize = (0..n)
            .map(|i| {
                let kth = truth[i][k - 1].1;
                // A neighbour tied with scipy's k-th counts as found.
                approx.neighbors(i).1.iter().filter(|&&d| d <= kth * (1.0 + 1e-4) + 1e-6).count()
            })
            .sum();
        assert!(hits as f64 >= 0.95 * (n * k) as f64, "{name}: NN-descent found {hits} of {}", n * k);
    }
}

/// A square distance matrix given as the data: both algorithms read each row's nearest entries,
/// which are the neighbours of the points it describes.
#[test]
fn precomputed_distances_are_read_directly() {
    let (want, n, _) = crate::common::load_fixture("metric_D_cityblock.npy");
    let mut dist: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    // The diagonal is ignored, whatever it holds.
    for i in 0..n {
        dist[i * n + i] = 7.0;
    }
    let data = Data::from_row_major(&dist, n, n).unwrap();
    let truth = brute_force_from(&want, n, 9);
    for algorithm in [KnnAlgorithm::Exact, KnnAlgorithm::NnDescent] {
        let g = knn(&data, &KnnParams { k: 9, metric: Metric::Precomputed, algorithm, seed: Some(1), ..Default::default() }).unwrap();
        assert_same_graph(&g, &truth, 1e-6, &format!("precomputed {algorithm:?}"));
        // Also what manhattan search on the points finds.
        let x = fixture_data("metric_X.npy");
        let direct = knn(&x, &KnnParams { k: 9, metric: Metric::Manhattan, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_eq!(g.indices(), direct.indices());
    }
    let e = knn(&fixture_data("metric_X.npy"), &KnnParams { k: 3, metric: Metric::Precomputed, ..Default::default() }).unwrap_err().to_string();
    assert_eq!(e, "invalid value for `metric`: precomputed (the data must be a square matrix of distances between its rows, but it is 80 × 6)");
    dist[3 * n + 5] = -1.0;
    let negative = Data::from_row_major(&dist, n, n).unwrap();
    let e = knn(&negative, &KnnParams { k: 3, metric: Metric::Precomputed, ..Default::default() }).unwrap_err().to_string();
    assert_eq!(e, "invalid value for `metric`: precomputed (distances must be non-negative, but row 3, column 5 is -1)");
}

/// UMAP on precomputed distances fits from the matrix's neighbours and places new points from
/// their distances to the training points; a standardised-euclidean fit keeps the training
/// data's variances for its transform.
#[test]
fn umap_with_precomputed_and_data_parameters() {
    let (want, n, _) = crate::common::load_fixture("metric_D_seuclidean.npy");
    let dist: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    let matrix = Data::from_row_major(&dist, n, n).unwrap();
    let x = fixture_data("metric_X.npy");
    let fit =
        |data: &Data, metric: Metric| Umap::builder().n_neighbors(10).n_epochs(50).metric(metric).build().unwrap().fit(data, &Context::seeded(3)).unwrap();
    let pre = fit(&matrix, Metric::Precomputed);
    let se = fit(&x, Metric::parse("seuclidean").unwrap());
    // Both keep the neighbourhoods of the same distances.
    let b = se.embedding();
    for (what, emb) in [("precomputed", pre.embedding()), ("seuclidean", se.embedding())] {
        let t = trustworthiness(&matrix, &emb, 5, Metric::Precomputed).unwrap();
        assert!(t > 0.9, "{what}: trustworthiness {t}");
    }
    // The training points, given by their distances to the training points, get their fitted
    // coordinates; with every distance 0.1 % longer they are new points, placed near there: on
    // average within a third of the mean distance between fitted points (a point placed at
    // random would be about one mean distance away; python/tests compares the same measure with
    // umap-learn's).
    let y = pre.embedding();
    assert_eq!(pre.transform(&matrix).unwrap().as_slice(), y.as_slice());
    let dist: Vec<f32> = dist.iter().map(|&v| v * 1.001).collect();
    let placed = pre.transform(&Data::from_row_major(&dist, n, n).unwrap()).unwrap();
    let dim = placed.n_cols();
    let gap = |a: &[f32], b: &[f32]| (0..dim).map(|c| ((a[c] - b[c]) as f64).powi(2)).sum::<f64>().sqrt();
    let moved = (0..n).map(|i| gap(placed.row(i), y.row(i))).sum::<f64>() / n as f64;
    let spread = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| gap(y.row(i), y.row(j))).sum::<f64>() / (n * n - n) as f64;
    assert!(moved < spread / 3.0, "placed {moved} from their fitted points on average; fitted points are {spread} apart");
    // A subset is placed as in the whole batch, and a saved model places them the same.
    let head = Data::from_row_major(&dist[..5 * n], 5, n).unwrap();
    assert_eq!(pre.transform(&head).unwrap().as_slice(), &placed.as_slice()[..5 * dim]);
    let loaded = UmapModel::from_bytes(&pre.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.transform(&head).unwrap().as_slice(), &placed.as_slice()[..5 * dim]);
    let e = pre.transform(&x).unwrap_err().to_string();
    assert!(e.contains(&format!("each new row holds its distances to the {n} training points, but the new data has 6 columns")), "{e}");
    let mut negative = dist[..n].to_vec();
    negative[7] = -0.5;
    let e = pre.transform(&Data::from_row_major(&negative, 1, n).unwrap()).unwrap_err().to_string();
    assert_eq!(e, "invalid value for `metric`: precomputed (distances must be non-negative, but row 0, column 7 is -0.5)");
    // The fit fixes V from the training data, and the transform measures new rows with it:
    // the same as a fit given that V.
    let v = Metric::parse("seuclidean").unwrap().fitted(&x).unwrap();
    let given = fit(&x, v);
    assert_eq!(given.embedding().as_slice(), b.as_slice());
    let new_rows = Data::from_vec(x.as_slice()[..18].iter().map(|v| v * 1.1).collect(), 3, 6).unwrap();
    assert_eq!(se.transform(&new_rows).unwrap().as_slice(), given.transform(&new_rows).unwrap().as_slice());
}

#[test]
fn auto_is_exact_up_to_the_limit_and_nn_descent_above() {
    use unfold_learn::knn::EXACT_MAX_ROWS;
    let auto = KnnParams::default();
    assert_eq!(auto.algorithm, KnnAlgorithm::Auto);
    assert_eq!(auto.resolved_algorithm(EXACT_MAX_ROWS), KnnAlgorithm::Exact);
    assert_eq!(auto.resolved_algorithm(EXACT_MAX_ROWS + 1), KnnAlgorithm::NnDescent);
    for algorithm in [KnnAlgorithm::Exact, KnnAlgorithm::NnDescent] {
        let p = KnnParams { algorithm, ..Default::default() };
        assert_eq!((p.resolved_algorithm(10), p.resolved_algorithm(100_000)), (algorithm, algorithm));
    }
    // Small data: Auto's graph is the brute-force one.
    let (n, d, k) = (200, 5, 7);
    let x = random_data(n, d, 3, 0.0);
    let g = knn(&Data::from_row_major(&x, n, d).unwrap(), &KnnParams { k, ..Default::default() }).unwrap();
    assert_same_graph(&g, &brute_force(&x, n, d, k, &Metric::Euclidean), 1e-5, "auto on 200 points");
    // At the limit and one row above, with an NN-descent too weak to be exact (one tree, one
    // iteration, few candidates): Auto gives the exact graph at the limit, NN-descent's above.
    let (d, k) = (8, 10);
    let x = random_data(EXACT_MAX_ROWS + 1, d, 5, 0.0);
    let weak = |algorithm| KnnParams { k, algorithm, seed: Some(2), n_trees: Some(1), n_iters: Some(1), max_candidates: Some(4), ..Default::default() };
    for n in [EXACT_MAX_ROWS, EXACT_MAX_ROWS + 1] {
        let data = Data::from_row_major(&x[..n * d], n, d).unwrap();
        let (auto, exact, approx) = (
            knn(&data, &weak(KnnAlgorithm::Auto)).unwrap(),
            knn(&data, &weak(KnnAlgorithm::Exact)).unwrap(),
            knn(&data, &weak(KnnAlgorithm::NnDescent)).unwrap(),
        );
        assert!(approx != exact, "{n} points: the weak NN-descent came out exact, so it cannot be told apart");
        if n <= EXACT_MAX_ROWS {
            assert!(auto == exact, "{n} points: Auto is not the exact search");
        } else {
            assert!(auto == approx, "{n} points: Auto is not NN-descent");
        }
    }
}

#[test]
fn nn_descent_finds_the_nearest_few_as_the_head_of_a_longer_list() {
    // 6,000 points in 12-D (hashed uniform values): NN-descent searched for 2 neighbours
    // alone misses many first neighbours; as the head of a longer list it finds them.
    let (n, d) = (6000usize, 12usize);
    let x: Vec<f32> = (0..(n * d) as u64)
        .map(|p| {
            let mut z = (p + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect();
    let data = Data::from_row_major(&x, n, d).unwrap();
    let exact = knn(&data, &KnnParams { k: 2, algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
    for k in [1, 2, 5] {
        let g = knn(&data, &KnnParams { k, algorithm: KnnAlgorithm::NnDescent, seed: Some(3), ..Default::default() }).unwrap();
        assert_eq!(g.k(), k);
        let m = k.min(2);
        let found: usize = (0..n).map(|i| g.neighbors(i).0[..m].iter().filter(|j| exact.neighbors(i).0[..m].contains(j)).count()).sum();
        let recall = found as f64 / (n * m) as f64;
        assert!(recall > 0.97, "k = {k}: recall of the first {m} is {recall}");
    }
}

/// Random sparse rows: about `density` of the values non-zero, some negative, a few rows empty.
fn random_sparse(n: usize, d: usize, density: f64, seed: u64, non_negative: bool) -> (Vec<f32>, SparseData) {
    let s = SeedSource::new(Some(seed));
    let x: Vec<f32> = (0..n * d)
        .map(|i| {
            let keep = (s.value(1, i as u64) % 10_000) as f64 / 10_000.0 < density && (i / d) % 17 != 5;
            let v = (s.value(2, i as u64) % 1000) as f32 / 100.0 + 0.01;
            if !keep {
                0.0
            } else if non_negative || !s.value(3, i as u64).is_multiple_of(3) {
                v
            } else {
                -v
            }
        })
        .collect();
    let sparse = SparseData::from_dense(&Data::from_row_major(&x, n, d).unwrap());
    (x, sparse)
}

const SPARSE_METRICS: [Metric; 7] =
    [Metric::Euclidean, Metric::SqEuclidean, Metric::Cosine, Metric::Correlation, Metric::Manhattan, Metric::Jaccard, Metric::Hellinger];

#[test]
fn sparse_exact_knn_equals_brute_force_for_each_metric() {
    use unfold_learn::knn::sparse_knn;
    let (n, d, k) = (300, 40, 10);
    for metric in SPARSE_METRICS {
        // Hellinger is defined on non-negative rows (distributions).
        let (x, sparse) = random_sparse(n, d, 0.15, 7, metric == Metric::Hellinger);
        let g = sparse_knn(&sparse, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        assert_same_graph(&g, &brute_force(&x, n, d, k, &metric), 1e-4, &format!("sparse {metric}"));
    }
}

#[test]
fn sparse_nn_descent_finds_the_neighbours() {
    use unfold_learn::knn::sparse_knn;
    let (n, d, k) = (3000, 60, 15);
    // Rows on a 3-dimensional manifold, made sparse by a ReLU: x = max(0, W z − 0.8).
    let s = SeedSource::new(Some(11));
    let u = |i: u64| (s.value(4, i) % 100_000) as f32 / 50_000.0 - 1.0;
    let w: Vec<f32> = (0..d * 3).map(|i| u(i as u64)).collect();
    let x: Vec<f32> = (0..n * d)
        .map(|i| {
            let (r, c) = (i / d, i % d);
            let z = [u(1_000_000 + 3 * r as u64), u(1_000_001 + 3 * r as u64), u(1_000_002 + 3 * r as u64)];
            ((0..3).map(|t| w[c * 3 + t] * z[t]).sum::<f32>() - 0.8).max(0.0)
        })
        .collect();
    let sparse = SparseData::from_dense(&Data::from_row_major(&x, n, d).unwrap());
    assert!(sparse.nnz() < n * d / 3, "{} stored of {}", sparse.nnz(), n * d);
    for metric in SPARSE_METRICS {
        let dense = Data::from_row_major(&x, n, d).unwrap();
        let truth = knn(&dense, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        let exact = sparse_knn(&sparse, &KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::Exact, ..Default::default() }).unwrap();
        let params = KnnParams { k, metric: metric.clone(), algorithm: KnnAlgorithm::NnDescent, seed: Some(3), ..Default::default() };
        let g = sparse_knn(&sparse, &params).unwrap();
        // Jaccard's distances take few values: many ties at the k-th place, so count by distance.
        let r = recall(&g, &truth);
        let by_distance: usize = (0..n).map(|i| g.neighbors(i).1.iter().filter(|&&dd| dd <= truth.neighbors(i).1[k - 1] * (1.0 + 1e-5)).count()).sum();
        assert!(by_distance as f64 / (n * k) as f64 >= 0.95, "{metric}: recall {r}, by distance {}", by_distance as f64 / (n * k) as f64);
        // Every distance found is the pair's distance, as the exact search computes it.
        for i in (0..n).step_by(97) {
            for (&j, &dd) in g.neighbors(i).0.iter().zip(g.neighbors(i).1) {
                let want = metric.distance(&x[i * d..(i + 1) * d], &x[j as usize * d..(j as usize + 1) * d]);
                assert!((dd - want).abs() <= 1e-4 * (1.0 + want), "{metric}: ({i}, {j}) {dd} vs {want}");
            }
        }
        assert_eq!(exact.n_points(), n);
        // Identical at any thread count.
        let one = sparse_knn(&sparse, &KnnParams { threads: Some(1), ..params.clone() }).unwrap();
        let two = sparse_knn(&sparse, &KnnParams { threads: Some(2), ..params }).unwrap();
        assert_eq!(one, two, "{metric}");
        assert_eq!(one, g, "{metric}");
    }
}

#[test]
fn sparse_knn_names_the_metrics_it_takes() {
    use unfold_learn::knn::sparse_knn;
    let (_, sparse) = random_sparse(50, 5, 0.5, 1, false);
    let e = sparse_knn(&sparse, &KnnParams { k: 5, metric: Metric::Chebyshev, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("chebyshev") && e.contains("not available for sparse input") && e.contains("jaccard"), "{e}");
    let e = sparse_knn(&sparse, &KnnParams { k: 50, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("less than the number of rows (50)"), "{e}");
}
