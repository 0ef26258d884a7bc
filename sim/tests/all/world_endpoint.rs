//! The in-memory world and the real endpoints answer device requests alike: the same
//! requests, against the same service state, get the same HTTP status from the world's
//! `serve_http` and the server's HTTPS handler, and the same CoAP code from the world's
//! `serve_coap` and the server's CoAP session. Before the device-endpoint core, the world
//! accepted unknown and repeated fetch parameters the server refuses.
#![allow(clippy::unwrap_used, missing_docs)]

use crate::world_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use coap_lite::{CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType};
use provlab_client::{Block2, CoapMethod, CoapRequest, HttpMethod, HttpRequest, Input};
use provlab_server::app::{App, ManualClock};
use provlab_server::device::coap::session::CoapSession as ServerSession;
use provlab_server::device::core::{COMMANDS_PATH, RESPONSE_PATH};
use provlab_server::device::https::handler::{self, Method};
use provlab_server::domain::ServiceConfig;
use provlab_sim::world::endpoint::{serve_coap, serve_http, CoapSession};
use provlab_sim::world::{DeviceSpec, LinkFaults, World};
use world_support::*;

const GOOD: &str = "after=&rxMaxSize=4096&txMaxSize=4096&limit=20";

/// Fetch queries and what both sides must answer (HTTP status, CoAP code).
fn cases() -> Vec<(String, u16, &'static str)> {
    vec![
        (GOOD.to_owned(), 204, "2.05"),
        (format!("{GOOD}&limit=20"), 400, "4.00"),
        (format!("{GOOD}&after=x"), 400, "4.00"),
        (format!("{GOOD}&colour=red"), 400, "4.00"),
        ("after=&txMaxSize=4096".to_owned(), 400, "4.00"),
        ("after=&rxMaxSize=x&txMaxSize=4096".to_owned(), 400, "4.00"),
    ]
}

/// A world with `dk1` claimed (no commands) and a fresh JWT from its modem.
fn claimed_world() -> (World, String) {
    let (mut world, dk1) = world_with(7, DeviceSpec::new("dk1"));
    world.claim(dk1, &["lab"]).unwrap();
    world.advance(Duration::from_secs(3));
    let now = world.service_time().as_secs();
    let reply = world
        .modem_mut(dk1)
        .unwrap()
        .execute_str(now, "AT%JWT=0,300,\"\",\"\"");
    let jwt = reply.text.split('"').nth(1).unwrap().to_owned();
    (world, jwt)
}

fn http_request(
    method: HttpMethod,
    path_and_query: String,
    headers: &[(&str, &str)],
) -> HttpRequest {
    HttpRequest {
        method,
        host: "provisioning-http.nrfcloud.com".into(),
        port: 443,
        sec_tag: 42,
        path_and_query,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: vec![0x80],
    }
}

/// The status the server's HTTPS handler gives `request`.
fn server_status(app: &App, request: &HttpRequest) -> u16 {
    let (path, query) = match request.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path_and_query.as_str(), None),
    };
    handler::handle(
        app,
        &handler::Request {
            method: match request.method {
                HttpMethod::Get => Method::Get,
                HttpMethod::Post => Method::Post,
            },
            path,
            query,
            authorization: request.header("Authorization"),
            content_type: request.header("Content-Type"),
            body: &request.body,
        },
    )
    .status
}

/// The in-memory world's status for `request`.
fn world_status(world: &mut World, request: &HttpRequest) -> u16 {
    let now = world.service_time();
    let served = serve_http(
        world.service_mut(),
        now,
        &mut LinkFaults::default(),
        0,
        request,
    );
    match served.input {
        Input::Http(response) => response.status.unwrap(),
        other => panic!("{other:?}"),
    }
}

/// An app lent the world's service, at the world's time.
fn app_for(world: &World) -> App {
    let clock = Arc::new(ManualClock::new(world.service_time()));
    App::in_memory(ServiceConfig::new(7), clock)
}

#[test]
fn the_world_and_the_https_handler_give_the_same_statuses() {
    let (mut world, jwt) = claimed_world();
    let bearer = format!("Bearer {jwt}");
    let mut requests: Vec<(HttpRequest, u16)> = cases()
        .into_iter()
        .map(|(query, status, _)| {
            let request = http_request(
                HttpMethod::Get,
                format!("{COMMANDS_PATH}?{query}"),
                &[("Authorization", &bearer)],
            );
            (request, status)
        })
        .collect();
    requests.push((
        http_request(HttpMethod::Get, format!("{COMMANDS_PATH}?{GOOD}"), &[]),
        401,
    ));
    requests.push((
        http_request(
            HttpMethod::Post,
            RESPONSE_PATH.to_owned(),
            &[("Authorization", &bearer), ("Content-Type", "*/*")],
        ),
        415,
    ));
    requests.push((
        http_request(HttpMethod::Post, COMMANDS_PATH.to_owned(), &[]),
        405,
    ));
    let in_memory: Vec<u16> = requests
        .iter()
        .map(|(request, _)| world_status(&mut world, request))
        .collect();
    let app = app_for(&world);
    app.swap_service(world.service_mut());
    let server: Vec<u16> = requests
        .iter()
        .map(|(request, _)| server_status(&app, request))
        .collect();
    app.swap_service(world.service_mut());
    let expected: Vec<u16> = requests.iter().map(|(_, status)| *status).collect();
    assert_eq!(in_memory, expected);
    assert_eq!(server, expected);
}

fn coap_request(method: CoapMethod, path: &str, query: &str, payload: &[u8]) -> CoapRequest {
    CoapRequest {
        method,
        confirmable: true,
        path: path.to_owned(),
        query: query.to_owned(),
        content_format: 60,
        payload: payload.to_vec(),
        block2: (method == CoapMethod::Get).then_some(Block2 {
            num: 0,
            more: false,
            szx: 5,
        }),
    }
}

/// The datagram the server's session gets for `request`.
fn datagram(mid: u16, request: &CoapRequest) -> Vec<u8> {
    let mut packet = Packet::new();
    packet.header.set_version(1);
    packet.header.set_type(MessageType::Confirmable);
    packet.header.message_id = mid;
    packet.header.code = MessageClass::Request(match request.method {
        CoapMethod::Get => RequestType::Get,
        CoapMethod::Post => RequestType::Post,
    });
    packet.set_token(vec![0x5a]);
    for segment in request.path.split('/').filter(|s| !s.is_empty()) {
        packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    for item in request.query.split('&').filter(|s| !s.is_empty()) {
        packet.add_option(CoapOption::UriQuery, item.as_bytes().to_vec());
    }
    packet.set_content_format(ContentFormat::ApplicationCBOR);
    if let Some(block) = request.block2 {
        let raw = (block.num << 4) | (u32::from(block.more) << 3) | u32::from(block.szx);
        let bytes = raw.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        packet.add_option(CoapOption::Block2, bytes[skip..].to_vec());
    }
    packet.payload = request.payload.clone();
    packet.to_bytes().unwrap()
}

#[test]
fn the_world_and_the_coap_session_give_the_same_codes() {
    let (mut world, jwt) = claimed_world();
    let mut requests = vec![(
        coap_request(
            CoapMethod::Post,
            "p/auth-jwt",
            "mver=1&cver=1",
            jwt.as_bytes(),
        ),
        "2.01",
    )];
    for (query, _, code) in cases() {
        requests.push((coap_request(CoapMethod::Get, "p/cmd", &query, &[]), code));
    }
    requests.push((
        coap_request(CoapMethod::Post, "/.dtls/suspend", "", &[]),
        "4.04",
    ));
    requests.push((coap_request(CoapMethod::Post, "p/cmd", GOOD, &[]), "4.05"));
    let now = world.service_time();
    let mut session = CoapSession::default();
    let in_memory: Vec<String> = requests
        .iter()
        .map(|(request, _)| {
            let served = serve_coap(
                world.service_mut(),
                now,
                &mut LinkFaults::default(),
                0,
                &mut session,
                request,
            );
            match served.input {
                Input::Coap(response) => response.code.to_string(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    let app = app_for(&world);
    app.swap_service(world.service_mut());
    let mut server_session = ServerSession::new("world_endpoint test");
    let server: Vec<String> = requests
        .iter()
        .zip(1u16..)
        .map(|((request, _), mid)| {
            let reply = server_session
                .handle(&app, Instant::now(), &datagram(mid, request))
                .unwrap();
            let code = u8::from(Packet::from_bytes(&reply).unwrap().header.code);
            format!("{}.{:02}", code >> 5, code & 0x1f)
        })
        .collect();
    app.swap_service(world.service_mut());
    let expected: Vec<&str> = requests.iter().map(|(_, code)| *code).collect();
    assert_eq!(in_memory, expected);
    assert_eq!(server, expected);
}
