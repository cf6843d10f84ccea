//! Riemannian optimisers: known minimisers on the sphere and the Poincaré ball.

use unfold_learn::manifold::stats::{self, MeanParams};
use unfold_learn::manifold::{Manifold, PoincareBall, Sphere, rows};
use unfold_learn::optim::{Armijo, Method, Stopping, armijo, minimize};

fn methods() -> Vec<Method> {
    vec![Method::Sgd { lr: 0.2, momentum: 0.0 }, Method::Sgd { lr: 0.1, momentum: 0.5 }, Method::adam(0.05), Method::amsgrad(0.05)]
}

/// `−xᵀAx` with `A = diag(1, 2, 4, 3)`: minimised at ±e₃ (the top eigenvector).
fn rayleigh(x: &[f64], g: &mut [f64]) -> f64 {
    let a = [1.0, 2.0, 4.0, 3.0];
    (0..4).for_each(|i| g[i] = -2.0 * a[i] * x[i]);
    -(0..4).map(|i| a[i] * x[i] * x[i]).sum::<f64>()
}

#[test]
fn every_method_finds_the_top_eigenvector_on_the_sphere() {
    let s = Sphere::new(4);
    let x0 = [0.5, 0.5, 0.5, 0.5];
    for method in methods() {
        let r = minimize(&s, &x0, &rayleigh, method, Stopping { max_iter: 20000, grad_tol: 1e-7 }).unwrap();
        assert!(r.converged, "{method:?}: grad norm {}", r.grad_norm);
        assert!((r.x[2].abs() - 1.0).abs() < 1e-9 && (r.cost + 4.0).abs() < 1e-9, "{method:?}: {:?}", r.x);
    }
    // A sufficient-decrease test cannot resolve gradients below about √ε·|f|: stop at 1e-6.
    let r = armijo(&s, &x0, &rayleigh, Armijo::default(), Stopping { max_iter: 1000, grad_tol: 1e-6 }).unwrap();
    assert!(r.converged && (r.cost + 4.0).abs() < 1e-12, "{r:?}");
}

/// `½ Σ d²(p, xᵢ) / n` on the ball; its Euclidean gradient is `λ_p² · (−Σ log_p xᵢ / n)`.
fn frechet_objective<'a>(b: &'a PoincareBall, data: &'a [f64]) -> impl Fn(&[f64], &mut [f64]) -> f64 + Sync + 'a {
    move |p: &[f64], g: &mut [f64]| {
        let n = data.len() / 2;
        let logs = rows::log(b, &p.repeat(n), data).unwrap();
        let lambda = 2.0 / (1.0 - p[0] * p[0] - p[1] * p[1]);
        for (j, gj) in g.iter_mut().enumerate() {
            *gj = -lambda * lambda * logs.iter().skip(j).step_by(2).sum::<f64>() / n as f64;
        }
        data.chunks(2).map(|q| b.dist(p, q).powi(2)).sum::<f64>() / (2 * n) as f64
    }
}

#[test]
fn every_method_converges_to_the_frechet_mean_on_the_ball() {
    let b = PoincareBall::new(2, 1.0);
    let data = rows::random_points(&b, 50, 1);
    let mean = stats::frechet_mean(&b, &data, &MeanParams { tol: 1e-13, ..Default::default() }).unwrap();
    let f = frechet_objective(&b, &data);
    let x0 = [0.5, -0.4];
    for method in methods() {
        let r = minimize(&b, &x0, &f, method, Stopping { max_iter: 20000, grad_tol: 1e-9 }).unwrap();
        assert!(r.converged, "{method:?}: {}", r.grad_norm);
        assert!(b.dist(&r.x, &mean.point) < 1e-8, "{method:?}: {:?} vs {:?}", r.x, mean.point);
    }
    let r = armijo(&b, &x0, &f, Armijo::default(), Stopping { max_iter: 1000, grad_tol: 1e-7 }).unwrap();
    assert!(r.converged && b.dist(&r.x, &mean.point) < 1e-6, "{r:?}");
}

#[test]
fn a_point_attracted_to_a_target_reaches_it_near_the_boundary() {
    // f(p) = ½ d²(p, q) with q near the boundary: the minimiser is q.
    let b = PoincareBall::new(2, 1.0);
    let q = [0.9, 0.3];
    let f = |p: &[f64], g: &mut [f64]| {
        let mut l = [0.0; 2];
        b.log(p, &q, &mut l);
        let lambda = 2.0 / (1.0 - p[0] * p[0] - p[1] * p[1]);
        g.iter_mut().zip(&l).for_each(|(a, v)| *a = -lambda * lambda * v);
        0.5 * b.dist(p, &q).powi(2)
    };
    let r = minimize(&b, &[0.0, 0.0], &f, Method::amsgrad(0.1), Stopping { max_iter: 20000, grad_tol: 1e-9 }).unwrap();
    assert!(r.converged && b.dist(&r.x, &q) < 1e-8, "{r:?}");
}

#[test]
fn optimisation_is_deterministic_across_thread_counts_and_rejects_bad_settings() {
    let b = PoincareBall::new(2, 1.0);
    let data = rows::random_points(&b, 3000, 2);
    // Many points at once: each row attracted to its own target.
    let x0 = rows::random_points(&b, 3000, 3);
    let f = |x: &[f64], g: &mut [f64]| {
        let logs = rows::log(&b, x, &data).unwrap();
        let mut c = 0.0;
        for (i, (p, l)) in x.chunks(2).zip(logs.chunks(2)).enumerate() {
            let lambda = 2.0 / (1.0 - p[0] * p[0] - p[1] * p[1]);
            g[2 * i] = -lambda * lambda * l[0];
            g[2 * i + 1] = -lambda * lambda * l[1];
            c += 0.5 * b.dist(p, &data[2 * i..2 * i + 2]).powi(2);
        }
        c
    };
    let run = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
            .install(|| minimize(&b, &x0, &f, Method::adam(0.05), Stopping { max_iter: 50, grad_tol: 0.0 }).unwrap().x)
    };
    assert_eq!(run(1), run(2));
    let e = minimize(&b, &x0, &f, Method::Sgd { lr: 0.1, momentum: 1.0 }, Stopping::default()).unwrap_err().to_string();
    assert!(e.contains("momentum") && e.contains("[0, 1)"), "{e}");
    let e = minimize(&b, &[2.0, 0.0], &f, Method::adam(0.1), Stopping::default()).unwrap_err().to_string();
    assert!(e.contains("x0") && e.contains("row 0"), "{e}");
    let e = armijo(&b, &x0, &f, Armijo { shrink: 1.5, ..Default::default() }, Stopping::default()).unwrap_err().to_string();
    assert!(e.contains("shrink"), "{e}");
}
