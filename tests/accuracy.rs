//! The extractors' accuracy on the project's labelled corpus (tests/corpus): every field at
//! 95% or better and no decoy raising a false alarm, through the library and the command.

use std::path::PathBuf;
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

#[test]
fn every_field_is_right_on_95_percent_of_the_corpus_without_false_alarms() {
    let k = shopaudit::knowledge::Knowledge::load().unwrap();
    let fields = shopaudit::accuracy::measure(&corpus(), &k).unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["hours", "phones", "emails", "social", "vendors", "stock", "callbacks", "mail"]);
    for f in &fields {
        assert!(f.accuracy().unwrap() >= 0.95, "{}: {} of {} right: {:#?}", f.name, f.right, f.cases, f.wrong);
        assert_eq!(f.false_alarms, 0, "{}: {:#?}", f.name, f.wrong);
    }
    let mail = fields.iter().find(|f| f.name == "mail").unwrap();
    assert!(mail.cases >= 70, "the real bounces are in: {}", mail.cases);
}

#[test]
fn every_known_vendor_has_a_case_in_the_corpus() {
    let k = shopaudit::knowledge::Knowledge::load().unwrap();
    let fields = shopaudit::accuracy::measure(&corpus(), &k).unwrap();
    let vendors = fields.iter().find(|f| f.name == "vendors").unwrap();
    let missing: Vec<&str> =
        k.vendors.iter().map(|v| v.id.as_str()).filter(|id| !vendors.labels.contains(*id)).collect();
    assert!(missing.is_empty(), "vendors without a corpus case: {missing:?}");
    assert!(k.vendors.len() > 100, "{} vendors known", k.vendors.len());
}

#[test]
fn the_command_prints_the_table_and_fails_below_the_bar() {
    let shopaudit = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_shopaudit")).args(args).output().unwrap();
    let dir = corpus();
    let ok = shopaudit(&["accuracy", dir.to_str().unwrap(), "--min", "0.95"]);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{out}");
    assert!(out.contains("field") && out.contains("mail") && out.contains("100.0%"), "{out}");

    // A corpus where a case is labelled wrong: the field drops, and --min says so.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pages.toml"),
        "[[page]]\nname = \"a phone that is not there\"\nhtml = \"<p>no phone</p>\"\nphones = [\"+74951234567\"]\n\
         [[page]]\nname = \"decoy\"\nurl = \"https://shop.ru/\"\nhtml = \"<p>Телефон: +7 495 123-45-67</p>\"\nphones = []\n",
    )
    .unwrap();
    let low = shopaudit(&["accuracy", tmp.path().to_str().unwrap(), "--min", "0.95", "--list"]);
    let out = String::from_utf8_lossy(&low.stdout);
    assert_eq!(low.status.code(), Some(1), "{out}");
    assert!(out.contains("0.0%") && out.contains("a phone that is not there: expected"), "{out}");

    std::fs::write(tmp.path().join("pages.toml"), "[[page]]\nname = \"x\"\nhtml = 3\n").unwrap();
    let broken = shopaudit(&["accuracy", tmp.path().to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("line 3, column 8"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}
