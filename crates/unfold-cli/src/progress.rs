//! Progress bars on stderr (hidden when stderr is not a terminal or with `--quiet`), Ctrl-C, and
//! the per-stage report of `--stages`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use unfold_learn::Progress;

use crate::options::RunOptions;

/// Draws one bar per stage and turns Ctrl-C into cancellation (a second Ctrl-C exits at once).
pub struct Bars {
    quiet: bool,
    visible: bool,
    bar: Mutex<Option<ProgressBar>>,
    cancelled: Arc<AtomicBool>,
    stages: Option<StageReport>,
}

/// `--stages`: each stage's wall time and the peak resident set size (RSS) of the whole process
/// while it ran. A thread samples `/proc/self/statm` every few milliseconds: the kernel's own
/// high-water mark (`VmHWM`) cannot be reset without also resetting the peak that `wait4` and
/// GNU time report, so it only gives the peak so far.
struct StageReport {
    started: Instant,
    current: Mutex<Option<(String, Instant, f64)>>,
    /// Largest RSS seen since the current stage started, in bytes.
    peak: Arc<AtomicU64>,
}

/// Sampling period of the RSS thread; a stage shorter than this may show the RSS at its end.
const RSS_PERIOD: Duration = Duration::from_millis(5);

/// The resident set size of this process, in bytes, or 0 where `/proc` cannot tell.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    // Second field: resident pages. The page size is 4 KiB on the platforms that have /proc/self/statm
    // in this form (x86-64 and aarch64 Linux with default pages).
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).map_or(0, |pages| pages * 4096)
}

/// CPU time (user and system, all threads) of this process so far, in seconds, or 0 where
/// `/proc` cannot tell.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces, so split after its ')'): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s on Linux.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

impl StageReport {
    fn start() -> StageReport {
        let peak = Arc::new(AtomicU64::new(resident_bytes()));
        let sampler = peak.clone();
        // Detached: it ends with the process.
        std::thread::spawn(move || {
            loop {
                sampler.fetch_max(resident_bytes(), Ordering::Relaxed);
                std::thread::sleep(RSS_PERIOD);
            }
        });
        StageReport { started: Instant::now(), current: Mutex::new(None), peak }
    }

    /// Ends the current stage (printing its line) and starts `next`; without `next`, the work
    /// up to the next stage is reported as following the one that ended.
    fn switch(&self, next: Option<&str>) {
        let now = resident_bytes();
        let peak = self.peak.fetch_max(now, Ordering::Relaxed).max(now);
        let mut current = self.current.lock().unwrap();
        let ended = current.take();
        let cpu = cpu_seconds();
        if let Some((name, started, cpu_at_start)) = &ended {
            let seconds = started.elapsed().as_secs_f64();
            // Unnamed work between two stages is worth a line only when it took time.
            if !name.starts_with('(') || seconds >= 0.05 {
                eprintln!(
                    "stage {name}: {seconds:.2} s (CPU {:.2} s), peak RSS {:.0} MB, RSS at end {:.0} MB",
                    cpu - cpu_at_start,
                    peak as f64 / 1e6,
                    now as f64 / 1e6
                );
            }
        }
        let next = match (next, &ended) {
            (Some(name), _) => Some(name.to_string()),
            (None, Some((name, ..))) if !name.starts_with('(') => Some(format!("(after {name})")),
            (None, _) => None,
        };
        if let Some(name) = next {
            self.peak.store(now, Ordering::Relaxed);
            *current = Some((name, Instant::now(), cpu));
        }
    }
}

impl Drop for StageReport {
    /// Ends the last stage and prints the whole run: its time and the kernel's peak RSS.
    fn drop(&mut self) {
        self.switch(None);
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let hwm_kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
        let peak = hwm_kb.map_or_else(|| "unknown".to_string(), |kb| format!("{:.0} MB", kb as f64 * 1024.0 / 1e6));
        eprintln!("stages: {:.2} s in all (CPU {:.2} s), peak RSS {peak}", self.started.elapsed().as_secs_f64(), cpu_seconds());
    }
}

impl Bars {
    /// Bars as `--quiet` and `--stages` ask.
    pub fn for_run(run: &RunOptions) -> Bars {
        let mut bars = Bars::new(run.quiet);
        if run.stages {
            bars.stages = Some(StageReport::start());
        }
        bars
    }

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
        Bars { quiet, visible: !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(None), cancelled, stages: None }
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
        if let Some(old) = self.bar.lock().unwrap().take() {
            old.finish_and_clear();
        }
        if let Some(report) = &self.stages {
            report.switch(Some(name));
        }
        *self.bar.lock().unwrap() = Some(bar);
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

    fn shows_messages(&self) -> bool {
        self.visible
    }

    fn finish_stage(&self) {
        if let Some(b) = self.bar.lock().unwrap().take() {
            b.finish_and_clear();
        }
        if let Some(report) = &self.stages {
            report.switch(None);
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
