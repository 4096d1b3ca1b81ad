//! Command-line options shared by the commands that load a model.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use hearth_core::model_manager::Catalog;
use hearth_core::{template_for, DataDir, ModelManager};
use hearth_engine::{LoadOptions, NamedTemplate, TemplateChoice};

/// The system prompt used unless `--system` says otherwise.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a helpful assistant.";

/// Which model and how to load it.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// The model: a GGUF file, or the catalog id or file name of an installed model.
    #[arg(long, short)]
    pub model: String,
    /// Context size in tokens (default: the model's own, up to 4096).
    #[arg(long)]
    pub ctx: Option<u32>,
    /// Threads (default: one per physical core).
    #[arg(long, short = 't')]
    pub threads: Option<u32>,
    /// Prompt batch size.
    #[arg(long)]
    pub batch: Option<u32>,
    /// Prompt format instead of the model's own (or the catalog's): chatml, alpaca, vicuna, dolly,
    /// openchatkit, rwkv-world, completion, or a path to a Jinja template file.
    #[arg(long)]
    pub template: Option<String>,
}

impl ModelArgs {
    /// The engine's load options; fails on a bad template name or unreadable template file.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        let template = match &self.template {
            None => None,
            Some(spec) => Some(template_choice(spec)?),
        };
        Ok(LoadOptions {
            n_ctx: self.ctx,
            n_threads: self.threads,
            n_batch: self.batch,
            template,
        })
    }

    /// The model file and how to load it: `--model` found as a file or among the installed
    /// models, with the catalog's prompt format for models that carry none (unless `--template`).
    pub fn resolve(&self, data_dir: Option<&Path>) -> anyhow::Result<(PathBuf, LoadOptions)> {
        let mut load = self.load_options()?;
        let given = Path::new(&self.model);
        // Anything that exists is taken as meant; the engine says what is wrong with a directory.
        let (path, catalog) = if given.exists() {
            (given.to_path_buf(), Catalog::built_in()?)
        } else if given.components().count() > 1 {
            bail!("model file not found: {}", given.display());
        } else {
            let manager = ModelManager::open(&DataDir::resolve(data_dir)?, None)?;
            (manager.locate(&self.model)?, manager.catalog().clone())
        };
        if load.template.is_none() {
            load.template = template_for(&catalog, &path)?;
        }
        Ok((path, load))
    }
}

fn template_choice(spec: &str) -> anyhow::Result<TemplateChoice> {
    let path = Path::new(spec);
    if spec.ends_with(".jinja") || path.is_file() {
        let source = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the template file {}", path.display()))?;
        return Ok(TemplateChoice::Jinja(source));
    }
    Ok(TemplateChoice::Named(spec.parse::<NamedTemplate>()?))
}
