//! `unfold embed`: fit an embedding and write it (and optionally a plot).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;
use unfold_learn::prelude::*;

use crate::input::Input;
use crate::options::RunOptions;
use crate::progress::Bars;

/// Embedding methods.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Method {
    /// Principal component analysis (exact, covariance or randomized solver, as scikit-learn picks).
    Pca,
}

/// Fit an embedding of INPUT (or of the built-in MNIST demo set) and write it.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold embed --plot demo.png                      # PCA of the built-in MNIST demo, with a plot
  unfold embed cells.npy --method pca --dims 10     # writes cells.pca.npy
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
    /// Labels for the plot: .npy (ints or strings), IDX, or text with one label per line.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Number of output dimensions.
    #[arg(long, default_value_t = 2)]
    pub dims: usize,
    /// PCA solver: auto, full, covariance_eigh or randomized.
    #[arg(long, default_value = "auto")]
    pub svd_solver: String,
    /// Seed for every random choice; with a seed the output is identical at any thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let start = Instant::now();
    if let Some(png) = &args.plot {
        crate::plot_cmd::check_png_path(png)?;
    }
    let bars = Bars::new(args.run.quiet);
    let input = Input::load(args.input.as_deref(), args.labels.as_deref())?;
    let data = input.matrix.data()?;
    let name = match args.method {
        Method::Pca => "pca",
    };
    let output = args.output.clone().unwrap_or_else(|| input.default_output(&format!("{name}.npy")));
    let (embedding, parameters) = match args.method {
        Method::Pca => {
            let params = PcaParams {
                n_components: args.dims,
                solver: PcaSolver::parse(&args.svd_solver)?,
                seed: args.seed,
                threads: args.run.threads,
                ..PcaParams::default()
            };
            let model = Pca::new(params)?.fit_with_progress(&data, &bars)?;
            let params = json!({
                "n_components": args.dims,
                "svd_solver": model.solver().name(),
                "explained_variance_ratio": model.explained_variance_ratio(),
            });
            (model.into_embedding(), params)
        }
    };
    let (n, k) = (data.n_rows(), args.dims);
    unfold_learn::io::write_matrix(&output, &embedding, n, k).context("writing the embedding")?;
    if let Some(png) = &args.plot {
        let title = format!("{} of {}  n={n}  {}", name.to_uppercase(), input.display_name(), plot_title_params(&parameters));
        crate::plot_cmd::write_png(png, &embedding, k, input.labels.as_ref(), &title, (1200, 1000))?;
    }
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let summary = json!({
            "method": name,
            "input": input.display_name(),
            "n": n,
            "input_dims": data.n_cols(),
            "dims": k,
            "seconds": seconds,
            "output": output.display().to_string(),
            "plot": args.plot.as_ref().map(|p| p.display().to_string()),
            "parameters": parameters,
        });
        println!("{summary}");
    } else {
        let plot = args.plot.as_ref().map(|p| format!(", plot {}", p.display())).unwrap_or_default();
        bars.note(
            &format!("{name}: embedded {n} × {} into {k} dimensions in {seconds:.2} s → {}{plot}", data.n_cols(), output.display()),
        );
    }
    Ok(())
}

/// Key parameters for a plot title: scalar entries of the JSON parameters, `name=value`.
fn plot_title_params(parameters: &serde_json::Value) -> String {
    let Some(map) = parameters.as_object() else { return String::new() };
    map.iter()
        .filter(|(_, v)| v.is_number() || v.is_string())
        .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect::<Vec<_>>()
        .join("  ")
}
