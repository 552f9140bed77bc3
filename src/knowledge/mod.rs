//! Knowledge as data: chat vendors, stock agencies, page vocabularies, contact channels and
//! hours lexicons live under `probes/` as TOML and are compiled into the binary, so a new
//! vendor or language is a data change plus a test, and the binary works anywhere.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::hours::{HoursLexicon, Vocab};

pub mod spelling;

/// Every bundled data file, by the name shown in errors.
const FILES: &[(&str, &str)] = &[
    ("probes/vendors.toml", include_str!("../../probes/vendors.toml")),
    ("probes/stock.toml", include_str!("../../probes/stock.toml")),
    ("probes/pages.toml", include_str!("../../probes/pages.toml")),
    ("probes/contacts.toml", include_str!("../../probes/contacts.toml")),
    ("probes/chat.toml", include_str!("../../probes/chat.toml")),
    ("probes/mail.toml", include_str!("../../probes/mail.toml")),
    ("probes/answers.toml", include_str!("../../probes/answers.toml")),
    ("probes/forms.toml", include_str!("../../probes/forms.toml")),
    ("probes/hours/ru.toml", include_str!("../../probes/hours/ru.toml")),
    ("probes/hours/en.toml", include_str!("../../probes/hours/en.toml")),
    ("probes/hours/el.toml", include_str!("../../probes/hours/el.toml")),
    ("probes/hours/de.toml", include_str!("../../probes/hours/de.toml")),
];

/// The vendors' status scripts, by file name.
const STATUS_SCRIPTS: &[(&str, &str)] = &[
    ("jivo.js", include_str!("../../probes/status/jivo.js")),
    ("tawk.js", include_str!("../../probes/status/tawk.js")),
    ("livechat.js", include_str!("../../probes/status/livechat.js")),
    ("crisp.js", include_str!("../../probes/status/crisp.js")),
    ("zendesk.js", include_str!("../../probes/status/zendesk.js")),
    ("olark.js", include_str!("../../probes/status/olark.js")),
    ("tidio.js", include_str!("../../probes/status/tidio.js")),
    ("drift.js", include_str!("../../probes/status/drift.js")),
    ("liveagent.js", include_str!("../../probes/status/liveagent.js")),
    ("dynamics365.js", include_str!("../../probes/status/dynamics365.js")),
    ("ui.js", include_str!("../../probes/status/ui.js")),
];

/// The vendors' scripts that hear the operator's messages through the vendor's documented API,
/// for the conversation probe, by file name.
const HEAR_SCRIPTS: &[(&str, &str)] = &[
    ("tawk.js", include_str!("../../probes/hear/tawk.js")),
    ("crisp.js", include_str!("../../probes/hear/crisp.js")),
    ("livechat.js", include_str!("../../probes/hear/livechat.js")),
    ("olark.js", include_str!("../../probes/hear/olark.js")),
    ("tidio.js", include_str!("../../probes/hear/tidio.js")),
];

/// The bundled script `name` under `probes/<dir>/`, or an error naming the vendor.
fn script(
    scripts: &[(&str, &'static str)],
    dir: &str,
    vendor: &str,
    name: &Option<String>,
) -> Result<Option<&'static str>> {
    let Some(name) = name else { return Ok(None) };
    match scripts.iter().find(|(n, _)| n == name) {
        Some((_, text)) => Ok(Some(*text)),
        None => Err(Error::Bundled {
            file: "probes/vendors.toml",
            message: format!("{vendor}: no script probes/{dir}/{name}"),
        }),
    }
}

/// All data the extractors use, loaded and compiled once per process.
#[derive(Debug)]
pub struct Knowledge {
    /// Chat vendors in file order; `other` last.
    pub vendors: Vec<Vendor>,
    /// Patterns over the URLs of tag-manager containers, which can carry a chat's snippet.
    pub tag_managers: Vec<Regex>,
    /// Stock agencies.
    pub agencies: Vec<Agency>,
    /// Words that mark a photo as showing staff, as one case-insensitive matcher.
    pub staff_words: Regex,
    /// Page kinds by link text and URL path.
    pub page_kinds: PageKinds,
    /// Messenger id -> link patterns.
    pub messengers: Vec<(String, Vec<Regex>)>,
    /// Social network id -> link patterns.
    pub social: Vec<(String, Vec<Regex>)>,
    /// Network links that are not the store's account: share buttons.
    pub not_own_links: Vec<Regex>,
    /// Words of a credit to whoever made the site: a network link inside one is theirs.
    pub credits: Vec<String>,
    /// E-mail local parts that are not customer-facing.
    pub not_customer_facing: Vec<String>,
    /// Hours vocabularies, one per language.
    pub hours: Vec<Vocab>,
    /// Operator names and widget titles that fail identity and branding.
    pub chat: ChatWords,
    /// How replies to the shopper's letters are read.
    pub mail: MailWords,
    /// How a person's answer reads (tone), and which links send the buyer nowhere else.
    pub answers: AnswerWords,
    /// Contact forms, CAPTCHAs and callback buttons.
    pub forms: FormWords,
}

/// `probes/forms.toml`, compiled; words lower case.
#[derive(Debug)]
pub struct FormWords {
    /// Words that mark a form's message field.
    pub message: Vec<String>,
    /// Words that mark a form as not a way to write to support.
    pub not_contact: Vec<String>,
    /// Form and help-desk vendors, by host.
    pub vendors: Vec<HostVendor>,
    /// CAPTCHAs, by the markers of their scripts and elements.
    pub captchas: Vec<Captcha>,
    /// Words that name a call back.
    pub callback_words: Vec<String>,
    /// A callback's promise: group 1 the number, group 2 the unit.
    pub promise: Vec<Regex>,
    /// Callback widget vendors, by host.
    pub callback_vendors: Vec<HostVendor>,
    /// How the contact-form probe works a form (`[submit]`).
    pub submit: SubmitWords,
}

/// `[submit]` of `probes/forms.toml`: the words the contact-form probe finds a form's parts and
/// reads its outcome by, lower case. The page script gets them as they are.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitWords {
    /// A button that shows a form kept in a modal.
    pub open: Vec<String>,
    /// A name field.
    pub name: Vec<String>,
    /// An e-mail field.
    pub email: Vec<String>,
    /// A phone field.
    pub phone: Vec<String>,
    /// A subject field.
    pub subject: Vec<String>,
    /// A box to tick before sending.
    pub consent: Vec<String>,
    /// What a page says once it took the question.
    pub accepted: Vec<String>,
    /// What a page says when it did not.
    pub refused: Vec<String>,
}

/// A vendor known by the hosts (and paths) its frames, scripts or form actions use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostVendor {
    /// Its id.
    pub id: String,
    /// `host` or `host/path` prefixes.
    pub hosts: Vec<String>,
}

impl HostVendor {
    /// Whether `url` (absolute, as written) is one of the vendor's.
    pub fn serves(&self, url: &str) -> bool {
        let bare = url.split_once("://").map_or(url, |(_, rest)| rest).trim_start_matches("www.").to_lowercase();
        self.hosts.iter().any(|h| {
            bare.starts_with(h.as_str())
                || bare.split_once('.').is_some_and(|(_, parent)| parent.starts_with(h.as_str()))
        })
    }
}

/// A CAPTCHA and the markers that show it on a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Captcha {
    /// Its id.
    pub id: String,
    /// Script URLs and class names.
    pub markers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormsFile {
    form: FormEntry,
    captcha: Vec<Captcha>,
    callback: CallbackEntry,
    submit: SubmitWords,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormEntry {
    message: Vec<String>,
    not_contact: Vec<String>,
    vendors: Vec<HostVendor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackEntry {
    words: Vec<String>,
    promise: Vec<String>,
    vendors: Vec<HostVendor>,
}

/// `probes/answers.toml`, lower case.
#[derive(Debug)]
pub struct AnswerWords {
    /// Openings that greet.
    pub greetings: Vec<String>,
    /// Word starts that thank.
    pub thanks: Vec<String>,
    /// Word starts that apologise.
    pub apologies: Vec<String>,
    /// Payment, delivery and map services (a host, or a host and a path).
    pub services: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    tone: ToneEntry,
    links: ServicesEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToneEntry {
    greetings: Vec<String>,
    thanks: Vec<String>,
    apologies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesEntry {
    services: Vec<String>,
}

/// `probes/mail.toml`, compiled.
#[derive(Debug)]
pub struct MailWords {
    /// Wording of automatic acknowledgements.
    pub auto: Vec<Regex>,
    /// Ticket number patterns; group 1 is the number.
    pub ticket: Vec<Regex>,
    /// Subjects of automatic replies ("Automatic reply: …").
    pub auto_subjects: Vec<Regex>,
    /// Subjects of delivery failure reports.
    pub bounce_subjects: Vec<Regex>,
    /// Closings before a signature, lower case.
    pub closings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFile {
    auto: PhrasesEntry,
    subjects: SubjectsEntry,
    ticket: PatternsEntry,
    signature: ClosingsEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhrasesEntry {
    phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectsEntry {
    auto: Vec<String>,
    bounce: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternsEntry {
    patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosingsEntry {
    closings: Vec<String>,
}

/// `probes/chat.toml`, compiled.
#[derive(Debug)]
pub struct ChatWords {
    /// Placeholder operator names (whole name).
    pub placeholder: Vec<Regex>,
    /// Jokey nicknames, lower case, matched as whole words.
    pub jokey: Vec<String>,
    /// Titles of unbranded widgets, lower case.
    pub unbranded_titles: Vec<String>,
    /// Chat vendors' names, lower case.
    pub vendor_names: Vec<String>,
    /// A reply sooner than this after the question is a machine's.
    pub instant_ms: u64,
    /// Machine authors (displayed names).
    pub bot_authors: Vec<Regex>,
    /// Canned wording of automatic chat replies.
    pub auto_phrases: Vec<Regex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatFile {
    operators: OperatorsEntry,
    branding: BrandingEntry,
    conversation: ConversationEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationEntry {
    instant_ms: u64,
    bot_authors: Vec<String>,
    auto_phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorsEntry {
    placeholder: Vec<String>,
    jokey: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrandingEntry {
    unbranded_titles: Vec<String>,
    vendor_names: Vec<String>,
}

/// A chat vendor's static fingerprint.
#[derive(Debug)]
pub struct Vendor {
    /// Stable id used in the report (`jivo`, `tawk` ... `other`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Patterns over absolute `<script src>` URLs.
    pub scripts: Vec<Regex>,
    /// Substrings of inline script text.
    pub inline: Vec<String>,
    /// Patterns over absolute `<iframe src>` URLs: a widget that lives in the vendor's frame.
    pub frames: Vec<Regex>,
    /// CSS selectors (as written, compiled) of elements the widget's snippet puts in the page.
    pub dom: Vec<(String, scraper::Selector)>,
    /// Window properties (dotted paths) that exist once the widget has loaded.
    pub globals: Vec<String>,
    /// CSS selectors of the launcher button in the live page, first match wins.
    pub launcher: Vec<String>,
    /// The status script (probes/status/*.js) that asks the widget whether operators are online.
    pub status_script: Option<&'static str>,
    /// The script (probes/hear/*.js) that hears the operator's messages through the vendor's
    /// documented API, for the conversation probe.
    pub hear_script: Option<&'static str>,
    /// The public page the facts were taken from.
    pub docs: Option<String>,
}

/// A stock agency's signature.
#[derive(Debug)]
pub struct Agency {
    /// Stable id (`shutterstock` ...).
    pub id: String,
    /// Patterns over the image's file name.
    pub files: Vec<Regex>,
    /// Patterns over metadata credit/source/copyright fields.
    pub metadata: Vec<Regex>,
}

/// How to tell a page's kind (`contacts`, `delivery` ...) from a link to it: the kinds in
/// priority order, and all their words in one automaton per field, since every link of every
/// page is classified.
#[derive(Debug)]
pub struct PageKinds {
    ids: Vec<String>,
    text: WordIndex,
    url: WordIndex,
}

/// Lower-case words, each of one kind.
#[derive(Debug)]
struct WordIndex {
    words: aho_corasick::AhoCorasick,
    kind: Vec<usize>,
}

impl WordIndex {
    fn new(file: &'static str, words: impl Iterator<Item = (usize, String)>) -> Result<Self> {
        let (kind, words): (Vec<usize>, Vec<String>) = words.map(|(k, w)| (k, w.to_lowercase())).unzip();
        let words =
            aho_corasick::AhoCorasick::new(words).map_err(|e| Error::Bundled { file, message: e.to_string() })?;
        Ok(WordIndex { words, kind })
    }

    /// The first kind (in priority order) with a word inside `lower`.
    fn first(&self, lower: &str) -> Option<usize> {
        self.words.find_overlapping_iter(lower).map(|m| self.kind[m.pattern().as_usize()]).min()
    }
}

impl PageKinds {
    /// The kind whose words are in the link text (any case), else in the URL path.
    pub fn classify(&self, text: &str, path: &str) -> Option<&str> {
        let kind = self.text.first(&text.to_lowercase()).or_else(|| self.url.first(&path.to_lowercase()))?;
        Some(&self.ids[kind])
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorsFile {
    tag_managers: TagManagersEntry,
    vendor: Vec<VendorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagManagersEntry {
    scripts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VendorEntry {
    id: String,
    name: String,
    #[serde(default)]
    scripts: Vec<String>,
    #[serde(default)]
    inline: Vec<String>,
    #[serde(default)]
    frames: Vec<String>,
    #[serde(default)]
    dom: Vec<String>,
    #[serde(default)]
    globals: Vec<String>,
    #[serde(default)]
    launcher: Vec<String>,
    status: Option<String>,
    hear: Option<String>,
    docs: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockFile {
    agency: Vec<AgencyEntry>,
    staff: StaffEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyEntry {
    id: String,
    files: Vec<String>,
    metadata: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PagesFile {
    kind: Vec<PageKindEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageKindEntry {
    id: String,
    text: Vec<String>,
    url: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactsFile {
    messengers: BTreeMap<String, Vec<String>>,
    social: BTreeMap<String, Vec<String>>,
    not_own: NotOwnEntry,
    email: EmailEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotOwnEntry {
    links: Vec<String>,
    credits: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailEntry {
    not_customer_facing: Vec<String>,
}

impl Knowledge {
    /// Loads and compiles the bundled data files.
    pub fn load() -> Result<Self> {
        let vendors: VendorsFile = parse("probes/vendors.toml")?;
        let stock: StockFile = parse("probes/stock.toml")?;
        let pages: PagesFile = parse("probes/pages.toml")?;
        let contacts: ContactsFile = parse("probes/contacts.toml")?;
        let chat: ChatFile = parse("probes/chat.toml")?;
        let lower = |v: Vec<String>| v.into_iter().map(|w| w.to_lowercase()).collect();
        let mail_file: MailFile = parse("probes/mail.toml")?;
        let mail = MailWords {
            auto: regexes("probes/mail.toml", &mail_file.auto.phrases)?,
            ticket: regexes("probes/mail.toml", &mail_file.ticket.patterns)?,
            auto_subjects: regexes("probes/mail.toml", &mail_file.subjects.auto)?,
            bounce_subjects: regexes("probes/mail.toml", &mail_file.subjects.bounce)?,
            closings: lower(mail_file.signature.closings),
        };
        let answers_file: AnswersFile = parse("probes/answers.toml")?;
        let answers = AnswerWords {
            greetings: lower(answers_file.tone.greetings),
            thanks: lower(answers_file.tone.thanks),
            apologies: lower(answers_file.tone.apologies),
            services: lower(answers_file.links.services),
        };
        let forms_file: FormsFile = parse("probes/forms.toml")?;
        let forms = FormWords {
            message: lower(forms_file.form.message),
            not_contact: lower(forms_file.form.not_contact),
            vendors: forms_file.form.vendors,
            captchas: forms_file.captcha,
            callback_words: lower(forms_file.callback.words),
            promise: regexes("probes/forms.toml", &forms_file.callback.promise)?,
            callback_vendors: forms_file.callback.vendors,
            submit: SubmitWords {
                open: lower(forms_file.submit.open),
                name: lower(forms_file.submit.name),
                email: lower(forms_file.submit.email),
                phone: lower(forms_file.submit.phone),
                subject: lower(forms_file.submit.subject),
                consent: lower(forms_file.submit.consent),
                accepted: lower(forms_file.submit.accepted),
                refused: lower(forms_file.submit.refused),
            },
        };
        let chat = ChatWords {
            placeholder: regexes("probes/chat.toml", &chat.operators.placeholder)?,
            jokey: lower(chat.operators.jokey),
            unbranded_titles: lower(chat.branding.unbranded_titles),
            vendor_names: lower(chat.branding.vendor_names),
            instant_ms: chat.conversation.instant_ms,
            bot_authors: regexes("probes/chat.toml", &chat.conversation.bot_authors)?,
            auto_phrases: regexes("probes/chat.toml", &chat.conversation.auto_phrases)?,
        };
        let hours = FILES
            .iter()
            .filter(|(name, _)| name.starts_with("probes/hours/"))
            .map(|(name, _)| {
                let lexicon: HoursLexicon = parse(name)?;
                Vocab::new(&lexicon).map_err(|message| Error::Bundled { file: name, message })
            })
            .collect::<Result<Vec<_>>>()?;

        let file = "probes/vendors.toml";
        let tag_managers = regexes(file, &vendors.tag_managers.scripts)?;
        let vendors = vendors
            .vendor
            .into_iter()
            .map(|v| {
                Ok(Vendor {
                    scripts: regexes(file, &v.scripts)?,
                    frames: regexes(file, &v.frames)?,
                    dom: v
                        .dom
                        .iter()
                        .map(|s| {
                            scraper::Selector::parse(s)
                                .map(|sel| (s.clone(), sel))
                                .map_err(|e| Error::Bundled { file, message: format!("selector {s:?}: {e}") })
                        })
                        .collect::<Result<_>>()?,
                    status_script: script(STATUS_SCRIPTS, "status", &v.id, &v.status)?,
                    hear_script: script(HEAR_SCRIPTS, "hear", &v.id, &v.hear)?,
                    docs: v.docs,
                    globals: v.globals,
                    launcher: v.launcher,
                    id: v.id,
                    name: v.name,
                    inline: v.inline,
                })
            })
            .collect::<Result<_>>()?;
        let file = "probes/stock.toml";
        let agencies = stock
            .agency
            .into_iter()
            .map(|a| Ok(Agency { files: regexes(file, &a.files)?, metadata: regexes(file, &a.metadata)?, id: a.id }))
            .collect::<Result<_>>()?;
        let file = "probes/pages.toml";
        let words = |field: fn(&PageKindEntry) -> &Vec<String>| {
            let kinds = pages.kind.iter().enumerate();
            WordIndex::new(file, kinds.flat_map(move |(i, k)| field(k).iter().map(move |w| (i, w.clone()))))
        };
        let page_kinds = PageKinds {
            text: words(|k| &k.text)?,
            url: words(|k| &k.url)?,
            ids: pages.kind.iter().map(|k| k.id.clone()).collect(),
        };
        let file = "probes/contacts.toml";
        let compile_map = |map: BTreeMap<String, Vec<String>>| {
            map.into_iter().map(|(id, patterns)| Ok((id, regexes(file, &patterns)?))).collect::<Result<Vec<_>>>()
        };
        Ok(Knowledge {
            vendors,
            tag_managers,
            agencies,
            staff_words: alternation("probes/stock.toml", &stock.staff.words)?,
            page_kinds,
            messengers: compile_map(contacts.messengers)?,
            social: compile_map(contacts.social)?,
            not_own_links: regexes("probes/contacts.toml", &contacts.not_own.links)?,
            credits: lower(contacts.not_own.credits),
            not_customer_facing: contacts.email.not_customer_facing,
            hours,
            chat,
            mail,
            answers,
            forms,
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(file: &'static str) -> Result<T> {
    let text = FILES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .ok_or(Error::Bundled { file, message: "not bundled".into() })?;
    toml::from_str(text).map_err(|e| Error::Bundled { file, message: e.to_string() })
}

/// One case-insensitive matcher for any of `words` (matched as plain text).
fn alternation(file: &'static str, words: &[String]) -> Result<Regex> {
    let escaped: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    regexes(file, &[escaped.join("|")]).map(|mut v| v.remove(0))
}

fn regexes(file: &'static str, patterns: &[String]) -> Result<Vec<Regex>> {
    patterns
        .iter()
        .map(|p| {
            RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| Error::Bundled { file, message: e.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_file_loads() {
        let k = Knowledge::load().expect("bundled data loads");
        assert!(k.vendors.len() >= 18);
        assert_eq!(k.vendors.last().map(|v| v.id.as_str()), Some("other"));
        assert_eq!(k.hours.len(), 4);
        let languages: Vec<&str> = k.hours.iter().map(|v| v.language()).collect();
        assert_eq!(languages, ["ru", "en", "el", "de"]);
    }
}
