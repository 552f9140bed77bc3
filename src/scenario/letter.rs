//! A letter's words: its subject and body are small templates, so one scenario can ask about
//! a product by name, sign with the shopper's name, or be copied between stores unchanged.
//! `{{ store.name }}`, `{{ store.url }}`, `{{ shopper.name }}`, `{{ shopper.email }}`,
//! `{{ letter.id }}`, and every key of `email.vars` and the letter's own `vars` (the letter's
//! win). A name the scenario does not define is an error when the scenario is read, never a
//! blank in a letter a store receives.

use minijinja::{context, Environment, UndefinedBehavior, Value};

use crate::scenario::{Letter, Scenario};

/// The letter's subject and body as they will be sent, or what is wrong with its templates.
pub fn render(scenario: &Scenario, letter: &Letter) -> Result<(String, String), String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Letters are plain text: nothing is HTML-escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let mut vars = scenario.email.vars.clone();
    vars.extend(letter.vars.clone());
    let shopper = scenario.shopper.as_ref().map(|s| context! { name => s.name, email => s.email });
    let ctx = context! {
        store => context! { name => scenario.store_name(), url => scenario.store.url.to_string() },
        shopper => shopper.unwrap_or(Value::UNDEFINED),
        letter => context! { id => letter.id },
        ..Value::from_serialize(&vars)
    };
    let one = |part: &str, text: &str| {
        env.render_str(text, &ctx).map_err(|e| {
            let what = match e.kind() {
                minijinja::ErrorKind::UndefinedError => {
                    let mut unknown: Vec<String> = env
                        .template_from_str(text)
                        .map(|t| t.undeclared_variables(false).into_iter().collect())
                        .unwrap_or_default();
                    unknown.retain(|name| ctx.get_attr(name).map_or(true, |v| v.is_undefined()));
                    unknown.sort();
                    format!(
                        "uses {}, which the scenario does not define (set it in email.vars or the letter's vars)",
                        if unknown.is_empty() { "an undefined name".to_string() } else { unknown.join(", ") }
                    )
                }
                _ => e.to_string(),
            };
            format!("email.letters {:?}: {part}: {what}", letter.id)
        })
    };
    Ok((one("subject", &letter.subject)?, one("body", &letter.body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(letters: &str) -> Result<Scenario, String> {
        let text = format!(
            "[store]\nurl = \"http://127.0.0.1:1/\"\nname = \"Acme\"\n[shopper]\nname = \"Anna\"\n\
             email = \"anna@audit.test\"\n[email]\nvars = {{ product = \"Trail 42\" }}\n{letters}"
        );
        Scenario::parse(&text, std::path::Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn names_from_the_scenario_fill_the_letter() {
        let s = scenario(
            "[[email.letters]]\nid = \"size\"\nsubject = \"{{ product }} at {{ store.name }}\"\n\
             body = \"Is {{ product }} in {{ colour }}? <b>&</b>\\n{{ shopper.name }}\"\nvars = { colour = \"red\" }\n",
        )
        .unwrap();
        let (subject, body) = render(&s, &s.email.letters[0]).unwrap();
        assert_eq!(subject, "Trail 42 at Acme");
        assert_eq!(body, "Is Trail 42 in red? <b>&</b>\nAnna");
    }

    #[test]
    fn an_undefined_name_or_bad_syntax_is_a_scenario_error() {
        let e = scenario("[[email.letters]]\nid = \"x\"\nsubject = \"Hi\"\nbody = \"Is {{ prodcut }} in stock?\"\n")
            .unwrap_err();
        assert!(e.contains("\"x\": body: uses prodcut, which the scenario does not define"), "{e}");
        let e = scenario("[[email.letters]]\nid = \"y\"\nsubject = \"{{ product\"\nbody = \"b\"\n").unwrap_err();
        assert!(e.contains("\"y\": subject"), "{e}");
    }
}
