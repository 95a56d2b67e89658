//! [`App::run`]: the command line of an app binary.
//!
//! ```text
//! my-app [serve]      serve the app (configured by the environment)
//! my-app serve --container   serve as a Forge Container service (also FORGE_CONTAINER=1)
//! my-app descriptor   print the descriptor JSON for the configured baseUrl
//! my-app schema       print the JSON Schema of the descriptor
//! my-app manifest [-o FILE] [--check]   print (or write) the Forge manifest YAML; needs
//!                                        FORGE_APP_ID; `--check` validates it with Atlassian's
//!                                        @forge/manifest
//! my-app --help       print this usage
//! ```

use super::definition::App;
use crate::config::{ConnectConfig, ContainerEnv, ServerSettings};
use crate::http::Response;
use crate::http::{init_json_logging, init_logging, serve_with};
use crate::store;
use connect_descriptor::Descriptor;
use std::io::Write;
use std::net::SocketAddr;
use warp::filters::BoxedFilter;

use super::error::Error;

/// The end of an app binary's `main`: `Ok` exits 0; an error is printed to stderr as
/// `error: ...` and exits 2 for a usage error ([`Error::Usage`]), 1 otherwise.
///
/// `main` returns it (`async fn main() -> Exit { app.run().await.into() }`) so that the
/// process's status comes from `main`, not from inside the framework.
#[derive(Debug)]
#[must_use = "return it from `main`: it is the process's exit status"]
pub struct Exit(Result<(), Error>);

impl From<Result<(), Error>> for Exit {
    fn from(result: Result<(), Error>) -> Self {
        Self(result)
    }
}

impl std::process::Termination for Exit {
    fn report(self) -> std::process::ExitCode {
        match self.0 {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                std::process::ExitCode::from(match error {
                    Error::Usage(_) => 2,
                    _ => 1,
                })
            }
        }
    }
}

/// What an app binary was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the app (the default).
    Serve {
        /// `--container`: as a Forge Container service (also `FORGE_CONTAINER=1`).
        container: bool,
    },
    /// Print the descriptor for the configured baseUrl.
    Descriptor,
    /// Print the JSON Schema of the descriptor.
    Schema,
    /// Print the Forge manifest YAML, or write it to the file; with `check`, validate it
    /// with `@forge/manifest` (and print the verdict rather than the manifest).
    Manifest {
        /// `-o FILE`.
        file: Option<std::path::PathBuf>,
        /// `--check`.
        check: bool,
        /// `--container`: the manifest of the app running as a Forge Container.
        container: bool,
    },
    /// Run one personal data reporting cycle now, where the framework can.
    ReportPersonalData,
    /// Print the usage.
    Help,
}

/// The usage text of an app binary.
pub const USAGE: &str = "\
usage: <app> [COMMAND]

commands:
  serve        serve the app (the default); configured by PORT, CONNECT_BASE_URL, DATABASE_URL, ...
               `serve --container` (or FORGE_CONTAINER=1) serves a Forge-native app as a Forge
               Container service: needs SERVER_PORT, FORGE_EGRESS_PROXY_URL and FORGE_APP_ARI
               (or FORGE_APP_ID), which Forge sets; logs JSON lines; writes nothing to disk
  descriptor   print the descriptor JSON for the configured baseUrl and exit
  schema       print the JSON Schema of the descriptor and exit
  manifest     print the Forge manifest (manifest.yml) for the configured baseUrl and exit;
               `manifest -o FILE` writes it to FILE. Needs FORGE_APP_ID (from `forge register`).
               `manifest --check` validates it with Atlassian's @forge/manifest (needs Node.js;
               installed once into ~/.cache/atlassian-connect, or ATLASSIAN_CONNECT_VALIDATOR_DIR).
               `manifest --container` makes the manifest of the app as a Forge Container service
               (needs FORGE_IMAGE_TAG)
  report-personal-data
               run one personal data reporting cycle now, where the framework holds what it
               needs outside an invocation; otherwise explain when the cycle runs
  help         print this message (also --help, -h)
";

const MANIFEST_USAGE: &str = "usage: manifest [-o FILE] [--check] [--container]";

impl Command {
    /// Parses the arguments after the program name; an unknown one is an error that names it.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => Ok(Command::Serve { container: false }),
            ["serve", "--container"] => Ok(Command::Serve { container: true }),
            ["descriptor"] => Ok(Command::Descriptor),
            ["schema"] => Ok(Command::Schema),
            ["manifest", rest @ ..] => {
                let mut file = None;
                let mut check = false;
                let mut container = false;
                let mut rest = rest.iter();
                while let Some(arg) = rest.next() {
                    match *arg {
                        "--check" if !check => check = true,
                        "--container" if !container => container = true,
                        "-o" | "--output" if file.is_none() => match rest.next() {
                            Some(path) => file = Some(std::path::PathBuf::from(path)),
                            None => return Err(MANIFEST_USAGE.to_owned()),
                        },
                        _ => return Err(MANIFEST_USAGE.to_owned()),
                    }
                }
                Ok(Command::Manifest {
                    file,
                    check,
                    container,
                })
            }
            ["report-personal-data"] => Ok(Command::ReportPersonalData),
            ["help" | "--help" | "-h"] => Ok(Command::Help),
            [first, ..] if args.len() == 1 => Err(format!("unknown command `{first}`")),
            _ => Err(format!("expected one command, got `{}`", args.join(" "))),
        }
    }
}

impl App {
    /// What a user's `main` calls: runs the command of the process's arguments (`serve` by
    /// default, `serve --container`, `descriptor`, `schema`, `manifest`, `--help`). It returns rather than exits:
    /// an unknown command is [`Error::Usage`] (with the usage text), which [`Exit`] turns
    /// into status 2.
    ///
    /// ```no_run
    /// use connect_runtime::{App, Exit};
    ///
    /// #[tokio::main]
    /// async fn main() -> Exit {
    ///     App::new("com.example.app", "App").run().await.into()
    /// }
    /// ```
    pub async fn run(self) -> Result<(), Error> {
        match Command::parse(std::env::args().skip(1)) {
            Ok(command) => self.run_command(command).await,
            Err(problem) => Err(Error::Usage(format!("{problem}\n\n{USAGE}"))),
        }
    }

    /// Runs `command`.
    pub(crate) async fn run_command(self, command: Command) -> Result<(), Error> {
        let mut out = std::io::stdout().lock();
        match command {
            Command::Serve { container } => {
                drop(out);
                if container || ContainerEnv::requested_by_env() {
                    return self.serve_container_from_env().await;
                }
                return self.serve_from_env().await;
            }
            Command::Descriptor => {
                let config = ConnectConfig::from_env()?;
                let descriptor = self.descriptor(config.base_url.as_str())?;
                serde_json::to_writer_pretty(&mut out, &descriptor)?;
            }
            Command::Schema => serde_json::to_writer_pretty(&mut out, &Descriptor::json_schema())?,
            Command::Manifest {
                file,
                check,
                container,
            } => {
                let config = ConnectConfig::from_env()?;
                let Some(app_id) = config.forge.app_id.clone() else {
                    return Err(Error::Usage(
                        "the manifest needs the Forge app id: run `forge register` once, then set FORGE_APP_ID=ari:cloud:ecosystem::app/<uuid> (and CONNECT_BASE_URL to the app's public URL)".to_owned(),
                    ));
                };
                let manifest = if container {
                    let tag = std::env::var("FORGE_IMAGE_TAG")
                        .ok()
                        .filter(|tag| !tag.is_empty())
                        .ok_or_else(|| {
                            Error::Usage(
                                "the container manifest needs the image tag: set FORGE_IMAGE_TAG to the tag you push (e.g. 1.0.0; Forge refuses `latest`)".to_owned(),
                            )
                        })?;
                    self.container_manifest(config.base_url.as_str(), app_id, &tag)?
                } else {
                    self.manifest(config.base_url.as_str(), app_id)?
                };
                let yaml = manifest
                    .to_yaml()
                    .map_err(|error| Error::Yaml(error.to_string()))?;
                if check {
                    drop(out);
                    return check_manifest(&yaml, file.as_deref());
                }
                match file {
                    Some(path) => {
                        std::fs::write(&path, yaml)?;
                        return Ok(());
                    }
                    None => out.write_all(yaml.as_bytes())?,
                }
                return Ok(());
            }
            Command::ReportPersonalData => {
                drop(out);
                let container = ContainerEnv::requested_by_env();
                if self.forge.native || container {
                    return Err(Error::Usage(report_personal_data_explained(container)));
                }
                return self.report_personal_data_from_env().await;
            }
            Command::Help => out.write_all(USAGE.as_bytes())?,
        }
        writeln!(out)?;
        Ok(())
    }

    /// Reads the environment (`PORT`, `CONNECT_BASE_URL`, `DATABASE_URL`, `RUST_LOG`, ...),
    /// opens the store, and serves until Ctrl-C.
    pub async fn serve_from_env(self) -> Result<(), Error> {
        init_logging();
        let settings = ServerSettings::from_env()?;
        let config = ConnectConfig::from_env()?;
        let store = store::open_with(
            &settings.database_url,
            settings.pool,
            settings.sealing.as_ref(),
        )
        .await?;
        let app = self.build(config, store)?;
        app.spawn_personal_data();
        tracing::info!(
            key = app.key(),
            base_url = %app.config().base_url,
            "descriptor at {}/atlassian-connect.json",
            app.config().base_url.as_str().trim_end_matches('/')
        );
        serve(app.filter(), &settings).await
    }
}

/// Why `report-personal-data` cannot run a cycle from the command line for a Forge app, as a
/// Forge Container or as a Forge Remote.
fn report_personal_data_explained(container: bool) -> String {
    if container {
        "report-personal-data: a Forge Container has no documented path to Atlassian's personal data reporting API through its egress proxy, so the framework reports nothing from a container (see the README's \"Personal data\")".to_owned()
    } else {
        "report-personal-data: Forge gives a Forge Remote its system token only with an invocation, so a cycle cannot run from the command line. It runs at each delivery of the framework's daily `personal-data` scheduled trigger, when the cycle is due (see `App::personal_data`)".to_owned()
    }
}

impl App {
    /// `report-personal-data` of a Connect app: opens the tenant store of the environment
    /// and runs the personal data cycle of every installed tenant that is due, printing what
    /// each did. Fails (exit 1) when a tenant's cycle stopped.
    pub async fn report_personal_data_from_env(self) -> Result<(), Error> {
        init_logging();
        if !self.has_personal_data() {
            return Err(Error::Usage(
                "report-personal-data: the app declares no personal data (`App::personal_data`)"
                    .to_owned(),
            ));
        }
        let settings = ServerSettings::from_env()?;
        let config = ConnectConfig::from_env()?;
        let store = store::open_with(
            &settings.database_url,
            settings.pool,
            settings.sealing.as_ref(),
        )
        .await?;
        let app = self.build(config, store)?;
        let report = app.report_personal_data().await?;
        for (client_key, accounts, batches) in &report.reported {
            println!("{client_key:?}: reported {accounts} accounts in {batches} requests");
        }
        println!(
            "{} tenants not due (or run by another instance)",
            report.skipped
        );
        for (client_key, error) in &report.failed {
            eprintln!("{client_key:?}: the cycle stopped: {error}");
        }
        if report.failed.is_empty() {
            Ok(())
        } else {
            Err(Error::Check(format!(
                "{} tenant cycles stopped; they resume at the next run",
                report.failed.len()
            )))
        }
    }

    /// Serves the app as a Forge Container service: reads what Forge injects
    /// (`SERVER_PORT`, which wins over `PORT`; `FORGE_EGRESS_PROXY_URL`; `FORGE_APP_ARI` or
    /// `FORGE_APP_ID`) and refuses to start without it, naming what is missing. Logs are
    /// JSON lines on stdout; no store is opened and nothing is written to disk. SIGTERM
    /// drains the requests in flight, then the process exits 0.
    pub async fn serve_container_from_env(self) -> Result<(), Error> {
        let env = ContainerEnv::from_env()?;
        init_json_logging();
        let mut settings = ServerSettings::from_env()?;
        settings.port = env.port;
        let config = ConnectConfig::from_env()?;
        let app_id = env.app_id.as_str().to_owned();
        let proxy = env.egress_proxy.origin().ascii_serialization();
        if self.has_personal_data() {
            tracing::warn!(
                "the app declares personal data, but a Forge Container has no documented path to the reporting API: nothing will be reported from this deployment"
            );
        }
        let app = self.build_container(config, env)?;
        tracing::info!(
            key = app.key(),
            app_id = %app_id,
            port = settings.port,
            egress_proxy = %proxy,
            "serving as a Forge Container service"
        );
        serve(app.filter(), &settings).await
    }
}

/// `manifest --check`: validates `yaml` where `forge deploy` would read it (at `file`, written
/// there first; else in the current directory, the crate root, under a temporary name) and
/// prints each finding with its line. Errors fail the command.
fn check_manifest(yaml: &str, file: Option<&std::path::Path>) -> Result<(), Error> {
    let (path, temporary) = match file {
        Some(path) => (path.to_path_buf(), false),
        None => (
            std::path::PathBuf::from(format!(".manifest-check-{}.yml", std::process::id())),
            true,
        ),
    };
    std::fs::write(&path, yaml)?;
    let findings = super::check::check_file(&path);
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    let findings = findings?;
    let name = if temporary {
        "manifest.yml".to_owned()
    } else {
        path.display().to_string()
    };
    let report = super::check::report(&name, &findings);
    if super::check::has_errors(&findings) {
        eprint!("{report}");
        return Err(Error::Check(
            "the manifest does not pass @forge/manifest (see above)".to_owned(),
        ));
    }
    print!("{report}");
    Ok(())
}

/// Serves `filter` ([`ConnectApp::filter`](super::ConnectApp::filter),
/// [`apps_filter`](super::apps_filter) for several apps on one port, or
/// [`ConnectApp::filter_with`](super::ConnectApp::filter_with)) on the address, port and
/// connection limits of `settings`, until Ctrl-C or SIGTERM; then the requests in flight
/// finish. Logging is set up from `RUST_LOG` if the app has not set it up.
///
/// [`App::run`] does this for one app; call it for anything else, such as two apps on one
/// port.
pub async fn serve(
    filter: BoxedFilter<(Response,)>,
    settings: &ServerSettings,
) -> Result<(), Error> {
    init_logging();
    serve_with(
        filter,
        SocketAddr::from((settings.bind_addr, settings.port)),
        settings.limits,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Command::parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn commands() {
        assert_eq!(parse(&[]), Ok(Command::Serve { container: false }));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve { container: false }));
        assert_eq!(
            parse(&["serve", "--container"]),
            Ok(Command::Serve { container: true })
        );
        assert!(parse(&["serve", "--container", "--container"]).is_err());
        assert_eq!(
            parse(&["report-personal-data"]),
            Ok(Command::ReportPersonalData)
        );
        assert_eq!(parse(&["descriptor"]), Ok(Command::Descriptor));
        assert_eq!(parse(&["schema"]), Ok(Command::Schema));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(
            parse(&["manifest"]),
            Ok(Command::Manifest {
                file: None,
                check: false,
                container: false
            })
        );
        assert_eq!(
            parse(&["manifest", "-o", "manifest.yml"]),
            Ok(Command::Manifest {
                file: Some("manifest.yml".into()),
                check: false,
                container: false
            })
        );
        assert_eq!(
            parse(&["manifest", "--check", "-o", "m.yml", "--container"]),
            Ok(Command::Manifest {
                file: Some("m.yml".into()),
                check: true,
                container: true
            })
        );
        assert!(parse(&["manifest", "-x"]).is_err());
        assert!(parse(&["manifest", "--check", "--check"]).is_err());
        assert!(parse(&["manifest", "-o"]).is_err());
        assert_eq!(
            parse(&["deploy"]),
            Err("unknown command `deploy`".to_owned())
        );
        assert!(parse(&["serve", "now"]).is_err());
    }
}

#[cfg(test)]
mod personal_data_tests {
    #[test]
    fn each_deployment_is_told_where_its_cycle_runs() {
        let remote = super::report_personal_data_explained(false);
        assert!(remote.contains("personal-data"), "{remote}");
        let container = super::report_personal_data_explained(true);
        assert!(container.contains("egress proxy"), "{container}");
    }
}
