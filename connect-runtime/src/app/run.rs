//! [`App::run`]: the command line of an app binary.
//!
//! ```text
//! my-app [serve]      serve the app (configured by the environment)
//! my-app descriptor   print the descriptor JSON for the configured baseUrl
//! my-app schema       print the JSON Schema of the descriptor
//! my-app --help       print this usage
//! ```

use super::definition::App;
use super::dispatch::apps_filter;
use crate::config::{ConfigError, ConnectConfig, ServerSettings};
use crate::http::{init_logging, serve_with};
use crate::store::{self, StoreError};
use connect_descriptor::Descriptor;
use std::io::Write;
use std::net::SocketAddr;

use super::build::BuildError;

/// Why running an app failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A variable is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The tenant store could not be opened.
    #[error("tenant store: {0}")]
    Store(#[from] StoreError),
    /// The app definition is invalid.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The port could not be bound, or the output could not be written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The descriptor or its schema could not be serialised.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// What an app binary was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Print the descriptor for the configured baseUrl.
    Descriptor,
    /// Print the JSON Schema of the descriptor.
    Schema,
    /// Print the usage.
    Help,
}

/// The usage text of an app binary.
pub const USAGE: &str = "\
usage: <app> [COMMAND]

commands:
  serve        serve the app (the default); configured by PORT, CONNECT_BASE_URL, DATABASE_URL, ...
  descriptor   print the descriptor JSON for the configured baseUrl and exit
  schema       print the JSON Schema of the descriptor and exit
  help         print this message (also --help, -h)
";

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
            [] | ["serve"] => Ok(Command::Serve),
            ["descriptor"] => Ok(Command::Descriptor),
            ["schema"] => Ok(Command::Schema),
            ["help" | "--help" | "-h"] => Ok(Command::Help),
            [first, ..] if args.len() == 1 => Err(format!("unknown command `{first}`")),
            _ => Err(format!("expected one command, got `{}`", args.join(" "))),
        }
    }
}

impl App {
    /// What a user's `main` calls: runs the command of the process's arguments (`serve` by
    /// default, `descriptor`, `schema`, `--help`). An unknown command prints the usage to
    /// stderr and exits the process with status 2.
    pub async fn run(self) -> Result<(), RunError> {
        match Command::parse(std::env::args().skip(1)) {
            Ok(command) => self.run_command(command).await,
            Err(problem) => {
                eprintln!("error: {problem}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    /// Runs `command`.
    pub async fn run_command(self, command: Command) -> Result<(), RunError> {
        let mut out = std::io::stdout().lock();
        match command {
            Command::Serve => {
                drop(out);
                return self.serve_from_env().await;
            }
            Command::Descriptor => {
                let config = ConnectConfig::from_env()?;
                let descriptor = self.descriptor(config.base_url.as_str())?;
                serde_json::to_writer_pretty(&mut out, &descriptor)?;
            }
            Command::Schema => serde_json::to_writer_pretty(&mut out, &Descriptor::json_schema())?,
            Command::Help => out.write_all(USAGE.as_bytes())?,
        }
        writeln!(out)?;
        Ok(())
    }

    /// Reads the environment (`PORT`, `CONNECT_BASE_URL`, `DATABASE_URL`, `RUST_LOG`, ...),
    /// opens the store, and serves until Ctrl-C.
    pub async fn serve_from_env(self) -> Result<(), RunError> {
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
        tracing::info!(
            key = app.key(),
            base_url = %app.config().base_url,
            "descriptor at {}/atlassian-connect.json",
            app.config().base_url.as_str().trim_end_matches('/')
        );
        serve_with(
            apps_filter([app]),
            SocketAddr::from(([0, 0, 0, 0], settings.port)),
            settings.limits,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Command::parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn commands() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
        assert_eq!(parse(&["descriptor"]), Ok(Command::Descriptor));
        assert_eq!(parse(&["schema"]), Ok(Command::Schema));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(
            parse(&["deploy"]),
            Err("unknown command `deploy`".to_owned())
        );
        assert!(parse(&["serve", "now"]).is_err());
    }
}
