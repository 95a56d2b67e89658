//! `manifest --check`: the generated manifest validated by Atlassian's own validator,
//! `@forge/manifest` (the schema and validators `forge lint` and `forge deploy` run), so that a
//! user learns of a problem before deploying.
//!
//! The validator is a Node.js package: it is installed once (pinned) into a user cache and runs
//! offline afterwards. `ATLASSIAN_CONNECT_VALIDATOR_DIR` names another directory holding it
//! (CI installs the repository's pinned copy before its network is cut). The manifest is checked
//! where `forge deploy` reads it (its `resources` folders resolve against its directory).

use super::error::Error;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The validator version the check pins (the one the framework's tests validate with).
pub const VALIDATOR_VERSION: &str = "13.7.0";
/// The `tslib` version `@forge/manifest` needs at run time.
const TSLIB_VERSION: &str = "2.9.1";
/// The environment variable naming a directory that holds the validator's `node_modules`.
pub const VALIDATOR_DIR_VAR: &str = "ATLASSIAN_CONNECT_VALIDATOR_DIR";
/// The validation script: prints one JSON verdict line per manifest file.
const SCRIPT: &str = include_str!("../../assets/validate-manifest.js");

/// One finding of the validator.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// `error` or `warning`.
    pub level: String,
    /// What is wrong.
    pub message: String,
    /// The manifest line, when the validator knows it.
    pub line: Option<u32>,
}

#[derive(Deserialize)]
struct Verdict {
    errors: Vec<Finding>,
}

/// Where the validator lives: the override, or the user cache.
fn validator_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os(VALIDATOR_DIR_VAR).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or_else(|| {
            Error::Check(format!(
                "no cache directory (HOME is not set): set {VALIDATOR_DIR_VAR} to a directory for the validator"
            ))
        })?;
    Ok(cache
        .join("atlassian-connect")
        .join(format!("forge-manifest-{VALIDATOR_VERSION}")))
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

const NO_NODE: &str = "`manifest --check` runs Atlassian's validator (@forge/manifest), which needs Node.js 18 or newer with npm: install it from https://nodejs.org (or your package manager, e.g. `apt install nodejs npm`), then run the check again. The manifest itself needs no Node.js: `manifest -o manifest.yml` works without it";

/// Installs the pinned validator into `dir` unless it is there.
fn ensure_installed(dir: &Path) -> Result<(), Error> {
    if dir
        .join("node_modules/@forge/manifest/package.json")
        .exists()
    {
        return Ok(());
    }
    if !runs("npm") {
        return Err(Error::Check(NO_NODE.to_owned()));
    }
    std::fs::create_dir_all(dir)?;
    let package = serde_json::json!({
        "name": "atlassian-connect-manifest-check",
        "private": true,
        "description": "Atlassian's Forge manifest validator, for `manifest --check` of apps built with atlassian-connect",
        "dependencies": {"@forge/manifest": VALIDATOR_VERSION, "tslib": TSLIB_VERSION},
    });
    std::fs::write(
        dir.join("package.json"),
        serde_json::to_vec_pretty(&package)?,
    )?;
    eprintln!(
        "installing @forge/manifest {VALIDATOR_VERSION} into {} (once)...",
        dir.display()
    );
    // npm's own output goes to stderr: stdout carries only the report.
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(dir)
        .stdout(std::io::stderr())
        .status()?;
    if !status.success() || !dir.join("node_modules/@forge/manifest").exists() {
        return Err(Error::Check(format!(
            "could not install @forge/manifest {VALIDATOR_VERSION} with npm into {} (is the network reachable?); set {VALIDATOR_DIR_VAR} to a directory where it is installed",
            dir.display()
        )));
    }
    Ok(())
}

/// Validates the manifest file `manifest`: the validator's findings, errors and warnings.
pub fn check_file(manifest: &Path) -> Result<Vec<Finding>, Error> {
    if !runs("node") {
        return Err(Error::Check(NO_NODE.to_owned()));
    }
    let dir = validator_dir()?;
    ensure_installed(&dir)?;
    // The script goes to Node on stdin: no file another user could swap.
    let mut child = Command::new("node")
        .arg("-")
        .arg(std::path::absolute(manifest)?)
        .env("NODE_PATH", dir.join("node_modules"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin.write_all(SCRIPT.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        return Err(Error::Check(format!(
            "the validator could not run: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let verdict: Verdict = serde_json::from_slice(&output.stdout)
        .map_err(|error| Error::Check(format!("unreadable validator output: {error}")))?;
    Ok(verdict.errors)
}

/// The report of `findings` for `file`: one line per finding, then a summary.
pub fn report(file: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let at = finding
            .line
            .map(|line| format!("{file}:{line}"))
            .unwrap_or_else(|| file.to_owned());
        out.push_str(&format!("{at}: {}: {}\n", finding.level, finding.message));
    }
    let count = |level: &str| findings.iter().filter(|f| f.level == level).count();
    out.push_str(&format!(
        "@forge/manifest {VALIDATOR_VERSION}: {} error(s), {} warning(s){}\n",
        count("error"),
        count("warning"),
        if count("error") == 0 {
            ": the manifest passes"
        } else {
            ""
        }
    ));
    out
}

/// Whether `findings` hold an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|finding| finding.level == "error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_lines_and_count() {
        let findings = vec![
            Finding {
                level: "error".to_owned(),
                message: "bad".to_owned(),
                line: Some(3),
            },
            Finding {
                level: "warning".to_owned(),
                message: "meh".to_owned(),
                line: None,
            },
        ];
        let text = report("manifest.yml", &findings);
        assert!(text.contains("manifest.yml:3: error: bad"), "{text}");
        assert!(text.contains("manifest.yml: warning: meh"), "{text}");
        assert!(text.contains("1 error(s), 1 warning(s)\n"), "{text}");
        assert!(has_errors(&findings));
        assert!(report("m", &[]).contains("the manifest passes"));
    }
}
