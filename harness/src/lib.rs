//! Scenarios and the runner that plays them against a backend.
//!
//! This crate will hold the scenario model and its TOML loader, the backend interface that
//! `provlab-sim` and `provlab-hil` implement, the runner with its expectations, and the
//! transcripts and reports (text, Mermaid sequence diagrams, JUnit XML, JSON). Filled by
//! the scenario engine issue.
