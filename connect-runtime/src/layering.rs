//! A test, not a module of the runtime: the top-level modules form a DAG (no import cycles), in
//! the layer order `lib.rs` documents. Parses the sources (syn) and follows every `crate::`
//! path and `use` tree, grouped or not, including those inside macro invocations; comments
//! and strings do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: a module may only name modules before it.
const LAYERS: &[&str] = &[
    "policy",
    "config",
    "store",
    "state",
    "http",
    "auth",
    "lifecycle",
    "client",
    "error",
    "handler",
    "privacy",
    "app",
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
            let file = syn::parse_file(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let mut names = CrateNames::default();
            syn::visit::visit_file(&mut names, &file);
            let edges = graph.entry(module.clone()).or_default();
            edges.extend(
                names
                    .0
                    .into_iter()
                    .filter(|target| LAYERS.contains(&target.as_str()) && *target != module),
            );
        }
    }
    graph
}

/// The top-level modules a file names through `crate::`: in paths (`crate::a::B`), in `use`
/// trees however grouped (`use crate::{a, b::C}`, `use crate::*` counts as every module), and
/// in `super::` paths that climb out of the top-level module (not used here, so refused).
#[derive(Default)]
struct CrateNames(BTreeSet<String>);

impl CrateNames {
    fn use_tree(&mut self, tree: &syn::UseTree, under_crate: bool) {
        match tree {
            syn::UseTree::Path(path) if path.ident == "crate" => self.use_tree(&path.tree, true),
            syn::UseTree::Path(path) if under_crate => {
                self.0.insert(path.ident.to_string());
            }
            syn::UseTree::Name(name) if under_crate => {
                self.0.insert(name.ident.to_string());
            }
            syn::UseTree::Rename(rename) if under_crate => {
                self.0.insert(rename.ident.to_string());
            }
            syn::UseTree::Glob(_) if under_crate => {
                self.0
                    .extend(LAYERS.iter().map(|layer| (*layer).to_owned()));
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, under_crate);
                }
            }
            _ => {}
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for CrateNames {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, false);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if segments.next().is_some_and(|first| first.ident == "crate")
            && let Some(module) = segments.next()
        {
            self.0.insert(module.ident.to_string());
        }
        syn::visit::visit_path(self, path);
    }

    // Paths inside macro invocations (`tracing::info!`, `format!`) are tokens, not syntax: a
    // `crate::` in them is read from the tokens.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let tokens: Vec<proc_macro2::TokenTree> = mac.tokens.clone().into_iter().collect();
        self.tokens(&tokens);
        syn::visit::visit_macro(self, mac);
    }
}

impl CrateNames {
    fn tokens(&mut self, tokens: &[proc_macro2::TokenTree]) {
        use proc_macro2::TokenTree;
        for (index, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Ident(ident) if ident == "crate" => {
                    if let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(module)),
                    ) = (
                        tokens.get(index + 1),
                        tokens.get(index + 2),
                        tokens.get(index + 3),
                    ) && a.as_char() == ':'
                        && b.as_char() == ':'
                    {
                        self.0.insert(module.to_string());
                    }
                }
                TokenTree::Group(group) => {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    self.tokens(&inner);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn grouped_and_nested_names_are_seen() {
    let file = syn::parse_file(
        "use crate::{auth, store::{Tenant, memory}};\nuse crate::client as c;\nfn f() { let _ = crate::app::X; tracing::info!(\"{}\", crate::lifecycle::Y); }",
    )
    .unwrap();
    let mut names = CrateNames::default();
    syn::visit::visit_file(&mut names, &file);
    let expected: BTreeSet<String> = ["auth", "store", "client", "app", "lifecycle"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(names.0, expected);
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
