//! All of the `vocab` integration tests but those kept apart, in one test binary:
//! one link and one executable instead of one per file, which keeps the test build
//! small and quick (see ARCHITECTURE.md, "Tests"). Each module is one former
//! `tests/*.rs` file; the shared helpers are modules here too.

mod rest_shapes;
