//! `shopaudit accuracy [DIR]`: how often the extractors are right, field by field, on a
//! labelled corpus.

use std::path::PathBuf;

use shopaudit::Error;

use super::Exit;

/// Measure per-field accuracy on a labelled corpus of store pages and mail, and print it.
#[derive(clap::Args)]
pub struct Args {
    /// The corpus folder: pages.toml and mail.toml (default: tests/corpus of a checkout).
    #[arg(default_value = "tests/corpus")]
    dir: PathBuf,
    /// Also list every case it got wrong.
    #[arg(long)]
    list: bool,
    /// Exit 1 when a field is below this share right, or a decoy raised a false alarm.
    #[arg(long, value_name = "SHARE")]
    min: Option<f64>,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let knowledge = shopaudit::knowledge::Knowledge::load()?;
    let fields = shopaudit::accuracy::measure(&args.dir, &knowledge)?;
    println!("{:<10} {:>6} {:>6} {:>9} {:>7} {:>13}", "field", "cases", "right", "accuracy", "decoys", "false alarms");
    let mut below = false;
    for f in &fields {
        let share = f.accuracy().unwrap_or(0.0);
        below |= args.min.is_some_and(|min| share < min) || (args.min.is_some() && f.false_alarms > 0);
        println!(
            "{:<10} {:>6} {:>6} {:>8.1}% {:>7} {:>13}",
            f.name,
            f.cases,
            f.right,
            share * 100.0,
            f.decoys,
            f.false_alarms
        );
    }
    for f in fields.iter().filter(|f| args.list || f.false_alarms > 0) {
        for wrong in &f.wrong {
            println!("  {}: {wrong}", f.name);
        }
    }
    Ok(if below { Exit::Failed } else { Exit::Clean })
}
