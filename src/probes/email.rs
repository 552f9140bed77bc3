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
use crate::history::{History, NewLetter, SendState};
use crate::model::evidence::{EmailProbe, Evidence, LetterState, PostedHours};
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

/// Sends the scenario's due letters and reads the shopper's mailbox for replies (when
/// `[shopper.imap]` is set). Everything sent and read goes to the history; what comes back is
/// what the history cannot hold: in a dry run the letters that would go out, and why the
/// mailbox could not be read, if it could not.
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
        _ => return Ok((Vec::new(), None)),
    };
    let from: Mailbox = format!("{} <{}>", shopper.name, shopper.email)
        .parse()
        .map_err(|e| Error::email_by(format!("shopper.email {:?} is not an address", shopper.email), e))?;
    let to_box: Mailbox =
        to.parse().map_err(|e| Error::email_by(format!("store address {to:?} is not an address"), e))?;
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
        return Ok((Vec::new(), Some(why)));
    }
    let mut dry = Vec::new();
    let mut login_checked = false;
    let hours = PostedHours::for_email(&evidence.hours);
    for letter in &scenario.email.letters {
        let Some((attempt, slot)) = due(scenario, history, &letter.id, &to, hours, clock).await? else { continue };
        let (subject, body) = crate::scenario::letter::render(scenario, letter).map_err(Error::email)?;
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
        let message = message
            .body(body.clone())
            .map_err(|e| Error::email_by(format!("letter {:?} cannot be built", letter.id), e))?;
        let Some(transport) = &transport else {
            dry.push(EmailProbe {
                id: letter.id.clone(),
                message_id,
                to: to.clone(),
                subject,
                sent_at: None,
                state: LetterState::DryRun,
                first_response_ms: None,
                first_human_response_ms: None,
                business_hours: None,
                first_response_business_ms: None,
                first_human_response_business_ms: None,
                replies: Vec::new(),
                server: Some(format!("would be sent from {} over {}", shopper.email, describe(server))),
                sla_ms: u64::try_from(scenario.email.sla_of(letter).as_millis()).unwrap_or(u64::MAX),
                expect: crate::extract::answer::all_words(&letter.questions),
                questions: Vec::new(),
                completeness: None,
                attempt,
                reading: None,
            });
            continue;
        };
        if !login_checked {
            check_login(transport, server).await?;
            login_checked = true;
        }
        let row = history
            .begin_letter(&NewLetter {
                store,
                letter: &letter.id,
                message_id: &message_id,
                token: &token,
                from: &shopper.email,
                to: &to,
                subject: &subject,
                body: &body,
                attempt,
                at: now(),
                slot: slot.as_deref(),
                via: crate::history::Written::Email,
            })
            .await?;
        let Some(row) = row else {
            tracing::info!("letter {} of {store} was claimed by another process, which sends it", letter.id);
            continue;
        };
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
                history.note_unconfirmed(row, &crate::error::chain(&e)).await?;
            }
            Err(e) => {
                let retry = !e.is_permanent() || login_refused(&e);
                history.mark_failed(row, &crate::error::chain(&e), retry).await?
            }
        }
    }
    if let (Some(imap), MailboxReads::Here) = (imap, reads) {
        // Automatic acknowledgements often come at once.
        if let Err(e) = crate::probes::mailbox::collect(imap, history, knowledge).await {
            mailbox_error = Some(e.to_string());
        }
    }
    Ok((dry, mailbox_error))
}

/// The shopper's own server refusing the shopper's login is a setting to fix, not the store's
/// failure: it is found before any letter is recorded, so the letter goes out once the user
/// fixes the password. Silence and connection trouble are left to the letter's own attempt,
/// which records them and is retried.
async fn check_login(transport: &AsyncSmtpTransport<Tokio1Executor>, server: &MailServer) -> Result<()> {
    if server.user.is_none() {
        return Ok(());
    }
    match tokio::time::timeout(server.timeout * 2, transport.test_connection()).await {
        Ok(Err(e)) if login_refused(&e) => Err(Error::email_by(
            format!(
                "{} refused the shopper's login, so no letter was sent; check user and the password in \
                 [shopper.smtp]",
                describe(server)
            ),
            e,
        )),
        _ => Ok(()),
    }
}

/// 530 (log in first), 534 (mechanism too weak), 535 (wrong credentials), 538 (needs TLS), or
/// the server offers no login the client can use.
fn login_refused(e: &lettre::transport::smtp::Error) -> bool {
    e.status().is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538")) || e.is_client()
}

/// After the mailbox was read through: a letter still unconfirmed long after it was recorded
/// has no copy, so the server never took it; a later attempt may send it.
async fn give_up_unconfirmed(
    history: &History,
    store: &crate::model::StoreKey,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<()> {
    for l in history.letters(store).await? {
        // A form's question leaves no copy in the mailbox: it stays as the click left it.
        if l.via == crate::history::Written::Email
            && l.state == SendState::Sending
            && (now - l.created_at).to_std().unwrap_or_default() > UNCONFIRMED_AFTER
        {
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
        None => Err(Error::email("email.enabled is true but email.to is missing")),
        Some("discover") => match evidence.contacts.emails.as_slice() {
            [one] => Ok(Some(one.clone())),
            [] => Err(Error::email("email.to = \"discover\", but the site shows no e-mail address")),
            many => Err(Error::email(format!(
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
        .ok_or_else(|| Error::email("email.enabled is true but [shopper.smtp] is missing"))
}

fn describe(server: &MailServer) -> String {
    let tls = match server.tls {
        Tls::Implicit => "TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "plain text (loopback)",
    };
    format!("{}:{} ({tls})", server.host, server.port)
}

pub(crate) fn transport(server: &MailServer) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let bad = |e: lettre::transport::smtp::Error| Error::email_by(describe(server), e);
    let tls = || -> Result<TlsParameters> {
        let mut params = TlsParameters::builder(server.host.clone());
        if let Some(path) = &server.ca_file {
            let pem = std::fs::read(path).map_err(|e| Error::io("cannot read CA file", path, e))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| Error::email_by(format!("CA file {path}"), e))?;
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
            Error::email(format!("{} has a user but no password_env or password_file", describe(server)))
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), secret.read()?));
    }
    Ok(builder.timeout(Some(server.timeout)).build())
}

/// A short random token, unremarkable inside a Message-ID.
fn token() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Whether a written question (a letter, or a question for the contact form) to `to` is due
/// now, and as which attempt and claimed slot.
pub(crate) async fn due(
    scenario: &Scenario,
    history: &History,
    id: &str,
    to: &str,
    hours: Option<&str>,
    clock: &crate::clock::Clock,
) -> Result<Option<(u32, Option<String>)>> {
    // Without a schedule a letter goes out once; with one, once per period at its planned
    // time. A failure the server did not call final is retried first, either way.
    let plan = scenario.schedule.as_ref().map(|schedule| crate::schedule::Plan {
        schedule,
        store: scenario.key.as_str(),
        letter: id,
        tz: scenario.tz(),
        hours,
    });
    // The slot the letter is due in, if it is due: claimed when it is recorded, so that two
    // processes never both send it ("every run" letters claim none).
    // A letter goes once to each recipient: a scenario whose `email.to` changed writes to
    // the new address too.
    let due_slot = |last| match &plan {
        None => Some(Some(format!("once to {to}"))),
        Some(p) => match (p.due(clock.now(), last), &p.schedule.letters) {
            (_, Some(crate::scenario::Cadence::EveryRun) | None) => Some(None),
            (crate::schedule::Due::Now(planned), _) => Some(Some(planned.to_rfc3339())),
            _ => None,
        },
    };
    Ok(Some(match history.latest(&scenario.key, id, Some(to)).await? {
        Some(l) if l.state == SendState::Failed && l.retry && l.attempt < MAX_ATTEMPTS => {
            (l.attempt + 1, Some(format!("retry of {}", l.id)))
        }
        Some(l) if plan.is_some() => match due_slot(Some(l.created_at.to_utc())) {
            Some(slot) => (1, slot),
            None => return Ok(None),
        },
        Some(_) => return Ok(None), // sent, or attempted for good: never again silently
        None => match due_slot(None) {
            Some(slot) => (1, slot),
            None => return Ok(None),
        },
    }))
}
