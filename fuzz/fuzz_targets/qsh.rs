//! The qsh canonicalizer on arbitrary method, path, query and base path.
#![no_main]

use connect_runtime::__private::qsh::{canonical_request, query_string_hash, query_string_hash_matches};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, &str, &str)| {
    let (method, path, query, base) = input;
    let canonical = canonical_request(method, path, query, base);
    assert_eq!(canonical, canonical_request(method, path, query, base));
    let hash = query_string_hash(method, path, query, base);
    assert!(query_string_hash_matches(method, path, query, base, &hash));
});
