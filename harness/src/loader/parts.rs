//! Every type and vocabulary error of a file at once. The whole-file read stops at its
//! first error; when it fails, the file is read again part by part (each top-level key,
//! each `[[device]]`, `[[fault]]`, `[[step]]` and `[[expect]]` on its own, and inside
//! `[service]` its members, tags, each `[[service.rule]]` and each `[[service.fault]]`, with
//! the spans of the whole file), so that a misspelt status, a wrong type and a missing key
//! are reported together, each where it stands.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use crate::located::Located;
use crate::scenario::{
    DeviceSpec, Expectation, Fault, FaultWindow, Member, RuleSpec, Scenario, ServiceState, Step,
};

/// The keys of `[service]`.
const SERVICE_KEYS: &[&str] = &["members", "tags", "rule", "fault"];

/// The top-level keys of a scenario file.
const TOP_LEVEL: &[&str] = &[
    "name",
    "description",
    "seed",
    "service",
    "device",
    "fault",
    "step",
    "expect",
];

/// Each part's problems, in file order (empty if the parts read on their own, e.g. when
/// the whole-file error is about how they fit together). When the devices and the service
/// read, the rules the loader checks on a whole scenario are checked on the parts that
/// did read too (a `wait_until` without `within`, an unknown device), so those come in the
/// same run.
pub(crate) fn problems(source: &str) -> Vec<(Range<usize>, String)> {
    let Ok(table) = DeTable::parse(source) else {
        return Vec::new();
    };
    let table = table.into_inner();
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let mut partial = Scenario {
        name: Located::new(String::new()),
        description: None,
        seed: None,
        service: ServiceState::default(),
        devices: Vec::new(),
        faults: Vec::new(),
        steps: Vec::new(),
        expect: Vec::new(),
    };
    let mut whole = true;
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        seen.push(name.to_owned());
        match name {
            "name" | "description" => {
                check::<String>(value, &mut out);
            }
            "seed" => {
                check::<u64>(value, &mut out);
            }
            "service" => {
                let (service, essentials) = service(value, &mut out);
                partial.service = service;
                whole &= essentials;
            }
            "device" => {
                let n = out.len();
                partial.devices = each::<DeviceSpec>(value, &mut out);
                whole &= out.len() == n;
            }
            "fault" => partial.faults = each::<Fault>(value, &mut out),
            "step" => partial.steps = each::<Located<Step>>(value, &mut out),
            "expect" => partial.expect = each::<Located<Expectation>>(value, &mut out),
            other => out.push((
                key.span(),
                format!(
                    "unknown field `{other}`, expected one of {}",
                    TOP_LEVEL
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    for required in ["name", "device"] {
        if !seen.iter().any(|k| k == required) {
            out.push((0..0, format!("missing field `{required}`")));
            whole = false;
        }
    }
    if whole && !out.is_empty() {
        out.extend(super::validate::check(&partial));
    }
    out.sort_by_key(|(span, _)| span.start);
    out.dedup();
    out
}

/// Reads `[service]`; when it does not read as a whole, each of its parts on its own,
/// noting each one's error. Returns what did read, and whether the parts the loader's
/// rules need (members and rules) all did.
fn service(
    value: Spanned<DeValue<'_>>,
    out: &mut Vec<(Range<usize>, String)>,
) -> (ServiceState, bool) {
    let mut whole = Vec::new();
    if let Some(service) = check::<ServiceState>(value.clone(), &mut whole) {
        return (service, true);
    }
    let DeValue::Table(table) = value.into_inner() else {
        out.extend(whole);
        return (ServiceState::default(), false);
    };
    let before = out.len();
    let mut partial = ServiceState::default();
    let mut essentials = true;
    for (key, value) in table {
        match key.get_ref().as_ref() {
            "members" => match check::<Vec<Member>>(value, out) {
                Some(members) => partial.members = members,
                None => essentials = false,
            },
            "tags" => partial.tags = check::<Vec<String>>(value, out).unwrap_or_default(),
            "rule" => {
                let n = out.len();
                partial.rules = each::<RuleSpec>(value, out);
                essentials &= out.len() == n;
            }
            "fault" => partial.faults = each::<FaultWindow>(value, out),
            other => {
                essentials = false;
                out.push((
                    key.span(),
                    format!(
                        "unknown field `{other}`, expected one of {}",
                        SERVICE_KEYS
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    if out.len() == before {
        // The parts read on their own: the problem is in how they fit together.
        out.extend(whole);
        essentials = false;
    }
    (partial, essentials)
}

/// Reads `value` as a `T`, noting its error.
fn check<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    out: &mut Vec<(Range<usize>, String)>,
) -> Option<T> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            out.push((e.span().unwrap_or(span), super::explain(e.message())));
            None
        }
    }
}

/// Reads each element of the array `value` as a `T`, noting each one's error; the ones
/// that read.
fn each<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    out: &mut Vec<(Range<usize>, String)>,
) -> Vec<T> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .into_iter()
            .filter_map(|item| check::<T>(item, out))
            .collect(),
        _ => {
            out.push((span, "expected an array of tables (`[[…]]`)".to_owned()));
            Vec::new()
        }
    }
}
