//! Reconstruction quality of an embedding of a hierarchy: mean rank and mean average precision,
//! computed as gensim's `ReconstructionEvaluation`.
//!
//! For every node `u` with edges `(u, v)` (its positives `P_u`), the distances from `u` to all
//! nodes are ranked: the rank of a positive `v` is one plus the number of non-positive nodes
//! strictly nearer to `u` than `v`. As in gensim, `u` itself counts among the non-positives (at
//! distance 0), so the best rank is 2. With the ranks `r₁ ≤ … ≤ r_k` of `P_u` sorted, the
//! average precision is `(1/k) Σᵢ i / (rᵢ + i − 1)`. `mean_rank` averages the ranks of all
//! edges, `map` the average precisions of all nodes with edges.
//!
//! Nickel & Kiela (2017) rank among the nodes not related to `u` other than `u` itself: the
//! same measures without `u` are reported beside them (`mean_rank_excluding_self`,
//! `map_excluding_self`), where a perfect reconstruction scores rank 1 and MAP 1.

use rayon::prelude::*;

use super::Relations;
use crate::error::{Error, Result};

/// Nodes per parallel task.
const NODES_PER_TASK: usize = 16;

/// Mean rank and mean average precision of a reconstruction.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Reconstruction {
    /// The mean rank of the edges' targets among their source's distances.
    pub mean_rank: f64,
    /// The mean over source nodes of the average precision.
    pub map: f64,
    /// `mean_rank` without `u` among its own negatives (the paper's definition).
    pub mean_rank_excluding_self: f64,
    /// `map` without `u` among its own negatives.
    pub map_excluding_self: f64,
}

/// The average precision of sorted ranks `r₁ ≤ … ≤ r_k`: `(1/k) Σᵢ i / (rᵢ + i − 1)`.
fn average_precision(sorted_ranks: &[u64]) -> f64 {
    sorted_ranks.iter().enumerate().map(|(i, &r)| (i + 1) as f64 / (r as f64 + i as f64)).sum::<f64>() / sorted_ranks.len() as f64
}

/// The Poincaré-ball distance `arcosh(1 + 2‖u − v‖² / ((1 − ‖u‖²)(1 − ‖v‖²)))`, gensim's formula.
#[inline]
pub fn poincare_distance(u: &[f64], v: &[f64]) -> f64 {
    let (mut uu, mut vv, mut diff) = (0.0, 0.0, 0.0);
    for (a, b) in u.iter().zip(v) {
        uu += a * a;
        vv += b * b;
        diff += (a - b) * (a - b);
    }
    (1.0 + 2.0 * diff / ((1.0 - uu) * (1.0 - vv))).max(1.0).acosh()
}

/// The mean rank and MAP of `relations` reconstructed from `embedding`, `n_nodes × dims` points
/// of the unit Poincaré ball (row `i` for node `i` of `relations`). Parallel over nodes, with
/// sums in node order: the same at any thread count.
///
/// # Errors
/// `embedding` not of `relations.n_nodes()` rows, or a point not finite or outside the unit ball.
pub fn reconstruction(embedding: &[f64], dims: usize, relations: &Relations) -> Result<Reconstruction> {
    let n = relations.n_nodes();
    if dims == 0 || embedding.len() != n * dims {
        return Err(Error::InvalidData(format!("the embedding has {} values, not {n} rows of {dims}", embedding.len())));
    }
    if let Some(i) = (0..n).find(|&i| {
        let row = &embedding[i * dims..(i + 1) * dims];
        !row.iter().all(|v| v.is_finite()) || row.iter().map(|v| v * v).sum::<f64>() >= 1.0
    }) {
        return Err(Error::InvalidData(format!("embedding row {i} is not a point of the open unit ball")));
    }
    // Per node: (sum of ranks, number of ranks, average precision), with u and without.
    let per_node: Vec<(u64, usize, f64, u64, f64)> = (0..n)
        .into_par_iter()
        .with_min_len(NODES_PER_TASK)
        .map_init(
            || (Vec::with_capacity(n), Vec::new(), Vec::new()),
            |(others, ranks, own), u| {
                let positives = relations.targets(u);
                if positives.is_empty() {
                    return (0, 0, 0.0, 0, 0.0);
                }
                let x = &embedding[u * dims..(u + 1) * dims];
                others.clear();
                let mut next = 0;
                for j in 0..n {
                    if next < positives.len() && positives[next] as usize == j {
                        next += 1;
                        continue;
                    }
                    others.push(poincare_distance(x, &embedding[j * dims..(j + 1) * dims]));
                }
                others.sort_unstable_by(f64::total_cmp);
                ranks.clear();
                own.clear();
                for &v in positives {
                    let d = poincare_distance(x, &embedding[v as usize * dims..(v as usize + 1) * dims]);
                    let rank = others.partition_point(|&o| o < d) as u64 + 1;
                    ranks.push(rank);
                    // u is at distance 0 from itself: nearer than v unless v coincides with it.
                    own.push(if d > 0.0 { rank - 1 } else { rank });
                }
                ranks.sort_unstable();
                own.sort_unstable();
                (ranks.iter().sum(), ranks.len(), average_precision(ranks), own.iter().sum(), average_precision(own))
            },
        )
        .collect();
    let (mut rank_sum, mut n_ranks, mut ap_sum, mut n_sources, mut own_sum, mut own_ap_sum) = (0u64, 0usize, 0.0, 0usize, 0u64, 0.0);
    for &(r, k, ap, own, own_ap) in &per_node {
        if k > 0 {
            rank_sum += r;
            n_ranks += k;
            ap_sum += ap;
            n_sources += 1;
            own_sum += own;
            own_ap_sum += own_ap;
        }
    }
    let (ranks, sources) = (n_ranks as f64, n_sources as f64);
    Ok(Reconstruction {
        mean_rank: rank_sum as f64 / ranks,
        map: ap_sum / sources,
        mean_rank_excluding_self: own_sum as f64 / ranks,
        map_excluding_self: own_ap_sum / sources,
    })
}
