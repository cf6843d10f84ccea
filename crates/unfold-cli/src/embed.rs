//! `unfold embed`: fit an embedding and write it (and optionally a plot).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};
use serde_json::json;

use unfold_learn::Progress;
use unfold_learn::io::AnyMatrix;
use unfold_learn::method::{Context, FitData, Value};

use crate::fit_inputs::FitInputs;
use crate::input::{Input, UsageError, default_output, with_input};
use crate::method_opts::MethodOpts;
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;

/// The names `--method` takes, with their help.
fn method_values() -> PossibleValuesParser {
    PossibleValuesParser::new(unfold_learn::method::methods().into_iter().map(|m| PossibleValue::new(m.name).help(m.summary)))
}

/// Fit an embedding of INPUT (or of the built-in MNIST demo set) and write it.
#[derive(Args)]
#[command(after_help = "Examples:
  unfold embed --plot demo.png                      # PCA of the built-in MNIST demo, with a plot
  unfold embed cells.npy --method pca --dims 10     # writes cells.pca.npy
  unfold embed cells.npy --dims 10 --whiten --save-model cells.pca
  unfold embed mnist.npy --method umap --seed 42 --save-model mnist.umap
  unfold transform --model mnist.umap new.npy -o new.umap.npy
  unfold embed table.csv -o coords.csv --json       # CSV in, CSV out, a JSON summary on stdout")]
pub struct EmbedArgs {
    /// Input data: .npy, .csv/.tsv or IDX (*-ubyte, optionally .gz). Omit for the MNIST demo set.
    pub input: Option<PathBuf>,
    /// Embedding method.
    #[arg(long, default_value = "pca", value_parser = method_values())]
    pub method: String,
    /// Output file (.npy, .csv or .tsv). Default: <input stem>.<method>.npy beside the input.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also draw the embedding to this PNG (coloured by --labels, or by digit for the demo).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Labels for the plot: .npy (ints or strings), IDX, or text with one label per line (or a
    /// CSV/TSV table, with --labels-column).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The column of a --labels table that holds the labels: a name in its header, or a number from 1.
    #[arg(long, value_name = "NAME", requires = "labels")]
    pub labels_column: Option<String>,
    /// Number of output dimensions (n_components) [default: 2; random-projection: auto, from the
    /// Johnson–Lindenstrauss bound; pca also takes a fraction of the variance to keep, or mle].
    #[arg(long)]
    pub dims: Option<String>,
    /// Seed for every random choice; with a seed the output is identical at any thread count.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Save the fitted model for `unfold transform`: what placing new rows needs (UMAP: the
    /// training rows, their search graph and the embedding; PCA: the components and means), with
    /// the parameters as the fit resolved them. Without it, UMAP keeps no copy of the rows.
    #[arg(long, value_name = "FILE")]
    pub save_model: Option<PathBuf>,
    #[arg(long, value_name = "KEY=VALUE,...", help = crate::metric_kwds::HELP)]
    pub metric_kwds: Option<String>,
    /// The input is a square matrix of dissimilarities (spectral: of affinities), not rows: the
    /// method's --metric (or --affinity) precomputed.
    #[arg(long)]
    pub precomputed: bool,
    /// Also write the fit's log local radii of the data and of the embedding (n × 2) to this
    /// file (umap's output_dens, rad_orig_ and rad_emb_).
    #[arg(long, value_name = "FILE")]
    pub output_dens: Option<PathBuf>,
    #[command(flatten)]
    pub methods: MethodOpts,
    #[command(flatten)]
    pub inputs: FitInputs,
    #[command(flatten)]
    pub run: RunOptions,
}

/// `--precomputed`: the method's `metric` parameter (or `affinity`, spectral's name) set to
/// `precomputed`.
///
/// # Errors
/// [`UsageError`] for a method with neither parameter, or with the flag also given another value.
fn precomputed(values: &mut Vec<(&'static str, Value)>, entry: &unfold_learn::method::MethodEntry) -> Result<()> {
    let specs = (entry.specs)();
    let Some(spec) = ["metric", "affinity"].iter().find_map(|n| specs.iter().find(|s| s.name == *n)) else {
        return Err(UsageError(format!("--precomputed does not apply to --method {}: it takes rows", entry.name)).into());
    };
    match values.iter().find(|(n, _)| *n == spec.name) {
        Some((_, v)) if !v.to_string().eq_ignore_ascii_case("precomputed") => {
            Err(UsageError(format!("--precomputed takes the input as a square matrix: it does not go with --{} {v}", spec.flag.replace('_', "-"))).into())
        }
        Some(_) => Ok(()),
        None => {
            values.push((spec.name, Value::Text("precomputed".into())));
            Ok(())
        }
    }
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let start = Instant::now();
    // clap checked the name against `method_values`.
    let entry = unfold_learn::method::method(&args.method)?;
    let name = entry.name;
    let specs = (entry.specs)();
    let mut values = args.methods.values(&entry, args.dims.as_deref())?;
    args.inputs.check(&entry)?;
    for (given, flag, param) in [(args.metric_kwds.is_some(), "--metric-kwds", "metric"), (args.output_dens.is_some(), "--output-dens", "output_dens")] {
        if given && !specs.iter().any(|s| s.name == param) {
            return Err(UsageError(format!("{flag} does not apply to --method {name}")).into());
        }
    }
    if let Some(kwds) = &args.metric_kwds {
        let metric = match values.iter().position(|(n, _)| *n == "metric") {
            Some(i) => values.remove(i).1.to_string(),
            None => "euclidean".to_string(),
        };
        values.push(("metric", Value::Metric(crate::metric_kwds::metric(&metric, Some(kwds))?)));
    }
    if args.output_dens.is_some() {
        values.push(("output_dens", Value::Bool(true)));
    }
    if args.precomputed {
        precomputed(&mut values, &entry)?;
    }
    let output = args.output.clone().unwrap_or_else(|| default_output(args.input.as_deref(), &format!("{name}.npy")));
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &output, Format::Matrix);
    let model_out = args.save_model.as_ref().map(|p| outputs.add("--save-model", p, Format::Model));
    let dens_out = args.output_dens.as_ref().map(|p| outputs.add("--output-dens", p, Format::Matrix));
    let plot_out = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let bars = Bars::for_run(&args.run);
    // A method that computes in the input's precision (PCA) reads float64 and 32/64-bit integer
    // .npy files and text in f64 (f32 would round them, or overflow beyond 3.4e38).
    // Methods that take sparse rows read a .npz file as such; the others are told which do.
    bars.stage("read input", 0);
    let load = if entry.precise { Input::load_precise } else { Input::load_or_sparse };
    let input = load(args.input.as_deref(), args.labels.as_deref(), args.labels_column.as_deref())?;
    if let AnyMatrix::Sparse(m) = &input.matrix
        && !entry.sparse
    {
        return Err(unfold_learn::method::sparse_refused(&entry).in_file(m.path()).into());
    }
    let n = input.matrix.n_rows();
    // Labels are read per `target_metric`: the value given, or the declared default.
    let target_metric =
        values.iter().find(|(n, _)| *n == "target_metric").map(|(_, v)| v).or_else(|| specs.iter().find(|s| s.name == "target_metric").map(|s| &s.default));
    let categorical = target_metric.is_none_or(|v| v.to_string().eq_ignore_ascii_case("categorical"));
    let target = args.inputs.target(n, categorical)?;
    let knn = args.inputs.knn_graph(n)?;
    // Without --save-model only the embedding is wanted: UMAP then keeps no copy of the rows.
    let ctx = Context { seed: args.seed, threads: args.run.threads, progress: &bars, keep_data: args.save_model.is_some() };
    let (model, embedding) = with_input!(&input, |data| ctx.install(|| {
        let fit_data = FitData { x: data, y: target.as_ref(), knn: knn.as_ref() };
        let model = (entry.fit)(&values, fit_data, &ctx)?;
        // As scikit-learn's fit_transform: the fit's own embedding, or the fitted rows transformed.
        let embedding = match model.embedding() {
            Some(e) => e.as_slice().to_vec(),
            None => model.transform(data, &ctx)?.as_slice().to_vec(),
        };
        Ok((model, embedding))
    })?);
    for w in model.warnings() {
        bars.note(&format!("warning: {w}"));
    }
    let model_bytes = if args.save_model.is_some() { Some(model.to_bytes()?) } else { None };
    let k = model.n_components();
    // Every parameter as the fit resolved it (auto choices, the curve's a and b, the epochs).
    let mut parameters: serde_json::Map<String, serde_json::Value> = model.params().iter().map(|(n, v)| (n.to_string(), value_json(v))).collect();
    for (name, v) in model.resolved() {
        parameters.insert(name.to_string(), value_json(&v));
    }
    parameters.insert("seed".into(), json!(args.seed));
    // Per-component and scalar fitted attributes (explained_variance_ratio_, noise_variance_);
    // per-point ones (rad_orig_) go to files.
    let attributes = model.attributes();
    for a in &attributes {
        match a.shape[..] {
            [] => parameters.insert(a.name.to_string(), json!(a.values[0])),
            [c] if c == k && c != n => parameters.insert(a.name.to_string(), json!(a.values)),
            _ => None,
        };
    }
    let radii: Option<Vec<f32>> = match (attributes.iter().find(|a| a.name == "rad_orig_"), attributes.iter().find(|a| a.name == "rad_emb_")) {
        (Some(o), Some(e)) => Some(o.values.iter().zip(&e.values).flat_map(|(&o, &e)| [o as f32, e as f32]).collect()),
        _ => None,
    };
    let title_params: Vec<String> = values.iter().filter(|(n, _)| *n != "n_components").map(|(n, v)| format!("{n}={}", title_value(v))).collect();
    let parameters = serde_json::Value::Object(parameters);
    // A non-euclidean output space is drawn through its map onto the plane (see OutputMetric::plane).
    let output_space = model.params().iter().find(|(n, _)| *n == "output_metric").and_then(|(_, v)| {
        use unfold_learn::method::params::ParamType;
        unfold_learn::embed::umap::OutputMetric::from_value("output_metric", v).ok().filter(|m| !m.is_euclidean())
    });
    drop(model);
    bars.stage("write output", 0);
    outputs.write_matrix(out, &embedding, n, k)?;
    if let (Some(o), Some(bytes)) = (model_out, &model_bytes) {
        outputs.write(o, |w| w.write_all(bytes))?;
    }
    if let (Some(o), Some(r)) = (dens_out, &radii) {
        outputs.write_matrix(o, r, n, 2)?;
    }
    if let (Some(o), Some(png)) = (plot_out, &args.plot) {
        let title = format!("{} of {}  n={n}  {}", name.to_uppercase(), input.display_name(), title_params.join("  "));
        let bytes = match output_space {
            Some(m) => {
                let disk = m != unfold_learn::embed::umap::OutputMetric::Haversine;
                let view = if disk { "Poincaré disk" } else { "sphere, equirectangular: longitude across, latitude up" };
                let title = format!("{title}  ({view})");
                crate::plot_cmd::render_png_framed(png, &m.plane(&embedding, k), 2, input.labels.as_ref(), &title, (1200, 1000), disk)?
            }
            None => crate::plot_cmd::render_png(png, &embedding, k, input.labels.as_ref(), &title, (1200, 1000))?,
        };
        outputs.write(o, |w| w.write_all(&bytes))?;
    }
    outputs.commit()?;
    bars.finish_stage();
    let seconds = start.elapsed().as_secs_f64();
    if args.run.json {
        let summary = json!({
            "method": name,
            "input": input.display_name(),
            "n": n,
            "input_dims": input.matrix.n_cols(),
            "dims": k,
            "seconds": seconds,
            "output": output.display().to_string(),
            "plot": args.plot.as_ref().map(|p| p.display().to_string()),
            "model": args.save_model.as_ref().map(|p| p.display().to_string()),
            "model_bytes": model_bytes.as_ref().map(Vec::len),
            "parameters": parameters,
        });
        println!("{summary}");
    } else {
        let mut plot = args.plot.as_ref().map(|p| format!(", plot {}", p.display())).unwrap_or_default();
        if let (Some(path), Some(bytes)) = (&args.save_model, &model_bytes) {
            plot += &format!(", model {} ({:.1} MB)", path.display(), bytes.len() as f64 / 1e6);
        }
        bars.note(&format!("{name}: embedded {n} × {} into {k} dimensions in {seconds:.2} s → {}{plot}", input.matrix.n_cols(), output.display()));
    }
    Ok(())
}

/// A parameter value in the JSON summary.
pub(crate) fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Text(t) => json!(t),
        Value::None => serde_json::Value::Null,
        // "an array of shape (n, 2)", "minkowski:3".
        Value::Array { .. } | Value::Metric(_) => json!(v.to_string()),
    }
}

/// A parameter value in a plot title: numbers to four decimals.
fn title_value(v: &Value) -> String {
    match v {
        Value::Float(f) => format!("{}", (f * 1e4).round() / 1e4),
        Value::Array { .. } => "array".into(),
        v => v.to_string(),
    }
}
