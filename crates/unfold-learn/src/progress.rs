//! Progress reporting and cancellation for long computations.
//!
//! Long functions take `&dyn Progress`. The CLI draws bars with it, the Python layer checks for
//! KeyboardInterrupt; the library itself never prints.

use crate::error::{Error, Result};

/// Receives progress from long computations and can ask them to stop.
///
/// Implementations must be cheap and thread-safe: `inc` may be called from worker threads.
pub trait Progress: Sync {
    /// A new stage starts with `total` units of work (0 when unknown).
    fn stage(&self, _name: &str, _total: u64) {}
    /// `delta` units of the current stage are done.
    fn inc(&self, _delta: u64) {}
    /// The current stage is finished.
    fn finish_stage(&self) {}
    /// A short status of the current stage (t-SNE's KL divergence), shown beside its bar.
    fn message(&self, _text: &str) {}
    /// Whether [`message`](Self::message)'s text is shown anywhere; computations skip work done
    /// only for their messages (t-SNE's KL divergence every 50 iterations) when it is not. An
    /// implementation that shows messages says so here.
    fn shows_messages(&self) -> bool {
        false
    }
    /// True when the caller wants the computation to stop as soon as possible.
    fn is_cancelled(&self) -> bool {
        false
    }
    /// Returns [`Error::Cancelled`] when cancellation was requested.
    fn check(&self) -> Result<()> {
        if self.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
    }
}

/// Reports nothing and never cancels.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Forwards only cancellation: for work run beside another stage, whose bars its own stages
/// would interleave with.
#[derive(Clone, Copy)]
pub struct CancelOnly<'a>(pub &'a dyn Progress);

impl Progress for CancelOnly<'_> {
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}
