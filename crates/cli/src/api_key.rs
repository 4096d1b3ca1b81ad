//! `hearth-cli api-key`: the local API's key, and a new one (`--new`) that locks out every
//! program holding the old one — in `hearth-cli serve` and the desktop app's server alike.

use std::path::PathBuf;

use clap::Args;
use hearth_core::{App, DataDir};

/// Options of `hearth-cli api-key`.
#[derive(Args, Debug)]
pub struct ApiKeyArgs {
    /// Make a new key; programs using the old one are refused from their next request.
    #[arg(long)]
    new: bool,
}

pub async fn run(args: ApiKeyArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let app = App::open(DataDir::resolve(data_dir.as_deref())?).await?;
    let key = if args.new {
        app.new_api_key().await?
    } else {
        app.api_key().await?
    };
    println!("{key}");
    if args.new {
        eprintln!("a new API key is in use; the old one is refused from now on");
    }
    Ok(())
}
