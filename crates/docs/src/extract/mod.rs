//! Reading documents: every supported format to [`Section`]s of plain text, with the page,
//! line and heading each one came from, or an [`Unreadable`] reason a person understands.
//!
//! [`read_file`] runs inside the `hearth-extract` process ([`Extractor`] drives it), so a parser
//! that panics, loops or eats memory on a hostile file costs only that file.

mod epub;
mod office;
mod pdf;
mod sandbox;
mod text;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub(crate) use sandbox::Extractor;
pub use sandbox::{locate_reader, serve, Limits};

/// The formats LocalDocs reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text, source code, CSV, JSON, reStructuredText: read as text.
    Text,
    /// Markdown: text, cut at its headings.
    Markdown,
    /// HTML: its text.
    Html,
    /// PDF: the text layer, page by page.
    Pdf,
    /// Word documents (`.docx`).
    Docx,
    /// OpenDocument text (`.odt`).
    Odt,
    /// EPUB books, chapter by chapter.
    Epub,
}

/// File extensions read as plain text.
const TEXT: &[&str] = &[
    "txt", "text", "rst", "csv", "tsv", "json", "jsonl", "yaml", "yml", "toml", "ini", "cfg",
    "conf", "log", "tex", "org", "adoc", "rs", "py", "js", "mjs", "ts", "tsx", "jsx", "java", "kt",
    "c", "h", "cc", "cpp", "hpp", "cs", "go", "rb", "php", "swift", "scala", "sh", "bash", "zsh",
    "ps1", "sql", "r", "lua", "pl", "hs", "ml", "ex", "exs", "erl", "clj", "dart", "vue", "svelte",
    "css", "scss", "xml", "srt", "vtt",
];

impl Format {
    /// The format of a file, by its extension; `None` for files LocalDocs does not read.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "md" | "markdown" | "mdx" => Format::Markdown,
            "html" | "htm" | "xhtml" => Format::Html,
            "pdf" => Format::Pdf,
            "docx" => Format::Docx,
            "odt" => Format::Odt,
            "epub" => Format::Epub,
            e if TEXT.contains(&e) => Format::Text,
            _ => return None,
        })
    }
}

/// A piece of a document: text that belongs together, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Its text.
    pub text: String,
    /// The page it is on (PDF), from 1.
    pub page: Option<u32>,
    /// The line of the file it starts on (text formats), from 1.
    pub first_line: Option<u32>,
    /// The headings it sits under, outermost first, joined with " › ".
    pub heading: Option<String>,
}

/// A document read whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    /// Its sections, in order.
    pub sections: Vec<Section>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Why a file gave no text. Stored with the file and listed per collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unreadable {
    /// A PDF that needs a password.
    EncryptedPdf,
    /// A PDF of page images with no text layer.
    ScannedPdf,
    /// Bytes that are not UTF-8 text (a binary file, or another encoding).
    NotText,
    /// Over the size limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file may not be read.
    PermissionDenied,
    /// It holds no text at all.
    Empty,
    /// It is damaged, or not in the format its name says.
    Damaged {
        /// What the reader said.
        detail: String,
    },
    /// Reading it took longer than allowed.
    TooSlow {
        /// The limit, in seconds.
        seconds: u64,
    },
    /// Reading it needed more memory than allowed, or made the reader crash.
    TooMuchMemory,
    /// It was deleted or moved while being read.
    Vanished,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::EncryptedPdf => write!(f, "encrypted PDF: it needs a password, so its text cannot be read"),
            Unreadable::ScannedPdf => write!(f, "scanned PDF with no text layer: its pages are pictures (run it through OCR to read it)"),
            Unreadable::NotText => write!(f, "not UTF-8 text: a binary file, or text in another encoding"),
            Unreadable::TooLarge { limit } => write!(f, "larger than the limit of {} MB", limit / 1_000_000),
            Unreadable::PermissionDenied => write!(f, "permission denied: Hearth may not read it"),
            Unreadable::Empty => write!(f, "it holds no text"),
            Unreadable::Damaged { detail } => write!(f, "damaged, or not the format its name says ({detail})"),
            Unreadable::TooSlow { seconds } => write!(f, "reading it took longer than {seconds} s, so it was left out"),
            Unreadable::TooMuchMemory => write!(f, "reading it needed more memory than allowed (or crashed the reader), so it was left out"),
            Unreadable::Vanished => write!(f, "it was deleted or moved while being read"),
        }
    }
}

impl Unreadable {
    /// The stored form: the reason's name and its detail.
    pub(crate) fn stored(&self) -> (String, Option<String>) {
        let value = serde_json::to_value(self).unwrap_or_default();
        let reason = value["reason"].as_str().unwrap_or("damaged").to_owned();
        let detail = match self {
            Unreadable::Damaged { detail } => Some(detail.clone()),
            Unreadable::TooLarge { limit } => Some(limit.to_string()),
            Unreadable::TooSlow { seconds } => Some(seconds.to_string()),
            _ => None,
        };
        (reason, detail)
    }

    /// Back from the stored form.
    pub(crate) fn from_stored(reason: &str, detail: Option<&str>) -> Unreadable {
        let number = || detail.and_then(|d| d.parse().ok()).unwrap_or(0);
        match reason {
            "encrypted_pdf" => Unreadable::EncryptedPdf,
            "scanned_pdf" => Unreadable::ScannedPdf,
            "not_text" => Unreadable::NotText,
            "too_large" => Unreadable::TooLarge { limit: number() },
            "permission_denied" => Unreadable::PermissionDenied,
            "empty" => Unreadable::Empty,
            "too_slow" => Unreadable::TooSlow { seconds: number() },
            "too_much_memory" => Unreadable::TooMuchMemory,
            "vanished" => Unreadable::Vanished,
            _ => Unreadable::Damaged {
                detail: detail.unwrap_or("unknown").to_owned(),
            },
        }
    }

    fn damaged(detail: impl std::fmt::Display) -> Unreadable {
        Unreadable::Damaged {
            detail: detail.to_string(),
        }
    }
}

/// Reads `path` (at most `max_bytes`) and turns it into sections. Meant to run in the reader
/// process: parsers of untrusted files live here.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Extracted, Unreadable> {
    let format =
        Format::of(path).ok_or_else(|| Unreadable::damaged("not a format LocalDocs reads"))?;
    // A pipe or device under a document's name would block or never end.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(Unreadable::damaged("not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unreadable::Vanished),
        _ => {}
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Unreadable::Vanished,
        std::io::ErrorKind::PermissionDenied => Unreadable::PermissionDenied,
        _ => Unreadable::damaged(e),
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max_bytes {
        return Err(Unreadable::TooLarge { limit: max_bytes });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Unreadable::PermissionDenied,
            _ => Unreadable::damaged(e),
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(Unreadable::TooLarge { limit: max_bytes });
    }
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    let sections = match format {
        Format::Text => text::plain(&bytes)?,
        Format::Markdown => text::markdown(&bytes)?,
        Format::Html => text::html(&bytes)?,
        Format::Pdf => pdf::read(&bytes)?,
        Format::Docx => office::docx(&bytes, max_bytes)?,
        Format::Odt => office::odt(&bytes, max_bytes)?,
        Format::Epub => epub::read(&bytes, max_bytes)?,
    };
    let sections: Vec<Section> = sections
        .into_iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    if sections.is_empty() {
        return Err(Unreadable::Empty);
    }
    Ok(Extracted {
        sections,
        sha256,
        size,
    })
}

/// Text from bytes that should be UTF-8: a byte-order mark is dropped, UTF-16 with one is
/// decoded; NUL bytes or invalid UTF-8 mean it is not text.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<String, Unreadable> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_text(rest);
    }
    let utf16 = |le: bool, rest: &[u8]| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| Unreadable::NotText)
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(false, rest);
    }
    if bytes.contains(&0) {
        return Err(Unreadable::NotText);
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| Unreadable::NotText)
}

/// Reads a member of a zip archive, refusing one that would inflate past `limit` bytes (a zip
/// bomb), whatever its header claims.
pub(crate) fn zip_member(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, Unreadable> {
    let member = match archive.by_name(name) {
        Ok(member) => member,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(Unreadable::damaged(e)),
    };
    let mut out = Vec::new();
    member
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(Unreadable::damaged)?;
    if out.len() as u64 > limit {
        return Err(Unreadable::TooLarge { limit });
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of(Path::new("a/Notes.MD")), Some(Format::Markdown));
        assert_eq!(Format::of(Path::new("x.rs")), Some(Format::Text));
        assert_eq!(Format::of(Path::new("book.epub")), Some(Format::Epub));
        assert_eq!(Format::of(Path::new("photo.jpg")), None);
        assert_eq!(Format::of(Path::new("README")), None);
    }

    #[test]
    fn text_is_decoded_or_refused() {
        assert_eq!(decode_text("héllo".as_bytes()).unwrap(), "héllo");
        assert_eq!(decode_text(b"\xEF\xBB\xBFbom").unwrap(), "bom");
        assert_eq!(decode_text(b"\xFF\xFEh\x00i\x00").unwrap(), "hi");
        assert_eq!(
            decode_text(b"\x89PNG\r\n\x1a\n\x00\x00"),
            Err(Unreadable::NotText)
        );
        assert_eq!(decode_text(b"caf\xe9"), Err(Unreadable::NotText));
    }

    #[test]
    fn reasons_are_stored_and_read_back() {
        for reason in [
            Unreadable::EncryptedPdf,
            Unreadable::ScannedPdf,
            Unreadable::NotText,
            Unreadable::TooLarge { limit: 100_000_000 },
            Unreadable::PermissionDenied,
            Unreadable::Empty,
            Unreadable::Damaged {
                detail: "bad xref".into(),
            },
            Unreadable::TooSlow { seconds: 30 },
            Unreadable::TooMuchMemory,
            Unreadable::Vanished,
        ] {
            let (name, detail) = reason.stored();
            assert_eq!(Unreadable::from_stored(&name, detail.as_deref()), reason);
            assert!(!reason.to_string().is_empty());
        }
    }
}
