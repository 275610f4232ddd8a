//! Terms that cannot be a loan are refused, and the error names the field.

use arrears_core::terms::{MAX_GRACE_DAYS, MAX_INSTALLMENTS, MAX_PRINCIPAL};
use arrears_core::{
    AllocationMode, AllocationOrder, Amount, Component, LateFee, LateFeeRule, LoanTerms, Rate, RepaymentMethod, TermsError,
    TermsInput,
};

use crate::support::{amt, d, pct, story_input};

/// A change to the story terms.
type Change = fn(&mut TermsInput);

struct Bad {
    name: &'static str,
    change: Change,
    field: &'static str,
}

#[test]
fn bad_terms_are_refused_naming_the_field() {
    let cases: &[Bad] = &[
        Bad { name: "principal 0", change: |i| i.principal = Amount::ZERO, field: "principal" },
        Bad { name: "negative principal", change: |i| i.principal = amt("-100.00"), field: "principal" },
        Bad { name: "principal over the maximum", change: |i| i.principal = MAX_PRINCIPAL + Amount(1), field: "principal" },
        Bad { name: "rate above the cap", change: |i| i.annual_rate = pct("24.000001"), field: "annual_rate" },
        Bad { name: "rate above a lowered cap", change: |i| i.rules.cost_cap_annual = pct("15"), field: "annual_rate" },
        Bad { name: "negative rate", change: |i| i.annual_rate = Rate::from_parts_per_1e8(-1), field: "annual_rate" },
        Bad { name: "term 0", change: |i| i.term_months = 0, field: "term_months" },
        Bad { name: "term over 360", change: |i| i.term_months = MAX_INSTALLMENTS + 1, field: "term_months" },
        Bad { name: "first due on the start", change: |i| i.first_due_date = Some(d("2026-01-15")), field: "first_due_date" },
        Bad { name: "first due before the start", change: |i| i.first_due_date = Some(d("2026-01-01")), field: "first_due_date" },
        Bad {
            name: "first due more than two months later",
            change: |i| i.first_due_date = Some(d("2026-03-16")),
            field: "first_due_date",
        },
        Bad {
            name: "bullet due more than a month after maturity",
            change: |i| {
                i.method = RepaymentMethod::Bullet;
                i.first_due_date = Some(d("2027-02-16"));
            },
            field: "first_due_date",
        },
        Bad { name: "grace over 30 days", change: |i| i.rules.grace_days = MAX_GRACE_DAYS + 1, field: "grace_days" },
        Bad {
            name: "negative surcharge",
            change: |i| i.rules.penalty_surcharge = Rate::from_parts_per_1e8(-1),
            field: "penalty_surcharge",
        },
        Bad { name: "surcharge over 100%", change: |i| i.rules.penalty_surcharge = pct("100.5"), field: "penalty_surcharge" },
        Bad { name: "cap 0", change: |i| i.rules.cost_cap_annual = Rate::ZERO, field: "cost_cap_annual" },
        Bad { name: "cap over 100%", change: |i| i.rules.cost_cap_annual = pct("101"), field: "cost_cap_annual" },
        Bad { name: "fixed fee 0", change: |i| i.rules.late_fee.rule = LateFeeRule::Fixed(Amount::ZERO), field: "late_fee" },
        Bad {
            name: "percent fee over 100%",
            change: |i| i.rules.late_fee.rule = LateFeeRule::PercentOfInstallment(pct("100.1")),
            field: "late_fee",
        },
        Bad {
            name: "percent fee 0",
            change: |i| i.rules.late_fee.rule = LateFeeRule::PercentOfInstallment(Rate::ZERO),
            field: "late_fee",
        },
        Bad {
            name: "negative per-loan cap",
            change: |i| {
                i.rules.late_fee =
                    LateFee { rule: LateFeeRule::Fixed(amt("10")), cap_per_installment: None, cap_per_loan: Some(amt("-1")) }
            },
            field: "late_fee",
        },
        Bad {
            name: "duplicated allocation component",
            change: |i| {
                i.rules.allocation = AllocationOrder {
                    mode: AllocationMode::InstallmentFirst,
                    components: [Component::Fee, Component::Fee, Component::Compound, Component::Interest, Component::Principal],
                }
            },
            field: "allocation",
        },
    ];
    for case in cases {
        let mut input = story_input();
        (case.change)(&mut input);
        let err = LoanTerms::new(input.clone()).expect_err(case.name);
        let text = err.to_string();
        assert!(text.starts_with(&format!("{}: ", case.field)), "{}: `{text}` should start with `{}: `", case.name, case.field);
        // The same refusal when terms arrive as JSON.
        let json = serde_json::to_string(&input).unwrap();
        let parsed = serde_json::from_str::<LoanTerms>(&json);
        let message = parsed.expect_err(case.name).to_string();
        assert!(message.starts_with(&format!("{}: ", case.field)), "{}: JSON error `{message}`", case.name);
    }
}

#[test]
fn the_edges_themselves_are_accepted() {
    let cases: &[(&str, Change)] = &[
        ("one fen", |i| i.principal = Amount(1)),
        ("the maximum principal", |i| i.principal = MAX_PRINCIPAL),
        ("rate equal to the cap", |i| i.annual_rate = pct("24")),
        ("rate 0", |i| i.annual_rate = Rate::ZERO),
        ("term 1", |i| i.term_months = 1),
        ("term 360", |i| i.term_months = MAX_INSTALLMENTS),
        ("first due the next day", |i| i.first_due_date = Some(d("2026-01-16"))),
        ("first due two months later", |i| i.first_due_date = Some(d("2026-03-15"))),
        ("grace 30", |i| i.rules.grace_days = MAX_GRACE_DAYS),
        ("grace 0", |i| i.rules.grace_days = 0),
        ("surcharge 0", |i| i.rules.penalty_surcharge = Rate::ZERO),
        ("surcharge 100%", |i| i.rules.penalty_surcharge = pct("100")),
        ("cap 100%", |i| i.rules.cost_cap_annual = pct("100")),
        ("zero late-fee caps", |i| {
            i.rules.late_fee =
                LateFee { rule: LateFeeRule::Fixed(amt("10")), cap_per_installment: Some(Amount::ZERO), cap_per_loan: None }
        }),
        ("another allocation order", |i| {
            i.rules.allocation.components =
                [Component::Principal, Component::Interest, Component::Compound, Component::Penalty, Component::Fee]
        }),
    ];
    for (name, change) in cases {
        let mut input = story_input();
        change(&mut input);
        let terms = LoanTerms::new(input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines = arrears_core::schedule(&terms);
        assert_eq!(lines.iter().map(|l| l.principal).sum::<Amount>(), terms.principal(), "{name}");
    }
}

#[test]
fn errors_are_stable_variants() {
    let mut input = story_input();
    input.term_months = 0;
    assert_eq!(LoanTerms::new(input), Err(TermsError::Term(0)));
    let mut input = story_input();
    input.first_due_date = Some(d("2026-01-10"));
    assert_eq!(LoanTerms::new(input), Err(TermsError::FirstDueDate { start: d("2026-01-15"), first_due: d("2026-01-10") }));
}
