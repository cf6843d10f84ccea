//! `unfold measure`: what shape the data has, before choosing an embedding.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use unfold_learn::io::npy_bytes_f64_vector;
use unfold_learn::measure::danco::DancoVersion;
use unfold_learn::measure::intrinsic_dim::{Combine, EssVersion, Estimator, IdParams, LpcaVersion, MindVersion, TwoNnMethod, intrinsic_dimension};

use crate::input::{Input, UsageError};
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// Measure the data: its intrinsic dimension, its persistent homology.
#[derive(Args)]
pub struct MeasureArgs {
    #[command(subcommand)]
    pub what: Measure,
}

#[derive(Subcommand)]
pub enum Measure {
    Id(IdArgs),
    Topology(crate::measure_topology::TopologyArgs),
    Entropy(crate::measure_entropy::EntropyArgs),
    Hyperbolicity(crate::measure_hyperbolicity::HyperbolicityArgs),
    Curvature(crate::measure_curvature::CurvatureArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EstimatorName {
    /// TwoNN (Facco et al.): ratios of second to first neighbour distances; global only.
    Twonn,
    /// Levina–Bickel maximum likelihood on each point's neighbours.
    Mle,
    /// Local PCA: a rule on the PCA eigenvalues of all rows, and of each neighbourhood.
    Lpca,
    /// Correlation dimension between the median k1-th and k2-th neighbour distances; global only.
    Corrint,
    /// MADA (Farahmand et al.): ln 2 / ln(R_k / R_k/2) per point.
    Mada,
    /// Expected simplex skewness (Johnsson et al.) of each neighbourhood.
    Ess,
    /// MiND-ML (Rozza et al.): likelihood of first to (k+1)-th neighbour distance ratios; global only.
    #[value(name = "mind_ml")]
    MindMl,
    /// DANCo (Ceruti et al.): the uniform ball closest in neighbour distances and angles; global only.
    Danco,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DancoVer {
    #[value(name = "DANCo")]
    Danco,
    #[value(name = "MIND_MLk")]
    Mlk,
    #[value(name = "MIND_MLi")]
    Mli,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EssVer {
    #[value(name = "a")]
    A,
    #[value(name = "b")]
    B,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MindVer {
    #[value(name = "MLk")]
    Mlk,
    #[value(name = "MLi")]
    Mli,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TwoNnFit {
    Linear,
    Mle,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Comb {
    Mle,
    Mean,
    Median,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Ver {
    #[value(name = "FO")]
    Fo,
    #[value(name = "Fan")]
    Fan,
    #[value(name = "maxgap")]
    Maxgap,
    #[value(name = "ratio")]
    Ratio,
    #[value(name = "participation_ratio")]
    ParticipationRatio,
    #[value(name = "Kaiser")]
    Kaiser,
    #[value(name = "broken_stick")]
    BrokenStick,
}

/// Estimate the intrinsic dimension, globally and per point, as scikit-dimension does.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold measure id cells.npy                               # TwoNN
  unfold measure id cells.npy --estimator mle --per-point id.npy --json
  unfold measure id demo --estimator lpca --ver Fan
  unfold measure id cells.npy --estimator corrint --k1 10 --k2 20

Estimators (scikit-dimension 0.5's definitions and defaults): twonn (--discard-fraction 0.1,
--twonn-method linear|mle), mle (20 neighbours, --comb mle|mean|median, --unbiased), lpca
(--ver FO|Fan|maxgap|ratio|participation_ratio|Kaiser|broken_stick with --alpha-fo 0.05,
--alpha-fan 10, --beta-fan 0.8, --p-fan 0.95, --alpha-ratio 0.05; per point on 100 neighbours),
corrint (--k1 10 --k2 20), mada (20 neighbours, --comb mean|median), ess (100 neighbours,
--ess-ver a|b, --comb mean|median), mind_ml (--neighbors is its k = 20, --max-dim 10,
--mind-ver MLk|MLi), danco (--neighbors is its k = 10, --max-dim = the number of columns,
--danco-ver DANCo|MIND_MLk|MIND_MLi, --no-fractal for the whole dimension; its calibration balls
are drawn from --seed).
Neighbours are exact up to max(4096, 7k²) rows, NN-descent (seeded by --seed) above.
--json keys: dimension, estimator, n, n_neighbors, dropped, per_point_quantiles ([min, 25 %,
median, 75 %, max] of the per-point estimates), per_point (the file), seconds.")]
pub struct IdArgs {
    /// Input data (.npy, .csv/.tsv, IDX), or `demo` for the built-in MNIST demo set.
    pub input: PathBuf,
    /// The estimator.
    #[arg(long, value_enum, default_value = "twonn")]
    pub estimator: EstimatorName,
    /// Neighbours per point (default: 2 for twonn, 20 for mle, mada and mind_ml, 10 for danco,
    /// 100 for ess and lpca per point).
    #[arg(long)]
    pub neighbors: Option<usize>,
    /// Write one estimate per point here (.npy, float64, shape (n,)); mle, lpca, mada, ess.
    #[arg(long, value_name = "OUT.npy")]
    pub per_point: Option<PathBuf>,
    /// twonn: fraction of the largest ratios left out.
    #[arg(long)]
    pub discard_fraction: Option<f64>,
    /// twonn: the line fit of Facco et al. or the maximum-likelihood estimate.
    #[arg(long, value_enum)]
    pub twonn_method: Option<TwoNnFit>,
    /// mle, mada, ess: how the per-point estimates make the global one (mle = harmonic mean,
    /// mle's default; mada and ess take mean, their default, or median).
    #[arg(long, value_enum)]
    pub comb: Option<Comb>,
    /// corrint: the neighbour whose median distance is r1.
    #[arg(long)]
    pub k1: Option<usize>,
    /// corrint: the neighbour whose median distance is r2.
    #[arg(long)]
    pub k2: Option<usize>,
    /// ess: the statistic (a: simplex skewness, b: projection).
    #[arg(long, value_enum)]
    pub ess_ver: Option<EssVer>,
    /// mind_ml, danco: the largest dimension considered (scikit-dimension's D; mind_ml 10, danco
    /// the number of columns).
    #[arg(long)]
    pub max_dim: Option<usize>,
    /// mind_ml: the maximum over [0, D] (MLk) or over whole dimensions (MLi).
    #[arg(long, value_enum)]
    pub mind_ver: Option<MindVer>,
    /// danco: DANCo, or its MiND-ML dimension alone.
    #[arg(long, value_enum)]
    pub danco_ver: Option<DancoVer>,
    /// danco: the whole dimension of least divergence instead of the spline's minimum.
    #[arg(long)]
    pub no_fractal: bool,
    /// mle: the bias-corrected k − 2 for k − 1.
    #[arg(long)]
    pub unbiased: bool,
    /// lpca: the rule on the eigenvalues.
    #[arg(long, value_enum)]
    pub ver: Option<Ver>,
    /// lpca --ver FO: eigenvalues above this fraction of the largest count.
    #[arg(long)]
    pub alpha_fo: Option<f64>,
    /// lpca --ver Fan: the large-gap threshold.
    #[arg(long)]
    pub alpha_fan: Option<f64>,
    /// lpca --ver Fan: the total-variance threshold.
    #[arg(long)]
    pub beta_fan: Option<f64>,
    /// lpca --ver Fan: the fraction of the variance taken as signal.
    #[arg(long)]
    pub p_fan: Option<f64>,
    /// lpca --ver ratio: the fraction of the variance that may be left out.
    #[arg(long)]
    pub alpha_ratio: Option<f64>,
    /// Distance between rows (as `unfold neighbors --metric`).
    #[arg(long, default_value = "euclidean")]
    pub metric: String,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// Seed of the approximate neighbour search; with a seed the result is identical at any
    /// thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: MeasureArgs) -> Result<()> {
    match args.what {
        Measure::Id(a) => run_id(a),
        Measure::Topology(a) => crate::measure_topology::run(a),
        Measure::Entropy(a) => crate::measure_entropy::run(a),
        Measure::Hyperbolicity(a) => crate::measure_hyperbolicity::run(a),
        Measure::Curvature(a) => crate::measure_curvature::run(a),
    }
}

/// The estimator the flags describe; a flag of another estimator is a usage error.
fn estimator(a: &IdArgs) -> Result<Estimator> {
    let name = match a.estimator {
        EstimatorName::Twonn => "twonn",
        EstimatorName::Mle => "mle",
        EstimatorName::Lpca => "lpca",
        EstimatorName::Corrint => "corrint",
        EstimatorName::Mada => "mada",
        EstimatorName::Ess => "ess",
        EstimatorName::MindMl => "mind_ml",
        EstimatorName::Danco => "danco",
    };
    let owners: [(&str, bool, &[&str]); 17] = [
        ("--discard-fraction", a.discard_fraction.is_some(), &["twonn"]),
        ("--twonn-method", a.twonn_method.is_some(), &["twonn"]),
        ("--comb", a.comb.is_some(), &["mle", "mada", "ess"]),
        ("--unbiased", a.unbiased, &["mle"]),
        ("--ver", a.ver.is_some(), &["lpca"]),
        ("--alpha-fo", a.alpha_fo.is_some(), &["lpca"]),
        ("--alpha-fan", a.alpha_fan.is_some(), &["lpca"]),
        ("--beta-fan", a.beta_fan.is_some(), &["lpca"]),
        ("--p-fan", a.p_fan.is_some(), &["lpca"]),
        ("--alpha-ratio", a.alpha_ratio.is_some(), &["lpca"]),
        ("--k1", a.k1.is_some(), &["corrint"]),
        ("--k2", a.k2.is_some(), &["corrint"]),
        ("--ess-ver", a.ess_ver.is_some(), &["ess"]),
        ("--max-dim", a.max_dim.is_some(), &["mind_ml", "danco"]),
        ("--danco-ver", a.danco_ver.is_some(), &["danco"]),
        ("--no-fractal", a.no_fractal, &["danco"]),
        ("--mind-ver", a.mind_ver.is_some(), &["mind_ml"]),
    ];
    if let Some((flag, _, owners)) = owners.iter().find(|(_, given, owners)| *given && !owners.contains(&name)) {
        return Err(UsageError(format!("{flag} does not apply to --estimator {name} (it is an option of {})", owners.join(", "))).into());
    }
    let comb = |default: Comb| match a.comb.unwrap_or(default) {
        Comb::Mle => Combine::Mle,
        Comb::Mean => Combine::Mean,
        Comb::Median => Combine::Median,
    };
    let ver = a.ver.unwrap_or(Ver::Fo);
    let lpca_flags = [
        ("--alpha-fo", a.alpha_fo.is_some(), "FO"),
        ("--alpha-fan", a.alpha_fan.is_some(), "Fan"),
        ("--beta-fan", a.beta_fan.is_some(), "Fan"),
        ("--p-fan", a.p_fan.is_some(), "Fan"),
        ("--alpha-ratio", a.alpha_ratio.is_some(), "ratio"),
    ];
    let ver_name = match ver {
        Ver::Fo => "FO",
        Ver::Fan => "Fan",
        Ver::Ratio => "ratio",
        _ => "",
    };
    if let Some((flag, _, owner)) = lpca_flags.iter().find(|(_, given, owner)| *given && *owner != ver_name) {
        return Err(UsageError(format!("{flag} applies to --ver {owner} only")).into());
    }
    Ok(match a.estimator {
        EstimatorName::Twonn => Estimator::TwoNn {
            discard_fraction: a.discard_fraction.unwrap_or(0.1),
            method: match a.twonn_method.unwrap_or(TwoNnFit::Linear) {
                TwoNnFit::Linear => TwoNnMethod::Linear,
                TwoNnFit::Mle => TwoNnMethod::Mle,
            },
        },
        EstimatorName::Mle => Estimator::Mle { unbiased: a.unbiased, comb: comb(Comb::Mle) },
        EstimatorName::Corrint => Estimator::CorrInt { k1: a.k1.unwrap_or(10), k2: a.k2.unwrap_or(20) },
        EstimatorName::Mada => Estimator::Mada { comb: comb(Comb::Mean) },
        EstimatorName::Ess => Estimator::Ess {
            ver: match a.ess_ver.unwrap_or(EssVer::A) {
                EssVer::A => EssVersion::A,
                EssVer::B => EssVersion::B,
            },
            comb: comb(Comb::Mean),
        },
        EstimatorName::MindMl => Estimator::MindMl {
            max_dim: a.max_dim.unwrap_or(10),
            ver: match a.mind_ver.unwrap_or(MindVer::Mlk) {
                MindVer::Mlk => MindVersion::Mlk,
                MindVer::Mli => MindVersion::Mli,
            },
        },
        EstimatorName::Danco => Estimator::Danco {
            max_dim: a.max_dim,
            ver: match a.danco_ver.unwrap_or(DancoVer::Danco) {
                DancoVer::Danco => DancoVersion::Danco,
                DancoVer::Mlk => DancoVersion::MindMlk,
                DancoVer::Mli => DancoVersion::MindMli,
            },
            fractal: !a.no_fractal,
        },
        EstimatorName::Lpca => Estimator::Lpca {
            version: match ver {
                Ver::Fo => LpcaVersion::Fo { alpha: a.alpha_fo.unwrap_or(0.05) },
                Ver::Fan => LpcaVersion::Fan { alpha: a.alpha_fan.unwrap_or(10.0), beta: a.beta_fan.unwrap_or(0.8), p: a.p_fan.unwrap_or(0.95) },
                Ver::Maxgap => LpcaVersion::Maxgap,
                Ver::Ratio => LpcaVersion::Ratio { alpha: a.alpha_ratio.unwrap_or(0.05) },
                Ver::ParticipationRatio => LpcaVersion::ParticipationRatio,
                Ver::Kaiser => LpcaVersion::Kaiser,
                Ver::BrokenStick => LpcaVersion::BrokenStick,
            },
        },
    })
}

fn run_id(args: IdArgs) -> Result<()> {
    let start = Instant::now();
    let estimator = estimator(&args)?;
    estimator.validate()?;
    let metric = crate::metric_kwds::metric(&args.metric, args.metric_kwds.as_deref())?;
    let mut outputs = Outputs::new();
    let per_point_out = args.per_point.as_ref().map(|p| outputs.add("--per-point", p, Format::Npy));
    outputs.check()?;
    let input = Input::load(crate::input::path_or_demo(&args.input), None, None)?;
    let x = input.data()?;
    let bars = Bars::for_run(&args.run);
    let params = IdParams { estimator, n_neighbors: args.neighbors, per_point: args.per_point.is_some(), metric, seed: args.seed, threads: args.run.threads };
    let report = intrinsic_dimension(&x, &params, &bars)?;
    if let (Some(out), Some(values)) = (per_point_out, report.per_point.as_deref()) {
        outputs.write(out, |w| w.write_all(&npy_bytes_f64_vector(values)))?;
    }
    outputs.commit()?;
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let mut out = serde_json::to_value(&report)?;
        out["n"] = json!(x.n_rows());
        out["per_point"] = json!(args.per_point);
        out["seconds"] = json!(seconds);
        println!("{out}");
        return Ok(());
    }
    println!("intrinsic dimension ({}, {} points): {:.4}", report.estimator, x.n_rows(), report.dimension);
    if let Some(q) = report.per_point_quantiles {
        println!("  per point: min {:.3}, quartiles {:.3} / {:.3} / {:.3}, max {:.3}", q[0], q[1], q[2], q[3], q[4]);
    }
    if report.dropped > 0 {
        println!("  {} points with a duplicate (distance 0 to the nearest neighbour) left out", report.dropped);
    }
    Ok(())
}
