//! Keyword terms for scripts written without spaces. SQLite's `unicode61` tokenizer takes a run
//! of Chinese or Japanese characters as one word, so "北京大学" could only be found whole. The
//! index holds such runs as overlapping character pairs instead ("北京 京大 大学", as Lucene's
//! CJK analyzer does), and a query is cut the same way: a two-character word matches anywhere.

/// Whether `c` belongs to a script written without spaces between words (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F  // CJK Extensions B–F, Compatibility Supplement
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x3130..=0x318F    // Hangul Compatibility Jamo
        | 0xAC00..=0xD7AF    // Hangul Syllables
    )
}

/// The text as the keyword index holds it: runs of CJK characters become overlapping pairs
/// (a lone character stays as it is); all other text is unchanged.
pub fn index_terms(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut run: Vec<char> = Vec::new();
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out);
        out.push(c);
    }
    flush(&mut run, &mut out);
    out
}

fn flush(run: &mut Vec<char>, out: &mut String) {
    match run.len() {
        0 => {}
        1 => {
            out.push(' ');
            out.push(run[0]);
            out.push(' ');
        }
        _ => {
            out.push(' ');
            for pair in run.windows(2) {
                out.push(pair[0]);
                out.push(pair[1]);
                out.push(' ');
            }
        }
    }
    run.clear();
}

/// The word a passage of collection `id` carries in the full-text index's `collection` column.
pub(crate) fn collection_term(id: i64) -> String {
    format!("c{id}")
}

/// A query's terms for FTS5: lowercased, each once, quoted (so nothing typed is syntax); the
/// search matches any of them, ranked by BM25. `None` when it has no terms.
pub(crate) fn fts_terms(text: &str) -> Option<Vec<String>> {
    let terms = index_terms(text);
    let mut seen = std::collections::HashSet::new();
    let quoted: Vec<String> = terms
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .filter(|t| seen.insert(t.clone()))
        .take(64)
        .map(|t| format!("\"{t}\""))
        .collect();
    (!quoted.is_empty()).then_some(quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_overlapping_pairs_and_other_text_stays() {
        assert_eq!(index_terms("北京大学"), " 北京 京大 大学 ");
        assert_eq!(index_terms("在北京"), " 在北 北京 ");
        assert_eq!(index_terms("I love 東京!"), "I love  東京 !");
        assert_eq!(index_terms("水"), " 水 ");
        assert_eq!(index_terms("plain words"), "plain words");
    }

    #[test]
    fn any_typed_text_is_a_safe_query() {
        assert_eq!(
            fts_terms("北京大学").map(|t| t.join(" OR ")).as_deref(),
            Some("\"北京\" OR \"京大\" OR \"大学\"")
        );
        assert_eq!(
            fts_terms("NEAR(\"x\" -y*) AND")
                .map(|t| t.join(" OR "))
                .as_deref(),
            Some("\"near\" OR \"x\" OR \"y\" OR \"and\"")
        );
        assert_eq!(fts_terms("  ?! "), None);
    }
}
