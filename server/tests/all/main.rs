//! All of the `server` integration tests but those kept apart, in one test binary:
//! one link and one executable instead of one per file, which keeps the test build
//! small and quick (see ARCHITECTURE.md, "Tests"). Each module is one former
//! `tests/*.rs` file; the shared helpers are modules here too.

mod common;
mod device_coap;
mod device_common;
mod device_dtls;
mod device_forced;
mod device_https;
mod device_pki;
mod domain_batching;
mod domain_claim;
mod domain_commands;
mod domain_permissions;
mod domain_replay;
mod domain_rules;
mod domain_status;
mod durability;
mod floods;
mod rest_bad_input;
mod rest_claim_and_provision;
mod rest_client;
mod rest_commands;
mod rest_common;
mod rest_contract;
mod rest_devices;
mod rest_health;
mod rest_openapi;
mod rest_quotas;
mod rest_roles;
mod rest_rules_tags;
mod rest_serve;
mod rest_team;
