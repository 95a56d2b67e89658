//! Finding a token in a request and parsing it as an HS256 Connect token: a value or a typed
//! error, and never a signature that verifies with a guessed secret.
#![no_main]

use connect_runtime::__private::{QueryParams, UnverifiedHs256, find_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<&str>, &str, &str)| {
    let (header, query, token) = input;
    let query = QueryParams::parse(query.to_owned());
    let _ = find_token(header, &query);
    if let Ok(unverified) = UnverifiedHs256::parse(token) {
        let _ = unverified.issuer();
        let _ = unverified.verify(b"fuzzing-secret", 30);
    }
});
