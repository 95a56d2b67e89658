//! Every compile-time check of the macros, from the user's side: one failure per file under
//! `tests/ui/fail/<category>/`, with the expected message and span in the `.stderr` beside it;
//! and what must compile, under `tests/ui/pass/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
