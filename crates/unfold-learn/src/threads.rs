//! Local rayon pools: a `threads` parameter never touches the global pool.

use crate::error::{Error, Result};

/// Runs `f` on a pool of `threads` workers (`None` = rayon's global pool, i.e. all cores).
pub(crate) fn install<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(Error::param("threads", 0, "must be at least 1 (omit it to use all cores)")),
        Some(t) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .map_err(|e| Error::Numerical { stage: "thread pool", message: e.to_string() })?;
            Ok(pool.install(f))
        }
    }
}
