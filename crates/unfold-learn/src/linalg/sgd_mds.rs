//! Metric MDS by minibatch stochastic gradient descent, as phate 2.0's `sgd_mds_metric` (its
//! default `mds_solver="sgd"`; the schedule after s_gd2, Zheng, Pawar & Goodman 2019).
//!
//! The dissimilarities are divided by their maximum and the start by its standard deviation.
//! Each iteration draws `p` pairs `(i, j)` uniformly (pairs with `i = j` dropped), and takes one
//! gradient step on `Σ (δ_ij − ‖y_i − y_j‖)²` over them with step `η_t = η_max e^{−λt}`,
//! `η_max = 0.001 √(n(n−1)/2 / p)`, decaying to `η_max / 100` at the last iteration. Sizes as
//! phate: `n < 1000`: 300 iterations of `n²/10` pairs; else `2 n ln n` pairs, 500 iterations
//! below 5000 points and 800 above. It stops early once the mean squared error over a batch
//! changes by less than `10⁻⁶` relatively (after iteration 50). The result is scaled back by the
//! maximum dissimilarity. That is [`SgdSchedule::phate`]; other schedules change the counts,
//! drop the early stop (which, on a batch's noisy error, can end the descent hundreds of
//! iterations early) or draw the pairs in runs along a row.
//!
//! The pairs come from the seed's streams (eight per iteration, drawn and summed in parallel,
//! the pieces' gradients added in order), so the result differs from phate's (numpy's
//! generator) but is identical at any thread count.

use rand_xoshiro::rand_core::Rng;

use rayon::prelude::*;

use crate::rng::{SeedSource, below};

const STAGE: u64 = 0x5364_6d64;
/// Pieces of each iteration's pairs, drawn and summed in parallel.
const CHUNKS: usize = 8;
/// Pairs drawn and prefetched together.
const BATCH: usize = 32;

/// How long [`sgd_mds`] runs and how it draws its pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SgdSchedule {
    /// Iterations at most.
    pub n_iter: usize,
    /// Pairs per iteration.
    pub pairs: usize,
    /// Stop once the mean squared error over an iteration's pairs changes by less than `10⁻⁶`
    /// relatively (after iteration 50), as phate.
    pub early_stop: bool,
    /// Pairs drawn together along one row: `(i, j), (i, j + 1), …, (i, j + run − 1)` (columns
    /// mod `n`) for a uniform `(i, j)`. Each pair is still uniform; a run's dissimilarities
    /// share their cache lines. 1 is phate's independent pairs.
    pub run: usize,
}

impl SgdSchedule {
    /// phate's schedule for `n` points (see the [module docs](self)).
    pub fn phate(n: usize) -> SgdSchedule {
        let nf = n as f64;
        let (n_iter, pairs) = match n {
            0..1000 => (300, n * n / 10),
            1000..5000 => (500, (nf * nf.ln() * 2.0) as usize),
            _ => (800, (nf * nf.ln() * 2.0) as usize),
        };
        SgdSchedule { n_iter, pairs, early_stop: true, run: 1 }
    }
}

/// SGD metric MDS of `d` (`n × n`, symmetric; `f64`, or `f32` for the largest matrices) from
/// `init` (`n × k` row-major), by `schedule`.
///
/// # Panics
/// If `schedule.run` is 0 or above 32.
pub fn sgd_mds<T: Copy + Into<f64> + Sync>(d: &[T], n: usize, init: &[f64], k: usize, schedule: SgdSchedule, seed: Option<u64>) -> Vec<f64> {
    let SgdSchedule { n_iter, pairs, early_stop, run } = schedule;
    assert!((1..=BATCH).contains(&run), "sgd_mds: runs of 1 to {BATCH} pairs");
    let d_max = d.iter().fold(0.0f64, |m, &v| m.max(v.into()));
    let scale = if d_max > 0.0 { 1.0 / d_max } else { 1.0 };
    let mean = init.iter().sum::<f64>() / init.len().max(1) as f64;
    let std = (init.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / init.len().max(1) as f64).sqrt();
    let mut y: Vec<f64> = init.iter().map(|v| if std > 0.0 { v / std } else { *v }).collect();
    if n < 2 || pairs == 0 {
        return y.iter().map(|v| v * d_max.max(0.0)).collect();
    }
    let total = n as f64 * (n as f64 - 1.0) / 2.0;
    let eta_max = 0.001 * (total / pairs as f64).sqrt();
    let lambda = 100f64.ln() / (n_iter.max(2) - 1) as f64;
    let seeds = SeedSource::new(seed);
    // Each iteration's pairs come in CHUNKS fixed pieces, each from its own stream into its own
    // gradient, summed in piece order: parallel, and the same at any thread count.
    let mut pieces: Vec<(Vec<f64>, f64, usize)> = (0..CHUNKS).map(|_| (vec![0f64; n * k], 0.0, 0)).collect();
    let mut grad = vec![0f64; n * k];
    let mut prev: Option<f64> = None;
    for it in 0..n_iter {
        let lr = eta_max * (-lambda * it as f64).exp();
        pieces.par_iter_mut().enumerate().for_each(|(piece, (grad, sq, count))| {
            let mut rng = seeds.stream(STAGE, (it * CHUNKS + piece) as u64);
            let mut diff = vec![0f64; k];
            grad.iter_mut().for_each(|g| *g = 0.0);
            (*sq, *count) = (0.0, 0);
            let mut batch = [(0usize, 0usize); BATCH];
            let mut left = pairs * (piece + 1) / CHUNKS - pairs * piece / CHUNKS;
            while left > 0 {
                // Draw a batch and ask for its dissimilarities before reading them: the pairs
                // land anywhere in the n × n matrix, so each read would otherwise wait on memory.
                let batch = &mut batch[..left.min(BATCH)];
                left -= batch.len();
                let mut start = (0, 0);
                for (u, pair) in batch.iter_mut().enumerate() {
                    let r = u % run;
                    if r == 0 {
                        start = (below(rng.next_u64(), n), below(rng.next_u64(), n));
                    }
                    let j = start.1 + r;
                    *pair = (start.0, if j >= n { j - n } else { j });
                    crate::prefetch::item(&d[pair.0 * n + pair.1]);
                }
                for &(i, j) in batch.iter() {
                    if i == j {
                        continue;
                    }
                    let mut dist = 0.0;
                    for ((d, a), b) in diff.iter_mut().zip(&y[i * k..(i + 1) * k]).zip(&y[j * k..(j + 1) * k]) {
                        *d = a - b;
                        dist += *d * *d;
                    }
                    let dist = dist.sqrt().max(1e-10);
                    let err = d[i * n + j].into() * scale - dist;
                    let w = -2.0 * err / dist;
                    for (c, &dc) in diff.iter().enumerate() {
                        grad[i * k + c] += w * dc;
                        grad[j * k + c] -= w * dc;
                    }
                    *sq += err * err;
                    *count += 1;
                }
            }
        });
        grad.copy_from_slice(&pieces[0].0);
        for (g, _, _) in &pieces[1..] {
            grad.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        let (sq, count) = pieces.iter().fold((0.0, 0), |(s, c), p| (s + p.1, c + p.2));
        if count == 0 {
            continue;
        }
        y.iter_mut().zip(&grad).for_each(|(v, g)| *v -= lr * g);
        let stress = sq / count as f64;
        if let Some(p) = prev
            && early_stop
            && (stress - p).abs() / (p + 1e-10) < 1e-6
            && it > 50
        {
            break;
        }
        prev = Some(stress);
    }
    if d_max > 0.0 {
        y.iter_mut().for_each(|v| *v *= d_max);
    }
    y
}

/// Epochs of [`sgd_mds_all_pairs`] (s_gd2's default `t_max`).
pub const ALL_PAIRS_EPOCHS: usize = 30;

/// Metric MDS of `d` (`n × n`, symmetric) from `init` (`n × k`, used as given) by s_gd2's
/// stochastic gradient descent (Zheng, Pawar & Goodman 2019) with unit weights: `n_epochs`
/// passes over all `n(n − 1)/2` pairs, shuffled each pass, each pair moving both its points
/// at once by `r = μ (‖Δ‖ − δ_ij) / (2‖Δ‖)` along `Δ = y_i − y_j` (`y_i −= rΔ`, `y_j += rΔ`)
/// with `μ = η_t = e^{−λt}` falling from 1 to 0.01 (s_gd2's default schedule for unit
/// weights). A pair of coinciding points is skipped.
///
/// One thread, every shuffle from the seed: the same at any thread count. Its work is
/// `n_epochs · n²/2` updates, so it is for small `n`; there it places points better than the
/// minibatch [`sgd_mds`] (which moves every point by the sum of a batch's gradients).
pub fn sgd_mds_all_pairs<T: Copy + Into<f64>>(d: &[T], n: usize, init: &[f64], k: usize, n_epochs: usize, seed: Option<u64>) -> Vec<f64> {
    let mut y = init.to_vec();
    let mut terms: Vec<(u32, u32, f64)> = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            terms.push((i as u32, j as u32, d[i * n + j].into()));
        }
    }
    if terms.is_empty() {
        return y;
    }
    let lambda = 100f64.ln() / (n_epochs.max(2) - 1) as f64;
    let seeds = SeedSource::new(seed);
    let mut diff = vec![0f64; k];
    for epoch in 0..n_epochs {
        let mut rng = seeds.stream(ALL_PAIRS_STAGE, epoch as u64);
        for t in (1..terms.len()).rev() {
            terms.swap(t, below(rng.next_u64(), t + 1));
        }
        let mu = (-lambda * epoch as f64).exp().min(1.0);
        for &(i, j, dij) in &terms {
            let (i, j) = (i as usize * k, j as usize * k);
            let mut mag = 0.0;
            for (c, dc) in diff.iter_mut().enumerate() {
                *dc = y[i + c] - y[j + c];
                mag += *dc * *dc;
            }
            let mag = mag.sqrt();
            if mag == 0.0 {
                continue;
            }
            let r = mu * (mag - dij) / (2.0 * mag);
            for (c, &dc) in diff.iter().enumerate() {
                y[i + c] -= r * dc;
                y[j + c] += r * dc;
            }
        }
    }
    y
}

const ALL_PAIRS_STAGE: u64 = 0x7367_6432;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::procrustes::procrustes;
    use crate::rng::unit_f64;

    #[test]
    fn runs_along_rows_and_single_pairs_both_recover_a_planar_configuration_at_any_thread_count() {
        // 1,200 points of the plane and their exact distances, from a start shaken by noise of
        // half the configuration's spread.
        let n = 1200;
        let seeds = SeedSource::new(Some(5));
        let truth: Vec<f64> = (0..2 * n).map(|u| 10.0 * unit_f64(seeds.value(1, u as u64))).collect();
        let mut d = vec![0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                d[i * n + j] = ((truth[2 * i] - truth[2 * j]).powi(2) + (truth[2 * i + 1] - truth[2 * j + 1]).powi(2)).sqrt() as f32;
            }
        }
        let init: Vec<f64> = truth.iter().enumerate().map(|(u, v)| v + 5.0 * (unit_f64(seeds.value(2, u as u64)) - 0.5)).collect();
        let before = procrustes(&truth, &init, n, 2).unwrap().disparity;
        for run in [1, 16] {
            let schedule = SgdSchedule { early_stop: false, run, ..SgdSchedule::phate(n) };
            let at =
                |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| sgd_mds(&d, n, &init, 2, schedule, Some(3)));
            let one = at(1);
            assert_eq!(one, at(2), "run {run}: thread count");
            let after = procrustes(&truth, &one, n, 2).unwrap().disparity;
            assert!(before > 0.1 && after < 1e-6, "run {run}: disparity {after} from {before}");
        }
    }

    #[test]
    fn all_pairs_passes_recover_a_planar_configuration_and_depend_on_the_seed_only() {
        // 300 points of the plane (3-D coordinates with a flat third one), from a start shaken
        // by noise of half the spread; s_gd2's schedule comes close to the exact distances in
        // its 30 passes (its last steps are a hundredth of its first).
        let (n, k) = (300, 3);
        let seeds = SeedSource::new(Some(8));
        let truth: Vec<f64> = (0..k * n).map(|u| if u % k == 2 { 0.0 } else { 10.0 * unit_f64(seeds.value(1, u as u64)) }).collect();
        let d: Vec<f64> = (0..n * n)
            .map(|u| {
                let (i, j) = (u / n, u % n);
                (0..k).map(|c| (truth[i * k + c] - truth[j * k + c]).powi(2)).sum::<f64>().sqrt()
            })
            .collect();
        let init: Vec<f64> = truth.iter().enumerate().map(|(u, v)| v + 5.0 * (unit_f64(seeds.value(2, u as u64)) - 0.5)).collect();
        let before = procrustes(&truth, &init, n, k).unwrap().disparity;
        let at = |threads: usize, seed| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| sgd_mds_all_pairs(&d, n, &init, k, ALL_PAIRS_EPOCHS, Some(seed)))
        };
        let one = at(1, 3);
        assert_eq!(one, at(2, 3));
        assert_ne!(one, at(1, 4), "the shuffles come from the seed");
        let after = procrustes(&truth, &one, n, k).unwrap().disparity;
        assert!(before > 0.1 && after < 1e-3, "disparity {after} from {before}");
        // Every pair's distance, not only their shape: no scale is lost.
        let worst = (0..n * n).map(|u| {
            let (i, j) = (u / n, u % n);
            ((0..k).map(|c| (one[i * k + c] - one[j * k + c]).powi(2)).sum::<f64>().sqrt() - d[u]).abs()
        });
        let worst = worst.fold(0.0, f64::max);
        assert!(worst < 0.5, "largest distance error {worst} (distances up to 14)");
    }
}
