//! Starting the project's own labs from tests and benches.

/// Starts one of the project's labs (`scripts/mail-lab`, `scripts/pg-lab`) in `dir` and returns
/// the `KEY=value` lines it printed.
pub fn start_lab(
    script: &str,
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts").join(script);
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}: {said}", script.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
