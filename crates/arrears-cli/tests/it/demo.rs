//! `arrears demo`: a fresh book serviced day by day, its summary, and loans to look at.

use serde_json::Value;

use crate::support::Env;

const DEMO: [&str; 5] = ["demo", "--loans", "50", "--days", "40"];

/// The loan numbers of the "Look closer" lines: `  arrears loan show L00000023  # a borrower …`.
fn look_closer(stdout: &str) -> Vec<String> {
    let at = stdout.find("\nLook closer:\n").unwrap_or_else(|| panic!("no `Look closer:` in:\n{stdout}"));
    stdout[at..]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("arrears loan show "))
        .map(|rest| {
            let (loan, comment) = rest.split_once('#').unwrap_or_else(|| panic!("no comment on {rest:?}"));
            assert!(comment.trim().starts_with("a borrower "), "{rest:?}");
            loan.trim().to_owned()
        })
        .collect()
}

#[test]
fn demo_builds_a_book_whose_loans_can_be_shown() {
    let env = Env::sqlite();
    let stdout = env.ok(&DEMO);
    assert!(
        stdout.starts_with("Arrears demo: 50 consumer cash loans over 40 business days from 2026-01-01 (seed 42)"),
        "{stdout}"
    );
    assert!(stdout.contains("serviced 50 loans from 2026-01-01 to 2026-02-09"), "{stdout}");

    // The portfolio table: a title, a header, and bucket rows whose loans add up with the
    // loans no longer active to the 50 of the book.
    let title = stdout.lines().find(|l| l.starts_with("portfolio as of 2026-02-09: ")).unwrap_or_else(|| panic!("{stdout}"));
    let active: i64 = title["portfolio as of 2026-02-09: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(stdout.contains("\nbucket       class               loans        principal       total owed   share\n"), "{stdout}");
    let mut table_active = 0;
    let mut table_other = 0;
    for line in stdout.lines().skip_while(|l| !l.starts_with("bucket ")).skip(1).take_while(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() == 6 {
            assert!(fields[0].starts_with('M'), "a bucket row: {line}");
            assert!(fields[5].ends_with('%'), "a share: {line}");
            table_active += fields[2].parse::<i64>().unwrap();
        } else {
            assert_eq!(fields.len(), 2, "a status row: {line}");
            table_other += fields[1].parse::<i64>().unwrap();
        }
    }
    assert_eq!(table_active, active, "bucket rows add up to the active loans:\n{stdout}");
    assert_eq!(table_active + table_other, 50, "every loan of the book is in the table:\n{stdout}");

    let loans = look_closer(&stdout);
    assert!(!loans.is_empty(), "no loans to look at:\n{stdout}");
    for loan in &loans {
        let view = env.json(&["loan", "show", loan, "--format", "json"]);
        assert_eq!(view["loan"], loan.as_str());
        assert_eq!(view["as_of"], "2026-02-09");
        let text = env.ok(&["loan", "show", loan]);
        assert!(text.starts_with(&format!("loan {loan}  borrower ")), "{text}");
    }

    let portfolio = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(portfolio["as_of"], "2026-02-09");
    let total: i64 = portfolio["rows"].as_array().unwrap().iter().map(|r| r["loans"].as_i64().unwrap()).sum();
    assert_eq!(total, 50, "{portfolio}");
}

#[test]
fn demo_with_the_same_seed_builds_the_same_book() {
    let (a, b) = (Env::sqlite(), Env::sqlite());
    let (out_a, out_b) = (a.ok(&DEMO), b.ok(&DEMO));
    assert_eq!(look_closer(&out_a), look_closer(&out_b));
    let portfolio = |env: &Env| env.json(&["portfolio", "--format", "json"]);
    assert_eq!(portfolio(&a), portfolio(&b));
    // A demo run again on its own file starts afresh.
    let again = a.ok(&DEMO);
    assert_eq!(look_closer(&again), look_closer(&out_a));
    assert_eq!(portfolio(&a), portfolio(&b));
    let other: Value = {
        let c = Env::sqlite();
        c.ok(&["demo", "--loans", "50", "--days", "40", "--seed", "7"]);
        portfolio(&c)
    };
    assert_ne!(other, portfolio(&a), "another seed, another book");
}

#[test]
fn demo_rejects_bad_arguments_and_leaves_the_database_alone() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let before = env.ok(&["portfolio", "--format", "json"]);
    env.rejected(&["demo", "--loans", "0"], &["--loans: 0 must be between 1 and 1000000"]);
    env.rejected(&["demo", "--days", "0"], &["--days: 0 must be between 1 and 3650"]);
    env.rejected(&["demo", "--start", "2026-02-30"], &["--start: `2026-02-30` is not a date"]);
    env.rejected(&["demo", "--serve", "--listen", "anywhere"], &["--listen: `anywhere` is not an address and port"]);
    assert_eq!(env.ok(&["portfolio", "--format", "json"]), before);
    // --keep never adds a demo book to one that has loans.
    let book = Env::sqlite();
    book.ok(&DEMO);
    let before = book.ok(&["portfolio", "--format", "json"]);
    book.rejected(&["demo", "--keep", "--loans", "5", "--days", "2"], &["--db: ", "already holds loans"]);
    assert_eq!(book.ok(&["portfolio", "--format", "json"]), before);
    // A PostgreSQL database is never wiped: the demo asks for a new schema and --keep.
    let out = crate::support::run(&["--db", "postgres://nobody@127.0.0.1:1/none", "demo", "--loans", "5", "--days", "2"]);
    crate::support::assert_rejected(
        &out,
        &["demo on PostgreSQL"],
        &["--db: the demo starts afresh only on a SQLite file", "--keep"],
    );
}

/// The demo deletes only a missing file or its own database, never another file.
#[test]
fn demo_leaves_a_file_that_is_not_its_own_alone() {
    let dir = std::env::temp_dir().join(format!("arrears-cli-demo-guard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "not a database").unwrap();
    let db = format!("sqlite://{}", notes.display());
    let out = crate::support::run(&["--db", &db, "demo", "--loans", "5", "--days", "5"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("is not an Arrears database"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "not a database");
    std::fs::remove_dir_all(&dir).unwrap();
}
