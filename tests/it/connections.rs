//! The server's own connection handling, from a hostile client's side: idle keep-alive
//! connections and clients that dribble their headers are closed after the header timeout, the
//! connection cap makes extra connections wait instead of exhausting file descriptors, and a
//! body that never finishes arriving is answered 408.

use crate::common::{APP_BASE_URL, TestApp};
use connect_runtime::__private::{ConnectionLimits, spawn_with};
use connect_runtime::store::MemoryStore;
use connect_runtime::{App, ConnectConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server(limits: ConnectionLimits) -> connect_runtime::__private::RunningServer {
    serve_with_limits(App::new("com.example.connections", "Connections"), limits).await
}

/// Builds `app` for the test baseUrl over a memory store and serves it on 127.0.0.1 with
/// `limits`.
pub(crate) async fn serve_with_limits(
    app: App,
    limits: ConnectionLimits,
) -> connect_runtime::__private::RunningServer {
    let app = app
        .build(
            ConnectConfig::new(APP_BASE_URL.parse().unwrap()),
            Arc::new(MemoryStore::default()),
        )
        .unwrap();
    spawn_with(app.filter(), ([127, 0, 0, 1], 0).into(), limits)
        .await
        .unwrap()
}

fn limits(header_timeout_ms: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_millis(header_timeout_ms),
        max_connections,
        ..ConnectionLimits::default()
    }
}

/// Reads until the server closes the connection; how long that took.
async fn time_to_close(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the server kept the connection open past {limit:?}"),
        }
    }
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_header_timeout() {
    let server = server(limits(600, 64)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let closed_after = time_to_close(&mut idle, Duration::from_secs(5)).await;
    assert!(
        closed_after >= Duration::from_millis(500),
        "{closed_after:?}"
    );

    // Also after a first request on a keep-alive connection.
    let mut keep_alive = TcpStream::connect(server.addr).await.unwrap();
    keep_alive
        .write_all(b"GET /atlassian-connect.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let closed_after = time_to_close(&mut keep_alive, Duration::from_secs(5)).await;
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");
}

#[tokio::test]
async fn a_client_dribbling_its_headers_is_cut_off() {
    let server = server(limits(800, 64)).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let request = b"GET /atlassian-connect.json HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut_off = false;
    for byte in request {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    if !cut_off {
        time_to_close(&mut slow, Duration::from_secs(3)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "a byte every 100 ms kept the connection for {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_slot_and_are_then_served() {
    let server = server(limits(700, 4)).await;
    // Four connections that started a request take every slot (silent ones would give way).
    let mut idle = Vec::new();
    for _ in 0..4 {
        let mut talking = TcpStream::connect(server.addr).await.unwrap();
        talking
            .write_all(b"GET /atlassian-connect.json HTTP/1.1\r\n")
            .await
            .unwrap();
        idle.push(talking);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let response = reqwest::get(format!("{}/atlassian-connect.json", server.url()))
        .await
        .expect("served once the idle connections are closed");
    let waited = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        waited >= Duration::from_millis(400),
        "a fifth connection was served at once ({waited:?}): the cap did not hold"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn a_body_that_never_finishes_is_408_and_nothing_is_stored() {
    let app = TestApp::start_with(|config| {
        config.body_timeout = Duration::from_millis(400);
    })
    .await;
    let before = app.state();
    let token = app
        .lifecycle_spec("slow-client", "installed")
        .sign_rs256(&crate::common::KEYS);
    let address = app.server.addr;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /installed HTTP/1.1\r\nHost: {address}\r\nAuthorization: JWT {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"key\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .expect("answered within the body timeout")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(app.state(), before);
}

/// Sends `request` raw and returns the whole answer.
async fn raw_answer(server: &connect_runtime::__private::RunningServer, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // The server may answer and close before reading everything: ignore write errors.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_http_layers_own_errors_carry_the_security_headers() {
    let server = server(limits(5_000, 64)).await;
    let huge = format!(
        "GET /atlassian-connect.json HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    let cases: [(&str, Vec<u8>); 3] = [
        ("a malformed request line", b"NOT AN HTTP REQUEST\r\n\r\n".to_vec()),
        (
            "two Content-Length headers",
            b"POST /installed HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
                .to_vec(),
        ),
        ("oversized headers", huge.into_bytes()),
    ];
    for (what, request) in cases {
        let answer = raw_answer(&server, &request).await;
        let head = answer
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            head.starts_with("http/1.1 4"),
            "{what}: answered by hyper with an error: {head}"
        );
        for header in [
            "cache-control: no-cache, no-store",
            "referrer-policy: no-referrer",
            "strict-transport-security: max-age=",
        ] {
            assert!(head.contains(header), "{what}: no `{header}` in {head}");
        }
    }
    // The framework's own answers are untouched (one set of headers, not two).
    let answer = raw_answer(
        &server,
        b"GET /no-such-path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 404"), "{answer}");
    assert_eq!(answer.matches("referrer-policy:").count(), 1, "{answer}");
}

/// The real `hello` binary under `ulimit -n 256` with 300 idle connections held open against it:
/// the cap keeps it below the file limit, and a normal request is served once the idle ones
/// time out, instead of every accept failing with "Too many open files".
#[cfg(unix)]
#[tokio::test]
async fn under_a_256_file_limit_300_idle_connections_only_delay_a_request() {
    use connect_testing::{AppProcess, example_binary, free_port};
    let dir = std::env::temp_dir().join(format!("connect-ulimit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let binary = example_binary("hello");
    assert!(binary.exists(), "{} not built", binary.display());
    let script = dir.join("hello-ulimit.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nulimit -n 256\nexec '{}'\n", binary.display()),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let port = free_port().unwrap();
    let process = AppProcess::spawn(
        &script,
        &[
            ("PORT", port.to_string()),
            ("DATABASE_URL", "memory://".into()),
            ("CONNECT_HEADER_TIMEOUT_SECS", "2".into()),
        ],
    )
    .unwrap();
    process
        .wait_for_log("listening", Duration::from_secs(20))
        .expect("hello never listened");
    // The cap is kept below the open-file limit (256 - 32 kept free), and the figures logged.
    let capped = process
        .wait_for_log(
            "connection cap set below the open-file limit",
            Duration::from_secs(5),
        )
        .expect("the cap and the limit are logged");
    let capped = strip_ansi(&capped);
    assert!(capped.contains("open_file_limit=256"), "{capped}");
    assert!(capped.contains(" max_connections=224"), "{capped}");
    assert!(
        capped.contains("configured_max_connections=1024"),
        "{capped}"
    );
    let address = format!("127.0.0.1:{port}");
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&address).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        reqwest::get(format!("http://{address}/atlassian-connect.json")),
    )
    .await
    .expect("served within the header timeout plus a margin")
    .expect("a response, not a refused connection");
    assert_eq!(response.status(), 200);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    println!("300 idle connections under ulimit -n 256: a request served after {waited:?}");
    drop(idle);
    drop(process);
}

/// Node's keep-alive agent (what product-side HTTP clients behave like): 20 POSTs of 100 KB with
/// bad tokens, then a GET, on one pooled connection set. Every answer must be readable, none a
/// reset or EPIPE on a reused socket.
#[tokio::test]
async fn a_node_keep_alive_client_reads_every_refusal_and_its_next_request_succeeds() {
    let app = TestApp::start().await;
    let before = app.state();
    let script = r#"
const http = require('http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const [host, port] = process.argv[1].split(':');
const body = JSON.stringify({ padding: 'x'.repeat(100 * 1024) });
function call(method, path, payload) {
  return new Promise((resolve) => {
    const req = http.request({ host, port, method, path, agent, headers: payload ? {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(payload),
      authorization: 'JWT not.a.token' } : {} }, (res) => {
      let text = ''; res.on('data', (c) => text += c);
      res.on('end', () => resolve({ status: res.statusCode, ok: text.includes('message') || res.statusCode === 200 }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.code }));
    if (payload) req.write(payload);
    req.end();
  });
}
(async () => {
  const results = [];
  for (let i = 0; i < 20; i++) results.push(await call('POST', '/installed', body));
  results.push(await call('GET', '/atlassian-connect.json'));
  console.log(JSON.stringify(results));
})();
"#;
    let address = app.server.addr.to_string();
    // Off the runtime's thread: the server under test runs on it.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("-e")
            .arg(script)
            .arg(address)
            .output()
    })
    .await
    .unwrap()
    .expect("node is required for this test (as for the qsh reference tests)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("node printed the results");
    assert_eq!(results.len(), 21);
    for (i, result) in results[..20].iter().enumerate() {
        assert_eq!(result["status"], 401, "POST {i}: {result}");
        assert_eq!(result["ok"], true, "POST {i}: {result}");
    }
    assert_eq!(
        results[20]["status"], 200,
        "the next request: {}",
        results[20]
    );
    assert_eq!(app.state(), before);
}

/// `line` without terminal colour codes (`ESC [ ... m`).
fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}
