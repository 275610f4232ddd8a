//! The state is a function of the terms, the payments and the date: day by day, in one jump,
//! repeated, or replayed from disbursement, the result is the same.

use arrears_core::{DayCount, LoanError, LoanState, LoanTerms, PaymentFact, RepaymentMethod, TermsInput};

use crate::support::{amt, d, input, story_input, story_terms};

fn varied_terms() -> Vec<LoanTerms> {
    let mut list: Vec<TermsInput> = vec![
        story_input(),
        input("3000.00", "23.99", 3, RepaymentMethod::EqualPrincipal, "2026-01-31"),
        input("50000.00", "9.5", 6, RepaymentMethod::InterestOnly, "2025-12-20"),
        input("8000.00", "15", 4, RepaymentMethod::Bullet, "2026-02-28"),
    ];
    list[1].rules.day_count = DayCount::Thirty360;
    list[2].rules.day_count = DayCount::Act360;
    list[2].rules.compound_interest = false;
    list[3].rules.grace_days = 0;
    list.into_iter().map(|i| LoanTerms::new(i).unwrap()).collect()
}

#[test]
fn day_by_day_equals_one_jump() {
    for terms in varied_terms() {
        for to in ["2026-01-31", "2026-03-20", "2026-09-01", "2027-08-15"] {
            let to = d(to);
            if to < terms.start_date() {
                continue;
            }
            let mut jump = LoanState::disburse(&terms);
            let jump_events = jump.advance(&terms, to).unwrap();
            let mut walk = LoanState::disburse(&terms);
            let mut walk_events = Vec::new();
            while walk.as_of < to {
                let next = walk.as_of.add_days(1);
                walk_events.extend(walk.advance(&terms, next).unwrap());
            }
            assert_eq!(walk, jump, "{} to {to}", terms.start_date());
            assert_eq!(walk_events, jump_events, "{} to {to}: the same events", terms.start_date());
            // In uneven steps too: every 7 days.
            let mut steps = LoanState::disburse(&terms);
            while steps.as_of < to {
                let next = steps.as_of.add_days(7).min(to);
                steps.advance(&terms, next).unwrap();
            }
            assert_eq!(steps, jump);
        }
    }
}

#[test]
fn advancing_again_to_the_same_date_changes_nothing() {
    let terms = story_terms();
    let mut state = LoanState::disburse(&terms);
    state.advance(&terms, d("2026-04-01")).unwrap();
    let once = state.clone();
    assert_eq!(state.advance(&terms, d("2026-04-01")).unwrap(), []);
    assert_eq!(state, once);
    let back = state.advance(&terms, d("2026-03-31"));
    assert_eq!(back, Err(LoanError::BackInTime { as_of: d("2026-04-01"), to: d("2026-03-31") }));
    assert!(back.unwrap_err().to_string().starts_with("date:"));
    assert_eq!(state, once, "a refused advance changes nothing");
}

/// Payments of the story loan: one inside grace, one overdue, one prepaying, one on a due date.
fn story_payments() -> Vec<PaymentFact> {
    [("2026-02-17", "900.00"), ("2026-03-25", "500.00"), ("2026-05-02", "3000.00"), ("2026-06-15", "300.00")]
        .iter()
        .map(|&(date, amount)| PaymentFact { date: d(date), amount: amt(amount) })
        .collect()
}

#[test]
fn replay_equals_incremental_servicing() {
    let terms = story_terms();
    let payments = story_payments();
    let mut state = LoanState::disburse(&terms);
    for (k, p) in payments.iter().enumerate() {
        state.advance(&terms, p.date).unwrap();
        state.apply_payment(&terms, p.date, p.amount).unwrap();
        let replayed = LoanState::replay(&terms, &payments[..=k], p.date).unwrap();
        assert_eq!(replayed, state, "after payment {k}");
    }
    state.advance(&terms, d("2027-03-01")).unwrap();
    assert_eq!(LoanState::replay(&terms, &payments, d("2027-03-01")).unwrap(), state);
    assert!(state.paid().total() == amt("4700.00"));
}

#[test]
fn replay_refuses_what_servicing_refuses() {
    let terms = story_terms();
    let early = [PaymentFact { date: d("2026-02-01"), amount: amt("20000.00") }];
    assert!(matches!(LoanState::replay(&terms, &early, d("2026-03-01")), Err(LoanError::Overpayment { .. })));
    let backwards = [
        PaymentFact { date: d("2026-03-01"), amount: amt("10.00") },
        PaymentFact { date: d("2026-02-01"), amount: amt("10.00") },
    ];
    assert!(matches!(LoanState::replay(&terms, &backwards, d("2026-04-01")), Err(LoanError::BackInTime { .. })));
}

#[test]
fn states_and_terms_survive_json() {
    let terms = story_terms();
    let state = LoanState::replay(&terms, &story_payments(), d("2026-08-01")).unwrap();
    let text = serde_json::to_string(&state).unwrap();
    let back: LoanState = serde_json::from_str(&text).unwrap();
    assert_eq!(back, state);
    let text = serde_json::to_string(&terms).unwrap();
    let back: LoanTerms = serde_json::from_str(&text).unwrap();
    assert_eq!(back, terms);
    assert!(text.contains("\"start_date\":\"2026-01-15\""), "{text}");
}
