//! Links stay out of the window: a link in a reply (or an imported chat) opens in the system's
//! browser, and the main window never navigates away from Hearth's own pages, whatever the page
//! asks for.

use tauri::Url;

use crate::error::Error;

/// Whether `url` is one of Hearth's own pages (`tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows).
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Whether a link may leave for the system browser: web pages and mail only, never files,
/// scripts or custom schemes.
fn is_external_link(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto") && !is_app_page(url)
}

/// Opens a web link in the system's browser.
pub fn open_external(url: &str) -> Result<(), Error> {
    let parsed =
        Url::parse(url).map_err(|e| Error::invalid(format!("{url:?} is not a link: {e}")))?;
    if !is_external_link(&parsed) {
        return Err(Error::invalid(format!(
            "only web and mail links open from Hearth, not {}",
            parsed.scheme()
        )));
    }
    opener::open_browser(parsed.as_str()).map_err(|e| {
        Error(hearth_core::ErrorReport {
            kind: hearth_core::ErrorKind::Unavailable,
            message: format!("the browser could not be opened: {e}"),
        })
    })
}

/// The main window's navigation guard: Hearth's pages load; a web link goes to the browser
/// instead; anything else is refused.
pub fn on_navigation(url: &Url) -> bool {
    if is_app_page(url) {
        return true;
    }
    if is_external_link(url) {
        if let Err(e) = open_external(url.as_str()) {
            tracing::warn!("a link could not be opened: {e}");
        }
    } else {
        tracing::warn!("the window refused to navigate to {}", url.scheme());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hearths_own_pages_load_in_the_window() {
        let page = |s: &str| Url::parse(s).unwrap();
        assert!(is_app_page(&page("tauri://localhost/index.html")));
        assert!(is_app_page(&page("http://tauri.localhost/")));
        assert!(!is_app_page(&page("https://evil.example/renew")));
        assert!(!is_app_page(&page("tauri://evil.example/")));
        assert!(!is_app_page(&page("file:///etc/passwd")));
        assert!(is_external_link(&page("https://evil.example/renew")));
        assert!(is_external_link(&page("mailto:someone@example.org")));
        assert!(!is_external_link(&page("file:///etc/passwd")));
        assert!(!is_external_link(&page("javascript:alert(1)")));
        assert!(open_external("file:///etc/passwd").is_err());
        assert!(open_external("not a link").is_err());
    }
}
