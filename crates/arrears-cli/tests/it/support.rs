//! Running the `arrears` binary against a fresh database, and reading what it prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// What one run of the program gave.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    fn describe(&self, args: &[&str]) -> String {
        format!("arrears {}\n  exit: {:?}\n  stdout:\n{}\n  stderr:\n{}", args.join(" "), self.code, self.stdout, self.stderr)
    }
}

/// Runs the binary with `args` in `dir`, with no database taken from the environment.
pub fn run_in(dir: &Path, args: &[&str]) -> Out {
    let output = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .env_remove("ARREARS_DB")
        .current_dir(dir)
        .output()
        .expect("the arrears binary runs");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs a command that needs no database (in the temp directory, so a stray default
/// `arrears.db` could never land in the source tree).
pub fn run(args: &[&str]) -> Out {
    run_in(&std::env::temp_dir(), args)
}

/// Runs a command that must succeed and returns its stdout.
#[track_caller]
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.code, Some(0), "expected success:\n{}", out.describe(args));
    out.stdout
}

/// Checks that a run failed the way bad input must: a non-zero exit, nothing on stdout, and
/// an `error:` on stderr that contains every `expected` piece (the field, the row …).
#[track_caller]
pub fn assert_rejected(out: &Out, args: &[&str], expected: &[&str]) {
    assert!(matches!(out.code, Some(1) | Some(2)), "expected exit 1 or 2:\n{}", out.describe(args));
    assert!(out.stdout.is_empty(), "expected nothing on stdout:\n{}", out.describe(args));
    assert!(out.stderr.contains("error: "), "expected `error: ` on stderr:\n{}", out.describe(args));
    for piece in expected {
        assert!(out.stderr.contains(piece), "expected {piece:?} on stderr:\n{}", out.describe(args));
    }
}

/// A fresh database and a scratch folder for the files a test writes; both are removed on
/// drop (the SQLite file lives in the scratch folder; a PostgreSQL schema is dropped).
#[derive(Debug)]
pub struct Env {
    pub dir: PathBuf,
    pub db: String,
    pg: Option<(String, String)>,
}

fn scratch_dir() -> (PathBuf, u64) {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("arrears-cli-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    (dir, n)
}

impl Env {
    pub fn sqlite() -> Env {
        let (dir, _) = scratch_dir();
        let db = format!("sqlite://{}", dir.join("book.db").display());
        Env { dir, db, pg: None }
    }

    /// `None`, with a note on stderr, when `ARREARS_TEST_PG_URL` is not set.
    pub fn postgres() -> Option<Env> {
        let Ok(base) = std::env::var("ARREARS_TEST_PG_URL") else {
            note_postgres_skipped();
            return None;
        };
        let (dir, n) = scratch_dir();
        let schema = format!("cli_{}_{n}", std::process::id());
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(Env { dir, db: format!("{base}{sep}schema={schema}"), pg: Some((base, schema)) })
    }

    /// Writes a file into the scratch folder and returns its path.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).expect("a scratch file");
        path
    }

    /// Runs `arrears --db DB ARGS` in the scratch folder.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut all = vec!["--db", self.db.as_str()];
        all.extend_from_slice(args);
        run_in(&self.dir, &all)
    }

    /// Runs a command that must succeed and returns its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, Some(0), "expected success:\n{}", out.describe(args));
        out.stdout
    }

    /// Runs a command that must succeed and parses its stdout as JSON.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("arrears {}: not JSON ({e}):\n{text}", args.join(" ")))
    }

    /// Runs a command that must be rejected (see [`assert_rejected`]) and returns its stderr.
    #[track_caller]
    pub fn rejected(&self, args: &[&str], expected: &[&str]) -> String {
        let out = self.run(args);
        assert_rejected(&out, args, expected);
        out.stderr
    }

    /// Everything the CLI shows about the book: the stored portfolio and each loan's full view
    /// on the business date and on a later day (moved forward from the stored state), to show
    /// that a rejected command changed nothing.
    pub fn snapshot(&self, loans: &[&str]) -> String {
        let mut text = self.ok(&["portfolio", "--format", "json"]);
        for loan in loans {
            text.push_str(&self.ok(&["loan", "show", loan, "--format", "json"]));
            text.push_str(&self.ok(&["loan", "show", loan, "--format", "json", "--as-of", "2026-12-31"]));
        }
        text
    }

    /// `init`, the three loans of [`THREE_LOANS`], and the nightly batch through 2026-03-20:
    /// the book most tests start from. The open business day is then 2026-03-21.
    pub fn three_loan_book(&self) {
        self.ok(&["init"]);
        let tape = self.file("loans.csv", THREE_LOANS);
        self.ok(&["import", "loans", tape.to_str().expect("a UTF-8 path")]);
        self.ok(&["eod", "--until", "2026-03-20"]);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((base, schema)) = &self.pg {
            match postgres::Client::connect(base, postgres::NoTls) {
                Ok(mut client) => {
                    if let Err(e) = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")) {
                        eprintln!("could not drop test schema {schema}: {e}");
                    }
                }
                Err(e) => eprintln!("could not connect to drop test schema {schema}: {e}"),
            }
        }
    }
}

/// A loan tape of three loans: an annuity (CASH), an equal-principal loan with a late fee
/// (CASH-FEE) and an interest-only loan (CASH).
pub const THREE_LOANS: &str = "\
loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date
L1,B1,CASH,10000.00,7.2,12,annuity,2026-01-15
L2,B2,CASH-FEE,5000.00,18,6,equal-principal,2026-01-20
L3,B3,CASH,3000.00,12,3,interest-only,2026-02-01
";

/// An amount as the CLI prints it ("-1234.56") in fen, checked to have exactly two decimals.
#[track_caller]
pub fn fen(text: &str) -> i64 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or_else(|| panic!("`{text}` has no decimals"));
    assert!(frac.len() == 2 && !whole.is_empty(), "`{text}` is not an amount with two decimals");
    let value = whole.parse::<i64>().unwrap_or_else(|_| panic!("`{text}` is not an amount")) * 100
        + frac.parse::<i64>().unwrap_or_else(|_| panic!("`{text}` is not an amount"));
    if negative {
        -value
    } else {
        value
    }
}

/// The amount at `v` (a JSON string) in fen.
#[track_caller]
pub fn fen_at(v: &Value) -> i64 {
    fen(v.as_str().unwrap_or_else(|| panic!("{v} is not an amount string")))
}

/// The balance components of a loan view, in fen, from a `components` object.
pub const COMPONENTS: [&str; 5] = ["fee", "penalty", "compound", "interest", "principal"];

/// The receivables the ledger of a loan view adds up to, by component, in fen.
pub fn ledger_receivables(view: &Value) -> BTreeMap<String, i64> {
    let mut sums: BTreeMap<String, i64> = COMPONENTS.iter().map(|c| ((*c).to_owned(), 0)).collect();
    for entry in view["ledger"].as_array().expect("a ledger") {
        for line in entry["lines"].as_array().expect("ledger lines") {
            if let Some(component) = line["account"].as_str().and_then(|a| a.strip_prefix("receivable:")) {
                *sums.entry(component.to_owned()).or_default() += fen_at(&line["amount"]);
            }
        }
    }
    sums
}

/// The components of a `components` object, in fen.
pub fn components(c: &Value) -> BTreeMap<String, i64> {
    COMPONENTS.iter().map(|k| ((*k).to_owned(), fen_at(&c[*k]))).collect()
}

/// Checks that every ledger entry of a loan view balances and that a components object's
/// total is the sum of its parts.
#[track_caller]
pub fn assert_view_consistent(view: &Value) {
    let loan = &view["loan"];
    for entry in view["ledger"].as_array().expect("a ledger") {
        let sum: i64 = entry["lines"].as_array().expect("ledger lines").iter().map(|l| fen_at(&l["amount"])).sum();
        assert_eq!(sum, 0, "loan {loan}: ledger entry does not balance: {entry}");
    }
    for key in ["outstanding", "due"] {
        let parts: i64 = components(&view[key]).values().sum();
        assert_eq!(parts, fen_at(&view[key]["total"]), "loan {loan}: {key} total is not the sum of its parts");
    }
}

/// The fields of one CSV line (no line breaks inside fields): `"` quotes a field and `""`
/// inside quotes is a quote.
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
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
