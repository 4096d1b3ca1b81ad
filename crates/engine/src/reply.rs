//! Turning the bytes of generated tokens into reply text: whole UTF-8 characters only, and never
//! a byte of a stop string, even when a character or a stop string is split across tokens.

/// What [`ReplyText::push`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Text that is now certainly part of the reply (may be empty).
    pub text: String,
    /// A stop string appeared: the reply ends after `text`.
    pub stopped: bool,
}

/// Assembles a reply from token bytes while watching for stop strings.
#[derive(Debug, Default)]
pub struct ReplyText {
    stops: Vec<String>,
    /// Bytes of a character whose remaining bytes have not arrived yet.
    partial: Vec<u8>,
    /// Decoded text held back because it could be the start of a stop string.
    held: String,
}

impl ReplyText {
    /// A reply that ends at the first of `stops`.
    pub fn new(stops: impl IntoIterator<Item = String>) -> Self {
        ReplyText {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            ..ReplyText::default()
        }
    }

    /// Adds the bytes of one token.
    pub fn push(&mut self, bytes: &[u8]) -> Pushed {
        self.partial.extend_from_slice(bytes);
        let decoded = take_valid_utf8(&mut self.partial);
        self.held.push_str(&decoded);

        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
        {
            let text = self.held[..at].to_owned();
            self.held.clear();
            self.partial.clear();
            return Pushed {
                text,
                stopped: true,
            };
        }
        let keep = self.longest_stop_prefix_suffix();
        let split = self.held.len() - keep;
        let rest = self.held.split_off(split);
        let text = std::mem::replace(&mut self.held, rest);
        Pushed {
            text,
            stopped: false,
        }
    }

    /// Ends the reply: returns what was held back (an unfinished character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.held);
        if !self.partial.is_empty() {
            text.push_str(&String::from_utf8_lossy(&self.partial));
            self.partial.clear();
        }
        text
    }

    /// Length in bytes of the longest end of `held` that begins some stop string.
    fn longest_stop_prefix_suffix(&self) -> usize {
        let held = self.held.as_str();
        let mut best = 0;
        for stop in &self.stops {
            let max = stop.len().saturating_sub(1).min(held.len());
            for len in (best + 1..=max).rev() {
                let start = held.len() - len;
                if held.is_char_boundary(start) && stop.starts_with(&held[start..]) {
                    best = len;
                    break;
                }
            }
        }
        best
    }
}

/// Removes and returns the longest decodable prefix of `bytes`; bytes that can never be valid
/// become U+FFFD, an incomplete character at the end stays for the next token.
fn take_valid_utf8(bytes: &mut Vec<u8>) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                bytes.clear();
                return out;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // Safe split: `valid_up_to` is a char boundary of valid UTF-8.
                out.push_str(&String::from_utf8_lossy(&bytes[..valid]));
                match e.error_len() {
                    Some(bad) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        bytes.drain(..valid + bad);
                    }
                    None => {
                        bytes.drain(..valid);
                        return out;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(stops: &[&str], pieces: &[&[u8]]) -> (String, bool) {
        let mut r = ReplyText::new(stops.iter().map(|s| s.to_string()));
        let mut out = String::new();
        for p in pieces {
            let pushed = r.push(p);
            out.push_str(&pushed.text);
            if pushed.stopped {
                return (out, true);
            }
        }
        out.push_str(&r.finish());
        (out, false)
    }

    #[test]
    fn multibyte_character_split_across_tokens() {
        let bytes = "é€😀".as_bytes();
        let (text, _) = run(&[], &[&bytes[..1], &bytes[1..4], &bytes[4..8], &bytes[8..]]);
        assert_eq!(text, "é€😀");
    }

    #[test]
    fn incomplete_character_is_never_emitted_early() {
        let mut r = ReplyText::new(Vec::new());
        let euro = "€".as_bytes();
        assert_eq!(r.push(&euro[..2]).text, "");
        assert_eq!(r.push(&euro[2..]).text, "€");
    }

    #[test]
    fn stop_split_across_tokens_never_leaks() {
        let (text, stopped) = run(&["### End"], &[b"Paris", b".\n#", b"## E", b"nd and more"]);
        assert!(stopped);
        assert_eq!(text, "Paris.\n");
    }

    #[test]
    fn near_miss_of_a_stop_is_released() {
        let (text, stopped) = run(&["USER:"], &[b"US", b"ERS are here"]);
        assert!(!stopped);
        assert_eq!(text, "USERS are here");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let (text, stopped) = run(&["B", "A"], &[b"xxAyyB"]);
        assert!(stopped);
        assert_eq!(text, "xx");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let (text, _) = run(&[], &[b"a\xffb", b"\xe2\x82"]);
        assert_eq!(text, "a\u{fffd}b\u{fffd}");
    }

    proptest! {
        #[test]
        fn any_split_gives_the_text_up_to_the_stop(
            text in "[a-zé€ #]{0,40}",
            cuts in proptest::collection::vec(0usize..64, 0..8),
        ) {
            let stop = "# e";
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for p in points { pieces.push(&bytes[last..p]); last = p; }
            pieces.push(&bytes[last..]);
            let (out, stopped) = run(&[stop], &pieces);
            match text.find(stop) {
                Some(at) => { prop_assert!(stopped); prop_assert_eq!(out, &text[..at]); }
                None => { prop_assert!(!stopped); prop_assert_eq!(out, text); }
            }
        }
    }
}
