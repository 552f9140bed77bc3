//! A store on the internet never makes the auditor fetch from our own network (reliability
//! #4). The test makes a network namespace of its own with a "public" address (198.51.100.7)
//! on its loopback device, serves the store there and an intranet page on 127.0.0.1, and runs
//! the auditor inside it: redirects to a loopback address or to a name that resolves to one,
//! and images on loopback and metadata addresses, are refused, and the intranet server hears
//! nothing. The same store reached on 127.0.0.1 (a store on loopback, as in tests and the
//! demo) may follow them, which shows the test can see a request that leaves the store.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PUBLIC: &str = "198.51.100.7";

/// The store (every address, port 8080) and the intranet (127.0.0.1:9090), each logging the
/// paths asked of it on standard output.
const SERVERS: &str = r#"
import http.server, socketserver, sys, threading
HOME = b"""<html><head><title>Public store</title>
<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9090/moved.html"></head><body>
<a href="/go">Our blog</a> <a href="/contacts.html">Contacts</a>
<img src="http://127.0.0.1:9090/operator.jpg" alt="our operator Anna">
<img src="http://169.254.169.254/latest/meta-data/photo.png" alt="our team">
<script src="http://127.0.0.1:9090/beacon.js"></script>
<p>Write to us: shop@public.example</p></body></html>"""
class Store(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("store", self.path, flush=True)
        moves = {"/go": "http://127.0.0.1:9090/private.html",
                 "/contacts.html": "http://localhost:9090/private.html",
                 "/start-elsewhere": "http://127.0.0.1:9090/"}
        if self.path in moves:
            self.send_response(302); self.send_header("Location", moves[self.path]); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(HOME)
    def log_message(self, *a): pass
class Intranet(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("intranet", self.path, flush=True)
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers()
        self.wfile.write(b"<html><title>INTRANET</title><body>secret-intranet admin@intranet.example</body></html>")
    def log_message(self, *a): pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
for handler, address in ((Store, ("0.0.0.0", 8080)), (Intranet, ("127.0.0.1", 9090))):
    threading.Thread(target=Server(address, handler).serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"#;

/// A network namespace of the test's own, deleted (with its servers) when dropped.
struct Netns {
    name: String,
    servers: Child,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Netns {
    fn start() -> Netns {
        let name = format!("shopaudit-reach-{}", std::process::id());
        let ip = |args: &[&str]| {
            let o = Command::new("ip").args(args).output().expect("iproute2's ip (scripts/setup installs it)");
            assert!(o.status.success(), "ip {args:?}: {} (this test needs root)", String::from_utf8_lossy(&o.stderr));
        };
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        ip(&["-n", &name, "addr", "add", &format!("{PUBLIC}/32"), "dev", "lo"]);
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("servers.log");
        let servers = Command::new("ip")
            .args(["netns", "exec", &name, "/usr/bin/python3", "-u", "-c", SERVERS])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ns = Netns { name, servers, log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ns.heard().contains("ready") {
            assert!(Instant::now() < deadline, "the namespace's servers did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        ns
    }

    /// What the servers logged so far.
    fn heard(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `shopaudit audit URL` inside the namespace.
    fn audit(&self, url: &str) -> Output {
        self.shopaudit(url, &["--no-browser"])
    }

    /// `shopaudit audit` of the store at `url` with Chromium (one viewport, a short look).
    fn audit_in_chromium(&self, url: &str) -> Output {
        let scenario = self._dir.path().join("browser.toml");
        let text = format!("[store]\nurl = \"{url}\"\n[browser]\nviewports = [\"desktop\"]\nobserve = \"1s\"\n");
        std::fs::write(&scenario, text).unwrap();
        self.shopaudit(
            &scenario.display().to_string(),
            &["--db", &self._dir.path().join("h.sqlite").display().to_string()],
        )
    }

    fn shopaudit(&self, target: &str, extra: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, env!("CARGO_BIN_EXE_shopaudit"), "audit", target])
            .args(extra)
            .args(["--no-email", "--json", "-", "-q", "--out"])
            .arg(self._dir.path().join("reports"))
            .env_remove("SHOPAUDIT_LOG")
            .output()
            .unwrap()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self.servers.kill();
        let _ = self.servers.wait();
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_public_store_never_leads_the_auditor_into_our_network() {
    let ns = Netns::start();

    // The store on its public address: nothing of the intranet is fetched or reported.
    let public = ns.audit(&format!("http://{PUBLIC}:8080/"));
    let json = text(&public.stdout);
    assert!(json.contains("Public store"), "{json}\n{}", text(&public.stderr));
    assert!(!json.contains("secret-intranet") && !json.contains("INTRANET"), "{json}");
    assert!(!ns.heard().contains("intranet"), "the intranet was asked: {}", ns.heard());
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let error_of = |list: &str, suffix: &str| {
        report[list]
            .as_array()
            .into_iter()
            .chain(report["evidence"][list].as_array())
            .flatten()
            .find(|p| p["url"].as_str().is_some_and(|u| u.ends_with(suffix)))
            .and_then(|p| p["error"].as_str())
            .map(str::to_string)
            .unwrap_or_default()
    };
    for (list, suffix) in
        [("pages", "/go"), ("pages", "/contacts.html"), ("images", "/operator.jpg"), ("images", "/photo.png")]
    {
        let why = error_of(list, suffix);
        assert!(why.contains("never followed there"), "{suffix}: {why:?}\n{json}");
    }

    // A start page that sends the auditor into our network: the store cannot be audited.
    let elsewhere = ns.audit(&format!("http://{PUBLIC}:8080/start-elsewhere"));
    let err = text(&elsewhere.stderr);
    assert_eq!(elsewhere.status.code(), Some(3), "{err}");
    assert!(err.contains("never followed there"), "{err}");
    assert!(!ns.heard().contains("intranet"), "the intranet was asked: {}", ns.heard());

    // Chromium on the public store: the page that moves itself to a loopback address (a meta
    // refresh, which the crawl does not follow and Chromium's own private-network rules let
    // through as a navigation) and its script there are refused at the browser's gate.
    let browsed = ns.audit_in_chromium(&format!("http://{PUBLIC}:8080/"));
    let json = text(&browsed.stdout);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|_| panic!("{}", text(&browsed.stderr)));
    let visits = report["evidence"]["browser"]["visits"].as_array().cloned().unwrap_or_default();
    assert!(!visits.is_empty(), "Chromium visited the store: {}", report["evidence"]["browser"]);
    assert!(!ns.heard().contains("intranet"), "the intranet was asked: {}", ns.heard());

    // The same store on loopback may use loopback: the redirect is followed, and heard; and
    // Chromium follows the refresh, which shows the test hears a browser that leaves the store.
    let local = ns.audit("http://127.0.0.1:8080/");
    assert!(text(&local.stdout).contains("Public store"), "{}", text(&local.stderr));
    assert!(ns.heard().contains("intranet /private.html"), "{}", ns.heard());
    let local = ns.audit_in_chromium("http://127.0.0.1:8080/");
    assert!(text(&local.stdout).contains("Public store"), "{}", text(&local.stderr));
    assert!(ns.heard().contains("intranet /moved.html"), "{}", ns.heard());
}
