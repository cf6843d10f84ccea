//! `unfold neighbors`: the k-nearest-neighbour graph of a data set.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::io::{AnyMatrix, npy_bytes_f32, npy_bytes_i64};
use unfold_learn::knn::{KnnGraph, sparse_knn_graph};
use unfold_learn::prelude::*;

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// Compute the k nearest neighbours of every row (the row itself excluded).
#[derive(Args)]
#[command(after_help = "Examples:
  unfold neighbors mnist.npy -k 15 -o knn.npy --distances knn_dist.npy --seed 42
  unfold neighbors cells.csv -k 30 --metric cosine -o knn.npy
  unfold neighbors small.npy -k 10 --exact -o exact.npy
  unfold neighbors genes.npy -k 15 --pca 50 -o knn.npy         # search in 50 principal components

Output: INDICES.npy is int64 (n × k), row i listing i's neighbours nearest first (ties by
index); DISTANCES.npy is float32 (n × k). Without --exact, data sets above 4,096 rows use
NN-descent (approximate; recall ≈ 0.99 on MNIST at k = 15).")]
pub struct NeighborsArgs {
    /// Input data: .npy, .csv/.tsv or IDX. Omit for the MNIST demo set.
    pub input: Option<PathBuf>,
    /// Neighbours per row.
    #[arg(short, default_value_t = 15)]
    pub k: usize,
    /// Distance: euclidean, sqeuclidean, cosine, correlation, manhattan, chebyshev, minkowski:P,
    /// canberra, braycurtis, hamming, jaccard, haversine, hellinger, seuclidean, mahalanobis,
    /// wminkowski:P, dice, kulsinski, rogerstanimoto, russellrao, sokalmichener, sokalsneath,
    /// yule, or precomputed (the input is a square matrix of distances).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// Exact search (all pairs) instead of NN-descent.
    #[arg(long)]
    pub exact: bool,
    /// Search in the first N principal components instead of the raw columns (euclidean-type
    /// metrics only; a common denoising step for wide data).
    #[arg(long, value_name = "N")]
    pub pca: Option<usize>,
    /// Output file for the neighbour indices (.npy, int64).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Output file for the distances (.npy, float32).
    #[arg(long)]
    pub distances: Option<PathBuf>,
    /// Seed; with a seed the result is identical at any thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: NeighborsArgs) -> Result<()> {
    let start = Instant::now();
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &args.output, Format::Npy);
    let dist_out = args.distances.as_ref().map(|p| outputs.add("--distances", p, Format::Npy));
    outputs.check()?;
    let bars = Bars::for_run(&args.run);
    let metric = crate::metric_kwds::metric(&args.metric, args.metric_kwds.as_deref())?;
    let input = Input::load_or_sparse(args.input.as_deref(), None, None)?;
    let params = KnnParams {
        k: args.k,
        metric: metric.clone(),
        algorithm: if args.exact { KnnAlgorithm::Exact } else { KnnAlgorithm::Auto },
        seed: args.seed,
        threads: args.run.threads,
        ..KnnParams::default()
    };
    let graph = match &input.matrix {
        AnyMatrix::Sparse(m) if args.pca.is_some() => {
            return Err(UsageError(format!(
                "{}: --pca centres the rows, which would make sparse input dense; reduce it first with `unfold embed --method svd`",
                m.path().display()
            ))
            .into());
        }
        AnyMatrix::Sparse(m) => sparse_knn_graph(m.data(), &params, &bars).map_err(|e| e.in_file(m.path()))?,
        _ => dense_graph(&args, &input, &params, &bars)?,
    };
    let (n, k) = (graph.n_points(), graph.k());
    let indices: Vec<i64> = graph.indices().iter().map(|&j| j as i64).collect();
    outputs.write(out, |w| w.write_all(&npy_bytes_i64(&indices, n, k)))?;
    if let Some(o) = dist_out {
        outputs.write(o, |w| w.write_all(&npy_bytes_f32(graph.distances(), n, k)))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    let exact = params.resolved_algorithm(n) == KnnAlgorithm::Exact;
    if args.run.json {
        let summary = json!({
            "task": "neighbors",
            "input": input.display_name(),
            "n": n,
            "k": k,
            "metric": metric.to_string(),
            "pca": args.pca,
            "algorithm": if exact { "exact" } else { "nndescent" },
            "seconds": seconds,
            "indices": args.output.display().to_string(),
            "distances": args.distances.as_ref().map(|p| p.display().to_string()),
        });
        println!("{summary}");
    } else {
        let algorithm = if exact { "exact" } else { "NN-descent" };
        bars.note(&format!("neighbors: {n} points, k = {k}, {metric}, {algorithm} in {seconds:.2} s → {}", args.output.display()));
    }
    Ok(())
}

/// The kNN graph of dense rows, after `--pca` if given.
fn dense_graph(args: &NeighborsArgs, input: &Input, params: &KnnParams, bars: &Bars) -> Result<KnnGraph> {
    let metric = &params.metric;
    let data = input.data()?;
    let data = match args.pca {
        None => data,
        Some(_) if !matches!(metric, Metric::Euclidean | Metric::SqEuclidean | Metric::Cosine | Metric::Correlation) => {
            return Err(UsageError(format!("--pca applies to euclidean, sqeuclidean, cosine and correlation, not {metric}")).into());
        }
        Some(dims) => {
            let ctx = unfold_learn::method::Context { seed: args.seed, threads: args.run.threads, progress: bars, ..Default::default() };
            let reduced = Pca::builder().n_components(dims).build()?.fit(&data, &ctx)?.into_embedding();
            Data::from_vec(reduced, data.n_rows(), dims)?
        }
    };
    Ok(knn_graph(&data, params, bars)?)
}
