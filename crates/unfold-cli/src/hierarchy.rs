//! `unfold hierarchy`: Poincaré embeddings of a hierarchy's edges (Nickel & Kiela, 2017).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use unfold_learn::embed::poincare::{HyperbolicModel, PoincareParams, Relations, fit, read_edges, reconstruction};

use crate::input::default_output;
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::plot::{DiskSpec, disk_png};
use crate::progress::Bars;

/// Labels drawn on the --plot: the nodes of smallest depth, then smallest norm.
const PLOT_LABELS: usize = 15;

#[derive(Clone, Copy, ValueEnum)]
pub enum Model {
    /// The Poincaré ball (Nickel & Kiela, 2017).
    Poincare,
    /// The hyperboloid (Nickel & Kiela, 2018), mapped to the ball.
    Lorentz,
}

/// Embed a hierarchy in hyperbolic space: Poincaré embeddings, trained as gensim's PoincareModel.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold hierarchy mammal_closure.tsv --dims 10 -o mammals.npy --json
  unfold hierarchy isa.csv --closure --dims 2 --seed 0 -o isa.npy --plot isa.png
  unfold hierarchy isa.tsv --model lorentz --dims 5 --epochs 100

EDGES: one edge per line, child then parent (or any (u, v) relation), separated by a tab or a
comma; node names or ids; no header; '#' starts a comment line. The embedding (rows in the order
nodes first appear, points of the unit Poincaré ball) goes to -o, the node names, one per line in
row order, to --names-out (default: the -o path with .names.txt for its extension).
--json keys: n_nodes, n_edges, dims, model, epochs, burn_in, negative, seed, loss, mean_rank, map,
mean_rank_excluding_self, map_excluding_self, seconds, output, names, plot. mean_rank and map are
gensim's ReconstructionEvaluation on the training edges (a node counts among its own negatives, so
the best rank is 2); the _excluding_self pair leaves it out, as the paper does.")]
pub struct HierarchyArgs {
    /// The hierarchy's edges: a two-column .tsv/.csv (child, parent).
    pub edges: PathBuf,
    /// Dimensions of the embedding (gensim's size).
    #[arg(long, default_value_t = 2)]
    pub dims: usize,
    /// Train in the Poincaré ball or on the hyperboloid.
    #[arg(long, value_enum, default_value = "poincare")]
    pub model: Model,
    /// Add the transitive closure of the edges (every ancestor, not just the parent).
    #[arg(long)]
    pub closure: bool,
    /// Training epochs (after the burn-in).
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    /// Burn-in epochs at --burn-in-alpha.
    #[arg(long, default_value_t = 10)]
    pub burn_in: usize,
    /// Negative samples per edge.
    #[arg(long, default_value_t = 10)]
    pub negatives: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub alpha: f64,
    /// Learning rate of the burn-in.
    #[arg(long, default_value_t = 0.01)]
    pub burn_in_alpha: f64,
    /// Coefficient of the squared-norm penalty on each edge's parent (0 = none).
    #[arg(long, default_value_t = 1.0)]
    pub regularization: f64,
    /// Edges per batch.
    #[arg(long, default_value_t = 10)]
    pub batch_size: usize,
    /// Seed; with a seed the output is identical at any thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The embedding (.npy, .csv or .tsv). Default: <edges stem>.poincare.npy beside EDGES.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The node names, one per line in row order. Default: the output with .names.txt.
    #[arg(long)]
    pub names_out: Option<PathBuf>,
    /// Draw the Poincaré disk with the top levels labelled (needs --dims 2; with more dims the
    /// first two coordinates are drawn).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunOptions,
}

/// `OUT.npy` → `OUT.names.txt`.
fn names_path(output: &Path) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    output.with_file_name(format!("{stem}.names.txt"))
}

pub fn run(args: HierarchyArgs) -> Result<()> {
    let start = Instant::now();
    let output = args.output.clone().unwrap_or_else(|| default_output(Some(&args.edges), "poincare.npy"));
    let names_out = args.names_out.clone().unwrap_or_else(|| names_path(&output));
    let mut outputs = Outputs::new();
    let out_matrix = outputs.add("-o", &output, Format::Matrix);
    let out_names = outputs.add("--names-out", &names_out, Format::Text);
    let out_plot = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let params = PoincareParams {
        n_components: args.dims,
        model: match args.model {
            Model::Poincare => HyperbolicModel::Poincare,
            Model::Lorentz => HyperbolicModel::Lorentz,
        },
        negative: args.negatives,
        epochs: args.epochs,
        burn_in: args.burn_in,
        alpha: args.alpha,
        burn_in_alpha: args.burn_in_alpha,
        regularization_coeff: args.regularization,
        batch_size: args.batch_size,
        seed: args.seed,
        threads: args.run.threads,
        ..Default::default()
    };
    params.validate().map_err(rename_params)?;
    let pairs = read_edges(&args.edges)?;
    let relations = Relations::from_pairs(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())), args.closure).map_err(|e| e.in_file(&args.edges))?;
    let bars = Bars::for_run(&args.run);
    let fitted = fit(&relations, &params, &bars)?;
    let quality = reconstruction(&fitted.embedding, args.dims, &relations)?;
    let n = relations.n_nodes();
    let values: Vec<f32> = fitted.embedding.iter().map(|&v| v as f32).collect();
    outputs.write_matrix(out_matrix, &values, n, args.dims)?;
    outputs.write(out_names, |w| relations.names().iter().try_for_each(|name| writeln!(w, "{name}")))?;
    if let Some(out_plot) = out_plot {
        let depth = relations.depths();
        let labels = top_levels(&relations, &depth, &fitted.embedding, args.dims);
        let title = format!(
            "{} ({} nodes, {} edges; MAP {:.3})",
            args.edges.file_name().map(|s| s.to_string_lossy()).unwrap_or_default(),
            n,
            relations.edges().len(),
            quality.map
        );
        let png = disk_png(&DiskSpec { coords: &fitted.embedding, dims: args.dims, depth: &depth, labels: &labels, title: &title, side: 1000 })?;
        outputs.write(out_plot, |w| w.write_all(&png))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    let model = serde_json::to_value(params.model)?;
    if args.run.json {
        println!(
            "{}",
            json!({
                "n_nodes": n, "n_edges": relations.edges().len(), "dims": args.dims, "model": model,
                "epochs": args.epochs, "burn_in": args.burn_in, "negative": args.negatives, "seed": args.seed,
                "loss": fitted.losses.last(), "mean_rank": quality.mean_rank, "map": quality.map, "mean_rank_excluding_self": quality.mean_rank_excluding_self,
                "map_excluding_self": quality.map_excluding_self, "seconds": seconds,
                "output": output, "names": names_out, "plot": args.plot,
            })
        );
    } else {
        println!(
            "{} nodes, {} edges → {} ({} dims; names in {}): mean rank {:.2}, MAP {:.4} in {:.2} s",
            n,
            relations.edges().len(),
            output.display(),
            args.dims,
            names_out.display(),
            quality.mean_rank,
            quality.map,
            seconds
        );
    }
    Ok(())
}

/// The core's parameter names → this command's flags.
fn rename_params(e: unfold_learn::Error) -> unfold_learn::Error {
    match e {
        unfold_learn::Error::InvalidParameter { name, value, expected } => {
            let flag = match name {
                "n_components" => "--dims",
                "negative" => "--negatives",
                "epochs" => "--epochs",
                "batch_size" => "--batch-size",
                "alpha" => "--alpha",
                "burn_in_alpha" => "--burn-in-alpha",
                "regularization_coeff" => "--regularization",
                "threads" => "--threads",
                other => other,
            };
            unfold_learn::Error::InvalidParameter { name: flag, value, expected }
        }
        other => other,
    }
}

/// The [`PLOT_LABELS`] nodes of smallest depth (ties: nearest the origin), with their names.
fn top_levels<'a>(relations: &'a Relations, depth: &[usize], embedding: &[f64], dims: usize) -> Vec<(usize, &'a str)> {
    let norm = |i: usize| embedding[i * dims..(i + 1) * dims].iter().map(|v| v * v).sum::<f64>();
    let mut order: Vec<usize> = (0..relations.n_nodes()).collect();
    order.sort_by(|&a, &b| depth[a].cmp(&depth[b]).then(norm(a).total_cmp(&norm(b))).then(a.cmp(&b)));
    order.into_iter().take(PLOT_LABELS).map(|i| (i, relations.names()[i].as_str())).collect()
}
