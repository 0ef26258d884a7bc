//! All of the `provlab` integration tests but those kept apart, in one test binary:
//! one link and one executable instead of one per file, which keeps the test build
//! small and quick (see ARCHITECTURE.md, "Tests"). Each module is one former
//! `tests/*.rs` file; the shared helpers are modules here too.

mod board_e2e;
mod cli_check_list;
mod cli_compare;
mod cli_decode;
mod cli_import;
mod cli_run;
mod cli_support;
mod serve_durability;
mod test_layout;
