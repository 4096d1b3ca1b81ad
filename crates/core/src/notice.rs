//! Notices: what a person should know that is not a failure, with what each is about so that a
//! window says it in the reader's language; the English sentence goes to terminals and logs.

use serde::Serialize;

/// What a notice is about, with the facts its sentence needs.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeAbout {
    /// A chat goes to a remote provider for the first time.
    RemoteSend {
        /// The provider's name.
        provider: String,
        /// The server it reaches.
        host: String,
        /// The model that answers.
        model: String,
        /// Whether passages of the person's documents go with it.
        documents: bool,
    },
    /// A file attached to the question is still being read; the reply uses what was read.
    AttachmentStillReading,
    /// The person's documents could not be searched; the reply does not use them.
    DocumentsUnavailable {
        /// Why, in English (from the index).
        detail: String,
    },
    /// The model's own prompt format could not be used and another was chosen.
    PromptFormat {
        /// What the engine chose and why, in English.
        detail: String,
    },
}

impl NoticeAbout {
    /// The notice as an English sentence.
    pub fn english(&self) -> String {
        match self {
            NoticeAbout::RemoteSend {
                provider,
                host,
                model,
                documents,
            } => {
                let with = if *documents {
                    ", with passages from your documents,"
                } else {
                    ""
                };
                format!(
                    "This chat{with} is sent to {provider} at {host} to be answered by {model}."
                )
            }
            NoticeAbout::AttachmentStillReading => {
                "Your attached file is still being read; this reply uses what has been read so far."
                    .into()
            }
            NoticeAbout::DocumentsUnavailable { detail } => {
                format!("Your documents could not be searched ({detail}); this reply does not use them.")
            }
            NoticeAbout::PromptFormat { detail } => detail.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_reads_as_a_sentence_and_serialises_with_its_kind() {
        let about = NoticeAbout::RemoteSend {
            provider: "box".into(),
            host: "gpu.lan".into(),
            model: "llama-70b".into(),
            documents: true,
        };
        assert_eq!(
            about.english(),
            "This chat, with passages from your documents, is sent to box at gpu.lan to be answered by llama-70b."
        );
        let json = serde_json::to_value(&about).unwrap();
        assert_eq!(json["kind"], "remote_send");
        assert_eq!(json["documents"], true);
        let json = serde_json::to_value(NoticeAbout::AttachmentStillReading).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "attachment_still_reading"})
        );
    }
}
