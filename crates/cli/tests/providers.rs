//! Remote providers at the protocol level, against real OpenAI-compatible servers: a second
//! `hearth-cli serve` with the test model (our server and our client speak the same protocol —
//! interop both ways) and llama.cpp's own `llama-server` (built once by scripts/build-llama-server).

mod common;

use std::time::{Duration, Instant};

use common::{
    a_reply_cut_by_a_dying_server_is_kept, add_provider, greedy, hearth_cli, provider, text,
    LlamaServer, Server, LONG, MODEL, QUESTION,
};
use hearth_core::providers::{ApiKey, Endpoint, Message, Provider, Request, Role, StreamEvent};
use hearth_testkit::ScratchDir;

#[tokio::test]
async fn another_hearth_serves_models_streamed_and_whole_replies_alike() {
    let server = Server::start("providers-roundtrip", &[]);
    let box_ = provider(&server, &server.token);
    let models = box_.models().await.unwrap();
    assert!(models.iter().any(|m| m.id == MODEL), "{models:?}");

    let whole = box_.complete(&greedy(QUESTION, 24)).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let mut stream = box_.stream(&greedy(QUESTION, 24)).await.unwrap();
    let (mut streamed, mut finished, mut pieces) = (String::new(), None, 0);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StreamEvent::Text(piece) => {
                pieces += 1;
                streamed.push_str(&piece);
            }
            StreamEvent::Finished(f) => finished = Some(f),
        }
    }
    assert_eq!(
        streamed, whole.text,
        "greedy: the same reply streamed and whole"
    );
    assert!(pieces > 3, "streamed in pieces, not at once: {pieces}");
    let finished = finished.expect("a streamed reply ends with its finish");
    assert!(finished
        .first_text_ms
        .is_some_and(|t| t <= finished.total_ms));

    let short = box_.complete(&greedy(LONG, 5)).await.unwrap();
    assert_eq!(short.finished.finish_reason.as_deref(), Some("length"));
    assert_eq!(short.finished.usage.map(|u| u.completion_tokens), Some(5));
}

#[tokio::test]
async fn wrong_key_unknown_model_and_a_server_that_is_gone_say_what_happened() {
    let server = Server::start("providers-errors", &[]);
    let wrong = provider(&server, "sk-wrong-key-123456");
    let e = wrong.models().await.unwrap_err();
    assert_eq!(e.kind(), "wrong_key", "{e}");
    assert!(e.to_string().contains("HTTP 401"), "{e}");
    assert!(!e.to_string().contains("sk-wrong-key-123456"), "{e}");

    let right = provider(&server, &server.token);
    let e = right
        .complete(&Request::new(
            "no-such-model",
            vec![Message::new(Role::User, "hi")],
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "model_not_found", "{e}");

    let url = server.url();
    drop(server);
    let gone = Provider::new("box", Endpoint::parse(&url).unwrap(), None, true).unwrap();
    let e = gone.models().await.unwrap_err();
    assert_eq!(e.kind(), "unreachable", "{e}");
    assert!(
        e.to_string().contains("check that the server is running"),
        "{e}"
    );
}

#[tokio::test]
async fn stop_frees_the_server_and_a_killed_server_cuts_the_stream() {
    let mut server = Server::start("providers-stop", &[]);
    let box_ = provider(&server, &server.token);
    // Stop: dropping the stream closes the connection and ends the generation, so the next
    // request is answered long before the 2,000 tokens the stopped one asked for could be made.
    // Timed against this server's own pace, as other tests load the same cores.
    let mut stream = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    let mut paced = Instant::now();
    for n in 0..25 {
        if n == 5 {
            paced = Instant::now();
        }
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamEvent::Text(_)))
        ));
    }
    let per_piece = paced.elapsed() / 20;
    drop(stream);
    let started = Instant::now();
    let next = box_.complete(&greedy(QUESTION, 24)).await.unwrap();
    assert!(next.text.contains("Paris"));
    let rest_of_stopped = per_piece * (2000 - 25);
    eprintln!(
        "next reply after the stop: {:?}; the stopped one would have needed {rest_of_stopped:?} more",
        started.elapsed()
    );
    assert!(
        started.elapsed() < rest_of_stopped / 4,
        "the stopped reply kept the server busy: {:?}, while the rest of it takes about {rest_of_stopped:?}",
        started.elapsed()
    );

    // Killed mid-stream: what arrived is kept by the caller, the error says the stream broke.
    let mut stream = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    let mut got = String::new();
    while got.len() < 20 {
        match stream.next().await {
            Some(Ok(StreamEvent::Text(piece))) => got.push_str(&piece),
            other => panic!("expected text, got {other:?}"),
        }
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
    let error = loop {
        match stream.next().await {
            Some(Ok(StreamEvent::Text(_))) => continue,
            Some(Err(e)) => break e,
            other => panic!("expected the cut, got {other:?}"),
        }
    };
    assert_eq!(error.kind(), "cut", "{error}");
}

#[tokio::test]
async fn a_busy_server_is_retried_once_after_the_wait_it_asks_for() {
    let server = Server::start("providers-busy", &["--queue", "1"]);
    let box_ = provider(&server, &server.token);
    // One reply runs; of two more, one waits its turn and the other is told to wait (429,
    // Retry-After: 1), retries once a second later, is refused again and says so.
    let mut running = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    assert!(matches!(
        running.next().await,
        Some(Ok(StreamEvent::Text(_)))
    ));
    let ask = |box_: Provider| {
        tokio::spawn(async move {
            let started = Instant::now();
            let result = box_.complete(&greedy(QUESTION, 8)).await;
            (result, started.elapsed())
        })
    };
    let (mut first, mut second) = (ask(box_.clone()), ask(box_.clone()));
    let (result, took) = tokio::select! {
        done = &mut first => { second.abort(); done.unwrap() }
        done = &mut second => { first.abort(); done.unwrap() }
    };
    let e = result.expect_err("the running reply still holds the model");
    assert_eq!(e.kind(), "rate_limited", "{e}");
    assert!(
        took >= Duration::from_secs(1),
        "no retry after Retry-After: {took:?}"
    );
    drop(running);
}

#[tokio::test]
async fn hearths_own_api_passes_remote_models_through() {
    let remote = Server::start("providers-through-remote", &[]);
    let (url, key) = (remote.url(), remote.token.clone());
    // This computer's Hearth, with the remote added as a provider, serves the local API.
    let local = Server::start_with("providers-through-local", &[], |data, _| {
        let added = add_provider(data, "box", &url, &key);
        assert!(added.status.success(), "{}", text(&added).1);
    });
    let through = provider(&local, &local.token);
    let models = through.models().await.unwrap();
    let id = format!("box:{MODEL}");
    assert!(models.iter().any(|m| m.id == id), "{models:?}");
    assert!(models.iter().any(|m| m.id == MODEL), "{models:?}");

    let mut request = greedy(QUESTION, 24);
    request.model = id.clone();
    let whole = through.complete(&request).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let direct = provider(&remote, &remote.token)
        .complete(&greedy(QUESTION, 24))
        .await
        .unwrap();
    assert_eq!(whole.text, direct.text, "passed through unchanged");
    let mut stream = through.stream(&request).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::Text(piece) = event.unwrap() {
            streamed.push_str(&piece);
        }
    }
    assert_eq!(streamed, whole.text);
    // A provider that is gone is the remote's failure (502), not this server's.
    drop(remote);
    let e = through.complete(&request).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 502"), "{e}");
}

#[tokio::test]
async fn llama_server_is_a_provider_like_any_other() {
    let key = "sk-llama-server-test-4242";
    let mut server = LlamaServer::start(key);
    let endpoint = Endpoint::parse(&server.url).unwrap();
    let ls = Provider::new("ls", endpoint.clone(), Some(ApiKey::new(key)), true).unwrap();
    let models = ls.models().await.unwrap();
    let id = models
        .first()
        .map(|m| m.id.clone())
        .expect("llama-server lists its model");
    let mut request = greedy(QUESTION, 24);
    request.model = id.clone();
    let whole = ls.complete(&request).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let mut stream = ls.stream(&request).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::Text(piece) = event.unwrap() {
            streamed.push_str(&piece);
        }
    }
    assert_eq!(streamed, whole.text);

    let wrong = Provider::new("ls", endpoint, Some(ApiKey::new("sk-wrong-0000")), true).unwrap();
    let e = wrong.models().await.unwrap_err();
    assert_eq!(e.kind(), "wrong_key", "{e}");
    assert!(!e.to_string().contains("sk-wrong-0000"), "{e}");

    // Through the CLI: added, a chat answered, then the server killed mid-reply.
    let dir = ScratchDir::new("providers-llama-server");
    let data = dir.path().join("data");
    let added = add_provider(&data, "ls", &server.url, key);
    assert!(added.status.success(), "{}", text(&added).1);
    let model = format!("ls:{id}");
    let chat = hearth_cli(
        &data,
        &[
            "chat",
            "--model",
            &model,
            "--prompt",
            QUESTION,
            "--temp",
            "0",
            "--max-tokens",
            "24",
        ],
        &[],
    );
    let (out, err) = text(&chat);
    assert!(chat.status.success(), "{err}");
    assert!(out.contains("Paris"), "{out}");

    // Stop: dropping the stream frees llama-server for the next request.
    let mut long = greedy(LONG, 2000);
    long.model = id.clone();
    let mut stream = ls.stream(&long).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamEvent::Text(_)))
        ));
    }
    drop(stream);
    let started = Instant::now();
    assert!(ls.complete(&request).await.unwrap().text.contains("Paris"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // Killed mid-reply: the chat keeps what came and marks it interrupted.
    a_reply_cut_by_a_dying_server_is_kept(&data, &model, || {
        let _ = server.child.kill();
        let _ = server.child.wait();
    });
}
