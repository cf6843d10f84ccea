//! Progress bars on stderr (hidden when stderr is not a terminal or with `--quiet`) and Ctrl-C.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use unfold_learn::Progress;

/// Draws one bar per stage and turns Ctrl-C into cancellation (a second Ctrl-C exits at once).
pub struct Bars {
    quiet: bool,
    visible: bool,
    bar: Mutex<Option<ProgressBar>>,
    cancelled: Arc<AtomicBool>,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = cancelled.clone();
        // Only one handler per process can be installed; a failure just means no Ctrl-C handling.
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted; no output written");
                std::process::exit(130);
            }
        });
        Bars { quiet, visible: !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(None), cancelled }
    }

    /// Prints a line on stderr above the bars, unless quiet (also when stderr is not a terminal:
    /// notes belong in logs too).
    pub fn note(&self, msg: &str) {
        if self.quiet {
            return;
        }
        match self.bar.lock().unwrap().as_ref() {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }
}

impl Progress for Bars {
    fn stage(&self, name: &str, total: u64) {
        let bar = if self.visible {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = if total > 0 {
                ProgressStyle::with_template("{prefix:>12.cyan.bold} [{bar:30}] {pos}/{len} ({elapsed}, eta {eta}) {msg}")
            } else {
                ProgressStyle::with_template("{prefix:>12.cyan.bold} {spinner} {elapsed}")
            };
            b.set_style(style.unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
            b.set_prefix(name.to_string());
            b
        } else {
            ProgressBar::hidden()
        };
        if let Some(old) = self.bar.lock().unwrap().replace(bar) {
            old.finish_and_clear();
        }
    }

    fn inc(&self, delta: u64) {
        if let Some(b) = self.bar.lock().unwrap().as_ref() {
            b.inc(delta);
        }
    }

    fn message(&self, text: &str) {
        if let Some(b) = self.bar.lock().unwrap().as_ref() {
            b.set_message(text.to_string());
        }
    }

    fn finish_stage(&self) {
        if let Some(b) = self.bar.lock().unwrap().take() {
            b.finish_and_clear();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
