//! Byte offsets to line and column numbers.

use std::ops::Range;

/// The start of every line of a text, for turning byte offsets into positions.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The 1-based line and 1-based column (in characters) of byte `offset` in `text`.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text
            .get(start..offset)
            .map_or(offset - start, |prefix| prefix.chars().count())
            + 1;
        (line, column)
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).copied().unwrap_or(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// The start position of a span.
    pub fn span_start(&self, text: &str, span: &Range<usize>) -> (usize, usize) {
        self.position(text, span.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nné = \"x\"\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), (1, 1));
        assert_eq!(index.position(text, 4), (1, 5));
        assert_eq!(index.position(text, 6), (2, 1));
        // "né = " is 6 bytes but 5 characters.
        assert_eq!(index.position(text, 12), (2, 6));
        assert_eq!(index.position(text, text.len()), (4, 5));
        assert_eq!(index.line_text(text, 2), "né = \"x\"");
        assert_eq!(index.line_text(text, 9), "");
    }
}
