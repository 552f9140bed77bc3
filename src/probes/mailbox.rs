//! The e-mail probe, reading side: one login to the shopper's mailbox reads every message that
//! arrived since the last run (a UID cursor per mailbox, reset when the UID validity changes),
//! in batched UID FETCHes, and files each reply under the letter it answers: by its threading
//! headers, then by the letter's token, then by subject and the store's domain, then by subject
//! alone (a helpdesk answering from its own domain in a new thread) — the way it
//! matched is recorded. Bounces mark their letter failed with the reason.

use std::future::Future;
use std::sync::Arc;

use chrono::{FixedOffset, Utc};
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, Result};
use crate::extract::reply::{self, bare_subject, Reply};
use crate::history::{History, MailKind, Sent, StoredReply, Written};
use crate::knowledge::Knowledge;
use crate::model::evidence::{MatchedBy, Unfiled};
use crate::scenario::{MailServer, Tls};

/// Messages fetched per UID FETCH round trip.
const BATCH: usize = 200;

/// What one collection found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// New messages read.
    pub read: usize,
    /// Of those, replies filed under a letter.
    pub replies: usize,
}

/// A mail connection, plain (loopback) or TLS, behind one type.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
type Session = async_imap::Session<Box<dyn Io>>;

/// How long one IDLE lasts before it is renewed (servers drop idle clients after ~30 min).
const IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// Reads the mailbox once and files new replies in the history.
pub async fn collect(server: &MailServer, history: &History, knowledge: &Knowledge) -> Result<Collected> {
    let (mut session, mailbox) = open(server).await?;
    // Reading may take long on a first run over a big mailbox; a server silent for ten steps'
    // time is not reading.
    let found = within_for(
        server.timeout * 10,
        server,
        "reading",
        fetch_new(&mut session, &mailbox, server, history, knowledge),
    )
    .await;
    let _ = tokio::time::timeout(server.timeout, session.logout()).await;
    found
}

/// Stays connected and files each reply as it arrives (IMAP IDLE), reconnecting after a
/// dropped connection, a server restart or a network error; never returns unless the history
/// cannot be written. `heard` is told about every batch read.
pub async fn watch(
    server: &MailServer,
    history: &History,
    knowledge: &Knowledge,
    heard: &(dyn Fn(Collected) + Sync),
) -> Result<()> {
    // Waits of 0.5 s doubling to 30 s, jittered so that many watchers of one restarted
    // server do not come back in step; a connection that ended well starts them again.
    const RECONNECT: backon::ExponentialBuilder = backon::ExponentialBuilder::new()
        .with_min_delay(std::time::Duration::from_millis(500))
        .with_max_delay(std::time::Duration::from_secs(30))
        .without_max_times()
        .with_jitter();
    use backon::BackoffBuilder;
    let mut waits = RECONNECT.build();
    loop {
        match watch_once(server, history, knowledge, heard).await {
            Err(e @ Error::History { .. }) => return Err(e),
            Err(e) => {
                let wait = waits.next().unwrap_or(std::time::Duration::from_secs(30));
                tracing::warn!("mailbox watch: {e}; reconnecting in {} ms", wait.as_millis());
                tokio::time::sleep(wait).await;
            }
            Ok(()) => waits = RECONNECT.build(),
        }
    }
}

/// One connection's life: read what is new, then IDLE until the server says more arrived.
async fn watch_once(
    server: &MailServer,
    history: &History,
    knowledge: &Knowledge,
    heard: &(dyn Fn(Collected) + Sync),
) -> Result<()> {
    let fail = |e: async_imap::error::Error| imap_error(server, "idle", e);
    let (mut session, mailbox) = open(server).await?;
    loop {
        let read = fetch_new(&mut session, &mailbox, server, history, knowledge);
        heard(within_for(server.timeout * 10, server, "reading", read).await?);
        let mut idle = session.idle();
        within(server, "idle", async { idle.init().await.map_err(fail) }).await?;
        // The wait ends by itself after IDLE_FOR; a server gone silent is caught then, at the
        // renewal, whose answer has the usual deadline.
        let (wait, _interrupt) = idle.wait_with_timeout(IDLE_FOR);
        within_for(IDLE_FOR + server.timeout, server, "idle", async { wait.await.map_err(fail) }).await?;
        session = within(server, "idle", async { idle.done().await.map_err(fail) }).await?;
    }
}

/// `step` within the server's deadline (`[shopper.imap] timeout`): a server that keeps the
/// connection open and says nothing is given up on, never waited for.
async fn within<T>(server: &MailServer, what: &str, step: impl Future<Output = Result<T>>) -> Result<T> {
    within_for(server.timeout, server, what, step).await
}

async fn within_for<T>(
    limit: std::time::Duration,
    server: &MailServer,
    what: &str,
    step: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, step).await.map_err(|_| {
        let limit = humantime::format_duration(limit);
        Error::mailbox(format!("IMAP {}:{}: {what}: no answer within {limit}", server.host, server.port))
    })?
}

/// An IMAP failure, saying which server and which step, keeping the client's error.
fn imap_error(server: &MailServer, what: &str, e: impl Into<crate::error::Cause>) -> Error {
    Error::mailbox_by(format!("IMAP {}:{}: {what}", server.host, server.port), e)
}

/// The mailbox's identity: its cursor key and UID validity.
struct Mailbox {
    key: String,
    validity: u32,
}

async fn open(server: &MailServer) -> Result<(Session, Mailbox)> {
    let where_ = format!("{}:{}", server.host, server.port);
    let fail = |what: &str, e: async_imap::error::Error| imap_error(server, what, e);
    let tcp = within(server, "connect", async {
        tokio::net::TcpStream::connect((server.host.as_str(), server.port))
            .await
            .map_err(|e| imap_error(server, "connect", e))
    })
    .await?;
    let tls = |tcp| {
        within(server, "TLS", async {
            tls_connector(server)?.connect(server_name(server)?, tcp).await.map_err(|e| imap_error(server, "TLS", e))
        })
    };
    let (stream, greeted): (Box<dyn Io>, bool) = match server.tls {
        Tls::None => (Box::new(tcp), false),
        Tls::Implicit => (Box::new(tls(tcp).await?), false),
        Tls::Starttls => {
            let mut plain = async_imap::Client::new(tcp);
            within(server, "greeting", async {
                plain.read_response().await.map_err(|e| imap_error(server, "greeting", e))
            })
            .await?;
            within(server, "STARTTLS", async {
                plain.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| fail("STARTTLS", e))
            })
            .await?;
            // The greeting came before the handshake; none follows it.
            (Box::new(tls(plain.into_inner()).await?), true)
        }
    };
    let user = server.user.clone().ok_or_else(|| Error::email(format!("IMAP {where_}: no user in [shopper.imap]")))?;
    let secret = server
        .password
        .as_ref()
        .ok_or_else(|| Error::email(format!("IMAP {where_}: no password_env or password_file")))?;
    let mut client = async_imap::Client::new(stream);
    if !greeted {
        within(server, "greeting", async {
            client.read_response().await.map_err(|e| imap_error(server, "greeting", e))
        })
        .await?;
    }
    let password = secret.read()?;
    let mut session =
        within(server, "login", async { client.login(&user, password).await.map_err(|(e, _)| fail("login", e)) })
            .await?;
    let folder = server.mailbox.as_deref().unwrap_or("INBOX");
    let what = format!("select {folder}");
    let selected = within(server, &what, async { session.select(folder).await.map_err(|e| fail(&what, e)) }).await?;
    let mailbox = Mailbox { key: format!("{user}@{where_}/{folder}"), validity: selected.uid_validity.unwrap_or(0) };
    Ok((session, mailbox))
}

fn server_name(server: &MailServer) -> Result<rustls_pki_types::ServerName<'static>> {
    rustls_pki_types::ServerName::try_from(server.host.clone())
        .map_err(|e| Error::email_by(format!("{} is not a host name for TLS", server.host), e))
}

fn tls_connector(server: &MailServer) -> Result<tokio_rustls::TlsConnector> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = tokio_rustls::rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = &server.ca_file {
        for cert in rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| Error::email_by(format!("CA file {path}"), e))?
        {
            let cert = cert.map_err(|e| Error::email_by(format!("CA file {path}"), e))?;
            roots.add(cert).map_err(|e| Error::email_by(format!("CA file {path}"), e))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::email_by("TLS", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Reads every message after the mailbox's cursor, in batches, and files the replies.
async fn fetch_new(
    session: &mut Session,
    mailbox: &Mailbox,
    server: &MailServer,
    history: &History,
    knowledge: &Knowledge,
) -> Result<Collected> {
    let fail = |what: &str, e: async_imap::error::Error| imap_error(server, what, e);
    let (key, validity) = (&mailbox.key, mailbox.validity);
    let last = history.cursor(key, validity).await?;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last + 1))
        .await
        .map_err(|e| fail("search", e))?
        .into_iter()
        .filter(|u| *u > last)
        .collect();
    uids.sort_unstable();
    let letters = history.sent_letters().await?;
    let mut found = Collected::default();
    for batch in uids.chunks(BATCH) {
        let set = batch.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetched: Vec<_> = session
            .uid_fetch(&set, "(UID INTERNALDATE BODY.PEEK[])")
            .await
            .map_err(|e| fail("fetch", e))?
            .collect()
            .await;
        for f in fetched {
            let f = f.map_err(|e| fail("fetch", e))?;
            let (Some(uid), Some(body)) = (f.uid, f.body()) else { continue };
            found.read += 1;
            let Some(reply) = reply::read(body, knowledge) else { continue };
            let (received_at, received_from) = match (f.internal_date(), reply.date) {
                (Some(d), _) => (d, "imap internaldate"),
                (None, Some(d)) => (d, "date header"),
                (None, None) => (Utc::now().fixed_offset(), "collection time"),
            };
            // The shopper's own copy of a letter: proof it was sent, never a reply.
            if let Some(own) = letters.iter().find(|l| reply.message_id.as_ref() == Some(&l.message_id)) {
                if !own.confirmed {
                    history.confirm_from_copy(own.id, received_at, &mailbox.key).await?;
                }
                continue;
            }
            let source = format!("{key};{validity};{uid}");
            let Some((letter, matched_by)) = match_letter(&reply, &letters) else {
                let domain = reply.from.rsplit('@').next().unwrap_or_default().to_lowercase();
                if let ByDomain::Several { store, waiting } = by_store_domain(&domain, &letters) {
                    let mail =
                        Unfiled { received_at, from: reply.from.clone(), subject: reply.subject.clone(), waiting };
                    history.add_unfiled(store, &source, &mail).await?;
                }
                continue;
            };
            let stored = stored(&reply, source, received_at, received_from, matched_by);
            if history.add_reply(letter.id, &stored).await? {
                found.replies += 1;
            }
        }
        if let Some(max) = batch.last() {
            history.set_cursor(key, validity, *max).await?;
        }
    }
    Ok(found)
}

fn stored(
    r: &Reply,
    source: String,
    received_at: chrono::DateTime<FixedOffset>,
    received_from: &str,
    matched_by: MatchedBy,
) -> StoredReply {
    let kind = if r.bounce.is_some() {
        MailKind::Bounce
    } else if r.auto.is_some() {
        MailKind::Auto
    } else {
        MailKind::Human
    };
    StoredReply {
        source,
        message_id: r.message_id.clone(),
        received_at,
        received_from: received_from.to_string(),
        from: r.from.clone(),
        kind,
        why_auto: r.auto.clone(),
        ticket: r.ticket.clone(),
        signed_by: r.signed_by.clone(),
        matched_by,
        text: r.bounce.clone().unwrap_or_else(|| r.text.clone()),
    }
}

/// The letter a message answers, and how that was decided.
pub fn match_letter<'a>(r: &Reply, letters: &'a [Sent]) -> Option<(&'a Sent, MatchedBy)> {
    if let Some(l) = letters.iter().find(|l| r.threads.contains(&l.message_id)) {
        return Some((l, MatchedBy::Thread));
    }
    if let Some(l) = letters.iter().find(|l| {
        r.subject.contains(&l.token) || r.quoting.contains(&l.token) || r.threads.iter().any(|t| t.contains(&l.token))
    }) {
        return Some((l, MatchedBy::Token));
    }
    let domain = |a: &str| a.rsplit('@').next().unwrap_or_default().to_lowercase();
    let subject = bare_subject(&r.subject);
    let same_subject = || letters.iter().rev().filter(|l| !subject.is_empty() && bare_subject(&l.subject) == subject);
    if let Some(l) = same_subject().find(|l| domain(&l.to) == domain(&r.from)) {
        return Some((l, MatchedBy::SubjectAndDomain));
    }
    // A helpdesk writing from its own domain, in a new thread: the subject alone.
    if let Some(l) = same_subject().next() {
        return Some((l, MatchedBy::Subject));
    }
    match by_store_domain(&domain(&r.from), letters) {
        ByDomain::Only(l) => Some((l, MatchedBy::StoreDomain)),
        _ => None,
    }
}

/// What a message from a store's own domain, with neither thread, token nor a known subject,
/// can be tied to.
#[derive(Debug, PartialEq, Eq)]
pub enum ByDomain<'a> {
    /// No store's contact form sits on that domain.
    Nothing,
    /// The store's one question still waiting for a person's answer, asked through its form.
    Only(&'a Sent),
    /// The store has a question through its form and others waiting: left unfiled (round
    /// two's rule), and the report says so.
    Several {
        /// The store.
        store: &'a crate::model::StoreKey,
        /// How many of its questions wait.
        waiting: usize,
    },
}

/// A reply with neither thread, token nor subject, from the store's own domain, goes to a
/// question put through its contact form only when that is the store's one item still
/// awaiting a person's answer; otherwise it is left unmatched.
pub fn by_store_domain<'a>(from_domain: &str, letters: &'a [Sent]) -> ByDomain<'a> {
    let site = |page: &str| url::Url::parse(page).ok().and_then(|u| u.host_str().map(str::to_lowercase));
    let same_site = |host: &str| {
        let (a, b) = (host.trim_start_matches("www."), from_domain.trim_start_matches("www."));
        !a.is_empty() && (a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")))
    };
    let Some(form) = letters
        .iter()
        .rev()
        .find(|l| l.via == Written::Form && !l.answered && site(&l.to).is_some_and(|h| same_site(&h)))
    else {
        return ByDomain::Nothing;
    };
    match letters.iter().filter(|l| l.store == form.store && !l.answered).count() {
        1 => ByDomain::Only(form),
        waiting => ByDomain::Several { store: &form.store, waiting },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(id: i64, store: &str, via: Written, to: &str, answered: bool) -> Sent {
        Sent {
            id,
            message_id: format!("<{id}@audit.test>"),
            token: format!("tok{id}"),
            to: to.into(),
            subject: if via == Written::Email { "Delivery".into() } else { String::new() },
            confirmed: true,
            store: crate::model::StoreKey::new(store),
            via,
            answered,
        }
    }

    fn reply(from: &str, subject: &str, text: &str) -> Reply {
        Reply {
            message_id: Some("<r@shop.example>".into()),
            threads: Vec::new(),
            from: from.into(),
            subject: subject.into(),
            date: None,
            auto: None,
            ticket: None,
            signed_by: None,
            text: text.into(),
            quoting: text.into(),
            bounce: None,
        }
    }

    #[test]
    fn a_form_answer_is_found_by_its_token_then_by_the_store_domain_when_alone() {
        let form = sent(1, "shop", Written::Form, "https://www.shop.example/contacts", false);
        let other = sent(2, "other", Written::Email, "help@other.example", false);
        let letters = [form.clone(), other.clone()];
        let by_token = match_letter(&reply("anna@x.test", "Ваше обращение", "> Вопрос (tok1)"), &letters);
        assert_eq!(by_token.map(|(l, how)| (l.id, how)), Some((1, MatchedBy::Token)));
        let by_domain = match_letter(&reply("support@shop.example", "Ответ на обращение", "Да, есть."), &letters);
        assert_eq!(by_domain.map(|(l, how)| (l.id, how)), Some((1, MatchedBy::StoreDomain)));
        // Another site's mail is no answer to it.
        assert!(match_letter(&reply("support@elsewhere.example", "Ответ", "Да."), &letters).is_none());
    }

    #[test]
    fn a_form_answer_without_token_stays_unmatched_when_the_store_awaits_more() {
        let form = sent(1, "shop", Written::Form, "https://shop.example/contacts", false);
        let letter = sent(2, "shop", Written::Email, "help@shop.example", false);
        let letters = [form.clone(), letter.clone()];
        assert!(match_letter(&reply("support@shop.example", "Ответ", "Да."), &letters).is_none());
        assert_eq!(
            by_store_domain("shop.example", &letters),
            ByDomain::Several { store: &crate::model::StoreKey::new("shop"), waiting: 2 }
        );
        assert_eq!(by_store_domain("elsewhere.example", &letters), ByDomain::Nothing);
        // Once the letter has its answer, the form is the one item left.
        let letters = [form, sent(2, "shop", Written::Email, "help@shop.example", true)];
        let found = match_letter(&reply("support@shop.example", "Ответ", "Да."), &letters);
        assert_eq!(found.map(|(l, _)| l.id), Some(1));
        // A reply with no subject never matches a question that had none.
        let blank = [sent(1, "shop", Written::Form, "https://shop.example/contacts", true)];
        assert!(match_letter(&reply("support@elsewhere.example", "", "Да."), &blank).is_none());
    }
}
