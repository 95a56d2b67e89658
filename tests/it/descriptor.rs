//! The descriptor model against Atlassian's own schema: the JSON Schema we publish (`schema`
//! command) as a snapshot, and every property our attributes emit for a Jira module type
//! existing in Atlassian's Jira schema for that type.

use crate::examples::jira_schema_json;
use atlassian_connect::descriptor::Descriptor;
use atlassian_connect::prelude::*;
use atlassian_connect::store::MemoryStore;
use serde_json::Value;
use std::sync::Arc;

#[test]
fn the_descriptor_json_schema_is_reviewed() {
    insta::assert_json_snapshot!("descriptor_schema", Descriptor::json_schema());
}

// One handler per Jira module attribute, with every optional argument set.
#[connect::general_page(
    key = "page",
    name = "Page",
    url = "/page",
    location = "system.top.navigation.bar",
    weight = 10,
    icon = "/page.svg"
)]
async fn page() {}
#[connect::admin_page(
    key = "admin",
    name = "Admin",
    url = "/admin",
    location = "admin_plugins_menu/section",
    weight = 5
)]
async fn admin() {}
#[connect::configure_page(key = "configure", name = "Configure", url = "/configure")]
async fn configure() {}
#[connect::project_page(
    key = "project",
    name = "Project",
    url = "/project/{project.key}",
    icon_url = "/project.svg",
    weight = 1
)]
async fn project() {}
#[connect::web_panel(
    key = "panel",
    name = "Panel",
    url = "/panel",
    location = "atl.jira.view.issue.right.context",
    weight = 3,
    tooltip = "Tip"
)]
async fn panel() {}
#[connect::web_item(
    key = "item",
    name = "Item",
    url = "/item",
    location = "system.top.navigation.bar",
    weight = 2,
    tooltip = "Tip",
    context = "addon"
)]
async fn item() {}
#[connect::issue_glance(
    key = "glance",
    name = "Glance",
    url = "/glance",
    icon = "/glance.svg",
    content = "Label"
)]
async fn glance() {}
#[connect::issue_content(
    key = "content",
    name = "Content",
    url = "/content",
    icon = "/content.svg",
    tooltip = "Tip"
)]
async fn content() {}
#[connect::dialog(key = "dialog", url = "/dialog")]
async fn dialog() {}
#[connect::webhook(
    event = "jira:issue_created",
    url = "/hook",
    filter = "project = TEST",
    exclude_body = true
)]
async fn hook() {}

fn every_jira_module() -> Value {
    App::new("com.example.every-module", "Every module")
        .handlers(handlers![
            page, admin, configure, project, panel, item, glance, content, dialog, hook
        ])
        .build(
            ConnectConfig::new("https://every.example.com".parse().unwrap()),
            Arc::new(MemoryStore::default()),
        )
        .unwrap()
        .descriptor_json()
}

/// The schema object for `pointer` (`#/definitions/x`), following `$ref`s.
fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(schema, schema.pointer(pointer).unwrap_or(&Value::Null))
        }
        None => node,
    }
}

/// Every property path of `value` (objects only, arrays by their items) missing from `node`.
fn missing(schema: &Value, node: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let node = resolve(schema, node);
    match value {
        Value::Object(object) => {
            let Some(properties) = node.get("properties") else {
                return; // a free-form object in the schema (e.g. `options`)
            };
            for (key, child) in object {
                match properties.get(key) {
                    Some(child_node) => {
                        missing(schema, child_node, child, &format!("{at}.{key}"), out)
                    }
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = node.get("items") {
                for item in items {
                    missing(schema, item_node, item, &format!("{at}[]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_property_we_emit_for_a_jira_module_exists_in_atlassians_schema() {
    let schema = jira_schema_json();
    let descriptor = every_jira_module();
    let modules = descriptor["modules"].as_object().unwrap();
    assert_eq!(
        modules.len(),
        10,
        "one entry per Jira module type: {modules:?}"
    );
    let module_schemas = &schema["properties"]["modules"]["properties"];
    let mut absent = Vec::new();
    for (kind, entries) in modules {
        let node = module_schemas
            .get(kind)
            .unwrap_or_else(|| panic!("the Jira schema has no module type `{kind}`"));
        missing(&schema, node, entries, kind, &mut absent);
    }
    assert!(
        absent.is_empty(),
        "emitted but not in Atlassian's schema: {absent:#?}"
    );

    // The check is not vacuous: a property the schema does not know is reported.
    let mut extra = Vec::new();
    let mut tampered = modules["webPanels"].clone();
    tampered[0]["colour"] = Value::from("red");
    missing(
        &schema,
        &module_schemas["webPanels"],
        &tampered,
        "webPanels",
        &mut extra,
    );
    assert_eq!(extra, ["webPanels[].colour"]);
}
