//! Unit tests of the manifest builder.
use super::*;
use crate::AppKey;
use crate::forge::{ForgeModuleKind, Tokens};
use crate::scope::Scope;

fn route(key: &'static str, kind: ForgeModuleKind, tokens: Tokens, path: &str) -> ForgeRoute {
    ForgeRoute {
        module: ForgeModule {
            key,
            endpoint: None,
            tokens,
            kind,
        },
        path: path.to_owned(),
    }
}

fn settings() -> ManifestSettings {
    ManifestSettings::new(
        ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11").unwrap(),
    )
}

fn descriptor() -> Descriptor {
    let mut descriptor = Descriptor::new(
        AppKey::parse("com.example.app").unwrap(),
        "App",
        "https://app.example.com",
    );
    descriptor.scopes = vec![Scope::Read, Scope::ActAsUser];
    descriptor
        .modules
        .add_json(
            "webhooks",
            serde_json::json!({"event": "jira:issue_created", "url": "/hook"}),
        )
        .unwrap();
    descriptor
}

#[test]
fn scopes_map_to_connect_scopes_of_the_product() {
    let manifest = Manifest::build(&descriptor(), &settings(), &[]).unwrap();
    assert_eq!(
        manifest.permissions.scopes,
        ["act-as-user:connect-jira", "read:connect-jira"]
    );
    let json = manifest.to_json();
    assert_eq!(
        json["connectModules"]["jira:webhooks"][0]["key"],
        "webhook-1"
    );
    assert_eq!(
        json["connectModules"]["jira:lifecycle"][0]["installed"],
        "/installed"
    );
    assert_eq!(
        json["remotes"][0]["operations"],
        serde_json::json!(["compute", "fetch"])
    );
}

#[test]
fn forge_routes_become_modules_and_token_scopes() {
    let routes = [
        route(
            "notes-remote",
            ForgeModuleKind::Remote,
            Tokens {
                system: true,
                user: true,
            },
            "/forge/notes",
        ),
        route(
            "lifecycle",
            ForgeModuleKind::Trigger {
                events: vec!["avi:forge:installed:app"],
                filter: Default::default(),
                include_fields: vec![],
                include_paths: vec![],
            },
            Tokens::default(),
            "/forge/lifecycle",
        ),
    ];
    let manifest = Manifest::build(&descriptor(), &settings(), &routes).unwrap();
    let json = manifest.to_json();
    assert_eq!(json["modules"]["endpoint"][1]["key"], "lifecycle-ep");
    assert_eq!(json["modules"]["trigger"][0]["endpoint"], "lifecycle-ep");
    assert!(
        manifest
            .permissions
            .scopes
            .contains(&"read:app-user-token".to_owned())
    );
    assert!(manifest.to_yaml().unwrap().contains("appSystemToken"));
}

#[test]
fn forge_native_manifests_have_no_connect_side_and_need_a_module() {
    let mut settings = settings();
    settings.forge_native = true;
    settings.extra_scopes = vec!["storage:app".to_owned()];
    let resolver = |ui| {
        route(
            "notes-api",
            ForgeModuleKind::Resolver { ui },
            Tokens {
                system: true,
                user: false,
            },
            "/notes",
        )
    };
    assert_eq!(
        Manifest::build(&descriptor(), &settings, &[resolver(vec![])]),
        Err(ManifestError::OnlyEndpoints)
    );
    let panel = crate::forge::UiModule {
        kind: crate::forge::UiKind::IssuePanel,
        key: "notes-panel",
        resource: "panel",
        resource_path: "static/panel/",
        fields: vec![
            (crate::forge::UiField::Title, "Notes"),
            (crate::forge::UiField::Icon, "https://x/i.svg"),
        ],
    };
    // Two resolver routes share the endpoint; the UI module names it.
    let routes = [resolver(vec![panel]), resolver(vec![])];
    let json = Manifest::build(&descriptor(), &settings, &routes)
        .unwrap()
        .to_json();
    assert!(json["app"].get("connect").is_none());
    assert!(json.get("connectModules").is_none());
    assert_eq!(json["modules"]["endpoint"].as_array().unwrap().len(), 1);
    assert!(json["modules"]["endpoint"][0].get("route").is_none());
    assert_eq!(
        json["modules"]["jira:issuePanel"][0]["resolver"]["endpoint"],
        "notes-api"
    );
    assert_eq!(json["resources"][0]["path"], "static/panel");
    assert_eq!(
        json["permissions"]["scopes"],
        serde_json::json!(["read:app-system-token", "storage:app"])
    );
    settings.extra_scopes.clear();
    assert_eq!(
        Manifest::build(&descriptor(), &settings, &routes),
        Err(ManifestError::TokenWithoutScopes)
    );
}

#[test]
fn forge_routes_need_compute_and_a_known_runtime() {
    let routes = [route(
        "notes",
        ForgeModuleKind::PreUninstall,
        Tokens::default(),
        "/notes",
    )];
    let mut settings = settings();
    settings.remote.operations = vec![Operation::Fetch];
    assert_eq!(
        Manifest::build(&descriptor(), &settings, &routes),
        Err(ManifestError::ComputeRequired)
    );
    let mut settings = self::settings();
    settings.runtime = "python3.12".to_owned();
    assert!(matches!(
        Manifest::build(&descriptor(), &settings, &[]),
        Err(ManifestError::Runtime(_))
    ));
}

#[test]
fn storage_needs_the_eud_flag_and_keys_are_unique() {
    let mut settings = settings();
    settings.remote.operations.push(Operation::Storage);
    assert_eq!(
        Manifest::build(&descriptor(), &settings, &[]),
        Err(ManifestError::StorageScope)
    );
    let routes = [
        route(
            "webhook-1",
            ForgeModuleKind::Remote,
            Tokens::default(),
            "/x",
        ),
        route(
            "bye",
            ForgeModuleKind::PreUninstall,
            Tokens::default(),
            "/bye",
        ),
    ];
    assert_eq!(
        Manifest::build(&descriptor(), &self::settings(), &routes),
        Err(ManifestError::DuplicateKey("webhook-1".to_owned()))
    );
}
