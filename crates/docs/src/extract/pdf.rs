//! PDF: the text layer, page by page (lopdf). A PDF that needs a password, or whose pages hold
//! only pictures, says so.

use super::{Section, Unreadable};

/// Most bytes one page's content may inflate to (a compressed stream can be a bomb).
const PAGE_LIMIT: usize = 64 << 20;

pub(super) fn read(bytes: &[u8]) -> Result<Vec<Section>, Unreadable> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => Unreadable::EncryptedPdf,
        other => Unreadable::Damaged {
            detail: other.to_string(),
        },
    })?;
    if doc.is_encrypted() {
        return Err(Unreadable::EncryptedPdf);
    }
    let pages = doc.get_pages();
    let mut sections = Vec::with_capacity(pages.len());
    let mut first_problem = None;
    for number in pages.keys() {
        // A page the reader cannot decode is left out; the others still count.
        let text = match doc.extract_text_with_limit(&[*number], PAGE_LIMIT) {
            Ok(text) => text,
            Err(e) => {
                first_problem.get_or_insert_with(|| match e {
                    lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                        ..
                    }) => Unreadable::Damaged {
                        detail: format!(
                            "page {number} inflates past {} MB (a decompression bomb?)",
                            PAGE_LIMIT >> 20
                        ),
                    },
                    other => Unreadable::Damaged {
                        detail: format!("page {number}: {other}"),
                    },
                });
                String::new()
            }
        };
        sections.push(Section {
            text: tidy(&text),
            page: Some(*number),
            first_line: None,
            heading: None,
        });
    }
    if sections.iter().all(|s| s.text.trim().is_empty()) {
        return Err(match first_problem {
            Some(problem) => problem,
            None if doc.was_encrypted() => Unreadable::EncryptedPdf,
            None if pages.is_empty() => Unreadable::Empty,
            None => Unreadable::ScannedPdf,
        });
    }
    Ok(sections)
}

/// Joins the short lines PDF text comes in back into paragraphs.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            out.push_str("\n\n");
        } else {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            out.push_str(line);
        }
    }
    out
}
