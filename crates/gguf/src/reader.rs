//! Little-endian reads that know how much of the file is left, so no length from the file is
//! trusted before it is checked.

use std::io::Read;

use crate::GgufError;

/// Longest metadata string kept in memory (chat templates run to tens of KiB; 16 MiB is absurd).
pub const MAX_STRING_LEN: u64 = 16 << 20;

/// A reader over `len` bytes that refuses to read past them.
pub struct Bounded<R> {
    inner: R,
    pos: u64,
    len: u64,
}

impl<R: Read> Bounded<R> {
    /// Wraps `inner`, a source of exactly `len` bytes.
    pub fn new(inner: R, len: u64) -> Self {
        Bounded { inner, pos: 0, len }
    }

    /// Bytes read so far.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Bytes left in the file.
    pub fn remaining(&self) -> u64 {
        self.len - self.pos
    }

    /// Fails with `Truncated` unless `n` more bytes exist.
    pub fn need(&self, n: u64, what: &str) -> Result<(), GgufError> {
        if n > self.remaining() {
            return Err(GgufError::Truncated(format!(
                "{what} needs {n} bytes at offset {} but only {} remain",
                self.pos,
                self.remaining()
            )));
        }
        Ok(())
    }

    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        self.need(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| truncated_io(e, what))?;
        self.pos += N as u64;
        Ok(buf)
    }

    /// Reads a `u8`.
    pub fn u8(&mut self, what: &str) -> Result<u8, GgufError> {
        Ok(self.bytes::<1>(what)?[0])
    }

    /// Reads a little-endian `u32`.
    pub fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes(what)?))
    }

    /// Reads a little-endian `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes(what)?))
    }

    /// Reads `N` raw bytes.
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        self.bytes(what)
    }

    /// Skips `n` bytes after checking they exist.
    pub fn skip(&mut self, n: u64, what: &str) -> Result<(), GgufError> {
        self.need(n, what)?;
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| truncated_io(e, what))?;
        if copied != n {
            return Err(GgufError::Truncated(format!("{what} ends early")));
        }
        self.pos += n;
        Ok(())
    }

    /// Reads a GGUF string (u64 length, then UTF-8 bytes). Lengths above `max` are corrupt.
    pub fn string(&mut self, what: &str, max: u64) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        if len > max {
            return Err(GgufError::Corrupt(format!(
                "{what} claims a length of {len} bytes"
            )));
        }
        self.need(len, what)?;
        let mut buf = Vec::new();
        (&mut self.inner)
            .take(len)
            .read_to_end(&mut buf)
            .map_err(|e| truncated_io(e, what))?;
        if buf.len() as u64 != len {
            return Err(GgufError::Truncated(format!("{what} ends early")));
        }
        self.pos += len;
        String::from_utf8(buf).map_err(|_| GgufError::Corrupt(format!("{what} is not UTF-8")))
    }

    /// Skips a GGUF string without keeping it.
    pub fn skip_string(&mut self, what: &str) -> Result<(), GgufError> {
        let len = self.u64(what)?;
        self.skip(len, what)
    }
}

fn truncated_io(e: std::io::Error, what: &str) -> GgufError {
    GgufError::Truncated(format!("{what}: {e}"))
}
