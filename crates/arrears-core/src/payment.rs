//! Payments down the allocation waterfall, early and partial repayment, payoff, and the
//! replay that reversals rest on.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::loan::{LoanError, LoanEvent, LoanState, LoanStatus};
use crate::money::Amount;
use crate::schedule::{spread, Spread};
use crate::terms::{AllocationMode, Component, LoanTerms};

/// One slice of a payment: which installment and component it paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationLine {
    pub n: u32,
    pub component: Component,
    pub amount: Amount,
}

/// Where a payment went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub lines: Vec<AllocationLine>,
    /// Principal paid ahead of schedule; the installments after the current one are re-spread.
    pub prepaid_principal: Amount,
    pub paid_off: bool,
}

impl Allocation {
    pub fn total(&self) -> Amount {
        self.lines.iter().map(|l| l.amount).sum()
    }

    /// The allocated amount of one component, over all installments.
    pub fn component(&self, c: Component) -> Amount {
        self.lines.iter().filter(|l| l.component == c).map(|l| l.amount).sum()
    }
}

/// A payment to replay: its value date and amount, in posting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFact {
    pub date: Date,
    pub amount: Amount,
}

impl LoanState {
    /// Applies a payment received on the business date.
    ///
    /// The money pays, in the product's waterfall, every installment already due (oldest
    /// first), then the current installment (its interest is charged as scheduled), then
    /// principal ahead of schedule: the remaining installments are re-spread over the same
    /// due dates. A payment of exactly the payoff amount closes the loan with the current
    /// period's interest counted only to the date. More than the payoff is refused.
    pub fn apply_payment(
        &mut self,
        terms: &LoanTerms,
        date: Date,
        amount: Amount,
    ) -> Result<(Allocation, Vec<LoanEvent>), LoanError> {
        if self.status != LoanStatus::Active {
            return Err(LoanError::NotActive(self.status));
        }
        if date != self.as_of {
            return Err(LoanError::NotAsOf { as_of: self.as_of, date });
        }
        if amount <= Amount::ZERO {
            return Err(LoanError::NonPositiveAmount(amount));
        }
        let payoff = self.payoff_amount(terms);
        if amount > payoff {
            return Err(LoanError::Overpayment { amount, payoff });
        }
        let basis = terms.day_count().basis();
        let mut allocation = Allocation::default();
        let mut left = amount;
        let mut events = Vec::new();
        let forgone_before = self.cap.forgone;

        if amount == payoff {
            self.charge_interest_for_payoff(terms, basis, date);
        }
        let due: Vec<usize> = (0..self.installments.len()).filter(|&k| self.installments[k].due_date <= date).collect();
        self.pay_group(terms, &due, &mut left, &mut allocation);
        if amount == payoff {
            let rest: Vec<usize> = (0..self.installments.len()).filter(|&k| self.installments[k].due_date > date).collect();
            self.pay_group(terms, &rest, &mut left, &mut allocation);
        } else if let Some(k) = self.current_index() {
            if !left.is_zero() && !self.installments[k].interest_charged {
                // Interest paid ahead of its due date is charged as far as the cap allows
                // today; the rest is charged on the due date, so paying early never waives it.
                let want = self.installments[k].scheduled_interest - self.installments[k].charged.interest;
                let taken = self.cap_take(want, basis);
                self.installments[k].charged.interest += taken;
            }
            self.pay_group(terms, &[k], &mut left, &mut allocation);
            if !left.is_zero() {
                self.prepay_principal(terms, k, left, &mut allocation);
                left = Amount::ZERO;
            }
        }
        debug_assert!(left.is_zero(), "a payment below the payoff is always fully allocated");

        if self.cap.forgone > forgone_before {
            events.push(LoanEvent::CostCapApplied { date, forgone: self.cap.forgone - forgone_before });
        }
        for inst in &mut self.installments {
            if inst.settled_on.is_none() && inst.is_settled() {
                inst.settled_on = Some(date);
            }
        }
        if self.installments.iter().all(|i| i.is_settled()) {
            self.status = LoanStatus::PaidOff;
            self.closed_on = Some(date);
            allocation.paid_off = true;
            events.push(LoanEvent::PaidOff { date });
        }
        self.refresh_status(terms, &mut events);
        Ok((allocation, events))
    }

    /// On payoff the current period's interest is charged to the date, and the later
    /// installments' interest is never charged.
    fn charge_interest_for_payoff(&mut self, terms: &LoanTerms, basis: i128, date: Date) {
        let Some(k) = self.current_index() else { return };
        let to_date = self.current_interest_to_date(terms, k);
        let allowed = self.cap_allow(to_date, basis, date);
        self.installments[k].charged.interest += allowed;
        // The loan closes: no interest is left to charge on this or any later installment.
        for inst in self.installments.iter_mut().skip(k) {
            if !inst.interest_charged {
                inst.interest_charged = true;
                inst.scheduled_interest = inst.charged.interest;
            }
        }
    }

    /// Pays the installments at `group` (oldest first) in the product's waterfall.
    fn pay_group(&mut self, terms: &LoanTerms, group: &[usize], left: &mut Amount, allocation: &mut Allocation) {
        let order = terms.rules().allocation;
        let mut pay = |state: &mut LoanState, k: usize, c: Component, left: &mut Amount| {
            let inst = &mut state.installments[k];
            let take = inst.outstanding().get(c).min(*left);
            if take > Amount::ZERO {
                *inst.paid.get_mut(c) += take;
                *left -= take;
                allocation.lines.push(crate::payment::AllocationLine { n: inst.n, component: c, amount: take });
            }
        };
        match order.mode {
            AllocationMode::InstallmentFirst => {
                for &k in group {
                    for c in order.components {
                        pay(self, k, c, left);
                    }
                }
            }
            AllocationMode::ComponentFirst => {
                for c in order.components {
                    for &k in group {
                        pay(self, k, c, left);
                    }
                }
            }
        }
    }

    /// Pays `amount` of principal ahead of schedule through installment `k` and re-spreads
    /// the principal left on the installments after it over their due dates.
    fn prepay_principal(&mut self, terms: &LoanTerms, k: usize, amount: Amount, allocation: &mut Allocation) {
        let later = &self.installments[k + 1..];
        let remaining: Amount = later.iter().map(|i| i.outstanding().principal).sum();
        debug_assert!(amount < remaining, "prepaying all principal is a payoff");
        let due_dates: Vec<Date> = later.iter().map(|i| i.due_date).collect();
        let spec = Spread {
            principal: remaining - amount,
            annual_rate: terms.annual_rate(),
            method: terms.method(),
            day_count: terms.day_count(),
            period_start: self.installments[k].due_date,
            first_period_regular: true,
        };
        let lines = spread(&spec, &due_dates, later[0].n);
        for (inst, line) in self.installments[k + 1..].iter_mut().zip(lines) {
            inst.charged.principal = line.principal + inst.paid.principal;
            inst.scheduled_interest = line.interest;
        }
        let current = &mut self.installments[k];
        current.charged.principal += amount;
        current.paid.principal += amount;
        allocation.prepaid_principal = amount;
        allocation.lines.push(AllocationLine { n: current.n, component: Component::Principal, amount });
    }

    /// The state on `to` of a loan with these terms that received these payments, in order.
    /// Reversing a payment is replaying the loan without it.
    pub fn replay(terms: &LoanTerms, payments: &[PaymentFact], to: Date) -> Result<LoanState, LoanError> {
        let mut state = LoanState::disburse(terms);
        for p in payments {
            state.advance(terms, p.date)?;
            state.apply_payment(terms, p.date, p.amount)?;
        }
        state.advance(terms, to)?;
        Ok(state)
    }
}
