//! Custom entities of Forge storage: [`EntityStore`] and its index queries.

use super::{ForgeStorage, MAX_QUERY_LIMIT, Page, Place, StorageError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A custom entity of [`ForgeStorage::entity`].
#[derive(Debug)]
pub struct EntityStore<'a> {
    storage: &'a ForgeStorage,
    name: String,
}

/// A query of a custom entity by one of its indexes ([`EntityStore::query`]).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityQuery {
    /// The index (declared in the manifest).
    pub index_name: String,
    /// The index's partition values, when it has a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Vec<Value>>,
    /// A range condition on the index's range attribute, e.g.
    /// `{"condition": "BEGINS_WITH", "values": ["TEST-"]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Value>,
    /// `ASC` or `DESC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// At most this many entries (1 to 99).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The previous page's cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl<'a> EntityStore<'a> {
    pub(super) fn new(storage: &'a ForgeStorage, name: String) -> Self {
        Self { storage, name }
    }
}

impl EntityStore<'_> {
    /// The entity at `key`, or `None`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        self.storage.get_in(self.place(), key).await
    }

    /// Sets the entity at `key`.
    pub async fn set<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        self.storage.set_in(self.place(), key, value, None).await
    }

    /// Deletes the entity at `key`.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.storage.delete_in(self.place(), key).await
    }

    fn place(&self) -> Place<'_> {
        Place::Entity(&self.name)
    }

    /// A page of the entities matching `query`.
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &EntityQuery,
    ) -> Result<Page<T>, StorageError> {
        let mut body = serde_json::to_value(query)
            .map_err(|error| super::undecodable::<EntityQuery>(&error))?;
        body["entityName"] = json!(self.name);
        if let Some(limit) = query.limit {
            body["limit"] = json!(limit.clamp(1, MAX_QUERY_LIMIT));
        }
        let answer = self
            .storage
            .call("/entity/query", &body)
            .await?
            .unwrap_or(json!({}));
        serde_json::from_value(answer).map_err(|error| super::undecodable::<Page<T>>(&error))
    }
}
