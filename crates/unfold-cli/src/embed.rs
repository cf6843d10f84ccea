//! `unfold embed`: fit an embedding and write it (and optionally a plot).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use unfold_learn::prelude::*;

use crate::input::{Input, UsageError, default_output, with_rows};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;
use crate::umap_opts::UmapOpts;

/// Embedding methods.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Method {
    /// Principal component analysis (exact, covariance or randomized solver, as scikit-learn picks).
    Pca,
    /// Uniform Manifold Approximation and Projection (umap-learn's algorithm and defaults).
    Umap,
}

/// Fit an embedding of INPUT (or of the built-in MNIST demo set) and write it.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold embed --plot demo.png                      # PCA of the built-in MNIST demo, with a plot
  unfold embed cells.npy --method pca --dims 10     # writes cells.pca.npy
  unfold embed cells.npy --dims 10 --whiten --save-model cells.pca
  unfold embed mnist.npy --method umap --seed 42 --save-model mnist.umap
  unfold transform --model mnist.umap new.npy -o new.umap.npy
  unfold embed table.csv -o coords.csv --json       # CSV in, CSV out, a JSON summary on stdout")]
pub struct EmbedArgs {
    /// Input data: .npy, .csv/.tsv or IDX (*-ubyte, optionally .gz). Omit for the MNIST demo set.
    pub input: Option<PathBuf>,
    /// Embedding method.
    #[arg(long, value_enum, default_value_t = Method::Pca)]
    pub method: Method,
    /// Output file (.npy, .csv or .tsv). Default: <input stem>.<method>.npy beside the input.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also draw the embedding to this PNG (coloured by --labels, or by digit for the demo).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Labels for the plot: .npy (ints or strings), IDX, or text with one label per line (or a
    /// CSV/TSV table, with --labels-column).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The column of a --labels table that holds the labels: a name in its header, or a number from 1.
    #[arg(long, value_name = "NAME", requires = "labels")]
    pub labels_column: Option<String>,
    /// Number of output dimensions.
    #[arg(long, default_value_t = 2)]
    pub dims: usize,
    /// PCA solver: auto, full, covariance_eigh or randomized.
    #[arg(long)]
    pub svd_solver: Option<String>,
    /// PCA: divide each component by its standard deviation (scikit-learn's whiten).
    #[arg(long)]
    pub whiten: bool,
    /// Seed for every random choice; with a seed the output is identical at any thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Save the fitted model for `unfold transform`.
    #[arg(long, value_name = "FILE")]
    pub save_model: Option<PathBuf>,
    #[command(flatten)]
    pub umap: UmapOpts,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let start = Instant::now();
    let name = match args.method {
        Method::Pca => "pca",
        Method::Umap => "umap",
    };
    let foreign = match args.method {
        Method::Pca => args.umap.first_given(),
        Method::Umap => args.svd_solver.as_ref().map(|_| "--svd-solver").or(args.whiten.then_some("--whiten")),
    };
    if let Some(flag) = foreign {
        return Err(UsageError(format!("{flag} does not apply to --method {name}")).into());
    }
    let output = args.output.clone().unwrap_or_else(|| default_output(args.input.as_deref(), &format!("{name}.npy")));
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &output, Format::Matrix);
    let model_out = args.save_model.as_ref().map(|p| outputs.add("--save-model", p, Format::Model));
    let dens_out = args.umap.output_dens.as_ref().map(|p| outputs.add("--output-dens", p, Format::Matrix));
    let plot_out = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let bars = Bars::new(args.run.quiet);
    // PCA computes in the input's precision: float64 and 32/64-bit integer .npy files and text
    // are read in f64 (f32 would round them, or overflow beyond 3.4e38).
    let load = match args.method {
        Method::Pca => Input::load_precise,
        Method::Umap => Input::load,
    };
    let input = load(args.input.as_deref(), args.labels.as_deref(), args.labels_column.as_deref())?;
    let mut model_bytes = None;
    let mut radii: Option<Vec<f32>> = None;
    let (embedding, parameters) = match args.method {
        Method::Pca => {
            let params = PcaParams {
                n_components: args.dims,
                whiten: args.whiten,
                solver: PcaSolver::parse(args.svd_solver.as_deref().unwrap_or("auto"))?,
                seed: args.seed,
                threads: args.run.threads,
                ..PcaParams::default()
            };
            let pca = Pca::new(params)?;
            let model = with_rows!(&input.matrix, |data| pca.fit_with_progress(&data, &bars)?);
            if args.save_model.is_some() {
                model_bytes = Some(model.to_bytes()?);
            }
            let params = json!({
                "n_components": args.dims,
                "whiten": args.whiten,
                "svd_solver": model.solver().name(),
                "explained_variance_ratio": model.explained_variance_ratio(),
                "noise_variance": model.noise_variance(),
            });
            (model.into_embedding(), params)
        }
        Method::Umap => {
            let data = input.data()?;
            let params = args.umap.params(args.dims, args.seed, args.run.threads)?;
            let knn = args.umap.knn_graph(data.n_rows())?;
            let umap = Umap::new(params.clone())?;
            let model = match args.umap.target(data.n_rows())? {
                Some(y) => umap.fit_supervised(&data, &y, knn.as_ref(), &bars)?,
                None => umap.fit_with(&data, knn.as_ref(), &bars)?,
            };
            for w in model.warnings() {
                bars.note(&format!("warning: {w}"));
            }
            if args.save_model.is_some() {
                model_bytes = Some(model.to_bytes()?);
            }
            if let Some((orig, emb)) = model.radii() {
                radii = Some(orig.iter().zip(emb).flat_map(|(&o, &e)| [o, e]).collect::<Vec<f32>>());
            }
            let summary = UmapOpts::summary(&params, &model);
            (model.into_embedding(), summary)
        }
    };
    let (n, k) = (input.matrix.n_rows(), args.dims);
    outputs.write_matrix(out, &embedding, n, k)?;
    if let (Some(o), Some(bytes)) = (model_out, &model_bytes) {
        outputs.write(o, |w| w.write_all(bytes))?;
    }
    if let (Some(o), Some(r)) = (dens_out, &radii) {
        outputs.write_matrix(o, r, n, 2)?;
    }
    if let (Some(o), Some(png)) = (plot_out, &args.plot) {
        let title = format!("{} of {}  n={n}  {}", name.to_uppercase(), input.display_name(), plot_title_params(&parameters));
        let bytes = crate::plot_cmd::render_png(png, &embedding, k, input.labels.as_ref(), &title, (1200, 1000))?;
        outputs.write(o, |w| w.write_all(&bytes))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let summary = json!({
            "method": name,
            "input": input.display_name(),
            "n": n,
            "input_dims": input.matrix.n_cols(),
            "dims": k,
            "seconds": seconds,
            "output": output.display().to_string(),
            "plot": args.plot.as_ref().map(|p| p.display().to_string()),
            "model": args.save_model.as_ref().map(|p| p.display().to_string()),
            "model_bytes": model_bytes.as_ref().map(Vec::len),
            "parameters": parameters,
        });
        println!("{summary}");
    } else {
        let mut plot = args.plot.as_ref().map(|p| format!(", plot {}", p.display())).unwrap_or_default();
        if let (Some(path), Some(bytes)) = (&args.save_model, &model_bytes) {
            plot += &format!(", model {} ({:.1} MB)", path.display(), bytes.len() as f64 / 1e6);
        }
        bars.note(
            &format!("{name}: embedded {n} × {} into {k} dimensions in {seconds:.2} s → {}{plot}", input.matrix.n_cols(), output.display()),
        );
    }
    Ok(())
}

/// Key parameters for a plot title: scalar entries of the JSON parameters, `name=value`.
fn plot_title_params(parameters: &serde_json::Value) -> String {
    let Some(map) = parameters.as_object() else { return String::new() };
    map.iter()
        .filter(|(_, v)| v.is_number() || v.is_string())
        .map(|(k, v)| {
            let text = match (v.as_str(), v.as_f64()) {
                (Some(s), _) => s.to_string(),
                // Floats stored from f32 print as 0.10000000149011612: four decimals.
                (None, Some(f)) if !v.is_i64() && !v.is_u64() => format!("{}", (f * 1e4).round() / 1e4),
                _ => v.to_string(),
            };
            format!("{k}={text}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}
