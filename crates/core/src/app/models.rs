//! The Models screen's operations: installed models, the catalog, downloads, import, verify.

use hearth_models::{DownloadRequest, Machine, ModelFacts, ModelsError};

use super::settings::DEFAULT_MODEL_SETTING;
use super::views::{
    CatalogRow, CatalogView, ImportResult, InstalledRow, ModelChoice, ModelChoices, VerifyResult,
};
use super::App;
use crate::{ChatModel, CoreError};

/// The context the memory estimates assume (GPT4All's default).
const ESTIMATE_CONTEXT: u64 = 2048;

impl App {
    /// The installed runnable models and the default one.
    pub async fn models(&self) -> Result<ModelChoices, CoreError> {
        let catalog = self.models.catalog();
        let list = self.models.library().list(catalog)?;
        let ids = ids_of(&list);
        let loaded = self.hearth.loaded_path();
        let models: Vec<ModelChoice> = list
            .into_iter()
            .zip(ids)
            .filter(|(m, _)| m.facts.as_ref().is_some_and(ModelFacts::can_chat))
            .map(|(m, id)| {
                let entry = m.catalog_id.as_deref().and_then(|c| catalog.entry(c));
                ModelChoice {
                    name: match entry {
                        Some(e) if e.id == id => e.name.clone(),
                        _ => m.file.clone(),
                    },
                    quant: m.facts.as_ref().and_then(|f| f.quant.clone()),
                    size: m.size,
                    id,
                    remote: None,
                    loaded: loaded.as_deref() == Some(m.path.as_path()),
                }
            })
            .chain(self.remote_choices().await?)
            .collect();
        let set: Option<String> = self.hearth.store().setting(DEFAULT_MODEL_SETTING).await?;
        let default = match set {
            Some(id) if models.iter().any(|c| c.id == id) => Some(id),
            _ if models.len() == 1 => Some(models[0].id.clone()),
            _ => None,
        };
        Ok(ModelChoices { models, default })
    }

    /// Frees the model the engine holds (the picker's "Unload").
    pub async fn unload_model(&self) -> Result<(), CoreError> {
        self.hearth.unload().await
    }

    /// The models of every remote provider, as last listed.
    async fn remote_choices(&self) -> Result<Vec<ModelChoice>, CoreError> {
        let providers = self.hearth.inner.remote.list().await?;
        Ok(providers
            .into_iter()
            .flat_map(|p| {
                p.models.into_iter().map(move |model| ModelChoice {
                    id: format!("{}:{model}", p.name),
                    name: model,
                    quant: None,
                    size: 0,
                    remote: Some(p.name.clone()),
                    loaded: false,
                })
            })
            .collect())
    }

    /// Makes `id` the model new chats use.
    pub async fn set_default_model(&self, id: &str) -> Result<(), CoreError> {
        if !self.models().await?.models.iter().any(|m| m.id == id) {
            return Err(ModelsError::NotInstalled(id.to_owned()).into());
        }
        Ok(self
            .hearth
            .store()
            .set_setting(DEFAULT_MODEL_SETTING, &id)
            .await?)
    }

    /// The catalog, each entry with how it would run here and whether it is installed.
    pub fn catalog(&self) -> Result<CatalogView, CoreError> {
        let machine = Machine::detect();
        let catalog = self.models.catalog();
        let installed = self.models.library().list(catalog)?;
        let models = catalog
            .models
            .iter()
            .map(|e| CatalogRow {
                fit: machine.map(|m| m.fit(e.ram)),
                // Any file with the entry's bytes: two entries may name the same file.
                installed: installed
                    .iter()
                    .any(|m| m.sha256.is_some() && m.sha256.as_deref() == e.sha256.as_deref()),
                partial: self.models.downloader().partial_bytes(&e.file),
                entry: e.clone(),
            })
            .collect();
        Ok(CatalogView {
            machine,
            models,
            guide: catalog.guide.clone(),
        })
    }

    /// Installed files with what their headers say, memory needed and licence.
    pub fn installed(&self) -> Result<Vec<InstalledRow>, CoreError> {
        let catalog = self.models.catalog();
        let list = self.models.library().list(catalog)?;
        let ids = ids_of(&list);
        Ok(list
            .into_iter()
            .zip(ids)
            .map(|(m, id)| InstalledRow {
                id,
                ram: m.facts.as_ref().map(|f| f.estimated_ram(ESTIMATE_CONTEXT)),
                license: m
                    .catalog_id
                    .as_deref()
                    .and_then(|id| catalog.entry(id))
                    .map(|e| e.license.clone()),
                model: m,
            })
            .collect())
    }

    /// Starts (or resumes) a catalog download in the background; progress arrives as events.
    pub fn start_download(&self, id: &str) -> Result<(), CoreError> {
        let entry = self
            .models
            .catalog()
            .entry(id)
            .cloned()
            .ok_or_else(|| ModelsError::UnknownModel(id.to_owned()))?;
        let downloader = self.models.downloader().clone();
        // Its outcome reaches the UI as a `finished` or `failed` event.
        tokio::spawn(async move {
            if let Err(e) = downloader.download(DownloadRequest::from(&entry)).await {
                tracing::info!("download of {} ended: {e}", entry.id);
            }
        });
        Ok(())
    }

    /// Pauses a running download.
    pub fn pause_download(&self, id: &str) -> bool {
        self.models.downloader().pause(id)
    }

    /// Cancels a running download, or discards a paused one's part file.
    pub fn cancel_download(&self, id: &str) {
        let downloader = self.models.downloader();
        if !downloader.cancel(id) {
            if let Some(entry) = self.models.catalog().entry(id) {
                downloader.discard(&entry.file);
            }
        }
    }

    /// Recomputes an installed model's SHA-256 (blocking work, off the async threads).
    pub async fn verify_model(&self, id: &str) -> Result<VerifyResult, CoreError> {
        let library = self.models.library().clone();
        let catalog = self.models.catalog().clone();
        let id = id.to_owned();
        let check = tokio::task::spawn_blocking(move || {
            let file = library.resolve(&catalog, &id)?;
            library.verify(&file, &catalog)
        })
        .await
        .map_err(|e| CoreError::stopped("the verification", e))??;
        Ok(VerifyResult {
            matches: check.matches(),
            sha256: check.sha256,
            expected: check.expected,
        })
    }

    /// Checks a GGUF file anywhere on this computer and adds it to the installed models
    /// (linked where the file system allows, else copied); returns what its header says.
    pub async fn import_model(&self, path: &str) -> Result<ImportResult, CoreError> {
        let models = self.models.clone();
        let source = std::path::PathBuf::from(path.trim());
        // Hashing and copying gigabytes is blocking work.
        let (model, how) = tokio::task::spawn_blocking(move || models.import(&source))
            .await
            .map_err(|e| CoreError::stopped("the import", e))??;
        let ram = model
            .facts
            .as_ref()
            .map(|f| f.estimated_ram(ESTIMATE_CONTEXT));
        Ok(ImportResult {
            model,
            imported_as: how,
            ram,
        })
    }

    /// Opens the data folder in the system's file manager.
    pub fn open_data_folder(&self) -> Result<(), CoreError> {
        open_folder(self.hearth.data_dir().root(), "data")
    }

    /// Shows the models folder in the system's file manager (the desktop app).
    pub fn open_models_folder(&self) -> Result<(), CoreError> {
        open_folder(self.models.library().dir(), "models")
    }

    /// Deletes an installed model.
    pub fn delete_model(&self, id: &str) -> Result<(), CoreError> {
        let library = self.models.library();
        let file = library.resolve(self.models.catalog(), id)?;
        Ok(library.delete(&file)?)
    }

    /// The installed model `id` (catalog id or file name, never a path) with the catalog's
    /// prompt format where it has one, and default loading and sampling.
    pub fn installed_model(&self, id: &str) -> Result<ChatModel, CoreError> {
        let file = self.models.library().resolve(self.models.catalog(), id)?;
        let path = self.models.library().dir().join(file);
        if ModelFacts::inspect(&path).is_ok_and(|f| f.for_embeddings) {
            return Err(ModelsError::NotAChatModel(id.to_owned()).into());
        }
        let mut model = self.hearth.chat_model(&path);
        model.load.template = self.models.template_for(&path)?;
        model.load.draft_model = self
            .models
            .draft_for(&path)
            .map(|p| p.display().to_string());
        Ok(model)
    }
}

/// The id each installed file is used by: its catalog id for the first file holding a catalog
/// model's bytes (the one that id resolves to), else its file name.
fn ids_of(list: &[hearth_models::InstalledModel]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    list.iter()
        .map(|m| match &m.catalog_id {
            Some(id) if taken.insert(id.clone()) => id.clone(),
            _ => m.file.clone(),
        })
        .collect()
}

/// Opens `dir` (Hearth's `what` folder) in the file manager.
fn open_folder(dir: &std::path::Path, what: &str) -> Result<(), CoreError> {
    opener::open(dir).map_err(|e| {
        CoreError::Unavailable(format!(
            "the {what} folder {} could not be opened: {e}",
            dir.display()
        ))
    })
}
