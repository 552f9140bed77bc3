//! The conversation probe's own cost, in real Chromium against the test chat service
//! (tests/common/chat.rs): everything but waiting for the operator (opening the widget, letting
//! it settle, typing at a person's pace, reading, screenshots, the rating watch). Prints
//! figures; judges nothing. `cargo bench --bench conversation` (needs Chromium: scripts/setup).

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "../tests/common/chat.rs"]
#[allow(dead_code)]
mod chat;

use std::time::{Duration, Instant};

use shopaudit::probes::conversation::{hold, Plan};
use shopaudit::scenario::{ChatSelector, Question};

const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let path = shopaudit::probes::browser::find(None).expect("Chromium (bash scripts/setup installs it)");
    let chromium = std::sync::Arc::new(shopaudit::probes::browser::Chromium::launch(&path, true).unwrap());
    let knowledge = std::sync::Arc::new(shopaudit::knowledge::Knowledge::load().unwrap());
    let question =
        Question { id: "size".into(), text: "Hello! Do you have these shoes in size 42?".into(), expect: vec![] };
    let mut overheads = Vec::new();
    for _ in 0..ROUNDS {
        let lab =
            chat::ChatLab::start(chat::Operator::Answers { after: Duration::from_secs(3), name: "Julia Ivanova" })
                .await;
        let plan = Plan {
            page: lab.url.to_string(),
            selectors: [
                (ChatSelector::Launcher, "#lab-launcher"),
                (ChatSelector::Input, ".lab-input"),
                (ChatSelector::Send, ".lab-send"),
                (ChatSelector::OperatorMessage, ".lab-msg.lab-operator"),
                (ChatSelector::OperatorName, ".lab-name"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
            sla: Duration::from_secs(30),
            leave: None,
        };
        let (chromium, knowledge, question) = (chromium.clone(), knowledge.clone(), question.clone());
        let started = Instant::now();
        let talk = tokio::task::spawn_blocking(move || hold(&chromium, &plan, &question, &knowledge)).await.unwrap();
        let total = started.elapsed();
        let waited = Duration::from_millis(talk.first_human_reply_ms.expect("answered"));
        overheads.push((total - waited, total));
    }
    overheads.sort();
    let (median, total) = overheads[ROUNDS / 2];
    println!(
        "{:<56} {:.2} s (median of {ROUNDS}; whole conversation {:.2} s)",
        "conversation probe, all but the operator's 3 s",
        median.as_secs_f64(),
        total.as_secs_f64()
    );
    println!("{:<56} {:.2} s", "worst", overheads[ROUNDS - 1].0.as_secs_f64());
}
