//! Whose failure a refused or bounced letter is. A refusal about the store's address (no
//! such mailbox, its domain does not take mail, the mailbox is full or disabled) is the
//! store's: the address it publishes does not work. Anything else (our login, relaying,
//! policy, a server that is down) is the shopper's side, an error of the probe.

use regex::Regex;
use std::sync::LazyLock;

/// An enhanced status code (RFC 3463): class, subject, detail.
static ENHANCED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b").expect("valid"));
/// A reply code at the start of the text or after "bounced:" and the like.
static BASIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(5\d\d)\b").expect("valid"));

/// Whether the server's words (`550 5.1.1 user unknown`, a bounce's diagnostic) blame the
/// recipient's address: the store's failure rather than ours.
pub fn blames_recipient(reason: &str) -> bool {
    if let Some(code) = ENHANCED.captures(reason) {
        // 5.1.x: the address (bad mailbox, bad domain, null MX); 5.2.x: the mailbox (disabled,
        // full, message too big for it). 4.x.x passes; 5.7.x is policy, 5.3/5.4/5.5 the
        // systems and the protocol: none of them says the address is dead.
        return &code[1] == "5" && matches!(&code[2], "1" | "2");
    }
    // No enhanced code: "550 no such user" and its kin, unless the words say relaying, login
    // or policy.
    let lower = reason.to_lowercase();
    let ours = ["relay", "auth", "login", "spam", "policy", "blocked", "blacklist", "sender"];
    BASIC.captures(reason).is_some_and(|c| matches!(&c[1], "550" | "551" | "552" | "553"))
        && !ours.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::blames_recipient;

    #[test]
    fn a_dead_or_full_address_is_the_stores_and_our_own_trouble_is_not() {
        for store in [
            "550 5.1.1 refused: nobody@store.test",
            "bounced: 552 5.2.2 Mailbox full",
            "550 5.1.10 null MX",
            "550 no such user here",
            "553 mailbox name not allowed",
        ] {
            assert!(blames_recipient(store), "{store}");
        }
        for ours in [
            "535 5.7.8 authentication failed",
            "550 5.7.1 relaying denied",
            "554 5.7.1 message rejected as spam",
            "451 4.3.0 delivery failed: try again",
            "550 relaying denied",
            "connection refused",
            "421 4.4.2 timed out",
            "",
        ] {
            assert!(!blames_recipient(ours), "{ours}");
        }
    }
}
