//! How answers read, judged with Debian's real Hunspell dictionaries (scripts/setup installs
//! hunspell-ru, hunspell-en-us, hunspell-el and hunspell-de-de) and whatlang.

use std::collections::BTreeSet;

use shopaudit::extract::reading::{read, signed_names, Context};
use shopaudit::knowledge::spelling::Dictionaries;
use shopaudit::model::evidence::{Reading, Spelling};

fn reading(answer: &str, asked: &str, vocabulary: &[&str]) -> Reading {
    let k = shopaudit::knowledge::Knowledge::load().unwrap();
    let vocabulary: BTreeSet<String> = vocabulary.iter().map(|w| w.to_string()).collect();
    let names = signed_names(asked);
    let own = ["store.test".to_string()];
    let ctx = Context { asked, names: &names, vocabulary: &vocabulary, own_hosts: &own, late: false };
    read(answer, &ctx, &k.answers, Dictionaries::system())
}

fn misspelt(r: &Reading) -> Vec<String> {
    match &r.spelling {
        Spelling::Checked { misspelt, .. } => misspelt.clone(),
        other => panic!("not checked: {other:?}"),
    }
}

const LETTER_RU: &str = "Здравствуйте! Доставляете ли вы в Казань и сколько стоит доставка?\nАнна";

#[test]
fn a_literate_russian_answer_has_no_misspellings_and_a_careless_one_has_them() {
    let good = reading(
        "Здравствуйте, Анна! Да, доставляем в Казань курьером, стоимость доставки 300 рублей. \
         Заказ придёт через три дня.\n\nС уважением,\nЮлия Иванова",
        LETTER_RU,
        &[],
    );
    assert_eq!(misspelt(&good), Vec::<String>::new(), "{good:?}");
    assert_eq!((good.script.as_deref(), good.asked_script.as_deref()), (Some("Cyrillic"), Some("Cyrillic")));
    assert_eq!(good.other_language(), None);
    assert!(good.greets && good.names_buyer && !good.thanks, "{good:?}");
    let bad = reading(
        "Здраствуйте! Да, доставляем в Казань, стоимось доставки 300 рублей, заказ прийдет чериз три дня.",
        LETTER_RU,
        &[],
    );
    assert_eq!(misspelt(&bad), ["Здраствуйте", "стоимось", "прийдет", "чериз"], "{bad:?}");
}

#[test]
fn names_brands_codes_links_and_the_stores_words_are_not_misspellings() {
    let r = reading(
        "Hello Anna, thank you for writing. The kettle Bosch TWK-3A7 ships from our warehouse in Kazan; \
         see https://store.test/kettles/twk3a7 or write to help@store.test. Our Rapidoboil range ships too.",
        "Hello! Do you ship the kettle to Kazan?\nAnna",
        &["rapidoboil"],
    );
    assert_eq!(misspelt(&r), Vec::<String>::new(), "{r:?}");
    assert!(r.elsewhere.is_empty() && r.thanks && r.names_buyer, "{r:?}");
    let careless = reading(
        "Hello, we recieve your order and will ship it tommorow to the adress you gave.",
        "Hello! Do you ship to Kazan?\nAnna",
        &[],
    );
    assert_eq!(misspelt(&careless), ["recieve", "tommorow", "adress"]);
}

#[test]
fn greek_and_german_answers_are_checked_with_their_own_dictionaries() {
    let greek = reading(
        "Καλημέρα σας! Ευχαριστούμε για το μήνυμά σας. Η παράδοση στη Λεμεσό γίνεται σε δύο ημέρες.",
        "Γεια σας! Πόσες μέρες κάνει η παράδοση στη Λεμεσό;",
        &[],
    );
    assert_eq!(misspelt(&greek), Vec::<String>::new(), "{greek:?}");
    assert!(greek.greets && greek.thanks);
    let german = reading(
        "Guten Tag! Vielen Dank für Ihre Nachricht. Die Lieferung nach Berlin dauert zwei Tage.",
        "Guten Tag, wie lange dauert die Lieferung nach Berlin?",
        &[],
    );
    assert_eq!(misspelt(&german), Vec::<String>::new(), "{german:?}");
    let sloppy = reading(
        "Guten Tag! Die Liferung nach Berlin dauert zwei Tage, wir entschuldigen uns fur die Verspatung.",
        "Guten Tag, wie lange dauert die Lieferung nach Berlin?",
        &[],
    );
    assert_eq!(misspelt(&sloppy), ["Liferung", "fur", "Verspatung"]);
    assert!(sloppy.apologizes);
}

#[test]
fn an_english_answer_to_a_russian_letter_is_told_by_its_language() {
    let r = reading(
        "Good afternoon. We do deliver to Kazan by courier; delivery costs about four dollars and takes three days.",
        LETTER_RU,
        &[],
    );
    assert_eq!(r.other_language(), Some(("eng".into(), "rus".into())), "{r:?}");
    // A letter too short for a reliable guess still has its writing system.
    let short = reading("Yes, we deliver.", "Казань?", &[]);
    assert_eq!((&short.language, &short.asked_in), (&None, &None), "{short:?}");
    assert_eq!(short.other_language(), Some(("Latin script".into(), "Cyrillic script".into())), "{short:?}");
    let same = reading("Здравствуйте! Да, доставляем.", LETTER_RU, &[]);
    assert_eq!(same.other_language(), None, "{same:?}");
}
