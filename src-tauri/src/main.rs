// Hearth's desktop app. Everything is in the library so that tests and the mobile entry point
// (if there ever is one) share it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    hearth_lib::run();
}
