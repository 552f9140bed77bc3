//! The e-mail probe's reading side under load, against the real mail lab (scripts/mail-lab):
//! `collect` over a mailbox of 10,000 messages with 500 letters awaiting answers, and how soon
//! `collect --watch` files a reply after its delivery. Prints figures; judges nothing.
//!
//! `cargo bench --bench mail` (needs what `bash scripts/setup` installs).

#[path = "../tests/common/lab.rs"]
mod lab;

#[path = "../tests/common/mail.rs"]
#[allow(dead_code)]
mod mail;

use std::time::{Duration, Instant};

use shopaudit::history::{History, NewLetter};
use shopaudit::scenario::{MailServer, Secret, Tls};

const MESSAGES: usize = 10_000;
const LETTERS: usize = 500;

#[tokio::main]
async fn main() {
    let lab = mail::MailLab::start();
    let db = lab.dir.path().join("bench.sqlite");
    let history = History::open(&db).unwrap();
    let knowledge = shopaudit::knowledge::Knowledge::load().unwrap();
    let password = lab.dir.path().join("password");
    std::fs::write(&password, "secret").unwrap();
    let server = MailServer {
        host: "127.0.0.1".into(),
        port: lab.imap_port,
        tls: Tls::None,
        user: Some("shopper@audit.test".into()),
        password: Some(Secret::File(password.display().to_string())),
        ca_file: None,
        mailbox: None,
        timeout: std::time::Duration::from_secs(30),
    };

    // 500 letters the store has not answered yet.
    let ids: Vec<String> = (0..LETTERS).map(|i| format!("<bench.{i}.tok{i:05}@audit.test>")).collect();
    for (i, id) in ids.iter().enumerate() {
        let row = history
            .begin_letter(&NewLetter {
                via: shopaudit::history::Written::Email,
                store: &shopaudit::model::StoreKey::new("bench"),
                letter: &format!("letter-{i}"),
                message_id: id,
                token: &format!("tok{i:05}"),
                from: "shopper@audit.test",
                to: "support@store.test",
                subject: &format!("Question {i}"),
                body: "Do you deliver to Kazan?",
                attempt: 1,
                at: chrono::Utc::now().fixed_offset(),
                slot: None,
            })
            .await
            .unwrap()
            .unwrap();
        history.mark_sent(row, chrono::Utc::now().fixed_offset(), "250 bench").await.unwrap();
    }

    // 10,000 messages in the shopper's mailbox, written straight into its Maildir: one in twenty
    // answers a letter, the rest is the newsletters and notices a real mailbox holds.
    lab.send_raw("support@store.test", "shopper@audit.test", &message(0, None)).await; // creates the Maildir
    let maildir = lab.dir.path().join("mail/audit.test/shopper/Maildir/new");
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(30);
    let started = Instant::now();
    for n in 1..MESSAGES {
        let answers = (n % 20 == 0).then(|| &ids[(n / 20) % LETTERS]);
        let mut bytes = message(n, answers);
        bytes.extend_from_slice(filler.as_bytes());
        let file = maildir.join(format!("1700000000.M{n}P1.bench"));
        std::fs::write(&file, bytes).unwrap();
        own_by_mail_user(&file, &maildir);
    }
    println!("{:<52} {:.1} s", "writing 10,000 messages into the Maildir", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let found = shopaudit::probes::mailbox::collect(&server, &history, &knowledge).await.unwrap();
    let first = started.elapsed();
    println!(
        "{:<52} {:.2} s ({} read, {} replies filed)",
        "collect: 10,000 messages, 500 letters, first run",
        first.as_secs_f64(),
        found.read,
        found.replies
    );
    let started = Instant::now();
    let again = shopaudit::probes::mailbox::collect(&server, &history, &knowledge).await.unwrap();
    println!("{:<52} {:.3} s ({} read)", "collect again, nothing new", started.elapsed().as_secs_f64(), again.read);

    // collect --watch: from the SMTP server's 250 for a reply to the reply filed.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watch_db = db.clone();
    // Its own thread and runtime, as `collect --watch` is its own process (the history's
    // connection stays on one thread). It ends with the benchmark.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let history = History::open(&watch_db).unwrap();
        let knowledge = shopaudit::knowledge::Knowledge::load().unwrap();
        let heard = move |c: shopaudit::probes::mailbox::Collected| {
            if c.replies > 0 {
                let _ = tx.send(Instant::now());
            }
        };
        let _ = runtime.block_on(shopaudit::probes::mailbox::watch(&server, &history, &knowledge, &heard));
    });
    tokio::time::sleep(Duration::from_secs(2)).await; // idling
    let mut latencies = Vec::new();
    for (n, id) in ids.iter().take(5).enumerate() {
        lab.send_raw("support@store.test", "shopper@audit.test", &message(MESSAGES + n, Some(id))).await;
        let delivered = Instant::now(); // the lab answers 250 once the message is in the mailbox
        let filed = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap().unwrap();
        latencies.push(filed.saturating_duration_since(delivered));
    }
    latencies.sort();
    println!(
        "{:<52} median {} ms, worst {} ms",
        "collect --watch: delivery to reply filed (5 replies)",
        latencies[2].as_millis(),
        latencies[4].as_millis()
    );
    if let Some(kb) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(|v| v.trim().to_string()))
    {
        println!("{:<52} {kb}", "peak memory of the benchmark (VmHWM)");
    }
}

fn message(n: usize, answers: Option<&String>) -> Vec<u8> {
    let thread = answers.map_or(String::new(), |id| format!("In-Reply-To: {id}\r\nReferences: {id}\r\n"));
    let (from, subject, body) = match answers {
        Some(_) => {
            ("support@store.test", "Re: Question", "Hello! Yes, we deliver.\r\n\r\nBest regards,\r\nJulia Stone\r\n")
        }
        None => ("news@shop.test", "This week's offers", "Our best offers of the week.\r\n"),
    };
    format!(
        "From: {from}\r\nTo: shopper@audit.test\r\nMessage-ID: <m{n}@bench.test>\r\nDate: {}\r\nSubject: {subject} {n}\r\n\
         {thread}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}",
        chrono::Utc::now().to_rfc2822()
    )
    .into_bytes()
}

/// Dovecot runs as the `mail` user when the lab is started by root: the messages must be theirs.
fn own_by_mail_user(file: &std::path::Path, maildir: &std::path::Path) {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(maildir).unwrap();
    std::os::unix::fs::chown(file, Some(owner.uid()), Some(owner.gid())).unwrap();
}
