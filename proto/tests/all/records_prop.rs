//! Property tests of the records codec: round trips and hostile input.
#![allow(clippy::unwrap_used, missing_docs)]

use proptest::prelude::*;
use provlab_proto::records::{
    decode_any, decode_commands, decode_responses, encode_commands, encode_responses, Command,
    CorrelationId, Response, MAX_ID_LEN,
};

fn correlation_id() -> impl Strategy<Value = CorrelationId> {
    proptest::string::string_regex(&format!("[ -~]{{0,{MAX_ID_LEN}}}"))
        .unwrap()
        .prop_map(|s| CorrelationId::new(s).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (
            correlation_id(),
            "%?[A-Z]{1,10}",
            any::<String>(),
            proptest::collection::vec(any::<u32>(), 0..=6)
        )
            .prop_map(|(id, set_command, parameters, ignore_cme)| Command::At {
                id,
                set_command,
                parameters,
                ignore_cme
            }),
        (
            correlation_id(),
            proptest::collection::vec((any::<String>(), any::<String>()), 0..=20)
        )
            .prop_map(|(id, properties)| Command::Config { id, properties }),
        correlation_id().prop_map(|id| Command::Finished { id }),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (correlation_id(), any::<u32>(), any::<String>()).prop_map(|(id, cme_error, message)| {
            Response::Error {
                id,
                cme_error,
                message,
            }
        }),
        (correlation_id(), any::<String>())
            .prop_map(|(id, message)| Response::AtOk { id, message }),
        correlation_id().prop_map(|id| Response::ConfigAck { id }),
        correlation_id().prop_map(|id| Response::FinishedAck { id }),
    ]
}

proptest! {
    #[test]
    fn commands_round_trip(commands in proptest::collection::vec(command(), 1..=20)) {
        let body = encode_commands(&commands).unwrap();
        prop_assert_eq!(decode_commands(&body, 20).unwrap(), commands);
    }

    #[test]
    fn responses_round_trip(responses in proptest::collection::vec(response(), 1..=20)) {
        let body = encode_responses(&responses).unwrap();
        prop_assert_eq!(decode_responses(&body, 20).unwrap(), responses);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_commands(&bytes, 20);
        let _ = decode_responses(&bytes, 20);
        let _ = decode_any(&bytes, 20);
    }

    #[test]
    fn mutated_valid_bodies_never_panic(
        commands in proptest::collection::vec(command(), 1..=5),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut body = encode_commands(&commands).unwrap();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let end = cut.index(body.len() + 1);
        let _ = decode_any(&body[..end], 20);
    }
}

#[test]
fn huge_length_claims_do_not_allocate_or_panic() {
    // A text string, a byte string, an array and a map claiming 2^40 elements.
    for bad in [
        "817b000000ffffffffff",
        "815b000000ffffffffff",
        "819b000000ffffffffff",
        "81bb000000ffffffffff",
        "9b000000ffffffffff",
    ] {
        let bytes = hex::decode(bad).unwrap();
        assert!(decode_any(&bytes, 20).is_err(), "{bad}");
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let mut bytes = vec![0x81; 100_000];
    bytes.push(0x00);
    assert!(decode_any(&bytes, 20).is_err());
    let mut bytes = vec![0x81, 0x82, 0x61, b'a', 0x00];
    bytes.extend(std::iter::repeat_n(0x81, 100_000));
    assert!(decode_any(&bytes, 20).is_err());
}
