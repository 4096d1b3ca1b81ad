//! hearth-gguf: reads and checks the header of a GGUF model file, in pure Rust.
//!
//! A GGUF file is untrusted input: it arrives from the internet or from the user's disk, and
//! llama.cpp answers many malformed files with `abort()`. This crate reads the header (magic,
//! version, metadata, tensor table) with every count, length and offset checked against the file
//! size before it is used, so a hostile file costs an error, never a panic or a huge allocation.
//!
//! Main types: [`GgufFile`] (what the header says) and [`GgufError`] (why a file was refused).
//! [`GgufFile::check_runnable`] is the pre-flight the engine runs before llama.cpp opens a file.
//!
//! ```no_run
//! let file = hearth_gguf::GgufFile::open("model.gguf".as_ref())?;
//! file.check_runnable()?;
//! println!("{} with {} tensors", file.architecture()?, file.tensors.len());
//! # Ok::<(), hearth_gguf::GgufError>(())
//! ```
//!
//! It must never trust a length before checking it, and never depend on llama.cpp.
//!
//! # Layout
//! - `reader`: bounded little-endian reads over a file.
//! - `architectures`: the model families the pinned llama.cpp can run.
//! - `types`: ggml tensor types and their sizes.
#![deny(missing_docs)]

mod architectures;
mod header;
mod reader;
mod types;

pub use architectures::{
    is_embedding_architecture, is_runnable_architecture, EMBEDDING_ARCHITECTURES,
    RUNNABLE_ARCHITECTURES,
};
pub use header::{GgufFile, MetaValue, TensorInfo};
pub use types::ggml_type_name;

use std::path::PathBuf;

/// Why a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The path is a directory, not a file.
    #[error("{0} is a directory, not a model file")]
    IsDirectory(PathBuf),
    /// The file does not start with `GGUF`.
    #[error("not a GGUF model file (it does not start with \"GGUF\"); Hearth runs .gguf models")]
    NotGguf,
    /// GGUF version 1, or a version newer than any known.
    #[error("GGUF version {0} is not supported (versions 2 and 3 are); download a newer conversion of this model")]
    UnsupportedVersion(u32),
    /// The file ends before the header does.
    #[error("the file is truncated: {0}; download it again")]
    Truncated(String),
    /// The header contradicts itself or the file size.
    #[error("the model file is corrupt: {0}")]
    Corrupt(String),
    /// A metadata key the caller needs is absent.
    #[error("the model file has no {0} entry")]
    MissingKey(&'static str),
    /// The architecture has no implementation in llama.cpp.
    #[error("this model family ({0}) is not supported by llama.cpp; choose a modern model from the catalog instead")]
    UnsupportedArchitecture(String),
}
