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

/// Writes `text` to `path` whole or not at all (a sibling `.partial` file, then a rename): a
/// killed run leaves the previous file in place.
pub fn write_atomic(path: &Path, text: &str) -> Result<PathBuf> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, text).map_err(|e| Error::io("cannot write", &partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| Error::io("cannot write", path, e))?;
    Ok(path.to_path_buf())
}

/// A store name as a folder name: "Acme Coffee!" → "acme-coffee", at most 120 bytes (a file
/// name holds 255, and a time may follow).
pub fn slug(name: &str) -> String {
    let mut bytes = 0;
    let s: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take_while(|c| {
            bytes += c.len_utf8();
            bytes <= 120
        })
        .collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
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
