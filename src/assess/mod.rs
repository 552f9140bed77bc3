//! Assess: turns what the history holds into evidence figures, judging nothing: letter states
//! (`evidence.email_probes`), the store's record against its posted hours
//! (`evidence.compliance`), and staff photos shared across the stores of a run (stock).

pub mod compliance;
pub mod letters;
pub mod stock;
