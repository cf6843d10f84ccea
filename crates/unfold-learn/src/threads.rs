//! Local rayon pools: a `threads` parameter never touches the global pool.

use crate::error::{Error, Result};

/// Checks a `threads` parameter: `None` (all cores) or at least 1.
pub fn check(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        return Err(Error::param("threads", 0, "must be at least 1 (omit it to use all cores)"));
    }
    Ok(())
}

/// Runs `f` on a pool of `threads` workers (`None` = rayon's global pool, i.e. all cores, or
/// the pool `f` is already running on). Already on a pool of `threads` workers, `f` runs there:
/// a fit that installs its pool can be called from a front end that installed the same one.
pub fn install<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    check(threads)?;
    match threads {
        None => Ok(f()),
        Some(t) if rayon::current_thread_index().is_some() && rayon::current_num_threads() == t => Ok(f()),
        Some(t) => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().map_err(|e| Error::Numerical { stage: "thread pool", message: e.to_string() })?;
            Ok(pool.install(f))
        }
    }
}

/// Splits `data` into consecutive pieces ending at each of `ends` (increasing, the last one
/// `data.len()`), for tasks that each write one piece.
pub(crate) fn split_at_ends<T>(mut data: &mut [T], ends: impl Iterator<Item = usize>) -> Vec<&mut [T]> {
    let mut start = 0;
    let mut pieces = Vec::new();
    for end in ends {
        let (head, tail) = std::mem::take(&mut data).split_at_mut(end - start);
        pieces.push(head);
        data = tail;
        start = end;
    }
    pieces
}
