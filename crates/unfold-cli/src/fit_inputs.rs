//! What `unfold embed` hands a fit besides the rows and the parameters: a supervision target
//! (`--target`, for the methods that take one) and nearest neighbours already computed
//! (`--knn`, `--knn-distances`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use unfold_learn::io::{read_matrix, read_vector_or_matrix};
use unfold_learn::method::{MethodEntry, Target};
use unfold_learn::prelude::*;

use crate::input::UsageError;

/// Inputs of a fit besides the data.
#[derive(Args, Default)]
#[command(next_help_heading = "Fit inputs")]
pub struct FitInputs {
    /// Supervised UMAP: a target per row: a .npy of shape (n,) or (n, columns), a .csv, or one
    /// label per line. Integer (or string) labels with --target-metric categorical (negative =
    /// unknown, for semi-supervised use); numbers (one or more columns) with any other metric.
    #[arg(long, value_name = "FILE", alias = "labels-supervise")]
    pub target: Option<PathBuf>,
    /// Precomputed neighbours: an n × k index file from `unfold neighbors` (k ≥ neighbors − 1).
    #[arg(long, value_name = "INDICES.npy", requires = "knn_distances")]
    pub knn: Option<PathBuf>,
    /// The distances that go with --knn.
    #[arg(long, value_name = "DISTANCES.npy", requires = "knn")]
    pub knn_distances: Option<PathBuf>,
}

impl FitInputs {
    /// Refuses the inputs method `entry` does not take.
    pub fn check(&self, entry: &MethodEntry) -> Result<(), UsageError> {
        let refused = [(self.target.is_some() && !entry.supervised, "--target"), (self.knn.is_some() && !entry.precomputed_knn, "--knn")];
        match refused.into_iter().find(|(given, _)| *given) {
            Some((_, flag)) => Err(UsageError(format!("{flag} does not apply to --method {}", entry.name))),
            None => Ok(()),
        }
    }

    /// The supervision target, if given, checked against the `n` data rows: one value per row
    /// (a 1-D `.npy` of `n` values, an `n × 1` matrix, or a text file with one value per line),
    /// or `n × c` values for a numeric target.
    /// `categorical` says how the values are read (`--target-metric categorical`, the default).
    pub fn target(&self, n: usize, categorical: bool) -> Result<Option<Target>> {
        let Some(path) = &self.target else { return Ok(None) };
        let shapes = if categorical {
            format!("categorical labels are one per row: shape ({n},) or ({n}, 1)")
        } else {
            format!("a numeric target is one row per data row: shape ({n},) or ({n}, columns)")
        };
        let m = match read_vector_or_matrix(path) {
            Ok(m) => m,
            // Labels that are not numbers (strings in a .npy or a text file): one category per
            // distinct label, in sorted order; integer labels keep their values (-1 stays unknown).
            Err(_) if categorical => {
                let labels = unfold_learn::io::read_labels(path, Some(n)).with_context(|| format!("--target: {shapes}"))?;
                let ints: Option<Vec<i64>> = labels.names.iter().map(|s| s.parse::<i64>().ok()).collect();
                let values = match ints {
                    Some(v) => labels.codes.iter().map(|&c| v[c as usize]).collect(),
                    None => labels.codes.iter().map(|&c| c as i64).collect(),
                };
                return Ok(Some(Target::Categorical(values)));
            }
            Err(e) => return Err(anyhow::Error::from(e).context(format!("--target: {shapes}"))),
        };
        if m.n_rows() != n {
            return Err(UsageError(format!("--target {}: {} rows, but the data has {n}; {shapes}", path.display(), m.n_rows())).into());
        }
        if !categorical {
            m.data()?;
            return Ok(Some(Target::Numeric { values: m.values().to_vec(), n_cols: m.n_cols() }));
        }
        if m.n_cols() != 1 {
            return Err(UsageError(format!(
                "--target {}: {} columns; {shapes} (use --target-metric euclidean for a numeric target of several columns)",
                path.display(),
                m.n_cols()
            ))
            .into());
        }
        let mut labels = Vec::with_capacity(n);
        for (row, &v) in m.values().iter().enumerate() {
            if v.fract() != 0.0 || !v.is_finite() {
                return Err(UsageError(format!(
                    "--target {}: row {row}: {v} is not an integer label (use --target-metric euclidean for numeric targets)",
                    path.display()
                ))
                .into());
            }
            labels.push(v as i64);
        }
        Ok(Some(Target::Categorical(labels)))
    }

    /// The precomputed kNN graph, if given.
    pub fn knn_graph(&self, n: usize) -> Result<Option<KnnGraph>> {
        let (Some(ip), Some(dp)) = (&self.knn, &self.knn_distances) else { return Ok(None) };
        let im = read_matrix(ip)?;
        let dm = read_matrix(dp)?;
        if (im.n_rows(), im.n_cols()) != (dm.n_rows(), dm.n_cols()) {
            return Err(UsageError(format!(
                "--knn {} is {} × {} but --knn-distances {} is {} × {}",
                ip.display(),
                im.n_rows(),
                im.n_cols(),
                dp.display(),
                dm.n_rows(),
                dm.n_cols()
            ))
            .into());
        }
        let mut idx = Vec::with_capacity(im.values().len());
        for (pos, &v) in im.values().iter().enumerate() {
            if !(v >= 0.0 && v.fract() == 0.0 && (v as usize) < n) {
                let (r, c) = (pos / im.n_cols(), pos % im.n_cols());
                return Err(UsageError(format!("{}: row {r}, column {c}: {v} is not a row index below {n}", ip.display())).into());
            }
            idx.push(v as u32);
        }
        let g = KnnGraph::from_parts(im.n_rows(), im.n_cols(), idx, dm.values().to_vec()).map_err(|e| e.in_file(ip))?;
        Ok(Some(g))
    }
}
