//! `unfold transform`: place new points in a saved embedding.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::io::model;

use crate::input::{Input, default_output, with_input};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// Place the rows of INPUT in the embedding of a model saved with `unfold embed --save-model`.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold embed train.npy --method umap --seed 1 --save-model train.umap
  unfold transform --model train.umap test.npy -o test.umap.npy --plot test.png --labels test_labels.npy

A PCA model (unfold embed --method pca --save-model m.pca) projects the rows onto its components.
Each new point is placed from its neighbours among the training points only, so a point gets the
same coordinates whichever other points are transformed with it.

With --inverse, INPUT holds points of the embedding space (n_components columns) and the output
their images in data space: a UMAP model maps them back as umap-learn's inverse_transform does
(Delaunay neighbourhood in the embedding, then a short descent in data space), a PCA model
computes X @ components + mean.
  unfold transform --model train.umap --inverse grid.npy -o grid.images.npy")]
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
    #[arg(long, conflicts_with = "inverse")]
    pub plot: Option<PathBuf>,
    /// Map points of the embedding space (INPUT, n_components columns) back into data space.
    #[arg(long)]
    pub inverse: bool,
    /// Labels for the plot: .npy (ints or strings), IDX, or text with one label per line (or a
    /// CSV/TSV table, with --labels-column).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The column of a --labels table that holds the labels: a name in its header, or a number from 1.
    #[arg(long, value_name = "NAME", requires = "labels")]
    pub labels_column: Option<String>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: TransformArgs) -> Result<()> {
    let start = Instant::now();
    let suffix = if args.inverse { "inverse.npy" } else { "transform.npy" };
    let output = args.output.clone().unwrap_or_else(|| default_output(args.input.as_deref(), suffix));
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &output, Format::Matrix);
    let plot_out = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let bytes = model::read(&args.model)?;
    let model = unfold_learn::method::load(&bytes).map_err(|e| e.in_file(&args.model))?;
    let bars = Bars::for_run(&args.run);
    // A method that computes in the input's precision (PCA) projects in it, as `unfold embed` fits.
    let precise = unfold_learn::method::method(model.method()).is_ok_and(|entry| entry.precise);
    let load = if precise && !args.inverse { Input::load_precise } else { Input::load };
    let input = load(args.input.as_deref(), args.labels.as_deref(), args.labels_column.as_deref())?;
    // The placing time starts once the rows are read and validated.
    let placing;
    let embedding = with_input!(&input, |data| {
        placing = Instant::now();
        let ctx = unfold_learn::method::Context { seed: None, threads: args.run.threads, progress: &bars, ..Default::default() };
        ctx.install(|| match data {
            _ if args.inverse => model.inverse_transform(&data.f32()?, &ctx),
            data => model.transform(data, &ctx),
        })?
    });
    let transform_seconds = placing.elapsed().as_secs_f64();
    let (n, k) = (embedding.n_rows(), embedding.n_cols());
    outputs.write_matrix(out, embedding.as_slice(), n, k)?;
    if let (Some(o), Some(png)) = (plot_out, &args.plot) {
        let title = format!("{} transform of {}  n={n}", model.method().to_uppercase(), input.display_name());
        let bytes = crate::plot_cmd::render_png(png, embedding.as_slice(), k, input.labels.as_ref(), &title, (1200, 1000))?;
        outputs.write(o, |w| w.write_all(&bytes))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        // The parameters the model file records, as its fit resolved them.
        let parameters: serde_json::Map<String, serde_json::Value> =
            model::parameters_of(&bytes)?.into_iter().map(|(name, v)| (name, crate::embed::value_json(&v))).collect();
        let summary = json!({
            "method": format!("{}-{}", model.method(), if args.inverse { "inverse-transform" } else { "transform" }),
            "model": args.model.display().to_string(),
            "model_method": model.method(),
            "parameters": parameters,
            "input": input.display_name(),
            "n": n,
            "dims": k,
            "seconds": seconds,
            "transform_seconds": transform_seconds,
            "output": output.display().to_string(),
        });
        println!("{summary}");
    } else {
        let what = if args.inverse { "mapped back" } else { "placed" };
        bars.note(&format!("transform: {what} {n} points in {seconds:.2} s → {}", output.display()));
    }
    Ok(())
}
