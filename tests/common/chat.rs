//! A real chat service for the conversation probe's tests: a store page with a widget (a
//! launcher, and the chat in a frame, like the real ones; `tests/fixtures/chat-lab/`), an
//! HTTP long-poll API behind it, and a scripted operator on the other side.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

/// What the scripted operator does when the shopper asks.
#[derive(Debug, Clone, Copy)]
pub enum Operator {
    /// A person answers after `after`, then offers to rate the chat.
    Answers { after: Duration, name: &'static str },
    /// A bot replies at once with canned words, a person answers after `after`.
    BotThenHuman { after: Duration, name: &'static str },
    /// "typing…" shows for `after`, then the answer comes.
    TypesFirst { after: Duration, name: &'static str },
    /// A person answers after `after` with these words.
    Says { after: Duration, name: &'static str, text: &'static str },
    /// Greets, then never answers.
    Never { name: &'static str },
    /// Offline: only the leave-a-message form.
    Offline,
}

/// The bot's canned reply; its markup must stay text in every report.
pub const BOT_REPLY: &str = "Thank you for your message! An operator will join shortly. <script>alert(1)</script>";

/// The answer a complete reply holds: "42" and "stock".
pub const ANSWER: &str = "Yes, size 42 is in stock. We can deliver it tomorrow.";

#[derive(Debug, Default)]
pub struct Log {
    messages: Vec<(u64, &'static str, String, String)>,
    typing: bool,
    rating: bool,
    /// When the shopper's question arrived, and when the person's answer was posted.
    pub question_at: Option<Instant>,
    pub answered_at: Option<Instant>,
    /// What was left in the offline form: name, e-mail and message, one per line.
    pub left: Option<String>,
    /// Everything the shopper sent.
    pub received: Vec<String>,
}

struct Lab {
    operator: Operator,
    log: Mutex<Log>,
    changed: Notify,
}

pub struct ChatLab {
    pub url: url::Url,
    lab: Arc<Lab>,
    _served: shopaudit::serve::Served,
    dir: tempfile::TempDir,
}

impl ChatLab {
    pub async fn start(operator: Operator) -> ChatLab {
        let lab = Arc::new(Lab { operator, log: Mutex::new(Log::default()), changed: Notify::new() });
        if let Some(name) = operator.name() {
            lab.post("operator", name, "Hello! How can I help you?");
        }
        let files = crate::common::fixture_dir("chat-lab");
        let router = Router::new()
            .route("/poll", get(poll))
            .route("/send", post(send))
            .route("/leave", post(leave))
            .with_state(lab.clone())
            .fallback(move |uri: Uri| {
                let files = files.clone();
                async move {
                    let path = match uri.path().trim_start_matches('/') {
                        "" => "index.html".to_string(),
                        p if p.contains("..") => return axum::http::StatusCode::BAD_REQUEST.into_response(),
                        p => p.to_string(),
                    };
                    match tokio::fs::read(files.join(&path)).await {
                        Ok(bytes) => {
                            ([(header::CONTENT_TYPE, shopaudit::serve::content_type(&path))], bytes).into_response()
                        }
                        Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                }
            });
        let served = shopaudit::serve::serve(router, 0).await.unwrap();
        ChatLab { url: served.url.clone(), lab, _served: served, dir: tempfile::tempdir().unwrap() }
    }

    /// A history file of the test's own.
    pub fn history(&self) -> std::path::PathBuf {
        self.dir.path().join("history.sqlite")
    }

    /// What happened on the operator's side.
    pub fn log<T>(&self, read: impl FnOnce(&Log) -> T) -> T {
        read(&self.lab.log.lock().unwrap())
    }

    /// Milliseconds from the question's arrival to the person's answer.
    pub fn answer_ms(&self) -> Option<i64> {
        self.log(|l| Some(l.answered_at?.duration_since(l.question_at?).as_millis() as i64))
    }
}

/// Where the lab widget keeps each of its parts (frame.html).
pub fn selectors() -> std::collections::BTreeMap<shopaudit::scenario::ChatSelector, String> {
    use shopaudit::scenario::ChatSelector;
    [
        (ChatSelector::Launcher, "#lab-launcher"),
        (ChatSelector::Input, ".lab-input"),
        (ChatSelector::Send, ".lab-send"),
        (ChatSelector::OperatorMessage, ".lab-msg.lab-operator"),
        (ChatSelector::OperatorName, ".lab-name"),
        (ChatSelector::Typing, ".lab-typing"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

impl Operator {
    fn name(&self) -> Option<&'static str> {
        match *self {
            Operator::Answers { name, .. }
            | Operator::BotThenHuman { name, .. }
            | Operator::TypesFirst { name, .. }
            | Operator::Says { name, .. }
            | Operator::Never { name } => Some(name),
            Operator::Offline => None,
        }
    }
}

impl Lab {
    fn post(&self, role: &'static str, author: &str, text: &str) {
        let mut log = self.log.lock().unwrap();
        let id = log.messages.len() as u64 + 1;
        log.messages.push((id, role, author.to_string(), text.to_string()));
        drop(log);
        self.changed.notify_waiters();
    }

    fn set(&self, change: impl FnOnce(&mut Log)) {
        change(&mut self.log.lock().unwrap());
        self.changed.notify_waiters();
    }

    fn state(&self, after: u64) -> serde_json::Value {
        let log = self.log.lock().unwrap();
        let messages: Vec<_> = log
            .messages
            .iter()
            .filter(|m| m.0 > after)
            .map(|(id, role, author, text)| serde_json::json!({ "id": id, "role": role, "author": author, "text": text }))
            .collect();
        let status = if matches!(self.operator, Operator::Offline) { "offline" } else { "online" };
        serde_json::json!({ "status": status, "typing": log.typing, "rating": log.rating, "messages": messages })
    }
}

/// Long poll: answers at once when there is news after `after`, else within 2 s.
async fn poll(State(lab): State<Arc<Lab>>, uri: Uri) -> impl IntoResponse {
    let query = uri.query().unwrap_or_default();
    let after: u64 =
        query.split('&').find_map(|kv| kv.strip_prefix("after=")).and_then(|n| n.parse().ok()).unwrap_or(0);
    let has_news = |lab: &Lab| lab.log.lock().unwrap().messages.iter().any(|m| m.0 > after);
    // The first poll (no `wait`) is the widget starting: it learns the status at once.
    if query.contains("wait=1") && !has_news(&lab) {
        let _ = tokio::time::timeout(Duration::from_secs(2), lab.changed.notified()).await;
    }
    ([(header::CONTENT_TYPE, "application/json")], lab.state(after).to_string())
}

async fn send(State(lab): State<Arc<Lab>>, text: String) -> &'static str {
    lab.set(|l| {
        l.received.push(text.clone());
        l.question_at.get_or_insert_with(Instant::now);
    });
    lab.post("visitor", "You", &text);
    let answer = |lab: Arc<Lab>, name: &'static str| {
        lab.set(|l| l.answered_at = Some(Instant::now()));
        lab.post("operator", name, ANSWER);
    };
    match lab.operator {
        Operator::Answers { after, name } => {
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                answer(lab.clone(), name);
                tokio::time::sleep(Duration::from_millis(500)).await;
                lab.set(|l| l.rating = true);
            });
        }
        Operator::BotThenHuman { after, name } => {
            lab.post("operator", "Chat bot", BOT_REPLY);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                answer(lab, name);
            });
        }
        Operator::TypesFirst { after, name } => {
            tokio::spawn(async move {
                lab.set(|l| l.typing = true);
                tokio::time::sleep(after).await;
                lab.set(|l| l.typing = false);
                answer(lab, name);
            });
        }
        Operator::Says { after, name, text } => {
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                lab.set(|l| l.answered_at = Some(Instant::now()));
                lab.post("operator", name, text);
            });
        }
        Operator::Never { .. } | Operator::Offline => {}
    }
    "ok"
}

async fn leave(State(lab): State<Arc<Lab>>, text: String) -> &'static str {
    lab.set(|l| l.left = Some(text));
    "ok"
}
