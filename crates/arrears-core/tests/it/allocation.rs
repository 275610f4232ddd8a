//! The allocation waterfall: overdue before current, oldest first, the component order and
//! mode of the product; prepayment and re-spreading; payoff; refused payments.

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
        assert_eq!(allocation.prepaid_principal, Amount::ZERO, "{}", case.name);
        assert_eq!(state.paid().minus(&before.paid()).total(), amt(case.amount), "{}", case.name);
        assert_eq!(state.charged(), before.charged(), "{}: a partial payment of overdue items charges nothing", case.name);
        assert!(state.installments[2..].iter().all(|i| i.paid.total().is_zero()), "{}: current untouched", case.name);
        assert_invariants(&terms, &state, case.name);
    }
}

#[test]
fn paying_more_than_is_due_pays_the_current_installment_then_prepays_and_respreads() {
    let terms = LoanTerms::new(overdue_input()).unwrap();
    let mut state = advanced(&terms, ON);
    // 4000.00: 1895.36 overdue, then installment 3 (due 04-15) with its scheduled interest
    // charged now: 789.98 principal + 126.82 interest = 916.80; 1187.84 is left to prepay.
    let (allocation, events) = state.apply_payment(&terms, d(ON), amt("4000.00")).unwrap();
    assert!(events.iter().all(|e| matches!(e, LoanEvent::StatusChanged(_))), "{events:?}");
    assert_eq!(allocation.prepaid_principal, amt("1187.84"));
    let third: Vec<_> = lines(&allocation).into_iter().filter(|l| l.0 == 3).collect();
    assert_eq!(third, [(3, I, Amount(12_682)), (3, Pr, Amount(78_998)), (3, Pr, Amount(118_784))]);
    assert_eq!(allocation.total(), amt("4000.00"));
    assert!(!allocation.paid_off);
    assert_eq!(state.installments[2].charged.principal, amt("789.98") + amt("1187.84"));
    assert_eq!(state.installments[2].settled_on, Some(d(ON)));
    assert_eq!((state.dpd, state.bucket), (0, Bucket::M0));

    // Installments 4..=12 now carry 7664.92 − 1187.84 = 6477.08, re-spread as an annuity over
    // their 9 due dates at 1.5% a month: level payment 6477.08 × 1.5% / (1 − 1.015^−9)
    // = 774.7224 → 774.72; the last takes the residue of rounding (763.30 + 11.45).
    let later = &state.installments[3..];
    assert_eq!(later.iter().map(|i| i.outstanding().principal).sum::<Amount>(), amt("6477.08"));
    let respread: Vec<_> = later.iter().map(|i| (i.n, i.due_date, i.charged.principal, i.scheduled_interest)).collect();
    let want = [
        (4, "2026-05-15", 67_756, 9716),
        (5, "2026-06-15", 68_773, 8699),
        (6, "2026-07-15", 69_804, 7668),
        (7, "2026-08-15", 70_851, 6621),
        (8, "2026-09-15", 71_914, 5558),
        (9, "2026-10-15", 72_993, 4479),
        (10, "2026-11-15", 74_088, 3384),
        (11, "2026-12-15", 75_199, 2273),
        (12, "2027-01-15", 76_330, 1145),
    ];
    let want: Vec<_> = want.iter().map(|&(n, due, p, i)| (n, d(due), Amount(p), Amount(i))).collect();
    assert_eq!(respread, want);
    assert_invariants(&terms, &state, "after prepayment");

    // Nothing is due until installment 4 falls due on 05-15 with its new interest 97.16.
    state.advance(&terms, d("2026-05-15")).unwrap();
    assert_eq!(state.due().total(), amt("774.72"));
    assert_eq!(state.dpd, 0);
}

#[test]
fn prepaying_on_a_fresh_loan_respreads_principal_for_every_method() {
    use arrears_core::RepaymentMethod::*;
    for method in [Annuity, EqualPrincipal, InterestOnly] {
        let mut input = story_input();
        input.method = method;
        let terms = LoanTerms::new(input).unwrap();
        // On day 26 the cap's budget (10000 × 24% × 26 / 365 = 170.95) covers the 150.00 of
        // scheduled interest charged now; earlier it would not (see the cost-cap tests).
        let mut state = advanced(&terms, "2026-02-10");
        let first_total = state.installments[0].charged.principal + state.installments[0].scheduled_interest;
        let (allocation, _) = state.apply_payment(&terms, d("2026-02-10"), first_total + amt("2000.00")).unwrap();
        assert_eq!(state.installments[0].charged.interest, amt("150.00"), "{method}");
        assert_eq!(state.cap.forgone, Amount::ZERO, "{method}");
        assert_eq!(allocation.prepaid_principal, amt("2000.00"), "{method}");
        let remaining: Amount = state.installments[1..].iter().map(|i| i.charged.principal).sum();
        assert_eq!(remaining, amt("10000.00") - state.installments[0].charged.principal, "{method}");
        assert_eq!(state.principal_outstanding(), remaining, "{method}");
        if method == InterestOnly {
            assert!(state.installments[1..11].iter().all(|i| i.charged.principal.is_zero()), "{method}: still at the end");
        }
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
