//! Server-sent events, read from bytes that may be cut anywhere (inside a line, inside a
//! UTF-8 character).

/// Collects bytes and hands out the `data` of each complete event.
#[derive(Debug, Default)]
pub(crate) struct EventReader {
    /// Bytes of an unfinished line.
    pending: Vec<u8>,
    /// `data:` lines of the event being read.
    data: Vec<String>,
}

impl EventReader {
    /// Adds bytes; returns the data of every event they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // Comments (`: keep-alive`) and other fields (`event:`, `id:`) carry no text.
        }
        events
    }

    /// The data of an event the stream ended without a blank line after.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
        if let Some(value) = line.trim_end_matches('\r').strip_prefix("data:") {
            self.data
                .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = ": keep-alive\n\ndata: {\"a\":\"é\"}\r\n\r\nevent: x\ndata: one\ndata: two\n\ndata: [DONE]\n\n";

    #[test]
    fn any_cut_gives_the_same_events() {
        let bytes = STREAM.as_bytes();
        let whole = EventReader::default().push(bytes);
        assert_eq!(whole, vec!["{\"a\":\"é\"}", "one\ntwo", "[DONE]"]);
        for cut in 0..bytes.len() {
            let mut reader = EventReader::default();
            let mut events = reader.push(&bytes[..cut]);
            events.extend(reader.push(&bytes[cut..]));
            assert_eq!(events, whole, "cut at {cut}");
        }
    }

    #[test]
    fn a_last_event_without_blank_line_is_kept() {
        let mut reader = EventReader::default();
        assert!(reader.push(b"data: last").is_empty());
        assert_eq!(reader.finish().as_deref(), Some("last"));
    }
}
