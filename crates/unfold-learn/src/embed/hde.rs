//! Hyperbolic diffusion embedding and distance (Lin, Coifman, Mishne & Talmon, "Hyperbolic
//! diffusion embedding and distance for hierarchical representation learning", ICML 2023).
//!
//! 1. **Kernel** `W_ij = exp(−d_ij² / ε)` of the pairwise `metric` distances (or the given
//!    distance matrix, `metric="precomputed"`), `ε` given or `"auto"`: the median of `d_ij²` over
//!    the pairs `i < j`; density-normalised `K = Q^{−α} W Q^{−α}` with `Q` the row sums of `W`
//!    (`alpha = 1`, as the paper's code).
//! 2. **Diffusion** `P = S⁻¹K` (`S` the row sums of `K`) through its symmetric conjugate
//!    `M = S^{−½} K S^{−½} = U Λ Uᵀ`, eigenvalues below `10⁻⁶` raised to it, and the dyadic
//!    powers `P^{t_k} = S^{−½} U Λ^{t_k} Uᵀ S^{½}` for `t_k = 2^{−k}`, `k = 0 … n_scales − 1`.
//! 3. **Multiscale densities in hyperbolic half-spaces**: at scale `k` point `i` is
//!    `z_i^k = (√p_i^{(k)}, 2^{k/2 − 2}) ∈ H^{n+1}` (`p_i^{(k)}` row `i` of `P^{t_k}`, entries
//!    below `10⁻⁶` raised to it before the root), so the half-space distance is
//!    `d_H(z_i^k, z_j^k) = 2 asinh(2^{1 − k/2} ‖√p_i^{(k)} − √p_j^{(k)}‖)`.
//! 4. **The product embedding** is the concatenation of the `n_scales` points `z_i^k`
//!    (`n_scales · (n + 1)` coordinates per point, scale by scale), and the hyperbolic diffusion
//!    distance its product-manifold `ℓ¹` distance `d_HDD(i, j) = Σ_k d_H(z_i^k, z_j^k)`
//!    ([`HdeModel::pairwise_distances`]).
//! 5. **A 2-D view** in the Poincaré disk for plots ([`poincare_view`]): hydra (Keller-Ressel &
//!    Nargang, "Hydra: a method for strain-minimizing hyperbolic embedding", 2020) of `d_HDD`
//!    scaled to diameter [`VIEW_DIAMETER`]: the largest eigenpair of `cosh(D)` and its two most
//!    negative ones give hyperboloid coordinates, mapped to the disk.
//!
//! The fit holds dense `n × n` matrices (the kernel, the eigenvectors, one power at a time), so
//! it takes at most [`MAX_SAMPLES`] points.

use crate::linalg::matmul;
use faer::{Accum, Mat, MatMut, Par};
use rayon::prelude::*;

use crate::data::Data;
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::symmetric_eigen;
use crate::method::{Attribute, Auto, Capabilities, Context, FitData, Fitted, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};
use crate::metric::Metric;

crate::method_params! {
    /// Parameters of [`Hde`].
    pub struct HdeParams {
        /// Dyadic diffusion scales K: times 2^-k for k = 0 .. K-1.
        n_scales: usize = 6, range = Range::closed(1.0, 40.0);
        /// Distance between points for the kernel (euclidean, cosine, ...), or precomputed (the input is a square distance matrix).
        metric: Metric = Metric::Euclidean;
        /// Gaussian kernel scale: exp(-d^2 / epsilon); auto = the median squared distance.
        epsilon: Auto<f64> = Auto::Auto, range = Range::above(0.0);
        /// Density normalisation of the kernel: K = W / (q_i q_j)^alpha (1 removes the sampling density).
        alpha: f64 = 1.0, range = Range::closed(0.0, 1.0);
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "hde",
    summary: "hyperbolic diffusion embedding (multiscale diffusion densities in a product of hyperbolic half-spaces)",
    specs: <HdeParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(Hde::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(HdeModel::from_bytes(bytes)?)),
};

const KIND: Kind = Kind { tag: "hde", version: 1 };
/// The most points a fit takes (it holds dense `n × n` matrices).
pub const MAX_SAMPLES: usize = 5000;
/// The most points [`HdeModel::pairwise_distances`] gives all pairs of.
pub const MAX_ALL_PAIRS: usize = 20000;
/// Eigenvalues and densities below this are raised to it (the paper's code's `TOL`).
pub const FLOOR: f64 = 1e-6;
/// The diameter the distances are scaled to for [`poincare_view`].
pub const VIEW_DIAMETER: f64 = 6.0;

/// The hyperbolic diffusion embedding with validated parameters.
#[derive(Debug, Clone)]
pub struct Hde {
    params: HdeParams,
}

/// The weight `2^{1 − k/2}` of scale `k` in the distance (the half-space height is its
/// inverse over 2, `2^{k/2 − 2}`).
pub fn scale_weight(k: usize) -> f64 {
    2.0 * 2f64.powf(-(k as f64) / 2.0)
}

impl Hde {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: HdeParams) -> Result<Hde> {
        params.check_ranges()?;
        Ok(Hde { params })
    }

    /// Embeds the rows of `data`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for fewer than 3 or more than [`MAX_SAMPLES`] points, or a
    /// precomputed matrix that is not a square, symmetric, non-negative distance matrix; the
    /// eigensolver's errors; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<HdeModel> {
        ctx.install(|| {
            let p = &self.params;
            let x = data.x.f32()?;
            let n = x.n_rows();
            if !(3..=MAX_SAMPLES).contains(&n) {
                return Err(Error::InvalidData(format!(
                    "n_samples = {n}: the hyperbolic diffusion embedding takes 3 to {MAX_SAMPLES} samples (it holds dense n × n matrices)"
                )));
            }
            let d2 = squared_distances(&x, &p.metric)?;
            ctx.progress.check()?;
            let epsilon = match p.epsilon {
                Auto::Value(e) => e,
                Auto::Auto => median_off_diagonal(&d2, n),
            };
            if epsilon.is_nan() || epsilon <= 0.0 {
                return Err(Error::InvalidData("epsilon = auto: the median squared distance is 0 (more than half the pairs coincide); give epsilon".into()));
            }
            let (values, vectors, s) = diffusion_eigen(&d2, n, epsilon, p.alpha)?;
            drop(d2);
            ctx.progress.check()?;
            let width = n + 1;
            let mut embedding = vec![0f32; n * p.n_scales * width];
            for k in 0..p.n_scales {
                let density = dyadic_power(&values, &vectors, &s, 2f64.powi(-(k as i32)));
                let height = (1.0 / (2.0 * scale_weight(k))) as f32;
                embedding.par_chunks_mut(p.n_scales * width).enumerate().for_each(|(i, row)| {
                    let z = &mut row[k * width..(k + 1) * width];
                    for (o, &v) in z.iter_mut().zip(&density[i * n..(i + 1) * n]) {
                        *o = v.max(FLOOR).sqrt() as f32;
                    }
                    z[n] = height;
                });
                ctx.progress.check()?;
            }
            let mut model =
                HdeModel { n_samples: n, n_features: x.n_cols(), n_scales: p.n_scales, embedding, epsilon, poincare: Vec::new(), params: Vec::new() };
            let mut all = model.pairwise_distances(None)?;
            symmetrise(&mut all, n);
            model.poincare = poincare_view(&all, n)?;
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// Squared distances `n × n` between the rows of `x` under `metric`, or the squares of the
/// given matrix for [`Metric::Precomputed`] (checked square, symmetric, non-negative).
fn squared_distances(x: &Data, metric: &Metric) -> Result<Vec<f64>> {
    let n = x.n_rows();
    if *metric == Metric::Precomputed {
        if x.n_cols() != n {
            return Err(Error::InvalidData(format!("metric = precomputed needs a square distance matrix; the input is {n} × {}", x.n_cols())));
        }
        let v = x.as_slice();
        for i in 0..n {
            if v[i * n + i] != 0.0 {
                return Err(Error::InvalidData(format!("metric = precomputed: the diagonal entry ({i}, {i}) is {}, not 0", v[i * n + i])));
            }
            for j in 0..i {
                let (a, b) = (v[i * n + j], v[j * n + i]);
                if a < 0.0 || (a - b).abs() > 1e-6 * a.abs().max(b.abs()).max(1.0) {
                    return Err(Error::InvalidData(format!(
                        "metric = precomputed: entries ({i}, {j}) = {a} and ({j}, {i}) = {b} are not a non-negative symmetric pair"
                    )));
                }
            }
        }
        return Ok(v.iter().map(|&d| (d as f64) * (d as f64)).collect());
    }
    let mut out = vec![0f64; n * n];
    out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let xi = x.row(i);
        for (j, o) in row.iter_mut().enumerate() {
            *o = if *metric == Metric::Euclidean {
                xi.iter().zip(x.row(j)).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum()
            } else {
                (metric.distance(xi, x.row(j)) as f64).powi(2)
            };
        }
    });
    Ok(out)
}

/// The median of the entries above the diagonal (numpy's: the mean of the middle two for an
/// even count).
fn median_off_diagonal(m: &[f64], n: usize) -> f64 {
    let mut v: Vec<f64> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|(i, j)| m[i * n + j]).collect();
    let c = v.len();
    let (_, &mut hi, _) = v.select_nth_unstable_by(c / 2, f64::total_cmp);
    if c % 2 == 1 {
        hi
    } else {
        let lo = v[..c / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// Step 1–2 of the [module docs](self): the eigenvalues (floored, descending) and eigenvectors
/// of `M = S^{−½} K S^{−½}` and the row sums `S` of `K`.
fn diffusion_eigen(d2: &[f64], n: usize, epsilon: f64, alpha: f64) -> Result<(Vec<f64>, Mat<f64>, Vec<f64>)> {
    let w: Vec<f64> = d2.par_iter().map(|&v| (-v / epsilon).exp()).collect();
    let q: Vec<f64> = w.par_chunks(n).map(|r| r.iter().sum::<f64>().powf(alpha)).collect();
    let k: Vec<f64> =
        w.par_chunks(n).enumerate().flat_map_iter(|(i, r)| r.iter().enumerate().map(move |(j, &v)| (i, j, v))).map(|(i, j, v)| v / (q[i] * q[j])).collect();
    let s: Vec<f64> = k.par_chunks(n).map(|r| r.iter().sum()).collect();
    let m = Mat::from_fn(n, n, |i, j| k[i * n + j] / (s[i] * s[j]).sqrt());
    let (mut values, vectors) = symmetric_eigen(m.as_ref(), "hyperbolic diffusion eigendecomposition")?;
    values.iter_mut().for_each(|v| *v = v.max(FLOOR));
    Ok((values, vectors, s))
}

/// `P^t = S^{−½} U Λ^t Uᵀ S^{½}`, `n × n` row-major; rows in parallel chunks, each a sequential
/// product (the same at any thread count).
fn dyadic_power(values: &[f64], u: &Mat<f64>, s: &[f64], t: f64) -> Vec<f64> {
    let n = values.len();
    let scaled = Mat::from_fn(n, n, |i, c| u[(i, c)] * values[c].powf(t));
    let mut out = vec![0f64; n * n];
    const ROWS: usize = 64;
    out.par_chunks_mut(ROWS * n).enumerate().for_each(|(c, block)| {
        let rows = block.len() / n;
        let a = scaled.as_ref().subrows(c * ROWS, rows);
        matmul(MatMut::from_row_major_slice_mut(block, rows, n), Accum::Replace, a, u.as_ref().transpose(), 1.0, Par::Seq);
        for (r, row) in block.chunks_mut(n).enumerate() {
            let si = s[c * ROWS + r].sqrt();
            row.iter_mut().zip(s).for_each(|(v, &sj)| *v *= sj.sqrt() / si);
        }
    });
    out
}

/// `(D + Dᵀ)/2` in place.
fn symmetrise(d: &mut [f64], n: usize) {
    for i in 0..n {
        for j in i + 1..n {
            let v = 0.5 * (d[i * n + j] + d[j * n + i]);
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
}

/// Step 5 of the [module docs](self): 2-D Poincaré-disk coordinates (`n × 2` row-major) of the
/// distances `d` (`n × n`) by hydra, the distances scaled to diameter [`VIEW_DIAMETER`].
///
/// # Errors
/// The eigensolver's.
pub fn poincare_view(d: &[f64], n: usize) -> Result<Vec<f64>> {
    let top = d.iter().copied().fold(0.0f64, f64::max);
    let c = if top > 0.0 { VIEW_DIAMETER / top } else { 1.0 };
    let a = Mat::from_fn(n, n, |i, j| (c * d[i * n + j]).cosh());
    let (values, vectors) = symmetric_eigen(a.as_ref(), "Poincaré view eigendecomposition")?;
    let sign = if (0..n).map(|i| vectors[(i, 0)]).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
    let mut out = vec![0f64; n * 2];
    for i in 0..n {
        let x0 = (values[0].max(0.0).sqrt() * sign * vectors[(i, 0)]).max(1.0);
        let y: Vec<f64> = [n - 1, n - 2].iter().map(|&c| (-values[c]).max(0.0).sqrt() * vectors[(i, c)]).collect();
        let norm = (y[0] * y[0] + y[1] * y[1]).sqrt();
        let r = ((x0 - 1.0) / (x0 + 1.0)).sqrt();
        if norm > 0.0 {
            out[i * 2] = r * y[0] / norm;
            out[i * 2 + 1] = r * y[1] / norm;
        }
    }
    Ok(out)
}

/// A fitted hyperbolic diffusion embedding.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HdeModel {
    n_samples: usize,
    n_features: usize,
    n_scales: usize,
    /// `n × n_scales (n + 1)` row-major: per scale the root densities and the height.
    embedding: Vec<f32>,
    epsilon: f64,
    poincare: Vec<f64>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl HdeModel {
    /// The hyperbolic diffusion distances (step 4 of the [module docs](self)) from `rows` (all
    /// points when `None`) to every point: `rows.len() × n` row-major, `f64`, each scale's
    /// squared norms through the Gram matrix of the root densities (so `d(i, j)` and `d(j, i)`
    /// may differ in the last bits; `d(i, i) = 0`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a row index out of range, or all pairs of more than
    /// [`MAX_ALL_PAIRS`] points.
    pub fn pairwise_distances(&self, rows: Option<&[usize]>) -> Result<Vec<f64>> {
        let n = self.n_samples;
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => {
                if let Some(&bad) = r.iter().find(|&&i| i >= n) {
                    return Err(Error::InvalidData(format!("row {bad} is out of range: the model holds {n} points")));
                }
                r
            }
            None if n > MAX_ALL_PAIRS => {
                return Err(Error::InvalidData(format!(
                    "all pairs of {n} points ({n} × {n} distances) is more than this gives at once ({MAX_ALL_PAIRS} points); pass the rows wanted"
                )));
            }
            None => {
                all = (0..n).collect();
                &all
            }
        };
        let (width, stride) = (n + 1, self.n_scales * (n + 1));
        let m = rows.len();
        let mut out = vec![0f64; m * n];
        let mut z = Mat::<f64>::zeros(n, n);
        for k in 0..self.n_scales {
            // ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b, the products by blocks of rows (each block a
            // sequential product, so the result does not depend on the thread count).
            z.par_row_chunks_mut(1).enumerate().for_each(|(i, mut row)| {
                let src = &self.embedding[i * stride + k * width..i * stride + k * width + n];
                (0..n).for_each(|j| row[(0, j)] = src[j] as f64);
            });
            let norms: Vec<f64> = (0..n).into_par_iter().map(|i| (0..n).map(|j| z[(i, j)] * z[(i, j)]).sum()).collect();
            let picked = Mat::from_fn(m, n, |r, j| z[(rows[r], j)]);
            let w = scale_weight(k);
            const ROWS: usize = 64;
            out.par_chunks_mut(ROWS * n).enumerate().for_each(|(c, block)| {
                let count = block.len() / n;
                let mut g = vec![0f64; count * n];
                matmul(
                    MatMut::from_row_major_slice_mut(&mut g, count, n),
                    Accum::Replace,
                    picked.as_ref().subrows(c * ROWS, count),
                    z.as_ref().transpose(),
                    1.0,
                    Par::Seq,
                );
                for (r, (o, g)) in block.chunks_mut(n).zip(g.chunks(n)).enumerate() {
                    let i = rows[c * ROWS + r];
                    for (j, (o, &g)) in o.iter_mut().zip(g).enumerate() {
                        if j != i {
                            let sq = (norms[i] + norms[j] - 2.0 * g).max(0.0);
                            *o += 2.0 * (w * sq.sqrt()).asinh();
                        }
                    }
                }
            });
        }
        Ok(out)
    }

    /// Number of points.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// The kernel scale used (the median squared distance with `epsilon="auto"`).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The 2-D Poincaré-disk view (`n × 2` row-major, [`poincare_view`]).
    pub fn poincare(&self) -> &[f64] {
        &self.poincare
    }

    /// A model from [`Fitted::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<HdeModel> {
        let (read, mut m): (_, HdeModel) = model::decode(KIND, bytes)?;
        let n = m.n_samples;
        let size = m.n_scales.checked_mul(n + 1).and_then(|w| w.checked_mul(n));
        if m.n_scales == 0 || size != Some(m.embedding.len()) || m.embedding.iter().any(|v| !v.is_finite()) || m.poincare.len() != 2 * n {
            return Err(Error::InvalidData(format!("corrupt model: the embedding does not fit {n} points and {} scales", m.n_scales)));
        }
        m.params = declared(&HdeParams::specs(), read)?;
        Ok(m)
    }
}

impl Fitted for HdeModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: false, inverse_transform: false, save: true }
    }

    fn n_components(&self) -> usize {
        self.n_scales * (self.n_samples + 1)
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(Data::from_trusted_slice(&self.embedding, self.n_samples, self.n_components()))
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        vec![("epsilon", Value::Float(self.epsilon))]
    }

    fn attributes(&self) -> Vec<Attribute> {
        vec![Attribute::scalar("epsilon_", self.epsilon), Attribute::matrix("poincare_", self.poincare.clone(), self.n_samples, 2)]
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }
}
