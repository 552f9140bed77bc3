//! Text taken from a store or a scenario, kept to a size that fits a terminal line, a file
//! name and a report heading, whatever was written.

/// `text` cut to at most `most` characters, with "…" where it was cut.
pub fn short(text: &str, most: usize) -> String {
    match text.char_indices().nth(most.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > most => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(super::short("Acme", 10), "Acme");
        assert_eq!(super::short("Магазин обуви", 4), "Маг…");
        assert_eq!(super::short(&"x".repeat(1000), 80).chars().count(), 80);
    }
}
