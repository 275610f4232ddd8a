//! The documents of Arrears as PDF, each in Chinese and in English: the demand letter (催收函),
//! the lawyer's letter draft (律师函), the complaint draft (民事起诉状) with its claim table, the
//! repayment (还款证明) and settlement (结清证明) certificates with their verification QR codes,
//! and the index of an evidence bundle.
//!
//! Pure: a document is data in, PDF bytes out. Typst lays the page out from a template compiled
//! into the binary (`templates/*.typ`), reading the document's data as JSON; the text is never
//! spliced into markup, so a borrower's name cannot break or change a template. The font is an
//! embedded subset of Noto Sans CJK SC (GB 2312 and Latin, `fonts/subset.py`), which the PDF
//! carries in turn, subset again to the glyphs used. The same data gives the same bytes.

mod model;
mod qr;
mod words;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

pub use model::{BundleIndex, CertificateDoc, Complaint, IndexFile, Letter, Letterhead, Line};
pub use qr::qr_svg;
pub use words::yuan_in_words;

/// The language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A document to render.
#[derive(Debug, Clone)]
pub enum Document {
    /// 催收函: what is owed, by when, and what happens if it is not paid.
    Demand(Letter),
    /// 律师函 draft, for the lender's counsel to review and sign.
    LawyersLetter(Letter),
    /// 民事起诉状 draft with the claim table.
    Complaint(Complaint),
    /// 结清证明 or 还款证明, with the verification code and its QR code.
    Certificate(CertificateDoc),
    /// The evidence bundle's index: every file with its SHA-256.
    Index(BundleIndex),
}

impl Document {
    /// The template's name and the data it reads.
    fn parts(&self) -> (&'static str, serde_json::Value) {
        fn json<T: Serialize>(data: &T) -> serde_json::Value {
            serde_json::to_value(data).expect("document data is plain JSON")
        }
        match self {
            Document::Demand(d) => ("demand", json(d)),
            Document::LawyersLetter(d) => ("lawyer", json(d)),
            Document::Complaint(d) => ("complaint", json(d)),
            Document::Certificate(d) => ("certificate", json(d)),
            Document::Index(d) => ("index", json(d)),
        }
    }

    /// The document's kind, as the file names and the audit log say it.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Demand(_) => "demand-letter",
            Document::LawyersLetter(_) => "lawyers-letter",
            Document::Complaint(_) => "complaint",
            Document::Certificate(c) if c.kind == "settlement" => "settlement-certificate",
            Document::Certificate(_) => "repayment-certificate",
            Document::Index(_) => "index",
        }
    }
}

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The layout failed: a fault of the template or of the data it was given.
    #[error("the {document} document could not be laid out: {message}")]
    Layout { document: &'static str, message: String },
    #[error("the QR code of `{text}` could not be made: {message}")]
    Qr { text: String, message: String },
}

const TEMPLATES: [(&str, &str); 6] = [
    ("common", include_str!("../templates/common.typ")),
    ("demand", include_str!("../templates/demand.typ")),
    ("lawyer", include_str!("../templates/lawyer.typ")),
    ("complaint", include_str!("../templates/complaint.typ")),
    ("certificate", include_str!("../templates/certificate.typ")),
    ("index", include_str!("../templates/index.typ")),
];

const FONTS: [&[u8]; 2] =
    [include_bytes!("../fonts/NotoSansSC-Arrears-Regular.otf"), include_bytes!("../fonts/NotoSansSC-Arrears-Bold.otf")];

struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> =
            FONTS.iter().map(|bytes| Font::new(Bytes::new(*bytes), 0).expect("the embedded font parses")).collect();
        Shared { library: LazyHash::new(Library::default()), book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
    })
}

/// One compilation: the templates, the document's data and its QR code.
struct Job {
    main: FileId,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
}

fn file_id(path: &str) -> FileId {
    FileId::new(None, VirtualPath::new(path))
}

impl World for Job {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.sources.get(&id).cloned().ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }

    /// Documents carry their own dates; `datetime.today()` has no meaning in them.
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

fn messages(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; ")
}

/// Renders `document` in `lang`.
pub fn render(document: &Document, lang: Lang) -> Result<Pdf, DocError> {
    let (template, mut data) = document.parts();
    data["lang"] = serde_json::Value::from(lang.code());
    let mut sources = HashMap::new();
    for (name, text) in TEMPLATES {
        let id = file_id(&format!("/{name}.typ"));
        sources.insert(id, Source::new(id, text.to_owned()));
    }
    let mut files = HashMap::new();
    files.insert(file_id("/data.json"), Bytes::new(serde_json::to_vec(&data).expect("JSON")));
    if let Document::Certificate(c) = document {
        let svg = qr_svg(&c.verify_url).map_err(|message| DocError::Qr { text: c.verify_url.clone(), message })?;
        files.insert(file_id("/qr.svg"), Bytes::new(svg.into_bytes()));
    }
    let job = Job { main: file_id(&format!("/{template}.typ")), sources, files };
    let layout =
        |diagnostics: &[SourceDiagnostic]| DocError::Layout { document: document.kind(), message: messages(diagnostics) };
    let compiled = typst::compile::<PagedDocument>(&job);
    let paged = compiled.output.map_err(|e| layout(&e))?;
    let reference = data["head"]["reference"].as_str().unwrap_or(template).to_owned();
    let options = typst_pdf::PdfOptions { ident: Smart::Custom(&reference), ..Default::default() };
    let bytes = typst_pdf::pdf(&paged, &options).map_err(|e| layout(&e))?;
    Ok(Pdf { bytes, pages: paged.pages.len() })
}
