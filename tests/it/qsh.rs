//! qsh: the shared test vectors, and a differential test against the reference library
//! `atlassian-jwt` (npm) over thousands of generated requests.
//!
//! The differential test installs the npm package itself (`npm ci` in `tests/qsh_reference`)
//! when `node_modules` is missing, so `cargo test` alone is enough on a machine with Node.js.

use connect_runtime::__private::qsh::{canonical_request, query_string_hash};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Deserialize)]
struct Vector {
    method: String,
    url: String,
    #[serde(rename = "baseUrl", default)]
    base_url: Option<String>,
    canonical: String,
    qsh: String,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path part of a baseUrl as the reference's `jsuri` sees it: the raw text after the
/// authority (`""` for `https://host`, `/` for `https://host/`), unlike `Url::path`.
fn base_path(base_url: Option<&str>) -> String {
    let Some(base) = base_url else {
        return String::new();
    };
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or(String::new(), |at| after_scheme[at..].to_owned())
}

fn split(url: &str) -> (&str, &str) {
    url.split_once('?').unwrap_or((url, ""))
}

#[test]
fn every_shared_vector_agrees() {
    let text =
        std::fs::read_to_string(manifest_dir().join("tests/vectors/qsh.json")).expect("vectors");
    // The repository carries a copy so a clean clone is self-contained; where the shared folder
    // sits beside it, the copy must not have drifted.
    let shared = manifest_dir().join("../shared/vectors/qsh.json");
    if let Ok(original) = std::fs::read_to_string(&shared) {
        assert_eq!(
            text,
            original,
            "tests/vectors/qsh.json differs from {}",
            shared.display()
        );
    }
    let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vector JSON");
    assert!(vectors.len() >= 20);
    for v in &vectors {
        let (path, query) = split(&v.url);
        let base = base_path(v.base_url.as_deref());
        assert_eq!(
            canonical_request(&v.method, path, query, &base),
            v.canonical,
            "{}",
            v.url
        );
        assert_eq!(
            query_string_hash(&v.method, path, query, &base),
            v.qsh,
            "{}",
            v.url
        );
    }
}

// ---- differential test --------------------------------------------------------------------

const CASES: usize = 4000;

/// Characters a path segment may carry unencoded (RFC 3986 pchar, without `%`).
///
/// Without `'`: Node's legacy `url.parse`, which the reference uses to split the URL, re-escapes
/// `'` in the path whenever the URL also contains an `@` (it then leaves its fast path). That is
/// the parser, not the qsh algorithm; the product signs the path as sent, and so do we.
const PATH_CHARS: &[u8] = b"abcxyzABCXYZ0189-._~!$&()*+,;=:@";
/// Characters a query component may carry unencoded, `&`, `=` and `+` excluded (they are syntax).
const QUERY_CHARS: &[u8] = b"abcxyzABCXYZ0189-._~!$'()*,;:@/?";
/// Decoded text the values are drawn from: reserved, unicode (BMP, private use, astral), `+`, `%`.
const TEXT_POOL: &[&str] = &[
    "a", "Z", "0", " ", "+", "%", "&", "=", ",", "*", "~", "/", "?", "#", "é", "ü", "日本",
    "\u{e000}", "😀", "𝄞", "'", "\"", "<", ">", "\\", "^", "`", "{", "}", "|", "[", "]", "\t", "-",
    ".", "_",
];
const NAME_POOL: &[&str] = &[
    "a", "b", "A", "B", "jwt", "JWT", "jwt2", "x_y", "ü", "é", "😀", "\u{e000}", "a b", "a+b", "z",
    "lic", "tz", "cp", "", "=",
];

struct Generator {
    rng: StdRng,
}

impl Generator {
    fn pick<'a>(&mut self, pool: &'a [&'a str]) -> &'a str {
        pool[self.rng.gen_range(0..pool.len())]
    }

    fn text(&mut self, max: usize) -> String {
        let len = self.rng.gen_range(0..=max);
        (0..len).map(|_| self.pick(TEXT_POOL).to_owned()).collect()
    }

    /// Encodes decoded `text` as a query component, choosing per character among the encodings
    /// a client may use: raw where allowed, `%XX` (upper or lower case), `+` for a space.
    fn encode_query(&mut self, text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            let mut utf8 = [0u8; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            if c == ' ' && self.rng.gen_bool(0.5) {
                out.push('+');
            } else if bytes.len() == 1 && QUERY_CHARS.contains(&bytes[0]) && self.rng.gen_bool(0.7)
            {
                out.push(c);
            } else {
                for b in bytes {
                    if self.rng.gen_bool(0.2) {
                        out.push_str(&format!("%{b:02x}"));
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
        }
        // Now and then a malformed escape, which both sides must keep literally.
        if self.rng.gen_bool(0.03) {
            out.push_str(["%", "%z", "%zz", "%C3", "%E2%82"][self.rng.gen_range(0..5)]);
        }
        out
    }

    fn path(&mut self, base_path: &str) -> String {
        let mut path = String::new();
        if !base_path.is_empty() && self.rng.gen_bool(0.7) {
            path.push_str(base_path.trim_end_matches('/'));
        }
        for _ in 0..self.rng.gen_range(0..4) {
            path.push('/');
            for _ in 0..self.rng.gen_range(0..8) {
                if self.rng.gen_bool(0.85) {
                    path.push(PATH_CHARS[self.rng.gen_range(0..PATH_CHARS.len())] as char);
                } else {
                    path.push_str(&format!("%{:02X}", self.rng.r#gen::<u8>()));
                }
            }
        }
        if self.rng.gen_bool(0.2) {
            path.push('/');
        }
        if path.is_empty() && self.rng.gen_bool(0.5) {
            path.push('/');
        }
        // `url.parse` reads a leading `//user@host` as an authority; origin-form request
        // targets never start with `//` in practice.
        while path.starts_with("//") {
            path.remove(0);
        }
        path
    }

    fn query(&mut self) -> String {
        let params = self.rng.gen_range(0..7);
        let mut parts = Vec::new();
        for _ in 0..params {
            let name = if self.rng.gen_bool(0.7) {
                let name = self.pick(NAME_POOL).to_owned();
                self.encode_query(&name)
            } else {
                let name = self.text(4);
                self.encode_query(&name)
            };
            match self.rng.gen_range(0..10) {
                0 => parts.push(name),               // no `=`
                1 => parts.push(format!("{name}=")), // empty value
                2 => parts.push(String::new()),      // `&&`
                _ => {
                    let value = self.text(6);
                    let value = self.encode_query(&value);
                    parts.push(format!("{name}={value}"));
                }
            }
        }
        parts.join("&")
    }

    fn case(&mut self) -> (String, String, String) {
        let method =
            ["GET", "POST", "PUT", "DELETE", "get", "patch"][self.rng.gen_range(0..6)].to_owned();
        let base_url = [
            "",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/",
            "https://acme.atlassian.net/wiki",
            "https://app.example.com/base/",
            "https://app.example.com/a/b",
        ][self.rng.gen_range(0..6)]
        .to_owned();
        let base_path = base_path(
            Some(&base_url)
                .filter(|b| !b.is_empty())
                .map(String::as_str),
        );
        let path = self.path(&base_path);
        let query = self.query();
        let url = if query.is_empty() && self.rng.gen_bool(0.5) {
            path
        } else {
            format!("{path}?{query}")
        };
        (method, url, base_url)
    }
}

fn reference_dir() -> PathBuf {
    manifest_dir().join("tests/qsh_reference")
}

fn ensure_reference_installed(dir: &Path) {
    if dir.join("node_modules/atlassian-jwt").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm is required for the qsh differential test (Node.js 18 or newer)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// Runs `script` of `tests/qsh_reference` (atlassian-jwt) with `input` as JSON on stdin and
/// returns its JSON output.
pub fn run_reference(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let dir = reference_dir();
    ensure_reference_installed(&dir);
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is required for the reference-library tests");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write cases");
    let output = child.wait_with_output().expect("node output");
    assert!(output.status.success(), "{script} failed");
    serde_json::from_slice(&output.stdout).expect("reference JSON")
}

#[derive(Deserialize)]
struct Reference {
    canonical: String,
    qsh: String,
}

#[test]
fn agrees_with_atlassian_jwt_on_generated_requests() {
    let dir = reference_dir();
    ensure_reference_installed(&dir);
    let seed = std::env::var("QSH_DIFF_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x5eed_c0de_u64);
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
    };
    let cases: Vec<(String, String, String)> = (0..CASES).map(|_| generator.case()).collect();
    let input = json!(
        cases
            .iter()
            .map(|(method, url, base)| json!({"method": method, "url": url, "baseUrl": base}))
            .collect::<Vec<_>>()
    );

    let reference: Vec<Reference> =
        serde_json::from_value(run_reference("reference.js", &input)).expect("reference JSON");
    assert_eq!(reference.len(), cases.len());

    let mut with_query = 0;
    let mut disagreements = Vec::new();
    for ((method, url, base_url), expected) in cases.iter().zip(&reference) {
        let (path, query) = split(url);
        with_query += usize::from(!query.is_empty());
        let base = base_path(Some(base_url.as_str()).filter(|b| !b.is_empty()));
        let canonical = canonical_request(method, path, query, &base);
        let qsh = query_string_hash(method, path, query, &base);
        if canonical != expected.canonical || qsh != expected.qsh {
            disagreements.push(format!(
                "{method} {url} (base {base_url:?})\n  ours:      {canonical}\n  reference: {}",
                expected.canonical
            ));
        }
    }
    assert!(
        with_query > CASES / 2,
        "the generator must exercise queries"
    );
    assert!(
        disagreements.is_empty(),
        "seed {seed:#x}: {} of {CASES} cases disagree:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
