//! `arrears schedule`: the schedule in its three formats, and every method and day count.

use serde_json::{json, Value};

use crate::support::{fen, fen_at, ok};

const ANNUITY: [&str; 11] = [
    "schedule",
    "--principal",
    "10000.00",
    "--annual-rate",
    "7.2",
    "--term-months",
    "12",
    "--method",
    "annuity",
    "--start",
    "2026-01-15",
];

fn schedule(base: &[&str], extra: &[&str]) -> String {
    let args: Vec<&str> = base.iter().chain(extra).copied().collect();
    ok(&args)
}

fn schedule_json(base: &[&str], extra: &[&str]) -> Value {
    let text = schedule(base, &[extra, &["--format", "json"]].concat());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("schedule JSON ({e}):\n{text}"))
}

/// Checks what holds for every schedule: installments numbered 1.., due dates rising, each
/// total is principal + interest, each balance is the last one less the principal, the last
/// balance is zero, the principal adds up to the loan, and the totals are the sums of the lines.
#[track_caller]
fn assert_consistent(doc: &Value, principal_fen: i64, what: &str) {
    let lines = doc["installments"].as_array().unwrap_or_else(|| panic!("{what}: no installments in {doc}"));
    assert!(!lines.is_empty(), "{what}: an empty schedule");
    let mut balance = principal_fen;
    let mut last_due = String::new();
    let (mut principal_sum, mut interest_sum, mut total_sum) = (0, 0, 0);
    for (k, l) in lines.iter().enumerate() {
        assert_eq!(l["n"], json!(k + 1), "{what}: numbering at {l}");
        let due = l["due_date"].as_str().expect("a due date").to_owned();
        assert!(due > last_due, "{what}: due dates must rise: {due} after {last_due}");
        last_due = due;
        let (p, i, t) = (fen_at(&l["principal"]), fen_at(&l["interest"]), fen_at(&l["total"]));
        assert!(p >= 0 && i >= 0, "{what}: a negative amount in {l}");
        assert_eq!(p + i, t, "{what}: total is not principal + interest in {l}");
        balance -= p;
        assert_eq!(fen_at(&l["balance"]), balance, "{what}: balance after installment {}", k + 1);
        principal_sum += p;
        interest_sum += i;
        total_sum += t;
    }
    assert_eq!(balance, 0, "{what}: the last balance must be 0.00");
    assert_eq!(principal_sum, principal_fen, "{what}: the principal lines must add up to the principal");
    assert_eq!(fen_at(&doc["total_interest"]), interest_sum, "{what}: total_interest");
    assert_eq!(fen_at(&doc["total_paid"]), total_sum, "{what}: total_paid");
    assert_eq!(total_sum, principal_fen + interest_sum, "{what}: total_paid = principal + interest");
}

#[test]
fn annuity_json_matches_the_reference_schedule() {
    let doc = schedule_json(&ANNUITY, &[]);
    let lines = doc["installments"].as_array().expect("installments");
    assert_eq!(lines.len(), 12);
    assert_eq!(
        lines[0],
        json!({"n":1,"due_date":"2026-02-15","principal":"806.19","interest":"60.00","total":"866.19","balance":"9193.81"})
    );
    // The last installment absorbs the rounding residue: 861.02 of principal + 5.17 interest.
    assert_eq!(
        lines[11],
        json!({"n":12,"due_date":"2027-01-15","principal":"861.02","interest":"5.17","total":"866.19","balance":"0.00"})
    );
    // Every installment of an annuity is the same amount (the last one here too).
    for l in lines {
        assert_eq!(l["total"], "866.19", "annuity installment {l}");
    }
    assert_eq!(doc["total_interest"], "394.28");
    assert_eq!(doc["total_paid"], "10394.28");
    assert_consistent(&doc, fen("10000.00"), "annuity");
}

#[test]
fn csv_and_table_say_what_json_says() {
    let doc = schedule_json(&ANNUITY, &[]);
    let want: Vec<Vec<String>> = doc["installments"]
        .as_array()
        .expect("installments")
        .iter()
        .map(|l| {
            ["n", "due_date", "principal", "interest", "total", "balance"]
                .iter()
                .map(|k| match &l[*k] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();

    let csv = schedule(&ANNUITY, &["--format", "csv"]);
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("n,due_date,principal,interest,total,balance"), "CSV header:\n{csv}");
    let got: Vec<Vec<String>> = rows.map(|r| r.split(',').map(str::to_owned).collect()).collect();
    assert_eq!(got, want, "CSV rows");

    // The default format is the table: a header, one row per installment, then the totals.
    let table = schedule(&ANNUITY, &[]);
    assert_eq!(table, schedule(&ANNUITY, &["--format", "table"]), "table is the default");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + 12 + 1, "table:\n{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["n", "due", "date", "principal", "interest", "total", "balance"], "table header");
    let got: Vec<Vec<String>> = lines[1..13].iter().map(|r| r.split_whitespace().map(str::to_owned).collect()).collect();
    assert_eq!(got, want, "table rows");
    assert_eq!(lines[13], "total interest 394.28; total to pay 10394.28");
}

/// The methods other than the annuity, under each day count: a broken (long) first period
/// and a bullet loan are where the day count matters.
#[test]
fn every_method_and_day_count_adds_up() {
    // (method, day count, extra arguments, expected interest lines)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        // 10000.00 at 7.2% from 2026-01-31, 6 months: a month's interest on 10000.00 is 60.00.
        ("equal-principal", "act365f", &[], &["60.00", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("equal-principal", "act360",  &[], &["60.00", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("equal-principal", "30-360",  &[], &["60.00", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("interest-only",   "act365f", &[], &["60.00"; 6]),
        ("interest-only",   "act360",  &[], &["60.00"; 6]),
        ("interest-only",   "30-360",  &[], &["60.00"; 6]),
        // One payment on 2026-07-31, 181 actual days (180 by 30/360):
        // 10000.00 × 7.2% × 181/365 = 357.04; × 181/360 = 362.00; × 180/360 = 360.00.
        ("bullet",          "act365f", &[], &["357.04"]),
        ("bullet",          "act360",  &[], &["362.00"]),
        ("bullet",          "30-360",  &[], &["360.00"]),
        // A long first period, 2026-01-31 to 2026-03-20: 48 actual days; 50 by 30/360 (the
        // 31st counts as the 30th): 10000.00 × 7.2% × 48/365 = 94.68; × 48/360 = 96.00;
        // × 50/360 = 100.00. Later periods are whole months at 7.2% / 12.
        ("equal-principal", "act365f", &["--first-due", "2026-03-20"], &["94.68", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("equal-principal", "act360",  &["--first-due", "2026-03-20"], &["96.00", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("equal-principal", "30-360",  &["--first-due", "2026-03-20"], &["100.00", "50.00", "40.00", "30.00", "20.00", "10.00"]),
        ("annuity",         "act360",  &["--first-due", "2026-03-20"], &[]),
        ("annuity",         "30-360",  &[], &[]),
    ];
    for (method, day_count, extra, interest) in cases {
        let what = format!("{method} {day_count} {}", extra.join(" "));
        let base = [
            "schedule",
            "--principal",
            "10000.00",
            "--annual-rate",
            "7.2",
            "--term-months",
            "6",
            "--method",
            method,
            "--start",
            "2026-01-31",
            "--day-count",
            day_count,
        ];
        let doc = schedule_json(&base, extra);
        assert_consistent(&doc, fen("10000.00"), &what);
        let lines = doc["installments"].as_array().expect("installments");
        if !interest.is_empty() {
            let got: Vec<&str> = lines.iter().map(|l| l["interest"].as_str().expect("interest")).collect();
            assert_eq!(got, *interest, "{what}: interest lines");
        }
        match *method {
            "interest-only" => {
                let principal: Vec<&str> = lines.iter().map(|l| l["principal"].as_str().expect("principal")).collect();
                assert_eq!(principal, ["0.00", "0.00", "0.00", "0.00", "0.00", "10000.00"], "{what}: principal at the end");
            }
            "equal-principal" => {
                // 10000.00 / 6 = 1666.67 five times; the last takes the residue, 1666.65.
                let principal: Vec<&str> = lines.iter().map(|l| l["principal"].as_str().expect("principal")).collect();
                assert_eq!(principal, ["1666.67", "1666.67", "1666.67", "1666.67", "1666.67", "1666.65"], "{what}");
            }
            "bullet" => assert_eq!(lines[0]["due_date"], "2026-07-31", "{what}: the bullet falls due at the end"),
            _ => {}
        }
        if extra.is_empty() && *method != "bullet" {
            let due: Vec<&str> = lines.iter().map(|l| l["due_date"].as_str().expect("due date")).collect();
            // From the 31st, a due date falls on the last day of shorter months.
            assert_eq!(due, ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"], "{what}");
        }
    }
}
