//! `unfold measure hyperbolicity`: Gromov's four-point δ of the rows, a distance matrix, or the
//! kNN graph's geodesic distances.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use unfold_learn::measure::hyperbolicity::{HyperbolicityMethod, HyperbolicityParams, hyperbolicity};

use crate::input::Input;
use crate::options::RunOptions;
use crate::progress::Bars;

#[derive(Clone, Copy, ValueEnum)]
pub enum Method {
    /// Exact up to 2,000 points, sampled above.
    Auto,
    /// The exact four-point δ (pruned enumeration; up to 2,000 points).
    Exact,
    /// The largest δ of --n-samples random quadruples (a lower bound).
    Sampled,
}

/// Gromov δ-hyperbolicity: the four-point δ, max over quadruples of (S1 - S2) / 2.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold measure hyperbolicity cloud.npy                      # euclidean distances
  unfold measure hyperbolicity cloud.npy --neighbors 10 --json # kNN-graph geodesics
  unfold measure hyperbolicity big.npy --method sampled --n-samples 10000000 --seed 0
  unfold measure hyperbolicity distances.npy --precomputed

delta = max over quadruples x, y, z, w of (S1 - S2) / 2, where S1 >= S2 >= S3 are the sums
d(x,y) + d(z,w), d(x,z) + d(y,w), d(x,w) + d(y,z): 0 for a tree, k for the cycle C_4k.
The exact method also reports the base-point delta_w of one point w (delta_w <= delta <= 2 delta_w).
--json keys: delta, delta_over_diameter, diameter, method, quadruple, n_quadruples, base_point,
delta_base_point, n, seconds.")]
pub struct HyperbolicityArgs {
    /// Input data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// Exact or sampled.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: Method,
    /// Quadruples drawn by the sampled method.
    #[arg(long, default_value_t = 1_000_000)]
    pub n_samples: usize,
    /// Measure the geodesic distances of the kNN graph with this many neighbours.
    #[arg(long)]
    pub neighbors: Option<usize>,
    /// Distance between rows (as `unfold neighbors --metric`).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// The input is a square distance matrix (symmetric, zero diagonal).
    #[arg(long)]
    pub precomputed: bool,
    /// Seed of the sampled quadruples and the approximate neighbour search.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: HyperbolicityArgs) -> Result<()> {
    let start = Instant::now();
    let metric = crate::metric_kwds::metric_or_precomputed(args.precomputed, &args.metric, args.metric_kwds.as_deref())?;
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let bars = Bars::for_run(&args.run);
    let method = match args.method {
        Method::Auto => HyperbolicityMethod::Auto,
        Method::Exact => HyperbolicityMethod::Exact,
        Method::Sampled => HyperbolicityMethod::Sampled,
    };
    let params = HyperbolicityParams { metric, n_neighbors: args.neighbors, method, n_samples: args.n_samples, seed: args.seed, threads: args.run.threads };
    let h = hyperbolicity(&x, &params, &bars)?;
    let seconds = start.elapsed().as_secs_f64();
    let relative = if h.diameter > 0.0 { h.delta / h.diameter } else { 0.0 };
    if args.run.json {
        let mut out = serde_json::to_value(&h)?;
        out["delta_over_diameter"] = json!(relative);
        out["n"] = json!(x.n_rows());
        out["seconds"] = json!(seconds);
        println!("{out}");
        return Ok(());
    }
    println!(
        "Gromov delta ({}, {} points{}): {:.6} (delta / diameter {:.4})",
        h.method,
        x.n_rows(),
        if args.neighbors.is_some() { ", kNN geodesics" } else { "" },
        h.delta,
        relative
    );
    println!("  attained at points {:?}; {} quadruples scored", h.quadruple, h.n_quadruples);
    if let (Some(w), Some(dw)) = (h.base_point, h.delta_base_point) {
        println!("  base point {w}: delta_w = {dw:.6} (delta_w <= delta <= 2 delta_w)");
    }
    Ok(())
}
