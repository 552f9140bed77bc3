//! Reports: the JSON report (`shopaudit/report/v1`, docs/REPORT.md) is the single source of
//! truth; Markdown and HTML are renderings of it.

mod html;
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
