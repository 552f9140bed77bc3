//! `shopaudit explain ID`: one check.

use console::style;
use shopaudit::Error;

use super::Exit;

/// Explain one check.
#[derive(clap::Args)]
pub struct Args {
    /// A check id such as `contacts.single_email`.
    id: String,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let id = &args.id;
    let c = shopaudit::checks::find(id).ok_or_else(|| {
        let near = shopaudit::checks::CHECKS
            .iter()
            .map(|c| (strsim::levenshtein(id, c.id.as_str()), c.id.as_str()))
            .min()
            .filter(|(d, _)| *d <= 4)
            .map_or_else(String::new, |(_, near)| format!("; did you mean {near}?"));
        Error::Usage(format!("no check has the id {id:?}{near} (`shopaudit checks` lists them)"))
    })?;
    println!("{}  ({})\n", style(c.id).bold(), c.severity.as_str());
    println!("Passes:  {}\nFails:   {}\n", c.title, c.failure_title);
    println!("Why it matters: {}\n", c.description);
    println!("Reads: {}", c.reads.join(", "));
    Ok(Exit::Clean)
}
