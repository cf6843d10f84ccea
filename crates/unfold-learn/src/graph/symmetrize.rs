//! Symmetrisation of a directed graph `A` (a kNN graph's affinities) into an undirected one.
//!
//! With `a = A_ij` and `b = A_ji` (0 when the entry is absent), entry `(i, j)` of the result is
//!
//! * [`Symmetrization::Max`]: `max(a, b)` (scikit-learn's and Isomap's kNN graphs),
//! * [`Symmetrization::Mean`]: `(a + b) / 2`, i.e. `(A + Aᵀ) / 2` (t-SNE's joint probabilities
//!   before normalisation, diffusion maps),
//! * [`Symmetrization::FuzzyUnion`]: `a + b − a·b`, i.e. `A + Aᵀ − A∘Aᵀ` (UMAP's fuzzy set union,
//!   the probabilistic t-conorm),
//! * [`Symmetrization::FuzzyIntersection`]: `a·b`, i.e. `A∘Aᵀ` (the fuzzy set intersection),
//! * [`Symmetrization::FuzzyMix`]`(m)`: `m·(a + b − a·b) + (1 − m)·a·b`, UMAP's
//!   `set_op_mix_ratio`; `m = 1` is the union and `m = 0` the intersection, bit for bit.
//!
//! `Max` and `Mean` store every entry present in `A` or `Aᵀ` (a stored 0, such as the distance
//! between duplicate points, stays stored). The fuzzy operations drop entries that come out 0,
//! as umap-learn's `eliminate_zeros`, so the intersection keeps only mutual edges. Rows are
//! computed in parallel, each by one thread, so the result does not depend on the thread count.
//!
//! ```
//! use unfold_learn::graph::{SparseGraph, Symmetrization, symmetrize};
//! // 0 → 1 (0.5), 1 → 0 (0.5), 1 → 2 (1).
//! let a = SparseGraph::from_parts(3, vec![0, 1, 3, 3], vec![1, 0, 2], vec![0.5, 0.5, 1.0])?;
//! let union = symmetrize(&a, Symmetrization::FuzzyUnion)?;
//! assert_eq!(union.weight(0, 1), 0.75);
//! assert_eq!(union.weight(2, 1), 1.0);
//! let both = symmetrize(&a, Symmetrization::FuzzyIntersection)?;
//! assert_eq!((both.weight(0, 1), both.nnz()), (0.25, 2));
//! # Ok::<(), unfold_learn::Error>(())
//! ```

use super::csr::{SparseGraph, merge_rows};
use crate::error::{Error, Result};

/// How [`symmetrize`] combines `a = A_ij` and `b = A_ji` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Symmetrization {
    /// `max(a, b)`.
    Max,
    /// `(a + b) / 2`.
    Mean,
    /// `a + b − a·b`.
    FuzzyUnion,
    /// `a·b`.
    FuzzyIntersection,
    /// `m·(a + b − a·b) + (1 − m)·a·b` with the mix ratio `m` in `[0, 1]`.
    FuzzyMix(f32),
}

impl Symmetrization {
    /// The combined weight of `a = A_ij` and `b = A_ji`, in `f32` as umap-learn computes it.
    #[inline]
    pub fn combine(self, a: f32, b: f32) -> f32 {
        match self {
            Symmetrization::Max => a.max(b),
            Symmetrization::Mean => 0.5 * (a + b),
            Symmetrization::FuzzyUnion => a + b - a * b,
            Symmetrization::FuzzyIntersection => a * b,
            Symmetrization::FuzzyMix(m) => {
                let prod = a * b;
                m * (a + b - prod) + (1.0 - m) * prod
            }
        }
    }

    /// Whether results of 0 are left out (the fuzzy set operations).
    fn drops_zeros(self) -> bool {
        !matches!(self, Symmetrization::Max | Symmetrization::Mean)
    }
}

/// The symmetric graph combining `graph` with its transpose by `how` (see the
/// [module docs](self)). The result's rows are sorted and it equals its own transpose.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `set_op_mix_ratio` when a [`Symmetrization::FuzzyMix`]
/// ratio is outside `[0, 1]`; [`Error::InvalidData`] naming the row and column of a weight
/// above 1 for the fuzzy operations, which take memberships in `[0, 1]`.
pub fn symmetrize(graph: &SparseGraph, how: Symmetrization) -> Result<SparseGraph> {
    if let Symmetrization::FuzzyMix(m) = how
        && !(0.0..=1.0).contains(&m)
    {
        return Err(Error::param("set_op_mix_ratio", m, "must be in [0, 1]"));
    }
    if how.drops_zeros()
        && let Some(e) = graph.weights().iter().position(|&w| w > 1.0)
    {
        let i = graph.indptr().partition_point(|&p| p <= e) - 1;
        return Err(Error::InvalidData(format!(
            "the fuzzy set operations take memberships in [0, 1], but row {i}, column {} has the weight {}",
            graph.indices()[e],
            graph.weights()[e]
        )));
    }
    let transposed = graph.transpose();
    let drops = how.drops_zeros();
    Ok(SparseGraph::from_row_fn(graph.n_points(), |i| {
        merge_rows(graph.row(i), transposed.row(i))
            .map(move |(j, x, y)| (j, how.combine(x.unwrap_or(0.0), y.unwrap_or(0.0))))
            .filter(move |&(_, w)| !(drops && w == 0.0))
    }))
}
