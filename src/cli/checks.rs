//! `shopaudit checks`: the catalogue.

use console::style;
use shopaudit::checks::CHECKS;
use shopaudit::Error;

use super::Exit;

/// List every check with its id, severity and why it matters.
#[derive(clap::Args)]
pub struct Args {}

pub async fn run(_: Args) -> Result<Exit, Error> {
    for c in CHECKS {
        println!("{:<26} {:<9} {}", style(c.id).bold(), c.severity.as_str(), c.title);
        println!("{:<34} {}", "", style(c.description).dim());
    }
    Ok(Exit::Clean)
}
