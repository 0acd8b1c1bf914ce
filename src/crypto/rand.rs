//! Randomness from the operating system.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::Error;

/// Fills `out` with bytes from the operating system's secure generator.
pub fn fill_random(out: &mut [u8]) -> Result<(), Error> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| Error::Internal("the system random generator failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_fills_differ() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        assert_eq!(fill_random(&mut a), Ok(()));
        assert_eq!(fill_random(&mut b), Ok(()));
        assert_ne!(a, b);
    }
}
