//! Whether an answer addresses what the shopper asked: each question's expected words found
//! in the answer's own text (the quoted letter already removed), ignoring case, a `|` between
//! alternatives, a stem matching inside a longer word ("стоимост" in "стоимость").

use crate::model::evidence::{Addressed, Asked, Completeness};

/// The expected words (of `expect`) none of whose alternatives appear in `text`.
pub fn lacks(expect: &[String], text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    expect
        .iter()
        .filter(|word| {
            !word.split('|').map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).any(|w| text.contains(&w))
        })
        .cloned()
        .collect()
}

/// Each question marked answered when one of `answers` (the human replies in time) holds all
/// its words, and how complete the answers are together; no completeness without an answer.
/// With no questions, any answer is complete.
pub fn addressed(questions: &[Asked], answers: &[&str]) -> (Vec<Addressed>, Option<Completeness>) {
    let marked: Vec<Addressed> = questions
        .iter()
        .map(|q| Addressed {
            id: q.id.clone(),
            expect: q.expect.clone(),
            answered: answers.iter().any(|a| lacks(&q.expect, a).is_empty()),
        })
        .collect();
    let done = marked.iter().filter(|q| q.answered).count();
    let completeness = (!answers.is_empty()).then_some(match done {
        d if d == marked.len() => Completeness::Complete,
        0 => Completeness::Missed,
        _ => Completeness::Partial,
    });
    (marked, completeness)
}

/// Every question's words, in order: the flat `expect` list of the report.
pub fn all_words(questions: &[Asked]) -> Vec<String> {
    questions.iter().flat_map(|q| q.expect.iter().cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(id: &str, expect: &[&str]) -> Asked {
        Asked { id: id.into(), expect: expect.iter().map(|w| w.to_string()).collect() }
    }

    #[test]
    fn alternatives_stems_and_case() {
        let expect = vec!["Kazan|Казань".to_string(), "cost|price|стоимост".to_string()];
        assert!(lacks(&expect, "Доставка в КАЗАНЬ, стоимость 300 рублей").is_empty());
        assert_eq!(lacks(&expect, "We deliver to Kazan."), ["cost|price|стоимост"]);
        assert_eq!(lacks(&["| ".to_string()], "anything"), ["| "], "an empty alternative matches nothing");
    }

    #[test]
    fn two_questions_answered_by_two_replies_are_complete_and_one_is_partial() {
        let questions = [asked("delivery", &["Kazan|Казань"]), asked("cost", &["cost|price|стоимост"])];
        let (marked, whole) = addressed(&questions, &["We deliver to Kazan.", "The price is 300 roubles."]);
        assert!(marked.iter().all(|q| q.answered));
        assert_eq!(whole, Some(Completeness::Complete));
        let (marked, whole) = addressed(&questions, &["We deliver to Kazan."]);
        assert_eq!(marked.iter().map(|q| q.answered).collect::<Vec<_>>(), [true, false]);
        assert_eq!(whole, Some(Completeness::Partial));
        assert_eq!(addressed(&questions, &["Hello!"]).1, Some(Completeness::Missed));
        assert_eq!(addressed(&questions, &[]).1, None, "no answer, nothing to judge");
        assert_eq!(addressed(&[], &["Hello!"]).1, Some(Completeness::Complete), "nothing asked in words");
    }
}
