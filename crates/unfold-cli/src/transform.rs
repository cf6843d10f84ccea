//! `unfold transform`: place new points in a saved embedding.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use unfold_learn::io::model;
use unfold_learn::prelude::*;

use crate::input::Input;
use crate::options::RunOptions;
use crate::progress::Bars;

/// Place the rows of INPUT in the embedding of a model saved with `unfold embed --save-model`.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold embed train.npy --method umap --seed 1 --save-model train.umap
  unfold transform --model train.umap test.npy -o test.umap.npy --plot test.png --labels test_labels.npy

Each new point is placed from its neighbours among the training points only, so a point gets the
same coordinates whichever other points are transformed with it.")]
pub struct TransformArgs {
    /// New data with the training data's columns (.npy, .csv/.tsv or IDX). Omit for the MNIST demo set.
    pub input: Option<PathBuf>,
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Output file (.npy, .csv or .tsv). Default: <input stem>.transform.npy beside the input.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also draw the new points to this PNG (coloured by --labels).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Labels for the plot.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: TransformArgs) -> Result<()> {
    let start = Instant::now();
    if let Some(png) = &args.plot {
        crate::plot_cmd::check_png_path(png)?;
    }
    let bytes = model::read(&args.model)?;
    let umap = UmapModel::from_bytes(&bytes).map_err(|e| e.in_file(&args.model))?;
    let bars = Bars::new(args.run.quiet);
    let input = Input::load(args.input.as_deref(), args.labels.as_deref())?;
    let data = input.matrix.data()?;
    let output = args.output.clone().unwrap_or_else(|| input.default_output("transform.npy"));
    let placing = Instant::now();
    let embedding = unfold_learn::threads::install(args.run.threads, || umap.transform_with(&data, None, &bars))??;
    let transform_seconds = placing.elapsed().as_secs_f64();
    let (n, k) = (embedding.n_rows(), embedding.n_cols());
    unfold_learn::io::write_matrix(&output, embedding.as_slice(), n, k).context("writing the embedding")?;
    if let Some(png) = &args.plot {
        let title = format!("UMAP transform of {}  n={n}", input.display_name());
        crate::plot_cmd::write_png(png, embedding.as_slice(), k, input.labels.as_ref(), &title, (1200, 1000))?;
    }
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let summary = json!({
            "method": "umap-transform",
            "model": args.model.display().to_string(),
            "input": input.display_name(),
            "n": n,
            "dims": k,
            "seconds": seconds,
            "transform_seconds": transform_seconds,
            "output": output.display().to_string(),
        });
        println!("{summary}");
    } else {
        bars.note(&format!("transform: placed {n} points in {seconds:.2} s → {}", output.display()));
    }
    Ok(())
}
