//! Storage of Arrears: one repository layer over SQLite (the default, an embedded file) and
//! PostgreSQL (production), with migrations for both.
//!
//! [`Store`] opens a database by URL and runs migrations; [`Tx`] is a transaction and holds
//! every query the application makes, written once for both backends over [`conn::Conn`].
//! Loans are stored as one row each: the immutable terms and the servicing state as JSON from
//! the pure core, beside the summary columns (bucket, class, balances, next event date) that
//! the nightly batch and the reports select on.

pub mod collect;
pub mod conn;
pub mod credit;
pub mod dashboard;
pub mod hardship;
pub mod legal;
pub mod logins;
pub mod risk;

use std::fmt::Write as _;

use arrears_core::ledger::{Account, Entry, EntryKind, Line};
use arrears_core::status::StatusChange;
use arrears_core::{Amount, Bucket, Classification, Date, LoanState, LoanStatus, LoanTerms, ProductRules};

pub use collect::{
    AgentResult, AgentRow, ArmResult, BorrowerRecord, CallTask, ContactRow, ContactSummary, FlagsRow, NewContact, OutboxRow,
    PromiseRow,
};
pub use conn::{Backend, Value};
use conn::{Conn, PgConn, Row, SqliteConn};
pub use credit::{ComplaintRow, DisputeRow, Identity, NewComplaint, WriteOffRow};
pub use dashboard::{ArmLine, BookLine, BucketMonth, CureCount, Funnel, RollCount, VintageLate, WriteOffMonth};
pub use hardship::{HardshipRow, NewHardship};
pub use legal::{CaseRow, CaseStep, DocumentRow};
pub use logins::{ApiKeyRow, SessionRow};
pub use risk::{MonthRow, MonthTotal, RiskRunRow, ScoreRow};

/// The schema version the migrations in this build reach.
pub const SCHEMA_VERSION: i64 = 10;
/// The schema version that added `loans.reference_due`, filled in for existing loans by code.
const REFERENCE_DUE_VERSION: i64 = 2;
/// The schema version that added the dashboard's month-end figures, counted for the months
/// recorded before by code.
const MONTH_FIGURES_VERSION: i64 = 10;
/// Rows per multi-row INSERT: below SQLite's and PostgreSQL's parameter limits for every table.
const INSERT_CHUNK: usize = 400;

const MIGRATIONS_SQLITE: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_collections.sql"),
    include_str!("../migrations/sqlite/0003_risk.sql"),
    include_str!("../migrations/sqlite/0004_credit.sql"),
    include_str!("../migrations/sqlite/0005_hardship.sql"),
    include_str!("../migrations/sqlite/0006_legal.sql"),
    include_str!("../migrations/sqlite/0007_documents.sql"),
    include_str!("../migrations/sqlite/0008_logins.sql"),
    include_str!("../migrations/sqlite/0009_api_keys.sql"),
    include_str!("../migrations/sqlite/0010_month_figures.sql"),
];
const MIGRATIONS_POSTGRES: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_collections.sql"),
    include_str!("../migrations/postgres/0003_risk.sql"),
    include_str!("../migrations/postgres/0004_credit.sql"),
    include_str!("../migrations/postgres/0005_hardship.sql"),
    include_str!("../migrations/postgres/0006_legal.sql"),
    include_str!("../migrations/postgres/0007_documents.sql"),
    include_str!("../migrations/postgres/0008_logins.sql"),
    include_str!("../migrations/postgres/0009_api_keys.sql"),
    include_str!("../migrations/postgres/0010_month_figures.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("unsupported database URL `{0}`: use sqlite://FILE or postgres://USER@HOST/DB")]
    Url(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("the database has schema version {found}; this build knows up to {SCHEMA_VERSION}: upgrade arrears")]
    TooNew { found: i64 },
    #[error("the database is not initialised: run `arrears init`")]
    NotInitialised,
}

/// An open database.
pub struct Store {
    conn: Box<dyn Conn>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.conn.backend())
    }
}

impl Store {
    /// Opens `sqlite://FILE` (or `sqlite::memory:`) or `postgres://…` / `postgresql://…`. A
    /// SQLite file that does not exist is not created: that is [`Store::create`]'s job.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, false)
    }

    /// Opens the database at `url`, creating a SQLite file if there is none.
    pub fn create(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, true)
    }

    fn connect(url: &str, create: bool) -> Result<Store, StoreError> {
        let conn: Box<dyn Conn> = if let Some(path) = url.strip_prefix("sqlite://") {
            Box::new(SqliteConn::open(path, create)?)
        } else if url == "sqlite::memory:" {
            Box::new(SqliteConn::open(":memory:", true)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(PgConn::open(url)?)
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        Ok(Store { conn })
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Creates or upgrades the schema; returns the version reached.
    pub fn migrate(&mut self) -> Result<i64, StoreError> {
        self.migrate_to(SCHEMA_VERSION)
    }

    /// Creates or upgrades the schema up to `target` only: for tests of the upgrade path from a
    /// database an earlier release made.
    #[doc(hidden)]
    pub fn migrate_to(&mut self, target: i64) -> Result<i64, StoreError> {
        let migrations = match self.backend() {
            Backend::Sqlite => MIGRATIONS_SQLITE,
            Backend::Postgres => MIGRATIONS_POSTGRES,
        };
        self.transaction(|tx| {
            let found = tx.schema_version()?;
            if found > SCHEMA_VERSION {
                return Err(StoreError::TooNew { found });
            }
            for (i, sql) in migrations.iter().enumerate().take(target.min(SCHEMA_VERSION) as usize).skip(found as usize) {
                tx.conn.batch(sql)?;
                if i as i64 + 1 == REFERENCE_DUE_VERSION {
                    tx.backfill_reference_due()?;
                }
                if i as i64 + 1 == MONTH_FIGURES_VERSION {
                    tx.backfill_month_figures()?;
                }
                tx.set_meta("schema_version", &(i as i64 + 1).to_string())?;
            }
            Ok(target.min(SCHEMA_VERSION).max(found))
        })
    }

    /// Fails unless the schema is this build's.
    pub fn check_schema(&mut self) -> Result<(), StoreError> {
        let found = self.read(|tx| tx.schema_version())?;
        match found {
            0 => Err(StoreError::NotInitialised),
            v if v > SCHEMA_VERSION => Err(StoreError::TooNew { found: v }),
            v if v < SCHEMA_VERSION => {
                Err(StoreError::Connect(format!("schema version {v} is old: run `arrears init` to migrate")))
            }
            _ => Ok(()),
        }
    }

    /// Runs `f` in a write transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        self.conn.begin()?;
        let mut tx = Tx { conn: self.conn.as_mut(), writable: true };
        match f(&mut tx) {
            Ok(v) => {
                self.conn.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                // The rollback's own failure would hide the cause; the cause is what matters.
                let _ = self.conn.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Runs `f` in a read transaction: every query in it sees the same snapshot (a loan's state
    /// and its ledger agree). Nothing is written; the transaction is rolled back.
    pub fn read<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        self.conn.batch(match self.conn.backend() {
            Backend::Sqlite => "BEGIN DEFERRED",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        })?;
        let mut tx = Tx { conn: self.conn.as_mut(), writable: false };
        let result = f(&mut tx);
        // Ending a read cannot lose anything; its own failure would hide the result.
        let _ = self.conn.batch("ROLLBACK");
        result
    }
}

/// A loan as stored.
#[derive(Debug, Clone)]
pub struct LoanRecord {
    pub seq: i64,
    pub loan_no: String,
    pub borrower_id: String,
    pub product: String,
    pub terms: LoanTerms,
    pub state: LoanState,
    pub version: i64,
    pub ledger_rows: i64,
    pub history_rows: i64,
}

/// A loan row as read, not yet decoded. Decoding (parsing its JSON) is the costly part of a
/// read, so the nightly batch does it on its worker threads rather than in the one reader.
#[derive(Debug, Clone)]
pub struct RawLoan(Row);

impl RawLoan {
    pub fn decode(&self) -> Result<LoanRecord, StoreError> {
        Tx::loan_from_row(&self.0)
    }
}

/// A loan's state made ready for its row: the JSON and the summary columns. Building it is
/// the costly part of a write, so the batch builds it on its worker threads.
#[derive(Debug, Clone)]
pub struct EncodedLoan {
    state_json: String,
    summary: Vec<Value>,
}

impl EncodedLoan {
    pub fn new(terms: &LoanTerms, state: &LoanState) -> EncodedLoan {
        EncodedLoan { state_json: json(state), summary: summary(terms, state) }
    }
}

/// A loan's new state to write, checked against the version it was read at.
#[derive(Debug, Clone)]
pub struct LoanUpdate {
    pub seq: i64,
    pub encoded: EncodedLoan,
    pub expected_version: i64,
    pub ledger_rows: i64,
    pub history_rows: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: i64,
    pub idem_key: String,
    pub loan_seq: i64,
    pub amount: Amount,
    pub value_date: Date,
    pub status: PaymentStatus,
    /// The allocation as JSON, as the core produced it.
    pub allocation: String,
    pub reversal_key: Option<String>,
}

impl PaymentRecord {
    /// What a replay of the loan needs of this payment.
    pub fn fact(&self) -> arrears_core::PaymentFact {
        arrears_core::PaymentFact { date: self.value_date, amount: self.amount }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Posted,
    Reversed,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Posted => "posted",
            PaymentStatus::Reversed => "reversed",
        }
    }
}

/// A ledger entry as stored, with its number on the loan and what caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub entry_no: i64,
    pub reference: String,
    pub entry: Entry,
}

/// One line of the portfolio: loans and balances of one bucket and class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioRow {
    pub status: String,
    pub bucket: String,
    pub class: String,
    pub loans: i64,
    pub principal_outstanding: Amount,
    pub total_outstanding: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EodRun {
    pub business_date: Date,
    pub status: String,
    pub loans_touched: i64,
    pub events: i64,
}

/// A transaction (or, from [`Store::read`], a plain connection) and every query on it.
pub struct Tx<'a> {
    conn: &'a mut dyn Conn,
    /// A write transaction locks the loan rows it reads (PostgreSQL); a read one cannot.
    writable: bool,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tx")
    }
}

const LOAN_COLUMNS: &str = "seq, loan_no, borrower_id, product, terms, state, version, ledger_rows, history_rows";

fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|e| StoreError::Corrupt(format!("date `{text}`: {e}")))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("core values serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The summary columns of a loan, derived from its state.
fn summary(terms: &LoanTerms, state: &LoanState) -> Vec<Value> {
    let outstanding = state.outstanding();
    vec![
        Value::from(status_code(state.status)),
        Value::from(state.as_of.to_string()),
        Value::from(state.bucket.label()),
        Value::from(state.class.label()),
        Value::from(state.oldest_unpaid_due().map(|d| d.to_string())),
        Value::from(outstanding.principal.0),
        Value::from(outstanding.total().0),
        Value::from(state.next_event_date(terms).map(|d| d.to_string())),
        Value::from(state.reference_installment().map(|i| i.due_date.to_string())),
    ]
}

pub fn status_code(status: LoanStatus) -> &'static str {
    match status {
        LoanStatus::Active => "active",
        LoanStatus::PaidOff => "paid-off",
        LoanStatus::WrittenOff => "written-off",
    }
}

impl Tx<'_> {
    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// `FOR UPDATE` where rows can and need be locked: in a write transaction on PostgreSQL
    /// (SQLite's write transaction already holds the one write lock).
    fn row_lock(&self) -> &'static str {
        if self.writable && self.backend() == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    fn schema_version(&mut self) -> Result<i64, StoreError> {
        let exists = match self.backend() {
            Backend::Sqlite => {
                self.conn.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", &[])?
            }
            Backend::Postgres => self.conn.query(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'",
                &[],
            )?,
        };
        if exists[0].int(0)? == 0 {
            return Ok(0);
        }
        Ok(self.meta("schema_version")?.map(|v| v.parse().unwrap_or(0)).unwrap_or(0))
    }

    /// A setting of this database (`schema_version`, `business_date`, `demo`, …).
    pub fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT value FROM meta WHERE key = $1", &[key.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[key.into(), value.into()],
        )?;
        Ok(())
    }

    /// The last business date closed by the nightly batch, if any.
    pub fn business_date(&mut self) -> Result<Option<Date>, StoreError> {
        self.meta("business_date")?.map(|d| parse_date(&d)).transpose()
    }

    pub fn set_business_date(&mut self, date: Date) -> Result<(), StoreError> {
        self.set_meta("business_date", &date.to_string())
    }

    pub fn upsert_product(&mut self, code: &str, name: &str, rules: &ProductRules) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO products (code, name, rules) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET name = excluded.name, rules = excluded.rules",
            &[code.into(), name.into(), json(rules).into()],
        )?;
        Ok(())
    }

    pub fn product(&mut self, code: &str) -> Result<Option<(String, ProductRules)>, StoreError> {
        let rows = self.conn.query("SELECT name, rules FROM products WHERE code = $1", &[code.into()])?;
        rows.first().map(|r| Ok((r.text(0)?.to_owned(), from_json("product rules", r.text(1)?)?))).transpose()
    }

    /// The sequence number the next inserted loan should take.
    pub fn next_loan_seq(&mut self) -> Result<i64, StoreError> {
        let rows = self.conn.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM loans", &[])?;
        rows[0].int(0)
    }

    /// Which of these loan numbers already exist.
    pub fn existing_loan_nos(&mut self, loan_nos: &[&str]) -> Result<Vec<String>, StoreError> {
        let mut found = Vec::new();
        for chunk in loan_nos.chunks(INSERT_CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT loan_no FROM loans WHERE loan_no IN ({})", placeholders.join(", "));
            let params: Vec<Value> = chunk.iter().map(|&s| s.into()).collect();
            for row in self.conn.query(&sql, &params)? {
                found.push(row.text(0)?.to_owned());
            }
        }
        Ok(found)
    }

    /// Inserts new loans (sequence numbers already assigned) with their disbursement entries.
    pub fn insert_loans(&mut self, loans: &[LoanRecord]) -> Result<(), StoreError> {
        let rows = loans
            .iter()
            .map(|l| {
                let mut row = vec![
                    Value::from(l.seq),
                    Value::from(l.loan_no.as_str()),
                    Value::from(l.borrower_id.as_str()),
                    Value::from(l.product.as_str()),
                    Value::from(l.terms.currency().code()),
                    Value::from(l.terms.principal().0),
                    Value::from(l.terms.start_date().to_string()),
                    Value::from(json(&l.terms)),
                    Value::from(json(&l.state)),
                ];
                row.extend(summary(&l.terms, &l.state));
                row.extend([Value::from(l.version), Value::from(l.ledger_rows), Value::from(l.history_rows)]);
                row
            })
            .collect();
        self.insert_rows(
            "loans",
            &[
                "seq",
                "loan_no",
                "borrower_id",
                "product",
                "currency",
                "principal",
                "start_date",
                "terms",
                "state",
                "status",
                "as_of",
                "bucket",
                "class",
                "oldest_unpaid_due",
                "principal_outstanding",
                "total_outstanding",
                "next_event",
                "reference_due",
                "version",
                "ledger_rows",
                "history_rows",
            ],
            rows,
        )
    }

    fn loan_from_row(row: &Row) -> Result<LoanRecord, StoreError> {
        let loan_no = row.text(1)?.to_owned();
        Ok(LoanRecord {
            seq: row.int(0)?,
            borrower_id: row.text(2)?.to_owned(),
            product: row.text(3)?.to_owned(),
            terms: from_json(&format!("terms of loan {loan_no}"), row.text(4)?)?,
            state: from_json(&format!("state of loan {loan_no}"), row.text(5)?)?,
            version: row.int(6)?,
            ledger_rows: row.int(7)?,
            history_rows: row.int(8)?,
            loan_no,
        })
    }

    /// A loan by its number; in a write transaction on PostgreSQL the row is locked.
    pub fn loan(&mut self, loan_no: &str) -> Result<Option<LoanRecord>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {LOAN_COLUMNS} FROM loans WHERE loan_no = $1{lock}"), &[loan_no.into()])?;
        rows.first().map(Self::loan_from_row).transpose()
    }

    /// The loan number of loan `seq`, without reading the loan itself.
    pub fn loan_no_of(&mut self, seq: i64) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT loan_no FROM loans WHERE seq = $1", &[seq.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    pub fn loan_by_seq(&mut self, seq: i64) -> Result<Option<LoanRecord>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {LOAN_COLUMNS} FROM loans WHERE seq = $1{lock}"), &[seq.into()])?;
        rows.first().map(Self::loan_from_row).transpose()
    }

    /// Up to `limit` loans with an event on or before `date`, earliest event first. A loan
    /// the batch has moved past `date` leaves this set, so calling again gives the next ones.
    pub fn loans_due(&mut self, date: Date, limit: i64) -> Result<Vec<RawLoan>, StoreError> {
        // On PostgreSQL the rows are locked, so a payment on one of them waits for the
        // partition to commit (and then sees its result) instead of making it fail.
        let lock = self.row_lock();
        let rows = self.conn.query(
            &format!("SELECT {LOAN_COLUMNS} FROM loans WHERE next_event <= $1 ORDER BY next_event, seq LIMIT $2{lock}"),
            &[date.to_string().into(), limit.into()],
        )?;
        Ok(rows.into_iter().map(RawLoan).collect())
    }

    /// Up to `limit` loans after sequence number `after_seq`, in sequence order: a bounded
    /// page of a scan over the whole book.
    /// The loans of a borrower, oldest first.
    pub fn loans_of_borrower(&mut self, borrower_id: &str) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {LOAN_COLUMNS} FROM loans WHERE borrower_id = $1 ORDER BY seq"), &[borrower_id.into()])?;
        rows.iter().map(Self::loan_from_row).collect()
    }

    pub fn loans_page(&mut self, after_seq: i64, limit: i64) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {LOAN_COLUMNS} FROM loans WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[after_seq.into(), limit.into()],
        )?;
        rows.iter().map(Self::loan_from_row).collect()
    }

    /// Posted payments of the loans with sequence numbers in `first..=last`, by loan and id.
    pub fn posted_payments_between(&mut self, first: i64, last: i64) -> Result<Vec<PaymentRecord>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT {} FROM payments WHERE loan_seq >= $1 AND loan_seq <= $2 AND status = 'posted' ORDER BY loan_seq, id",
                Self::PAYMENT_COLUMNS
            ),
            &[first.into(), last.into()],
        )?;
        rows.iter().map(Self::payment_from_row).collect()
    }

    /// The earliest next event of any loan.
    pub fn earliest_event(&mut self) -> Result<Option<Date>, StoreError> {
        let rows = self.conn.query("SELECT MIN(next_event) FROM loans", &[])?;
        rows[0].opt_text(0)?.map(parse_date).transpose()
    }

    /// Number of loans with an event on or before `date`.
    pub fn count_loans_due(&mut self, date: Date) -> Result<i64, StoreError> {
        self.conn.query("SELECT count(*) FROM loans WHERE next_event <= $1", &[date.to_string().into()])?[0].int(0)
    }

    /// Writes new states; fails with a conflict if any loan changed since it was read.
    pub fn update_loans(&mut self, updates: &[LoanUpdate]) -> Result<(), StoreError> {
        // seq, state, then the nine summary columns, then version, ledger_rows, history_rows.
        const CASTS: [&str; 14] = [
            "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "TEXT", "TEXT", "BIGINT", "BIGINT",
            "BIGINT",
        ];
        for chunk in updates.chunks(INSERT_CHUNK / 2) {
            let mut sql = String::from(
                "WITH v (seq, state, status, as_of, bucket, class, oldest_unpaid_due, principal_outstanding, total_outstanding, \
                 next_event, reference_due, version, ledger_rows, history_rows) AS (VALUES ",
            );
            let mut params = Vec::with_capacity(chunk.len() * CASTS.len());
            for (i, u) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for (j, cast) in CASTS.iter().enumerate() {
                    let sep = if j == 0 { "" } else { ", " };
                    write!(sql, "{sep}CAST(${} AS {cast})", i * CASTS.len() + j + 1).expect("writing to a String");
                }
                sql.push(')');
                params.push(Value::from(u.seq));
                params.push(Value::from(u.encoded.state_json.as_str()));
                params.extend(u.encoded.summary.iter().cloned());
                params.extend([Value::from(u.expected_version), Value::from(u.ledger_rows), Value::from(u.history_rows)]);
            }
            sql.push_str(
                ") UPDATE loans SET state = v.state, status = v.status, as_of = v.as_of, bucket = v.bucket, class = v.class, \
                 oldest_unpaid_due = v.oldest_unpaid_due, principal_outstanding = v.principal_outstanding, \
                 total_outstanding = v.total_outstanding, next_event = v.next_event, reference_due = v.reference_due, \
                 version = v.version + 1, \
                 ledger_rows = v.ledger_rows, history_rows = v.history_rows FROM v WHERE loans.seq = v.seq AND loans.version = v.version",
            );
            let changed = self.conn.execute(&sql, &params)? as usize;
            if changed != chunk.len() {
                return Err(StoreError::Conflict(format!(
                    "{} of {} loans changed while they were being processed",
                    chunk.len() - changed,
                    chunk.len()
                )));
            }
        }
        Ok(())
    }

    /// Appends ledger entries to a loan, numbered from `first_no`.
    pub fn append_ledger(&mut self, loan_seq: i64, first_no: i64, entries: &[Entry], reference: &str) -> Result<(), StoreError> {
        self.append_ledger_many(&[(loan_seq, first_no, entries, reference)])
    }

    /// Appends ledger entries of many loans at once: `(loan, first entry number, entries, reference)`.
    pub fn append_ledger_many(&mut self, batches: &[(i64, i64, &[Entry], &str)]) -> Result<(), StoreError> {
        let mut entry_rows = Vec::new();
        let mut line_rows = Vec::new();
        for &(loan_seq, first_no, entries, reference) in batches {
            for (k, entry) in entries.iter().enumerate() {
                let no = first_no + k as i64;
                entry_rows.push(vec![
                    loan_seq.into(),
                    no.into(),
                    entry.date.to_string().into(),
                    entry.kind.code().into(),
                    reference.into(),
                ]);
                for (j, line) in entry.lines.iter().enumerate() {
                    line_rows.push(vec![
                        loan_seq.into(),
                        no.into(),
                        (j as i64).into(),
                        line.account.code().into(),
                        line.amount.0.into(),
                    ]);
                }
            }
        }
        self.insert_rows("ledger_entries", &["loan_seq", "entry_no", "entry_date", "kind", "reference"], entry_rows)?;
        self.insert_rows("ledger_lines", &["loan_seq", "entry_no", "line_no", "account", "amount"], line_rows)
    }

    /// A loan's ledger in entry order.
    pub fn ledger(&mut self, loan_seq: i64) -> Result<Vec<StoredEntry>, StoreError> {
        let entries = self.conn.query(
            "SELECT entry_no, entry_date, kind, reference FROM ledger_entries WHERE loan_seq = $1 ORDER BY entry_no",
            &[loan_seq.into()],
        )?;
        let lines = self.conn.query(
            "SELECT entry_no, account, amount FROM ledger_lines WHERE loan_seq = $1 ORDER BY entry_no, line_no",
            &[loan_seq.into()],
        )?;
        let mut out = Vec::with_capacity(entries.len());
        let mut lines = lines.iter().peekable();
        for e in &entries {
            let no = e.int(0)?;
            let kind = EntryKind::parse(e.text(2)?)
                .ok_or_else(|| StoreError::Corrupt(format!("entry kind `{}`", e.text(2).unwrap_or(""))))?;
            let mut entry_lines = Vec::new();
            while let Some(l) = lines.next_if(|l| l.int(0).is_ok_and(|n| n == no)) {
                let account = Account::parse(l.text(1)?)
                    .ok_or_else(|| StoreError::Corrupt(format!("account `{}`", l.text(1).unwrap_or(""))))?;
                entry_lines.push(Line { account, amount: Amount(l.int(2)?) });
            }
            let date = parse_date(e.text(1)?)?;
            let entry = Entry::new(date, kind, entry_lines)
                .map_err(|u| StoreError::Corrupt(format!("loan {loan_seq} entry {no}: {u}")))?;
            out.push(StoredEntry { entry_no: no, reference: e.text(3)?.to_owned(), entry });
        }
        Ok(out)
    }

    /// Appends status changes to a loan's history, numbered from `first_row`.
    pub fn append_history(
        &mut self,
        loan_seq: i64,
        first_row: i64,
        changes: &[StatusChange],
        source: &str,
    ) -> Result<(), StoreError> {
        self.append_history_many(&[(loan_seq, first_row, changes, source)])
    }

    pub fn append_history_many(&mut self, batches: &[(i64, i64, &[StatusChange], &str)]) -> Result<(), StoreError> {
        let mut rows = Vec::new();
        for &(loan_seq, first_row, changes, source) in batches {
            for (k, c) in changes.iter().enumerate() {
                rows.push(vec![
                    loan_seq.into(),
                    (first_row + k as i64).into(),
                    c.date.to_string().into(),
                    i64::from(c.dpd).into(),
                    c.from_bucket.label().into(),
                    c.to_bucket.label().into(),
                    c.from_class.label().into(),
                    c.to_class.label().into(),
                    source.into(),
                ]);
            }
        }
        self.insert_rows(
            "status_history",
            &["loan_seq", "row_no", "change_date", "dpd", "from_bucket", "to_bucket", "from_class", "to_class", "source"],
            rows,
        )
    }

    /// A loan's recorded status changes, with their source, oldest first.
    pub fn history(&mut self, loan_seq: i64) -> Result<Vec<(StatusChange, String)>, StoreError> {
        let rows = self.conn.query(
            "SELECT change_date, dpd, from_bucket, to_bucket, from_class, to_class, source FROM status_history WHERE loan_seq = $1 ORDER BY row_no",
            &[loan_seq.into()],
        )?;
        let bucket = |s: &str| Bucket::parse(s).ok_or_else(|| StoreError::Corrupt(format!("bucket `{s}`")));
        let class = |s: &str| Classification::parse(s).ok_or_else(|| StoreError::Corrupt(format!("class `{s}`")));
        rows.iter()
            .map(|r| {
                let change = StatusChange {
                    date: parse_date(r.text(0)?)?,
                    dpd: r.int(1)? as u32,
                    from_bucket: bucket(r.text(2)?)?,
                    to_bucket: bucket(r.text(3)?)?,
                    from_class: class(r.text(4)?)?,
                    to_class: class(r.text(5)?)?,
                };
                Ok((change, r.text(6)?.to_owned()))
            })
            .collect()
    }

    fn payment_from_row(r: &Row) -> Result<PaymentRecord, StoreError> {
        Ok(PaymentRecord {
            id: r.int(0)?,
            idem_key: r.text(1)?.to_owned(),
            loan_seq: r.int(2)?,
            amount: Amount(r.int(3)?),
            value_date: parse_date(r.text(4)?)?,
            status: if r.text(5)? == "reversed" { PaymentStatus::Reversed } else { PaymentStatus::Posted },
            allocation: r.text(6)?.to_owned(),
            reversal_key: r.opt_text(7)?.map(str::to_owned),
        })
    }

    const PAYMENT_COLUMNS: &'static str = "id, idem_key, loan_seq, amount, value_date, status, allocation, reversal_key";

    pub fn payment_by_key(&mut self, key: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let rows =
            self.conn.query(&format!("SELECT {} FROM payments WHERE idem_key = $1", Self::PAYMENT_COLUMNS), &[key.into()])?;
        rows.first().map(Self::payment_from_row).transpose()
    }

    pub fn payment_by_reversal_key(&mut self, key: &str) -> Result<Option<PaymentRecord>, StoreError> {
        let rows =
            self.conn.query(&format!("SELECT {} FROM payments WHERE reversal_key = $1", Self::PAYMENT_COLUMNS), &[key.into()])?;
        rows.first().map(Self::payment_from_row).transpose()
    }

    pub fn payment(&mut self, id: i64) -> Result<Option<PaymentRecord>, StoreError> {
        let rows = self.conn.query(&format!("SELECT {} FROM payments WHERE id = $1", Self::PAYMENT_COLUMNS), &[id.into()])?;
        rows.first().map(Self::payment_from_row).transpose()
    }

    /// A loan's payments in posting order.
    pub fn payments_of(&mut self, loan_seq: i64) -> Result<Vec<PaymentRecord>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {} FROM payments WHERE loan_seq = $1 ORDER BY id", Self::PAYMENT_COLUMNS),
            &[loan_seq.into()],
        )?;
        rows.iter().map(Self::payment_from_row).collect()
    }

    /// Records a posted payment; returns its id. A second payment with the same key is a
    /// conflict.
    pub fn insert_payment(
        &mut self,
        key: &str,
        loan_seq: i64,
        amount: Amount,
        value_date: Date,
        allocation: &str,
    ) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO payments (idem_key, loan_seq, amount, value_date, status, allocation) VALUES ($1, $2, $3, $4, 'posted', $5) RETURNING id",
            &[key.into(), loan_seq.into(), amount.0.into(), value_date.to_string().into(), allocation.into()],
        )?;
        rows[0].int(0)
    }

    pub fn mark_reversed(&mut self, id: i64, reversal_key: &str) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE payments SET status = 'reversed', reversal_key = $2 WHERE id = $1 AND status = 'posted'",
            &[id.into(), reversal_key.into()],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("payment {id} is not a posted payment")));
        }
        Ok(())
    }

    pub fn eod_run(&mut self, date: Date) -> Result<Option<EodRun>, StoreError> {
        let rows = self.conn.query(
            "SELECT business_date, status, loans_touched, events FROM eod_runs WHERE business_date = $1",
            &[date.to_string().into()],
        )?;
        rows.first()
            .map(|r| {
                Ok(EodRun {
                    business_date: parse_date(r.text(0)?)?,
                    status: r.text(1)?.to_owned(),
                    loans_touched: r.int(2)?,
                    events: r.int(3)?,
                })
            })
            .transpose()
    }

    /// Records progress of a day's batch; counts add up over resumed runs.
    pub fn record_eod_run(&mut self, date: Date, status: &str, loans_touched: i64, events: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO eod_runs (business_date, status, loans_touched, events) VALUES ($1, $2, $3, $4) ON CONFLICT (business_date) DO UPDATE SET status = excluded.status, loans_touched = eod_runs.loans_touched + excluded.loans_touched, events = eod_runs.events + excluded.events",
            &[date.to_string().into(), status.into(), loans_touched.into(), events.into()],
        )?;
        Ok(())
    }

    /// Who did what to `subject` (a loan number, a name), oldest first.
    pub fn audit_of(&mut self, subject: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.conn.query("SELECT actor, action FROM audit_log WHERE subject = $1 ORDER BY id", &[subject.into()])?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned()))).collect()
    }

    /// Appends to the audit log.
    pub fn audit(
        &mut self,
        business_date: Date,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit_log (business_date, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
            &[business_date.to_string().into(), actor.into(), action.into(), subject.into(), detail.into()],
        )?;
        Ok(())
    }

    /// Loans and balances by status, bucket and class, from the summary columns.
    pub fn portfolio(&mut self) -> Result<Vec<PortfolioRow>, StoreError> {
        let rows = self.conn.query(
            "SELECT status, bucket, class, count(*), CAST(COALESCE(SUM(principal_outstanding), 0) AS BIGINT), CAST(COALESCE(SUM(total_outstanding), 0) AS BIGINT) FROM loans GROUP BY status, bucket, class ORDER BY status, bucket, class",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(PortfolioRow {
                    status: r.text(0)?.to_owned(),
                    bucket: r.text(1)?.to_owned(),
                    class: r.text(2)?.to_owned(),
                    loans: r.int(3)?,
                    principal_outstanding: Amount(r.int(4)?),
                    total_outstanding: Amount(r.int(5)?),
                })
            })
            .collect()
    }

    /// Number of status changes recorded, by target bucket, between two dates inclusive.
    pub fn status_moves(&mut self, from: Date, to: Date) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = self.conn.query(
            "SELECT from_bucket, to_bucket, count(*) FROM status_history WHERE change_date >= $1 AND change_date <= $2 GROUP BY from_bucket, to_bucket ORDER BY from_bucket, to_bucket",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned(), r.int(2)?))).collect()
    }

    /// Sum of all ledger lines (zero when every entry balances) and count of entries whose
    /// lines do not sum to zero.
    pub fn ledger_check(&mut self) -> Result<(Amount, i64), StoreError> {
        let total = self.conn.query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_lines", &[])?[0].int(0)?;
        let unbalanced = self.conn.query(
            "SELECT count(*) FROM (SELECT loan_seq, entry_no FROM ledger_lines GROUP BY loan_seq, entry_no HAVING SUM(amount) <> 0) AS u",
            &[],
        )?[0]
            .int(0)?;
        Ok((Amount(total), unbalanced))
    }

    /// Inserts rows in multi-row statements.
    fn insert_rows(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<(), StoreError> {
        self.insert_rows_counted(table, columns, rows, "").map(|_| ())
    }

    /// Multi-row inserts ending with `tail` (an `ON CONFLICT` clause, say).
    fn insert_rows_with(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>, tail: &str) -> Result<(), StoreError> {
        self.insert_rows_counted(table, columns, rows, tail).map(|_| ())
    }

    /// Multi-row inserts ending with `tail`; returns the rows the database reports inserted.
    fn insert_rows_counted(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> Result<u64, StoreError> {
        let mut inserted = 0;
        self.insert_chunks(table, columns, rows, tail, |conn, sql, params| {
            inserted += conn.execute(sql, params)?;
            Ok(())
        })?;
        Ok(inserted)
    }

    /// Multi-row inserts ending with `tail`, which ends in a `RETURNING` clause of one text
    /// column; returns what the inserted rows returned.
    fn insert_rows_returning(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Value>>,
        tail: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        self.insert_chunks(table, columns, rows, tail, |conn, sql, params| {
            for r in conn.query(sql, params)? {
                out.push(r.text(0)?.to_owned());
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Builds the multi-row statements, chunked below both backends' parameter limits, and
    /// hands each to `run`.
    fn insert_chunks(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Value>>,
        tail: &str,
        mut run: impl FnMut(&mut dyn Conn, &str, &[Value]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let width = columns.len();
        let per_chunk = (INSERT_CHUNK * 5 / width).clamp(1, INSERT_CHUNK);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for j in 0..width {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    write!(sql, "${}", i * width + j + 1).expect("writing to a String");
                }
                sql.push(')');
            }
            sql.push_str(tail);
            let params: Vec<Value> = chunk.into_iter().flatten().collect();
            debug_assert_eq!(params.len() % width, 0);
            run(&mut *self.conn, &sql, &params)?;
        }
        Ok(())
    }
}
