//! Barycentric subspace analysis (Pennec, "Barycentric subspace analysis on manifolds",
//! Annals of Statistics 46(6A), 2018) on the sphere and the hyperboloid.
//!
//! The affine span of `k + 1` reference points `x₀ … x_k` is the locus of their exponential
//! barycentres, the points `x` with `Σ λᵢ log_x(xᵢ) = 0` for some weights `Σ λᵢ = 1` (and its
//! completion). In the constant-curvature spaces it has a closed form: with `L = span(x₀ … x_k)`
//! the linear span in the ambient space (`Rⁿ⁺¹` for the sphere `Sⁿ`, Minkowski space for the
//! hyperboloid `Hⁿ`),
//!
//! * the affine span is `L ∩ M`: a great subsphere (on the sphere, `k = 0` included, so the
//!   0-dimensional span of `x₀` is `{x₀, −x₀}`), or a totally geodesic sub-hyperboloid;
//! * the closest point of the span to a point `x` is the normalised orthogonal projection
//!   `P_L x / ‖P_L x‖` (Euclidean on the sphere; Minkowski on the hyperboloid, scaled back to
//!   `⟨y, y⟩_L = −k`), at distance `atan2(‖x − P_L x‖, ‖P_L x‖)` on the sphere and
//!   `√k asinh(‖x − P_L x‖_L / √k)` on the hyperboloid;
//! * a point `y = Σ αᵢ xᵢ` of the span has barycentric weights `λᵢ ∝ αᵢ sin θᵢ / θᵢ` (sphere)
//!   or `λᵢ ∝ αᵢ sinh θᵢ / θᵢ` (hyperboloid, `θᵢ = d(y, xᵢ)/√k`), normalised to sum to one.
//!   Where that sum vanishes the point is at infinity of the barycentric chart.
//!
//! The unexplained variance of a span, `σ²_out(L) = (1/n) Σ d²(xⱼ, L ∩ M)`, depends only on
//! `L`, so the analysis optimises flags of linear subspaces (orthonormal frames `B`, the span of
//! whose first `k + 1` columns is `L_k`) by Riemannian steepest descent on the Stiefel manifold
//! (Barzilai–Borwein steps, Armijo backtracking), and reports reference points on the
//! manifold that span each `L_k`. With `h = ⟨P_L x, P_L x⟩_J` and `P_L x = B a`, the gradient
//! is `∂h/∂B = 2 J (x − P_L x) aᵀ`, `J` the ambient form. The criteria are the paper's:
//!
//! * [`BsaMethod::Forward`] (FBS): `L₀` minimises `σ²_out` (the Fréchet mean, or `±` it on the
//!   sphere), then each `L_k` adds the one direction to `L_{k−1}` that minimises `σ²_out(L_k)`;
//! * [`BsaMethod::Pure`] (PBS): each `L_k` minimises `σ²_out` on its own (not nested);
//! * [`BsaMethod::Backward`] (PBS with backward ordering): the pure `L_K`, then each `L_{k−1}` is
//!   the best `k`-dimensional subspace of `L_k` (removing the point whose loss costs least);
//! * [`BsaMethod::Auv`]: the flag minimising the accumulated unexplained variances
//!   `Σ_{k=0}^{K} σ²_out(L_k)`, started from the forward flag.
//!
//! These are local minimisations from deterministic starts (the forward steps start from the
//! principal directions of the residuals); the sums over points run over fixed blocks added in
//! order, so results are identical at any thread count. General manifolds (no closed-form
//! projection) are not covered.

use super::dense::{qr_q, sym_eigen};
use super::rows::{check_points, n_rows};
use super::stats::{MeanParams, frechet_mean};
use super::{Lorentz, Manifold, Sphere, Stiefel, dot};
use crate::error::{Error, Result};
use crate::optim::{Objective, Stopping};
use rayon::prelude::*;

/// Rows per block of the parallel sums.
const BLOCK: usize = 512;
/// How far a point may be from the manifold.
const POINT_TOL: f64 = 1e-6;

/// A space where barycentric subspaces have a closed form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Space {
    /// The unit sphere `Sⁿ ⊂ Rⁿ⁺¹`.
    Sphere(Sphere),
    /// The hyperboloid `⟨x, x⟩_L = −k` of curvature `−1/k`.
    Lorentz(Lorentz),
}

impl From<Sphere> for Space {
    fn from(s: Sphere) -> Self {
        Space::Sphere(s)
    }
}

impl From<Lorentz> for Space {
    fn from(l: Lorentz) -> Self {
        Space::Lorentz(l)
    }
}

impl Space {
    /// The manifold.
    pub fn manifold(&self) -> &dyn Manifold {
        match self {
            Space::Sphere(s) => s,
            Space::Lorentz(l) => l,
        }
    }
    fn len(&self) -> usize {
        self.manifold().point_len()
    }
    fn hyperbolic(&self) -> bool {
        matches!(self, Space::Lorentz(_))
    }
    /// `1` on the sphere, `k` on the hyperboloid.
    fn k(&self) -> f64 {
        match self {
            Space::Sphere(_) => 1.0,
            Space::Lorentz(l) => l.k(),
        }
    }
    /// The ambient form `⟨a, b⟩_J`.
    fn form(&self, a: &[f64], b: &[f64]) -> f64 {
        let d = dot(a, b);
        if self.hyperbolic() { d - 2.0 * a[0] * b[0] } else { d }
    }
    /// `⟨e_a, e_a⟩_J` of the `a`-th vector of a `J`-orthonormal frame: the first is timelike on
    /// the hyperboloid.
    fn sign(&self, a: usize) -> f64 {
        if self.hyperbolic() && a == 0 { -1.0 } else { 1.0 }
    }
    fn check(&self) -> Result<()> {
        let len = self.len();
        if len < 2 {
            return Err(Error::param("manifold", self.manifold().name(), "must have points of at least 2 values"));
        }
        if let Space::Lorentz(l) = self
            && !(l.k() > 0.0 && l.k().is_finite())
        {
            return Err(Error::param("k", l.k(), "must be a finite number > 0"));
        }
        Ok(())
    }
}

/// A `J`-orthonormal frame `E = B T` of the span of the rows of `B` (first `a + 1` rows of `E`
/// span the first `a + 1` of `B`), `T` upper triangular.
struct Frame {
    r: usize,
    e: Vec<f64>,
    t: Vec<f64>,
}

/// Gram–Schmidt in the ambient form, twice; `None` when a leading block of `B` is degenerate or
/// (hyperboloid) does not contain a timelike vector.
fn frame(space: &Space, basis: &[f64], r: usize) -> Option<Frame> {
    let len = space.len();
    let mut e = vec![0.0; r * len];
    let mut t = vec![0.0; r * r];
    for a in 0..r {
        let b = &basis[a * len..(a + 1) * len];
        let mut u = b.to_vec();
        let mut tu = vec![0.0; r];
        tu[a] = 1.0;
        for _pass in 0..2 {
            for c in 0..a {
                let ec = &e[c * len..(c + 1) * len];
                let p = space.sign(c) * space.form(&u, ec);
                u.iter_mut().zip(ec).for_each(|(x, y)| *x -= p * y);
                for (row, tv) in tu.iter_mut().enumerate() {
                    *tv -= p * t[row * r + c];
                }
            }
        }
        let q = space.sign(a) * space.form(&u, &u);
        if q.is_nan() || q <= 1e-12 * dot(b, b) || !q.is_finite() {
            return None;
        }
        let s = q.sqrt();
        e[a * len..(a + 1) * len].iter_mut().zip(&u).for_each(|(x, y)| *x = y / s);
        for (row, tv) in tu.iter().enumerate() {
            t[row * r + a] = tv / s;
        }
    }
    Some(Frame { r, e, t })
}

/// `(d², t/sn(t) / cs(t))` of a point whose projection on `L` has frame coefficients `v` (the
/// first `m + 1`) and residual `w = x − P_L x`: the squared distance to `L ∩ M` and the factor
/// of its gradient.
fn distance_terms(space: &Space, v: &[f64], w: &[f64]) -> (f64, f64) {
    match space {
        Space::Sphere(_) => {
            let cs = dot(v, v).sqrt();
            let sn = dot(w, w).sqrt();
            let t = sn.atan2(cs);
            let ratio = if sn > 0.0 { t / sn } else { 1.0 };
            (t * t, if cs > 0.0 { ratio / cs } else { 0.0 })
        }
        Space::Lorentz(l) => {
            let k = l.k();
            let sn = (space.form(w, w).max(0.0) / k).sqrt();
            let t = sn.asinh();
            let cs = (1.0 + sn * sn).sqrt();
            let ratio = if sn > 0.0 { t / sn } else { 1.0 };
            (k * t * t, ratio / cs)
        }
    }
}

/// Unexplained variances and their gradient for the spans of the first `m + 1` rows of the
/// frame, for each `m` in `terms` (ascending).
struct Evaluation {
    /// `Σⱼ d²(xⱼ, L_m)` for each term.
    sums: Vec<f64>,
    /// The gradient of `(1/n) Σ_terms Σⱼ d²` with respect to the rows of `B` (`r × len`).
    grad: Vec<f64>,
}

fn evaluate(space: &Space, x: &[f64], fr: &Frame, terms: &[usize], want_grad: bool) -> Evaluation {
    let len = space.len();
    let n = x.len() / len;
    let r = fr.r;
    let partial: Vec<(Vec<f64>, Vec<f64>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|blk| {
            let mut sums = vec![0.0; terms.len()];
            let mut acc = vec![0.0; if want_grad { r * len } else { 0 }];
            let mut v = vec![0.0; r];
            let mut proj = vec![0.0; len];
            let mut resid = vec![0.0; terms.len() * len];
            let mut coefs = vec![0.0; terms.len()];
            let mut run = vec![0.0; len];
            for i in blk * BLOCK..((blk + 1) * BLOCK).min(n) {
                let xi = &x[i * len..(i + 1) * len];
                for (a, va) in v.iter_mut().enumerate() {
                    *va = space.sign(a) * space.form(xi, &fr.e[a * len..(a + 1) * len]);
                }
                proj.iter_mut().for_each(|p| *p = 0.0);
                let mut done = 0;
                for (j, &m) in terms.iter().enumerate() {
                    for (a, &va) in v.iter().enumerate().take(m + 1).skip(done) {
                        proj.iter_mut().zip(&fr.e[a * len..(a + 1) * len]).for_each(|(p, e)| *p += va * e);
                    }
                    done = m + 1;
                    let w = &mut resid[j * len..(j + 1) * len];
                    w.iter_mut().zip(xi).zip(&proj).for_each(|((o, a), b)| *o = a - b);
                    let (d2, factor) = distance_terms(space, &v[..=m], w);
                    sums[j] += d2;
                    coefs[j] = -2.0 * factor;
                }
                if !want_grad {
                    continue;
                }
                // acc[a] += v_a Σ_{m ≥ a} coef_m w_m, the suffix sums built from the last term down.
                run.iter_mut().for_each(|p| *p = 0.0);
                for j in (0..terms.len()).rev() {
                    run.iter_mut().zip(&resid[j * len..(j + 1) * len]).for_each(|(p, w)| *p += coefs[j] * w);
                    let lo = if j > 0 { terms[j - 1] + 1 } else { 0 };
                    for a in lo..=terms[j] {
                        acc[a * len..(a + 1) * len].iter_mut().zip(&run).for_each(|(o, p)| *o += v[a] * p);
                    }
                }
            }
            (sums, acc)
        })
        .collect();
    let mut sums = vec![0.0; terms.len()];
    let mut acc = vec![0.0; if want_grad { r * len } else { 0 }];
    for (s, a) in partial {
        sums.iter_mut().zip(&s).for_each(|(x, y)| *x += y);
        acc.iter_mut().zip(&a).for_each(|(x, y)| *x += y);
    }
    let mut grad = vec![0.0; acc.len()];
    if want_grad {
        if space.hyperbolic() {
            acc.chunks_mut(len).for_each(|row| row[0] = -row[0]);
        }
        // ∂/∂b_b = Σ_a T[b][a] acc[a] (the coefficients in B are a = T v).
        for b in 0..r {
            for a in b..r {
                let tba = fr.t[b * r + a] / n as f64;
                grad[b * len..(b + 1) * len].iter_mut().zip(&acc[a * len..(a + 1) * len]).for_each(|(g, y)| *g += tba * y);
            }
        }
    }
    Evaluation { sums, grad }
}

/// The unexplained variance of a subspace as a function of an orthonormal `C`: the span's
/// basis is the `fixed` rows followed by the columns of `Qᵀ C` (`Q`'s rows orthonormal).
struct Problem<'a> {
    space: Space,
    x: &'a [f64],
    fixed: &'a [f64],
    q: &'a [f64],
    free: usize,
    terms: Vec<usize>,
}

impl Problem<'_> {
    fn mq(&self) -> usize {
        self.q.len() / self.space.len()
    }
    fn basis(&self, c: &[f64]) -> Vec<f64> {
        let len = self.space.len();
        let mut b = self.fixed.to_vec();
        for a in 0..self.free {
            let mut row = vec![0.0; len];
            for l in 0..self.mq() {
                let cla = c[l * self.free + a];
                row.iter_mut().zip(&self.q[l * len..(l + 1) * len]).for_each(|(o, y)| *o += cla * y);
            }
            b.extend_from_slice(&row);
        }
        b
    }
    fn rows(&self) -> usize {
        self.fixed.len() / self.space.len() + self.free
    }
}

impl Objective for Problem<'_> {
    fn cost_grad(&self, c: &[f64], g: &mut [f64]) -> f64 {
        let len = self.space.len();
        let n = (self.x.len() / len) as f64;
        let Some(fr) = frame(&self.space, &self.basis(c), self.rows()) else {
            g.iter_mut().for_each(|v| *v = 0.0);
            return f64::INFINITY;
        };
        let ev = evaluate(&self.space, self.x, &fr, &self.terms, true);
        let f = self.fixed.len() / len;
        for l in 0..self.mq() {
            for a in 0..self.free {
                g[l * self.free + a] = dot(&self.q[l * len..(l + 1) * len], &ev.grad[(f + a) * len..(f + a + 1) * len]);
            }
        }
        ev.sums.iter().sum::<f64>() / n
    }
}

/// The criterion of [`barycentric_subspace_analysis`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BsaMethod {
    /// Forward barycentric subspaces (FBS): nested, one reference point added at a time.
    Forward,
    /// Pure barycentric subspaces (PBS): the best `k`-dimensional span for each `k`, not nested.
    Pure,
    /// The pure span of the largest dimension, then nested backward, one point removed at a time.
    Backward,
    /// The flag minimising the accumulated unexplained variances (AUV).
    Auv,
}

impl BsaMethod {
    /// Parses `"forward"`/`"fbs"`, `"pure"`/`"pbs"`, `"backward"`/`"bbs"` or `"auv"`.
    ///
    /// # Errors
    /// Any other name.
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "forward" | "fbs" => Ok(BsaMethod::Forward),
            "pure" | "pbs" => Ok(BsaMethod::Pure),
            "backward" | "bbs" => Ok(BsaMethod::Backward),
            "auv" => Ok(BsaMethod::Auv),
            _ => Err(Error::param("method", name, "must be one of forward (fbs), pure (pbs), backward (bbs), auv")),
        }
    }
    /// Whether the subspaces are nested (a flag).
    pub fn nested(&self) -> bool {
        !matches!(self, BsaMethod::Pure)
    }
}

/// Settings of [`barycentric_subspace_analysis`].
#[derive(Debug, Clone)]
pub struct BsaParams {
    /// The largest dimension `K` of a subspace (`K + 1` reference points), `0 ≤ K ≤ dim`.
    pub n_components: usize,
    /// The criterion.
    pub method: BsaMethod,
    /// The most descent steps per optimisation.
    pub max_iter: usize,
    /// Stop when the Riemannian gradient's norm falls below this.
    pub tol: f64,
    /// Worker threads (`None` = all cores).
    pub threads: Option<usize>,
}

impl Default for BsaParams {
    fn default() -> Self {
        BsaParams { n_components: 1, method: BsaMethod::Forward, max_iter: 1000, tol: 1e-10, threads: None }
    }
}

/// One fitted barycentric subspace.
#[derive(Debug, Clone)]
pub struct Subspace {
    /// Its dimension `k`.
    pub k: usize,
    /// `k + 1` Euclidean-orthonormal rows spanning the linear subspace `L_k`.
    pub basis: Vec<f64>,
    /// `k + 1` points of the manifold whose affine span is `L_k ∩ M` (rows).
    pub reference_points: Vec<f64>,
    /// `σ²_out = (1/n) Σ d²(xⱼ, L_k ∩ M)` on the fitted data.
    pub unexplained_variance: f64,
}

/// The result of [`barycentric_subspace_analysis`].
#[derive(Debug, Clone)]
pub struct BarycentricSubspaces {
    /// The space.
    pub space: Space,
    /// The criterion.
    pub method: BsaMethod,
    /// The subspaces of dimension `0 … K`; nested unless the method is [`BsaMethod::Pure`], and
    /// then the reference points of each are the first `k + 1` of the largest.
    pub subspaces: Vec<Subspace>,
    /// The Fréchet mean of the data.
    pub frechet_mean: Vec<f64>,
    /// `(1/n) Σ d²(xⱼ, mean)`.
    pub total_variance: f64,
    /// Whether every optimisation met `tol`.
    pub converged: bool,
}

impl BarycentricSubspaces {
    fn subspace(&self, k: usize) -> Result<&Subspace> {
        self.subspaces.get(k).ok_or_else(|| Error::param("k", k, format!("must be between 0 and n_components ({})", self.subspaces.len() - 1)))
    }
    /// The closest points of the `k`-dimensional subspace to the rows of `x`.
    ///
    /// # Errors
    /// `k` out of range, rows off the manifold.
    pub fn project(&self, k: usize, x: &[f64]) -> Result<Vec<f64>> {
        let (fr, _) = self.frame(k)?;
        check_data(&self.space, "x", x)?;
        Ok(project_with(&self.space, &fr, x))
    }
    /// The frame of the `k`-dimensional subspace from its orthonormal basis (better conditioned
    /// than its reference points, which may be close together).
    fn frame(&self, k: usize) -> Result<(Frame, &Subspace)> {
        let s = self.subspace(k)?;
        let fr = frame(&self.space, &s.basis, k + 1)
            .ok_or_else(|| Error::Numerical { stage: "barycentric subspace analysis", message: "degenerate subspace".into() })?;
        Ok((fr, s))
    }
    /// The barycentric weights (`n × (k + 1)`) of the projections of the rows of `x` on the
    /// `k`-dimensional subspace, with respect to its reference points.
    ///
    /// # Errors
    /// As [`barycentric_weights`].
    pub fn weights(&self, k: usize, x: &[f64]) -> Result<Vec<f64>> {
        let (fr, s) = self.frame(k)?;
        check_data(&self.space, "x", x)?;
        weights_with(&self.space, &fr, &s.reference_points, x)
    }
    /// The distances of the rows of `x` to the `k`-dimensional subspace.
    ///
    /// # Errors
    /// As [`BarycentricSubspaces::project`].
    pub fn residuals(&self, k: usize, x: &[f64]) -> Result<Vec<f64>> {
        let p = self.project(k, x)?;
        Ok(distances(&self.space, x, &p))
    }
}

/// The frame of the span of reference points, checked.
fn span_frame(space: &Space, reference_points: &[f64]) -> Result<Frame> {
    space.check()?;
    let m = space.manifold();
    let r = n_rows(m, "reference_points", reference_points)?;
    if r == 0 || r > space.len() {
        return Err(Error::param("reference_points", format!("{r} rows"), format!("must be between 1 and {} points", space.len())));
    }
    check_points(m, "reference_points", reference_points, POINT_TOL)?;
    frame(space, reference_points, r)
        .ok_or_else(|| Error::InvalidData("`reference_points` are not affinely independent (their linear span has a lower dimension)".into()))
}

/// Rows orthonormalised in order (QR of the transpose); the rows must be independent.
fn orthonormal_rows(rows: &[f64], r: usize, len: usize) -> Vec<f64> {
    let mut cols = vec![0.0; len * r];
    for a in 0..r {
        for j in 0..len {
            cols[j * r + a] = rows[a * len + j];
        }
    }
    let q = qr_q(&cols, len, r);
    let mut out = vec![0.0; r * len];
    for a in 0..r {
        for j in 0..len {
            out[a * len + j] = q[j * r + a];
        }
    }
    out
}

fn check_data(space: &Space, name: &str, x: &[f64]) -> Result<usize> {
    let m = space.manifold();
    let n = n_rows(m, name, x)?;
    check_points(m, name, x, POINT_TOL)?;
    Ok(n)
}

/// The point of `L ∩ M` closest to `x`, from its projection `p = P_L x`.
fn normalise_projection(space: &Space, fr: &Frame, p: &mut [f64]) {
    let len = space.len();
    match space {
        Space::Sphere(_) => {
            let norm = dot(p, p).sqrt();
            if norm > 0.0 {
                p.iter_mut().for_each(|v| *v /= norm);
            } else {
                // Every point of the subsphere is at π/2: the first frame vector.
                p.copy_from_slice(&fr.e[..len]);
            }
        }
        Space::Lorentz(l) => {
            let q = -space.form(p, p);
            let s = (l.k() / q.max(f64::MIN_POSITIVE)).sqrt() * if p[0] < 0.0 { -1.0 } else { 1.0 };
            p.iter_mut().for_each(|v| *v *= s);
        }
    }
}

fn project_with(space: &Space, fr: &Frame, x: &[f64]) -> Vec<f64> {
    let len = space.len();
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(len * BLOCK).enumerate().for_each(|(blk, o)| {
        for (k, row) in o.chunks_mut(len).enumerate() {
            let xi = &x[(blk * BLOCK + k) * len..(blk * BLOCK + k + 1) * len];
            row.iter_mut().for_each(|v| *v = 0.0);
            for a in 0..fr.r {
                let e = &fr.e[a * len..(a + 1) * len];
                let va = space.sign(a) * space.form(xi, e);
                row.iter_mut().zip(e).for_each(|(p, y)| *p += va * y);
            }
            normalise_projection(space, fr, row);
        }
    });
    out
}

/// The closest points of the affine span of `reference_points` (rows) to the rows of `x`: the
/// normalised orthogonal projection on their linear span.
///
/// # Errors
/// Shape errors, rows off the manifold (naming the row), dependent reference points.
///
/// ```
/// use unfold_learn::manifold::{Sphere, barycentric};
/// let s = barycentric::Space::from(Sphere::new(3));
/// let refs = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]; // the equator z = 0
/// let x = [0.6, 0.0, 0.8];
/// let p = barycentric::project(&s, &refs, &x)?;
/// assert!((p[0] - 1.0).abs() < 1e-12 && p[2].abs() < 1e-12);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn project(space: &Space, reference_points: &[f64], x: &[f64]) -> Result<Vec<f64>> {
    let fr = span_frame(space, reference_points)?;
    check_data(space, "x", x)?;
    Ok(project_with(space, &fr, x))
}

/// The distances of the rows of `x` to the affine span of `reference_points`.
///
/// # Errors
/// As [`project`].
pub fn residuals(space: &Space, reference_points: &[f64], x: &[f64]) -> Result<Vec<f64>> {
    let p = project(space, reference_points, x)?;
    Ok(distances(space, x, &p))
}

fn distances(space: &Space, x: &[f64], p: &[f64]) -> Vec<f64> {
    let m = space.manifold();
    let len = space.len();
    (0..x.len() / len).into_par_iter().map(|i| m.dist(&x[i * len..(i + 1) * len], &p[i * len..(i + 1) * len])).collect()
}

/// `(1/n) Σ d²(xⱼ, span)`, the unexplained variance of the affine span of `reference_points`.
///
/// # Errors
/// As [`project`]; `x` without rows.
pub fn unexplained_variance(space: &Space, reference_points: &[f64], x: &[f64]) -> Result<f64> {
    let fr = span_frame(space, reference_points)?;
    let n = check_data(space, "x", x)?;
    if n == 0 {
        return Err(Error::InvalidData("`x` has no rows".into()));
    }
    let ev = evaluate(space, x, &fr, &[fr.r - 1], false);
    Ok(ev.sums[0] / n as f64)
}

/// Solves the small square system `a z = b` (`r × r`) by Gaussian elimination with partial
/// pivoting; `None` if singular.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, r: usize) -> Option<Vec<f64>> {
    for c in 0..r {
        let p = (c..r).max_by(|&i, &j| a[i * r + c].abs().total_cmp(&a[j * r + c].abs()))?;
        if a[p * r + c].abs() < 1e-14 {
            return None;
        }
        for j in 0..r {
            a.swap(c * r + j, p * r + j);
        }
        b.swap(c, p);
        for i in c + 1..r {
            let f = a[i * r + c] / a[c * r + c];
            for j in c..r {
                a[i * r + j] -= f * a[c * r + j];
            }
            b[i] -= f * b[c];
        }
    }
    for c in (0..r).rev() {
        let s: f64 = (c + 1..r).map(|j| a[c * r + j] * b[j]).sum();
        b[c] = (b[c] - s) / a[c * r + c];
    }
    Some(b)
}

/// The barycentric weights (`n × (k + 1)`, each row summing to 1) of the projections of the
/// rows of `x` on the affine span of the `k + 1` `reference_points`: `λᵢ ∝ αᵢ sin θᵢ / θᵢ`
/// (sphere) or `αᵢ sinh θᵢ / θᵢ` (hyperboloid) with `y = Σ αᵢ xᵢ`.
///
/// # Errors
/// As [`project`]; a row whose projection is at infinity of the barycentric chart (the weights'
/// sum vanishes), named.
pub fn barycentric_weights(space: &Space, reference_points: &[f64], x: &[f64]) -> Result<Vec<f64>> {
    let fr = span_frame(space, reference_points)?;
    check_data(space, "x", x)?;
    weights_with(space, &fr, reference_points, x)
}

fn weights_with(space: &Space, fr: &Frame, reference_points: &[f64], x: &[f64]) -> Result<Vec<f64>> {
    let y = project_with(space, fr, x);
    let len = space.len();
    let r = fr.r;
    let m = space.manifold();
    let sk = space.k().sqrt();
    // M[b][a] = coefficient of e_b in x_a, so y's coefficients c = M α.
    let mut mat = vec![0.0; r * r];
    for a in 0..r {
        for b in 0..r {
            mat[b * r + a] = space.sign(b) * space.form(&reference_points[a * len..(a + 1) * len], &fr.e[b * len..(b + 1) * len]);
        }
    }
    let rows: Vec<Result<Vec<f64>>> = (0..y.len() / len)
        .into_par_iter()
        .map(|i| {
            let yi = &y[i * len..(i + 1) * len];
            let c: Vec<f64> = (0..r).map(|b| space.sign(b) * space.form(yi, &fr.e[b * len..(b + 1) * len])).collect();
            let alpha = solve(mat.clone(), c, r).ok_or_else(|| Error::InvalidData("`reference_points` are not affinely independent".into()))?;
            let w: Vec<f64> = (0..r)
                .map(|a| {
                    let t = m.dist(yi, &reference_points[a * len..(a + 1) * len]) / sk;
                    let ratio = if t == 0.0 {
                        1.0
                    } else if space.hyperbolic() {
                        t.sinh() / t
                    } else {
                        t.sin() / t
                    };
                    alpha[a] * ratio
                })
                .collect();
            let sum: f64 = w.iter().sum();
            let scale: f64 = w.iter().map(|v| v.abs()).sum();
            if sum.is_nan() || sum.abs() <= 1e-12 * scale {
                return Err(Error::InvalidData(format!("`x` row {i}: its projection is at infinity of the barycentric chart (the weights sum to 0)")));
            }
            Ok(w.iter().map(|v| v / sum).collect())
        })
        .collect();
    let mut out = Vec::with_capacity(y.len() / len * r);
    for row in rows {
        out.extend(row?);
    }
    Ok(out)
}

/// An orthonormal basis (rows) of the Euclidean orthogonal complement of the rows of `f`.
fn complement(f: &[f64], len: usize) -> Vec<f64> {
    let mut proj = super::dense::identity(len);
    for b in f.chunks(len) {
        for i in 0..len {
            for j in 0..len {
                proj[i * len + j] -= b[i] * b[j];
            }
        }
    }
    let (values, vectors) = sym_eigen(&proj, len);
    let mut order: Vec<usize> = (0..len).filter(|&a| values[a] > 0.5).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order.iter().flat_map(|&a| (0..len).map(|j| vectors[j * len + a]).collect::<Vec<_>>()).collect()
}

/// The eigenvectors (rows, by decreasing eigenvalue) of a symmetric `len × len` matrix.
fn eigenvectors_desc(m: &[f64], len: usize) -> Vec<Vec<f64>> {
    let (values, vectors) = sym_eigen(m, len);
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order.iter().map(|&a| (0..len).map(|j| vectors[j * len + a]).collect()).collect()
}

/// `Σⱼ wⱼ wⱼᵀ` of the residuals `wⱼ = xⱼ − P_L xⱼ` (or of the projections when `of_projection`).
fn second_moment(space: &Space, fr: &Frame, x: &[f64], of_projection: bool) -> Vec<f64> {
    let len = space.len();
    let n = x.len() / len;
    let partial: Vec<Vec<f64>> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|blk| {
            let mut acc = vec![0.0; len * len];
            let mut p = vec![0.0; len];
            for i in blk * BLOCK..((blk + 1) * BLOCK).min(n) {
                let xi = &x[i * len..(i + 1) * len];
                p.iter_mut().for_each(|v| *v = 0.0);
                for a in 0..fr.r {
                    let e = &fr.e[a * len..(a + 1) * len];
                    let va = space.sign(a) * space.form(xi, e);
                    p.iter_mut().zip(e).for_each(|(o, y)| *o += va * y);
                }
                if !of_projection {
                    p.iter_mut().zip(xi).for_each(|(o, y)| *o = y - *o);
                }
                for a in 0..len {
                    for b in 0..len {
                        acc[a * len + b] += p[a] * p[b];
                    }
                }
            }
            acc
        })
        .collect();
    let mut acc = vec![0.0; len * len];
    for p in partial {
        acc.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
    acc
}

/// The coordinates in `Q` (rows) of the columns given as ambient rows `cols`, orthonormalised:
/// a starting point of the Stiefel manifold `St(mq, free)`.
fn start(q: &[f64], cols: &[Vec<f64>], len: usize) -> Option<Vec<f64>> {
    let mq = q.len() / len;
    let free = cols.len();
    let mut c = vec![0.0; mq * free];
    for (a, col) in cols.iter().enumerate() {
        for l in 0..mq {
            c[l * free + a] = dot(&q[l * len..(l + 1) * len], col);
        }
    }
    for a in 0..free {
        if (0..mq).map(|l| c[l * free + a].powi(2)).sum::<f64>() < 1e-20 {
            return None;
        }
    }
    Some(qr_q(&c, mq, free))
}

struct Solved {
    basis: Vec<f64>,
    cost: f64,
    converged: bool,
}

/// Riemannian steepest descent on `St(mq, free)` with Barzilai–Borwein trial steps (alternating
/// the two quotients) and a monotone Armijo backtracking (Iannazzo & Porcelli, 2018, without
/// the non-monotone memory): far fewer steps than a fixed first trial on these
/// ill-conditioned least-squares problems. Returns `(C, cost, converged)`.
fn descend(problem: &Problem<'_>, c0: Vec<f64>, stop: Stopping) -> (Vec<f64>, f64, bool) {
    let stiefel = Stiefel::new(problem.mq(), problem.free);
    let mut c = c0;
    let mut g = vec![0.0; c.len()];
    let mut cost = problem.cost_grad(&c, &mut g);
    stiefel.proju(&c, &mut g);
    let mut gnorm = dot(&g, &g).sqrt();
    let mut t = 1.0 / gnorm.max(1e-300);
    let (mut trial, mut gt, mut step) = (vec![0.0; c.len()], vec![0.0; c.len()], vec![0.0; c.len()]);
    for it in 0..stop.max_iter {
        if gnorm <= stop.grad_tol {
            return (c, cost, true);
        }
        let mut accepted = false;
        for _ in 0..60 {
            step.iter_mut().zip(&g).for_each(|(s, v)| *s = -t * v);
            stiefel.retr(&c, &step, &mut trial);
            let ct = problem.cost_grad(&trial, &mut gt);
            if !ct.is_finite() {
                t *= 0.5;
                continue;
            }
            stiefel.proju(&trial, &mut gt);
            // Near the minimum the decrease drowns in the cost's rounding: then a step that
            // does not raise the cost beyond it and shrinks the gradient is taken.
            let flat = ct <= cost + 8.0 * f64::EPSILON * cost.abs() && dot(&gt, &gt).sqrt() < gnorm;
            if ct <= cost - 1e-4 * t * gnorm * gnorm || flat {
                cost = ct;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
        // s = Δc, y = Δgrad (ambient differences), BB1 on even steps and BB2 on odd ones.
        let (mut ss, mut sy, mut yy) = (0.0, 0.0, 0.0);
        for i in 0..c.len() {
            let (si, yi) = (trial[i] - c[i], gt[i] - g[i]);
            ss += si * si;
            sy += si * yi;
            yy += yi * yi;
        }
        std::mem::swap(&mut c, &mut trial);
        std::mem::swap(&mut g, &mut gt);
        gnorm = dot(&g, &g).sqrt();
        let bb = if it % 2 == 0 { ss / sy.abs() } else { sy.abs() / yy };
        t = if bb.is_finite() && bb > 0.0 { bb.clamp(1e-12, 1e12) } else { 2.0 * t };
    }
    (c, cost, gnorm <= stop.grad_tol)
}

/// Minimises the problem from the best of the valid starts `c0s`.
fn minimise(problem: &Problem<'_>, c0s: Vec<Vec<f64>>, stop: Stopping) -> Result<Solved> {
    let mut best: Option<Solved> = None;
    let mut scratch = vec![0.0; problem.mq() * problem.free];
    for c0 in c0s {
        if !problem.cost_grad(&c0, &mut scratch).is_finite() {
            continue;
        }
        let (c, cost, converged) = descend(problem, c0, stop);
        if best.as_ref().is_none_or(|b| cost < b.cost) {
            best = Some(Solved { basis: problem.basis(&c), cost, converged });
        }
    }
    best.ok_or_else(|| Error::Numerical { stage: "barycentric subspace analysis", message: "no valid starting subspace".into() })
}

/// The forward flag: `L₀` from the Fréchet mean, then one direction at a time.
fn forward(space: &Space, x: &[f64], mean: &[f64], kmax: usize, stop: Stopping) -> Result<(Vec<f64>, bool)> {
    let len = space.len();
    let identity = super::dense::identity(len);
    let norm = dot(mean, mean).sqrt();
    let b0: Vec<f64> = mean.iter().map(|v| v / norm).collect();
    let p0 = Problem { space: *space, x, fixed: &[], q: &identity, free: 1, terms: vec![0] };
    let c0 = start(&identity, &[b0], len).into_iter().collect();
    let s = minimise(&p0, c0, stop)?;
    let mut basis = s.basis;
    let mut converged = s.converged;
    for j in 1..=kmax {
        let q = complement(&basis, len);
        let fr = frame(space, &basis, j).ok_or_else(|| Error::Numerical {
            stage: "barycentric subspace analysis",
            message: format!("degenerate forward subspace of dimension {}", j - 1),
        })?;
        let moment = second_moment(space, &fr, x, false);
        let dirs = eigenvectors_desc(&moment, len);
        let mut c0s: Vec<Vec<f64>> = dirs.iter().take(2).filter_map(|d| start(&q, std::slice::from_ref(d), len)).collect();
        c0s.push(start(&q, &[q[..len].to_vec()], len).expect("a row of Q has unit norm"));
        let p = Problem { space: *space, x, fixed: &basis, q: &q, free: 1, terms: vec![j] };
        let s = minimise(&p, c0s, stop)?;
        converged &= s.converged;
        basis = s.basis;
    }
    Ok((basis, converged))
}

/// The best `(k + 1)`-dimensional subspace inside the span `q` (rows, orthonormal), started from
/// the given subspace (rows) and from `q` minus each principal axis of the projected data.
fn pure_in(space: &Space, x: &[f64], q: &[f64], k: usize, init: Option<&[f64]>, stop: Stopping) -> Result<Solved> {
    let len = space.len();
    let mq = q.len() / len;
    let mut c0s = Vec::new();
    if let Some(init) = init {
        let cols: Vec<Vec<f64>> = init.chunks(len).map(|c| c.to_vec()).collect();
        c0s.extend(start(q, &cols, len));
    }
    if mq == k + 2
        && let Some(fr) = frame(space, q, mq)
    {
        let moment = second_moment(space, &fr, x, true);
        // Principal axes of the projections, inside span(q).
        let axes: Vec<Vec<f64>> = eigenvectors_desc(&moment, len).into_iter().take(mq).collect();
        for drop in (0..mq).rev() {
            let cols: Vec<Vec<f64>> = axes.iter().enumerate().filter(|(a, _)| *a != drop).map(|(_, v)| v.clone()).collect();
            c0s.extend(start(q, &cols, len));
        }
    }
    let p = Problem { space: *space, x, fixed: &[], q, free: k + 1, terms: vec![k] };
    minimise(&p, c0s, stop)
}

/// Reference points on the manifold spanning each leading block of the flag `basis`: `x₀` the
/// point of `L₀` (on the data's side on the sphere), then for each `j` the projection on `L_j`
/// of the data point reaching furthest along the new direction.
fn reference_points(space: &Space, basis: &[f64], r: usize, x: &[f64]) -> Result<Vec<f64>> {
    let len = space.len();
    let fr = frame(space, basis, r).ok_or_else(|| Error::Numerical { stage: "barycentric subspace analysis", message: "degenerate subspace".into() })?;
    let n = x.len() / len;
    let mut out = vec![0.0; r * len];
    let mut x0 = fr.e[..len].to_vec();
    let side: f64 = match space {
        Space::Sphere(_) => (0..n).map(|i| dot(&x[i * len..(i + 1) * len], &x0)).sum(),
        Space::Lorentz(_) => x0[0],
    };
    let scale = space.k().sqrt() * if side < 0.0 { -1.0 } else { 1.0 };
    x0.iter_mut().for_each(|v| *v *= scale);
    out[..len].copy_from_slice(&x0);
    for j in 1..r {
        let sub = Frame { r: j + 1, e: fr.e[..(j + 1) * len].to_vec(), t: Vec::new() };
        let y = project_with(space, &sub, x);
        let ej = &fr.e[j * len..(j + 1) * len];
        let reach: Vec<f64> = (0..n).map(|i| space.form(&y[i * len..(i + 1) * len], ej).abs()).collect();
        let best = (0..n).fold(None::<usize>, |b, i| match b {
            Some(b) if reach[b] >= reach[i] => Some(b),
            _ => Some(i),
        });
        let row = &mut out[j * len..(j + 1) * len];
        match best {
            Some(i) if reach[i] > 1e-8 * space.k().sqrt() => row.copy_from_slice(&y[i * len..(i + 1) * len]),
            _ => {
                // No data beyond L_{j−1}: the point at distance 1 from x₀ along e_j.
                let sk = space.k().sqrt();
                let (c, s) = if space.hyperbolic() { (1f64.cosh(), sk * 1f64.sinh()) } else { (1f64.cos(), 1f64.sin()) };
                row.iter_mut().zip(&x0).zip(ej).for_each(|((o, a), b)| *o = c * a + s * b);
            }
        }
    }
    Ok(out)
}

fn validate(space: &Space, x: &[f64], params: &BsaParams) -> Result<usize> {
    space.check()?;
    let n = check_data(space, "x", x)?;
    if n == 0 {
        return Err(Error::InvalidData("`x` has no rows".into()));
    }
    let dim = space.manifold().dim();
    if params.n_components > dim {
        return Err(Error::param("n_components", params.n_components, format!("must be between 0 and the manifold's dimension ({dim})")));
    }
    if params.max_iter == 0 {
        return Err(Error::param("max_iter", 0, "must be at least 1"));
    }
    if !(params.tol >= 0.0 && params.tol.is_finite()) {
        return Err(Error::param("tol", params.tol, "must be a finite number ≥ 0"));
    }
    crate::threads::check(params.threads)?;
    Ok(n)
}

/// Barycentric subspace analysis of the rows of `x`: the affine spans of dimension
/// `0 … n_components` chosen by `method` (see the module documentation).
///
/// # Errors
/// Rows off the manifold (naming the row), `n_components` outside `0..=dim`, invalid `max_iter`,
/// `tol` or `threads`.
///
/// ```
/// use unfold_learn::manifold::{Sphere, barycentric::{self, BsaParams}};
/// // Points on the great circle z = 0 of S²: the 1-dimensional span explains them all.
/// let x: Vec<f64> = (0..20).flat_map(|i| { let t = 0.1 * i as f64; [t.cos(), t.sin(), 0.0] }).collect();
/// let fit = barycentric::barycentric_subspace_analysis(Sphere::new(3), &x, &BsaParams::default())?;
/// assert!(fit.subspaces[1].unexplained_variance < 1e-20);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn barycentric_subspace_analysis(space: impl Into<Space>, x: &[f64], params: &BsaParams) -> Result<BarycentricSubspaces> {
    let space = space.into();
    validate(&space, x, params)?;
    crate::threads::install(params.threads, || fit(space, x, params))?
}

fn fit(space: Space, x: &[f64], params: &BsaParams) -> Result<BarycentricSubspaces> {
    let len = space.len();
    let n = x.len() / len;
    let kmax = params.n_components;
    let stop = Stopping { max_iter: params.max_iter, grad_tol: params.tol };
    let m = space.manifold();
    let mean = frechet_mean(m, x, &MeanParams { max_iter: params.max_iter.max(100), ..MeanParams::default() })?.point;
    let total: Vec<f64> = (0..n).into_par_iter().map(|i| m.dist(&x[i * len..(i + 1) * len], &mean).powi(2)).collect();
    let total_variance = total.chunks(BLOCK).map(|c| c.iter().sum::<f64>()).sum::<f64>() / n as f64;
    let (flag, mut converged) = forward(&space, x, &mean, kmax, stop)?;
    let identity = super::dense::identity(len);
    let mut bases: Vec<Vec<f64>> = Vec::new();
    match params.method {
        BsaMethod::Forward => bases.push(flag),
        BsaMethod::Pure => {
            for k in 0..=kmax {
                let s = pure_in(&space, x, &identity, k, Some(&flag[..(k + 1) * len]), stop)?;
                converged &= s.converged;
                bases.push(s.basis);
            }
        }
        BsaMethod::Backward => {
            let top = pure_in(&space, x, &identity, kmax, Some(&flag), stop)?;
            converged &= top.converged;
            let mut current = top.basis;
            let mut chain = vec![current.clone()];
            for k in (0..kmax).rev() {
                let q = orthonormal_rows(&current, k + 2, len);
                let s = pure_in(&space, x, &q, k, None, stop)?;
                converged &= s.converged;
                current = s.basis;
                chain.push(current.clone());
            }
            // The flag whose leading rows span each nested subspace: each step's new direction is
            // the part of L_k outside L_{k−1}.
            chain.reverse();
            let mut rows = chain[0].clone();
            for lk in &chain[1..] {
                let c = complement(&rows, len);
                // The direction of L_k orthogonal to the rows so far.
                let mut best = vec![0.0; len];
                let mut best_norm = -1.0;
                for b in lk.chunks(len) {
                    let mut v = vec![0.0; len];
                    for cr in c.chunks(len) {
                        let p = dot(cr, b);
                        v.iter_mut().zip(cr).for_each(|(o, y)| *o += p * y);
                    }
                    let nv = dot(&v, &v);
                    if nv > best_norm {
                        best_norm = nv;
                        best = v;
                    }
                }
                let s = best_norm.sqrt();
                rows.extend(best.iter().map(|v| v / s));
            }
            bases.push(orthonormal_rows(&rows, kmax + 1, len));
        }
        BsaMethod::Auv => {
            let p = Problem { space, x, fixed: &[], q: &identity, free: kmax + 1, terms: (0..=kmax).collect() };
            let c0s = start(&identity, &flag.chunks(len).map(|c| c.to_vec()).collect::<Vec<_>>(), len).into_iter().collect();
            let s = minimise(&p, c0s, stop)?;
            converged &= s.converged;
            bases.push(s.basis);
        }
    }
    let mut subspaces = Vec::with_capacity(kmax + 1);
    if params.method.nested() {
        let basis = &bases[0];
        let refs = reference_points(&space, basis, kmax + 1, x)?;
        let fr =
            frame(&space, basis, kmax + 1).ok_or_else(|| Error::Numerical { stage: "barycentric subspace analysis", message: "degenerate flag".into() })?;
        let uv = evaluate(&space, x, &fr, &(0..=kmax).collect::<Vec<_>>(), false).sums;
        for k in 0..=kmax {
            subspaces.push(Subspace {
                k,
                basis: basis[..(k + 1) * len].to_vec(),
                reference_points: refs[..(k + 1) * len].to_vec(),
                unexplained_variance: uv[k] / n as f64,
            });
        }
    } else {
        for (k, basis) in bases.into_iter().enumerate() {
            let refs = reference_points(&space, &basis, k + 1, x)?;
            let fr = frame(&space, &basis, k + 1)
                .ok_or_else(|| Error::Numerical { stage: "barycentric subspace analysis", message: "degenerate subspace".into() })?;
            let uv = evaluate(&space, x, &fr, &[k], false).sums[0] / n as f64;
            subspaces.push(Subspace { k, basis, reference_points: refs, unexplained_variance: uv });
        }
    }
    Ok(BarycentricSubspaces { space, method: params.method, subspaces, frechet_mean: mean, total_variance, converged })
}
