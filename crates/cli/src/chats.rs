//! `hearth-cli chats`: the saved chat history — list, show, search, export, import, remove.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use hearth_core::{DataDir, ExportFormat, Id, MessageStatus, Role, Store};

/// What to do with saved chats.
#[derive(Subcommand, Debug)]
pub enum ChatsCommand {
    /// List chats, pinned first, then most recent.
    List {
        /// Include archived chats.
        #[arg(long)]
        all: bool,
    },
    /// Print the shown branch of a chat.
    Show {
        /// Chat id.
        id: Id,
    },
    /// Find chats by words in their titles or messages.
    Search {
        /// Words to look for (any text is fine).
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Export one chat, or all of them.
    Export {
        /// Chat id (all chats when left out).
        id: Option<Id>,
        /// Markdown for reading, JSON for importing back.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Import a Hearth JSON export or ChatGPT's conversations.json.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Delete a chat.
    Rm {
        /// Chat id.
        id: Id,
    },
}

/// Export formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// Hearth's JSON.
    Json,
}

pub async fn run(command: ChatsCommand, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let data = DataDir::resolve(data_dir.as_deref())?;
    let store = Store::open(&data.database()).await?;
    match command {
        ChatsCommand::List { all } => {
            let chats = store.list_chats(all).await?;
            if chats.is_empty() {
                eprintln!("no chats yet");
            }
            for chat in chats {
                let count = store.branch(chat.id).await?.len();
                let pin = if chat.pinned { "*" } else { " " };
                println!(
                    "{:>5}{pin} {}  {}  ({count} messages)",
                    chat.id,
                    date(chat.updated_at),
                    chat.title
                );
            }
        }
        ChatsCommand::Show { id } => {
            let chat = store.chat(id).await?;
            println!("# {}\n", chat.title);
            for m in store.branch(id).await? {
                let who = match m.role {
                    Role::System => "System",
                    Role::User => "You",
                    Role::Assistant => "Assistant",
                };
                let note = match m.status {
                    MessageStatus::Interrupted => " (interrupted)",
                    MessageStatus::Error => " (failed)",
                    MessageStatus::Streaming => " (being written)",
                    MessageStatus::Complete => "",
                };
                println!("{who}{note}: {}\n", m.content);
            }
        }
        ChatsCommand::Search { query, limit } => {
            let hits = store.search(&query, limit).await?;
            if hits.is_empty() {
                eprintln!("nothing found for {query:?}");
            }
            for hit in hits {
                let snippet: String = hit
                    .snippet
                    .iter()
                    .map(|p| {
                        if p.highlight {
                            format!("[{}]", p.text)
                        } else {
                            p.text.clone()
                        }
                    })
                    .collect::<String>()
                    .replace('\n', " ");
                println!("{:>5}  {}: {snippet}", hit.chat_id, hit.chat_title);
            }
        }
        ChatsCommand::Export { id, format, output } => {
            let format = match format {
                Format::Md => ExportFormat::Markdown,
                Format::Json => ExportFormat::Json,
            };
            let text = store.export(id, format).await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("exported to {}", path.display());
                }
                None => println!("{text}"),
            }
        }
        ChatsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ids = store.import(&text).await?;
            eprintln!("imported {} chats", ids.len());
            for id in ids {
                println!("{id}");
            }
        }
        ChatsCommand::Rm { id } => {
            store.delete_chat(id).await?;
            eprintln!("deleted chat {id}");
        }
    }
    store.close().await;
    Ok(())
}

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix-millisecond time.
fn date(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => "????-??-?? ??:??".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01 00:00");
        assert_eq!(super::date(1_700_000_000_000), "2023-11-14 22:13");
    }
}
