//! A metric ready to compare rows of a given width: the map of rows into the space where its
//! kernel measures (unit rows for cosine, `x / √V` for seuclidean, `x F` with `F Fᵀ = VI` for
//! mahalanobis, …), with whatever the map needs computed once, so that `VI` is factorised once
//! per fit. Every search and measure compares rows through it: the map once per row, then the
//! metric's kernel per pair.

use std::borrow::Cow;

use rayon::prelude::*;

use super::kernels::{Kernel, KernelVisitor};
use super::{Metric, params};
use crate::error::Result;

/// A metric and its row map for rows of `n_cols` values.
#[derive(Debug, Clone)]
pub(crate) struct PreparedMetric {
    metric: Metric,
    n_cols: usize,
    map: RowMap,
}

/// How rows are transformed before the kernel compares them.
#[derive(Debug, Clone)]
enum RowMap {
    /// Compared as they are.
    Identity,
    /// Unit-normalised, after centring on the row's mean when `centre` (correlation).
    Unit { centre: bool },
    /// `√(x / Σx)`, zero rows kept at zero.
    Hellinger,
    /// Each column times its scale: `1 / √V` (seuclidean), `w^(1/p)` (wminkowski).
    Scale(Vec<f64>),
    /// Times the factor `F` of `VI` (row-major `d × d`, rounded to `f32`).
    Factor(Vec<f32>),
}

impl PreparedMetric {
    /// `metric` (fitted: `V` and `VI` given) for rows of `n_cols` values. The only costly step
    /// is the eigendecomposition of mahalanobis's `VI`, done here once.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `VI` is not positive semi-definite;
    /// [`crate::Error::Numerical`] when its eigendecomposition fails.
    pub fn new(metric: Metric, n_cols: usize) -> Result<PreparedMetric> {
        let map = match &metric {
            Metric::Cosine => RowMap::Unit { centre: false },
            Metric::Correlation => RowMap::Unit { centre: true },
            Metric::Hellinger => RowMap::Hellinger,
            Metric::SEuclidean { v: Some(v) } => RowMap::Scale(v.iter().map(|v| 1.0 / v.sqrt()).collect()),
            Metric::WMinkowski { w: Some(w), p } => RowMap::Scale(w.iter().map(|w| w.powf(1.0 / p)).collect()),
            Metric::Mahalanobis { vi: Some(vi) } => RowMap::Factor(params::factor(vi, n_cols)?.iter().map(|&v| v as f32).collect()),
            _ => RowMap::Identity,
        };
        Ok(PreparedMetric { metric, n_cols, map })
    }

    /// The metric.
    pub fn metric(&self) -> &Metric {
        &self.metric
    }

    /// The metric, without its row map.
    pub fn into_metric(self) -> Metric {
        self.metric
    }

    /// Whether rows are compared as they are ([`PreparedMetric::rows`] borrows them).
    pub fn is_identity(&self) -> bool {
        matches!(self.map, RowMap::Identity)
    }

    /// The rows (`values`, row-major, `n_cols` wide) mapped for the kernel; borrowed unchanged
    /// when the metric compares rows as they are.
    pub fn rows<'a>(&self, values: &'a [f32]) -> Cow<'a, [f32]> {
        let d = self.n_cols;
        let map_rows = |f: &(dyn Fn(&mut [f32]) + Sync)| {
            let mut out = values.to_vec();
            out.par_chunks_mut(d).for_each(f);
            Cow::Owned(out)
        };
        match &self.map {
            RowMap::Identity => Cow::Borrowed(values),
            RowMap::Unit { centre } => map_rows(&|row| {
                if *centre {
                    let mean = row.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
                    row.iter_mut().for_each(|v| *v = (*v as f64 - mean) as f32);
                }
                let norm = row.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
                }
            }),
            RowMap::Hellinger => map_rows(&|row| {
                let total = row.iter().map(|&v| v as f64).sum::<f64>();
                if total > 0.0 {
                    row.iter_mut().for_each(|v| *v = (*v as f64 / total).max(0.0).sqrt() as f32);
                }
            }),
            RowMap::Scale(scale) => map_rows(&|row| row.iter_mut().zip(scale).for_each(|(v, s)| *v = (*v as f64 * s) as f32)),
            RowMap::Factor(f) => Cow::Owned(params::times_factor(values, d, f)),
        }
    }

    /// The distance between two rows mapped by [`PreparedMetric::rows`].
    #[inline]
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        struct One<'x>(&'x [f32], &'x [f32]);
        impl KernelVisitor for One<'_> {
            type Output = f32;
            #[inline]
            fn visit<K: Kernel>(self, k: K) -> f32 {
                k.finalize(k.reduced(self.0, self.1))
            }
        }
        self.metric.visit_kernel(One(a, b))
    }

    /// Calls `visitor` with the metric's kernel, for rows mapped by [`PreparedMetric::rows`].
    pub fn visit_kernel<V: KernelVisitor>(&self, visitor: V) -> V::Output {
        self.metric.visit_kernel(visitor)
    }
}
