//! The model: what every layer speaks of, as plain data. The evidence the probes gather, the
//! findings the checks reach, the report that holds both, the shared kinds and defaults, and
//! how durations and moments are written for people.
//!
//! It imports nothing else of shopaudit (tests/architecture.rs holds it to that), so any
//! layer may use it and a saved report can be read, judged and rendered without the rest.

mod named;

pub mod defaults;
pub mod evidence;
pub mod finding;
pub mod kinds;
pub mod report;
pub mod text;
pub mod time;

pub use defaults::Thresholds;
pub use evidence::{Evidence, Page};
pub use finding::{Finding, Outcome, Severity};
pub use kinds::{Channel, CheckId, StoreKey, Viewport};
pub(crate) use named::named_enum;
pub use report::{Report, RunInfo, StoreInfo, Summary, Tool, SCHEMA};
