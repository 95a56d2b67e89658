//! The HTTP core around warp, from a hostile or unlucky client's side: a panicking handler is
//! answered, targets and heads RFC 9112 refuses are answered 400/431 with the security headers,
//! a refusal sent before a large body was read is read by every client (lingering close), and
//! silent connections cannot keep a real client out.

use crate::common::{TestApp, assert_security_headers};
use crate::connections::serve_with_limits;
use atlassian_connect::prelude::*;
use connect_runtime::__private::{ConnectionLimits, RunningServer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[connect::route(GET, "/boom", auth = none)]
async fn boom() -> &'static str {
    panic!("a bug in the handler")
}

#[connect::route(GET, "/fine", auth = none)]
async fn fine() -> &'static str {
    "fine"
}

async fn server(limits: ConnectionLimits) -> RunningServer {
    serve_with_limits(
        App::new("com.example.core", "Core").handlers(handlers![boom, fine]),
        limits,
    )
    .await
}

/// Reads one HTTP/1.1 answer with a `content-length` body from `stream`: (head, body).
async fn read_answer(stream: &mut TcpStream) -> (String, String) {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .map_or(0, |length| length.trim().parse().unwrap());
            if bytes.len() >= end + 4 + length {
                return (head, text[end + 4..end + 4 + length].to_owned());
            }
        }
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(read > 0, "closed before a whole answer: {bytes:?}");
        bytes.extend_from_slice(&buffer[..read]);
    }
}

fn assert_secure_head(head: &str) {
    for header in [
        "cache-control: no-cache, no-store",
        "referrer-policy: no-referrer",
        "strict-transport-security: max-age=31536000; includesubdomains",
        "x-content-type-options: nosniff",
    ] {
        assert!(head.contains(header), "no `{header}` in {head}");
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_connection_serves_the_next_request() {
    let server = server(ConnectionLimits::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_answer(&mut stream).await;
    assert!(head.starts_with("http/1.1 500"), "{head}");
    assert_secure_head(&head);
    assert_eq!(body, r#"{"message":"internal error"}"#);
    assert!(!head.contains("connection: close"), "{head}");
    // The same connection answers the next request.
    stream
        .write_all(b"GET /fine HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_answer(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, "fine");
}

/// Sends `request` on a fresh connection; the head of the answer, lower-cased.
async fn answer_to(server: &RunningServer, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let _ = stream.write_all(request).await;
    read_answer(&mut stream).await.0
}

#[tokio::test]
async fn targets_and_heads_rfc_9112_refuses_are_400_or_431_with_the_security_headers() {
    let server = server(ConnectionLimits::default()).await;
    let big = format!(
        "GET /fine HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let many = format!(
        "GET /fine HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..100)
            .map(|n| format!("X-F{n}: v\r\n"))
            .collect::<String>()
    );
    let cases: [(&str, Vec<u8>, &str); 9] = [
        (
            "authority-form GET",
            b"GET 127.0.0.2:80 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "400",
        ),
        (
            "CONNECT",
            b"CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n".to_vec(),
            "400",
        ),
        (
            "authority-form POST",
            b"POST 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec(),
            "400",
        ),
        ("no Host", b"GET /fine HTTP/1.1\r\n\r\n".to_vec(), "400"),
        (
            "two Hosts",
            b"GET /fine HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(),
            "400",
        ),
        ("a 200 KiB header", big.into_bytes(), "431"),
        ("101 header fields", many.into_bytes(), "431"),
        (
            "a 16 KiB header line",
            format!(
                "GET /fine HTTP/1.1\r\nHost: x\r\nX-L: {}\r\n\r\n",
                "b".repeat(16 * 1024)
            )
            .into_bytes(),
            "431",
        ),
        (
            "OPTIONS *",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "400",
        ),
    ];
    for (what, request, status) in cases {
        let head = answer_to(&server, &request).await;
        assert!(
            head.starts_with(&format!("http/1.1 {status}")),
            "{what}: {head}"
        );
        assert_secure_head(&head);
    }
    // Within the limits, and HTTP/1.0 without Host, are served.
    let fine = format!(
        "GET /fine HTTP/1.1\r\nHost: x\r\n{}X-L: {}\r\n\r\n",
        (0..98)
            .map(|n| format!("X-F{n}: v\r\n"))
            .collect::<String>(),
        "b".repeat(16 * 1024 - 100)
    );
    assert!(
        answer_to(&server, fine.as_bytes())
            .await
            .starts_with("http/1.1 200")
    );
    let old = answer_to(&server, b"GET /fine HTTP/1.0\r\n\r\n").await;
    assert!(
        old.starts_with("http/1.1 200") || old.starts_with("http/1.0 200"),
        "{old}"
    );
    // The server is still answering after all of that.
    let response = reqwest::get(format!("{}/fine", server.url()))
        .await
        .unwrap();
    assert_security_headers(&response);
    assert_eq!(response.text().await.unwrap(), "fine");
}

/// POST /installed with a bad token and a large body, 20 times: every client reads the 401,
/// on one keep-alive client and on a fresh client (and connection) each time.
#[tokio::test]
async fn every_client_reads_the_refusal_of_a_large_unread_body() {
    let app = TestApp::start().await;
    let before = app.state();
    for size in [1024 * 1024, 5 * 1024 * 1024] {
        let body = vec![b'x'; size];
        let keep_alive = reqwest::Client::new();
        for fresh in [false, true] {
            let mut statuses = Vec::new();
            for _ in 0..20 {
                let client = if fresh {
                    reqwest::Client::builder()
                        .pool_max_idle_per_host(0)
                        .build()
                        .unwrap()
                } else {
                    keep_alive.clone()
                };
                let answer = client
                    .post(app.url("/installed"))
                    .header("authorization", "JWT not.a.token")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                statuses.push(match answer {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(error) => format!("{error:?}"),
                });
            }
            let read = statuses.iter().filter(|status| *status == "401").count();
            assert_eq!(
                read, 20,
                "{size} bytes, fresh connections: {fresh}: {statuses:?}"
            );
        }
        // A client that writes its whole request before it reads (curl, Python's http.client):
        // without lingering close its writes fail (EPIPE, reset) and it never sees the 401.
        let mut outcomes = Vec::new();
        for _ in 0..20 {
            let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
            let head = format!(
                "POST /installed HTTP/1.1\r\nHost: x\r\nAuthorization: JWT not.a.token\r\n\
                 Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
            );
            let written = async {
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(&body).await?;
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await?;
                Ok::<_, std::io::Error>(answer)
            };
            outcomes.push(
                match tokio::time::timeout(Duration::from_secs(10), written).await {
                    Ok(Ok(answer)) if answer.starts_with(b"HTTP/1.1 401") => "401".to_owned(),
                    other => format!("{:?}", other.map(|answer| answer.map(|a| a.len()))),
                },
            );
        }
        let read = outcomes.iter().filter(|outcome| *outcome == "401").count();
        assert_eq!(
            read, 20,
            "{size} bytes, write-then-read clients: {outcomes:?}"
        );
    }
    assert_eq!(app.state(), before, "nothing was stored");
}

/// One attacker (from 127.0.0.2) holding far more silent connections than the cap, re-opening
/// each as it closes; a real client (127.0.0.1) is still served within a second, every time.
#[tokio::test]
async fn silent_connections_give_way_to_a_real_client() {
    let server = server(ConnectionLimits {
        max_connections: 64,
        ..ConnectionLimits::default()
    })
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    for _ in 0..200 {
        let (stop, opened, addr) = (Arc::clone(&stop), Arc::clone(&opened), server.addr);
        attackers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = connect_from([127, 0, 0, 2], addr).await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                let mut byte = [0u8; 1];
                // Silent until the server closes it, then straight back.
                let _ = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte)).await;
            }
        }));
    }
    // Let the attacker fill every slot and the backlog.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(opened.load(Ordering::Relaxed) >= 64);
    let mut waits = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let mut stream = connect_from([127, 0, 0, 1], server.addr).await.unwrap();
        stream
            .write_all(b"GET /atlassian-connect.json HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (head, _) = read_answer(&mut stream).await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        waits.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
    let attempts = opened.load(Ordering::Relaxed);
    println!("{attempts} attacker connections; the real client waited {waits:?}");
    assert!(
        waits.iter().all(|wait| *wait <= Duration::from_secs(1)),
        "{waits:?}"
    );
}

async fn connect_from(source: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    socket.connect(to).await
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_first_byte_timeout() {
    let server = server(ConnectionLimits {
        first_byte_timeout: Duration::from_millis(300),
        header_read_timeout: Duration::from_secs(20),
        ..ConnectionLimits::default()
    })
    .await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut byte))
        .await
        .expect("closed long before the header timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // A connection that started its request is not cut by it.
    let mut talking = TcpStream::connect(server.addr).await.unwrap();
    talking.write_all(b"GET /fine HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    talking.write_all(b"Host: x\r\n\r\n").await.unwrap();
    let (head, body) = read_answer(&mut talking).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, "fine");
}
