//! Reading PDFs back with poppler's `pdftotext` and `pdftoppm` (Debian's poppler-utils). A
//! machine without them skips these checks and says so, unless ARREARS_TEST_REQUIRE_POPPLER=1
//! (set by CI, which installs them) makes their absence a failure.

use std::io::Write;
use std::process::Command;

fn available(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var("ARREARS_TEST_REQUIRE_POPPLER").as_deref() != Ok("1"),
            "{tool} is required (ARREARS_TEST_REQUIRE_POPPLER=1): apt-get install poppler-utils"
        );
        eprintln!("{tool} not found: the PDF is not read back (apt-get install poppler-utils)");
    }
    found
}

fn temp_pdf(pdf: &[u8]) -> tempfile::Pdf {
    tempfile::Pdf::new(pdf)
}

/// The text of `pdf`, in reading order, or `None` without pdftotext.
pub fn text(pdf: &[u8]) -> Option<String> {
    if !available("pdftotext") {
        return None;
    }
    let file = temp_pdf(pdf);
    let out = Command::new("pdftotext").args(["-layout", "-enc", "UTF-8"]).arg(&file.path).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// A page of `pdf` in grey at `dpi`: (width, height, one byte a pixel), or `None` without pdftoppm.
pub fn page_grey(pdf: &[u8], page: usize, dpi: u32) -> Option<(usize, usize, Vec<u8>)> {
    if !available("pdftoppm") {
        return None;
    }
    let file = temp_pdf(pdf);
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", &dpi.to_string(), "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(&file.path)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&out.stderr));
    Some(parse_pgm(&out.stdout))
}

/// A binary PGM (P5, maxval 255): the header's four fields, then the pixels.
fn parse_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"), "a greyscale PGM");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

/// The share of a page's pixels that are not white, in thousandths.
#[allow(dead_code)]
pub fn ink_per_mille(pixels: &[u8]) -> usize {
    pixels.iter().filter(|&&p| p < 200).count() * 1000 / pixels.len()
}

/// The text of every QR code on a greyscale page.
pub fn qr_codes(width: usize, height: usize, pixels: &[u8]) -> Vec<String> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    image.detect_grids().iter().filter_map(|g| g.decode().ok()).map(|(_, text)| text).collect()
}

mod tempfile {
    use super::Write;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A PDF written to the temporary directory for a tool to read, removed when dropped.
    pub struct Pdf {
        pub path: PathBuf,
    }

    impl Pdf {
        pub fn new(bytes: &[u8]) -> Pdf {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "arrears-doc-{}-{}.pdf",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
            Pdf { path }
        }
    }

    impl Drop for Pdf {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
