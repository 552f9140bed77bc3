//! Assess: turns what the history holds into evidence figures, judging nothing: letter states
//! (`evidence.email_probes`) and the store's record against its posted hours
//! (`evidence.compliance`).

pub mod compliance;
pub mod letters;
