//! Property tests of the invariants in DESIGN.md over random terms and payment histories:
//! conservation, no negative component, the cost cap, ledger = state, replay = incremental,
//! path independence, and schedules that spread exactly the principal.

use proptest::prelude::*;

use arrears_core::ledger::EntryKind;
use arrears_core::relief::without_payment;
use arrears_core::terms::MAX_PRINCIPAL;
use arrears_core::{
    schedule, AllocationMode, AllocationOrder, Amount, Component, Date, DayCount, LateFee, LateFeeRule, LoanError, LoanState,
    LoanStatus, LoanTerms, PaymentFact, PenaltyTreatment, ProductRules, Rate, Relief, RepaymentMethod, TermsInput,
};

use crate::support::{assert_invariants, Book};

fn method() -> impl Strategy<Value = RepaymentMethod> {
    prop_oneof![
        Just(RepaymentMethod::Annuity),
        Just(RepaymentMethod::EqualPrincipal),
        Just(RepaymentMethod::InterestOnly),
        Just(RepaymentMethod::Bullet),
    ]
}

fn late_fee() -> impl Strategy<Value = LateFee> {
    let rule = prop_oneof![
        Just(LateFeeRule::None),
        (1i64..=10_000).prop_map(|fen| LateFeeRule::Fixed(Amount(fen))),
        (1i64..=10_000_000).prop_map(|parts| LateFeeRule::PercentOfInstallment(Rate::from_parts_per_1e8(parts))),
    ];
    let cap = proptest::option::of((0i64..=20_000).prop_map(Amount));
    (rule, cap.clone(), cap).prop_map(|(rule, cap_per_installment, cap_per_loan)| LateFee {
        rule,
        cap_per_installment,
        cap_per_loan,
    })
}

fn rules() -> impl Strategy<Value = ProductRules> {
    (
        prop_oneof![Just(DayCount::Act365F), Just(DayCount::Act360), Just(DayCount::Thirty360)],
        0u32..=10,
        0i64..=100_000_000,
        any::<bool>(),
        late_fee(),
        prop_oneof![Just(24_000_000i64), Just(30_000_000), Just(36_000_000)],
        any::<bool>(),
        Just(Component::ALL.to_vec()).prop_shuffle(),
    )
        .prop_map(|(day_count, grace_days, surcharge, compound_interest, late_fee, cap, component_first, order)| {
            ProductRules {
                day_count,
                grace_days,
                penalty_surcharge: Rate::from_parts_per_1e8(surcharge),
                compound_interest,
                late_fee,
                cost_cap_annual: Rate::from_parts_per_1e8(cap),
                allocation: AllocationOrder {
                    mode: if component_first { AllocationMode::ComponentFirst } else { AllocationMode::InstallmentFirst },
                    components: order.try_into().expect("five components"),
                },
                ..ProductRules::default()
            }
        })
}

/// Valid terms: principal 100.00..=200000.00, rate 0..=24%, 1..=36 months, all four methods,
/// a start in 2024..2034 and sometimes an irregular first period.
fn terms() -> impl Strategy<Value = LoanTerms> {
    (10_000i64..=20_000_000, 0i64..=24_000_000, 1u32..=36, method(), 0i32..=3650, proptest::option::of(1i32..=59), rules())
        .prop_map(|(principal, rate, term_months, method, start, first_due, rules)| {
            let start_date = Date::from_ymd(2024, 1, 1).unwrap().add_days(start);
            let input = TermsInput {
                principal: Amount(principal),
                // ACT/360 accrues 365/360 of the rate over a year: keep it under the 24% cap.
                annual_rate: Rate::from_parts_per_1e8(if rules.day_count == DayCount::Act360 { rate * 360 / 365 } else { rate }),
                term_months,
                method,
                start_date,
                // 59 days is never more than two months.
                first_due_date: first_due.map(|days| start_date.add_days(days)),
                rules,
            };
            LoanTerms::new(input).expect("generated terms are valid")
        })
}

/// How much one payment is, relative to what closes the loan that day.
#[derive(Debug, Clone, Copy)]
enum Pay {
    /// Per mille of the payoff amount.
    Share(i64),
    /// A fixed amount in fen, clamped to the payoff.
    Fen(i64),
    /// Everything due that day, or a fen if nothing is.
    Due,
    Payoff,
}

fn plan() -> impl Strategy<Value = Vec<(i32, Pay)>> {
    let pay = prop_oneof![
        4 => (1i64..=1000).prop_map(Pay::Share),
        3 => (1i64..=200_000).prop_map(Pay::Fen),
        3 => Just(Pay::Due),
        1 => Just(Pay::Payoff),
    ];
    proptest::collection::vec((0i32..=150, pay), 0..=10)
}

fn relief() -> impl Strategy<Value = Relief> {
    let treatment =
        prop_oneof![Just(PenaltyTreatment::Waive), Just(PenaltyTreatment::Freeze), Just(PenaltyTreatment::Capitalise)];
    prop_oneof![
        (1u32..=6, any::<bool>()).prop_map(|(months, with_interest)| Relief::Extension { months, with_interest }),
        (1u32..=60, treatment.clone()).prop_map(|(months, penalty)| Relief::Plan { months, penalty }),
        (1u32..=60, 0i64..=3_000, treatment).prop_map(|(months, bp, penalty)| Relief::Restructure {
            months,
            annual_rate: Rate::from_bp(bp),
            penalty
        }),
        Just(Relief::Settlement),
    ]
}

fn amount_for(state: &LoanState, terms: &LoanTerms, pay: Pay) -> Amount {
    let payoff = state.payoff_amount(terms);
    let want = match pay {
        Pay::Share(per_mille) => Amount(payoff.0 * per_mille / 1000),
        Pay::Fen(fen) => Amount(fen),
        Pay::Due => state.due().total(),
        Pay::Payoff => payoff,
    };
    Amount(want.0.clamp(1, payoff.0))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Paying more never leaves the borrower owing more, or later, on any later day.
    #[test]
    fn paying_more_never_leaves_more_owed(terms in terms(), day in 0i32..=400, share in 1u32..=999, extra in 1i64..=100_000, later in 0i32..=200) {
        let mut base = LoanState::disburse(&terms);
        base.advance(&terms, terms.start_date().add_days(day)).unwrap();
        prop_assume!(base.status == LoanStatus::Active);
        let payoff = base.payoff_amount(&terms);
        let less = Amount(payoff.0 * share as i64 / 1000);
        prop_assume!(less > Amount::ZERO);
        let more = Amount((less.0 + extra).min(payoff.0));
        let (mut a, mut b) = (base.clone(), base.clone());
        a.apply_payment(&terms, a.as_of, less).unwrap();
        b.apply_payment(&terms, b.as_of, more).unwrap();
        let then = base.as_of.add_days(later);
        a.advance(&terms, then).unwrap();
        b.advance(&terms, then).unwrap();
        prop_assert!(b.payoff_amount(&terms) <= a.payoff_amount(&terms), "payoff {} after paying {more} > {} after paying {less}", b.payoff_amount(&terms), a.payoff_amount(&terms));
        prop_assert!(b.dpd <= a.dpd, "DPD {} after paying {more} > {} after paying {less}", b.dpd, a.dpd);
    }

    #[test]
    fn schedules_spread_exactly_the_principal(terms in terms()) {
        let lines = schedule(&terms);
        prop_assert_eq!(lines.len() as u32, terms.installment_count());
        prop_assert_eq!(lines.iter().map(|l| l.principal).sum::<Amount>(), terms.principal());
        prop_assert_eq!(lines.last().unwrap().balance, Amount::ZERO);
        let mut balance = terms.principal();
        let mut previous = terms.start_date();
        for (k, line) in lines.iter().enumerate() {
            prop_assert_eq!(line.n, k as u32 + 1);
            prop_assert!(line.due_date > previous, "due dates increase");
            prop_assert!(line.principal >= Amount::ZERO && line.interest >= Amount::ZERO, "{:?}", line);
            balance -= line.principal;
            prop_assert_eq!(line.balance, balance);
            previous = line.due_date;
        }
        if terms.method() == RepaymentMethod::Annuity && lines.len() > 2 {
            // Level payments, except the last (the residue) and an irregular first period.
            let level = lines[1].total();
            prop_assert!(lines[1..lines.len() - 1].iter().all(|l| l.total() == level || l.principal == l.balance));
        }
    }

    #[test]
    fn servicing_keeps_every_invariant(
        terms in terms(),
        plan in plan(),
        tail in 0i32..=400,
        pick in any::<prop::sample::Index>(),
        write_off_at in proptest::option::of(0usize..10),
        reliefs in proptest::collection::vec((0usize..10, relief()), 0..=2),
    ) {
        let cap = terms.rules().cost_cap_annual.parts_per_1e8() as i128;
        let mut state = LoanState::disburse(&terms);
        let mut book = Book::open(&terms);
        let mut facts: Vec<PaymentFact> = Vec::new();
        let mut budget: i128 = 0;
        for (step, &(gap, pay)) in plan.iter().enumerate() {
            let to = state.as_of.add_days(gap);
            let before = state.clone();
            // Day by day, because money held ahead pays principal on due dates: the budget
            // grows by the principal owed at the start of each day the loan is open.
            while state.as_of < to {
                if state.status == LoanStatus::Active {
                    budget += state.principal_outstanding().0 as i128 * cap;
                }
                let next = state.as_of.add_days(1);
                state.advance(&terms, next).unwrap();
            }
            book.post(to, EntryKind::Accrual, &before, &state);
            prop_assert_eq!(state.cap.budget_scaled, budget, "step {}: the cap budget", step);
            assert_invariants(&terms, &state, &format!("step {step} advanced"));
            book.assert_matches(&terms, &state, &format!("step {step} advanced"));
            if write_off_at == Some(step) && state.status == LoanStatus::Active && state.oldest_unpaid_due().is_some() {
                let before = state.clone();
                state.write_off(&terms, to, facts.len() as u32).unwrap();
                prop_assert_eq!(state.written_off.unwrap().amount, before.outstanding(), "step {}: everything owed is written off", step);
                book.post(to, EntryKind::WriteOff, &before, &state);
                assert_invariants(&terms, &state, &format!("step {step} written off"));
                book.assert_matches(&terms, &state, &format!("step {step} written off"));
            }
            for &(_, relief) in reliefs.iter().filter(|(at, _)| *at == step) {
                let before = state.clone();
                match state.apply_relief(&terms, to, facts.len() as u32, relief) {
                    Ok(_) => {
                        book.post(to, EntryKind::Accrual, &before, &state);
                        assert_invariants(&terms, &state, &format!("step {step} relieved {relief:?}"));
                        book.assert_matches(&terms, &state, &format!("step {step} relieved {relief:?}"));
                        prop_assert_eq!(state.outstanding().principal + state.paid().principal + state.waived().principal, terms.principal());
                    }
                    // A relief refused changes nothing.
                    Err(_) => prop_assert_eq!(&state, &before),
                }
            }
            if !matches!(state.status, LoanStatus::Active | LoanStatus::WrittenOff) {
                continue;
            }
            let amount = amount_for(&state, &terms, pay);
            let payoff = state.payoff_amount(&terms);
            let before = state.clone();
            let (allocation, _) = state.apply_payment(&terms, to, amount).unwrap();
            facts.push(PaymentFact { date: to, amount });
            prop_assert_eq!(allocation.total() + allocation.held, amount + allocation.from_credit, "step {}: every fen is allocated or held", step);
            let paid = state.paid().minus(&before.paid());
            for c in Component::ALL {
                prop_assert_eq!(allocation.component(c), paid.get(c), "step {}: allocation of {}", step, c);
            }
            prop_assert_eq!(amount == payoff, state.status == LoanStatus::PaidOff, "step {}: payoff closes, less does not", step);
            if state.status == LoanStatus::PaidOff {
                prop_assert_eq!(state.outstanding().total(), Amount::ZERO);
            }
            book.post(to, EntryKind::Payment, &before, &state);
            assert_invariants(&terms, &state, &format!("step {step} paid {amount}"));
            book.assert_matches(&terms, &state, &format!("step {step} paid {amount}"));
        }
        let end = state.as_of.add_days(tail);
        let before = state.clone();
        state.advance(&terms, end).unwrap();
        book.post(end, EntryKind::Accrual, &before, &state);
        assert_invariants(&terms, &state, "at the end");
        book.assert_matches(&terms, &state, "at the end");

        // Replay equals incremental servicing, reliefs and a write-off included.
        let events = state.events();
        prop_assert_eq!(&LoanState::replay_with(&terms, &facts, &events, end).unwrap(), &state);

        // Reverse one payment: replay without it, book the difference as a reversal. A payment
        // made before a write-off changes what was written off: the write-off is made again on
        // its day, after one payment fewer.
        if !facts.is_empty() {
            let mut without = facts.clone();
            let k = pick.index(facts.len());
            without.remove(k);
            match LoanState::replay_with(&terms, &without, &without_payment(&events, k), end) {
                Ok(reversed) => {
                    book.post(end, EntryKind::Reversal, &state, &reversed);
                    assert_invariants(&terms, &reversed, "after a reversal");
                    book.assert_matches(&terms, &reversed, "after a reversal");
                }
                // Without an earlier payment a later one can be more than the payoff: a
                // partial payment that reached the current installment charged its whole
                // scheduled interest, and without it the payoff counts interest only to date.
                // Such a reversal is refused and changes nothing, so there is nothing to book.
                Err(LoanError::Overpayment { .. }) | Err(LoanError::NotActive(_)) => {}
                Err(other) => prop_assert!(false, "unexpected replay error {other}"),
            }
        }
    }

    #[test]
    fn the_path_does_not_matter(terms in terms(), days in 0i32..=1200, step in 1i32..=45) {
        let to = terms.start_date().add_days(days);
        let mut jump = LoanState::disburse(&terms);
        let jump_events = jump.advance(&terms, to).unwrap();
        let mut walk = LoanState::disburse(&terms);
        let mut walk_events = Vec::new();
        while walk.as_of < to {
            let next = walk.as_of.add_days(step).min(to);
            walk_events.extend(walk.advance(&terms, next).unwrap());
        }
        prop_assert_eq!(&walk, &jump);
        prop_assert_eq!(walk_events, jump_events);
        assert_invariants(&terms, &jump, "unpaid");
    }

    #[test]
    fn principal_out_of_range_is_refused(principal in prop_oneof![i64::MIN..=0, MAX_PRINCIPAL.0 + 1..=i64::MAX]) {
        let mut input: TermsInput = LoanTerms::new(TermsInput {
            principal: Amount(100),
            annual_rate: Rate::ZERO,
            term_months: 1,
            method: RepaymentMethod::Bullet,
            start_date: Date::from_ymd(2026, 1, 15).unwrap(),
            first_due_date: None,
            rules: ProductRules::default(),
        })
        .unwrap()
        .into();
        input.principal = Amount(principal);
        let err = LoanTerms::new(input).unwrap_err();
        prop_assert!(err.to_string().starts_with("principal: "));
    }
}
