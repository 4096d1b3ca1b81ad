//! What a GGUF file is, read from its header in pure Rust (hearth-gguf): never from llama.cpp,
//! because the file is untrusted until this has passed.

use std::path::Path;

use hearth_gguf::{GgufFile, MetaValue};
use serde::{Deserialize, Serialize};

use crate::ModelsError;

/// The facts about a model file that the model manager shows and plans with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ModelFacts {
    /// `general.architecture` (`llama`, `qwen3`, `t5`).
    pub architecture: String,
    /// Whether the pinned llama.cpp can run this architecture.
    pub runnable: bool,
    /// Whether it is an embedding model (sentence vectors for LocalDocs; it writes no replies).
    pub for_embeddings: bool,
    /// `general.name`, when the file has one.
    pub name: Option<String>,
    /// Total number of weights.
    pub parameters: u64,
    /// The file type (`Q4_K_M`), from `general.file_type` or else the commonest tensor type.
    pub quant: Option<String>,
    /// Context length the model was trained for.
    pub context_length: Option<u64>,
    /// Number of transformer blocks.
    pub layers: Option<u64>,
    /// Width of the embedding.
    pub embedding: Option<u64>,
    /// Attention heads, and key/value heads (fewer with grouped-query attention).
    pub heads: Option<u64>,
    /// Key/value heads.
    pub kv_heads: Option<u64>,
    /// The chat template the file carries.
    pub chat_template: Option<String>,
    /// Size of the file in bytes.
    pub file_size: u64,
    /// GGUF format version.
    pub gguf_version: u32,
}

/// Memory that llama.cpp and the worker need beyond weights and KV cache (compute buffers,
/// the runtime): measured at 200–350 MB for small models here.
const OVERHEAD: u64 = 300_000_000;

impl ModelFacts {
    /// Whether it can write replies here: llama.cpp runs it and it is no embedding model.
    pub fn can_chat(&self) -> bool {
        self.runnable && !self.for_embeddings
    }

    /// Reads and checks the header of `path`.
    pub fn inspect(path: &Path) -> Result<ModelFacts, ModelsError> {
        Ok(ModelFacts::from_header(&GgufFile::open(path)?)?)
    }

    /// The facts a checked header gives.
    pub fn from_header(file: &GgufFile) -> Result<ModelFacts, hearth_gguf::GgufError> {
        let arch = file.architecture()?.to_owned();
        let key = |name: &str| file.get_uint(&format!("{arch}.{name}"));
        Ok(ModelFacts {
            runnable: file.check_runnable().is_ok(),
            for_embeddings: hearth_gguf::is_embedding_architecture(&arch),
            name: file.name().map(str::to_owned),
            parameters: file.parameter_count(),
            quant: file_type_name(file),
            context_length: file.context_length(),
            layers: key("block_count"),
            embedding: key("embedding_length"),
            heads: key("attention.head_count"),
            kv_heads: key("attention.head_count_kv").or(key("attention.head_count")),
            chat_template: file.chat_template().map(str::to_owned),
            file_size: file.file_size,
            gguf_version: file.version,
            architecture: arch,
        })
    }

    /// Bytes of f16 KV cache for `context` tokens: layers × context × 2 (K and V) × kv width × 2.
    pub fn kv_cache_bytes(&self, context: u64) -> u64 {
        let (Some(layers), Some(embedding)) = (self.layers, self.embedding) else {
            return 0;
        };
        let heads = self.heads.unwrap_or(1).max(1);
        let kv_width = embedding.saturating_mul(self.kv_heads.unwrap_or(heads)) / heads;
        layers
            .saturating_mul(context)
            .saturating_mul(kv_width)
            .saturating_mul(4)
    }

    /// Memory needed to chat with a context of `context` tokens: the weights (mapped from the
    /// file), the KV cache and a fixed overhead.
    pub fn estimated_ram(&self, context: u64) -> u64 {
        let context = self.context_length.map_or(context, |max| context.min(max));
        self.file_size
            .saturating_add(self.kv_cache_bytes(context))
            .saturating_add(OVERHEAD)
    }
}

/// llama.cpp's `llama_ftype` names, for `general.file_type`.
const FILE_TYPES: &[(u64, &str)] = &[
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (7, "Q8_0"),
    (8, "Q5_0"),
    (9, "Q5_1"),
    (10, "Q2_K"),
    (11, "Q3_K_S"),
    (12, "Q3_K_M"),
    (13, "Q3_K_L"),
    (14, "Q4_K_S"),
    (15, "Q4_K_M"),
    (16, "Q5_K_S"),
    (17, "Q5_K_M"),
    (18, "Q6_K"),
    (19, "IQ2_XXS"),
    (20, "IQ2_XS"),
    (21, "Q2_K_S"),
    (22, "IQ3_XS"),
    (23, "IQ3_XXS"),
    (24, "IQ1_S"),
    (25, "IQ4_NL"),
    (26, "IQ3_S"),
    (27, "IQ3_M"),
    (28, "IQ2_S"),
    (29, "IQ2_M"),
    (30, "IQ4_XS"),
    (31, "IQ1_M"),
    (32, "BF16"),
    (36, "TQ1_0"),
    (37, "TQ2_0"),
    (38, "MXFP4_MOE"),
];

fn file_type_name(file: &GgufFile) -> Option<String> {
    if let Some(MetaValue::Uint(id)) = file.get("general.file_type") {
        if let Some((_, name)) = FILE_TYPES.iter().find(|(known, _)| known == id) {
            return Some((*name).to_owned());
        }
    }
    // Older conversions lack general.file_type: name the type that holds the most weights.
    let mut by_type = std::collections::BTreeMap::<u32, u64>::new();
    for tensor in &file.tensors {
        *by_type.entry(tensor.ggml_type).or_default() += tensor.elements();
    }
    let (ty, _) = by_type.into_iter().max_by_key(|(_, n)| *n)?;
    hearth_gguf::ggml_type_name(ty).map(str::to_owned)
}
