//! Assess: turns what the history holds into evidence figures, judging nothing. Today the
//! store's record against its posted hours (`evidence.compliance`); letter states and
//! cross-store stock photos belong here too.

pub mod compliance;
