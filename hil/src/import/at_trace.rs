//! Reading an AT trace: the AT commands the modem received and its final answers, one per
//! line, as an AT host log or a modem trace converted to text shows them. A command line
//! holds `AT<cmd>[=<params>]` (anything before `AT`, such as a timestamp or `>`, is
//! skipped); the answer is the next `OK`, `ERROR` or `+CME ERROR: <n>` line. Other lines
//! (intermediate results such as `%KEYGEN: ...`, comments) are passed over.

use super::error::ImportError;
use super::source::Src;

/// How the modem answered one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtOutcome {
    /// `OK`.
    Ok,
    /// `ERROR`.
    Error,
    /// `+CME ERROR: n`.
    Cme(u32),
    /// The trace ends before an answer.
    Unanswered,
}

/// One command of the trace with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtExchange {
    /// The command's line.
    pub src: Src,
    /// The command name with its prefix character, upper case: `%CMNG`, `+CFUN`.
    pub command: String,
    /// Everything after `=`, verbatim (empty without `=`).
    pub params: String,
    /// The answer.
    pub outcome: AtOutcome,
    /// The answer's line, if any.
    pub answer_src: Option<Src>,
}

/// Reads an AT trace's text (`file` names it in errors and provenance).
pub fn read(file: &str, text: &str) -> Result<Vec<AtExchange>, ImportError> {
    let mut out: Vec<AtExchange> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if let Some(bad) = line.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(ImportError::AtTrace {
                file: file.to_owned(),
                line: line_no,
                reason: format!("control character {:?} in the line: not a text trace", bad),
            });
        }
        let pending = out
            .last_mut()
            .filter(|x| x.outcome == AtOutcome::Unanswered);
        if let Some(outcome) = answer(line) {
            let outcome = outcome.map_err(|reason| ImportError::AtTrace {
                file: file.to_owned(),
                line: line_no,
                reason,
            })?;
            if let Some(x) = pending {
                x.outcome = outcome;
                x.answer_src = Some(Src::new(file, line_no));
            }
            continue;
        }
        if let Some((command, params)) = command(line) {
            out.push(AtExchange {
                src: Src::new(file, line_no),
                command,
                params,
                outcome: AtOutcome::Unanswered,
                answer_src: None,
            });
        }
    }
    Ok(out)
}

/// A final answer line, if the line is one (`Err`: a CME line without a number).
fn answer(line: &str) -> Option<Result<AtOutcome, String>> {
    let tail = line
        .rsplit(['>', '<', ']', '|'])
        .next()
        .unwrap_or(line)
        .trim();
    if tail == "OK" {
        return Some(Ok(AtOutcome::Ok));
    }
    if tail == "ERROR" {
        return Some(Ok(AtOutcome::Error));
    }
    let code = tail.strip_prefix("+CME ERROR:")?;
    Some(
        code.trim()
            .parse()
            .map(AtOutcome::Cme)
            .map_err(|_| format!("`{tail}`: the CME error has no number")),
    )
}

/// The command name and parameters of a command line, if the line is one.
fn command(line: &str) -> Option<(String, String)> {
    let upper = line.to_ascii_uppercase();
    let start = ["AT%", "AT+", "AT#"]
        .iter()
        .filter_map(|p| upper.find(p))
        .min()?;
    let body = line.get(start + 2..)?.trim_end();
    let (name, params) = match body.split_once('=') {
        Some((name, params)) => (name, params),
        None => (body.trim_end_matches('?'), ""),
    };
    if name.len() < 2 {
        return None;
    }
    Some((name.to_ascii_uppercase(), params.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_get_their_answers() {
        let trace = "[12:00:01] > AT%CMNG=3,16842753,2\n[12:00:01] < +CME ERROR: 514\nAT+CFUN?\n+CFUN: 1\nOK\nAT%KEYGEN=16842753,2,1\n";
        let got = read("at.txt", trace).unwrap_or_default();
        let outcomes: Vec<_> = got
            .iter()
            .map(|x| (x.command.as_str(), x.params.as_str(), x.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("%CMNG", "3,16842753,2", AtOutcome::Cme(514)),
                ("+CFUN", "", AtOutcome::Ok),
                ("%KEYGEN", "16842753,2,1", AtOutcome::Unanswered),
            ]
        );
        assert_eq!(got.first().map(|x| x.src.line), Some(1));
        assert!(matches!(
            read("at.txt", "AT%CMNG=1\n+CME ERROR: x\n"),
            Err(ImportError::AtTrace { line: 2, .. })
        ));
    }
}
