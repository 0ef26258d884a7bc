//! IMEIs: 15 digits = 8-digit type allocation code (TAC) + 6-digit serial + Luhn check digit
//! (3GPP TS 23.003 §6.2.1; the check digit is computed with the Luhn formula, TS 23.003
//! Annex B).

use rand_core::RngCore;

/// The TAC the simulator gives derived IMEIs: `35265610`.
///
/// Source: the `AT+CGSN` example in Nordic's "nRF91 AT Commands" reference (`+CGSN` set
/// command: `AT+CGSN` → `352656100367872`), i.e. the TAC of an nRF9160. Not checked against
/// the GSMA TAC database.
pub const DEFAULT_TAC: &str = "35265610";

/// The Luhn check digit (0–9) for a string of decimal digits, or `None` if `digits` holds
/// anything else.
pub fn luhn_check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    // Double every second digit counting from the rightmost digit of the payload.
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    // (10 - sum mod 10) mod 10 is always < 10, so the cast is lossless.
    Some(((10 - sum % 10) % 10) as u8)
}

/// Whether `imei` is 15 decimal digits whose last digit is the Luhn check digit of the first
/// 14.
pub fn is_valid_imei(imei: &str) -> bool {
    imei.len() == 15
        && imei.bytes().all(|b| b.is_ascii_digit())
        && luhn_check_digit(&imei[..14]).is_some_and(|d| imei.as_bytes()[14] == b'0' + d)
}

/// An IMEI with [`DEFAULT_TAC`], a random 6-digit serial from `rng` and its check digit.
pub fn random_imei(rng: &mut impl RngCore) -> String {
    let serial = rng.next_u32() % 1_000_000;
    let payload = format!("{DEFAULT_TAC}{serial:06}");
    let check = luhn_check_digit(&payload).unwrap_or(0);
    format!("{payload}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn luhn_known_values() {
        // The worked Luhn example of the Wikipedia "International Mobile Equipment Identity"
        // article: 49015420323751 → check digit 8.
        assert_eq!(luhn_check_digit("49015420323751"), Some(8));
        assert!(is_valid_imei("490154203237518"));
        assert!(!is_valid_imei("490154203237517"));
        assert!(!is_valid_imei("49015420323751"));
        assert!(!is_valid_imei("49015420323751x"));
        assert_eq!(luhn_check_digit("12a"), None);
    }

    #[test]
    fn nordic_reference_example_is_valid() {
        assert!(is_valid_imei("352656100367872"));
    }

    #[test]
    fn random_imeis_are_valid() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..100 {
            let imei = random_imei(&mut rng);
            assert!(is_valid_imei(&imei), "{imei}");
            assert!(imei.starts_with(DEFAULT_TAC));
        }
    }
}
