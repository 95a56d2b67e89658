//! Forge storage transactions: [`Transaction`], applied together or not at all.

use super::{ForgeStorage, StorageError, rules};
use serde::Serialize;
use serde_json::{Value, json};

/// A transaction of [`ForgeStorage::transaction`]: add operations, then
/// [`commit`](Transaction::commit). At most 25 operations, each key once.
#[derive(Debug)]
#[must_use = "a transaction does nothing until `.commit().await`"]
pub struct Transaction<'a> {
    storage: &'a ForgeStorage,
    set: Vec<(String, Value)>,
    delete: Vec<String>,
    check: Vec<(String, String, Value)>,
    error: Option<StorageError>,
}

impl<'a> Transaction<'a> {
    pub(super) fn new(storage: &'a ForgeStorage) -> Self {
        Self {
            storage,
            set: Vec::new(),
            delete: Vec::new(),
            check: Vec::new(),
            error: None,
        }
    }
}

impl Transaction<'_> {
    /// Sets `key` to `value`.
    pub fn set<T: Serialize + ?Sized>(mut self, key: &str, value: &T) -> Self {
        match rules::check_key(key).and_then(|()| rules::value(value)) {
            Ok(value) => self.set.push((key.to_owned(), value)),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Deletes `key`.
    pub fn delete(mut self, key: &str) -> Self {
        match rules::check_key(key) {
            Ok(()) => self.delete.push(key.to_owned()),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Requires entity `entity`'s `key` to meet `conditions` (Forge's condition object, e.g.
    /// `{"and": [{"property": "version", "condition": "EQUAL_TO", "values": [3]}]}`); the
    /// transaction fails with [`StorageError::Conflict`] otherwise.
    pub fn check(mut self, entity: &str, key: &str, conditions: Value) -> Self {
        match rules::check_entity(entity).and_then(|()| rules::check_key(key)) {
            Ok(()) => self
                .check
                .push((entity.to_owned(), key.to_owned(), conditions)),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Applies every operation, or none.
    pub async fn commit(self) -> Result<(), StorageError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let keys = self
            .set
            .iter()
            .map(|(key, _)| (key.as_str(), None))
            .chain(self.delete.iter().map(|key| (key.as_str(), None)))
            .chain(
                self.check
                    .iter()
                    .map(|(entity, key, _)| (key.as_str(), Some(entity.as_str()))),
            )
            .collect::<Vec<_>>();
        rules::check_operations("transaction", keys.into_iter())?;
        let body = json!({
            "set": self.set.iter().map(|(key, value)| json!({"key": key, "value": value})).collect::<Vec<_>>(),
            "delete": self.delete.iter().map(|key| json!({"key": key})).collect::<Vec<_>>(),
            "check": self.check.iter().map(|(entity, key, conditions)| json!({"entityName": entity, "key": key, "conditions": conditions})).collect::<Vec<_>>(),
        });
        self.storage.call("/transaction", &body).await.map(drop)
    }
}
