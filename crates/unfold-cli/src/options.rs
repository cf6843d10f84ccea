//! Options shared by the commands that compute something.

use clap::Args;

/// `--threads`, `--json`, `--quiet`, `--stages`.
#[derive(Args)]
pub struct RunOptions {
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bars or notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print each stage's wall time and peak resident memory on stderr as it ends.
    #[arg(long)]
    pub stages: bool,
}
