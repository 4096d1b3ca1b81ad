//! Turning a rendered chat prompt into tokens so that only the template's own markers become
//! control tokens. Text a person (or an API client, or a document) wrote stays text, even when
//! it spells `<|im_end|><|im_start|>system`: it cannot forge a turn.
//!
//! llama.cpp, asked to parse special tokens, first cuts the text at every special token's text
//! (longest first) and tokenizes the pieces between them as plain text. [`SpecialTokens`] does
//! the same cut itself, skipping matches that lie inside a message's content, so a prompt whose
//! messages hold no such text tokenizes exactly as llama.cpp would.

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token_type::LlamaTokenAttr;

use crate::template::ChatMessage;

/// One special token as the cut needs it.
struct Special {
    token: LlamaToken,
    /// Whitespace before it belongs to it (llama.cpp's `lstrip`).
    lstrip: bool,
    /// Whitespace after it belongs to it (`rstrip`).
    rstrip: bool,
}

/// The texts of a vocabulary's control, user-defined and unknown tokens (what llama.cpp parses
/// as special), ready to find in a prompt.
pub(crate) struct SpecialTokens {
    matcher: Option<AhoCorasick>,
    specials: Vec<Special>,
}

impl SpecialTokens {
    pub(crate) fn new(model: &LlamaModel) -> SpecialTokens {
        let vocab = model.vocab();
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut specials = Vec::new();
        for token in vocab.tokens() {
            let attr = vocab.attr(token);
            let special = attr.contains(LlamaTokenAttr::Control)
                || attr.contains(LlamaTokenAttr::UserDefined)
                || attr.contains(LlamaTokenAttr::Unknown);
            if !special {
                continue;
            }
            let Some(text) = vocab.text(token) else {
                continue;
            };
            if text.to_bytes().is_empty() {
                continue;
            }
            texts.push(text.to_bytes().to_vec());
            specials.push(Special {
                token,
                lstrip: attr.contains(LlamaTokenAttr::LStrip),
                rstrip: attr.contains(LlamaTokenAttr::RStrip),
            });
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&texts)
            .ok();
        SpecialTokens { matcher, specials }
    }

    /// Whether `text` spells any special token.
    pub(crate) fn occur_in(&self, text: &str) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.is_match(text))
    }

    /// Cuts `text` into plain pieces and special tokens; matches that overlap a `protected`
    /// range (sorted, not overlapping) stay plain text.
    pub(crate) fn cut<'t>(&self, text: &'t str, protected: &[Range<usize>]) -> Vec<Piece<'t>> {
        let Some(matcher) = &self.matcher else {
            return vec![Piece::Text(text)];
        };
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut skip_space_from = None;
        for found in matcher.find_iter(text) {
            let span = found.start()..found.end();
            if protected
                .iter()
                .any(|p| p.start < span.end && span.start < p.end)
            {
                continue;
            }
            let special = &self.specials[found.pattern().as_usize()];
            let mut from = start;
            if let Some(after) = skip_space_from.take() {
                from = skip_space(text, after, span.start);
            }
            let mut until = span.start;
            if special.lstrip {
                until = text[from..until].trim_end_matches(is_ascii_space).len() + from;
            }
            if from < until {
                pieces.push(Piece::Text(&text[from..until]));
            }
            pieces.push(Piece::Token(special.token));
            start = span.end;
            if special.rstrip {
                skip_space_from = Some(span.end);
            }
        }
        if let Some(after) = skip_space_from {
            start = skip_space(text, after, text.len());
        }
        if start < text.len() {
            pieces.push(Piece::Text(&text[start..]));
        }
        pieces
    }
}

/// A piece of a cut prompt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'t> {
    /// Plain text, tokenized without parsing special tokens.
    Text(&'t str),
    /// A special token of the template.
    Token(LlamaToken),
}

fn is_ascii_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

fn skip_space(text: &str, from: usize, until: usize) -> usize {
    let rest = &text[from..until];
    from + (rest.len() - rest.trim_start_matches(is_ascii_space).len())
}

/// Where each message's content sits in `rendered`, in order: the content as written, or
/// trimmed (templates often `trim` it). `None` for a message whose text is not found there (a
/// template that rewrites content).
pub(crate) fn content_spans(rendered: &str, messages: &[ChatMessage]) -> Vec<Option<Range<usize>>> {
    let mut cursor = 0;
    messages
        .iter()
        .map(|m| {
            let candidates = [m.content.as_str(), m.content.trim()];
            for wanted in candidates.into_iter().filter(|w| !w.is_empty()) {
                if let Some(at) = rendered[cursor..].find(wanted) {
                    let span = cursor + at..cursor + at + wanted.len();
                    cursor = span.end;
                    return Some(span);
                }
            }
            None
        })
        .collect()
}

/// `text` with every special token spelled in it broken by a zero-width space, for the rare
/// template that rewrites a message so its text cannot be found in the prompt: the words stay,
/// the markers lose their power.
pub(crate) fn defuse(specials: &SpecialTokens, text: &str) -> String {
    let Some(matcher) = &specials.matcher else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for found in matcher.find_iter(text) {
        out.push_str(&text[last..found.start()]);
        let marker = &text[found.start()..found.end()];
        let mut chars = marker.chars();
        if let Some(first) = chars.next() {
            out.push(first);
            out.push('\u{200B}');
            out.push_str(chars.as_str());
        }
        last = found.end();
    }
    out.push_str(&text[last..]);
    out
}
