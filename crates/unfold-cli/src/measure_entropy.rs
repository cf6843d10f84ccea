//! `unfold measure entropy`: diffusion spectral entropy, and mutual information with labels, a
//! scalar or vectors (Liao et al. 2023, the `dse_dsmi` package's definitions).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::io::{AnyMatrix, read_matrix_precise};
use unfold_learn::measure::entropy::{DseParams, DsmiParams, Reference, diffusion_spectral_entropy, diffusion_spectral_mutual_information};

use crate::input::{Input, UsageError, load_labels};
use crate::options::RunOptions;
use crate::progress::Bars;

/// Diffusion spectral entropy (DSE) of the rows, or their mutual information (DSMI) with labels
/// or a scalar.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold measure entropy features.npy                        # DSE at t = 1, sigma = 10
  unfold measure entropy features.npy --t 2 --sigma 5 --json
  unfold measure entropy features.npy --labels classes.npy   # DSMI with the classes
  unfold measure entropy features.npy --other target.npy --n-clusters 10

DSE: the Gaussian kernel exp(-d^2 / 2 sigma^2) on all pairs, the diffusion operator's full
spectrum (dense, so at most --max-n points: a seeded subsample above), and the entropy in bits
of |lambda|^t normalised. DSMI: the sum over classes b of p(b) [DSE(A*) - DSE(A | b)], A* a
random subsample of the class's size (--num-repetitions of them, averaged). --other with one
column is min-max scaled and cut into --n-clusters equal bins; with several, its rows are cut
into --n-clusters spectral clusters (10-neighbour graph, cluster_qr labels: the package's
scikit-learn SpectralClustering).
--json keys: entropy (DSE) or mutual_information and classes (class, count,
conditional_entropy, subsample_entropy), n, n_used, sigma, t, top_eigenvalues, seconds.")]
pub struct EntropyArgs {
    /// Input data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// Diffusion time: the power of the eigenvalues.
    #[arg(long, default_value_t = 1)]
    pub t: u32,
    /// Bandwidth of the Gaussian kernel.
    #[arg(long, default_value_t = 10.0)]
    pub sigma: f64,
    /// Mutual information with these labels (one a row).
    #[arg(long, value_name = "L.npy", conflicts_with = "other")]
    pub labels: Option<PathBuf>,
    /// Mutual information with this continuous reference, one row a point: one column (binned)
    /// or several (spectrally clustered).
    #[arg(long, value_name = "Y.npy")]
    pub other: Option<PathBuf>,
    /// Bins or spectral clusters of --other.
    #[arg(long, default_value_t = 10)]
    pub n_clusters: usize,
    /// Subsamples drawn to estimate DSE at each class's size.
    #[arg(long, default_value_t = 5)]
    pub num_repetitions: usize,
    /// At most this many points in one spectrum (a seeded subsample above).
    #[arg(long, default_value_t = 10_000)]
    pub max_n: usize,
    /// Seed of the subsamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EntropyArgs) -> Result<()> {
    let start = Instant::now();
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let n = x.n_rows();
    let bars = Bars::for_run(&args.run);
    let dse = DseParams { sigma: args.sigma, t: args.t, max_n: Some(args.max_n), seed: args.seed, threads: args.run.threads };
    let labels: Option<(Vec<i64>, Vec<String>)> = match &args.labels {
        Some(path) => {
            let l = load_labels(path, n, None)?;
            Some((l.codes.iter().map(|&c| i64::from(c)).collect(), l.names))
        }
        None => None,
    };
    // --other: one column is a scalar (binned), several are vectors (spectrally clustered).
    let mut scalar: Option<Vec<f64>> = None;
    let mut vectors: Option<(Vec<f32>, usize)> = None;
    if let Some(path) = &args.other {
        let m = read_matrix_precise(path)?;
        let (rows, cols) = (m.n_rows(), m.n_cols());
        if rows != n {
            return Err(UsageError(format!("--other {} has {rows} rows but the input has {n}", path.display())).into());
        }
        let values: Vec<f64> = match m {
            AnyMatrix::F32(m) => m.values().iter().map(|&v| f64::from(v)).collect(),
            AnyMatrix::F64(m) => m.values().to_vec(),
            AnyMatrix::Sparse(_) => return Err(UsageError(format!("--other {}: a sparse matrix; give dense columns", path.display())).into()),
        };
        if cols == 1 {
            scalar = Some(values);
        } else {
            vectors = Some((values.iter().map(|&v| v as f32).collect(), cols));
        }
    }
    let reference = match (&labels, &scalar, &vectors) {
        (Some((codes, _)), _, _) => Some(Reference::Labels(codes)),
        (_, Some(s), _) => Some(Reference::Scalar(s)),
        (_, _, Some((v, cols))) => Some(Reference::Vectors(v, *cols)),
        _ => None,
    };
    let Some(reference) = reference else {
        let r = diffusion_spectral_entropy(&x, &dse, &bars)?;
        let seconds = start.elapsed().as_secs_f64();
        let top: Vec<f64> = r.eigenvalues.iter().take(10).copied().collect();
        if args.run.json {
            let out =
                json!({"entropy": r.entropy, "n": n, "n_used": r.rows.len(), "sigma": args.sigma, "t": args.t, "top_eigenvalues": top, "seconds": seconds});
            println!("{out}");
        } else {
            println!("diffusion spectral entropy of {} points (sigma {}, t {}): {:.6} bits", r.rows.len(), args.sigma, args.t, r.entropy);
            let shown: Vec<String> = top.iter().map(|v| format!("{v:.4}")).collect();
            println!("  largest eigenvalues: {}", shown.join(" "));
        }
        return Ok(());
    };
    let params = DsmiParams { dse, num_repetitions: args.num_repetitions, n_clusters: args.n_clusters };
    let r = diffusion_spectral_mutual_information(&x, &reference, &params, &bars)?;
    let seconds = start.elapsed().as_secs_f64();
    let name = |class: i64| match &labels {
        Some((_, names)) => json!(names[class as usize]),
        None => json!(class),
    };
    if args.run.json {
        let classes: Vec<_> = r
            .classes
            .iter()
            .map(|c| json!({"class": name(c.class), "count": c.count, "conditional_entropy": c.conditional_entropy, "subsample_entropy": c.subsample_entropy}))
            .collect();
        let out = json!({"mutual_information": r.mutual_information, "classes": classes, "n": n, "sigma": args.sigma, "t": args.t, "seconds": seconds});
        println!("{out}");
        return Ok(());
    }
    println!(
        "diffusion spectral mutual information of {n} points and {} classes (sigma {}, t {}): {:.6} bits",
        r.classes.len(),
        args.sigma,
        args.t,
        r.mutual_information
    );
    for c in &r.classes {
        println!("  class {}: {} points, DSE {:.4} given the class, {:.4} at that size", name(c.class), c.count, c.conditional_entropy, c.subsample_entropy);
    }
    Ok(())
}
