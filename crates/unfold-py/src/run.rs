//! Running core work from Python: without the GIL, with a progress bar and Ctrl-C.
//!
//! The work runs on a scoped worker thread while the calling thread waits with the GIL released.
//! Every [`TICK`] the calling thread takes the GIL briefly to run Python's signal handlers
//! (`PyErr_CheckSignals`, which only acts on the main thread) and, when `verbose`, to redraw the
//! bar on `sys.stderr` (so it shows in notebooks too). A KeyboardInterrupt sets the cancellation
//! flag that the core polls through [`Progress::check`]; the core then returns
//! `Error::Cancelled` within one of its work units, and the KeyboardInterrupt is raised.
//!
//! A panic in the core is a bug, never an answer: [`run`] and [`detached`] catch it and raise a
//! `RuntimeError` that names the operation and asks for a report, instead of pyo3's
//! `PanicException` (which derives from `BaseException`, so `except Exception` would miss it).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use unfold_learn::Progress;

use crate::convert::to_py_err;

/// How often the waiting thread checks for signals and redraws the bar.
const TICK: Duration = Duration::from_millis(100);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;

/// Progress shared between the worker (writes) and the waiting thread (reads, draws).
#[derive(Default)]
struct Shared {
    cancelled: AtomicBool,
    stage: Mutex<Option<(String, u64)>>,
    /// Bumped at every stage change so the drawer notices a stage that began and ended between ticks.
    generation: AtomicU64,
    position: AtomicU64,
}

impl Progress for Shared {
    fn stage(&self, name: &str, total: u64) {
        *self.stage.lock().unwrap_or_else(|p| p.into_inner()) = Some((name.to_string(), total));
        self.position.store(0, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Relaxed);
    }
    fn inc(&self, delta: u64) {
        self.position.fetch_add(delta, Ordering::Relaxed);
    }
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// Draws `name [=====>    ] pos/total elapsed` on one line of `sys.stderr`.
struct Bar {
    start: Instant,
    drawn_generation: u64,
    line_open: bool,
}

impl Bar {
    fn draw(&mut self, py: Python<'_>, shared: &Shared, last: bool) {
        let generation = shared.generation.load(Ordering::Relaxed);
        let Some((name, total)) = shared.stage.lock().unwrap_or_else(|p| p.into_inner()).clone() else { return };
        let mut text = String::new();
        if generation != self.drawn_generation && self.line_open {
            text.push('\n');
        }
        self.drawn_generation = generation;
        let pos = shared.position.load(Ordering::Relaxed);
        let secs = self.start.elapsed().as_secs_f64();
        if total > 0 {
            let pos = pos.min(total);
            let filled = (pos as usize * BAR_WIDTH) / total as usize;
            let head = if filled < BAR_WIDTH { ">" } else { "" };
            let bar = format!("{}{head}", "=".repeat(filled));
            text.push_str(&format!("\r{name:>14} [{bar:<BAR_WIDTH$}] {pos}/{total} ({secs:.1} s)"));
        } else {
            text.push_str(&format!("\r{name:>14} … ({secs:.1} s)"));
        }
        if last {
            text.push('\n');
        }
        self.line_open = !last;
        // A broken sys.stderr must not break the computation.
        let _ = py.import("sys").and_then(|sys| {
            let err = sys.getattr("stderr")?;
            err.call_method1("write", (text,))?;
            err.call_method0("flush")
        });
    }
}

/// The text of a panic's payload (`panic!` with a literal gives `&str`, with arguments `String`).
fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str)).unwrap_or("no message")
}

/// The `RuntimeError` for a panic of the core during `operation`.
fn panic_error(operation: &str, payload: &(dyn Any + Send)) -> PyErr {
    PyRuntimeError::new_err(format!(
        "{operation} failed on an internal error of unfold (a bug: please report it at \
         https://github.com/unfold-learn/unfold/issues with the data's shape and the parameters): {}",
        panic_text(payload)
    ))
}

/// Runs `work` without the GIL, for short calls with neither progress nor cancellation; a core
/// error becomes its Python exception and a panic a `RuntimeError` naming `operation`.
pub fn detached<T, F>(py: Python<'_>, operation: &str, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> unfold_learn::Result<T> + Send,
{
    match py.detach(|| catch_unwind(AssertUnwindSafe(work))) {
        Ok(result) => result.map_err(to_py_err),
        Err(payload) => Err(panic_error(operation, payload.as_ref())),
    }
}

/// Runs `work` without the GIL and returns its result, or the KeyboardInterrupt that stopped it.
///
/// `work` receives the [`Progress`] to pass to the core. With `verbose`, a progress bar is drawn
/// on `sys.stderr`. A panic in `work` becomes a `RuntimeError` naming `operation` (e.g. "UMAP
/// fit").
pub fn run<T, F>(py: Python<'_>, operation: &str, verbose: bool, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&dyn Progress) -> unfold_learn::Result<T> + Send,
{
    let shared = Shared::default();
    let mut bar = Bar { start: Instant::now(), drawn_generation: 0, line_open: false };
    let mut interrupt: Option<PyErr> = None;
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel();
            let shared = &shared;
            scope.spawn(move || {
                // Caught here, so that the scope does not re-raise it on the calling thread.
                let _ = tx.send(catch_unwind(AssertUnwindSafe(|| work(shared))));
            });
            loop {
                match rx.recv_timeout(TICK) {
                    Ok(result) => return Some(result),
                    // The worker sends even when the work panicked; nothing else ends it.
                    Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                }
                Python::attach(|py| {
                    if verbose {
                        bar.draw(py, shared, false);
                    }
                    if interrupt.is_none()
                        && let Err(e) = py.check_signals()
                    {
                        interrupt = Some(e);
                        shared.cancelled.store(true, Ordering::Relaxed);
                    }
                });
            }
        })
    });
    if verbose {
        bar.draw(py, &shared, true);
    }
    if let Some(e) = interrupt {
        return Err(e);
    }
    match result {
        Some(Ok(r)) => r.map_err(to_py_err),
        Some(Err(payload)) => Err(panic_error(operation, payload.as_ref())),
        None => Err(PyRuntimeError::new_err(format!("{operation} stopped unexpectedly"))),
    }
}
