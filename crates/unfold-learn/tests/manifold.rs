//! Riemannian geometry: identities, closed forms, geomstats and geoopt fixtures and boundary safety.

use std::sync::Arc;
use unfold_learn::manifold::stats::{self, MeanParams};
use unfold_learn::manifold::{
    Euclidean, Flag, Grassmann, Lorentz, Manifold, PoincareBall, Spd, SpdMetric, Sphere, Stereographic, Stiefel, parse_signature, rows,
};

fn all_models() -> Vec<Arc<dyn Manifold>> {
    vec![
        Arc::new(Euclidean::new(3)),
        Arc::new(Sphere::new(4)),
        Arc::new(PoincareBall::new(3, 1.0)),
        Arc::new(PoincareBall::new(2, 0.3)),
        Arc::new(Stereographic::new(3, -0.7)),
        Arc::new(Stereographic::new(3, 0.8)),
        Arc::new(Stereographic::new(3, 0.0)),
        Arc::new(Lorentz::new(4, 1.0)),
        Arc::new(Lorentz::new(3, 2.5)),
        Arc::new(Spd::new(3, SpdMetric::AffineInvariant)),
        Arc::new(Spd::new(3, SpdMetric::LogEuclidean)),
        Arc::new(Spd::new(3, SpdMetric::BuresWasserstein)),
        Arc::new(Stiefel::new(5, 2)),
        Arc::new(Grassmann::new(5, 2)),
        Arc::new(Flag::new(5, vec![1, 2])),
        Arc::new(parse_signature("H2xS2xE2").unwrap()),
    ]
}

/// Small random tangent vectors, scaled to norm `r` in the metric.
fn tangents(m: &dyn Manifold, x: &[f64], r: f64, seed: u64) -> Vec<f64> {
    let mut v = rows::random_tangents(m, x, seed).unwrap();
    let norms = rows::norm(m, x, &v).unwrap();
    let len = m.point_len();
    for (i, row) in v.chunks_mut(len).enumerate() {
        row.iter_mut().for_each(|a| *a *= r / norms[i].max(1e-300));
    }
    v
}

#[test]
fn random_points_lie_on_the_manifold_and_are_seeded() {
    for m in all_models() {
        let x = rows::random_points(m.as_ref(), 20, 3);
        rows::check_points(m.as_ref(), "x", &x, 1e-9).unwrap_or_else(|e| panic!("{}: {e}", m.name()));
        assert_eq!(x, rows::random_points(m.as_ref(), 20, 3));
        assert_ne!(x, rows::random_points(m.as_ref(), 20, 4));
    }
}

#[test]
fn exp_of_log_is_the_identity_and_dist_is_the_log_norm() {
    for m in all_models() {
        let m = m.as_ref();
        let x = rows::random_points(m, 10, 1);
        // Targets at a moderate distance: exp of a tangent of norm 0.7 (inside every injectivity radius).
        let y = rows::exp(m, &x, &tangents(m, &x, 0.7, 2)).unwrap();
        let v = rows::log(m, &x, &y).unwrap();
        let back = rows::exp(m, &x, &v).unwrap();
        let err = rows::dist(m, &back, &y).unwrap();
        assert!(err.iter().all(|e| *e < 1e-7), "{}: exp∘log error {err:?}", m.name());
        let d = rows::dist(m, &x, &y).unwrap();
        let n = rows::norm(m, &x, &v).unwrap();
        for (a, b) in d.iter().zip(&n) {
            assert!((a - b).abs() < 1e-7, "{}: dist {a} vs |log| {b}", m.name());
        }
    }
}

#[test]
fn dist_of_a_small_step_is_its_norm() {
    for m in all_models() {
        let m = m.as_ref();
        let x = rows::random_points(m, 10, 5);
        let v = tangents(m, &x, 1e-3, 6);
        let y = rows::exp(m, &x, &v).unwrap();
        let d = rows::dist(m, &x, &y).unwrap();
        assert!(d.iter().all(|d| (d - 1e-3).abs() < 1e-9), "{}: {d:?}", m.name());
    }
}

#[test]
fn parallel_transport_preserves_inner_products() {
    for m in all_models().into_iter().filter(|m| m.transp_is_isometric()) {
        let m = m.as_ref();
        let x = rows::random_points(m, 10, 7);
        let y = rows::exp(m, &x, &tangents(m, &x, 0.9, 8)).unwrap();
        let (u, v) = (tangents(m, &x, 1.3, 9), tangents(m, &x, 0.6, 10));
        let (tu, tv) = (rows::transp(m, &x, &y, &u).unwrap(), rows::transp(m, &x, &y, &v).unwrap());
        let before = rows::inner(m, &x, &u, &v).unwrap();
        let after = rows::inner(m, &y, &tu, &tv).unwrap();
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-8, "{}: ⟨u, v⟩ {a} became {b}", m.name());
        }
        // The transported vectors are tangent at y.
        let again = rows::proju(m, &y, &tu).unwrap();
        assert!(again.iter().zip(&tu).all(|(a, b)| (a - b).abs() < 1e-8), "{}", m.name());
    }
}

#[test]
fn transported_log_points_back() {
    // Transporting log_x(y) to y gives −log_y(x) along the geodesic.
    for m in all_models().into_iter().filter(|m| m.transp_is_isometric()) {
        let m = m.as_ref();
        let x = rows::random_points(m, 5, 11);
        let y = rows::exp(m, &x, &tangents(m, &x, 0.8, 12)).unwrap();
        let t = rows::transp(m, &x, &y, &rows::log(m, &x, &y).unwrap()).unwrap();
        let back = rows::log(m, &y, &x).unwrap();
        assert!(t.iter().zip(&back).all(|(a, b)| (a + b).abs() < 1e-8), "{}", m.name());
    }
}

#[test]
fn poincare_and_lorentz_distances_agree_under_the_standard_map() {
    for c in [1.0, 0.25, 3.0] {
        let k = 1.0 / c;
        let lorentz = Lorentz::new(4, k);
        let ball = PoincareBall::new(3, c);
        let x = rows::random_points(&lorentz, 50, 13);
        let y = rows::random_points(&lorentz, 50, 14);
        let to_ball = |p: &[f64]| -> Vec<f64> { p.chunks(4).flat_map(|r| r[1..].iter().map(move |v| k.sqrt() * v / (r[0] + k.sqrt()))).collect() };
        let dl = rows::dist(&lorentz, &x, &y).unwrap();
        let db = rows::dist(&ball, &to_ball(&x), &to_ball(&y)).unwrap();
        for (a, b) in dl.iter().zip(&db) {
            assert!((a - b).abs() < 1e-9 * a.max(1.0), "c = {c}: Lorentz {a} vs Poincaré {b}");
        }
    }
}

#[test]
fn stereographic_matches_poincare_sphere_and_euclidean() {
    let x = rows::random_points(&PoincareBall::new(3, 1.2), 30, 15);
    let y = rows::random_points(&PoincareBall::new(3, 1.2), 30, 16);
    // κ = −c is the Poincaré ball.
    let (s, p) = (Stereographic::new(3, -1.2), PoincareBall::new(3, 1.2));
    assert_eq!(rows::dist(&s, &x, &y).unwrap(), rows::dist(&p, &x, &y).unwrap());
    // κ > 0: the stereographic projection of the sphere of radius R = 1/√κ, x = R p₁../(R + p₀)… inverted.
    let kappa = 0.6;
    let r = 1.0 / f64::sqrt(kappa);
    let sphere_pt = |q: &[f64]| -> Vec<f64> {
        let q2: f64 = q.iter().map(|v| v * v).sum();
        let denom = 1.0 + kappa * q2;
        let mut out = vec![r * (1.0 - kappa * q2) / denom];
        out.extend(q.iter().map(|v| 2.0 * v / denom));
        out.iter().map(|v| v / r).collect()
    };
    let st = Stereographic::new(3, kappa);
    let sphere = Sphere::new(4);
    let d_st = rows::dist(&st, &x, &y).unwrap();
    let xs: Vec<f64> = x.chunks(3).flat_map(sphere_pt).collect();
    let ys: Vec<f64> = y.chunks(3).flat_map(sphere_pt).collect();
    rows::check_points(&sphere, "xs", &xs, 1e-12).unwrap();
    let d_sphere = rows::dist(&sphere, &xs, &ys).unwrap();
    for (a, b) in d_st.iter().zip(&d_sphere) {
        assert!((a - r * b).abs() < 1e-9, "κ-stereographic {a} vs sphere {}", r * b);
    }
    // κ → 0 from both sides: continuous, and Euclidean at 0 (where ‖x‖ = 2·… conformal factor 2).
    let e = Euclidean::new(3);
    let d0 = rows::dist(&Stereographic::new(3, 0.0), &x, &y).unwrap();
    let de = rows::dist(&e, &x, &y).unwrap();
    for (a, b) in d0.iter().zip(&de) {
        assert!((a - 2.0 * b).abs() < 1e-12, "κ = 0: {a} vs 2·{b}");
    }
    for kappa in [1e-9, -1e-9, 1e-7, -1e-7, 1e-5, -1e-5] {
        let dk = rows::dist(&Stereographic::new(3, kappa), &x, &y).unwrap();
        for (a, b) in dk.iter().zip(&d0) {
            assert!((a - b).abs() < 100.0 * kappa.abs() * b.max(1.0), "κ = {kappa}: {a} vs {b}");
        }
        let u = tangents(&e, &x, 0.5, 17);
        let ek = rows::exp(&Stereographic::new(3, kappa), &x, &u).unwrap();
        let e0 = rows::exp(&Stereographic::new(3, 0.0), &x, &u).unwrap();
        assert!(ek.iter().zip(&e0).all(|(a, b)| (a - b).abs() < 100.0 * kappa.abs()));
    }
}

/// Every operation of `m` on points `near` the boundary, points `inside`, and `big` steps gives
/// finite values, and `exp` of a big step is a valid point.
fn assert_finite_near_boundary(m: &dyn Manifold, near: &[f64], inside: &[f64], big: &[f64]) {
    let len = m.point_len();
    let mut y = near.to_vec();
    y.rotate_left(len);
    let outputs = [
        rows::dist(m, near, inside).unwrap(),
        rows::dist(m, near, &y).unwrap(),
        rows::dist(m, near, near).unwrap(),
        rows::log(m, near, inside).unwrap(),
        rows::log(m, inside, near).unwrap(),
        rows::log(m, near, &y).unwrap(),
        rows::exp(m, near, big).unwrap(),
        rows::exp(m, inside, big).unwrap(),
        rows::retr(m, near, big).unwrap(),
        rows::transp(m, near, &y, big).unwrap(),
        rows::transp(m, inside, near, big).unwrap(),
        rows::egrad_to_rgrad(m, near, big).unwrap(),
        rows::norm(m, near, big).unwrap(),
        rows::projx(m, big).unwrap(),
    ];
    for (k, out) in outputs.iter().enumerate() {
        assert!(out.iter().all(|v| v.is_finite()), "{}: output {k} has a non-finite value", m.name());
    }
    // exp of a huge step lands inside the ball (projected) and stays a valid point.
    rows::check_points(m, "exp", &outputs[6], 0.0).unwrap();
}

#[test]
fn nothing_is_nan_or_infinite_at_the_ball_boundary() {
    let dirs = rows::random_points(&Sphere::new(3), 40, 18);
    let big: Vec<f64> = dirs.iter().map(|v| 50.0 * v).collect();
    // The ball of curvature −c, and the κ-stereographic ball of κ = −2.5, 1e-7 inside the boundary.
    let balls: [(Box<dyn Manifold>, f64); 4] = [
        (Box::new(PoincareBall::new(3, 1.0)), 1.0),
        (Box::new(PoincareBall::new(3, 0.5)), 0.5),
        (Box::new(PoincareBall::new(3, 4.0)), 4.0),
        (Box::new(Stereographic::new(3, -2.5)), 2.5),
    ];
    for (ball, c) in &balls {
        let near: Vec<f64> = dirs.iter().map(|v| v * (1.0 / c.sqrt() - 1e-7)).collect();
        let inside = rows::random_points(ball.as_ref(), 40, 19);
        assert_finite_near_boundary(ball.as_ref(), &near, &inside, &big);
    }
    // A product with a ball factor: the ball's part 1e-7 inside, the sphere's and plane's anywhere.
    let product = parse_signature("H3xS2xE2").unwrap();
    let len = product.point_len();
    let inside = rows::random_points(&product, 40, 20);
    let mut near = inside.clone();
    let mut big_p = vec![0.0; inside.len()];
    for i in 0..40 {
        near[i * len..i * len + 3].copy_from_slice(&dirs[i * 3..(i + 1) * 3].iter().map(|v| v * (1.0 - 1e-7)).collect::<Vec<_>>());
        big_p[i * len..i * len + 3].copy_from_slice(&big[i * 3..(i + 1) * 3]);
        big_p[i * len + 6] = 50.0;
    }
    assert_finite_near_boundary(&product, &near, &inside, &big_p);
    // The hyperboloid far from the origin and the κ-stereographic ball behave the same way.
    let lorentz = Lorentz::new(3, 1.0);
    let far = rows::projx(&lorentz, &[0.0, 1e6, -2e5, 0.0, 1.0, 1.0]).unwrap();
    assert!(rows::dist(&lorentz, &far[..3], &far[3..]).unwrap()[0].is_finite());
    assert!(rows::log(&lorentz, &far[..3], &far[3..]).unwrap().iter().all(|v| v.is_finite()));
}

/// The ball's batched `dist` (logarithms eight rows at a time) against `dist` row by row: spread
/// pairs, points projected to the boundary's clamp, near pairs on the series, equal pairs, and a row count
/// that is not a multiple of the batch.
#[test]
fn batched_ball_distances_equal_row_distances() {
    let models: [Box<dyn Manifold>; 3] = [Box::new(PoincareBall::new(4, 1.0)), Box::new(PoincareBall::new(4, 0.3)), Box::new(Stereographic::new(4, -2.5))];
    for m in models {
        let inside = rows::random_points(m.as_ref(), 37, 3);
        let other = rows::random_points(m.as_ref(), 37, 4);
        let mut near = inside.clone();
        near.iter_mut().enumerate().for_each(|(i, v)| *v += 1e-6 * ((i % 7) as f64 - 3.0));
        let edge = rows::projx(m.as_ref(), &inside.iter().map(|v| v * 1e6).collect::<Vec<_>>()).unwrap();
        // At the clamp, 1 − ‖(−x) ⊕ y‖ down to about 1e-6 leaves the distance itself good only
        // to a few ε/1e-6 ≈ 1e-10, and the two forms round differently within that.
        for (x, y, abs) in [(&inside, &other, 0.0), (&inside, &near, 0.0), (&inside, &inside, 0.0), (&edge, &other, 1e-9), (&edge, &inside, 1e-9)] {
            let batched = rows::dist(m.as_ref(), x, y).unwrap();
            for (i, got) in batched.iter().enumerate() {
                let want = m.dist(&x[i * 4..(i + 1) * 4], &y[i * 4..(i + 1) * 4]);
                assert!((got - want).abs() <= 1e-12 * want + abs, "{}: row {i}: batched {got}, by row {want}", m.name());
            }
        }
    }
}

#[test]
fn check_point_names_the_row_and_constraint() {
    let s = Sphere::new(3);
    let mut x = rows::random_points(&s, 5, 20);
    x[3 * 3] *= 2.0;
    let e = rows::check_points(&s, "x", &x, 1e-9).unwrap_err().to_string();
    assert!(e.contains("row 3") && e.contains("unit sphere"), "{e}");
    let ball = PoincareBall::new(2, 1.0);
    let e = rows::check_points(&ball, "x", &[0.0, 0.0, 1.0, 0.0], 1e-9).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("open ball"), "{e}");
    let spd = Spd::new(2, SpdMetric::AffineInvariant);
    let e = rows::check_points(&spd, "x", &[1.0, 2.0, 2.0, 1.0], 1e-9).unwrap_err().to_string();
    assert!(e.contains("row 0") && e.contains("positive definite"), "{e}");
    let e = rows::check_points(&Stiefel::new(3, 2), "x", &[1.0, 1.0, 0.0, 0.0, 0.0, 1.0], 1e-9).unwrap_err().to_string();
    assert!(e.contains("orthonormal"), "{e}");
    let e = rows::dist(&s, &[1.0, 0.0, 0.0], &[1.0, 0.0]).unwrap_err().to_string();
    assert!(e.contains("`y`"), "{e}");
}

#[test]
fn signatures_parse_with_both_separators() {
    let a = parse_signature("H2xS2xE2").unwrap();
    let b = parse_signature("H2×S2×E2").unwrap();
    assert_eq!((a.dim(), a.point_len()), (6, 7));
    assert_eq!(a.name(), b.name());
    assert_eq!(parse_signature("L3").unwrap().point_len(), 4);
    for bad in ["", "H", "Q2", "H0xS2", "H2xx"] {
        let e = parse_signature(bad).unwrap_err().to_string();
        assert!(e.contains("signature"), "{bad}: {e}");
    }
    // The product distance is the root of the factors' squared distances.
    let x = rows::random_points(&a, 4, 21);
    let y = rows::random_points(&a, 4, 22);
    let d = rows::dist(&a, &x, &y).unwrap();
    for i in 0..4 {
        let (xi, yi) = (&x[i * 7..(i + 1) * 7], &y[i * 7..(i + 1) * 7]);
        let h = PoincareBall::new(2, 1.0).dist(&xi[..2], &yi[..2]);
        let s = Sphere::new(3).dist(&xi[2..5], &yi[2..5]);
        let e = Euclidean::new(2).dist(&xi[5..], &yi[5..]);
        assert!((d[i] - (h * h + s * s + e * e).sqrt()).abs() < 1e-12);
    }
}

/// `f(A)` of a symmetric 2 × 2 or 3 × 3 matrix, via the characteristic polynomial's closed-form
/// roots and the spectral projectors (independent of the Jacobi solver).
fn brute_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    // Power iteration with deflation: slow but independent.
    let mut m = a.to_vec();
    let mut out = Vec::new();
    for _ in 0..n {
        let mut v: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 0.1).collect();
        // Shift so the largest-magnitude eigenvalue is the largest one.
        let shift = m.iter().map(|v| v.abs()).sum::<f64>();
        let mut lambda = 0.0;
        for _ in 0..20000 {
            let w: Vec<f64> = (0..n).map(|i| (0..n).map(|j| m[i * n + j] * v[j]).sum::<f64>() + shift * v[i]).collect();
            let norm = w.iter().map(|t| t * t).sum::<f64>().sqrt();
            lambda = norm - shift;
            v = w.iter().map(|t| t / norm).collect();
        }
        out.push(lambda);
        for i in 0..n {
            for j in 0..n {
                m[i * n + j] -= (lambda + shift) * v[i] * v[j];
            }
        }
    }
    out
}

#[test]
fn spd_affine_distance_matches_generalised_eigenvalues() {
    // d(X, Y)² = Σ log² λᵢ with λ the eigenvalues of X⁻¹Y (brute force: power iteration on
    // L⁻¹ Y L⁻ᵀ with X = L Lᵀ by Cholesky).
    let spd = Spd::new(3, SpdMetric::AffineInvariant);
    let x = rows::random_points(&spd, 6, 23);
    let y = rows::random_points(&spd, 6, 24);
    let d = rows::dist(&spd, &x, &y).unwrap();
    for i in 0..6 {
        let (a, b) = (&x[i * 9..(i + 1) * 9], &y[i * 9..(i + 1) * 9]);
        let mut l = [0.0; 9];
        for r in 0..3 {
            for c in 0..=r {
                let s: f64 = (0..c).map(|k| l[r * 3 + k] * l[c * 3 + k]).sum();
                l[r * 3 + c] = if r == c { (a[r * 3 + r] - s).sqrt() } else { (a[r * 3 + c] - s) / l[c * 3 + c] };
            }
        }
        // M = L⁻¹ B L⁻ᵀ by forward substitution on columns.
        let solve = |rhs: [f64; 3]| -> [f64; 3] {
            let mut z = [0.0; 3];
            for r in 0..3 {
                z[r] = (rhs[r] - (0..r).map(|k| l[r * 3 + k] * z[k]).sum::<f64>()) / l[r * 3 + r];
            }
            z
        };
        let mut t = [0.0; 9];
        for c in 0..3 {
            let z = solve([b[c], b[3 + c], b[6 + c]]);
            for r in 0..3 {
                t[r * 3 + c] = z[r];
            }
        }
        let mut m = [0.0; 9];
        for r in 0..3 {
            let z = solve([t[r * 3], t[r * 3 + 1], t[r * 3 + 2]]);
            for c in 0..3 {
                m[r * 3 + c] = z[c];
            }
        }
        let lam = brute_eigenvalues(&m, 3);
        let want = lam.iter().map(|v| v.ln().powi(2)).sum::<f64>().sqrt();
        assert!((d[i] - want).abs() < 1e-8, "{} vs {want}", d[i]);
        // Log-Euclidean and Bures–Wasserstein are symmetric and vanish on the diagonal.
        for metric in [SpdMetric::LogEuclidean, SpdMetric::BuresWasserstein] {
            let m = Spd::new(3, metric);
            assert!((m.dist(a, b) - m.dist(b, a)).abs() < 1e-9);
            assert!(m.dist(a, a) < 1e-7);
        }
    }
    // Commuting (diagonal) matrices: all three have closed forms.
    let (a, b) = ([2.0, 0.0, 0.0, 3.0], [5.0, 0.0, 0.0, 0.5]);
    let ai = Spd::new(2, SpdMetric::AffineInvariant).dist(&a, &b);
    assert!((ai - ((2.5f64).ln().powi(2) + (0.5f64 / 3.0).ln().powi(2)).sqrt()).abs() < 1e-12);
    let le = Spd::new(2, SpdMetric::LogEuclidean).dist(&a, &b);
    assert!((le - ai).abs() < 1e-12);
    let bw = Spd::new(2, SpdMetric::BuresWasserstein).dist(&a, &b);
    let want = ((2f64.sqrt() - 5f64.sqrt()).powi(2) + (3f64.sqrt() - 0.5f64.sqrt()).powi(2)).sqrt();
    assert!((bw - want).abs() < 1e-12, "{bw} vs {want}");
}

#[test]
fn grassmann_distance_is_the_norm_of_principal_angles() {
    // Two planes in R⁴ with known principal angles α, β.
    let (a, b) = (0.3f64, 1.1f64);
    let x = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let y = [a.cos(), 0.0, 0.0, b.cos(), a.sin(), 0.0, 0.0, b.sin()];
    let g = Grassmann::new(4, 2);
    assert!((g.dist(&x, &y) - (a * a + b * b).sqrt()).abs() < 1e-13);
    // A rotated frame of the same plane is at distance 0.
    let t = 0.7f64;
    let rotated: Vec<f64> = (0..4).flat_map(|r| [x[r * 2] * t.cos() - x[r * 2 + 1] * t.sin(), x[r * 2] * t.sin() + x[r * 2 + 1] * t.cos()]).collect();
    assert!(g.dist(&x, &rotated) < 1e-12);
    // Orthogonal planes: angles π/2, log still returns a geodesic of length π/√2.
    let z = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let mut v = vec![0.0; 8];
    g.log(&x, &z, &mut v);
    let norm = v.iter().map(|t| t * t).sum::<f64>().sqrt();
    assert!((norm - std::f64::consts::PI / 2f64.sqrt()).abs() < 1e-12);
    let mut back = vec![0.0; 8];
    g.exp(&x, &v, &mut back);
    assert!(g.dist(&back, &z) < 1e-10);
    // A one-block flag is the Grassmannian.
    let f = Flag::new(5, vec![2]);
    let gr = Grassmann::new(5, 2);
    let xs = rows::random_points(&gr, 5, 25);
    let ys = rows::exp(&gr, &xs, &tangents(&gr, &xs, 0.6, 26)).unwrap();
    let df = rows::dist(&f, &xs, &ys).unwrap();
    let dg = rows::dist(&gr, &xs, &ys).unwrap();
    assert!(df.iter().zip(&dg).all(|(a, b)| (a - b).abs() < 1e-8), "{df:?} vs {dg:?}");
}

#[test]
fn manifold_dimensions() {
    let dims: Vec<usize> = all_models().iter().map(|m| m.dim()).collect();
    assert_eq!(dims, vec![3, 3, 3, 2, 3, 3, 3, 3, 2, 6, 6, 6, 7, 6, 8, 6]);
}

/// A fixture file's rows, flattened.
fn fixture_rows(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().map(|a| a.iter().map(|t| t.as_f64().unwrap()).collect::<Vec<_>>()).unwrap_or_else(|| vec![r.as_f64().unwrap()]))
        .collect()
}

fn load_fixture(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(crate::common::fixtures().join(name)).unwrap()).unwrap()
}

/// The largest entrywise difference, relative to the reference's scale where it exceeds 1.
fn worst_rel(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0.0, f64::max)
}

/// `U Xᵀ + X Uᵀ` per row: a Grassmann frame's tangent vector as geomstats' projection-matrix one
/// (`U = X` gives the projection matrix `2XXᵀ`, halved by the caller).
fn projector_rows(x: &[f64], u: &[f64], n: usize, p: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for (xr, ur) in x.chunks(n * p).zip(u.chunks(n * p)) {
        for i in 0..n {
            for j in 0..n {
                out.push((0..p).map(|c| ur[i * p + c] * xr[j * p + c] + xr[i * p + c] * ur[j * p + c]).sum());
            }
        }
    }
    out
}

/// geomstats 2.8.0 fixtures (make_manifold_fixtures.py): distances, logs, exponentials,
/// parallel transports and means.
#[test]
fn matches_geomstats_fixtures() {
    let fx = load_fixture("manifold_geomstats.json");
    let vec = fixture_rows;
    let cases: Vec<(&str, Box<dyn Manifold>)> = vec![
        ("poincare", Box::new(PoincareBall::new(3, 1.0))),
        ("hyperboloid", Box::new(Lorentz::new(4, 1.0))),
        ("sphere", Box::new(Sphere::new(4))),
        ("spd_affine", Box::new(Spd::new(3, SpdMetric::AffineInvariant))),
        ("spd_logeuclidean", Box::new(Spd::new(3, SpdMetric::LogEuclidean))),
        ("spd_bures", Box::new(Spd::new(3, SpdMetric::BuresWasserstein))),
        ("grassmann", Box::new(Grassmann::new(5, 2))),
    ];
    for (name, m) in cases {
        let case = &fx[name];
        let (x, y) = (vec(&case["x"]), vec(&case["y"]));
        let d = rows::dist(m.as_ref(), &x, &y).unwrap();
        let mut want = vec(&case["dist"]);
        if name == "grassmann" {
            // geomstats' Grassmannian measures projection matrices P = XXᵀ in the Frobenius
            // norm, ‖dP‖ = √2 ‖dX‖ for horizontal dX: its distances are √2 times the frame metric's.
            want.iter_mut().for_each(|v| *v /= 2f64.sqrt());
        }
        for (a, b) in d.iter().zip(&want) {
            assert!((a - b).abs() < 1e-10 * b.max(1.0), "{name}: dist {a} vs geomstats {b}");
        }
        let v = vec(&case["v"]);
        let e = rows::exp(m.as_ref(), &x, &v).unwrap();
        if name == "grassmann" {
            // Compare spans: the projection matrices of the frames.
            let p: Vec<f64> = projector_rows(&e, &e, 5, 2).iter().map(|t| t / 2.0).collect();
            let worst = worst_rel(&p, &vec(&case["exp"]));
            assert!(worst < 1e-10, "{name}: exp differs by {worst}");
            let t = rows::transp(m.as_ref(), &x, &y, &vec(&case["w"])).unwrap();
            let worst = worst_rel(&projector_rows(&y, &t, 5, 2), &vec(&case["transp"]));
            assert!(worst < 1e-10, "{name}: transp differs by {worst}");
            // The horizontal log H at X, lifted to H Xᵀ + X Hᵀ as geomstats gives it.
            let l = rows::log(m.as_ref(), &x, &y).unwrap();
            let worst = worst_rel(&projector_rows(&x, &l, 5, 2), &vec(&case["log_lifted"]));
            assert!(worst < 1e-10, "{name}: log differs by {worst}");
            continue;
        }
        let worst = worst_rel(&e, &vec(&case["exp"]));
        assert!(worst < 1e-10, "{name}: exp differs by {worst}");
        let l = rows::log(m.as_ref(), &x, &y).unwrap();
        let worst = worst_rel(&l, &vec(&case["log"]));
        assert!(worst < 1e-10, "{name}: log differs by {worst}");
        if !case["transp"].is_null() {
            let t = rows::transp(m.as_ref(), &x, &y, &vec(&case["w"])).unwrap();
            let worst = worst_rel(&t, &vec(&case["transp"]));
            assert!(worst < 1e-10, "{name}: transp differs by {worst}");
        }
        if !case["mean"].is_null() {
            let mean = stats::frechet_mean(m.as_ref(), &x, &MeanParams { tol: 1e-13, max_iter: 500, ..Default::default() }).unwrap();
            let want = vec(&case["mean"]);
            // geomstats' mean, run to a squared step norm of 1e-26 per dimension.
            let d = m.dist(&mean.point, &want);
            assert!(d < 1e-10, "{name}: mean {:?} vs {want:?} ({d:e} apart)", mean.point);
        }
    }
}

/// geoopt 0.5.1 fixtures (make_geoopt_fixtures.py): the κ-stereographic model through κ = 0,
/// and the Stiefel and flag exponentials, with `log` and `dist` checked as their inverses.
#[test]
fn matches_geoopt_fixtures() {
    let fx = load_fixture("manifold_geoopt.json");
    let mut seen = 0;
    for (name, case) in fx.as_object().unwrap() {
        let Some(k) = case.get("k").and_then(|k| k.as_f64()) else { continue };
        seen += 1;
        let (x, y, v, w) = (fixture_rows(&case["x"]), fixture_rows(&case["y"]), fixture_rows(&case["v"]), fixture_rows(&case["w"]));
        let mut models: Vec<Box<dyn Manifold>> = vec![Box::new(Stereographic::new(3, k))];
        if k < 0.0 {
            models.push(Box::new(PoincareBall::new(3, -k)));
        }
        for m in models {
            let checks = [
                ("dist", rows::dist(m.as_ref(), &x, &y).unwrap()),
                ("log", rows::log(m.as_ref(), &x, &y).unwrap()),
                ("exp", rows::exp(m.as_ref(), &x, &v).unwrap()),
                ("transp", rows::transp(m.as_ref(), &x, &y, &w).unwrap()),
            ];
            for (op, got) in checks {
                let worst = worst_rel(&got, &fixture_rows(&case[op]));
                assert!(worst < 1e-10, "{name} ({}): {op} differs from geoopt by {worst}", m.name());
            }
        }
    }
    assert_eq!(seen, 7);
    let frames: [(&str, Box<dyn Manifold>); 2] = [("stiefel", Box::new(Stiefel::new(6, 3))), ("flag", Box::new(Flag::new(6, vec![1, 2])))];
    for (name, m) in frames {
        let case = &fx[name];
        let (x, v, want) = (fixture_rows(&case["x"]), fixture_rows(&case["v"]), fixture_rows(&case["exp"]));
        let e = rows::exp(m.as_ref(), &x, &v).unwrap();
        let worst = worst_rel(&e, &want);
        assert!(worst < 1e-10, "{name}: exp differs from geoopt by {worst}");
        // log has no closed form (it shoots): it must invert geoopt's exp, and dist = ‖v‖.
        let l = rows::log(m.as_ref(), &x, &want).unwrap();
        let worst = worst_rel(&l, &v);
        assert!(worst < 1e-10, "{name}: log of geoopt's exp differs from v by {worst}");
        let d = rows::dist(m.as_ref(), &x, &want).unwrap();
        let norms = rows::norm(m.as_ref(), &x, &v).unwrap();
        let worst = worst_rel(&d, &norms);
        assert!(worst < 1e-10, "{name}: dist to geoopt's exp differs from ‖v‖ by {worst}");
    }
}

/// geoopt 0.5.1 fixtures, continued: the tangent projections, Riemannian gradients and vector
/// transports of Stiefel (geoopt's) and flag (a brute-force orthogonal projection onto the
/// horizontal space), the hyperboloid at k ≠ 1, and a product, which must act as its factors.
#[test]
fn matches_geoopt_projections_lorentz_at_any_k_and_products() {
    let fx = load_fixture("manifold_geoopt.json");
    let check = |name: &str, op: &str, got: Vec<f64>, want: &serde_json::Value| {
        let worst = worst_rel(&got, &fixture_rows(want));
        assert!(worst < 1e-10, "{name}: {op} differs from the reference by {worst}");
    };
    let frames: [(&str, Box<dyn Manifold>); 2] = [("stiefel", Box::new(Stiefel::new(6, 3))), ("flag", Box::new(Flag::new(6, vec![1, 2])))];
    for (name, m) in frames {
        let c = &fx[name];
        let (x, y, u, v) = (fixture_rows(&c["x"]), fixture_rows(&c["y"]), fixture_rows(&c["u"]), fixture_rows(&c["v"]));
        check(name, "proj", rows::proju(m.as_ref(), &x, &u).unwrap(), &c["proj"]);
        // The embedded metric: the Riemannian gradient is the projection of the Euclidean one.
        check(name, "egrad_to_rgrad", rows::egrad_to_rgrad(m.as_ref(), &x, &u).unwrap(), if name == "stiefel" { &c["egrad"] } else { &c["proj"] });
        // A projection, as geoopt's (neither has a closed-form parallel transport).
        check(name, "transp", rows::transp(m.as_ref(), &x, &y, &v).unwrap(), &c["transp"]);
    }
    let mut seen = 0;
    for case in fx.as_object().unwrap().values() {
        let Some(k) = case.get("lorentz_k").and_then(|k| k.as_f64()) else { continue };
        seen += 1;
        let name = format!("Lorentz(k = {k})");
        let m = Lorentz::new(4, k);
        let (x, y, v, w, g) =
            (fixture_rows(&case["x"]), fixture_rows(&case["y"]), fixture_rows(&case["v"]), fixture_rows(&case["w"]), fixture_rows(&case["g"]));
        check(&name, "dist", rows::dist(&m, &x, &y).unwrap(), &case["dist"]);
        check(&name, "log", rows::log(&m, &x, &y).unwrap(), &case["log"]);
        check(&name, "exp", rows::exp(&m, &x, &v).unwrap(), &case["exp"]);
        check(&name, "transp", rows::transp(&m, &x, &y, &w).unwrap(), &case["transp"]);
        check(&name, "proj", rows::proju(&m, &x, &g).unwrap(), &case["proj"]);
        check(&name, "egrad_to_rgrad", rows::egrad_to_rgrad(&m, &x, &g).unwrap(), &case["egrad"]);
    }
    assert_eq!(seen, 2);
    let c = &fx["product"];
    let m = parse_signature(c["signature"].as_str().unwrap()).unwrap();
    let (x, y, v, w, g) = (fixture_rows(&c["x"]), fixture_rows(&c["y"]), fixture_rows(&c["v"]), fixture_rows(&c["w"]), fixture_rows(&c["g"]));
    check("product", "dist", rows::dist(&m, &x, &y).unwrap(), &c["dist"]);
    check("product", "log", rows::log(&m, &x, &y).unwrap(), &c["log"]);
    check("product", "exp", rows::exp(&m, &x, &v).unwrap(), &c["exp"]);
    check("product", "transp", rows::transp(&m, &x, &y, &w).unwrap(), &c["transp"]);
    check("product", "egrad_to_rgrad", rows::egrad_to_rgrad(&m, &x, &g).unwrap(), &c["egrad"]);
    // Tangent projections and Riemannian gradients of the sphere, the ball and SPD.
    let tangent: [(&str, Box<dyn Manifold>); 4] = [
        ("tangent_sphere", Box::new(Sphere::new(4))),
        ("tangent_ball_0.5", Box::new(PoincareBall::new(3, 0.5))),
        ("tangent_ball_1.0", Box::new(PoincareBall::new(3, 1.0))),
        ("tangent_spd", Box::new(Spd::new(3, SpdMetric::AffineInvariant))),
    ];
    for (name, m) in tangent {
        let c = &fx[name];
        let (x, g) = (fixture_rows(&c["x"]), fixture_rows(&c["g"]));
        check(name, "proj", rows::proju(m.as_ref(), &x, &g).unwrap(), &c["proj"]);
        check(name, "egrad_to_rgrad", rows::egrad_to_rgrad(m.as_ref(), &x, &g).unwrap(), &c["egrad"]);
    }
}

#[test]
fn frechet_mean_closed_forms() {
    // Euclidean: the weighted arithmetic mean.
    let e = Euclidean::new(2);
    let x = [0.0, 0.0, 4.0, 0.0, 1.0, 3.0];
    let w = vec![1.0, 2.0, 1.0];
    let m = stats::frechet_mean(&e, &x, &MeanParams { weights: Some(w), ..Default::default() }).unwrap();
    assert!((m.point[0] - 2.25).abs() < 1e-12 && (m.point[1] - 0.75).abs() < 1e-12);
    // Points symmetric about the north pole average to it.
    let s = Sphere::new(3);
    let t = 0.4f64;
    let x = [t.sin(), 0.0, t.cos(), -t.sin(), 0.0, t.cos(), 0.0, t.sin(), t.cos(), 0.0, -t.sin(), t.cos()];
    let m = stats::frechet_mean(&s, &x, &MeanParams::default()).unwrap();
    assert!(m.converged && (m.point[2] - 1.0).abs() < 1e-12);
    // In the ball, ±v average to the origin, at any curvature.
    for c in [0.5, 1.0, 2.0] {
        let b = PoincareBall::new(2, c);
        let m = stats::frechet_mean(&b, &[0.3, 0.2, -0.3, -0.2, 0.1, -0.4, -0.1, 0.4], &MeanParams::default()).unwrap();
        assert!(m.point.iter().all(|v| v.abs() < 1e-10), "{:?}", m.point);
    }
    // The gradient vanishes at the mean of random points.
    let b = PoincareBall::new(3, 1.0);
    let x = rows::random_points(&b, 200, 27);
    let m = stats::frechet_mean(&b, &x, &MeanParams { tol: 1e-12, ..Default::default() }).unwrap();
    let g = rows::log(&b, &m.point.repeat(200), &x).unwrap();
    let sum: Vec<f64> = (0..3).map(|j| g.iter().skip(j).step_by(3).sum::<f64>()).collect();
    assert!(sum.iter().all(|v| v.abs() < 1e-9), "{sum:?}");
    // Spread data in 10 dimensions (about 3 from the origin), where the plain step-1 fixed
    // point overshoots: the step control still reaches a vanishing gradient.
    let b10 = PoincareBall::new(10, 1.0);
    let x10 = rows::random_points(&b10, 2000, 31);
    let m10 = stats::frechet_mean(&b10, &x10, &MeanParams { tol: 1e-10, ..Default::default() }).unwrap();
    let g = rows::log(&b10, &m10.point.repeat(2000), &x10).unwrap();
    let grad: f64 = (0..10).map(|j| (g.iter().skip(j).step_by(10).sum::<f64>() / 2000.0).powi(2)).sum::<f64>().sqrt();
    assert!(m10.converged && grad < 1e-8, "{grad} after {} steps", m10.n_iter);
    let e = stats::frechet_mean(&b, &x, &MeanParams { weights: Some(vec![-1.0; 200]), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("weights") && e.contains("≥ 0"), "{e}");
}

#[test]
fn geometric_median_closed_forms() {
    // Euclidean, collinear points: the median is the middle one (coordinate median).
    let e = Euclidean::new(2);
    let x = [0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 10.0, 0.0, 11.0, 0.0];
    let m = stats::geometric_median(&e, &x, &MeanParams { tol: 1e-13, max_iter: 1000, ..Default::default() }).unwrap();
    assert!((m.point[0] - 2.0).abs() < 1e-6 && m.point[1].abs() < 1e-12, "{:?}", m.point);
    // The median minimises Σ d: no nearby point is better.
    let b = PoincareBall::new(2, 1.0);
    let x = rows::random_points(&b, 50, 28);
    let m = stats::geometric_median(&b, &x, &MeanParams { tol: 1e-12, max_iter: 1000, ..Default::default() }).unwrap();
    let cost = |p: &[f64]| -> f64 { x.chunks(2).map(|q| b.dist(p, q)).sum() };
    let best = cost(&m.point);
    for k in 0..8 {
        let a = k as f64 * std::f64::consts::FRAC_PI_4;
        let p = [m.point[0] + 1e-4 * a.cos(), m.point[1] + 1e-4 * a.sin()];
        assert!(cost(&p) >= best - 1e-12);
    }
}

/// Integer weights are repeated points: the weighted median of rows with weights (1, 3, 2, …)
/// equals the unweighted median of the rows repeated that many times.
#[test]
fn weighted_geometric_median_equals_the_median_of_repeated_points() {
    let b = PoincareBall::new(2, 1.0);
    let x = rows::random_points(&b, 12, 29);
    let weights: Vec<f64> = (0..12).map(|i| (1 + (i * 7) % 4) as f64).collect();
    let repeated: Vec<f64> = x.chunks(2).zip(&weights).flat_map(|(p, &w)| std::iter::repeat_n(p.to_vec(), w as usize).flatten()).collect();
    let params = MeanParams { tol: 1e-13, max_iter: 5000, ..Default::default() };
    let weighted = stats::geometric_median(&b, &x, &MeanParams { weights: Some(weights.clone()), ..params.clone() }).unwrap();
    let plain = stats::geometric_median(&b, &repeated, &params).unwrap();
    assert!(b.dist(&weighted.point, &plain.point) < 1e-9, "{:?} vs {:?}", weighted.point, plain.point);
    // And the weights move it: the unweighted median of the distinct rows is elsewhere.
    let distinct = stats::geometric_median(&b, &x, &params).unwrap();
    assert!(b.dist(&weighted.point, &distinct.point) > 1e-3);
}

#[test]
fn tangent_pca_recovers_a_geodesic_spread() {
    // Points along one great circle through the pole: one component carries all the variance.
    let s = Sphere::new(3);
    let x: Vec<f64> = (0..21)
        .flat_map(|i| {
            let t = -0.5 + i as f64 * 0.05;
            [t.sin(), 0.0, t.cos()]
        })
        .collect();
    let pca = stats::tangent_pca(&s, &x, 2, None).unwrap();
    assert!((pca.base[2] - 1.0).abs() < 1e-10);
    assert!(pca.explained_variance[1] < 1e-20);
    assert!((pca.components[0].abs() - 1.0).abs() < 1e-10);
    let want: f64 = (0..21).map(|i| (-0.5 + i as f64 * 0.05f64).powi(2)).sum::<f64>() / 20.0;
    assert!((pca.explained_variance[0] - want).abs() < 1e-10);
    let e = stats::tangent_pca(&s, &x, 3, None).unwrap_err().to_string();
    assert!(e.contains("n_components"), "{e}");
}

#[test]
fn batched_results_do_not_depend_on_the_thread_count() {
    let b = PoincareBall::new(5, 1.0);
    let run = |t: usize| {
        rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap().install(|| {
            let x = rows::random_points(&b, 20000, 29);
            let y = rows::random_points(&b, 20000, 30);
            let m = stats::frechet_mean(&b, &x, &MeanParams::default()).unwrap();
            (rows::dist(&b, &x, &y).unwrap(), m.point)
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn distance_hessians_match_second_differences_along_geodesics() {
    // ⟨u, H v⟩ from second differences of f(t) = ½ d²(exp_x(t w), y) along geodesics
    // (w = u ± v, polarised): the Riemannian Hessian's quadratic form is f''(0).
    let mut checked = 0;
    for m in all_models() {
        let m = m.as_ref();
        let len = m.point_len();
        let x = rows::random_points(m, 1, 41);
        let y = {
            let mut y = vec![0.0; len];
            m.exp(&x, &tangents(m, &x, 0.8, 42), &mut y);
            y
        };
        let basis: Vec<f64> = stats::tangent_basis(m, &x).concat();
        let d = basis.len() / len;
        let mut h = vec![0.0; d * d];
        if !m.half_sq_dist_hessian(&x, &y, &basis, &mut h) {
            continue;
        }
        checked += 1;
        let f = |w: &[f64], t: f64| {
            let mut p = vec![0.0; len];
            m.exp(&x, &w.iter().map(|a| t * a).collect::<Vec<_>>(), &mut p);
            0.5 * m.dist(&p, &y).powi(2)
        };
        let q = |w: &[f64]| {
            let s = 1e-4;
            (f(w, s) - 2.0 * f(w, 0.0) + f(w, -s)) / (s * s)
        };
        for j in 0..d {
            for k in 0..d {
                let (bj, bk) = (&basis[j * len..(j + 1) * len], &basis[k * len..(k + 1) * len]);
                let plus: Vec<f64> = bj.iter().zip(bk).map(|(a, b)| a + b).collect();
                let minus: Vec<f64> = bj.iter().zip(bk).map(|(a, b)| a - b).collect();
                let want = 0.25 * (q(&plus) - q(&minus));
                assert!((h[j * d + k] - want).abs() < 2e-5, "{}: H[{j},{k}] = {} vs {want}", m.name(), h[j * d + k]);
            }
        }
    }
    assert_eq!(checked, 11, "closed-form Hessians checked");
}

#[test]
fn newton_means_take_few_steps() {
    // Spread data: Newton's steps (with sampled Hessians) reach a vanishing gradient in a few
    // steps where the Karcher fixed point takes about ten; fewer on the sphere, which starts at
    // the normalised Euclidean mean.
    let cases: Vec<(Box<dyn Manifold>, usize)> = vec![
        (Box::new(Sphere::new(10)), 4),
        (Box::new(Spd::new(3, SpdMetric::AffineInvariant)), 6),
        (Box::new(PoincareBall::new(10, 1.0)), 6),
        (Box::new(Lorentz::new(6, 1.0)), 6),
    ];
    for (m, most) in cases {
        let n = 5000;
        let x = rows::random_points(m.as_ref(), 1, 5);
        let points: Vec<f64> = (0..n as u64)
            .flat_map(|i| {
                let mut p = vec![0.0; m.point_len()];
                m.exp(&x, &tangents(m.as_ref(), &x, 0.3 + 0.4 * ((i * 7919) % 97) as f64 / 97.0, 100 + i), &mut p);
                p
            })
            .collect();
        let est = stats::frechet_mean(m.as_ref(), &points, &MeanParams { tol: 1e-10, ..Default::default() }).unwrap();
        let g = rows::log(m.as_ref(), &est.point.repeat(n), &points).unwrap();
        let len = m.point_len();
        let mean_log: Vec<f64> = (0..len).map(|j| g.iter().skip(j).step_by(len).sum::<f64>() / n as f64).collect();
        let grad = m.norm(&est.point, &mean_log);
        assert!(est.converged && grad < 1e-9 && est.n_iter <= most, "{}: gradient {grad} after {} steps", m.name(), est.n_iter);
    }
}

#[test]
fn batched_weighted_logs_equal_the_sum_of_logs() {
    // The sphere's one-pass sum (including points past a quarter turn and an antipode) and the
    // affine SPD whitened sum against Σ wᵢ log_x(yᵢ) row by row.
    let cases: Vec<Box<dyn Manifold>> = vec![Box::new(Sphere::new(5)), Box::new(Spd::new(3, SpdMetric::AffineInvariant))];
    for m in cases {
        let len = m.point_len();
        let x = rows::random_points(m.as_ref(), 1, 61);
        let mut ys = rows::random_points(m.as_ref(), 40, 62);
        if m.name().starts_with("Sphere") {
            ys[..len].iter_mut().zip(&x).for_each(|(y, a)| *y = -a);
        }
        let w: Vec<f64> = (0..40).map(|i| if i == 3 { 0.0 } else { 0.5 + (i % 7) as f64 }).collect();
        let mut acc = vec![0.0; len];
        m.add_weighted_logs(&x, &ys, &w, &mut acc);
        let logs = rows::log(m.as_ref(), &x.repeat(40), &ys).unwrap();
        for j in 0..len {
            let want: f64 = (0..40).map(|i| w[i] * logs[i * len + j]).sum();
            assert!((acc[j] - want).abs() < 1e-12 * (1.0 + want.abs()), "{}: {j}: {} vs {want}", m.name(), acc[j]);
        }
    }
}
