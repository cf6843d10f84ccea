//! `unfold measure topology`: Vietoris–Rips persistence diagrams, as ripser.py computes them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use unfold_learn::measure::topology::{Persistence, RipsParams, rips_persistence};

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::plot::{Categories, ScatterSpec, scatter_png};
use crate::progress::Bars;

/// Persistent homology of the Vietoris–Rips filtration (H0, H1, … up to --maxdim), as ripser.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold measure topology circle.npy                        # H0 and H1
  unfold measure topology cloud.npy --maxdim 2 --thresh 1.5 --json
  unfold measure topology big.npy --n-perm 1000 --plot dgm.png
  unfold measure topology distances.npy --precomputed

As ripser.py: distances in float32, --thresh inf means the enclosing radius (nothing changes
above it), pairs of zero persistence left out, essential classes die at infinity (null in JSON).
--n-perm computes on a maxmin (greedy farthest-point) subsample, the first point first.
--json keys: diagrams (one list per dimension of [birth, death] pairs), num_edges, idx_perm (with
--n-perm), r_cover, n, maxdim, thresh, seconds.")]
pub struct TopologyArgs {
    /// Input data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// Highest homology dimension (0 to 3).
    #[arg(long, default_value_t = 1)]
    pub maxdim: usize,
    /// Largest diameter of a simplex (inf: no limit).
    #[arg(long, default_value_t = f64::INFINITY)]
    pub thresh: f64,
    /// Compute on a maxmin subsample of this many points.
    #[arg(long)]
    pub n_perm: Option<usize>,
    /// Distance between rows (as `unfold neighbors --metric`).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// The input is a square distance matrix (symmetric, zero diagonal); same as --metric precomputed.
    #[arg(long)]
    pub precomputed: bool,
    /// Draw the persistence diagram to this PNG.
    #[arg(long, value_name = "OUT.png")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: TopologyArgs) -> Result<()> {
    let start = Instant::now();
    let metric = crate::metric_kwds::metric_or_precomputed(args.precomputed, &args.metric, args.metric_kwds.as_deref())?;
    let mut outputs = Outputs::new();
    let plot_out = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let bars = Bars::for_run(&args.run);
    let params = RipsParams { maxdim: args.maxdim, thresh: args.thresh, metric, n_perm: args.n_perm, threads: args.run.threads };
    let result = rips_persistence(&x, &params, &bars)?;
    if let (Some(out), Some(path)) = (plot_out, args.plot.as_ref()) {
        let png =
            diagram_png(&result, &format!("{}  persistence diagram", input.display_name())).map_err(|e| UsageError(format!("{}: {e:#}", path.display())))?;
        outputs.write(out, |w| w.write_all(&png))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let out = json!({
            "diagrams": result.dgms,
            "num_edges": result.num_edges,
            "idx_perm": args.n_perm.map(|_| &result.idx_perm),
            "r_cover": result.r_cover,
            "n": x.n_rows(),
            "maxdim": args.maxdim,
            "thresh": if args.thresh.is_finite() { json!(args.thresh) } else { json!("inf") },
            "plot": args.plot,
            "seconds": seconds,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "persistent homology of {} points ({} edges{}):",
        result.idx_perm.len(),
        result.num_edges,
        match args.n_perm {
            Some(_) => format!(", maxmin subsample of {} covering within {:.4}", x.n_rows(), result.r_cover),
            None => String::new(),
        }
    );
    for (dim, dgm) in result.dgms.iter().enumerate() {
        let essential = dgm.iter().filter(|p| p[1].is_infinite()).count();
        let mut finite: Vec<[f64; 2]> = dgm.iter().filter(|p| p[1].is_finite()).copied().collect();
        finite.sort_by(|a, b| (b[1] - b[0]).total_cmp(&(a[1] - a[0])));
        let top: Vec<String> = finite.iter().take(3).map(|p| format!("[{:.4}, {:.4})", p[0], p[1])).collect();
        println!("  H{dim}: {} bars, {essential} essential{}{}", dgm.len(), if top.is_empty() { "" } else { "; longest finite: " }, top.join(" "));
    }
    Ok(())
}

/// The diagram as a scatter plot: one colour per dimension, essential classes drawn on a line
/// above the largest finite death, and the diagonal as a dotted grey line.
fn diagram_png(result: &Persistence, title: &str) -> Result<Vec<u8>> {
    let finite = result.dgms.iter().flatten().flat_map(|p| p.iter().copied()).filter(|v| v.is_finite());
    let top = finite.fold(0f64, f64::max).max(f64::MIN_POSITIVE);
    let inf_line = top * 1.1;
    let mut coords = Vec::new();
    let mut codes = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (dim, dgm) in result.dgms.iter().enumerate() {
        names.push(format!("H{dim}"));
        for p in dgm {
            coords.extend([p[0] as f32, if p[1].is_finite() { p[1] as f32 } else { inf_line as f32 }]);
            codes.push(dim as u32);
        }
    }
    names.push(format!("birth = death; ∞ at {inf_line:.3}"));
    let diagonal = names.len() as u32 - 1;
    for i in 0..=600 {
        let v = (inf_line * f64::from(i) / 600.0) as f32;
        coords.extend([v, v]);
        codes.push(diagonal);
        if i % 4 == 0 {
            coords.extend([v, inf_line as f32]);
            codes.push(diagonal);
        }
    }
    let categories = Categories { codes, names };
    scatter_png(&ScatterSpec { coords: &coords, dims: 2, categories: Some(&categories), title, width: 900, height: 800 })
}
