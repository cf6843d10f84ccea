//! The flags of the methods on the core's method contract (`unfold_learn::method`), built from
//! their parameter declarations: a method added to the core's registry gets its `--method`
//! name, its flags and their `--help` here without code of its own.

use std::path::Path;

use anyhow::Context;
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use unfold_learn::io::read_matrix;
use unfold_learn::method::{MethodEntry, ParamKind, ParamSpec, Value, methods};

use crate::input::UsageError;

/// Parameters whose flags `unfold embed` defines itself: `--dims`, which every method shares,
/// and `--output-dens FILE`, an output file that sets `output_dens`.
const SHARED: [(&str, &str); 2] = [("n_components", "dims"), ("output_dens", "output-dens")];

/// The command-line flag of a parameter: its declared flag, `_` written as `-`.
fn flag(spec: &ParamSpec) -> String {
    SHARED.iter().find(|(name, _)| *name == spec.name).map_or_else(|| spec.flag.replace('_', "-"), |(_, f)| f.to_string())
}

/// The values given to the flags of contract methods, as `(flag, text)`.
#[derive(Debug, Default, Clone)]
pub struct MethodOpts {
    given: Vec<(String, String)>,
}

/// Every flag of every contract method, with its help, once per flag (the first method that
/// declares it describes it).
fn all_flags() -> Vec<(String, MethodEntry, ParamSpec)> {
    let mut out: Vec<(String, MethodEntry, ParamSpec)> = Vec::new();
    for m in methods() {
        for spec in (m.specs)() {
            let f = flag(&spec);
            if SHARED.iter().any(|(_, s)| *s == f) || out.iter().any(|(g, ..)| *g == f) {
                continue;
            }
            out.push((f, m, spec));
        }
    }
    out
}

impl MethodOpts {
    /// The parameter values for method `entry`: `(name, value)` for each of its flags that was
    /// given, and `n_components` from `--dims`. A value of a word-or-array parameter (`--init`)
    /// that is not one of its words is a file of numbers, read here.
    ///
    /// # Errors
    /// [`UsageError`] for a flag of another method; the reader's error for a file.
    pub fn values(&self, entry: &MethodEntry, dims: Option<&str>) -> anyhow::Result<Vec<(&'static str, Value)>> {
        let specs = (entry.specs)();
        let mut out = Vec::new();
        for (f, text) in &self.given {
            let Some(spec) = specs.iter().find(|s| flag(s) == *f) else {
                return Err(UsageError(format!("--{f} does not apply to --method {}", entry.name)).into());
            };
            let value = match spec.kind {
                ParamKind::ChoiceOrArray(words) if !words.iter().any(|w| w.eq_ignore_ascii_case(text)) => {
                    let m = read_matrix(Path::new(text)).with_context(|| format!("reading --{f}"))?;
                    let values = m.data()?.as_slice().iter().map(|&v| v as f64).collect();
                    Value::Array { values, shape: vec![m.n_rows(), m.n_cols()] }
                }
                _ => Value::parse(text),
            };
            out.push((spec.name, value));
        }
        if let (Some(d), Some(spec)) = (dims, specs.iter().find(|s| s.name == "n_components")) {
            out.push((spec.name, Value::parse(d)));
        }
        Ok(out)
    }
}

impl FromArgMatches for MethodOpts {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut opts = MethodOpts::default();
        opts.update_from_arg_matches(matches)?;
        Ok(opts)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for (f, ..) in all_flags() {
            if let Some(v) = matches.get_one::<String>(&f) {
                self.given.push((f, v.clone()));
            }
        }
        Ok(())
    }
}

impl clap::Args for MethodOpts {
    fn augment_args(mut cmd: Command) -> Command {
        for (f, m, spec) in all_flags() {
            let default = match &spec.default {
                Value::Bool(false) => String::new(),
                v => format!(" [default: {v}]"),
            };
            let range = match spec.kind {
                ParamKind::Int | ParamKind::Float | ParamKind::IntOrAuto | ParamKind::FloatOrAuto if spec.range != unfold_learn::method::Range::ANY => {
                    format!(" ({})", spec.range.describe().trim_start_matches("must be "))
                }
                ParamKind::Choice(words) => format!(" ({})", words.join(", ")),
                ParamKind::ChoiceOrArray(words) => format!(" ({}, or a .npy/.csv file of coordinates)", words.join(", ")),
                _ => String::new(),
            };
            let mut arg = Arg::new(f.clone()).long(f).help(format!("{}{range}{default}", spec.help)).help_heading(format!("{} options", m.name));
            arg = match spec.kind {
                ParamKind::Bool => arg.num_args(0..=1).default_missing_value("true").value_name("BOOL").action(ArgAction::Set),
                _ => arg.value_name(spec.name.to_uppercase()).action(ArgAction::Set),
            };
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
