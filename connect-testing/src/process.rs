//! An app running as its own process (an example or the user's binary), with its log lines
//! readable by the test: for end-to-end tests of the real program, configured by environment.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A spawned app; killed on drop.
pub struct AppProcess {
    child: Child,
    log: Receiver<String>,
}

impl std::fmt::Debug for AppProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppProcess")
            .field("pid", &self.child.id())
            .finish()
    }
}

impl AppProcess {
    /// Starts `binary` with `env` (and `RUST_LOG=info`, `NO_COLOR=1`), reading its stdout.
    pub fn spawn(binary: &Path, env: &[(&str, String)]) -> std::io::Result<Self> {
        Self::spawn_command(Command::new(binary), env)
    }

    /// Starts `command` (a wrapper that runs the app: a namespace, another user) with `env`
    /// (and `RUST_LOG=info`, `NO_COLOR=1`), reading its stdout.
    pub fn spawn_command(mut command: Command, env: &[(&str, String)]) -> std::io::Result<Self> {
        command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (send, log) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self { child, log })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as a process manager does on a deploy), through `kill(1)`.
    #[cfg(unix)]
    pub fn terminate(&self) -> std::io::Result<()> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| std::io::Error::other("kill -TERM failed"))
    }

    /// Waits up to `timeout` for the process to exit; its exit code, or `None` if it still runs.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<Option<i32>> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The first log line after the ones already read that contains `needle`, waiting up to
    /// `timeout`; `None` if it never came.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
        None
    }

    /// Every log line not read yet, waiting until none has come for `quiet`.
    pub fn drain_log(&self, quiet: Duration) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.log.recv_timeout(quiet) {
            lines.push(line);
        }
        lines
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/NAME` next to the running test binary (`cargo test` builds the
/// workspace's examples before running tests).
#[doc(hidden)]
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .unwrap_or_default()
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
