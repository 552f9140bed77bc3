//! Reading a reply to one of the shopper's letters: who sent it and when, which letter it
//! answers (threading headers, the letter's token, or the subject and the store's domain, in
//! that order), whether a person or a machine wrote it, its ticket number, who signed it, and
//! its own text without the quoted letter. Parsing is mail-parser's (MIME, quoted-printable,
//! base64, windows-1251/KOI8-R bodies, HTML-only mail); the judgement words are data in
//! `probes/mail.toml`.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use mail_parser::{HeaderValue, MessageParser};
use regex::Regex;

use crate::knowledge::Knowledge;

/// A reply, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Its own Message-ID, `<…>`.
    pub message_id: Option<String>,
    /// Message-IDs it says it answers (In-Reply-To, then References), `<…>`.
    pub threads: Vec<String>,
    /// Sender address, lower case.
    pub from: String,
    /// Subject line.
    pub subject: String,
    /// Its Date header.
    pub date: Option<DateTime<FixedOffset>>,
    /// Written by a machine: why (a header, or wording), or `None` for a person.
    pub auto: Option<String>,
    /// A ticket or case number.
    pub ticket: Option<String>,
    /// The person who signed it.
    pub signed_by: Option<String>,
    /// Its own text, without the quoted letter.
    pub text: String,
    /// The whole text, quotes included: a form's answer often quotes the question, and with
    /// it the token that files it.
    pub quoting: String,
    /// A delivery failure report: the reason.
    pub bounce: Option<String>,
}

static QUOTE_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^(on .{5,200} wrote:|.{0,200}(написал|написала|пишет)\s*\(?а?\)?:|am .{5,200} schrieb .{0,100}:|-{2,}\s*(original message|исходное сообщение|ursprüngliche nachricht)\s*-{2,}|from:\s.+)\s*$")
        .expect("static regex")
});
/// The returned letter's Message-ID, in a delivery-status part or quoted in a plain report.
static DSN_MESSAGE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^[>\s]*Message-ID:\s*(<[^>\s]+>)").expect("static regex"));
/// A plain report's reason: the remote server's words with a 5xx code.
static PLAIN_REASON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)((?:5\d\d[ -](?:\d\.\d{1,3}\.\d{1,3}\s+)?|#5\.\d\.\d+\s*).{3,200})$").expect("static regex")
});
static DSN_ACTION_DELAYED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^Action:\s*delayed").expect("static regex"));
static DSN_ACTION_FAILED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^Action:\s*failed").expect("static regex"));
static DSN_DIAGNOSTIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^Diagnostic-Code:\s*(?:smtp;)?\s*(.+)$").expect("static regex"));
static TAGS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]+>").expect("static regex"));
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+){0,2}$").expect("static regex"));

/// Reads raw mail bytes; `None` when they are not a message at all.
pub fn read(raw: &[u8], k: &Knowledge) -> Option<Reply> {
    let msg = MessageParser::default().parse(raw)?;
    let ids = |v: &HeaderValue<'_>| -> Vec<String> {
        match v {
            HeaderValue::Text(t) => vec![format!("<{t}>")],
            HeaderValue::TextList(list) => list.iter().map(|t| format!("<{t}>")).collect(),
            _ => Vec::new(),
        }
    };
    let mut threads = ids(msg.in_reply_to());
    threads.extend(ids(msg.references()));
    let from = msg.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_lowercase();
    let subject = msg.subject().unwrap_or_default().to_string();
    let date = msg.date().and_then(|d| DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok());
    let body = msg
        .body_text(0)
        .map(|t| t.into_owned())
        .or_else(|| msg.body_html(0).map(|h| html_to_text(&h)))
        .unwrap_or_default();
    let text = own_text(&body);
    let header = |name: &str| msg.header_raw(name).map(|v| v.trim().to_lowercase());
    let content_type = header("Content-Type").unwrap_or_default();
    // A delivery report (some servers leave out its report-type), the mail system's own
    // sender, or a bounce's subject; never a report that the letter is only delayed.
    let report = content_type.contains("multipart/report")
        && (content_type.contains("report-type=delivery-status") || !content_type.contains("report-type"));
    let daemon = matches!(from.split('@').next(), Some("mailer-daemon" | "postmaster" | "post_master"));
    let delayed = || {
        let raw = String::from_utf8_lossy(raw);
        DSN_ACTION_DELAYED.is_match(&raw) && !DSN_ACTION_FAILED.is_match(&raw)
    };
    let bounce = ((report || daemon || k.mail.bounce_subjects.iter().any(|re| re.is_match(&subject))) && !delayed())
        .then(|| {
            // The delivery-status part is its own MIME part, in plain 7-bit: read it from the raw
            // message. The returned letter's headers name the letter that bounced.
            let raw = String::from_utf8_lossy(raw);
            for id in DSN_MESSAGE_ID.captures_iter(&raw).filter_map(|c| c.get(1)) {
                let id = id.as_str().to_string();
                if Some(&id) != msg.message_id().map(|m| format!("<{m}>")).as_ref() && !threads.contains(&id) {
                    threads.push(id);
                }
            }
            DSN_DIAGNOSTIC
                .captures(&raw)
                .or_else(|| PLAIN_REASON.captures(&body))
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().trim().to_string())
                .unwrap_or_else(|| subject.clone())
        });
    let auto = header("Auto-Submitted")
        .filter(|v| v != "no")
        .map(|v| format!("Auto-Submitted: {v}"))
        .or_else(|| header("X-Autoreply").map(|_| "X-Autoreply header".to_string()))
        .or_else(|| header("X-Autorespond").map(|_| "X-Autorespond header".to_string()))
        // Exchange marks its automatic replies and inbox-rule replies only so.
        .or_else(|| header("X-Auto-Response-Suppress").map(|v| format!("X-Auto-Response-Suppress: {v}")))
        .or_else(|| {
            header("X-MS-Exchange-Inbox-Rules-Loop").map(|_| "X-MS-Exchange-Inbox-Rules-Loop header".to_string())
        })
        .or_else(|| {
            k.mail.auto_subjects.iter().find(|re| re.is_match(&subject)).map(|re| format!("subject /{}/", re.as_str()))
        })
        .or_else(|| {
            header("Precedence")
                .filter(|v| matches!(v.as_str(), "bulk" | "auto_reply" | "junk"))
                .map(|v| format!("Precedence: {v}"))
        })
        .or_else(|| k.mail.auto.iter().find(|re| re.is_match(&text)).map(|re| format!("wording /{}/", re.as_str())))
        // A delay notice from the mail system: a machine's word, though no bounce.
        .or_else(|| (report || daemon).then(|| "a delivery report".to_string()));
    let ticket = [subject.as_str(), text.as_str()].iter().find_map(|t| {
        k.mail.ticket.iter().find_map(|re| re.captures(t).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()))
    });
    let signed_by = signer(&text, &k.mail.closings);
    Some(Reply {
        message_id: msg.message_id().map(|m| format!("<{m}>")),
        threads,
        from,
        subject,
        date,
        auto,
        ticket,
        signed_by,
        quoting: body.clone(),
        text,
        bounce,
    })
}

/// The reply's own words: quoted lines (`>`) and everything from the quote header on go.
fn own_text(body: &str) -> String {
    let cut = QUOTE_HEAD.find(body).map_or(body.len(), |m| m.start());
    body[..cut].lines().filter(|l| !l.trim_start().starts_with('>')).collect::<Vec<_>>().join("\n").trim().to_string()
}

fn html_to_text(html: &str) -> String {
    let with_breaks = html.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n").replace("</p>", "\n");
    TAGS.replace_all(&with_breaks, "").replace("&nbsp;", " ").replace("&amp;", "&")
}

/// The name after a closing ("Best regards,\nJulia Ivanova"), or a name alone on the last line.
fn signer(text: &str, closings: &[String]) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let is_name = |l: &str| {
        let name = l.split([',', '|']).next().unwrap_or(l).trim();
        NAME.is_match(name).then(|| name.to_string())
    };
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if closings.iter().any(|c| lower.trim_end_matches([',', '!', '.']) == c.as_str()) {
            if let Some(name) = lines.get(i + 1).and_then(|l| is_name(l)) {
                return Some(name);
            }
        }
    }
    lines.last().and_then(|l| is_name(l)).filter(|n| n.contains(' '))
}

/// Subject without reply and forward prefixes and without helpdesk tags ("[Acme Support]",
/// "[#48213]"), for matching a reply that lost its thread.
pub fn bare_subject(subject: &str) -> String {
    static PREFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\s*((re|fwd?|aw|wg|sv|ответ|отв|απ|σχετ)\s*:\s*)+").expect("static regex"));
    static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[[^\]]*\]").expect("static regex"));
    let untagged = TAG.replace_all(subject, " ");
    let words = PREFIX.replace(&untagged, "").split_whitespace().collect::<Vec<_>>().join(" ");
    words.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k() -> Knowledge {
        Knowledge::load().unwrap()
    }

    #[test]
    fn a_human_reply_with_ticket_and_signature() {
        let raw = "From: Julia <julia@store.test>\r\nTo: a@audit.test\r\nSubject: Re: Доставка [#48213]\r\n\
                   Message-ID: <r1@store.test>\r\nIn-Reply-To: <l1@audit.test>\r\nReferences: <l0@x> <l1@audit.test>\r\n\
                   Date: Fri, 27 Nov 2026 10:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                   Здравствуйте! Да, доставляем в Казань, стоимость 300 рублей.\r\n\r\nС уважением,\r\nЮлия Иванова\r\n\r\n\
                   > Доставляете ли вы в Казань?\r\n";
        let r = read(raw.as_bytes(), &k()).unwrap();
        assert_eq!(r.threads, ["<l1@audit.test>", "<l0@x>", "<l1@audit.test>"]);
        assert_eq!(r.auto, None);
        assert_eq!(r.ticket.as_deref(), Some("48213"));
        assert_eq!(r.signed_by.as_deref(), Some("Юлия Иванова"));
        assert!(!r.text.contains("Доставляете ли"), "quote removed: {}", r.text);
        assert_eq!(r.date.unwrap().to_rfc3339(), "2026-11-27T10:00:00+03:00");
    }

    #[test]
    fn automatic_replies_by_header_or_wording() {
        let by_header = "From: s@store.test\r\nSubject: Re: x\r\nAuto-Submitted: auto-replied\r\n\r\nHello\r\n";
        assert!(read(by_header.as_bytes(), &k()).unwrap().auto.unwrap().contains("auto-replied"));
        let by_words = "From: s@store.test\r\nSubject: Re: x\r\n\r\nВаше обращение получено и зарегистрировано под номером 5512.\r\n";
        let r = read(by_words.as_bytes(), &k()).unwrap();
        assert!(r.auto.is_some());
        assert_eq!(r.ticket, None, "\"номером 5512\" without a ticket word");
    }

    #[test]
    fn windows_1251_and_html_only_bodies() {
        let (body, _, _) = encoding_rs::WINDOWS_1251.encode("Добрый день! Доставка в Казань стоит 300 рублей.");
        let mut raw = b"From: s@store.test\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        assert!(read(&raw, &k()).unwrap().text.contains("Казань"));
        let html = "From: s@store.test\r\nSubject: Re: x\r\nContent-Type: text/html\r\n\r\n<p>We ship to <b>Kazan</b></p><p>Best regards,<br>Mark Stone</p>";
        let r = read(html.as_bytes(), &k()).unwrap();
        assert!(r.text.contains("We ship to Kazan"), "{}", r.text);
        assert_eq!(r.signed_by.as_deref(), Some("Mark Stone"));
    }

    #[test]
    fn a_delivery_status_notification_names_the_letter_and_the_reason() {
        let raw = "From: MAILER-DAEMON@store.test\r\nTo: a@audit.test\r\nMessage-ID: <dsn1@store.test>\r\n\
                   Subject: Undelivered Mail Returned to Sender\r\n\
                   Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
                   --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.store.test\r\n\r\n\
                   Final-Recipient: rfc822; support@store.test\r\nAction: failed\r\nStatus: 5.2.2\r\n\
                   Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\
                   --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <l1.tok@audit.test>\r\nSubject: x\r\n--b--\r\n";
        let r = read(raw.as_bytes(), &k()).unwrap();
        assert_eq!(r.bounce.as_deref(), Some("552 5.2.2 Mailbox full"));
        assert_eq!(r.threads, ["<l1.tok@audit.test>"]);
    }

    #[test]
    fn a_plain_text_bounce_quotes_the_letter_and_the_reason() {
        let raw =
            "From: Mail Gateway <gateway@sms.carrier.test>\r\nTo: a@audit.test\r\nMessage-ID: <b1@carrier.test>\r\n\
                   Subject: Returned mail: see transcript for details\r\nContent-Type: text/plain\r\n\r\n\
                   The original message was received at Thu, 3 Dec 2026 09:00:01 +0300\r\n\
                   ----- The following addresses had permanent fatal errors -----\r\n<support@store.test>\r\n\
                   ----- Transcript of session follows -----\r\n\
                   550 5.1.1 <support@store.test>... User unknown\r\n\r\n\
                   ----- Original message -----\r\n> Message-ID: <l1@audit.test>\r\n> Subject: Delivery\r\n";
        let r = read(raw.as_bytes(), &k()).unwrap();
        assert_eq!(r.bounce.as_deref(), Some("550 5.1.1 <support@store.test>... User unknown"));
        assert!(r.threads.contains(&"<l1@audit.test>".to_string()), "{:?}", r.threads);
    }

    #[test]
    fn exchange_automatic_replies_by_header_or_subject() {
        for raw in [
            "From: s@store.test\r\nSubject: Re: x\r\nX-Auto-Response-Suppress: All\r\n\r\nI am away until Monday.\r\n",
            "From: s@store.test\r\nSubject: Re: x\r\nX-MS-Exchange-Inbox-Rules-Loop: s@store.test\r\n\r\nThanks.\r\n",
            "From: s@store.test\r\nSubject: Automatic reply: Delivery\r\n\r\nI am out of the office.\r\n",
            "From: s@store.test\r\nSubject: Автоматический ответ: Доставка\r\n\r\nЯ в отпуске.\r\n",
        ] {
            assert!(read(raw.as_bytes(), &k()).unwrap().auto.is_some(), "{raw}");
        }
        let person = "From: s@store.test\r\nSubject: Re: Automatic replies are annoying\r\n\r\nYes, we deliver.\r\n";
        assert!(read(person.as_bytes(), &k()).unwrap().auto.is_none());
    }

    #[test]
    fn greek_and_german_acknowledgements_and_signatures() {
        let greek = "From: s@store.gr\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                     Λάβαμε το αίτημά σας και θα σας απαντήσουμε σύντομα. Αίτημα #48213.\r\n";
        let r = read(greek.as_bytes(), &k()).unwrap();
        assert!(r.auto.as_deref().unwrap().starts_with("wording"), "{r:?}");
        assert_eq!(r.ticket.as_deref(), Some("48213"));
        let german = "From: s@store.de\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                      Guten Tag Frau Petrova,\r\n\r\nja, wir liefern nach Kasan, Vorgang 7731.\r\n\r\n\
                      Mit freundlichen Grüßen\r\nJonas Becker\r\n";
        let r = read(german.as_bytes(), &k()).unwrap();
        assert_eq!((r.auto.as_deref(), r.ticket.as_deref()), (None, Some("7731")));
        assert_eq!(r.signed_by.as_deref(), Some("Jonas Becker"));
    }

    #[test]
    fn subjects_lose_their_prefixes() {
        assert_eq!(bare_subject("Re: AW: Fwd: Доставка в Казань"), "доставка в казань");
        assert_eq!(bare_subject("Ответ: Доставка"), "доставка");
        assert_eq!(bare_subject("[Acme Support] Re: Доставка  в Казань [#48213]"), "доставка в казань");
        assert_eq!(bare_subject("Re[2]: Доставка"), "доставка");
    }
}
