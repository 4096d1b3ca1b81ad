//! Finding a collection's documents: every file of a readable format under its folders.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::extract::Format;

/// A document found in a collection's folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Its path, resolved (no symbolic link in it).
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// When it last changed (Unix ms).
    pub mtime_ms: i64,
}

/// Every file of a readable format under `folders`, each once, by path. Hidden files and folders
/// (names starting with `.`) are skipped; a symbolic link is followed only when it points inside
/// one of the folders, so a scan never leaves them and never runs in a loop.
pub fn scan(folders: &[PathBuf]) -> Vec<FoundFile> {
    let roots: Vec<PathBuf> = folders
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let mut found: Vec<FoundFile> = Vec::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    let mut stack: Vec<PathBuf> = roots
        .iter()
        .filter(|r| visited.insert((*r).clone()))
        .cloned()
        .collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            tracing::debug!(dir = %dir.display(), "a folder could not be listed");
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = if kind.is_symlink() {
                match std::fs::canonicalize(entry.path()) {
                    Ok(target) if roots.iter().any(|r| target.starts_with(r)) => target,
                    // Outside the folders, dangling, or a loop: not followed.
                    _ => continue,
                }
            } else {
                entry.path()
            };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                let canonical = std::fs::canonicalize(&path).unwrap_or(path);
                if visited.insert(canonical.clone()) {
                    stack.push(canonical);
                }
            } else if meta.is_file() && Format::of(&path).is_some() {
                let canonical = std::fs::canonicalize(&path).unwrap_or(path);
                if seen_files.insert(canonical.clone()) {
                    found.push(FoundFile {
                        path: canonical,
                        size: meta.len(),
                        mtime_ms: mtime_ms(&meta),
                    });
                }
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn mtime_ms(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Whether `path` lies inside one of `folders` (both resolved).
pub(crate) fn is_inside(path: &Path, folders: &[String]) -> bool {
    let Ok(path) = std::fs::canonicalize(path) else {
        return false;
    };
    folders.iter().any(|f| path.starts_with(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_folder_and_loops_are_not_followed() {
        use std::os::unix::fs::symlink;
        let base = std::env::temp_dir().join(format!("hearth-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("notes");
        let outside = base.join("secret");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("a.md"), "# A").unwrap();
        std::fs::write(root.join("sub/b.txt"), "b").unwrap();
        std::fs::write(root.join("photo.jpg"), "x").unwrap();
        std::fs::write(root.join(".hidden.md"), "x").unwrap();
        std::fs::write(outside.join("passwords.txt"), "x").unwrap();
        symlink(&outside, root.join("out")).unwrap();
        symlink(&root, root.join("sub/loop")).unwrap();
        symlink(root.join("a.md"), root.join("again.md")).unwrap();
        let found: Vec<String> = scan(std::slice::from_ref(&root))
            .into_iter()
            .map(|f| {
                f.path
                    .strip_prefix(std::fs::canonicalize(&root).unwrap())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(found, vec!["a.md", "sub/b.txt"]);
        let _ = std::fs::remove_dir_all(&base);
    }
}
