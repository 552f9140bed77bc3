//! The fleet: many machines sharing one history (PostgreSQL). `submit` hands it a folder of
//! scenarios; the workers that take due work from it are not built yet (issue 14).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::history::{History, Submitted};
use crate::model::StoreKey;
use crate::scenario::Scenario;

/// What a submission changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Every store now scheduled, by key.
    pub stores: Vec<StoreKey>,
    /// Stores of the previous submission left out of this one: no longer scheduled, their
    /// history kept.
    pub removed: Vec<StoreKey>,
}

/// Validates every scenario of `dir` (and its `portfolio.toml`) exactly as `shopaudit run`
/// does, then stores them as the fleet's stores in one transaction, replacing the previous
/// submission. Nothing is stored when any of them is broken.
pub async fn submit(dir: &Path, history: &History, clock: &crate::clock::Clock) -> Result<Submission> {
    crate::run::agency(dir)?;
    let portfolio_file = dir.join("portfolio.toml");
    let portfolio = match std::fs::read_to_string(&portfolio_file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot read", &portfolio_file, e)),
    };
    let mut by_key: BTreeMap<StoreKey, Submitted> = BTreeMap::new();
    for path in crate::run::scenario_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        let scenario = Scenario::parse(&text, &path)?;
        let file = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if let Some(other) = by_key.get(&scenario.key) {
            return Err(Error::Usage(format!(
                "{} and {file} are both store {:?}: give each its own store.id",
                other.file,
                scenario.key.as_str()
            )));
        }
        by_key.insert(scenario.key.clone(), Submitted { store: scenario.key, file, text });
    }
    let (before, _) = history.submitted().await?;
    let scenarios: Vec<Submitted> = by_key.into_values().collect();
    history.submit(&scenarios, portfolio.as_deref(), clock.now().fixed_offset()).await?;
    let stores: Vec<StoreKey> = scenarios.into_iter().map(|s| s.store).collect();
    let removed = before.into_iter().map(|s| s.store).filter(|k| !stores.contains(k)).collect();
    Ok(Submission { stores, removed })
}
