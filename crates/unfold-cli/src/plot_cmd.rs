//! `unfold plot`, and the PNG writing shared with `unfold embed --plot`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use unfold_learn::Labels;
use unfold_learn::io::{read_labels, read_matrix, write_atomic};

use crate::input::UsageError;
use crate::plot::{Categories, ScatterSpec, scatter_png};

/// Draw an embedding as a PNG scatter plot, coloured by labels if given.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold plot cells.umap.npy --labels cell_types.txt -o cells.png
  unfold plot coords.csv -o coords.png --title \"my embedding\" --width 1600 --height 1200")]
pub struct PlotArgs {
    /// The embedding: .npy, .csv or .tsv with 2 (or more; the first two are drawn) columns.
    pub embedding: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Labels for colouring: .npy (ints or strings), IDX, or text with one label per line.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Title (default: the file name and the number of points).
    #[arg(long)]
    pub title: Option<String>,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
}

pub fn run(args: PlotArgs) -> Result<()> {
    let m = read_matrix(&args.embedding)?;
    m.data()?;
    let labels = args.labels.as_deref().map(|p| read_labels(p, Some(m.n_rows()))).transpose()?;
    let title = args.title.clone().unwrap_or_else(|| {
        format!("{}  n={}", args.embedding.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(), m.n_rows())
    });
    write_png(&args.output, m.values(), m.n_cols(), labels.as_ref(), &title, (args.width, args.height))
}

/// Checks that a plot path names a PNG file (before any work is done).
pub fn check_png_path(path: &Path) -> Result<()> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        return Err(UsageError(format!("{}: the plot must be a .png file", path.display())).into());
    }
    Ok(())
}

/// Renders and writes a scatter plot atomically.
pub fn write_png(path: &Path, coords: &[f32], dims: usize, labels: Option<&Labels>, title: &str, size: (u32, u32)) -> Result<()> {
    check_png_path(path)?;
    let categories = labels.map(|l| Categories { codes: l.codes.clone(), names: l.names.clone() });
    let spec = ScatterSpec { coords, dims, categories: categories.as_ref(), title, width: size.0, height: size.1 };
    let png = scatter_png(&spec).map_err(|e| UsageError(format!("{}: {e:#}", path.display())))?;
    write_atomic(path, |w| w.write_all(&png)).context("writing the plot")
}
