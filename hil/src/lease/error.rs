//! Why a lease could not be taken, renewed or released.

use std::path::PathBuf;

use super::record::LeaseInfo;

/// A lease operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The lab directory or a lease file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A lease could not be encoded.
    #[error("cannot encode the lease of board `{board}`: {source}")]
    Encode {
        /// The board.
        board: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// A board id that cannot name a lease file.
    #[error("board id `{0}` cannot name a lease file (letters, digits, `-`, `_`, `.`; not starting with `.`)")]
    BadBoardId(String),
    /// The deadline passed while every wanted board was held.
    #[error(
        "no board free before the deadline: {}",
        describe_holders(boards, holders)
    )]
    Timeout {
        /// The boards that were tried.
        boards: Vec<String>,
        /// Their holders at the last attempt (a board being recovered has none).
        holders: Vec<LeaseInfo>,
    },
    /// No board of the rack passes the filter.
    #[error("no board of the rack matches the filter ({0} boards in the rack)")]
    NoMatchingBoard(usize),
    /// The lease file no longer belongs to this holder (it expired and was recovered).
    #[error("the lease of board `{board}` was lost{}", current.as_ref().map(|c| format!(" to run `{}` of {} (pid {} on {})", c.run_id, c.owner, c.pid, c.host)).unwrap_or_default())]
    Lost {
        /// The board.
        board: String,
        /// Who holds it now, if anyone.
        current: Option<Box<LeaseInfo>>,
    },
}

fn describe_holders(boards: &[String], holders: &[LeaseInfo]) -> String {
    if holders.is_empty() {
        return format!("{} (being recovered)", boards.join(", "));
    }
    holders
        .iter()
        .map(|h| {
            format!(
                "`{}` held by {} (run `{}`, pid {} on {})",
                h.board, h.owner, h.run_id, h.pid, h.host
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Wraps an I/O error with its path.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> LeaseError + '_ {
    move |source| LeaseError::Io {
        path: path.to_path_buf(),
        source,
    }
}
