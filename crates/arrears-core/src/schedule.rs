//! Repayment schedules for the four methods, exact to the fen.
//!
//! Equal installment and equal principal use the periodic rate (annual ÷ 12) as Chinese
//! lenders quote them; a first period that is not one whole month, and bullet loans, accrue by
//! the day count. Every period's interest is rounded half up to the fen; the last installment
//! takes whatever principal is left, so the residue of rounding lands there.

use serde::Serialize;

use crate::date::{Date, DayCount};
use crate::money::Amount;
use crate::rate::{div_round, mul_div, Rate, Rounding, RATE_SCALE};
use crate::terms::{LoanTerms, RepaymentMethod};

/// Fixed-point scale of the annuity factor: 10^18.
const FACTOR_SCALE: i128 = 1_000_000_000_000_000_000;

/// One line of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScheduledInstallment {
    pub n: u32,
    pub due_date: Date,
    pub principal: Amount,
    pub interest: Amount,
    /// Principal still owed after this installment.
    pub balance: Amount,
}

impl ScheduledInstallment {
    pub fn total(&self) -> Amount {
        self.principal + self.interest
    }
}

/// The schedule a loan's terms give at disbursement.
pub fn schedule(terms: &LoanTerms) -> Vec<ScheduledInstallment> {
    let due_dates = terms.due_dates();
    let first_regular = terms.first_due_date() == terms.start_date().add_months(1);
    let spec = Spread {
        principal: terms.principal(),
        annual_rate: terms.annual_rate(),
        method: terms.method(),
        day_count: terms.day_count(),
        period_start: terms.start_date(),
        first_period_regular: first_regular,
    };
    spread(&spec, &due_dates)
}

/// `principal` spread as level (annuity) payments over `months` monthly due dates from `start`,
/// at `annual_rate`: the schedule of an installment plan or a restructuring.
pub fn respread(
    principal: Amount,
    annual_rate: Rate,
    day_count: DayCount,
    start: Date,
    months: u32,
) -> Vec<ScheduledInstallment> {
    let due_dates: Vec<Date> = (1..=months as i32).map(|k| start.add_months(k)).collect();
    let spec = Spread {
        principal,
        annual_rate,
        method: RepaymentMethod::Annuity,
        day_count,
        period_start: start,
        first_period_regular: true,
    };
    spread(&spec, &due_dates)
}

/// A principal to spread over due dates from a start date.
#[derive(Debug, Clone, Copy)]
struct Spread {
    principal: Amount,
    annual_rate: Rate,
    method: RepaymentMethod,
    day_count: DayCount,
    period_start: Date,
    /// Is the first period exactly one month? If not, it accrues by the day count.
    first_period_regular: bool,
}

/// Spreads `spec.principal` over `due_dates`, numbering the installments from 1.
fn spread(spec: &Spread, due_dates: &[Date]) -> Vec<ScheduledInstallment> {
    assert!(!due_dates.is_empty(), "a schedule needs at least one due date");
    let count = due_dates.len() as i128;
    let p = spec.principal.0 as i128;
    let annuity =
        (spec.method == RepaymentMethod::Annuity).then(|| annuity_payment(spec.principal, spec.annual_rate, count as u32));
    let equal_principal = div_round(p, count, Rounding::HalfUp);
    let mut balance = p;
    let mut prev = spec.period_start;
    let mut out = Vec::with_capacity(due_dates.len());
    for (k, &due) in due_dates.iter().enumerate() {
        let last = k + 1 == due_dates.len();
        let regular = spec.method != RepaymentMethod::Bullet && (k > 0 || spec.first_period_regular);
        let interest = if regular {
            monthly_interest(balance, spec.annual_rate)
        } else {
            day_count_interest(balance, spec.annual_rate, spec.day_count, prev, due)
        };
        let principal = if last {
            balance
        } else {
            match spec.method {
                // A first period longer or shorter than a month changes that installment's
                // interest, not its principal: the level payment's principal stands.
                RepaymentMethod::Annuity => {
                    (annuity.expect("annuity payment").0 as i128 - monthly_interest(balance, spec.annual_rate)).clamp(0, balance)
                }
                RepaymentMethod::EqualPrincipal => equal_principal.min(balance),
                RepaymentMethod::InterestOnly | RepaymentMethod::Bullet => 0,
            }
        };
        balance -= principal;
        out.push(ScheduledInstallment {
            n: k as u32 + 1,
            due_date: due,
            principal: Amount(principal as i64),
            interest: Amount(interest as i64),
            balance: Amount(balance as i64),
        });
        prev = due;
    }
    out
}

/// One month's interest at the periodic rate (annual ÷ 12), rounded half up.
pub fn monthly_interest(balance: i128, annual_rate: Rate) -> i128 {
    mul_div(balance, annual_rate.parts_per_1e8() as i128, 12 * RATE_SCALE, Rounding::HalfUp)
}

/// Interest from `start` to `end` by the day count, rounded half up.
pub fn day_count_interest(balance: i128, annual_rate: Rate, day_count: DayCount, start: Date, end: Date) -> i128 {
    let days = day_count.days(start, end).max(0) as i128;
    mul_div(balance * days, annual_rate.parts_per_1e8() as i128, day_count.basis() * RATE_SCALE, Rounding::HalfUp)
}

/// The level payment P·r·(1+r)^n / ((1+r)^n − 1) with r = annual ÷ 12, rounded half up to the
/// fen. The factor is computed in 10^18 fixed point, far finer than a fen on any principal.
pub fn annuity_payment(principal: Amount, annual_rate: Rate, count: u32) -> Amount {
    let p = principal.0 as i128;
    let n = count as i128;
    if annual_rate == Rate::ZERO {
        return Amount(div_round(p, n, Rounding::HalfUp) as i64);
    }
    // r in 10^18 fixed point; annual parts per 10^8 times 10^10 is exact, the division by 12 is not.
    let r = div_round(annual_rate.parts_per_1e8() as i128 * 10_000_000_000, 12, Rounding::HalfUp);
    // Work with the discount factor v^n = (1+r)^-n, which stays at most 1 and so never
    // overflows, and use r / (1 - v^n), the same quantity as r(1+r)^n / ((1+r)^n - 1).
    let v = div_round(FACTOR_SCALE * FACTOR_SCALE, FACTOR_SCALE + r, Rounding::HalfUp);
    let mut discount = FACTOR_SCALE;
    for _ in 0..count {
        discount = div_round(discount * v, FACTOR_SCALE, Rounding::HalfUp);
    }
    let factor = div_round(r * FACTOR_SCALE, FACTOR_SCALE - discount, Rounding::HalfUp);
    Amount(mul_div(p, factor, FACTOR_SCALE, Rounding::HalfUp) as i64)
}

#[cfg(test)]
mod tests;
