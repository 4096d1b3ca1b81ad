//! Plain text, Markdown (cut at its headings, each part knowing its heading path and first line)
//! and HTML (its text, as a reader sees it).

use super::{decode_text, Section, Unreadable};

/// A text file: one section from line 1.
pub(super) fn plain(bytes: &[u8]) -> Result<Vec<Section>, Unreadable> {
    Ok(vec![Section {
        text: decode_text(bytes)?,
        page: None,
        first_line: Some(1),
        heading: None,
    }])
}

/// Markdown: a section per heading (ATX `#` headings and setext underlines, not inside fenced
/// code), each with the path of headings above it.
pub(super) fn markdown(bytes: &[u8]) -> Result<Vec<Section>, Unreadable> {
    let text = decode_text(bytes)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut sections = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    let mut first_line = 1u32;
    let mut fence: Option<&str> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_end();
        let marker = trimmed.trim_start();
        if let Some(open) = fence {
            if marker.starts_with(open) {
                fence = None;
            }
        } else if marker.starts_with("```") || marker.starts_with("~~~") {
            fence = Some(&marker[..3]);
        } else if let Some((level, title)) = heading(trimmed, lines.get(i + 1).copied()) {
            push(&mut sections, &mut current, first_line, &path);
            path.retain(|(l, _)| *l < level);
            path.push((level, title));
            current.push_str(line);
            first_line = (i + 1) as u32;
            // A setext heading's underline belongs to it.
            if !trimmed.trim_start().starts_with('#') {
                i += 1;
                if let Some(under) = lines.get(i) {
                    current.push_str(under);
                }
            }
            i += 1;
            continue;
        }
        current.push_str(line);
        i += 1;
    }
    push(&mut sections, &mut current, first_line, &path);
    Ok(sections)
}

fn push(
    sections: &mut Vec<Section>,
    current: &mut String,
    first_line: u32,
    path: &[(usize, String)],
) {
    if current.trim().is_empty() {
        current.clear();
        return;
    }
    let heading = (!path.is_empty()).then(|| {
        path.iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" › ")
    });
    sections.push(Section {
        text: std::mem::take(current),
        page: None,
        first_line: Some(first_line),
        heading,
    });
}

/// `# Title` (levels 1–6), or a line underlined with `===` (1) or `---` (2).
fn heading(line: &str, next: Option<&str>) -> Option<(usize, String)> {
    let stripped = line.trim_start();
    if line.len() - stripped.len() <= 3 && stripped.starts_with('#') {
        let level = stripped.chars().take_while(|c| *c == '#').count();
        let rest = &stripped[level..];
        if (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' ')) {
            let title = rest.trim().trim_end_matches('#').trim();
            if !title.is_empty() {
                return Some((level, title.to_owned()));
            }
        }
        return None;
    }
    let under = next?.trim();
    if line.trim().is_empty() || under.len() < 2 {
        return None;
    }
    let level = if under.chars().all(|c| c == '=') {
        1
    } else if under.chars().all(|c| c == '-') {
        2
    } else {
        return None;
    };
    Some((level, line.trim().to_owned()))
}

/// HTML: the text a reader sees (tags, scripts and styles gone), one section.
pub(super) fn html(bytes: &[u8]) -> Result<Vec<Section>, Unreadable> {
    let source = decode_text(bytes)?;
    Ok(vec![Section {
        text: html_text(&source)?,
        page: None,
        first_line: None,
        heading: None,
    }])
}

/// The readable text of an HTML document.
pub(super) fn html_text(source: &str) -> Result<String, Unreadable> {
    html2text::config::plain_no_decorate()
        .string_from_read(source.as_bytes(), 10_000)
        .map_err(|e| Unreadable::Damaged {
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_cut_at_headings_with_their_paths_and_lines() {
        let doc = "Intro line\n\n# Setup\nInstall it.\n\n## Linux\napt install x\n\n```sh\n# not a heading\n```\n\nGuide\n=====\nRead on.\n";
        let sections = markdown(doc.as_bytes()).unwrap();
        let found: Vec<(Option<&str>, Option<u32>)> = sections
            .iter()
            .map(|s| (s.heading.as_deref(), s.first_line))
            .collect();
        assert_eq!(
            found,
            vec![
                (None, Some(1)),
                (Some("Setup"), Some(3)),
                (Some("Setup › Linux"), Some(6)),
                (Some("Guide"), Some(13)),
            ]
        );
        assert!(sections[2].text.contains("# not a heading"));
    }

    #[test]
    fn html_gives_its_text_without_markup() {
        let page = b"<html><head><style>p{}</style><script>alert(1)</script></head><body><h1>Title</h1><p>Hello <b>world</b></p></body></html>";
        let text = &html(page).unwrap()[0].text;
        assert!(
            text.contains("Title") && text.contains("Hello world"),
            "{text}"
        );
        assert!(!text.contains("alert") && !text.contains("<b>"), "{text}");
    }
}
