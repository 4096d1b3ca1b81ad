//! Installed models: inspect, import, list, verify and delete, on real files.

use hearth_models::{Catalog, ImportedAs, Library, ModelFacts, ModelsError};
use hearth_testkit::{gguf_with_architecture, test_model, truncated_model, ScratchDir};

const SHA: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

#[test]
fn inspecting_the_test_model() {
    let facts = ModelFacts::inspect(&test_model()).unwrap();
    assert_eq!(facts.architecture, "llama");
    assert!(facts.runnable);
    assert_eq!(facts.quant.as_deref(), Some("Q4_1"));
    assert_eq!(facts.context_length, Some(8192));
    assert_eq!((facts.layers, facts.embedding), (Some(30), Some(576)));
    assert_eq!((facts.heads, facts.kv_heads), (Some(9), Some(3)));
    assert!(
        (130_000_000..140_000_000).contains(&facts.parameters),
        "{}",
        facts.parameters
    );
    assert!(facts
        .chat_template
        .as_deref()
        .unwrap_or("")
        .contains("<|im_start|>"));
    assert_eq!(facts.file_size, 98_362_432);
    // 30 layers × 2048 tokens × (576 × 3/9 wide K and V) × 2 bytes × 2 = 47 MB of KV cache.
    assert_eq!(facts.kv_cache_bytes(2048), 30 * 2048 * 192 * 4);
    let ram = facts.estimated_ram(2048);
    assert_eq!(ram, 98_362_432 + 47_185_920 + 300_000_000);
    assert!(
        facts.estimated_ram(100_000) < facts.estimated_ram(8192) + 1,
        "capped at the trained context"
    );
}

#[test]
fn import_list_verify_delete() {
    let scratch = ScratchDir::new("library");
    // Import from a private copy: the import may hard-link, and this test then damages the file.
    let source = scratch.path().join("my model.gguf");
    std::fs::copy(test_model(), &source).unwrap();
    let library = Library::new(&scratch.path().join("models"));
    let catalog = Catalog::built_in().unwrap();
    let (model, how) = library.import(&source, &catalog).unwrap();
    assert_eq!(
        how,
        ImportedAs::HardLink,
        "same file system: no second copy"
    );
    assert_eq!(model.file, "my model.gguf");
    assert_eq!(model.sha256.as_deref(), Some(SHA));
    assert_eq!(model.facts.as_ref().unwrap().architecture, "llama");

    let listed = library.list(&catalog).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].catalog_id.as_deref(),
        Some("smollm2-135m-instruct"),
        "known by its checksum, whatever its name"
    );
    assert_eq!(
        library.verify("my model.gguf", &catalog).unwrap().matches(),
        Some(true)
    );

    let again = library.import(&source, &catalog).unwrap_err();
    assert!(
        matches!(again, ModelsError::AlreadyInstalled(_)),
        "{again:?}"
    );

    // A byte rots on disk: verify says so.
    let installed = scratch.path().join("models/my model.gguf");
    let mut bytes = std::fs::read(&installed).unwrap();
    bytes[60_000_000] ^= 0x10;
    std::fs::write(&installed, bytes).unwrap();
    let check = library.verify("my model.gguf", &catalog).unwrap();
    assert_eq!(check.matches(), Some(false));
    assert_eq!(check.expected.as_deref(), Some(SHA));

    library.delete("my model.gguf").unwrap();
    assert!(library.list(&catalog).unwrap().is_empty());
    assert!(matches!(
        library.delete("my model.gguf"),
        Err(ModelsError::NotInstalled(_))
    ));
    assert!(matches!(
        library.delete("../escape.gguf"),
        Err(ModelsError::NotInstalled(_))
    ));
}

#[test]
fn a_catalog_model_is_found_by_id_and_checked_against_the_catalog() {
    let scratch = ScratchDir::new("library-catalog");
    let source = scratch.path().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    std::fs::copy(test_model(), &source).unwrap();
    let library = Library::new(&scratch.path().join("models"));
    let catalog = Catalog::built_in().unwrap();
    library.import(&source, &catalog).unwrap();
    let file = library.resolve(&catalog, "smollm2-135m-instruct").unwrap();
    assert_eq!(file, "SmolLM2-135M-Instruct.Q4_1.gguf");
    let listed = library.list(&catalog).unwrap();
    assert_eq!(
        listed[0].catalog_id.as_deref(),
        Some("smollm2-135m-instruct")
    );
    let check = library.verify(&file, &catalog).unwrap();
    assert_eq!((check.matches(), check.bytes), (Some(true), 98_362_432));
    assert!(
        library.resolve(&catalog, "qwen3-4b").is_err(),
        "listed but not installed"
    );
}

#[test]
fn bad_files_are_not_imported() {
    let scratch = ScratchDir::new("library-bad");
    let library = Library::new(&scratch.path().join("models"));
    let cases = [
        (
            "notes.gguf",
            b"hello, not a model".to_vec(),
            "not a GGUF model file",
        ),
        (
            "short.gguf",
            truncated_model(4096),
            "more than a 4096-byte file can hold",
        ),
        ("gptj.gguf", gguf_with_architecture("gptj"), "GPT-J"),
    ];
    for (name, bytes, expected) in cases {
        let path = scratch.file(name, &bytes);
        let err = library
            .import(&path, &Catalog::empty())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{name}: {err}");
    }
    let missing = library
        .import(&scratch.path().join("nowhere.gguf"), &Catalog::empty())
        .unwrap_err();
    assert!(missing.to_string().contains("nowhere.gguf"), "{missing}");
    assert!(library.list(&Catalog::empty()).unwrap().is_empty());
}

#[test]
fn a_broken_file_in_models_is_listed_with_its_problem() {
    let scratch = ScratchDir::new("library-list");
    let models = scratch.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("broken.gguf"), truncated_model(1000)).unwrap();
    std::fs::write(models.join("big.gguf.part"), b"partial").unwrap();
    let listed = Library::new(&models).list(&Catalog::empty()).unwrap();
    assert_eq!(listed.len(), 1, "part files are not models");
    assert!(listed[0].facts.is_none());
    assert!(
        listed[0]
            .problem
            .as_deref()
            .unwrap()
            .contains("1000-byte file"),
        "{:?}",
        listed[0].problem
    );
}
