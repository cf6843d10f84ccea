//! The per-point local fits of LLE and its variants, as scikit-learn's `_locally_linear.py`
//! computes them, each writing the point's contribution to `M` as a small dense block on its
//! index set (the point and its neighbours, or its neighbours alone):
//!
//! * [`barycenter_weights`] (standard LLE, and every `transform`): `C = X_nbrs − x_i`,
//!   `G = C Cᵀ + R I` with `R = reg · tr(CCᵀ)` (or `reg` when the trace is 0), `G w = 1`,
//!   `w /= Σ w`. The block of point `i` on `{i} ∪ nbrs` is `r rᵀ` with `r = (1, −w)`: the
//!   outer product of row `i` of `I − W`, so that the blocks sum to `M = (I − W)ᵀ(I − W)`.
//! * [`hessian_block`] (Donoho & Grimes): the neighbourhood centred on its mean, its top
//!   `p = n_components` left singular vectors `U`, `Y = [1 | U | U_a ∘ U_b (a ≤ b)]`, the full
//!   `Q` of the Householder QR of `Y` (LAPACK's conventions, as SciPy's `qr`),
//!   `w = Q[:, p+1:]`, each column divided by its sum unless `|sum| < hessian_tol`; block `w wᵀ`.
//! * [`modified_block`] (Zhang & Wang): the local eigenpairs of `(X_nbrs − x_i)(·)ᵀ`, the
//!   regularised weights, the `s_i` smallest eigenvectors (`s_i` from the median ratio `η`,
//!   [`modified_spread`]), the Householder reflection `h` and `W_i = V_i − 2 (V_i h) hᵀ +
//!   (1 − α_i) w_reg 1ᵀ`; block on `{i} ∪ nbrs`: `s_i`, `−W_i 1`, `W_i W_iᵀ`.
//! * [`ltsa_block`] (Zhang & Zha): `G_i = [1/√k | top p left singular vectors of the centred
//!   neighbourhood]`; block `I − G_i G_iᵀ`.
//!
//! Left singular vectors are the eigenvectors of the `k × k` Gram matrix of the neighbourhood,
//! which a cyclic Jacobi method ([`symmetric_eigen_jacobi`]) decomposes in place: no allocation
//! per point (each thread owns a [`LocalScratch`]), and the same operations at any thread count.
//! Every block is symmetric bit for bit (entry `(b, a)` is computed as `(a, b)`).

/// Buffers of one thread's local fits, sized once for `k` neighbours of `d` features and `p`
/// components.
#[derive(Debug, Clone)]
pub struct LocalScratch {
    k: usize,
    d: usize,
    p: usize,
    /// `k × d` centred neighbours.
    c: Vec<f64>,
    /// `k × k` Gram matrix (destroyed by the eigensolver).
    g: Vec<f64>,
    /// `k × k` eigenvectors, column `j` the `j`-th largest.
    v: Vec<f64>,
    /// `k` eigenvalues, descending.
    values: Vec<f64>,
    /// Jacobi's unsorted eigenvectors and the sort order.
    v_raw: Vec<f64>,
    order: Vec<usize>,
    /// `k` weights or a work vector.
    w: Vec<f64>,
    w2: Vec<f64>,
    /// `k × (1 + p + p(p+1)/2)` Hessian design, `k × k` Q.
    y: Vec<f64>,
    q: Vec<f64>,
    /// A `k`-vector of Householder work.
    hv: Vec<f64>,
    /// `k × k` modified weights `W_i` (only `s_i` columns used).
    wi: Vec<f64>,
}

impl LocalScratch {
    /// Buffers for `k` neighbours of `d` features and `p` components.
    pub fn new(k: usize, d: usize, p: usize) -> LocalScratch {
        let cols = 1 + p + p * (p + 1) / 2;
        LocalScratch {
            k,
            d,
            p,
            c: vec![0.0; k * d],
            g: vec![0.0; k * k],
            v: vec![0.0; k * k],
            values: vec![0.0; k],
            v_raw: vec![0.0; k * k],
            order: vec![0; k],
            w: vec![0.0; k],
            w2: vec![0.0; k],
            y: vec![0.0; k * cols.max(1)],
            q: vec![0.0; k * k],
            hv: vec![0.0; k],
            wi: vec![0.0; k * k],
        }
    }

    /// The weights of the last [`barycenter_weights`].
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// `C = X_nbrs − centre` in `f64`, with `centre` the point itself or (`None`) the
    /// neighbours' mean.
    fn centre<'r>(&mut self, point: Option<&[f32]>, rows: impl Fn(usize) -> &'r [f32]) {
        let (k, d) = (self.k, self.d);
        for j in 0..k {
            for (o, &v) in self.c[j * d..(j + 1) * d].iter_mut().zip(rows(j)) {
                *o = v as f64;
            }
        }
        match point {
            Some(x) => {
                for j in 0..k {
                    for (o, &v) in self.c[j * d..(j + 1) * d].iter_mut().zip(x) {
                        *o -= v as f64;
                    }
                }
            }
            None => {
                for col in 0..d {
                    let mean = (0..k).map(|j| self.c[j * d + col]).sum::<f64>() / k as f64;
                    for j in 0..k {
                        self.c[j * d + col] -= mean;
                    }
                }
            }
        }
    }

    /// `G = C Cᵀ` (both triangles, computed once per pair).
    fn gram(&mut self) {
        let (k, d) = (self.k, self.d);
        for a in 0..k {
            for b in a..k {
                let v: f64 = self.c[a * d..(a + 1) * d].iter().zip(&self.c[b * d..(b + 1) * d]).map(|(x, y)| x * y).sum();
                self.g[a * k + b] = v;
                self.g[b * k + a] = v;
            }
        }
    }

    /// Eigenpairs of `G` into `v` and `values`, descending.
    fn eigen(&mut self) {
        let k = self.k;
        symmetric_eigen_jacobi(&mut self.g, k, &mut self.values, &mut self.v_raw);
        for (j, o) in self.order.iter_mut().enumerate() {
            *o = j;
        }
        let values = &self.values;
        self.order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        for (new, &old) in self.order.iter().enumerate() {
            self.w2[new] = self.values[old];
            for r in 0..k {
                self.v[r * k + new] = self.v_raw[r * k + old];
            }
        }
        self.values.copy_from_slice(&self.w2);
    }
}

/// Why a local fit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalError {
    /// The regularised Gram matrix is not positive definite (`reg = 0` with a singular
    /// neighbourhood).
    Singular,
}

/// Barycenter weights of `point` on its `k` neighbours (`rows(j)`), into
/// [`LocalScratch::weights`] (see the [module docs](self)).
///
/// # Errors
/// [`LocalError::Singular`] when `G + R I` is not positive definite.
pub fn barycenter_weights<'r>(s: &mut LocalScratch, point: &[f32], rows: impl Fn(usize) -> &'r [f32], reg: f64) -> Result<(), LocalError> {
    let k = s.k;
    s.centre(Some(point), rows);
    s.gram();
    let trace: f64 = (0..k).map(|j| s.g[j * k + j]).sum();
    let r = if trace > 0.0 { reg * trace } else { reg };
    for j in 0..k {
        s.g[j * k + j] += r;
    }
    // Cholesky G = L Lᵀ in place (lower triangle), then L Lᵀ w = 1.
    let g = &mut s.g;
    for j in 0..k {
        let mut diag = g[j * k + j];
        for l in 0..j {
            diag -= g[j * k + l] * g[j * k + l];
        }
        if !(diag > 0.0 && diag.is_finite()) {
            return Err(LocalError::Singular);
        }
        let diag = diag.sqrt();
        g[j * k + j] = diag;
        for i in j + 1..k {
            let mut v = g[i * k + j];
            for l in 0..j {
                v -= g[i * k + l] * g[j * k + l];
            }
            g[i * k + j] = v / diag;
        }
    }
    let w = &mut s.w;
    for i in 0..k {
        let mut v = 1.0;
        for l in 0..i {
            v -= g[i * k + l] * w[l];
        }
        w[i] = v / g[i * k + i];
    }
    for i in (0..k).rev() {
        let mut v = w[i];
        for l in i + 1..k {
            v -= g[l * k + i] * w[l];
        }
        w[i] = v / g[i * k + i];
    }
    let sum: f64 = w.iter().sum();
    w.iter_mut().for_each(|v| *v /= sum);
    if w.iter().any(|v| !v.is_finite()) {
        return Err(LocalError::Singular);
    }
    Ok(())
}

/// Standard LLE's block on `{i} ∪ nbrs` (`(k + 1)²` values): `r rᵀ`, `r = (1, −w)`.
///
/// # Errors
/// As [`barycenter_weights`].
pub fn standard_block<'r>(s: &mut LocalScratch, point: &[f32], rows: impl Fn(usize) -> &'r [f32], reg: f64, block: &mut [f64]) -> Result<(), LocalError> {
    barycenter_weights(s, point, rows, reg)?;
    let n = s.k + 1;
    let r = |a: usize| if a == 0 { 1.0 } else { -s.w[a - 1] };
    for a in 0..n {
        for b in a..n {
            let v = r(a) * r(b);
            block[a * n + b] = v;
            block[b * n + a] = v;
        }
    }
    Ok(())
}

/// The top `p` left singular vectors of the mean-centred neighbourhood, as the first `p`
/// columns of `s.v`.
fn centred_tangent<'r>(s: &mut LocalScratch, rows: impl Fn(usize) -> &'r [f32]) {
    s.centre(None, rows);
    s.gram();
    s.eigen();
}

/// Hessian eigenmapping's block on `nbrs` (`k²` values).
pub fn hessian_block<'r>(s: &mut LocalScratch, rows: impl Fn(usize) -> &'r [f32], hessian_tol: f64, block: &mut [f64]) {
    centred_tangent(s, rows);
    let (k, p) = (s.k, s.p);
    let cols = 1 + p + p * (p + 1) / 2;
    for r in 0..k {
        let y = &mut s.y[r * cols..(r + 1) * cols];
        y[0] = 1.0;
        for a in 0..p {
            y[1 + a] = s.v[r * k + a];
        }
        let mut at = 1 + p;
        for a in 0..p {
            for b in a..p {
                y[at] = s.v[r * k + a] * s.v[r * k + b];
                at += 1;
            }
        }
    }
    householder_full_q(&mut s.y, k, cols, &mut s.q, &mut s.hv);
    // w = Q[:, p+1:], each column divided by its sum unless that is below hessian_tol.
    let first = p + 1;
    for c in first..k {
        let sum: f64 = (0..k).map(|r| s.q[r * k + c]).sum();
        let scale = if sum.abs() < hessian_tol { 1.0 } else { sum };
        for r in 0..k {
            s.q[r * k + c] /= scale;
        }
    }
    for a in 0..k {
        for b in a..k {
            let v: f64 = (first..k).map(|c| s.q[a * k + c] * s.q[b * k + c]).sum();
            block[a * k + b] = v;
            block[b * k + a] = v;
        }
    }
}

/// LTSA's block on `nbrs` (`k²` values): `I − G Gᵀ`, `G = [1/√k | top p tangent vectors]`.
///
/// The centred Gram matrix has `1` in its null space; `(tr G) 11ᵀ / k` is subtracted from it
/// so that `1` goes to the bottom of the spectrum and the tangent vectors stay orthogonal to it
/// even when the neighbourhood spans fewer than `p` directions (duplicate rows), which keeps
/// the block positive semi-definite (the other eigenvectors are unchanged).
pub fn ltsa_block<'r>(s: &mut LocalScratch, rows: impl Fn(usize) -> &'r [f32], block: &mut [f64]) {
    s.centre(None, rows);
    s.gram();
    let k = s.k;
    let trace: f64 = (0..k).map(|j| s.g[j * k + j]).sum();
    let shift = if trace > 0.0 { trace / k as f64 } else { 1.0 / k as f64 };
    s.g.iter_mut().for_each(|v| *v -= shift);
    s.eigen();
    let p = s.p;
    let inv_k = 1.0 / k as f64;
    for a in 0..k {
        for b in a..k {
            let gg: f64 = inv_k + (0..p).map(|c| s.v[a * k + c] * s.v[b * k + c]).sum::<f64>();
            let v = if a == b { 1.0 - gg } else { -gg };
            block[a * k + b] = v;
            block[b * k + a] = v;
        }
    }
}

/// Modified LLE, first pass: the local eigenvalues of point `i` (`nev = min(d, k)` of them,
/// descending) into `values`, and `ρ_i = Σ λ[p:] / Σ λ[:p]`.
pub fn modified_spread<'r>(s: &mut LocalScratch, point: &[f32], rows: impl Fn(usize) -> &'r [f32], values: &mut [f64]) -> f64 {
    s.centre(Some(point), rows);
    s.gram();
    s.eigen();
    let nev = values.len();
    values.copy_from_slice(&s.values[..nev]);
    let p = s.p.min(nev);
    let head: f64 = values[..p].iter().sum();
    let tail: f64 = values[p..].iter().sum();
    tail / head
}

/// Modified LLE's block on `{i} ∪ nbrs` (`(k + 1)²` values) for the median ratio `eta`
/// (`nev = min(d, k)` local eigenvalues). Returns `s_i`, the number of weight vectors.
pub fn modified_block<'r>(
    s: &mut LocalScratch,
    point: &[f32],
    rows: impl Fn(usize) -> &'r [f32],
    nev: usize,
    eta: f64,
    modified_tol: f64,
    block: &mut [f64],
) -> usize {
    s.centre(Some(point), rows);
    s.gram();
    s.eigen();
    let k = s.k;
    // Regularised weights: V (Vᵀ1 / (λ + reg)), reg = 1e-3 Σλ (λ = 0 beyond nev).
    let reg = 1e-3 * s.values[..nev].iter().sum::<f64>();
    for c in 0..k {
        let vt1: f64 = (0..k).map(|r| s.v[r * k + c]).sum();
        s.w2[c] = if c < nev { vt1 / (s.values[c] + reg) } else { vt1 / reg };
    }
    for r in 0..k {
        s.w[r] = (0..k).map(|c| s.v[r * k + c] * s.w2[c]).sum();
    }
    let sum: f64 = s.w.iter().sum();
    s.w.iter_mut().for_each(|v| *v /= sum);
    // s_i: how many of the ratios Σλ / Σλ[:j] − 1 (j = 1 … nev−1) are below η, plus the
    // k − nev null directions (NumPy's searchsorted on the reversed, ascending ratios).
    let total: f64 = s.values[..nev].iter().sum();
    let mut cumsum = 0.0;
    let mut below = 0;
    for j in 0..nev.saturating_sub(1) {
        cumsum += s.values[j];
        if total / cumsum - 1.0 < eta {
            below += 1;
        }
    }
    let si = (below + k - nev).clamp(1, k);
    let first = k - si;
    // α = ‖V_iᵀ 1‖ / √s_i; h = α 1 − V_iᵀ 1, normalised (or 0 below modified_tol).
    for c in 0..si {
        s.hv[c] = (0..k).map(|r| s.v[r * k + first + c]).sum();
    }
    let alpha = s.hv[..si].iter().map(|v| v * v).sum::<f64>().sqrt() / (si as f64).sqrt();
    for c in 0..si {
        s.hv[c] = alpha - s.hv[c];
    }
    let norm_h = s.hv[..si].iter().map(|v| v * v).sum::<f64>().sqrt();
    for c in 0..si {
        s.hv[c] = if norm_h < modified_tol { 0.0 } else { s.hv[c] / norm_h };
    }
    // W_i = V_i − 2 (V_i h) hᵀ + (1 − α) w_reg 1ᵀ (k × s_i, stored with stride k).
    for r in 0..k {
        let vh: f64 = (0..si).map(|c| s.v[r * k + first + c] * s.hv[c]).sum();
        for c in 0..si {
            s.wi[r * k + c] = s.v[r * k + first + c] - 2.0 * vh * s.hv[c] + (1.0 - alpha) * s.w[r];
        }
    }
    let n = k + 1;
    block[0] = si as f64;
    for a in 0..k {
        let row_sum: f64 = (0..si).map(|c| s.wi[a * k + c]).sum();
        block[1 + a] = -row_sum;
        block[(1 + a) * n] = -row_sum;
        for b in a..k {
            let v: f64 = (0..si).map(|c| s.wi[a * k + c] * s.wi[b * k + c]).sum();
            block[(1 + a) * n + 1 + b] = v;
            block[(1 + b) * n + 1 + a] = v;
        }
    }
    si
}

/// The full `m × m` orthogonal factor `Q` of the Householder QR of the row-major `m × cols`
/// matrix `a` (destroyed), with LAPACK's conventions (`dgeqrf` + `dorgqr`: `β = −sign(α) ‖x‖`,
/// `H = I − τ v vᵀ`, `v₀ = 1`), so that the columns beyond `cols` are the ones SciPy's
/// `qr(mode="full")` gives. `q` is row-major `m × m`; `v` holds `m` values of work.
pub fn householder_full_q(a: &mut [f64], m: usize, cols: usize, q: &mut [f64], v: &mut [f64]) {
    let r = cols.min(m);
    // Factor: reflector j stored below the diagonal of column j, τ_j on the diagonal slot's
    // spare: kept in a small fixed array (cols ≤ m ≤ k).
    let mut taus = [0.0f64; 64];
    let mut taus_heap = Vec::new();
    let tau: &mut [f64] = if r <= 64 {
        &mut taus[..r]
    } else {
        taus_heap.resize(r, 0.0);
        &mut taus_heap
    };
    for j in 0..r {
        let alpha = a[j * cols + j];
        let xnorm = (j + 1..m).map(|i| a[i * cols + j] * a[i * cols + j]).sum::<f64>().sqrt();
        if xnorm == 0.0 {
            tau[j] = 0.0;
            continue;
        }
        let beta = -alpha.signum() * alpha.hypot(xnorm);
        let beta = if alpha == 0.0 { -alpha.hypot(xnorm) } else { beta };
        tau[j] = (beta - alpha) / beta;
        let scale = 1.0 / (alpha - beta);
        for i in j + 1..m {
            a[i * cols + j] *= scale;
        }
        a[j * cols + j] = beta;
        // Apply H_j to the columns to the right.
        for c in j + 1..cols {
            let mut dot = a[j * cols + c];
            for i in j + 1..m {
                dot += a[i * cols + j] * a[i * cols + c];
            }
            let t = tau[j] * dot;
            a[j * cols + c] -= t;
            for i in j + 1..m {
                a[i * cols + c] -= t * a[i * cols + j];
            }
        }
    }
    // Q = H_0 H_1 … H_{r−1} I, applied from the last reflector.
    q.iter_mut().for_each(|x| *x = 0.0);
    for i in 0..m {
        q[i * m + i] = 1.0;
    }
    for j in (0..r).rev() {
        if tau[j] == 0.0 {
            continue;
        }
        v[j] = 1.0;
        for i in j + 1..m {
            v[i] = a[i * cols + j];
        }
        for c in j..m {
            let dot: f64 = (j..m).map(|i| v[i] * q[i * m + c]).sum();
            let t = tau[j] * dot;
            for i in j..m {
                q[i * m + c] -= t * v[i];
            }
        }
    }
}

/// Eigenpairs of the symmetric row-major `k × k` matrix `a` (destroyed) by cyclic Jacobi
/// rotations: `values[j]` with eigenvector column `j` of the row-major `vectors`, unsorted.
/// Sweeps stop when the off-diagonal mass is below `10⁻³⁰` of the total (or after 60 sweeps).
pub fn symmetric_eigen_jacobi(a: &mut [f64], k: usize, values: &mut [f64], vectors: &mut [f64]) {
    vectors.iter_mut().for_each(|x| *x = 0.0);
    for i in 0..k {
        vectors[i * k + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..60 {
        let off: f64 = (0..k).flat_map(|p| (p + 1..k).map(move |q| (p, q))).map(|(p, q)| a[p * k + q] * a[p * k + q]).sum();
        if off <= 1e-30 * total || off == 0.0 {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = a[p * k + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * k + q] - a[p * k + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let (x, y) = (a[r * k + p], a[r * k + q]);
                    a[r * k + p] = c * x - s * y;
                    a[r * k + q] = s * x + c * y;
                }
                for r in 0..k {
                    let (x, y) = (a[p * k + r], a[q * k + r]);
                    a[p * k + r] = c * x - s * y;
                    a[q * k + r] = s * x + c * y;
                }
                a[p * k + q] = 0.0;
                a[q * k + p] = 0.0;
                for r in 0..k {
                    let (x, y) = (vectors[r * k + p], vectors[r * k + q]);
                    vectors[r * k + p] = c * x - s * y;
                    vectors[r * k + q] = s * x + c * y;
                }
            }
        }
    }
    for (i, v) in values.iter_mut().enumerate() {
        *v = a[i * k + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedSource, normal_f64};
    use faer::Mat;

    fn random(n: usize, seed: u64) -> Vec<f64> {
        let s = SeedSource::new(Some(seed));
        (0..n as u64).map(|u| normal_f64(s.value(1, 2 * u), s.value(1, 2 * u + 1))).collect()
    }

    #[test]
    fn jacobi_matches_faer_eigenvalues_and_rebuilds_the_matrix() {
        for k in [1, 2, 5, 12, 20] {
            let x = random(k * 7, k as u64);
            let m = Mat::from_fn(k, k, |i, j| (0..7).map(|c| x[i * 7 + c] * x[j * 7 + c]).sum::<f64>());
            let mut a: Vec<f64> = (0..k * k).map(|at| m[(at / k, at % k)]).collect();
            let (mut values, mut vectors) = (vec![0.0; k], vec![0.0; k * k]);
            symmetric_eigen_jacobi(&mut a, k, &mut values, &mut vectors);
            let (want, _) = crate::linalg::symmetric_eigen(m.as_ref(), "test").unwrap();
            let mut got = values.clone();
            got.sort_by(|a, b| b.total_cmp(a));
            let scale = want[0].abs().max(1.0);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12 * scale, "k {k}: {g} vs {w}");
            }
            for i in 0..k {
                for j in 0..k {
                    let r: f64 = (0..k).map(|c| vectors[i * k + c] * values[c] * vectors[j * k + c]).sum();
                    assert!((r - m[(i, j)]).abs() < 1e-11 * scale, "rebuild ({i}, {j})");
                }
            }
        }
    }

    #[test]
    fn householder_q_is_orthogonal_and_spans_the_columns() {
        let (m, cols) = (9, 4);
        let a0 = random(m * cols, 3);
        let mut a = a0.clone();
        let (mut q, mut v) = (vec![0.0; m * m], vec![0.0; m]);
        householder_full_q(&mut a, m, cols, &mut q, &mut v);
        for i in 0..m {
            for j in 0..m {
                let d: f64 = (0..m).map(|r| q[r * m + i] * q[r * m + j]).sum();
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-13);
            }
        }
        // Qᵀ A is upper triangular with LAPACK's R (the stored diagonal), columns beyond cols ⟂ A.
        for c in 0..cols {
            for row in 0..m {
                let v: f64 = (0..m).map(|r| q[r * m + row] * a0[r * cols + c]).sum();
                if row > c {
                    assert!(v.abs() < 1e-12, "Qᵀa[{row}, {c}] = {v}");
                } else if row == c {
                    assert!((v - a[c * cols + c]).abs() < 1e-12);
                }
            }
        }
        // LAPACK's sign: R₀₀ = −sign(a₀₀) ‖a₀‖.
        let norm0 = (0..m).map(|r| a0[r * cols] * a0[r * cols]).sum::<f64>().sqrt();
        assert!((a[0] + a0[0].signum() * norm0).abs() < 1e-12);
    }

    #[test]
    fn barycenter_weights_reconstruct_a_point_inside_its_neighbours() {
        // A point at the centroid of three neighbours in the plane: weights 1/3 each (up to the
        // regularisation).
        let rows: [[f32; 2]; 3] = [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]];
        let mut s = LocalScratch::new(3, 2, 2);
        barycenter_weights(&mut s, &[1.0, 1.0], |j| &rows[j], 1e-9).unwrap();
        for &w in s.weights() {
            assert!((w - 1.0 / 3.0).abs() < 1e-6, "{w}");
        }
        // Two identical neighbours at the point itself: trace 0, reg = 0 leaves G singular.
        let same: [[f32; 2]; 2] = [[1.0, 1.0], [1.0, 1.0]];
        let mut s = LocalScratch::new(2, 2, 1);
        assert_eq!(barycenter_weights(&mut s, &[1.0, 1.0], |j| &same[j], 0.0), Err(LocalError::Singular));
        barycenter_weights(&mut s, &[1.0, 1.0], |j| &same[j], 1e-3).unwrap();
        assert_eq!(s.weights(), &[0.5, 0.5]);
    }
}
