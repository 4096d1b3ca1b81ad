//! `hearth-cli models`: the catalog, downloads and installed models.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Args, Subcommand};
use hearth_core::model_manager::{CatalogFilter, DownloadEvent, Machine, ModelFacts, ModelsError};
use hearth_core::{DataDir, ModelManager};
use indicatif::{ProgressBar, ProgressStyle};

use crate::interrupts::Interrupts;

/// Options of every `models` command.
#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// Use this catalog file instead of the built-in one.
    #[arg(long, global = true, value_name = "FILE")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    command: ModelsCommand,
}

/// What to do with models.
#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Models you can download, with how each would run on this computer.
    Catalog {
        /// Only models that fit this computer's memory.
        #[arg(long)]
        fits: bool,
        /// Only models whose licence allows commercial use.
        #[arg(long)]
        commercial: bool,
        /// Only this family (for example "Qwen3").
        #[arg(long)]
        family: Option<String>,
        /// Show the guide to the 2023 open-ChatGPT families instead.
        #[arg(long)]
        guide: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Download a catalog model, verified; Ctrl-C pauses, running it again resumes.
    Pull {
        /// Catalog id (see `models catalog`).
        id: String,
    },
    /// Installed models.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What a GGUF file is: architecture, size, quantisation, context, memory needed.
    Inspect {
        /// The file.
        path: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a GGUF file from anywhere (checked first; linked where possible, else copied).
    Import {
        /// The file.
        path: PathBuf,
    },
    /// Recompute an installed model's SHA-256 and compare it with the catalog or install record.
    Verify {
        /// Catalog id or file name.
        id: String,
    },
    /// Delete an installed model (and any paused download of it).
    Rm {
        /// Catalog id or file name.
        id: String,
    },
}

/// Runs a `models` command.
pub async fn run(args: ModelsArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    if let ModelsCommand::Inspect { path, json } = &args.command {
        return inspect(path, *json);
    }
    let data = DataDir::resolve(data_dir.as_deref())?;
    let manager = ModelManager::open(&data, args.catalog.as_deref())?;
    match args.command {
        ModelsCommand::Catalog {
            fits,
            commercial,
            family,
            guide,
            json,
        } => {
            if guide {
                return print_guide(&manager, json);
            }
            let machine = Machine::detect();
            let filter = CatalogFilter {
                fits: machine.filter(|_| fits),
                commercial,
                family,
            };
            print_catalog(&manager, &filter, machine, json)
        }
        ModelsCommand::Pull { id } => pull(&manager, &id).await,
        ModelsCommand::List { json } => list(&manager, json),
        ModelsCommand::Inspect { .. } => Ok(()),
        ModelsCommand::Import { path } => {
            let (model, how) = manager.import(&path)?;
            let how = match how {
                hearth_core::model_manager::ImportedAs::HardLink => "linked",
                hearth_core::model_manager::ImportedAs::Copy => "copied",
            };
            println!(
                "{how} {} into {}",
                path.display(),
                manager.library().dir().display()
            );
            if let Some(facts) = &model.facts {
                print_facts(facts);
            }
            Ok(())
        }
        ModelsCommand::Verify { id } => {
            let file = manager.library().resolve(manager.catalog(), &id)?;
            let started = std::time::Instant::now();
            let check = manager.library().verify(&file, manager.catalog())?;
            let secs = started.elapsed().as_secs_f64();
            println!("{}  {file}", check.sha256);
            println!("read {} in {secs:.2} s", human_bytes(check.bytes));
            match check.matches() {
                Some(true) => println!("OK: matches the expected SHA-256"),
                Some(false) => bail!(
                    "{file} is damaged: expected SHA-256 {}; delete it and download it again",
                    check.expected.unwrap_or_default()
                ),
                None => println!("no expected checksum is known for this file"),
            }
            Ok(())
        }
        ModelsCommand::Rm { id } => {
            let file = manager.library().resolve(manager.catalog(), &id)?;
            manager.library().delete(&file)?;
            manager.downloader().discard(&file);
            println!("deleted {file}");
            Ok(())
        }
    }
}

async fn pull(manager: &ModelManager, id: &str) -> anyhow::Result<()> {
    let Some(entry) = manager.catalog().entry(id).cloned() else {
        return Err(ModelsError::UnknownModel(id.to_owned()).into());
    };
    let mut events = manager.downloader().subscribe();
    let mut interrupts = Interrupts::install()?;
    let bar = progress_bar(entry.size);
    let download = manager.pull(id);
    tokio::pin!(download);
    let result = loop {
        tokio::select! {
            result = &mut download => break result,
            _ = interrupts.next() => {
                manager.downloader().pause(id);
            }
            event = events.recv() => match event {
                Ok(event) => show(&bar, &event),
                Err(_) => continue,
            },
        }
    };
    bar.finish_and_clear();
    match result {
        Ok(path) => {
            println!("{} verified and installed: {}", entry.name, path.display());
            Ok(())
        }
        Err(hearth_core::CoreError::Models(ModelsError::Paused)) => {
            let have = manager.downloader().partial_bytes(&entry.file).unwrap_or(0);
            bail!(
                "paused after {}; run `hearth-cli models pull {id}` again to resume",
                human_bytes(have)
            )
        }
        Err(e) => Err(e.into()),
    }
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(total.unwrap_or(0))
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn show(bar: &ProgressBar, event: &DownloadEvent) {
    match event {
        DownloadEvent::Started {
            total,
            resumed_from,
            ..
        } => {
            if let Some(total) = total {
                bar.set_length(*total);
            }
            bar.set_position(*resumed_from);
            if *resumed_from > 0 {
                eprintln!("resuming at {}", human_bytes(*resumed_from));
            }
        }
        DownloadEvent::Progress { bytes, .. } => bar.set_position(*bytes),
        DownloadEvent::Retrying {
            reason,
            wait_ms,
            attempt,
            ..
        } => bar.suspend(|| {
            eprintln!(
                "{reason}; retry {attempt} in {:.1} s",
                *wait_ms as f64 / 1000.0
            )
        }),
        DownloadEvent::Restarted { reason, .. } => bar.suspend(|| eprintln!("{reason}")),
        DownloadEvent::Queued { .. } => bar.set_message("waiting for another download"),
        DownloadEvent::Verifying { .. } => bar.set_message("verifying"),
        _ => {}
    }
}

fn print_catalog(
    manager: &ModelManager,
    filter: &CatalogFilter,
    machine: Option<Machine>,
    json: bool,
) -> anyhow::Result<()> {
    let entries = manager.catalog().matching(filter);
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                let mut row = serde_json::to_value(e).unwrap_or_default();
                row["fit"] =
                    serde_json::to_value(machine.map(|m| m.fit(e.ram))).unwrap_or_default();
                row
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<32} {:>6} {:<7} {:>9} {:>7}  {:<10} LICENCE",
        "ID", "PARAMS", "QUANT", "SIZE", "RAM", "FIT"
    );
    for e in entries {
        let size = e
            .size
            .map(human_bytes)
            .or(e.size_label.clone())
            .unwrap_or_default();
        let fit = machine.map_or("?", |m| m.fit(e.ram).label());
        let commercial = if e.commercial_use {
            ""
        } else {
            " (non-commercial)"
        };
        println!(
            "{:<32} {:>6} {:<7} {:>9} {:>7}  {:<10} {}{commercial}",
            e.id,
            e.parameters,
            e.quant,
            size,
            human_bytes(e.ram),
            fit,
            e.license
        );
    }
    Ok(())
}

fn print_guide(manager: &ModelManager, json: bool) -> anyhow::Result<()> {
    let guide = &manager.catalog().guide;
    if json {
        println!("{}", serde_json::to_string_pretty(guide)?);
        return Ok(());
    }
    for row in guide {
        let runs = serde_json::to_value(row.runs)?;
        println!("{} — runs: {}", row.family, runs.as_str().unwrap_or("?"));
        println!("  {}", row.why);
        let commercial = if row.commercial_use {
            "commercial use allowed"
        } else {
            "no commercial use"
        };
        println!(
            "  licence: {} ({commercial}); memory: {}",
            row.license,
            human_bytes(row.ram)
        );
        if let Some(model) = &row.model {
            println!("  download: hearth-cli models pull {model}");
        }
        println!("  choose instead: {}", row.instead);
    }
    Ok(())
}

fn list(manager: &ModelManager, json: bool) -> anyhow::Result<()> {
    let models = manager.library().list(manager.catalog())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(());
    }
    if models.is_empty() {
        println!("no models installed; `hearth-cli models catalog` lists what you can download");
    }
    for m in models {
        match &m.facts {
            Some(f) => println!(
                "{}  {} {} {} ctx {} {}",
                m.file,
                f.architecture,
                human_count(f.parameters),
                f.quant.as_deref().unwrap_or("?"),
                f.context_length.unwrap_or(0),
                human_bytes(m.size)
            ),
            None => println!("{}  unreadable: {}", m.file, m.problem.unwrap_or_default()),
        }
    }
    Ok(())
}

fn inspect(path: &Path, json: bool) -> anyhow::Result<()> {
    let facts = ModelFacts::inspect(path)?;
    if json {
        let mut value = serde_json::to_value(&facts)?;
        value["ram_2048"] = facts.estimated_ram(2048).into();
        value["ram_4096"] = facts.estimated_ram(4096).into();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    print_facts(&facts);
    Ok(())
}

fn print_facts(f: &ModelFacts) {
    println!("name:          {}", f.name.as_deref().unwrap_or("-"));
    let runs = if f.runnable {
        "runs in Hearth"
    } else {
        "NOT supported by llama.cpp"
    };
    println!("architecture:  {} ({runs})", f.architecture);
    println!("parameters:    {}", human_count(f.parameters));
    println!("quantisation:  {}", f.quant.as_deref().unwrap_or("-"));
    println!(
        "context:       {}",
        f.context_length.map_or("-".into(), |c| c.to_string())
    );
    println!(
        "layers:        {}",
        f.layers.map_or("-".into(), |c| c.to_string())
    );
    println!(
        "embedding:     {}",
        f.embedding.map_or("-".into(), |c| c.to_string())
    );
    println!(
        "chat template: {}",
        if f.chat_template.is_some() {
            "yes"
        } else {
            "none"
        }
    );
    println!("file size:     {}", human_bytes(f.file_size));
    for ctx in [2048, 4096] {
        println!("memory at {ctx}: {}", human_bytes(f.estimated_ram(ctx)));
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn human_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n => n.to_string(),
    }
}
