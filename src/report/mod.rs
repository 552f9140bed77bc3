//! Reports: the JSON report (`shopaudit/report/v1`, docs/REPORT.md) is the single source of
//! truth; Markdown and HTML are renderings of it.

pub mod charts;
mod html;
pub use html::availability_svg;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::Report;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `report.json`
    Json,
    /// `report.md`
    Md,
    /// `report.html`
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "json" => Ok(Format::Json),
            "md" => Ok(Format::Md),
            "html" => Ok(Format::Html),
            other => Err(format!("unknown format {other:?} (json, md or html)")),
        }
    }
}

impl Format {
    /// The file name written in the output folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Md => "report.md",
            Format::Html => "report.html",
        }
    }

    /// Renders the report in this format.
    pub fn render(self, report: &Report) -> Result<String> {
        match self {
            Format::Json => to_json(report),
            Format::Md => Ok(markdown::render(report)),
            Format::Html => html::render(report),
        }
    }
}

/// Pretty JSON of the report.
pub fn to_json(report: &Report) -> Result<String> {
    serde_json::to_string_pretty(report).map_err(|e| Error::Usage(format!("cannot serialise the report: {e}")))
}

/// Writes the report in each format into `dir` (created if needed); each file is written
/// to a temporary name and renamed, so a killed run never leaves half a report.
pub fn write(report: &Report, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    formats.iter().map(|format| write_atomic(&dir.join(format.file_name()), &format.render(report)?)).collect()
}

/// Keeps a run's report among the store's past ones: written in JSON, Markdown and HTML into a
/// folder of its own under `store_dir` (named by its start time and run, so that bringing the
/// same run up to date rewrites the same folder), with `latest` pointing at the newest run and
/// `report.json`, `.md` and `.html` beside it pointing into `latest`. Returns the run's folder.
pub fn keep(report: &Report, store_dir: &Path) -> Result<PathBuf> {
    let name = run_folder(report);
    let dir = store_dir.join(&name);
    write(report, &dir, &[Format::Json, Format::Md, Format::Html])?;
    let newest = std::fs::read_dir(store_dir)
        .map_err(|e| Error::io("cannot read", store_dir, e))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| is_run_folder(n))
        .max()
        .unwrap_or(name);
    link(&store_dir.join("latest"), Path::new(&newest))?;
    for format in [Format::Json, Format::Md, Format::Html] {
        link(&store_dir.join(format.file_name()), &Path::new("latest").join(format.file_name()))?;
    }
    Ok(dir)
}

/// Removes a past run's files written by [`keep`], and its folder when nothing else is in it.
pub fn forget(run_dir: &Path) -> Result<()> {
    let named = run_dir.file_name().and_then(|n| n.to_str()).is_some_and(is_run_folder);
    if !named || !run_dir.is_dir() {
        return Ok(());
    }
    for format in [Format::Json, Format::Md, Format::Html] {
        let file = run_dir.join(format.file_name());
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io("cannot remove", &file, e)),
            _ => {}
        }
    }
    // A folder holding anything else (the user's) stays.
    let _ = std::fs::remove_dir(run_dir);
    Ok(())
}

/// `2026-12-02T183005Z-1a2b3c4d`: sorts by time, and two runs in one second stay apart.
fn run_folder(report: &Report) -> String {
    let at = report.run.started_at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H%M%SZ");
    let id: String = report.run.id.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    format!("{at}-{id}")
}

fn is_run_folder(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T' && b[17] == b'Z'
}

/// Points `at` to `target` (relative), replacing whatever was there in one rename.
fn link(at: &Path, target: &Path) -> Result<()> {
    let dir = at.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".shopaudit-link-{}", uuid::Uuid::new_v4().simple()));
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, &temp).map_err(|e| Error::io("cannot link", &temp, e))?;
    #[cfg(not(unix))]
    std::fs::copy(dir.join(target), &temp).map_err(|e| Error::io("cannot copy", &temp, e))?;
    std::fs::rename(&temp, at).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::io("cannot replace", at, e)
    })
}

/// Fails unless files can be written into `dir`, without creating anything: `dir` itself when
/// it exists, else the nearest folder above it that does (`write` creates the rest). Checked
/// before an audit, so that a bad `--out` is said at once, not after the whole audit.
pub fn check_writable(dir: &Path) -> Result<()> {
    let mut at = dir;
    while !at.as_os_str().is_empty() && !at.exists() {
        at = at.parent().unwrap_or(Path::new(""));
    }
    let at = if at.as_os_str().is_empty() { Path::new(".") } else { at };
    if !at.is_dir() {
        return Err(Error::io(
            "cannot write reports under",
            dir,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, format!("{} is not a folder", at.display())),
        ));
    }
    tempfile::Builder::new()
        .prefix(".shopaudit-")
        .tempfile_in(at)
        .map(drop)
        .map_err(|e| Error::io("cannot write in", at, e))
}

/// Writes `text` to `path` whole or not at all (a temporary file beside it, then a rename): a
/// killed run leaves the previous file in place, and never a half-written one.
pub fn write_atomic(path: &Path, text: &str) -> Result<PathBuf> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".shopaudit-").suffix(".partial");
    // A report is shared like any file the user writes (umask applies), not kept private as a
    // temporary file is.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(|e| Error::io("cannot write in", dir, e))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Error::io("cannot write", file.path(), e))?;
    file.persist(path).map_err(|e| Error::io("cannot write", path, e.error))?;
    Ok(path.to_path_buf())
}

/// A store key as a folder name (`slug`, transliterated to ASCII): "Acme Coffee!" →
/// "acme-coffee", "Магазин" → "magazin"; at most 120 bytes (a file name holds 255, and a time
/// may follow).
pub fn slug(name: &str) -> String {
    let mut s = slug::slugify(name);
    if s.len() > 120 {
        s.truncate(120); // ASCII: any byte is a boundary
        s.truncate(s.trim_end_matches('-').len());
    }
    if s.is_empty() {
        "store".into()
    } else {
        s
    }
}

/// Reads a `report.json`.
pub fn read(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{} is not a shopaudit report: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn a_slug_is_ascii_bounded_and_never_empty() {
        assert_eq!(slug("Acme Coffee!"), "acme-coffee");
        assert_eq!(slug("Магазин"), "magazin");
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("!!!"), "store");
        let long = slug(&"a b ".repeat(200));
        assert!(long.len() <= 120 && !long.ends_with('-'), "{long}");
    }
}
