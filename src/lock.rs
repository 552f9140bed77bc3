//! One `shopaudit run` at a time per output folder: an advisory lock (`File::try_lock`, flock
//! on Unix) on a file in it.
//! The kernel drops the lock when the process ends, however it ends, so a killed run never
//! leaves a stale lock for the next cron run to trip over.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while it lives.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at `path`, or says who holds it.
    pub fn take(path: &Path) -> Result<Lock> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("cannot open the lock file", path, e))?;
        if let Err(e) = file.try_lock() {
            let std::fs::TryLockError::WouldBlock = e else {
                return Err(Error::io("cannot lock", path, std::io::Error::from(e)));
            };
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(Error::Locked(format!(
                "another shopaudit run is working in {} ({}); this one stops here",
                path.parent().unwrap_or(path).display(),
                if holder.trim().is_empty() { "holder unknown".to_string() } else { holder.trim().to_string() }
            )));
        }
        let stamp = format!("pid {} since {}", std::process::id(), chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC"));
        let written = file.set_len(0).and_then(|_| file.rewind()).and_then(|_| file.write_all(stamp.as_bytes()));
        written.map_err(|e| Error::io("cannot write the lock file", path, e))?;
        Ok(Lock { _file: file, path: path.to_path_buf() })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".shopaudit.lock");
        let first = Lock::take(&path).unwrap();
        let e = Lock::take(&path).unwrap_err().to_string();
        assert!(e.contains("another shopaudit run") && e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(first);
        Lock::take(&path).unwrap();
    }
}
