//! Diffusion spectral entropy and mutual information against a brute-force numpy reference of
//! the dse_dsmi package's definitions (fixtures/make_entropy_fixtures.py), plus closed forms.

use unfold_learn::NoProgress;
use unfold_learn::data::Data;
use unfold_learn::measure::entropy::{DseParams, DsmiParams, Reference, diffusion_spectral_entropy, diffusion_spectral_mutual_information, spectral_entropy};
use unfold_learn::rng::{SeedSource, sample_sorted};

use crate::common::{fixtures, load_fixture, load_npy};

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("entropy_expected.json")).unwrap()).unwrap()
}

fn cloud(name: &str) -> Data<'static> {
    let (x, n, d) = load_fixture(&format!("entropy_{name}.npy"));
    Data::from_vec(x.iter().map(|&v| v as f32).collect(), n, d).unwrap()
}

fn params(sigma: f64, t: u32) -> DseParams {
    DseParams { sigma, t, ..DseParams::default() }
}

#[test]
fn entropy_matches_the_dense_numpy_reference() {
    let e = expected();
    for case in e["dse"].as_array().unwrap() {
        let x = cloud(case["data"].as_str().unwrap());
        let (sigma, t) = (case["sigma"].as_f64().unwrap(), case["t"].as_u64().unwrap() as u32);
        let got = diffusion_spectral_entropy(&x, &params(sigma, t), &NoProgress).unwrap();
        let want = case["entropy"].as_f64().unwrap();
        assert!((got.entropy - want).abs() < 1e-5 * want.max(1.0), "{case}: {} vs {want}", got.entropy);
        for (a, b) in got.eigenvalues.iter().zip(case["eigenvalues"].as_array().unwrap()) {
            assert!((a - b.as_f64().unwrap()).abs() < 1e-5, "{case}: eigenvalue {a} vs {b}");
        }
        assert_eq!(got.rows.len(), x.n_rows());
    }
}

#[test]
fn closed_forms() {
    // Far apart: P = I, entropy log2 n at any t.
    let x: Vec<f32> = (0..16).map(|i| 1000.0 * i as f32).collect();
    let far = Data::from_row_major(&x, 16, 1).unwrap();
    for t in [1, 3] {
        assert!((diffusion_spectral_entropy(&far, &params(1.0, t), &NoProgress).unwrap().entropy - 4.0).abs() < 1e-9);
    }
    // All at one point: P = J/n, one eigenvalue 1, entropy ~0 (only the ε terms).
    let same = Data::from_row_major(&[2.5f32; 10], 10, 1).unwrap();
    let h = diffusion_spectral_entropy(&same, &params(1.0, 1), &NoProgress).unwrap().entropy;
    assert!(h.abs() < 1e-12, "{h}");
    // Two far clusters of points at one place each: two eigenvalues 1, one bit.
    let two: Vec<f32> = (0..12).map(|i| if i < 6 { 0.0 } else { 500.0 }).collect();
    let h = diffusion_spectral_entropy(&Data::from_row_major(&two, 12, 1).unwrap(), &params(1.0, 1), &NoProgress).unwrap().entropy;
    assert!((h - 1.0).abs() < 1e-9, "{h}");
    // t = 0: every eigenvalue counts the same.
    assert!((spectral_entropy(&[1.0, 0.5, -0.25, 0.1], 0) - 2.0).abs() < 1e-12);
}

#[test]
fn max_n_subsamples_with_the_seed() {
    let x = cloud("circle");
    let p = DseParams { sigma: 1.0, max_n: Some(40), seed: 3, ..DseParams::default() };
    let a = diffusion_spectral_entropy(&x, &p, &NoProgress).unwrap();
    assert_eq!(a.rows, sample_sorted(80, 40, &SeedSource::new(Some(3)), 0));
    let direct = diffusion_spectral_entropy(&x.select_rows(&a.rows), &DseParams { max_n: None, ..p.clone() }, &NoProgress).unwrap();
    assert_eq!(a.entropy.to_bits(), direct.entropy.to_bits());
    let b = diffusion_spectral_entropy(&x, &DseParams { threads: Some(1), ..p.clone() }, &NoProgress).unwrap();
    assert_eq!(a, b);
}

#[test]
fn mutual_information_with_labels() {
    let e = expected();
    let x = cloud("blobs");
    let labels: Vec<i64> = load_npy("entropy_blobs_labels");
    for case in e["conditional"].as_array().unwrap() {
        let sigma = case["sigma"].as_f64().unwrap();
        let params = DsmiParams { dse: params(sigma, 1), ..DsmiParams::default() };
        let got = diffusion_spectral_mutual_information(&x, &Reference::Labels(&labels), &params, &NoProgress).unwrap();
        assert_eq!(got.clusters, labels);
        let n = labels.len();
        let mut mi = 0.0;
        for (term, want) in got.classes.iter().zip(case["entropies"].as_array().unwrap()) {
            let want = want.as_f64().unwrap();
            assert!((term.conditional_entropy - want).abs() < 1e-5 * want.max(1.0), "class {}: {} vs {want}", term.class, term.conditional_entropy);
            // DSE(A*): the mean over the repetitions' uniform draws of the class's size.
            let draws: f64 = (0..5)
                .map(|r| {
                    let rows = sample_sorted(n, term.count, &SeedSource::new(Some(0)), 1 + r);
                    diffusion_spectral_entropy(&x.select_rows(&rows), &params.dse, &NoProgress).unwrap().entropy
                })
                .sum();
            assert!((term.subsample_entropy - draws / 5.0).abs() < 1e-12);
            mi += term.count as f64 / n as f64 * (term.subsample_entropy - term.conditional_entropy);
        }
        assert!((got.mutual_information - mi).abs() < 1e-12);
        // Well separated classes: knowing the label removes entropy.
        assert!(got.mutual_information > 0.1, "{}", got.mutual_information);
        let one = DsmiParams { dse: DseParams { threads: Some(1), ..params.dse.clone() }, ..params.clone() };
        assert_eq!(diffusion_spectral_mutual_information(&x, &Reference::Labels(&labels), &one, &NoProgress).unwrap(), got);
    }
    // One class: DSE(A*) is DSE(A), nothing is learnt.
    let zero = vec![4i64; x.n_rows()];
    let got = diffusion_spectral_mutual_information(&x, &Reference::Labels(&zero), &DsmiParams::default(), &NoProgress).unwrap();
    assert!(got.mutual_information.abs() < 1e-12, "{}", got.mutual_information);
}

#[test]
fn a_scalar_reference_is_binned_as_the_package() {
    let e = expected();
    let (s, n, _) = load_fixture("entropy_scalar.npy");
    let x = Data::from_vec((0..n).map(|i| s[i] as f32).collect(), n, 1).unwrap();
    let p = DsmiParams { n_clusters: 4, num_repetitions: 1, dse: params(1.0, 1) };
    let got = diffusion_spectral_mutual_information(&x, &Reference::Scalar(&s), &p, &NoProgress).unwrap();
    let want: Vec<i64> = e["scalar_bins_4"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(got.clusters, want);
}

#[test]
fn bad_input_is_named() {
    let x = cloud("blobs");
    let err = |p: DseParams| diffusion_spectral_entropy(&x, &p, &NoProgress).unwrap_err().to_string();
    assert!(err(params(0.0, 1)).contains("gaussian_kernel_sigma"));
    assert!(err(params(f64::NAN, 1)).contains("gaussian_kernel_sigma"));
    assert!(err(DseParams { max_n: Some(0), ..DseParams::default() }).contains("max_N"));
    let short = [1i64, 2];
    let e = diffusion_spectral_mutual_information(&x, &Reference::Labels(&short), &DsmiParams::default(), &NoProgress).unwrap_err().to_string();
    assert!(e.contains("reference has 2 rows"), "{e}");
    let flat = vec![1.0; x.n_rows()];
    let e = diffusion_spectral_mutual_information(&x, &Reference::Scalar(&flat), &DsmiParams::default(), &NoProgress).unwrap_err().to_string();
    assert!(e.contains("more than one value"), "{e}");
    let e = diffusion_spectral_mutual_information(&x, &Reference::Scalar(&flat), &DsmiParams { num_repetitions: 0, ..DsmiParams::default() }, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(e.contains("num_repetitions"), "{e}");
}
