//! The use cases of Arrears, over the store: opening a database, products, loan import,
//! payments and reversals, the nightly batch, loan and portfolio views, and the demo book.
//!
//! Each use case runs in one transaction and either commits all it changed or nothing.

pub mod auth;
pub mod book;
pub mod borrowers;
pub mod bureau;
pub mod calls;
pub mod certificates;
pub mod collect;
pub mod complaints;
pub mod compliance;
pub mod dashboard;
pub mod demo;
pub mod demo_desk;
pub mod demo_hardship;
pub mod disputes;
pub mod documents;
pub mod eod;
pub mod evidence;
pub mod explain;
pub mod hardship;
pub mod import;
pub mod legal;
pub mod metro2;
pub mod outbox;
pub mod parallel;
pub mod products;
pub mod regulator;
pub mod risk;
pub mod service;
pub mod settings;
pub mod writeoff;

use arrears_core::{Date, LoanError, TermsError};
use arrears_store::StoreError;

/// Who did something, for the audit log.
pub const SYSTEM_ACTOR: &str = "system";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Loan(#[from] LoanError),
    #[error(transparent)]
    Terms(#[from] TermsError),
    #[error("{what} `{id}` does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("key: `{key}` was already used for a different payment ({existing}); use a new key")]
    KeyReused { key: String, existing: String },
    #[error("date: {date} is before the business date {business_date}; the business date only moves forward")]
    BackInTime { date: Date, business_date: Date },
    #[error("date: {date} skips days after the business date {business_date}; run `arrears eod --until {date}` to close each day in turn")]
    SkipsDays { date: Date, business_date: Date },
    #[error("the nightly batch was stopped after {partitions} partitions, as asked; run it again to finish")]
    Interrupted { partitions: usize },
    #[error("import: {0} bad rows; nothing was imported (use --skip-bad to import the good rows and write the bad ones to a reject file)")]
    ImportRejected(usize),
    #[error("io: {0}")]
    Io(String),
}

impl AppError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
        AppError::Invalid { field, message: message.into() }
    }
}

/// Opens the database at `url` and checks its schema is this build's.
pub fn open(url: &str) -> Result<arrears_store::Store, AppError> {
    let mut store = arrears_store::Store::open(url)?;
    store.check_schema()?;
    Ok(store)
}

/// Opens (creating if needed) and migrates the database at `url`, and adds the default
/// products it does not have yet. Returns the schema version.
pub fn init(url: &str) -> Result<(arrears_store::Store, i64), AppError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| AppError::Io(format!("{}: {e}", parent.display())))?;
        }
    }
    let mut store = arrears_store::Store::create(url)?;
    let version = store.migrate()?;
    store.transaction(|tx| {
        for (code, name, rules) in products::defaults() {
            if tx.product(code)?.is_none() {
                tx.upsert_product(code, name, &rules)?;
            }
        }
        Ok::<_, AppError>(())
    })?;
    Ok((store, version))
}
