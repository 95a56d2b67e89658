//! Handlers in submodules are named by path; context parameters bind by name and type.
use atlassian_connect::prelude::*;

mod pages {
    use atlassian_connect::prelude::*;

    #[connect::project_page(key = "project", name = "Project", url = "/project/{project.key}?tab={tab}")]
    pub async fn project(project_key: String, tab: String, ctx: Context) -> String {
        format!("{project_key} {tab} {}", ctx.tenant().base_url)
    }
}

#[connect::route(GET, "/api/count/{n}", auth = context)]
async fn count(n: u32, query: Query<std::collections::HashMap<String, String>>) -> String {
    format!("{n} {}", query.0.len())
}

#[connect::uninstalled]
async fn goodbye() {}

fn main() {
    let _ = App::new("com.example.modules", "Modules").handlers(handlers![pages::project, count, goodbye]);
}
