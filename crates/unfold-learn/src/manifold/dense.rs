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

/// `log(A)` of a symmetric positive definite 3 × 3 matrix into `out`, without eigenvectors: the
/// eigenvalues `λ₁ ≤ λ₂ ≤ λ₃` from the characteristic cubic in trigonometric form, then the
/// polynomial interpolating `ln` at them, in Newton's form
/// `ln λ₁·I + ln[λ₁,λ₂]·(A − λ₁I) + ln[λ₁,λ₂,λ₃]·(A − λ₁I)(A − λ₂I)`. The divided differences are
/// formed stably for close arguments (`atanh` and series), so clustered eigenvalues, whose
/// trigonometric values are only accurate to `√ε` of their gap, cost no accuracy: the factors
/// they multiply are as small as the gap. A matrix within `10⁻⁵` of a multiple of `I` uses the
/// Taylor series of `ln` there. `false` when `A` is not numerically positive definite or its
/// condition number passes 100 (the caller falls back to [`jacobi`]). Several times faster than a Jacobi eigendecomposition.
pub fn sym3_log(a: &[f64], min_eigenvalue: f64, out: &mut [f64]) -> bool {
    let q = (a[0] + a[4] + a[8]) / 3.0;
    if !(q > min_eigenvalue && q.is_finite()) {
        return false;
    }
    let (a01, a02, a12) = (a[1], a[2], a[5]);
    let (d0, d1, d2) = (a[0] - q, a[4] - q, a[8] - q);
    let p = ((d0 * d0 + d1 * d1 + d2 * d2 + 2.0 * (a01 * a01 + a02 * a02 + a12 * a12)) / 6.0).sqrt();
    // D = A − qI; products of D with itself give the quadratic terms below.
    let dm = [d0, a01, a02, a01, d1, a12, a02, a12, d2];
    let sq = |m: &[f64; 9], i: usize, j: usize| (0..3).map(|k| m[i * 3 + k] * m[k * 3 + j]).sum::<f64>();
    if p <= 1e-5 * q {
        // ln(qI + D) = ln q·I + D/q − D²/(2q²) + D³/(3q³): the next term is below 1e-20 relative.
        let (c1, c2) = (1.0 / q, -0.5 / (q * q));
        let d2m: [f64; 9] = std::array::from_fn(|k| sq(&dm, k / 3, k % 3));
        let c3 = 1.0 / (3.0 * q * q * q);
        for k in 0..9 {
            let cube = (0..3).map(|l| d2m[(k / 3) * 3 + l] * dm[l * 3 + k % 3]).sum::<f64>();
            out[k] = c1 * dm[k] + c2 * d2m[k] + c3 * cube + if k % 4 == 0 { q.ln() } else { 0.0 };
        }
        return true;
    }
    let det = d0 * (d1 * d2 - a12 * a12) - a01 * (a01 * d2 - a12 * a02) + a02 * (a01 * a12 - d1 * a02);
    let r = (det / (2.0 * p * p * p)).clamp(-1.0, 1.0);
    let phi = r.acos() / 3.0;
    let l3 = q + 2.0 * p * phi.cos();
    let l1 = q + 2.0 * p * (phi + 2.0 * std::f64::consts::FRAC_PI_3).cos();
    let l2 = 3.0 * q - l1 - l3;
    // The smallest eigenvalue comes from a difference of the largest's size: past a condition
    // number of 100 its relative error would grow past 1e-14.
    if !(l1 > min_eigenvalue && l1 > 1e-2 * l3) {
        return false;
    }
    // ln[a, b] = (2/(a + b))·atanh(t)/t with t = (b − a)/(b + a).
    let dd1 = |x: f64, y: f64| {
        let t = (y - x) / (y + x);
        let t2 = t * t;
        let ratio = if t.abs() < 1e-3 { 1.0 + t2 * (1.0 / 3.0 + t2 * (0.2 + t2 / 7.0)) } else { t.atanh() / t };
        2.0 / (x + y) * ratio
    };
    let spread = l3 - l1;
    let dd2 = if spread > 1e-3 * l3 {
        (dd1(l2, l3) - dd1(l1, l2)) / spread
    } else {
        // About the mean m: ln[x₁,x₂,x₃] = Σₖ ln⁽ᵏ⁺²⁾(m)/(k+2)!·hₖ(x − m), hₖ the complete
        // homogeneous symmetric polynomials (h₁ = 0 about the mean).
        let m = (l1 + l2 + l3) / 3.0;
        let e = [l1 - m, l2 - m, l3 - m];
        let h2 = e[0] * e[0] + e[1] * e[1] + e[2] * e[2] + e[0] * e[1] + e[0] * e[2] + e[1] * e[2];
        let h3 = (0..3).flat_map(|i| (i..3).flat_map(move |j| (j..3).map(move |k| (i, j, k)))).map(|(i, j, k)| e[i] * e[j] * e[k]).sum::<f64>();
        let m2 = m * m;
        -0.5 / m2 - h2 / (4.0 * m2 * m2) + h3 / (5.0 * m2 * m2 * m)
    };
    let (c0, c1) = (l1.ln(), dd1(l1, l2));
    // (A − λ₁I)(A − λ₂I) = (D − s₁I)(D − s₂I) with sᵢ = λᵢ − q.
    let (s1, s2) = (l1 - q, l2 - q);
    for k in 0..9 {
        let (i, j) = (k / 3, k % 3);
        let diag = if i == j { 1.0 } else { 0.0 };
        let prod = sq(&dm, i, j) - (s1 + s2) * dm[k] + s1 * s2 * diag;
        out[k] = c0 * diag + c1 * (dm[k] - s1 * diag) + dd2 * prod;
    }
    true
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
    fn closed_form_log_matches_the_eigendecomposition() {
        let jacobi_log = |a: &[f64]| sym_fn(a, 3, f64::ln);
        let rot = |t: f64, u: f64| {
            let (c, s, c2, s2) = (t.cos(), t.sin(), u.cos(), u.sin());
            // A rotation about z by t, then about x by u.
            matmul(&[1.0, 0.0, 0.0, 0.0, c2, -s2, 0.0, s2, c2], &[c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0], 3, 3, 3)
        };
        let mut cases: Vec<Vec<f64>> = Vec::new();
        for (e, t, u) in [
            ([1.0, 2.0, 3.0], 0.3, 0.7),
            ([0.25, 1.0, 20.0], 1.1, -0.4),
            ([2.0, 2.0, 2.0], 0.5, 0.5),
            ([1.0, 1.0, 4.0], 0.9, 0.2),
            ([1.0, 4.0, 4.0], -0.3, 1.3),
            ([1.0, 1.0 + 1e-9, 1.0 + 2e-9], 0.4, 0.8),
            ([3.0, 3.0 + 1e-7, 5.0], 0.2, 0.1),
            ([1.0, 1.0 + 1e-4, 1.0 + 3e-4], 1.2, 0.6),
            ([1.0, 1.0 + 2e-3, 1.0 + 4e-3], 0.7, -0.9),
            ([1.02, 3.0, 100.0], 0.35, 0.45),
            ([0.3, 0.3 + 1e-6, 29.0], -0.8, 0.45),
        ] {
            let r = rot(t, u);
            let d = [e[0], 0.0, 0.0, 0.0, e[1], 0.0, 0.0, 0.0, e[2]];
            cases.push(sym(&matmul(&matmul(&r, &d, 3, 3, 3), &matmul_nt(&identity(3), &r, 3, 3, 3), 3, 3, 3), 3));
        }
        cases.push(vec![2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0]);
        cases.push(vec![4.0, 1.0, 0.5, 1.0, 3.0, -0.2, 0.5, -0.2, 2.0]);
        for a in &cases {
            let mut out = [0.0; 9];
            assert!(sym3_log(a, 1e-12, &mut out), "{a:?}");
            let want = jacobi_log(a);
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (x, y) in out.iter().zip(&want) {
                assert!((x - y).abs() < 1e-13 * scale, "{a:?}: {out:?} vs {want:?}");
            }
        }
        let mut out = [0.0; 9];
        assert!(!sym3_log(&[1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0], 1e-12, &mut out), "indefinite");
        assert!(!sym3_log(&[1e-3, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 1e-12, &mut out), "ill-conditioned");
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
