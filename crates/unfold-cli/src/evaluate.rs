//! `unfold evaluate`: how well an embedding keeps the neighbourhoods of the data.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::io::read_matrix;
use unfold_learn::measure::demap::demap;
use unfold_learn::measure::quality::evaluate;
use unfold_learn::prelude::*;

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::progress::Bars;

/// Measure an embedding: trustworthiness, continuity, neighbour preservation and, with labels,
/// kNN-classifier accuracy.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold evaluate cells.npy cells.umap.npy --labels types.txt
  unfold evaluate demo unfold-demo.pca.npy --json      # the built-in MNIST demo, with its labels

Above 10,000 points the measures are computed on a seeded uniform subsample (--sample, default
5,000 points; the output says so). --demap adds DEMaP (PHATE's measure: Spearman correlation of
geodesic distances on the data's kNN graph with embedded distances, on a seeded subsample of
--demap-sample points). --json keys: trustworthiness, continuity, neighbor_preservation,
knn_accuracy (with labels), demap (with --demap), k, n, sample, seconds.")]
pub struct EvaluateArgs {
    /// The original data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// The embedding of the same rows, in the same order.
    pub embedding: PathBuf,
    /// Labels for kNN-classifier accuracy (.npy, IDX, or one label per line, or a CSV/TSV table
    /// with --labels-column).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The column of a --labels table that holds the labels: a name in its header, or a number from 1.
    #[arg(long, value_name = "NAME", requires = "labels")]
    pub labels_column: Option<String>,
    /// Neighbourhood size for trustworthiness, continuity and neighbour preservation.
    #[arg(short, default_value_t = 15)]
    pub k: usize,
    /// Neighbours voting in the kNN classifier.
    #[arg(long, default_value_t = 10)]
    pub knn_k: usize,
    /// Points in the subsample used above 10,000 points.
    #[arg(long, default_value_t = 5000)]
    pub sample: usize,
    /// Distance in the original data (the embedding is always euclidean).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// Seed of the subsample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also compute DEMaP (geodesic distances on the data's kNN graph against embedded distances).
    #[arg(long)]
    pub demap: bool,
    /// Neighbours of DEMaP's graph.
    #[arg(long, default_value_t = 10)]
    pub demap_neighbors: usize,
    /// Points of DEMaP's seeded subsample (all points when there are fewer).
    #[arg(long, default_value_t = 2000)]
    pub demap_sample: usize,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let start = Instant::now();
    let bars = Bars::for_run(&args.run);
    let metric = crate::metric_kwds::metric(&args.metric, args.metric_kwds.as_deref())?;
    let demo = args.input.as_os_str() == "demo" && !args.input.exists();
    let input = Input::load(if demo { None } else { Some(args.input.as_path()) }, args.labels.as_deref(), args.labels_column.as_deref())?;
    let x = input.data()?;
    let emb = read_matrix(&args.embedding)?;
    let y = emb.data()?;
    if y.n_rows() != x.n_rows() {
        return Err(UsageError(format!(
            "{}: the embedding has {} rows but {} has {}; give the embedding of the same rows",
            args.embedding.display(),
            y.n_rows(),
            input.display_name(),
            x.n_rows()
        ))
        .into());
    }
    let params =
        QualityParams { k: args.k, knn_k: args.knn_k, sample: args.sample, seed: args.seed, metric, threads: args.run.threads, ..QualityParams::default() };
    let report = evaluate(&x, &y, input.labels.as_ref(), &params, &bars)?;
    let demap = if args.demap {
        let metric = &params.metric;
        Some(unfold_learn::threads::install(args.run.threads, || demap(&x, &y, args.demap_neighbors, args.demap_sample, args.seed, metric, &bars))??)
    } else {
        None
    };
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let mut out = serde_json::to_value(&report)?;
        out["seconds"] = json!(seconds);
        if report.knn_accuracy.is_none() {
            out.as_object_mut().map(|o| o.remove("knn_accuracy"));
        }
        if let Some(d) = demap {
            out["demap"] = json!(d);
        }
        println!("{out}");
        return Ok(());
    }
    let used = match report.sample {
        Some(s) => format!("on a seeded subsample of {s} of {} points (--sample, --seed)", report.n),
        None => format!("on all {} points", report.n),
    };
    println!("embedding quality at k = {}, {used}:", report.k);
    println!("  trustworthiness        {:.4}", report.trustworthiness);
    println!("  continuity             {:.4}", report.continuity);
    println!("  neighbor preservation  {:.4}", report.neighbor_preservation);
    if let Some(acc) = report.knn_accuracy {
        println!("  kNN accuracy (k = {})  {acc:.4}", args.knn_k);
    }
    if let Some(d) = demap {
        println!("  DEMaP (k = {})         {d:.4}", args.demap_neighbors);
    }
    Ok(())
}
