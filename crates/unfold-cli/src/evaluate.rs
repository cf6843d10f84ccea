//! `unfold evaluate`: how well an embedding keeps the neighbourhoods of the data.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::io::read_matrix;
use unfold_learn::measure::coranking::{evaluate_curves, shepard};
use unfold_learn::measure::demap::demap;
use unfold_learn::measure::quality::evaluate;
use unfold_learn::prelude::*;

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// Measure an embedding: trustworthiness, continuity, neighbour preservation, LCMC and the
/// R_NX curve's AUC and, with labels, kNN-classifier accuracy.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold evaluate cells.npy cells.umap.npy --labels types.txt
  unfold evaluate demo unfold-demo.pca.npy --json      # the built-in MNIST demo, with its labels
  unfold evaluate cells.npy cells.umap.npy --shepard shepard.csv   # also the Shepard diagram's pairs

Above 10,000 points the measures are computed on a seeded uniform subsample (--sample, default
5,000 points; the output says so). --demap adds DEMaP (PHATE's measure: Spearman correlation of
geodesic distances on the data's kNN graph with embedded distances, on a seeded subsample of
--demap-sample points). LCMC is the local continuity meta-criterion at k (the fraction of shared
k-neighbourhoods less its value for a random embedding); R_NX AUC the area under the rescaled
co-ranking curve R_NX(K), K = 1..n-2, with weights 1/K (Lee & Verleysen; 1 for a perfect
embedding, 0 for a random one), on the same points. --shepard writes one row per sampled pair:
i, j, distance in the data, distance in the embedding. --json keys: trustworthiness,
continuity, neighbor_preservation, lcmc, qnx and rnx (at k), rnx_auc, knn_accuracy (with
labels), demap (with --demap), shepard_pearson and shepard_spearman (with --shepard), k, n,
sample, seconds.")]
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
    /// Write the Shepard diagram's data (.npy, .csv or .tsv): i, j, data distance, embedding
    /// distance for a seeded sample of pairs.
    #[arg(long, value_name = "OUT")]
    pub shepard: Option<PathBuf>,
    /// Pairs of points in the Shepard sample (all pairs when there are fewer).
    #[arg(long, default_value_t = 10_000, requires = "shepard")]
    pub shepard_pairs: usize,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let start = Instant::now();
    let bars = Bars::for_run(&args.run);
    let metric = crate::metric_kwds::metric(&args.metric, args.metric_kwds.as_deref())?;
    if args.shepard_pairs == 0 {
        return Err(UsageError("--shepard-pairs 0: must be at least 1".into()).into());
    }
    let mut outputs = Outputs::new();
    let shepard_out = args.shepard.as_ref().map(|p| outputs.add("--shepard", p, Format::Matrix));
    outputs.check()?;
    let input = Input::load(crate::input::path_or_demo(&args.input), args.labels.as_deref(), args.labels_column.as_deref())?;
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
    let curves = evaluate_curves(&x, &y, &params, &bars)?;
    let at_k = |curve: &[f64]| curve[report.k - 1];
    let demap = if args.demap {
        let metric = &params.metric;
        Some(unfold_learn::threads::install(args.run.threads, || demap(&x, &y, args.demap_neighbors, args.demap_sample, args.seed, metric, &bars))??)
    } else {
        None
    };
    let shepard = match shepard_out {
        Some(out) => {
            let metric = params.metric.clone();
            let s = unfold_learn::threads::install(args.run.threads, || shepard(&x, &y, args.shepard_pairs, args.seed, metric))??;
            let rows: Vec<f32> =
                s.pairs.iter().zip(s.data.iter().zip(&s.embedding)).flat_map(|(&(i, j), (&a, &b))| [i as f32, j as f32, a as f32, b as f32]).collect();
            outputs.write_matrix(out, &rows, s.pairs.len(), 4)?;
            Some(s)
        }
        None => None,
    };
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let mut out = serde_json::to_value(&report)?;
        out["lcmc"] = json!(at_k(&curves.lcmc));
        out["qnx"] = json!(at_k(&curves.qnx));
        out["rnx"] = json!(at_k(&curves.rnx));
        out["rnx_auc"] = json!(curves.rnx_auc);
        if let Some(s) = &shepard {
            out["shepard_pearson"] = json!(s.pearson);
            out["shepard_spearman"] = json!(s.spearman);
        }
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
    println!("  LCMC                   {:.4}", at_k(&curves.lcmc));
    println!("  R_NX AUC (log K)       {:.4}", curves.rnx_auc);
    if let Some(acc) = report.knn_accuracy {
        println!("  kNN accuracy (k = {})  {acc:.4}", args.knn_k);
    }
    if let Some(d) = demap {
        println!("  DEMaP (k = {})         {d:.4}", args.demap_neighbors);
    }
    if let (Some(s), Some(path)) = (&shepard, &args.shepard) {
        let show = |r: Option<f64>| r.map_or("undefined".to_string(), |r| format!("{r:.4}"));
        println!("  Shepard ({} pairs)      Pearson {}, Spearman {} ({})", s.pairs.len(), show(s.pearson), show(s.spearman), path.display());
    }
    Ok(())
}
