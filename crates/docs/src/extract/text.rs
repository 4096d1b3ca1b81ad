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

/// HTML: the text a reader sees (tags, scripts and styles gone, links as their words), a
/// section per heading with the path of headings above it.
pub(super) fn html(bytes: &[u8]) -> Result<Vec<Section>, Unreadable> {
    let rendered = render_html(&decode_text(bytes)?)?;
    let mut sections = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut text = String::new();
    let heading = |path: &[(usize, String)]| {
        (!path.is_empty()).then(|| {
            path.iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(" › ")
        })
    };
    for line in rendered.lines() {
        if let Some((level, title)) = heading_line(line) {
            if !text.trim().is_empty() {
                sections.push(Section {
                    text: std::mem::take(&mut text),
                    page: None,
                    first_line: None,
                    heading: heading(&path),
                });
            }
            text.clear();
            path.retain(|(l, _)| *l < level);
            if !title.is_empty() {
                path.push((level, title.to_owned()));
                text.push_str(title);
                text.push('\n');
            }
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    if !text.trim().is_empty() {
        sections.push(Section {
            text,
            page: None,
            first_line: None,
            heading: heading(&path),
        });
    }
    Ok(sections)
}

/// The readable text of an HTML document, headings as plain lines.
pub(super) fn html_text(source: &str) -> Result<String, Unreadable> {
    let rendered = render_html(source)?;
    let mut out = String::with_capacity(rendered.len());
    for line in rendered.lines() {
        out.push_str(heading_line(line).map_or(line, |(_, title)| title));
        out.push('\n');
    }
    Ok(out)
}

/// Marks a heading line in rendered HTML: a control character no document text holds, so a
/// `#` in a code sample is never taken for one.
const HEADING_MARK: char = '\u{1}';

/// `(level, title)` of a line rendered from `<h1>`…`<h6>`.
fn heading_line(line: &str) -> Option<(usize, &str)> {
    let rest = line.strip_prefix(HEADING_MARK)?;
    let (level, title) = rest.split_once(HEADING_MARK)?;
    Some((level.parse().ok()?, title.trim()))
}

fn render_html(source: &str) -> Result<String, Unreadable> {
    html2text::config::with_decorator(ReadingDecorator)
        .string_from_read(source.as_bytes(), 10_000)
        .map_err(|e| Unreadable::Damaged {
            detail: e.to_string(),
        })
}

/// Renders HTML as a person reads it: a link is its words (no brackets or footnotes, which
/// would break phrases apart), emphasis is its words, a heading is marked for [`html`].
#[derive(Clone, Copy)]
struct ReadingDecorator;

impl html2text::render::TextDecorator for ReadingDecorator {
    type Annotation = ();

    fn decorate_link_start(&mut self, _url: &str) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_link_end(&mut self) -> String {
        String::new()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, title: &str) -> (String, ()) {
        (title.to_owned(), ())
    }
    fn header_prefix(&self, level: usize) -> String {
        format!("{HEADING_MARK}{level}{HEADING_MARK}")
    }
    fn quote_prefix(&self) -> String {
        "> ".into()
    }
    fn unordered_item_prefix(&self) -> String {
        "* ".into()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        *self
    }
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

    #[test]
    fn html_is_cut_at_headings_and_links_read_as_their_words() {
        let page = b"<h1>Guide</h1><p>Intro.</p><h2>Setup</h2><p>See <a href=\"x\">the [boot] guide</a> now.</p><pre># apt install x</pre><h2>Use</h2><p>Run it.</p>";
        let sections = html(page).unwrap();
        let found: Vec<(Option<&str>, &str)> = sections
            .iter()
            .map(|s| (s.heading.as_deref(), s.text.as_str()))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, Some("Guide"));
        assert_eq!(found[1].0, Some("Guide › Setup"));
        assert!(
            found[1].1.contains("See the [boot] guide now."),
            "{found:?}"
        );
        assert!(found[1].1.contains("# apt install x"), "{found:?}");
        assert_eq!(found[2].0, Some("Guide › Use"));
    }
}
