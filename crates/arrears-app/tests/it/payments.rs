//! Payments: idempotency keys, concurrency, allocation, reversal, and bad input.

use arrears_app::service::{self, loan_view};
use arrears_app::AppError;
use arrears_core::payment::PaymentFact;
use arrears_core::{Component, LoanError, LoanState, RepaymentMethod};

use crate::story;
use crate::support::{amt, assert_ledger_matches, assert_same_dump, d, dump, new_loan, open, TestDb};

fn one_loan(db: &TestDb) -> arrears_store::Store {
    let mut store = db.init();
    open(&mut store, vec![new_loan("L1", "10000.00", "18", 12, RepaymentMethod::Annuity, "2026-01-15")]);
    store
}

/// Closes business days so that `day` is the open one: payments may be dated up to it.
fn open_day(store: &mut arrears_store::Store, day: &str) {
    arrears_app::eod::run_until(store, d(day).add_days(-1), arrears_app::eod::EodOptions::default(), |_, _| ()).unwrap();
}

fn pay(store: &mut arrears_store::Store, amount: &str, day: &str, key: &str) -> Result<service::PaymentOutcome, AppError> {
    service::pay(store, "L1", amt(amount), Some(d(day)), key)
}

story!(a_key_posts_once, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-15");
    // 10000 at 18% over 12 months: 916.80 a month, 150.00 of it interest in the first month.
    let first = pay(&mut store, "916.80", "2026-02-15", "bank-0001").unwrap();
    assert!(!first.replayed);
    assert_eq!(first.allocation.component(Component::Interest), amt("150.00"));
    assert_eq!(first.allocation.component(Component::Principal), amt("766.80"));
    let before = dump(&mut store);
    let again = pay(&mut store, "916.80", "2026-02-15", "bank-0001").unwrap();
    assert!(again.replayed);
    assert_eq!((again.payment_id, &again.allocation), (first.payment_id, &first.allocation));
    assert_eq!(dump(&mut store), before, "a replayed key changes nothing");
    let reused = pay(&mut store, "10.00", "2026-02-15", "bank-0001").unwrap_err();
    assert!(matches!(reused, AppError::KeyReused { .. }), "{reused}");
    assert!(reused.to_string().starts_with("key:"), "{reused}");
    for web in ["api:core:1", "portal:B1:0123", "console:li:0123"] {
        let taken = pay(&mut store, "10.00", "2026-02-15", web).unwrap_err();
        assert!(taken.to_string().contains("web channels"), "{web}: {taken}");
    }
    assert_same_dump(&dump(&mut store), &before);
    assert_ledger_matches(&mut store);
});

story!(the_same_key_sent_concurrently_posts_once, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-15");
    drop(store);
    let url = db.url.clone();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || {
                    let mut store = arrears_app::open(&url).unwrap();
                    pay(&mut store, "500.00", "2026-02-15", "same-key").unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: std::collections::BTreeSet<i64> = results.iter().map(|r| r.payment_id).collect();
    assert_eq!(ids.len(), 1, "one payment for one key");
    assert_eq!(results.iter().filter(|r| !r.replayed).count(), 1, "posted by exactly one caller");
    let mut store = db.open();
    let view = loan_view(&mut store, "L1", Some(d("2026-02-15"))).unwrap();
    assert_eq!(view.payments.len(), 1);
    assert_eq!(view.state.paid().total(), amt("500.00"));
    assert_ledger_matches(&mut store);
});

story!(a_reversal_restores_the_loan_as_if_never_paid, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-25");
    // Pay late (in M1), so the payment also cures the loan: the reversal must undo the cure.
    let unpaid = loan_view(&mut store, "L1", Some(d("2026-02-25"))).unwrap().state;
    let due = unpaid.due().total();
    let payment = service::pay(&mut store, "L1", due, Some(d("2026-02-25")), "k1").unwrap();
    let paid = loan_view(&mut store, "L1", Some(d("2026-02-25"))).unwrap();
    assert_eq!(paid.state.dpd, 0, "the payment cured the loan");
    let reversal = service::reverse(&mut store, payment.payment_id, "r1").unwrap();
    assert!(!reversal.replayed);
    let after = loan_view(&mut store, "L1", Some(d("2026-02-25"))).unwrap();
    assert_eq!(after.state, unpaid, "exactly the state before the payment");
    assert_eq!(after.record.state, unpaid, "and that is what is stored");
    assert!(after.history.iter().any(|(_, source)| source == "reversal"), "the status move back is recorded");
    assert!(service::reverse(&mut store, payment.payment_id, "r1").unwrap().replayed);
    let twice = service::reverse(&mut store, payment.payment_id, "r2").unwrap_err();
    assert!(twice.to_string().contains("already reversed"), "{twice}");
    assert_ledger_matches(&mut store);
});

story!(only_the_latest_payment_is_reversed, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-15");
    let p1 = pay(&mut store, "300.00", "2026-02-15", "k1").unwrap();
    open_day(&mut store, "2026-02-16");
    let p2 = pay(&mut store, "300.00", "2026-02-16", "k2").unwrap();
    let err = service::reverse(&mut store, p1.payment_id, "r1").unwrap_err();
    assert!(err.to_string().contains(&format!("payment {} came later", p2.payment_id)), "{err}");
    service::reverse(&mut store, p2.payment_id, "r2").unwrap();
    service::reverse(&mut store, p1.payment_id, "r1").unwrap();
    let view = loan_view(&mut store, "L1", Some(d("2026-02-16"))).unwrap();
    assert_eq!(view.state.paid().total(), amt("0.00"));
    assert_ledger_matches(&mut store);
});

story!(a_backdated_payment_is_replayed_into_place, |db: &TestDb| {
    let mut store = one_loan(db);
    // Advance the stored loan past the payment's date with a later, small payment.
    open_day(&mut store, "2026-02-20");
    pay(&mut store, "100.00", "2026-02-10", "early").unwrap();
    pay(&mut store, "816.80", "2026-02-15", "on-time").unwrap();
    let view = loan_view(&mut store, "L1", Some(d("2026-02-20"))).unwrap();
    let facts = [
        PaymentFact { date: d("2026-02-10"), amount: amt("100.00") },
        PaymentFact { date: d("2026-02-15"), amount: amt("816.80") },
    ];
    assert_eq!(view.state, LoanState::replay(&view.record.terms, &facts, d("2026-02-20")).unwrap());
    assert_eq!(view.state.dpd, 0);
    assert_ledger_matches(&mut store);
});

story!(bad_payments_change_nothing, |db: &TestDb| {
    let mut store = one_loan(db);
    let closed = pay(&mut store, "1.00", "2026-01-20", "k").unwrap_err();
    assert!(closed.to_string().starts_with("date: no business day is open yet"), "{closed}");
    open_day(&mut store, "2026-02-15");
    let before = dump(&mut store);
    let unknown = service::pay(&mut store, "NOPE", amt("1.00"), Some(d("2026-02-15")), "k").unwrap_err();
    assert_eq!(unknown.to_string(), "loan `NOPE` does not exist");
    let zero = pay(&mut store, "0.00", "2026-02-15", "k").unwrap_err();
    assert!(zero.to_string().starts_with("amount:"), "{zero}");
    let too_much = pay(&mut store, "99999.00", "2026-02-15", "k").unwrap_err();
    assert!(matches!(too_much, AppError::Loan(LoanError::Overpayment { .. })), "{too_much}");
    assert!(too_much.to_string().starts_with("amount:"), "{too_much}");
    let early = pay(&mut store, "1.00", "2026-01-01", "k").unwrap_err();
    assert!(early.to_string().starts_with("date:"), "{early}");
    let no_key = service::pay(&mut store, "L1", amt("1.00"), Some(d("2026-02-15")), " ").unwrap_err();
    let future = pay(&mut store, "1.00", "2026-02-16", "k").unwrap_err();
    assert!(future.to_string().starts_with("date: 2026-02-16 is after the open business day"), "{future}");
    assert!(no_key.to_string().starts_with("key:"), "{no_key}");
    assert_eq!(dump(&mut store), before, "nothing changed");
});

story!(a_payoff_closes_the_loan, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-03-01");
    let view = loan_view(&mut store, "L1", Some(d("2026-03-01"))).unwrap();
    // Paid off two weeks into the second period: the interest is counted to the day.
    let out = service::pay(&mut store, "L1", view.payoff, Some(d("2026-03-01")), "payoff").unwrap();
    assert!(out.allocation.paid_off);
    let closed = loan_view(&mut store, "L1", None).unwrap();
    assert_eq!(closed.record.state.status, arrears_core::LoanStatus::PaidOff);
    assert_eq!(closed.state.outstanding().total(), amt("0.00"));
    assert_ledger_matches(&mut store);
    open_day(&mut store, "2026-03-02");
    let after = pay(&mut store, "1.00", "2026-03-02", "late").unwrap_err();
    assert!(after.to_string().contains("takes no more payments"), "{after}");
});

story!(a_retry_without_a_date_finds_the_first_payment_days_later, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-15");
    let first = service::pay(&mut store, "L1", amt("916.80"), None, "no-date").unwrap();
    assert_eq!(first.value_date, d("2026-02-15"), "dated the open day");
    open_day(&mut store, "2026-02-20");
    let again = service::pay(&mut store, "L1", amt("916.80"), None, "no-date").unwrap();
    assert!(again.replayed && !again.reversed);
    assert_eq!((again.payment_id, again.value_date), (first.payment_id, first.value_date));
    service::reverse(&mut store, first.payment_id, "r").unwrap();
    let after_reversal = service::pay(&mut store, "L1", amt("916.80"), None, "no-date").unwrap();
    assert!(after_reversal.replayed && after_reversal.reversed, "the caller learns the payment was reversed");
});

story!(a_payment_booked_after_its_value_date_lands_on_the_open_day, |db: &TestDb| {
    let mut store = one_loan(db);
    open_day(&mut store, "2026-02-20");
    let out = pay(&mut store, "916.80", "2026-02-15", "late-file").unwrap();
    assert_eq!(out.value_date, d("2026-02-15"));
    let view = loan_view(&mut store, "L1", None).unwrap();
    let entries: Vec<_> = view.ledger.iter().filter(|e| e.reference == format!("payment:{}", out.payment_id)).collect();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e.entry.date == d("2026-02-20")), "booked on the open day, not in a closed one: {entries:?}");
    assert_eq!(view.state.dpd, 0, "valued on 02-15, the payment was on time");
    assert_ledger_matches(&mut store);
});
