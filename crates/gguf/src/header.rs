//! Parsing the header: metadata key/values and the tensor table.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::reader::{Bounded, MAX_STRING_LEN};
use crate::types::tensor_bytes;
use crate::{architectures, GgufError};

const MAGIC: [u8; 4] = *b"GGUF";
const MAX_KEY_LEN: u64 = 64 << 10;
const MAX_DIMS: u32 = 4;
const DEFAULT_ALIGNMENT: u64 = 32;

/// A metadata value. Arrays keep only their element type and length: token lists run to
/// hundreds of thousands of strings nobody here needs.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// An unsigned integer of any width.
    Uint(u64),
    /// A signed integer of any width.
    Int(i64),
    /// A float of any width.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// An array, not kept.
    Array {
        /// GGUF value type of the elements.
        element_type: u32,
        /// Number of elements.
        len: u64,
    },
}

/// One entry of the tensor table.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Tensor name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Size of each dimension.
    pub dims: Vec<u64>,
    /// ggml type id.
    pub ggml_type: u32,
    /// Offset from the start of the data section.
    pub offset: u64,
    /// Bytes of data, when the type is known.
    pub size_bytes: Option<u64>,
}

impl TensorInfo {
    /// Number of values in the tensor.
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// What a GGUF header says, every part of it checked against the file size.
#[derive(Debug, Clone)]
pub struct GgufFile {
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata by key.
    pub metadata: BTreeMap<String, MetaValue>,
    /// The tensor table.
    pub tensors: Vec<TensorInfo>,
    /// Where tensor data starts.
    pub data_offset: u64,
    /// Size of the whole file.
    pub file_size: u64,
}

impl GgufFile {
    /// Reads and checks the header of the file at `path`.
    pub fn open(path: &Path) -> Result<GgufFile, GgufError> {
        let io = |source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            return Err(GgufError::IsDirectory(path.to_path_buf()));
        }
        let file = File::open(path).map_err(io)?;
        GgufFile::read(BufReader::with_capacity(1 << 16, file), meta.len())
    }

    /// Reads and checks a header from `source`, which holds exactly `len` bytes.
    pub fn read(source: impl Read, len: u64) -> Result<GgufFile, GgufError> {
        let mut r = Bounded::new(source, len);
        if len < 4 || r.array::<4>("magic")? != MAGIC {
            return Err(GgufError::NotGguf);
        }
        let version = r.u32("version")?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion(version));
        }
        let tensor_count = r.u64("tensor count")?;
        let kv_count = r.u64("metadata count")?;
        // Smallest possible entries: a tensor is 24 bytes, a key/value 13.
        if tensor_count > r.remaining() / 24 || kv_count > r.remaining() / 13 {
            return Err(GgufError::Corrupt(format!(
                "the header claims {tensor_count} tensors and {kv_count} metadata entries, more than a {len}-byte file can hold"
            )));
        }
        let mut metadata = BTreeMap::new();
        for _ in 0..kv_count {
            let key = r.string("metadata key", MAX_KEY_LEN)?;
            let value = read_value(&mut r, &key)?;
            if metadata.insert(key.clone(), value).is_some() {
                return Err(GgufError::Corrupt(format!(
                    "metadata key {key} appears twice"
                )));
            }
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(MetaValue::Uint(a)) if a.is_power_of_two() => *a,
            Some(other) => {
                return Err(GgufError::Corrupt(format!(
                    "general.alignment is {other:?}"
                )));
            }
        };
        let mut tensors = Vec::new();
        for _ in 0..tensor_count {
            tensors.push(read_tensor_info(&mut r, alignment)?);
        }
        let data_offset = r.pos().div_ceil(alignment) * alignment;
        // A file without tensors (a vocabulary-only file) has no data section to reach.
        let data_len = match len.checked_sub(data_offset) {
            Some(n) => n,
            None if tensors.is_empty() => 0,
            None => {
                return Err(GgufError::Truncated(
                    "the file ends before its tensor data starts".into(),
                ));
            }
        };
        for t in &tensors {
            let end = t.offset.checked_add(t.size_bytes.unwrap_or(0));
            if end.is_none_or(|end| end > data_len) {
                return Err(GgufError::Truncated(format!(
                    "tensor {} lies past the end of the file",
                    t.name
                )));
            }
        }
        Ok(GgufFile {
            version,
            metadata,
            tensors,
            data_offset,
            file_size: len,
        })
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// The string under `key`, if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key) {
            Some(MetaValue::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The non-negative integer under `key`, whatever its width.
    pub fn get_uint(&self, key: &str) -> Option<u64> {
        match self.metadata.get(key) {
            Some(MetaValue::Uint(v)) => Some(*v),
            Some(MetaValue::Int(v)) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> Result<&str, GgufError> {
        self.get_str("general.architecture")
            .ok_or(GgufError::MissingKey("general.architecture"))
    }

    /// `general.name`.
    pub fn name(&self) -> Option<&str> {
        self.get_str("general.name")
    }

    /// `<arch>.context_length`: the context the model was trained for.
    pub fn context_length(&self) -> Option<u64> {
        self.get_uint(&format!("{}.context_length", self.architecture().ok()?))
    }

    /// `tokenizer.chat_template`.
    pub fn chat_template(&self) -> Option<&str> {
        self.get_str("tokenizer.chat_template")
    }

    /// Total number of weights.
    pub fn parameter_count(&self) -> u64 {
        self.tensors
            .iter()
            .map(TensorInfo::elements)
            .fold(0, u64::saturating_add)
    }

    /// The pre-flight check run before llama.cpp opens a file: the header is sound (checked by
    /// reading it) and its architecture is one llama.cpp can run.
    pub fn check_runnable(&self) -> Result<(), GgufError> {
        let arch = self.architecture()?;
        if architectures::is_runnable_architecture(arch) {
            return Ok(());
        }
        let family = match arch {
            "gptj" => "GPT-J / GPT4All-J".to_owned(),
            "opt" => "OPT".to_owned(),
            "rwkv" | "rwkv4" => "RWKV-4 / Raven".to_owned(),
            other => other.chars().take(64).collect(),
        };
        Err(GgufError::UnsupportedArchitecture(family))
    }
}

fn read_value<R: Read>(r: &mut Bounded<R>, key: &str) -> Result<MetaValue, GgufError> {
    let value_type = r.u32(key)?;
    read_typed(r, key, value_type)
}

fn read_typed<R: Read>(r: &mut Bounded<R>, key: &str, ty: u32) -> Result<MetaValue, GgufError> {
    Ok(match ty {
        0 => MetaValue::Uint(r.u8(key)?.into()),
        1 => MetaValue::Int(i8::from_le_bytes(r.array::<1>(key)?).into()),
        2 => MetaValue::Uint(u16::from_le_bytes(r.array::<2>(key)?).into()),
        3 => MetaValue::Int(i16::from_le_bytes(r.array::<2>(key)?).into()),
        4 => MetaValue::Uint(r.u32(key)?.into()),
        5 => MetaValue::Int(i32::from_le_bytes(r.array::<4>(key)?).into()),
        6 => MetaValue::Float(f32::from_le_bytes(r.array::<4>(key)?).into()),
        7 => match r.u8(key)? {
            0 => MetaValue::Bool(false),
            1 => MetaValue::Bool(true),
            b => {
                return Err(GgufError::Corrupt(format!(
                    "{key} is a boolean of value {b}"
                )))
            }
        },
        8 => MetaValue::String(r.string(key, MAX_STRING_LEN)?),
        9 => read_array(r, key)?,
        10 => MetaValue::Uint(r.u64(key)?),
        11 => MetaValue::Int(i64::from_le_bytes(r.array::<8>(key)?)),
        12 => MetaValue::Float(f64::from_le_bytes(r.array::<8>(key)?)),
        other => {
            return Err(GgufError::Corrupt(format!(
                "{key} has unknown value type {other}"
            )))
        }
    })
}

fn read_array<R: Read>(r: &mut Bounded<R>, key: &str) -> Result<MetaValue, GgufError> {
    let element_type = r.u32(key)?;
    let len = r.u64(key)?;
    let fixed = match element_type {
        0 | 1 | 7 => Some(1u64),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        8 => None,
        9 => return Err(GgufError::Corrupt(format!("{key} is an array of arrays"))),
        other => {
            return Err(GgufError::Corrupt(format!(
                "{key} has unknown element type {other}"
            )))
        }
    };
    match fixed {
        Some(size) => {
            let bytes = len
                .checked_mul(size)
                .ok_or_else(|| GgufError::Corrupt(format!("{key} claims {len} elements")))?;
            r.skip(bytes, key)?;
        }
        None => {
            // Each string takes at least its 8-byte length.
            if len > r.remaining() / 8 {
                return Err(GgufError::Corrupt(format!(
                    "{key} claims {len} strings, more than the file can hold"
                )));
            }
            for _ in 0..len {
                r.skip_string(key)?;
            }
        }
    }
    Ok(MetaValue::Array { element_type, len })
}

fn read_tensor_info<R: Read>(r: &mut Bounded<R>, alignment: u64) -> Result<TensorInfo, GgufError> {
    let name = r.string("tensor name", MAX_KEY_LEN)?;
    let n_dims = r.u32(&name)?;
    if n_dims == 0 || n_dims > MAX_DIMS {
        return Err(GgufError::Corrupt(format!(
            "tensor {name} has {n_dims} dimensions"
        )));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    let mut elements: u64 = 1;
    for _ in 0..n_dims {
        let d = r.u64(&name)?;
        elements = elements.checked_mul(d).filter(|_| d > 0).ok_or_else(|| {
            GgufError::Corrupt(format!("tensor {name} has impossible dimensions"))
        })?;
        dims.push(d);
    }
    let ggml_type = r.u32(&name)?;
    let offset = r.u64(&name)?;
    if !offset.is_multiple_of(alignment) {
        return Err(GgufError::Corrupt(format!(
            "tensor {name} is at offset {offset}, not a multiple of the alignment {alignment}"
        )));
    }
    let size_bytes = tensor_bytes(ggml_type, elements);
    Ok(TensorInfo {
        name,
        dims,
        ggml_type,
        offset,
        size_bytes,
    })
}
