//! Generations outside a saved chat (the API server), and writing one into the history when
//! the user asked for that.

use hearth_engine::{Generation, Input};
use hearth_store::{NewMessage, Role};

use crate::{ChatModel, CoreError, Hearth};

impl Hearth {
    /// Loads `model` if needed and starts generating from `input`, saving nothing. Dropping the
    /// generation cancels it.
    pub async fn generate(&self, model: &ChatModel, input: Input) -> Result<Generation, CoreError> {
        self.prepare(model).await?;
        Ok(self
            .inner
            .engine
            .generate(input, model.sampling.clone())
            .await?)
    }

    /// Saves a finished exchange made outside the app (through the API) as a new chat.
    pub async fn record_exchange(
        &self,
        input: &Input,
        reply: &str,
        model: &str,
    ) -> Result<(), CoreError> {
        let store = &self.inner.store;
        let (system, turns): (Option<String>, Vec<(Role, String)>) = match input {
            Input::Raw { prompt } => (None, vec![(Role::User, prompt.clone())]),
            Input::Chat { messages } => {
                let system = messages
                    .iter()
                    .find(|m| m.role == hearth_engine::Role::System)
                    .map(|m| m.content.clone());
                let turns = messages
                    .iter()
                    .filter_map(|m| match m.role {
                        hearth_engine::Role::User => Some((Role::User, m.content.clone())),
                        hearth_engine::Role::Assistant => {
                            Some((Role::Assistant, m.content.clone()))
                        }
                        hearth_engine::Role::System => None,
                    })
                    .collect();
                (system, turns)
            }
        };
        let first = turns
            .iter()
            .find(|(r, _)| *r == Role::User)
            .map_or("", |(_, t)| t.as_str());
        let title: String = format!(
            "API: {}",
            first
                .split_whitespace()
                .take(8)
                .collect::<Vec<_>>()
                .join(" ")
        );
        let chat = store.create_chat(&title, system.as_deref()).await?;
        let mut parent = None;
        for (role, text) in turns {
            parent = Some(
                store
                    .add_message(chat.id, parent, NewMessage::complete(role, text))
                    .await?
                    .id,
            );
        }
        let mut answer = NewMessage::complete(Role::Assistant, reply);
        answer.model_file = Some(model.to_owned());
        store.add_message(chat.id, parent, answer).await?;
        Ok(())
    }
}
