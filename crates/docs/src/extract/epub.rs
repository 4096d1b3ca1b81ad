//! EPUB: the book's chapters in reading order (the package's spine), each as the text a reader
//! sees, titled by the chapter's own title where it has one.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::text::html_text;
use super::{decode_text, zip_member, Section, Unreadable};

pub(super) fn read(bytes: &[u8], limit: u64) -> Result<Vec<Section>, Unreadable> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(damaged)?;
    let container = zip_member(&mut archive, "META-INF/container.xml", limit)?
        .ok_or_else(|| damaged("it has no META-INF/container.xml"))?;
    let package = attribute_of(&container, "rootfile", "full-path")
        .into_iter()
        .next()
        .ok_or_else(|| damaged("its container names no package"))?;
    let opf = zip_member(&mut archive, &package, limit)?
        .ok_or_else(|| damaged(format!("it has no {package}")))?;
    let base = package.rsplit_once('/').map_or("", |(dir, _)| dir);
    let Package { manifest, spine } = package_parts(&opf)?;
    let mut sections = Vec::new();
    let mut budget = limit;
    for idref in spine {
        let Some(href) = manifest.iter().find(|(id, _)| *id == idref).map(|(_, h)| h) else {
            continue;
        };
        let path = if base.is_empty() {
            href.clone()
        } else {
            format!("{base}/{href}")
        };
        let Some(chapter) = zip_member(&mut archive, &path, budget)? else {
            continue;
        };
        budget = budget.saturating_sub(chapter.len() as u64);
        let source = decode_text(&chapter)?;
        let title = title_of(&source);
        sections.push(Section {
            text: html_text(&source)?,
            page: None,
            first_line: None,
            heading: title,
        });
    }
    Ok(sections)
}

/// A package file's manifest (`id` → `href`) and spine (`idref`s in reading order).
struct Package {
    manifest: Vec<(String, String)>,
    spine: Vec<String>,
}

/// The manifest and the spine of a package file.
fn package_parts(opf: &[u8]) -> Result<Package, Unreadable> {
    let mut reader = Reader::from_reader(opf);
    let mut manifest = Vec::new();
    let mut spine = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "item" => {
                    if let (Some(id), Some(href)) = (attr(&e, "id"), attr(&e, "href")) {
                        manifest.push((id, href));
                    }
                }
                "itemref" => spine.extend(attr(&e, "idref")),
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(damaged(e)),
            _ => {}
        }
        buf.clear();
    }
    Ok(Package { manifest, spine })
}

/// Every value of attribute `name` on elements `element` of an XML document.
fn attribute_of(xml: &[u8], element: &str, name: &str) -> Vec<String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => {
                out.extend(attr(&e, name));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn attr(e: &quick_xml::events::BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The text of a chapter's `<title>`, if any.
fn title_of(source: &str) -> Option<String> {
    let start = source.find("<title")?;
    let open_end = source[start..].find('>')? + start + 1;
    let close = source[open_end..].find("</title>")? + open_end;
    let title = source[open_end..close].trim();
    (!title.is_empty()).then(|| super::office::resolve_text(title))
}

fn damaged(e: impl std::fmt::Display) -> Unreadable {
    Unreadable::Damaged {
        detail: e.to_string(),
    }
}
