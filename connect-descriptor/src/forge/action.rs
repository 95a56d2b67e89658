//! Rovo actions: the verb, and the manifest's `inputs` and `outputs` derived from the JSON
//! Schema of a Rust type (`#[derive(JsonSchema)]`): each field becomes one entry, its doc
//! comment the description. Forge allows only flat fields of `boolean`, `integer`, `number`
//! or `string`, at most 10 of them; anything else is an error that names the field.

use super::ForgeError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The most inputs (and outputs) an action has (the schema's `maxProperties`).
pub const MAX_ACTION_FIELDS: usize = 10;

/// What an action does, for Rovo (`actionVerb`). Agents run by automation rules call only
/// `GET` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ActionVerb {
    /// Reads data.
    Get,
    /// Creates something.
    Create,
    /// Changes something.
    Update,
    /// Deletes something.
    Delete,
    /// Starts something.
    Trigger,
}

impl ActionVerb {
    /// Every verb, as written in the attribute and the manifest.
    pub const ALL: [(&'static str, ActionVerb); 5] = [
        ("GET", ActionVerb::Get),
        ("CREATE", ActionVerb::Create),
        ("UPDATE", ActionVerb::Update),
        ("DELETE", ActionVerb::Delete),
        ("TRIGGER", ActionVerb::Trigger),
    ];

    /// Parses `GET`, `CREATE`, `UPDATE`, `DELETE` or `TRIGGER`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, verb)| *verb)
    }

    /// The verb as the manifest writes it.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, verb)| *verb == self)
            .map_or("GET", |(name, _)| name)
    }
}

/// A function returning a type's JSON Schema (generated code passes
/// `schemars::schema_for!(T)` as a function, so the descriptor crate needs no type).
#[derive(Clone, Copy)]
pub struct SchemaFn(pub fn() -> Value);

impl fmt::Debug for SchemaFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SchemaFn")
    }
}

/// What `#[forge::action]` declares.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// `actionVerb`.
    pub verb: ActionVerb,
    /// `description` (1 to 255 characters): what the agent reads to choose the action.
    pub description: &'static str,
    /// `name`, shown to users.
    pub name: Option<&'static str>,
    /// The schema of the handler's `Json<T>` input, when it takes one.
    pub inputs: Option<SchemaFn>,
    /// The schema of the outputs type (`outputs = T`), when given.
    pub outputs: Option<SchemaFn>,
}

/// `action[].inputs.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInput {
    /// A short title.
    pub title: String,
    /// What the input is for (from the field's doc comment).
    pub description: String,
    /// `boolean`, `integer`, `number` or `string`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Whether the agent must provide it.
    pub required: bool,
}

/// `action[].outputs.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutput {
    /// What the output is (from the field's doc comment).
    pub description: String,
    /// Whether it may be null (an `Option` field).
    pub nullable: bool,
    /// `boolean`, `integer`, `number` or `string`.
    #[serde(rename = "type")]
    pub ty: &'static str,
}

/// A flat field of an object schema: its name, type, nullability, title and description.
struct FlatField<'a> {
    name: &'a str,
    ty: &'static str,
    nullable: bool,
    title: Option<&'a str>,
    description: Option<&'a str>,
}

fn flat_fields(schema: &Value) -> Result<Vec<FlatField<'_>>, ForgeError> {
    let properties = match schema.get("properties") {
        Some(Value::Object(properties)) => properties,
        _ => {
            return Err(ForgeError::ActionSchema(
                "the type is not a struct with named fields".to_owned(),
            ));
        }
    };
    if properties.len() > MAX_ACTION_FIELDS {
        return Err(ForgeError::ActionSchema(format!(
            "{} fields, but an action has at most {MAX_ACTION_FIELDS}",
            properties.len()
        )));
    }
    properties
        .iter()
        .map(|(name, property)| {
            let not_flat = || ForgeError::ActionField {
                field: name.clone(),
                reason: "is not a boolean, integer, number or string (nested types, lists and maps are not allowed)",
            };
            let types: Vec<&str> = match property.get("type") {
                Some(Value::String(ty)) => vec![ty.as_str()],
                Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
                _ => return Err(not_flat()),
            };
            let nullable = types.contains(&"null");
            let ty = match types.iter().filter(|ty| **ty != "null").collect::<Vec<_>>()[..] {
                [&"boolean"] => "boolean",
                [&"integer"] => "integer",
                [&"number"] => "number",
                [&"string"] => "string",
                _ => return Err(not_flat()),
            };
            Ok(FlatField {
                name,
                ty,
                nullable,
                title: property.get("title").and_then(Value::as_str),
                description: property.get("description").and_then(Value::as_str),
            })
        })
        .collect()
}

/// `issueKey` → `Issue key`, `issue_key` → `Issue key`: a title for a field without one.
fn humanize(name: &str) -> String {
    let mut words = String::new();
    for (index, c) in name.chars().enumerate() {
        if c == '_' || c == '-' {
            words.push(' ');
        } else if c.is_uppercase() && index > 0 {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else if index == 0 {
            words.extend(c.to_uppercase());
        } else {
            words.push(c);
        }
    }
    words
}

fn described<'a>(field: &FlatField<'a>) -> Result<&'a str, ForgeError> {
    field
        .description
        .filter(|text| !text.trim().is_empty())
        .ok_or_else(|| ForgeError::ActionField {
            field: field.name.to_owned(),
            reason: "has no description: write a doc comment on the field (the agent reads it)",
        })
}

/// The manifest's `inputs` of a type's JSON Schema.
///
/// ```
/// use connect_descriptor::forge::action::inputs;
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"issueKey": {"type": "string", "description": "The issue, e.g. TEST-1"}},
///     "required": ["issueKey"],
/// });
/// let inputs = inputs(&schema).unwrap();
/// assert_eq!(inputs["issueKey"].title, "Issue key");
/// assert!(inputs["issueKey"].required);
/// ```
pub fn inputs(schema: &Value) -> Result<BTreeMap<String, ActionInput>, ForgeError> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    flat_fields(schema)?
        .iter()
        .map(|field| {
            Ok((
                field.name.to_owned(),
                ActionInput {
                    title: field
                        .title
                        .map_or_else(|| humanize(field.name), str::to_owned),
                    description: described(field)?.to_owned(),
                    ty: field.ty,
                    required: required.contains(&field.name),
                },
            ))
        })
        .collect()
}

/// The manifest's `outputs` of a type's JSON Schema.
pub fn outputs(schema: &Value) -> Result<BTreeMap<String, ActionOutput>, ForgeError> {
    flat_fields(schema)?
        .iter()
        .map(|field| {
            Ok((
                field.name.to_owned(),
                ActionOutput {
                    description: described(field)?.to_owned(),
                    nullable: field.nullable,
                    ty: field.ty,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_lists_and_undocumented_fields_are_refused_by_name() {
        let nested = json!({"properties": {"where": {"$ref": "#/$defs/Where"}}});
        assert!(
            matches!(inputs(&nested), Err(ForgeError::ActionField { field, .. }) if field == "where")
        );
        let list = json!({"properties": {"keys": {"type": "array", "description": "x"}}});
        assert!(
            matches!(inputs(&list), Err(ForgeError::ActionField { field, .. }) if field == "keys")
        );
        let bare = json!({"properties": {"limit": {"type": "integer"}}});
        assert!(
            matches!(inputs(&bare), Err(ForgeError::ActionField { field, .. }) if field == "limit")
        );
        let optional = json!({"properties": {"limit": {"type": ["integer", "null"], "description": "At most"}}});
        let out = outputs(&optional).unwrap();
        assert!(out["limit"].nullable);
        assert!(!inputs(&optional).unwrap()["limit"].required);
        assert_eq!(humanize("issue_key"), "Issue key");
        assert_eq!(
            ActionVerb::parse("TRIGGER").map(ActionVerb::as_str),
            Some("TRIGGER")
        );
    }
}
