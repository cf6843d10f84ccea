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
    // The interpolated first trial step keeps the search from zig-zagging across the valley.
    assert!(r.n_iter <= 30, "{r:?}");
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

mod sparse {
    use unfold_learn::manifold::{Lorentz, Manifold, PoincareBall, rows};
    use unfold_learn::optim::{Method, SparseGrad, SparseOptimizer, Stopping, minimize};

    fn methods() -> Vec<Method> {
        super::methods()
    }

    /// The Euclidean gradient `x − target` of `½‖x − target‖²` on every row.
    fn pull(target: &[f64]) -> impl Fn(&[f64], &mut [f64]) -> f64 + Sync + '_ {
        move |x: &[f64], g: &mut [f64]| {
            g.iter_mut().zip(x.iter().zip(target)).for_each(|(g, (a, b))| *g = a - b);
            0.5 * g.iter().map(|v| v * v).sum::<f64>()
        }
    }

    fn check_one_step<M: Manifold>(m: &M, x0: &[f64], touched: &[usize]) {
        let len = m.point_len();
        let n = x0.len() / len;
        let target = rows::random_points(m, n, 11);
        for method in methods() {
            // The dense step with zero gradients off the touched rows.
            let objective = |x: &[f64], g: &mut [f64]| {
                let c = pull(&target)(x, g);
                (0..n).filter(|i| !touched.contains(i)).for_each(|i| g[i * len..(i + 1) * len].iter_mut().for_each(|v| *v = 0.0));
                c
            };
            let dense = minimize(m, x0, &objective, method, Stopping { max_iter: 1, grad_tol: 0.0 }).unwrap().x;
            let mut x = x0.to_vec();
            let mut full = vec![0.0; x.len()];
            pull(&target)(&x, &mut full);
            let mut g = SparseGrad::new(n, len);
            for &r in touched {
                g.add(r, &full[r * len..(r + 1) * len]);
            }
            let mut opt = SparseOptimizer::new(m, method, n).unwrap();
            opt.step(&mut x, &g).unwrap();
            for i in 0..n {
                let row = i * len..(i + 1) * len;
                if touched.contains(&i) {
                    assert_eq!(&x[row.clone()], &dense[row], "{method:?} row {i}: sparse and dense steps differ");
                    assert_ne!(&x[i * len..(i + 1) * len], &x0[i * len..(i + 1) * len], "{method:?} row {i} did not move");
                } else {
                    assert_eq!(&x[row.clone()], &x0[row], "{method:?} untouched row {i} changed");
                }
            }
        }
    }

    #[test]
    fn a_sparse_step_is_the_dense_step_on_the_touched_rows() {
        let ball = PoincareBall::new(3, 1.0);
        check_one_step(&ball, &rows::random_points(&ball, 7, 3), &[1, 4, 5]);
        let hyperboloid = Lorentz::new(4, 1.0);
        check_one_step(&hyperboloid, &rows::random_points(&hyperboloid, 7, 3), &[0, 6]);
    }

    #[test]
    fn sparse_steps_touching_every_row_follow_the_dense_optimiser() {
        let ball = PoincareBall::new(2, 1.0);
        let x0 = rows::random_points(&ball, 5, 1);
        let target = rows::random_points(&ball, 5, 2);
        for method in methods() {
            let dense = minimize(&ball, &x0, &pull(&target), method, Stopping { max_iter: 6, grad_tol: 0.0 }).unwrap().x;
            let mut x = x0.clone();
            let mut opt = SparseOptimizer::new(&ball, method, 5).unwrap();
            let mut g = SparseGrad::new(5, 2);
            let mut full = vec![0.0; 10];
            for _ in 0..6 {
                pull(&target)(&x, &mut full);
                g.clear();
                // Rows in a scrambled order, one row's gradient split in two parts.
                for &r in &[3, 0, 4, 1, 2] {
                    if r == 4 {
                        g.add(r, &[full[8] * 0.5, full[9] * 0.5]);
                        g.add(r, &[full[8] * 0.5, full[9] * 0.5]);
                    } else {
                        g.add(r, &full[r * 2..r * 2 + 2]);
                    }
                }
                opt.step(&mut x, &g).unwrap();
            }
            assert_eq!(opt.n_steps(), 6);
            for (a, b) in x.iter().zip(&dense) {
                assert!((a - b).abs() < 1e-15, "{method:?}: {x:?} vs {dense:?}");
            }
        }
    }

    #[test]
    fn a_large_sparse_step_is_the_same_at_one_and_two_threads() {
        let ball = PoincareBall::new(4, 1.0);
        let n = 3000;
        let x0 = rows::random_points(&ball, n, 5);
        let target = rows::random_points(&ball, n, 6);
        let mut full = vec![0.0; x0.len()];
        pull(&target)(&x0, &mut full);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut x = x0.clone();
                let mut opt = SparseOptimizer::new(&ball, Method::adam(0.01), n).unwrap();
                let mut g = SparseGrad::new(n, 4);
                for step in 0..3 {
                    g.clear();
                    (0..n).filter(|i| (i + step) % 3 != 0).for_each(|i| g.add(i, &full[i * 4..(i + 1) * 4]));
                    opt.step(&mut x, &g).unwrap();
                }
                x
            })
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn a_sparse_optimiser_rejects_a_table_of_another_shape() {
        let ball = PoincareBall::new(2, 1.0);
        let mut opt = SparseOptimizer::new(&ball, Method::Sgd { lr: 0.1, momentum: 0.0 }, 3).unwrap();
        let err = opt.step(&mut [0.0; 8], &SparseGrad::new(3, 2)).unwrap_err().to_string();
        assert!(err.contains("made for 3 rows"), "{err}");
        let err = SparseOptimizer::new(&ball, Method::Sgd { lr: -1.0, momentum: 0.0 }, 3).unwrap_err().to_string();
        assert!(err.contains("`lr`"), "{err}");
    }
}
