//! All of the `sim` integration tests but those kept apart, in one test binary:
//! one link and one executable instead of one per file, which keeps the test build
//! small and quick (see ARCHITECTURE.md, "Tests"). Each module is one former
//! `tests/*.rs` file; the shared helpers are modules here too.

mod backend_catalogue;
mod backend_determinism;
mod backend_failures;
mod backend_fault_shapes;
mod backend_fleet;
mod backend_loopback;
mod backend_service_faults;
mod backend_support;
mod board_console;
mod catalogue_determinism;
mod serial_at;
mod serial_pty;
mod serial_shell;
mod serial_support;
mod world_coap;
mod world_determinism;
mod world_endpoint;
mod world_failures;
mod world_fault_shapes;
mod world_http;
mod world_power;
mod world_support;
