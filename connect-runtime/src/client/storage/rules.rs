//! Forge storage's documented limits, checked before anything is sent (a request Forge would
//! refuse never costs a round trip or a rate-limit unit): keys, values, entity names, batch
//! and transaction sizes.

use super::StorageError;

/// Longest key (characters).
pub const MAX_KEY_LEN: usize = 500;
/// Largest value, as JSON (bytes): 240 KiB.
pub const MAX_VALUE_BYTES: usize = 240 * 1024;
/// Deepest value (nested objects and arrays).
pub const MAX_VALUE_DEPTH: usize = 31;
/// Most operations of a transaction, and keys of a batch.
pub const MAX_OPERATIONS: usize = 25;
/// Largest page of a query (Forge refuses 100 and more).
pub const MAX_QUERY_LIMIT: usize = 99;

/// Checks a key: 1 to 500 of `a-z A-Z 0-9 : . _ - #` and whitespace, not only whitespace
/// (`/^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/`).
pub(crate) fn check_key(key: &str) -> Result<(), StorageError> {
    let reason = if key.is_empty() {
        Some("it is empty")
    } else if key.chars().count() > MAX_KEY_LEN {
        Some("it is longer than 500 characters")
    } else if key.trim().is_empty() {
        Some("it is only whitespace")
    } else if !key.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '#') || c.is_whitespace()
    }) {
        Some("use only a-z A-Z 0-9 : . _ - # and spaces")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StorageError::InvalidKey {
            key: key.chars().take(80).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Checks an entity name: 3 to 60 of `a-z 0-9 : - _ .`, not starting with `-` or `_`, no `..`.
pub(crate) fn check_entity(name: &str) -> Result<(), StorageError> {
    let valid = (3..=60).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":-_.".contains(&b))
        && !name.starts_with(['-', '_'])
        && !name.contains("..");
    if valid {
        Ok(())
    } else {
        Err(StorageError::InvalidEntity(name.to_owned()))
    }
}

/// Serialises `value`, checking its size and depth.
pub(crate) fn value<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<serde_json::Value, StorageError> {
    // The category only: serde's message may quote the value.
    let json = serde_json::to_value(value).map_err(|error| {
        StorageError::Serde(format!(
            "the value cannot be stored as JSON ({:?} error)",
            error.classify()
        ))
    })?;
    let size = serde_json::to_vec(&json)
        .map(|bytes| bytes.len())
        .unwrap_or(usize::MAX);
    if size > MAX_VALUE_BYTES {
        return Err(StorageError::ValueTooLarge(size));
    }
    if depth(&json) > MAX_VALUE_DEPTH {
        return Err(StorageError::ValueTooDeep);
    }
    Ok(json)
}

fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Checks the number of operations of a batch or transaction, and that no key repeats.
pub(crate) fn check_operations<'a>(
    what: &'static str,
    keys: impl ExactSizeIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), StorageError> {
    let count = keys.len();
    if count == 0 || count > MAX_OPERATIONS {
        return Err(StorageError::Operations { what, count });
    }
    let mut seen: Vec<(&str, Option<&str>)> = Vec::with_capacity(count);
    for key in keys {
        if seen.contains(&key) {
            return Err(StorageError::DuplicateKey(key.0.to_owned()));
        }
        seen.push(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_pattern() {
        assert!(check_key("notes:TEST-1").is_ok());
        assert!(check_key("a key #2").is_ok());
        for bad in ["", "   ", "notes/TEST-1", "ключ", &"k".repeat(501)] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        assert!(check_entity("note-index").is_ok());
        for bad in ["ab", "_notes", "Notes", "a..b"] {
            assert!(check_entity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_bounded() {
        assert!(value(&"x".repeat(MAX_VALUE_BYTES)).is_err());
        let mut deep = serde_json::json!(1);
        for _ in 0..32 {
            deep = serde_json::json!([deep]);
        }
        assert!(matches!(value(&deep), Err(StorageError::ValueTooDeep)));
        assert!(check_operations("batch", std::iter::empty()).is_err());
        assert!(check_operations("batch", [("a", None), ("a", None)].into_iter()).is_err());
    }
}
