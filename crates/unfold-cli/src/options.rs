//! Options shared by the commands that compute something.

use clap::Args;

/// `--threads`, `--json`, `--quiet`.
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
}
