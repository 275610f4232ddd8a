//! A day in the life of a small book, command by command: init, import, the nightly batch,
//! a loan falling behind, a payment that cures it, the same payment again, its reversal and
//! the portfolio — on SQLite, and on PostgreSQL when it is configured.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{assert_view_consistent, components, fen, fen_at, ledger_receivables, Env, THREE_LOANS};

#[test]
fn sqlite() {
    workflow(&Env::sqlite());
}

#[test]
fn postgres() {
    if let Some(env) = Env::postgres() {
        workflow(&env);
    }
}

fn show(env: &Env, loan: &str, as_of: Option<&str>) -> Value {
    let mut args = vec!["loan", "show", loan, "--format", "json"];
    if let Some(d) = as_of {
        args.extend(["--as-of", d]);
    }
    let view = env.json(&args);
    assert_eq!(view["loan"], loan);
    assert_view_consistent(&view);
    view
}

/// Bucket, class and DPD of a loan view, with its status.
fn standing(view: &Value) -> (String, i64, String, String) {
    (
        view["status"].as_str().unwrap().to_owned(),
        view["dpd"].as_i64().unwrap(),
        view["bucket"].as_str().unwrap().to_owned(),
        view["class"].as_str().unwrap().to_owned(),
    )
}

fn st(status: &str, dpd: i64, bucket: &str, class: &str) -> (String, i64, String, String) {
    (status.to_owned(), dpd, bucket.to_owned(), class.to_owned())
}

/// The portfolio JSON as (status, bucket, class) → (loans, principal, total) in fen.
type Rows = BTreeMap<(String, String, String), (i64, i64, i64)>;

fn portfolio_rows(doc: &Value) -> Rows {
    doc["rows"]
        .as_array()
        .expect("portfolio rows")
        .iter()
        .map(|r| {
            let key = |k: &str| r[k].as_str().unwrap().to_owned();
            (
                (key("status"), key("bucket"), key("class")),
                (r["loans"].as_i64().unwrap(), fen_at(&r["principal_outstanding"]), fen_at(&r["total_outstanding"])),
            )
        })
        .collect()
}

/// The portfolio on `date` built loan by loan from `loan show --as-of`.
fn portfolio_by_hand(env: &Env, loans: &[&str], date: &str) -> Rows {
    let mut rows = Rows::new();
    for loan in loans {
        let view = show(env, loan, Some(date));
        let (status, _, bucket, class) = standing(&view);
        let row = rows.entry((status, bucket, class)).or_default();
        row.0 += 1;
        row.1 += fen_at(&view["outstanding"]["principal"]);
        row.2 += fen_at(&view["outstanding"]["total"]);
    }
    rows
}

fn without_totals(rows: &Rows) -> BTreeMap<(String, String, String), (i64, i64)> {
    rows.iter().map(|(k, v)| (k.clone(), (v.0, v.1))).collect()
}

fn row(
    status: &str,
    bucket: &str,
    class: &str,
    loans: i64,
    principal: &str,
    total: &str,
) -> ((String, String, String), (i64, i64, i64)) {
    ((status.to_owned(), bucket.to_owned(), class.to_owned()), (loans, fen(principal), fen(total)))
}

const LOANS: [&str; 3] = ["L1", "L2", "L3"];

fn workflow(env: &Env) {
    let out = env.ok(&["init"]);
    assert!(out.contains("is at schema version"), "{out}");
    // init again is harmless.
    env.ok(&["init"]);

    let tape = env.file("loans.csv", THREE_LOANS);
    let out = env.ok(&["import", "loans", tape.to_str().unwrap()]);
    assert!(out.contains("imported 3 of 3 loans"), "{out}");
    let before_eod = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(before_eod["as_of"], "-", "no business date before the first batch");
    assert_eq!(portfolio_rows(&before_eod), Rows::from([row("active", "M0", "normal", 3, "18000.00", "18000.00")]));

    let out = env.ok(&["eod", "--until", "2026-03-20"]);
    assert!(out.lines().any(|l| l.starts_with("closed through 2026-03-20")), "{out}");
    // Then the collection step plans the open day (these borrowers gave no contact details).
    assert!(out.lines().any(|l| l.starts_with("2026-03-21: ") && l.contains("reached by a step")), "{out}");
    // The book starts on the first day a loan has an event and closes every day after.
    assert!(out.contains("2026-02-15: ") && out.contains("2026-03-19: ") && out.contains("2026-03-20: "), "{out}");

    // L1: 10000.00 annuity from 2026-01-15, nothing paid. Installment 1 fell due 2026-02-15:
    // on 2026-03-20 it is 33 days past due — after the 3 days' grace M1 (special mention), and
    // from DPD 31 M2. Installment 2 (2026-03-15) is 5 days past due.
    let l1 = show(env, "L1", None);
    assert_eq!(l1["as_of"], "2026-03-20");
    assert_eq!(standing(&l1), st("active", 33, "M2", "special-mention"));
    let schedule = l1["schedule"].as_array().unwrap();
    let inst: Vec<(&str, i64)> = schedule.iter().map(|i| (i["status"].as_str().unwrap(), i["dpd"].as_i64().unwrap())).collect();
    assert_eq!(&inst[..3], [("overdue", 33), ("overdue", 5), ("future", 0)]);
    let history: Vec<(&str, i64, &str, &str)> = l1["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["date"].as_str().unwrap(),
                h["dpd"].as_i64().unwrap(),
                h["to_bucket"].as_str().unwrap(),
                h["to_class"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("2026-02-16", 1, "M0-grace", "normal"),
            ("2026-02-19", 4, "M1", "special-mention"),
            ("2026-03-18", 31, "M2", "special-mention")
        ]
    );
    // Due now: the principal and interest of installments 1 and 2 and the penalty charges;
    // still owed: all the principal.
    assert_eq!(fen_at(&l1["due"]["principal"]), fen("806.19") + fen("811.03"));
    assert_eq!(fen_at(&l1["due"]["interest"]), fen("60.00") + fen("55.16"));
    assert!(fen_at(&l1["due"]["penalty"]) > 0, "penalty on overdue principal after the grace: {}", l1["due"]);
    assert_eq!(l1["outstanding"]["principal"], "10000.00");
    assert_eq!(l1["payments"], Value::Array(vec![]));
    // L2 (due 2026-02-20) is 28 days late, L3 (interest only, due 2026-03-01) 19: both M1.
    assert_eq!(standing(&show(env, "L2", None)), st("active", 28, "M1", "special-mention"));
    assert_eq!(standing(&show(env, "L3", None)), st("active", 19, "M1", "special-mention"));
    let stored = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(stored["as_of"], "2026-03-20");
    // The stored summary has the loans in the buckets and classes they stand in on the business
    // date, with their principal (its totals lag: see `stored_portfolio_totals_are_on_the_business_date`).
    assert_eq!(
        without_totals(&portfolio_rows(&stored)),
        without_totals(&portfolio_by_hand(env, &LOANS, "2026-03-20")),
        "stored portfolio = loan by loan"
    );

    // The portfolio on an earlier date, computed loan by loan: on 2026-02-20 L1 is 5 days
    // late (M1), L2 falls due that day (M0) and L3 is not due yet (M0).
    let feb20 = env.json(&["portfolio", "--as-of", "2026-02-20", "--format", "json"]);
    assert_eq!(feb20["as_of"], "2026-02-20");
    let feb20_rows = portfolio_rows(&feb20);
    assert_eq!(feb20_rows, portfolio_by_hand(env, &LOANS, "2026-02-20"));
    let m0 = row("active", "M0", "normal", 2, "8000.00", "8075.00");
    assert_eq!(feb20_rows.get(&m0.0), Some(&m0.1), "{feb20}");
    let m1 = feb20_rows.get(&("active".into(), "M1".into(), "special-mention".into())).expect("L1 in M1 on 2026-02-20");
    assert_eq!((m1.0, m1.1), (1, fen("10000.00")));

    // The open business day is 2026-03-21: pay all that is due on it.
    let unpaid = show(env, "L1", Some("2026-03-21"));
    assert_eq!(standing(&unpaid), st("active", 34, "M2", "special-mention"));
    let due = unpaid["due"]["total"].as_str().unwrap().to_owned();
    assert!(fen(&due) > fen_at(&l1["due"]["total"]), "a day more of penalty: {due} vs {}", l1["due"]["total"]);
    let pay = ["pay", "--loan", "L1", "--amount", &due, "--date", "2026-03-21", "--key", "k1"];
    let paid = env.json(&[&pay[..], &["--format", "json"]].concat());
    assert_eq!(paid["replayed"], false);
    assert_eq!(paid["amount"], due.as_str());
    assert_eq!(paid["value_date"], "2026-03-21");
    assert_eq!(paid["paid_off"], false);
    assert_eq!((&paid["held"], &paid["from_credit"]), (&serde_json::json!("0.00"), &serde_json::json!("0.00")));
    let allocated: i64 = paid["allocation"].as_array().unwrap().iter().map(|a| fen_at(&a["amount"])).sum();
    assert_eq!(allocated, fen(&due), "the whole payment is allocated: {paid}");
    let id = paid["payment_id"].as_i64().unwrap().to_string();

    let cured = show(env, "L1", Some("2026-03-21"));
    assert_eq!(standing(&cured), st("active", 0, "M0", "normal"), "paying all that was due cures the loan");
    assert_eq!(cured["due"]["total"], "0.00");
    assert_eq!(fen_at(&cured["outstanding"]["principal"]), fen("10000.00") - fen("806.19") - fen("811.03"));
    let last = cured["status_history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["to_bucket"], &last["source"], &last["date"]),
        (&Value::from("M0"), &Value::from("payment"), &Value::from("2026-03-21"))
    );
    assert_eq!(cured["payments"].as_array().unwrap().len(), 1);
    // The stored state stands on 2026-03-21 now: its ledger adds up to what is owed.
    assert_eq!(ledger_receivables(&cured), components(&cured["outstanding"]), "ledger = balances after the payment");

    // The same payment again posts nothing.
    let snapshot = env.snapshot(&LOANS);
    let out = env.ok(&pay);
    assert!(out.contains(&format!("payment {id} of {due} on loan L1 dated 2026-03-21")), "{out}");
    assert!(out.contains("(this key was seen before: nothing was posted again)"), "{out}");
    let again = env.json(&[&pay[..], &["--format", "json"]].concat());
    assert_eq!(again["replayed"], true);
    assert_eq!(again["payment_id"], paid["payment_id"]);
    assert_eq!(again["allocation"], paid["allocation"]);
    assert_eq!(env.snapshot(&LOANS), snapshot, "a replayed payment changed the book");
    assert_eq!(show(env, "L1", Some("2026-03-21"))["payments"].as_array().unwrap().len(), 1, "still one payment");

    // The stored portfolio counts L1 as cured.
    let after_pay = portfolio_rows(&env.json(&["portfolio", "--format", "json"]));
    let cured_row = row("active", "M0", "normal", 1, "8382.78", "8382.78");
    assert_eq!(after_pay.get(&cured_row.0), Some(&cured_row.1), "{after_pay:?}");

    // The reversal puts the loan back as if the payment had never arrived.
    let out = env.ok(&["reverse", "--payment", &id]);
    assert_eq!(out.trim(), format!("payment {id} of {due} on loan L1 reversed"));
    let out = env.ok(&["reverse", "--payment", &id]);
    assert!(out.contains("(already reversed with this key; nothing changed)"), "{out}");
    let reversed = show(env, "L1", Some("2026-03-21"));
    assert_eq!(standing(&reversed), standing(&unpaid));
    assert_eq!(reversed["outstanding"], unpaid["outstanding"]);
    assert_eq!(reversed["due"], unpaid["due"]);
    assert_eq!(reversed["payoff"], unpaid["payoff"]);
    let payments = reversed["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!((&payments[0]["key"], &payments[0]["status"]), (&Value::from("k1"), &Value::from("reversed")));
    let ledger = reversed["ledger"].as_array().unwrap();
    let (payment_entry, reversal_entry) = (&ledger[ledger.len() - 2], &ledger[ledger.len() - 1]);
    assert_eq!((&payment_entry["kind"], &reversal_entry["kind"]), (&Value::from("payment"), &Value::from("reversal")));
    let negated: Vec<(String, i64)> = payment_entry["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["account"].as_str().unwrap().to_owned(), -fen_at(&l["amount"])))
        .collect();
    let reversal: Vec<(String, i64)> = reversal_entry["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["account"].as_str().unwrap().to_owned(), fen_at(&l["amount"])))
        .collect();
    assert_eq!(reversal, negated, "the reversal entry takes back the payment entry");
    assert_eq!(ledger_receivables(&reversed), components(&reversed["outstanding"]), "ledger = balances after the reversal");

    // The stored portfolio, in JSON and CSV.
    let stored = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(stored["as_of"], "2026-03-20");
    let rows = portfolio_rows(&stored);
    let m1 = row("active", "M1", "special-mention", 2, "8000.00", "8224.04");
    let m2 = row("active", "M2", "special-mention", 1, "10000.00", unpaid["outstanding"]["total"].as_str().unwrap());
    assert_eq!(rows, Rows::from([m1, m2]));
    let csv = env.ok(&["portfolio", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("status,bucket,class,loans,principal_outstanding,total_outstanding"));
    let from_csv: Rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 6, "{l}");
            ((f[0].into(), f[1].into(), f[2].into()), (f[3].parse().unwrap(), fen(f[4]), fen(f[5])))
        })
        .collect();
    assert_eq!(from_csv, rows, "CSV and JSON portfolios agree");
    let table = env.ok(&["portfolio"]);
    assert!(table.contains("portfolio as of 2026-03-20: 3 active loans, principal outstanding 18000.00"), "{table}");

    // The earlier date is computed from the loans' history, so it has not moved.
    let feb20_again = env.json(&["portfolio", "--as-of", "2026-02-20", "--format", "json"]);
    assert_eq!(portfolio_rows(&feb20_again), feb20_rows, "portfolio on 2026-02-20 after a later payment and its reversal");
}

/// With no `--as-of`, `loan show` should show the loan on the open business day (as its
/// service function documents), so a payment made that day is in the balances it shows.
#[test]
fn loan_show_after_a_payment_on_the_open_day_includes_it() {
    let env = Env::sqlite();
    env.three_loan_book();
    let due = show(&env, "L1", Some("2026-03-21"))["due"]["total"].as_str().unwrap().to_owned();
    env.ok(&["pay", "--loan", "L1", "--amount", &due, "--date", "2026-03-21", "--key", "k1"]);
    let view = show(&env, "L1", None);
    assert_eq!(view["payments"][0]["status"], "posted");
    assert_eq!(view["as_of"], "2026-03-21", "the open business day (the loan's own date)");
    assert_eq!(view["due"]["total"], "0.00", "the payment is in the balances: {}", view["outstanding"]);
    assert_eq!(standing(&view), st("active", 0, "M0", "normal"));
}

/// The stored portfolio says it stands on the business date, but a loan's stored balances are
/// those of the last day the batch touched it: the penalty and compound interest accrued since
/// are missing from `total_outstanding`, so it differs from the portfolio computed for the same
/// date.
#[test]
fn stored_portfolio_totals_are_on_the_business_date() {
    let env = Env::sqlite();
    env.three_loan_book();
    let stored = env.json(&["portfolio", "--format", "json"]);
    assert_eq!(stored["as_of"], "2026-03-20");
    let computed = env.json(&["portfolio", "--as-of", "2026-03-20", "--format", "json"]);
    assert_eq!(portfolio_rows(&stored), portfolio_rows(&computed), "stored:   {stored}\ncomputed: {computed}");
}
