//! The scenario file: which store to audit and how the mystery shopper behaves.
//!
//! The keys are a stable contract (docs/SCENARIO.md). Values are parsed into domain types
//! by their own `Deserialize` impls, so a bad timezone or duration is reported by the TOML
//! parser with its line and column, exactly like a syntax error or an unknown key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::model::evidence::Asked;
use crate::model::named_enum;
use crate::model::CheckId;
use crate::model::{Channel, Severity, StoreKey, Viewport};

pub mod alerts;
pub mod letter;

/// A whole scenario. Only `[store]` is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Which store.
    pub store: Store,
    /// How to crawl it.
    #[serde(default)]
    pub crawl: Crawl,
    /// The browser probe's settings.
    #[serde(default)]
    pub browser: Browser,
    /// Which checks to skip and when to fail.
    #[serde(default)]
    pub checks: Checks,
    /// Hours the store promises when its site does not say: channel -> opening_hours.
    #[serde(default)]
    pub hours: BTreeMap<Channel, OsmHours>,
    /// The shopper's identity and mailbox (e-mail probe).
    pub shopper: Option<Shopper>,
    /// The letters to send (e-mail probe).
    #[serde(default)]
    pub email: Email,
    /// The questions to ask in the chat (conversation probe).
    #[serde(default)]
    pub chat: Chat,
    /// The questions to put through the store's contact form (contact-form probe).
    #[serde(default)]
    pub form: Form,
    /// When `shopaudit run` sends letters.
    pub schedule: Option<Schedule>,
    /// `[compliance]`: what `hours.honored` holds the store to.
    #[serde(default)]
    pub compliance: ComplianceSettings,
    /// `[alerts]` for this store alone (a client's own channel), besides portfolio.toml's.
    pub alerts: Option<alerts::Alerts>,
    /// The store's identity: `store.id`, else the file's stem, else the URL's host and port.
    #[serde(skip)]
    pub key: StoreKey,
}

/// `[compliance]`
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceSettings {
    /// Least share of chat readings inside posted hours that find it online (default 0.9).
    pub chat_online: Option<Share>,
    /// Least share of letters answered within their deadline in business time (default 1.0).
    pub letters_within_sla: Option<Share>,
}

impl ComplianceSettings {
    /// The thresholds, defaults filled in.
    pub fn thresholds(&self) -> crate::model::Thresholds {
        let d = crate::model::Thresholds::default();
        crate::model::Thresholds {
            chat_online: self.chat_online.map_or(d.chat_online, |s| s.0),
            letters_within_sla: self.letters_within_sla.map_or(d.letters_within_sla, |s| s.0),
        }
    }
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The store's key in the history, schedules and report folders; defaults to the
    /// scenario file's stem. Letters, digits, `.`, `_` and `-`, at most 64.
    pub id: Option<StoreId>,
    /// Defaults to the host name.
    pub name: Option<String>,
    /// Where the crawl starts.
    pub url: WebUrl,
    /// Country for phone numbers without a country code.
    pub country: Option<Country>,
    /// Time zone of posted hours.
    pub timezone: Option<TimeZone>,
    /// Language of the pages, when detection is not wanted.
    pub language: Option<String>,
}

/// `[crawl]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Crawl {
    /// Most pages fetched (default [`crate::model::defaults::MAX_PAGES`]).
    pub max_pages: usize,
    /// Paths or URLs audited even if no link leads there.
    pub key_pages: Vec<String>,
    /// Per-request timeout.
    pub timeout: Span,
    /// The User-Agent header; a current desktop Chromium's by default.
    pub user_agent: Option<String>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Largest page body read; the rest is cut off and the page marked truncated.
    pub max_page_bytes: usize,
    /// Extra CA certificate (PEM) to trust, for stores behind a private CA.
    pub ca_file: Option<String>,
}

impl Default for Crawl {
    fn default() -> Self {
        use crate::model::defaults as d;
        Crawl {
            max_pages: d::MAX_PAGES,
            key_pages: Vec::new(),
            timeout: Span(d::CRAWL_TIMEOUT),
            user_agent: None,
            concurrency: d::CONCURRENCY,
            max_page_bytes: d::MAX_PAGE_BYTES,
            ca_file: None,
        }
    }
}

/// `[browser]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Browser {
    /// Use the browser when Chromium is found.
    pub enabled: bool,
    /// No browser is an error.
    pub required: bool,
    /// How long each page is watched for popups.
    pub observe: Span,
    /// Which viewports.
    pub viewports: Vec<Viewport>,
    /// The Chromium executable (else `$CHROME`, else the system's).
    pub path: Option<String>,
    /// Resolve no host but 127.0.0.1 and localhost (tests and the demo: third-party widget
    /// scripts are never fetched).
    pub loopback_only: bool,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            enabled: true,
            required: false,
            observe: Span(Duration::from_secs(15)),
            viewports: vec![Viewport::Desktop, Viewport::Mobile],
            path: None,
            loopback_only: false,
        }
    }
}

/// `[checks]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Checks {
    /// Check ids not to run.
    pub skip: Vec<CheckId>,
    /// Exit 1 when a finding this severe or worse fails.
    pub fail_on: Option<Severity>,
}

/// `[shopper]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shopper {
    /// The shopper's name, as signed in letters.
    pub name: String,
    /// The shopper's address.
    pub email: String,
    /// A phone number, given to a contact form only when the scenario sets it.
    pub phone: Option<String>,
    /// Outgoing mail server.
    pub smtp: Option<MailServer>,
    /// Incoming mail server.
    pub imap: Option<MailServer>,
}

/// `[shopper.smtp]` and `[shopper.imap]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawMailServer")]
pub struct MailServer {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub tls: Tls,
    /// Login, if the server wants one.
    pub user: Option<String>,
    /// Where the password comes from.
    pub password: Option<Secret>,
    /// Extra trusted CA (PEM).
    pub ca_file: Option<String>,
    /// IMAP folder to read (IMAP only).
    pub mailbox: Option<String>,
    /// How long one step may wait for the server (the greeting, the login, a command's
    /// answer); default 30 s. A server that accepts and then says nothing is given up on.
    pub timeout: Duration,
}

impl MailServer {
    /// Which mailbox this is (user, server, folder): scenarios sharing one are read once.
    pub fn mailbox_key(&self) -> String {
        format!("{:?}@{}:{}/{:?}", self.user, self.host, self.port, self.mailbox)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailServer {
    host: String,
    port: u16,
    #[serde(default)]
    tls: Tls,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    ca_file: Option<String>,
    mailbox: Option<String>,
    timeout: Option<Span>,
}

impl TryFrom<RawMailServer> for MailServer {
    type Error = String;

    fn try_from(raw: RawMailServer) -> Result<Self, String> {
        let loopback = matches!(raw.host.as_str(), "127.0.0.1" | "::1" | "localhost");
        if raw.tls == Tls::None && !loopback {
            return Err(format!(
                "tls = \"none\" is allowed only for loopback hosts, not {:?}: passwords would cross the network in clear text",
                raw.host
            ));
        }
        let password = match (raw.password_env, raw.password_file) {
            (Some(_), Some(_)) => return Err("give either password_env or password_file, not both".into()),
            (Some(var), None) => Some(Secret::Env(var)),
            (None, Some(file)) => Some(Secret::File(file)),
            (None, None) => None,
        };
        Ok(MailServer {
            host: raw.host,
            port: raw.port,
            tls: raw.tls,
            user: raw.user,
            password,
            ca_file: raw.ca_file,
            mailbox: raw.mailbox,
            timeout: raw.timeout.map_or(Duration::from_secs(30), |t| t.0),
        })
    }
}

/// Transport security of a mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// TLS from the first byte (ports 465, 993).
    #[default]
    Implicit,
    /// Plain connection upgraded with STARTTLS.
    Starttls,
    /// No TLS: loopback hosts only.
    None,
}

/// Where a password comes from; the value itself is never stored in the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable's name.
    Env(String),
    /// A file's path.
    File(String),
}

impl Secret {
    /// The secret itself, read from its variable or file (a file's trailing newline dropped);
    /// errors name the variable or file, never the value.
    pub fn read(&self) -> Result<String> {
        match self {
            Secret::Env(var) => {
                std::env::var(var).map_err(|_| Error::email(format!("the password variable {var} is not set")))
            }
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| Error::io("cannot read the password file", path, e)),
        }
    }
}

/// `[email]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Email {
    /// Letters may be sent to this store.
    pub enabled: bool,
    /// The store's address, or "discover".
    pub to: Option<String>,
    /// Default answer deadline.
    pub sla: Option<Span>,
    /// The letters.
    pub letters: Vec<Letter>,
    /// Values every letter's template may use, such as `product = "Trail shoes 42"`.
    pub vars: BTreeMap<String, String>,
}

impl Email {
    /// The answer deadline of letters that set none: `email.sla`, else the default.
    pub fn default_sla(&self) -> std::time::Duration {
        self.sla.map_or(crate::model::defaults::EMAIL_SLA, |s| s.0)
    }

    /// A letter's answer deadline: its own `sla`, else [`Email::default_sla`].
    pub fn sla_of(&self, letter: &Letter) -> std::time::Duration {
        letter.sla.map_or_else(|| self.default_sla(), |s| s.0)
    }
}

/// `[[email.letters]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "LetterFields")]
pub struct Letter {
    /// Stable within the store.
    pub id: String,
    /// Subject line.
    pub subject: String,
    /// Body text.
    pub body: String,
    /// What the letter asks, each with the words a complete answer holds: `questions`, or a
    /// single `expect` list as one question.
    pub questions: Vec<Asked>,
    /// Overrides `email.sla`.
    pub sla: Option<Span>,
    /// Values for this letter's template, over `email.vars`.
    pub vars: BTreeMap<String, String>,
}

/// `[[email.letters]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterFields {
    id: String,
    subject: String,
    body: String,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    questions: Vec<Asked>,
    sla: Option<Span>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

impl TryFrom<LetterFields> for Letter {
    type Error = String;

    fn try_from(f: LetterFields) -> std::result::Result<Self, String> {
        let questions = asks(&f.id, f.expect, f.questions)?;
        Ok(Letter { id: f.id, subject: f.subject, body: f.body, questions, sla: f.sla, vars: f.vars })
    }
}

/// The questions of a letter or chat question named `id`: its `questions`, or its `expect`
/// list as the one question "answer"; never both, and no question id twice.
fn asks(id: &str, expect: Vec<String>, questions: Vec<Asked>) -> std::result::Result<Vec<Asked>, String> {
    if !expect.is_empty() && !questions.is_empty() {
        return Err(format!("{id:?} has both `expect` and `questions`: put the expected words inside each question"));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = questions.iter().find(|q| !seen.insert(q.id.as_str())) {
        return Err(format!("{id:?} names the question {:?} twice", twice.id));
    }
    Ok(if expect.is_empty() { questions } else { vec![Asked { id: "answer".into(), expect }] })
}

/// `[chat]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Chat {
    /// Questions may be typed into this store's chat.
    pub enabled: bool,
    /// A vendor preset for the widget's structure.
    pub preset: Option<String>,
    /// Explicit selectors: launcher, input, send, operator_message, operator_name, typing.
    pub selectors: BTreeMap<ChatSelector, String>,
    /// Answer deadline.
    pub sla: Option<Span>,
    /// The questions.
    pub questions: Vec<Question>,
    /// When the chat is offline, the probe may fill its leave-a-message form with the shopper's
    /// name, address and question.
    pub leave_message: bool,
}

/// `[form]`: the store's contact form; nothing is submitted unless enabled.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Form {
    /// Questions may be submitted through this store's contact form.
    pub enabled: bool,
    /// The page holding the form (a path or URL); by default the page where the crawl found
    /// the store's contact form, else the start page.
    pub page: Option<String>,
    /// Where the form's parts are, when the probe should not look for them.
    pub selectors: BTreeMap<FormSelector, String>,
    /// Answer deadline; `email.sla`'s default when unset.
    pub sla: Option<Span>,
    /// The questions, one submission each.
    pub questions: Vec<Question>,
}

impl Form {
    /// The answer deadline.
    pub fn sla(&self) -> Duration {
        self.sla.map_or(crate::model::defaults::EMAIL_SLA, |s| s.0)
    }
}

named_enum! {
    /// The parts of a contact form the form probe may be told (the keys of `form.selectors`).
    #[derive(PartialOrd, Ord)]
    pub enum FormSelector ("form selector") {
        /// The form itself.
        Form = "form",
        /// The button that shows a form kept in a modal ("Write to us").
        Open = "open",
        /// The button that sends it.
        Submit = "submit",
    }
}

named_enum! {
    /// The parts of a chat widget the conversation probe needs to find (the keys of
    /// `chat.selectors`).
    #[derive(PartialOrd, Ord)]
    pub enum ChatSelector ("chat selector") {
        /// The button that opens the widget.
        Launcher = "launcher",
        /// The message box.
        Input = "input",
        /// The send button.
        Send = "send",
        /// An operator's message.
        OperatorMessage = "operator_message",
        /// The operator's name.
        OperatorName = "operator_name",
        /// The "typing…" sign.
        Typing = "typing",
        /// Where the widget asks to rate the conversation (optional; its wording is also read).
        Rating = "rating",
    }
}

/// `[[chat.questions]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "QuestionFields")]
pub struct Question {
    /// Stable within the store.
    pub id: String,
    /// What the shopper types.
    pub text: String,
    /// What it asks, each with the words a complete answer holds: `questions`, or a single
    /// `expect` list as one question.
    pub questions: Vec<Asked>,
}

/// `[[chat.questions]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFields {
    id: String,
    text: String,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    questions: Vec<Asked>,
}

impl TryFrom<QuestionFields> for Question {
    type Error = String;

    fn try_from(f: QuestionFields) -> std::result::Result<Self, String> {
        let questions = asks(&f.id, f.expect, f.questions)?;
        Ok(Question { id: f.id, text: f.text, questions })
    }
}

/// `[schedule]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// How often the fleet's workers audit the whole store: "every run" (once per
    /// `shopaudit submit`), "daily", "weekly" or a duration. `shopaudit run` audits every run.
    pub audit: Option<Cadence>,
    /// How often a worker only reads the chat's status in the browser; default `audit`.
    pub chat_readings: Option<Cadence>,
    /// "every run", "daily", "weekly" or a duration.
    pub letters: Option<Cadence>,
    /// Part of the letters sent outside posted hours, 0..1.
    pub outside_hours_share: Option<Share>,
    /// Seed for reproducible random times.
    pub seed: Option<u64>,
}

/// How often letters go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    /// Every run.
    EveryRun,
    /// At most this often.
    Every(Duration),
}

impl<'de> Deserialize<'de> for Cadence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "every run" => Ok(Cadence::EveryRun),
            "daily" => Ok(Cadence::Every(Duration::from_secs(86_400))),
            "weekly" => Ok(Cadence::Every(Duration::from_secs(7 * 86_400))),
            other => other.parse::<Span>().map(|s| Cadence::Every(s.0)).map_err(|_| {
                serde::de::Error::custom(format!(
                    "{other:?} is not a cadence: use \"every run\", \"daily\", \"weekly\" or a duration such as \"3d\""
                ))
            }),
        }
    }
}

/// A fraction between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Share(v))
        } else {
            Err(serde::de::Error::custom(format!("{v} is not a share between 0 and 1")))
        }
    }
}

/// An http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(pub Url);

impl FromStr for WebUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let url = Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" if url.host_str().is_some() => Ok(WebUrl(url)),
            _ => Err(format!("{s:?} is not an http:// or https:// address")),
        }
    }
}

/// A duration written as "90s", "30m", "4h", "2d".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

/// An IANA time zone such as "Europe/Moscow".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

/// An ISO 3166 country code such as "RU".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country(pub phonenumber::country::Id);

/// The bundled example scenarios: every key explained, or the least that runs.
pub fn example(minimal: bool) -> &'static str {
    if minimal {
        include_str!("../../scenarios/minimal.toml")
    } else {
        include_str!("../../scenarios/full.toml")
    }
}

/// An OpenStreetMap opening_hours expression, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsmHours(pub String);

/// An explicit `store.id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreId(pub String);

impl FromStr for StoreId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let fits = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
        if s.is_empty() || s.chars().count() > 64 || !s.chars().all(fits) || s.starts_with('.') {
            return Err(format!(
                "store.id {:?} must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'",
                s.chars().take(80).collect::<String>()
            ));
        }
        Ok(StoreId(s.to_string()))
    }
}

impl FromStr for Span {
    type Err = String;

    /// A duration above zero and at most a year: "0s" would make every request time out or
    /// every letter late at once, and "100y" is a typo, not a deadline.
    fn from_str(s: &str) -> Result<Self, String> {
        const YEAR: Duration = Duration::from_secs(366 * 24 * 3600);
        match parse_duration(s)? {
            d if d.is_zero() => Err(format!("{s:?} is zero; give a duration such as \"20s\" or \"4h\"")),
            d if d > YEAR => Err(format!("{s:?} is longer than a year; give a duration such as \"20s\" or \"4h\"")),
            d => Ok(Span(d)),
        }
    }
}

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| format!("{s:?} is not an IANA time zone such as \"Europe/Moscow\""))
    }
}

impl FromStr for Country {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.to_ascii_uppercase()
            .parse::<phonenumber::country::Id>()
            .map(Country)
            .map_err(|_| format!("{s:?} is not an ISO 3166 country code such as \"RU\""))
    }
}

impl FromStr for OsmHours {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<opening_hours::OpeningHours>()
            .map(|_| OsmHours(s.to_string()))
            .map_err(|_| {
                format!(
                    "{s:?} is not in the opening_hours form; write days and times like \"Mo-Fr 09:00-18:00; Sa 10:00-16:00\", \
                     \"Mo-Su 00:00-24:00\" or \"24/7\""
                )
            })
    }
}

/// Deserializes any of the string-backed domain types above through `FromStr`.
macro_rules! deserialize_from_str {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
deserialize_from_str!(WebUrl, Span, TimeZone, Country, OsmHours, StoreId);

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parses "90s", "30m", "4h", "2d" (and anything humantime reads, such as "1h 30m").
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration such as \"90s\", \"30m\", \"4h\" or \"2d\" ({e})"))
}

/// "line 3, column 1: unknown field `password` ...": where and what, never the line itself. The
/// TOML library quotes the offending line, and that line may hold a secret written inline
/// (`password = "..."` is rejected, and its value must not be echoed by the rejection).
pub fn located(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end();
    let Some(span) = e.span() else { return message.to_string() };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    format!("line {line}, column {column}: {message}")
}

impl Scenario {
    /// The store's zone; UTC when the scenario names none.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.store.timezone.map_or(chrono_tz::UTC, |t| t.0)
    }

    /// The store's host: links to it send a buyer nowhere else.
    pub fn host(&self) -> String {
        self.store.url.0.host_str().unwrap_or_default().to_string()
    }

    /// The scenario `shopaudit audit URL` means: only `store.url`.
    pub fn for_url(url: WebUrl) -> Self {
        Scenario {
            key: StoreKey::new(host_and_port(&url.0)),
            store: Store { id: None, name: None, url, country: None, timezone: None, language: None },
            crawl: Crawl::default(),
            browser: Browser::default(),
            checks: Checks::default(),
            hours: BTreeMap::new(),
            shopper: None,
            email: Email::default(),
            chat: Chat::default(),
            form: Form::default(),
            schedule: None,
            compliance: ComplianceSettings::default(),
            alerts: None,
        }
    }

    /// Parses scenario text; `path` names it in error messages, and its stem is the store's
    /// key unless `store.id` gives one.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut scenario: Scenario = toml::from_str(text)
            .map_err(|e| Error::Scenario { path: path.to_path_buf(), message: located(text, &e) })?;
        scenario.key = match (&scenario.store.id, path.file_stem()) {
            (Some(id), _) => StoreKey::new(id.0.clone()),
            (None, Some(stem)) if !stem.is_empty() => StoreKey::new(stem.to_string_lossy()),
            (None, _) => StoreKey::new(host_and_port(&scenario.store.url.0)),
        };
        if let Some(missing) = scenario.missing_for_form() {
            return Err(Error::Scenario {
                path: path.to_path_buf(),
                message: format!("form.enabled is true, but {missing}: the form's answers could not be read"),
            });
        }
        if let Some(missing) = scenario.missing_for_letters() {
            return Err(Error::Scenario {
                path: path.to_path_buf(),
                message: format!(
                    "email.enabled is true, but {missing}: the letters could not be sent, or their answers read"
                ),
            });
        }
        for letter in &scenario.email.letters {
            crate::scenario::letter::render(&scenario, letter)
                .map_err(|message| Error::Scenario { path: path.to_path_buf(), message })?;
        }
        if let Some(alerts) = &scenario.alerts {
            alerts.validate().map_err(|message| Error::Scenario { path: path.to_path_buf(), message })?;
        }
        scenario.resolve_paths(path.parent().unwrap_or(Path::new("")));
        Ok(scenario)
    }

    /// The files a scenario names (`password_file`, `ca_file`) are relative to its own folder,
    /// not to wherever shopaudit was started; on a fleet worker, to its `--secrets-dir`.
    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut String| {
            if Path::new(p.as_str()).is_relative() {
                *p = base.join(p.as_str()).to_string_lossy().into_owned();
            }
        };
        if let Some(ca) = &mut self.crawl.ca_file {
            resolve(ca);
        }
        if let Some(alerts) = &mut self.alerts {
            alerts.resolve_paths(base);
        }
        let servers = self.shopper.iter_mut().flat_map(|s| [s.smtp.as_mut(), s.imap.as_mut()]).flatten();
        for server in servers {
            if let Some(ca) = &mut server.ca_file {
                resolve(ca);
            }
            if let Some(Secret::File(file)) = &mut server.password {
                resolve(file);
            }
        }
    }

    /// Reads and parses a scenario file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read scenario", path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Scenario {
            path: path.to_path_buf(),
            message: format!("not UTF-8 text (first bad byte at offset {})", e.utf8_error().valid_up_to()),
        })?;
        Self::parse(&text, path)
    }

    /// What sending letters needs and the scenario lacks, when it enables them.
    fn missing_for_letters(&self) -> Option<&'static str> {
        if !self.email.enabled || self.email.letters.is_empty() {
            return None;
        }
        match &self.shopper {
            None => Some("there is no [shopper] (name, email, [shopper.smtp] and [shopper.imap])"),
            Some(s) if s.smtp.is_none() => Some("[shopper.smtp] is missing"),
            Some(s) if s.imap.is_none() => Some("[shopper.imap] is missing"),
            Some(_) => None,
        }
    }

    /// What the contact-form probe needs and the scenario lacks: who the shopper is, and the
    /// mailbox the answers come to.
    fn missing_for_form(&self) -> Option<&'static str> {
        if !self.form.enabled || self.form.questions.is_empty() {
            return None;
        }
        match &self.shopper {
            None => Some("there is no [shopper] (name, email and [shopper.imap])"),
            Some(s) if s.imap.is_none() => Some("[shopper.imap] is missing"),
            Some(_) => None,
        }
    }

    /// What a command line names: a URL, a bare host ("shop.example"), or a scenario file.
    pub fn from_target(target: &str) -> Result<Self> {
        if target.starts_with("http://") || target.starts_with("https://") {
            return target.parse::<WebUrl>().map(Scenario::for_url).map_err(Error::Usage);
        }
        let path = Path::new(target);
        if path.exists() || target.ends_with(".toml") {
            return Scenario::from_file(path);
        }
        format!("https://{target}/")
            .parse::<WebUrl>()
            .map(Scenario::for_url)
            .map_err(|_| Error::Usage(format!("{target:?} is neither a URL nor a scenario file")))
    }

    /// The store's display name: `store.name`, else the host.
    /// Cut to 120 characters: it heads reports and terminal lines, whatever length was written.
    pub fn store_name(&self) -> String {
        let name = self.store.name.as_deref().unwrap_or_else(|| self.store.url.0.host_str().unwrap_or("store"));
        crate::model::text::short(name, 120)
    }
}

/// "shop.example", or "127.0.0.1:8080" when the URL names a port.
fn host_and_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("store");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Scenario, WebUrl};

    #[test]
    fn a_letter_lists_its_questions_or_one_expect_list_but_never_both() {
        let letter = |asks: &str| {
            format!(
                "[store]\nurl = \"https://shop.example/\"\n[[email.letters]]\nid = \"q\"\nsubject = \"s\"\n\
                 body = \"b\"\n{asks}\n"
            )
        };
        let path = std::path::Path::new("shop.toml");
        let two =
            r#"questions = [{ id = "delivery", expect = ["Kazan|Казань"] }, { id = "cost", expect = ["cost|price"] }]"#;
        let s = Scenario::parse(&letter(two), path).unwrap();
        let ids: Vec<&str> = s.email.letters[0].questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids, ["delivery", "cost"]);
        let one = Scenario::parse(&letter(r#"expect = ["Kazan", "300"]"#), path).unwrap();
        assert_eq!(one.email.letters[0].questions[0].id, "answer");
        assert_eq!(one.email.letters[0].questions[0].expect, ["Kazan", "300"]);

        let both = Scenario::parse(&letter(&format!("expect = [\"Kazan\"]\n{two}")), path).unwrap_err().to_string();
        assert!(both.contains("line 3, column 1") && both.contains("both `expect` and `questions`"), "{both}");
        let twice = r#"questions = [{ id = "a", expect = ["x"] }, { id = "a", expect = ["y"] }]"#;
        let twice = Scenario::parse(&letter(twice), path).unwrap_err().to_string();
        assert!(twice.contains("\"a\" twice"), "{twice}");
        let unknown = Scenario::parse(&letter(r#"questions = [{ id = "a", expected = ["x"] }]"#), path).unwrap_err();
        assert!(unknown.to_string().contains("unknown field `expected`"), "{unknown}");
    }

    #[test]
    fn a_store_is_known_by_its_id_else_its_file_else_its_host() {
        let text = |extra: &str| format!("[store]\n{extra}url = \"https://shop.example/\"\n");
        let key = |text: &str, path: &str| Scenario::parse(text, std::path::Path::new(path)).map(|s| s.key.to_string());
        assert_eq!(key(&text(""), "clients/acme.toml").unwrap(), "acme");
        assert_eq!(key(&text("id = \"acme-anna\"\n"), "clients/acme.toml").unwrap(), "acme-anna");
        for bad in ["", "a b", "../up", ".hidden", &"x".repeat(65)] {
            let err = key(&text(&format!("id = \"{bad}\"\n")), "s.toml").unwrap_err().to_string();
            assert!(err.contains("line 2") && err.contains("store.id"), "{bad:?}: {err}");
        }
        let bare = |u: &str| Scenario::for_url(WebUrl(url::Url::parse(u).unwrap())).key.to_string();
        assert_eq!(bare("https://shop.example/catalog"), "shop.example");
        assert_eq!(bare("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }
}
