//! Cache hints: ask the processor to start loading memory that a loop will read soon. A hint
//! never changes a result and never faults, whatever the address; on other architectures these
//! are no-ops.

/// Prefetches the cache line holding the start of `x`.
#[inline(always)]
pub(crate) fn item<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; it reads nothing and cannot fault.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Prefetches every cache line of `s`.
#[inline]
pub(crate) fn slice<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let (start, len) = (s.as_ptr() as usize, std::mem::size_of_val(s));
        let mut line = start & !63;
        while line < start + len {
            // SAFETY: as in `item`.
            unsafe { core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(line as *const i8) };
            line += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}
