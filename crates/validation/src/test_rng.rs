//! One deterministic generator for the tests (xorshift64*): the same values
//! on every run and machine, so a failing random case can be found again.

/// The next value, advancing `state` (which must not be 0).
pub(crate) fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Values from `seed` on, one per call.
pub(crate) fn generator(mut seed: u64) -> impl FnMut() -> u64 {
    move || next(&mut seed)
}
