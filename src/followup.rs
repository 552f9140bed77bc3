//! After an audit: the shoppers' mailboxes read and the replies filed (`collect`), each store's
//! latest report brought up to date from the history (`report`), and its letters listed
//! (`letters`). The history may be read by many commands over days; each of these is one call.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::clock::Clock;
use crate::error::Result;
use crate::history::{History, Letter};
use crate::knowledge::Knowledge;
use crate::model::{Report, StoreKey};
use crate::probes::mailbox::{self, Collected};
use crate::report::{self, Format};
use crate::scenario::Scenario;

/// What `collect` did with one scenario's mailbox.
#[derive(Debug)]
pub enum Mailbox {
    /// The scenario names no `[shopper.imap]`.
    None,
    /// Another scenario's, already read.
    Shared,
    /// Read: new messages, and replies filed.
    Read(Collected),
    /// The scenario is broken, or the mailbox could not be read this time; the others are
    /// read all the same.
    Failed(crate::error::Error),
}

/// Reads each scenario's mailbox once (scenarios sharing one mailbox read it once), then
/// writes each store's latest report again, where its run wrote it, with every reply filed
/// by now. Each scenario is read on its own: a broken one or a mailbox that cannot be read
/// is told to `heard` and the others go on. `heard` is told about each scenario's mailbox; with `watch`, the first mailbox is
/// watched (IMAP IDLE) and this returns only when the history cannot be written. Returns the
/// stores whose reports were rewritten, and where.
pub async fn collect(
    scenarios: &[PathBuf],
    history: &History,
    watch: bool,
    heard: &(dyn Fn(&Path, Mailbox) + Sync),
) -> Result<Vec<(StoreKey, PathBuf)>> {
    let knowledge = Knowledge::load()?;
    let mut read = HashSet::new();
    let mut stores = Vec::new();
    for path in scenarios {
        let scenario = match Scenario::from_file(path) {
            Ok(s) => s,
            Err(e) => {
                heard(path, Mailbox::Failed(e));
                continue;
            }
        };
        crate::take_over_rows_keyed_by_url(history, &scenario).await?;
        stores.push(scenario.key.clone());
        let Some(imap) = scenario.shopper.as_ref().and_then(|s| s.imap.as_ref()) else {
            heard(path, Mailbox::None);
            continue;
        };
        if !read.insert(imap.mailbox_key()) {
            heard(path, Mailbox::Shared);
            continue;
        }
        if watch {
            // One mailbox per watch: the first scenario's (several need several watches).
            let each = |found: Collected| heard(path, Mailbox::Read(found));
            mailbox::watch(imap, history, &knowledge, &each).await?;
        }
        match mailbox::collect(imap, history, &knowledge).await {
            Ok(found) => heard(path, Mailbox::Read(found)),
            // The history is ours: a write that fails stops everything.
            Err(e @ crate::error::Error::History { .. }) => return Err(e),
            Err(e) => heard(path, Mailbox::Failed(e)),
        }
    }
    let mut rewritten = Vec::new();
    for store in stores {
        let Some((saved, Some(dir))) = history.latest_run(&store).await? else { continue };
        let report = crate::refresh(&saved, history, &Clock::system()).await?;
        history.record_run(&report, None).await?;
        report::write(&report, &dir, &[Format::Json, Format::Md, Format::Html])?;
        rewritten.push((store, dir));
    }
    Ok(rewritten)
}

/// The store's latest recorded report with every answer filed since, and the folder its run
/// wrote to; `None` when the history holds no run of it.
pub async fn latest_report(scenario: &Scenario, history: &History) -> Result<Option<(Report, Option<PathBuf>)>> {
    crate::take_over_rows_keyed_by_url(history, scenario).await?;
    let Some((saved, dir)) = history.latest_run(&scenario.key).await? else { return Ok(None) };
    let report = crate::refresh(&saved, history, &Clock::system()).await?;
    history.record_run(&report, None).await?;
    Ok(Some((report, dir)))
}

/// Every letter the shopper sent to the store, oldest first.
pub async fn letters(scenario: &Scenario, history: &History) -> Result<Vec<Letter>> {
    crate::take_over_rows_keyed_by_url(history, scenario).await?;
    history.letters(&scenario.key).await
}
