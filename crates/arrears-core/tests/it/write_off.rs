//! Write-off: the claim kept whole, accruals stopped, recoveries after it, the ledger's memo
//! accounts, and the replay that puts the write-off back between the same payments.

use arrears_core::ledger::{self, Account, EntryKind};
use arrears_core::{Amount, Bucket, Classification, Component, LoanError, LoanEvent, LoanState, LoanStatus, PaymentFact};

use crate::support::{advanced, amt, assert_invariants, d, story_terms, Book};

#[test]
fn a_written_off_loan_keeps_its_claim_and_stops_accruing() {
    let terms = story_terms();
    // Nothing paid: installment 1 (due 2026-02-15) is 200 days late on 2026-09-03.
    let mut state = advanced(&terms, "2026-09-03");
    assert_eq!(state.dpd, 200);
    let owed = state.outstanding();
    let mut book = Book::open(&terms);
    book.post(d("2026-09-03"), EntryKind::Accrual, &LoanState::disburse(&terms), &state);
    let before = state.clone();
    let events = state.write_off(&terms, d("2026-09-03"), 0).unwrap();
    assert_eq!(events[0], LoanEvent::WrittenOff { date: d("2026-09-03"), amount: owed.total() });
    assert_eq!(
        (state.status, state.bucket, state.class, state.dpd),
        (LoanStatus::WrittenOff, Bucket::WrittenOff, Classification::Loss, 200)
    );
    let w = state.written_off.unwrap();
    assert_eq!((w.date, w.after_payments, w.amount), (d("2026-09-03"), 0, owed));
    // The whole principal stays owed, the part not yet due too; nothing was forgiven.
    assert_eq!(state.outstanding(), owed);
    assert_eq!(owed.principal, amt("10000.00"));
    assert_eq!(state.payoff_amount(&terms), owed.total());
    let posted = book.post(d("2026-09-03"), EntryKind::WriteOff, &before, &state);
    assert_eq!(posted.iter().map(|e| e.kind).collect::<Vec<_>>(), [EntryKind::WriteOff]);
    book.assert_matches(&terms, &state, "written off");
    let balances = ledger::balances(&book.entries);
    assert_eq!(ledger::receivables(&balances).total(), Amount::ZERO, "nothing left on the books");
    assert_eq!(ledger::written_off(&balances), owed, "the claim is kept in the memo accounts");

    // A year later nothing more was charged and nothing changed but the date.
    let frozen = state.clone();
    let events = state.advance(&terms, d("2027-09-03")).unwrap();
    assert!(events.is_empty());
    assert_eq!(LoanState { as_of: frozen.as_of, ..state.clone() }, frozen);
    assert_eq!(state.next_event_date(&terms), None, "the batch leaves it alone");
    assert_invariants(&terms, &state, "a year after the write-off");
}

#[test]
fn recoveries_pay_the_claim_and_close_the_loan() {
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-03-10");
    state.apply_payment(&terms, d("2026-03-10"), amt("500.00")).unwrap();
    let mut payments = vec![PaymentFact { date: d("2026-03-10"), amount: amt("500.00") }];
    let mut book = Book::open(&terms);
    book.post(d("2026-03-10"), EntryKind::Payment, &LoanState::disburse(&terms), &state);
    let before = state.clone();
    state.advance(&terms, d("2026-08-20")).unwrap();
    state.write_off(&terms, d("2026-08-20"), 1).unwrap();
    book.post(d("2026-08-20"), EntryKind::Accrual, &before, &state);
    book.assert_matches(&terms, &state, "advanced and written off in one step");
    let owed = state.written_off.unwrap().amount.total();

    // More than the claim is refused; a part is a recovery, booked as one.
    let err = state.clone().apply_payment(&terms, d("2026-08-20"), owed + Amount(1)).unwrap_err();
    assert_eq!(err, LoanError::Overpayment { amount: owed + Amount(1), payoff: owed });
    let mut later = state.clone();
    later.advance(&terms, d("2026-10-01")).unwrap();
    let before = later.clone();
    let (allocation, _) = later.apply_payment(&terms, d("2026-10-01"), amt("3000.00")).unwrap();
    assert_eq!(allocation.total(), amt("3000.00"));
    assert!(allocation.component(Component::Penalty) + allocation.component(Component::Compound) > Amount::ZERO);
    let posted = book.post(d("2026-10-01"), EntryKind::Payment, &before, &later);
    assert_eq!(posted.iter().map(|e| e.kind).collect::<Vec<_>>(), [EntryKind::Recovery]);
    let recovery = &posted[0];
    let line = |a: Account| recovery.lines.iter().find(|l| l.account == a).map(|l| l.amount);
    assert_eq!(line(Account::Collections), Some(amt("3000.00")));
    assert_eq!(line(Account::Recoveries), Some(amt("-3000.00")));
    payments.push(PaymentFact { date: d("2026-10-01"), amount: amt("3000.00") });
    book.assert_matches(&terms, &later, "after a recovery");
    assert_eq!(later.status, LoanStatus::WrittenOff);

    // The rest closes it: paid off, still in the written-off bucket.
    let rest = later.payoff_amount(&terms);
    assert_eq!(rest, owed - amt("3000.00"), "nothing accrued in between");
    let before = later.clone();
    let (allocation, events) = later.apply_payment(&terms, d("2026-10-01"), rest).unwrap();
    assert!(allocation.paid_off);
    assert!(events.contains(&LoanEvent::PaidOff { date: d("2026-10-01") }));
    assert_eq!((later.status, later.closed_on, later.bucket), (LoanStatus::PaidOff, Some(d("2026-10-01")), Bucket::WrittenOff));
    book.post(d("2026-10-01"), EntryKind::Payment, &before, &later);
    payments.push(PaymentFact { date: d("2026-10-01"), amount: rest });
    book.assert_matches(&terms, &later, "recovered in full");
    assert_invariants(&terms, &later, "recovered in full");
    assert!(matches!(
        later.clone().apply_payment(&terms, d("2026-10-01"), Amount(1)),
        Err(LoanError::NotActive(LoanStatus::PaidOff))
    ));

    // The replay puts the write-off back between the same payments.
    let replayed = LoanState::replay_with(&terms, &payments, &later.events(), d("2026-10-01")).unwrap();
    assert_eq!(replayed, later);
    // Before its date the loan was not written off.
    let earlier = LoanState::replay_with(&terms, &payments[..1], &later.events(), d("2026-08-19")).unwrap();
    assert_eq!(earlier.status, LoanStatus::Active);
    // A recovery taken back (replayed without it) leaves the write-off as it was.
    let reversed = LoanState::replay_with(&terms, &payments[..2], &later.events(), d("2026-10-01")).unwrap();
    book.post(d("2026-10-01"), EntryKind::Reversal, &later, &reversed);
    assert_eq!(reversed.status, LoanStatus::WrittenOff);
    book.assert_matches(&terms, &reversed, "a recovery reversed");
}

#[test]
fn only_an_active_loan_in_arrears_can_be_written_off() {
    let terms = story_terms();
    let mut current = advanced(&terms, "2026-02-01");
    assert_eq!(current.write_off(&terms, d("2026-02-01"), 0), Err(LoanError::NotOverdue(d("2026-02-01"))));
    // Due today is not yet overdue.
    let mut due = advanced(&terms, "2026-02-15");
    assert_eq!(due.write_off(&terms, d("2026-02-15"), 0), Err(LoanError::NotOverdue(d("2026-02-15"))));
    let mut late = advanced(&terms, "2026-02-16");
    assert_eq!(
        late.write_off(&terms, d("2026-02-17"), 0),
        Err(LoanError::NotAsOf { as_of: d("2026-02-16"), date: d("2026-02-17") })
    );
    late.write_off(&terms, d("2026-02-16"), 0).unwrap();
    assert_eq!(late.write_off(&terms, d("2026-02-16"), 0), Err(LoanError::NotWritable(LoanStatus::WrittenOff)));
    let err = LoanError::NotOverdue(d("2026-02-01")).to_string();
    assert_eq!(err, "loan: nothing of it is past due on 2026-02-01; only a loan in arrears can be written off");
}

#[test]
fn every_account_and_entry_kind_reads_back_from_its_code() {
    for kind in EntryKind::ALL {
        assert_eq!(EntryKind::parse(kind.code()), Some(kind));
    }
    let accounts = Account::all();
    assert_eq!(accounts.len(), 7 + 3 * Component::ALL.len());
    let codes: std::collections::BTreeSet<String> = accounts.iter().map(|a| a.code()).collect();
    assert_eq!(codes.len(), accounts.len(), "every account has its own code");
    for a in accounts {
        assert_eq!(Account::parse(&a.code()), Some(a), "{a}");
    }
    assert_eq!(Account::parse("written-off:nothing"), None);
    assert_eq!(Account::parse("loss"), None);
}
