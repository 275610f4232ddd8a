//! Court fees for a property claim and the interest on judgment money paid late.

use arrears_core::rate::{mul_div, Rounding};
use arrears_core::{Amount, Date};
use serde::{Deserialize, Serialize};

/// How a claim goes through the court: the acceptance fee depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Procedure {
    /// Ordinary procedure: the full fee.
    Ordinary,
    /// Summary procedure (简易程序): half (art. 16).
    Summary,
    /// Settled by mediation, or the suit withdrawn (art. 15): half.
    Mediation,
    /// A payment order (支付令, art. 14(3)): a third of the property case fee.
    PaymentOrder,
}

impl Procedure {
    pub const ALL: [Procedure; 4] = [Procedure::Ordinary, Procedure::Summary, Procedure::Mediation, Procedure::PaymentOrder];

    pub fn code(self) -> &'static str {
        match self {
            Procedure::Ordinary => "ordinary",
            Procedure::Summary => "summary",
            Procedure::Mediation => "mediation",
            Procedure::PaymentOrder => "payment-order",
        }
    }

    pub fn parse(code: &str) -> Option<Procedure> {
        Procedure::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A scale of cumulative brackets: a fixed fee up to the first edge, then each part of the
/// amount above an edge (in yuan) at its rate in parts per 10,000.
struct Scale {
    base: i64,
    base_up_to: i64,
    brackets: &'static [(i64, i64)],
    cap: Option<i64>,
}

/// Art. 13(1): property cases.
const ACCEPTANCE: Scale = Scale {
    base: 50,
    base_up_to: 10_000,
    brackets: &[
        (10_000, 250),
        (100_000, 200),
        (200_000, 150),
        (500_000, 100),
        (1_000_000, 90),
        (2_000_000, 80),
        (5_000_000, 70),
        (10_000_000, 60),
        (20_000_000, 50),
    ],
    cap: None,
};

/// Art. 14(2): applying for preservation of property; at most 5,000 yuan.
const PRESERVATION: Scale = Scale { base: 30, base_up_to: 1_000, brackets: &[(1_000, 100), (100_000, 50)], cap: Some(5_000) };

/// Art. 14(1): applying for enforcement of a judgment with an amount.
const ENFORCEMENT: Scale = Scale {
    base: 50,
    base_up_to: 10_000,
    brackets: &[(10_000, 150), (500_000, 100), (5_000_000, 50), (10_000_000, 10)],
    cap: None,
};

impl Scale {
    fn fee(&self, amount: Amount) -> Amount {
        let fen = amount.0.max(0) as i128;
        let mut total = self.base as i128 * 100;
        if fen > self.base_up_to as i128 * 100 {
            for (k, &(from, bp)) in self.brackets.iter().enumerate() {
                let lo = from as i128 * 100;
                let hi = self.brackets.get(k + 1).map_or(i128::MAX, |&(to, _)| to as i128 * 100);
                if fen <= lo {
                    break;
                }
                let part = fen.min(hi) - lo;
                total += mul_div(part, bp as i128, 10_000, Rounding::HalfUp);
            }
        }
        let total = self.cap.map_or(total, |cap| total.min(cap as i128 * 100));
        Amount(total as i64)
    }
}

/// The acceptance fee (案件受理费) of a property claim of `claim` by `procedure`.
pub fn acceptance_fee(claim: Amount, procedure: Procedure) -> Amount {
    let full = ACCEPTANCE.fee(claim);
    match procedure {
        Procedure::Ordinary => full,
        Procedure::Summary | Procedure::Mediation => Amount(mul_div(full.0 as i128, 1, 2, Rounding::HalfUp) as i64),
        Procedure::PaymentOrder => Amount(mul_div(full.0 as i128, 1, 3, Rounding::HalfUp) as i64),
    }
}

/// The fee for preserving property worth `value` (at most 5,000.00).
pub fn preservation_fee(value: Amount) -> Amount {
    PRESERVATION.fee(value)
}

/// The fee for enforcing a judgment of `amount`.
pub fn enforcement_fee(amount: Amount) -> Amount {
    ENFORCEMENT.fee(amount)
}

/// Interest on judgment money paid late: 0.0175% a day on `unpaid` from the day after the
/// performance deadline `deadline` to `on` (none on or before the deadline), rounded half up.
pub fn late_performance_interest(unpaid: Amount, deadline: Date, on: Date) -> Amount {
    let days = deadline.days_until(on).max(0) as i128;
    Amount(mul_div(unpaid.0.max(0) as i128 * days, 175, 1_000_000, Rounding::HalfUp) as i64)
}
