//! The providers a person can pick from a list instead of typing an address.

use serde::Serialize;

/// A known provider: where it is and what its server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Preset {
    /// Stable id (`openai`, `compatible`).
    pub id: &'static str,
    /// Name shown in the list.
    pub name: &'static str,
    /// Base address; empty for "any compatible server", where the person types it.
    pub base_url: &'static str,
    /// Whether the service refuses requests without a key.
    pub needs_key: bool,
    /// Whether the server takes llama.cpp's sampling fields (`top_k`, `min_p`,
    /// `repeat_penalty`); hosted APIs refuse unknown fields.
    pub extensions: bool,
}

/// Every preset, in the order shown.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "compatible",
        name: "OpenAI-compatible server (vLLM, llama-server, Ollama, LM Studio, Hearth)",
        base_url: "",
        needs_key: false,
        extensions: true,
    },
    Preset {
        id: "openai",
        name: "OpenAI",
        base_url: "https://api.openai.com/v1",
        needs_key: true,
        extensions: false,
    },
    Preset {
        id: "groq",
        name: "Groq",
        base_url: "https://api.groq.com/openai/v1",
        needs_key: true,
        extensions: false,
    },
    Preset {
        id: "mistral",
        name: "Mistral",
        base_url: "https://api.mistral.ai/v1",
        needs_key: true,
        extensions: false,
    },
    Preset {
        id: "openrouter",
        name: "OpenRouter",
        base_url: "https://openrouter.ai/api/v1",
        needs_key: true,
        extensions: false,
    },
    Preset {
        id: "deepseek",
        name: "DeepSeek",
        base_url: "https://api.deepseek.com/v1",
        needs_key: true,
        extensions: false,
    },
];

impl Preset {
    /// The preset with `id`.
    pub fn find(id: &str) -> Option<&'static Preset> {
        PRESETS.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Endpoint;

    #[test]
    fn every_preset_address_passes_the_policy() {
        for preset in PRESETS.iter().filter(|p| !p.base_url.is_empty()) {
            let endpoint = Endpoint::parse(preset.base_url).unwrap();
            assert!(!endpoint.is_plain_http(), "{}", preset.id);
        }
        assert!(Preset::find("openai").is_some_and(|p| p.needs_key));
        assert!(Preset::find("nope").is_none());
    }
}
