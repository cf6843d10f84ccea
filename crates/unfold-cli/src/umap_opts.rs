//! UMAP's options for `unfold embed --method umap`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use unfold_learn::io::{read_matrix, read_vector_or_matrix};
use unfold_learn::prelude::*;

use crate::input::UsageError;

/// UMAP options (umap-learn's names and defaults).
#[derive(Args, Default)]
#[command(next_help_heading = "UMAP options")]
pub struct UmapOpts {
    /// Neighbourhood size, the point itself included [default: 15].
    #[arg(long)]
    pub neighbors: Option<usize>,
    /// Smallest distance between embedded points, 0 ≤ min-dist ≤ spread [default: 0.1].
    #[arg(long)]
    pub min_dist: Option<f32>,
    /// Scale of the embedded clusters [default: 1.0].
    #[arg(long)]
    pub spread: Option<f32>,
    /// Input distance: euclidean, cosine, correlation, manhattan, hellinger, seuclidean,
    /// mahalanobis, precomputed (the input is a square distance matrix), … (every name of
    /// `unfold neighbors --metric`) [default: euclidean].
    #[arg(long)]
    pub metric: Option<String>,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// Initial layout: spectral, pca, random, or a .npy/.csv file of n × dims coordinates
    /// [default: spectral].
    #[arg(long)]
    pub init: Option<String>,
    /// Layout epochs [default: 500 up to 10,000 points, else 200].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Initial learning rate [default: 1.0].
    #[arg(long)]
    pub learning_rate: Option<f32>,
    /// Negative samples per positive sample [default: 5].
    #[arg(long)]
    pub negative_sample_rate: Option<usize>,
    /// Weight of the repulsion [default: 1.0].
    #[arg(long)]
    pub repulsion_strength: Option<f32>,
    /// Neighbours assumed fully connected [default: 1.0].
    #[arg(long)]
    pub local_connectivity: Option<f32>,
    /// Fuzzy union (1) versus intersection (0) [default: 1.0].
    #[arg(long)]
    pub set_op_mix_ratio: Option<f32>,
    /// densMAP: also preserve local densities (umap-learn's densmap=True; 200 more epochs).
    #[arg(long)]
    pub densmap: bool,
    /// densMAP's weight of the density term [default: 2.0].
    #[arg(long, requires = "densmap")]
    pub dens_lambda: Option<f32>,
    /// densMAP's fraction of epochs (at the end) with the density term [default: 0.3].
    #[arg(long, requires = "densmap")]
    pub dens_frac: Option<f32>,
    /// densMAP's variance shift [default: 0.1].
    #[arg(long, requires = "densmap")]
    pub dens_var_shift: Option<f32>,
    /// Also write the log local radii of the data and of the embedding (n × 2) to this file.
    #[arg(long, value_name = "FILE")]
    pub output_dens: Option<PathBuf>,
    /// Supervised UMAP: a target per row: a .npy of shape (n,) or (n, columns), a .csv, or one
    /// label per line. Integer (or string) labels with --target-metric categorical (negative =
    /// unknown, for semi-supervised use); numbers (one or more columns) with any other metric.
    #[arg(long, value_name = "FILE", alias = "labels-supervise")]
    pub target: Option<PathBuf>,
    /// categorical, or a metric for numeric targets (euclidean, …) [default: categorical].
    #[arg(long, requires = "target")]
    pub target_metric: Option<String>,
    /// Weight of the target against the data, 0 to 1 [default: 0.5].
    #[arg(long, requires = "target")]
    pub target_weight: Option<f32>,
    /// Precomputed neighbours: an n × k index file from `unfold neighbors` (k ≥ neighbors − 1).
    #[arg(long, value_name = "INDICES.npy", requires = "knn_distances")]
    pub knn: Option<PathBuf>,
    /// The distances that go with --knn.
    #[arg(long, value_name = "DISTANCES.npy", requires = "knn")]
    pub knn_distances: Option<PathBuf>,
}

impl UmapOpts {
    /// The first UMAP option that was given, for rejecting them with other methods.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.neighbors.is_some(), "--neighbors"),
            (self.min_dist.is_some(), "--min-dist"),
            (self.spread.is_some(), "--spread"),
            (self.metric.is_some(), "--metric"),
            (self.metric_kwds.is_some(), "--metric-kwds"),
            (self.init.is_some(), "--init"),
            (self.epochs.is_some(), "--epochs"),
            (self.learning_rate.is_some(), "--learning-rate"),
            (self.negative_sample_rate.is_some(), "--negative-sample-rate"),
            (self.repulsion_strength.is_some(), "--repulsion-strength"),
            (self.local_connectivity.is_some(), "--local-connectivity"),
            (self.set_op_mix_ratio.is_some(), "--set-op-mix-ratio"),
            (self.knn.is_some(), "--knn"),
            (self.densmap, "--densmap"),
            (self.target.is_some(), "--target"),
            (self.output_dens.is_some(), "--output-dens"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }

    /// The validated parameters.
    pub fn params(&self, dims: usize) -> Result<UmapParams> {
        let d = UmapParams::default();
        let init = match self.init.as_deref() {
            None => UmapInit::Spectral,
            Some(name @ ("spectral" | "pca" | "random")) => UmapInit::parse(name)?,
            Some(file) => {
                let m = read_matrix(Path::new(file)).context("reading --init")?;
                if m.n_cols() != dims {
                    return Err(UsageError(format!("--init {file}: {} columns, but --dims is {dims}", m.n_cols())).into());
                }
                UmapInit::Array(m.data()?.into_vec())
            }
        };
        let params = UmapParams {
            n_neighbors: self.neighbors.unwrap_or(d.n_neighbors),
            n_components: dims,
            metric: match (&self.metric, &self.metric_kwds) {
                (None, None) => d.metric.clone(),
                (name, kwds) => crate::metric_kwds::metric(name.as_deref().unwrap_or("euclidean"), kwds.as_deref())?,
            },
            n_epochs: self.epochs,
            learning_rate: self.learning_rate.unwrap_or(d.learning_rate),
            init,
            min_dist: self.min_dist.unwrap_or(d.min_dist),
            spread: self.spread.unwrap_or(d.spread),
            set_op_mix_ratio: self.set_op_mix_ratio.unwrap_or(d.set_op_mix_ratio),
            local_connectivity: self.local_connectivity.unwrap_or(d.local_connectivity),
            repulsion_strength: self.repulsion_strength.unwrap_or(d.repulsion_strength),
            negative_sample_rate: self.negative_sample_rate.unwrap_or(d.negative_sample_rate),
            densmap: self.densmap,
            dens_lambda: self.dens_lambda.unwrap_or(d.dens_lambda),
            dens_frac: self.dens_frac.unwrap_or(d.dens_frac),
            dens_var_shift: self.dens_var_shift.unwrap_or(d.dens_var_shift),
            output_dens: self.output_dens.is_some(),
            target_metric: match self.target_metric.as_deref() {
                None | Some("categorical") => d.target_metric,
                Some(m) => Metric::parse(m)?,
            },
            target_weight: self.target_weight.unwrap_or(d.target_weight),
            ..d
        };
        params.validate()?;
        Ok(params)
    }

    /// The supervision target, if given, checked against the `n` data rows: one value per row
    /// (a 1-D `.npy` of `n` values, an `n × 1` matrix, or a text file with one value per line),
    /// or `n × c` values for a numeric target.
    pub fn target(&self, n: usize) -> Result<Option<UmapTarget>> {
        let Some(path) = &self.target else { return Ok(None) };
        let categorical = matches!(self.target_metric.as_deref(), None | Some("categorical"));
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
                return Ok(Some(UmapTarget::Categorical(values)));
            }
            Err(e) => return Err(anyhow::Error::from(e).context(format!("--target: {shapes}"))),
        };
        if m.n_rows() != n {
            return Err(UsageError(format!("--target {}: {} rows, but the data has {n}; {shapes}", path.display(), m.n_rows())).into());
        }
        if !categorical {
            m.data()?;
            return Ok(Some(UmapTarget::Numeric { values: m.values().to_vec(), n_cols: m.n_cols() }));
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
        Ok(Some(UmapTarget::Categorical(labels)))
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

    /// The parameters for the JSON summary and plot title.
    pub fn summary(params: &UmapParams, seed: Option<u64>, model: &UmapModel) -> serde_json::Value {
        let (a, b) = model.ab();
        json!({
            "n_neighbors": params.n_neighbors,
            "min_dist": params.min_dist,
            "spread": params.spread,
            "metric": params.metric.to_string(),
            "init": params.init.name(),
            "n_epochs": params.n_epochs,
            "a": a,
            "b": b,
            "seed": seed,
            "densmap": params.densmap,
            "target_weight": params.target_weight,
        })
    }
}
