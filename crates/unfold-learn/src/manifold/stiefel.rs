//! Orthonormal frames and the subspaces they span: Stiefel, Grassmann and flag manifolds.
//!
//! A point is an `n × p` matrix with orthonormal columns, row-major. All three use the metric
//! `tr(UᵀV)` of the ambient `n × p` matrices (Edelman, Arias & Smith, 1998).
//!
//! * [`Stiefel`] `St(n, p)`: tangent vectors `XᵀU + UᵀX = 0`; `exp` in closed form through a
//!   `2p × 2p` matrix exponential (Edelman et al. §2.2.2, as geoopt's `EuclideanStiefelExact`).
//!   `log` has no closed form: it is found by shooting, `v ← v + P_x(y − exp_x(v))` until the
//!   endpoint is within 1e-13 (at most 200 steps), which converges inside the injectivity
//!   radius. `transp` is the projection vector transport `P_y(v)` (not isometric).
//! * [`Grassmann`] `Gr(n, p)`: a frame stands for its span; tangent vectors are horizontal
//!   (`XᵀU = 0`). `exp`, `log` and the parallel transport are the closed forms of Edelman et al.
//!   (§2.5), `log` through the SVD of `XᵀY`, so principal angles of π/2 are handled, and
//!   `d(X, Y) = ‖θ‖` with `θ` the principal angles.
//! * [`Flag`] `Fl(n; d₁, …, d_k)`: column blocks of sizes `dᵢ` span orthogonal subspaces whose
//!   nested sums form the flag; the frame is defined up to a rotation inside each block. A
//!   Riemannian submersion from `St(n, Σdᵢ)` (Ye, Wong & Lim, 2022): horizontal vectors have
//!   zero diagonal blocks in `XᵀU`, `exp` is the Stiefel one, `log` shoots with the endpoint's
//!   blocks aligned to the target's by orthogonal Procrustes. `transp` projects.

use super::dense::{expm, matmul, matmul_nt, matmul_tn, polar, qr_q, svd};
use super::{Manifold, fill_normal};
use crate::rng::Stream;

/// Stiefel manifold of `n × p` frames with the embedded metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Stiefel {
    n: usize,
    p: usize,
}

impl Stiefel {
    /// `St(n, p)`, `1 ≤ p ≤ n`.
    pub fn new(n: usize, p: usize) -> Self {
        Stiefel { n, p }
    }
}

/// `XᵀX = I` within `tol`.
fn check_frame(x: &[f64], n: usize, p: usize, tol: f64) -> Result<(), String> {
    if let Some(j) = x.iter().position(|v| !v.is_finite()) {
        return Err(format!("value {j} is not finite"));
    }
    let g = matmul_tn(x, x, n, p, p);
    for i in 0..p {
        for j in 0..p {
            let want = if i == j { 1.0 } else { 0.0 };
            if (g[i * p + j] - want).abs() > tol {
                return Err(format!("columns not orthonormal: (XᵀX)[{i}][{j}] = {}, expected {want} (tolerance {tol})", g[i * p + j]));
            }
        }
    }
    Ok(())
}

/// Stiefel exponential (embedded metric): `[X, U] expm([[A, −S], [I, A]]) [expm(−A); 0]`,
/// `A = XᵀU`, `S = UᵀU`.
fn stiefel_exp(x: &[f64], u: &[f64], n: usize, p: usize) -> Vec<f64> {
    let a = matmul_tn(x, u, n, p, p);
    let s = matmul_tn(u, u, n, p, p);
    let m = 2 * p;
    let mut block = vec![0.0; m * m];
    for i in 0..p {
        for j in 0..p {
            block[i * m + j] = a[i * p + j];
            block[i * m + p + j] = -s[i * p + j];
            block[(p + i) * m + p + j] = a[i * p + j];
        }
        block[(p + i) * m + i] = 1.0;
    }
    let w = expm(&block, m);
    let neg_a: Vec<f64> = a.iter().map(|v| -v).collect();
    let ea = expm(&neg_a, p);
    // W · [expm(−A); 0] is the first p columns of W times expm(−A).
    let mut wz = vec![0.0; m * p];
    for i in 0..m {
        for j in 0..p {
            wz[i * p + j] = (0..p).map(|l| w[i * m + l] * ea[l * p + j]).sum();
        }
    }
    let mut xu = vec![0.0; n * m];
    for r in 0..n {
        xu[r * m..r * m + p].copy_from_slice(&x[r * p..(r + 1) * p]);
        xu[r * m + p..(r + 1) * m].copy_from_slice(&u[r * p..(r + 1) * p]);
    }
    matmul(&xu, &wz, n, m, p)
}

/// `U − X sym(XᵀU)`: the projection on the Stiefel tangent space at `X`.
fn stiefel_proju(x: &[f64], u: &mut [f64], n: usize, p: usize) {
    let a = matmul_tn(x, u, n, p, p);
    let mut s = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            s[i * p + j] = 0.5 * (a[i * p + j] + a[j * p + i]);
        }
    }
    let xs = matmul(x, &s, n, p, p);
    u.iter_mut().zip(&xs).for_each(|(a, b)| *a -= b);
}

/// Solves `exp_x(v) ≈ align(y)` by shooting; `project` maps an ambient vector to the tangent
/// (or horizontal) space at `x`, `align` picks `y`'s representative nearest the endpoint.
fn shoot_log(x: &[f64], y: &[f64], n: usize, p: usize, project: impl Fn(&mut [f64]), align: impl Fn(&[f64], &[f64]) -> Vec<f64>) -> Vec<f64> {
    let mut v: Vec<f64> = align(y, x).iter().zip(x).map(|(a, b)| a - b).collect();
    project(&mut v);
    let mut best = (f64::INFINITY, v.clone());
    for _ in 0..200 {
        let z = stiefel_exp(x, &v, n, p);
        let target = align(y, &z);
        let mut r: Vec<f64> = target.iter().zip(&z).map(|(a, b)| a - b).collect();
        let err = r.iter().map(|t| t * t).sum::<f64>().sqrt();
        if err < best.0 {
            best = (err, v.clone());
        } else if err > 2.0 * best.0 {
            break;
        }
        if err < 1e-13 {
            break;
        }
        project(&mut r);
        v.iter_mut().zip(&r).for_each(|(a, b)| *a += b);
    }
    best.1
}

impl Manifold for Stiefel {
    fn name(&self) -> String {
        format!("Stiefel({}, {})", self.n, self.p)
    }
    fn point_len(&self) -> usize {
        self.n * self.p
    }
    fn dim(&self) -> usize {
        self.n * self.p - self.p * (self.p + 1) / 2
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        super::dot(u, v)
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&stiefel_exp(x, u, self.n, self.p));
    }
    /// The QR retraction `qf(X + U)`.
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let s: Vec<f64> = x.iter().zip(u).map(|(a, b)| a + b).collect();
        out.copy_from_slice(&qr_q(&s, self.n, self.p));
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        out.copy_from_slice(&shoot_log(x, y, n, p, |u| stiefel_proju(x, u, n, p), |y, _| y.to_vec()));
    }
    /// The polar factor `U Vᵀ` of `X = U Σ Vᵀ`.
    fn projx(&self, x: &mut [f64]) {
        let r = polar(x, self.n, self.p);
        x.copy_from_slice(&r);
    }
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        stiefel_proju(x, u, self.n, self.p)
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        stiefel_proju(x, g, self.n, self.p)
    }
    fn transp(&self, _x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
        stiefel_proju(y, out, self.n, self.p);
    }
    fn transp_is_isometric(&self) -> bool {
        false
    }
    /// The Q factor of a standard normal matrix: uniform (Haar) on `St(n, p)`.
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        let q = qr_q(out, self.n, self.p);
        out.copy_from_slice(&q);
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        check_frame(x, self.n, self.p, tol)
    }
}

/// The Grassmann manifold of `p`-dimensional subspaces of `Rⁿ`, each given by an orthonormal
/// `n × p` frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Grassmann {
    n: usize,
    p: usize,
}

impl Grassmann {
    /// `Gr(n, p)`, `1 ≤ p ≤ n`.
    pub fn new(n: usize, p: usize) -> Self {
        Grassmann { n, p }
    }

    /// `(U, θ, Q₁, Q₂)` with `XᵀY = Q₁ cos θ Q₂ᵀ` and `Y Q₂ = X Q₁ cos θ + U sin θ`.
    fn principal(&self, x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let (n, p) = (self.n, self.p);
        let m = matmul_tn(x, y, n, p, p);
        let (q1, c, q2) = svd(&m, p, p);
        let yq2 = matmul(y, &q2, n, p, p);
        let xq1 = matmul(x, &q1, n, p, p);
        let mut u = vec![0.0; n * p];
        for r in 0..n {
            for j in 0..p {
                u[r * p + j] = yq2[r * p + j] - xq1[r * p + j] * c[j];
            }
        }
        let mut theta = vec![0.0; p];
        for j in 0..p {
            let s = (0..n).map(|r| u[r * p + j].powi(2)).sum::<f64>().sqrt();
            theta[j] = s.atan2(c[j]);
            for r in 0..n {
                u[r * p + j] = if s > 1e-300 { u[r * p + j] / s } else { 0.0 };
            }
        }
        (u, theta, q1, q2)
    }

    /// The principal angles between the spans of `x` and `y`, in `[0, π/2]`.
    pub fn principal_angles(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        self.principal(x, y).1
    }
}

impl Manifold for Grassmann {
    fn name(&self) -> String {
        format!("Grassmann({}, {})", self.n, self.p)
    }
    fn point_len(&self) -> usize {
        self.n * self.p
    }
    fn dim(&self) -> usize {
        self.p * (self.n - self.p)
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        super::dot(u, v)
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        self.principal(x, y).1.iter().map(|t| t * t).sum::<f64>().sqrt()
    }
    /// `X V cos Σ Vᵀ + U sin Σ Vᵀ` for the thin SVD `H = U Σ Vᵀ`.
    fn exp(&self, x: &[f64], h: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        let (u, s, v) = svd(h, n, p);
        let xv = matmul(x, &v, n, p, p);
        let mut a = vec![0.0; n * p];
        for r in 0..n {
            for j in 0..p {
                a[r * p + j] = xv[r * p + j] * s[j].cos() + u[r * p + j] * s[j].sin();
            }
        }
        out.copy_from_slice(&matmul_nt(&a, &v, n, p, p));
    }
    /// `U θ Q₁ᵀ` (see [`Grassmann::principal_angles`]); at principal angles of π/2 one of the
    /// minimising directions.
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        let (mut u, theta, q1, _) = self.principal(x, y);
        for r in 0..n {
            for j in 0..p {
                u[r * p + j] *= theta[j];
            }
        }
        out.copy_from_slice(&matmul_nt(&u, &q1, n, p, p));
    }
    /// The polar factor of `X` (the same span when `X` has full rank).
    fn projx(&self, x: &mut [f64]) {
        let r = polar(x, self.n, self.p);
        x.copy_from_slice(&r);
    }
    /// `U − X XᵀU` (the horizontal space).
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        let a = matmul_tn(x, u, n, p, p);
        let xa = matmul(x, &a, n, p, p);
        u.iter_mut().zip(&xa).for_each(|(a, b)| *a -= b);
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        self.proju(x, g)
    }
    /// Parallel transport along the geodesic from `x` to `y` (Edelman et al. eq. 2.68), expressed
    /// at `y`'s own frame.
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        let (u, theta, q1, q2) = self.principal(x, y);
        // H = U Θ Q₁ᵀ: τΔ = (−X Q₁ sin Θ Uᵀ + U cos Θ Uᵀ + I − U Uᵀ) Δ.
        let utv = matmul_tn(&u, v, n, p, p);
        let xq1 = matmul(x, &q1, n, p, p);
        let mut a = vec![0.0; n * p];
        for r in 0..n {
            for j in 0..p {
                a[r * p + j] = -xq1[r * p + j] * theta[j].sin() + u[r * p + j] * (theta[j].cos() - 1.0);
            }
        }
        let mut t = matmul(&a, &utv, n, p, p);
        t.iter_mut().zip(v).for_each(|(a, b)| *a += b);
        // The geodesic ends at Y Q₂ Q₁ᵀ; at y itself the vector is τΔ Q₁ Q₂ᵀ.
        let r = matmul_nt(&matmul(&t, &q1, n, p, p), &q2, n, p, p);
        out.copy_from_slice(&r);
    }
    /// The span of a standard normal matrix: uniform on `Gr(n, p)`.
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        let q = qr_q(out, self.n, self.p);
        out.copy_from_slice(&q);
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        check_frame(x, self.n, self.p, tol)
    }
}

/// The flag manifold `Fl(n; d₁, …, d_k)`: nested subspaces `V₁ ⊂ V₁ ⊕ V₂ ⊂ …` of `Rⁿ`
/// with `dim Vᵢ = dᵢ`, given by an `n × Σdᵢ` frame whose consecutive column blocks span the `Vᵢ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    n: usize,
    blocks: Vec<usize>,
    p: usize,
}

impl Flag {
    /// `Fl(n; d₁, …, d_k)` with `blocks = [d₁, …, d_k]`, each `dᵢ ≥ 1`, `Σdᵢ ≤ n`.
    pub fn new(n: usize, blocks: Vec<usize>) -> Self {
        let p = blocks.iter().sum();
        Flag { n, blocks, p }
    }

    fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.blocks.iter().scan(0, |start, &d| {
            let r = *start..*start + d;
            *start += d;
            Some(r)
        })
    }

    /// Horizontal projection: Stiefel projection, then zero the diagonal blocks of `XᵀU`.
    fn horizontal(&self, x: &[f64], u: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        stiefel_proju(x, u, n, p);
        let a = matmul_tn(x, u, n, p, p);
        let mut diag = vec![0.0; p * p];
        for r in self.ranges() {
            for i in r.clone() {
                for j in r.clone() {
                    diag[i * p + j] = a[i * p + j];
                }
            }
        }
        let xd = matmul(x, &diag, n, p, p);
        u.iter_mut().zip(&xd).for_each(|(a, b)| *a -= b);
    }

    /// `y`'s frame with each block rotated to best match `z`'s (orthogonal Procrustes).
    fn align(&self, y: &[f64], z: &[f64]) -> Vec<f64> {
        let (n, p) = (self.n, self.p);
        let mut out = vec![0.0; n * p];
        for r in self.ranges() {
            let d = r.len();
            let yb: Vec<f64> = (0..n).flat_map(|row| y[row * p + r.start..row * p + r.end].to_vec()).collect();
            let zb: Vec<f64> = (0..n).flat_map(|row| z[row * p + r.start..row * p + r.end].to_vec()).collect();
            let m = matmul_tn(&yb, &zb, n, d, d);
            let q = polar(&m, d, d);
            let rotated = matmul(&yb, &q, n, d, d);
            for row in 0..n {
                out[row * p + r.start..row * p + r.end].copy_from_slice(&rotated[row * d..(row + 1) * d]);
            }
        }
        out
    }
}

impl Manifold for Flag {
    fn name(&self) -> String {
        format!("Flag({}; {:?})", self.n, self.blocks)
    }
    fn point_len(&self) -> usize {
        self.n * self.p
    }
    /// `Σ_{i<j} dᵢ dⱼ` over the blocks and the complement `n − Σdᵢ`.
    fn dim(&self) -> usize {
        let mut all = self.blocks.clone();
        all.push(self.n - self.p);
        let mut s = 0;
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                s += all[i] * all[j];
            }
        }
        s
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        super::dot(u, v)
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&stiefel_exp(x, u, self.n, self.p));
    }
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        let s: Vec<f64> = x.iter().zip(u).map(|(a, b)| a + b).collect();
        out.copy_from_slice(&qr_q(&s, self.n, self.p));
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let (n, p) = (self.n, self.p);
        out.copy_from_slice(&shoot_log(x, y, n, p, |u| self.horizontal(x, u), |y, z| self.align(y, z)));
    }
    fn projx(&self, x: &mut [f64]) {
        let r = polar(x, self.n, self.p);
        x.copy_from_slice(&r);
    }
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        self.horizontal(x, u)
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        self.horizontal(x, g)
    }
    fn transp(&self, _x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
        self.horizontal(y, out);
    }
    fn transp_is_isometric(&self) -> bool {
        false
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        fill_normal(rng, out);
        let q = qr_q(out, self.n, self.p);
        out.copy_from_slice(&q);
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        check_frame(x, self.n, self.p, tol)
    }
}
