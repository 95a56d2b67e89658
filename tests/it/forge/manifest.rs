//! The Forge manifest of every example: Atlassian's own validator (`@forge/manifest`, installed
//! from npm by this test when missing) finds nothing wrong, the YAML is a snapshot, and
//! `connectModules` holds exactly the descriptor's modules.

use super::APP_ID;
use crate::examples::{bench, confluence_macro, hello, two_apps};
use atlassian_connect::store::MemoryStore;
use atlassian_connect::{ConnectApp, ConnectConfig};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The repository's pinned validator (`npm ci` there installs it).
pub(super) fn validator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge_manifest")
}

pub(super) fn ensure_validator_installed(dir: &Path) {
    if dir.join("node_modules/@forge/manifest").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm is required for the manifest validator test (Node.js 18 or newer)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// What `@forge/manifest`'s `validate()` (plus `--strict-connect`: each `connectModules` entry
/// against the package's own schema of its module type) says about `yaml`.
///
/// The manifest is written to a directory of its own, with an `index.html` in each folder its
/// `resources` name (the validator checks that Custom UI folders exist next to the manifest).
pub(super) fn validate(name: &str, yaml: &str) -> Value {
    validate_many(name, &[yaml]).remove(0)
}

/// [`validate`] for several manifests with one start of Node: a verdict per manifest.
pub(super) fn validate_many(name: &str, yamls: &[&str]) -> Vec<Value> {
    let dir = validator_dir();
    ensure_validator_installed(&dir);
    let root = std::env::temp_dir().join(format!("forge-manifest-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut files = Vec::new();
    for (index, yaml) in yamls.iter().enumerate() {
        let folder = root.join(index.to_string());
        std::fs::create_dir_all(&folder).unwrap();
        let parsed: Value = serde_norway::from_str(yaml).unwrap_or(Value::Null);
        for resource in parsed["resources"].as_array().into_iter().flatten() {
            if let Some(path) = resource["path"].as_str() {
                let ui = folder.join(path);
                std::fs::create_dir_all(&ui).unwrap();
                std::fs::write(ui.join("index.html"), "<!doctype html><title>ui</title>").unwrap();
            }
        }
        let file = folder.join("manifest.yml");
        std::fs::write(&file, yaml).unwrap();
        files.push(file);
    }
    // The same script `manifest --check` runs, with this repository's pinned validator.
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("connect-runtime/assets/validate-manifest.js");
    let output = Command::new("node")
        .arg(script)
        .arg("--strict-connect")
        .args(&files)
        .env("NODE_PATH", dir.join("node_modules"))
        .output()
        .expect("node is required for the manifest validator test");
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        output.status.success(),
        "the validator could not run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(verdicts.len(), yamls.len(), "one verdict per manifest");
    verdicts
}

fn config(base_url: &str) -> ConnectConfig {
    let mut config = ConnectConfig::new(base_url.parse().unwrap());
    config.forge.app_id = Some(atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap());
    config
}

fn built(app: atlassian_connect::App, base_url: &str) -> ConnectApp {
    app.build(config(base_url), Arc::new(MemoryStore::default()))
        .unwrap()
}

fn examples() -> Vec<(&'static str, ConnectApp)> {
    let (jira, confluence) = two_apps::build(
        &config("https://apps.example.com"),
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    vec![
        ("hello", built(hello::app(), "https://hello.example.com")),
        ("bench", built(bench::app(), "https://bench.example.com")),
        (
            "confluence_macro",
            built(confluence_macro::app(), "https://macro.example.com"),
        ),
        ("two_apps_jira", jira),
        ("two_apps_confluence", confluence),
    ]
}

/// The descriptor's modules as `connectModules` must carry them: every type an array under
/// `<product>:<type>`, webhooks keyed.
fn expected_connect_modules(descriptor: &Value, product: &str) -> Value {
    let mut expected = serde_json::Map::new();
    let modules = descriptor["modules"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (kind, value) in modules {
        let entries = match value {
            Value::Array(entries) => entries,
            single => vec![single],
        };
        expected.insert(format!("{product}:{kind}"), Value::Array(entries));
    }
    Value::Object(expected)
}

#[test]
fn every_example_manifest_passes_atlassians_validator() {
    for (name, app) in examples() {
        let manifest = app.manifest().expect("FORGE_APP_ID is set");
        let yaml = manifest.to_yaml().unwrap();
        let verdict = validate(name, &yaml);
        assert_eq!(verdict["success"], json!(true), "{name}: {verdict}\n{yaml}");
        assert_eq!(verdict["errors"], json!([]), "{name}: {verdict}\n{yaml}");
        insta::assert_snapshot!(format!("manifest_{name}"), yaml);
    }
}

#[test]
fn connect_modules_hold_exactly_the_descriptor_modules() {
    for (name, app) in examples() {
        let manifest = app.manifest().unwrap().to_json();
        let descriptor = app.descriptor_json();
        let product = if name.contains("confluence") || name == "confluence_macro" {
            "confluence"
        } else {
            "jira"
        };
        let mut actual = manifest["connectModules"].clone();
        let lifecycle = actual
            .as_object_mut()
            .unwrap()
            .remove(&format!("{product}:lifecycle"))
            .unwrap_or_else(|| panic!("{name}: no {product}:lifecycle"));
        assert_eq!(
            lifecycle,
            json!([{"key": "connect-lifecycle", "installed": "/installed", "uninstalled": "/uninstalled"}]),
            "{name}"
        );
        // Webhooks get the keys the manifest requires; everything else is unchanged.
        if let Some(webhooks) = actual
            .get_mut(format!("{product}:webhooks"))
            .and_then(Value::as_array_mut)
        {
            for (index, webhook) in webhooks.iter_mut().enumerate() {
                let key = webhook.as_object_mut().unwrap().remove("key");
                assert_eq!(key, Some(json!(format!("webhook-{}", index + 1))), "{name}");
            }
        }
        assert_eq!(
            actual,
            expected_connect_modules(&descriptor, product),
            "{name}: connectModules differ from the descriptor's modules"
        );
        assert_eq!(
            manifest["app"]["connect"]["key"], descriptor["key"],
            "{name}"
        );
        assert_eq!(
            manifest["remotes"][0]["baseUrl"], descriptor["baseUrl"],
            "{name}"
        );
    }
}

#[test]
fn the_validator_is_not_vacuous() {
    let manifest = built(hello::app(), "https://hello.example.com")
        .manifest()
        .unwrap()
        .to_json();
    let mut broken = manifest.clone();
    broken["connectModules"]["jira:lifecycle"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "second-lifecycle", "installed": "/installed"}));
    let verdict = validate("broken-lifecycle", &serde_norway_yaml(&broken));
    assert_eq!(verdict["success"], json!(false), "{verdict}");
    let mut broken = manifest;
    broken["connectModules"]["jira:generalPages"][0]
        .as_object_mut()
        .unwrap()
        .remove("key");
    let verdict = validate("broken-page", &serde_norway_yaml(&broken));
    assert_eq!(verdict["success"], json!(false), "{verdict}");
}

/// JSON is YAML: the validator reads it as such.
fn serde_norway_yaml(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

#[test]
fn manifest_command_needs_the_app_id_and_writes_the_file() {
    let binary = connect_testing::example_binary("hello");
    let output = Command::new(&binary)
        .arg("manifest")
        .env_remove("FORGE_APP_ID")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FORGE_APP_ID"));

    let file = std::env::temp_dir().join(format!("hello-manifest-{}.yml", std::process::id()));
    let output = Command::new(&binary)
        .args(["manifest", "-o"])
        .arg(&file)
        .env("FORGE_APP_ID", APP_ID)
        .env("CONNECT_BASE_URL", "https://hello.example.com")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    let expected = built(hello::app(), "https://hello.example.com")
        .manifest()
        .unwrap()
        .to_yaml()
        .unwrap();
    assert_eq!(written, expected);

    let output = Command::new(&binary)
        .arg("manifest")
        .env("FORGE_APP_ID", "not-an-ari")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("FORGE_APP_ID"));
}
