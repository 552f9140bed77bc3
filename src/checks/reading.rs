//! What email.answer_quality, chat.answers and the two literacy checks share: how an answer's
//! reading (its language, links elsewhere, tone, spelling) becomes findings.

use super::{list, Verdict};
use crate::model::evidence::{Reading, Spelling};

/// Misspellings per 100 words above which literacy fails (with at least [`FAIL_WORDS`]
/// misspelt words) ...
const FAIL_PER_100: f64 = 3.0;
const FAIL_WORDS: usize = 2;
/// ... and above which it warns.
const WARN_PER_100: f64 = 1.0;

/// What an answer's reading faults, for the quality checks: `misses` fail (the buyer is sent
/// to other shops, or answered in another language), `rude` warns (no greeting, late without
/// an apology).
pub(super) fn faults(label: &str, r: &Reading, misses: &mut Vec<String>, rude: &mut Vec<String>) {
    if !r.elsewhere.is_empty() {
        misses.push(format!("{label}: sends the buyer to other shops ({})", r.elsewhere.join(", ")));
    }
    if let Some((answer, asked)) = r.other_language() {
        misses.push(format!("{label}: answered in {} to a letter in {}", name(&answer), name(&asked)));
    }
    if !r.greets {
        rude.push(format!("{label}: no greeting"));
    }
    if r.late && !r.apologizes {
        rude.push(format!("{label}: late, without an apology"));
    }
}

/// The tone a buyer notices, as evidence: "greets, by name, thanks, apologises".
pub(super) fn tone(label: &str, r: &Reading) -> String {
    let marks = [(r.greets, "greets"), (r.names_buyer, "by name"), (r.thanks, "thanks"), (r.apologizes, "apologises")];
    let said: Vec<&str> = marks.iter().filter(|(on, _)| *on).map(|(_, w)| *w).collect();
    format!(
        "{label}: {}",
        if said.is_empty() { "no greeting, name, thanks or apology".into() } else { said.join(", ") }
    )
}

/// Literacy over answers (`label`, reading): fails above 3 misspellings per 100 words with at
/// least 2 words, warns above 1; not applicable without an answer or a dictionary.
pub(super) fn literacy(answers: &[(String, &Reading)], none: &str) -> Verdict {
    if answers.is_empty() {
        return Verdict::not_applicable(none);
    }
    let mut bad = Vec::new();
    let mut poor = Vec::new();
    let mut fine = Vec::new();
    let mut missing = Vec::new();
    for (label, r) in answers {
        let Some(rate) = r.spelling.per_100(r.words) else {
            if let Spelling::NoDictionary { language, package } = &r.spelling {
                let install = package.as_deref().map_or_else(String::new, |p| format!(" (install {p})"));
                missing.push(format!("{label}: no {} dictionary{install}", name(language)));
            }
            continue;
        };
        let Spelling::Checked { misspelt, .. } = &r.spelling else {
            continue;
        };
        let said = format!("{label}: {rate:.1} per 100 words ({}/{})", misspelt.len(), r.words);
        let words = if misspelt.is_empty() { String::new() } else { format!(": {}", misspelt.join(", ")) };
        if rate > FAIL_PER_100 && misspelt.len() >= FAIL_WORDS {
            bad.push(format!("{said}{words}"));
        } else if rate > WARN_PER_100 {
            poor.push(format!("{said}{words}"));
        } else {
            fine.push(said);
        }
    }
    if bad.is_empty() && poor.is_empty() && fine.is_empty() {
        return Verdict::not_applicable(format!("Spelling not checked: {}.", list(&missing, 2)));
    }
    let evidence: Vec<String> = bad.iter().chain(&poor).chain(&fine).chain(&missing).cloned().collect();
    if !bad.is_empty() {
        Verdict::fail(format!("Misspelt answers: {}.", list(&bad, 2)), evidence)
    } else if !poor.is_empty() {
        Verdict::warn(format!("Some misspellings: {}.", list(&poor, 2)), evidence)
    } else {
        Verdict::pass(format!("Spelt correctly: {}.", list(&fine, 2)), evidence)
    }
}

/// A language's English name from its ISO 639-1 or 639-3 code, the code when unknown.
fn name(code: &str) -> String {
    let known = [("ru", "Russian"), ("en", "English"), ("el", "Greek"), ("de", "German")];
    if let Some((_, n)) = known.iter().find(|(c, _)| *c == code) {
        return (*n).to_string();
    }
    whatlang::Lang::from_code(code).map_or_else(|| code.to_string(), |l| l.eng_name().to_string())
}
