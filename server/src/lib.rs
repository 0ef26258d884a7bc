//! The fake nRF Cloud Provisioning Service.
//!
//! This crate will hold the service's sans-IO domain core (members, claimed devices,
//! configurations, statuses, rules, batching), its REST API, its device endpoints (HTTPS and
//! CoAP over DTLS 1.2) and SQLite persistence. Filled by the service issue.
