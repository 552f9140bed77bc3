//! `shopaudit checks`: the catalogue.

use console::style;
use shopaudit::checks::CHECKS;
use shopaudit::Error;

use super::Exit;

/// List every check with its id, severity and why it matters.
#[derive(clap::Args)]
pub struct Args {
    /// The catalogue as JSON: id, severity, title, failure_title, description, reads.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    if args.json {
        let all: Vec<serde_json::Value> = CHECKS
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id.as_str(), "severity": c.severity.as_str(), "title": c.title,
                    "failure_title": c.failure_title, "description": c.description, "reads": c.reads,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(all));
        return Ok(Exit::Clean);
    }
    for c in CHECKS {
        println!("{:<26} {:<9} {}", style(c.id).bold(), c.severity.as_str(), c.title);
        println!("{:<34} {}", "", style(c.description).dim());
    }
    Ok(Exit::Clean)
}
