//! UMAP's layout optimisation: stochastic gradient descent on the fuzzy graph with negative
//! sampling (McInnes, Healy & Melville 2018, §3.2; umap-learn's `optimize_layout_euclidean`).
//!
//! Each edge `(j, k)` of weight `w` is sampled every `w_max / w` epochs. A sample pulls `j` and
//! `k` together with the gradient of `log φ(d) = −log(1 + a d^{2b})`,
//! `c = −2ab d^{2(b−1)} / (1 + a d^{2b})`, and pushes `j` away from `negative_sample_rate`
//! random points per sample with `c = 2γb / ((0.001 + d²)(1 + a d^{2b}))`; each coordinate of
//! each move is clipped to ±4 and scaled by the learning rate, which decays linearly to 0. Edges
//! lighter than `w_max / n_epochs` are never sampled and are dropped first, as umap-learn does.
//!
//! **Order-independent updates.** umap-learn moves points edge by edge, so its result depends on
//! the order in which threads reach the edges (it runs on one thread when seeded). Here every
//! move of an epoch is computed from the coordinates at the start of the epoch and each point
//! sums the moves it receives itself, from its own row of the (symmetric) graph: the pull of an
//! edge counts twice, once as `(j, k)` and once as `(k, j)` with `j` as the moved other end, as in
//! umap-learn where both directions are sampled. Negative samples are a hash of
//! `(seed, epoch, edge, sample)`. The result is bit-identical at any thread count, and every
//! point's work is independent, so all cores are used.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng::{SeedSource, below, mix64};

/// Parameters of [`optimize_layout`]; `Default` = umap-learn's.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutParams {
    /// Epochs (umap-learn: 500 for ≤ 10,000 points, 200 above; see [`default_epochs`]).
    pub n_epochs: usize,
    /// Initial learning rate α₀ (1.0).
    pub learning_rate: f32,
    /// Weight γ of the repulsion (1.0).
    pub repulsion_strength: f32,
    /// Negative samples per positive sample (5).
    pub negative_sample_rate: usize,
    /// Curve parameter `a` (see `find_ab_params`).
    pub a: f32,
    /// Curve parameter `b`.
    pub b: f32,
    /// Seed of the negative samples.
    pub seed: Option<u64>,
}

impl Default for LayoutParams {
    fn default() -> Self {
        LayoutParams {
            n_epochs: 200,
            learning_rate: 1.0,
            repulsion_strength: 1.0,
            negative_sample_rate: 5,
            a: 1.576_943_4,
            b: 0.895_060_9,
            seed: None,
        }
    }
}

/// umap-learn's default number of epochs for `n` points: 500 up to 10,000 points, else 200.
pub fn default_epochs(n: usize) -> usize {
    if n <= 10_000 { 500 } else { 200 }
}

impl LayoutParams {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and its range.
    pub fn validate(&self) -> Result<()> {
        if self.n_epochs == 0 {
            return Err(Error::param("n_epochs", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::param("learning_rate", self.learning_rate, "must be a finite number > 0"));
        }
        if !(self.repulsion_strength.is_finite() && self.repulsion_strength >= 0.0) {
            return Err(Error::param("repulsion_strength", self.repulsion_strength, "must be a finite number ≥ 0"));
        }
        if !(self.a.is_finite() && self.a > 0.0) {
            return Err(Error::param("a", self.a, "must be a finite number > 0"));
        }
        if !(self.b.is_finite() && self.b > 0.0) {
            return Err(Error::param("b", self.b, "must be a finite number > 0"));
        }
        Ok(())
    }
}

/// Largest move of one coordinate in one sample.
const CLIP: f32 = 4.0;

/// Optimises `embedding` (`n × dim`, row-major) on the symmetric graph given as CSR
/// (`indptr`, `indices`, `weights`; both directions of every edge present with equal weights).
///
/// # Errors
/// [`Error::InvalidParameter`] for out-of-range parameters, [`Error::InvalidData`] when the
/// graph and the embedding disagree in size, [`Error::Cancelled`] when `progress` asks to stop.
pub fn optimize_layout(
    indptr: &[usize],
    indices: &[u32],
    weights: &[f32],
    embedding: &mut [f32],
    dim: usize,
    params: &LayoutParams,
    progress: &dyn Progress,
) -> Result<()> {
    params.validate()?;
    let n = indptr.len().saturating_sub(1);
    if dim == 0 || embedding.len() != n * dim || indices.len() != weights.len() || indptr.last() != Some(&indices.len()) {
        return Err(Error::InvalidData(format!(
            "the layout needs a CSR graph and an n × dim embedding of the same n: graph has {n} rows and {} edges, embedding {} values for dim {dim}",
            indices.len(),
            embedding.len()
        )));
    }
    let n_epochs = params.n_epochs;
    let w_max = weights.iter().copied().fold(0.0f32, f32::max);
    // Sampling period of each edge, in epochs (∞ for edges umap-learn prunes).
    let period: Vec<f64> = weights
        .iter()
        .map(|&w| if w > 0.0 && w >= w_max / n_epochs as f32 { w_max as f64 / w as f64 } else { f64::INFINITY })
        .collect();
    let neg_period: Vec<f64> = period.iter().map(|p| p / params.negative_sample_rate.max(1) as f64).collect();
    let mut next = period.clone();
    let mut next_neg = neg_period.clone();
    let seeds = SeedSource::new(params.seed);
    let (a, b, gamma) = (params.a, params.b, params.repulsion_strength);
    let mut snapshot = vec![0f32; embedding.len()];

    progress.stage("UMAP layout", n_epochs as u64);
    for epoch in 0..n_epochs {
        progress.check()?;
        let alpha = params.learning_rate * (1.0 - epoch as f32 / n_epochs as f32);
        snapshot.copy_from_slice(embedding);
        let snap = &snapshot;
        let ep = epoch as f64;
        embedding
            .par_chunks_mut(dim)
            .zip(indptr.par_windows(2))
            .enumerate()
            .with_min_len(256)
            .for_each_init(|| vec![0f32; dim], |delta, (v, (yv_out, range))| {
                let yv = &snap[v * dim..(v + 1) * dim];
                delta.fill(0.0);
                for e in range[0]..range[1] {
                    if next[e] > ep {
                        continue;
                    }
                    let k = indices[e] as usize;
                    let yk = &snap[k * dim..(k + 1) * dim];
                    let d2 = sq_dist(yv, yk);
                    if d2 > 0.0 {
                        let d2b = d2.powf(b);
                        let c = -2.0 * a * b * (d2b / d2) / (a * d2b + 1.0);
                        for ((dl, &p), &q) in delta.iter_mut().zip(yv).zip(yk) {
                            // Both directions of the edge pull `v` (see the module docs).
                            *dl += 2.0 * alpha * (c * (p - q)).clamp(-CLIP, CLIP);
                        }
                    }
                    let n_neg = ((ep - next_neg[e]) / neg_period[e]).floor().max(0.0) as u64;
                    for s in 0..n_neg {
                        let m = below(seeds.value(epoch as u64, mix64(e as u64) ^ s), n);
                        if m == v {
                            continue;
                        }
                        let ym = &snap[m * dim..(m + 1) * dim];
                        let d2 = sq_dist(yv, ym);
                        if d2 > 0.0 {
                            let c = 2.0 * gamma * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0));
                            for ((dl, &p), &q) in delta.iter_mut().zip(yv).zip(ym) {
                                *dl += alpha * (c * (p - q)).clamp(-CLIP, CLIP);
                            }
                        }
                    }
                }
                for ((out, &p), &dl) in yv_out.iter_mut().zip(yv).zip(delta.iter()) {
                    *out = p + dl;
                }
            });
        // Advance the schedules of the edges sampled this epoch.
        next.par_iter_mut().zip(next_neg.par_iter_mut()).zip(period.par_iter().zip(neg_period.par_iter())).for_each(
            |((nx, nn), (&p, &np))| {
                if *nx <= ep {
                    *nx += p;
                    let n_neg = ((ep - *nn) / np).floor().max(0.0);
                    *nn += n_neg * np;
                }
            },
        );
        progress.inc(1);
    }
    progress.finish_stage();
    Ok(())
}

#[inline]
fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Two 6-cliques joined by one weak edge, as symmetric CSR.
    fn two_cliques() -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let n = 12;
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for c in 0..2 {
            for i in 0..6 {
                for j in 0..6 {
                    if i != j {
                        rows[c * 6 + i].push(((c * 6 + j) as u32, 1.0));
                    }
                }
            }
        }
        rows[0].push((6, 0.05));
        rows[6].push((0, 0.05));
        let mut indptr = vec![0];
        let (mut indices, mut weights) = (Vec::new(), Vec::new());
        for r in rows.iter_mut() {
            r.sort_by_key(|e| e.0);
            indices.extend(r.iter().map(|e| e.0));
            weights.extend(r.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        (indptr, indices, weights)
    }

    fn start() -> Vec<f32> {
        let s = SeedSource::new(Some(5));
        (0..24).map(|i| (s.value(9, i) % 2000) as f32 / 100.0).collect()
    }

    #[test]
    fn cliques_end_up_apart() {
        let (indptr, indices, weights) = two_cliques();
        let mut y = start();
        let params = LayoutParams { n_epochs: 200, seed: Some(1), ..Default::default() };
        optimize_layout(&indptr, &indices, &weights, &mut y, 2, &params, &NoProgress).unwrap();
        let d = |i: usize, j: usize| ((y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2)).sqrt();
        let within = (1..6).map(|j| d(1, j)).fold(0.0f32, f32::max).max((7..12).map(|j| d(7, j)).fold(0.0, f32::max));
        let between = (0..6).flat_map(|i| (6..12).map(move |j| (i, j))).map(|(i, j)| d(i, j)).fold(f32::INFINITY, f32::min);
        assert!(y.iter().all(|v| v.is_finite()));
        assert!(between > within, "cliques not separated: widest clique {within}, closest pair across {between}");
    }

    #[test]
    fn seeded_layout_is_identical_across_thread_counts() {
        let (indptr, indices, weights) = two_cliques();
        let run = |threads| {
            let mut y = start();
            let params = LayoutParams { n_epochs: 50, seed: Some(3), ..Default::default() };
            crate::threads::install(Some(threads), || {
                optimize_layout(&indptr, &indices, &weights, &mut y, 2, &params, &NoProgress)
            })
            .unwrap()
            .unwrap();
            y
        };
        assert!(run(1) == run(2));
    }

    #[test]
    fn invalid_input() {
        let (indptr, indices, weights) = two_cliques();
        let mut y = start();
        let bad = LayoutParams { n_epochs: 0, ..Default::default() };
        let e = optimize_layout(&indptr, &indices, &weights, &mut y, 2, &bad, &NoProgress).unwrap_err().to_string();
        assert!(e.contains("`n_epochs`"), "{e}");
        let bad = LayoutParams { learning_rate: -1.0, ..Default::default() };
        assert!(optimize_layout(&indptr, &indices, &weights, &mut y, 2, &bad, &NoProgress).unwrap_err().to_string().contains("learning_rate"));
        let e = optimize_layout(&indptr, &indices, &weights, &mut y[..20], 2, &LayoutParams::default(), &NoProgress).unwrap_err();
        assert!(e.to_string().contains("12 rows"), "{e}");
    }
}
