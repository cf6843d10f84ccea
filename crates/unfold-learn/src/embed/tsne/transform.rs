//! New points placed against a fitted t-SNE embedding, as openTSNE 1.0.4's
//! `TSNEEmbedding.transform` (`prepare_partial`, then an optimisation of the new points alone).
//!
//! 1. **Reference.** The fitted embedding is shifted so that its bounding box is centred on the
//!    origin (openTSNE's `Y −= (max + min) / 2`, which it does in place; here on a copy, and the
//!    shift is undone at the end), so that the FFT grid, symmetric about 0, covers it evenly.
//! 2. **Affinities.** Each new point's `⌊3 · perplexity⌋` nearest training points (at most
//!    `n_samples`), found through the fit's neighbour index, with the perplexity-calibrated
//!    conditional probabilities of [`perplexity_search`]; each row sums to 1 and is not
//!    symmetrised (openTSNE's point-wise normalisation).
//! 3. **Start.** `initialization = "median"`: the coordinate-wise median of the embedding of
//!    the nearest `min(k, ⌊3 · perplexity⌋)` training points; `"random"`: `N(0, 1e-4²)`; or
//!    given coordinates.
//! 4. **Optimisation.** `early_exaggeration_iter` (0) iterations at `early_exaggeration` (4),
//!    then `max_iter` (250) at `exaggeration` (1.5), learning rate 0.1, momentum 0.8, rows of
//!    the gradient clipped to norm 0.25 and no step clip, the gains carried between the phases
//!    ([`optimise::step`]). The gradient of new point `i`:
//!    `ρ Σ_j p_j|i u_ij (x_i − y_j) − (1/q_i) Σ_j w_ij^{(α+1)/α} (x_i − y_j)` over training points
//!    `j`, with the point's own normaliser `q_i = Σ_j w_ij` ([`Reference`]). New points do not
//!    act on one another, so each point's result is independent of the others transformed with
//!    it.
//! 5. **FFT range.** With the FFT gradient a point is kept inside the interpolation grid after
//!    each step ([`Reference::clip`]), and a point that was clipped loses its momentum.
//! 6. **Training rows.** A new row equal to a training row is placed where that row is, so
//!    that transforming the training data gives back its embedding (openTSNE optimises it
//!    afresh, to a nearby place).
//!
//! Two deliberate differences from openTSNE: the gradient method is the fit's (openTSNE's
//! `"auto"` decides again by the number of *new* points, which would make a point's result
//! depend on how many are transformed with it), and at the FFT grid's edge the clipped points'
//! momentum is reset (openTSNE 1.0.4 resets the gains of the points that were *not* clipped,
//! against its own comment).

use super::affinity::perplexity_search;
use super::optimise::{self, Optimiser, Phase};
use super::repulsion::{Gradient, Reference};
use crate::data::Data;
use crate::error::{Error, Result};
use crate::knn::search::NeighborIndex;
use crate::method::params::{ParamKind, ParamType, Value};
use crate::method::{Params, Range};
use crate::progress::Progress;
use crate::rng::{SeedSource, normal_f64};
use rayon::prelude::*;

const STAGE_RANDOM: u64 = 0x75e0_0020;

/// How new points start ([`TsneTransformParams::initialization`]).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum PartialInit {
    /// The coordinate-wise median of the nearest training points' embedding.
    #[default]
    Median,
    /// `N(0, 1e-4²)` for every coordinate.
    Random,
    /// Given coordinates, row-major `n_new × n_components`.
    Array(Vec<f64>),
}

impl ParamType for PartialInit {
    const KIND: ParamKind = ParamKind::ChoiceOrArray(&["median", "random"]);
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        const EXPECTED: &str = "must be median, random, or an array of starting coordinates of shape (n_samples, n_components)";
        match value {
            Value::Text(t) => match t.to_ascii_lowercase().as_str() {
                "median" => Ok(PartialInit::Median),
                "random" => Ok(PartialInit::Random),
                _ => Err(Error::param(name, t, EXPECTED)),
            },
            Value::Array { values, shape } if shape.len() == 2 => super::init::finite_coordinates(name, values, shape[1]).map(PartialInit::Array),
            v => Err(Error::param(name, v, EXPECTED)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                PartialInit::Median => "median",
                PartialInit::Random => "random",
                PartialInit::Array(_) => "array",
            }
            .into(),
        )
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

crate::method_params! {
    /// Parameters of t-SNE's transform: openTSNE's `transform` names and defaults (but
    /// `max_iter` for its `n_iter`).
    pub struct TsneTransformParams {
        /// Effective number of training neighbours of each new point; 3 x perplexity are searched, so at most n_samples / 3 of the fit.
        perplexity: f64 = 5.0, range = Range::above(0.0);
        /// Start of the new points: median (of the nearest training points' embedding), random (N(0, 1e-4^2)), or an array (n_new x n_components).
        initialization: PartialInit = PartialInit::Median;
        /// Nearest training points the median start is taken over (at most the 3 x perplexity searched).
        k: usize = 25, range = Range::at_least(1.0);
        /// Step size.
        learning_rate: f64 = 0.1, range = Range::above(0.0);
        /// Exaggeration of the attraction in the first phase.
        early_exaggeration: f64 = 4.0, range = Range::above(0.0);
        /// Iterations of the first phase.
        early_exaggeration_iter: usize = 0;
        /// Exaggeration of the attraction in the second phase.
        exaggeration: f64 = 1.5, range = Range::above(0.0);
        /// Iterations of the second phase (openTSNE's n_iter).
        max_iter: usize = 250, peer = "n_iter";
    }
}

/// Momentum of both phases.
const MOMENTUM: f64 = 0.8;

/// Row-wise gradient clip (openTSNE's `max_grad_norm` of `transform`).
const MAX_GRAD_NORM: f64 = 0.25;

/// What a transform needs of the fit.
pub(crate) struct Fit<'a> {
    pub embedding: &'a [f64],
    pub dim: usize,
    pub dof: f64,
    pub gradient: Gradient,
    pub index: &'a NeighborIndex,
}

/// Places the rows of `data` against the fit (see the [module docs](self)); returns their
/// coordinates, row-major `m × dim`, in `f64`.
///
/// # Errors
/// [`Error::InvalidParameter`] for a perplexity above `n_samples / 3` or below `1/3`, or an
/// initialisation array of the wrong shape; the neighbour query's errors;
/// [`Error::Cancelled`].
pub(crate) fn transform(fit: &Fit, data: &Data, p: &TsneTransformParams, seed: Option<u64>, progress: &dyn Progress) -> Result<Vec<f64>> {
    p.check_ranges()?;
    let (n, dim, m) = (fit.embedding.len() / fit.dim, fit.dim, data.n_rows());
    let kq = (3.0 * p.perplexity) as usize;
    if kq > n || kq == 0 {
        return Err(Error::param(
            "perplexity",
            p.perplexity,
            format!(
                "must be at least 1/3 and at most n_samples / 3 = {:.4} of the fit ({n} training points): each new point is calibrated over 3 x perplexity training neighbours",
                n as f64 / 3.0
            ),
        ));
    }
    if let PartialInit::Array(v) = &p.initialization
        && v.len() != m * dim
    {
        return Err(Error::param(
            "initialization",
            format!("an array of {} values", v.len()),
            format!("must have shape (n_samples, n_components) = ({m}, {dim})"),
        ));
    }
    if m == 0 {
        return Ok(Vec::new());
    }
    // 1. The reference, its bounding box centred on the origin.
    let shift: Vec<f64> = (0..dim)
        .map(|c| {
            let col = fit.embedding.iter().skip(c).step_by(dim);
            let (lo, hi) = col.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            (lo + hi) / 2.0
        })
        .collect();
    let reference: Vec<f64> = fit.embedding.iter().enumerate().map(|(i, v)| v - shift[i % dim]).collect();
    // 2. Conditional affinities to the nearest training points.
    let (idx, dist) = fit.index.query(data, kq, progress)?;
    progress.check()?;
    let duplicates: Vec<(usize, u32)> =
        (0..m).filter_map(|i| fit.index.duplicate_of(data.row(i), &idx[i * kq..(i + 1) * kq], &dist[i * kq..(i + 1) * kq]).map(|j| (i, j))).collect();
    let dist: Vec<f64> = dist.iter().map(|&d| d as f64).collect();
    let cond = perplexity_search(&dist, kq, p.perplexity);
    // 3. The start.
    let mut y = match &p.initialization {
        PartialInit::Median => median_start(&reference, dim, &idx, kq, p.k.min(kq)),
        PartialInit::Random => {
            let seeds = SeedSource::new(seed);
            (0..m * dim)
                .map(|i| super::init::INIT_STD * normal_f64(seeds.value(STAGE_RANDOM, 2 * i as u64), seeds.value(STAGE_RANDOM, 2 * i as u64 + 1)))
                .collect()
        }
        PartialInit::Array(v) => v.iter().enumerate().map(|(i, x)| x - shift[i % dim]).collect(),
    };
    // 4–5. The optimisation of the new points alone.
    let repulsion = fit.gradient.reference(&reference, dim, fit.dof);
    let mut state = Optimiser::new(m * dim);
    let mut work = Work { grad: vec![0.0; m * dim], rep: vec![0.0; m * dim], sum_q: vec![0.0; m], clipped: vec![false; m] };
    progress.stage("t-SNE transform", (p.early_exaggeration_iter + p.max_iter) as u64);
    for (n_iter, exaggeration) in [(p.early_exaggeration_iter, p.early_exaggeration), (p.max_iter, p.exaggeration)] {
        let phase = Phase {
            n_iter,
            exaggeration,
            learning_rate: p.learning_rate,
            momentum: MOMENTUM,
            max_grad_norm: Some(MAX_GRAD_NORM),
            max_step_norm: None,
            dof: fit.dof,
            offset: 0,
        };
        for _ in 0..n_iter {
            progress.check()?;
            gradient(&reference, &repulsion, &y, dim, (&idx, &cond, kq), exaggeration, fit.dof, &mut work);
            optimise::step(&mut y, dim, &work.grad, &phase, &mut state);
            repulsion.clip(&mut y, &mut work.clipped);
            state.reset_where(dim, &work.clipped);
            progress.inc(1);
        }
    }
    progress.finish_stage();
    for (i, v) in y.iter_mut().enumerate() {
        *v += shift[i % dim];
    }
    for (i, j) in duplicates {
        y[i * dim..(i + 1) * dim].copy_from_slice(&fit.embedding[j as usize * dim..(j as usize + 1) * dim]);
    }
    if let Some(at) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::Numerical { stage: "t-SNE transform", message: format!("the embedding of new row {} is not finite", at / dim) });
    }
    Ok(y)
}

struct Work {
    grad: Vec<f64>,
    rep: Vec<f64>,
    sum_q: Vec<f64>,
    clipped: Vec<bool>,
}

/// The gradient of the [module docs](self) into `work.grad`.
#[allow(clippy::too_many_arguments)]
fn gradient(reference: &[f64], repulsion: &Reference, y: &[f64], dim: usize, p: (&[u32], &[f64], usize), exaggeration: f64, dof: f64, work: &mut Work) {
    let (idx, cond, k) = p;
    repulsion.repulsion(y, &mut work.rep, &mut work.sum_q);
    let (rep, sum_q) = (&work.rep, &work.sum_q);
    work.grad.par_chunks_mut(dim).enumerate().for_each(|(i, g)| {
        let yi = &y[i * dim..(i + 1) * dim];
        let inv = 1.0 / (sum_q[i] + f64::EPSILON);
        for (o, &f) in g.iter_mut().zip(&rep[i * dim..(i + 1) * dim]) {
            *o = -f * inv;
        }
        for (&j, &pij) in idx[i * k..(i + 1) * k].iter().zip(&cond[i * k..(i + 1) * k]) {
            let yj = &reference[j as usize * dim..(j as usize + 1) * dim];
            let d2: f64 = yi.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum();
            let u = if dof != 1.0 { 1.0 / (1.0 + d2 / dof) } else { 1.0 / (1.0 + d2) };
            let f = u * pij * exaggeration;
            for ((o, a), b) in g.iter_mut().zip(yi).zip(yj) {
                *o += f * (a - b);
            }
        }
    });
}

/// Each new point at the coordinate-wise median of the embedding of its first `take`
/// neighbours (numpy's median: the mean of the two middle values for an even count).
fn median_start(reference: &[f64], dim: usize, idx: &[u32], k: usize, take: usize) -> Vec<f64> {
    let m = idx.len() / k;
    let mut y = vec![0.0; m * dim];
    y.par_chunks_mut(dim).enumerate().for_each_init(
        || Vec::with_capacity(take),
        |values, (i, row)| {
            for (c, o) in row.iter_mut().enumerate() {
                values.clear();
                values.extend(idx[i * k..i * k + take].iter().map(|&j| reference[j as usize * dim + c]));
                values.sort_by(f64::total_cmp);
                let h = take / 2;
                *o = if take % 2 == 1 { values[h] } else { (values[h - 1] + values[h]) / 2.0 };
            }
        },
    );
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_start_is_numpys_median() {
        let reference = [0.0, 10.0, 1.0, 20.0, 5.0, 0.0, 3.0, 40.0];
        // Point 0: neighbours 0, 1, 2 → medians (1, 10); point 1: neighbours 3, 2 → means.
        let y = median_start(&reference, 2, &[0, 1, 2, 3, 2, 0], 3, 3);
        assert_eq!(&y[..2], &[1.0, 10.0]);
        let y = median_start(&reference, 2, &[3, 2, 0], 3, 2);
        assert_eq!(y, vec![4.0, 20.0]);
    }
}
