//! `unfold measure curvature`: Ollivier–Ricci curvature of the kNN graph's edges, and per point;
//! with `--kind sectional`, the triangle-comparison sectional curvature per point.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use unfold_learn::io::npy_bytes_f64_vector;
use unfold_learn::measure::curvature::{RicciParams, ollivier_ricci};

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// Which curvature.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Ollivier–Ricci curvature of the edges (GraphRicciCurvature's).
    OllivierRicci,
    /// Triangle-comparison sectional curvature per point (Gu et al. 2019, Manify's).
    Sectional,
}

/// Ollivier–Ricci curvature of the kNN graph (GraphRicciCurvature's, exact transport), or with
/// `--kind sectional` the triangle-comparison sectional curvature of each point.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold measure curvature cloud.npy                            # 10 neighbours, alpha 0.5
  unfold measure curvature cloud.npy --neighbors 15 --per-point kappa.npy --json
  unfold measure curvature cloud.npy --unweighted               # hop distances
  unfold measure curvature distances.npy --precomputed
  unfold measure curvature cloud.npy --kind sectional --per-point k.npy --json

kappa(x, y) = 1 - W(m_x, m_y) / d(x, y): m_x keeps --alpha at x and spreads the rest over x's
neighbours in proportion to exp(-w^2) (uniform when those all vanish), W is the exact optimal
transport cost under the graph's shortest-path distances. A point's curvature is the mean of
its edges'. --json keys: edges, mean_edge_curvature, edge_curvature_quantiles and
per_point_quantiles ([min, 25 %, median, 75 %, max]), n, n_neighbors, alpha, seconds.

--kind sectional: xi(m; b, c; a) = (d(a,m)^2 + d(b,c)^2/4 - (d(a,b)^2 + d(a,c)^2)/2) / (2 d(a,m))
averaged over the pairs b, c of m's kNN-graph neighbours (5 by default) and over --samples
reference points a (drawn once from --seed; --exact: every point), d the kNN graph's shortest
paths or the precomputed matrix. --json keys: mean_sectional_curvature, per_point_quantiles,
n_without_pairs, n, n_neighbors, n_references, seconds.")]
pub struct CurvatureArgs {
    /// Input data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// Which curvature.
    #[arg(long, value_enum, default_value = "ollivier-ricci")]
    pub kind: Kind,
    /// Neighbours of the kNN graph (symmetrised) [default: 10; sectional: 5].
    #[arg(long)]
    pub neighbors: Option<usize>,
    /// Idleness: the mass an endpoint keeps (ollivier-ricci) [default: 0.5].
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Reference points of the sectional estimate [default: 100].
    #[arg(long)]
    pub samples: Option<usize>,
    /// Every point as a reference of the sectional estimate (no sampling).
    #[arg(long)]
    pub exact: bool,
    /// Every edge of length 1 (hop distances) instead of its metric distance.
    #[arg(long)]
    pub unweighted: bool,
    /// Write each point's curvature here (.npy, float64, shape (n,)).
    #[arg(long, value_name = "OUT.npy")]
    pub per_point: Option<PathBuf>,
    /// Distance between rows (as `unfold neighbors --metric`).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// The input is a square distance matrix (symmetric, zero diagonal).
    #[arg(long)]
    pub precomputed: bool,
    /// Seed of the approximate neighbour search (and of the sectional references).
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub(crate) fn quantiles(values: &[f64]) -> Option<[f64; 5]> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = q * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Some([at(0.0), at(0.25), at(0.5), at(0.75), at(1.0)])
}

pub fn run(args: CurvatureArgs) -> Result<()> {
    if args.kind == Kind::Sectional {
        if args.alpha.is_some() || args.unweighted {
            return Err(UsageError("--alpha and --unweighted apply to --kind ollivier-ricci only".into()).into());
        }
        return crate::measure_sectional::run(args);
    }
    if args.samples.is_some() || args.exact {
        return Err(UsageError("--samples and --exact apply to --kind sectional only".into()).into());
    }
    let neighbors = args.neighbors.unwrap_or(10);
    let alpha = args.alpha.unwrap_or(0.5);
    let start = Instant::now();
    let metric = crate::metric_kwds::metric_or_precomputed(args.precomputed, &args.metric, args.metric_kwds.as_deref())?;
    let mut outputs = Outputs::new();
    let per_point_out = args.per_point.as_ref().map(|p| outputs.add("--per-point", p, Format::Npy));
    outputs.check()?;
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let bars = Bars::for_run(&args.run);
    let params =
        RicciParams { n_neighbors: neighbors, metric, weighted: !args.unweighted, alpha, seed: args.seed, threads: args.run.threads, ..RicciParams::default() };
    let r = ollivier_ricci(&x, &params, &bars)?;
    if let Some(out) = per_point_out {
        outputs.write(out, |w| w.write_all(&npy_bytes_f64_vector(&r.node_curvature)))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    let mean = if r.edge_curvature.is_empty() { 0.0 } else { r.edge_curvature.iter().sum::<f64>() / r.edge_curvature.len() as f64 };
    if args.run.json {
        let out = json!({
            "edges": r.edges.len(),
            "mean_edge_curvature": mean,
            "edge_curvature_quantiles": quantiles(&r.edge_curvature),
            "per_point_quantiles": quantiles(&r.node_curvature),
            "per_point": args.per_point,
            "n": x.n_rows(),
            "n_neighbors": neighbors,
            "alpha": alpha,
            "seconds": seconds,
        });
        println!("{out}");
        return Ok(());
    }
    println!("Ollivier-Ricci curvature of {} edges ({} points, {} neighbours, alpha {}): mean {mean:.4}", r.edges.len(), x.n_rows(), neighbors, alpha);
    if let Some(q) = quantiles(&r.edge_curvature) {
        println!("  edges: min {:.3}, quartiles {:.3} / {:.3} / {:.3}, max {:.3}", q[0], q[1], q[2], q[3], q[4]);
    }
    Ok(())
}
