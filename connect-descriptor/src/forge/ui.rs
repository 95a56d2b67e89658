//! The Forge UI modules whose frontend (Custom UI: a static build folder of the app's crate)
//! calls the Rust backend through `invokeRemote`: one table row per kind, with the fields the
//! manifest schema (`@forge/manifest` 13.7.0) requires and allows for its `resource` variant.
//! The `#[forge::issue_panel(...)]`... attributes check their arguments against it at compile
//! time; the manifest builder renders [`UiModule`]s with it.

use super::ForgeError;
use crate::kind::Product;

/// A Forge UI module kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiKind {
    /// `jira:issuePanel`.
    IssuePanel,
    /// `jira:globalPage`.
    JiraGlobalPage,
    /// `jira:adminPage`.
    AdminPage,
    /// `jira:projectPage`.
    ProjectPage,
    /// `jira:issueGlance`.
    IssueGlance,
    /// `jira:issueContext`.
    IssueContext,
    /// `jira:dashboardGadget`.
    DashboardGadget,
    /// `macro` (Confluence).
    ConfluenceMacro,
    /// `confluence:globalPage`.
    ConfluenceGlobalPage,
    /// `confluence:spacePage`.
    SpacePage,
}

/// A field of a UI module that its attribute sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiField {
    /// `title` (1 to 255 characters).
    Title,
    /// `icon`: a URL or a path of the resource (1 to 255 characters).
    Icon,
    /// `label` (glances and issue contexts).
    Label,
    /// `description`.
    Description,
    /// `thumbnail` (gadgets): a URL.
    Thumbnail,
    /// `route` (Confluence pages): `^[a-z0-9-]+$`.
    Route,
}

impl UiField {
    /// Every field, in the order the manifest lists them.
    pub const ALL: [UiField; 6] = [
        UiField::Title,
        UiField::Label,
        UiField::Description,
        UiField::Icon,
        UiField::Thumbnail,
        UiField::Route,
    ];

    /// The attribute argument and the manifest property (the same word).
    pub fn name(self) -> &'static str {
        match self {
            UiField::Title => "title",
            UiField::Icon => "icon",
            UiField::Label => "label",
            UiField::Description => "description",
            UiField::Thumbnail => "thumbnail",
            UiField::Route => "route",
        }
    }

    /// The field of argument `name`.
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// Checks `value` against the schema's rule for this field.
    pub fn check(self, value: &str) -> Result<(), ForgeError> {
        let valid = match self {
            UiField::Route => {
                !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }
            _ => !value.trim().is_empty() && value.chars().count() <= 255,
        };
        if valid {
            Ok(())
        } else {
            Err(ForgeError::UiField {
                field: self.name(),
                value: value.to_owned(),
                rule: match self {
                    UiField::Route => "use a-z, 0-9 and -, e.g. `notes`",
                    _ => "use 1 to 255 characters, not only spaces",
                },
            })
        }
    }
}

/// One row of the UI kind table.
#[derive(Debug)]
pub struct UiKindSpec {
    /// The kind.
    pub kind: UiKind,
    /// The attribute as written (`forge::issue_panel`).
    pub attr: &'static str,
    /// The manifest's module type (`jira:issuePanel`).
    pub module_type: &'static str,
    /// The product whose pages show it.
    pub product: Product,
    /// The fields the schema requires.
    pub required: &'static [UiField],
    /// The fields the schema also allows.
    pub optional: &'static [UiField],
    /// A complete example, quoted by error messages.
    pub example: &'static str,
}

impl UiKindSpec {
    /// Whether the kind takes `field`.
    pub fn allows(&self, field: UiField) -> bool {
        self.required.contains(&field) || self.optional.contains(&field)
    }
}

use UiField::{Description, Icon, Label, Route, Thumbnail, Title};

/// Every UI module kind, in the order of [`UiKind`].
pub static UI_KINDS: &[UiKindSpec] = &[
    UiKindSpec {
        kind: UiKind::IssuePanel,
        attr: "forge::issue_panel",
        module_type: "jira:issuePanel",
        product: Product::Jira,
        required: &[Title, Icon],
        optional: &[],
        example: "#[forge::issue_panel(key = \"notes-panel\", title = \"Notes\", icon = \"https://example.com/icon.svg\", resource = \"panel\", resource_path = \"static/panel/build\")]",
    },
    UiKindSpec {
        kind: UiKind::JiraGlobalPage,
        attr: "forge::jira_global_page",
        module_type: "jira:globalPage",
        product: Product::Jira,
        required: &[Title],
        optional: &[Icon],
        example: "#[forge::jira_global_page(key = \"notes-page\", title = \"Notes\", resource = \"page\", resource_path = \"static/page/build\")]",
    },
    UiKindSpec {
        kind: UiKind::AdminPage,
        attr: "forge::admin_page",
        module_type: "jira:adminPage",
        product: Product::Jira,
        required: &[Title],
        optional: &[Icon],
        example: "#[forge::admin_page(key = \"notes-admin\", title = \"Notes settings\", resource = \"admin\", resource_path = \"static/admin/build\")]",
    },
    UiKindSpec {
        kind: UiKind::ProjectPage,
        attr: "forge::project_page",
        module_type: "jira:projectPage",
        product: Product::Jira,
        required: &[Title],
        optional: &[Icon],
        example: "#[forge::project_page(key = \"notes-project\", title = \"Notes\", resource = \"project\", resource_path = \"static/project/build\")]",
    },
    UiKindSpec {
        kind: UiKind::IssueGlance,
        attr: "forge::issue_glance",
        module_type: "jira:issueGlance",
        product: Product::Jira,
        required: &[Title, Label],
        optional: &[Icon],
        example: "#[forge::issue_glance(key = \"notes-glance\", title = \"Notes\", label = \"3 notes\", resource = \"glance\", resource_path = \"static/glance/build\")]",
    },
    UiKindSpec {
        kind: UiKind::IssueContext,
        attr: "forge::issue_context",
        module_type: "jira:issueContext",
        product: Product::Jira,
        required: &[Title, Label],
        optional: &[Icon],
        example: "#[forge::issue_context(key = \"notes-context\", title = \"Notes\", label = \"Notes\", resource = \"context\", resource_path = \"static/context/build\")]",
    },
    UiKindSpec {
        kind: UiKind::DashboardGadget,
        attr: "forge::dashboard_gadget",
        module_type: "jira:dashboardGadget",
        product: Product::Jira,
        required: &[Title, Description, Thumbnail],
        optional: &[],
        example: "#[forge::dashboard_gadget(key = \"notes-gadget\", title = \"Notes\", description = \"Recent notes\", thumbnail = \"https://example.com/thumb.png\", resource = \"gadget\", resource_path = \"static/gadget/build\")]",
    },
    UiKindSpec {
        kind: UiKind::ConfluenceMacro,
        attr: "forge::confluence_macro",
        module_type: "macro",
        product: Product::Confluence,
        required: &[Title],
        optional: &[Description],
        example: "#[forge::confluence_macro(key = \"notes-macro\", title = \"Notes\", resource = \"macro\", resource_path = \"static/macro/build\")]",
    },
    UiKindSpec {
        kind: UiKind::ConfluenceGlobalPage,
        attr: "forge::confluence_global_page",
        module_type: "confluence:globalPage",
        product: Product::Confluence,
        required: &[Title, Route],
        optional: &[Icon],
        example: "#[forge::confluence_global_page(key = \"notes-page\", title = \"Notes\", route = \"notes\", resource = \"page\", resource_path = \"static/page/build\")]",
    },
    UiKindSpec {
        kind: UiKind::SpacePage,
        attr: "forge::space_page",
        module_type: "confluence:spacePage",
        product: Product::Confluence,
        required: &[Title, Route],
        optional: &[Icon],
        example: "#[forge::space_page(key = \"notes-space\", title = \"Notes\", route = \"notes\", resource = \"space\", resource_path = \"static/space/build\")]",
    },
];

impl UiKind {
    /// Its row of [`UI_KINDS`].
    pub fn spec(self) -> &'static UiKindSpec {
        &UI_KINDS[self as usize]
    }

    /// The kind of a manifest module type (`jira:issuePanel`).
    pub fn by_module_type(module_type: &str) -> Option<Self> {
        UI_KINDS
            .iter()
            .find(|spec| spec.module_type == module_type)
            .map(|spec| spec.kind)
    }
}

/// The arguments every UI attribute takes besides its fields.
pub const UI_ARGS: [&str; 5] = ["key", "resource", "resource_path", "resolver", "crate"];

/// A UI module declared on a resolver handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiModule {
    /// The kind.
    pub kind: UiKind,
    /// The module key.
    pub key: &'static str,
    /// The resource's key (listed under top-level `resources`).
    pub resource: &'static str,
    /// The resource's folder, relative to the directory of the manifest (the crate's root):
    /// the Custom UI build holding `index.html`.
    pub resource_path: &'static str,
    /// The fields, each at most once.
    pub fields: Vec<(UiField, &'static str)>,
}

impl UiModule {
    /// Checks the module against its kind's row: keys, resource, required and allowed
    /// fields. The attributes run the same checks at compile time.
    pub fn check(&self) -> Result<(), ForgeError> {
        let spec = self.kind.spec();
        super::check_key(self.key)?;
        check_resource_key(self.resource)?;
        check_resource_path(self.resource_path)?;
        for (field, value) in &self.fields {
            if !spec.allows(*field) {
                return Err(ForgeError::UiFieldNotAllowed {
                    module_type: spec.module_type,
                    field: field.name(),
                });
            }
            field.check(value)?;
        }
        for field in spec.required {
            if !self.fields.iter().any(|(set, _)| set == field) {
                return Err(ForgeError::UiFieldMissing {
                    module_type: spec.module_type,
                    field: field.name(),
                });
            }
        }
        Ok(())
    }
}

/// Checks a resource key: 1 to 23 of `a-z A-Z 0-9 _ -` (the manifest's `resources[].key`).
///
/// ```
/// use connect_descriptor::forge::ui::check_resource_key;
/// assert!(check_resource_key("panel").is_ok());
/// assert!(check_resource_key("static/panel").is_err());
/// ```
pub fn check_resource_key(key: &str) -> Result<(), ForgeError> {
    if super::is_word(key, 23) {
        Ok(())
    } else {
        Err(ForgeError::ResourceKey(key.to_owned()))
    }
}

/// Checks a resource folder: a relative path inside the app's directory, `/`-separated,
/// with no empty, `.` or `..` segment (Forge uploads the folder; it must not point outside).
///
/// ```
/// use connect_descriptor::forge::ui::check_resource_path;
/// assert!(check_resource_path("static/panel/build").is_ok());
/// assert!(check_resource_path("../outside").is_err());
/// assert!(check_resource_path("/abs/path").is_err());
/// ```
pub fn check_resource_path(path: &str) -> Result<(), ForgeError> {
    let valid = !path.is_empty()
        && !path.contains('\\')
        && path
            .trim_end_matches('/')
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."));
    if valid {
        Ok(())
    } else {
        Err(ForgeError::ResourcePath(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_kind_order_and_types_are_unique() {
        for (index, spec) in UI_KINDS.iter().enumerate() {
            assert_eq!(spec.kind as usize, index);
            assert_eq!(UiKind::by_module_type(spec.module_type), Some(spec.kind));
            assert!(spec.required.contains(&UiField::Title));
        }
    }

    #[test]
    fn modules_are_checked_against_their_row() {
        let mut panel = UiModule {
            kind: UiKind::IssuePanel,
            key: "notes-panel",
            resource: "panel",
            resource_path: "static/panel",
            fields: vec![
                (UiField::Title, "Notes"),
                (UiField::Icon, "https://x/i.svg"),
            ],
        };
        assert!(panel.check().is_ok());
        panel.fields.pop();
        assert!(matches!(
            panel.check(),
            Err(ForgeError::UiFieldMissing { field: "icon", .. })
        ));
        panel.fields.push((UiField::Route, "notes"));
        assert!(matches!(
            panel.check(),
            Err(ForgeError::UiFieldNotAllowed { field: "route", .. })
        ));
        assert!(UiField::Route.check("Notes").is_err());
    }
}
