//! The crate's layers, checked on its sources: every module uses only modules of the layers
//! below it (see the crate docs' "Layers"), so that the circuit reads in one direction.
//!
//! A reference is a `crate::<module>` path on a line of code (lines that start with `//` and
//! the `#[cfg(test)] mod … { … }` blocks at the bottom of gadget files are skipped; a trailing
//! `//` comment is cut). The crate root only declares modules and re-exports them: code in a
//! module must name the module that defines an item, not its re-export at the root.

/// The layers, bottom first: a module may use only the modules before it.
const LAYERS: &[&str] = &[
    "columns",
    "error",
    "builder",
    "step_witness",
    "public",
    "gadgets",
    "selectors",
    "tables",
    "heap",
    "memory_check",
    "execution",
    "config",
    "gate_cost",
    "layout",
    "segment",
    "witness",
    "physical",
    "circuit",
    "audit",
];

/// `(module, file, source)` of every file of the crate but the test modules.
const SOURCES: &[(&str, &str, &str)] = &[
    ("lib", "lib.rs", include_str!("lib.rs")),
    ("columns", "columns.rs", include_str!("columns.rs")),
    ("error", "error.rs", include_str!("error.rs")),
    ("builder", "builder.rs", include_str!("builder.rs")),
    ("step_witness", "step_witness.rs", include_str!("step_witness.rs")),
    ("public", "public.rs", include_str!("public.rs")),
    ("gadgets", "gadgets/mod.rs", include_str!("gadgets/mod.rs")),
    ("gadgets", "gadgets/arith.rs", include_str!("gadgets/arith.rs")),
    ("gadgets", "gadgets/bitcount.rs", include_str!("gadgets/bitcount.rs")),
    ("gadgets", "gadgets/bitwise.rs", include_str!("gadgets/bitwise.rs")),
    ("gadgets", "gadgets/compare.rs", include_str!("gadgets/compare.rs")),
    ("gadgets", "gadgets/control.rs", include_str!("gadgets/control.rs")),
    ("gadgets", "gadgets/convert.rs", include_str!("gadgets/convert.rs")),
    ("gadgets", "gadgets/divide.rs", include_str!("gadgets/divide.rs")),
    ("gadgets", "gadgets/frame.rs", include_str!("gadgets/frame.rs")),
    ("gadgets", "gadgets/host.rs", include_str!("gadgets/host.rs")),
    ("gadgets", "gadgets/memory.rs", include_str!("gadgets/memory.rs")),
    ("gadgets", "gadgets/memory_size.rs", include_str!("gadgets/memory_size.rs")),
    ("gadgets", "gadgets/shift.rs", include_str!("gadgets/shift.rs")),
    ("gadgets", "gadgets/signed.rs", include_str!("gadgets/signed.rs")),
    ("gadgets", "gadgets/stack.rs", include_str!("gadgets/stack.rs")),
    ("gadgets", "gadgets/stub.rs", include_str!("gadgets/stub.rs")),
    ("selectors", "selectors.rs", include_str!("selectors.rs")),
    ("tables", "tables.rs", include_str!("tables.rs")),
    ("heap", "heap.rs", include_str!("heap.rs")),
    ("memory_check", "memory_check.rs", include_str!("memory_check.rs")),
    ("execution", "execution.rs", include_str!("execution.rs")),
    ("config", "config.rs", include_str!("config.rs")),
    ("gate_cost", "gate_cost.rs", include_str!("gate_cost.rs")),
    ("layout", "layout.rs", include_str!("layout.rs")),
    ("segment", "segment.rs", include_str!("segment.rs")),
    ("witness", "witness.rs", include_str!("witness.rs")),
    ("physical", "physical.rs", include_str!("physical.rs")),
    ("circuit", "circuit.rs", include_str!("circuit.rs")),
    ("audit", "audit.rs", include_str!("audit.rs")),
];

/// The lines of code of `src`: without comment lines, trailing comments and the
/// `#[cfg(test)] mod … { … }` blocks.
fn code_lines(src: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if t == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            // Skip the test module: to the line where its braces close.
            let mut depth = 0i64;
            i += 1;
            while i < lines.len() {
                depth += lines[i].matches('{').count() as i64 - lines[i].matches('}').count() as i64;
                i += 1;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        if !t.starts_with("//") {
            // Cut a trailing comment (a `//` outside a string literal).
            let code = match lines[i].match_indices("//").find(|(at, _)| lines[i][..*at].matches('"').count() % 2 == 0)
            {
                Some((at, _)) => &lines[i][..at],
                None => lines[i],
            };
            out.push((i + 1, code));
        }
        i += 1;
    }
    out
}

/// The first segment of every `crate::` path of a line (`crate::{a, b::c}` gives `a` and `b`).
fn crate_refs(line: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut refs = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `halowasm_crate::`, `$crate::`
        }
        let rest = &line[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            refs.extend(group.split(',').map(|p| ident(p.trim())).filter(|p| !p.is_empty()));
        } else {
            refs.push(ident(rest));
        }
    }
    refs
}

/// The modules a file declares with `mod name;` (those behind `#[cfg(test)]` left out).
fn declared_modules(src: &str) -> Vec<String> {
    let lines: Vec<&str> = src.lines().map(str::trim).collect();
    (0..lines.len())
        .filter(|&i| i == 0 || lines[i - 1] != "#[cfg(test)]")
        .filter_map(|i| lines[i].strip_prefix("mod ").and_then(|m| m.strip_suffix(';')).map(str::to_string))
        .collect()
}

/// Every reference of `sources` that goes against `layers`, and every module missing from them.
fn violations(layers: &[&str], sources: &[(&str, &str, &str)]) -> Vec<String> {
    let layer = |m: &str| layers.iter().position(|l| *l == m);
    let mut v = Vec::new();
    for (module, file, src) in sources {
        let own = layer(module);
        if own.is_none() && *module != "lib" {
            v.push(format!("{file}: module `{module}` is in no layer"));
        }
        for (n, line) in code_lines(src) {
            for r in crate_refs(line) {
                match (own, layer(&r)) {
                    (_, None) => v.push(format!(
                        "{file}:{n}: `crate::{r}` is not a module of the layers (name the module that defines it)"
                    )),
                    (None, Some(_)) => {
                        v.push(format!("{file}:{n}: the crate root uses `crate::{r}`; it only re-exports"))
                    }
                    (Some(a), Some(b)) if b > a => v.push(format!("{file}:{n}: `{module}` uses `{r}`, a higher layer")),
                    _ => {}
                }
            }
        }
    }
    let mut check_declared = |parent: &str, under: &str| {
        let Some((_, _, src)) = sources.iter().find(|(_, f, _)| *f == parent) else { return };
        for m in declared_modules(src) {
            let file = format!("{under}{m}.rs");
            let dir = format!("{under}{m}/mod.rs");
            if !sources.iter().any(|(_, f, _)| *f == file || *f == dir) {
                v.push(format!("{parent}: module `{m}` is not among the checked sources"));
            }
        }
    };
    check_declared("lib.rs", "");
    check_declared("gadgets/mod.rs", "gadgets/");
    v
}

/// The layers the crate docs list (`//! N. \`module\` …` lines), in order.
fn documented_layers(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| l.strip_prefix("//! "))
        .filter_map(|l| {
            let (n, rest) = l.split_once(". `")?;
            n.chars().all(|c| c.is_ascii_digit()).then(|| rest.split('`').next().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn modules_use_only_lower_layers() {
    let v = violations(LAYERS, SOURCES);
    assert!(v.is_empty(), "the crate's layering is broken:\n{}", v.join("\n"));
}

#[test]
fn the_crate_docs_list_the_layers() {
    assert_eq!(documented_layers(SOURCES[0].2), LAYERS);
}

#[test]
fn the_check_sees_a_cycle() {
    let sources: &[(&str, &str, &str)] = &[
        ("tables", "tables.rs", "use crate::builder::c;\nlet d = crate::heap::data_words(image);\n"),
        ("heap", "heap.rs", "use crate::tables::Tables;\n"),
        ("witness", "witness.rs", "//! see [`crate::circuit`]\nuse crate::{builder::c, VmCircuit};\n"),
        ("gadgets", "gadgets/x.rs", "#[cfg(test)]\nmod tests {\n    use crate::witness::W;\n}\n"),
    ];
    let v = violations(LAYERS, sources);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].starts_with("tables.rs:2: `tables` uses `heap`"), "{v:?}");
    assert!(v[1].contains("`crate::VmCircuit` is not a module"), "{v:?}");
}
