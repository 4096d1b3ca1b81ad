//! Settings kept in the store: generation settings (for all models and per model), the system
//! prompt of new chats, the default model, the update check and the local API's key.

use hearth_engine::NamedTemplate;
use hearth_models::Machine;
use serde::{Deserialize, Serialize};

use super::views::{AppSettings, ModelsFolder};
use super::App;
use crate::{CoreError, SamplingParams, SnapshotUsage, DEFAULT_SYSTEM_PROMPT};

/// Settings key of the model new chats use.
pub const DEFAULT_MODEL_SETTING: &str = "default_model";
/// Settings key of the generation settings replies use (GPT4All's defaults when unset).
pub const GENERATION_SETTING: &str = "generation";
/// Settings key of the system prompt new chats start with.
pub const SYSTEM_PROMPT_SETTING: &str = "system_prompt";
/// The settings key of the desktop app's start-up update check (a bool, off by default).
pub const CHECK_UPDATES_SETTING: &str = "update.check";
/// GPT4All Chat's default context length.
pub const DEFAULT_CONTEXT: u32 = 2048;

/// How replies are generated: sampling, and how the model is loaded. Kept for all models, and
/// optionally overridden as a whole for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GenerationSettings {
    /// Sampling.
    #[serde(flatten)]
    pub sampling: SamplingParams,
    /// Context length in tokens.
    #[serde(default = "default_context")]
    pub context: u32,
    /// Threads; `None` means one per physical core.
    #[serde(default)]
    pub threads: Option<u32>,
    /// A prompt format to use instead of the model's own (for a model whose own template is
    /// missing or cannot be used); `None` uses the model's.
    #[serde(default)]
    pub prompt_format: Option<NamedTemplate>,
    /// True when these are one model's own settings rather than everyone's.
    #[serde(default, skip_deserializing)]
    pub overridden: bool,
}

fn default_context() -> u32 {
    DEFAULT_CONTEXT
}

impl Default for GenerationSettings {
    fn default() -> Self {
        GenerationSettings {
            sampling: SamplingParams::default(),
            context: DEFAULT_CONTEXT,
            threads: None,
            prompt_format: None,
            overridden: false,
        }
    }
}

/// The settings key of one model's own generation settings.
fn model_key(model: &str) -> String {
    format!("{GENERATION_SETTING}:{model}")
}

impl App {
    /// The generation settings replies use: `model`'s own if it has them, else everyone's.
    pub async fn generation(&self, model: Option<&str>) -> Result<GenerationSettings, CoreError> {
        let store = self.hearth.store();
        if let Some(model) = model {
            if let Some(mut own) = store
                .setting::<GenerationSettings>(&model_key(model))
                .await?
            {
                own.overridden = true;
                return Ok(own);
            }
        }
        Ok(store.setting(GENERATION_SETTING).await?.unwrap_or_default())
    }

    /// Checks and keeps generation settings, for everyone or as `model`'s own.
    pub async fn set_generation(
        &self,
        model: Option<&str>,
        settings: &GenerationSettings,
    ) -> Result<(), CoreError> {
        settings
            .sampling
            .validate()
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let load = crate::LoadOptions {
            n_ctx: Some(settings.context),
            n_threads: settings.threads,
            ..Default::default()
        };
        load.validate()
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let key = model.map_or_else(|| GENERATION_SETTING.to_owned(), model_key);
        Ok(self.hearth.store().set_setting(&key, settings).await?)
    }

    /// Drops `model`'s own settings: it uses everyone's again.
    pub async fn clear_model_generation(&self, model: &str) -> Result<(), CoreError> {
        Ok(self.hearth.store().clear_setting(&model_key(model)).await?)
    }

    /// What the Settings screen shows besides generation.
    pub async fn settings(&self) -> Result<AppSettings, CoreError> {
        Ok(AppSettings {
            system_prompt: self.system_prompt().await?,
            check_updates: self.check_updates().await?,
            data_dir: self.hearth.data_dir().root().display().to_string(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            llama_cpp: hearth_engine::LLAMA_CPP_VERSION.to_owned(),
            machine: Machine::detect(),
            models_folder: self.models_folder()?,
        })
    }

    /// Where models are kept, how many, the room they take and the room left.
    fn models_folder(&self) -> Result<ModelsFolder, CoreError> {
        let library = self.models.library();
        let installed = library.list(self.models.catalog())?;
        Ok(ModelsFolder {
            path: library.dir().display().to_string(),
            models: u32::try_from(installed.len()).unwrap_or(u32::MAX),
            used: installed.iter().map(|m| m.size).sum(),
            free: library.free_space(),
        })
    }

    /// The system prompt new chats start with.
    pub async fn system_prompt(&self) -> Result<String, CoreError> {
        let prompt: Option<String> = self.hearth.store().setting(SYSTEM_PROMPT_SETTING).await?;
        Ok(prompt.unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT.to_owned()))
    }

    /// Keeps the system prompt new chats start with.
    pub async fn set_system_prompt(&self, text: &str) -> Result<(), CoreError> {
        Ok(self
            .hearth
            .store()
            .set_setting(SYSTEM_PROMPT_SETTING, &text)
            .await?)
    }

    /// Whether the desktop app looks for a newer version when it starts: off unless the user
    /// turns it on, so by default Hearth contacts nothing but model downloads.
    pub async fn check_updates(&self) -> Result<bool, CoreError> {
        let on: Option<bool> = self.hearth.store().setting(CHECK_UPDATES_SETTING).await?;
        Ok(on.unwrap_or(false))
    }

    /// Turns the start-up update check on or off.
    pub async fn set_check_updates(&self, on: bool) -> Result<(), CoreError> {
        Ok(self
            .hearth
            .store()
            .set_setting(CHECK_UPDATES_SETTING, &on)
            .await?)
    }

    /// The local API's key (the bearer token programs send), made on first use.
    pub async fn api_key(&self) -> Result<String, CoreError> {
        let store = self.hearth.store();
        if let Some(key) = store.setting::<String>(crate::api::TOKEN_SETTING).await? {
            return Ok(key);
        }
        self.new_api_key().await
    }

    /// Replaces the local API's key; programs holding the old one are refused from now on.
    pub async fn new_api_key(&self) -> Result<String, CoreError> {
        let key = crate::api::new_token()
            .map_err(|e| CoreError::Unavailable(format!("no random key could be made: {e}")))?;
        self.hearth
            .store()
            .set_setting(crate::api::TOKEN_SETTING, &key)
            .await?;
        Ok(key)
    }
}

impl App {
    /// The space the chats' saved conversation caches use, and their limit.
    pub async fn snapshots(&self) -> SnapshotUsage {
        self.hearth.snapshot_usage().await
    }

    /// Sets the most disk the saved conversation caches may use (0: none are kept).
    pub async fn set_snapshot_limit(&self, bytes: u64) -> Result<SnapshotUsage, CoreError> {
        self.hearth.set_snapshot_limit(bytes).await
    }

    /// Removes every saved conversation cache; chats are read again on their next turn.
    pub async fn clear_snapshots(&self) -> SnapshotUsage {
        self.hearth.clear_snapshots().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_context_existed_read_with_gpt4all_defaults() {
        let old = serde_json::to_string(&SamplingParams {
            temperature: 0.0,
            ..SamplingParams::default()
        })
        .unwrap();
        let read: GenerationSettings = serde_json::from_str(&old).unwrap();
        assert_eq!(read.sampling.temperature, 0.0);
        assert_eq!(
            (
                read.context,
                read.threads,
                read.prompt_format,
                read.overridden
            ),
            (2048, None, None, false)
        );
        let round: GenerationSettings =
            serde_json::from_value(serde_json::to_value(&read).unwrap()).unwrap();
        assert_eq!(round, read);
    }
}
