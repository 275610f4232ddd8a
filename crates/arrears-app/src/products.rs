//! The products a new database starts with.

use arrears_core::{Amount, Currency, DayCount, LateFee, LateFeeRule, ProductRules, Rate};

/// `(code, name, rules)` of the products `arrears init` creates.
pub fn defaults() -> Vec<(&'static str, &'static str, ProductRules)> {
    vec![
        ("CASH", "Consumer cash loan (CNY): 3 days' grace, penalty +50%, compound interest, 24% cap", ProductRules::default()),
        (
            "CASH-FEE",
            "Consumer cash loan with a late fee (CNY): 5% of the overdue installment, at most 50.00 each and 200.00 a loan",
            ProductRules {
                late_fee: LateFee {
                    rule: LateFeeRule::PercentOfInstallment(Rate::from_bp(500)),
                    cap_per_installment: Some(Amount(5_000)),
                    cap_per_loan: Some(Amount(20_000)),
                },
                ..ProductRules::default()
            },
        ),
        (
            "US-INST",
            "US installment loan (USD): ACT/360, 10 days' grace, no penalty surcharge, 15.00 late fee, 36% cap",
            ProductRules {
                currency: Currency::Usd,
                day_count: DayCount::Act360,
                grace_days: 10,
                penalty_surcharge: Rate::ZERO,
                compound_interest: false,
                late_fee: LateFee { rule: LateFeeRule::Fixed(Amount(1_500)), cap_per_installment: None, cap_per_loan: None },
                cost_cap_annual: Rate::from_bp(3_600),
                ..ProductRules::default()
            },
        ),
    ]
}
