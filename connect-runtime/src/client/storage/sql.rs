//! [`ForgeSql`]: Forge SQL from a Forge Container, through the egress proxy
//! (`/forge/storage/sql/v1/execute`, DDL at `/execute/ddl`): statements with `?` parameters,
//! rows into serde types. Forge SQL is MySQL-compatible; each installation has its own
//! database, provisioned because the manifest declares the `sql` module (the framework adds it
//! when a handler takes `ForgeSql`).
//!
//! A Forge Remote has no documented path to Forge SQL, so an app whose handler takes it is
//! served only with `serve --container`.

use super::{StorageError, forge_call, undecodable};
use crate::client::{ClientError, ForgeClient};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest SQL request Forge accepts (1 MiB).
pub const MAX_SQL_REQUEST_BYTES: usize = 1024 * 1024;

const EXECUTE: &str = "/forge/storage/sql/v1/execute";
const EXECUTE_DDL: &str = "/forge/storage/sql/v1/execute/ddl";

/// The installation's Forge SQL database: a handler argument on `#[forge::...]` routes of an
/// app served as a Forge Container.
///
/// ```
/// use connect_runtime::forge::ForgeSql;
/// use connect_runtime::{AppError, Json};
///
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct Note {
///     id: i64,
///     text: String,
/// }
///
/// async fn notes(sql: ForgeSql) -> Result<Json<Vec<Note>>, AppError> {
///     sql.ddl("CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, text TEXT)").await?;
///     sql.prepare("INSERT INTO notes (id, text) VALUES (?, ?)")
///         .bind(1)
///         .bind("hello")
///         .execute()
///         .await?;
///     let rows = sql.prepare("SELECT id, text FROM notes WHERE id > ?").bind(0).fetch_all().await?;
///     Ok(Json(rows))
/// }
/// ```
#[derive(Clone, Debug)]
pub struct ForgeSql {
    client: Arc<ForgeClient>,
}

/// A statement being prepared: bind its `?` parameters in order, then run it.
#[must_use = "a statement does nothing until it is run"]
#[derive(Debug)]
pub struct Statement<'a> {
    sql: &'a ForgeSql,
    query: String,
    params: Vec<Value>,
    error: Option<StorageError>,
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlOutcome {
    /// Rows inserted, updated or deleted.
    pub affected_rows: u64,
    /// The id an `AUTO_INCREMENT` column took, when one did.
    pub insert_id: Option<i64>,
}

impl ForgeSql {
    /// The database of `client`'s installation (through the container's proxy).
    pub(crate) fn new(client: &ForgeClient) -> Result<Self, ClientError> {
        Ok(Self {
            client: Arc::new(client.at_platform()?),
        })
    }

    /// A statement, its parameters written `?`.
    pub fn prepare(&self, query: impl Into<String>) -> Statement<'_> {
        Statement {
            sql: self,
            query: query.into(),
            params: Vec::new(),
            error: None,
        }
    }

    /// Runs a DDL statement (`CREATE TABLE`, `ALTER TABLE`...): Forge takes them apart from
    /// other statements, at most 25 a minute.
    pub async fn ddl(&self, query: &str) -> Result<(), StorageError> {
        self.send(EXECUTE_DDL, query, &[]).await.map(drop)
    }

    async fn send(&self, path: &str, query: &str, params: &[Value]) -> Result<Value, StorageError> {
        let body = json!({ "query": query, "params": params });
        let bytes = body.to_string().len();
        if bytes > MAX_SQL_REQUEST_BYTES {
            return Err(StorageError::RequestTooLarge {
                what: "SQL request",
                bytes,
                max: MAX_SQL_REQUEST_BYTES,
            });
        }
        Ok(forge_call(&self.client, path, &body)
            .await?
            .unwrap_or(Value::Null))
    }
}

impl Statement<'_> {
    /// Binds the next `?` to `value` (any serde value: numbers, strings, booleans, `None` as
    /// NULL).
    pub fn bind(mut self, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => self.params.push(value),
            Err(error) => {
                self.error = Some(StorageError::Serde(format!(
                    "parameter {} cannot be sent: {error}",
                    self.params.len() + 1
                )));
            }
        }
        self
    }

    /// Runs a query and reads every row into a `T` (columns by name, as serde fields). As in
    /// MySQL, a `BOOLEAN` column is a `TINYINT(1)`: read it as an integer.
    pub async fn fetch_all<T: DeserializeOwned>(self) -> Result<Vec<T>, StorageError> {
        let mut answer = self.run().await?;
        match answer.get_mut("rows").map(Value::take) {
            Some(rows @ Value::Array(_)) => {
                serde_json::from_value(rows).map_err(|error| undecodable::<Vec<T>>(&error))
            }
            _ => Err(StorageError::Serde(
                "the statement returned no rows: use `execute`".to_owned(),
            )),
        }
    }

    /// Runs a query and reads its first row, if any.
    pub async fn fetch_optional<T: DeserializeOwned>(self) -> Result<Option<T>, StorageError> {
        Ok(self.fetch_all::<T>().await?.into_iter().next())
    }

    /// Runs a statement that returns no rows (`INSERT`, `UPDATE`, `DELETE`).
    pub async fn execute(self) -> Result<SqlOutcome, StorageError> {
        let answer = self.run().await?;
        let rows = &answer["rows"];
        Ok(SqlOutcome {
            affected_rows: rows["affectedRows"].as_u64().unwrap_or(0),
            insert_id: rows["insertId"].as_i64().filter(|id| *id != 0),
        })
    }

    async fn run(mut self) -> Result<Value, StorageError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.sql.send(EXECUTE, &self.query, &self.params).await
    }
}
