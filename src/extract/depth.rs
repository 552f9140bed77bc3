//! A guard against pathologically deep pages. html5ever's tree builder does work
//! proportional to the depth of open elements for many tags, so 100,000 nested `<div>`s
//! (half a megabyte) take minutes to parse. Browsers cap the depth instead (Chromium attaches
//! everything past 512 levels to the element at level 512); this pre-pass does the same by
//! dropping start and end tags nested deeper than the cap. Text is kept, so contacts and
//! hours are still found. Ordinary pages are returned untouched without copying.

use std::borrow::Cow;

/// Chromium's parser depth limit.
pub const MAX_DEPTH: usize = 512;

/// Elements that never nest (void) or whose end tags are implied; they do not count.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "p",
    "li", "dt", "dd", "option", "tr", "td", "th", "tbody", "thead", "tfoot", "html", "head", "body",
];
/// Elements whose content is raw text: tags inside them are not tags.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag<'a> {
    Start(&'a str),
    SelfClosing,
    End(&'a str),
    Other,
}

/// Returns `html` with every tag deeper than `max` removed, or `html` itself if none is.
pub fn flatten(html: &str, max: usize) -> Cow<'_, str> {
    if !too_deep(html, max) {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut depth = 0usize;
    let mut dropped_ends: Vec<usize> = Vec::new();
    walk(html, |piece, tag| match tag {
        Some(Tag::Start(name)) if counts(name) => {
            depth += 1;
            if depth <= max {
                out.push_str(piece);
            } else {
                dropped_ends.push(depth);
            }
        }
        Some(Tag::End(name)) if counts(name) => {
            if dropped_ends.last() == Some(&depth) {
                dropped_ends.pop();
            } else {
                out.push_str(piece);
            }
            depth = depth.saturating_sub(1);
        }
        _ => out.push_str(piece),
    });
    Cow::Owned(out)
}

fn too_deep(html: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    walk(html, |_, tag| match tag {
        Some(Tag::Start(name)) if counts(name) => {
            depth += 1;
            deepest = deepest.max(depth);
        }
        Some(Tag::End(name)) if counts(name) => depth = depth.saturating_sub(1),
        _ => {}
    });
    deepest > max
}

fn counts(name: &str) -> bool {
    !NOT_NESTING.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Calls `f` with consecutive pieces of `html`: text (tag `None`) and tags.
fn walk<'a>(html: &'a str, mut f: impl FnMut(&'a str, Option<Tag<'a>>)) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = html[i..].find('<').map(|p| i + p) else {
            f(&html[i..], None);
            return;
        };
        if lt > i {
            f(&html[i..lt], None);
        }
        let (end, tag) = read_tag(html, lt);
        f(&html[lt..end], Some(tag));
        i = end;
        if let Tag::Start(name) = tag {
            if RAW_TEXT.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                let stop = closing(html, i, name);
                if stop > i {
                    f(&html[i..stop], None);
                }
                i = stop;
            }
        }
    }
}

/// Where the end tag of raw-text element `name` starts at or after `from` (any case), else the
/// end of `html`. Searched in place: a copy of the rest per `<script>` made pages with many
/// scripts quadratic.
fn closing(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut at = from;
    while let Some(p) = html[at..].find("</") {
        let start = at + p + 2;
        if bytes.get(start..start + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes())) {
            return at + p;
        }
        at = start;
    }
    html.len()
}

/// Reads the tag starting at `lt` ('<'); returns where it ends and what it is.
fn read_tag(html: &str, lt: usize) -> (usize, Tag<'_>) {
    let rest = &html[lt..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        let end = comment.find("-->").map_or(html.len(), |p| lt + 4 + p + 3);
        return (end, Tag::Other);
    }
    let Some(gt) = rest.find('>') else {
        return (html.len(), Tag::Other);
    };
    let end = lt + gt + 1;
    let inner = &rest[1..gt];
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(name) => (true, name),
        None => (false, inner),
    };
    let name_len = inner.find(|c: char| !c.is_ascii_alphanumeric() && c != '-').unwrap_or(inner.len());
    let name = &inner[..name_len];
    if name.is_empty() || !name.as_bytes()[0].is_ascii_alphabetic() {
        return (end, Tag::Other);
    }
    let tag = match (closing, inner.trim_end().ends_with('/')) {
        (true, _) => Tag::End(name),
        (false, true) => Tag::SelfClosing,
        (false, false) => Tag::Start(name),
    };
    (end, tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_untouched() {
        let html = "<html><body><div><p>a<p>b<ul><li>x<li>y</ul><script>if (a<b) {}</script></div></body></html>";
        assert!(matches!(flatten(html, 4), Cow::Borrowed(_)));
    }

    #[test]
    fn tags_past_the_cap_are_dropped_and_text_kept() {
        let html = "<div><div><div><span>deep</span></div></div></div><p>after</p>";
        assert_eq!(flatten(html, 2), "<div><div>deep</div></div><p>after</p>");
    }

    #[test]
    fn comments_and_scripts_hide_their_tags() {
        let html = "<div><!-- <div><div><div> --><script>'<div><div><div>'</script></div>";
        assert!(matches!(flatten(html, 2), Cow::Borrowed(_)));
    }
}
