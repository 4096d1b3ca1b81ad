//! What the engine's test files share: the worker, the test model loaded, chats and replies.
#![allow(dead_code)]

use hearth_engine::{
    ChatMessage, EngineClient, GenerationEvent, Input, LoadOptions, Role, SamplingParams,
};
use hearth_testkit::{test_model, SYSTEM_PROMPT};

pub fn client() -> EngineClient {
    EngineClient::from_environment().expect("hearth-engine is built (run scripts/build-engine)")
}

pub async fn loaded(options: LoadOptions) -> EngineClient {
    let engine = client();
    engine
        .load(&test_model(), options)
        .await
        .expect("test model loads");
    engine
}

pub fn chat(turns: &[(Role, &str)]) -> Input {
    let mut messages = vec![ChatMessage::new(Role::System, SYSTEM_PROMPT)];
    messages.extend(
        turns
            .iter()
            .map(|(role, text)| ChatMessage::new(*role, *text)),
    );
    Input::Chat { messages }
}

/// The whole reply to `input`.
pub async fn reply(
    engine: &EngineClient,
    input: Input,
    params: SamplingParams,
) -> (String, hearth_engine::Completion) {
    engine
        .generate(input, params)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A reply of up to 2,000 tokens that has started streaming.
pub async fn long_reply(engine: &EngineClient) -> hearth_engine::Generation {
    let input = Input::Raw {
        prompt: "Count from 1 to 1000: 1, 2, 3,".into(),
    };
    let mut gen = engine.generate(input, greedy(2000)).await.unwrap();
    assert!(matches!(
        gen.next().await,
        Some(Ok(GenerationEvent::Token(_)))
    ));
    gen
}

pub fn greedy(max_tokens: u32) -> SamplingParams {
    SamplingParams {
        max_tokens,
        ..SamplingParams::greedy()
    }
}
