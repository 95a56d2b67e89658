//! The known lists behind compile-time checks: webhook events and module locations.
//!
//! Atlassian adds events and locations over time; `unchecked` on an attribute opts out of
//! these lists for one handler, so a new event never waits for a framework release.

/// Webhook events of Jira and Confluence Cloud.
pub const WEBHOOK_EVENTS: &[&str] = &[
    // Jira
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "jira:worklog_updated",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
    "issuelink_created",
    "issuelink_deleted",
    "worklog_created",
    "worklog_updated",
    "worklog_deleted",
    "attachment_created",
    "attachment_deleted",
    "project_created",
    "project_updated",
    "project_deleted",
    "project_soft_deleted",
    "project_restored_deleted",
    "project_archived",
    "project_restored_archived",
    "jira:version_released",
    "jira:version_unreleased",
    "jira:version_created",
    "jira:version_moved",
    "jira:version_updated",
    "jira:version_deleted",
    "jira:version_merged",
    "user_created",
    "user_updated",
    "user_deleted",
    "option_voting_changed",
    "option_watching_changed",
    "option_unassigned_issues_changed",
    "option_subtasks_changed",
    "option_attachments_changed",
    "option_issuelinks_changed",
    "option_timetracking_changed",
    "sprint_created",
    "sprint_deleted",
    "sprint_updated",
    "sprint_started",
    "sprint_closed",
    "board_created",
    "board_updated",
    "board_deleted",
    "board_configuration_changed",
    "connect_addon_enabled",
    "connect_addon_disabled",
    "jira_expression_evaluation_failed",
    // Confluence
    "page_created",
    "page_updated",
    "page_removed",
    "page_restored",
    "page_trashed",
    "page_moved",
    "page_copied",
    "page_children_reordered",
    "page_archived",
    "page_unarchived",
    "blog_created",
    "blog_updated",
    "blog_removed",
    "blog_restored",
    "blog_trashed",
    "space_created",
    "space_updated",
    "space_removed",
    "space_permissions_updated",
    "attachment_updated",
    "attachment_removed",
    "attachment_restored",
    "attachment_trashed",
    "label_added",
    "label_removed",
    "label_created",
    "label_deleted",
    "user_removed",
    "user_deactivated",
    "user_reactivated",
    "content_created",
    "content_updated",
    "content_restored",
    "content_trashed",
    "content_permissions_updated",
    "group_created",
    "group_removed",
    "relation_created",
    "relation_deleted",
    "theme_enabled",
];

/// Module locations of Jira and Confluence Cloud. Locations under an admin or web section
/// (`admin_plugins_menu/my-section`) are matched by their prefix before `/`.
pub const LOCATIONS: &[&str] = &[
    // Jira
    "system.top.navigation.bar",
    "system.admin.top.navigation.bar",
    "system.user.options",
    "system.user.options/personal",
    "admin_plugins_menu",
    "admin_applications_section",
    "admin_issues_menu",
    "admin_project_menu",
    "admin_system_menu",
    "admin_users_menu",
    "atl.jira.view.issue.right.context",
    "atl.jira.view.issue.left.context",
    "atl.jira.proj.config",
    "atl.jira.proj.config.sidebar",
    "jira.project.sidebar.plugins.navigation",
    "jira.issue.tools",
    "operations-top-level",
    "operations-work",
    "operations-attachments",
    "operations-voteswatchers",
    "operations-subtasks",
    "operations-operations",
    "operations-delete",
    "jira.navigation.alt.jira.links",
    "atl.jira.view.issue.right.context",
    // Confluence
    "system.header/left",
    "system.content.action",
    "system.content.button",
    "system.content.metadata",
    "system.content.byline",
    "atl.general",
    "atl.editor.savebar",
    "system.help/online-help",
    "system.user",
    "system.admin/globalsettings",
    "system.admin/marketplace_confluence",
    "system.space.tools/addons",
    "system.space.tools/contenttools",
    "system.space.tools/overview",
    "system.space.tools/integrations",
    "system.space.tools/lookandfeel",
    "system.space.sidebar/main-links",
    "system.profile",
    "addons",
    "contenttools",
    "overview",
];

/// Whether `location` is known (exactly, or by its section prefix).
pub fn is_known_location(location: &str) -> bool {
    LOCATIONS.contains(&location)
        || location
            .split_once('/')
            .is_some_and(|(section, _)| LOCATIONS.contains(&section))
}

/// Up to three entries of `known` closest to `value` (by edit distance), for "did you mean".
pub fn closest<'a>(known: &[&'a str], value: &str) -> Vec<&'a str> {
    let limit = (value.len() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|candidate| (strsim::levenshtein(candidate, value), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .collect();
    scored.sort();
    scored.dedup_by_key(|(_, candidate)| *candidate);
    scored
        .into_iter()
        .take(3)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// `"; did you mean `a`, `b`"` or nothing.
pub fn did_you_mean(known: &[&str], value: &str) -> String {
    let close = closest(known, value);
    if close.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}",
            close
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}
