//! Symmetric positive definite matrices with three metrics.
//!
//! A point is an `n × n` SPD matrix, row-major; tangent vectors are symmetric matrices.
//!
//! * Affine-invariant (Pennec et al., 2006): `⟨U, V⟩_X = tr(X⁻¹UX⁻¹V)`,
//!   `d(X, Y) = ‖log(X^{-1/2} Y X^{-1/2})‖_F`, `exp_X(V) = X^{1/2} exp(X^{-1/2} V X^{-1/2}) X^{1/2}`,
//!   parallel transport `E V Eᵀ` with `E = (Y X⁻¹)^{1/2}`.
//! * Log-Euclidean (Arsigny et al., 2007): `log` is an isometry onto symmetric matrices:
//!   `d(X, Y) = ‖log X − log Y‖_F`, `⟨U, V⟩_X = ⟨D log_X U, D log_X V⟩`, transport
//!   `D exp_{log Y} ∘ D log_X`. Differentials by the Daleckii–Krein formula.
//! * Bures–Wasserstein (Malagò et al., 2018; Han et al., 2021): `⟨U, V⟩_X = ½ tr(L_X(U) V)` with
//!   `X L + L X = U`, `d² = tr X + tr Y − 2 tr (X^{1/2} Y X^{1/2})^{1/2}`,
//!   `log_X(Y) = (XY)^{1/2} + (YX)^{1/2} − 2X`, `exp_X(V) = X + V + L_X(V) X L_X(V)`. It has no
//!   closed-form parallel transport; `transp` is the identity on symmetric matrices (a vector
//!   transport that does not preserve the metric).
//!
//! Random points are `exp(S)` with `S` a symmetric matrix of standard normal entries scaled by
//! `1/√n`.

use super::dense::{
    apply_diagonal, cholesky, congruence, divided_difference, identity_into, inv_congruence, jacobi, matmul, matmul_tn, sym, sym_apply, sym_eigen, sym_fn,
    sym_hadamard, sym3_log, with_scratch,
};
use super::{Manifold, fill_normal};
use crate::rng::Stream;

/// The metric of an [`Spd`] manifold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpdMetric {
    /// The affine-invariant (Fisher–Rao) metric.
    AffineInvariant,
    /// The log-Euclidean metric.
    LogEuclidean,
    /// The Bures–Wasserstein metric.
    BuresWasserstein,
}

/// Symmetric positive definite `n × n` matrices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spd {
    n: usize,
    metric: SpdMetric,
}

/// The smallest eigenvalue [`Spd`]'s `projx` keeps.
const MIN_EIGENVALUE: f64 = 1e-12;

impl Spd {
    /// `n × n` SPD matrices with `metric`.
    pub fn new(n: usize, metric: SpdMetric) -> Self {
        Spd { n, metric }
    }
    /// The metric.
    pub fn metric(&self) -> SpdMetric {
        self.metric
    }

    fn sqrt_and_inv_sqrt(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (l, v) = sym_eigen(x, self.n);
        (sym_apply(&l, &v, self.n, |t| t.max(0.0).sqrt()), sym_apply(&l, &v, self.n, |t| 1.0 / t.max(MIN_EIGENVALUE).sqrt()))
    }

    /// `A B A` for square matrices.
    fn sandwich(&self, a: &[f64], b: &[f64]) -> Vec<f64> {
        let n = self.n;
        sym(&matmul(&matmul(a, b, n, n, n), a, n, n, n), n)
    }

    /// `D log_X (U)` by Daleckii–Krein.
    fn dlog(&self, l: &[f64], v: &[f64], u: &[f64]) -> Vec<f64> {
        sym_hadamard(l, v, self.n, u, |a, b| divided_difference(a.max(MIN_EIGENVALUE), b.max(MIN_EIGENVALUE), f64::ln, |t| 1.0 / t))
    }

    /// `D exp_S (U)` at a symmetric `S` with eigenpairs `(l, v)`.
    fn dexp(&self, l: &[f64], v: &[f64], u: &[f64]) -> Vec<f64> {
        sym_hadamard(l, v, self.n, u, |a, b| divided_difference(a, b, f64::exp, f64::exp))
    }

    /// The solution `L` of `X L + L X = U`.
    fn lyapunov(&self, l: &[f64], v: &[f64], u: &[f64]) -> Vec<f64> {
        sym_hadamard(l, v, self.n, u, |a, b| 1.0 / (a + b).max(super::MIN_DENOM))
    }

    /// The affine-invariant distance through the Cholesky factor `X = L Lᵀ`: the eigenvalues of
    /// `L⁻¹ Y L⁻ᵀ` are those of `X⁻¹Y`. `None` when `X` is not numerically positive definite
    /// (the eigendecomposition path clamps its eigenvalues instead). Allocation-free for small `n`.
    fn affine_dist_cholesky(&self, x: &[f64], y: &[f64]) -> Option<f64> {
        let (n, nn) = (self.n, self.n * self.n);
        with_scratch(nn, 3, |buf| {
            let (l, rest) = buf.split_at_mut(nn);
            let (m, tmp) = rest.split_at_mut(nn);
            if !cholesky(x, n, MIN_EIGENVALUE, l) {
                return None;
            }
            inv_congruence(l, y, n, m, tmp);
            jacobi(m, None, n);
            Some((0..n).map(|i| m[i * n + i].max(MIN_EIGENVALUE).ln().powi(2)).sum::<f64>().sqrt())
        })
    }

    /// `L f(L⁻¹ A L⁻ᵀ) Lᵀ` with `X = L Lᵀ`, into `out`: the affine-invariant `exp_X` (`A = V`,
    /// `f = exp`) and `log_X` (`A = Y`, `f = ln`). Any factor of `X` can stand for `X^{1/2}` in
    /// those formulas (affine invariance), and a Cholesky factorisation replaces one of their two
    /// eigendecompositions. `false` when `X` is not numerically positive definite.
    fn affine_map_cholesky(&self, x: &[f64], a: &[f64], f: impl Fn(f64) -> f64, out: &mut [f64]) -> bool {
        let (n, nn) = (self.n, self.n * self.n);
        with_scratch(nn, 4, |buf| {
            let (l, rest) = buf.split_at_mut(nn);
            let (m, rest) = rest.split_at_mut(nn);
            let (v, w) = rest.split_at_mut(nn);
            if !cholesky(x, n, MIN_EIGENVALUE, l) {
                return false;
            }
            inv_congruence(l, a, n, m, w);
            identity_into(v, n);
            jacobi(m, Some(v), n);
            apply_diagonal(m, v, n, f, w);
            congruence(l, w, n, out, m);
            true
        })
    }

    /// The affine-invariant Hessian of `½ d²(·, Y)` at `X` in `basis`. Whitening by `X = L Lᵀ`
    /// is an isometry taking `X` to `I`; there, with `L⁻¹ Y L⁻ᵀ = U diag(e^μ) Uᵀ` and each basis
    /// vector whitened and rotated to `Rⱼ = Uᵀ L⁻¹ bⱼ L⁻ᵀ U`, the Hessian scales the `(a, b)`
    /// entry by `h(μₐ − μ_b)`, `h(δ) = (δ/2)·coth(δ/2)` (the Jacobi fields of a symmetric space,
    /// whose curvature along `E_ab` is `−(μₐ − μ_b)²/4`): `H_jk = Σ_ab h(μₐ − μ_b) Rⱼ[a,b] Rₖ[a,b]`.
    fn affine_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        let (n, nn) = (self.n, self.n * self.n);
        let d = basis.len() / nn;
        let (mut l, mut w, mut tmp) = (vec![0.0; nn], vec![0.0; nn], vec![0.0; nn]);
        if !cholesky(x, n, MIN_EIGENVALUE, &mut l) {
            return false;
        }
        inv_congruence(&l, y, n, &mut w, &mut tmp);
        let mut u = vec![0.0; nn];
        identity_into(&mut u, n);
        jacobi(&mut w, Some(&mut u), n);
        let mu: Vec<f64> = (0..n).map(|a| w[a * n + a].max(MIN_EIGENVALUE).ln()).collect();
        let h = |delta: f64| {
            let t = 0.5 * delta.abs();
            if t < 1e-4 { 1.0 + t * t / 3.0 } else { t / t.tanh() }
        };
        let kernel: Vec<f64> = (0..nn).map(|ab| h(mu[ab / n] - mu[ab % n])).collect();
        let mut rotated = vec![0.0; d * nn];
        for (r, b) in rotated.chunks_exact_mut(nn).zip(basis.chunks_exact(nn)) {
            inv_congruence(&l, b, n, &mut w, &mut tmp);
            r.copy_from_slice(&matmul(&matmul_tn(&u, &w, n, n, n), &u, n, n, n));
        }
        for j in 0..d {
            for k in 0..=j {
                let (rj, rk) = (&rotated[j * nn..(j + 1) * nn], &rotated[k * nn..(k + 1) * nn]);
                let s: f64 = (0..nn).map(|ab| kernel[ab] * rj[ab] * rk[ab]).sum();
                out[j * d + k] = s;
                out[k * d + j] = s;
            }
        }
        true
    }

    /// `(X^{1/2} Y X^{1/2})^{1/2}` and `X^{±1/2}` (Bures–Wasserstein).
    fn bw_parts(&self, x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (xs, xis) = self.sqrt_and_inv_sqrt(x);
        let m = sym_fn(&self.sandwich(&xs, y), self.n, |t| t.max(0.0).sqrt());
        (m, xs, xis)
    }
}

fn trace(a: &[f64], n: usize) -> f64 {
    (0..n).map(|i| a[i * n + i]).sum()
}

impl Manifold for Spd {
    fn name(&self) -> String {
        format!("SymmetricPositiveDefinite({}, {:?})", self.n, self.metric)
    }
    fn point_len(&self) -> usize {
        self.n * self.n
    }
    fn dim(&self) -> usize {
        self.n * (self.n + 1) / 2
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        let n = self.n;
        match self.metric {
            SpdMetric::AffineInvariant => {
                let xi = sym_fn(x, n, |t| 1.0 / t.max(MIN_EIGENVALUE));
                let a = matmul(&xi, u, n, n, n);
                let b = matmul(&xi, v, n, n, n);
                (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| a[i * n + j] * b[j * n + i]).sum()
            }
            SpdMetric::LogEuclidean => {
                let (l, e) = sym_eigen(x, n);
                super::dot(&self.dlog(&l, &e, u), &self.dlog(&l, &e, v))
            }
            SpdMetric::BuresWasserstein => {
                let (l, e) = sym_eigen(x, n);
                0.5 * super::dot(&self.lyapunov(&l, &e, u), v)
            }
        }
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        let n = self.n;
        match self.metric {
            SpdMetric::AffineInvariant => self.affine_dist_cholesky(x, y).unwrap_or_else(|| {
                let (_, xis) = self.sqrt_and_inv_sqrt(x);
                let (l, _) = sym_eigen(&self.sandwich(&xis, y), n);
                l.iter().map(|t| t.max(MIN_EIGENVALUE).ln().powi(2)).sum::<f64>().sqrt()
            }),
            SpdMetric::LogEuclidean => {
                let lx = sym_fn(x, n, |t| t.max(MIN_EIGENVALUE).ln());
                let ly = sym_fn(y, n, |t| t.max(MIN_EIGENVALUE).ln());
                lx.iter().zip(&ly).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
            }
            SpdMetric::BuresWasserstein => {
                let (m, _, _) = self.bw_parts(x, y);
                (trace(x, n) + trace(y, n) - 2.0 * trace(&m, n)).max(0.0).sqrt()
            }
        }
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let n = self.n;
        if self.metric == SpdMetric::AffineInvariant && self.affine_map_cholesky(x, u, f64::exp, out) {
            return;
        }
        let u = sym(u, n);
        let r = match self.metric {
            SpdMetric::AffineInvariant => {
                let (xs, xis) = self.sqrt_and_inv_sqrt(x);
                let inner = sym_fn(&self.sandwich(&xis, &u), n, f64::exp);
                self.sandwich(&xs, &inner)
            }
            SpdMetric::LogEuclidean => {
                let (l, e) = sym_eigen(x, n);
                let lx = sym_apply(&l, &e, n, |t| t.max(MIN_EIGENVALUE).ln());
                let s: Vec<f64> = lx.iter().zip(&self.dlog(&l, &e, &u)).map(|(a, b)| a + b).collect();
                sym_fn(&s, n, f64::exp)
            }
            SpdMetric::BuresWasserstein => {
                let (l, e) = sym_eigen(x, n);
                let lu = self.lyapunov(&l, &e, &u);
                let lxl = matmul(&matmul(&lu, x, n, n, n), &lu, n, n, n);
                sym(&x.iter().zip(&u).zip(&lxl).map(|((a, b), c)| a + b + c).collect::<Vec<_>>(), n)
            }
        };
        out.copy_from_slice(&r);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let n = self.n;
        if self.metric == SpdMetric::AffineInvariant && self.affine_map_cholesky(x, y, |t| t.max(MIN_EIGENVALUE).ln(), out) {
            return;
        }
        let r = match self.metric {
            SpdMetric::AffineInvariant => {
                let (xs, xis) = self.sqrt_and_inv_sqrt(x);
                let inner = sym_fn(&self.sandwich(&xis, y), n, |t| t.max(MIN_EIGENVALUE).ln());
                self.sandwich(&xs, &inner)
            }
            SpdMetric::LogEuclidean => {
                let (l, e) = sym_eigen(x, n);
                let lx = sym_apply(&l, &e, n, |t| t.max(MIN_EIGENVALUE).ln());
                let ly = sym_fn(y, n, |t| t.max(MIN_EIGENVALUE).ln());
                let d: Vec<f64> = ly.iter().zip(&lx).map(|(a, b)| a - b).collect();
                let (ls, es) = sym_eigen(&lx, n);
                self.dexp(&ls, &es, &d)
            }
            SpdMetric::BuresWasserstein => {
                // (XY)^{1/2} = X^{1/2} M X^{-1/2}, M = (X^{1/2} Y X^{1/2})^{1/2}; add its transpose.
                let (m, xs, xis) = self.bw_parts(x, y);
                let a = matmul(&matmul(&xs, &m, n, n, n), &xis, n, n, n);
                let mut r = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        r[i * n + j] = a[i * n + j] + a[j * n + i] - 2.0 * x[i * n + j];
                    }
                }
                sym(&r, n)
            }
        };
        out.copy_from_slice(&r);
    }
    /// Symmetrises and raises eigenvalues to at least 1e-12.
    fn projx(&self, x: &mut [f64]) {
        let r = sym_fn(x, self.n, |t| t.max(MIN_EIGENVALUE));
        x.copy_from_slice(&r);
    }
    fn proju(&self, _x: &[f64], u: &mut [f64]) {
        let r = sym(u, self.n);
        u.copy_from_slice(&r);
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        let n = self.n;
        let gs = sym(g, n);
        let r = match self.metric {
            SpdMetric::AffineInvariant => self.sandwich(x, &gs),
            SpdMetric::LogEuclidean => {
                // The metric is ⟨D log U, D log V⟩ and D log is self-adjoint: grad = (D log)⁻² G.
                let (l, e) = sym_eigen(x, n);
                sym_hadamard(&l, &e, n, &gs, |a, b| 1.0 / divided_difference(a.max(MIN_EIGENVALUE), b.max(MIN_EIGENVALUE), f64::ln, |t| 1.0 / t).powi(2))
            }
            SpdMetric::BuresWasserstein => {
                let xg = matmul(x, &gs, n, n, n);
                let mut r = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        r[i * n + j] = 2.0 * (xg[i * n + j] + xg[j * n + i]);
                    }
                }
                r
            }
        };
        g.copy_from_slice(&r);
    }
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        let n = self.n;
        let r = match self.metric {
            SpdMetric::AffineInvariant => {
                // E = X^{1/2} (X^{-1/2} Y X^{-1/2})^{1/2} X^{-1/2}; Γ(V) = E V Eᵀ.
                let (xs, xis) = self.sqrt_and_inv_sqrt(x);
                let mid = sym_fn(&self.sandwich(&xis, y), n, |t| t.max(0.0).sqrt());
                let e = matmul(&matmul(&xs, &mid, n, n, n), &xis, n, n, n);
                let ev = matmul(&e, v, n, n, n);
                sym(&super::dense::matmul_nt(&ev, &e, n, n, n), n)
            }
            SpdMetric::LogEuclidean => {
                let (l, e) = sym_eigen(x, n);
                let d = self.dlog(&l, &e, v);
                let ly = sym_fn(y, n, |t| t.max(MIN_EIGENVALUE).ln());
                let (ls, es) = sym_eigen(&ly, n);
                self.dexp(&ls, &es, &d)
            }
            SpdMetric::BuresWasserstein => sym(v, n),
        };
        out.copy_from_slice(&r);
    }
    fn transp_is_isometric(&self) -> bool {
        self.metric != SpdMetric::BuresWasserstein
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        let n = self.n;
        let mut s = vec![0.0; n * n];
        fill_normal(rng, &mut s);
        let scale = 1.0 / (n as f64).sqrt();
        s.iter_mut().for_each(|v| *v *= scale);
        out.copy_from_slice(&sym_fn(&sym(&s, n), n, f64::exp));
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        let n = self.n;
        if let Some(j) = x.iter().position(|v| !v.is_finite()) {
            return Err(format!("value {j} is not finite"));
        }
        let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
        for i in 0..n {
            for j in 0..i {
                if (x[i * n + j] - x[j * n + i]).abs() > tol * scale {
                    return Err(format!("not symmetric: entry ({i}, {j}) = {} but ({j}, {i}) = {} (tolerance {tol})", x[i * n + j], x[j * n + i]));
                }
            }
        }
        // A Cholesky factorisation is the cheap test; the eigenvalues only name the failure.
        if with_scratch(n * n, 1, |l| cholesky(x, n, 0.0, l)) {
            return Ok(());
        }
        let (l, _) = sym_eigen(x, n);
        let min = l.iter().copied().fold(f64::INFINITY, f64::min);
        Err(format!("not positive definite: smallest eigenvalue {min}"))
    }
    /// Affine-invariant: one Cholesky factor `X = L Lᵀ` for all rows, the logarithms summed
    /// whitened, `L (Σ wᵢ log(L⁻¹ Yᵢ L⁻ᵀ)) Lᵀ`, then mapped back once; 3 × 3 logarithms in
    /// closed form ([`sym3_log`]).
    fn add_weighted_logs(&self, x: &[f64], ys: &[f64], w: &[f64], acc: &mut [f64]) {
        let (n, nn) = (self.n, self.n * self.n);
        let mut l = vec![0.0; nn];
        if self.metric != SpdMetric::AffineInvariant || !cholesky(x, n, MIN_EIGENVALUE, &mut l) {
            return super::add_weighted_logs_by_row(self, x, ys, w, acc);
        }
        let (mut sum, mut m, mut v, mut t, mut tmp) = (vec![0.0; nn], vec![0.0; nn], vec![0.0; nn], vec![0.0; nn], vec![0.0; nn]);
        for (y, &wi) in ys.chunks_exact(nn).zip(w) {
            if wi == 0.0 {
                continue;
            }
            inv_congruence(&l, y, n, &mut m, &mut tmp);
            if n != 3 || !sym3_log(&m, MIN_EIGENVALUE, &mut t) {
                identity_into(&mut v, n);
                jacobi(&mut m, Some(&mut v), n);
                apply_diagonal(&mut m, &v, n, |t| t.max(MIN_EIGENVALUE).ln(), &mut t);
            }
            sum.iter_mut().zip(&t).for_each(|(a, b)| *a += wi * b);
        }
        congruence(&l, &sum, n, &mut t, &mut tmp);
        acc.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
    }
    fn half_sq_dist_hessian(&self, x: &[f64], y: &[f64], basis: &[f64], out: &mut [f64]) -> bool {
        match self.metric {
            SpdMetric::AffineInvariant => self.affine_hessian(x, y, basis, out),
            // The log-Euclidean metric is flat: `log` is an isometry onto symmetric matrices.
            SpdMetric::LogEuclidean => {
                let d = basis.len() / self.point_len();
                out.iter_mut().for_each(|o| *o = 0.0);
                (0..d).for_each(|j| out[j * d + j] = 1.0);
                true
            }
            SpdMetric::BuresWasserstein => false,
        }
    }
}
