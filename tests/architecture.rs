//! The library's layers point one way. Each module's imports are read from its source
//! (`crate::…` and `super::…` paths, `use` groups, and the root's own module paths); the test
//! fails on any import cycle between modules and on any arrow from a lower layer to a higher
//! one. The layers, lowest first, are the list below: the model imports nothing of ours, the
//! probes never see checks or reports, the checks never see the probes, and so on.
//!
//! A module's own children may use its items (`super::Verdict`): that is how a module is
//! split into files, not an import. Test modules (`#[cfg(test)]` and after) may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level modules by layer, lowest first. A module may import only from lower layers (and
/// from within its own top-level module); modules of one layer do not import each other.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["error", "clock", "business_time", "hours"],
    &["knowledge", "lock"],
    &["scenario", "extract", "history"],
    &["schedule"],
    &["probes"],
    &["assess", "accuracy"],
    &["checks"],
    &["report"],
    &["portfolio", "alerts"],
    &["crate"],
    &["run", "serve", "followup"],
    &["fleet"],
    &["web"],
    &["demo"],
    &["bench"],
];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_library_has_no_import_cycle() {
    let graph = graph(&modules(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path()));
    assert!(graph.contains_key("model::evidence"), "the module scan found no modules: {graph:?}");
    let cycles = cycles(&graph);
    assert!(cycles.is_empty(), "import cycles: {cycles:?}");
}

#[test]
fn every_import_points_down_the_layers() {
    let graph = graph(&modules(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path()));
    let unplaced: BTreeSet<&str> = graph.keys().map(|m| top(m)).filter(|t| layer(t).is_none()).collect();
    assert!(unplaced.is_empty(), "modules in no layer of tests/architecture.rs: {unplaced:?}");
    let wrong = upward(&graph);
    assert!(wrong.is_empty(), "imports against the layers (lower -> higher): {wrong:?}");
}

#[test]
fn the_model_imports_nothing_of_ours() {
    let graph = graph(&modules(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path()));
    let out: Vec<_> = graph
        .iter()
        .filter(|(m, _)| top(m) == "model")
        .flat_map(|(m, to)| to.iter().filter(|t| top(t) != "model").map(move |t| format!("{m} -> {t}")))
        .collect();
    assert!(out.is_empty(), "{out:?}");
}

/// The checks above can fail: a cycle and an upward arrow written on purpose are found.
#[test]
fn the_rules_catch_a_cycle_and_an_upward_import() {
    let files: Vec<(String, String)> = vec![
        ("model::a".into(), "use crate::checks::Check;".into()),
        ("checks".into(), "use crate::model::a::A; use crate::report::{x, y::Z};".into()),
        ("report".into(), "fn f() { crate::checks::run(); }".into()),
        ("report::y".into(), "use super::super::model::a;".into()),
        ("crate".into(), "pub mod model; fn g() { report::render(); }".into()),
    ];
    let graph = graph(&files);
    assert_eq!(graph["report::y"], BTreeSet::from(["model::a".to_string()]));
    assert!(graph["crate"].contains("report"));
    let cycles = cycles(&graph);
    assert!(
        cycles.iter().any(|c| c.contains(&"checks".to_string()) && c.contains(&"report".to_string())),
        "{cycles:?}"
    );
    let wrong = upward(&graph);
    assert!(wrong.contains(&"model::a -> checks".to_string()), "{wrong:?}");
    assert!(wrong.contains(&"checks -> report".to_string()), "{wrong:?}");
    assert!(!wrong.contains(&"report -> checks".to_string()), "{wrong:?}");
}

/// Every `.rs` file under `src` but the binary's, as (module path, source before its tests).
fn modules(src: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            // The binary (main.rs, cli/) is not the library: it may use any of it.
            let binary = rel == Path::new("main.rs") || rel.starts_with("cli") || rel.starts_with("bin");
            if path.extension().is_none_or(|e| e != "rs") || binary {
                continue;
            }
            let mut parts: Vec<String> =
                rel.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let name = if parts.is_empty() { "crate".to_string() } else { parts.join("::") };
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
            out.push((name, code));
        }
    }
    out
}

/// Module -> the other modules whose items it uses.
fn graph(files: &[(String, String)]) -> Graph {
    let names: BTreeSet<&str> = files.iter().map(|(m, _)| m.as_str()).collect();
    let tops: BTreeSet<&str> = names.iter().map(|m| top(m)).filter(|t| *t != "crate").collect();
    let mut graph = Graph::new();
    for (module, code) in files {
        let mut paths = Vec::new();
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent(module))] {
            for path in paths_after(code, prefix) {
                let mut base = base.clone();
                let mut segs: Vec<&str> = path.split("::").collect();
                while segs.first() == Some(&"super") {
                    segs.remove(0);
                    base = parent(&base.join("::"));
                }
                base.extend(segs.iter().map(|s| s.to_string()));
                paths.push(base);
            }
        }
        if module == "crate" {
            // The root names its modules without `crate::`.
            for t in &tops {
                paths.extend(
                    paths_after(code, &format!("{t}::"))
                        .into_iter()
                        .map(|p| std::iter::once(t.to_string()).chain(p.split("::").map(str::to_string)).collect()),
                );
            }
        }
        let to = graph.entry(module.clone()).or_default();
        for segs in paths {
            let target = (1..=segs.len())
                .rev()
                .map(|k| segs[..k].join("::"))
                .find(|c| names.contains(c.as_str()))
                .unwrap_or_else(|| "crate".to_string());
            // Children use their ancestors' items; the root's items (`crate::audit_with`) are
            // the root's, which is an import like any other.
            let ancestor = target != "crate" && module.starts_with(&format!("{target}::"));
            if target != *module && !ancestor {
                to.insert(target);
            }
        }
    }
    graph
}

/// The module `super` names from `module` ("a::b" -> ["a"], "a" -> []).
fn parent(module: &str) -> Vec<String> {
    let mut segs: Vec<String> = module.split("::").filter(|s| *s != "crate").map(str::to_string).collect();
    segs.pop();
    segs
}

/// Every path after `prefix` in `code`, with `prefix{a::b, c::{d, e}}` groups spread out.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if bytes.get(from) == Some(&b'{') {
            let (group, end) = braced(code, from);
            out.extend(spread(&group));
            from = end;
        } else {
            out.push(ident_path(&code[from..]));
        }
    }
    out.retain(|p| !p.is_empty() && p != "self");
    out
}

/// The text inside the braces opening at `open`, and the index after them.
fn braced(code: &str, open: usize) -> (String, usize) {
    let mut depth = 0;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (code[open + 1..open + i].to_string(), open + i + 1);
                }
            }
            _ => {}
        }
    }
    (code[open + 1..].to_string(), code.len())
}

/// `a::B, c::{d, e}` -> ["a::B", "c::d", "c::e"].
fn spread(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in group.chars().chain(std::iter::once(',')) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let item_text = item.trim();
            if let Some((head, rest)) = item_text.split_once("::{") {
                let inner = rest.strip_suffix('}').unwrap_or(rest);
                out.extend(spread(inner).into_iter().map(|i| format!("{head}::{i}")));
            } else {
                out.push(ident_path(item_text));
            }
            item.clear();
        } else {
            item.push(c);
        }
    }
    out
}

/// The leading `a::b::C` of `text` (identifiers joined by `::`).
fn ident_path(text: &str) -> String {
    let mut end = 0;
    let bytes = text.as_bytes();
    while end < bytes.len() {
        let c = bytes[end];
        if c.is_ascii_alphanumeric() || c == b'_' {
            end += 1;
        } else if text[end..].starts_with("::")
            && bytes.get(end + 2).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            end += 2;
        } else {
            break;
        }
    }
    text[..end].to_string()
}

/// The top-level module of a module path ("probes::email" -> "probes").
fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn layer(top_module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top_module))
}

/// Imports from one top-level module into another that is not in a lower layer.
fn upward(graph: &Graph) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, to) in graph {
        for t in to {
            if top(from) == top(t) {
                continue;
            }
            match (layer(top(from)), layer(top(t))) {
                (Some(a), Some(b)) if b < a => {}
                _ => wrong.push(format!("{from} -> {t}")),
            }
        }
    }
    wrong
}

/// Strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}
