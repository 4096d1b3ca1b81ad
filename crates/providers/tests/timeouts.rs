//! A server that takes too long: real TCP servers on 127.0.0.1 that accept a request and then
//! say nothing (before the headers, or in the middle of a streamed reply). The provider gives
//! up after its timeout with the error a person understands, and keeps what arrived.

use std::time::{Duration, Instant};

use hearth_providers::{ApiKey, Endpoint, Message, Provider, Request, Role, StreamEvent, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves every connection with `answer` (written after reading the request), then holds the
/// connection open without another word.
async fn server(answer: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_secs(600)).await;
            });
        }
    });
    format!("http://{addr}/v1")
}

fn provider(url: &str) -> Provider {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_millis(800),
        silence: Duration::from_millis(800),
    };
    Provider::with_timeouts(
        "box",
        Endpoint::parse(url).unwrap(),
        Some(ApiKey::new("sk-test-123")),
        true,
        timeouts,
    )
    .unwrap()
}

fn question() -> Request {
    Request::new("m", vec![Message::new(Role::User, "hi")])
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_with_a_message() {
    let box_ = provider(&server("").await);
    let started = Instant::now();
    let error = box_.complete(&question()).await.unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(error.to_string().contains("did not answer"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up after {:?}",
        started.elapsed()
    );
    let Err(error) = box_.stream(&question()).await else {
        panic!("a stream from a server that never answered");
    };
    assert_eq!(error.kind(), "timeout", "{error}");
    let error = box_.models().await.unwrap_err();
    assert_eq!(error.kind(), "timeout", "{error}");
}

#[tokio::test]
async fn a_stream_that_goes_silent_keeps_what_arrived_and_times_out() {
    const PIECE: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n\
        data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Paris is\"}}]}\n\n";
    let box_ = provider(&server(PIECE).await);
    let mut stream = box_.stream(&question()).await.unwrap();
    match stream.next().await {
        Some(Ok(StreamEvent::Text(text))) => assert_eq!(text, "Paris is"),
        other => panic!("expected the first piece, got {other:?}"),
    }
    let started = Instant::now();
    let error = match stream.next().await {
        Some(Err(e)) => e,
        other => panic!("expected the timeout, got {other:?}"),
    };
    assert_eq!(error.kind(), "timeout", "{error}");
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert!(started.elapsed() < Duration::from_secs(10));
}
