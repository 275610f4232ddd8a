//! Writers at the same time: the nightly batch while payments arrive, and the same reversal
//! sent twice at once. SQLite queues writers; PostgreSQL locks the loan rows.

use arrears_app::eod::{self, EodOptions};
use arrears_app::service;
use arrears_app::AppError;
use arrears_core::{LoanState, RepaymentMethod};
use arrears_store::PaymentStatus;

use crate::story;
use crate::support::{amt, assert_ledger_matches, d, for_each_loan, new_loan, open, TestDb};

/// Sixty loans started on one day, so that they all fall due together.
fn book(db: &TestDb) {
    let mut store = db.init();
    let loans =
        (0..60).map(|k| new_loan(&format!("C{k:03}"), "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15")).collect();
    open(&mut store, loans);
    eod::run_until(&mut store, d("2026-02-14"), EodOptions::default(), |_, _| ()).unwrap();
}

story!(payments_arriving_during_the_nightly_batch_are_neither_lost_nor_refused, |db: &TestDb| {
    book(db);
    let url = db.url.clone();
    let day = d("2026-02-15");
    std::thread::scope(|s| {
        let batch = s.spawn(|| {
            let mut store = arrears_app::open(&url).unwrap();
            eod::run(&mut store, day, EodOptions { threads: 2, partition_size: 4, stop_after_partitions: None }, |_, _| ())
                .unwrap()
        });
        let payer = s.spawn(|| {
            let mut store = arrears_app::open(&url).unwrap();
            for k in (0..60).step_by(2) {
                service::pay(&mut store, &format!("C{k:03}"), amt("100.00"), Some(day), &format!("p{k}")).unwrap();
            }
        });
        payer.join().unwrap();
        let report = batch.join().unwrap();
        assert!(report.loans_touched >= 30, "the batch did its share: {report:?}");
    });
    let mut store = db.open();
    assert_ledger_matches(&mut store);
    store
        .read(|tx| {
            for_each_loan(tx, |tx, loan| {
                let facts = arrears_app::service::replay_facts(&tx.payments_of(loan.seq)?, loan.seq, loan.state.as_of);
                assert_eq!(loan.state.as_of, day, "loan {} closed for the day", loan.loan_no);
                assert_eq!(loan.state, LoanState::replay(&loan.terms, &facts, day)?, "loan {}", loan.loan_no);
                Ok(())
            })?;
            assert_eq!(tx.business_date()?, Some(day));
            Ok::<_, AppError>(())
        })
        .unwrap();
});

story!(the_same_reversal_sent_twice_at_once_reverses_once, |db: &TestDb| {
    book(db);
    let mut store = db.open();
    let paid = service::pay(&mut store, "C000", amt("524.55"), None, "pay").unwrap();
    drop(store);
    let url = db.url.clone();
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || {
                    let mut store = arrears_app::open(&url).unwrap();
                    service::reverse(&mut store, paid.payment_id, "reverse-once").unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1, "{outcomes:?}");
    let mut store = db.open();
    let view = service::loan_view(&mut store, "C000", None).unwrap();
    assert_eq!(view.payments[0].status, PaymentStatus::Reversed);
    assert_eq!(view.ledger.iter().filter(|e| e.reference.starts_with("reversal:")).count(), 1, "one reversal entry");
    assert_ledger_matches(&mut store);
});
