//! Word (`.docx`) and OpenDocument (`.odt`) text: zip archives of XML, read with a cap on what
//! they inflate to. A section per heading, each with the path of headings above it.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{zip_member, Section, Unreadable};

/// Paragraphs of a document, each with its heading level if it is a heading.
struct Paragraph {
    text: String,
    level: Option<usize>,
}

pub(super) fn docx(bytes: &[u8], limit: u64) -> Result<Vec<Section>, Unreadable> {
    let xml = member(bytes, "word/document.xml", limit)?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut paragraphs = Vec::new();
    let mut current = Paragraph {
        text: String::new(),
        level: None,
    };
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "p" => {
                    current = Paragraph {
                        text: String::new(),
                        level: None,
                    }
                }
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "tab" => current.text.push('\t'),
                "br" | "cr" => current.text.push('\n'),
                "pStyle" => {
                    let style = attribute(&e, "val").unwrap_or_default();
                    current.level = heading_level(&style);
                }
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => current.text.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_text => {
                current.text.push_str(&resolve(&r));
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => paragraphs.push(std::mem::replace(
                    &mut current,
                    Paragraph {
                        text: String::new(),
                        level: None,
                    },
                )),
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(damaged(e)),
            _ => {}
        }
        buf.clear();
    }
    Ok(sections(paragraphs))
}

pub(super) fn odt(bytes: &[u8], limit: u64) -> Result<Vec<Section>, Unreadable> {
    let xml = member(bytes, "content.xml", limit)?;
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut paragraphs = Vec::new();
    let mut stack: Vec<Paragraph> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "p" => stack.push(Paragraph {
                    text: String::new(),
                    level: None,
                }),
                "h" => {
                    let level = attribute(&e, "outline-level")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(1);
                    stack.push(Paragraph {
                        text: String::new(),
                        level: Some(level),
                    });
                }
                _ => {}
            },
            Ok(Event::Empty(e)) => {
                if let Some(p) = stack.last_mut() {
                    match e.local_name().as_ref() {
                        "s" => p.text.push(' '),
                        "tab" => p.text.push('\t'),
                        "line-break" => p.text.push('\n'),
                        _ => {}
                    }
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&resolve(&r));
                }
            }
            Ok(Event::End(e)) if matches!(e.local_name().as_ref(), "p" | "h") => {
                if let Some(p) = stack.pop() {
                    paragraphs.push(p);
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(damaged(e)),
            _ => {}
        }
        buf.clear();
    }
    Ok(sections(paragraphs))
}

fn member(bytes: &[u8], name: &str, limit: u64) -> Result<Vec<u8>, Unreadable> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(damaged)?;
    zip_member(&mut archive, name, limit)?.ok_or_else(|| Unreadable::Damaged {
        detail: format!("it has no {name}"),
    })
}

/// Paragraphs grouped under their headings.
fn sections(paragraphs: Vec<Paragraph>) -> Vec<Section> {
    let mut out = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, path: &[(usize, String)], out: &mut Vec<Section>| {
        if !text.trim().is_empty() {
            out.push(Section {
                text: std::mem::take(text),
                page: None,
                first_line: None,
                heading: (!path.is_empty()).then(|| {
                    path.iter()
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" › ")
                }),
            });
        }
        text.clear();
    };
    for p in paragraphs {
        match p.level {
            Some(level) if !p.text.trim().is_empty() => {
                flush(&mut text, &path, &mut out);
                path.retain(|(l, _)| *l < level);
                path.push((level, p.text.trim().to_owned()));
                text.push_str(p.text.trim());
                text.push_str("\n\n");
            }
            _ => {
                text.push_str(&p.text);
                text.push_str("\n\n");
            }
        }
    }
    flush(&mut text, &path, &mut out);
    out
}

/// "Heading1".."Heading9" and "Title" are headings.
fn heading_level(style: &str) -> Option<usize> {
    let lower = style.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    lower.strip_prefix("heading")?.trim().parse().ok()
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The five XML entities and numeric character references.
pub(super) fn resolve(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        n => n
            .strip_prefix("#x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default(),
    }
}

fn damaged(e: impl std::fmt::Display) -> Unreadable {
    Unreadable::Damaged {
        detail: e.to_string(),
    }
}

/// `text` with its XML entities resolved (`&amp;` → `&`).
pub(super) fn resolve_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        match rest[at..].find(';') {
            Some(end) if end < 12 => {
                out.push_str(&resolve(&rest[at + 1..at + end]));
                rest = &rest[at + end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}
