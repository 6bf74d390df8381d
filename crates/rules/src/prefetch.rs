//! A hint to the CPU to start loading memory that will be read soon.
//!
//! Linting a long script walks two large structures in order: the server's parse tree, then the
//! statement model. Neither fits in the cache by the time it is walked, and each statement's
//! first read waited on memory; asking for the next statement's bytes while the current one is
//! worked on overlaps that wait with work (see `docs/performance.md`).

const LINE: usize = 64;

/// Ask for the bytes `[from, from + len)`, at most `max` of them (the last ones). A hint only:
/// it never faults and reads nothing, whatever the address.
pub fn range(from: *const u8, len: usize, max: usize) {
    let end = from as usize + len;
    let start = if len > max { end - max } else { from as usize };
    let mut at = start & !(LINE - 1);
    while at < end {
        line(at as *const u8);
        at += LINE;
    }
}

#[inline(always)]
fn line(_at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it does not fault on any address
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(_at as *const i8)
    };
}
