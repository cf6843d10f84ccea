//! Validated construction of any model from its parameters (what the front ends call).

use super::{Euclidean, Flag, Grassmann, Lorentz, Manifold, PoincareBall, Spd, SpdMetric, Sphere, Stereographic, Stiefel};
use crate::error::{Error, Result};
use std::sync::Arc;

/// A model and its parameters, checked by [`Spec::build`].
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// `Rⁿ`.
    Euclidean {
        /// Point length.
        n: usize,
    },
    /// The unit sphere in `Rⁿ` (`n ≥ 2`).
    Sphere {
        /// Point length.
        n: usize,
    },
    /// The Poincaré ball of curvature `−c` in `Rⁿ`.
    PoincareBall {
        /// Point length.
        n: usize,
        /// Minus the curvature, `c > 0`.
        c: f64,
    },
    /// The κ-stereographic model in `Rⁿ`.
    Stereographic {
        /// Point length.
        n: usize,
        /// The curvature κ, any finite value.
        k: f64,
    },
    /// The hyperboloid with points of `n ≥ 2` values, curvature `−1/k`.
    Lorentz {
        /// Point length.
        n: usize,
        /// `k > 0`.
        k: f64,
    },
    /// `n × n` SPD matrices.
    Spd {
        /// Matrix size.
        n: usize,
        /// The metric.
        metric: SpdMetric,
    },
    /// `St(n, p)`.
    Stiefel {
        /// Rows.
        n: usize,
        /// Columns, `1 ≤ p ≤ n`.
        p: usize,
    },
    /// `Gr(n, p)`.
    Grassmann {
        /// Ambient dimension.
        n: usize,
        /// Subspace dimension, `1 ≤ p ≤ n`.
        p: usize,
    },
    /// `Fl(n; d₁, …, d_k)`.
    Flag {
        /// Ambient dimension.
        n: usize,
        /// Block sizes, each ≥ 1, summing to at most `n`.
        blocks: Vec<usize>,
    },
}

impl SpdMetric {
    /// `"affine"`/`"affine-invariant"`, `"log-euclidean"` or `"bures-wasserstein"` (underscores
    /// and case ignored).
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "affine" | "affine-invariant" | "air" => Ok(SpdMetric::AffineInvariant),
            "log-euclidean" | "logeuclidean" | "le" => Ok(SpdMetric::LogEuclidean),
            "bures-wasserstein" | "bures" | "bw" => Ok(SpdMetric::BuresWasserstein),
            _ => Err(Error::param("metric", format!("{name:?}"), "must be \"affine-invariant\", \"log-euclidean\" or \"bures-wasserstein\"")),
        }
    }
}

fn at_least(name: &'static str, v: usize, min: usize) -> Result<()> {
    if v < min { Err(Error::param(name, v, format!("must be at least {min}"))) } else { Ok(()) }
}

fn positive(name: &'static str, v: f64) -> Result<()> {
    if v > 0.0 && v.is_finite() { Ok(()) } else { Err(Error::param(name, v, "must be a positive finite number")) }
}

fn frame(n: usize, p: usize) -> Result<()> {
    at_least("n", n, 1)?;
    if p == 0 || p > n {
        return Err(Error::param("p", p, format!("must be between 1 and n ({n})")));
    }
    Ok(())
}

impl Spec {
    /// The model, after checking every parameter (errors name it and its range).
    pub fn build(&self) -> Result<Arc<dyn Manifold>> {
        Ok(match self.clone() {
            Spec::Euclidean { n } => {
                at_least("n", n, 1)?;
                Arc::new(Euclidean::new(n))
            }
            Spec::Sphere { n } => {
                at_least("n", n, 2)?;
                Arc::new(Sphere::new(n))
            }
            Spec::PoincareBall { n, c } => {
                at_least("n", n, 1)?;
                positive("c", c)?;
                Arc::new(PoincareBall::new(n, c))
            }
            Spec::Stereographic { n, k } => {
                at_least("n", n, 1)?;
                if !k.is_finite() {
                    return Err(Error::param("k", k, "must be a finite number"));
                }
                Arc::new(Stereographic::new(n, k))
            }
            Spec::Lorentz { n, k } => {
                at_least("n", n, 2)?;
                positive("k", k)?;
                Arc::new(Lorentz::new(n, k))
            }
            Spec::Spd { n, metric } => {
                at_least("n", n, 1)?;
                Arc::new(Spd::new(n, metric))
            }
            Spec::Stiefel { n, p } => {
                frame(n, p)?;
                Arc::new(Stiefel::new(n, p))
            }
            Spec::Grassmann { n, p } => {
                frame(n, p)?;
                Arc::new(Grassmann::new(n, p))
            }
            Spec::Flag { n, blocks } => {
                at_least("n", n, 1)?;
                if blocks.is_empty() || blocks.contains(&0) || blocks.iter().sum::<usize>() > n {
                    return Err(Error::param("blocks", format!("{blocks:?}"), format!("must be block sizes ≥ 1 summing to at most n ({n})")));
                }
                Arc::new(Flag::new(n, blocks))
            }
        })
    }
}
