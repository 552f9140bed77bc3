//! The PostgreSQL lab for tests: scripts/pg-lab started in a temp dir (initdb, a free port on
//! 127.0.0.1, a random password), stopped when dropped.

use std::path::PathBuf;
use std::process::Command;

/// A PostgreSQL of the test's own.
pub struct PgLab {
    pub dir: tempfile::TempDir,
    /// `postgres://shopaudit@127.0.0.1:PORT/shopaudit`, no password in it.
    pub url: String,
    /// The password alone.
    pub password_file: PathBuf,
    /// A PGPASSFILE line for the server (mode 600, as libpq wants it).
    pub passfile: PathBuf,
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
}

impl PgLab {
    pub fn start() -> PgLab {
        Self::start_with(&[])
    }

    /// A lab that takes connections over TCP only with TLS.
    pub fn start_tls() -> PgLab {
        Self::start_with(&[("PG_LAB_TLS_ONLY", "1")])
    }

    fn start_with(env: &[(&str, &str)]) -> PgLab {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::lab::start_lab("pg-lab", dir.path(), env);
        let password_file = PathBuf::from(&env["PG_LAB_PASSWORD_FILE"]);
        let password = std::fs::read_to_string(&password_file).unwrap();
        let passfile = dir.path().join("pgpass");
        std::fs::write(&passfile, format!("*:*:*:shopaudit:{}\n", password.trim())).unwrap();
        std::fs::set_permissions(&passfile, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        PgLab { url: env["PG_LAB_URL"].clone(), password_file, passfile, ca: PathBuf::from(&env["PG_LAB_CA"]), dir }
    }

    /// One query's rows as psql prints them unaligned (`|` between columns).
    pub fn sql(&self, query: &str) -> Vec<String> {
        self.try_sql(query).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    pub fn try_sql(&self, query: &str) -> Result<Vec<String>, String> {
        let o = Command::new("psql")
            .arg(&self.url)
            .args(["-AtXqc", query])
            .env("PGPASSFILE", &self.passfile)
            .output()
            .expect("psql (postgresql-client)");
        if !o.status.success() {
            return Err(String::from_utf8_lossy(&o.stderr).to_string());
        }
        Ok(String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect())
    }

    /// The shopaudit binary with the password in the PGPASSFILE, none in the environment.
    pub fn shopaudit(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shopaudit"));
        command.args(args).env("PGPASSFILE", &self.passfile).env_remove("PGPASSWORD");
        command
    }

    /// `scripts/pg-lab COMMAND` on this lab (`stop`, `resume`).
    pub fn lab(&self, command: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-lab");
        let o = Command::new("bash").arg(script).arg(command).arg(self.dir.path()).output().unwrap();
        assert!(o.status.success(), "pg-lab {command}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for PgLab {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-lab");
        let _ = Command::new("bash").arg(script).arg("stop").arg(self.dir.path()).output();
    }
}
