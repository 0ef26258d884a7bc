//! Forced answers at the CoAP session, sans-IO: an armed status replaces the real answer
//! for its route only, a silence also swallows the retransmissions of that message, and a
//! close asks the listener to end the session. (Over real sockets, HTTPS and CoAP, these
//! are exercised by `provlab-sim`'s `backend_loopback` tests.)

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use provlab_server::app::{App, ManualClock};
use provlab_server::device::coap::session::CoapSession;
use provlab_server::device::core::Route;
use provlab_server::device::forced::ForcedReply;
use provlab_server::domain::ServiceConfig;

fn app() -> App {
    App::in_memory(ServiceConfig::new(1), Arc::new(ManualClock::default()))
}

fn request(path: &str, method: RequestType, mid: u16) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_version(1);
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(method);
    p.header.message_id = mid;
    p.set_token(vec![1, 2]);
    for segment in path.split('/') {
        p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    p.to_bytes().unwrap()
}

fn code(bytes: &[u8]) -> MessageClass {
    Packet::from_bytes(bytes).unwrap().header.code
}

#[test]
fn a_forced_status_answers_its_route_once() {
    let app = app();
    let mut session = CoapSession::new("test");
    app.forced_replies().arm(
        Some(Route::Fetch),
        ForcedReply::Status {
            http: 503,
            coap_class: 5,
            coap_detail: 3,
        },
    );
    // Another route is answered for real (not authenticated: 4.01) and leaves it armed.
    let rsp = session
        .handle(
            &app,
            Instant::now(),
            &request("p/rsp", RequestType::Post, 1),
        )
        .unwrap();
    assert_eq!(
        code(&rsp),
        MessageClass::Response(ResponseType::Unauthorized)
    );
    assert_eq!(app.forced_replies().len(), 1);
    let cmd = session
        .handle(&app, Instant::now(), &request("p/cmd", RequestType::Get, 2))
        .unwrap();
    assert_eq!(
        code(&cmd),
        MessageClass::Response(ResponseType::ServiceUnavailable)
    );
    assert!(app.forced_replies().is_empty());
    let again = session
        .handle(&app, Instant::now(), &request("p/cmd", RequestType::Get, 3))
        .unwrap();
    assert_eq!(
        code(&again),
        MessageClass::Response(ResponseType::Unauthorized)
    );
}

#[test]
fn a_forced_silence_swallows_the_message_and_its_retransmissions() {
    let app = app();
    let mut session = CoapSession::new("test");
    app.forced_replies().arm(None, ForcedReply::Silence);
    let now = Instant::now();
    let get = request("p/cmd", RequestType::Get, 7);
    assert_eq!(session.handle(&app, now, &get), None);
    assert_eq!(session.handle(&app, now, &get), None, "retransmission");
    // A new message is answered.
    assert!(session
        .handle(&app, now, &request("p/cmd", RequestType::Get, 8))
        .is_some());
    assert!(!session.wants_close());
}

#[test]
fn a_forced_close_ends_the_session_without_an_answer() {
    let app = app();
    let mut session = CoapSession::new("test");
    app.forced_replies()
        .arm(Some(Route::Auth), ForcedReply::Close);
    let auth = request("p/auth-jwt", RequestType::Post, 9);
    assert_eq!(session.handle(&app, Instant::now(), &auth), None);
    assert!(session.wants_close());
}
