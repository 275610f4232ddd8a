//! The evidence bundle: the files of a case in one zip, each with its SHA-256 in a manifest,
//! and the manifest signed with the lender's Ed25519 key. Verifying it finds any file altered,
//! missing or added, and a manifest not signed by the key.
//!
//! Packing and verifying work on bytes in memory; the caller reads and writes the files.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use arrears_core::Date;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The bundle format, named in its manifest.
pub const FORMAT: &str = "arrears-evidence/1";
/// The manifest's name in the zip, and its signature's.
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";

/// A file to put in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What a bundle holds and who signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub loan: String,
    pub created: String,
    pub files: Vec<Entry>,
    /// The signer's Ed25519 public key, hex.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("key: {0}")]
    Key(String),
    #[error("file name `{0}`: a bundle file is named by letters, digits, dots, dashes and underscores")]
    Name(String),
    #[error("bundle: not a readable zip: {0}")]
    Zip(String),
    #[error("bundle: no {0}; it is not an evidence bundle")]
    NotABundle(&'static str),
    #[error("bundle: the manifest is not {FORMAT}: {0}")]
    Manifest(String),
    #[error("bundle: the manifest's signature does not verify with its key: the manifest was changed")]
    BadSignature,
    #[error("bundle: signed by key {found}, not the lender's {expected}")]
    WrongKey { found: String, expected: String },
    #[error("bundle: {0} was altered (its SHA-256 is not the manifest's)")]
    Altered(String),
    #[error("bundle: {0} is in the manifest but missing")]
    Missing(String),
    #[error("bundle: {0} was added; it is not in the manifest")]
    Added(String),
    #[error("bundle: the zip's own records (dates, attributes, layout) were changed; it is not byte for byte the bundle signed")]
    Records,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len()).step_by(2).map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok()).collect()
}

/// The SHA-256 of `bytes`, hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A new signing key: 32 random bytes, hex (the lender keeps it secret).
pub fn new_key() -> Result<String, BundleError> {
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| BundleError::Key("no randomness".into()))?;
    Ok(hex(&seed))
}

fn key_pair(key_hex: &str) -> Result<Ed25519KeyPair, BundleError> {
    let seed =
        unhex(key_hex).filter(|s| s.len() == 32).ok_or_else(|| BundleError::Key("a signing key is 64 hex digits".into()))?;
    Ed25519KeyPair::from_seed_unchecked(&seed).map_err(|_| BundleError::Key("not an Ed25519 seed".into()))
}

/// The public key of a signing key, hex: what a verifier checks bundles against.
pub fn public_key(key_hex: &str) -> Result<String, BundleError> {
    Ok(hex(key_pair(key_hex)?.public_key().as_ref()))
}

fn good_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && name != MANIFEST
        && name != SIGNATURE
}

/// Packs `files` (names distinct) with their manifest and its signature by `key_hex`.
pub fn pack(loan: &str, created: Date, files: &[BundleFile], key_hex: &str) -> Result<Vec<u8>, BundleError> {
    let pair = key_pair(key_hex)?;
    if let Some(bad) = files.iter().find(|f| !good_name(&f.name)) {
        return Err(BundleError::Name(bad.name.clone()));
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        loan: loan.to_owned(),
        created: created.to_string(),
        files: files
            .iter()
            .map(|f| Entry { name: f.name.clone(), sha256: sha256(&f.bytes), bytes: f.bytes.len() as u64 })
            .collect(),
        public_key: hex(pair.public_key().as_ref()),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialise");
    let signature = hex(pair.sign(&manifest_bytes).as_ref());
    let mut entries: Vec<(&str, &[u8])> = files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())).collect();
    entries.push((MANIFEST, &manifest_bytes));
    entries.push((SIGNATURE, signature.as_bytes()));
    write_zip(&entries)
}

/// The zip of `entries`, in order, written the one way a bundle is: stored (not compressed),
/// dated 1980-01-01, no extra fields. So the same entries always give the same bytes, and a
/// verifier can tell a changed zip record (a date, an attribute) from the bundle that was
/// signed, not only a changed file.
fn write_zip(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, BundleError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in entries {
        zip.start_file(*name, options).map_err(|e| BundleError::Zip(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| BundleError::Zip(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| BundleError::Zip(e.to_string()))?.into_inner())
}

/// Verifies a bundle: its manifest signed by its key (and that key the lender's
/// `expected_key`, when given), and every file present, unaltered, and listed.
pub fn verify(bytes: &[u8], expected_key: Option<&str>) -> Result<Manifest, BundleError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| BundleError::Zip(e.to_string()))?;
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut order = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| BundleError::Zip(e.to_string()))?;
        let name = file.name().map_err(|e| BundleError::Zip(e.to_string()))?.into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(|e| BundleError::Zip(format!("{name}: {e}")))?;
        order.push(name.clone());
        contents.insert(name, data);
    }
    let all = contents.clone();
    let manifest_bytes = contents.remove(MANIFEST).ok_or(BundleError::NotABundle(MANIFEST))?;
    let signature = contents.remove(SIGNATURE).ok_or(BundleError::NotABundle(SIGNATURE))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| BundleError::Manifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(BundleError::Manifest(format!("it says `{}`", manifest.format)));
    }
    if let Some(expected) = expected_key.map(str::trim) {
        if !manifest.public_key.eq_ignore_ascii_case(expected) {
            return Err(BundleError::WrongKey { found: manifest.public_key.clone(), expected: expected.to_owned() });
        }
    }
    let key = unhex(&manifest.public_key).ok_or(BundleError::BadSignature)?;
    let sig = std::str::from_utf8(&signature).ok().and_then(unhex).ok_or(BundleError::BadSignature)?;
    UnparsedPublicKey::new(&ED25519, key).verify(&manifest_bytes, &sig).map_err(|_| BundleError::BadSignature)?;
    for entry in &manifest.files {
        let data = contents.remove(&entry.name).ok_or_else(|| BundleError::Missing(entry.name.clone()))?;
        if sha256(&data) != entry.sha256 || data.len() as u64 != entry.bytes {
            return Err(BundleError::Altered(entry.name.clone()));
        }
    }
    if let Some(extra) = contents.keys().next() {
        return Err(BundleError::Added(extra.clone()));
    }
    // Every file is as signed; the zip's own records must be as written too.
    let entries: Vec<(&str, &[u8])> = order.iter().map(|n| (n.as_str(), all[n].as_slice())).collect();
    if write_zip(&entries)? != bytes {
        return Err(BundleError::Records);
    }
    Ok(manifest)
}
