//! The double-entry ledger kept from state differences: every entry balances, and the
//! receivables it gives are the loan's outstanding amounts at every step.

use arrears_core::ledger::{self, Account, Entry, EntryKind, Line};
use arrears_core::{Amount, Component, LoanState, LoanStatus, PaymentFact};

use crate::support::{amt, d, story_terms, Book};

#[test]
fn unbalanced_entries_are_refused() {
    let date = d("2026-01-15");
    let line = |account, fen| Line { account, amount: Amount(fen) };
    let bad = Entry::new(
        date,
        EntryKind::Payment,
        vec![line(Account::Collections, 10_000), line(Account::Receivable(Component::Principal), -9_999)],
    );
    let err = bad.unwrap_err();
    assert_eq!((err.date, err.sum), (date, Amount(1)));
    assert_eq!(err.to_string(), "ledger entry of 2026-01-15 does not balance: its lines sum to 0.01");
    let one_sided = Entry::new(date, EntryKind::Accrual, vec![line(Account::Receivable(Component::Fee), 500)]);
    assert!(one_sided.is_err());
    // Zero lines are dropped; what is left must still balance.
    let ok = Entry::new(
        date,
        EntryKind::Payment,
        vec![
            line(Account::Collections, 10_000),
            line(Account::Receivable(Component::Fee), 0),
            line(Account::Receivable(Component::Principal), -10_000),
        ],
    )
    .unwrap();
    assert_eq!(ok.lines.len(), 2);
    assert!(Entry::new(date, EntryKind::Payment, vec![]).unwrap().lines.is_empty());
}

#[test]
fn disbursement_moves_principal_from_funding_to_the_receivable() {
    let entry = ledger::disbursement_entry(d("2026-01-15"), amt("10000.00"));
    assert_eq!(entry.kind, EntryKind::Disbursement);
    let lines: Vec<_> = entry.lines.iter().map(|l| (l.account.code(), l.amount)).collect();
    assert_eq!(lines, [("receivable:principal".to_owned(), amt("10000.00")), ("funding".to_owned(), amt("-10000.00"))]);
    for line in &entry.lines {
        assert_eq!(Account::parse(&line.account.code()), Some(line.account));
    }
}

/// What happens on a day of the story loan's life.
enum Step {
    Advance(&'static str),
    Pay(&'static str, &'static str),
    /// Reverse the payment at this index of those made so far.
    Reverse(usize),
    Payoff,
}

#[test]
fn the_ledger_follows_a_loan_through_its_life() {
    use Step::*;
    let terms = story_terms();
    let steps = [
        Advance("2026-02-15"),
        Pay("2026-02-15", "916.80"),
        Advance("2026-03-25"),
        Pay("2026-03-25", "400.00"),
        Advance("2026-04-20"),
        Pay("2026-04-20", "3000.00"),
        Reverse(1),
        Advance("2026-06-01"),
        Pay("2026-06-01", "1200.00"),
        Advance("2026-09-30"),
        Reverse(0),
        Advance("2026-10-12"),
        Payoff,
        Advance("2027-03-01"),
    ];
    let mut state = LoanState::disburse(&terms);
    let mut book = Book::open(&terms);
    let mut payments: Vec<PaymentFact> = Vec::new();
    book.assert_matches(&terms, &state, "at disbursement");
    for (k, step) in steps.iter().enumerate() {
        let before = state.clone();
        let (date, kind) = match *step {
            Advance(to) => {
                state.advance(&terms, d(to)).unwrap();
                (d(to), EntryKind::Accrual)
            }
            Pay(date, amount) => {
                state.apply_payment(&terms, d(date), amt(amount)).unwrap();
                payments.push(PaymentFact { date: d(date), amount: amt(amount) });
                (d(date), EntryKind::Payment)
            }
            Payoff => {
                let (date, amount) = (state.as_of, state.payoff_amount(&terms));
                state.apply_payment(&terms, date, amount).unwrap();
                payments.push(PaymentFact { date, amount });
                (date, EntryKind::Payment)
            }
            Reverse(index) => {
                payments.remove(index);
                state = LoanState::replay(&terms, &payments, state.as_of).unwrap();
                (state.as_of, EntryKind::Reversal)
            }
        };
        let posted = book.post(date, kind, &before, &state);
        match step {
            Advance(_) => assert!(posted.iter().all(|e| e.kind == EntryKind::Accrual || e.kind == EntryKind::CreditApplied)),
            Pay(..) | Payoff => {
                assert!(posted.iter().any(|e| e.kind == EntryKind::Payment), "step {k}: a payment entry");
                let collected: Amount =
                    posted.iter().flat_map(|e| &e.lines).filter(|l| l.account == Account::Collections).map(|l| l.amount).sum();
                assert_eq!(collected, payments.last().unwrap().amount, "step {k}: collections take the payment");
            }
            Reverse(_) => {
                let reversal = posted.iter().find(|e| e.kind == EntryKind::Reversal).expect("a reversal entry");
                let returned: Amount =
                    reversal.lines.iter().filter(|l| l.account == Account::Collections).map(|l| l.amount).sum();
                assert!(returned < Amount::ZERO, "step {k}: the reversal takes money back out of collections");
            }
        }
        for entry in &posted {
            assert!(
                entry
                    .lines
                    .iter()
                    .all(|l| l.account != Account::Receivable(Component::Principal) || entry.kind != EntryKind::Accrual),
                "step {k}: principal is never accrued"
            );
        }
        book.assert_matches(&terms, &state, &format!("step {k}"));
    }
    assert_eq!(state.status, LoanStatus::PaidOff);
    let balances = ledger::balances(&book.entries);
    assert_eq!(ledger::receivables(&balances).total(), Amount::ZERO, "a closed loan owes nothing");
    assert_eq!(LoanState::replay(&terms, &payments, d("2027-03-01")).unwrap(), state);
}
