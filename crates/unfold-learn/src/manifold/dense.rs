//! Small dense matrices for the matrix manifolds (SPD, Stiefel, Grassmann, flags).
//!
//! The matrices here are a point's own (`n × n` or `n × p`, `n` of a few tens at most) and are
//! evaluated once per row inside parallel loops, so they are written as plain row-major slices
//! with cyclic Jacobi methods: accurate to high relative precision on symmetric positive definite
//! input, deterministic, and free of a nested thread pool.

/// `a (n × k) · b (k × m)`, row-major.
pub fn matmul(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        for l in 0..k {
            let ail = a[i * k + l];
            if ail == 0.0 {
                continue;
            }
            let row = &b[l * m..(l + 1) * m];
            for (o, &bv) in out[i * m..(i + 1) * m].iter_mut().zip(row) {
                *o += ail * bv;
            }
        }
    }
    out
}

/// `aᵀ (k × n → n × k) · b (k × m)`: the product of `a`'s transpose with `b`, both `k` rows.
pub fn matmul_tn(a: &[f64], b: &[f64], k: usize, n: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for l in 0..k {
        for i in 0..n {
            let ali = a[l * n + i];
            if ali == 0.0 {
                continue;
            }
            let row = &b[l * m..(l + 1) * m];
            for (o, &bv) in out[i * m..(i + 1) * m].iter_mut().zip(row) {
                *o += ali * bv;
            }
        }
    }
    out
}

/// `a (n × k) · bᵀ (m × k → k × m)`.
pub fn matmul_nt(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            out[i * m + j] = a[i * k..(i + 1) * k].iter().zip(&b[j * k..(j + 1) * k]).map(|(x, y)| x * y).sum();
        }
    }
    out
}

/// `(a + aᵀ) / 2` of a square `n × n` matrix.
pub fn sym(a: &[f64], n: usize) -> Vec<f64> {
    let mut out = a[..n * n].to_vec();
    symmetrize(&mut out, n);
    out
}

/// The identity `n × n`.
pub fn identity(n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    identity_into(&mut out, n);
    out
}

/// Writes the identity `n × n` into `out`.
pub fn identity_into(out: &mut [f64], n: usize) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n {
        out[i * n + i] = 1.0;
    }
}

/// Eigenvalues and eigenvectors of a symmetric `n × n` matrix by the cyclic Jacobi method:
/// `a = V diag(λ) Vᵀ`, `V` row-major with the eigenvectors as columns, in no particular order.
pub fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = sym(a, n);
    let mut v = identity(n);
    jacobi(&mut m, Some(&mut v), n);
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

/// Diagonalises the symmetric `m` in place by cyclic Jacobi rotations: on return its diagonal
/// holds the eigenvalues, and `v` (when given, starting as the identity) the eigenvectors as
/// columns. Allocation-free, for the per-point loops.
pub fn jacobi(m: &mut [f64], mut v: Option<&mut [f64]>, n: usize) {
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    // Entries at most this are negligible whatever the diagonal (an indefinite or zero diagonal).
    let floor = f64::EPSILON * 1e-2 * scale;
    for sweep in 0..64 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                // An entry negligible against its diagonal pair is set to zero instead of rotated
                // (Demmel & Veselić's test, which keeps small eigenvalues accurate to high relative
                // precision); after a few sweeps against the larger of the pair, because rotations
                // re-create rounding errors of that size and would otherwise go on for ever.
                let pair = if sweep < 6 { (app * aqq).abs().sqrt() } else { app.abs().max(aqq.abs()) };
                if apq.abs() <= (f64::EPSILON * pair).max(floor) {
                    m[p * n + q] = 0.0;
                    m[q * n + p] = 0.0;
                    continue;
                }
                rotated = true;
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                if let Some(v) = v.as_deref_mut() {
                    for k in 0..n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        if !rotated {
            break;
        }
    }
}

/// The lower Cholesky factor `L` of the symmetric positive definite `a` (`a = L Lᵀ`), written to
/// `l` (upper triangle zero); `false` when a pivot is not above `min_pivot` (not numerically
/// positive definite).
pub fn cholesky(a: &[f64], n: usize, min_pivot: f64, l: &mut [f64]) -> bool {
    l.iter_mut().for_each(|v| *v = 0.0);
    for j in 0..n {
        let d = a[j * n + j] - (0..j).map(|k| l[j * n + k] * l[j * n + k]).sum::<f64>();
        if d.is_nan() || d <= min_pivot {
            return false;
        }
        let ljj = d.sqrt();
        l[j * n + j] = ljj;
        for i in j + 1..n {
            let aij = 0.5 * (a[i * n + j] + a[j * n + i]);
            l[i * n + j] = (aij - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>()) / ljj;
        }
    }
    true
}

/// `L⁻¹ A L⁻ᵀ` (symmetrised) for lower-triangular `L` and symmetric `A`, into `out`; `tmp` is
/// scratch of `n²`.
pub fn inv_congruence(l: &[f64], a: &[f64], n: usize, out: &mut [f64], tmp: &mut [f64]) {
    // tmp = L⁻¹ A by forward substitution, column by column of A.
    for c in 0..n {
        for i in 0..n {
            let s = a[i * n + c] - (0..i).map(|k| l[i * n + k] * tmp[k * n + c]).sum::<f64>();
            tmp[i * n + c] = s / l[i * n + i];
        }
    }
    // out = L⁻¹ tmpᵀ = L⁻¹ A L⁻ᵀ (A symmetric), by the same substitution on tmp's rows.
    for c in 0..n {
        for i in 0..n {
            let s = tmp[c * n + i] - (0..i).map(|k| l[i * n + k] * out[k * n + c]).sum::<f64>();
            out[i * n + c] = s / l[i * n + i];
        }
    }
    symmetrize(out, n);
}

/// `L W Lᵀ` (symmetrised) for lower-triangular `L` and symmetric `W`, into `out`; `tmp` is
/// scratch of `n²`.
pub fn congruence(l: &[f64], w: &[f64], n: usize, out: &mut [f64], tmp: &mut [f64]) {
    for i in 0..n {
        for j in 0..n {
            tmp[i * n + j] = (0..=i).map(|k| l[i * n + k] * w[k * n + j]).sum();
        }
    }
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = (0..=j).map(|k| tmp[i * n + k] * l[j * n + k]).sum();
        }
    }
    symmetrize(out, n);
}

/// `V diag(f(λ)) Vᵀ` into `out`, for eigenvalues on `m`'s diagonal after [`jacobi`]; replaces
/// that diagonal by `f(λ)`, so `f` runs once per eigenvalue.
pub fn apply_diagonal(m: &mut [f64], v: &[f64], n: usize, f: impl Fn(f64) -> f64, out: &mut [f64]) {
    for k in 0..n {
        m[k * n + k] = f(m[k * n + k]);
    }
    reconstruct(v, n, |k| m[k * n + k], out);
}

/// `(a + aᵀ) / 2` in place.
pub fn symmetrize(a: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (a[i * n + j] + a[j * n + i]);
            a[i * n + j] = s;
            a[j * n + i] = s;
        }
    }
}

/// Runs `f` with `count` zeroed scratch buffers of `len` values each: on the stack when they fit
/// in 256 values together (the point sizes of small matrix manifolds), else on the heap.
pub fn with_scratch<R>(len: usize, count: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    if len * count <= 256 {
        let mut buf = [0.0f64; 256];
        f(&mut buf[..len * count])
    } else {
        f(&mut vec![0.0; len * count])
    }
}

/// `V diag(f(λ)) Vᵀ` for an eigendecomposition from [`sym_eigen`].
pub fn sym_apply(values: &[f64], vectors: &[f64], n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    let fv: Vec<f64> = values.iter().map(|&l| f(l)).collect();
    let mut out = vec![0.0; n * n];
    reconstruct(vectors, n, |k| fv[k], &mut out);
    out
}

/// `V diag(d) Vᵀ` into `out`, the `k`-th diagonal value `d(k)`.
fn reconstruct(vectors: &[f64], n: usize, d: impl Fn(usize) -> f64, out: &mut [f64]) {
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..n).map(|k| vectors[i * n + k] * d(k) * vectors[j * n + k]).sum();
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
}

/// `f(a)` of a symmetric matrix through its eigendecomposition.
pub fn sym_fn(a: &[f64], n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    let (values, vectors) = sym_eigen(a, n);
    sym_apply(&values, &vectors, n, f)
}

/// `V ((Vᵀ s V) ∘ G) Vᵀ` with `G[i][j] = g(λᵢ, λⱼ)`: the Daleckii–Krein form of the derivatives
/// of matrix functions and of the Lyapunov solve.
pub fn sym_hadamard(values: &[f64], vectors: &[f64], n: usize, s: &[f64], g: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let mut inner = matmul(&matmul_tn(vectors, s, n, n, n), vectors, n, n, n);
    for i in 0..n {
        for j in 0..n {
            inner[i * n + j] *= g(values[i], values[j]);
        }
    }
    matmul_nt(&matmul(vectors, &inner, n, n, n), vectors, n, n, n)
}

/// The divided difference `(f(a) − f(b)) / (a − b)`, `f'(a)` when `a` and `b` (nearly) meet.
pub fn divided_difference(a: f64, b: f64, f: impl Fn(f64) -> f64, df: impl Fn(f64) -> f64) -> f64 {
    if (a - b).abs() <= 1e-10 * a.abs().max(b.abs()).max(1e-300) { df(0.5 * (a + b)) } else { (f(a) - f(b)) / (a - b) }
}

/// Thin SVD of an `n × p` matrix (`n ≥ p`) by one-sided Jacobi rotations: `a = U diag(σ) Vᵀ`,
/// `U` `n × p` with orthonormal columns (completed where singular values are zero), `σ`
/// descending, `V` `p × p`.
pub fn svd(a: &[f64], n: usize, p: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut u = a.to_vec();
    let mut v = identity(p);
    for _sweep in 0..64 {
        let mut rotated = false;
        for i in 0..p {
            for j in i + 1..p {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for k in 0..n {
                    let (x, y) = (u[k * p + i], u[k * p + j]);
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma.abs() <= 1e-15 * (alpha * beta).sqrt() || gamma == 0.0 {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for k in 0..n {
                    let (x, y) = (u[k * p + i], u[k * p + j]);
                    u[k * p + i] = c * x - s * y;
                    u[k * p + j] = s * x + c * y;
                }
                for k in 0..p {
                    let (x, y) = (v[k * p + i], v[k * p + j]);
                    v[k * p + i] = c * x - s * y;
                    v[k * p + j] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = (0..p).map(|j| (0..n).map(|k| u[k * p + j].powi(2)).sum::<f64>().sqrt()).collect();
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]));
    let largest = norms.iter().copied().fold(0.0, f64::max);
    let mut uu = vec![0.0; n * p];
    let mut vv = vec![0.0; p * p];
    let mut s = vec![0.0; p];
    let mut missing = Vec::new();
    for (new, &old) in order.iter().enumerate() {
        s[new] = norms[old];
        if norms[old] > 1e-300 && norms[old] > largest * 1e-15 {
            for k in 0..n {
                uu[k * p + new] = u[k * p + old] / norms[old];
            }
        } else {
            missing.push(new);
        }
        for k in 0..p {
            vv[k * p + new] = v[k * p + old];
        }
    }
    // Columns of U for zero singular values: complete to an orthonormal set with unit vectors.
    let mut candidate = 0;
    for &j in &missing {
        while candidate < n {
            let mut e = vec![0.0; n];
            e[candidate] = 1.0;
            candidate += 1;
            for _pass in 0..2 {
                for c in (0..p).filter(|&c| c != j) {
                    let r: f64 = (0..n).map(|k| uu[k * p + c] * e[k]).sum();
                    for k in 0..n {
                        e[k] -= r * uu[k * p + c];
                    }
                }
            }
            let norm = e.iter().map(|t| t * t).sum::<f64>().sqrt();
            if norm > 1e-6 {
                for k in 0..n {
                    uu[k * p + j] = e[k] / norm;
                }
                break;
            }
        }
    }
    (uu, s, vv)
}

/// The orthonormal factor `Q` of `a = Q R` (`n × p`, `n ≥ p`) with `R`'s diagonal positive, by
/// modified Gram–Schmidt with one re-orthogonalisation ("twice is enough").
pub fn qr_q(a: &[f64], n: usize, p: usize) -> Vec<f64> {
    let mut q = a.to_vec();
    for j in 0..p {
        for _pass in 0..2 {
            for i in 0..j {
                let r: f64 = (0..n).map(|k| q[k * p + i] * q[k * p + j]).sum();
                for k in 0..n {
                    q[k * p + j] -= r * q[k * p + i];
                }
            }
        }
        let norm: f64 = (0..n).map(|k| q[k * p + j].powi(2)).sum::<f64>().sqrt();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        for k in 0..n {
            q[k * p + j] /= norm;
        }
    }
    q
}

/// The polar factor `U Vᵀ` of `a = U Σ Vᵀ` (`n × p`): the nearest matrix with orthonormal columns.
pub fn polar(a: &[f64], n: usize, p: usize) -> Vec<f64> {
    let (u, s, v) = svd(a, n, p);
    if s.iter().any(|&x| x <= s[0] * 1e-14) {
        // Rank-deficient: the polar factor is not unique; complete by Gram–Schmidt.
        return qr_q(a, n, p);
    }
    matmul_nt(&u, &v, n, p, p)
}

/// The matrix exponential of a square `m × m` matrix: scaling and squaring with a Taylor series.
pub fn expm(a: &[f64], m: usize) -> Vec<f64> {
    let norm = (0..m).map(|i| (0..m).map(|j| a[i * m + j].abs()).sum::<f64>()).fold(0.0, f64::max);
    let squarings = if norm > 0.25 { (norm / 0.25).log2().ceil() as u32 } else { 0 };
    let scale = 0.5f64.powi(squarings as i32);
    let b: Vec<f64> = a.iter().map(|x| x * scale).collect();
    let mut out = identity(m);
    let mut term = identity(m);
    for k in 1..=24 {
        term = matmul(&term, &b, m, m, m);
        let inv = 1.0 / k as f64;
        term.iter_mut().for_each(|t| *t *= inv);
        out.iter_mut().zip(&term).for_each(|(o, t)| *o += t);
        if term.iter().map(|t| t.abs()).fold(0.0, f64::max) < 1e-18 {
            break;
        }
    }
    for _ in 0..squarings {
        out = matmul(&out, &out, m, m, m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_eigen_rebuilds_the_matrix() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, -0.2, 0.5, -0.2, 2.0];
        let (l, v) = sym_eigen(&a, 3);
        let back = sym_apply(&l, &v, 3, |x| x);
        for (x, y) in a.iter().zip(&back) {
            assert!((x - y).abs() < 1e-13);
        }
    }

    #[test]
    fn svd_rebuilds_the_matrix_and_sorts() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.5, -1.0, 0.5];
        let (u, s, v) = svd(&a, 4, 2);
        assert!(s[0] >= s[1]);
        let us: Vec<f64> = (0..8).map(|k| u[k] * s[k % 2]).collect();
        let back = matmul_nt(&us, &v, 4, 2, 2);
        for (x, y) in a.iter().zip(&back) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn expm_of_a_rotation_generator() {
        let t: f64 = 2.5;
        let e = expm(&[0.0, -t, t, 0.0], 2);
        assert!((e[0] - t.cos()).abs() < 1e-13 && (e[2] - t.sin()).abs() < 1e-13);
    }
}
