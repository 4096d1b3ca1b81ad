//! The model manager wired to the app: catalog prompt formats reach the engine, installed
//! models are found by catalog id, and a model is a catalog model only by its checksum.

use hearth_core::model_manager::{Catalog, CatalogTemplate};
use hearth_core::{
    catalog_template, ChatModel, DataDir, EngineClient, Hearth, LoadOptions, MessageStatus,
    ModelManager, SamplingParams,
};
use hearth_engine::{NamedTemplate, TemplateChoice};
use hearth_testkit::{test_model, ScratchDir, CAPITAL_QUESTION, TEST_MODEL_SHA256};

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
    assert!(named >= 6, "the legacy families carry their formats");
}

/// The built-in catalog with Dolly 2 3B's entry pointing at the test model's bytes, so the
/// test model stands in for Dolly (no 1.8 GB here) the only way Hearth accepts: by checksum.
fn catalog_where_dolly_is_the_test_model(dir: &std::path::Path) -> std::path::PathBuf {
    let mut catalog: serde_json::Value =
        serde_json::from_str(hearth_core::model_manager::catalog::BUILT_IN).unwrap();
    for entry in catalog["models"].as_array_mut().unwrap() {
        if entry["id"] == "dolly-v2-3b" {
            entry["sha256"] = TEST_MODEL_SHA256.into();
            entry["size"] = std::fs::metadata(test_model()).unwrap().len().into();
        } else if entry["id"] == "smollm2-135m-instruct" {
            // One entry per file: the test model is Dolly here.
            entry["sha256"] = "0".repeat(64).into();
        }
    }
    let path = dir.join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path
}

#[tokio::test]
async fn a_legacy_model_is_chatted_with_in_its_catalog_format() {
    let scratch = ScratchDir::new("core-legacy");
    let data = DataDir::resolve(Some(&scratch.path().join("data"))).unwrap();
    let catalog = catalog_where_dolly_is_the_test_model(scratch.path());
    let manager = ModelManager::open(&data, Some(&catalog)).unwrap();
    let err = manager.locate("dolly-v2-3b").unwrap_err().to_string();
    assert!(err.contains("models pull dolly-v2-3b"), "{err}");

    // Any name will do: the checksum says what it is.
    let copy = scratch.path().join("some-download.gguf");
    std::fs::copy(test_model(), &copy).unwrap();
    let (installed, _) = manager.import(&copy).unwrap();
    assert_eq!(installed.catalog_id.as_deref(), Some("dolly-v2-3b"));
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
        remote: None,
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

/// Regression guard (identity by file name): a file named like a catalog download but with
/// other bytes does not pass for that model, and the real download's name stays free.
#[test]
fn a_file_named_like_a_catalog_model_is_only_a_local_model() {
    let scratch = ScratchDir::new("core-impostor");
    let data = DataDir::resolve(Some(&scratch.path().join("data"))).unwrap();
    let manager = ModelManager::open(&data, None).unwrap();
    let impostor = scratch.path().join("dolly-v2-3b.Q4_K_M.gguf");
    std::fs::copy(test_model(), &impostor).unwrap();
    let (installed, _) = manager.import(&impostor).unwrap();
    assert_eq!(installed.file, "dolly-v2-3b.Q4_K_M-local.gguf");
    // It is what its bytes are (the test model is the catalog's SmolLM2), never Dolly.
    assert_eq!(
        installed.catalog_id.as_deref(),
        Some("smollm2-135m-instruct")
    );
    assert!(!data.models().join("dolly-v2-3b.Q4_K_M.gguf").exists());
    assert!(manager.locate("dolly-v2-3b").is_err());
    let path = manager.locate("dolly-v2-3b.Q4_K_M-local.gguf").unwrap();
    assert_eq!(manager.template_for(&path).unwrap(), None);
    // The manifest and part files are never models.
    for not_a_model in ["hearth-models.json", "x.gguf.part", "x.gguf.part.json"] {
        std::fs::write(data.models().join(not_a_model), b"{}").unwrap();
        assert!(manager.locate(not_a_model).is_err(), "{not_a_model}");
        assert!(
            manager.library().delete(not_a_model).is_err(),
            "{not_a_model}"
        );
        assert!(data.models().join(not_a_model).exists());
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
    manager.import(&copy).unwrap();
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

/// The built-in catalog with SmolLM2 1.7B's entry pointing at the test model's bytes and
/// SmolLM2 135M's at `draft`'s: the catalog names the second as the first one's draft.
fn catalog_where_the_test_model_has_a_draft(
    dir: &std::path::Path,
    draft: &std::path::Path,
) -> std::path::PathBuf {
    let (draft_sha, draft_size) = hearth_core::model_manager::sha256_file(draft).unwrap();
    let mut catalog: serde_json::Value =
        serde_json::from_str(hearth_core::model_manager::catalog::BUILT_IN).unwrap();
    for entry in catalog["models"].as_array_mut().unwrap() {
        if entry["id"] == "smollm2-1.7b-instruct" {
            assert_eq!(entry["draft"], "smollm2-135m-instruct");
            entry["sha256"] = TEST_MODEL_SHA256.into();
            entry["size"] = std::fs::metadata(test_model()).unwrap().len().into();
        } else if entry["id"] == "smollm2-135m-instruct" {
            entry["sha256"] = draft_sha.clone().into();
            entry["size"] = draft_size.into();
        }
    }
    let path = dir.join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path
}

#[tokio::test]
async fn the_catalogs_draft_model_drafts_once_it_is_downloaded_too() {
    let scratch = ScratchDir::new("core-draft");
    let data = DataDir::resolve(Some(&scratch.path().join("data"))).unwrap();
    let draft = hearth_testkit::test_draft_model();
    let catalog = catalog_where_the_test_model_has_a_draft(scratch.path(), &draft);
    let manager = ModelManager::open(&data, Some(&catalog)).unwrap();
    let copy = scratch.path().join("big.gguf");
    std::fs::copy(test_model(), &copy).unwrap();
    manager.import(&copy).unwrap();
    let path = manager.locate("smollm2-1.7b-instruct").unwrap();
    assert_eq!(
        manager.draft_for(&path),
        None,
        "no draft before it is downloaded"
    );
    assert_eq!(
        manager.draft_for(&test_model()),
        None,
        "a file outside models/ has none"
    );

    let (installed, _) = manager.import(&draft).unwrap();
    assert_eq!(
        installed.catalog_id.as_deref(),
        Some("smollm2-135m-instruct")
    );
    let draft_path = manager.draft_for(&path).expect("the catalog's draft");
    assert_eq!(draft_path, manager.locate("smollm2-135m-instruct").unwrap());
    let wanted = Some(draft_path.display().to_string());
    {
        let options = hearth_core::AppOptions {
            catalog: Some(catalog.clone()),
            engine: Some(EngineClient::from_environment().unwrap()),
            ..hearth_core::AppOptions::default()
        };
        let app = hearth_core::App::open_with(data.clone(), options)
            .await
            .unwrap();
        let by_id = app.installed_model("smollm2-1.7b-instruct").unwrap();
        assert_eq!(by_id.load.draft_model, wanted, "the app asks for the draft");
        let by_path = app.reply_model_at(&path).await.unwrap();
        assert_eq!(by_path.load.draft_model, wanted);
        let small = app.installed_model("smollm2-135m-instruct").unwrap();
        assert_eq!(
            small.load.draft_model, None,
            "the draft drafts for no one else"
        );
    }

    let hearth = Hearth::open(data, EngineClient::from_environment().unwrap())
        .await
        .unwrap();
    let model = ChatModel {
        path,
        load: LoadOptions {
            draft_model: Some(draft_path.display().to_string()),
            ..LoadOptions::default()
        },
        sampling: SamplingParams {
            max_tokens: 48,
            ..SamplingParams::greedy()
        },
        remote: None,
    };
    let info = hearth.prepare(&model).await.unwrap();
    assert!(
        info.draft_model
            .as_deref()
            .is_some_and(|n| n.contains("blocks")),
        "{info:?}"
    );
    let chat = hearth.new_chat(None).await.unwrap();
    let reply = hearth
        .send(chat.id, CAPITAL_QUESTION, &model)
        .await
        .unwrap();
    let message = reply.wait().await.unwrap();
    assert_eq!(message.status, MessageStatus::Complete);
    assert!(message.content.contains("Paris"), "{:?}", message.content);
}
