//! What the LocalDocs tests share: the real embedding model in a real worker, the real reader
//! program, and documents written in each format (PDF, DOCX, ODT, EPUB are built here with
//! the libraries that write those formats, so each test says exactly what its files hold).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use hearth_docs::extract::Limits;
use hearth_docs::{Docs, DocsError, Embedder, EmbeddingModel};
use hearth_engine::{EngineClient, LoadOptions};

/// The test embedding model (all-MiniLM-L6-v2) in its own engine worker.
#[derive(Clone)]
pub struct TestEmbedder {
    pub engine: EngineClient,
    model: EmbeddingModel,
    /// Every text given to the model, in order.
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestEmbedder {
    pub async fn start() -> TestEmbedder {
        let engine = EngineClient::from_environment().expect("hearth-engine is built");
        let options = LoadOptions {
            embeddings: true,
            n_ctx: Some(512),
            ..LoadOptions::default()
        };
        engine
            .load(&hearth_testkit::test_embedder(), options)
            .await
            .expect("the test embedder loads");
        TestEmbedder {
            engine,
            model: EmbeddingModel {
                id: "all-minilm".into(),
                ..EmbeddingModel::default()
            },
            seen: Default::default(),
        }
    }

    /// The same model presented as one trained with these prefixes (as nomic-embed-text is).
    pub async fn with_prefixes(query: &str, document: &str) -> TestEmbedder {
        let mut embedder = TestEmbedder::start().await;
        embedder.model.query_prefix = query.into();
        embedder.model.document_prefix = document.into();
        embedder
    }
}

impl Embedder for TestEmbedder {
    fn model(&self) -> &EmbeddingModel {
        &self.model
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, DocsError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.extend(texts.iter().cloned());
        }
        self.engine
            .embed(texts)
            .await
            .map(|(vectors, _)| vectors)
            .map_err(|e| DocsError::Embedding(e.to_string()))
    }
}

/// The reader program cargo built beside the tests.
pub fn reader() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hearth-extract"))
}

/// A LocalDocs database in `dir` with the real reader.
pub async fn open_docs(dir: &Path, limits: Limits) -> Docs {
    Docs::open_with(&dir.join("docs.db"), reader(), limits)
        .await
        .expect("docs.db opens")
}

/// A PDF whose pages hold these lines of text (Helvetica, one text line per line).
pub fn pdf(pages: &[&str]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids: Vec<Object> = Vec::new();
    for text in pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![60.into(), 780.into()]),
        ];
        for line in text.lines() {
            operations.push(Operation::new("Tj", vec![Object::string_literal(line)]));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode().expect("content encodes");
        let contents = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
        });
        kids.push(page.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

/// A PDF whose one page only draws a rectangle: a scan has pictures and no text layer.
pub fn pdf_without_text() -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::Stream;
    let content = Content {
        operations: vec![
            Operation::new("re", vec![50.into(), 50.into(), 400.into(), 600.into()]),
            Operation::new("f", vec![]),
        ],
    }
    .encode()
    .expect("content encodes");
    one_page_pdf(Stream::new(lopdf::dictionary! {}, content))
}

/// A PDF whose page content inflates to `inflated` bytes of spaces (a decompression bomb).
pub fn pdf_bomb(inflated: usize) -> Vec<u8> {
    use lopdf::{dictionary, Stream};
    let mut encoder = flate2_encoder();
    let block = vec![b' '; 1 << 20];
    for _ in 0..inflated >> 20 {
        encoder.write_all(&block).expect("deflate");
    }
    let compressed = encoder.finish().expect("deflate");
    let stream =
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, compressed).with_compression(false);
    one_page_pdf(stream)
}

/// A PDF of one A4 page with `contents` as its content stream.
fn one_page_pdf(contents: lopdf::Stream) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let contents = doc.add_object(contents);
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

fn flate2_encoder() -> flate2::write::ZlibEncoder<Vec<u8>> {
    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best())
}

/// `plain` encrypted by qpdf (AES-256) with a user password: it cannot be opened without it.
pub fn encrypted_pdf(dir: &Path, plain: &[u8]) -> Vec<u8> {
    let input = dir.join("plain-for-qpdf.pdf");
    let output = dir.join("encrypted-by-qpdf.pdf");
    std::fs::write(&input, plain).expect("write");
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "secret-user", "secret-owner", "256", "--"])
        .arg(&input)
        .arg(&output)
        .status()
        .expect("qpdf runs (make deps installs it)");
    assert!(status.success(), "qpdf failed");
    let bytes = std::fs::read(&output).expect("read");
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(output);
    bytes
}

/// A zip archive of these members, deflated.
pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        writer.start_file(*name, options).expect("zip member");
        writer.write_all(bytes).expect("zip write");
    }
    writer.finish().expect("zip finish");
    out.into_inner()
}

/// A Word document: `(style, text)` paragraphs (`Heading1`, `Heading2`, or `""` for body).
pub fn docx(paragraphs: &[(&str, &str)]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|(style, text)| {
            let props = if style.is_empty() {
                String::new()
            } else {
                format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#)
            };
            format!("<w:p>{props}<w:r><w:t>{}</w:t></w:r></w:p>", escape(text))
        })
        .collect();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    zip(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ])
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

/// A Word document whose text inflates to `inflated` bytes (a zip bomb).
pub fn docx_bomb(inflated: usize) -> Vec<u8> {
    let mut document = String::from(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>"#,
    );
    document.push_str(&"a".repeat(inflated));
    document.push_str("</w:t></w:r></w:p></w:body></w:document>");
    zip(&[("word/document.xml", document.as_bytes())])
}

/// An OpenDocument text: `(heading level, text)` paragraphs (0 for body).
pub fn odt(paragraphs: &[(usize, &str)]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|(level, text)| match level {
            0 => format!("<text:p>{}</text:p>", escape(text)),
            n => format!(
                r#"<text:h text:outline-level="{n}">{}</text:h>"#,
                escape(text)
            ),
        })
        .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
    ])
}

/// An EPUB of `(title, paragraphs)` chapters in this reading order.
pub fn epub(chapters: &[(&str, &[&str])]) -> Vec<u8> {
    let container = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
    let mut manifest = String::new();
    let mut spine = String::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for (i, (title, paragraphs)) in chapters.iter().enumerate() {
        let id = format!("ch{i}");
        let href = format!("chapter{i}.xhtml");
        manifest.push_str(&format!(
            r#"<item id="{id}" href="{href}" media-type="application/xhtml+xml"/>"#
        ));
        spine.push_str(&format!(r#"<itemref idref="{id}"/>"#));
        let body: String = paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect();
        files.push((
            format!("OEBPS/{href}"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>{}</title></head><body><h1>{}</h1>{body}</body></html>"#,
                escape(title),
                escape(title)
            ),
        ));
    }
    let opf = format!(
        r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>{manifest}</manifest><spine>{spine}</spine></package>"#
    );
    let mut members: Vec<(&str, &[u8])> = vec![
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", container.as_bytes()),
        ("OEBPS/content.opf", opf.as_bytes()),
    ];
    for (name, text) in &files {
        members.push((name, text.as_bytes()));
    }
    zip(&members)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
