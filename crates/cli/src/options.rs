//! Command-line options shared by the commands that load a model.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use hearth_engine::{LoadOptions, NamedTemplate, TemplateChoice};

/// The system prompt used unless `--system` says otherwise.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a helpful assistant.";

/// Which model and how to load it.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// The GGUF model file.
    #[arg(long, short)]
    pub model: PathBuf,
    /// Context size in tokens (default: the model's own, up to 4096).
    #[arg(long)]
    pub ctx: Option<u32>,
    /// Threads (default: one per physical core).
    #[arg(long, short = 't')]
    pub threads: Option<u32>,
    /// Prompt batch size.
    #[arg(long)]
    pub batch: Option<u32>,
    /// Prompt format instead of the model's own: chatml, alpaca, vicuna, dolly, openchatkit,
    /// rwkv-world, or a path to a Jinja template file.
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

    /// The model path, checked to exist so the message names it plainly.
    pub fn model_path(&self) -> anyhow::Result<&Path> {
        if !self.model.exists() {
            bail!("model file not found: {}", self.model.display());
        }
        Ok(&self.model)
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
