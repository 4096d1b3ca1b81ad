//! Remote providers: the servers a person added (kept in settings, keys in the keychain), and
//! replies written by a model on one of them.
//!
//! No provider exists until the person adds one; without one nothing here opens a socket.

mod answer;

use std::sync::Arc;

use hearth_providers::{
    ApiKey, Endpoint, Keeping, KeyStore, Preset, Provider, RemoteModel, PRESETS,
};
use hearth_store::Store;
use serde::{Deserialize, Serialize};

use crate::CoreError;

pub(crate) use answer::{answer, message, settings};

/// The context assumed when fitting LocalDocs passages for a remote model, whose own is not
/// known here.
pub(crate) const REMOTE_CONTEXT: u32 = 8192;

/// The settings key of the provider list.
pub const PROVIDERS_SETTING: &str = "remote_providers";
/// The settings key of the person's consent to keep keys in a file when there is no keychain.
pub const KEYS_IN_FILE_SETTING: &str = "provider_keys_in_file";

/// A provider as saved (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProviderRecord {
    /// The name the person gave it; the part before `:` in its models' ids.
    pub name: String,
    /// The preset it was added with (`compatible`, `openai`, …).
    pub preset: String,
    /// Its base address.
    pub base_url: String,
    /// Whether a key was given (kept in the keychain, not here).
    pub has_key: bool,
    /// The model ids it listed when last asked (the picker shows these without a request).
    #[serde(default)]
    pub models: Vec<String>,
}

/// What the person fills in to add a provider.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct NewProvider {
    /// A short name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// A preset id from [`PRESETS`].
    pub preset: String,
    /// The address; the preset's when absent.
    pub base_url: Option<String>,
    /// The API key, if the server needs one.
    pub api_key: Option<String>,
}

/// The providers, the presets to add one with, and where keys are kept on this computer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProvidersView {
    /// Added providers, by name.
    pub providers: Vec<ProviderRecord>,
    /// What can be added.
    pub presets: Vec<Preset>,
    /// Where a key given now would be kept.
    pub keeping: Keeping,
    /// The file keys go to when there is no keychain and the person agreed.
    pub key_file: String,
}

/// A provider just added.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProviderAdded {
    /// As saved.
    pub provider: ProviderRecord,
    /// Where its key is kept, if it has one.
    pub keeping: Option<Keeping>,
    /// What to know about its address (plain http on the network).
    pub warning: Option<String>,
    /// The models it lists (empty when it was not asked).
    pub models: Vec<RemoteModel>,
}

/// A model on a provider, named `provider:model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTarget {
    /// The provider's name.
    pub provider: String,
    /// The model id on that server.
    pub model: String,
}

impl RemoteTarget {
    /// `provider:model`, as the picker, the CLI and the reply record show it.
    pub fn id(&self) -> String {
        format!("{}:{}", self.provider, self.model)
    }
}

/// The added providers and their keys.
pub(crate) struct Providers {
    store: Store,
    /// The keychain's service name for this data folder.
    service: String,
    key_file: std::path::PathBuf,
    /// Opened on first use (finding out whether a keychain answers takes a D-Bus round trip),
    /// again after the person changes whether keys may go to a file.
    keys: tokio::sync::Mutex<Option<Arc<KeyStore>>>,
}

impl Providers {
    pub(crate) fn new(store: Store, data: &crate::DataDir) -> Providers {
        Providers {
            store,
            service: format!("Hearth ({})", data.root().display()),
            key_file: data.root().join("provider-keys.json"),
            keys: tokio::sync::Mutex::new(None),
        }
    }

    async fn keys(&self) -> Result<Arc<KeyStore>, CoreError> {
        let mut keys = self.keys.lock().await;
        if let Some(keys) = keys.as_ref() {
            return Ok(keys.clone());
        }
        let allow_file: bool = self
            .store
            .setting(KEYS_IN_FILE_SETTING)
            .await?
            .unwrap_or(false);
        let (service, file) = (self.service.clone(), self.key_file.clone());
        let opened =
            tokio::task::spawn_blocking(move || KeyStore::open(&service, &file, allow_file))
                .await
                .map_err(|e| CoreError::stopped("the keychain check", e))?;
        let opened = Arc::new(opened);
        *keys = Some(opened.clone());
        Ok(opened)
    }

    /// Whether keys may be kept in a file readable only by this user when there is no
    /// keychain (the person's choice; off until they agree).
    pub(crate) async fn set_keys_in_file(&self, allowed: bool) -> Result<(), CoreError> {
        let mut keys = self.keys.lock().await;
        self.store
            .set_setting(KEYS_IN_FILE_SETTING, &allowed)
            .await?;
        *keys = None;
        Ok(())
    }

    /// Runs a blocking keychain call off the async threads.
    async fn with_keys<T: Send + 'static>(
        &self,
        call: impl FnOnce(&KeyStore) -> Result<T, hearth_providers::KeyError> + Send + 'static,
    ) -> Result<T, CoreError> {
        let keys = self.keys().await?;
        tokio::task::spawn_blocking(move || call(&keys))
            .await
            .map_err(|e| CoreError::stopped("the keychain", e))?
            .map_err(|e| CoreError::Unavailable(e.to_string()))
    }

    pub(crate) async fn list(&self) -> Result<Vec<ProviderRecord>, CoreError> {
        Ok(self
            .store
            .setting::<Vec<ProviderRecord>>(PROVIDERS_SETTING)
            .await?
            .unwrap_or_default())
    }

    pub(crate) async fn view(&self) -> Result<ProvidersView, CoreError> {
        Ok(ProvidersView {
            providers: self.list().await?,
            presets: PRESETS.to_vec(),
            keeping: self.keys().await?.keeping(),
            key_file: self.key_file.display().to_string(),
        })
    }

    /// Checks the address (and, with `check`, that the server answers with this key), keeps
    /// the key, saves the provider. Nothing is kept when a check fails.
    pub(crate) async fn add(
        &self,
        new: NewProvider,
        check: bool,
    ) -> Result<ProviderAdded, CoreError> {
        let name = new.name.trim().to_owned();
        check_name(&name)?;
        let mut list = self.list().await?;
        if list.iter().any(|p| p.name == name) {
            return Err(CoreError::Conflict(format!(
                "a provider named {name} already exists; remove it first or pick another name"
            )));
        }
        let preset = Preset::find(&new.preset).ok_or_else(|| {
            let ids: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
            CoreError::Invalid(format!(
                "no preset {}; pick one of: {}",
                new.preset,
                ids.join(", ")
            ))
        })?;
        let address = match new.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url.to_owned(),
            _ if !preset.base_url.is_empty() => preset.base_url.to_owned(),
            _ => {
                return Err(CoreError::Invalid(
                    "give the server's address, such as http://192.168.1.20:8000/v1".into(),
                ))
            }
        };
        let endpoint = Endpoint::parse(&address)?;
        let key = new
            .api_key
            .map(ApiKey::new)
            .filter(|k| !k.expose().is_empty());
        if preset.needs_key && key.is_none() {
            return Err(CoreError::Invalid(format!(
                "{} needs an API key; create one in your {} account",
                preset.name, preset.name
            )));
        }
        let models = if check {
            Provider::new(&name, endpoint.clone(), key.clone(), preset.extensions)?
                .models()
                .await?
        } else {
            Vec::new()
        };
        let keeping = match &key {
            Some(key) => {
                let (provider, key) = (name.clone(), key.clone());
                Some(self.with_keys(move |k| k.save(&provider, &key)).await?)
            }
            None => None,
        };
        let record = ProviderRecord {
            name,
            preset: preset.id.to_owned(),
            base_url: endpoint.as_str().to_owned(),
            has_key: key.is_some(),
            models: models.iter().map(|m| m.id.clone()).collect(),
        };
        list.push(record.clone());
        list.sort_by(|a, b| a.name.cmp(&b.name));
        self.store.set_setting(PROVIDERS_SETTING, &list).await?;
        Ok(ProviderAdded {
            provider: record,
            keeping,
            warning: endpoint.warning(),
            models,
        })
    }

    /// Removes the provider and its key.
    pub(crate) async fn remove(&self, name: &str) -> Result<(), CoreError> {
        let mut list = self.list().await?;
        let before = list.len();
        list.retain(|p| p.name != name);
        if list.len() == before {
            return Err(no_provider(name));
        }
        let provider = name.to_owned();
        self.with_keys(move |k| k.delete(&provider)).await?;
        self.store.set_setting(PROVIDERS_SETTING, &list).await?;
        Ok(())
    }

    /// The client for the provider `name`, with its key.
    pub(crate) async fn client(&self, name: &str) -> Result<Provider, CoreError> {
        let record = self
            .list()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| no_provider(name))?;
        let key = if record.has_key {
            let provider = name.to_owned();
            let key = self.with_keys(move |k| k.load(&provider)).await?;
            if key.is_none() {
                return Err(CoreError::Unavailable(format!(
                    "the API key of {name} is no longer kept on this computer (it was kept only for the session, or removed from the keychain); remove the provider and add it again"
                )));
            }
            key
        } else {
            None
        };
        let endpoint = Endpoint::parse(&record.base_url)?;
        let extensions = Preset::find(&record.preset).is_some_and(|p| p.extensions);
        Ok(Provider::new(name, endpoint, key, extensions)?)
    }

    /// The models the provider `name` lists now; the list is saved for the picker.
    pub(crate) async fn models(&self, name: &str) -> Result<Vec<RemoteModel>, CoreError> {
        let models = self.client(name).await?.models().await?;
        let mut list = self.list().await?;
        if let Some(record) = list.iter_mut().find(|p| p.name == name) {
            record.models = models.iter().map(|m| m.id.clone()).collect();
            self.store.set_setting(PROVIDERS_SETTING, &list).await?;
        }
        Ok(models)
    }

    /// Adds a model id the server does not list (some servers list none) to the picker.
    pub(crate) async fn add_model(&self, name: &str, model: &str) -> Result<(), CoreError> {
        let model = model.trim();
        if model.is_empty() || model.chars().any(char::is_whitespace) {
            return Err(CoreError::Invalid(format!(
                "{model:?} is not a model id; ids have no spaces, such as llama3.3:70b"
            )));
        }
        let mut list = self.list().await?;
        let record = list
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| no_provider(name))?;
        if !record.models.iter().any(|m| m == model) {
            record.models.push(model.to_owned());
            self.store.set_setting(PROVIDERS_SETTING, &list).await?;
        }
        Ok(())
    }

    /// `provider:model` when `id` starts with the name of an added provider.
    pub(crate) async fn target(&self, id: &str) -> Result<Option<RemoteTarget>, CoreError> {
        let Some((provider, model)) = id.split_once(':') else {
            return Ok(None);
        };
        if model.is_empty() || !self.list().await?.iter().any(|p| p.name == provider) {
            return Ok(None);
        }
        Ok(Some(RemoteTarget {
            provider: provider.to_owned(),
            model: model.to_owned(),
        }))
    }
}

fn no_provider(name: &str) -> CoreError {
    CoreError::NotFound(format!(
        "no remote provider named {name}; `hearth-cli providers list` or Settings → Remote providers shows them"
    ))
}

fn check_name(name: &str) -> Result<(), CoreError> {
    let fine = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fine {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "the provider name {name:?} must be 1–40 letters, digits, '-', '_' or '.' (it becomes the start of its models' names, as in gpu-box:llama-3)"
        )))
    }
}
