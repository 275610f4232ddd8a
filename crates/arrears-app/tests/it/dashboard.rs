//! The dashboard's figures on a small book whose every month end is known: five yuan loans
//! (one paying ahead, one never paying and written off, one curing, one paying off, one of a
//! later vintage falling behind) and a dollar loan that must never be counted with them, and a
//! communication record written by hand.

use arrears_app::dashboard::{self, Chart, Ratio};
use arrears_app::{service, writeoff};
use arrears_core::{Amount, Date, RepaymentMethod};
use arrears_store::{ArmLine, CallTask, Funnel, NewContact, PromiseRow, Store};

use crate::story;
use crate::support::{amt, close_with_month_ends, d, new_loan, open, TestDb};

/// The book: what each loan does is in the test's comments.
fn book(store: &mut Store) -> Amount {
    let cash = |no: &str, start: &str| new_loan(no, "3000.00", "12", 6, RepaymentMethod::Annuity, start);
    let mut dollars = new_loan("L6", "3000.00", "12", 6, RepaymentMethod::Annuity, "2026-01-10");
    dollars.product = "US-INST".into();
    open(
        store,
        vec![cash("L1", "2026-01-10"), cash("L2", "2026-01-10"), cash("L3", "2026-01-10"), cash("L4", "2026-01-10"), dollars],
    );
    close_with_month_ends(store, "2026-01-20");
    // L1 pays ahead: the money held pays February's, March's and April's installments.
    service::pay(store, "L1", amt("2000.00"), None, "L1-ahead").unwrap();
    close_with_month_ends(store, "2026-02-09");
    open(store, vec![cash("L5", "2026-02-10")]);
    close_with_month_ends(store, "2026-03-04");
    // L4 missed February's installment, then pays off.
    let payoff = service::loan_view(store, "L4", Some(d("2026-03-05"))).unwrap().payoff;
    service::pay(store, "L4", payoff, None, "L4-off").unwrap();
    close_with_month_ends(store, "2026-03-19");
    // L3 missed February's and March's installments, then pays them and April's.
    service::pay(store, "L3", amt("2000.00"), None, "L3-catch-up").unwrap();
    close_with_month_ends(store, "2026-03-31");
    // L2 never paid: written off on 1 April, 50 days past due; it pays 100.00 later.
    for (name, role) in [("lee", "legal-officer"), ("kim", "supervisor")] {
        arrears_app::hardship::add_staff(store, name, role).unwrap();
    }
    let written_off = writeoff::decide(store, "L2", "no assets", "lee", "kim").unwrap();
    assert_eq!((written_off.date, written_off.dpd), (d("2026-04-01"), 50));
    close_with_month_ends(store, "2026-04-14");
    service::pay(store, "L2", amt("100.00"), None, "L2-recovery").unwrap();
    close_with_month_ends(store, "2026-05-01");
    written_off.amount.total()
}

fn contact(key: &str, loan_seq: i64, channel: &str, purpose: &str, arm: &str, blocked: bool) -> NewContact {
    NewContact {
        contact_key: key.into(),
        loan_seq,
        borrower_id: "B".into(),
        business_date: d("2026-03-02"),
        at_utc: 0,
        at_local: "2026-03-02 10:00".into(),
        channel: channel.into(),
        party: "debtor".into(),
        purpose: purpose.into(),
        template: "t".into(),
        strategy: "cn".into(),
        arm: arm.into(),
        step_day: Some(1),
        collector: "a1".into(),
        recipient: "138****5678".into(),
        content: String::new(),
        facts: "{}".into(),
        flags: "{}".into(),
        pack: "cn".into(),
        blocked: blocked.then(|| ("hours".to_owned(), "too late".to_owned(), None)),
    }
}

fn task(key: &str, loan_seq: i64, arm: &str) -> CallTask {
    CallTask {
        id: 0,
        task_key: key.into(),
        loan_seq,
        borrower_id: "B".into(),
        business_date: d("2026-03-02"),
        desk: "CNY".into(),
        strategy: "cn".into(),
        arm: arm.into(),
        step_day: 5,
        template: "call".into(),
        script: String::new(),
        amount_due: 100,
        dpd: 5,
        priority: 1,
        window_from: 0,
        window_until: i64::MAX,
        not_before: 0,
        assigned_to: None,
        status: "open".into(),
        outcome: None,
        attempts: 0,
    }
}

/// The record: eight contacts on the yuan loans and one on the dollar loan.
fn record(store: &mut Store) {
    store
        .transaction(|tx| {
            let seq = |tx: &mut arrears_store::Tx<'_>, no: &str| tx.loan(no).map(|l| l.expect("loan").seq);
            let (l1, l2, l3, l5, l6) = (seq(tx, "L1")?, seq(tx, "L2")?, seq(tx, "L3")?, seq(tx, "L5")?, seq(tx, "L6")?);
            tx.append_contacts(&[
                contact("k1", l1, "sms", "reminder", "champion", false),
                contact("k2", l2, "sms", "collection", "champion", false),
                contact("k3", l2, "email", "collection", "champion", false),
                contact("k4", l3, "sms", "collection", "champion", true),
                contact("k5", l2, "call", "collection", "challenger", false),
                contact("k6", l5, "call", "collection", "challenger", false),
                contact("k7", l5, "call", "collection", "challenger", false),
                contact("k8", l3, "call", "collection", "challenger", false),
                NewContact { strategy: "us".into(), ..contact("k9", l6, "sms", "collection", "champion", false) },
            ])?;
            // k1 went out; k2 went out and its receipt said undelivered; k3 expired unsent.
            for (key, event) in [
                ("k1", "sent"),
                ("k2", "sent"),
                ("k2", "undelivered"),
                ("k3", "expired"),
                ("k5", "promise"),
                ("k5", "connected"),
                ("k6", "no-answer"),
                ("k7", "promise"),
                ("k7", "connected"),
                ("k9", "sent"),
            ] {
                tx.append_contact_event(key, event, 1, "{}")?;
            }
            for (key, loan) in [("k5", l2), ("k7", l5)] {
                tx.add_promise(&PromiseRow {
                    id: 0,
                    loan_seq: loan,
                    contact_key: key.into(),
                    agent_id: "a1".into(),
                    made_on: d("2026-03-02"),
                    promised_date: d("2026-03-09"),
                    amount: 10_000,
                    status: "open".into(),
                    resolved_on: None,
                })?;
            }
            let promises = tx.promises_of(l2)?.into_iter().chain(tx.promises_of(l5)?).collect::<Vec<_>>();
            for p in promises {
                tx.resolve_promise(p.id, if p.contact_key == "k5" { "kept" } else { "broken" }, d("2026-03-10"))?;
            }
            tx.add_call_tasks(&[task("t5", l2, "challenger"), task("t6", l5, "challenger"), task("t8", l3, "challenger")])
        })
        .unwrap();
}

/// The balances of the month rows of `loans` at the end of `month`, from the rows themselves.
fn balance_of(store: &mut Store, month: &str, loans: &[&str]) -> i64 {
    store
        .read(|tx| {
            let mut total = 0;
            for no in loans {
                let seq = tx.loan(no)?.expect("loan").seq;
                total += tx
                    .months_of(&[seq], "0000-00", "9999-99")?
                    .remove(&seq)
                    .unwrap_or_default()
                    .iter()
                    .filter(|m| m.month == month)
                    .map(|m| m.balance)
                    .sum::<i64>();
            }
            Ok::<_, arrears_app::AppError>(total)
        })
        .unwrap()
}

story!(the_dashboard_adds_up_a_known_book, |db: &TestDb| {
    let mut store = db.init();
    let written_off = book(&mut store);
    record(&mut store);
    let dash = dashboard::dashboard(&mut store, None, None).unwrap();
    assert_eq!(dash.business_date, Some(d("2026-05-01")));
    assert_eq!((dash.currency.as_deref(), dash.currencies.clone()), (Some("CNY"), vec!["CNY".to_owned(), "USD".to_owned()]));

    // The book now: L1, L3, L5 active; L4 paid off; L2 written off. The dollar loan is apart.
    let book: Vec<(&str, i64)> = dash.book.iter().map(|l| (l.status.as_str(), l.loans)).collect();
    assert_eq!(book, vec![("active", 3), ("paid-off", 1), ("written-off", 1)]);
    assert_eq!(dash.book.iter().find(|l| l.status == "paid-off").unwrap().total_outstanding, 0);

    // Month ends by bucket: January all current (L5 not yet started); February L2, L3, L4 in
    // M1 (18 days); March L2 in M2 (49), L5 in M1 (21), L4 closed; April L2 written off, L5 in
    // M2 (51).
    let buckets: Vec<(&str, Vec<(&str, i64)>)> =
        dash.months.iter().map(|m| (m.month.as_str(), m.buckets.iter().map(|(b, n, _)| (b.as_str(), *n)).collect())).collect();
    assert_eq!(
        buckets,
        vec![
            ("2026-01", vec![("M0", 4)]),
            ("2026-02", vec![("M0", 2), ("M1", 3)]),
            ("2026-03", vec![("M0", 2), ("M1", 1), ("M2", 1)]),
            ("2026-04", vec![("M0", 2), ("M2", 1), ("written-off", 1)]),
        ]
    );
    let rate = |month: &str| dash.months.iter().find(|m| m.month == month).unwrap().overdue_rate;
    assert_eq!(rate("2026-01"), Ratio { part: 0, whole: balance_of(&mut store, "2026-01", &["L1", "L2", "L3", "L4"]) });
    assert_eq!(
        rate("2026-02"),
        Ratio {
            part: balance_of(&mut store, "2026-02", &["L2", "L3", "L4"]),
            whole: balance_of(&mut store, "2026-02", &["L1", "L2", "L3", "L4", "L5"])
        }
    );
    // The written-off loan is in neither part of April's rate.
    assert_eq!(
        rate("2026-04"),
        Ratio { part: balance_of(&mut store, "2026-04", &["L5"]), whole: balance_of(&mut store, "2026-04", &["L1", "L3", "L5"]) }
    );
    let april = dash.months.iter().find(|m| m.month == "2026-04").unwrap();
    let april_written_off = april.buckets.iter().find(|(b, _, _)| b == "written-off").unwrap().2;
    assert_eq!(april_written_off.0, balance_of(&mut store, "2026-04", &["L2"]));
    assert!(rate("2026-04").part > 0 && rate("2026-04").part < rate("2026-04").whole);

    // Roll rates from March to April.
    let roll = dash.roll.clone().unwrap();
    assert_eq!((roll.from_month.as_str(), roll.to_month.as_str()), ("2026-03", "2026-04"));
    assert_eq!(roll.columns, vec!["M0", "M2", "written-off"]);
    assert_eq!(
        roll.rows,
        vec![("M0".to_owned(), vec![2, 0, 0]), ("M1".to_owned(), vec![0, 1, 0]), ("M2".to_owned(), vec![0, 0, 1])]
    );

    // Vintages: January's four loans (L2 over 30 days from March), February's one (L5 from April).
    let curves = dash
        .vintages
        .iter()
        .map(|v| (v.vintage.as_str(), v.loans, v.points.iter().map(|(mob, _, n)| (*mob, *n)).collect::<Vec<_>>()))
        .collect::<Vec<_>>();
    assert_eq!(curves, vec![("2026-01", 4, vec![(0, 0), (1, 0), (2, 1), (3, 1)]), ("2026-02", 1, vec![(0, 0), (1, 0), (2, 1)])]);
    assert_eq!(Ratio { part: 1, whole: 4 }.percent().as_deref(), Some("25.00"));

    // Cures: of February's three late loans L3 is current in March and L4 paid off; of March's
    // two (L2, L5) none.
    let cures = dash
        .cures
        .iter()
        .map(|c| (c.month.as_str(), c.next_month.as_str(), c.late, c.current, c.closed, c.rate().percent()))
        .collect::<Vec<_>>();
    assert_eq!(
        cures,
        vec![("2026-02", "2026-03", 3, 1, 1, Some("66.67".to_owned())), ("2026-03", "2026-04", 2, 0, 0, Some("0.00".to_owned()))]
    );

    // Recoveries: L2 written off in April has paid 100.00 since, as the ledger's recoveries say.
    assert_eq!(dash.recoveries.len(), 1);
    let r = &dash.recoveries[0];
    assert_eq!((r.month.as_str(), r.loans, r.written_off, r.recovered), ("2026-04", 1, written_off, amt("100.00")));
    let ledger = store.read(|tx| tx.recoveries_between(d("2026-01-01"), d("2026-12-31"))).unwrap();
    assert_eq!(ledger, vec![("CNY".to_owned(), 10_000)]);

    // The funnel: 8 attempted, 7 allowed; delivered k1 and the four calls (k2 undelivered, k3
    // expired); k5 and k7 connected and promised; k5 kept.
    assert_eq!(dash.funnel, Funnel { attempted: 8, allowed: 7, delivered: 5, connected: 2, promised: 2, kept: 1 });

    // The arms: the champion's collection contacts reached L2 only (k1 is a reminder); the
    // challenger's L2, L3, L5, of which L3 is current now; L2 paid 100.00 and L3 2000.00 after
    // 2 March.
    assert_eq!(
        dash.arms,
        vec![
            ArmLine {
                strategy: "cn".into(),
                arm: "challenger".into(),
                loans: 3,
                allowed: 4,
                blocked: 0,
                call_tasks: 3,
                promises: 2,
                kept: 1,
                collected_loans: 3,
                current_now: 1,
                paid_since: 210_000,
            },
            ArmLine {
                strategy: "cn".into(),
                arm: "champion".into(),
                loans: 3,
                allowed: 3,
                blocked: 1,
                call_tasks: 0,
                promises: 0,
                kept: 0,
                collected_loans: 1,
                current_now: 0,
                paid_since: 10_000,
            },
        ]
    );
});

story!(the_dashboard_of_another_currency_and_of_one_chart, |db: &TestDb| {
    let mut store = db.init();
    book(&mut store);
    record(&mut store);
    // The dollar loan alone: never paid (10 days' grace), more than 30 days late from March.
    let usd = dashboard::dashboard(&mut store, Some("USD"), None).unwrap();
    assert_eq!(usd.currency.as_deref(), Some("USD"));
    assert_eq!(usd.book.iter().map(|l| (l.status.as_str(), l.loans)).collect::<Vec<_>>(), vec![("active", 1)]);
    let buckets: Vec<(&str, Vec<&str>)> =
        usd.months.iter().map(|m| (m.month.as_str(), m.buckets.iter().map(|(b, _, _)| b.as_str()).collect())).collect();
    assert_eq!(buckets, vec![("2026-01", vec!["M0"]), ("2026-02", vec!["M1"]), ("2026-03", vec!["M2"]), ("2026-04", vec!["M3"])]);
    assert_eq!(usd.months[1].overdue_rate.percent().as_deref(), Some("100.00"));
    assert_eq!(usd.vintages[0].points.iter().map(|p| p.2).collect::<Vec<_>>(), vec![0, 0, 1, 1]);
    assert_eq!(usd.cures.iter().map(|c| (c.late, c.current + c.closed)).collect::<Vec<_>>(), vec![(1, 0), (1, 0)]);
    assert!(usd.recoveries.is_empty());
    assert_eq!(usd.funnel, Funnel { attempted: 1, allowed: 1, delivered: 1, ..Funnel::default() });
    assert_eq!(usd.arms.iter().map(|a| (a.strategy.as_str(), a.loans)).collect::<Vec<_>>(), vec![("us", 1)]);
    // A currency the book does not have shows the main one.
    assert_eq!(dashboard::dashboard(&mut store, Some("EUR"), None).unwrap().currency.as_deref(), Some("CNY"));

    // One chart only: the others are left empty.
    let roll = dashboard::dashboard(&mut store, None, Some(Chart::Roll)).unwrap();
    assert!(roll.roll.is_some() && roll.months.is_empty() && roll.book.is_empty() && roll.arms.is_empty());
    assert_eq!(roll.funnel, Funnel::default());
    assert_eq!(Chart::parse("vintage"), Some(Chart::Vintage));
    assert_eq!(Chart::parse("nothing"), None);

    // An empty book: nothing to show, and no error.
    let empty = TestDb::sqlite();
    let mut fresh = empty.init();
    let nothing = dashboard::dashboard(&mut fresh, None, None).unwrap();
    assert!(nothing.currency.is_none() && nothing.months.is_empty() && nothing.roll.is_none());
    let _: Option<Date> = nothing.business_date;
});

story!(a_book_from_before_the_month_figures_gets_them_on_upgrade, |db: &TestDb| {
    let mut store = db.init();
    book(&mut store);
    let before = dashboard::dashboard(&mut store, Some("CNY"), None).unwrap();
    assert!(!before.months.is_empty() && before.roll.is_some() && !before.cures.is_empty() && !before.vintages.is_empty());
    // The book as schema 9 held it: month rows, and no figures counted from them.
    store
        .transaction(|tx| {
            for table in ["month_buckets", "month_rolls", "month_cures", "month_vintages"] {
                tx.execute_raw(&format!("DROP TABLE {table}"))?;
            }
            tx.execute_raw("DROP INDEX loan_months_month")?;
            tx.execute_raw("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
        })
        .unwrap();
    drop(store);
    assert!(arrears_app::open(&db.url).is_err(), "a version 9 book must be migrated first");
    let (mut store, version) = arrears_app::init(&db.url).unwrap();
    assert_eq!(version, arrears_store::SCHEMA_VERSION);
    assert_eq!(dashboard::dashboard(&mut store, Some("CNY"), None).unwrap(), before, "the upgrade counts every month recorded");
});

story!(a_corrected_month_is_counted_again, |db: &TestDb| {
    let mut store = db.init();
    book(&mut store);
    let late_in_february = |store: &mut Store| {
        let d = dashboard::dashboard(store, Some("CNY"), None).unwrap();
        let month = d.months.iter().find(|m| m.month == "2026-02").unwrap().clone();
        let late: i64 = month.buckets.iter().filter(|(b, _, _)| b != "M0").map(|(_, n, _)| n).sum();
        (late, d.cures.iter().find(|c| c.month == "2026-02").map_or(0, |c| c.late))
    };
    let (late_before, cure_before) = late_in_february(&mut store);
    // L3 was late at February's end; the bureau's record of it is disputed and found wrong.
    let id = arrears_app::disputes::open(
        &mut store,
        &arrears_app::disputes::NewDispute {
            loan_no: "L3",
            month: Some("2026-02"),
            amount: None,
            reason: "paid on time",
            channel: "phone",
            actor: "kim",
        },
    )
    .unwrap();
    arrears_app::disputes::resolve(&mut store, id, arrears_app::disputes::Outcome::Corrected { status: 'N' }, "kim").unwrap();
    assert_eq!(late_in_february(&mut store), (late_before - 1, cure_before - 1), "February's figures and its cures count again");
});
