//! Evidence: what the probes saw, as plain serialisable data with no judgement in it.
//!
//! The field names inside `evidence` follow the report contract (docs/REPORT.md); fields
//! beyond the contract are additions, never renames. Checks read only these types, so a
//! saved report can be checked again offline (`shopaudit check --from report.json`).

use serde::{Deserialize, Serialize};

use super::named::named_enum;
use crate::model::{Channel, Viewport};

/// One fetched page (`pages[]` in the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The URL requested.
    pub url: String,
    /// HTTP status; null when no response came.
    pub status: Option<u16>,
    /// Time to the end of the body.
    pub elapsed_ms: u64,
    /// Body bytes read.
    pub bytes: u64,
    /// Why the page could not be read; null when it was.
    pub error: Option<String>,
    /// Where redirects ended, when not at `url`.
    pub final_url: Option<String>,
    /// What the page is for a shopper: home, contacts, delivery, faq, product, ...
    pub kind: String,
    /// Clicks from the start page; null for key pages no crawled link leads to.
    pub depth: Option<u32>,
    /// The `<title>`.
    pub title: Option<String>,
    /// The body was longer than the crawl's byte cap and was cut.
    pub truncated: bool,
    /// The character set the page was decoded with.
    pub charset: Option<String>,
}

/// Everything the probes gathered (`evidence` in the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Contact forms and callback buttons found on the pages.
    #[serde(default)]
    pub forms: FormsEvidence,
    /// The words on the store's pages, lower case: kept in the history for judging answers'
    /// spelling, never shown in the report.
    #[serde(skip)]
    pub vocabulary: std::collections::BTreeSet<String>,
    /// Live chat.
    pub chat: ChatEvidence,
    /// Posted hours found on the site or given by the scenario.
    pub hours: Vec<PostedHours>,
    /// Contact channels.
    pub contacts: Contacts,
    /// Images and whether they are stock.
    pub images: Vec<Image>,
    /// Page behaviour seen in a browser; null when the browser probe did not run.
    pub ux: Option<Ux>,
    /// The shopper's letters to this store; empty when the e-mail probe did not run.
    pub email_probes: Vec<EmailProbe>,
    /// Why the shopper's mailbox could not be read this run; null when it was (or is not set).
    pub mailbox_error: Option<String>,
    /// The scenario's answer deadline for letters that set none (`email.sla`), so that a
    /// refreshed report judges letters sent after it by the same rule; null in older reports.
    #[serde(default)]
    pub email_sla_ms: Option<u64>,
    /// HTTPS and redirects.
    pub site: Site,
    /// Links to the pages a shopper looks for (contacts, FAQ, privacy ...), first seen first.
    pub links: Vec<KeyLink>,
    /// What a real browser saw; null when the browser probe did not run.
    pub browser: Option<BrowserEvidence>,
    /// The store's history held against its posted hours; null when no history was kept.
    #[serde(default)]
    pub compliance: Option<Compliance>,
}

/// Every observation in the history held against the posted hours (`evidence.compliance`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    /// The posted hours held against (the chat's, else support's); null when none are posted.
    pub hours: Option<String>,
    /// The zone they are read in.
    pub timezone: String,
    /// Readings of the chat's status, in all.
    pub chat_checks: usize,
    /// Of those, inside the posted hours.
    pub chat_in_hours: usize,
    /// Of those, online.
    pub chat_online_in_hours: usize,
    /// `chat_online_in_hours / chat_in_hours`; null when nothing was read inside the hours.
    pub chat_online_in_hours_share: Option<f64>,
    /// Readings inside the posted hours when the chat was not online: when, where, what it said.
    pub chat_failures: Vec<String>,
    /// Screenshots of the latest of those readings (at most 6): the moment, and the page.
    #[serde(default)]
    pub chat_failure_shots: Vec<Screenshot>,
    /// Letters judged (answered, or past their deadline).
    pub letters: usize,
    /// Of those, answered by a person within their deadline, counted in posted hours.
    pub letters_within_sla: usize,
    /// The letters that were not.
    pub letter_failures: Vec<String>,
    /// The thresholds: the least online share inside the hours, and of letters within the deadline.
    #[serde(flatten)]
    pub thresholds: crate::model::Thresholds,
    /// Chat readings by local weekday (0 = Monday) and hour: for the availability chart.
    pub availability: Vec<HourOfWeek>,
    /// First human answers over time: for the response-time chart.
    pub response_times: Vec<ResponsePoint>,
}

/// Chat readings in one hour of the week, local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourOfWeek {
    /// 0 = Monday.
    pub day: u32,
    /// 0..23.
    pub hour: u32,
    /// Readings.
    pub checks: usize,
    /// Of those, online.
    pub online: usize,
    /// Inside the posted hours.
    pub in_hours: bool,
}

/// One letter's first human answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsePoint {
    /// When the letter went out.
    pub sent_at: chrono::DateTime<chrono::FixedOffset>,
    /// Calendar time to the first human answer.
    pub first_human_response_ms: u64,
    /// The same inside the posted hours; null when none are posted.
    pub business_ms: Option<u64>,
}

/// `evidence.chat`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatEvidence {
    /// Sorted vendor ids; empty when none.
    pub vendors: Vec<String>,
    /// Pages that embed a widget.
    pub pages: Vec<String>,
    /// Launcher visible in a browser; null when the browser probe did not run.
    pub visible: Option<bool>,
    /// Operators' status as the widget reports it.
    pub status: ChatStatus,
    /// Operator names the widget showed.
    pub operator_names: Vec<String>,
    /// The conversation probe's dialogues; empty when it did not run.
    pub conversations: Vec<Conversation>,
    /// Each embed: which vendor, on which page, and what gave it away.
    pub embeds: Vec<ChatEmbed>,
}

/// One question typed into the store's chat, and what came back (`evidence.chat.conversations[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The scenario's question id.
    pub question_id: String,
    /// The page the widget was opened on.
    pub page: String,
    /// When the question was sent; null when it never was.
    pub question_sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Until the first reply of any kind after the question.
    pub first_reply_ms: Option<u64>,
    /// Until the first reply a person wrote.
    pub first_human_reply_ms: Option<u64>,
    /// How it ended.
    pub outcome: ConversationOutcome,
    /// The operator's displayed name when the answer came.
    pub operator_name: Option<String>,
    /// The operator's picture, if the widget shows one.
    pub operator_avatar: Option<String>,
    /// A typing indicator was shown while the shopper waited.
    pub typing_seen: bool,
    /// A rating of the conversation was offered after the answer.
    pub rating_offered: bool,
    /// Everything said, greetings first.
    pub transcript: Vec<ChatLine>,
    /// The answer deadline.
    pub sla_ms: u64,
    /// Words a complete answer contains, and those the human answer lacked.
    pub expect: Vec<String>,
    /// Of `expect`, the words no human reply contained.
    pub missing: Vec<String>,
    /// The question's own questions, each marked answered or not.
    #[serde(default)]
    pub questions: Vec<Addressed>,
    /// Whether the human answer addressed every one; null without a human answer.
    #[serde(default)]
    pub completeness: Option<Completeness>,
    /// How the person's replies read; null without one.
    #[serde(default)]
    pub reading: Option<Reading>,
    /// With the widget offline: a message was left in its form, and what the form said then.
    pub message_left: bool,
    /// The form's confirmation.
    pub confirmation: Option<String>,
    /// Screenshots (JPEG data URIs) at the start, at the answer, at the timeout.
    pub screenshots: Vec<Screenshot<Moment>>,
    /// Where the probe found the widget's parts: the scenario's selectors, a known vendor's
    /// launcher, the widget itself, or the vendor's API for the operator's messages.
    #[serde(default)]
    pub how: Option<String>,
    /// Why the conversation could not be held, if it could not.
    pub error: Option<String>,
}

/// One message in a chat transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    /// When the probe saw it (sent it, for the shopper's own).
    pub at: chrono::DateTime<chrono::FixedOffset>,
    /// Who said it.
    pub role: ChatRole,
    /// What it is.
    pub kind: LineKind,
    /// Who the widget said wrote it.
    pub author: Option<String>,
    /// The words.
    pub text: String,
}

/// A named screenshot: in a conversation named by its [`Moment`], in the compliance record by
/// a caption (when and where the chat was not online).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot<M = String> {
    /// When it was taken.
    pub moment: M,
    /// JPEG data URI.
    pub image: String,
}

named_enum! {
    /// Whether operators are online.
    #[derive(Default)]
    pub enum ChatStatus ("chat status") {
        /// Operators reported online.
        Online = "online",
        /// Operators reported offline.
        Offline = "offline",
        /// Not known (no browser, or the widget does not say).
        #[default]
        Unknown = "unknown",
    }
}

named_enum! {
    /// How a question typed into the chat ended (`conversations[].outcome`).
    #[derive(Default)]
    pub enum ConversationOutcome ("conversation outcome") {
        /// A person answered before the deadline.
        Answered = "answered",
        /// Only automatic messages came.
        AutoOnly = "auto_only",
        /// Nothing came, or the question could not be asked.
        #[default]
        NoReply = "no_reply",
        /// The widget was offline and offered a form instead.
        OfflineForm = "offline_form",
    }
}

named_enum! {
    /// Who said a line of a chat transcript.
    pub enum ChatRole ("chat role") {
        /// The mystery shopper.
        Shopper = "shopper",
        /// The store's side: a person or a bot.
        Operator = "operator",
    }
}

named_enum! {
    /// What a line of a chat transcript is.
    pub enum LineKind ("line kind") {
        /// The shopper's question.
        Question = "question",
        /// Said before the question: not an answer.
        Greeting = "greeting",
        /// An automatic message.
        Auto = "auto",
        /// A person's message.
        Human = "human",
    }
}

named_enum! {
    /// When a conversation's screenshot was taken.
    pub enum Moment ("moment") {
        /// The widget opened.
        Start = "start",
        /// The answer came.
        Answer = "answer",
        /// The deadline passed.
        Timeout = "timeout",
    }
}

named_enum! {
    /// Where one of the shopper's letters stands (`email_probes[].state`).
    pub enum LetterState ("letter state") {
        /// Sent, the deadline not yet passed, nothing or only automatic replies so far.
        Pending = "pending",
        /// A person answered.
        Answered = "answered",
        /// Only automatic replies came, and the deadline has not passed.
        Acknowledged = "acknowledged",
        /// No person answered before the deadline.
        Unanswered = "unanswered",
        /// The store's mail server refused it or sent it back (no such mailbox, a full one):
        /// the address it publishes does not work. Counted as sent and unanswered.
        Bounced = "bounced",
        /// Our side could not send it (the shopper's server refused it, a connection failed).
        Failed = "failed",
        /// Recorded, and the server's acceptance not yet confirmed.
        Sending = "sending",
        /// Shown, not sent (`--dry-run`).
        DryRun = "dry_run",
    }
}

impl LetterState {
    /// Judged unanswered: past the deadline without a person's answer, or sent back by the
    /// store's server.
    pub fn unanswered(self) -> bool {
        matches!(self, LetterState::Unanswered | LetterState::Bounced)
    }

    /// Still inside the deadline with no person's answer (pending or acknowledged): not yet
    /// counted for or against the store.
    pub fn waiting(self) -> bool {
        matches!(self, LetterState::Pending | LetterState::Acknowledged)
    }

    /// The letter reached the store (as far as anyone can tell), so its answer counts.
    pub fn went_out(self) -> bool {
        !matches!(self, LetterState::Failed | LetterState::Sending | LetterState::DryRun)
    }
}

named_enum! {
    /// How a reply was tied to the shopper's letter.
    pub enum MatchedBy ("match") {
        /// In-Reply-To or References name the letter.
        Thread = "thread",
        /// The letter's token is in the reply.
        Token = "token",
        /// The subject, from the store's domain, after the letter went out.
        SubjectAndDomain = "subject and domain",
        /// The subject alone: a help desk writing from its own domain, in a new thread.
        Subject = "subject",
        /// From the store's domain, when a contact-form question was the store's only one
        /// awaiting its answer.
        StoreDomain = "store domain",
    }
}

named_enum! {
    /// Who wrote a reply to a letter: a machine or a person.
    pub enum ReplyKind ("reply kind") {
        /// An auto-responder, a ticket system, a no-reply sender.
        Auto = "auto",
        /// A person.
        Human = "human",
    }
}

/// A chat widget found on one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEmbed {
    /// Vendor id.
    pub vendor: String,
    /// The page.
    pub page: String,
    /// `script` (a script URL), `inline` (snippet text) or `dom` (an element).
    pub how: String,
    /// What matched: the script URL, the marker, or the selector.
    pub matched: String,
}

/// `evidence.hours[]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedHours {
    /// What the hours are for.
    pub channel: Channel,
    /// As written on the page (or in the scenario).
    pub text: String,
    /// OpenStreetMap opening_hours; null if the text could not be normalised.
    pub opening_hours: Option<String>,
    /// Where it was first seen; null when it came from the scenario.
    pub page: Option<String>,
    /// Every page that states it (footers repeat it).
    pub pages: Vec<String>,
}

impl PostedHours {
    /// The hours e-mail answers are owed in (opening_hours): the e-mail channel's, else
    /// support's; none when the store posts neither.
    pub fn for_email(posted: &[PostedHours]) -> Option<&str> {
        [Channel::Email, Channel::Support]
            .iter()
            .find_map(|c| posted.iter().find(|h| h.channel == *c).and_then(|h| h.opening_hours.as_deref()))
    }
}

/// `evidence.contacts`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contacts {
    /// Distinct, lower-case, de-obfuscated, sorted.
    pub emails: Vec<String>,
    /// E.164, sorted.
    pub phones: Vec<String>,
    /// whatsapp, telegram, viber, vk, messenger.
    pub messengers: Vec<String>,
    /// vk, facebook, instagram, twitter, youtube, ok, tiktok, linkedin.
    pub social: Vec<String>,
    /// Where each contact was seen.
    pub mentions: Vec<ContactMention>,
}

/// One contact seen on one page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContactMention {
    /// email, phone, messenger or social.
    pub kind: ContactKind,
    /// The normalised value (address, E.164 number, network id).
    pub value: String,
    /// The page.
    pub page: String,
}

/// Kinds of contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A messenger link.
    Messenger,
    /// A social network profile.
    Social,
}

/// `evidence.images[]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Absolute image URL.
    pub url: String,
    /// The same picture's other files (`srcset` sizes, a `<picture>`'s formats, the lazy
    /// loader's): their names are judged for stock too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// The page that shows it.
    pub page: String,
    /// Stock agency and the signals that named it; null when not stock.
    pub stock: Option<Stock>,
    /// Its context says it shows staff, operators or the team.
    pub staff: bool,
    /// The alt text.
    pub alt: Option<String>,
    /// Bytes fetched; null when it was not fetched.
    pub bytes: Option<u64>,
    /// Perceptual hash (base64), for staff photos, to find the same photo elsewhere.
    pub phash: Option<String>,
    /// Credit, source, copyright and by-line fields found in the metadata.
    pub credits: Vec<String>,
    /// A small JPEG thumbnail as a data URI, for staff photos, so reports can show them.
    pub thumbnail: Option<String>,
    /// Why the image could not be fetched or read.
    pub error: Option<String>,
}

/// Why an image is stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stock {
    /// The agency's id.
    pub agency: String,
    /// `filename`, `iptc`, `xmp`, `exif`.
    pub signals: Vec<String>,
}

/// `evidence.ux` (browser probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ux {
    /// Something opened by itself and covered the page.
    pub intrusive_popup: bool,
    /// Audible media started by itself.
    pub autoplay_audio: bool,
}

/// HTTPS facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The start page was finally served over HTTPS.
    pub https: bool,
    /// `http://` of the same host redirects to `https://`; null when it could not be tried.
    pub http_redirects_to_https: Option<bool>,
    /// What the plain-HTTP request got (status and Location, or the error).
    pub http_probe: Option<String>,
}

/// A link to a page a shopper looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLink {
    /// contacts, faq, privacy, delivery ...
    pub kind: String,
    /// Where it points.
    pub url: String,
    /// The link text.
    pub text: String,
    /// The page it is on.
    pub page: String,
}

/// The browser probe's observations (`evidence.browser`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrowserEvidence {
    /// The browser that looked, e.g. "Chrome/131.0.6778.85".
    pub product: String,
    /// Why the browser could not look at all; null when it could.
    pub error: Option<String>,
    /// How long each page was watched for popups.
    pub observe_ms: u64,
    /// One visit per page and viewport.
    pub visits: Vec<Visit>,
}

/// One page in one viewport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// The page.
    pub page: String,
    /// Desktop (1366x768) or mobile (390x844).
    pub viewport: Viewport,
    /// Why the visit failed; null when it worked.
    pub error: Option<String>,
    /// Time to the load event.
    pub load_ms: u64,
    /// Chat widgets alive in the page.
    pub chats: Vec<LiveChat>,
    /// Dialogs and overlays that appeared while nobody touched the page.
    pub popups: Vec<Popup>,
    /// Media that started playing.
    pub media: Vec<Media>,
    /// JPEG of the first screen (launcher outlined in red), as a data URI.
    pub screenshot: Option<String>,
    /// JPEG taken when an invitation opened by itself, as a data URI.
    pub popup_screenshot: Option<String>,
}

/// A chat widget found in the live page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveChat {
    /// Vendor id.
    pub vendor: String,
    /// "global jivo_api" or "element jdiv": what proved it is there.
    pub found_by: String,
    /// The launcher button, when one was found.
    pub launcher: Option<Launcher>,
    /// Operators' status as the widget reports it.
    pub status: ChatStatus,
    /// The call made and what it returned, or why the status is unknown.
    pub status_how: String,
    /// When the status was read.
    pub status_at: chrono::DateTime<chrono::FixedOffset>,
    /// The chat window was open at the end of the watch (null: the widget cannot say).
    pub open: Option<bool>,
    /// When offline: the widget offers a message form (null: not offline, or not readable).
    pub offline_form: Option<bool>,
    /// What the widget showed when the probe opened it; null when it was not opened.
    pub window: Option<ChatWindow>,
}

/// The chat window, as the probe saw it after one click on the launcher (nothing typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatWindow {
    /// The window could be read (not a frame of another site).
    pub readable: bool,
    /// Why it could not be read.
    pub reason: Option<String>,
    /// Its title, e.g. "Acme support".
    pub title: Option<String>,
    /// Operators' displayed names.
    pub operator_names: Vec<String>,
    /// Operators' photos (absolute URLs).
    pub avatars: Vec<String>,
    /// It offers a form (a message box or an e-mail field).
    pub form: bool,
}

/// Where the launcher is and what keeps a buyer from seeing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launcher {
    /// The selector that found it.
    pub selector: String,
    /// x, y, width, height in CSS pixels, relative to the first screen.
    pub rect: [i64; 4],
    /// Empty when visible: "display: none", "below the first screen", "covered by <div#x>" ...
    pub problems: Vec<String>,
}

/// A dialog, overlay or chat window that appeared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Popup {
    /// Tag, id and classes.
    pub element: String,
    /// The start of its text.
    pub text: String,
    /// Milliseconds after navigation when it first appeared.
    pub opened_at: u64,
    /// How many times it appeared (more than once: it came back after being closed).
    pub opens: u32,
    /// The visitor had touched the page before it appeared (never, during the watch).
    pub input: bool,
    /// Largest share of the screen it covered, 0..1.
    pub coverage: f64,
    /// A cookie, consent or age dialog.
    pub consent: bool,
    /// The probe clicked its close button once, to see whether it comes back.
    pub closed_by_probe: bool,
}

impl Popup {
    /// An automatic invitation: it opened without the visitor's input and is not a legal
    /// (cookie, consent, age) dialog.
    pub fn is_invitation(&self) -> bool {
        !self.input && !self.consent
    }
}

/// Media that started playing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// audio or video.
    pub tag: String,
    /// Its source.
    pub src: String,
    /// Muted when it started.
    pub muted: bool,
    /// Volume when it started, 0..1.
    pub volume: f64,
    /// Milliseconds after navigation.
    pub at: u64,
    /// The visitor had touched the page before it started.
    pub input: bool,
    /// Still playing at the end of the watch.
    pub still_playing: bool,
}

impl Media {
    /// Audible and started without the visitor's input.
    pub fn is_autoplay_sound(&self) -> bool {
        !self.input && !self.muted && self.volume > 0.0
    }
}

/// One of the shopper's letters (`evidence.email_probes[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailProbe {
    /// The scenario's letter id.
    pub id: String,
    /// `<…>` as sent.
    pub message_id: String,
    /// The store's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// When the server accepted it; null until then.
    pub sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Where it stands.
    pub state: LetterState,
    /// Until the first reply of any kind; null when none came.
    pub first_response_ms: Option<u64>,
    /// Until the first human reply; null when none came.
    pub first_human_response_ms: Option<u64>,
    /// The posted hours the business times count in (opening_hours); null when the store
    /// posts none for e-mail or support.
    pub business_hours: Option<String>,
    /// `first_response_ms` counted only inside `business_hours`.
    pub first_response_business_ms: Option<u64>,
    /// `first_human_response_ms` counted only inside `business_hours`.
    pub first_human_response_business_ms: Option<u64>,
    /// Replies received.
    pub replies: Vec<EmailReply>,
    /// The server's answer on acceptance, or why the letter failed.
    pub server: Option<String>,
    /// The answer deadline for this letter.
    pub sla_ms: u64,
    /// Words a complete answer contains: every question's, together.
    pub expect: Vec<String>,
    /// The letter's questions, each marked answered when a human reply before the deadline
    /// held its expected words.
    #[serde(default)]
    pub questions: Vec<Addressed>,
    /// Whether the human replies before the deadline, together, answered every question;
    /// null while no person has answered in time.
    #[serde(default)]
    pub completeness: Option<Completeness>,
    /// Which attempt this is: above 1 after failures the server did not call final.
    #[serde(default)]
    pub attempt: u32,
    /// How the person's answer (every human reply, together) reads; null without one.
    #[serde(default)]
    pub reading: Option<Reading>,
}

impl EmailProbe {
    /// Every question addressed by the human replies in time. A report from before questions
    /// has no completeness: there, a first human reply holding every expected word.
    pub fn answered_completely(&self) -> bool {
        match self.completeness {
            Some(c) => c == Completeness::Complete,
            None if self.questions.is_empty() => {
                self.replies.iter().find(|r| r.kind == ReplyKind::Human).is_some_and(|r| r.missing.is_empty())
            }
            None => false,
        }
    }

    /// The letter as findings name it: its id, and when it went out (a scheduled letter's id
    /// repeats).
    pub fn label(&self) -> String {
        match self.sent_at {
            Some(at) => format!("{} of {}", self.id, at.format("%Y-%m-%d %H:%M")),
            None => self.id.clone(),
        }
    }
}

/// One thing the shopper asks in a letter or a chat question, and the words that show it was
/// answered: every entry must appear in the answer; `|` separates alternatives
/// (`"cost|price|стоимост"`). Matching ignores case and finds stems inside words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// Stable within the letter or chat question.
    pub id: String,
    /// The words a complete answer to it holds.
    #[serde(default)]
    pub expect: Vec<String>,
}

/// Ways to reach the store besides its addresses and chat (`evidence.forms`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormsEvidence {
    /// Contact and feedback forms, each once (a footer form on every page is one form).
    pub forms: Vec<ContactForm>,
    /// "Call me back" buttons and forms.
    pub callbacks: Vec<Callback>,
    /// What this run's contact-form probe did with each question it was due to submit.
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// Every question submitted through the form, as the history holds it, with the answers
    /// that came to the shopper's mailbox (timed and judged as letters are).
    #[serde(default)]
    pub answers: Vec<EmailProbe>,
    /// Mail from the store's domain that could be the answer to a question sent through the
    /// form but carries no token, while more than one of the store's questions waited: left
    /// unfiled rather than guessed.
    #[serde(default)]
    pub unfiled: Vec<Unfiled>,
}

/// A message from the store's domain that the mailbox could not tie to one question
/// (`evidence.forms.unfiled[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfiled {
    /// When it arrived.
    pub received_at: chrono::DateTime<chrono::FixedOffset>,
    /// Its sender.
    pub from: String,
    /// Its subject.
    pub subject: String,
    /// How many of the store's questions were waiting for an answer then.
    pub waiting: usize,
}

named_enum! {
    /// How a submission of the contact form ended.
    pub enum Submitted ("submission outcome") {
        /// The form took the question: a confirmation showed, or the form gave way to a page.
        Accepted = "accepted",
        /// The form refused it: a validation error, an error page, or nothing after sending.
        Refused = "refused",
        /// Not sent: a CAPTCHA guards the form, or it demands what the shopper does not give.
        Blocked = "blocked",
        /// No contact form was found where the scenario looked.
        NotFound = "not_found",
        /// Filled, not sent (`--dry-run`).
        DryRun = "dry_run",
        /// The browser could not finish (the page did not load, the tab crashed); the store is
        /// not blamed, and an unsent question is tried again.
        Failed = "failed",
        /// Sent, and what followed could not be read: never sent again.
        Unconfirmed = "unconfirmed",
    }
}

/// One question put through the contact form by this run (`evidence.forms.submissions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The scenario's question id.
    pub question_id: String,
    /// The page the form was on.
    pub page: String,
    /// Where the form was: in the page, behind a button, or in a vendor's frame.
    pub place: Option<String>,
    /// How it ended.
    pub outcome: Submitted,
    /// What the form or page said: the confirmation, the validation error, why it was blocked.
    pub said: Option<String>,
    /// The fields filled, as `kind name`.
    pub filled: Vec<String>,
    /// When it was sent.
    pub sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The filled form before sending, and what showed after.
    pub screenshots: Vec<Screenshot<Moment>>,
}

impl Submission {
    /// A submission of `question_id` on `page` that ended so, with nothing else known yet.
    pub fn new(question_id: &str, page: &str, outcome: Submitted) -> Self {
        Submission {
            question_id: question_id.into(),
            page: page.into(),
            place: None,
            outcome,
            said: None,
            filled: Vec::new(),
            sent_at: None,
            screenshots: Vec::new(),
        }
    }
}

/// A contact or feedback form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactForm {
    /// The first page it was found on.
    pub page: String,
    /// Where it posts, for a form in the page.
    pub action: Option<String>,
    /// The form or help-desk vendor that serves it (its frame, its script, where it posts);
    /// null for the store's own. Still the store's form.
    pub vendor: Option<String>,
    /// Its fields as `kind name` ("email email", "textarea message"); empty for a vendor's frame.
    pub fields: Vec<String>,
    /// A checkbox must be ticked (consent to the processing of personal data, terms).
    pub consent: bool,
    /// The CAPTCHA it sits behind: recorded as blocked, never solved.
    pub captcha: Option<String>,
}

/// A "call me back" button or form: the phone channel many stores advertise most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The first page it was found on.
    pub page: String,
    /// The callback vendor whose widget it is; null for a plain form of the store's.
    pub vendor: Option<String>,
    /// What it promises, as the page says it ("28 секунд", "30 seconds").
    pub promise: Option<String>,
}

/// How a person's answer reads, as a trained mystery shopper judges it
/// (`email_probes[].reading`, `conversations[].reading`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// Words in the answer's own text.
    pub words: usize,
    /// Its spelling, by the dictionary of its language.
    pub spelling: Spelling,
    /// The answer's language (ISO 639-3, as whatlang names it), when the detector calls its
    /// guess reliable.
    pub language: Option<String>,
    /// The language the shopper wrote in, by the same rule.
    pub asked_in: Option<String>,
    /// The answer's writing system (Latin, Cyrillic, Greek ...): certain even where the
    /// language is not (whatlang tells Russian from Bulgarian poorly in short texts).
    #[serde(default)]
    pub script: Option<String>,
    /// The writing system of the shopper's text.
    #[serde(default)]
    pub asked_script: Option<String>,
    /// Links to other shops: hosts other than the store's, the replying help desk's, and
    /// payment, delivery and map services.
    pub elsewhere: Vec<String>,
    /// It opens with a greeting.
    pub greets: bool,
    /// It calls the buyer by name.
    pub names_buyer: bool,
    /// It thanks the buyer.
    pub thanks: bool,
    /// It apologises.
    pub apologizes: bool,
    /// It came after the deadline (the store's promise), when an apology is owed.
    pub late: bool,
}

impl Reading {
    /// An answer in a language other than the shopper's: both languages told reliably and
    /// different, or the two writing systems different. Each side is its language (ISO 639-3)
    /// when told, else its script ("Cyrillic script").
    pub fn other_language(&self) -> Option<(String, String)> {
        let side = |language: &Option<String>, script: &Option<String>| {
            language.clone().or_else(|| script.as_ref().map(|s| format!("{s} script")))
        };
        let differ = match (&self.language, &self.asked_in, &self.script, &self.asked_script) {
            (Some(answer), Some(asked), ..) => answer != asked,
            (_, _, Some(answer), Some(asked)) => answer != asked,
            _ => false,
        };
        differ.then(|| side(&self.language, &self.script).zip(side(&self.asked_in, &self.asked_script))).flatten()
    }
}

/// An answer's spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Spelling {
    /// Checked: the words no dictionary knows (names, brands, codes, links, the store's own
    /// words and the shopper's letter left out), and the words that were checked.
    Checked {
        /// The dictionaries used (ISO 639-1).
        dictionaries: Vec<String>,
        /// Words checked.
        checked: usize,
        /// Misspelt words, as written, each once.
        misspelt: Vec<String>,
    },
    /// No dictionary is installed for the answer's language.
    NoDictionary {
        /// The language (ISO 639-1 where known).
        language: String,
        /// The Debian package to install, when there is one.
        package: Option<String>,
    },
}

impl Spelling {
    /// Misspellings per 100 words of an answer of `words` words; none when not checked.
    pub fn per_100(&self, words: usize) -> Option<f64> {
        match self {
            Spelling::Checked { misspelt, .. } if words > 0 => Some(misspelt.len() as f64 * 100.0 / words as f64),
            Spelling::Checked { .. } => Some(0.0),
            Spelling::NoDictionary { .. } => None,
        }
    }
}

/// A question, and whether the answer addressed it (`email_probes[].questions[]`,
/// `conversations[].questions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressed {
    /// The question's id.
    pub id: String,
    /// Its expected words.
    pub expect: Vec<String>,
    /// Some human reply in time held all of them.
    pub answered: bool,
}

named_enum! {
    /// How much of what the shopper asked the answer addressed.
    pub enum Completeness ("completeness") {
        /// Every question.
        Complete = "complete",
        /// Some questions, not all.
        Partial = "partial",
        /// None of them.
        Missed = "missed",
    }
}

/// A reply to one of the shopper's letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailReply {
    /// When it arrived.
    pub received_at: chrono::DateTime<chrono::FixedOffset>,
    /// Its sender.
    pub from: String,
    /// A machine's or a person's.
    pub kind: ReplyKind,
    /// A ticket or case number, if it carries one.
    pub ticket: Option<String>,
    /// The person who signed it.
    pub signed_by: Option<String>,
    /// Which clock gave `received_at`: "imap internaldate" or "date header".
    pub received_from: String,
    /// How it was tied to the letter.
    pub matched_by: MatchedBy,
    /// Why it counts as automatic.
    pub why_auto: Option<String>,
    /// Expected words the reply does not contain.
    pub missing: Vec<String>,
    /// The reply is little more than a link.
    pub only_link: bool,
    /// The reply opens with a greeting.
    pub greets: bool,
}
