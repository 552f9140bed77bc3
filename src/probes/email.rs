//! The e-mail probe, sending side: the shopper's letters go out over the shopper's own SMTP
//! server, to the one address the scenario names (or the support address found on the site,
//! when the scenario says "discover"), and only when the scenario enables it. Each letter is
//! written to the history before it is sent, so a crash never loses one or sends one twice.
//! A letter is due once per store and letter id (schedules come with `shopaudit run`).

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::{Error, Result};
use crate::history::{History, NewLetter};
use crate::model::evidence::{EmailProbe, EmailReply, Evidence, PostedHours};
use crate::model::Channel;
use crate::scenario::{MailServer, Scenario, Tls};

/// What the e-mail probe may do this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Send the letters that are due.
    Send,
    /// Show what would be sent, to whom; send nothing and record nothing.
    DryRun,
}

/// Who reads the shopper's mailbox around the sending.
#[derive(Debug, Clone, Default)]
pub enum MailboxReads {
    /// The audit itself: before sending (copies reconcile unconfirmed letters) and after
    /// (automatic acknowledgements often come at once).
    #[default]
    Here,
    /// The caller read every mailbox through before the audits and reads them again after
    /// (`shopaudit run`: once per mailbox, however many stores share it). The map says why a
    /// mailbox could not be read, by [`MailServer::mailbox_key`].
    Caller(std::sync::Arc<std::collections::BTreeMap<String, String>>),
}

/// How many times a letter is tried when its failures are not the server's final word.
pub const MAX_ATTEMPTS: u32 = 3;

/// A letter left `sending` (its run was killed, or the server went silent after the data) whose
/// copy has not reached the shopper's mailbox after this long was not sent.
pub const UNCONFIRMED_AFTER: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Sends the scenario's due letters, reads the shopper's mailbox for replies (when
/// `[shopper.imap]` is set), and returns every letter of this store in the history with its
/// replies (plus, in a dry run, the letters that would go out), and why the mailbox could not be
/// read, if it could not.
///
/// With a mailbox to read, every letter also goes to the shopper (as a blind copy the store
/// never sees): the copy's arrival proves the server took the letter, so a letter whose run was
/// killed before the server's answer was recorded is reconciled, never sent twice.
pub async fn send_due(
    scenario: &Scenario,
    evidence: &Evidence,
    history: &History,
    knowledge: &crate::knowledge::Knowledge,
    mode: Mode,
    reads: &MailboxReads,
    clock: &crate::clock::Clock,
) -> Result<(Vec<EmailProbe>, Option<String>)> {
    let store = &scenario.key;
    let now = || clock.now().fixed_offset();
    let (shopper, to) = match (&scenario.shopper, recipient(scenario, evidence)?) {
        (Some(shopper), Some(to)) => (shopper, to),
        _ => return Ok((probes(history, &Terms::of(scenario), &evidence.hours, now()).await?, None)),
    };
    let from: Mailbox = format!("{} <{}>", shopper.name, shopper.email)
        .parse()
        .map_err(|e| Error::Email(format!("shopper.email {:?} is not an address: {e}", shopper.email)))?;
    let to_box: Mailbox =
        to.parse().map_err(|e| Error::Email(format!("store address {to:?} is not an address: {e}")))?;
    let domain = shopper.email.rsplit('@').next().unwrap_or("shopaudit.invalid");
    // Settings problems (no password, bad CA file) surface before any letter is recorded.
    let server = smtp(scenario)?;
    let transport = match mode {
        Mode::Send => Some(transport(server)?),
        Mode::DryRun => None,
    };
    let imap = shopper.imap.as_ref().filter(|_| mode == Mode::Send);
    let mut mailbox_error = None;
    if let Some(imap) = imap {
        // First what arrived since the last run, so that copies reconcile unconfirmed letters
        // before anything is resent.
        let read = match reads {
            MailboxReads::Here => {
                crate::probes::mailbox::collect(imap, history, knowledge).await.map(drop).map_err(|e| e.to_string())
            }
            MailboxReads::Caller(failed) => failed.get(&imap.mailbox_key()).map_or(Ok(()), |why| Err(why.clone())),
        };
        match read {
            Ok(()) => give_up_unconfirmed(history, store, now()).await?,
            Err(e) => mailbox_error = Some(e),
        }
    }
    if let Some(why) = mailbox_error {
        // A letter whose answers cannot be read proves nothing and spends the shopper's cover.
        let why = format!("{why}; no letter was sent, since its answers could not be read");
        return Ok((probes(history, &Terms::of(scenario), &evidence.hours, now()).await?, Some(why)));
    }
    let mut dry = Vec::new();
    let terms = Terms::of(scenario);
    let hours = business_hours(&evidence.hours);
    for letter in &scenario.email.letters {
        // Without a schedule a letter goes out once; with one, once per period at its planned
        // time. A failure the server did not call final is retried first, either way.
        let plan = scenario.schedule.as_ref().map(|schedule| crate::schedule::Plan {
            schedule,
            store: scenario.key.as_str(),
            letter: &letter.id,
            tz: terms.tz,
            hours: hours.as_deref(),
        });
        let due = |last| plan.is_none_or(|p| matches!(p.due(clock.now(), last), crate::schedule::Due::Now(_)));
        let attempt = match history.latest(store, &letter.id).await? {
            Some(l) if l.state == "failed" && l.retry && l.attempt < MAX_ATTEMPTS => l.attempt + 1,
            Some(l) if plan.is_some() && due(Some(l.created_at.to_utc())) => 1,
            Some(_) => continue, // sent, or attempted for good: never again silently
            None if due(None) => 1,
            None => continue,
        };
        let (subject, body) = crate::scenario::letter::render(scenario, letter).map_err(Error::Email)?;
        let token = token();
        let message_id = format!("<{}.{token}@{domain}>", clock.now().format("%Y%m%d%H%M%S"));
        let mut message = Message::builder()
            .from(from.clone())
            .to(to_box.clone())
            .subject(subject.clone())
            .message_id(Some(message_id.clone()))
            .date(std::time::SystemTime::from(clock.now()))
            .header(ContentType::TEXT_PLAIN);
        if imap.is_some() {
            message = message.bcc(from.clone());
        }
        let message =
            message.body(body).map_err(|e| Error::Email(format!("letter {:?} cannot be built: {e}", letter.id)))?;
        let Some(transport) = &transport else {
            dry.push(EmailProbe {
                id: letter.id.clone(),
                message_id,
                to: to.clone(),
                subject,
                sent_at: None,
                state: "dry_run".into(),
                first_response_ms: None,
                first_human_response_ms: None,
                business_hours: None,
                first_response_business_ms: None,
                first_human_response_business_ms: None,
                replies: Vec::new(),
                server: Some(format!("would be sent from {} over {}", shopper.email, describe(server))),
                sla_ms: u64::try_from(
                    letter.sla.or(scenario.email.sla).map_or(crate::model::defaults::EMAIL_SLA, |s| s.0).as_millis(),
                )
                .unwrap_or(u64::MAX),
                expect: letter.expect.clone(),
                attempt,
            });
            continue;
        };
        let row = history
            .begin_letter(&NewLetter {
                store,
                letter: &letter.id,
                message_id: &message_id,
                token: &token,
                from: &shopper.email,
                to: &to,
                subject: &subject,
                attempt,
                at: now(),
            })
            .await?;
        // lettre's own timeout does not cover every answer (a server that stalls after RCPT
        // held the run for ever): the whole exchange has a deadline too.
        let deadline = server.timeout * 4;
        let sent = match tokio::time::timeout(deadline, transport.send(message)).await {
            Ok(sent) => sent,
            Err(_) => {
                let why = format!("{}: no answer within {}", describe(server), humantime::format_duration(deadline));
                history.note_unconfirmed(row, &why).await?;
                continue;
            }
        };
        match sent {
            Ok(response) => {
                let said = response.message().collect::<Vec<_>>().join(" ");
                history.mark_sent(row, now(), &format!("{} {said}", response.code())).await?;
            }
            // Silence after the data: the server may have taken it. The copy will tell.
            Err(e) if e.is_timeout() && imap.is_some() => {
                history.note_unconfirmed(row, &crate::probes::http::chain(&e)).await?;
            }
            Err(e) => history.mark_failed(row, &crate::probes::http::chain(&e), !e.is_permanent()).await?,
        }
    }
    if let (Some(imap), MailboxReads::Here) = (imap, reads) {
        // Automatic acknowledgements often come at once.
        if let Err(e) = crate::probes::mailbox::collect(imap, history, knowledge).await {
            mailbox_error = Some(e.to_string());
        }
    }
    let mut all = probes(history, &terms, &evidence.hours, now()).await?;
    all.extend(dry);
    Ok((all, mailbox_error))
}

/// After the mailbox was read through: a letter still unconfirmed long after it was recorded
/// has no copy, so the server never took it; a later attempt may send it.
async fn give_up_unconfirmed(
    history: &History,
    store: &crate::model::StoreKey,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<()> {
    for l in history.letters(store).await? {
        if l.state == "sending" && (now - l.created_at).to_std().unwrap_or_default() > UNCONFIRMED_AFTER {
            let why = "not sent: its run was interrupted before the server answered, and no copy reached the \
                       shopper's mailbox";
            history.mark_failed(l.id, &l.failure.map_or(why.to_string(), |f| format!("{why} ({f})")), true).await?;
        }
    }
    Ok(())
}

/// The store's address: `email.to`, or with "discover" the one customer-facing address the
/// site shows (none, or several, is not a guess we make).
fn recipient(scenario: &Scenario, evidence: &Evidence) -> Result<Option<String>> {
    if !scenario.email.enabled || scenario.email.letters.is_empty() {
        return Ok(None);
    }
    match scenario.email.to.as_deref() {
        None => Err(Error::Email("email.enabled is true but email.to is missing".into())),
        Some("discover") => match evidence.contacts.emails.as_slice() {
            [one] => Ok(Some(one.clone())),
            [] => Err(Error::Email("email.to = \"discover\", but the site shows no e-mail address".into())),
            many => Err(Error::Email(format!(
                "email.to = \"discover\", but the site shows {} addresses ({}); name one in email.to",
                many.len(),
                many.join(", ")
            ))),
        },
        Some(address) => Ok(Some(address.to_string())),
    }
}

fn smtp(scenario: &Scenario) -> Result<&MailServer> {
    scenario
        .shopper
        .as_ref()
        .and_then(|s| s.smtp.as_ref())
        .ok_or_else(|| Error::Email("email.enabled is true but [shopper.smtp] is missing".into()))
}

fn describe(server: &MailServer) -> String {
    let tls = match server.tls {
        Tls::Implicit => "TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "plain text (loopback)",
    };
    format!("{}:{} ({tls})", server.host, server.port)
}

fn transport(server: &MailServer) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let bad = |e: lettre::transport::smtp::Error| {
        Error::Email(format!("{}: {}", describe(server), crate::probes::http::chain(&e)))
    };
    let tls = || -> Result<TlsParameters> {
        let mut params = TlsParameters::builder(server.host.clone());
        if let Some(path) = &server.ca_file {
            let pem = std::fs::read(path).map_err(|e| Error::io("cannot read CA file", path, e))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| Error::Email(format!("CA file {path}: {e}")))?;
            params = params.add_root_certificate(cert);
        }
        params.build_rustls().map_err(bad)
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host).port(server.port);
    builder = match server.tls {
        Tls::Implicit => builder.tls(SmtpTls::Wrapper(tls()?)),
        Tls::Starttls => builder.tls(SmtpTls::Required(tls()?)),
        Tls::None => builder.tls(SmtpTls::None),
    };
    if let Some(user) = &server.user {
        let secret = server.password.as_ref().ok_or_else(|| {
            Error::Email(format!("{} has a user but no password_env or password_file", describe(server)))
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), secret.read()?));
    }
    Ok(builder.timeout(Some(server.timeout)).build())
}

/// What a store's letters are judged by: whose they are, the store's zone, and per letter the
/// answer deadline and the words a complete answer holds.
#[derive(Debug, Clone)]
pub struct Terms {
    /// The store's key in the history.
    pub store: crate::model::StoreKey,
    /// The store's zone, for business time (UTC when unknown).
    pub tz: chrono_tz::Tz,
    /// The deadline of a letter the terms do not list.
    pub default_sla: std::time::Duration,
    /// Letter id → (deadline, expected words).
    pub letters: std::collections::HashMap<String, (std::time::Duration, Vec<String>)>,
}

impl Terms {
    /// The scenario's terms.
    pub fn of(scenario: &Scenario) -> Self {
        let default_sla = scenario.email.sla.map_or(crate::model::defaults::EMAIL_SLA, |s| s.0);
        Terms {
            store: scenario.key.clone(),
            tz: scenario.store.timezone.map_or(chrono_tz::UTC, |t| t.0),
            default_sla,
            letters: scenario
                .email
                .letters
                .iter()
                .map(|l| (l.id.clone(), (l.sla.map_or(default_sla, |s| s.0), l.expect.clone())))
                .collect(),
        }
    }

    /// The terms a saved report was judged by, for refreshing it from the history.
    pub fn of_report(report: &crate::model::Report) -> Self {
        Terms {
            store: report.store.history_key(),
            tz: report.store.timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(chrono_tz::UTC),
            default_sla: crate::model::defaults::EMAIL_SLA,
            letters: report
                .evidence
                .email_probes
                .iter()
                .map(|l| (l.id.clone(), (std::time::Duration::from_millis(l.sla_ms), l.expect.clone())))
                .collect(),
        }
    }
}

/// The store's letters in the history, with their replies, as report evidence.
pub async fn probes(
    history: &History,
    terms: &Terms,
    posted: &[PostedHours],
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Vec<EmailProbe>> {
    let business = business_hours(posted);
    let tz = terms.tz;
    let mut out = Vec::new();
    // A letter retried after a failure shows as its latest attempt; a scheduled letter shows
    // once per time it went out.
    let all = history.letters(&terms.store).await?;
    let superseded = |i: usize, l: &crate::history::Letter| {
        l.state == "failed" && all[i + 1..].iter().any(|n| n.letter == l.letter && n.attempt == l.attempt + 1)
    };
    let shown: Vec<crate::history::Letter> =
        all.iter().enumerate().filter(|(i, l)| !superseded(*i, l)).map(|(_, l)| l.clone()).collect();
    for l in shown {
        let (sla, expect) = terms.letters.get(&l.letter).cloned().unwrap_or((terms.default_sla, Vec::new()));
        let stored = history.replies(l.id).await?;
        let since = |at: chrono::DateTime<chrono::FixedOffset>| {
            l.sent_at.map(|sent| u64::try_from((at - sent).num_milliseconds()).unwrap_or(0))
        };
        let replies: Vec<EmailReply> = stored
            .iter()
            .filter(|r| r.kind != "bounce")
            .map(|r| EmailReply {
                received_at: r.received_at,
                from: r.from.clone(),
                kind: r.kind.clone(),
                ticket: r.ticket.clone(),
                signed_by: r.signed_by.clone(),
                received_from: r.received_from.clone(),
                matched_by: r.matched_by.clone(),
                why_auto: r.why_auto.clone(),
                missing: expect
                    .iter()
                    .filter(|w| !r.text.to_lowercase().contains(&w.to_lowercase()))
                    .cloned()
                    .collect(),
                only_link: only_link(&r.text),
                greets: greets(&r.text),
            })
            .collect();
        let first_at = replies.first().map(|r| r.received_at);
        let human_at = replies.iter().find(|r| r.kind == "human").map(|r| r.received_at);
        let first = first_at.and_then(since);
        let first_human = human_at.and_then(since);
        let in_hours = |at: Option<chrono::DateTime<chrono::FixedOffset>>| {
            let (osm, sent, at) = (business.as_deref()?, l.sent_at?, at?);
            crate::business_time::open_ms(osm, tz, sent, at)
        };
        let overdue = l.sent_at.is_some_and(|sent| (now - sent).to_std().unwrap_or_default() > sla);
        let state = match l.state.as_str() {
            "sent" if first_human.is_some() => "answered",
            "sent" if overdue => "unanswered",
            "sent" if first.is_some() => "acknowledged",
            "sent" => "pending",
            other => other,
        };
        out.push(EmailProbe {
            id: l.letter,
            message_id: l.message_id,
            to: l.to,
            subject: l.subject,
            sent_at: l.sent_at,
            state: state.to_string(),
            first_response_ms: first,
            first_human_response_ms: first_human,
            business_hours: business.clone(),
            first_response_business_ms: in_hours(first_at),
            first_human_response_business_ms: in_hours(human_at),
            replies,
            // A bounce comes after the server's 250: then the failure is the news.
            server: if l.state == "failed" { l.failure.or(l.server_response) } else { l.server_response.or(l.failure) },
            sla_ms: u64::try_from(sla.as_millis()).unwrap_or(u64::MAX),
            expect,
            attempt: l.attempt,
        });
    }
    Ok(out)
}

/// E-mail answers are owed in the e-mail channel's hours, else support's.
fn business_hours(posted: &[PostedHours]) -> Option<String> {
    [Channel::Email, Channel::Support]
        .iter()
        .find_map(|c| posted.iter().find(|h| h.channel == *c).and_then(|h| h.opening_hours.clone()))
}

/// A reply that is mostly a link ("see https://shop/terms") does not answer the question.
fn only_link(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let links = words.iter().filter(|w| w.starts_with("http://") || w.starts_with("https://")).count();
    links > 0 && words.len() <= 12
}

fn greets(text: &str) -> bool {
    let start = text.trim_start().to_lowercase();
    [
        "здравствуйте",
        "добрый",
        "привет",
        "hello",
        "hi",
        "dear",
        "good ",
        "γεια",
        "καλημέρα",
        "guten",
        "hallo",
        "sehr geehrte",
    ]
    .iter()
    .any(|g| start.starts_with(g))
}

/// A short random token, unremarkable inside a Message-ID.
fn token() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}
