//! The manifest of the notes example running as a Forge Container (`manifest --container`):
//! `services` instead of `remotes`, every endpoint on the service, accepted by Atlassian's
//! validator; the rules checked before printing; the image tag from `FORGE_IMAGE_TAG`.

use super::manifest::validate;
use super::native_manifest::ensure_panel_built;
use crate::examples::notes;
use serde_json::json;

#[test]
fn the_container_manifest_runs_every_endpoint_on_the_service() {
    let app = notes::app();
    let manifest = app
        .container_manifest(
            "https://notes.example.com",
            atlassian_connect::descriptor::ForgeAppId::parse(super::APP_ID).unwrap(),
            "1.0.0",
        )
        .unwrap();
    let yaml = manifest.to_yaml().unwrap();
    let verdict = validate("notes-container", &yaml);
    assert_eq!(verdict["success"], json!(true), "{verdict}\n{yaml}");
    assert_eq!(verdict["errors"], json!([]), "{verdict}\n{yaml}");
    insta::assert_snapshot!("manifest_notes_container", yaml);
    let json = manifest.to_json();
    assert!(json.get("remotes").is_none(), "no remotes: {json}");
    assert_eq!(
        json["services"],
        json!([{"key": "notes", "containers": [{
            "key": "notes",
            "tag": "1.0.0",
            "health": {"type": "http", "route": {"path": "/healthz"}},
            "resources": {"cpu": "250m", "memory": "512Mi"},
        }]}])
    );
    for endpoint in json["modules"]["endpoint"].as_array().unwrap() {
        assert_eq!(endpoint["service"], "notes", "{endpoint}");
        assert!(endpoint.get("remote").is_none(), "{endpoint}");
    }
    // The rules, before printing: Forge refuses `latest`, keys are checked, and only a
    // Forge-native app runs as a container.
    let app_id = || atlassian_connect::descriptor::ForgeAppId::parse(super::APP_ID).unwrap();
    let error = app
        .container_manifest("https://notes.example.com", app_id(), "latest")
        .unwrap_err()
        .to_string();
    assert!(error.contains("not `latest`"), "{error}");
    let error = notes::app()
        .forge_container(atlassian_connect::forge::ForgeContainer::new(
            "Notes_Service",
        ))
        .container_manifest("https://notes.example.com", app_id(), "1.0.0")
        .unwrap_err()
        .to_string();
    assert!(error.contains("`Notes_Service`"), "{error}");
    let error = notes::app()
        .forge_container(atlassian_connect::forge::ForgeContainer::new("notes").scaling(2, 1))
        .container_manifest("https://notes.example.com", app_id(), "1.0.0")
        .unwrap_err()
        .to_string();
    assert!(error.contains("scaling"), "{error}");
    let error = crate::examples::hello::app()
        .forge_container(atlassian_connect::forge::ForgeContainer::new("hello"))
        .container_manifest("https://hello.example.com", app_id(), "1.0.0")
        .unwrap_err()
        .to_string();
    assert!(error.contains("Forge-native"), "{error}");
    assert!(
        atlassian_connect::forge::ContainerResources::new("250m", "1Gi").is_err(),
        "a pair Forge does not offer"
    );
}

#[test]
fn manifest_container_needs_the_image_tag_and_passes_the_check() {
    use super::manifest::{ensure_validator_installed, validator_dir};
    use std::process::Command;
    let validator = validator_dir();
    ensure_validator_installed(&validator);
    ensure_panel_built();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |tag: Option<&str>| {
        let mut command = Command::new(connect_testing::example_binary("notes"));
        command
            .args(["manifest", "--container", "--check"])
            .env("FORGE_APP_ID", super::APP_ID)
            .env("CONNECT_BASE_URL", "https://notes.example.com")
            .env("ATLASSIAN_CONNECT_VALIDATOR_DIR", &validator)
            .env_remove("FORGE_IMAGE_TAG")
            .current_dir(root);
        if let Some(tag) = tag {
            command.env("FORGE_IMAGE_TAG", tag);
        }
        command.output().unwrap()
    };
    let output = run(None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FORGE_IMAGE_TAG"));
    let output = run(Some("1.0.0"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("0 error(s), 0 warning(s)"), "{stdout}");
}
