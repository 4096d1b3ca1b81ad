//! hearth (the desktop app): the Tauri shell around hearth-core — one window, a tray icon, the
//! commands in `commands.rs`, and core's events forwarded to the window as `hearth:event`.
//!
//! It owns nothing but the window: every operation is `hearth_core::App`'s. It must never link
//! llama.cpp (the `hearth-engine` worker beside the binary does that) and never grant the
//! webview more than `capabilities/default.json` lists.
#![deny(missing_docs)]

mod commands;
#[cfg(test)]
mod contract;
mod error;
mod links;
mod updates;

use std::sync::atomic::{AtomicU64, Ordering};

use hearth_core::{App, DataDir, Events};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{Emitter, Manager, WebviewWindowBuilder};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// The event the window listens to; its payload is one core or download event as JSON.
pub const EVENT: &str = "hearth:event";

/// Opens the app (data folder, store, engine, models) before the window shows it.
async fn open_app() -> Result<App, hearth_core::CoreError> {
    let app = App::open(DataDir::resolve(None)?).await?;
    if let Some(notice) = app.startup_notice() {
        tracing::warn!("{notice}");
    }
    Ok(app)
}

/// The main window, from its configuration, with the navigation guard: it only ever shows
/// Hearth's own pages (links go to the system browser).
fn main_window(app: &tauri::App) -> tauri::Result<()> {
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") else {
        return Err(tauri::Error::WindowNotFound);
    };
    WebviewWindowBuilder::from_config(app.handle(), config)?
        .on_navigation(links::on_navigation)
        .build()?;
    Ok(())
}

fn show_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Writes the window's size and position soon after the user stops moving or resizing it, so
/// they are remembered even when Hearth does not get to quit cleanly (the plugin itself writes
/// only on quit).
fn remember_window_state(window: &tauri::Window, event: &tauri::WindowEvent) {
    static GENERATION: AtomicU64 = AtomicU64::new(0);
    if !matches!(
        event,
        tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_)
    ) {
        return;
    }
    let generation = GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        if GENERATION.load(Ordering::SeqCst) == generation {
            if let Err(e) = app.save_window_state(StateFlags::all()) {
                tracing::warn!("the window's size and position were not saved: {e}");
            }
        }
    });
}

fn tray(app: &tauri::App) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Hearth", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut builder = TrayIconBuilder::new().menu(&menu).tooltip("Hearth");
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(())
}

/// Runs the desktop app until its window closes.
pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let result = tauri::Builder::default()
        // A second launch brings the running window forward instead of opening a second app.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main_window(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .on_window_event(remember_window_state)
        // "Add a GGUF file" opens the system's file picker; nothing else of the plugin is granted.
        .plugin(tauri_plugin_dialog::init())
        // Used only through the update commands, and only when the user asks or turned the
        // start-up check on; the window is granted none of the plugin's own commands.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::Updates::default())
        .setup(|app| {
            let hearth = tauri::async_runtime::block_on(open_app())?;
            // Document collections are read again at start and followed while the app runs.
            let docs = hearth.docs().clone();
            tauri::async_runtime::spawn(
                async move { docs.watch_all(std::future::pending()).await },
            );
            main_window(app)?;
            let handle = app.handle().clone();
            let mut events = Events::new(&hearth);
            tauri::async_runtime::spawn(async move {
                while let Some(event) = events.next().await {
                    if handle.emit(EVENT, event).is_err() {
                        break;
                    }
                }
            });
            // The local API server is off unless the user switched it on in Settings.
            let api = hearth_core::api::ApiSwitch::default();
            if let Err(e) = tauri::async_runtime::block_on(api.restore(&hearth)) {
                tracing::warn!("the local API server did not start: {e}");
            }
            app.manage(api);
            app.manage(hearth);
            if let Err(e) = tray(app) {
                // A desktop without a tray (some Linux sessions) still gets the window.
                tracing::warn!("no tray icon: {e}");
            }
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: Hearth could not start: {e}");
        std::process::exit(1);
    }
}
