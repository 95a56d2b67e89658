//! Forge rules shared by the `#[forge::...]` attributes (at compile time) and the runtime (when
//! an app is built and its manifest rendered): the app id, Forge keys, trigger events and
//! schedules ([here](self)), the Forge modules a handler declares ([`module`]), the UI module
//! kinds ([`ui`]) and Rovo action inputs ([`action`]).

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod action;
pub mod container;
pub mod module;
pub mod ui;

pub use module::{ForgeModule, ForgeModuleKind, StaticOutput, Tokens, TriggerFilter};
pub use ui::{UiField, UiKind, UiKindSpec, UiModule};

/// Longest key of a Forge remote or endpoint module (the manifest validator's limit).
pub const MAX_FORGE_KEY_LEN: usize = 23;

/// A Forge attribute of handlers (`#[forge::remote]`...), besides the UI module attributes
/// (see [`UiKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForgeKind {
    /// `#[forge::remote]`: an endpoint with a route, invoked by a Forge function.
    Remote,
    /// `#[forge::resolver]`: a route of a UI resolver endpoint (no `route`), called by a
    /// frontend's `invokeRemote`.
    Resolver,
    /// `#[forge::trigger]`: a trigger with its endpoint.
    Trigger,
    /// `#[forge::scheduled_trigger]`: a scheduled trigger with its endpoint.
    ScheduledTrigger,
    /// `#[forge::action]`: a Rovo action with its endpoint.
    Action,
    /// `#[forge::consumer]`: an async event consumer with its endpoint.
    Consumer,
    /// `#[forge::webtrigger]`: a web trigger with its endpoint.
    Webtrigger,
    /// `#[forge::pre_uninstall]`: the pre-uninstall call with its endpoint.
    PreUninstall,
}

/// One row of the Forge attribute table: the attribute and the arguments it takes.
#[derive(Debug)]
pub struct ForgeKindSpec {
    /// The kind.
    pub kind: ForgeKind,
    /// The attribute as written (`forge::remote`).
    pub attr: &'static str,
    /// The arguments it accepts, in the order error messages list them.
    pub args: &'static [&'static str],
    /// A complete example, quoted by error messages.
    pub example: &'static str,
}

/// Every Forge attribute, in the order of [`ForgeKind`].
pub static FORGE_KINDS: &[ForgeKindSpec] = &[
    ForgeKindSpec {
        kind: ForgeKind::Remote,
        attr: "forge::remote",
        args: &[
            "key",
            "path",
            "method",
            "system_token",
            "user_token",
            "crate",
        ],
        example: "#[forge::remote(key = \"notes-remote\", path = \"/forge/notes\", system_token)]",
    },
    ForgeKindSpec {
        kind: ForgeKind::Resolver,
        attr: "forge::resolver",
        args: &[
            "endpoint",
            "path",
            "method",
            "system_token",
            "user_token",
            "crate",
        ],
        example: "#[forge::resolver(endpoint = \"notes-api\", path = \"/notes\", method = GET, system_token)]",
    },
    ForgeKindSpec {
        kind: ForgeKind::Trigger,
        attr: "forge::trigger",
        args: &[
            "key",
            "events",
            "path",
            "endpoint",
            "system_token",
            "ignore_self",
            "filter",
            "on_error",
            "licensed_only",
            "include_fields",
            "include_paths",
            "unchecked",
            "crate",
        ],
        example: "#[forge::trigger(key = \"lifecycle\", events = [\"avi:forge:installed:app\"], path = \"/forge/lifecycle\")]",
    },
    ForgeKindSpec {
        kind: ForgeKind::ScheduledTrigger,
        attr: "forge::scheduled_trigger",
        args: &[
            "key",
            "interval",
            "path",
            "endpoint",
            "system_token",
            "crate",
        ],
        example: "#[forge::scheduled_trigger(key = \"hourly\", interval = \"hour\", path = \"/forge/hourly\")]",
    },
    ForgeKindSpec {
        kind: ForgeKind::Action,
        attr: "forge::action",
        args: &[
            "key",
            "verb",
            "description",
            "name",
            "outputs",
            "path",
            "endpoint",
            "system_token",
            "user_token",
            "crate",
        ],
        example: "#[forge::action(key = \"find-notes\", verb = GET, description = \"Finds the notes of an issue\", path = \"/actions/find-notes\")]",
    },
    ForgeKindSpec {
        kind: ForgeKind::Consumer,
        attr: "forge::consumer",
        args: &["key", "queue", "path", "endpoint", "system_token", "crate"],
        example: "#[forge::consumer(key = \"reindex\", queue = \"reindex\", path = \"/events/reindex\")]",
    },
    ForgeKindSpec {
        kind: ForgeKind::Webtrigger,
        attr: "forge::webtrigger",
        args: &[
            "key",
            "path",
            "endpoint",
            "outputs",
            "system_token",
            "crate",
        ],
        example: "#[forge::webtrigger(key = \"notes-hook\", path = \"/hooks/notes\")]",
    },
    ForgeKindSpec {
        kind: ForgeKind::PreUninstall,
        attr: "forge::pre_uninstall",
        args: &["key", "path", "endpoint", "system_token", "crate"],
        example: "#[forge::pre_uninstall(key = \"uninstall\", path = \"/lifecycle/pre-uninstall\")]",
    },
];

impl ForgeKind {
    /// Its row of [`FORGE_KINDS`].
    pub fn spec(self) -> &'static ForgeKindSpec {
        &FORGE_KINDS[self as usize]
    }
}

/// What is wrong with a Forge value. The message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// `FORGE_APP_ID` is not an app ARI.
    #[error(
        "`{0}` is not a Forge app id: expected `ari:cloud:ecosystem::app/<uuid>` as `forge register` prints it"
    )]
    AppId(String),
    /// A Forge module or remote key breaks its rule.
    #[error("Forge key `{0}` is invalid: use 1 to 23 of a-z A-Z 0-9 _ -, e.g. `notes-remote`")]
    Key(String),
    /// An event no Forge trigger delivers (as far as the framework knows).
    #[error(
        "unknown Forge event `{event}`{hint}; add `unchecked` to the attribute to use an event the framework does not know yet"
    )]
    Event {
        /// The event.
        event: String,
        /// ` (did you mean ...?)`, or empty.
        hint: String,
    },
    /// A UI module field breaks its rule.
    #[error("`{field} = \"{value}\"` is invalid: {rule}")]
    UiField {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is allowed.
        rule: &'static str,
    },
    /// A UI module lacks a field its kind requires.
    #[error("a `{module_type}` module needs `{field}`")]
    UiFieldMissing {
        /// The manifest module type.
        module_type: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A UI module sets a field its kind does not have.
    #[error("a `{module_type}` module has no `{field}`: remove it")]
    UiFieldNotAllowed {
        /// The manifest module type.
        module_type: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A resource key breaks its rule.
    #[error("resource key `{0}` is invalid: use 1 to 23 of a-z A-Z 0-9 _ -, e.g. `panel`")]
    ResourceKey(String),
    /// A resource folder is not a plain relative path.
    #[error(
        "resource path `{0}` is invalid: use a relative folder of the app's crate with `/` between names and no `.` or `..`, e.g. `static/panel/build`"
    )]
    ResourcePath(String),
    /// A queue name breaks its rule.
    #[error("queue `{0}` is invalid: use 1 to 36 of a-z A-Z 0-9 _ -")]
    Queue(String),
    /// An action input or output type is not a struct of flat fields.
    #[error("the action's input or output type is not usable: {0}")]
    ActionSchema(String),
    /// An action input or output field is not allowed.
    #[error("action field `{field}` {reason}")]
    ActionField {
        /// The field.
        field: String,
        /// Why.
        reason: &'static str,
    },
    /// A service or container key breaks its rule.
    #[error(
        "service or container key `{0}` is invalid: use 1 to 25 of a-z 0-9 -, starting with a letter and not ending with -, e.g. `notes`"
    )]
    ServiceKey(String),
    /// An image tag breaks its rule.
    #[error(
        "image tag `{0}` is invalid: use 1 to 127 of a-z A-Z 0-9 - _ ., starting and ending with a letter or digit, and not `latest` (Forge's tags are immutable)"
    )]
    ImageTag(String),
    /// A CPU/memory pair Forge does not offer.
    #[error(
        "container resources `{0}` are not offered by Forge: use one of 4000m/16Gi, 4000m/8Gi, 2000m/4Gi, 1000m/2Gi, 500m/1Gi, 250m/512Mi, 125m/256Mi, 60m/128Mi, 30m/64Mi"
    )]
    ContainerResources(String),
    /// A health route that is not `/` or `/a/b`.
    #[error("health route `{0}` is invalid: use `/` or `/segment/...` of a-z A-Z 0-9 - _")]
    HealthPath(String),
    /// A scheduled trigger interval other than fiveMinute, hour, day or week.
    #[error("`{0}` is not a scheduled trigger interval: use `fiveMinute`, `hour`, `day` or `week`")]
    Interval(String),
}

/// The Forge app id (`app.id` of the manifest, `aud` of every Forge Invocation Token):
/// `ari:cloud:ecosystem::app/<uuid>`.
///
/// ```
/// use connect_descriptor::ForgeAppId;
/// assert!(ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11").is_ok());
/// assert!(ForgeAppId::parse("0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ForgeAppId(String);

/// The prefix of every Forge app ARI.
const APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";

impl ForgeAppId {
    /// Checks `id`: the ARI prefix followed by a UUID (8-4-4-4-12 hexadecimal digits),
    /// kept in lower case as Forge writes it (tokens name it exactly).
    pub fn parse(id: impl Into<String>) -> Result<Self, ForgeError> {
        let id = id.into();
        let trimmed = id.trim();
        match trimmed.strip_prefix(APP_ARI_PREFIX) {
            Some(uuid) if is_uuid(uuid) => Ok(Self(trimmed.to_ascii_lowercase())),
            _ => Err(ForgeError::AppId(id)),
        }
    }

    /// The ARI as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl TryFrom<String> for ForgeAppId {
    type Error = ForgeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<ForgeAppId> for String {
    fn from(id: ForgeAppId) -> Self {
        id.0
    }
}

impl fmt::Display for ForgeAppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the key of a Forge remote or endpoint/trigger module: `^[a-zA-Z0-9_-]+$`, at most
/// [`MAX_FORGE_KEY_LEN`] characters.
///
/// ```
/// use connect_descriptor::forge::check_key;
/// assert!(check_key("hello-remote").is_ok());
/// assert!(check_key("a-key-that-is-far-too-long").is_err());
/// assert!(check_key("no.dots").is_err());
/// ```
pub fn check_key(key: &str) -> Result<(), ForgeError> {
    if is_word(key, MAX_FORGE_KEY_LEN) {
        Ok(())
    } else {
        Err(ForgeError::Key(key.to_owned()))
    }
}

/// Whether `text` is 1 to `max` of `a-z A-Z 0-9 _ -`: the rule of Forge's keys, resource
/// keys and queue names, with their own lengths.
pub(crate) fn is_word(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Checks an async event queue name: `^[a-zA-Z0-9-_]+$`, 1 to 36 characters.
///
/// ```
/// use connect_descriptor::forge::check_queue;
/// assert!(check_queue("notes-reindex").is_ok());
/// assert!(check_queue("notes reindex").is_err());
/// ```
pub fn check_queue(queue: &str) -> Result<(), ForgeError> {
    if is_word(queue, 36) {
        Ok(())
    } else {
        Err(ForgeError::Queue(queue.to_owned()))
    }
}

/// Events Forge delivers to triggers that the framework knows. `unchecked` on an attribute
/// opts out, so a new event never waits for a framework release.
pub const FORGE_EVENTS: &[&str] = &[
    // App lifecycle.
    "avi:forge:installed:app",
    "avi:forge:upgraded:app",
    // Jira.
    "avi:jira:created:issue",
    "avi:jira:updated:issue",
    "avi:jira:deleted:issue",
    "avi:jira:assigned:issue",
    "avi:jira:viewed:issue",
    "avi:jira:mentioned:issue",
    "avi:jira:created:comment",
    "avi:jira:updated:comment",
    "avi:jira:deleted:comment",
    "avi:jira:mentioned:comment",
    "avi:jira:created:worklog",
    "avi:jira:updated:worklog",
    "avi:jira:deleted:worklog",
    "avi:jira:created:attachment",
    "avi:jira:deleted:attachment",
    "avi:jira:created:issuelink",
    "avi:jira:deleted:issuelink",
    "avi:jira:created:project",
    "avi:jira:updated:project",
    "avi:jira:deleted:project",
    "avi:jira:created:version",
    "avi:jira:updated:version",
    "avi:jira:deleted:version",
    "avi:jira:released:version",
    "avi:jira:unreleased:version",
    "avi:jira:created:sprint",
    "avi:jira:updated:sprint",
    "avi:jira:started:sprint",
    "avi:jira:closed:sprint",
    "avi:jira:deleted:sprint",
    "avi:jira:created:user",
    "avi:jira:updated:user",
    "avi:jira:deleted:user",
    // Confluence.
    "avi:confluence:created:page",
    "avi:confluence:updated:page",
    "avi:confluence:liked:page",
    "avi:confluence:viewed:page",
    "avi:confluence:moved:page",
    "avi:confluence:copied:page",
    "avi:confluence:archived:page",
    "avi:confluence:unarchived:page",
    "avi:confluence:trashed:page",
    "avi:confluence:restored:page",
    "avi:confluence:deleted:page",
    "avi:confluence:created:blogpost",
    "avi:confluence:updated:blogpost",
    "avi:confluence:liked:blogpost",
    "avi:confluence:viewed:blogpost",
    "avi:confluence:trashed:blogpost",
    "avi:confluence:restored:blogpost",
    "avi:confluence:deleted:blogpost",
    "avi:confluence:created:comment",
    "avi:confluence:updated:comment",
    "avi:confluence:deleted:comment",
    "avi:confluence:liked:comment",
    "avi:confluence:created:space",
    "avi:confluence:updated:space",
    "avi:confluence:deleted:space",
    "avi:confluence:created:attachment",
    "avi:confluence:updated:attachment",
    "avi:confluence:trashed:attachment",
    "avi:confluence:restored:attachment",
    "avi:confluence:deleted:attachment",
    "avi:confluence:created:label",
    "avi:confluence:added:label",
    "avi:confluence:removed:label",
    "avi:confluence:deleted:label",
    "avi:confluence:created:task",
    "avi:confluence:updated:task",
    "avi:confluence:removed:task",
];

/// The event that tells a remote the app was installed on a site.
pub const INSTALLED_EVENT: &str = "avi:forge:installed:app";

/// Checks a trigger event against [`FORGE_EVENTS`], suggesting the closest known one.
///
/// ```
/// use connect_descriptor::forge::check_event;
/// assert!(check_event("avi:forge:installed:app").is_ok());
/// let error = check_event("avi:forge:install:app").unwrap_err().to_string();
/// assert!(error.contains("did you mean `avi:forge:installed:app`"), "{error}");
/// ```
pub fn check_event(event: &str) -> Result<(), ForgeError> {
    if FORGE_EVENTS.contains(&event) {
        return Ok(());
    }
    let hint = FORGE_EVENTS
        .iter()
        .map(|known| (strsim::jaro_winkler(event, known), known))
        .filter(|(score, _)| *score > 0.9)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default();
    Err(ForgeError::Event {
        event: event.to_owned(),
        hint,
    })
}

/// How often a scheduled trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Interval {
    /// Every five minutes.
    FiveMinute,
    /// Every hour.
    Hour,
    /// Every day.
    Day,
    /// Every week.
    Week,
}

impl Interval {
    /// Parses `fiveMinute`, `hour`, `day` or `week`.
    pub fn parse(text: &str) -> Result<Self, ForgeError> {
        match text {
            "fiveMinute" => Ok(Interval::FiveMinute),
            "hour" => Ok(Interval::Hour),
            "day" => Ok(Interval::Day),
            "week" => Ok(Interval::Week),
            other => Err(ForgeError::Interval(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids() {
        assert!(
            ForgeAppId::parse("ari:cloud:ecosystem::app/0F6A3A3E-7d1b-4c55-9b1f-3f5f0c8e2a11")
                .is_ok()
        );
        for bad in [
            "",
            "ari:cloud:ecosystem::app/",
            "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a1",
            "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11/x",
            "ari:cloud:ecosystem::installation/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11",
            "ari:cloud:ecosystem::app/zf6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11",
        ] {
            assert!(ForgeAppId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys() {
        assert!(check_key(&"a".repeat(23)).is_ok());
        assert!(check_key(&"a".repeat(24)).is_err());
        assert!(check_key("").is_err());
        assert!(check_key("a b").is_err());
        assert!(check_key("under_score-dash").is_ok());
    }

    #[test]
    fn intervals() {
        assert_eq!(Interval::parse("day"), Ok(Interval::Day));
        assert!(Interval::parse("minute").is_err());
    }
}
