//! Cutting a document's sections into passages that fit the embedding model: at paragraph,
//! then sentence, then word boundaries by Unicode's rules (text-splitter, with ICU's word and
//! sentence segmentation: a Chinese or Japanese sentence ends at 。！？ and no word is cut), with
//! some overlap so an answer split across two passages is in one of them whole.

use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};

use crate::extract::{Extracted, Section};

/// How large passages are, in (estimated) tokens of the embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSize {
    /// Smallest passage the splitter aims for.
    pub min: usize,
    /// Largest passage.
    pub max: usize,
    /// Tokens repeated from the end of one passage at the start of the next.
    pub overlap: usize,
}

impl Default for ChunkSize {
    /// Small models were trained on up to 256 tokens: stay well within that.
    fn default() -> Self {
        ChunkSize {
            min: 120,
            max: 200,
            overlap: 30,
        }
    }
}

/// A passage ready to embed, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Its text.
    pub text: String,
    /// Its page (PDF).
    pub page: Option<u32>,
    /// The lines of the file it spans (text formats), from 1.
    pub line_start: Option<u32>,
    /// The last line it touches.
    pub line_end: Option<u32>,
    /// The headings above it.
    pub heading: Option<String>,
}

/// An estimate of a word-piece tokenizer's count, without the model: a Han, kana or Hangul
/// character is about one token; other text about one per four bytes or per word, whichever is
/// more. It errs high, so a passage never outgrows the model's context.
struct ApproxTokens;

impl ChunkSizer for ApproxTokens {
    fn size(&self, chunk: &str) -> usize {
        approx_tokens(chunk)
    }
}

pub(crate) fn approx_tokens(text: &str) -> usize {
    let mut cjk = 0usize;
    let mut other_bytes = 0usize;
    for c in text.chars() {
        if crate::cjk::is_cjk(c) {
            cjk += 1;
        } else {
            other_bytes += c.len_utf8();
        }
    }
    let words = text.split_whitespace().count();
    cjk + (other_bytes.div_ceil(4)).max(words)
}

/// The passages of a document, in order.
pub fn chunk(doc: &Extracted, size: ChunkSize) -> Vec<Chunk> {
    let config = || {
        ChunkConfig::new(size.min..size.max)
            .with_sizer(ApproxTokens)
            .with_trim(true)
    };
    // An overlap as large as the passages is refused: go without it then.
    let splitter = match config().with_overlap(size.overlap) {
        Ok(with_overlap) => TextSplitter::new(with_overlap),
        Err(_) => TextSplitter::new(config()),
    };
    let mut out = Vec::new();
    for section in &doc.sections {
        split_section(&splitter, section, &mut out);
    }
    out
}

fn split_section(splitter: &TextSplitter<ApproxTokens>, section: &Section, out: &mut Vec<Chunk>) {
    let text = &section.text;
    // Passages start further into the text one after another (overlap or not): lines are
    // counted from the previous start, so a long text is counted once.
    let (mut at_offset, mut at_line) = (0usize, section.first_line.unwrap_or(1));
    for (offset, piece) in splitter.chunk_indices(text) {
        let (line_start, line_end) = match section.first_line {
            Some(_) => {
                if offset >= at_offset {
                    at_line += text[at_offset..offset].matches('\n').count() as u32;
                    at_offset = offset;
                }
                let end = at_line + piece.matches('\n').count() as u32;
                (Some(at_line), Some(end))
            }
            None => (None, None),
        };
        out.push(Chunk {
            text: piece.to_owned(),
            page: section.page,
            line_start,
            line_end,
            heading: section.heading.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Extracted {
        Extracted {
            sections: vec![Section {
                text: text.to_owned(),
                page: None,
                first_line: Some(1),
                heading: Some("Guide".into()),
            }],
            sha256: String::new(),
            size: text.len() as u64,
        }
    }

    #[test]
    fn passages_fit_and_keep_their_lines_and_heading() {
        let text: String = (1..=120)
            .map(|i| format!("Line {i} says something about topic {i}.\n"))
            .collect();
        let chunks = chunk(&doc(&text), ChunkSize::default());
        assert!(chunks.len() > 3, "{}", chunks.len());
        for c in &chunks {
            assert!(approx_tokens(&c.text) <= 200, "{}", approx_tokens(&c.text));
            assert_eq!(c.heading.as_deref(), Some("Guide"));
            let first = c.line_start.unwrap();
            assert!(
                c.text.starts_with(&format!("Line {first} ")),
                "{first}: {}",
                &c.text[..30]
            );
            assert!(c.line_end.unwrap() >= first);
        }
        assert_eq!(chunks[0].line_start, Some(1));
        assert!(chunks.last().unwrap().line_end.unwrap() >= 119);
    }

    /// Chinese has no spaces: passages end at 。！？ and never inside a character.
    #[test]
    fn chinese_is_cut_at_sentence_ends() {
        let sentence = "北京是中国的首都，也是一座历史悠久的城市。";
        let text = sentence.repeat(40);
        let chunks = chunk(&doc(&text), ChunkSize::default());
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert!(c.text.ends_with('。'), "{}", c.text);
            assert!(approx_tokens(&c.text) <= 200);
        }
    }
}
