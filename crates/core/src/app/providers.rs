//! Settings → Remote providers: add, list, ask for models, remove.

use hearth_providers::RemoteModel;

use super::App;
use crate::{CoreError, NewProvider, ProviderAdded, ProvidersView};

impl App {
    /// The providers added, the presets, and where keys are kept here.
    pub async fn providers(&self) -> Result<ProvidersView, CoreError> {
        self.hearth.inner.remote.view().await
    }

    /// Adds a provider. With `check` the server must answer its model list with the key
    /// given first (the "test connection"); nothing is kept when it does not.
    pub async fn add_provider(
        &self,
        new: NewProvider,
        check: bool,
    ) -> Result<ProviderAdded, CoreError> {
        self.hearth.inner.remote.add(new, check).await
    }

    /// Removes a provider and deletes its key from the keychain.
    pub async fn remove_provider(&self, name: &str) -> Result<(), CoreError> {
        self.hearth.inner.remote.remove(name).await
    }

    /// The models the provider lists now.
    pub async fn provider_models(&self, name: &str) -> Result<Vec<RemoteModel>, CoreError> {
        self.hearth.inner.remote.models(name).await
    }

    /// Whether keys may go to a file only this user can read when there is no keychain.
    pub async fn set_keys_in_file(&self, allowed: bool) -> Result<(), CoreError> {
        self.hearth.inner.remote.set_keys_in_file(allowed).await
    }
}
