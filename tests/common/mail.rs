//! The mail lab for tests: scripts/mail-lab started in a temp dir (real dovecot IMAP and LMTP,
//! a real SMTP server in front), stopped when dropped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use futures::StreamExt;

pub struct MailLab {
    pub dir: tempfile::TempDir,
    pub smtp_port: u16,
    pub imap_port: u16,
}

impl MailLab {
    pub fn start() -> MailLab {
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-lab");
        let out = Command::new("bash").arg(&script).arg("start").arg(dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "mail lab: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let env: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MailLab {
            smtp_port: env["MAIL_LAB_SMTP_PORT"].parse().unwrap(),
            imap_port: env["MAIL_LAB_IMAP_PORT"].parse().unwrap(),
            dir,
        }
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
