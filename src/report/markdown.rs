//! The Markdown report: the same story as the HTML one, for tickets, chats and e-mail. Text
//! taken from the store is escaped so it cannot inject markup.

use std::fmt::Write;

use super::Report;
use crate::checks::find;
use crate::model::Outcome;

/// Escapes Markdown and HTML metacharacters in store-supplied text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅ pass",
        Outcome::Fail => "❌ fail",
        Outcome::Warn => "⚠️ warn",
        Outcome::NotApplicable => "➖ n/a",
        Outcome::Error => "⛔ error",
    }
}

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut md = String::new();
    let s = &r.summary;
    let _ = writeln!(md, "# shopaudit report: {}\n", escape(&r.store.name));
    let _ = writeln!(
        md,
        "{} · audited {} · {} pages read\n",
        escape(&r.store.url),
        r.run.started_at.format("%Y-%m-%d %H:%M %:z"),
        r.pages.iter().filter(|p| p.error.is_none()).count()
    );
    let _ = writeln!(
        md,
        "**{} failed, {} warnings, {} passed**, {} not applicable, {} errors.\n",
        s.fail, s.warn, s.pass, s.not_applicable, s.error
    );
    if !r.run.regressions.is_empty() {
        let _ = writeln!(md, "**Worse than the audit before:** {}\n", r.run.regressions.join(", "));
    }
    let problems = r.problems();
    if !problems.is_empty() {
        let _ = writeln!(md, "## What to fix first\n");
        for f in problems {
            let why = find(&f.check).map(|c| c.description).unwrap_or_default();
            let _ = writeln!(md, "### {} — {} ({})\n", mark(f.outcome), escape(&f.title), f.severity.as_str());
            let _ = writeln!(md, "{}\n\n*Why it matters:* {}\n", escape(&f.detail), why);
            for e in f.evidence.iter().take(8) {
                let _ = writeln!(md, "- {}", escape(e));
            }
            if !f.evidence.is_empty() {
                md.push('\n');
            }
        }
    }
    let _ = writeln!(md, "## All checks\n\n| Check | Outcome | Severity | Detail |\n|---|---|---|---|");
    for f in &r.findings {
        let _ =
            writeln!(md, "| `{}` | {} | {} | {} |", f.check, mark(f.outcome), f.severity.as_str(), escape(&f.detail));
    }
    let ev = &r.evidence;
    let _ = writeln!(md, "\n## What the shopper saw\n");
    let none = || "none".to_string();
    let join = |v: &[String]| {
        if v.is_empty() {
            none()
        } else {
            escape(&v.join(", "))
        }
    };
    let _ = writeln!(md, "- **Chat:** {}", join(&ev.chat.vendors));
    let _ = writeln!(md, "- **E-mail:** {}", join(&ev.contacts.emails));
    let _ = writeln!(md, "- **Phones:** {}", join(&ev.contacts.phones));
    let _ = writeln!(md, "- **Messengers:** {}", join(&ev.contacts.messengers));
    let _ = writeln!(md, "- **Social:** {}", join(&ev.contacts.social));
    for h in &ev.hours {
        let _ = writeln!(
            md,
            "- **Hours ({}):** “{}” → `{}`",
            h.channel.as_str(),
            escape(&h.text),
            h.opening_hours.as_deref().unwrap_or("not understood")
        );
    }
    let dur = crate::model::time::maybe_duration;
    let when = |at: Option<chrono::DateTime<chrono::FixedOffset>>| {
        at.map_or_else(|| "—".to_string(), |t| crate::model::time::local_time(t, r.store.timezone.as_deref()))
    };
    if !ev.chat.conversations.is_empty() {
        let _ = writeln!(md, "\n## The chat conversation\n");
        for c in &ev.chat.conversations {
            let _ = writeln!(
                md,
                "**{}** (`{}`): first reply {}, first reply by a person {}, deadline {}{}.{}\n",
                c.outcome.as_str().replace('_', " "),
                escape(&c.question_id),
                dur(c.first_reply_ms),
                dur(c.first_human_reply_ms),
                crate::model::time::human_duration(c.sla_ms),
                c.operator_name.as_deref().map_or(String::new(), |n| format!(", by “{}”", escape(n))),
                c.error.as_deref().map_or(String::new(), |e| format!(" Could not ask: {}", escape(e)))
            );
            for l in &c.transcript {
                let author = l.author.as_deref().map_or(String::new(), |a| format!(" {}", escape(a)));
                let _ = writeln!(md, "> *{} {}{}:* {}  ", when(Some(l.at)), l.kind, author, escape(&l.text));
            }
            if let Some(how) = &c.how {
                let _ = writeln!(md, "\n*How the widget was worked:* {}\n", escape(how));
            }
        }
    }
    if !ev.email_probes.is_empty() {
        let _ = writeln!(
            md,
            "\n## Letters to support\n\n| Letter | Sent | State | First reply | First human reply | Replies |\n|---|---|---|---|---|---|"
        );
        letter_rows(&mut md, &ev.email_probes, &when);
    }
    if !ev.forms.submissions.is_empty() || !ev.forms.answers.is_empty() {
        let _ = writeln!(md, "\n## Questions through the contact form\n");
        for s in &ev.forms.submissions {
            let _ = writeln!(
                md,
                "- `{}` on {}{}: **{}**{}",
                escape(&s.question_id),
                escape(&s.page),
                s.place.as_deref().map_or(String::new(), |p| format!(" ({p})")),
                s.outcome,
                s.said.as_deref().map_or(String::new(), |t| format!(": {}", escape(t)))
            );
        }
        if !ev.forms.answers.is_empty() {
            let _ = writeln!(
                md,
                "\n| Question | Sent | State | First reply | First human reply | Replies |\n|---|---|---|---|---|---|"
            );
            letter_rows(&mut md, &ev.forms.answers, &when);
        }
    }
    let _ = writeln!(md, "\n## Pages\n\n| Page | Kind | Status | ms | Error |\n|---|---|---|---|---|");
    for p in &r.pages {
        let status = p.status.map_or_else(|| "—".to_string(), |s| s.to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            escape(&p.url),
            p.kind,
            status,
            p.elapsed_ms,
            escape(p.error.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(md, "\n---\n{} {} · schema `{}` · run `{}`", r.tool.name, r.tool.version, r.schema, r.run.id);
    md
}

/// One table row per letter (or question through the form): what it asked, when, where it
/// stands, and its replies.
fn letter_rows(
    md: &mut String,
    letters: &[crate::model::evidence::EmailProbe],
    when: &dyn Fn(Option<chrono::DateTime<chrono::FixedOffset>>) -> String,
) {
    let dur = crate::model::time::maybe_duration;
    for l in letters {
        let replies: Vec<String> = l
            .replies
            .iter()
            .map(|p| {
                let mut s = format!("{} from {}", p.kind, escape(&p.from));
                if let Some(t) = &p.ticket {
                    s += &format!(", ticket {}", escape(t));
                }
                if let Some(n) = &p.signed_by {
                    s += &format!(", signed {}", escape(n));
                }
                s
            })
            .collect();
        let _ = writeln!(
            md,
            "| {} (`{}`) | {} | {} | {} | {} | {} |",
            escape(&l.subject),
            escape(&l.id),
            when(l.sent_at),
            l.state,
            dur(l.first_response_ms),
            dur(l.first_human_response_ms),
            if replies.is_empty() { "none yet".to_string() } else { replies.join("; ") }
        );
    }
}
