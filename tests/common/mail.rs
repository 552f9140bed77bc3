//! The mail lab for tests: scripts/mail-lab started in a temp dir (real dovecot IMAP and LMTP,
//! a real SMTP server in front), stopped when dropped.

use std::path::PathBuf;
use std::process::Command;

use futures::StreamExt;

pub struct MailLab {
    pub dir: tempfile::TempDir,
    pub smtp_port: u16,
    pub imap_port: u16,
    /// Implicit-TLS ports and the test CA, when started with [`MailLab::start_tls`].
    pub smtps_port: u16,
    pub imaps_port: u16,
    pub ca: Option<PathBuf>,
}

impl MailLab {
    pub fn start() -> MailLab {
        Self::launch(false)
    }

    /// Also serves SMTPS and IMAPS with a certificate from a throwaway CA.
    pub fn start_tls() -> MailLab {
        Self::launch(true)
    }

    fn launch(tls: bool) -> MailLab {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::lab::start_lab("mail-lab", dir.path(), &[("MAIL_LAB_TLS", if tls { "1" } else { "0" })]);
        MailLab {
            smtp_port: env["MAIL_LAB_SMTP_PORT"].parse().unwrap(),
            imap_port: env["MAIL_LAB_IMAP_PORT"].parse().unwrap(),
            smtps_port: env["MAIL_LAB_SMTPS_PORT"].parse().unwrap(),
            imaps_port: env["MAIL_LAB_IMAPS_PORT"].parse().unwrap(),
            ca: env.get("MAIL_LAB_CA").filter(|c| !c.is_empty()).map(PathBuf::from),
            dir,
        }
    }

    /// A scenario's `[shopper]` tables for this lab: Anna Petrova, shopper@audit.test, plain
    /// SMTP (with `extra_smtp` lines) and IMAP, the password in a file of the lab's.
    pub fn shopper_tables(&self, extra_smtp: &str) -> String {
        let password = self.dir.path().join("imap-password");
        std::fs::write(&password, "secret").unwrap();
        format!(
            "[shopper]\nname = \"Anna Petrova\"\nemail = \"shopper@audit.test\"\n\
             [shopper.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n{extra_smtp}\n\
             [shopper.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nuser = \"shopper@audit.test\"\n\
             password_file = \"{}\"\n",
            self.smtp_port,
            self.imap_port,
            password.display()
        )
    }

    /// How many times `user` has logged in to IMAP, from dovecot's log.
    pub fn logins(&self, user: &str) -> usize {
        let log = std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("Login: user=<") && l.contains(&format!("user=<{user}>"))).count()
    }

    /// Every message in a mailbox, parsed.
    pub async fn messages(&self, user: &str) -> Vec<mail_parser::Message<'static>> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port)).await.unwrap();
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.unwrap();
        let mut session = client.login(user, "secret").await.map_err(|(e, _)| e).unwrap();
        session.select("INBOX").await.unwrap();
        let fetched: Vec<_> = session.uid_fetch("1:*", "(UID BODY.PEEK[])").await.unwrap().collect().await;
        let mut out = Vec::new();
        for f in fetched.into_iter().flatten() {
            if let Some(body) = f.body() {
                out.push(mail_parser::MessageParser::default().parse(body).unwrap().into_owned());
            }
        }
        let _ = session.logout().await;
        out
    }
}

impl Drop for MailLab {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-lab");
        let _ = Command::new("bash").arg(script).arg("stop").arg(self.dir.path()).output();
    }
}

impl MailLab {
    /// Puts a message straight into `user`'s INBOX as if it had arrived at `at` (its IMAP
    /// INTERNALDATE): how a test on a simulated clock delivers mail "at night".
    pub async fn append(&self, user: &str, raw: &[u8], at: chrono::DateTime<chrono::Utc>) {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port)).await.unwrap();
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.unwrap();
        let mut session = client.login(user, "secret").await.map_err(|(e, _)| e).unwrap();
        let date = format!("\"{}\"", at.format("%d-%b-%Y %H:%M:%S +0000"));
        session.append("INBOX", None, Some(&date), raw).await.unwrap();
        let _ = session.logout().await;
    }

    /// Sends a raw message through the lab's SMTP server, as the store's mail system would.
    pub async fn send_raw(&self, from: &str, to: &str, raw: &[u8]) {
        use lettre::AsyncTransport;
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp_port)
            .tls(lettre::transport::smtp::client::Tls::None)
            .build();
        let envelope = lettre::address::Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
        transport.send_raw(&envelope, raw).await.unwrap();
    }
}

/// The scripted support agent: answers every letter in support@store.test as `behaviour` says.
pub async fn support_agent(lab: &MailLab, behaviour: Behaviour) {
    support_agent_paced(lab, behaviour, std::time::Duration::ZERO).await;
}

/// The agent answering only the letters with this subject (stores it treats differently).
pub async fn support_agent_for(lab: &MailLab, subject: &str, behaviour: Behaviour) {
    agent(lab, behaviour, std::time::Duration::ZERO, Some(subject)).await;
}

/// [`support_agent`], waiting `pause` before each reply after the first; returns when each
/// reply was delivered (the lab's 250 comes once it is in the mailbox).
pub async fn support_agent_paced(
    lab: &MailLab,
    behaviour: Behaviour,
    pause: std::time::Duration,
) -> Vec<chrono::DateTime<chrono::Utc>> {
    agent(lab, behaviour, pause, None).await
}

async fn agent(
    lab: &MailLab,
    behaviour: Behaviour,
    pause: std::time::Duration,
    only: Option<&str>,
) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut delivered = Vec::new();
    for letter in lab.messages("support@store.test").await {
        let id = format!("<{}>", letter.message_id().unwrap());
        let subject = letter.subject().unwrap_or_default().to_string();
        if only.is_some_and(|o| o != subject) {
            continue;
        }
        let replies: Vec<(String, Vec<u8>)> = match behaviour {
            Behaviour::AckThenAnswer => vec![
                ("support@store.test".into(), raw(&format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: {id}\r\nReferences: {id}\r\nSubject: Re: {subject} [#48213]\r\n"), "utf-8", "Мы получили ваше обращение и ответим в ближайшее время. Номер заявки: 48213.")),
                ("support@store.test".into(), raw(&format!("In-Reply-To: {id}\r\nReferences: {id}\r\nSubject: Re: {subject} [#48213]\r\n"), "utf-8", "Здравствуйте, Анна!\r\n\r\nДа, доставляем в Казань, стоимость 300 рублей.\r\n\r\nС уважением,\r\nЮлия Иванова\r\n\r\n> Доставляете ли вы в Казань?")),
            ],
            Behaviour::NewThreadLinkOnly => vec![(
                "support@store.test".into(),
                raw(&format!("Subject: Re: {subject}\r\n"), "utf-8", "https://store.test/delivery"),
            )],
            Behaviour::Windows1251 => {
                let (body, _, _) = encoding_rs::WINDOWS_1251.encode("Добрый день! Доставка в Казань есть, стоимость 300 рублей.\r\n\r\nС уважением,\r\nМарк Петров");
                let mut bytes = format!(
                    "From: support@store.test\r\nTo: shopper@audit.test\r\nMessage-ID: <{}@store.test>\r\nIn-Reply-To: {id}\r\nReferences: {id}\r\nSubject: Re: {subject}\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                    uuid::Uuid::new_v4()
                )
                .into_bytes();
                bytes.extend_from_slice(&body);
                vec![("support@store.test".into(), bytes)]
            }
            Behaviour::Bounce => vec![(
                "mailer-daemon@store.test".into(),
                format!(
                    "From: Mail Delivery System <MAILER-DAEMON@store.test>\r\nTo: shopper@audit.test\r\n\
                     Message-ID: <{}@store.test>\r\nSubject: Undelivered Mail Returned to Sender\r\n\
                     Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
                     Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\r\n\
                     --dsn\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message \
                     could not be delivered.\r\n\
                     --dsn\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.store.test\r\n\r\n\
                     Final-Recipient: rfc822; support@store.test\r\nAction: failed\r\nStatus: 5.2.2\r\n\
                     Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n\
                     --dsn\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {id}\r\nSubject: {subject}\r\n\r\n\
                     --dsn--\r\n",
                    uuid::Uuid::new_v4()
                )
                .into_bytes(),
            )],
            Behaviour::Answer(text) => vec![(
                "support@store.test".into(),
                raw(&format!("In-Reply-To: {id}\r\nReferences: {id}\r\nSubject: Re: {subject}\r\n"), "utf-8", text),
            )],
            Behaviour::HelpdeskOtherDomain => vec![(
                "acme@helpdesk.test".into(),
                raw_from(
                    "Acme Support <acme@helpdesk.test>",
                    &format!("Subject: [Acme Support] Re: {subject} [#7731]\r\nContent-Type: text/plain; charset=utf-8\r\n"),
                    "Hello Anna,\r\n\r\nWe deliver to Kazan; the cost is 300 roubles.\r\n\r\nBest regards,\r\nMark Stone",
                ),
            )],
            Behaviour::Greek => vec![
                (
                    "support@store.test".into(),
                    raw(&format!("In-Reply-To: {id}\r\nSubject: Re: {subject}\r\n"), "utf-8", "Λάβαμε το αίτημά σας και θα σας απαντήσουμε σύντομα. Αίτημα #5521."),
                ),
                (
                    "support@store.test".into(),
                    raw(&format!("In-Reply-To: {id}\r\nSubject: Re: {subject}\r\n"), "utf-8", "Καλημέρα Άννα,\r\n\r\nΝαι, στέλνουμε στο Καζάν, κόστος 300 ρούβλια.\r\n\r\nΜε εκτίμηση,\r\nΜαρία Παπαδοπούλου"),
                ),
            ],
        };
        for (i, (from, bytes)) in replies.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            lab.send_raw(&from, "shopper@audit.test", &bytes).await;
            delivered.push(chrono::Utc::now());
        }
    }
    delivered
}

/// How the scripted support agent answers.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// An automatic acknowledgement at once, then a signed human answer with a ticket number.
    AckThenAnswer,
    /// A new thread (no In-Reply-To/References) holding only a link, unsigned.
    NewThreadLinkOnly,
    /// A signed human answer in windows-1251.
    Windows1251,
    /// The store's mail server returns the letter: a delivery status notification, 552.
    Bounce,
    /// A helpdesk on its own domain answers in a new thread, with its tags in the subject.
    HelpdeskOtherDomain,
    /// A Greek acknowledgement (by its wording only) with a request number, then a signed answer.
    Greek,
    /// One human answer in the letter's thread, with this text.
    Answer(&'static str),
}

fn raw(headers: &str, charset: &str, body: &str) -> Vec<u8> {
    raw_from("support@store.test", &format!("{headers}Content-Type: text/plain; charset={charset}\r\n"), body)
}

fn raw_from(from: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: shopper@audit.test\r\nMessage-ID: <{}@store.test>\r\nDate: {}\r\n{headers}Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        uuid::Uuid::new_v4(),
        chrono::Utc::now().to_rfc2822()
    )
    .into_bytes()
}
