//! The nightly batch: idempotent per date, resumable after a crash, independent of threads
//! and partitions, only forward in time, and in agreement with the pure core.

use arrears_app::demo::{self, DemoOptions};
use arrears_app::eod::{self, EodOptions};
use arrears_app::AppError;
use arrears_core::{LoanState, RepaymentMethod};
use arrears_store::{PaymentStatus, Store};

use crate::story;
use crate::support::{assert_ledger_matches, assert_same_dump, d, dump, new_loan, open, TestDb};

/// Forty loans of every method, started over the first days of January, none paying.
fn book(store: &mut Store) {
    let methods =
        [RepaymentMethod::Annuity, RepaymentMethod::EqualPrincipal, RepaymentMethod::InterestOnly, RepaymentMethod::Bullet];
    let loans = (0..40)
        .map(|k| {
            let start = format!("2026-01-{:02}", 1 + k % 10);
            let principal = format!("{}.{:02}", 1000 + 137 * k, k);
            new_loan(&format!("L{k:03}"), &principal, &format!("{}", 6 + k % 18), 3 + (k as u32 % 10), methods[k % 4], &start)
        })
        .collect();
    open(store, loans);
}

fn options(threads: usize, partition_size: usize) -> EodOptions {
    EodOptions { threads, partition_size, stop_after_partitions: None }
}

story!(a_closed_date_runs_again_as_a_no_op, |db: &TestDb| {
    let mut store = db.init();
    book(&mut store);
    eod::run_until(&mut store, d("2026-04-10"), options(2, 7), |_, _| ()).unwrap();
    let before = dump(&mut store);
    let again = eod::run(&mut store, d("2026-04-10"), options(2, 7), |_, _| ()).unwrap();
    assert!(again.already_closed);
    assert_same_dump(&dump(&mut store), &before);
    assert_ledger_matches(&mut store);
});

story!(a_batch_killed_half_way_and_run_again_ends_as_one_clean_run, |db: &TestDb| {
    let mut clean = db.init();
    book(&mut clean);
    eod::run_until(&mut clean, d("2026-05-31"), options(1, 1000), |_, _| ()).unwrap();
    let want = dump(&mut clean);
    drop(clean);

    let other = if db.url.starts_with("sqlite") { TestDb::sqlite() } else { TestDb::postgres().expect("PostgreSQL configured") };
    let mut store = other.init();
    book(&mut store);
    let mut day = d("2026-01-01");
    let mut interrupted = 0;
    while day <= d("2026-05-31") {
        let crash = EodOptions { stop_after_partitions: Some(1), ..options(2, 3) };
        match eod::run(&mut store, day, crash, |_, _| ()) {
            Err(AppError::Interrupted { .. }) => {
                interrupted += 1;
                eod::run(&mut store, day, options(2, 3), |_, _| ()).unwrap();
            }
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
        day = day.add_days(1);
    }
    assert!(interrupted > 10, "the test really interrupted batches ({interrupted})");
    assert_same_dump(&dump(&mut store), &want);
});

story!(threads_and_partitions_do_not_change_the_result, |db: &TestDb| {
    let run = |db: &TestDb, eod_options: EodOptions| {
        let mut store = db.init();
        let options = DemoOptions { loans: 120, days: 150, seed: 7, start: d("2026-01-01"), eod: eod_options };
        demo::run(&mut store, options, None, |_, _| ()).unwrap();
        dump(&mut store)
    };
    let one = run(db, options(1, 50_000));
    let other = if db.url.starts_with("sqlite") { TestDb::sqlite() } else { TestDb::postgres().expect("PostgreSQL configured") };
    assert_same_dump(&run(&other, options(3, 4)), &one);
});

story!(the_business_date_only_moves_forward, |db: &TestDb| {
    let mut store = db.init();
    book(&mut store);
    eod::run(&mut store, d("2026-01-10"), options(1, 10), |_, _| ()).unwrap();
    let back = eod::run(&mut store, d("2026-01-09"), options(1, 10), |_, _| ()).unwrap_err();
    assert!(matches!(back, AppError::BackInTime { .. }), "{back}");
    let skip = eod::run(&mut store, d("2026-01-12"), options(1, 10), |_, _| ()).unwrap_err();
    assert!(matches!(skip, AppError::SkipsDays { .. }), "{skip}");
    assert!(skip.to_string().contains("--until 2026-01-12"), "{skip}");
});

story!(stored_states_are_the_pure_replay_of_their_payments, |db: &TestDb| {
    let mut store = db.init();
    let options = DemoOptions { loans: 150, days: 200, seed: 11, start: d("2026-01-01"), eod: options(2, 16) };
    // With the collection desk working: its promises bring payments of their own.
    let dir = std::env::temp_dir().join(format!("arrears-demo-outbox-{}-{}", std::process::id(), db.url.len()));
    let senders = arrears_policy::Channel::ALL
        .iter()
        .filter(|c| **c != arrears_policy::Channel::Call)
        .fold(arrears_app::outbox::Senders::default(), |s, c| {
            s.with(Box::new(arrears_channels::file::FileSender::new(*c, dir.join(format!("{}.jsonl", c.code())))))
        });
    std::fs::create_dir_all(&dir).unwrap();
    let desk = arrears_app::demo_desk::Desk {
        config: arrears_app::collect::CollectConfig::shipped(),
        senders,
        risk: arrears_app::risk::RiskConfig::shipped(),
    };
    let report = demo::run(&mut store, options, Some(&desk), |_, _| ()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let compliance = report.compliance.as_ref().expect("the desk ran");
    assert!(compliance.breaches.is_empty(), "{:?}", compliance.breaches);
    assert!(compliance.allowed() > 500 && report.calls.connected > 10, "a working desk: {compliance:?} {:?}", report.calls);
    assert!(
        report.payments > 200 && report.paid_off > 5,
        "a busy book: {} payments, {} payoffs",
        report.payments,
        report.paid_off
    );
    assert_ledger_matches(&mut store);
    store
        .read(|tx| {
            for loan in tx.loans_page(0, 1_000)? {
                let facts = arrears_app::service::replay_facts(&tx.payments_of(loan.seq)?, loan.seq, loan.state.as_of);
                let replayed = LoanState::replay_with(&loan.terms, &facts, &loan.state.events(), loan.state.as_of).unwrap();
                assert_eq!(loan.state, replayed, "loan {}", loan.loan_no);
                let stored: Vec<_> = tx.history(loan.seq)?.into_iter().filter(|(_, s)| s != "reversal").map(|(c, _)| c).collect();
                if !tx.payments_of(loan.seq)?.iter().any(|p| p.status == PaymentStatus::Reversed) {
                    assert_eq!(stored, loan.state.history, "status history of loan {}", loan.loan_no);
                }
            }
            Ok::<_, AppError>(())
        })
        .unwrap();
});

story!(a_version_1_book_upgrades_with_its_reference_dates, |db: &TestDb| {
    use arrears_core::{LoanTerms, ProductRules, Rate, RepaymentMethod, TermsInput};
    let mut store = arrears_store::Store::create(&db.url).unwrap();
    assert_eq!(store.migrate_to(1).unwrap(), 1);
    // A loan as a version 1 database holds it: overdue since 2026-02-15, stood on 2026-02-20.
    let terms = LoanTerms::new(TermsInput {
        principal: arrears_core::Amount(300_000),
        annual_rate: Rate::from_bp(1800),
        term_months: 6,
        method: RepaymentMethod::Annuity,
        start_date: d("2026-01-15"),
        first_due_date: None,
        rules: ProductRules::default(),
    })
    .unwrap();
    let mut state = LoanState::disburse(&terms);
    state.advance(&terms, d("2026-02-20")).unwrap();
    let (terms_json, state_json) = (serde_json::to_string(&terms).unwrap(), serde_json::to_string(&state).unwrap());
    let rules = serde_json::to_string(&ProductRules::default()).unwrap();
    store
        .transaction(|tx| {
            tx.execute_raw(&format!("INSERT INTO products (code, name, rules) VALUES ('CASH', 'cash', '{rules}')"))?;
            tx.execute_raw(&format!(
                "INSERT INTO loans (seq, loan_no, borrower_id, product, currency, principal, start_date, terms, state, status, as_of, \
                 bucket, class, oldest_unpaid_due, principal_outstanding, total_outstanding, next_event, version, ledger_rows, history_rows) \
                 VALUES (1, 'OLD1', 'B1', 'CASH', 'CNY', 300000, '2026-01-15', '{terms_json}', '{state_json}', 'active', '2026-02-20', \
                 'M1', 'special-mention', '2026-02-15', 300000, 300000, '2026-02-21', 1, 0, 0)"
            ))
        })
        .unwrap();
    assert!(arrears_app::open(&db.url).is_err(), "a version 1 book must be migrated first");
    // `arrears init` migrates: the loan gets the collection reference date it would have now.
    let (mut store, version) = arrears_app::init(&db.url).unwrap();
    assert_eq!(version, arrears_store::SCHEMA_VERSION);
    let found = store.read(|tx| tx.loans_by_reference_due(&[d("2026-02-15")], 0, 10)).unwrap();
    assert_eq!(found.len(), 1, "the overdue loan is found by its oldest unpaid due date");
    assert_eq!(found[0].decode().unwrap().loan_no, "OLD1");
    // A book that existed before write-off keeps its loans on the books until told otherwise.
    let rule = store.read(arrears_app::writeoff::WriteOffRule::load).unwrap();
    assert_eq!((rule.cny, rule.usd), (None, None));
    let fresh = store.read(|tx| Ok::<_, arrears_app::AppError>(tx.meta("writeoff.after_days.cny")?)).unwrap();
    assert_eq!(fresh.as_deref(), Some("0"));
});
