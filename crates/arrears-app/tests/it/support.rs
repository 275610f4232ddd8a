//! Fresh databases for tests, and the loans they start with.

use std::sync::atomic::{AtomicU64, Ordering};

use arrears_app::service::{open_loans, terms_for, NewLoan};
use arrears_app::AppError;
use arrears_core::ledger;
use arrears_core::{Amount, Date, Rate, RepaymentMethod};
use arrears_store::{BorrowerRecord, LoanRecord, Store, Tx};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database for one test; the SQLite file or PostgreSQL schema is removed on drop.
pub struct TestDb {
    pub url: String,
    path: Option<std::path::PathBuf>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("arrears-test-{}-{n}.db", std::process::id()));
        TestDb { url: format!("sqlite://{}", path.display()), path: Some(path), pg_schema: None }
    }

    /// `None` (with a note on stderr) when no PostgreSQL URL is configured.
    pub fn postgres() -> Option<TestDb> {
        let Ok(base) = std::env::var("ARREARS_TEST_PG_URL") else {
            note_postgres_skipped();
            return None;
        };
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let schema = format!("t_{}_{n}_{nanos}", std::process::id());
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(TestDb { url: format!("{base}{sep}schema={schema}"), path: None, pg_schema: Some((base, schema)) })
    }

    /// A store with the schema and default products.
    pub fn init(&self) -> Store {
        arrears_app::init(&self.url).expect("init").0
    }

    pub fn open(&self) -> Store {
        arrears_app::open(&self.url).expect("open")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((base, schema)) = &self.pg_schema {
            if let Ok(mut client) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Declares a story test once for SQLite and once for PostgreSQL.
#[macro_export]
macro_rules! story {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sqlite() {
                let db = $crate::support::TestDb::sqlite();
                ($body)(&db);
            }
            #[test]
            fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres() {
                    ($body)(&db);
                }
            }
        }
    };
}

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

pub fn amt(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

pub fn new_loan(no: &str, principal: &str, rate: &str, months: u32, method: RepaymentMethod, start: &str) -> NewLoan {
    NewLoan {
        loan_no: no.to_owned(),
        borrower_id: format!("B-{no}"),
        product: "CASH".to_owned(),
        principal: amt(principal),
        annual_rate: Rate::parse_percent(rate).unwrap(),
        term_months: months,
        method,
        start_date: d(start),
        first_due_date: None,
    }
}

/// A borrower in Beijing with a mobile number and nothing else; tests add what they need.
pub fn borrower(id: &str) -> BorrowerRecord {
    BorrowerRecord {
        borrower_id: id.to_owned(),
        name: "王芳".into(),
        language: "zh".into(),
        utc_offset_minutes: 480,
        phone: Some("13812345678".into()),
        email: None,
        emergency_name: None,
        emergency_phone: None,
        opted_out: String::new(),
        segment: None,
    }
}

/// Closes every business day through `day` with the nightly batch.
pub fn close_through(store: &mut Store, day: &str) {
    arrears_app::eod::run_until(store, d(day), arrears_app::eod::EodOptions::default(), |_, _| ()).unwrap();
}

/// Closes every business day through `day`, and runs each month end on the way.
pub fn close_with_month_ends(store: &mut Store, day: &str) {
    let config = arrears_app::risk::RiskConfig::shipped();
    arrears_app::eod::run_days(store, d(day), arrears_app::eod::EodOptions::default(), |store, day, _| {
        arrears_app::risk::month_end(store, day, &config)?;
        Ok(())
    })
    .unwrap();
}

pub fn open(store: &mut Store, loans: Vec<NewLoan>) {
    store
        .transaction(|tx| {
            let mut pairs = Vec::new();
            for l in loans {
                let t = terms_for(tx, &l)?;
                pairs.push((l, t));
            }
            open_loans(tx, &pairs)?;
            Ok::<_, AppError>(())
        })
        .unwrap();
}

/// Calls `f` on every loan of the store, a page at a time.
pub fn for_each_loan(
    tx: &mut Tx<'_>,
    mut f: impl FnMut(&mut Tx<'_>, &LoanRecord) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut after = 0;
    loop {
        let page = tx.loans_page(after, 500)?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.seq;
        for loan in &page {
            f(tx, loan)?;
        }
    }
}

/// Checks, for every loan, that the stored ledger gives the stored state's balances (in the
/// receivables, or the written-off memo accounts) and that every entry balances.
pub fn assert_ledger_matches(store: &mut Store) {
    store
        .read(|tx| {
            let (sum, unbalanced) = tx.ledger_check()?;
            assert_eq!((sum, unbalanced), (Amount::ZERO, 0), "every entry balances");
            for_each_loan(tx, |tx, loan| {
                let entries: Vec<ledger::Entry> = tx.ledger(loan.seq)?.into_iter().map(|e| e.entry).collect();
                let balances = ledger::balances(&entries);
                // Receivables on the books; once written off, the claim in the memo accounts.
                let (on, off) = (ledger::receivables(&balances), ledger::written_off(&balances));
                let (state_on, state_off) = match loan.state.written_off {
                    Some(_) => (Default::default(), loan.state.outstanding()),
                    None => (loan.state.outstanding(), Default::default()),
                };
                assert_eq!((on, off), (state_on, state_off), "ledger and state of loan {}", loan.loan_no);
                Ok(())
            })
        })
        .unwrap();
}

/// Everything a nightly batch writes, as text, to compare two databases.
pub fn dump(store: &mut Store) -> String {
    store
        .read(|tx| {
            let mut out = String::new();
            for_each_loan(tx, |tx, loan| {
                let state = serde_json::to_string(&loan.state).unwrap();
                out.push_str(&format!(
                    "{} v{} l{} h{} {state}\n",
                    loan.loan_no, loan.version, loan.ledger_rows, loan.history_rows
                ));
                for e in tx.ledger(loan.seq)? {
                    out.push_str(&format!("  {} {} {:?}\n", e.entry_no, e.reference, e.entry));
                }
                for (h, src) in tx.history(loan.seq)? {
                    out.push_str(&format!("  {h:?} {src}\n"));
                }
                Ok(())
            })?;
            out.push_str(&format!("business date {:?}\n", tx.business_date()?));
            Ok::<_, AppError>(out)
        })
        .unwrap()
}

/// Compares two dumps and reports the first line that differs, not the whole text.
#[track_caller]
pub fn assert_same_dump(got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let at = g.iter().zip(&w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
    let context = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 1).min(lines.len())].join("\n");
    panic!("dumps differ at line {at} ({} vs {} lines)\n--- got:\n{}\n--- want:\n{}", g.len(), w.len(), context(&g), context(&w));
}

/// Says once per test binary, on the terminal itself (not the captured test output), that the
/// PostgreSQL runs were left out.
fn note_postgres_skipped() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "note: the PostgreSQL runs of these tests were skipped; set ARREARS_TEST_PG_URL=postgres://postgres@127.0.0.1/test to run them"
        );
    });
}
