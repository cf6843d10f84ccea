//! `unfold embed`: fit an embedding and write it (and optionally a plot).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};
use serde_json::json;
use unfold_learn::prelude::*;

use unfold_learn::method::{Context, MethodEntry, Value};

use crate::input::{Input, UsageError, default_output, with_input};
use crate::method_opts::MethodOpts;
use crate::options::RunOptions;
use crate::outputs::{Format, Outputs};
use crate::progress::Bars;
use crate::umap_opts::UmapOpts;

/// UMAP, with options of its own below, or a method of the core's method registry, with the
/// flags its parameter declarations give ([`MethodOpts`]).
#[derive(Clone, Copy)]
enum Method {
    Umap,
    Contract(MethodEntry),
}

impl Method {
    fn from_name(name: &str) -> Method {
        match name {
            "umap" => Method::Umap,
            // clap checked the name against `method_values`.
            other => Method::Contract(unfold_learn::method::method(other).expect("a registered method")),
        }
    }
}

/// The names `--method` takes, with their help.
fn method_values() -> PossibleValuesParser {
    let mut values = vec![PossibleValue::new("umap").help("Uniform Manifold Approximation and Projection (umap-learn's algorithm and defaults)")];
    values.extend(unfold_learn::method::methods().into_iter().map(|m| PossibleValue::new(m.name).help(m.summary)));
    PossibleValuesParser::new(values)
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
    #[command(flatten)]
    pub umap: UmapOpts,
    #[command(flatten)]
    pub methods: MethodOpts,
    #[command(flatten)]
    pub run: RunOptions,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let start = Instant::now();
    let method = Method::from_name(&args.method);
    let name = args.method.as_str();
    let foreign = match method {
        Method::Umap => args.methods.first_given(),
        Method::Contract(_) => args.umap.first_given().map(str::to_string),
    };
    if let Some(flag) = foreign {
        return Err(UsageError(format!("{flag} does not apply to --method {name}")).into());
    }
    // UMAP takes a whole number of dimensions.
    let dims = match (method, args.dims.as_deref()) {
        (Method::Contract(_), _) | (_, None) => 2,
        (_, Some(d)) => d.parse::<usize>().map_err(|_| UsageError(format!("--dims must be a whole number for --method {name}, got {d:?}")))?,
    };
    let output = args.output.clone().unwrap_or_else(|| default_output(args.input.as_deref(), &format!("{name}.npy")));
    let mut outputs = Outputs::new();
    let out = outputs.add("-o", &output, Format::Matrix);
    let model_out = args.save_model.as_ref().map(|p| outputs.add("--save-model", p, Format::Model));
    let dens_out = args.umap.output_dens.as_ref().map(|p| outputs.add("--output-dens", p, Format::Matrix));
    let plot_out = args.plot.as_ref().map(|p| outputs.add("--plot", p, Format::Png));
    outputs.check()?;
    let bars = Bars::new(args.run.quiet);
    // A method that computes in the input's precision (PCA) reads float64 and 32/64-bit integer
    // .npy files and text in f64 (f32 would round them, or overflow beyond 3.4e38).
    let load = match method {
        Method::Contract(entry) if entry.precise => Input::load_precise,
        _ => Input::load,
    };
    let input = load(args.input.as_deref(), args.labels.as_deref(), args.labels_column.as_deref())?;
    let mut model_bytes = None;
    let mut radii: Option<Vec<f32>> = None;
    let (embedding, k, parameters) = match method {
        Method::Umap => {
            let data = input.data()?;
            let params = args.umap.params(dims)?;
            let knn = args.umap.knn_graph(data.n_rows())?;
            let umap = Umap::new(params.clone())?;
            // Without --save-model only the embedding is wanted: UMAP keeps no copy of the rows.
            let ctx = Context { seed: args.seed, threads: args.run.threads, progress: &bars, keep_data: args.save_model.is_some() };
            let model = match args.umap.target(data.n_rows())? {
                Some(y) => umap.fit_supervised(&data, &y, knn.as_ref(), &ctx)?,
                None => umap.fit_with(&data, knn.as_ref(), &ctx)?,
            };
            for w in model.warnings() {
                bars.note(&format!("warning: {w}"));
            }
            if args.save_model.is_some() {
                model_bytes = Some(model.to_bytes()?);
            }
            if let Some((orig, emb)) = model.radii() {
                radii = Some(orig.iter().zip(emb).flat_map(|(&o, &e)| [o, e]).collect::<Vec<f32>>());
            }
            let summary = UmapOpts::summary(&params, args.seed, &model);
            (model.into_embedding(), dims, summary)
        }
        Method::Contract(entry) => {
            let values = args.methods.values(&entry, args.dims.as_deref())?;
            // Without --save-model only the embedding is wanted: UMAP keeps no copy of the rows.
            let ctx = Context { seed: args.seed, threads: args.run.threads, progress: &bars, keep_data: args.save_model.is_some() };
            let (model, embedding) = with_input!(&input, |data| ctx.install(|| {
                let model = (entry.fit)(&values, data, &ctx)?;
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
            if args.save_model.is_some() {
                model_bytes = Some(model.to_bytes()?);
            }
            // The values given, the defaults, and what the fit made of "auto" choices.
            let resolved = model.resolved();
            let mut parameters: serde_json::Map<String, serde_json::Value> = (entry.specs)()
                .into_iter()
                .map(|spec| {
                    let given = values.iter().find(|(n, _)| *n == spec.name).map_or(&spec.default, |(_, v)| v);
                    let v = resolved.iter().find(|(n, _)| *n == spec.name).map_or(given, |(_, v)| v);
                    (spec.name.to_string(), value_json(v))
                })
                .collect();
            // Per-component and scalar fitted attributes (explained_variance_ratio_, noise_variance_).
            for a in model.attributes() {
                match a.shape[..] {
                    [] => parameters.insert(a.name.to_string(), json!(a.values[0])),
                    [n] if n == model.n_components() => parameters.insert(a.name.to_string(), json!(a.values)),
                    _ => None,
                };
            }
            (embedding, model.n_components(), serde_json::Value::Object(parameters))
        }
    };
    let n = input.matrix.n_rows();
    outputs.write_matrix(out, &embedding, n, k)?;
    if let (Some(o), Some(bytes)) = (model_out, &model_bytes) {
        outputs.write(o, |w| w.write_all(bytes))?;
    }
    if let (Some(o), Some(r)) = (dens_out, &radii) {
        outputs.write_matrix(o, r, n, 2)?;
    }
    if let (Some(o), Some(png)) = (plot_out, &args.plot) {
        let title = format!("{} of {}  n={n}  {}", name.to_uppercase(), input.display_name(), plot_title_params(&parameters));
        let bytes = crate::plot_cmd::render_png(png, &embedding, k, input.labels.as_ref(), &title, (1200, 1000))?;
        outputs.write(o, |w| w.write_all(&bytes))?;
    }
    outputs.commit()?;
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
        bars.note(
            &format!("{name}: embedded {n} × {} into {k} dimensions in {seconds:.2} s → {}{plot}", input.matrix.n_cols(), output.display()),
        );
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
    }
}

/// Key parameters for a plot title: scalar entries of the JSON parameters, `name=value`.
fn plot_title_params(parameters: &serde_json::Value) -> String {
    let Some(map) = parameters.as_object() else { return String::new() };
    map.iter()
        .filter(|(_, v)| v.is_number() || v.is_string())
        .map(|(k, v)| {
            let text = match (v.as_str(), v.as_f64()) {
                (Some(s), _) => s.to_string(),
                // Floats stored from f32 print as 0.10000000149011612: four decimals.
                (None, Some(f)) if !v.is_i64() && !v.is_u64() => format!("{}", (f * 1e4).round() / 1e4),
                _ => v.to_string(),
            };
            format!("{k}={text}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}
