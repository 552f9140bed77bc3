//! `named_enum!`: an enum whose values have one fixed name each, written once and used for
//! the report's JSON, the history's columns and the command line alike.

/// Declares a `Copy` enum with serde names, `ALL`, `as_str`, `Display` and `FromStr` (whose
/// error lists the names). `what` names the kind in that error: "unknown severity \"x\" ...".
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name in reports, in the history and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    let list = match names.split_last() {
                        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                        _ => names.concat(),
                    };
                    format!("unknown {} {s:?} ({list})", $what)
                })
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use crate::model::evidence::{LetterState, MatchedBy};
    use crate::model::Severity;

    #[test]
    fn a_name_is_the_same_in_json_in_text_and_back() {
        for state in LetterState::ALL {
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{state}\""));
            assert_eq!(serde_json::from_str::<LetterState>(&json).unwrap(), *state);
            assert_eq!(state.as_str().parse::<LetterState>(), Ok(*state));
        }
        assert_eq!(serde_json::to_string(&MatchedBy::SubjectAndDomain).unwrap(), "\"subject and domain\"");
        assert_eq!(
            "urgent".parse::<Severity>(),
            Err("unknown severity \"urgent\" (info, minor, major or critical)".to_string())
        );
    }
}
