//! Resolving `@file:` content references relative to the scenario file, confined to an
//! allowed directory tree (the scenario's own directory unless the caller names another),
//! regular files only and at most [`MAX_CONTENT_BYTES`] each: a scenario from elsewhere must
//! not pull `/etc/passwd` into a transcript, allocate until `/dev/zero` ends, or block on a
//! FIFO.

use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::scenario::{ContentRef, ContentSource, Scenario};

/// The largest file a `@file:` reference may name: certificates and keys are a few KB.
pub const MAX_CONTENT_BYTES: u64 = 1024 * 1024;

/// Reads every `@file:` reference of the scenario; returns a problem per file it refuses or
/// cannot read. `base` is the scenario file's directory; `root` the tree references must
/// stay in (`None`: `base` itself).
pub(crate) fn resolve(
    scenario: &mut Scenario,
    base: &Path,
    root: Option<&Path>,
) -> Vec<(Range<usize>, String)> {
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let root = root.unwrap_or(base);
    let mut problems = Vec::new();
    let mut each = |content: &mut ContentRef| {
        let ContentSource::File { path, .. } = content.source() else {
            return;
        };
        match read_confined(base, root, path) {
            Ok(text) => content.set_file_text(text),
            Err(problem) => problems.push((content.span(), problem)),
        }
    };
    for device in &mut scenario.devices {
        for credential in &mut device.credentials {
            if let Some(content) = &mut credential.content {
                each(content);
            }
        }
        for command in &mut device.config {
            if let Some(content) = command.request.content_mut() {
                each(content);
            }
        }
    }
    for rule in &mut scenario.service.rules {
        for command in &mut rule.commands {
            if let Some(content) = command.request.content_mut() {
                each(content);
            }
        }
    }
    for step in &mut scenario.steps {
        for request in step.get_mut().requests_mut() {
            if let Some(content) = request.content_mut() {
                each(content);
            }
        }
    }
    problems
}

/// The text of `path` (relative to `base`) if it is a regular file of at most
/// [`MAX_CONTENT_BYTES`] inside `root` (symbolic links followed first); else why not.
fn read_confined(base: &Path, root: &Path, path: &Path) -> Result<String, String> {
    let shown = path.display();
    let joined = base.join(path);
    let full = joined.canonicalize().map_err(|e| {
        format!(
            "cannot read `{shown}` (looked for {}): {e}; `@file:` paths are relative to the scenario file",
            joined.display()
        )
    })?;
    let allowed: PathBuf = root.canonicalize().map_err(|e| {
        format!(
            "cannot read `{shown}`: the allowed directory {} is not usable: {e}",
            root.display()
        )
    })?;
    if !full.starts_with(&allowed) {
        return Err(format!(
            "`{shown}` is {}, outside {}: `@file:` references stay in the scenario's directory tree (or the one given with --content-root)",
            full.display(),
            allowed.display()
        ));
    }
    let metadata = std::fs::metadata(&full)
        .map_err(|e| format!("cannot read `{shown}` ({}): {e}", full.display()))?;
    if !metadata.is_file() {
        return Err(format!(
            "`{shown}` ({}) is not a regular file: `@file:` names a certificate or key file",
            full.display()
        ));
    }
    if metadata.len() > MAX_CONTENT_BYTES {
        return Err(too_big(path, metadata.len()));
    }
    let file = std::fs::File::open(&full)
        .map_err(|e| format!("cannot read `{shown}` ({}): {e}", full.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONTENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{shown}` ({}): {e}", full.display()))?;
    if bytes.len() as u64 > MAX_CONTENT_BYTES {
        return Err(too_big(path, bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{shown}` is not UTF-8 text (byte {}): `@file:` names PEM text",
            e.utf8_error().valid_up_to()
        )
    })
}

fn too_big(path: &Path, len: u64) -> String {
    format!(
        "`{}` is {len} bytes, more than the {MAX_CONTENT_BYTES} a `@file:` reference may name",
        path.display()
    )
}
