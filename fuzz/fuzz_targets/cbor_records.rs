//! Fuzzes the records decoder: no input may panic it, and whatever decodes must
//! re-encode to a body that decodes to the same records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provlab_proto::records::{decode_any, encode_commands, encode_responses, Body};

fuzz_target!(|data: &[u8]| {
    match decode_any(data, 100) {
        Ok(Body::Commands(commands)) => {
            let body = encode_commands(&commands).expect("decoded commands re-encode");
            assert_eq!(decode_any(&body, 100), Ok(Body::Commands(commands)));
        }
        Ok(Body::Responses(responses)) => {
            let body = encode_responses(&responses).expect("decoded responses re-encode");
            assert_eq!(decode_any(&body, 100), Ok(Body::Responses(responses)));
        }
        Err(_) => {}
    }
});
