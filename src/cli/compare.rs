//! `provlab compare A B`: two saved runs of a scenario (JSON transcripts from
//! `--transcripts DIR`, or a console log decoded on the fly) aligned on their protocol
//! events, reported as drift (text on stdout, JSON, a side-by-side HTML page). Exit status:
//! 0 no drift, 1 drift, 2 an input that cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use provlab_harness::compare::{compare, read_transcript, render, CompareOptions};
use provlab_harness::Transcript;
use provlab_hil::decode::{decode_auto, Era};
use provlab_hil::timeline::console_transcript;

/// Arguments of `provlab compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Side A, the reference: a JSON transcript (`<scenario>.json` of `--transcripts DIR`)
    /// or a console log (any other file: decoded, era from its boot banner).
    a: PathBuf,
    /// Side B, compared with A.
    b: PathBuf,
    /// Writes the report as JSON to FILE (`-`: stdout, instead of the text).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Writes a self-contained side-by-side HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Largest accepted ratio between the two sides' times since the previous common event.
    #[arg(
        long = "time-tolerance",
        alias = "tolerance",
        value_name = "X",
        default_value_t = 2.0
    )]
    time_tolerance: f64,
    /// Gaps shorter than this on both sides are not checked for timing (milliseconds).
    #[arg(long = "min-gap-ms", value_name = "MS", default_value_t = 1000)]
    min_gap_ms: u64,
    /// The device name a console log's lines are given (the scenario's device).
    #[arg(long, value_name = "NAME", default_value = "dk1")]
    device: String,
    /// The console era assumed before a console log's first boot banner.
    #[arg(long, value_name = "ERA", value_parser = parse_era, default_value = "current")]
    era: Era,
}

fn parse_era(text: &str) -> Result<Era, String> {
    Era::parse(text).ok_or_else(|| format!("{text:?}: expected v2.9, 3.0 or current"))
}

/// A side, read.
struct Input {
    transcript: Transcript,
    scenario: Option<String>,
}

/// Runs `provlab compare`.
pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    if args.time_tolerance.is_nan() || args.time_tolerance < 1.0 {
        eprintln!("provlab compare: --time-tolerance must be at least 1.0");
        return Ok(ExitCode::from(2));
    }
    let (a, b) = match (read(&args.a, &args), read(&args.b, &args)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for error in [a.err(), b.err()].into_iter().flatten() {
                eprintln!("provlab compare: {error}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let (a_label, b_label) = labels(&args.a, &args.b);
    let options = CompareOptions {
        a_label,
        b_label,
        scenario: a.scenario.or(b.scenario),
        time_tolerance: args.time_tolerance,
        min_gap_ms: args.min_gap_ms,
    };
    let report = compare(&a.transcript, &b.transcript, &options);
    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if !json_to_stdout {
        print!("{}", render::text(&report));
    }
    if let Some(path) = &args.json {
        let json = render::json(&report).context("serialising the drift report")?;
        if json_to_stdout {
            println!("{json}");
        } else {
            std::fs::write(path, format!("{json}\n"))
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    if let Some(path) = &args.html {
        std::fs::write(path, render::html(&report))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(if report.has_drift() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads a side: a JSON transcript when the file says so (`.json`, or text starting with
/// `{`), otherwise a console log.
fn read(path: &Path, args: &CompareArgs) -> anyhow::Result<Input> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if is_json {
        let saved = read_transcript(path)?;
        return Ok(Input {
            transcript: saved.transcript(),
            scenario: saved.scenario,
        });
    }
    let (_, decoded) = decode_auto(args.era, &text);
    Ok(Input {
        transcript: console_transcript(&decoded, &args.device),
        scenario: None,
    })
}

/// The sides' names: their file names, or whole paths when the names are the same.
fn labels(a: &Path, b: &Path) -> (String, String) {
    let name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    if name(a) == name(b) {
        (a.display().to_string(), b.display().to_string())
    } else {
        (name(a), name(b))
    }
}
