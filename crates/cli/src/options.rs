//! Command-line options shared by the commands that load a model.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use hearth_core::{App, ChatModel, DataDir, ModelManager};
use hearth_engine::{LoadOptions, NamedTemplate, TemplateChoice};

/// Which model and how to load it.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// The model: a GGUF file, the catalog id or file name of an installed model, or
    /// `provider:model` for a model on a remote provider (see `hearth-cli providers`).
    #[arg(long, short)]
    pub model: String,
    /// Context size in tokens (default: the one in Settings, else the model's own up to 4096).
    #[arg(long)]
    pub ctx: Option<u32>,
    /// Threads (default: the number in Settings, else one per physical core).
    #[arg(long, short = 't')]
    pub threads: Option<u32>,
    /// Prompt batch size.
    #[arg(long)]
    pub batch: Option<u32>,
    /// Prompt format instead of the model's own (or the catalog's): chatml, alpaca, vicuna, dolly,
    /// openchatkit, rwkv-world, completion, or a path to a Jinja template file.
    #[arg(long)]
    pub template: Option<String>,
    /// A small GGUF model of the same family (the same vocabulary) that guesses the next
    /// tokens for the model to check (speculative decoding), instead of the catalog's choice.
    #[arg(long, value_name = "FILE")]
    pub draft_model: Option<PathBuf>,
}

impl ModelArgs {
    /// Puts the options given on the command line over `load`; fails on a bad template name
    /// or an unreadable template file.
    pub fn apply(&self, load: &mut LoadOptions) -> anyhow::Result<()> {
        if let Some(spec) = &self.template {
            load.template = Some(template_choice(spec)?);
        }
        if self.ctx.is_some() {
            load.n_ctx = self.ctx;
        }
        if self.threads.is_some() {
            load.n_threads = self.threads;
        }
        if self.batch.is_some() {
            load.n_batch = self.batch;
        }
        if let Some(draft) = &self.draft_model {
            if !draft.is_file() {
                bail!("draft model not found: {}", draft.display());
            }
            load.draft_model = Some(draft.display().to_string());
        }
        Ok(())
    }

    /// The model file and how to load it, for the engine alone (`bench`): `--model` found as
    /// a file or among the installed models, with the catalog's prompt format for an installed
    /// catalog model that carries none (unless `--template`).
    pub fn resolve(&self, data_dir: Option<&Path>) -> anyhow::Result<(PathBuf, LoadOptions)> {
        let given = Path::new(&self.model);
        let manager = ModelManager::open(&DataDir::resolve(data_dir)?, None)?;
        let path = locate(&manager, given, &self.model)?;
        let mut load = LoadOptions {
            template: manager.template_for(&path)?,
            ..LoadOptions::default()
        };
        self.apply(&mut load)?;
        Ok((path, load))
    }

    /// The model as the app answers with it — the generation settings saved in Settings (the
    /// model's own, else everyone's) and the catalog's prompt format — with the options given
    /// on this command line on top.
    pub async fn chat_model(&self, app: &App) -> anyhow::Result<ChatModel> {
        let given = Path::new(&self.model);
        if !given.exists() && self.model.contains(':') {
            // `provider:model`, when the part before `:` names an added provider.
            if let Ok(model) = app.reply_model(&self.model).await {
                if model.remote.is_some() {
                    return Ok(model);
                }
            }
        }
        let mut model = if given.exists() {
            app.reply_model_at(given).await?
        } else {
            let path = locate(app.model_manager(), given, &self.model)?;
            match app.reply_model(&self.model).await {
                Ok(model) => model,
                Err(_) => app.reply_model_at(&path).await?,
            }
        };
        self.apply(&mut model.load)?;
        Ok(model)
    }
}

/// `--model` as a file (anything that exists is taken as meant; the engine says what is wrong
/// with a directory), else an installed model.
fn locate(manager: &ModelManager, given: &Path, model: &str) -> anyhow::Result<PathBuf> {
    if given.exists() {
        Ok(given.to_path_buf())
    } else if given.components().count() > 1 {
        bail!("model file not found: {}", given.display());
    } else {
        Ok(manager.locate(model)?)
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
