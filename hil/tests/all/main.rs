//! All of the `hil` integration tests but those kept apart, in one test binary:
//! one link and one executable instead of one per file, which keeps the test build
//! small and quick (see ARCHITECTURE.md, "Tests"). Each module is one former
//! `tests/*.rs` file; the shared helpers are modules here too.

mod backend_scripted;
mod compare_sim;
mod console_pty;
mod console_virtual_board;
mod decode_catalogue;
mod decode_spec;
mod import_catalogue;
mod import_field;
mod import_virtual_board;
mod lab_and_boards;
mod service_rest;
mod support;
mod virtual_rack;
