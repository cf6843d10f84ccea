//! A [`Manifold`]'s operations on every row of row-major arrays, in parallel.
//!
//! Rows are independent, so results are identical at any thread count. Arrays of points or
//! tangent vectors hold `n · point_len` values; paired arguments must have the same number of
//! rows. Shape errors name the argument.
//!
//! ```
//! use unfold_learn::manifold::{Sphere, rows};
//! let s = Sphere::new(3);
//! let x = rows::random_points(&s, 100, 7);
//! let y = rows::random_points(&s, 100, 8);
//! let v = rows::log(&s, &x, &y)?;
//! let back = rows::exp(&s, &x, &v)?;
//! assert!(rows::dist(&s, &back, &y)?.iter().all(|d| *d < 1e-9));
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use super::Manifold;
use crate::error::{Error, Result};
use crate::rng::SeedSource;
use rayon::prelude::*;

/// Rows at a time per parallel task.
const CHUNK: usize = 256;

/// The number of rows of `a` (named `name`), or an error if its length is not a multiple of
/// the manifold's point length.
pub fn n_rows<M: Manifold + ?Sized>(m: &M, name: &str, a: &[f64]) -> Result<usize> {
    let len = m.point_len();
    if len == 0 || !a.len().is_multiple_of(len) {
        return Err(Error::InvalidData(format!("`{name}` has {} values, not a whole number of rows of {len} ({})", a.len(), m.name())));
    }
    Ok(a.len() / len)
}

fn same_rows<M: Manifold + ?Sized>(m: &M, names: [&str; 2], a: &[f64], b: &[f64]) -> Result<usize> {
    let (na, nb) = (n_rows(m, names[0], a)?, n_rows(m, names[1], b)?);
    if na != nb {
        return Err(Error::InvalidData(format!("`{}` has {na} rows but `{}` has {nb}", names[0], names[1])));
    }
    Ok(na)
}

/// `out[i] = f(i, a_i, b_i)` for scalar results.
fn scalar2<M: Manifold + ?Sized>(m: &M, a: &[f64], b: &[f64], f: impl Fn(&[f64], &[f64]) -> f64 + Sync) -> Vec<f64> {
    let len = m.point_len();
    let mut out = vec![0.0; a.len() / len];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
        for (k, v) in o.iter_mut().enumerate() {
            let i = c * CHUNK + k;
            *v = f(&a[i * len..(i + 1) * len], &b[i * len..(i + 1) * len]);
        }
    });
    out
}

/// `out_i = f(a_i, b_i)` for point-sized results.
fn vector2<M: Manifold + ?Sized>(m: &M, a: &[f64], b: &[f64], f: impl Fn(&[f64], &[f64], &mut [f64]) + Sync) -> Vec<f64> {
    let len = m.point_len();
    let mut out = vec![0.0; a.len()];
    out.par_chunks_mut(CHUNK * len).enumerate().for_each(|(c, o)| {
        for (k, row) in o.chunks_mut(len).enumerate() {
            let i = c * CHUNK + k;
            f(&a[i * len..(i + 1) * len], &b[i * len..(i + 1) * len], row);
        }
    });
    out
}

/// Geodesic distances between paired rows of `x` and `y`.
pub fn dist<M: Manifold + ?Sized>(m: &M, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "y"], x, y)?;
    let len = m.point_len();
    let mut out = vec![0.0; x.len() / len];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
        let rows = c * CHUNK * len..(c * CHUNK + o.len()) * len;
        m.dist_rows(&x[rows.clone()], &y[rows], o);
    });
    Ok(out)
}

/// `⟨u_i, v_i⟩` at `x_i`.
pub fn inner<M: Manifold + ?Sized>(m: &M, x: &[f64], u: &[f64], v: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "u"], x, u)?;
    same_rows(m, ["x", "v"], x, v)?;
    let len = m.point_len();
    let mut out = vec![0.0; x.len() / len];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| {
        for (k, val) in o.iter_mut().enumerate() {
            let r = (c * CHUNK + k) * len..(c * CHUNK + k + 1) * len;
            *val = m.inner(&x[r.clone()], &u[r.clone()], &v[r]);
        }
    });
    Ok(out)
}

/// `‖u_i‖` at `x_i`.
pub fn norm<M: Manifold + ?Sized>(m: &M, x: &[f64], u: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "u"], x, u)?;
    Ok(scalar2(m, x, u, |a, b| m.norm(a, b)))
}

/// `exp_{x_i}(u_i)`.
pub fn exp<M: Manifold + ?Sized>(m: &M, x: &[f64], u: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "u"], x, u)?;
    Ok(vector2(m, x, u, |a, b, o| m.exp(a, b, o)))
}

/// `retr_{x_i}(u_i)`.
pub fn retr<M: Manifold + ?Sized>(m: &M, x: &[f64], u: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "u"], x, u)?;
    Ok(vector2(m, x, u, |a, b, o| m.retr(a, b, o)))
}

/// `log_{x_i}(y_i)`.
pub fn log<M: Manifold + ?Sized>(m: &M, x: &[f64], y: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "y"], x, y)?;
    Ok(vector2(m, x, y, |a, b, o| m.log(a, b, o)))
}

/// Every row of `x` projected onto the manifold.
pub fn projx<M: Manifold + ?Sized>(m: &M, x: &[f64]) -> Result<Vec<f64>> {
    n_rows(m, "x", x)?;
    Ok(vector2(m, x, x, |a, _, o| {
        o.copy_from_slice(a);
        m.projx(o)
    }))
}

/// Every row of `u` projected onto the tangent space at the row of `x`.
pub fn proju<M: Manifold + ?Sized>(m: &M, x: &[f64], u: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "u"], x, u)?;
    Ok(vector2(m, x, u, |a, b, o| {
        o.copy_from_slice(b);
        m.proju(a, o)
    }))
}

/// Riemannian gradients from the Euclidean gradients `g` at `x`.
pub fn egrad_to_rgrad<M: Manifold + ?Sized>(m: &M, x: &[f64], g: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "g"], x, g)?;
    Ok(vector2(m, x, g, |a, b, o| {
        o.copy_from_slice(b);
        m.egrad_to_rgrad(a, o)
    }))
}

/// `v_i` transported from `x_i` to `y_i`.
pub fn transp<M: Manifold + ?Sized>(m: &M, x: &[f64], y: &[f64], v: &[f64]) -> Result<Vec<f64>> {
    same_rows(m, ["x", "y"], x, y)?;
    same_rows(m, ["x", "v"], x, v)?;
    let len = m.point_len();
    let mut out = vec![0.0; v.len()];
    out.par_chunks_mut(CHUNK * len).enumerate().for_each(|(c, o)| {
        for (k, row) in o.chunks_mut(len).enumerate() {
            let r = (c * CHUNK + k) * len..(c * CHUNK + k + 1) * len;
            m.transp(&x[r.clone()], &y[r.clone()], &v[r], row);
        }
    });
    Ok(out)
}

/// `n` random points; row `i` is drawn from the stream `(seed, 0, i)`, so the array does not
/// depend on the thread count and its first rows do not depend on `n`.
pub fn random_points<M: Manifold + ?Sized>(m: &M, n: usize, seed: u64) -> Vec<f64> {
    let len = m.point_len();
    let seeds = SeedSource::new(Some(seed));
    let mut out = vec![0.0; n * len];
    out.par_chunks_mut(len.max(1)).enumerate().for_each(|(i, row)| m.random_point(&mut seeds.stream(0, i as u64), row));
    out
}

/// A random tangent vector at every row of `x`, row `i` from the stream `(seed, 1, i)`.
pub fn random_tangents<M: Manifold + ?Sized>(m: &M, x: &[f64], seed: u64) -> Result<Vec<f64>> {
    n_rows(m, "x", x)?;
    let len = m.point_len();
    let seeds = SeedSource::new(Some(seed));
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(len).enumerate().for_each(|(i, row)| m.random_tangent(&x[i * len..(i + 1) * len], &mut seeds.stream(1, i as u64), row));
    Ok(out)
}

/// `Ok` if every row of `x` (named `name`) lies on the manifold within `tol`; otherwise the
/// first offending row and the constraint it violates.
pub fn check_points<M: Manifold + ?Sized>(m: &M, name: &str, x: &[f64], tol: f64) -> Result<()> {
    let n = n_rows(m, name, x)?;
    let len = m.point_len();
    let bad = (0..n).into_par_iter().find_first(|&i| m.check_point(&x[i * len..(i + 1) * len], tol).is_err());
    match bad {
        Some(i) => {
            let why = m.check_point(&x[i * len..(i + 1) * len], tol).unwrap_err();
            Err(Error::InvalidData(format!("`{name}` row {i} is not a point of {}: {why}", m.name())))
        }
        None => Ok(()),
    }
}
