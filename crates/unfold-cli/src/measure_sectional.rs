//! `unfold measure curvature --kind sectional`: the triangle-comparison sectional curvature of
//! each point (Gu et al. 2019, Manify's).

use std::time::Instant;

use anyhow::Result;
use serde_json::json;
use unfold_learn::io::npy_bytes_f64_vector;
use unfold_learn::measure::sectional::{SectionalParams, sectional_curvature};

use crate::input::Input;
use crate::measure_curvature::{CurvatureArgs, quantiles};
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

pub fn run(args: CurvatureArgs) -> Result<()> {
    let start = Instant::now();
    let metric = crate::metric_kwds::metric_or_precomputed(args.precomputed, &args.metric, args.metric_kwds.as_deref())?;
    let mut outputs = Outputs::new();
    let per_point_out = args.per_point.as_ref().map(|p| outputs.add("--per-point", p, Format::Npy));
    outputs.check()?;
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let bars = Bars::for_run(&args.run);
    let defaults = SectionalParams::default();
    let params = SectionalParams {
        n_neighbors: args.neighbors.unwrap_or(defaults.n_neighbors),
        metric,
        n_samples: if args.exact { None } else { Some(args.samples.unwrap_or(100)) },
        seed: args.seed,
        threads: args.run.threads,
    };
    let r = sectional_curvature(&x, &params, &bars)?;
    if let Some(out) = per_point_out {
        outputs.write(out, |w| w.write_all(&npy_bytes_f64_vector(&r.per_point)))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let out = json!({
            "mean_sectional_curvature": r.mean,
            "per_point_quantiles": quantiles(&r.per_point),
            "n_without_pairs": r.n_without_pairs,
            "per_point": args.per_point,
            "n": x.n_rows(),
            "n_neighbors": params.n_neighbors,
            "n_references": r.references.len(),
            "seconds": seconds,
        });
        println!("{out}");
        return Ok(());
    }
    println!("sectional curvature of {} points ({} neighbours, {} reference points): mean {:.4}", x.n_rows(), params.n_neighbors, r.references.len(), r.mean);
    if let Some(q) = quantiles(&r.per_point) {
        println!("  points: min {:.3}, quartiles {:.3} / {:.3} / {:.3}, max {:.3}", q[0], q[1], q[2], q[3], q[4]);
    }
    if r.n_without_pairs > 0 {
        println!("  {} points with fewer than two neighbours have no estimate (0 in --per-point)", r.n_without_pairs);
    }
    Ok(())
}
