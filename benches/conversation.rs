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

use shopaudit::probes::conversation::{hold, Known, Plan};
use shopaudit::scenario::{ChatSelector, Question};

const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let path = shopaudit::probes::browser::find(None).expect("Chromium (bash scripts/setup installs it)");
    let chromium = std::sync::Arc::new(
        shopaudit::probes::browser::Chromium::launch(&path, shopaudit::probes::browser::Confinement::LoopbackOnly)
            .unwrap(),
    );
    let knowledge = std::sync::Arc::new(shopaudit::knowledge::Knowledge::load().unwrap());
    let question =
        Question { id: "size".into(), text: "Hello! Do you have these shoes in size 42?".into(), questions: vec![] };
    let named = chat::selectors();
    // Every part named, and nothing named (the widget dressed as tawk's: the vendor's launcher,
    // the message box found in the widget, the operator heard through Tawk_API).
    let tawk = knowledge.vendors.iter().find(|v| v.id == "tawk").expect("tawk in probes/vendors.toml");
    let ways = [
        ("conversation probe, all but the operator's 3 s", "", Known { selectors: named, ..Known::default() }),
        (
            "  the same with nothing named (tawk's, heard via its API)",
            "tawk.html",
            Known {
                selectors: [(ChatSelector::Launcher, tawk.launcher.join(", "))].into_iter().collect(),
                vendor: Some("tawk".into()),
                vendor_launcher: true,
                hear: tawk.hear_script,
            },
        ),
    ];
    for (label, page, widget) in ways {
        let mut overheads = Vec::new();
        for _ in 0..ROUNDS {
            let lab =
                chat::ChatLab::start(chat::Operator::Answers { after: Duration::from_secs(3), name: "Julia Ivanova" })
                    .await;
            let plan = Plan {
                page: lab.url.join(page).unwrap().to_string(),
                widget: widget.clone(),
                sla: Duration::from_secs(30),
                leave: None,
                clock: shopaudit::clock::Clock::system(),
                reading: Default::default(),
            };
            let (chromium, knowledge, question) = (chromium.clone(), knowledge.clone(), question.clone());
            let started = Instant::now();
            let talk =
                tokio::task::spawn_blocking(move || hold(&chromium, &plan, &question, &knowledge)).await.unwrap();
            let total = started.elapsed();
            let waited = Duration::from_millis(talk.first_human_reply_ms.expect("answered"));
            overheads.push((total - waited, total));
        }
        overheads.sort();
        let (median, total) = overheads[ROUNDS / 2];
        println!(
            "{label:<56} {:.2} s (median of {ROUNDS}; whole conversation {:.2} s; worst {:.2} s)",
            median.as_secs_f64(),
            total.as_secs_f64(),
            overheads[ROUNDS - 1].0.as_secs_f64()
        );
    }
}
