//! Payments down the allocation waterfall, early and partial repayment, payoff, and the
//! replay that reversals rest on.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::loan::{LoanError, LoanEvent, LoanState, LoanStatus};
use crate::money::Amount;
use crate::relief::Event;
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
    /// Money paid ahead of any due date: held on the loan and applied to installments as they
    /// fall due.
    pub held: Amount,
    /// Money held from earlier payments that this one's payoff used.
    pub from_credit: Amount,
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
    /// first). What is left is held on the loan and applied to each installment on its due date,
    /// so paying ahead never makes a borrower late and never charges interest early. A payment
    /// of exactly the payoff amount closes the loan, with the current period's interest counted
    /// only to the date. More than the payoff is refused.
    ///
    /// On a written-off loan a payment is a recovery: it pays what was written off, every
    /// installment in the waterfall, and closes the loan once nothing is left.
    pub fn apply_payment(
        &mut self,
        terms: &LoanTerms,
        date: Date,
        amount: Amount,
    ) -> Result<(Allocation, Vec<LoanEvent>), LoanError> {
        if !matches!(self.status, LoanStatus::Active | LoanStatus::WrittenOff) {
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
        let mut allocation = Allocation::default();
        let mut events = Vec::new();
        let forgone_before = self.cap.forgone;
        if self.status == LoanStatus::WrittenOff {
            let mut left = amount;
            let all: Vec<usize> = (0..self.installments.len()).collect();
            self.pay_group(terms, &all, &mut left, &mut allocation);
            debug_assert!(left.is_zero(), "a recovery never exceeds what is owed");
        } else if amount == payoff {
            self.charge_interest_for_payoff(terms, date);
            allocation.from_credit = self.credit;
            let mut left = amount + self.credit;
            self.credit = Amount::ZERO;
            let all: Vec<usize> = (0..self.installments.len()).collect();
            self.pay_group(terms, &all, &mut left, &mut allocation);
            debug_assert!(left.is_zero(), "the payoff pays everything");
        } else {
            let mut left = amount;
            let due: Vec<usize> = (0..self.installments.len()).filter(|&k| self.installments[k].due_date <= date).collect();
            self.pay_group(terms, &due, &mut left, &mut allocation);
            self.credit += left;
            allocation.held = left;
        }
        if self.cap.forgone > forgone_before {
            events.push(LoanEvent::CostCapApplied { date, forgone: self.cap.forgone - forgone_before });
        }
        self.close_if_settled(date, &mut events);
        allocation.paid_off = self.status == LoanStatus::PaidOff;
        self.refresh_status(terms, &mut events);
        Ok((allocation, events))
    }

    /// On payoff the current period's interest is charged to the date, and the later
    /// installments' interest is never charged.
    pub(crate) fn charge_interest_for_payoff(&mut self, terms: &LoanTerms, date: Date) {
        let Some(k) = self.current_index() else { return };
        let to_date = self.current_interest_to_date(terms, k);
        let allowed = self.cap_allow(to_date, date);
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
    pub(crate) fn pay_group(&mut self, terms: &LoanTerms, group: &[usize], left: &mut Amount, allocation: &mut Allocation) {
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

    /// The state on `to` of a loan with these terms that received these payments, in order.
    /// Reversing a payment is replaying the loan without it.
    pub fn replay(terms: &LoanTerms, payments: &[PaymentFact], to: Date) -> Result<LoanState, LoanError> {
        LoanState::replay_with(terms, payments, &[], to)
    }

    /// [`LoanState::replay`] of a loan that was relieved or written off: each event is made
    /// again on its date, after the same number of payments (in the order given among those
    /// after the same payments), when that date is not after `to`.
    pub fn replay_with(terms: &LoanTerms, payments: &[PaymentFact], events: &[Event], to: Date) -> Result<LoanState, LoanError> {
        let mut state = LoanState::disburse(terms);
        let due = |k: usize| events.iter().filter(move |e| e.after_payments() as usize == k && e.date() <= to);
        for (k, p) in payments.iter().enumerate() {
            for e in due(k) {
                state.advance(terms, e.date())?;
                e.apply(&mut state, terms)?;
            }
            state.advance(terms, p.date)?;
            state.apply_payment(terms, p.date, p.amount)?;
        }
        for e in events.iter().filter(|e| e.after_payments() as usize >= payments.len() && e.date() <= to) {
            state.advance(terms, e.date())?;
            e.apply(&mut state, terms)?;
        }
        state.advance(terms, to)?;
        Ok(state)
    }
}
