//! A page's visible text as lines: block elements and `<br>` end a line, inline elements do
//! not ("Пн–Пт <b>9–18</b>" stays one line), and scripts, styles and templates are skipped.
//! The walk is iterative, so deeply nested pages cannot overflow the stack.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements that start and end a line. (A `match`, not a list search: it runs twice per
/// element of every page.)
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "option"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "button"
            | "label"
            | "summary"
            | "details"
    )
}

/// Elements whose text a visitor does not see.
fn is_hidden(name: &str) -> bool {
    matches!(name, "script" | "style" | "noscript" | "template" | "head" | "svg" | "iframe" | "object")
}

/// The page's visible text, one trimmed, whitespace-collapsed line per block.
pub fn lines(doc: &Html) -> Vec<String> {
    let mut buffer = String::new();
    let mut hidden_depth = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if is_hidden(e.name()) => hidden_depth += 1,
                Node::Element(e) if hidden_depth == 0 && is_block(e.name()) => buffer.push('\n'),
                Node::Text(t) if hidden_depth == 0 => buffer.push_str(t),
                _ => {}
            },
            Edge::Close(node) => match node.value() {
                Node::Element(e) if is_hidden(e.name()) => hidden_depth -= 1,
                Node::Element(e) if hidden_depth == 0 && is_block(e.name()) => buffer.push('\n'),
                _ => {}
            },
        }
    }
    buffer.lines().map(collapse).filter(|l| !l.is_empty()).collect()
}

/// Collapses runs of white space (including no-break spaces) to one space and trims.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The text of an element, collapsed.
pub fn element_text(e: &scraper::ElementRef<'_>) -> String {
    collapse(&e.text().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_break_lines_and_inline_does_not() {
        let doc = Html::parse_document(
            "<html><head><title>T</title><style>p{}</style></head><body>\
             <p>Пн–Пт <b>9–18</b></p><div>a<br>b</div><script>var x='hidden'</script>\
             <!-- comment --><p>  spaced \u{a0} out </p></body></html>",
        );
        assert_eq!(lines(&doc), vec!["Пн–Пт 9–18", "a", "b", "spaced out"]);
    }
}
