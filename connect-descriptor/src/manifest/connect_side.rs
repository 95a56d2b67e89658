//! The Connect side of a Connect-on-Forge manifest: `connectModules` from the descriptor, the
//! Connect scopes as manifest scopes, and the product the descriptor's modules imply.

use super::{Keys, ManifestError};
use crate::descriptor::Descriptor;
use crate::kind::{AppliesTo, ModuleType, Product};
use crate::scope::Scope;
use serde_json::{Map, Value};

/// The manifest scope of Connect scope `scope` in `product`: `read:connect-jira`.
pub fn connect_scope(scope: Scope, product: &str) -> Option<String> {
    (scope != Scope::None).then(|| {
        format!(
            "{}:connect-{product}",
            scope.as_str().to_ascii_lowercase().replace('_', "-")
        )
    })
}

/// The product of a descriptor's modules: Confluence if any is Confluence-only, Jira if any is
/// Jira-only, ambiguous if both, Jira when none decides.
pub fn infer_product(descriptor: &Descriptor) -> Result<Product, ManifestError> {
    let mut jira = false;
    let mut confluence = false;
    for module_type in module_types(descriptor) {
        match module_type.spec().applies_to {
            AppliesTo::Jira => jira = true,
            AppliesTo::Confluence => confluence = true,
            AppliesTo::Both => {}
        }
    }
    match (jira, confluence) {
        (true, true) => Err(ManifestError::AmbiguousProduct),
        (false, true) => Ok(Product::Confluence),
        _ => Ok(Product::Jira),
    }
}

fn module_types(descriptor: &Descriptor) -> Vec<ModuleType> {
    serde_json::to_value(&descriptor.modules)
        .ok()
        .and_then(|value| value.as_object().cloned())
        .unwrap_or_default()
        .keys()
        .filter_map(|kind| ModuleType::by_descriptor_key(kind))
        .collect()
}

/// `connectModules`: every module of the descriptor under `<product>:<type>`, as an array,
/// webhooks keyed `webhook-N`, and the lifecycle entry.
pub(super) fn connect_modules(
    descriptor: &Descriptor,
    product: Product,
    product_name: &'static str,
    keys: &mut Keys,
) -> Result<Map<String, Value>, ManifestError> {
    let mut out = Map::new();
    let modules = match serde_json::to_value(&descriptor.modules) {
        Ok(Value::Object(modules)) => modules,
        _ => Map::new(),
    };
    let mut webhook_number = 0;
    for (kind, value) in modules {
        if let Some(module_type) = ModuleType::by_descriptor_key(&kind) {
            if !module_type.spec().applies_to.includes(product) {
                return Err(ManifestError::WrongProduct {
                    module_type: kind,
                    product: product_name,
                });
            }
        }
        let mut entries = match value {
            Value::Array(entries) => entries,
            single => vec![single],
        };
        if kind == "webhooks" {
            for entry in &mut entries {
                if let Value::Object(entry) = entry
                    && !entry.contains_key("key")
                {
                    let key = loop {
                        webhook_number += 1;
                        let key = format!("webhook-{webhook_number}");
                        if !keys.contains(&key) {
                            break keys.claim(&key)?;
                        }
                    };
                    entry.insert("key".to_owned(), Value::String(key));
                }
            }
        }
        out.insert(format!("{product_name}:{kind}"), Value::Array(entries));
    }
    let mut lifecycle_key = "connect-lifecycle".to_owned();
    let mut suffix = 1;
    while keys.contains(&lifecycle_key) {
        suffix += 1;
        lifecycle_key = format!("connect-lifecycle-{suffix}");
    }
    keys.claim(&lifecycle_key)?;
    let lifecycle = &descriptor.lifecycle;
    out.insert(
        format!("{product_name}:lifecycle"),
        serde_json::json!([{
            "key": lifecycle_key,
            "installed": lifecycle.installed,
            "uninstalled": lifecycle.uninstalled,
        }]),
    );
    Ok(out)
}
