//! Settings → Remote providers: add, list, ask for models, remove.

use hearth_engine::{Input, SamplingParams};
use hearth_providers::{RemoteModel, ReplyStream, Request};

use super::App;
use crate::{ChatModel, CoreError, NewProvider, ProviderAdded, ProvidersView};

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

    /// Adds a model id the provider does not list to the picker.
    pub async fn add_provider_model(&self, name: &str, model: &str) -> Result<(), CoreError> {
        self.hearth.inner.remote.add_model(name, model).await
    }

    /// Whether keys may go to a file only this user can read when there is no keychain.
    pub async fn set_keys_in_file(&self, allowed: bool) -> Result<(), CoreError> {
        self.hearth.inner.remote.set_keys_in_file(allowed).await
    }

    /// `provider:model` as a model to answer with (default settings), when `id` names a model
    /// on an added provider; `None` for any other id.
    pub async fn remote_model(&self, id: &str) -> Result<Option<ChatModel>, CoreError> {
        let target = self.hearth.inner.remote.target(id).await?;
        Ok(target.map(|target| ChatModel {
            remote: Some(target),
            ..self.hearth.chat_model(std::path::Path::new(""))
        }))
    }

    /// The remote models of every provider, as last listed: `(provider:model, provider)`.
    pub async fn remote_models(&self) -> Result<Vec<(String, String)>, CoreError> {
        let providers = self.hearth.inner.remote.list().await?;
        Ok(providers
            .into_iter()
            .flat_map(|p| {
                p.models
                    .into_iter()
                    .map(move |m| (format!("{}:{m}", p.name), p.name.clone()))
            })
            .collect())
    }

    /// Streams a reply from a remote model, saving nothing (the local API).
    pub async fn stream_remote(
        &self,
        model: &ChatModel,
        input: &Input,
        sampling: &SamplingParams,
    ) -> Result<ReplyStream, CoreError> {
        let Some(target) = &model.remote else {
            return Err(CoreError::Invalid("not a remote model".into()));
        };
        let Input::Chat { messages } = input else {
            return Err(CoreError::Invalid(format!(
                "{} answers chat completions only (/v1/chat/completions)",
                target.id()
            )));
        };
        let request = Request {
            model: target.model.clone(),
            messages: messages.iter().map(crate::remote::message).collect(),
            settings: crate::remote::settings(sampling),
        };
        let provider = self.hearth.inner.remote.client(&target.provider).await?;
        Ok(provider.stream(&request).await?)
    }
}
