//! `shopaudit demo`: a small store bundled into the binary, served on 127.0.0.1 and audited,
//! so a newcomer sees a real report in one command. It fails some checks on purpose (too many
//! e-mail addresses, a stock "operator" photo, no HTTPS on loopback) and passes others.

use include_dir::{include_dir, Dir};

use crate::error::Result;
use crate::scenario::{Scenario, WebUrl};
use crate::serve::{self, Served};

static STORE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scenarios/demo-store");
const SCENARIO: &str = include_str!("../scenarios/demo.toml");

/// Starts the demo store on a free loopback port (or `port`).
pub async fn start(port: u16) -> Result<Served> {
    serve::serve(serve::embedded(&STORE), port).await
}

/// The demo scenario, pointed at the running demo store.
pub fn scenario(store: &Served) -> Result<Scenario> {
    let mut scenario = Scenario::parse(SCENARIO, std::path::Path::new("scenarios/demo.toml"))?;
    scenario.store.url = WebUrl(store.url.clone());
    Ok(scenario)
}
