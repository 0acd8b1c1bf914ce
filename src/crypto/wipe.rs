//! Overwriting secrets before their memory is freed.

use core::sync::atomic::{Ordering, compiler_fence};

/// Sets every byte of `secret` to zero, with a fence so the writes are not
/// dropped as dead stores.
pub(crate) fn wipe(secret: &mut [u8]) {
    for b in secret.iter_mut() {
        *b = 0;
    }
    compiler_fence(Ordering::SeqCst);
}
