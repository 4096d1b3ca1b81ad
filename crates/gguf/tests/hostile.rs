//! Hostile and broken GGUF headers: each gives its own error, none panics or allocates wildly.
//! Synthetic files are built here; the real test model's header is mutated by property tests.

use std::io::{Cursor, Read};
use std::sync::OnceLock;

use hearth_gguf::{GgufError, GgufFile, MetaValue};
use proptest::prelude::*;

/// Writes GGUF bytes field by field.
#[derive(Default)]
struct Gguf {
    kvs: Vec<u8>,
    kv_count: u64,
    tensors: Vec<u8>,
    tensor_count: u64,
    data: Vec<u8>,
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl Gguf {
    fn kv_str(mut self, key: &str, value: &str) -> Self {
        string(&mut self.kvs, key);
        self.kvs.extend(8u32.to_le_bytes());
        string(&mut self.kvs, value);
        self.kv_count += 1;
        self
    }
    fn kv_u32(mut self, key: &str, value: u32) -> Self {
        string(&mut self.kvs, key);
        self.kvs.extend(4u32.to_le_bytes());
        self.kvs.extend(value.to_le_bytes());
        self.kv_count += 1;
        self
    }
    fn raw_kv(mut self, bytes: &[u8]) -> Self {
        self.kvs.extend(bytes);
        self.kv_count += 1;
        self
    }
    /// An F32 tensor of `n` values at `offset`.
    fn tensor(mut self, name: &str, n: u64, offset: u64) -> Self {
        string(&mut self.tensors, name);
        self.tensors.extend(1u32.to_le_bytes());
        self.tensors.extend(n.to_le_bytes());
        self.tensors.extend(0u32.to_le_bytes());
        self.tensors.extend(offset.to_le_bytes());
        self.tensor_count += 1;
        self
    }
    fn data(mut self, n: usize) -> Self {
        self.data = vec![0; n];
        self
    }
    fn bytes_with(&self, version: u32, tensor_count: u64, kv_count: u64) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(version.to_le_bytes());
        out.extend(tensor_count.to_le_bytes());
        out.extend(kv_count.to_le_bytes());
        out.extend(&self.kvs);
        out.extend(&self.tensors);
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend(&self.data);
        out
    }
    fn bytes(&self) -> Vec<u8> {
        self.bytes_with(3, self.tensor_count, self.kv_count)
    }
}

fn parse(bytes: &[u8]) -> Result<GgufFile, GgufError> {
    GgufFile::read(Cursor::new(bytes), bytes.len() as u64)
}

fn llama() -> Gguf {
    Gguf::default()
        .kv_str("general.architecture", "llama")
        .kv_u32("llama.context_length", 2048)
        .tensor("tok_embd.weight", 8, 0)
        .data(32)
}

#[test]
fn a_sound_header_reads_back() {
    let file = parse(&llama().bytes()).unwrap();
    assert_eq!(file.architecture().unwrap(), "llama");
    assert_eq!(file.context_length(), Some(2048));
    assert_eq!(file.parameter_count(), 8);
    assert_eq!(file.tensors[0].size_bytes, Some(32));
    file.check_runnable().unwrap();
}

#[test]
fn not_gguf() {
    assert!(matches!(
        parse(b"hello world, not a model"),
        Err(GgufError::NotGguf)
    ));
    assert!(matches!(parse(b""), Err(GgufError::NotGguf)));
    assert!(matches!(parse(b"GG"), Err(GgufError::NotGguf)));
}

#[test]
fn version_one_is_refused() {
    let err = parse(&llama().bytes_with(1, 1, 2)).unwrap_err();
    assert!(matches!(err, GgufError::UnsupportedVersion(1)));
    assert!(err.to_string().contains("version 1"));
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let err = parse(&llama().bytes_with(3, u64::MAX, 2)).unwrap_err();
    assert!(matches!(err, GgufError::Corrupt(_)), "{err}");
    let err = parse(&llama().bytes_with(3, 1, 1 << 60)).unwrap_err();
    assert!(matches!(err, GgufError::Corrupt(_)), "{err}");
}

#[test]
fn string_length_past_the_end() {
    let mut kv = Vec::new();
    string(&mut kv, "general.name");
    kv.extend(8u32.to_le_bytes());
    kv.extend(1_000_000u64.to_le_bytes());
    kv.extend(b"short");
    let err = parse(&Gguf::default().raw_kv(&kv).bytes()).unwrap_err();
    assert!(matches!(err, GgufError::Truncated(_)), "{err}");
}

#[test]
fn huge_string_array_is_refused() {
    let mut kv = Vec::new();
    string(&mut kv, "tokenizer.ggml.tokens");
    kv.extend(9u32.to_le_bytes());
    kv.extend(8u32.to_le_bytes());
    kv.extend((u64::MAX / 2).to_le_bytes());
    let err = parse(&Gguf::default().raw_kv(&kv).bytes()).unwrap_err();
    assert!(matches!(err, GgufError::Corrupt(_)), "{err}");
}

#[test]
fn tensor_past_the_end_means_truncated() {
    let bytes = llama().bytes();
    let err = parse(&bytes[..bytes.len() - 4]).unwrap_err();
    assert!(matches!(err, GgufError::Truncated(_)), "{err}");
}

#[test]
fn misaligned_tensor_offset() {
    let g = Gguf::default()
        .kv_str("general.architecture", "llama")
        .tensor("t", 8, 3)
        .data(64);
    let err = parse(&g.bytes()).unwrap_err();
    assert!(err.to_string().contains("alignment"), "{err}");
}

#[test]
fn duplicate_key() {
    let g = Gguf::default()
        .kv_str("general.architecture", "llama")
        .kv_str("general.architecture", "gpt2");
    assert!(matches!(parse(&g.bytes()), Err(GgufError::Corrupt(_))));
}

#[test]
fn unsupported_families_are_named() {
    for (arch, family) in [("gptj", "GPT-J"), ("opt", "OPT"), ("rwkv", "RWKV-4")] {
        let g = Gguf::default().kv_str("general.architecture", arch);
        let err = parse(&g.bytes()).unwrap().check_runnable().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(family) && msg.contains("not supported by llama.cpp"),
            "{msg}"
        );
    }
}

#[test]
fn missing_architecture() {
    let err = parse(&Gguf::default().bytes())
        .unwrap()
        .check_runnable()
        .unwrap_err();
    assert!(matches!(err, GgufError::MissingKey("general.architecture")));
}

#[test]
fn directory_and_missing_file() {
    let dir = std::env::temp_dir();
    assert!(matches!(
        GgufFile::open(&dir),
        Err(GgufError::IsDirectory(_))
    ));
    let err = GgufFile::open(&dir.join("hearth-no-such-model.gguf")).unwrap_err();
    assert!(
        err.to_string().contains("hearth-no-such-model.gguf"),
        "{err}"
    );
}

/// The first 4 MiB of the real test model (its header, with the 49k-token vocabulary, ends well
/// within that) and the model's size.
fn real_header() -> Option<(Vec<u8>, u64)> {
    static HEADER: OnceLock<Option<(Vec<u8>, u64)>> = OnceLock::new();
    HEADER
        .get_or_init(|| {
            let file = std::fs::File::open(hearth_testkit::test_model()).ok()?;
            let len = file.metadata().ok()?.len();
            let mut bytes = Vec::new();
            file.take(4 << 20).read_to_end(&mut bytes).ok()?;
            Some((bytes, len))
        })
        .clone()
}

#[test]
fn real_test_model_header() {
    let (bytes, len) = real_header().expect("the test model is readable");
    let file = GgufFile::read(Cursor::new(&bytes), len).unwrap();
    assert_eq!(file.architecture().unwrap(), "llama");
    assert!(file.chat_template().unwrap().contains("<|im_start|>"));
    assert_eq!(file.context_length(), Some(8192));
    assert!(matches!(
        file.get("tokenizer.ggml.tokens"),
        Some(MetaValue::Array { len: 49152, .. })
    ));
    let params = file.parameter_count();
    assert!((130_000_000..140_000_000).contains(&params), "{params}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any byte of a real header changed to anything, or the header cut anywhere: an error or a
    /// header, never a panic.
    #[test]
    fn mutated_real_header_never_panics(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let Some((mut bytes, len)) = real_header() else { return Ok(()); };
        // Mutate within the first 64 KiB, where counts, keys and lengths live.
        let i = pos.index(bytes.len().min(1 << 16));
        bytes[i] = byte;
        let _ = GgufFile::read(Cursor::new(&bytes), len);
        let n = cut.index(bytes.len());
        let _ = GgufFile::read(Cursor::new(&bytes[..n]), n as u64);
    }

    /// Random bytes after a valid magic and version.
    #[test]
    fn random_headers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"GGUF\x03\x00\x00\x00".to_vec();
        bytes.extend(body);
        let _ = parse(&bytes);
    }
}
