//! Products of manifolds: a point is the concatenation of its factors' points.

use super::{Euclidean, Lorentz, Manifold, PoincareBall, Sphere};
use crate::error::{Error, Result};
use crate::rng::Stream;
use std::sync::Arc;

/// The product `M₁ × … × M_k`: rows are the factors' rows side by side, the metric is the sum,
/// so `d² = Σ dᵢ²`.
#[derive(Debug, Clone)]
pub struct Product {
    factors: Vec<Arc<dyn Manifold>>,
    offsets: Vec<usize>,
}

impl Product {
    /// The product of `factors` (at least one).
    pub fn new(factors: Vec<Arc<dyn Manifold>>) -> Result<Self> {
        if factors.is_empty() {
            return Err(Error::param("factors", "[]", "a product needs at least one factor"));
        }
        let mut offsets = vec![0];
        for f in &factors {
            offsets.push(offsets.last().unwrap() + f.point_len());
        }
        Ok(Product { factors, offsets })
    }

    /// The factors, in order.
    pub fn factors(&self) -> &[Arc<dyn Manifold>] {
        &self.factors
    }

    fn parts(&self) -> impl Iterator<Item = (&dyn Manifold, std::ops::Range<usize>)> {
        self.factors.iter().enumerate().map(|(i, f)| (f.as_ref(), self.offsets[i]..self.offsets[i + 1]))
    }
}

/// Parses a product signature such as `"H2xS2xE2"` (or `"H2×S2×E2"`): factors separated by
/// `x` or `×`, each a letter and the intrinsic dimension:
///
/// * `H d`: the Poincaré ball of curvature −1 in `R^d`;
/// * `L d`: the Lorentz hyperboloid (k = 1) in `R^{d+1}`;
/// * `S d`: the unit sphere in `R^{d+1}`;
/// * `E d`: Euclidean `R^d`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the factor that is not of this form.
///
/// ```
/// use unfold_learn::manifold::{Manifold, parse_signature};
/// let m = parse_signature("H2xS2xE2")?;
/// assert_eq!((m.dim(), m.point_len()), (6, 7));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn parse_signature(signature: &str) -> Result<Product> {
    let bad = |part: &str, why: &str| {
        Error::param("signature", format!("{signature:?}"), format!("factor {part:?} {why}; expected factors like H2, L2, S2 or E2 joined by 'x' or '×'"))
    };
    let mut factors: Vec<Arc<dyn Manifold>> = Vec::new();
    for part in signature.split(['x', '×']) {
        let part = part.trim();
        let mut chars = part.chars();
        let Some(kind) = chars.next() else { return Err(bad(part, "is empty")) };
        let d: usize = chars.as_str().parse().map_err(|_| bad(part, "has no dimension after its letter"))?;
        if d == 0 {
            return Err(bad(part, "has dimension 0"));
        }
        let f: Arc<dyn Manifold> = match kind.to_ascii_uppercase() {
            'H' => Arc::new(PoincareBall::new(d, 1.0)),
            'L' => Arc::new(Lorentz::new(d + 1, 1.0)),
            'S' => Arc::new(Sphere::new(d + 1)),
            'E' => Arc::new(Euclidean::new(d)),
            _ => return Err(bad(part, "has an unknown kind")),
        };
        factors.push(f);
    }
    Product::new(factors)
}

impl Manifold for Product {
    fn name(&self) -> String {
        self.factors.iter().map(|f| f.name()).collect::<Vec<_>>().join(" × ")
    }
    fn point_len(&self) -> usize {
        *self.offsets.last().unwrap()
    }
    fn dim(&self) -> usize {
        self.factors.iter().map(|f| f.dim()).sum()
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        self.parts().map(|(f, r)| f.inner(&x[r.clone()], &u[r.clone()], &v[r])).sum()
    }
    fn dist(&self, x: &[f64], y: &[f64]) -> f64 {
        self.parts().map(|(f, r)| f.dist(&x[r.clone()], &y[r]).powi(2)).sum::<f64>().sqrt()
    }
    fn exp(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.exp(&x[r.clone()], &u[r.clone()], &mut out[r]))
    }
    fn retr(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.retr(&x[r.clone()], &u[r.clone()], &mut out[r]))
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.log(&x[r.clone()], &y[r.clone()], &mut out[r]))
    }
    fn projx(&self, x: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.projx(&mut x[r]))
    }
    fn proju(&self, x: &[f64], u: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.proju(&x[r.clone()], &mut u[r]))
    }
    fn egrad_to_rgrad(&self, x: &[f64], g: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.egrad_to_rgrad(&x[r.clone()], &mut g[r]))
    }
    fn transp(&self, x: &[f64], y: &[f64], v: &[f64], out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.transp(&x[r.clone()], &y[r.clone()], &v[r.clone()], &mut out[r]))
    }
    fn transp_is_isometric(&self) -> bool {
        self.factors.iter().all(|f| f.transp_is_isometric())
    }
    fn random_point(&self, rng: &mut Stream, out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.random_point(rng, &mut out[r]))
    }
    fn random_tangent(&self, x: &[f64], rng: &mut Stream, out: &mut [f64]) {
        self.parts().for_each(|(f, r)| f.random_tangent(&x[r.clone()], rng, &mut out[r]))
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<(), String> {
        for (i, (f, r)) in self.parts().enumerate() {
            f.check_point(&x[r], tol).map_err(|e| format!("factor {i} ({}): {e}", f.name()))?;
        }
        Ok(())
    }
}
