//! Reversals: a reversed payment is the loan replayed without it.

use arrears_core::{Amount, Bucket, LoanState, LoanStatus, PaymentFact};

use crate::support::{amt, assert_invariants, d, story_terms};

fn pay(date: &str, amount: &str) -> PaymentFact {
    PaymentFact { date: d(date), amount: amt(amount) }
}

#[test]
fn replay_without_a_payment_is_the_loan_that_never_received_it() {
    let terms = story_terms();
    let all = [pay("2026-02-15", "916.80"), pay("2026-03-15", "916.80"), pay("2026-04-20", "1000.00")];
    let with = LoanState::replay(&terms, &all, d("2026-05-01")).unwrap();
    assert_eq!(with.dpd, 0);

    // Reverse the March payment: the April payment now pays installment 2 (overdue since 03-15,
    // penalty from 03-19) before installment 3.
    let without = LoanState::replay(&terms, &[all[0], all[2]], d("2026-05-01")).unwrap();
    let mut never = LoanState::disburse(&terms);
    for p in [all[0], all[2]] {
        never.advance(&terms, p.date).unwrap();
        never.apply_payment(&terms, p.date, p.amount).unwrap();
    }
    never.advance(&terms, d("2026-05-01")).unwrap();
    assert_eq!(without, never);
    assert_ne!(without, with);
    assert!(without.installments[1].charged.penalty > Amount::ZERO, "installment 2 went overdue");
    assert!(with.installments[1].charged.penalty.is_zero());
    assert_eq!(without.paid().total() + without.credit, with.paid().total() + with.credit - amt("916.80"));
    assert!(without.history.iter().any(|c| c.date == d("2026-03-19") && c.to_bucket == Bucket::M1));
    assert_invariants(&terms, &without, "without the March payment");
}

#[test]
fn reversing_the_last_payment_on_its_day_restores_the_state_before_it() {
    let terms = story_terms();
    let earlier = [pay("2026-02-17", "500.00")];
    // A partial overdue payment, a prepayment and a payoff, each reversed on its own day.
    for (date, amount) in [("2026-03-20", "700.00"), ("2026-04-10", "4000.00"), ("2026-04-10", "payoff")] {
        let mut state = LoanState::replay(&terms, &earlier, d(date)).unwrap();
        let before = state.clone();
        let amount = if amount == "payoff" { state.payoff_amount(&terms) } else { amt(amount) };
        state.apply_payment(&terms, d(date), amount).unwrap();
        assert_ne!(state, before);
        let payments = [earlier[0], PaymentFact { date: d(date), amount }];
        assert_eq!(LoanState::replay(&terms, &payments, d(date)).unwrap(), state, "{date} {amount}: replay");
        let reversed = LoanState::replay(&terms, &payments[..1], d(date)).unwrap();
        assert_eq!(reversed, before, "{date} {amount}: reversed on the same day");
    }
}

#[test]
fn reversing_a_payoff_reopens_the_loan_and_penalty_resumes() {
    let terms = story_terms();
    let mut paid = LoanState::disburse(&terms);
    paid.advance(&terms, d("2026-03-01")).unwrap();
    let payoff = paid.payoff_amount(&terms);
    paid.apply_payment(&terms, d("2026-03-01"), payoff).unwrap();
    assert_eq!(paid.status, LoanStatus::PaidOff);
    // The payment bounces; the reversal is booked on 2026-03-10.
    let reopened = LoanState::replay(&terms, &[], d("2026-03-10")).unwrap();
    assert_eq!(reopened.status, LoanStatus::Active);
    assert_eq!(reopened.dpd, 23);
    // 20 penalty days on installment 1 (02-19..=03-10) at 0.57 + 0.11.
    assert_eq!(reopened.installments[0].charged.penalty + reopened.installments[0].charged.compound, Amount(20 * 68));
}
