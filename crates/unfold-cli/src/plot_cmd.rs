//! `unfold plot`, and the PNG writing shared with `unfold embed --plot`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::Labels;
use unfold_learn::io::read_matrix;

use crate::input::{UsageError, load_labels};
use crate::outputs::{Format, Outputs};
use crate::plot::{Categories, ScatterSpec, scatter_png, scatter_png_in_disk};

/// Draw an embedding as a PNG scatter plot, coloured by labels if given.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold plot cells.umap.npy --labels cell_types.txt -o cells.png
  unfold plot coords.csv -o coords.png --title \"my embedding\" --width 1600 --height 1200
  unfold plot y.npy --labels meta.csv --labels-column cell_type -o y.png --json

--json prints one JSON object: task, input, output, n, seconds.")]
pub struct PlotArgs {
    /// The embedding: .npy, .csv or .tsv with 2 (or more; the first two are drawn) columns.
    pub embedding: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Labels for colouring: .npy (ints or strings), IDX, or text with one label per line (or a
    /// CSV/TSV table, with --labels-column).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The column of a --labels table that holds the labels: a name in its header, or a number from 1.
    #[arg(long, value_name = "NAME", requires = "labels")]
    pub labels_column: Option<String>,
    /// Title (default: the file name and the number of points).
    #[arg(long)]
    pub title: Option<String>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// No notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: PlotArgs) -> Result<()> {
    let start = Instant::now();
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &args.output, Format::Png);
    outputs.check()?;
    let m = read_matrix(&args.embedding)?;
    m.data()?;
    let n = m.n_rows();
    let labels = args.labels.as_deref().map(|p| load_labels(p, n, args.labels_column.as_deref())).transpose()?;
    let title =
        args.title.clone().unwrap_or_else(|| format!("{}  n={n}", args.embedding.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()));
    let png = render_png(&args.output, m.values(), m.n_cols(), labels.as_ref(), &title, (args.width, args.height))?;
    outputs.write(out, |w| w.write_all(&png))?;
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            json!({ "task": "plot", "input": args.embedding.display().to_string(), "output": args.output.display().to_string(), "n": n, "seconds": seconds })
        );
    } else if !args.quiet {
        eprintln!("plot: {n} points in {seconds:.2} s → {}", args.output.display());
    }
    Ok(())
}

/// Renders a scatter plot to PNG bytes; errors name `path`, the plot being drawn.
pub fn render_png(path: &Path, coords: &[f32], dims: usize, labels: Option<&Labels>, title: &str, size: (u32, u32)) -> Result<Vec<u8>> {
    render_png_framed(path, coords, dims, labels, title, size, false)
}

/// [`render_png`], with `disk` the points of the Poincaré disk and its unit circle.
pub fn render_png_framed(path: &Path, coords: &[f32], dims: usize, labels: Option<&Labels>, title: &str, size: (u32, u32), disk: bool) -> Result<Vec<u8>> {
    let categories = labels.map(|l| Categories { codes: l.codes.clone(), names: l.names.clone() });
    let spec = ScatterSpec { coords, dims, categories: categories.as_ref(), title, width: size.0, height: size.1 };
    let png = if disk { scatter_png_in_disk(&spec) } else { scatter_png(&spec) };
    Ok(png.map_err(|e| UsageError(format!("{}: {e:#}", path.display())))?)
}
