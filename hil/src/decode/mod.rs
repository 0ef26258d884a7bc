//! The decoder of the sample firmware's console: text or live bytes (with or without
//! timestamps and colours, wrapped by prompt redraws) to a typed stream of [`Happening`]s,
//! per console [`Era`], from one pattern table ([`patterns::PATTERNS`]). Lines no pattern
//! matches are kept as [`Unknown`] with their line numbers, never dropped.
//!
//! * [`decode`] / [`decode_auto`]: a whole text (a capture, a pasted field log).
//! * [`StreamDecoder`]: bytes as they arrive from a live console.

mod decoder;
mod era;
mod happening;
pub mod lines;
pub mod logline;
pub mod patterns;
mod words;

pub use decoder::{Item, LineDecoder, RUN_MARKER_PREFIX};
pub use era::Era;
pub use happening::{
    Answer, AtFailure, ClientEvent, Happening, Located, Milestone, Network, Request, Transport,
    Unknown,
};
use lines::{LineAssembler, Token};

/// The result of decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The recognised lines, in order.
    pub events: Vec<Located<Happening>>,
    /// The lines no pattern matched, in order.
    pub unknown: Vec<Unknown>,
}

impl Decoded {
    /// The client events, in order.
    pub fn client_events(&self) -> Vec<ClientEvent> {
        self.events.iter().filter_map(|h| h.value.event()).collect()
    }

    fn push(&mut self, item: Item) {
        match item {
            Item::Happening(h) => self.events.push(h),
            Item::Unknown(u) => self.unknown.push(u),
        }
    }

    fn append(&mut self, mut other: Decoded) {
        self.events.append(&mut other.events);
        self.unknown.append(&mut other.unknown);
    }
}

/// Decodes a whole console text as printed by `era`.
pub fn decode(era: Era, text: &str) -> Decoded {
    let mut stream = StreamDecoder::new(era);
    let mut out = stream.feed(text.as_bytes());
    out.append(stream.finish());
    out
}

/// Decodes a whole console text, taking the era from its first boot banner (`fallback`
/// before one, or without one); returns the era the text ended in.
pub fn decode_auto(fallback: Era, text: &str) -> (Era, Decoded) {
    let mut stream = StreamDecoder::auto(fallback);
    let mut out = stream.feed(text.as_bytes());
    out.append(stream.finish());
    (stream.era(), out)
}

/// The streaming decoder: feed console bytes, get the happenings of the lines they finish.
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    lines: LineAssembler,
    decoder: LineDecoder,
}

impl StreamDecoder {
    /// A decoder of a console printed by `era`.
    pub fn new(era: Era) -> Self {
        StreamDecoder {
            lines: LineAssembler::default(),
            decoder: LineDecoder::new(era, false),
        }
    }

    /// A decoder that takes the era from boot banners (`fallback` until one).
    pub fn auto(fallback: Era) -> Self {
        StreamDecoder {
            lines: LineAssembler::default(),
            decoder: LineDecoder::new(fallback, true),
        }
    }

    /// The era lines are decoded as now.
    pub fn era(&self) -> Era {
        self.decoder.era()
    }

    /// Feeds bytes; returns what the lines they finish decode to.
    pub fn feed(&mut self, bytes: &[u8]) -> Decoded {
        let tokens = self.lines.feed(bytes);
        self.tokens(tokens)
    }

    /// Ends the stream: decodes the unfinished last line, if any.
    pub fn finish(&mut self) -> Decoded {
        let tokens = self.lines.finish();
        self.tokens(tokens)
    }

    fn tokens(&mut self, tokens: Vec<Token>) -> Decoded {
        let mut out = Decoded::default();
        for token in tokens {
            if let Token::Line { line_no, text } = token {
                if let Some(item) = self.decoder.line(line_no, &text) {
                    out.push(item);
                }
            }
        }
        out
    }
}
