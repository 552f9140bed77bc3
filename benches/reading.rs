//! How an answer is read, and what it costs: each Hunspell dictionary's first use (read,
//! converted, compiled), the process's memory with all four loaded, and the time to read one
//! answer (spelling, language, links, tone) in each language. Prints figures; judges nothing.
//!
//! `cargo bench --bench reading` (needs the dictionaries `bash scripts/setup` installs).

use std::collections::BTreeSet;
use std::time::Instant;

use shopaudit::extract::reading::{read, signed_names, Context};
use shopaudit::knowledge::spelling::{Dictionaries, Language};

const ANSWERS: usize = 1_000;

fn main() {
    let k = shopaudit::knowledge::Knowledge::load().unwrap();
    let dictionaries = Dictionaries::system();
    println!("| dictionary | first use |\n|---|---|");
    for language in Language::ALL {
        let started = Instant::now();
        let loaded = dictionaries.get(language).is_some();
        let took = started.elapsed();
        println!(
            "| {} ({}) | {} |",
            language.code(),
            language.package(),
            if loaded { format!("{took:.2?}") } else { "not installed".into() }
        );
    }
    println!("\npeak memory with every dictionary loaded: {} MB\n", peak_mb());
    let samples = [
        ("ru", "Здравствуйте! Доставляете ли вы в Казань?\nАнна", "Здравствуйте, Анна! Да, доставляем в Казань курьером, стоимость доставки 300 рублей, заказ придёт через три дня. Извините за задержку с ответом.\n\nС уважением,\nЮлия Иванова"),
        ("en", "Hello! Do you ship to Kazan?\nAnna", "Hello Anna, thank you for writing. Yes, we ship to Kazan by courier; it costs 300 roubles and takes three days. See https://www.ozon.ru/product/1 for a cheaper one.\n\nBest regards,\nMark Stone"),
        ("el", "Γεια σας! Στέλνετε στη Λεμεσό;\nΆννα", "Καλημέρα σας! Ευχαριστούμε για το μήνυμά σας. Η παράδοση στη Λεμεσό γίνεται σε δύο ημέρες και κοστίζει πέντε ευρώ."),
        ("de", "Guten Tag, liefern Sie nach Berlin?\nAnna", "Guten Tag! Vielen Dank für Ihre Nachricht. Die Lieferung nach Berlin dauert zwei Tage und kostet fünf Euro."),
    ];
    let vocabulary = BTreeSet::new();
    let own = ["store.example".to_string()];
    println!("| answer | words | per answer ({ANSWERS} answers) |\n|---|---|---|");
    for (language, asked, answer) in samples {
        let names = signed_names(asked);
        let ctx = Context { asked, names: &names, vocabulary: &vocabulary, own_hosts: &own, late: false };
        let started = Instant::now();
        let mut words = 0;
        for _ in 0..ANSWERS {
            words = read(answer, &ctx, &k.answers, dictionaries).words;
        }
        println!("| {language} | {words} | {:.2?} |", started.elapsed() / ANSWERS as u32);
    }
}

/// The process's peak resident memory (VmHWM), in megabytes.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
