//! The model manager wired to the app: catalog prompt formats reach the engine, and installed
//! models are found by catalog id.

use hearth_core::model_manager::{Catalog, CatalogTemplate};
use hearth_core::{
    catalog_template, ChatModel, DataDir, EngineClient, Hearth, LoadOptions, MessageStatus,
    ModelManager, SamplingParams,
};
use hearth_engine::{NamedTemplate, TemplateChoice};
use hearth_testkit::{test_model, ScratchDir, CAPITAL_QUESTION};

#[test]
fn every_catalog_prompt_format_is_known_to_the_engine() {
    let catalog = Catalog::built_in().unwrap();
    let mut named = 0;
    for entry in &catalog.models {
        let choice = catalog_template(entry.template.as_ref())
            .unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        if let Some(CatalogTemplate::Name(_)) = entry.template {
            assert!(
                matches!(choice, Some(TemplateChoice::Named(_))),
                "{}",
                entry.id
            );
            named += 1;
        }
    }
    assert!(named >= 8, "the legacy families carry their formats");
}

#[tokio::test]
async fn a_legacy_model_is_chatted_with_in_its_catalog_format() {
    let scratch = ScratchDir::new("core-legacy");
    let data = DataDir::resolve(Some(&scratch.path().join("data"))).unwrap();
    let manager = ModelManager::open(&data, None).unwrap();
    let err = manager.locate("dolly-v2-3b").unwrap_err().to_string();
    assert!(err.contains("models pull dolly-v2-3b"), "{err}");

    // The test model under Dolly's catalog file name stands in for Dolly 2 (no 1.8 GB here).
    let copy = scratch.path().join("dolly-v2-3b.Q4_K_M.gguf");
    std::fs::copy(test_model(), &copy).unwrap();
    manager.library().import(&copy).unwrap();
    let path = manager.locate("dolly-v2-3b").unwrap();
    let template = manager.template_for(&path).unwrap();
    assert_eq!(template, Some(TemplateChoice::Named(NamedTemplate::Dolly)));

    let hearth = Hearth::open(data, EngineClient::from_environment().unwrap())
        .await
        .unwrap();
    let model = ChatModel {
        path,
        load: LoadOptions {
            template,
            ..LoadOptions::default()
        },
        sampling: SamplingParams {
            max_tokens: 48,
            ..SamplingParams::greedy()
        },
    };
    let info = hearth.prepare(&model).await.unwrap();
    assert_eq!(info.template_source, "named: dolly");
    assert!(
        info.template_stops.iter().any(|s| s == "### End"),
        "{:?}",
        info.template_stops
    );
    let chat = hearth.new_chat(None).await.unwrap();
    let reply = hearth
        .send(chat.id, CAPITAL_QUESTION, &model)
        .await
        .unwrap();
    let message = reply.wait().await.unwrap();
    assert_eq!(message.status, MessageStatus::Complete);
    assert!(message.content.contains("Paris"), "{:?}", message.content);
    for stop in ["### End", "### Instruction"] {
        assert!(
            !message.content.contains(stop),
            "stop strings never leak: {:?}",
            message.content
        );
    }
}

#[test]
fn a_model_is_found_by_path_id_or_file_name() {
    let scratch = ScratchDir::new("core-locate");
    let data = DataDir::resolve(Some(scratch.path())).unwrap();
    let manager = ModelManager::open(&data, None).unwrap();
    let model = test_model();
    assert_eq!(manager.locate(model.to_str().unwrap()).unwrap(), model);
    let err = manager.locate("nothing-like-it").unwrap_err().to_string();
    assert!(
        err.contains("neither a file nor an installed model"),
        "{err}"
    );
    let copy = scratch.path().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    std::fs::copy(&model, &copy).unwrap();
    manager.library().import(&copy).unwrap();
    let installed = data.models().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    assert_eq!(manager.locate("smollm2-135m-instruct").unwrap(), installed);
    assert_eq!(
        manager.locate("SmolLM2-135M-Instruct.Q4_1.gguf").unwrap(),
        installed
    );
    assert_eq!(
        manager.template_for(&installed).unwrap(),
        None,
        "it carries its own template"
    );
}
