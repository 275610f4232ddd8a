//! The allocation waterfall: overdue before current, oldest first, the component order and
//! mode of the product; money paid ahead, held for the due dates; payoff; refused payments.

use arrears_core::{
    AllocationMode, AllocationOrder, Amount, Bucket, Component, LateFee, LateFeeRule, LoanError, LoanEvent, LoanStatus,
    LoanTerms, TermsInput,
};

use crate::support::{advanced, amt, assert_invariants, d, pct, story_input, story_terms};

use Component::{Compound as C, Fee as F, Interest as I, Penalty as P, Principal as Pr};

/// The story loan with a fixed 20.00 late fee. The cap is raised to 36% so that it never
/// bites here and the waterfall is seen alone (the cap has its own tests).
fn overdue_input() -> TermsInput {
    let mut input = story_input();
    input.rules.late_fee = LateFee { rule: LateFeeRule::Fixed(amt("20")), cap_per_installment: None, cap_per_loan: None };
    input.rules.cost_cap_annual = pct("36");
    input
}

/// On 2026-03-20, with nothing paid, two installments are overdue:
///   1 (due 02-15): fee 20.00 (02-19); penalty 30 days (02-19..=03-20) × 0.57 = 17.10;
///      compound 30 × 0.11 = 3.30; interest 150.00; principal 766.80 — 957.20 in all.
///   2 (due 03-15): fee 20.00 (03-19); penalty 2 × 0.58 = 1.16; compound 2 × 0.10 = 0.20;
///      interest 138.50; principal 778.30 — 938.16 in all.
const ON: &str = "2026-03-20";

fn lines(allocation: &arrears_core::Allocation) -> Vec<(u32, Component, Amount)> {
    allocation.lines.iter().map(|l| (l.n, l.component, l.amount)).collect()
}

#[test]
fn two_overdue_installments_as_computed_by_hand() {
    let terms = LoanTerms::new(overdue_input()).unwrap();
    let state = advanced(&terms, ON);
    let owed: Vec<_> = state.installments[..2].iter().map(|i| i.outstanding()).collect();
    let row = |c: &arrears_core::Components| [c.fee, c.penalty, c.compound, c.interest, c.principal];
    assert_eq!(row(&owed[0]), [Amount(2000), Amount(1710), Amount(330), Amount(15_000), Amount(76_680)]);
    assert_eq!(row(&owed[1]), [Amount(2000), Amount(116), Amount(20), Amount(13_850), Amount(77_830)]);
    assert_eq!(state.due().total(), amt("957.20") + amt("938.16"));
}

struct WaterfallCase {
    name: &'static str,
    order: AllocationOrder,
    amount: &'static str,
    want: Vec<(u32, Component, i64)>,
}

#[test]
fn partial_payments_run_down_the_waterfall() {
    let default = AllocationOrder::default();
    let component_first = AllocationOrder { mode: AllocationMode::ComponentFirst, ..default };
    let principal_first = AllocationOrder { mode: AllocationMode::InstallmentFirst, components: [Pr, I, F, P, C] };
    let cases = [
        WaterfallCase {
            name: "default: installment 1 in full (957.20), then 2's fee, penalty, compound and 21.44 of interest",
            order: default,
            amount: "1000.00",
            want: vec![
                (1, F, 2000),
                (1, P, 1710),
                (1, C, 330),
                (1, I, 15_000),
                (1, Pr, 76_680),
                (2, F, 2000),
                (2, P, 116),
                (2, C, 20),
                (2, I, 2144),
            ],
        },
        WaterfallCase {
            name: "default, small: the oldest fee and part of its penalty",
            order: default,
            amount: "25.00",
            want: vec![(1, F, 2000), (1, P, 500)],
        },
        WaterfallCase {
            name: "component first: each component across both installments, then 649.74 of principal",
            order: component_first,
            amount: "1000.00",
            want: vec![
                (1, F, 2000),
                (2, F, 2000),
                (1, P, 1710),
                (2, P, 116),
                (1, C, 330),
                (2, C, 20),
                (1, I, 15_000),
                (2, I, 13_850),
                (1, Pr, 64_974),
            ],
        },
        WaterfallCase {
            name: "a product that pays principal first",
            order: principal_first,
            amount: "800.00",
            want: vec![(1, Pr, 76_680), (1, I, 3320)],
        },
    ];
    for case in cases {
        let mut input = overdue_input();
        input.rules.allocation = case.order;
        let terms = LoanTerms::new(input).unwrap();
        let mut state = advanced(&terms, ON);
        let before = state.clone();
        let (allocation, _) = state.apply_payment(&terms, d(ON), amt(case.amount)).unwrap();
        let want: Vec<_> = case.want.iter().map(|&(n, c, fen)| (n, c, Amount(fen))).collect();
        assert_eq!(lines(&allocation), want, "{}", case.name);
        assert_eq!(allocation.total(), amt(case.amount), "{}", case.name);
        assert_eq!(allocation.held, Amount::ZERO, "{}", case.name);
        assert_eq!(state.paid().minus(&before.paid()).total(), amt(case.amount), "{}", case.name);
        assert_eq!(state.charged(), before.charged(), "{}: a partial payment of overdue items charges nothing", case.name);
        assert!(state.installments[2..].iter().all(|i| i.paid.total().is_zero()), "{}: current untouched", case.name);
        assert_invariants(&terms, &state, case.name);
    }
}

#[test]
fn paying_more_than_is_due_holds_the_rest_for_the_next_due_dates() {
    let terms = LoanTerms::new(overdue_input()).unwrap();
    let mut state = advanced(&terms, ON);
    // 4000.00: 1895.36 pays the two overdue installments; 2104.64 is held. It pays
    // installment 3 (916.80) on 04-15 and installment 4 (916.80) on 05-15, and the 271.04 left
    // goes to installment 5 on 06-15, which still needs 645.76.
    let charged_before = state.charged();
    let (allocation, events) = state.apply_payment(&terms, d(ON), amt("4000.00")).unwrap();
    assert!(events.iter().all(|e| matches!(e, LoanEvent::StatusChanged(_))), "{events:?}");
    assert_eq!(allocation.held, amt("2104.64"));
    assert!(lines(&allocation).iter().all(|l| l.0 <= 2), "only the overdue installments are paid now");
    assert_eq!(allocation.total() + allocation.held, amt("4000.00"));
    assert_eq!(state.charged(), charged_before, "nothing is charged ahead of its due date");
    assert_eq!((state.dpd, state.bucket, state.credit), (0, Bucket::M0, amt("2104.64")));
    assert_invariants(&terms, &state, "after paying ahead");

    state.advance(&terms, d("2026-04-15")).unwrap();
    assert_eq!(state.installments[2].settled_on, Some(d("2026-04-15")));
    assert_eq!(state.credit, amt("1187.84"));
    state.advance(&terms, d("2026-06-15")).unwrap();
    assert_eq!(state.installments[3].settled_on, Some(d("2026-05-15")));
    assert_eq!((state.credit, state.due().total(), state.dpd), (Amount::ZERO, amt("645.76"), 0));
    state.advance(&terms, d("2026-06-16")).unwrap();
    assert_eq!((state.dpd, state.bucket), (1, Bucket::M0Grace), "the rest of installment 5 was not paid");
    assert_invariants(&terms, &state, "after the credit ran out");
}

#[test]
fn paying_ahead_on_a_fresh_loan_pays_each_installment_on_its_day_for_every_method() {
    use arrears_core::RepaymentMethod::*;
    // (A bullet loan's one installment is the whole loan: paid early, that is a payoff.)
    for method in [Annuity, EqualPrincipal, InterestOnly] {
        let mut input = story_input();
        input.method = method;
        let terms = LoanTerms::new(input).unwrap();
        let mut state = advanced(&terms, "2026-02-10");
        let first = &state.installments[0];
        let first_total = first.charged.principal + first.scheduled_interest;
        let (allocation, _) = state.apply_payment(&terms, d("2026-02-10"), first_total + amt("1.00")).unwrap();
        assert_eq!(allocation.held, first_total + amt("1.00"), "{method}");
        let due = state.installments[0].due_date;
        state.advance(&terms, due).unwrap();
        assert_eq!(state.installments[0].settled_on, Some(due), "{method}");
        assert_eq!((state.credit, state.dpd), (amt("1.00"), 0), "{method}");
        assert_eq!(state.cap.forgone, Amount::ZERO, "{method}");
        assert_invariants(&terms, &state, &method.to_string());
    }
}

#[test]
fn paying_exactly_the_payoff_closes_the_loan_with_interest_to_date() {
    // A fresh loan paid off after 10 days: interest 10000 × 18% × 10 / 365 = 49.315 → 49.32.
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-01-25");
    assert_eq!(state.payoff_amount(&terms), amt("10049.32"));
    let (allocation, events) = state.apply_payment(&terms, d("2026-01-25"), amt("10049.32")).unwrap();
    assert!(allocation.paid_off);
    assert!(events.contains(&LoanEvent::PaidOff { date: d("2026-01-25") }));
    assert_eq!((state.status, state.closed_on), (LoanStatus::PaidOff, Some(d("2026-01-25"))));
    assert_eq!(state.charged().interest, amt("49.32"), "only the current period's interest, to date");
    assert_eq!(state.outstanding().total(), Amount::ZERO);
    assert_eq!(state.payoff_amount(&terms), Amount::ZERO);
    assert!(state.installments.iter().all(|i| i.settled_on == Some(d("2026-01-25"))));
    let closed = state.clone();
    assert_eq!(state.advance(&terms, d("2027-06-01")).unwrap(), []);
    assert_eq!(state.charged(), closed.charged(), "a closed loan accrues nothing");
    assert_eq!(state.as_of, d("2027-06-01"));
    let refused = state.apply_payment(&terms, d("2027-06-01"), amt("1.00"));
    assert_eq!(refused, Err(LoanError::NotActive(LoanStatus::PaidOff)));
}

#[test]
fn overdue_payoff_adds_the_current_period_to_date() {
    // On 2026-03-20 (default 24% cap, no late fee): overdue 916.80 + 916.80 + penalty
    // 17.10 + 1.16 + compound 3.30 + 0.20; installment 3's period began 03-15, so 5 days on the
    // 8454.90 of principal from installment 3 on: 8454.90 × 18% × 5 / 365 = 20.8477 → 20.85;
    // and the 8454.90 itself. 10000 + 150 + 138.50 + 21.76 + 20.85 = 10331.11.
    let terms = story_terms();
    let mut state = advanced(&terms, ON);
    assert_eq!(state.payoff_amount(&terms), amt("10331.11"));
    state.apply_payment(&terms, d(ON), amt("10331.11")).unwrap();
    assert_eq!(state.status, LoanStatus::PaidOff);
    assert_eq!(state.installments[2].charged.interest, amt("20.85"));
    assert!(state.installments[3..].iter().all(|i| i.charged.interest.is_zero()));
    assert_eq!((state.dpd, state.bucket, state.class), (0, Bucket::M0, arrears_core::Classification::Normal));
    assert_invariants(&terms, &state, "overdue payoff");
}

#[test]
fn refused_payments_change_nothing() {
    let terms = story_terms();
    let state = advanced(&terms, ON);
    let payoff = state.payoff_amount(&terms);
    let cases = [
        (d(ON), payoff + Amount(1), LoanError::Overpayment { amount: payoff + Amount(1), payoff }),
        (d(ON), Amount::ZERO, LoanError::NonPositiveAmount(Amount::ZERO)),
        (d(ON), amt("-5.00"), LoanError::NonPositiveAmount(amt("-5.00"))),
        (d("2026-03-19"), amt("5.00"), LoanError::NotAsOf { as_of: d(ON), date: d("2026-03-19") }),
        (d("2026-03-21"), amt("5.00"), LoanError::NotAsOf { as_of: d(ON), date: d("2026-03-21") }),
    ];
    for (date, amount, want) in cases {
        let mut tried = state.clone();
        let got = tried.apply_payment(&terms, date, amount);
        assert_eq!(got, Err(want.clone()), "{date} {amount}");
        assert_eq!(tried, state, "{want}: the state is unchanged");
        let field = want.to_string();
        assert!(field.starts_with("amount:") || field.starts_with("date:"), "{field}");
    }
}
