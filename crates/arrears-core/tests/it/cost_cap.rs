//! The all-in cost cap: charges never exceed Σ over days of outstanding principal × cap rate
//! ÷ 365 days (floored), what the cap stops is recorded, and the engine says so.

use arrears_core::rate::RATE_SCALE;
use arrears_core::{Amount, DayCount, LoanEvent, LoanState, LoanTerms, RepaymentMethod};

use crate::support::{amt, assert_invariants, charges, d, input, pct};

/// 10000.00 at 20% with the default +50% surcharge (penalty rate 30%) under a 24% cap.
fn low_cap_terms(months: u32, day_count: DayCount) -> LoanTerms {
    let mut input = input("10000.00", "20", months, RepaymentMethod::Annuity, "2026-01-15");
    input.rules.cost_cap_annual = pct("24");
    input.rules.day_count = day_count;
    LoanTerms::new(input).unwrap()
}

#[test]
fn one_month_loan_hits_the_cap_on_the_day_computed_by_hand() {
    let terms = low_cap_terms(1, DayCount::Act365F);
    assert_eq!(terms.penalty_rate(), pct("30"));
    // Ceiling after d days with 10000.00 outstanding: floor(1_000_000 fen × 24% × d / 365)
    //   = floor(240_000 × d / 365).
    let ceiling = |days: i64| Amount(240_000 * days / 365);
    // Day 31 (02-15): interest 10000 × 20% / 12 = 166.6667 → 166.67, under the ceiling 203.83.
    // From day 35 (02-19, the first day after grace) each day charges penalty
    // 10000 × 30% / 365 = 8.219 → 8.22 and compound 166.67 × 30% / 365 = 0.137 → 0.14, 8.36
    // in all, while the ceiling grows by 6.5753 a day. Charged after day d: 166.67 + 8.36 × (d − 34).
    // Day 65 (03-21): 166.67 + 259.16 = 425.83 ≤ ceiling 427.39.
    // Day 66 (03-22): 434.19 wanted, ceiling 433.97: penalty gets 433.97 − 425.83 = 8.14 of its
    // 8.22, compound nothing; 0.08 + 0.14 = 0.22 forgone.
    let mut state = LoanState::disburse(&terms);
    let mut capped = Vec::new();
    for days in 1..=400i64 {
        let day = terms.start_date().add_days(days as i32);
        for event in state.advance(&terms, day).unwrap() {
            if let LoanEvent::CostCapApplied { date, forgone } = event {
                capped.push((date, forgone));
            }
        }
        let want = match days {
            0..=30 => Amount::ZERO,
            31..=34 => amt("166.67"),
            35..=65 => amt("166.67") + Amount(836 * (days - 34)),
            _ => ceiling(days),
        };
        assert_eq!(state.cap.charged, want, "day {days} ({day})");
        assert_eq!(charges(&state.charged()), want, "day {days} ({day}): the state agrees with the cap account");
        assert_invariants(&terms, &state, &day.to_string());
        if days == 66 {
            assert_eq!(state.cap.forgone, amt("0.22"));
            assert_eq!(state.cap.first_applied_on, Some(d("2026-03-22")));
            assert_eq!(state.charged().penalty, Amount(822 * 31 + 814));
            assert_eq!(state.charged().compound, Amount(14 * 31));
        }
    }
    assert_eq!(capped[0], (d("2026-03-22"), amt("0.22")));
    assert_eq!(capped.iter().map(|(_, a)| *a).sum::<Amount>(), state.cap.forgone, "the events add up to the forgone total");
    assert!(capped.iter().all(|(_, a)| *a > Amount::ZERO));
    // After the cap binds nothing more than the daily budget is charged: 6.57 or 6.58 a day.
    let payoff = state.payoff_amount(&terms);
    assert_eq!(payoff, amt("10000.00") + ceiling(400), "payoff: principal plus the capped charges");
    state.apply_payment(&terms, state.as_of, payoff).unwrap();
    assert_eq!(state.outstanding().total(), Amount::ZERO);
}

#[test]
fn charges_never_exceed_the_budget_over_a_long_default() {
    for day_count in [DayCount::Act365F, DayCount::Act360, DayCount::Thirty360] {
        let terms = low_cap_terms(12, day_count);
        let cap = terms.rules().cost_cap_annual.parts_per_1e8() as i128;
        let mut state = LoanState::disburse(&terms);
        let mut budget: i128 = 0;
        let mut forgone_events = Amount::ZERO;
        let mut first_event = None;
        while state.as_of < d("2028-06-30") {
            // The budget grows by the principal owed at the start of each day.
            budget += state.principal_outstanding().0 as i128 * cap;
            let day = state.as_of.add_days(1);
            for event in state.advance(&terms, day).unwrap() {
                if let LoanEvent::CostCapApplied { date, forgone } = event {
                    forgone_events += forgone;
                    first_event.get_or_insert(date);
                }
            }
            assert_eq!(state.cap.budget_scaled, budget, "{day_count} {day}: budget");
            let ceiling = Amount((budget / (365 * RATE_SCALE)) as i64);
            let charged = charges(&state.charged());
            assert!(charged <= ceiling, "{day_count} {day}: charged {charged} over the ceiling {ceiling}");
            assert_invariants(&terms, &state, &format!("{day_count} {day}"));
        }
        assert!(state.cap.forgone > Amount::ZERO, "{day_count}: a 30% penalty under a 24% cap must be cut");
        assert_eq!(state.cap.forgone, forgone_events, "{day_count}");
        assert_eq!(state.cap.first_applied_on, first_event, "{day_count}");
        assert!(first_event.is_some());
    }
}

#[test]
fn a_loan_well_under_the_cap_is_never_cut() {
    // 12% contract, 18% penalty, 24% cap: paid on time, nothing is ever forgone.
    let terms = LoanTerms::new(input("5000.00", "12", 6, RepaymentMethod::EqualPrincipal, "2026-03-31")).unwrap();
    let mut state = LoanState::disburse(&terms);
    for k in 0..6 {
        let due = state.installments[k].due_date;
        state.advance(&terms, due).unwrap();
        let amount = state.due().total();
        state.apply_payment(&terms, due, amount).unwrap();
    }
    assert_eq!(state.status, arrears_core::LoanStatus::PaidOff);
    assert_eq!(state.cap.forgone, Amount::ZERO);
    assert_eq!(state.cap.first_applied_on, None);
    // Equal principal 833.33 × 5 + 833.35, interest 1% a month on the falling balance:
    // 50.00 + 41.67 + 33.33 + 25.00 + 16.67 + 8.33 = 175.00.
    assert_eq!(state.charged().interest, amt("175.00"));
}

#[test]
fn paying_the_installment_early_is_held_and_paid_on_time() {
    // The story loan (18%, 24% cap) on day 17, 2026-02-01: the 916.80 installment paid early
    // charges nothing yet (the cap's budget so far, 111.78, is below the month's 150.00 of
    // interest); the money is held and pays the installment on its due date, when the budget
    // (10000 × 24% × 31 / 365 = 203.84) covers the interest. The borrower is never late.
    let terms = crate::support::story_terms();
    let mut state = crate::support::advanced(&terms, "2026-02-01");
    let (allocation, _) = state.apply_payment(&terms, d("2026-02-01"), amt("916.80")).unwrap();
    assert!(allocation.lines.is_empty(), "nothing is due yet: {allocation:?}");
    assert_eq!((allocation.held, state.credit), (amt("916.80"), amt("916.80")));
    assert_eq!(state.charged().interest, Amount::ZERO, "no interest is charged ahead of its due date");
    assert_invariants(&terms, &state, "early payment");
    state.advance(&terms, d("2026-02-15")).unwrap();
    assert_eq!(state.installments[0].charged.interest, amt("150.00"));
    assert_eq!(state.installments[0].settled_on, Some(d("2026-02-15")));
    assert_eq!((state.credit, state.due().total(), state.cap.forgone), (Amount::ZERO, Amount::ZERO, Amount::ZERO));
    state.advance(&terms, d("2026-02-20")).unwrap();
    assert_eq!((state.dpd, state.bucket), (0, arrears_core::Bucket::M0));
    assert_invariants(&terms, &state, "due date after an early payment");
}

#[test]
fn a_token_early_payment_does_not_waive_interest() {
    // Paid on every due date, the story loan earns 1001.61 of interest (the schedule's sum).
    let terms = crate::support::story_terms();
    let on_schedule = |token: bool| {
        let mut state = LoanState::disburse(&terms);
        if token {
            state.apply_payment(&terms, terms.start_date(), amt("0.01")).unwrap();
        }
        for k in 0..12 {
            let due = state.installments[k].due_date;
            state.advance(&terms, due).unwrap();
            let amount = state.due().total();
            state.apply_payment(&terms, due, amount).unwrap();
        }
        state.charged().interest
    };
    assert_eq!(on_schedule(false), amt("1001.61"));
    // 0.01 on 2026-01-15 meets a budget of 0: nothing is charged early, and the 150.00 is
    // charged on the due date as for everyone else.
    assert_eq!(on_schedule(true), amt("1001.61"));
}
