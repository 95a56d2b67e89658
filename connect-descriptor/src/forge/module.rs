//! [`ForgeModule`]: what one `#[forge::...]` handler declares in the manifest, beside its
//! route. Every backend module reaches the remote through an `endpoint` module; the manifest
//! builder ([`crate::manifest`]) turns each into its entries.

use super::action::ActionSpec;
use super::ui::UiModule;
use super::{Interval, check_key};
use std::borrow::Cow;

/// Which tokens Forge sends with an invocation of an endpoint (`endpoint.auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// `appSystemToken`: the app's system token in `x-forge-oauth-system`.
    pub system: bool,
    /// `appUserToken`: the calling user's token in `x-forge-oauth-user`.
    pub user: bool,
}

/// The Forge module a `#[forge::...]` handler declares, beside its route.
#[derive(Debug, Clone)]
pub struct ForgeModule {
    /// The module key: the endpoint's for `remote` and `resolver`, the trigger's, action's...
    /// for the others.
    pub key: &'static str,
    /// The key of the endpoint of a backend module, when the attribute names one (`endpoint =
    /// "..."`); `<key>-ep` otherwise.
    pub endpoint: Option<&'static str>,
    /// The tokens Forge sends.
    pub tokens: Tokens,
    /// What kind of module, with its fields.
    pub kind: ForgeModuleKind,
}

/// The kind of a [`ForgeModule`], with what only that kind has.
#[derive(Debug, Clone)]
pub enum ForgeModuleKind {
    /// `#[forge::remote]`: an endpoint with `route`, for Forge functions' `invokeRemote`.
    Remote,
    /// `#[forge::resolver]`: one route of a UI resolver endpoint. The endpoint has no `route`
    /// (a frontend's `invokeRemote` path resolves against the remote's baseUrl); several
    /// resolver handlers share it. `ui` holds the UI modules declared on this handler.
    Resolver {
        /// The UI modules stacked on the handler (`#[forge::issue_panel(...)]`...).
        ui: Vec<UiModule>,
    },
    /// `#[forge::trigger]`: product or lifecycle events.
    Trigger {
        /// The events.
        events: Vec<&'static str>,
        /// `filter`, when any option is given.
        filter: TriggerFilter,
        /// `payload.include.fields`.
        include_fields: Vec<&'static str>,
        /// `payload.include.propertyPaths`.
        include_paths: Vec<&'static str>,
    },
    /// `#[forge::scheduled_trigger]`.
    ScheduledTrigger {
        /// How often it fires.
        interval: Interval,
    },
    /// `#[forge::action]`: a Rovo action.
    Action(ActionSpec),
    /// `#[forge::consumer]`: async events of a queue.
    Consumer {
        /// The queue's name.
        queue: &'static str,
    },
    /// `#[forge::webtrigger]`: a web trigger; dynamic unless `outputs` are given.
    Webtrigger {
        /// The static responses (`response.type: static`); empty for a dynamic response.
        outputs: Vec<StaticOutput>,
    },
    /// `#[forge::pre_uninstall]`: called before the app is uninstalled from a site.
    PreUninstall,
}

/// `trigger[].filter`: which events Forge delivers at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerFilter {
    /// `ignoreSelf`: drop the events the app caused.
    pub ignore_self: bool,
    /// `expression`: a Jira expression events must satisfy.
    pub expression: Option<&'static str>,
    /// `onError`: `IGNORE`, `IGNORE_AND_LOG` (Forge's default), `RECEIVE`, `RECEIVE_AND_LOG`.
    pub on_error: Option<&'static str>,
    /// `appIsLicensed`: skip the sites without an active license.
    pub licensed_only: bool,
}

impl TriggerFilter {
    /// The values `on_error` may take.
    pub const ON_ERROR: [&'static str; 4] =
        ["IGNORE", "IGNORE_AND_LOG", "RECEIVE", "RECEIVE_AND_LOG"];

    /// Whether no option is set (no `filter` in the manifest).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One static response of a web trigger (`response.outputs[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticOutput {
    /// The output's key.
    pub key: &'static str,
    /// Its HTTP status.
    pub status: u16,
    /// Its content type.
    pub content_type: Option<&'static str>,
    /// Its body (at most 1024 characters).
    pub body: Option<&'static str>,
}

impl ForgeModule {
    /// The module key.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The key of the endpoint module that routes to the handler.
    pub fn endpoint_key(&self) -> Cow<'static, str> {
        match (&self.kind, self.endpoint) {
            (ForgeModuleKind::Remote | ForgeModuleKind::Resolver { .. }, _) => {
                Cow::Borrowed(self.key)
            }
            (_, Some(endpoint)) => Cow::Borrowed(endpoint),
            (_, None) => Cow::Owned(format!("{}-ep", self.key)),
        }
    }

    /// Whether the endpoint declares `route` (every kind but a UI resolver).
    pub fn has_route(&self) -> bool {
        !matches!(self.kind, ForgeModuleKind::Resolver { .. })
    }

    /// Whether Forge delivers events to it (a trigger, a scheduled trigger or a consumer):
    /// a delivery that was handled is acknowledged without running again.
    pub fn is_event(&self) -> bool {
        matches!(
            self.kind,
            ForgeModuleKind::Trigger { .. }
                | ForgeModuleKind::ScheduledTrigger { .. }
                | ForgeModuleKind::Consumer { .. }
        )
    }

    /// The module keys a Forge Invocation Token may name (`app.module.key`) for a call routed
    /// to this handler: the endpoint's key, the module's key, and the keys of the UI modules
    /// on a resolver. Forge documents `app.module` of a backend invocation only as "the module
    /// key for this endpoint", so both the endpoint's and the module's key are accepted.
    pub fn routed_keys(&self) -> Vec<String> {
        let mut keys = vec![self.endpoint_key().into_owned()];
        if self.key != keys[0] {
            keys.push(self.key.to_owned());
        }
        if let ForgeModuleKind::Resolver { ui } = &self.kind {
            keys.extend(ui.iter().map(|module| module.key.to_owned()));
        }
        keys
    }

    /// Checks the keys (module, endpoint) against Forge's rules.
    pub fn check(&self) -> Result<(), super::ForgeError> {
        check_key(self.key)?;
        check_key(&self.endpoint_key())?;
        if let ForgeModuleKind::Resolver { ui } = &self.kind {
            for module in ui {
                check_key(module.key)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(kind: ForgeModuleKind, endpoint: Option<&'static str>) -> ForgeModule {
        ForgeModule {
            key: "notes",
            endpoint,
            tokens: Tokens::default(),
            kind,
        }
    }

    #[test]
    fn endpoint_keys_and_routed_keys() {
        assert_eq!(
            module(ForgeModuleKind::Remote, None).endpoint_key(),
            "notes"
        );
        let consumer = module(ForgeModuleKind::Consumer { queue: "q" }, None);
        assert_eq!(consumer.endpoint_key(), "notes-ep");
        assert_eq!(consumer.routed_keys(), ["notes-ep", "notes"]);
        let named = module(ForgeModuleKind::PreUninstall, Some("bye-api"));
        assert_eq!(named.endpoint_key(), "bye-api");
        assert!(consumer.is_event() && !named.is_event());
        assert!(!module(ForgeModuleKind::Resolver { ui: vec![] }, None).has_route());
    }
}
