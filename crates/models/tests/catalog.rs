//! The catalog that ships in assets/catalog.json, and the checks that guard it.

use hearth_models::{Catalog, CatalogFilter, Fit, Machine, Runs};

const GB: u64 = 1_000_000_000;

#[test]
fn the_built_in_catalog_is_sound() {
    let catalog = Catalog::built_in().expect("assets/catalog.json is valid");
    assert!(
        catalog.models.len() >= 18,
        "the current small models are all there"
    );
    let mut ids = std::collections::HashSet::new();
    for entry in &catalog.models {
        assert!(ids.insert(&entry.id), "duplicate id {}", entry.id);
        assert!(
            !entry.file.contains(['/', '\\']) && !entry.file.contains(".."),
            "{}",
            entry.file
        );
        assert!(entry.file.ends_with(".gguf"), "{}", entry.file);
        assert!(entry.url.starts_with("https://"), "{}", entry.url);
        assert!(
            entry.url.ends_with(&entry.file),
            "URL and file name agree: {}",
            entry.id
        );
        // Regression guard: no entry follows a moving file without a pinned checksum.
        let sha = entry
            .sha256
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no sha256", entry.id));
        assert!(hearth_models::catalog::is_sha256(sha), "{}", entry.id);
        assert!(
            entry.ram > entry.size.unwrap_or(0),
            "{} needs more RAM than its file",
            entry.id
        );
    }
    let test_model = catalog
        .entry("smollm2-135m-instruct")
        .expect("the test model is listed");
    assert_eq!(test_model.size, Some(98_362_432));
    assert_eq!(
        test_model.sha256.as_deref(),
        Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    );
}

/// Every language the window speaks besides English.
const UI_LANGUAGES: [&str; 1] = ["zh"];

#[test]
fn every_sentence_of_the_catalog_is_in_every_language_of_the_window() {
    let catalog = Catalog::built_in().unwrap();
    for language in UI_LANGUAGES {
        for entry in &catalog.models {
            let said = entry.description_in.get(language);
            assert!(
                said.is_some_and(|s| !s.trim().is_empty() && *s != entry.description),
                "{} has no {language} description",
                entry.id
            );
        }
        for row in &catalog.guide {
            let said = row.why_in.get(language);
            assert!(
                said.is_some_and(|s| !s.trim().is_empty() && *s != row.why),
                "the guide's {} has no {language} explanation",
                row.family
            );
        }
    }
}

#[test]
fn the_model_guide_covers_the_13_families() {
    let catalog = Catalog::built_in().unwrap();
    let families: Vec<&str> = catalog.guide.iter().map(|g| g.family.as_str()).collect();
    assert_eq!(
        families,
        [
            "LLaMA",
            "Alpaca",
            "GPT4All",
            "GPT4All-J",
            "Dolly 2",
            "Cerebras-GPT",
            "GPT-J 6B",
            "Vicuna",
            "Alpaca GPT-4",
            "OpenChatKit",
            "ChatRWKV",
            "Flan-T5",
            "OPT"
        ]
    );
    let runs = |family: &str| {
        catalog
            .guide
            .iter()
            .find(|g| g.family == family)
            .unwrap()
            .runs
    };
    assert_eq!(runs("GPT4All-J"), Runs::No);
    assert_eq!(runs("OPT"), Runs::No);
    assert_eq!(runs("Flan-T5"), Runs::Partly);
    assert_eq!(runs("Dolly 2"), Runs::Yes);
    for row in &catalog.guide {
        assert!(catalog.entry(&row.instead).is_some(), "{}", row.family);
        if row.runs == Runs::No {
            assert!(
                row.model.is_none(),
                "{} cannot run, so nothing to download",
                row.family
            );
        }
        if let Some(id) = &row.model {
            let entry = catalog.entry(id).unwrap();
            assert!(entry.tags.iter().any(|t| t == "legacy"), "{id}");
        }
    }
}

#[test]
fn validation_names_every_problem() {
    let mut catalog = Catalog::built_in().unwrap();
    let mut bad = catalog.models[0].clone();
    bad.file = "../../.bashrc".into();
    bad.url = "http://example.com/x.gguf".into();
    bad.sha256 = Some("ABC".into());
    catalog.models.push(bad);
    let mut unverifiable = catalog.models[1].clone();
    unverifiable.id = "elsewhere".into();
    unverifiable.file = "elsewhere.gguf".into();
    unverifiable.url = "https://example.com/elsewhere.gguf".into();
    unverifiable.sha256 = None;
    catalog.models.push(unverifiable);
    catalog.guide[0].instead = "no-such-model".into();
    let draft_of = |catalog: &mut Catalog, id: &str, draft: &str| {
        let entry = catalog.models.iter_mut().find(|e| e.id == id).unwrap();
        entry.draft = Some(draft.into());
    };
    draft_of(&mut catalog, "qwen3-4b", "no-such-draft");
    draft_of(&mut catalog, "qwen3-0.6b", "qwen3-4b");
    draft_of(&mut catalog, "qwen3-1.7b", "bge-m3");
    let problems = catalog.validate().unwrap_err().join("\n");
    for expected in [
        "duplicate id smollm2-135m-instruct",
        "unsafe file name",
        "not https",
        "sha256 is not 64 lowercase hex",
        "elsewhere: no sha256, so the file could not be verified",
        "no catalog entry no-such-model",
        "qwen3-4b: no catalog entry no-such-draft to draft",
        "qwen3-0.6b: draft qwen3-4b is not smaller",
        "qwen3-1.7b: draft bge-m3: only chat models draft",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
    let err = Catalog::parse(&serde_json::to_string(&catalog).unwrap(), "test.json").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the model catalog is not valid: test.json:"),
        "{err}"
    );
    let err = Catalog::parse("{\"schema\": 1", "broken.json").unwrap_err();
    assert!(err.to_string().contains("broken.json"), "{err}");
}

#[test]
fn filters_for_fit_licence_and_family() {
    let catalog = Catalog::built_in().unwrap();
    let small = Machine {
        total_ram: 4 * GB,
        available_ram: 2 * GB,
    };
    let fits = catalog.matching(&CatalogFilter {
        fits: Some(small),
        ..Default::default()
    });
    assert!(fits.iter().any(|e| e.id == "smollm2-135m-instruct"));
    assert!(!fits.iter().any(|e| e.id == "mistral-7b-instruct-v0.3"));
    assert!(fits.iter().all(|e| small.fit(e.ram) != Fit::TooBig));

    let commercial = catalog.matching(&CatalogFilter {
        commercial: true,
        ..Default::default()
    });
    assert!(!commercial
        .iter()
        .any(|e| e.id == "llama-7b" || e.id == "alpaca-7b"));
    assert!(commercial.iter().all(|e| e.commercial_use));

    let qwen3 = catalog.matching(&CatalogFilter {
        family: Some("qwen3".into()),
        ..Default::default()
    });
    let ids: Vec<&str> = qwen3.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["qwen3-0.6b", "qwen3-1.7b", "qwen3-4b"]);
}

#[test]
fn plain_http_only_on_loopback() {
    use hearth_models::catalog::is_allowed_url;
    assert!(is_allowed_url("https://huggingface.co/a/b.gguf"));
    assert!(is_allowed_url("http://127.0.0.1:8080/b.gguf"));
    assert!(is_allowed_url("http://localhost/b.gguf"));
    assert!(is_allowed_url("http://[::1]:9/b.gguf"));
    assert!(!is_allowed_url("http://127.0.0.1.evil.example/b.gguf"));
    assert!(!is_allowed_url("http://localhost@evil.example/b.gguf"));
    assert!(!is_allowed_url("http://example.com/b.gguf"));
    assert!(!is_allowed_url("ftp://127.0.0.1/b.gguf"));
}

/// LocalDocs has an English and a Chinese-capable embedding model, pinned to a revision, each
/// with the prefixes it was trained with, and no chat model carries prefixes.
#[test]
fn the_embedding_models_are_pinned_and_carry_their_prefixes() {
    use hearth_models::catalog::ModelKind;
    let catalog = Catalog::built_in().expect("assets/catalog.json is valid");
    let nomic = catalog.entry("nomic-embed-text-v1.5").expect("listed");
    assert_eq!(nomic.kind, ModelKind::Embedding);
    assert_eq!(nomic.query_prefix, "search_query: ");
    assert_eq!(nomic.document_prefix, "search_document: ");
    let bge = catalog.entry("bge-m3").expect("listed");
    assert_eq!(bge.kind, ModelKind::Embedding);
    // BGE-M3 is trained without instructions on either side.
    assert!(bge.query_prefix.is_empty() && bge.document_prefix.is_empty());
    assert!(bge.tags.iter().any(|t| t == "chinese"), "{:?}", bge.tags);
    for entry in [nomic, bge] {
        let revision = entry
            .url
            .split("/resolve/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        assert!(
            revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit()),
            "{} follows {revision:?}, not a commit",
            entry.id
        );
        assert!(entry.template.is_none(), "{}", entry.id);
    }
    for entry in catalog.models.iter().filter(|e| e.kind == ModelKind::Chat) {
        assert!(
            entry.query_prefix.is_empty() && entry.document_prefix.is_empty(),
            "{}",
            entry.id
        );
    }
}
