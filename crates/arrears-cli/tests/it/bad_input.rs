//! Bad input: every rejected command exits non-zero, names the field (and the row, for a
//! loan tape) on stderr, prints nothing on stdout, and leaves the book as it was.

use serde_json::Value;

use crate::support::{assert_rejected, csv_fields, run, Env, THREE_LOANS};

/// A good `schedule` call, flag by flag.
const SCHEDULE: [(&str, &str); 5] = [
    ("--principal", "10000.00"),
    ("--annual-rate", "7.2"),
    ("--term-months", "12"),
    ("--method", "annuity"),
    ("--start", "2026-01-15"),
];

/// The good `schedule` call with `flag` and its value replaced by `replacement` (or, for a
/// flag it does not have, with `replacement` added).
fn schedule_with(flag: &str, replacement: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["schedule"];
    for (f, v) in SCHEDULE {
        if f == flag {
            args.extend_from_slice(replacement);
        } else {
            args.extend([f, v]);
        }
    }
    if !SCHEDULE.iter().any(|(f, _)| *f == flag) {
        args.extend_from_slice(replacement);
    }
    args
}

#[test]
fn schedule_names_the_bad_argument() {
    // (flag, replaced by, pieces stderr must hold)
    #[rustfmt::skip]
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("--principal",   &["--principal", "abc"],       &["--principal: `abc` is not an amount"]),
        ("--principal",   &["--principal", "1.234"],     &["--principal: `1.234` is not an amount"]),
        ("--principal",   &["--principal", "0"],         &["principal: 0.00 must be more than 0"]),
        ("--principal",   &["--principal=-5"],           &["principal: -5.00 must be more than 0"]),
        ("--principal",   &["--principal", "100000000.01"], &["principal: 100000000.01 must be more than 0 and at most"]),
        ("--annual-rate", &["--annual-rate=-1"],         &["--annual-rate: `-1` is out of range"]),
        ("--annual-rate", &["--annual-rate", "7.2.1"],   &["--annual-rate: `7.2.1` is not a percentage"]),
        ("--start",       &["--start", "2026-02-30"],    &["--start: `2026-02-30` is not a date"]),
        ("--start",       &["--start", "15/01/2026"],    &["--start: `15/01/2026` is not a date"]),
        ("--method",      &["--method", "weekly"],       &["--method: unknown repayment method `weekly`"]),
        ("--term-months", &["--term-months", "0"],       &["term_months: 0 must be between 1 and 360"]),
        ("--term-months", &["--term-months", "361"],     &["term_months: 361 must be between 1 and 360"]),
        ("--term-months", &["--term-months", "x"],       &["--term-months"]),
        ("--day-count",   &["--day-count", "act999"],    &["--day-count: unknown day count `act999`"]),
        ("--first-due",   &["--first-due", "2026-01-10"], &["first_due_date: 2026-01-10 must be after the start date 2026-01-15"]),
        ("--first-due",   &["--first-due", "2026-04-01"], &["first_due_date: 2026-04-01 must be after the start date"]),
        ("--first-due",   &["--first-due", "2026-01-32"], &["--first-due: `2026-01-32` is not a date"]),
        ("--format",      &["--format", "xml"],          &["--format"]),
        ("--method",      &[],                           &["--method"]),
    ];
    for (flag, replacement, expected) in cases {
        let args = schedule_with(flag, replacement);
        assert_rejected(&run(&args), &args, expected);
    }
}

/// A negative number written after a space is taken by the argument parser for an unknown
/// flag, so the error does not say which argument was wrong or why.
#[test]
fn negative_numbers_after_a_space_get_the_fields_own_error() {
    let args = schedule_with("--annual-rate", &["--annual-rate", "-1"]);
    assert_rejected(&run(&args), &args, &["--annual-rate: `-1` is out of range"]);
    let args = schedule_with("--principal", &["--principal", "-5"]);
    assert_rejected(&run(&args), &args, &["principal: -5.00 must be more than 0"]);

    let env = Env::sqlite();
    env.three_loan_book();
    env.rejected(
        &["pay", "--loan", "L1", "--amount", "-5", "--date", "2026-03-21", "--key", "neg"],
        &["amount: -5.00 must be more than 0"],
    );
}

/// `schedule` lets the all-in cost cap follow the rate above 100%, and the core refuses such a
/// cap: the user reads about a `cost_cap_annual` they never gave.
#[test]
fn schedule_rate_above_100_percent_names_the_rate() {
    let args = schedule_with("--annual-rate", &["--annual-rate", "150"]);
    let out = run(&args);
    assert_rejected(&out, &args, &["annual"]);
    assert!(!out.stderr.contains("cost_cap_annual"), "the error blames a field the user never gave:\n{}", out.stderr);
    assert!(out.stderr.contains("--annual-rate") || out.stderr.contains("annual_rate"), "name the rate:\n{}", out.stderr);
}

const ALL: [&str; 3] = ["L1", "L2", "L3"];

/// Runs each command, checks it is rejected with the expected pieces on stderr, and that the
/// book is the same afterwards.
#[track_caller]
fn assert_all_rejected_and_nothing_changes(env: &Env, cases: &[(Vec<String>, &[&str])]) {
    let before = env.snapshot(&ALL);
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.rejected(&args, expected);
        assert_eq!(env.snapshot(&ALL), before, "arrears {} changed the book", args.join(" "));
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(' ').map(str::to_owned).collect()
}

#[test]
fn pay_show_and_reverse_reject_bad_input_and_change_nothing() {
    let env = Env::sqlite();
    env.three_loan_book();
    let late =
        env.file("late.csv", &format!("{}\nL9,B9,CASH,1000.00,12,6,annuity,2026-04-01\n", THREE_LOANS.lines().next().unwrap()));
    let again = env.file("again.csv", THREE_LOANS);
    #[rustfmt::skip]
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (words("pay --loan NOPE --amount 10 --date 2026-03-21 --key e1"), &["loan `NOPE` does not exist"]),
        (words("pay --loan L1 --amount 0 --date 2026-03-21 --key e2"), &["amount: 0.00 must be more than 0"]),
        (words("pay --loan L1 --amount=-5 --date 2026-03-21 --key e3"), &["amount: -5.00 must be more than 0"]),
        (words("pay --loan L1 --amount 1.234 --date 2026-03-21 --key e4"), &["--amount: `1.234` is not an amount"]),
        (words("pay --loan L1 --amount abc --date 2026-03-21 --key e5"), &["--amount: `abc` is not an amount"]),
        (words("pay --loan L1 --amount 10 --date 2026-01-10 --key e6"), &["date: 2026-01-10 is before the loan's start date 2026-01-15"]),
        (words("pay --loan L3 --amount 10 --date 2026-01-31 --key e7"), &["date: 2026-01-31 is before the loan's start date 2026-02-01"]),
        (words("pay --loan L1 --amount 10 --date 2026-03-22 --key e8"), &["date: 2026-03-22 is after the open business day 2026-03-21"]),
        (words("pay --loan L1 --amount 10 --date 2026-13-01 --key e9"), &["--date: `2026-13-01` is not a date"]),
        (vec!["pay".into(), "--loan".into(), "L1".into(), "--amount".into(), "10".into(), "--key".into(), " ".into()], &["key: an idempotency key"]),
        (words("pay --loan L1 --amount 10 --date 2026-03-21"), &["--key"]),
        (words("loan show NOPE"), &["loan `NOPE` does not exist"]),
        (words("loan show NOPE --format json"), &["loan `NOPE` does not exist"]),
        (words("loan show L1 --as-of 2026-01-14"), &["as_of: 2026-01-14 is before the loan's start date 2026-01-15"]),
        (words("loan show L1 --as-of 2026-02-30"), &["--as-of: `2026-02-30` is not a date"]),
        (words("reverse --payment 99"), &["payment `99` does not exist"]),
        (words("reverse --payment x"), &["--payment"]),
        (words("portfolio --as-of 2026-02-30"), &["--as-of: `2026-02-30` is not a date"]),
        (vec!["import".into(), "loans".into(), late.display().to_string()],
            &["line 2: start_date: 2026-04-01 is after the open business day 2026-03-21", "1 bad rows; nothing was imported"]),
        (vec!["import".into(), "loans".into(), again.display().to_string()], &["loan_no: `L1` already exists in the database", "3 bad rows"]),
    ];
    assert_all_rejected_and_nothing_changes(&env, &cases);

    // Payments come in date order, a key names one payment, and the latest payment is
    // reversed first.
    env.ok(&["pay", "--loan", "L1", "--amount", "100.00", "--date", "2026-03-21", "--key", "k1"]);
    env.ok(&["pay", "--loan", "L1", "--amount", "50.00", "--date", "2026-03-21", "--key", "k2"]);
    #[rustfmt::skip]
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (words("pay --loan L1 --amount 200.00 --date 2026-03-21 --key k1"), &["key: `k1` was already used for a different payment (payment 1 of 100.00 on 2026-03-21)"]),
        (words("pay --loan L1 --amount 100.00 --date 2026-03-20 --key k1"), &["key: `k1` was already used"]),
        (words("pay --loan L2 --amount 100.00 --date 2026-03-21 --key k1"), &["key: `k1` was already used"]),
        (words("pay --loan L1 --amount 10.00 --date 2026-03-20 --key k3"), &["date: 2026-03-20 is before the loan's last payment on 2026-03-21"]),
        (words("reverse --payment 1"), &["payment: payment 2 came later on this loan; reverse it first"]),
    ];
    assert_all_rejected_and_nothing_changes(&env, &cases);
    env.ok(&["reverse", "--payment", "2"]);
    let before = env.snapshot(&ALL);
    env.rejected(&["reverse", "--payment", "2", "--key", "another"], &["payment: payment 2 was already reversed"]);
    env.rejected(
        &["reverse", "--payment", "1", "--key", "reverse-2"],
        &["key: `reverse-2` was already used", "reversal of payment 2"],
    );
    assert_eq!(env.snapshot(&ALL), before, "a rejected reversal changed the book");
}

#[test]
fn pay_before_the_first_nightly_batch_is_refused() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let tape = env.file("loans.csv", THREE_LOANS);
    env.ok(&["import", "loans", tape.to_str().unwrap()]);
    let before = env.snapshot(&ALL);
    for args in [
        &["pay", "--loan", "L1", "--amount", "10", "--key", "k"][..],
        &["pay", "--loan", "L1", "--amount", "10", "--date", "2031-06-01", "--key", "k"],
    ] {
        env.rejected(args, &["date: no business day is open yet", "arrears eod --date"]);
    }
    assert_eq!(env.snapshot(&ALL), before);
}

#[test]
fn eod_neither_goes_back_nor_skips_days() {
    let env = Env::sqlite();
    env.three_loan_book();
    #[rustfmt::skip]
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (words("eod --date 2026-03-10"), &["date: 2026-03-10 is before the business date 2026-03-20; the business date only moves forward"]),
        (words("eod --date 2026-03-19"), &["date: 2026-03-19 is before the business date 2026-03-20"]),
        (words("eod --until 2026-03-10"), &["date: 2026-03-10 is before the business date 2026-03-20"]),
        (words("eod --date 2026-03-25"), &["date: 2026-03-25 skips days after the business date 2026-03-20", "arrears eod --until 2026-03-25"]),
        (words("eod --date 2026-03-22"), &["skips days", "--until 2026-03-22"]),
        (words("eod --date 2026-02-30"), &["--date: `2026-02-30` is not a date"]),
        (words("eod --until 2026-3-25"), &["--until: `2026-3-25` is not a date"]),
        (words("eod"), &["--date"]),
        (words("eod --date 2026-03-21 --until 2026-03-22"), &["--date", "--until"]),
    ];
    assert_all_rejected_and_nothing_changes(&env, &cases);
    let portfolio = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(portfolio["as_of"], "2026-03-20", "the business date stays");

    // Closing the business date again is allowed and changes nothing.
    let before = env.snapshot(&ALL);
    let out = env.ok(&["eod", "--date", "2026-03-20"]);
    assert!(out.contains("2026-03-20 is already closed; nothing changed"), "{out}");
    assert_eq!(env.snapshot(&ALL), before);

    // What the message suggests works.
    let out = env.ok(&["eod", "--until", "2026-03-25"]);
    assert!(out.contains("closed through 2026-03-25"), "{out}");
    assert_eq!(env.json(&["portfolio", "--format", "json"])["as_of"], "2026-03-25");
}

/// A tape with two good rows (lines 2 and 16) and a bad row for every field.
fn bad_tape() -> (String, Vec<(u64, &'static str, &'static str)>) {
    let long = "X".repeat(65);
    let tape = format!(
        "\
loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date,first_due_date
G1,B1,CASH,1000.00,12,6,annuity,2026-01-15,
G2,B2,CASH,abc,12,6,annuity,2026-01-15,
G3,B3,NOPE,1000.00,12,6,annuity,2026-01-15,
G4,B4,CASH,1000.00,12,6,weekly,2026-01-15,
G5,B5,CASH,1000.00,12,6,annuity,2026-02-30,
G6,B6,CASH,1000.00,30,6,annuity,2026-01-15,
G7,B7,CASH,1000.00,12,0,annuity,2026-01-15,
G1,B8,CASH,1000.00,12,6,annuity,2026-01-15,
G9,B9,CASH,1000.00,12,6,annuity
,B10,CASH,1000.00,12,6,annuity,2026-01-15,
G11,B11,CASH,0,12,6,annuity,2026-01-15,
G12,,CASH,1000.00,12,6,annuity,2026-01-15,
G13,B13,CASH,1000.00,12,6,annuity,2026-01-15,2026-06-01
{long},B14,CASH,1000.00,12,6,annuity,2026-01-15,
G15,B15,CASH-FEE,2000.00,18,12,equal-principal,2026-01-20,2026-02-28
G16,B16,CASH,1000.00,1.2.3,6,annuity,2026-01-15,
G17,B17,CASH,1000.00,12,six,annuity,2026-01-15,
"
    );
    #[rustfmt::skip]
    let bad = vec![
        (3, "principal", "`abc` is not an amount"),
        (4, "product", "unknown product `NOPE`"),
        (5, "method", "unknown repayment method `weekly`"),
        (6, "start_date", "`2026-02-30` is not a date"),
        (7, "annual_rate", "30% exceeds the all-in cost cap of 24%"),
        (8, "term_months", "0 must be between 1 and 360"),
        (9, "loan_no", "`G1` appears twice in the file"),
        (10, "row", "has 7 fields; the header has 9"),
        (11, "loan_no", "is empty"),
        (12, "principal", "0.00 must be more than 0"),
        (13, "borrower_id", "is empty"),
        (14, "first_due_date", "2026-06-01 must be after the start date 2026-01-15"),
        (15, "loan_no", "is longer than 64 characters"),
        (17, "annual_rate", "`1.2.3` is not a percentage"),
        (18, "term_months", "`six` is not a whole number of months"),
    ];
    (tape, bad)
}

#[test]
fn a_tape_with_bad_rows_imports_nothing_and_lists_every_bad_row() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let (tape, bad) = bad_tape();
    let path = env.file("tape.csv", &tape);
    let file = path.to_str().unwrap();
    let stderr = env
        .rejected(&["import", "loans", file], &[&format!("import: {} bad rows; nothing was imported", bad.len()), "--skip-bad"]);
    for (line, field, message) in &bad {
        let want = format!("{file}: line {line}: {field}: ");
        let row = stderr.lines().find(|l| l.starts_with(&want)).unwrap_or_else(|| panic!("no `{want}` in:\n{stderr}"));
        assert!(row.contains(message), "line {line}: expected {message:?} in {row:?}");
    }
    for good in [2, 16] {
        assert!(!stderr.contains(&format!("line {good}:")), "good line {good} reported:\n{stderr}");
    }
    assert_eq!(stderr.lines().count(), bad.len() + 1, "one line per bad row and the error:\n{stderr}");

    let portfolio = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(portfolio["rows"], Value::Array(vec![]), "nothing imported: {portfolio}");
    env.rejected(&["loan", "show", "G1"], &["loan `G1` does not exist"]);
    assert!(!env.dir.join("tape.rejects.csv").exists(), "no reject file without --skip-bad");
}

#[test]
fn skip_bad_imports_the_good_rows_and_writes_the_bad_ones_to_a_reject_file() {
    let (tape, bad) = bad_tape();
    for custom in [false, true] {
        let env = Env::sqlite();
        env.ok(&["init"]);
        let path = env.file("tape.csv", &tape);
        let rejects = env.dir.join(if custom { "bad-rows.csv" } else { "tape.rejects.csv" });
        let mut args = vec!["import", "loans", path.to_str().unwrap(), "--skip-bad"];
        let rejects_arg = rejects.display().to_string();
        if custom {
            args.extend(["--rejects", &rejects_arg]);
        }
        let out = env.run(&args);
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(out.stdout.contains(&format!("{} bad rows written to {}", bad.len(), rejects.display())), "{out:?}");
        assert!(out.stdout.contains(&format!("imported 2 of {} loans", bad.len() + 2)), "{out:?}");
        for (line, field, _) in &bad {
            assert!(out.stderr.contains(&format!("line {line}: {field}: ")), "stderr lists line {line}: {out:?}");
        }

        let text = std::fs::read_to_string(&rejects).unwrap_or_else(|e| panic!("reject file {}: {e}", rejects.display()));
        let mut records: Vec<Vec<String>> = text.lines().map(csv_fields).collect();
        assert_eq!(records.remove(0), ["line", "error", "row"], "reject file header");
        let lines: Vec<u64> = records.iter().map(|r| r[0].parse().expect("a line number")).collect();
        assert_eq!(lines, bad.iter().map(|b| b.0).collect::<Vec<_>>(), "reject file lines:\n{text}");
        for (record, (line, field, message)) in records.iter().zip(&bad) {
            assert!(record[1].starts_with(&format!("line {line}: {field}: ")) && record[1].contains(message), "{record:?}");
        }
        // The raw row, to fix and import again.
        assert_eq!(&records[0][2], "G2,B2,CASH,abc,12,6,annuity,2026-01-15,");

        let portfolio = env.json(&["portfolio", "--format", "json"]);
        let rows = portfolio["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{portfolio}");
        assert_eq!(rows[0]["loans"], 2);
        assert_eq!(rows[0]["principal_outstanding"], "3000.00");
        let g1 = env.json(&["loan", "show", "G1", "--format", "json"]);
        assert_eq!((&g1["terms"]["principal"], &g1["terms"]["method"]), (&Value::from("1000.00"), &Value::from("annuity")));
        let g15 = env.json(&["loan", "show", "G15", "--format", "json"]);
        assert_eq!(g15["terms"]["first_due_date"], "2026-02-28");
        assert_eq!(g15["product"], "CASH-FEE");
        env.rejected(&["loan", "show", "G2"], &["loan `G2` does not exist"]);
    }
}

#[test]
fn a_missing_or_malformed_file_gets_a_clear_error() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let missing = env.dir.join("missing.csv");
    env.rejected(&["import", "loans", missing.to_str().unwrap()], &["cannot read", &missing.display().to_string()]);
    let header = env.file("header.csv", "loan_no,borrower_id,principal\nX,Y,100.00\n");
    env.rejected(&["import", "loans", header.to_str().unwrap()], &["header: line 1: missing column `product`"]);
    let empty = env.file("empty.csv", "");
    env.rejected(&["import", "loans", empty.to_str().unwrap()], &["missing column `loan_no`"]);
    env.rejected(&["import", "loans"], &["FILE"]);
    assert_eq!(env.json(&["portfolio", "--format", "json"])["rows"], Value::Array(vec![]));
}

/// A loan already in the database is reported on its own line.
#[test]
fn a_loan_already_in_the_database_is_reported_on_its_line() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let tape = env.file("loans.csv", THREE_LOANS);
    env.ok(&["import", "loans", tape.to_str().unwrap()]);
    let stderr = env.rejected(&["import", "loans", tape.to_str().unwrap()], &["already exists in the database"]);
    for (line, loan) in [(2, "L1"), (3, "L2"), (4, "L3")] {
        let want = format!("line {line}: loan_no: `{loan}` already exists in the database");
        assert!(stderr.contains(&want), "expected {want:?} in:\n{stderr}");
    }
}

/// A row with the wrong number of fields goes to the reject file without its text.
#[test]
fn a_ragged_row_keeps_its_text_in_the_reject_file() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let tape = env.file("ragged.csv", &format!("{}R1,B1,CASH,1000.00,12,6,annuity\n", THREE_LOANS));
    env.ok(&["import", "loans", tape.to_str().unwrap(), "--skip-bad"]);
    let text = std::fs::read_to_string(env.dir.join("ragged.rejects.csv")).expect("a reject file");
    let record = text.lines().nth(1).map(csv_fields).expect("one reject row");
    assert_eq!(&record[0], "5");
    assert_eq!(&record[2], "R1,B1,CASH,1000.00,12,6,annuity", "the reject file must keep the bad row's text:\n{text}");
}

#[test]
fn an_uninitialised_database_is_named_with_the_fix() {
    let env = Env::sqlite();
    let tape = env.file("loans.csv", THREE_LOANS);
    #[rustfmt::skip]
    let cases: Vec<Vec<&str>> = vec![
        vec!["loan", "show", "L1"],
        vec!["pay", "--loan", "L1", "--amount", "10", "--date", "2026-03-21", "--key", "k"],
        vec!["eod", "--date", "2026-03-21"],
        vec!["portfolio"],
        vec!["import", "loans", tape.to_str().unwrap()],
    ];
    for args in cases {
        env.rejected(&args, &["the database is not initialised: run `arrears init`"]);
    }
}

/// A command on a database that does not exist yet creates an empty SQLite file before it
/// finds out the database is not initialised.
#[test]
fn a_rejected_command_creates_no_database_file() {
    let env = Env::sqlite();
    let path = env.db.strip_prefix("sqlite://").unwrap().to_owned();
    env.rejected(&["loan", "show", "L1"], &["not initialised"]);
    assert!(!std::path::Path::new(&path).exists(), "{path} was created by a command that failed");
}

/// An XLSX tape goes through the same checks as a CSV one; a bad one names line and field.
#[test]
fn xlsx_tapes_import_and_bad_ones_name_line_and_field() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../arrears-app/tests/data");
    let env = Env::sqlite();
    env.ok(&["init"]);
    let bad = data.join("loans-bad.xlsx");
    let stderr = env.rejected(&["import", "loans", bad.to_str().unwrap()], &["3 bad rows; nothing was imported"]);
    for want in ["line 3: principal:", "line 4: term_months:", "line 5: start_date:"] {
        assert!(stderr.contains(want), "expected {want:?} in:\n{stderr}");
    }
    assert_eq!(env.json(&["portfolio", "--format", "json"])["rows"], Value::Array(vec![]));
    let good = data.join("loans.xlsx");
    assert!(env.ok(&["import", "loans", good.to_str().unwrap()]).contains("imported 3 of 3 loans"));
    let missing = env.dir.join("missing.xlsx");
    env.rejected(&["import", "loans", missing.to_str().unwrap()], &["cannot read", "missing.xlsx"]);
}
