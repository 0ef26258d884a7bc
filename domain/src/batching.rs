//! Cutting the next batch of records to fit the device's `limit`, `rxMaxSize` and
//! `txMaxSize`.
//!
//! Sizes come from proto's encoder: a body is the CBOR array header plus each record's
//! [`encoded_command_len`], exactly the bytes [`provlab_proto::records::encode_commands`]
//! produces. A batch is the longest *prefix* of the records still to send (order matters:
//! the device executes in order) such that
//! * it has at most `limit` records,
//! * its body is at most `rxMaxSize` bytes, and
//! * the responses it can provoke fit in `txMaxSize` bytes, by the conservative estimate of
//!   [`response_bound`].
//!
//! Two edge cases (ours):
//! * A record that does not fit `rxMaxSize` even alone can never be received: the planner
//!   reports [`Plan::TooLarge`] and the service fails that command (the device goes to
//!   `ERROR`; the owner updates or skips it), instead of sending a body the device must reject
//!   or silently withholding the rest of the configuration.
//! * A record whose *estimated* response alone exceeds `txMaxSize` is still sent, alone: the
//!   estimate is an upper bound, not a prediction (a generic AT command is assumed to fill the
//!   device's whole 4 KiB answer buffer), and refusing it would strand the configuration.

use provlab_proto::records::{
    encoded_command_len, encoded_response_len, Command, RecordError, Response,
};

/// Smallest `rxMaxSize` / `txMaxSize` accepted from a device: below this not even a
/// `finished` record with a full-length id fits, so a smaller value is a malformed request, not
/// a reason to fail commands.
pub const MIN_BUFFER_SIZE: usize = 64;

/// Largest AT answer the device reports: its AT response buffer grows from 1 KiB up to 4 KiB
/// (device-protocol.md §2); a longer answer becomes the error "Key or CSR too big".
pub const DEVICE_AT_ANSWER_MAX: usize = 4096;
/// Bound on a `%KEYGEN` CSR answer before attributes: `%KEYGEN: "` + base64url of a P-256
/// CSR (≈ 300–400 bytes DER) + `.` + base64url of the COSE_Sign1 (≈ 160 bytes) + `"` is about
/// 700 bytes; 1 KiB leaves room.
pub const KEYGEN_CSR_ANSWER_BOUND: usize = 1024;
/// Extra answer bytes allowed per byte of CSR attributes: base64url grows DER by 4/3 and each
/// relative distinguished name adds about a dozen DER bytes, so 4 covers even `CN=a`.
pub const KEYGEN_ATTRIBUTE_FACTOR: usize = 4;
/// Bound on a `%KEYGEN` public key answer: base64url of a 91-byte SPKI plus the COSE part is
/// about 350 bytes.
pub const KEYGEN_PUBLIC_KEY_ANSWER_BOUND: usize = 512;
/// Bound on short messages: the answer text of a credential write or delete (empty on
/// success), config failure messages such as
/// `unable to store [99](0-indexed) key-value-pair`, and "Key or CSR too big".
pub const SHORT_MESSAGE_BOUND: usize = 64;

/// The device's buffer limits for one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Most records per batch.
    pub limit: usize,
    /// Largest body the device can receive, in bytes.
    pub rx_max_size: usize,
    /// Largest responses body the device can send, in bytes.
    pub tx_max_size: usize,
}

/// Bytes of the CBOR head of an array of `n` items (the body's top-level header).
pub fn array_header_len(n: usize) -> usize {
    match n {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// The longest message the device may put in its response to `record`.
pub fn answer_bound(record: &Command) -> usize {
    match record {
        Command::Config { .. } | Command::Finished { .. } => SHORT_MESSAGE_BOUND,
        Command::At {
            set_command,
            parameters,
            ..
        } => {
            let name = set_command.to_ascii_uppercase();
            let mut args = parameters.split(',');
            let op = args.next().map(str::trim);
            match name.as_str() {
                "%CMNG" if matches!(op, Some("0") | Some("3")) => SHORT_MESSAGE_BOUND,
                "%KEYGEN" => match args.nth(1).map(str::trim) {
                    Some("0") => {
                        let attributes = parameters.splitn(4, ',').nth(3).map_or(0, str::len);
                        KEYGEN_CSR_ANSWER_BOUND + KEYGEN_ATTRIBUTE_FACTOR * attributes
                    }
                    Some("1") => KEYGEN_PUBLIC_KEY_ANSWER_BOUND,
                    _ => DEVICE_AT_ANSWER_MAX,
                },
                _ => DEVICE_AT_ANSWER_MAX,
            }
            .min(DEVICE_AT_ANSWER_MAX)
        }
    }
}

/// Conservative size in bytes of the response record the device may send for `record`
/// (excluding the body's array header): the larger of its success record and an error
/// record with the largest CME code and a message of [`answer_bound`] bytes.
pub fn response_bound(record: &Command) -> usize {
    let id = record.id().clone();
    let message = "x".repeat(answer_bound(record));
    let error = Response::Error {
        id: id.clone(),
        cme_error: u32::MAX,
        message: message.clone(),
    };
    let success = match record {
        Command::At { .. } => Response::AtOk { id, message },
        Command::Config { .. } => Response::ConfigAck { id },
        Command::Finished { .. } => Response::FinishedAck { id },
    };
    encoded_response_len(&error).max(encoded_response_len(&success))
}

/// Why a batch ends where it does: what a transcript says when the service holds records
/// back, with the numbers a reader needs to see that the device's own limits did it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "by")]
pub enum Cut {
    /// Every record still to send is in the batch.
    Complete,
    /// The batch holds `limit` records, the device's `limit`.
    Limit {
        /// The device's `limit`.
        limit: usize,
        /// Records left for later fetches.
        held_back: usize,
    },
    /// The next record would make the body `needed` bytes, more than `rxMaxSize`.
    RxMaxSize {
        /// Body size with the next record.
        needed: usize,
        /// The device's `rxMaxSize`.
        rx_max_size: usize,
        /// Records left for later fetches.
        held_back: usize,
    },
    /// The responses the next record can provoke would make the responses body up to
    /// `needed` bytes, more than `txMaxSize`.
    TxMaxSize {
        /// Worst-case responses body with the next record.
        needed: usize,
        /// The device's `txMaxSize`.
        tx_max_size: usize,
        /// Answer bytes reserved for the next record ([`answer_bound`]).
        reserved_answer: usize,
        /// The next record's AT command (`%KEYGEN`, …), when it is one.
        at_command: Option<String>,
        /// Records left for later fetches.
        held_back: usize,
    },
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let records = |n: usize| if n == 1 { "record" } else { "records" };
        match self {
            Cut::Complete => f.write_str("every record still to send fits"),
            Cut::Limit { limit, held_back } => write!(
                f,
                "limit {limit} reached; {held_back} {} held back",
                records(*held_back)
            ),
            Cut::RxMaxSize {
                needed,
                rx_max_size,
                held_back,
            } => write!(
                f,
                "the next record would make the body {needed} bytes, over rxMaxSize {rx_max_size}; \
                 {held_back} {} held back",
                records(*held_back)
            ),
            Cut::TxMaxSize {
                needed,
                tx_max_size,
                reserved_answer,
                at_command,
                held_back,
            } => {
                write!(
                    f,
                    "the responses could need {needed} bytes with the next record"
                )?;
                match at_command {
                    Some(command) => write!(
                        f,
                        " ({reserved_answer} reserved for the answer to AT{command})"
                    )?,
                    None => write!(f, " ({reserved_answer} reserved for its message)")?,
                }
                write!(
                    f,
                    ", over txMaxSize {tx_max_size}; {held_back} {} held back",
                    records(*held_back)
                )
            }
        }
    }
}

/// The planner's verdict on the records still to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to send.
    Empty,
    /// Send the first `count` records.
    Take {
        /// Records in the batch.
        count: usize,
        /// Exact body size in bytes.
        body_len: usize,
        /// Upper bound on the responses body in bytes.
        response_bound: usize,
        /// Why the batch ends there.
        cut: Cut,
    },
    /// The first record alone does not fit `rxMaxSize`.
    TooLarge {
        /// Bytes a body holding only that record needs.
        needed: usize,
        /// The device's `rxMaxSize`.
        rx_max_size: usize,
    },
}

/// Plans the next batch from `records` (the records still to send, in order).
pub fn plan(records: &[Command], limits: FetchLimits) -> Result<Plan, RecordError> {
    let (mut body, mut responses, mut count) = (0usize, 0usize, 0usize);
    let mut cut = Cut::Complete;
    for record in records {
        let held_back = records.len() - count;
        if count >= limits.limit {
            cut = Cut::Limit {
                limit: limits.limit,
                held_back,
            };
            break;
        }
        let len = encoded_command_len(record)?;
        let body_with = array_header_len(count + 1) + body + len;
        if body_with > limits.rx_max_size {
            if count == 0 {
                return Ok(Plan::TooLarge {
                    needed: body_with,
                    rx_max_size: limits.rx_max_size,
                });
            }
            cut = Cut::RxMaxSize {
                needed: body_with,
                rx_max_size: limits.rx_max_size,
                held_back,
            };
            break;
        }
        let bound = response_bound(record);
        let responses_with = array_header_len(count + 1) + responses + bound;
        if responses_with > limits.tx_max_size && count > 0 {
            cut = Cut::TxMaxSize {
                needed: responses_with,
                tx_max_size: limits.tx_max_size,
                reserved_answer: answer_bound(record),
                at_command: match record {
                    Command::At { set_command, .. } => Some(set_command.clone()),
                    _ => None,
                },
                held_back,
            };
            break;
        }
        body += len;
        responses += bound;
        count += 1;
    }
    Ok(if count == 0 {
        Plan::Empty
    } else {
        Plan::Take {
            count,
            body_len: array_header_len(count) + body,
            response_bound: array_header_len(count) + responses,
            cut,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use provlab_proto::records::{encode_commands, encode_responses, CorrelationId};

    fn id(n: u32) -> CorrelationId {
        CorrelationId::new(format!("89ed369b-0fed-4194-a703-aabb7fe8130b.{n:x}")).unwrap()
    }

    fn finished(n: u32) -> Command {
        Command::Finished { id: id(n) }
    }

    fn limits(limit: usize, rx: usize, tx: usize) -> FetchLimits {
        FetchLimits {
            limit,
            rx_max_size: rx,
            tx_max_size: tx,
        }
    }

    #[test]
    fn header_lengths_match_the_encoder() {
        for n in [1usize, 23, 24, 255, 256] {
            let records: Vec<Command> = (0..n as u32).map(finished).collect();
            let body = encode_commands(&records).unwrap();
            let items: usize = records
                .iter()
                .map(|r| encoded_command_len(r).unwrap())
                .sum();
            assert_eq!(body.len(), array_header_len(n) + items, "n = {n}");
        }
    }

    #[test]
    fn body_length_is_exact() {
        let records: Vec<Command> = (0..5).map(finished).collect();
        let Plan::Take {
            count, body_len, ..
        } = plan(&records, limits(10, 4096, 4096)).unwrap()
        else {
            panic!("expected a batch")
        };
        assert_eq!(count, 5);
        assert_eq!(body_len, encode_commands(&records).unwrap().len());
        // Exactly that many bytes still fit; one fewer drops the last record.
        assert!(matches!(
            plan(&records, limits(10, body_len, 4096)).unwrap(),
            Plan::Take { count: 5, .. }
        ));
        assert!(matches!(
            plan(&records, limits(10, body_len - 1, 4096)).unwrap(),
            Plan::Take { count: 4, .. }
        ));
    }

    #[test]
    fn response_bound_covers_real_responses() {
        let at = Command::At {
            id: id(1),
            set_command: "%CMNG".into(),
            parameters: "3,16842753,2".into(),
            ignore_cme: vec![513],
        };
        let real = encode_responses(&[Response::Error {
            id: id(1),
            cme_error: 514,
            message: "+CME ERROR: 514".into(),
        }])
        .unwrap();
        assert!(array_header_len(1) + response_bound(&at) >= real.len());
        let ack = encode_responses(&[Response::FinishedAck { id: id(2) }]).unwrap();
        assert!(array_header_len(1) + response_bound(&finished(2)) >= ack.len());
        let keygen = |params: &str| Command::At {
            id: id(3),
            set_command: "%KEYGEN".into(),
            parameters: params.into(),
            ignore_cme: vec![],
        };
        assert_eq!(
            answer_bound(&keygen("16842753,2,1")),
            KEYGEN_PUBLIC_KEY_ANSWER_BOUND
        );
        assert_eq!(
            answer_bound(&keygen("16842753,2,0")),
            KEYGEN_CSR_ANSWER_BOUND
        );
        assert_eq!(
            answer_bound(&keygen("1,2,0,\"CN=x\",\"101010000\"")),
            KEYGEN_CSR_ANSWER_BOUND + KEYGEN_ATTRIBUTE_FACTOR * "\"CN=x\",\"101010000\"".len()
        );
        assert_eq!(answer_bound(&keygen("1,8")), DEVICE_AT_ANSWER_MAX);
    }

    #[test]
    fn lone_oversized_records() {
        let records = vec![finished(1)];
        let needed = encode_commands(&records).unwrap().len();
        assert_eq!(
            plan(&records, limits(10, needed - 1, 4096)).unwrap(),
            Plan::TooLarge {
                needed,
                rx_max_size: needed - 1
            }
        );
        // A response estimate above txMaxSize still lets a lone record through.
        assert!(matches!(
            plan(&records, limits(10, 4096, 1)).unwrap(),
            Plan::Take { count: 1, .. }
        ));
        assert_eq!(plan(&[], limits(10, 4096, 4096)).unwrap(), Plan::Empty);
    }

    #[test]
    fn limit_and_tx_cut_batches() {
        let records: Vec<Command> = (0..30).map(finished).collect();
        assert!(matches!(
            plan(&records, limits(10, 1 << 20, 1 << 20)).unwrap(),
            Plan::Take { count: 10, .. }
        ));
        let one = array_header_len(1) + response_bound(&records[0]);
        let two = array_header_len(2) + 2 * response_bound(&records[0]);
        assert!(matches!(
            plan(&records, limits(10, 1 << 20, two)).unwrap(),
            Plan::Take { count: 2, .. }
        ));
        assert!(matches!(
            plan(&records, limits(10, 1 << 20, one)).unwrap(),
            Plan::Take { count: 1, .. }
        ));
    }

    fn cut_of(records: &[Command], limits: FetchLimits) -> Cut {
        match plan(records, limits).unwrap() {
            Plan::Take { cut, .. } => cut,
            other => panic!("expected a batch, got {other:?}"),
        }
    }

    #[test]
    fn each_cut_names_the_limit_and_its_numbers() {
        let records: Vec<Command> = (0..30).map(finished).collect();
        assert_eq!(cut_of(&records[..3], limits(10, 4096, 4096)), Cut::Complete);
        let by_limit = cut_of(&records, limits(10, 1 << 20, 1 << 20));
        assert_eq!(
            by_limit,
            Cut::Limit {
                limit: 10,
                held_back: 20
            }
        );
        assert_eq!(
            by_limit.to_string(),
            "limit 10 reached; 20 records held back"
        );

        let two = encode_commands(&records[..2]).unwrap().len();
        let by_rx = cut_of(&records, limits(10, two, 1 << 20));
        assert_eq!(
            by_rx,
            Cut::RxMaxSize {
                needed: encode_commands(&records[..3]).unwrap().len(),
                rx_max_size: two,
                held_back: 28
            }
        );
        assert!(by_rx.to_string().contains(&format!("over rxMaxSize {two}")));

        let at = Command::At {
            id: id(99),
            set_command: "%XMODEMUUID".into(),
            parameters: String::new(),
            ignore_cme: vec![],
        };
        let batch = [finished(1), at];
        let tx = array_header_len(1) + response_bound(&batch[0]) + 100;
        let Cut::TxMaxSize {
            reserved_answer,
            at_command,
            held_back,
            ..
        } = cut_of(&batch, limits(10, 1 << 20, tx))
        else {
            panic!("expected a txMaxSize cut")
        };
        assert_eq!(reserved_answer, DEVICE_AT_ANSWER_MAX);
        assert_eq!(at_command.as_deref(), Some("%XMODEMUUID"));
        assert_eq!(held_back, 1);
        let text = cut_of(&batch, limits(10, 1 << 20, tx)).to_string();
        assert!(
            text.contains("(4096 reserved for the answer to AT%XMODEMUUID)")
                && text.contains(&format!("over txMaxSize {tx}; 1 record held back")),
            "{text}"
        );
    }
}
