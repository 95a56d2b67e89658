//! A test, not a module of the runtime: the top-level modules form a DAG (no import cycles), in
//! the layer order `lib.rs` documents. Reads the sources and follows every `crate::<module>`
//! path outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: a module may only name modules before it.
const LAYERS: &[&str] = &[
    "config",
    "store",
    "state",
    "http",
    "auth",
    "lifecycle",
    "client",
    "error",
    "handler",
    "app",
    "testing",
];

fn top_module(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "layering" && name != "robustness").then(|| name.to_owned())
}

fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Some(module) = path.strip_prefix(&root).ok().and_then(top_module) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).expect("source");
            let edges = graph.entry(module.clone()).or_default();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let target: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if LAYERS.contains(&target.as_str()) && target != module {
                        edges.insert(target);
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn modules_only_depend_on_lower_layers() {
    let graph = dependencies();
    assert!(graph.len() >= 9, "modules found: {graph:?}");
    for (module, targets) in &graph {
        let layer = LAYERS
            .iter()
            .position(|l| l == module)
            .unwrap_or_else(|| panic!("module `{module}` has no layer in LAYERS"));
        for target in targets {
            let target_layer = LAYERS
                .iter()
                .position(|l| l == target)
                .unwrap_or(usize::MAX);
            assert!(
                target_layer < layer,
                "`{module}` names `crate::{target}`, a module of a higher layer (import cycle risk)"
            );
        }
    }
}
