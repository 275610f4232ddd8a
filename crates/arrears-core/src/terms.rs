//! Products and contract terms: what a loan promises, validated once so that a `LoanTerms`
//! that exists is a valid one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::date::{Date, DayCount};
use crate::money::{Amount, Currency};
use crate::rate::Rate;

/// The largest principal one loan may have: 100 million in major units.
pub const MAX_PRINCIPAL: Amount = Amount(10_000_000_000);
/// The most installments one loan may have (30 years of monthly payments).
pub const MAX_INSTALLMENTS: u32 = 360;
/// The longest grace period a product may grant.
pub const MAX_GRACE_DAYS: u32 = 30;

/// How principal and interest are spread over the installments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepaymentMethod {
    /// 等额本息: equal installments of principal and interest (an annuity).
    Annuity,
    /// 等额本金: equal principal each period, interest on the falling balance.
    EqualPrincipal,
    /// 先息后本: interest each period, all principal with the last installment.
    InterestOnly,
    /// One repayment of principal and interest at maturity.
    Bullet,
}

impl FromStr for RepaymentMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "annuity" | "equal-installment" | "等额本息" => Ok(RepaymentMethod::Annuity),
            "equal-principal" | "等额本金" => Ok(RepaymentMethod::EqualPrincipal),
            "interest-only" | "先息后本" => Ok(RepaymentMethod::InterestOnly),
            "bullet" => Ok(RepaymentMethod::Bullet),
            _ => Err(format!("unknown repayment method `{s}`: use annuity, equal-principal, interest-only or bullet")),
        }
    }
}

impl fmt::Display for RepaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            RepaymentMethod::Annuity => "annuity",
            RepaymentMethod::EqualPrincipal => "equal-principal",
            RepaymentMethod::InterestOnly => "interest-only",
            RepaymentMethod::Bullet => "bullet",
        })
    }
}

/// The parts a loan's debt is made of, in the default order Civil Code art. 561 pays them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// Late fees (滞纳金 / 违约金) and other costs.
    Fee,
    /// Penalty interest (罚息) on overdue principal.
    Penalty,
    /// Compound interest (复利) on overdue interest.
    Compound,
    /// Contract interest.
    Interest,
    Principal,
}

impl Component {
    pub const ALL: [Component; 5] =
        [Component::Fee, Component::Penalty, Component::Compound, Component::Interest, Component::Principal];

    pub const fn name(self) -> &'static str {
        match self {
            Component::Fee => "fee",
            Component::Penalty => "penalty",
            Component::Compound => "compound",
            Component::Interest => "interest",
            Component::Principal => "principal",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// How the late fee of an installment is computed when its grace period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum LateFeeRule {
    None,
    /// A fixed amount per overdue installment.
    Fixed(Amount),
    /// A share of the installment's unpaid amount when the grace period ends.
    PercentOfInstallment(Rate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFee {
    pub rule: LateFeeRule,
    pub cap_per_installment: Option<Amount>,
    pub cap_per_loan: Option<Amount>,
}

/// Whether a payment walks installment by installment or component by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationMode {
    /// Oldest overdue installment first, each in component order, then the next.
    InstallmentFirst,
    /// One component across all overdue installments (oldest first), then the next component.
    ComponentFirst,
}

/// The waterfall a payment runs down. The default follows Civil Code art. 561: costs and
/// fees, then penalty, then interest, then principal; the oldest overdue installment first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationOrder {
    pub mode: AllocationMode,
    pub components: [Component; 5],
}

impl Default for AllocationOrder {
    fn default() -> Self {
        AllocationOrder { mode: AllocationMode::InstallmentFirst, components: Component::ALL }
    }
}

/// The rules a product gives every loan made under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRules {
    pub currency: Currency,
    pub day_count: DayCount,
    pub grace_days: u32,
    /// Penalty rate = contract rate × (1 + surcharge); PBOC practice is +30% to +50%.
    pub penalty_surcharge: Rate,
    /// Charge compound interest (复利) on overdue interest at the penalty rate.
    pub compound_interest: bool,
    pub late_fee: LateFee,
    /// The all-in annualised cost no loan may exceed.
    pub cost_cap_annual: Rate,
    pub allocation: AllocationOrder,
}

impl Default for ProductRules {
    /// A Chinese consumer cash loan: ACT/365F, 3 days' grace, +50% penalty, compound interest
    /// on, no late fee, a 24% cap, the art. 561 waterfall.
    fn default() -> Self {
        ProductRules {
            currency: Currency::Cny,
            day_count: DayCount::Act365F,
            grace_days: 3,
            penalty_surcharge: Rate::from_parts_per_1e8(50_000_000),
            compound_interest: true,
            late_fee: LateFee { rule: LateFeeRule::None, cap_per_installment: None, cap_per_loan: None },
            cost_cap_annual: Rate::from_parts_per_1e8(24_000_000),
            allocation: AllocationOrder::default(),
        }
    }
}

/// Everything needed to make a loan's terms, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsInput {
    pub principal: Amount,
    pub annual_rate: Rate,
    pub term_months: u32,
    pub method: RepaymentMethod,
    /// The disbursement date; interest runs from here.
    pub start_date: Date,
    /// Defaults to one month after the start date.
    pub first_due_date: Option<Date>,
    pub rules: ProductRules,
}

/// A loan's validated contract terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TermsInput", into = "TermsInput")]
pub struct LoanTerms {
    input: TermsInput,
    first_due_date: Date,
}

/// Why terms were refused; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error("principal: {0} must be more than 0 and at most {MAX_PRINCIPAL}")]
    Principal(Amount),
    #[error("annual_rate: {rate} exceeds the all-in cost cap of {cap}")]
    RateAboveCap { rate: Rate, cap: Rate },
    #[error("annual_rate: {0} must not be negative")]
    NegativeRate(Rate),
    #[error("term_months: {0} must be between 1 and {MAX_INSTALLMENTS}")]
    Term(u32),
    #[error("annual_rate: {rate} accrued on ACT/360 costs {effective} over a 365-day year, above the all-in cost cap of {cap}")]
    RateAboveCapOnAct360 { rate: Rate, effective: Rate, cap: Rate },
    #[error("term_months: the last installment would fall due on {last_due}, after the year {max_year}")]
    EndsTooLate { last_due: Date, max_year: i32 },
    #[error("first_due_date: {first_due} must be after the start date {start} and at most two months later")]
    FirstDueDate { start: Date, first_due: Date },
    #[error("grace_days: {0} must be at most {MAX_GRACE_DAYS}")]
    GraceDays(u32),
    #[error("penalty_surcharge: {0} must be between 0% and 100%")]
    PenaltySurcharge(Rate),
    #[error("cost_cap_annual: {0} must be more than 0% and at most 100%")]
    CostCap(Rate),
    #[error("late_fee: {0}")]
    LateFee(&'static str),
    #[error("allocation: every component must appear exactly once")]
    Allocation,
}

impl TryFrom<TermsInput> for LoanTerms {
    type Error = TermsError;
    fn try_from(input: TermsInput) -> Result<Self, Self::Error> {
        LoanTerms::new(input)
    }
}

impl From<LoanTerms> for TermsInput {
    fn from(terms: LoanTerms) -> TermsInput {
        terms.input
    }
}

impl LoanTerms {
    pub fn new(input: TermsInput) -> Result<LoanTerms, TermsError> {
        let rules = &input.rules;
        if input.principal <= Amount::ZERO || input.principal > MAX_PRINCIPAL {
            return Err(TermsError::Principal(input.principal));
        }
        if !(1..=MAX_INSTALLMENTS).contains(&input.term_months) {
            return Err(TermsError::Term(input.term_months));
        }
        let hundred = Rate::from_parts_per_1e8(100_000_000);
        if rules.cost_cap_annual <= Rate::ZERO || rules.cost_cap_annual > hundred {
            return Err(TermsError::CostCap(rules.cost_cap_annual));
        }
        if input.annual_rate < Rate::ZERO {
            return Err(TermsError::NegativeRate(input.annual_rate));
        }
        if input.annual_rate > rules.cost_cap_annual {
            return Err(TermsError::RateAboveCap { rate: input.annual_rate, cap: rules.cost_cap_annual });
        }
        if rules.grace_days > MAX_GRACE_DAYS {
            return Err(TermsError::GraceDays(rules.grace_days));
        }
        if rules.penalty_surcharge < Rate::ZERO || rules.penalty_surcharge > hundred {
            return Err(TermsError::PenaltySurcharge(rules.penalty_surcharge));
        }
        validate_late_fee(&rules.late_fee)?;
        let mut seen = rules.allocation.components.to_vec();
        seen.sort();
        seen.dedup();
        if seen.len() != Component::ALL.len() {
            return Err(TermsError::Allocation);
        }
        let default_first = match input.method {
            RepaymentMethod::Bullet => input.start_date.add_months(input.term_months as i32),
            _ => input.start_date.add_months(1),
        };
        let first_due_date = input.first_due_date.unwrap_or(default_first);
        let latest = match input.method {
            RepaymentMethod::Bullet => input.start_date.add_months(input.term_months as i32 + 1),
            _ => input.start_date.add_months(2),
        };
        if first_due_date <= input.start_date || first_due_date > latest {
            return Err(TermsError::FirstDueDate { start: input.start_date, first_due: first_due_date });
        }
        if input.rules.day_count == DayCount::Act360 {
            // 360-day interest over a 365-day year costs 365/360 of the nominal rate.
            let effective = Rate::from_parts_per_1e8(crate::rate::mul_div(
                input.annual_rate.parts_per_1e8() as i128,
                365,
                360,
                crate::rate::Rounding::Ceil,
            ) as i64);
            if effective > input.rules.cost_cap_annual {
                return Err(TermsError::RateAboveCapOnAct360 {
                    rate: input.annual_rate,
                    effective,
                    cap: input.rules.cost_cap_annual,
                });
            }
        }
        let terms = LoanTerms { input, first_due_date };
        let last_due = terms.last_due_date();
        if last_due.year() > crate::date::MAX_YEAR - 1 {
            return Err(TermsError::EndsTooLate { last_due, max_year: crate::date::MAX_YEAR - 1 });
        }
        Ok(terms)
    }

    pub fn principal(&self) -> Amount {
        self.input.principal
    }
    pub fn annual_rate(&self) -> Rate {
        self.input.annual_rate
    }
    pub fn term_months(&self) -> u32 {
        self.input.term_months
    }
    pub fn method(&self) -> RepaymentMethod {
        self.input.method
    }
    pub fn start_date(&self) -> Date {
        self.input.start_date
    }
    pub fn first_due_date(&self) -> Date {
        self.first_due_date
    }
    pub fn rules(&self) -> &ProductRules {
        &self.input.rules
    }
    pub fn currency(&self) -> Currency {
        self.input.rules.currency
    }
    pub fn day_count(&self) -> DayCount {
        self.input.rules.day_count
    }
    pub fn grace_days(&self) -> u32 {
        self.input.rules.grace_days
    }
    /// The contract rate plus the product's surcharge.
    pub fn penalty_rate(&self) -> Rate {
        self.input.annual_rate.with_surcharge(self.input.rules.penalty_surcharge)
    }
    /// Number of installments: one for a bullet loan, the term in months otherwise.
    pub fn installment_count(&self) -> u32 {
        match self.input.method {
            RepaymentMethod::Bullet => 1,
            _ => self.input.term_months,
        }
    }
    /// The last installment's due date (the last of [`LoanTerms::due_dates`]).
    pub fn last_due_date(&self) -> Date {
        let start = self.input.start_date;
        let count = self.installment_count() as i32;
        if self.input.method != RepaymentMethod::Bullet && self.first_due_date == start.add_months(1) {
            start.add_months(count)
        } else {
            self.first_due_date.add_months(count - 1)
        }
    }

    /// Due dates: the first due date, then the same day of each following month. When the
    /// first due date is one month after the start, the start's day anchors them, so a loan
    /// made on January 31 falls due on February 28, March 31, April 30.
    pub fn due_dates(&self) -> Vec<Date> {
        let start = self.input.start_date;
        if self.input.method != RepaymentMethod::Bullet && self.first_due_date == start.add_months(1) {
            (1..=self.installment_count()).map(|k| start.add_months(k as i32)).collect()
        } else {
            (0..self.installment_count()).map(|k| self.first_due_date.add_months(k as i32)).collect()
        }
    }
}

fn validate_late_fee(fee: &LateFee) -> Result<(), TermsError> {
    match fee.rule {
        LateFeeRule::None => {}
        LateFeeRule::Fixed(amount) if amount <= Amount::ZERO => {
            return Err(TermsError::LateFee("a fixed fee must be more than 0"))
        }
        LateFeeRule::PercentOfInstallment(rate) if rate <= Rate::ZERO || rate > Rate::from_parts_per_1e8(100_000_000) => {
            return Err(TermsError::LateFee("a percentage fee must be more than 0% and at most 100%"))
        }
        _ => {}
    }
    for cap in [fee.cap_per_installment, fee.cap_per_loan].into_iter().flatten() {
        if cap < Amount::ZERO {
            return Err(TermsError::LateFee("a cap must not be negative"));
        }
    }
    Ok(())
}
