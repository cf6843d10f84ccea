//! Spectral clustering against scikit-learn's `SpectralClustering(affinity="nearest_neighbors",
//! assign_labels="cluster_qr", random_state=0)` and DSMI of a multi-column reference against the
//! dse_dsmi package 1.1 (fixtures/make_spectral_clustering_fixtures.py).

use std::collections::HashMap;

use unfold_learn::NoProgress;
use unfold_learn::data::Data;
use unfold_learn::graph::spectral_clustering::{cluster_qr, spectral_clustering};
use unfold_learn::measure::entropy::{DsmiParams, Reference, diffusion_spectral_mutual_information};

use crate::common::{fixtures, load_npy};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("spectral_clustering_expected.json")).unwrap()).unwrap()
}

/// Whether two labelings are the same partition (a bijection between their labels).
fn same_partition(a: &[i64], b: &[i64]) -> bool {
    let (mut ab, mut ba) = (HashMap::new(), HashMap::new());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *ab.entry(*x).or_insert(*y) == *y && *ba.entry(*y).or_insert(*x) == *x)
}

#[test]
fn labels_match_scikit_learn() {
    let want = expected();
    for (name, n, d) in [("far", 160, 5), ("near", 150, 3)] {
        let x: Vec<f32> = load_npy(&format!("spectral_clustering_{name}"));
        let k = want[name]["n_clusters"].as_u64().unwrap() as usize;
        let labels = spectral_clustering(&Data::from_row_major(&x, n, d).unwrap(), k, 10, Some(0), &NoProgress).unwrap();
        let got: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
        let sk: Vec<i64> = want[name]["labels"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert!(same_partition(&got, &sk), "{name}: {got:?} vs {sk:?}");
        // Threads and seeds do not move the labels (exact neighbours, dense eigensolver).
        let again = spectral_clustering(&Data::from_row_major(&x, n, d).unwrap(), k, 10, Some(9), &NoProgress).unwrap();
        assert_eq!(again, labels);
    }
}

#[test]
fn cluster_qr_labels_indicator_rows() {
    // Rows that are (rotated, scaled) indicators of three groups: each group one label.
    let c = [0.6f64, 0.8, 0.0];
    let rows: [[f64; 3]; 3] = [[c[0], c[1], c[2]], [-c[1], c[0], 0.0], [0.0, 0.0, 2.0]];
    let group = [0usize, 1, 2, 0, 2, 1, 1, 0];
    let u: Vec<f64> = group.iter().flat_map(|&g| rows[g]).collect();
    let labels = cluster_qr(&u, group.len(), 3).unwrap();
    let l: Vec<i64> = labels.iter().map(|&x| x as i64).collect();
    let g: Vec<i64> = group.iter().map(|&x| x as i64).collect();
    assert!(same_partition(&l, &g), "{l:?}");
}

#[test]
fn dsmi_of_reference_vectors_matches_the_package() {
    let want = &expected()["far"];
    let emb: Vec<f32> = load_npy("spectral_clustering_embedding");
    let far: Vec<f32> = load_npy("spectral_clustering_far");
    let data = Data::from_row_major(&emb, 160, 6).unwrap();
    let params = DsmiParams { n_clusters: 4, ..DsmiParams::default() };
    let got = diffusion_spectral_mutual_information(&data, &Reference::Vectors(&far, 5), &params, &NoProgress).unwrap();
    let sk: Vec<i64> = want["labels"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert!(same_partition(&got.clusters, &sk));
    // The same partition as labels gives the same DSMI (the subsample draws depend only on the
    // class sizes), up to the order of the sum over classes.
    let by_labels = diffusion_spectral_mutual_information(&data, &Reference::Labels(&sk), &params, &NoProgress).unwrap();
    assert!((got.mutual_information - by_labels.mutual_information).abs() < 1e-9, "{} vs {}", got.mutual_information, by_labels.mutual_information);
    // The package's conditional entropies, class by class (the kernel is f32 here).
    let cond = want["conditional_entropy"].as_array().unwrap();
    for term in &got.classes {
        let first = got.clusters.iter().position(|&c| c == term.class).unwrap();
        let package = cond[sk[first] as usize].as_f64().unwrap();
        assert!((term.conditional_entropy - package).abs() < 1e-5 * package.abs().max(1.0), "class {}: {} vs {package}", term.class, term.conditional_entropy);
    }
    // The package's DSMI draws its subsamples with Python's generator: equal within their spread.
    assert!((got.mutual_information - want["dsmi"].as_f64().unwrap()).abs() < 0.05, "{} vs {}", got.mutual_information, want["dsmi"]);
}

#[test]
fn errors_name_the_parameter() {
    let far: Vec<f32> = load_npy("spectral_clustering_far");
    let x = Data::from_row_major(&far, 160, 5).unwrap();
    let e = spectral_clustering(&x, 161, 10, None, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("n_clusters") && e.contains("[1, n_samples = 160]"), "{e}");
    let emb: Vec<f32> = load_npy("spectral_clustering_embedding");
    let data = Data::from_row_major(&emb, 160, 6).unwrap();
    let p = DsmiParams { n_clusters: 200, ..DsmiParams::default() };
    let e = diffusion_spectral_mutual_information(&data, &Reference::Vectors(&far, 5), &p, &NoProgress).unwrap_err().to_string();
    assert!(e.contains("n_clusters") && e.contains("[1, 160]"), "{e}");
    let e = diffusion_spectral_mutual_information(&data, &Reference::Vectors(&far[..5 * 100], 5), &DsmiParams::default(), &NoProgress).unwrap_err().to_string();
    assert!(e.contains("100 rows"), "{e}");
}
