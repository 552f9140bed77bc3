//! `shopaudit bench`: speed and memory figures.

use shopaudit::Error;

use super::Exit;

/// Measure speed and memory on loopback and print the figures.
#[derive(clap::Args)]
pub struct Args {
    /// Pages in the generated store.
    #[arg(long, default_value_t = 200)]
    pages: usize,
    /// Instead: `shopaudit run` over this many generated stores, with the browser.
    #[arg(long)]
    stores: Option<usize>,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let figures = match args.stores {
        Some(n) => shopaudit::bench::portfolio(n).await?,
        None => shopaudit::bench::run(args.pages).await?,
    };
    for f in figures {
        println!("{:<36} {}", f.name, f.value);
    }
    Ok(Exit::Clean)
}
