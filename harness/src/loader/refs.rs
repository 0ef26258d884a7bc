//! Resolving `@file:` content references relative to the scenario file.

use std::ops::Range;
use std::path::Path;

use crate::scenario::{ContentRef, ContentSource, Scenario};

/// Reads every `@file:` reference of the scenario; returns a problem per unreadable file.
pub(crate) fn resolve(scenario: &mut Scenario, base: &Path) -> Vec<(Range<usize>, String)> {
    let mut problems = Vec::new();
    let mut each = |content: &mut ContentRef| {
        let ContentSource::File { path, .. } = content.source() else {
            return;
        };
        let full = base.join(path);
        match std::fs::read_to_string(&full) {
            Ok(text) => content.set_file_text(text),
            Err(e) => problems.push((
                content.span(),
                format!(
                    "cannot read `{}` (looked for {}): {e}; `@file:` paths are relative to the scenario file",
                    path.display(),
                    full.display()
                ),
            )),
        }
    };
    for device in &mut scenario.devices {
        for credential in &mut device.credentials {
            if let Some(content) = &mut credential.content {
                each(content);
            }
        }
        for command in &mut device.config {
            if let Some(content) = command.request.contents_mut() {
                each(content);
            }
        }
    }
    for rule in &mut scenario.service.rules {
        for command in &mut rule.commands {
            if let Some(content) = command.request.contents_mut() {
                each(content);
            }
        }
    }
    for step in &mut scenario.steps {
        for request in step.get_mut().requests_mut() {
            if let Some(content) = request.contents_mut() {
                each(content);
            }
        }
    }
    problems
}
