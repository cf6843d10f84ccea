//! Barycentric subspace analysis: closed forms, brute-force references
//! (fixtures/make_bsa_fixtures.py), errors and determinism.

use unfold_learn::manifold::barycentric::{self, BarycentricSubspaces, BsaMethod, BsaParams, Space};
use unfold_learn::manifold::{Lorentz, Manifold, Sphere, rows};

const METHODS: [BsaMethod; 4] = [BsaMethod::Forward, BsaMethod::Pure, BsaMethod::Backward, BsaMethod::Auv];

fn params(k: usize, method: BsaMethod) -> BsaParams {
    BsaParams { n_components: k, method, ..BsaParams::default() }
}

/// The Euclidean projection matrix onto the span of orthonormal rows.
fn projector(basis: &[f64], len: usize) -> Vec<f64> {
    let mut p = vec![0.0; len * len];
    for b in basis.chunks(len) {
        for i in 0..len {
            for j in 0..len {
                p[i * len + j] += b[i] * b[j];
            }
        }
    }
    p
}

/// Orthonormal rows from a seeded normal matrix (Gram–Schmidt).
fn orthonormal(r: usize, len: usize, seed: u64) -> Vec<f64> {
    let raw = rows::random_points(&Sphere::new(len), r, seed);
    let mut out: Vec<f64> = Vec::new();
    for v in raw.chunks(len) {
        let mut u = v.to_vec();
        for b in out.chunks(len) {
            let p: f64 = u.iter().zip(b).map(|(a, c)| a * c).sum();
            u.iter_mut().zip(b).for_each(|(a, c)| *a -= p * c);
        }
        let n = u.iter().map(|a| a * a).sum::<f64>().sqrt();
        out.extend(u.iter().map(|a| a / n));
    }
    out
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn data_on_a_great_subsphere_is_recovered_with_zero_residual() {
    let len = 5;
    let u = orthonormal(3, len, 1);
    // Points of span(u) ∩ S⁴, spread around u₀.
    let coef = rows::random_points(&Sphere::new(3), 40, 2);
    let x: Vec<f64> = coef
        .chunks(3)
        .flat_map(|c| {
            let c = [c[0].abs() + 1.0, c[1], c[2]];
            let n = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
            (0..len).map(|j| (0..3).map(|a| c[a] / n * u[a * len + j]).sum::<f64>()).collect::<Vec<_>>()
        })
        .collect();
    for method in METHODS {
        let fit = barycentric::barycentric_subspace_analysis(Sphere::new(len), &x, &params(2, method)).unwrap();
        let s = &fit.subspaces[2];
        assert!(s.unexplained_variance < 1e-20, "{method:?}: {}", s.unexplained_variance);
        assert!(max_abs_diff(&projector(&s.basis, len), &projector(&u, len)) < 1e-9, "{method:?}");
        let p = fit.project(2, &x).unwrap();
        // Rounding of the Fréchet mean's Newton steps leaves it within about 1e-12 of the
        // subsphere, and the projections inherit it.
        assert!(max_abs_diff(&p, &x) < 1e-10, "{method:?}: {}", max_abs_diff(&p, &x));
        assert!(fit.residuals(2, &x).unwrap().iter().all(|d| *d < 1e-7));
        rows::check_points(&Sphere::new(len), "refs", &s.reference_points, 1e-12).unwrap();
    }
}

#[test]
fn data_on_a_totally_geodesic_sub_hyperboloid_is_recovered_with_zero_residual() {
    let len = 5;
    let k = 2.0;
    let h = Lorentz::new(len, k);
    // A Minkowski-orthonormal frame: a boosted time axis and two spacelike vectors orthogonal to it.
    let (a, sk) = (0.8f64, k.sqrt());
    let t = [a.cosh(), a.sinh(), 0.0, 0.0, 0.0];
    let s1 = [a.sinh(), a.cosh(), 0.0, 0.0, 0.0];
    let s2 = [0.0, 0.0, 0.6, 0.8, 0.0];
    let tangent = rows::random_points(&Sphere::new(2), 30, 3);
    let x: Vec<f64> = tangent
        .chunks(2)
        .enumerate()
        .flat_map(|(i, v)| {
            let r = 0.2 + 0.05 * i as f64;
            (0..len).map(move |j| sk * (r.cosh() * t[j] + r.sinh() * (v[0] * s1[j] + v[1] * s2[j])))
        })
        .collect();
    rows::check_points(&h, "x", &x, 1e-9).unwrap();
    let span = {
        // The Euclidean projector onto span(t, s1, s2), from Euclidean-orthonormalised rows.
        let raw: Vec<f64> = t.iter().chain(&s1).chain(&s2).copied().collect();
        let mut out: Vec<f64> = Vec::new();
        for v in raw.chunks(len) {
            let mut u = v.to_vec();
            for b in out.chunks(len) {
                let p: f64 = u.iter().zip(b).map(|(a, c)| a * c).sum();
                u.iter_mut().zip(b).for_each(|(a, c)| *a -= p * c);
            }
            let n = u.iter().map(|a| a * a).sum::<f64>().sqrt();
            out.extend(u.iter().map(|a| a / n));
        }
        projector(&out, len)
    };
    for method in METHODS {
        let fit = barycentric::barycentric_subspace_analysis(h, &x, &params(2, method)).unwrap();
        let s = &fit.subspaces[2];
        assert!(s.unexplained_variance < 1e-18, "{method:?}: {}", s.unexplained_variance);
        assert!(max_abs_diff(&projector(&s.basis, len), &span) < 1e-8, "{method:?}");
        assert!(max_abs_diff(&fit.project(2, &x).unwrap(), &x) < 1e-10);
        rows::check_points(&h, "refs", &s.reference_points, 1e-10).unwrap();
    }
}

#[test]
fn the_whole_sphere_leaves_no_residual() {
    let x = rows::random_points(&Sphere::new(4), 25, 5);
    for method in METHODS {
        let fit = barycentric::barycentric_subspace_analysis(Sphere::new(4), &x, &params(3, method)).unwrap();
        assert!(fit.subspaces[3].unexplained_variance < 1e-24, "{method:?}");
    }
}

fn parse_case(case: &serde_json::Value) -> (Space, Vec<f64>, usize, usize) {
    let x: Vec<f64> = case["x"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap())).collect();
    let len = case["x"][0].as_array().unwrap().len();
    let space = if case["kind"] == "sphere" { Space::from(Sphere::new(len)) } else { Space::from(Lorentz::new(len, case["k"].as_f64().unwrap())) };
    (space, x, len, case["n_components"].as_u64().unwrap() as usize)
}

fn name(method: BsaMethod) -> &'static str {
    match method {
        BsaMethod::Forward => "forward",
        BsaMethod::Pure => "pure",
        BsaMethod::Backward => "backward",
        BsaMethod::Auv => "auv",
    }
}

#[test]
fn subspaces_match_a_brute_force_optimisation() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bsa_reference.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    for case in cases.as_array().unwrap() {
        let (space, x, len, kmax) = parse_case(case);
        for method in METHODS {
            let fit = barycentric::barycentric_subspace_analysis(space, &x, &params(kmax, method)).unwrap();
            assert!(fit.converged, "{} {method:?}", case["name"]);
            let expected = &case[name(method)];
            for k in 0..=kmax {
                let want: Vec<f64> =
                    expected["projectors"][k].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap())).collect();
                let got = projector(&fit.subspaces[k].basis, len);
                let diff = max_abs_diff(&got, &want);
                let uv = expected["unexplained_variance"][k].as_f64().unwrap();
                let ours = fit.subspaces[k].unexplained_variance;
                println!("{} {method:?} k={k}: projector diff {diff:.2e}, σ²_out {ours:.10} vs {uv:.10}", case["name"]);
                assert!(diff < 1e-6, "{} {method:?} k={k}: projector differs by {diff}", case["name"]);
                assert!((ours - uv).abs() <= 1e-7 * uv.max(1e-3), "{} {method:?} k={k}: {ours} vs {uv}", case["name"]);
            }
        }
    }
}

fn noisy_sphere() -> Vec<f64> {
    let s = Sphere::new(5);
    let mut base = vec![0.0; 25 * 5];
    base.chunks_mut(5).for_each(|r| r[0] = 1.0);
    let v: Vec<f64> = rows::random_tangents(&s, &base, 9)
        .unwrap()
        .chunks(5)
        .enumerate()
        .flat_map(|(i, r)| r.iter().enumerate().map(move |(j, a)| a * [0.0, 0.9, 0.5, 0.3, 0.1][j] * (1.0 + 0.01 * i as f64)).collect::<Vec<_>>())
        .collect();
    rows::exp(&s, &base, &v).unwrap()
}

#[test]
fn unexplained_variance_decreases_with_the_dimension() {
    let x = noisy_sphere();
    for method in METHODS {
        let fit = barycentric::barycentric_subspace_analysis(Sphere::new(5), &x, &params(4, method)).unwrap();
        let uv: Vec<f64> = fit.subspaces.iter().map(|s| s.unexplained_variance).collect();
        assert!(uv.windows(2).all(|w| w[1] <= w[0] + 1e-12), "{method:?}: {uv:?}");
        assert!(uv[4] < 1e-24);
        // The forward 0-dimensional span is the Fréchet mean: no more than the total variance.
        assert!(uv[0] <= fit.total_variance + 1e-12 || method == BsaMethod::Auv);
    }
}

#[test]
fn barycentric_weights_make_the_projection_an_exponential_barycentre() {
    let x = noisy_sphere();
    let s = Sphere::new(5);
    let fit = barycentric::barycentric_subspace_analysis(s, &x, &params(2, BsaMethod::Forward)).unwrap();
    let refs = &fit.subspaces[2].reference_points;
    let w = fit.weights(2, &x).unwrap();
    let y = fit.project(2, &x).unwrap();
    let mut v = vec![0.0; 5];
    for (i, yi) in y.chunks(5).enumerate() {
        let wi = &w[i * 3..(i + 1) * 3];
        assert!((wi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Σ λ_a log_y(x_a) = 0 (Pennec's definition of the exponential barycentric subspace).
        let mut sum = vec![0.0; 5];
        for (a, r) in refs.chunks(5).enumerate() {
            s.log(yi, r, &mut v);
            sum.iter_mut().zip(&v).for_each(|(o, b)| *o += wi[a] * b);
        }
        assert!(sum.iter().all(|c| c.abs() < 1e-10), "row {i}: {sum:?}");
    }
    // The same on the hyperboloid.
    let h = Lorentz::new(4, 1.5);
    let xh = rows::random_points(&h, 20, 4).iter().map(|v| v * 0.5).collect::<Vec<_>>();
    let xh = rows::projx(&h, &xh).unwrap();
    let fit = barycentric::barycentric_subspace_analysis(h, &xh, &params(1, BsaMethod::Auv)).unwrap();
    let refs = &fit.subspaces[1].reference_points;
    let w = fit.weights(1, &xh).unwrap();
    let y = fit.project(1, &xh).unwrap();
    let mut v = vec![0.0; 4];
    for (i, yi) in y.chunks(4).enumerate() {
        let mut sum = vec![0.0; 4];
        for (a, r) in refs.chunks(4).enumerate() {
            h.log(yi, r, &mut v);
            sum.iter_mut().zip(&v).for_each(|(o, b)| *o += w[i * 2 + a] * b);
        }
        assert!(sum.iter().all(|c| c.abs() < 1e-9), "row {i}: {sum:?}");
    }
}

#[test]
fn projection_is_the_closest_point_of_the_span() {
    let x = noisy_sphere();
    let s = Sphere::new(5);
    let fit = barycentric::barycentric_subspace_analysis(s, &x, &params(1, BsaMethod::Forward)).unwrap();
    let basis = &fit.subspaces[1].basis;
    let d = fit.residuals(1, &x).unwrap();
    // Every point of the great circle, sampled finely, is at least as far.
    for (i, xi) in x.chunks(5).enumerate() {
        let closest = (0..20000)
            .map(|t| {
                let a = t as f64 * std::f64::consts::TAU / 20000.0;
                let p: Vec<f64> = (0..5).map(|j| a.cos() * basis[j] + a.sin() * basis[5 + j]).collect();
                s.dist(xi, &p)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(d[i] <= closest + 1e-12 && closest - d[i] < 1e-3, "row {i}: {} vs {closest}", d[i]);
    }
}

fn bits(fit: &BarycentricSubspaces) -> Vec<u64> {
    fit.subspaces.iter().flat_map(|s| s.basis.iter().chain(&s.reference_points).chain([&s.unexplained_variance])).map(|v| v.to_bits()).collect()
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let sphere = noisy_sphere();
    let h = Lorentz::new(4, 1.0);
    let hyper = rows::random_points(&h, 1500, 6).iter().map(|v| v * 0.7).collect::<Vec<_>>();
    let hyper = rows::projx(&h, &hyper).unwrap();
    let big_sphere: Vec<f64> = sphere.iter().cycle().take(sphere.len() * 60).copied().collect();
    for method in METHODS {
        let one = BsaParams { threads: Some(1), ..params(2, method) };
        let two = BsaParams { threads: Some(2), ..params(2, method) };
        let a = barycentric::barycentric_subspace_analysis(Sphere::new(5), &big_sphere, &one).unwrap();
        let b = barycentric::barycentric_subspace_analysis(Sphere::new(5), &big_sphere, &two).unwrap();
        assert_eq!(bits(&a), bits(&b), "{method:?}");
        let a = barycentric::barycentric_subspace_analysis(h, &hyper, &one).unwrap();
        let b = barycentric::barycentric_subspace_analysis(h, &hyper, &two).unwrap();
        assert_eq!(bits(&a), bits(&b), "{method:?}");
    }
}

#[test]
fn bad_input_is_refused_with_its_name() {
    let mut x = noisy_sphere();
    let s = Sphere::new(5);
    let err = |r: unfold_learn::Result<BarycentricSubspaces>| r.unwrap_err().to_string();
    assert!(err(barycentric::barycentric_subspace_analysis(s, &x, &params(5, BsaMethod::Forward))).contains("n_components"));
    assert!(err(barycentric::barycentric_subspace_analysis(s, &x, &BsaParams { max_iter: 0, ..params(1, BsaMethod::Forward) })).contains("max_iter"));
    assert!(err(barycentric::barycentric_subspace_analysis(s, &x, &BsaParams { tol: f64::NAN, ..params(1, BsaMethod::Forward) })).contains("tol"));
    assert!(err(barycentric::barycentric_subspace_analysis(s, &x, &BsaParams { threads: Some(0), ..params(1, BsaMethod::Forward) })).contains("threads"));
    assert!(err(barycentric::barycentric_subspace_analysis(s, &x[..7], &params(1, BsaMethod::Forward))).contains("whole number of rows"));
    assert!(err(barycentric::barycentric_subspace_analysis(s, &[], &params(1, BsaMethod::Forward))).contains("no rows"));
    x[3 * 5 + 1] += 0.1;
    let msg = err(barycentric::barycentric_subspace_analysis(s, &x, &params(1, BsaMethod::Forward)));
    assert!(msg.contains("row 3"), "{msg}");
    assert!(BsaMethod::parse("sideways").unwrap_err().to_string().contains("method"));
    assert_eq!(BsaMethod::parse("FBS").unwrap(), BsaMethod::Forward);
    let err = barycentric::barycentric_subspace_analysis(Lorentz::new(3, -1.0), &[1.0, 0.0, 0.0], &params(0, BsaMethod::Forward)).unwrap_err().to_string();
    assert!(err.contains("`k`") || err.contains("row 0"), "{err}");
    // Reference points that do not span a subspace of their number's dimension.
    let space = Space::from(s);
    let refs = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0];
    let msg = barycentric::project(&space, &refs, &noisy_sphere()).unwrap_err().to_string();
    assert!(msg.contains("affinely independent"), "{msg}");
    let fit = barycentric::barycentric_subspace_analysis(s, &noisy_sphere(), &params(1, BsaMethod::Forward)).unwrap();
    assert!(fit.project(2, &noisy_sphere()).unwrap_err().to_string().contains("`k`"));
}
