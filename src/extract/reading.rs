//! How a person's answer reads, as a trained mystery shopper judges it: its spelling (by the
//! Hunspell dictionary of its language), its language against the shopper's, links that send
//! the buyer to other shops, and the tone the buyer notices. Pure, given loaded dictionaries.
//!
//! Not counted as misspellings: names and brands (a capital letter inside a sentence),
//! acronyms, product codes (words with digits), links and addresses, the store's own words
//! (found on its pages) and the shopper's own words.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::knowledge::spelling::{Dictionaries, Language};
use crate::knowledge::AnswerWords;
use crate::model::evidence::{Reading, Spelling};

/// Longest word kept in a store's vocabulary: longer ones are not words.
const MAX_WORD: usize = 40;
/// Distinct words kept from one page.
pub const MAX_PAGE_WORDS: usize = 5_000;
/// Distinct words kept for one store.
pub const MAX_STORE_WORDS: usize = 50_000;
/// Links kept as evidence of sending the buyer elsewhere, and their length.
const MAX_LINKS: usize = 10;
const MAX_LINK: usize = 200;

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+"#).expect("static regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").expect("static regex"));
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*").expect("static regex"));

/// What an answer is read against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The shopper's own text (the letter, the chat question): its words are not the store's
    /// misspellings, and its language is the one the buyer asked in.
    pub asked: &'a str,
    /// The names the buyer goes by, as signed.
    pub names: &'a [String],
    /// Words on the store's pages, lower case.
    pub vocabulary: &'a BTreeSet<String>,
    /// Hosts that are the store's own: its site, the help desk that answered.
    pub own_hosts: &'a [String],
    /// The answer came after the store's promise: an apology is owed.
    pub late: bool,
}

/// Reads one answer (a person's replies, together).
pub fn read(answer: &str, ctx: &Context<'_>, words: &AnswerWords, dictionaries: &Dictionaries) -> Reading {
    let (plain, asked) = (without_links(answer), without_links(ctx.asked));
    let lower = answer.to_lowercase();
    let has = |stems: &[String]| stems.iter().any(|s| has_stem(&lower, s));
    let detected = detect(&plain);
    // Latin letters are German when the answer is, English otherwise.
    let latin = match detected.as_ref().map(whatlang::Info::lang) {
        Some(whatlang::Lang::Deu) => Language::German,
        _ => Language::English,
    };
    Reading {
        words: WORD.find_iter(&plain).count(),
        spelling: spelling(&plain, latin, ctx, dictionaries),
        language: reliable(detected),
        asked_in: reliable(detect(&asked)),
        script: script_of(&plain),
        asked_script: script_of(&asked),
        elsewhere: elsewhere(answer, ctx.own_hosts, &words.services),
        greets: greets(answer, &words.greetings),
        names_buyer: ctx.names.iter().any(|n| has_stem(&lower, &name_stem(n))),
        thanks: has(&words.thanks),
        apologizes: has(&words.apologies),
        late: ctx.late,
    }
}

/// The answer opens with a greeting.
pub fn greets(text: &str, greetings: &[String]) -> bool {
    let start = text.trim_start().to_lowercase();
    greetings.iter().any(|g| start.starts_with(g.as_str()) && !start[g.len()..].starts_with(char::is_alphabetic))
}

/// The names a letter is signed with: its last line, when that is one to three capitalised
/// words ("Анна", "Anna Petrova").
pub fn signed_names(letter: &str) -> Vec<String> {
    let Some(last) = letter.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let words: Vec<&str> = last.split_whitespace().collect();
    let name = |w: &&str| w.chars().next().is_some_and(char::is_uppercase) && w.chars().all(char::is_alphabetic);
    if (1..=3).contains(&words.len()) && words.iter().all(name) {
        words.into_iter().map(str::to_string).collect()
    } else {
        Vec::new()
    }
}

/// The distinct words of a page's text, lower case, without numbers, at most `limit`.
pub fn vocabulary<'a>(lines: impl IntoIterator<Item = &'a str>, limit: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in lines {
        for w in WORD.find_iter(line).map(|m| m.as_str()) {
            if out.len() >= limit {
                return out;
            }
            if w.chars().count() <= MAX_WORD && !w.chars().any(|c| c.is_numeric()) {
                out.insert(w.to_lowercase());
            }
        }
    }
    out
}

fn without_links(text: &str) -> String {
    EMAIL.replace_all(&LINK.replace_all(text, " "), " ").into_owned()
}

/// A name's stem, so that "Анна" finds "Анне" and "Анну": the name less its last letter when
/// it is longer than three letters.
fn name_stem(name: &str) -> String {
    let lower = name.to_lowercase();
    let n = lower.chars().count();
    if n > 3 {
        lower.chars().take(n - 1).collect()
    } else {
        lower
    }
}

/// `stem` starts a word of `lower` (already lower case).
fn has_stem(lower: &str, stem: &str) -> bool {
    !stem.is_empty()
        && lower.match_indices(stem).any(|(i, _)| !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
}

/// The detector's guess among the languages of the stores audited and their neighbours:
/// without Bulgarian, Belarusian, Macedonian and Serbian, which whatlang takes short Russian
/// texts for.
fn detect(text: &str) -> Option<whatlang::Info> {
    use whatlang::Lang::*;
    static DETECTOR: LazyLock<whatlang::Detector> = LazyLock::new(|| {
        whatlang::Detector::with_allowlist(vec![
            Rus, Ukr, Eng, Deu, Ell, Fra, Spa, Ita, Por, Nld, Pol, Tur, Ces, Ron, Hun, Swe, Fin, Dan, Cmn, Jpn, Kor,
            Ara, Heb, Hin, Tha, Vie,
        ])
    });
    DETECTOR.detect(text)
}

/// The guessed language (ISO 639-3) when the detector calls its guess reliable.
fn reliable(info: Option<whatlang::Info>) -> Option<String> {
    info.filter(whatlang::Info::is_reliable).map(|i| i.lang().code().to_string())
}

/// The writing system most of the text is in.
fn script_of(text: &str) -> Option<String> {
    whatlang::detect_script(text).map(|s| s.name().to_string())
}

/// The writing system of a word, as the dictionary to check it with.
fn script(word: &str, latin: Language) -> Option<Language> {
    let c = word.chars().next()?;
    match c {
        '\u{0400}'..='\u{04FF}' => Some(Language::Russian),
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Some(Language::Greek),
        c if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) => Some(latin),
        _ => None,
    }
}

/// The answer's spelling; words in Latin letters checked in `latin`.
fn spelling(plain: &str, latin: Language, ctx: &Context<'_>, dictionaries: &Dictionaries) -> Spelling {
    let asked: BTreeSet<String> = vocabulary([ctx.asked], usize::MAX);
    let mut candidates: Vec<(&str, Language, bool)> = Vec::new();
    let mut after_stop = true;
    let mut last = 0;
    for m in WORD.find_iter(plain) {
        if plain[last..m.start()].contains(['.', '!', '?', '…']) {
            after_stop = true;
        }
        last = m.end();
        let w = m.as_str();
        let sentence_start = std::mem::replace(&mut after_stop, false);
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        let skip = w.chars().count() < 2
            || w.chars().any(|c| c.is_numeric())
            || w.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
        let Some(language) = script(w, latin).filter(|_| !skip) else {
            continue;
        };
        // Inside a sentence a capital marks a name or a brand, which no dictionary holds;
        // German capitalises every noun, so there such a word is checked and counted only
        // when it is one letter from a word the dictionary knows ("Liferung").
        match (capital && !sentence_start, language) {
            (false, _) => candidates.push((w, language, false)),
            (true, Language::German) => candidates.push((w, language, true)),
            (true, _) => {}
        }
    }
    // The answer's main language must have its dictionary; words in another language whose
    // dictionary is missing are left unchecked.
    let main = Language::ALL.into_iter().max_by_key(|l| candidates.iter().filter(|(_, c, _)| c == l).count());
    let main = main.filter(|l| candidates.iter().any(|(_, c, _)| c == l));
    if let Some(main) = main.filter(|l| dictionaries.get(*l).is_none()) {
        return Spelling::NoDictionary { language: main.code().to_string(), package: Some(main.package().to_string()) };
    }
    let mut used = BTreeSet::new();
    let mut checked = 0;
    let mut misspelt: Vec<String> = Vec::new();
    for (w, language, near_miss_only) in candidates {
        let Some(dictionary) = dictionaries.get(language) else {
            continue;
        };
        used.insert(language.code().to_string());
        checked += 1;
        let word = w.replace('’', "'");
        let known = dictionary.check(&word) || (word.contains('-') && word.split('-').all(|p| dictionary.check(p)));
        // The store's own words and the shopper's are never the answer's mistakes.
        let theirs = || ctx.vocabulary.contains(&w.to_lowercase()) || asked.contains(&w.to_lowercase());
        if known || theirs() || misspelt.contains(&word) || (near_miss_only && !near_miss(&dictionary, &word)) {
            continue;
        }
        misspelt.push(word);
    }
    Spelling::Checked { dictionaries: used.into_iter().collect(), checked, misspelt }
}

/// The dictionary suggests a word one edit away: a slip, not a name.
fn near_miss(dictionary: &spellbook::Dictionary, word: &str) -> bool {
    let mut suggestions = Vec::new();
    dictionary.suggest(word, &mut suggestions);
    suggestions.iter().any(|s| edits(s, word) <= 1)
}

/// Levenshtein distance, by characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Links in the answer to hosts other than the store's own and the services a buyer may be
/// sent to (payment, delivery, maps).
fn elsewhere(answer: &str, own: &[String], services: &[String]) -> Vec<String> {
    let bare = |h: &str| h.trim_start_matches("www.").to_lowercase();
    let own: Vec<String> = own.iter().map(|h| bare(h)).collect();
    let under = |host: &str, domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    let mut out: Vec<String> = Vec::new();
    for m in LINK.find_iter(answer) {
        let written = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let absolute =
            if written.to_lowercase().starts_with("www.") { format!("http://{written}") } else { written.to_string() };
        let Ok(url) = url::Url::parse(&absolute) else {
            continue;
        };
        let Some(host) = url.host_str().map(bare) else {
            continue;
        };
        let service = services.iter().any(|s| match s.split_once('/') {
            Some((domain, path)) => under(&host, domain) && url.path().trim_start_matches('/').starts_with(path),
            None => under(&host, s),
        });
        let written: String = written.chars().take(MAX_LINK).collect();
        if !service && !own.iter().any(|o| under(&host, o)) && !out.contains(&written) && out.len() < MAX_LINKS {
            out.push(written);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> AnswerWords {
        crate::knowledge::Knowledge::load().unwrap().answers
    }

    fn ctx<'a>(
        asked: &'a str,
        names: &'a [String],
        vocabulary: &'a BTreeSet<String>,
        own: &'a [String],
    ) -> Context<'a> {
        Context { asked, names, vocabulary, own_hosts: own, late: false }
    }

    #[test]
    fn links_to_other_shops_are_elsewhere_and_the_stores_and_services_are_not() {
        let own = ["shop.example".to_string(), "helpdesk.example".to_string()];
        let text = "See https://www.shop.example/kazan, track at https://www.cdek.ru/track?x=1, \
                    map https://yandex.ru/maps/43, or buy it at https://www.ozon.ru/product/kettle-123/. \
                    Also www.wildberries.ru/catalog/1 and https://acme.helpdesk.example/t/5";
        let found = elsewhere(text, &own, &words().services);
        assert_eq!(found, ["https://www.ozon.ru/product/kettle-123/", "www.wildberries.ru/catalog/1"]);
        assert!(elsewhere("https://yandex.ru/search?q=kettle", &own, &words().services).len() == 1, "only maps");
    }

    #[test]
    fn tone_greeting_name_thanks_and_apology() {
        let names = signed_names("Здравствуйте! Доставляете ли вы в Казань?\nАнна");
        assert_eq!(names, ["Анна"]);
        let (v, own) = (BTreeSet::new(), Vec::new());
        let dictionaries = Dictionaries::at(std::path::Path::new("/nonexistent"));
        let r = read(
            "Здравствуйте, Анна! Благодарим за вопрос. Приносим извинения за задержку.",
            &ctx("", &names, &v, &own),
            &words(),
            &dictionaries,
        );
        assert!(r.greets && r.names_buyer && r.thanks && r.apologizes, "{r:?}");
        let r = read("Доставка есть. Анне понравится.", &ctx("", &names, &v, &own), &words(), &dictionaries);
        assert!(!r.greets && r.names_buyer && !r.thanks && !r.apologizes, "{r:?}");
        assert!(!greets("Hilfe gibt es hier", &words().greetings), "a greeting is a whole word");
        assert!(signed_names("Thanks,\nsee you").is_empty());
    }

    #[test]
    fn without_a_dictionary_the_spelling_says_which_package() {
        let (v, own) = (BTreeSet::new(), Vec::new());
        let dictionaries = Dictionaries::at(std::path::Path::new("/nonexistent"));
        let r = read("Добрый день, доставка в ваш город есть.", &ctx("", &[], &v, &own), &words(), &dictionaries);
        assert_eq!(r.spelling, Spelling::NoDictionary { language: "ru".into(), package: Some("hunspell-ru".into()) });
    }

    #[test]
    fn a_page_vocabulary_is_bounded_and_has_no_numbers() {
        let v = vocabulary(["Чайник Bosch TWK-3A 2200 Вт", "Kettle"], 3);
        assert_eq!(v.into_iter().collect::<Vec<_>>(), ["bosch", "вт", "чайник"]);
    }
}
