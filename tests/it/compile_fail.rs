//! Every compile-time check of the macros, from the user's side: one failure per file under
//! `tests/ui/fail/<category>/`, with the expected message and span in the `.stderr` beside it;
//! and what must compile, under `tests/ui/pass/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// Every row of the module-kind table is an attribute users can name (`connect::<attr>`) and
/// every Forge attribute a `forge::<name>`: a new row without its documented re-export in the
/// facade fails here.
#[test]
fn every_table_row_is_documented_and_re_exported_by_the_facade() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let connect = std::fs::read_to_string(root.join("src/connect.rs")).expect("src/connect.rs");
    for kind in atlassian_connect::descriptor::kind::KINDS {
        let export = format!("pub use connect_macros::{};", kind.attr);
        let at = connect
            .find(&export)
            .unwrap_or_else(|| panic!("src/connect.rs lacks `{export}`"));
        assert!(
            connect[..at]
                .trim_end()
                .trim_end_matches("#[doc(inline)]")
                .trim_end()
                .ends_with("```"),
            "`connect::{}` has no documented example right above its re-export",
            kind.attr
        );
    }
    let forge = std::fs::read_to_string(root.join("src/forge.rs")).expect("src/forge.rs");
    let forge_attrs = atlassian_connect::descriptor::forge::FORGE_KINDS
        .iter()
        .map(|kind| kind.attr)
        .chain(
            atlassian_connect::descriptor::forge::ui::UI_KINDS
                .iter()
                .map(|kind| kind.attr),
        );
    for attr in forge_attrs {
        let name = attr.trim_start_matches("forge::");
        let export = format!("pub use connect_macros::forge_{name} as {name};");
        assert!(forge.contains(&export), "src/forge.rs lacks `{export}`");
    }
}
