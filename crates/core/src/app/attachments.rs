//! Files attached to a question. Each is read with LocalDocs' reader (same formats, same
//! sandbox and limits). What fits in half the model's context goes into the question whole;
//! a longer file is copied into the chat's own folder and indexed as the chat's collection,
//! whose passages that match the question the reply is given (and names as its sources).

use std::path::{Path, PathBuf};

use hearth_docs::DocsError;
use hearth_store::{Attachment, Id};

use super::{started, App, DEFAULT_CONTEXT};
use crate::{ChatModel, CoreError, Started};

/// Attached text taken whole may fill this share of the context (1/n); the conversation, the
/// passages and the reply share the rest.
const WHOLE_SHARE: u64 = 2;
/// Characters per token, counted low, so that text taken whole surely fits.
const CHARS_PER_TOKEN: u64 = 3;
/// Most files attached to one question.
const MOST_FILES: usize = 10;

/// The chat's own collection, which holds its attachments too long to go in whole.
pub fn attachment_collection(chat_id: Id) -> String {
    format!("Attachments of chat {chat_id}")
}

impl App {
    /// Like [`App::send`], with files from this computer attached to the question. Nothing is
    /// written when a file cannot be read: the error names it and says why.
    pub async fn send_files(
        &self,
        chat_id: Id,
        text: &str,
        model: &str,
        files: &[String],
    ) -> Result<Started, CoreError> {
        let model = self.reply_model(model).await?;
        let attachments = self.attach(chat_id, files, &model).await?;
        Ok(started(
            &self
                .hearth
                .send_attached(chat_id, text, attachments, &model)
                .await?,
        ))
    }

    /// Reads `files` for a question in `chat_id` answered by `model`: whole while they fit,
    /// the rest indexed into the chat's collection (which the chat then answers from).
    pub async fn attach(
        &self,
        chat_id: Id,
        files: &[String],
        model: &ChatModel,
    ) -> Result<Vec<Attachment>, CoreError> {
        if files.len() > MOST_FILES {
            return Err(CoreError::Invalid(format!(
                "at most {MOST_FILES} files can be attached to one message"
            )));
        }
        // The chat must exist before anything is copied for it.
        let chat = self.hearth.store().chat(chat_id).await?;
        let mut read = Vec::with_capacity(files.len());
        for file in files {
            let path = PathBuf::from(file.trim());
            let name = file_name(&path);
            let text = match self.docs.docs().read_document(&path).await? {
                Ok(extracted) => extracted
                    .sections
                    .iter()
                    .map(|s| s.text.trim())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n\n"),
                Err(reason) => {
                    return Err(CoreError::Invalid(format!(
                        "{name} cannot be attached: {reason}"
                    )))
                }
            };
            if text.is_empty() {
                return Err(CoreError::Invalid(format!(
                    "{name} cannot be attached: it holds no text"
                )));
            }
            read.push((path, name, text));
        }
        let context = u64::from(model.load.n_ctx.unwrap_or(DEFAULT_CONTEXT));
        let mut room = context / WHOLE_SHARE * CHARS_PER_TOKEN;
        let mut attachments = Vec::with_capacity(read.len());
        let mut indexed = false;
        for (path, name, text) in read {
            let chars = text.chars().count() as u64;
            let mut attachment = Attachment {
                name: name.clone(),
                path: path.display().to_string(),
                chars,
                text: None,
                collection: None,
            };
            if chars <= room {
                room -= chars;
                attachment.text = Some(text);
            } else {
                self.copy_for_chat(chat_id, &path, &name).await?;
                attachment.collection = Some(attachment_collection(chat_id));
                indexed = true;
            }
            attachments.push(attachment);
        }
        if indexed {
            self.index_attachments(chat_id, chat.collections, context)
                .await?;
        }
        Ok(attachments)
    }

    /// Copies an attachment into the chat's folder (the original may move or change; the
    /// chat keeps what was asked about).
    async fn copy_for_chat(&self, chat_id: Id, path: &Path, name: &str) -> Result<(), CoreError> {
        let folder = self.chat_folder(chat_id);
        let copied = |e: std::io::Error| {
            CoreError::Docs(DocsError::Invalid(format!(
                "{name} could not be copied into {}: {e}",
                folder.display()
            )))
        };
        tokio::fs::create_dir_all(&folder).await.map_err(copied)?;
        let mut target = folder.join(name);
        let mut n = 2;
        while target.exists() {
            target = folder.join(format!("{n}-{name}"));
            n += 1;
        }
        tokio::fs::copy(path, &target).await.map_err(copied)?;
        Ok(())
    }

    /// Makes (or reads again) the chat's collection of long attachments and lets the chat
    /// answer from it. Its reading starts now; the reply waits for it.
    async fn index_attachments(
        &self,
        chat_id: Id,
        mut chosen: Vec<String>,
        context: u64,
    ) -> Result<(), CoreError> {
        let name = attachment_collection(chat_id);
        match self.docs.docs().collection(&name).await {
            Ok(_) => self.docs.read_again(&name),
            Err(DocsError::NoCollection(_)) => {
                // Searched together with the chat's other collections: the same model.
                let mut model = None;
                for other in &chosen {
                    if let Ok(c) = self.docs.docs().collection(other).await {
                        model = Some(c.embedding_model);
                        break;
                    }
                }
                let folder = self.chat_folder(chat_id);
                self.docs.add(&name, &[folder], model.as_deref()).await.map_err(|e| {
                    CoreError::Invalid(format!(
                        "this file is too long to go into the question whole (the model reads about {context} tokens at once), and it cannot be searched instead: {e}"
                    ))
                })?;
            }
            Err(e) => return Err(e.into()),
        }
        if !chosen.contains(&name) {
            chosen.push(name.clone());
            self.set_chat_collections(chat_id, &chosen).await?;
        }
        // Read now, not at the app's next turn (nor never, in a CLI run without one).
        let docs = self.docs.clone();
        tokio::spawn(async move {
            if let Err(e) = docs.index(&name).await {
                tracing::warn!(collection = %name, error = %e, "attachments could not be indexed");
            }
        });
        Ok(())
    }

    /// Where the chat's long attachments are kept.
    fn chat_folder(&self, chat_id: Id) -> PathBuf {
        self.data_dir()
            .attachments()
            .join(format!("chat-{chat_id}"))
    }

    /// Forgets a deleted chat's attachments: its collection and its folder.
    pub(super) async fn drop_attachments(&self, chat_id: Id) {
        let name = attachment_collection(chat_id);
        if self.docs.docs().collection(&name).await.is_ok() {
            if let Err(e) = self.docs.remove(&name).await {
                tracing::warn!(collection = %name, error = %e, "a deleted chat's attachments stay indexed");
            }
        }
        let folder = self.chat_folder(chat_id);
        if folder.exists() {
            if let Err(e) = tokio::fs::remove_dir_all(&folder).await {
                tracing::warn!(folder = %folder.display(), error = %e, "a deleted chat's attachments stay on disk");
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
