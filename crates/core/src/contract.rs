//! The contract with the UI: the TypeScript form of every type the UI receives or sends,
//! generated from the Rust types with `ts-rs`. `ui/src/lib/api/generated.ts` is this text; a
//! test fails when it is stale (`make bindings` rewrites it), so a renamed field breaks the
//! build of the UI, not the person using it.

use ts_rs::{Config, TS};

use crate::api::ApiStatus;
use crate::app::{
    AppEvent, AppSettings, CatalogRow, CatalogView, ChatPatch, ChatView, CollectionChange,
    CollectionView, DownloadNotice, DownloadTag, EmbeddingOption, GenerationSettings, ImportResult,
    InstalledRow, LocalDocsView, ModelChoice, ModelChoices, ModelsFolder, NewCollection,
    ShownMessage, Started, UpdateInfo, VerifyResult,
};
use crate::{CoreEvent, ErrorKind, ErrorReport};

macro_rules! declarations {
    ($cfg:expr; $($ty:ty),* $(,)?) => {
        vec![$(<$ty as TS>::decl($cfg)),*]
    };
}

/// The whole generated TypeScript file.
pub fn typescript() -> String {
    // Ids and counts are far below 2^53: plain numbers, as JSON.parse gives them.
    let cfg = Config::new().with_large_int("number");
    let decls = declarations![&cfg;
        ErrorKind, ErrorReport,
        hearth_store::Role, hearth_store::MessageStatus, hearth_store::Source, hearth_store::Attachment, hearth_store::Message,
        hearth_store::Chat,
        hearth_store::SnippetPart, hearth_store::SearchHit,
        hearth_engine::SamplingParams, hearth_engine::NamedTemplate, GenerationSettings,
        ModelChoice, ModelChoices, ShownMessage, ChatView, Started, ChatPatch, AppSettings, ModelsFolder,
        hearth_models::Machine, hearth_models::Fit, hearth_models::CatalogEntry,
        hearth_models::CatalogTemplate, hearth_models::Runs, hearth_models::GuideEntry,
        hearth_models::ModelKind,
        CatalogRow, CatalogView, hearth_models::ModelFacts, hearth_models::InstalledModel,
        InstalledRow, VerifyResult, hearth_models::ImportedAs, ImportResult, UpdateInfo,
        CoreEvent, crate::NoticeAbout, hearth_models::DownloadEvent, hearth_models::DownloadProblem, DownloadTag, DownloadNotice, AppEvent, ApiStatus,
        crate::RetrievalSettings, hearth_docs::Collection, hearth_docs::CollectionSummary,
        hearth_docs::IndexProgress, crate::CollectionStatus, crate::CollectionTag, crate::CollectionNotice, CollectionView,
        EmbeddingOption, LocalDocsView, NewCollection, CollectionChange, hearth_docs::UnreadableFile,
        hearth_docs::Unreadable, crate::SnapshotUsage,
        hearth_providers::Preset, hearth_providers::Keeping, hearth_providers::RemoteModel,
        crate::ProviderRecord, crate::NewProvider, crate::ProvidersView, crate::ProviderAdded,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by hearth-core's `contract` module (ts-rs).\n\
         // Do not edit: run `make bindings` after changing a type the UI uses.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(decl.trim());
        out.push_str("\n\n");
    }
    // The values the UI must know by heart: a chat's stored default title, shown translated.
    out.push_str(&format!(
        "/** The title a chat has until it gets one of its own (stored as data, in English). */\n\
         export const NEW_CHAT_TITLE = {:?};\n",
        crate::service::NEW_CHAT_TITLE
    ));
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Regression guard for the typed contract: the UI's types are the Rust types.
    #[test]
    fn typescript_bindings_are_current() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/generated.ts");
        let wanted = super::typescript();
        if std::env::var_os("HEARTH_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &wanted).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == wanted,
            "ui/src/lib/api/generated.ts is stale: run `make bindings` and commit it"
        );
    }
}
