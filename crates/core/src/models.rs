//! The model manager as the app and the CLI use it: the catalog, `models/` and downloads, wired
//! to the data directory, and the catalog's prompt formats handed to the engine.

use std::path::{Path, PathBuf};

use hearth_engine::{NamedTemplate, TemplateChoice};
use hearth_models::{
    Catalog, CatalogTemplate, DownloadRequest, DownloadSettings, Downloader, ImportedAs,
    InstalledModel, Library,
};

use crate::{CoreError, DataDir};

/// The catalog, the installed models and the downloader of one data directory.
#[derive(Clone)]
pub struct ModelManager {
    catalog: Catalog,
    library: Library,
    downloader: Downloader,
}

impl ModelManager {
    /// The manager for `data`, with the built-in catalog or the one in `catalog_file`.
    pub fn open(data: &DataDir, catalog_file: Option<&Path>) -> Result<ModelManager, CoreError> {
        ModelManager::with_settings(data, catalog_file, DownloadSettings::default())
    }

    /// Like [`ModelManager::open`], with the downloader's patience set.
    pub fn with_settings(
        data: &DataDir,
        catalog_file: Option<&Path>,
        settings: DownloadSettings,
    ) -> Result<ModelManager, CoreError> {
        let catalog = match catalog_file {
            Some(path) => Catalog::load(path)?,
            None => Catalog::built_in()?,
        };
        Ok(ModelManager {
            catalog,
            library: Library::new(&data.models()),
            downloader: Downloader::new(&data.models(), settings)?,
        })
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The installed models.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The downloader (events, pause, cancel).
    pub fn downloader(&self) -> &Downloader {
        &self.downloader
    }

    /// Downloads the catalog model `id`, verified, into `models/`.
    pub async fn pull(&self, id: &str) -> Result<PathBuf, CoreError> {
        let entry = self
            .catalog
            .entry(id)
            .ok_or_else(|| hearth_models::ModelsError::UnknownModel(id.to_owned()))?;
        Ok(self
            .downloader
            .download(DownloadRequest::from(entry))
            .await?)
    }

    /// Checks a GGUF file anywhere on this computer and adds it to `models/` (see
    /// [`Library::import`]).
    pub fn import(&self, source: &Path) -> Result<(InstalledModel, ImportedAs), CoreError> {
        Ok(self.library.import(source, &self.catalog)?)
    }

    /// The file meant by `model`: a path to a file, else an installed model's catalog id or
    /// file name.
    pub fn locate(&self, model: &str) -> Result<PathBuf, CoreError> {
        let path = Path::new(model);
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        match self.library.resolve(&self.catalog, model) {
            Ok(file) => Ok(self.library.dir().join(file)),
            Err(_) if self.catalog.entry(model).is_some() => Err(CoreError::Invalid(format!(
                "{model} is not downloaded yet; run `hearth-cli models pull {model}`"
            ))),
            Err(_) => Err(CoreError::Invalid(format!(
                "model not found: {model} is neither a file nor an installed model \
                 (`hearth-cli models list` shows them)"
            ))),
        }
    }

    /// The prompt format the catalog gives for the installed model at `path`, for models that
    /// carry none of their own (Dolly, Vicuna, RWKV, Flan-T5). Only a file in `models/` whose
    /// recorded SHA-256 is a catalog entry's gets one: a file's name proves nothing.
    pub fn template_for(&self, path: &Path) -> Result<Option<TemplateChoice>, CoreError> {
        if path.parent() != Some(self.library.dir()) {
            return Ok(None);
        }
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            return Ok(None);
        };
        let Ok(installed) = self.library.get(file, &self.catalog) else {
            return Ok(None);
        };
        match installed
            .catalog_id
            .as_deref()
            .and_then(|id| self.catalog.entry(id))
        {
            Some(entry) => catalog_template(entry.template.as_ref()),
            None => Ok(None),
        }
    }

    /// The installed draft model the catalog names for the installed model at `path`
    /// (speculative decoding), when that one is downloaded too. Like [`Self::template_for`],
    /// only a file in `models/` recorded as a catalog model's gets one.
    pub fn draft_for(&self, path: &Path) -> Option<PathBuf> {
        if path.parent() != Some(self.library.dir()) {
            return None;
        }
        let file = path.file_name()?.to_str()?;
        let installed = self.library.get(file, &self.catalog).ok()?;
        let entry = self.catalog.entry(installed.catalog_id.as_deref()?)?;
        let draft = self
            .library
            .resolve(&self.catalog, entry.draft.as_deref()?)
            .ok()?;
        Some(self.library.dir().join(draft))
    }
}

/// The engine's form of a catalog template.
pub fn catalog_template(
    template: Option<&CatalogTemplate>,
) -> Result<Option<TemplateChoice>, CoreError> {
    Ok(match template {
        None => None,
        Some(CatalogTemplate::Name(name)) => Some(TemplateChoice::Named(
            name.parse::<NamedTemplate>().map_err(|e| {
                CoreError::Invalid(format!("the catalog names an unknown prompt format: {e}"))
            })?,
        )),
        Some(CatalogTemplate::Jinja(source)) => Some(TemplateChoice::Jinja(source.clone())),
    })
}
