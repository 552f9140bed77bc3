//! Hunspell dictionaries for judging an answer's spelling: Debian's `hunspell-ru`,
//! `hunspell-en-us`, `hunspell-el` and `hunspell-de-de`, read from `/usr/share/hunspell`
//! (or the folder `SHOPAUDIT_HUNSPELL_DIR` names) by the spellbook crate. Each is read on
//! first use and kept for the life of the process: compiling one takes a fraction of a second
//! and a worker judges many answers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use spellbook::Dictionary;

/// A language shopaudit can check the spelling of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Russian.
    Russian,
    /// English (United States spelling; British words mostly pass too).
    English,
    /// Greek.
    Greek,
    /// German.
    German,
}

impl Language {
    /// Every language with a dictionary package.
    pub const ALL: [Language; 4] = [Language::Russian, Language::English, Language::Greek, Language::German];

    /// ISO 639-1.
    pub fn code(self) -> &'static str {
        match self {
            Language::Russian => "ru",
            Language::English => "en",
            Language::Greek => "el",
            Language::German => "de",
        }
    }

    /// The Debian package that installs its dictionary.
    pub fn package(self) -> &'static str {
        match self {
            Language::Russian => "hunspell-ru",
            Language::English => "hunspell-en-us",
            Language::Greek => "hunspell-el",
            Language::German => "hunspell-de-de",
        }
    }

    /// The dictionary's file name, without `.aff` / `.dic`.
    fn file(self) -> &'static str {
        match self {
            Language::Russian => "ru_RU",
            Language::English => "en_US",
            Language::Greek => "el_GR",
            Language::German => "de_DE",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The dictionaries of one folder, each read when first asked for.
#[derive(Debug)]
pub struct Dictionaries {
    dir: PathBuf,
    loaded: [OnceLock<Option<Arc<Dictionary>>>; 4],
}

impl Dictionaries {
    /// The dictionaries in `dir`.
    pub fn at(dir: &Path) -> Self {
        Dictionaries { dir: dir.to_path_buf(), loaded: Default::default() }
    }

    /// The system's dictionaries: `SHOPAUDIT_HUNSPELL_DIR`, else `/usr/share/hunspell`.
    pub fn system() -> &'static Dictionaries {
        static SYSTEM: OnceLock<Dictionaries> = OnceLock::new();
        SYSTEM.get_or_init(|| {
            let dir =
                std::env::var_os("SHOPAUDIT_HUNSPELL_DIR").map_or_else(|| "/usr/share/hunspell".into(), PathBuf::from);
            Dictionaries::at(&dir)
        })
    }

    /// The language's dictionary; `None` when it is not installed or cannot be read (said in
    /// the log once).
    pub fn get(&self, language: Language) -> Option<Arc<Dictionary>> {
        self.loaded[language.index()]
            .get_or_init(|| match self.read(language) {
                Ok(d) => Some(Arc::new(d)),
                Err(why) => {
                    tracing::info!("no {} spelling dictionary: {why}", language.code());
                    None
                }
            })
            .clone()
    }

    fn read(&self, language: Language) -> Result<Dictionary, String> {
        let path = |ext: &str| self.dir.join(format!("{}.{ext}", language.file()));
        let bytes = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()));
        let (aff, dic) = (bytes(path("aff"))?, bytes(path("dic"))?);
        let encoding = charset(&aff);
        let (aff, dic) = (encoding.decode(&aff).0, encoding.decode(&dic).0);
        Dictionary::new(&aff, &dic).map_err(|e| format!("{}: {e}", path("aff").display()))
    }
}

/// The encoding the `.aff` file's `SET` line names (Debian's Greek dictionary is ISO-8859-7);
/// UTF-8 when it names none or one encoding_rs does not know.
fn charset(aff: &[u8]) -> &'static encoding_rs::Encoding {
    aff.split(|b| *b == b'\n')
        .find_map(|line| line.strip_prefix(b"SET "))
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim_ascii()))
        .unwrap_or(encoding_rs::UTF_8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_line_names_the_encoding() {
        assert_eq!(charset(b"# x\nSET ISO8859-7\nTRY abc\n"), encoding_rs::ISO_8859_7);
        assert_eq!(charset(b"SET UTF-8\r\n"), encoding_rs::UTF_8);
        assert_eq!(charset(b"TRY abc\n"), encoding_rs::UTF_8);
    }

    #[test]
    fn a_missing_dictionary_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Dictionaries::at(dir.path()).get(Language::German).is_none());
    }

    #[test]
    fn a_dictionary_in_a_legacy_encoding_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let (aff, _, _) = encoding_rs::ISO_8859_7.encode("SET ISO8859-7\n");
        let (dic, _, _) = encoding_rs::ISO_8859_7.encode("2\nκαλημέρα\nευχαριστώ\n");
        std::fs::write(dir.path().join("el_GR.aff"), aff).unwrap();
        std::fs::write(dir.path().join("el_GR.dic"), dic).unwrap();
        let d = Dictionaries::at(dir.path()).get(Language::Greek).unwrap();
        assert!(d.check("ευχαριστώ") && !d.check("ευχαριστο"));
    }
}
