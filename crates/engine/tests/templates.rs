//! Real chat templates (as shipped in the models' GGUF files) and the named legacy formats,
//! rendered against the prompt strings those models were trained on.

use hearth_engine::{ChatMessage, ChatTemplate, NamedTemplate, Role};

fn conversation(with_system: bool) -> Vec<ChatMessage> {
    let mut m = Vec::new();
    if with_system {
        m.push(ChatMessage::new(Role::System, "You are helpful."));
    }
    m.push(ChatMessage::new(Role::User, "Hello"));
    m.push(ChatMessage::new(Role::Assistant, "Hi there"));
    m.push(ChatMessage::new(Role::User, "Who are you?"));
    m
}

fn render(source: &str, bos: &str, eos: &str, with_system: bool) -> String {
    ChatTemplate::new(source, bos, eos)
        .unwrap()
        .render(&conversation(with_system), true)
        .unwrap()
}

#[test]
fn chatml_smollm2() {
    let src = include_str!("templates/smollm2.jinja");
    assert_eq!(
        render(src, "<|im_start|>", "<|im_end|>", true),
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n\
         <|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you?<|im_end|>\n\
         <|im_start|>assistant\n"
    );
    // Without a system message SmolLM2's template supplies its own.
    let own = render(src, "<|im_start|>", "<|im_end|>", false);
    assert!(
        own.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"),
        "{own}"
    );
}

#[test]
fn llama3() {
    let src = include_str!("templates/llama3.jinja");
    let today = jiff::ZonedDateTime::now().strftime("%d %b %Y").to_string();
    assert_eq!(
        render(src, "<|begin_of_text|>", "<|eot_id|>", true),
        format!(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n\
             Cutting Knowledge Date: December 2023\nToday Date: {today}\n\n\
             You are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>\
             <|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>\
             <|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>\
             <|start_header_id|>assistant<|end_header_id|>\n\n"
        )
    );
}

#[test]
fn gemma3_puts_the_system_text_in_the_first_user_turn() {
    let src = include_str!("templates/gemma3.jinja");
    assert_eq!(
        render(src, "<bos>", "<eos>", true),
        "<bos><start_of_turn>user\nYou are helpful.\n\nHello<end_of_turn>\n\
         <start_of_turn>model\nHi there<end_of_turn>\n\
         <start_of_turn>user\nWho are you?<end_of_turn>\n<start_of_turn>model\n"
    );
}

#[test]
fn gemma3_refuses_roles_out_of_order() {
    let t = ChatTemplate::new(include_str!("templates/gemma3.jinja"), "<bos>", "<eos>").unwrap();
    let two_users = [
        ChatMessage::new(Role::User, "a"),
        ChatMessage::new(Role::User, "b"),
    ];
    let err = t.render(&two_users, true).unwrap_err().to_string();
    assert!(err.contains("must alternate"), "{err}");
}

#[test]
fn mistral_without_and_with_a_system_message() {
    let src = include_str!("templates/mistral.jinja");
    assert_eq!(
        render(src, "<s>", "</s>", false),
        "<s>[INST] Hello [/INST]Hi there</s>[INST] Who are you? [/INST]"
    );
    // The template refuses a system role; its text goes in front of the first question.
    assert_eq!(
        render(src, "<s>", "</s>", true),
        "<s>[INST] You are helpful.\n\nHello [/INST]Hi there</s>[INST] Who are you? [/INST]"
    );
}

#[test]
fn phi3() {
    let src = include_str!("templates/phi3.jinja");
    assert_eq!(
        render(src, "<s>", "<|endoftext|>", true),
        "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n\
         <|user|>\nWho are you?<|end|>\n<|assistant|>\n"
    );
}

fn named(t: NamedTemplate, with_system: bool) -> String {
    ChatTemplate::named(t, "<s>", "</s>")
        .render(&conversation(with_system), true)
        .unwrap()
}

#[test]
fn legacy_alpaca() {
    assert_eq!(
        named(NamedTemplate::Alpaca, true),
        "You are helpful.\n\n### Instruction:\nHello\n\n### Response:\nHi there\n\n\
         ### Instruction:\nWho are you?\n\n### Response:\n"
    );
    let one = ChatTemplate::named(NamedTemplate::Alpaca, "", "")
        .render(&[ChatMessage::new(Role::User, "What is 2+2?")], true)
        .unwrap();
    assert_eq!(
        one,
        "Below is an instruction that describes a task. Write a response that appropriately \
         completes the request.\n\n### Instruction:\nWhat is 2+2?\n\n### Response:\n"
    );
}

#[test]
fn legacy_dolly() {
    assert_eq!(
        named(NamedTemplate::Dolly, true),
        "You are helpful.\n\n### Instruction:\nHello\n\n### Response:\nHi there\n\n### End\n\n\
         ### Instruction:\nWho are you?\n\n### Response:\n"
    );
}

#[test]
fn legacy_vicuna() {
    assert_eq!(
        named(NamedTemplate::Vicuna, true),
        "You are helpful. USER: Hello ASSISTANT: Hi there</s>USER: Who are you? ASSISTANT:"
    );
    assert!(named(NamedTemplate::Vicuna, false).starts_with("A chat between a curious user"));
}

#[test]
fn legacy_openchatkit() {
    assert_eq!(
        named(NamedTemplate::Openchatkit, true),
        "You are helpful.\n<human>: Hello\n<bot>: Hi there\n<human>: Who are you?\n<bot>:"
    );
}

#[test]
fn legacy_rwkv_world() {
    assert_eq!(
        named(NamedTemplate::RwkvWorld, true),
        "System: You are helpful.\n\nUser: Hello\n\nAssistant: Hi there\n\nUser: Who are you?\n\nAssistant:"
    );
}

#[test]
fn chatml() {
    assert_eq!(
        named(NamedTemplate::Chatml, true),
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n\
         <|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you?<|im_end|>\n\
         <|im_start|>assistant\n"
    );
}

#[test]
fn completion_shows_only_the_newest_instruction() {
    assert_eq!(
        named(NamedTemplate::Completion, true),
        "You are helpful.\n\nWho are you?"
    );
    assert_eq!(named(NamedTemplate::Completion, false), "Who are you?");
}
