//! `unfold`: manifold learning from the command line.
//!
//! Thin over `unfold-learn`: parses arguments, reads files, draws progress bars and plots, and
//! maps errors to exit codes (0 ok, 2 bad usage or bad input, 1 anything else).

mod embed;
mod evaluate;
mod fit_inputs;
mod hierarchy;
mod input;
mod measure;
mod measure_curvature;
mod measure_entropy;
mod measure_hyperbolicity;
mod measure_sectional;
mod measure_topology;
mod method_opts;
mod metric_kwds;
mod neighbors;
mod options;
mod outputs;
mod plot;
mod plot_cmd;
mod progress;
mod transform;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// mimalloc rather than glibc's malloc: a UMAP fit of MNIST 70k took 100k page faults with
// glibc (large buffers returned to the system and faulted in again) and 14k with mimalloc,
// about 10 % of the run time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Manifold learning: embeddings, neighbour graphs and embedding quality.
#[derive(Parser)]
#[command(name = "unfold", version, about = "Manifold learning: embeddings, neighbour graphs and embedding quality", long_about = None, propagate_version = true)]
#[command(after_help = "Run `unfold embed --plot demo.png` to embed the built-in MNIST demo set.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Embed(Box<embed::EmbedArgs>),
    Evaluate(evaluate::EvaluateArgs),
    Hierarchy(Box<hierarchy::HierarchyArgs>),
    Measure(measure::MeasureArgs),
    Neighbors(neighbors::NeighborsArgs),
    Plot(plot_cmd::PlotArgs),
    Transform(transform::TransformArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed(args) => embed::run(*args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Hierarchy(args) => hierarchy::run(*args),
        Command::Measure(args) => measure::run(args),
        Command::Neighbors(args) => neighbors::run(args),
        Command::Plot(args) => plot_cmd::run(args),
        Command::Transform(args) => transform::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code(&err);
            if !is_cancelled(&err) {
                eprintln!("error: {err:#}");
            } else {
                eprintln!("cancelled; no output written");
            }
            ExitCode::from(code)
        }
    }
}

/// 2 for the user's input or parameters, 130 for Ctrl-C, 1 otherwise.
fn exit_code(err: &anyhow::Error) -> u8 {
    if is_cancelled(err) {
        return 130;
    }
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<unfold_learn::Error>() {
            return if e.is_user_error() { 2 } else { 1 };
        }
        if cause.downcast_ref::<input::UsageError>().is_some() {
            return 2;
        }
    }
    1
}

fn is_cancelled(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<unfold_learn::Error>().is_some_and(|e| e.is_cancelled()))
}
