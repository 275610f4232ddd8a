//! Hardship relief on the story loan (10000.00 at 18% over 12 months, annuity, from
//! 2026-01-15; installments of 916.80): extensions, plans, restructuring and settlements, each
//! with its numbers, its ledger and its replay.

use arrears_core::ledger::{self, Account, EntryKind};
use arrears_core::relief::MAX_PLAN_MONTHS;
use arrears_core::{
    Amount, Bucket, Classification, Component, Components, LoanError, LoanState, LoanStatus, PaymentFact, PenaltyTreatment,
    Relief,
};

use crate::support::{advanced, amt, assert_invariants, d, pct, story_terms, Book};

/// Grants `relief` on the state's date after no payment, posting the difference to `book`.
fn relieve(state: &mut LoanState, book: &mut Book, relief: Relief) -> Vec<arrears_core::ledger::Entry> {
    let terms = story_terms();
    let before = state.clone();
    state.apply_relief(&terms, state.as_of, 0, relief).unwrap();
    let posted = book.post(state.as_of, EntryKind::Accrual, &before, state);
    assert_invariants(&terms, state, &format!("{relief:?}"));
    book.assert_matches(&terms, state, &format!("{relief:?}"));
    let replayed = LoanState::replay_with(&terms, &[], &state.events(), state.as_of).unwrap();
    assert_eq!(&replayed, state, "the replay makes the relief again");
    posted
}

fn booked(state: &LoanState) -> Book {
    let terms = story_terms();
    let mut book = Book::open(&terms);
    book.post(state.as_of, EntryKind::Accrual, &LoanState::disburse(&terms), state);
    book
}

#[test]
fn a_payment_holiday_moves_every_due_date_and_may_charge_the_added_months() {
    let terms = story_terms();
    let state = advanced(&terms, "2026-02-10");
    // With interest: two months of 10000.00 at 1.5% a month, 300.00, fall due with the first.
    let mut with = state.clone();
    let mut book = booked(&with);
    let posted = relieve(&mut with, &mut book, Relief::Extension { months: 2, with_interest: true });
    assert!(posted.is_empty(), "nothing is charged until it falls due");
    assert_eq!((with.installments[0].due_date, with.installments[0].scheduled_interest), (d("2026-04-15"), amt("450.00")));
    assert_eq!(with.installments[11].due_date, d("2027-03-15"));
    // Without: the same dates, no extra interest.
    let mut free = state.clone();
    relieve(&mut free, &mut booked(&state), Relief::Extension { months: 2, with_interest: false });
    assert_eq!((free.installments[0].due_date, free.installments[0].scheduled_interest), (d("2026-04-15"), amt("150.00")));
    // The interest falls due on the new date, and nothing is late before it.
    with.advance(&terms, d("2026-04-15")).unwrap();
    assert_eq!((with.dpd, with.due().total()), (0, amt("766.80") + amt("450.00")));
}

#[test]
fn an_extension_cures_a_late_loan_and_keeps_what_it_already_owes() {
    let terms = story_terms();
    // Installment 1 (due 2026-02-15) is 14 days late on 2026-03-01, penalty from 2026-02-19.
    let mut state = advanced(&terms, "2026-03-01");
    assert_eq!((state.dpd, state.bucket), (14, Bucket::M1));
    let penalty = state.outstanding().penalty + state.outstanding().compound;
    assert!(penalty > Amount::ZERO);
    let mut book = booked(&state);
    relieve(&mut state, &mut book, Relief::Extension { months: 1, with_interest: false });
    assert_eq!((state.dpd, state.bucket, state.class), (0, Bucket::M0, Classification::Normal));
    assert_eq!(state.installments[0].due_date, d("2026-03-15"));
    assert_eq!(state.outstanding().penalty + state.outstanding().compound, penalty, "the penalty charged stays owed");
    assert_eq!(state.history.last().unwrap().to_bucket, Bucket::M0);
}

#[test]
fn a_plan_respreads_everything_owed_and_waives_the_penalty_when_told() {
    let terms = story_terms();
    // Nothing paid by 2026-04-20: three installments due, penalty and compound running.
    let mut state = advanced(&terms, "2026-04-20");
    let before = state.outstanding();
    // The interest of the current period to the plan's day is charged and moves with the rest.
    let to_date = state.payoff_amount(&terms) - before.total();
    assert_eq!(to_date, amt("18.90"), "5 days at 18% on the principal not yet due");
    assert!(before.penalty > Amount::ZERO && before.compound > Amount::ZERO);
    let mut book = booked(&state);
    let posted = relieve(&mut state, &mut book, Relief::Plan { months: 12, penalty: PenaltyTreatment::Waive });
    // The waiver is booked: penalty and compound leave the receivables for the waivers account.
    let waiver = posted.iter().find(|e| e.kind == EntryKind::Waiver).expect("a waiver entry");
    let line = |a: Account| waiver.lines.iter().find(|l| l.account == a).map(|l| l.amount);
    assert_eq!(line(Account::Waivers), Some(before.penalty + before.compound));
    assert_eq!(line(Account::Receivable(Component::Penalty)), Some(Amount(-before.penalty.0)));
    // The old twelve are closed; twelve new ones from 2026-05-20 carry the principal and the
    // interest owed, level payments at 18% on 10000.00 (916.80) plus a share of that interest.
    assert!(state.installments[..12].iter().all(|i| i.is_settled() && i.settled_on == Some(d("2026-04-20"))));
    let new = &state.installments[12..];
    assert_eq!(new.len(), 12);
    assert_eq!((new[0].n, new[0].due_date, new[11].due_date), (13, d("2026-05-20"), d("2027-04-20")));
    assert_eq!(new.iter().map(|i| i.charged.principal).sum::<Amount>(), amt("10000.00"));
    assert_eq!(
        new.iter().map(|i| i.charged.interest).sum::<Amount>(),
        before.interest + to_date,
        "the interest owed moves whole"
    );
    assert_eq!(new[0].scheduled_interest - new[0].charged.interest, amt("150.00"), "a month at 1.5% on 10000.00");
    assert_eq!(new[0].charged.principal + amt("150.00"), amt("916.80"));
    assert_eq!((state.outstanding().penalty, state.outstanding().compound), (Amount::ZERO, Amount::ZERO));
    assert_eq!((state.dpd, state.bucket), (0, Bucket::M0));
    // Interest to date for a payoff counts from the plan's day at its rate.
    let mut payoff_day = state.clone();
    payoff_day.advance(&terms, d("2026-05-05")).unwrap();
    let to_date = payoff_day.payoff_amount(&terms) - payoff_day.outstanding().total();
    assert_eq!(to_date, amt("73.97"), "15 days of 18% on 10000.00, ACT/365");
}

#[test]
fn a_plan_freezes_or_capitalises_the_penalty_instead() {
    let terms = story_terms();
    let late = advanced(&terms, "2026-04-20");
    let owed = late.outstanding();
    let mut frozen = late.clone();
    relieve(&mut frozen, &mut booked(&late), Relief::Plan { months: 6, penalty: PenaltyTreatment::Freeze });
    let new = &frozen.installments[12..];
    assert_eq!(new[5].charged.penalty, owed.penalty, "kept whole, owed with the last installment");
    assert!(new[..5].iter().all(|i| i.charged.penalty.is_zero()));
    let mut spread = late.clone();
    relieve(&mut spread, &mut booked(&late), Relief::Plan { months: 6, penalty: PenaltyTreatment::Capitalise });
    let new = &spread.installments[12..];
    assert_eq!(new.iter().map(|i| i.charged.penalty).sum::<Amount>(), owed.penalty);
    assert!(new.iter().all(|i| i.charged.penalty > Amount::ZERO), "a share in every installment");
    assert_eq!(spread.waived(), Components::default(), "nothing forgiven");
}

#[test]
fn a_restructured_loan_is_watched_for_twelve_months() {
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-04-20");
    let mut book = booked(&state);
    relieve(
        &mut state,
        &mut book,
        Relief::Restructure { months: 24, annual_rate: pct("12"), penalty: PenaltyTreatment::Capitalise },
    );
    assert_eq!(state.restructured_until, Some(d("2027-04-20")));
    assert_eq!((state.dpd, state.class), (0, Classification::SpecialMention), "current, yet special mention");
    let new = state.installments[12..].to_vec();
    assert_eq!(new.len(), 24);
    assert_eq!(new[0].scheduled_interest - new[0].charged.interest, amt("100.00"), "a month at 1% on 10000.00");
    // Paid as agreed through the observation period, it is normal again.
    let mut payments = Vec::new();
    for inst in &new[..11] {
        let due = inst.due_date;
        state.advance(&terms, due).unwrap();
        let amount = state.due().total();
        state.apply_payment(&terms, due, amount).unwrap();
        payments.push(PaymentFact { date: due, amount });
    }
    state.advance(&terms, d("2027-04-19")).unwrap();
    assert_eq!(state.class, Classification::SpecialMention, "still inside the twelve months");
    state.advance(&terms, d("2027-04-20")).unwrap();
    assert_eq!(state.class, Classification::Normal);
    let amount = state.due().total();
    state.apply_payment(&terms, d("2027-04-20"), amount).unwrap();
    payments.push(PaymentFact { date: d("2027-04-20"), amount });
    assert_eq!(state.events().len(), 1);
    assert_eq!(LoanState::replay_with(&terms, &payments, &state.events(), d("2027-04-20")).unwrap(), state);
}

#[test]
fn a_settlement_waives_the_rest_of_what_is_owed_and_closes_the_loan() {
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-06-01");
    state.apply_payment(&terms, d("2026-06-01"), amt("5000.00")).unwrap();
    let payoff = state.payoff_amount(&terms);
    let mut book = booked(
        &LoanState::replay(&terms, &[PaymentFact { date: d("2026-06-01"), amount: amt("5000.00") }], d("2026-06-01")).unwrap(),
    );
    let before = state.clone();
    state.apply_relief(&terms, d("2026-06-01"), 1, Relief::Settlement).unwrap();
    book.post(d("2026-06-01"), EntryKind::Accrual, &before, &state);
    assert_eq!((state.status, state.closed_on), (LoanStatus::PaidOff, Some(d("2026-06-01"))));
    assert_eq!(state.outstanding(), Components::default());
    assert_eq!(state.waived().total(), payoff, "forgiven: what a payoff would have asked");
    assert_eq!(state.paid().total(), amt("5000.00"));
    book.assert_matches(&terms, &state, "settled");
    let balances = ledger::balances(&book.entries);
    assert_eq!(balances.get(&Account::Waivers).copied(), Some(payoff));
    let payments = [PaymentFact { date: d("2026-06-01"), amount: amt("5000.00") }];
    assert_eq!(LoanState::replay_with(&terms, &payments, &state.events(), d("2026-12-01")).unwrap().closed_on, state.closed_on);
}

#[test]
fn a_relief_that_cannot_be_made_is_refused_and_changes_nothing() {
    let terms = story_terms();
    let state = advanced(&terms, "2026-04-20");
    let refused = |relief: Relief, state: &LoanState| {
        let mut s = state.clone();
        let err = s.apply_relief(&terms, s.as_of, 0, relief).unwrap_err();
        assert_eq!(&s, state, "{relief:?} changed the loan");
        err
    };
    let over = MAX_PLAN_MONTHS + 1;
    assert_eq!(
        refused(Relief::Plan { months: over, penalty: PenaltyTreatment::Waive }, &state),
        LoanError::ReliefMonths { months: over, max: MAX_PLAN_MONTHS }
    );
    assert_eq!(refused(Relief::Extension { months: 0, with_interest: true }, &state).to_string(), "months: 0 must be 1 to 12");
    let err = refused(Relief::Restructure { months: 12, annual_rate: pct("30"), penalty: PenaltyTreatment::Waive }, &state);
    assert_eq!(err.to_string(), "annual_rate: 30% is above the product's all-in cost cap 24%");
    // An extension that would leave the oldest installment overdue is no cure.
    let err = Relief::Extension { months: 2, with_interest: false }.check_cures(&state).unwrap_err();
    assert!(Relief::Extension { months: 3, with_interest: false }.check_cures(&state).is_ok());
    assert_eq!(
        err.to_string(),
        "months: 2 months later, the installment due 2026-02-15 would still be overdue; extend it further or make a plan"
    );
    // Money paid ahead pays what is owed before a plan re-spreads the rest.
    let mut ahead = advanced(&terms, "2026-02-01");
    ahead.apply_payment(&terms, d("2026-02-01"), amt("500.00")).unwrap();
    let before = ahead.clone();
    ahead.apply_relief(&terms, d("2026-02-01"), 1, Relief::Plan { months: 6, penalty: PenaltyTreatment::Freeze }).unwrap();
    assert_invariants(&terms, &ahead, "a plan over money held ahead");
    let mut book = Book::open(&terms);
    book.post(d("2026-02-01"), EntryKind::Payment, &LoanState::disburse(&terms), &before);
    book.post(d("2026-02-01"), EntryKind::Accrual, &before, &ahead);
    book.assert_matches(&terms, &ahead, "a plan over money held ahead");
    assert_eq!((ahead.credit, ahead.paid().total()), (Amount::ZERO, amt("500.00")));
    let mut written_off = state.clone();
    written_off.write_off(&terms, d("2026-04-20"), 0).unwrap();
    assert_eq!(refused(Relief::Settlement, &written_off), LoanError::NotRelievable(LoanStatus::WrittenOff));
    let mut other_day = state.clone();
    let err = other_day.apply_relief(&terms, d("2026-04-21"), 0, Relief::Settlement).unwrap_err();
    assert!(matches!(err, LoanError::NotAsOf { .. }));
}
