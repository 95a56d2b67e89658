//! Forge-native manifests: every Forge module kind the attributes declare (the ten UI kinds,
//! actions with inputs and outputs, `rovo:mcp`, consumers, web triggers, pre-uninstall,
//! triggers with filter and payload, scheduled triggers, `connectToForgeMigration`, custom
//! entities) in manifests Atlassian's validator accepts with no error and no warning, as
//! snapshots; and for each kind, the validator refusing the entry without a required field (so
//! the acceptance means something). Build-time checks of what the attributes cannot see.

use super::manifest::{validate, validate_many};
use super::native::native_config_for_build;
use crate::examples::notes;
use atlassian_connect::descriptor::manifest::WillMigrate;
use atlassian_connect::prelude::*;
use atlassian_connect::store::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;

/// One page of every Jira UI kind, stacked on one resolver.
#[forge::issue_panel(
    key = "k-panel",
    title = "Panel",
    icon = "https://example.com/i.svg",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::jira_global_page(
    key = "k-global",
    title = "Global",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::admin_page(
    key = "k-admin",
    title = "Admin",
    icon = "https://example.com/i.svg",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::project_page(
    key = "k-project",
    title = "Project",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::issue_glance(
    key = "k-glance",
    title = "Glance",
    label = "Notes",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::issue_context(
    key = "k-context",
    title = "Context",
    label = "Notes",
    resource = "jira-ui",
    resource_path = "ui/jira"
)]
#[forge::dashboard_gadget(
    key = "k-gadget",
    title = "Gadget",
    description = "Recent notes",
    thumbnail = "https://example.com/t.png",
    resource = "gadget",
    resource_path = "ui/gadget"
)]
#[forge::resolver(endpoint = "jira-ui-api", path = "/ui/data", method = GET, system_token, user_token)]
async fn jira_ui(forge: ForgeContext) -> Json<Value> {
    Json(json!({"module": forge.ui_module_key()}))
}

/// Outputs of the action: flat, documented fields.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Counted {
    /// How many notes the issue has.
    count: u32,
    /// The newest note's text, if any.
    newest: Option<String>,
}

/// Inputs of the action.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct CountInput {
    /// The issue key, such as TEST-1.
    issue_key: String,
    /// Whether to count deleted notes too.
    include_deleted: Option<bool>,
    /// At most this many.
    limit: Option<i64>,
    /// A threshold.
    ratio: f64,
}

#[forge::action(key = "k-count", verb = TRIGGER, description = "Counts notes", name = "Count", outputs = Counted, path = "/k/count", system_token)]
async fn count(input: Json<CountInput>) -> Json<Value> {
    Json(json!({"issueKey": input.0.issue_key}))
}

#[forge::consumer(key = "k-consumer", queue = "k-queue", path = "/k/events")]
async fn consume(event: atlassian_connect::forge::AsyncEvent<Value>) -> StatusCode {
    let _ = event.job_id();
    StatusCode::OK
}

#[forge::webtrigger(key = "k-hook", path = "/k/hook")]
async fn hook() -> StatusCode {
    StatusCode::OK
}

#[forge::webtrigger(key = "k-static", path = "/k/static", outputs = ["ok|200|text/plain|Thanks", "refused|403"])]
async fn static_hook() -> atlassian_connect::forge::WebtriggerOutput {
    atlassian_connect::forge::WebtriggerOutput("ok")
}

#[forge::pre_uninstall(key = "k-bye", endpoint = "k-bye-api", path = "/k/bye")]
async fn bye() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[forge::trigger(
    key = "k-issues",
    events = ["avi:jira:created:issue", "avi:jira:updated:issue"],
    path = "/k/issues",
    ignore_self,
    filter = "event.issue.fields.issuetype.name == 'Bug'",
    on_error = RECEIVE_AND_LOG,
    licensed_only,
    include_fields = ["summary"]
)]
async fn issues(event: Json<Value>) -> StatusCode {
    let _ = event;
    StatusCode::OK
}

#[forge::scheduled_trigger(key = "k-tick", interval = "fiveMinute", path = "/k/tick")]
async fn tick() -> StatusCode {
    StatusCode::OK
}

fn jira_kinds() -> App {
    App::new("com.example.kinds", "Kinds")
        .forge_native()
        .handlers(handlers![
            jira_ui,
            count,
            consume,
            hook,
            static_hook,
            bye,
            issues,
            tick
        ])
        .rovo_mcp("k-mcp", "Kinds", ["k-count"])
        .connect_to_forge_migration("https://example.com/migration", WillMigrate::Yes)
        .forge_entity(json!({
            "name": "note",
            "attributes": {"issue": {"type": "string"}, "created": {"type": "integer"}},
            "indexes": [{"name": "by-issue", "partition": ["issue"], "range": ["created"]}],
        }))
        .forge_scopes(["storage:app"])
}

#[forge::confluence_macro(
    key = "c-macro",
    title = "Macro",
    description = "Notes",
    resource = "conf-ui",
    resource_path = "ui/confluence"
)]
#[forge::confluence_global_page(
    key = "c-global",
    title = "Global",
    route = "notes",
    resource = "conf-ui",
    resource_path = "ui/confluence"
)]
#[forge::space_page(
    key = "c-space",
    title = "Space",
    route = "space-notes",
    icon = "https://example.com/i.svg",
    resource = "conf-ui",
    resource_path = "ui/confluence"
)]
#[forge::resolver(endpoint = "conf-ui-api", path = "/ui/confluence", system_token)]
async fn confluence_ui(forge: ForgeContext) -> Json<Value> {
    Json(json!({"content": forge.content_id(), "space": forge.space_key()}))
}

fn confluence_kinds() -> App {
    App::new("com.example.confluence-kinds", "Confluence kinds")
        .forge_native()
        .handlers(handlers![confluence_ui])
        .forge_scopes(["read:confluence-content.summary"])
}

fn manifest_of(app: App) -> Value {
    let built = app
        .build(native_config_for_build(), Arc::new(MemoryStore::default()))
        .unwrap();
    built.manifest().unwrap().to_json()
}

fn yaml_of(app: App) -> String {
    let built = app
        .build(native_config_for_build(), Arc::new(MemoryStore::default()))
        .unwrap();
    built.manifest().unwrap().to_yaml().unwrap()
}

#[test]
fn every_forge_module_kind_passes_the_validator_without_a_warning() {
    for (name, app) in [
        ("native_jira_kinds", jira_kinds()),
        ("native_confluence_kinds", confluence_kinds()),
        ("notes", notes::app()),
    ] {
        let yaml = yaml_of(app);
        let verdict = validate(name, &yaml);
        assert_eq!(verdict["success"], json!(true), "{name}: {verdict}\n{yaml}");
        assert_eq!(verdict["errors"], json!([]), "{name}: {verdict}\n{yaml}");
        assert!(!yaml.contains("connectModules"), "{name}");
        assert!(
            !yaml.contains("connect:\n    key"),
            "{name}: no app.connect"
        );
        insta::assert_snapshot!(format!("manifest_{name}"), yaml);
    }
}

#[test]
fn action_inputs_and_outputs_come_from_the_rust_types() {
    let manifest = manifest_of(jira_kinds());
    let action = &manifest["modules"]["action"][0];
    assert_eq!(action["actionVerb"], "TRIGGER");
    assert_eq!(
        action["inputs"]["issueKey"],
        json!({"title": "Issue key", "description": "The issue key, such as TEST-1.", "type": "string", "required": true})
    );
    assert_eq!(action["inputs"]["includeDeleted"]["type"], "boolean");
    assert_eq!(action["inputs"]["includeDeleted"]["required"], false);
    assert_eq!(action["inputs"]["limit"]["type"], "integer");
    assert_eq!(action["inputs"]["ratio"]["type"], "number");
    assert_eq!(
        action["outputs"]["newest"],
        json!({"description": "The newest note's text, if any.", "nullable": true, "type": "string"})
    );
    let trigger = &manifest["modules"]["trigger"][0];
    assert_eq!(
        trigger["filter"],
        json!({"ignoreSelf": true, "expression": "event.issue.fields.issuetype.name == 'Bug'", "onError": "RECEIVE_AND_LOG", "appIsLicensed": true})
    );
    assert_eq!(
        trigger["payload"],
        json!({"include": {"fields": ["summary"]}})
    );
    // Seven UI modules share one resolver endpoint and two resources.
    assert_eq!(
        manifest["modules"]["jira:issuePanel"][0]["resolver"]["endpoint"],
        "jira-ui-api"
    );
    assert_eq!(manifest["resources"].as_array().unwrap().len(), 2);
    let resolver = manifest["modules"]["endpoint"]
        .as_array()
        .unwrap()
        .iter()
        .find(|endpoint| endpoint["key"] == "jira-ui-api")
        .unwrap();
    assert!(
        resolver.get("route").is_none(),
        "a UI resolver has no route: {resolver}"
    );
}

/// The field of each module kind whose absence the validator must refuse.
const REQUIRED: &[(&str, &str)] = &[
    ("jira:issuePanel", "icon"),
    ("jira:globalPage", "title"),
    ("jira:adminPage", "resource"),
    ("jira:projectPage", "title"),
    ("jira:issueGlance", "label"),
    ("jira:issueContext", "label"),
    ("jira:dashboardGadget", "thumbnail"),
    ("macro", "title"),
    ("confluence:globalPage", "route"),
    ("confluence:spacePage", "route"),
    ("action", "actionVerb"),
    ("rovo:mcp", "tools"),
    ("consumer", "queue"),
    ("webtrigger", "endpoint"),
    ("preUninstall", "endpoint"),
    ("trigger", "events"),
    ("scheduledTrigger", "interval"),
    ("connectToForgeMigration", "willMigrateToForgeBeforeEOS"),
    ("endpoint", "remote"),
];

#[test]
fn the_validator_refuses_each_kind_without_a_required_field() {
    let jira = manifest_of(jira_kinds());
    let confluence = manifest_of(confluence_kinds());
    let broken: Vec<String> = REQUIRED
        .iter()
        .map(|(kind, field)| {
            let mut manifest = if jira["modules"].get(*kind).is_some() {
                jira.clone()
            } else {
                confluence.clone()
            };
            let entry = manifest["modules"][*kind][0]
                .as_object_mut()
                .unwrap_or_else(|| panic!("no {kind} module"));
            assert!(entry.remove(*field).is_some(), "{kind} has no {field}");
            serde_norway::to_string(&manifest).unwrap()
        })
        .collect();
    let yamls: Vec<&str> = broken.iter().map(String::as_str).collect();
    let verdicts = validate_many("broken-kinds", &yamls);
    for ((kind, field), verdict) in REQUIRED.iter().zip(verdicts) {
        assert_eq!(
            verdict["success"],
            json!(false),
            "{kind} without {field} passed: {verdict}"
        );
    }
}

#[test]
fn what_the_attributes_cannot_see_is_checked_when_the_app_is_built() {
    let build = |app: App| {
        app.build(native_config_for_build(), Arc::new(MemoryStore::default()))
            .map(drop)
            .unwrap_err()
            .to_string()
    };
    // An MCP tool that is no action; a name over 30 characters.
    let error = build(jira_kinds().rovo_mcp("k-mcp", "Kinds", ["k-missing"]));
    assert!(error.contains("tool `k-missing`"), "{error}");
    let error = build(jira_kinds().rovo_mcp("k-mcp", "x".repeat(31), ["k-count"]));
    assert!(error.contains("1 to 30 characters"), "{error}");
    // A raw UI module naming an endpoint the app does not have.
    let error = build(
        jira_kinds()
            .forge_resource("raw-ui", "ui/raw")
            .forge_module(
                "jira:issueAction",
                json!({"key": "raw-action", "title": "Raw", "resource": "raw-ui", "resolver": {"endpoint": "nowhere"}}),
            ),
    );
    assert!(error.contains("`nowhere`"), "{error}");
    // A Confluence UI module in a Jira app.
    let error = build(
        App::new("com.example.mixed", "Mixed")
            .forge_native()
            .product(atlassian_connect::Product::Jira)
            .handlers(handlers![confluence_ui]),
    );
    assert!(error.contains("not available in jira apps"), "{error}");
    // Tokens with nothing to use them for: the validator's "Missing app scopes".
    let error = build(
        App::new("com.example.tokens", "Tokens")
            .forge_native()
            .handlers(handlers![confluence_ui]),
    );
    assert!(error.contains("no scope to use them with"), "{error}");
    // A migration guide that is not https.
    let error =
        build(jira_kinds().connect_to_forge_migration("http://example.com", WillMigrate::No));
    assert!(error.contains("https"), "{error}");
    // A Forge-native app needs FORGE_APP_ID, and has no Connect handlers.
    let mut config = native_config_for_build();
    config.forge.app_id = None;
    let error = jira_kinds()
        .build(config, Arc::new(MemoryStore::default()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("FORGE_APP_ID"), "{error}");
    // Only endpoints: Forge would refuse the manifest.
    #[forge::remote(key = "lonely", path = "/lonely")]
    async fn lonely() -> StatusCode {
        StatusCode::OK
    }
    let error = build(
        App::new("com.example.lonely", "Lonely")
            .forge_native()
            .handlers(handlers![lonely]),
    );
    assert!(error.contains("at least 1 module"), "{error}");
}

#[test]
fn an_action_input_that_is_not_flat_names_the_field() {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Nested {
        /// Where to look.
        filter: Filter,
    }
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Filter {
        /// A key.
        key: String,
    }
    #[forge::action(key = "nested", verb = GET, description = "Nested", path = "/nested")]
    async fn nested(input: Json<Nested>) -> StatusCode {
        let _ = input.0.filter.key;
        StatusCode::OK
    }
    let error = App::new("com.example.nested", "Nested")
        .forge_native()
        .handlers(handlers![nested])
        .build(native_config_for_build(), Arc::new(MemoryStore::default()))
        .map(drop)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("action `nested`: action field `filter`"),
        "{error}"
    );
}

/// Builds the notes example's Custom UI (`npm ci`, `npm run build`) unless it is built: the
/// folder its manifest's `resources` names.
pub(super) fn ensure_panel_built() -> std::path::PathBuf {
    let panel = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notes/panel");
    if panel.join("build/index.html").exists() {
        return panel;
    }
    for args in [
        &["ci", "--no-audit", "--no-fund"][..],
        &["run", "build"][..],
    ] {
        let status = std::process::Command::new("npm")
            .args(args)
            .current_dir(&panel)
            .status()
            .expect("npm is required to build the notes example's Custom UI");
        assert!(status.success(), "npm {args:?} in {}", panel.display());
    }
    panel
}

#[test]
fn manifest_check_runs_atlassians_validator_and_reports_lines() {
    use super::manifest::{ensure_validator_installed, validator_dir};
    use std::process::Command;
    let validator = validator_dir();
    ensure_validator_installed(&validator);
    ensure_panel_built();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = connect_testing::example_binary("notes");
    let run = |dir: &std::path::Path, path: Option<&str>| {
        let mut command = Command::new(&notes);
        command
            .args(["manifest", "--check"])
            .env("FORGE_APP_ID", super::APP_ID)
            .env("CONNECT_BASE_URL", "https://notes.example.com")
            .env("ATLASSIAN_CONNECT_VALIDATOR_DIR", &validator)
            .current_dir(dir);
        if let Some(path) = path {
            command.env("PATH", path);
        }
        command.output().unwrap()
    };
    let output = run(root, None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("@forge/manifest 13.7.0: 0 error(s), 0 warning(s): the manifest passes"),
        "{stdout}"
    );
    assert!(
        !std::fs::read_dir(root).unwrap().any(|entry| entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".manifest-check")),
        "the checked file is removed"
    );
    // Where the Custom UI folder does not exist, the validator says so, with the line.
    let elsewhere = std::env::temp_dir().join(format!("notes-check-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let output = run(&elsewhere, None);
    let _ = std::fs::remove_dir_all(&elsewhere);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("manifest.yml:"), "{stderr}");
    assert!(stderr.contains("examples/notes/panel/build"), "{stderr}");
    // Without Node.js, it says how to get it.
    let output = run(root, Some("/nonexistent"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("https://nodejs.org"), "{stderr}");
}
