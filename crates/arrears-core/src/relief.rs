//! Hardship relief: grace extensions (展期), installment plans (分期还款), restructuring (重组)
//! and settlements (减免), each a change to the loan's installments on its business date that
//! keeps every fen accounted for.
//!
//! Nothing owed disappears. An extension moves due dates; a plan or a restructuring closes what
//! is owed on the old installments and charges the same amounts, component by component, to the
//! new ones (so the totals charged do not move), adding only the new schedule's interest as it
//! falls due; what is forgiven (penalty a plan waives, the discount of a settlement) is recorded
//! as waived, so charged − paid − waived = outstanding holds throughout and the ledger books the
//! waiver. A replay makes each relief again after the same payments.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::loan::{Components, InstallmentState, LoanError, LoanEvent, LoanState, LoanStatus, WriteOff};
use crate::money::Amount;
use crate::rate::Rate;
use crate::schedule::{monthly_interest, respread};
use crate::terms::{Component, LoanTerms};

/// The longest installment plan or restructured term, in months.
pub const MAX_PLAN_MONTHS: u32 = 60;
/// The longest grace extension, in months.
pub const MAX_EXTENSION_MONTHS: u32 = 12;
/// A restructured loan is classed at least special mention for this many months.
pub const OBSERVATION_MONTHS: i32 = 12;

/// What a plan or a restructuring does with the penalty, compound interest and late fees owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PenaltyTreatment {
    /// Forgiven: booked as waived.
    Waive,
    /// Kept, owed with the plan's last installment.
    Freeze,
    /// Spread over the plan's installments.
    Capitalise,
}

impl PenaltyTreatment {
    pub fn code(self) -> &'static str {
        match self {
            PenaltyTreatment::Waive => "waive",
            PenaltyTreatment::Freeze => "freeze",
            PenaltyTreatment::Capitalise => "capitalise",
        }
    }

    pub fn parse(code: &str) -> Option<PenaltyTreatment> {
        [PenaltyTreatment::Waive, PenaltyTreatment::Freeze, PenaltyTreatment::Capitalise].into_iter().find(|t| t.code() == code)
    }
}

/// A relief granted to a borrower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Relief {
    /// Every installment from the oldest unsettled one falls due `months` later (one that
    /// leaves the loan late is no cure, and [`Relief::check_cures`] says so before it is granted). With
    /// interest, the added months' interest on the principal still owed (at the periodic rate)
    /// falls due with the first of them; without, the holiday is free.
    Extension { months: u32, with_interest: bool },
    /// Everything owed, due or not, re-spread over `months` level monthly installments from
    /// the day of the plan, at the rate the loan bears; the penalty as `penalty` says.
    Plan { months: u32, penalty: PenaltyTreatment },
    /// A plan at a new rate: the old installments closed, the new schedule opened, and the
    /// loan classed at least special mention for [`OBSERVATION_MONTHS`].
    Restructure { months: u32, annual_rate: Rate, penalty: PenaltyTreatment },
    /// What the borrower paid (money held ahead included) pays everything in the waterfall,
    /// the current period's interest counted to the day as a payoff counts it, and the rest is
    /// waived: the loan closes.
    Settlement,
}

impl Relief {
    pub fn kind(&self) -> &'static str {
        match self {
            Relief::Extension { .. } => "extension",
            Relief::Plan { .. } => "plan",
            Relief::Restructure { .. } => "restructure",
            Relief::Settlement => "settlement",
        }
    }
}

/// A relief as made: its day, the number of payments before it, what it was, and the first
/// installment it made (the first one an extension moved, the first of a plan's new ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReliefAt {
    pub date: Date,
    pub after_payments: u32,
    pub relief: Relief,
    #[serde(default)]
    pub from_n: u32,
}

/// Installments from number `from_n` on were spread on `start` at `annual_rate` (by a plan or a
/// restructuring): the period and the rate their interest to date is counted by. The interest
/// the old schedule had charged and not been paid (`carried`) is spread evenly over its `count`
/// installments, on top of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub from_n: u32,
    pub start: Date,
    pub annual_rate: Rate,
    pub count: u32,
    pub carried: Amount,
}

impl Segment {
    /// The carried interest installment `n` bears.
    pub fn carried_by(&self, n: u32) -> Amount {
        let k = n.checked_sub(self.from_n).filter(|k| *k < self.count);
        k.map_or(Amount::ZERO, |k| shares(self.carried, self.count as usize)[k as usize])
    }
}

/// Something a replay makes again between the payments: a relief or the write-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Relief(ReliefAt),
    WriteOff(WriteOff),
}

impl Event {
    pub fn date(&self) -> Date {
        match self {
            Event::Relief(r) => r.date,
            Event::WriteOff(w) => w.date,
        }
    }

    pub fn after_payments(&self) -> u32 {
        match self {
            Event::Relief(r) => r.after_payments,
            Event::WriteOff(w) => w.after_payments,
        }
    }

    fn with_after_payments(self, n: u32) -> Event {
        match self {
            Event::Relief(r) => Event::Relief(ReliefAt { after_payments: n, ..r }),
            Event::WriteOff(w) => Event::WriteOff(WriteOff { after_payments: n, ..w }),
        }
    }

    /// Makes the event again on `state` (advanced to its date).
    pub(crate) fn apply(&self, state: &mut LoanState, terms: &LoanTerms) -> Result<(), LoanError> {
        match self {
            Event::Relief(r) => state.apply_relief(terms, r.date, r.after_payments, r.relief).map(|_| ()),
            Event::WriteOff(w) => state.write_off(terms, w.date, w.after_payments).map(|_| ()),
        }
    }
}

/// The events once the payment at `index` of `count` is taken away: those after it come one
/// payment sooner.
pub fn without_payment(events: &[Event], index: usize) -> Vec<Event> {
    events
        .iter()
        .map(|e| if e.after_payments() as usize > index { e.with_after_payments(e.after_payments() - 1) } else { *e })
        .collect()
}

/// The events once a payment dated `date` is added after the `count` payments there are: it
/// goes before the events made after the last payment on a later day.
pub fn with_payment(events: &[Event], count: usize, date: Date) -> Vec<Event> {
    events
        .iter()
        .map(|e| {
            if e.after_payments() as usize == count && date < e.date() {
                e.with_after_payments(e.after_payments() + 1)
            } else {
                *e
            }
        })
        .collect()
}

/// `total` in `parts` shares, the remainder on the last, so the shares add up exactly.
fn shares(total: Amount, parts: usize) -> Vec<Amount> {
    let each = Amount(total.0 / parts as i64);
    let mut out = vec![each; parts];
    if let Some(last) = out.last_mut() {
        *last = total - Amount(each.0 * (parts as i64 - 1));
    }
    out
}

impl Relief {
    /// Whether granting this relief to `state` on its date leaves nothing past due: an
    /// extension too short for how late the loan is would not. Refused when granting, never
    /// when replaying (a payment reversed later can make a granted extension fall short).
    pub fn check_cures(&self, state: &LoanState) -> Result<(), LoanError> {
        if let Relief::Extension { months, .. } = *self {
            if let Some(i) = state.installments.iter().find(|i| !i.is_settled()) {
                if i.due_date.add_months(months as i32) < state.as_of {
                    return Err(LoanError::ExtensionTooShort { months, due: i.due_date });
                }
            }
        }
        Ok(())
    }
}

impl LoanState {
    /// The reliefs and the write-off this loan went through, in the order a replay makes them.
    pub fn events(&self) -> Vec<Event> {
        let mut out: Vec<Event> = self.reliefs.iter().copied().map(Event::Relief).collect();
        out.extend(self.written_off.map(Event::WriteOff));
        out
    }

    /// The period start and the rate installment `k`'s interest to date counts from, and the
    /// interest it carries from an earlier schedule.
    pub(crate) fn period_of(&self, terms: &LoanTerms, k: usize) -> (Date, Rate, Amount) {
        let n = self.installments[k].n;
        let segment = self.segments.iter().rev().find(|s| s.from_n <= n);
        let rate = segment.map_or(terms.annual_rate(), |s| s.annual_rate);
        let start = match segment {
            Some(s) if s.from_n == n => s.start,
            _ if k == 0 => terms.start_date(),
            _ => self.installments[k - 1].due_date,
        };
        (start, rate, segment.map_or(Amount::ZERO, |s| s.carried_by(n)))
    }

    /// Grants `relief` on the business date `date`, after the `after_payments` payments the
    /// loan has received. Only an active loan with something owed can be relieved, and a plan
    /// or restructuring only when no money is held ahead (it would be applied first).
    pub fn apply_relief(
        &mut self,
        terms: &LoanTerms,
        date: Date,
        after_payments: u32,
        relief: Relief,
    ) -> Result<Vec<LoanEvent>, LoanError> {
        if self.status != LoanStatus::Active {
            return Err(LoanError::NotRelievable(self.status));
        }
        if date != self.as_of {
            return Err(LoanError::NotAsOf { as_of: self.as_of, date });
        }
        let Some(first) = self.installments.iter().position(|i| !i.is_settled()) else {
            return Err(LoanError::NotRelievable(self.status));
        };
        let mut from_n = self.installments[first].n;
        match relief {
            Relief::Extension { months, with_interest } => {
                if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
                    return Err(LoanError::ReliefMonths { months, max: MAX_EXTENSION_MONTHS });
                }
                let (_, rate, _) = self.period_of(terms, first);
                let extra = Amount((monthly_interest(self.principal_outstanding().0 as i128, rate) * months as i128) as i64);
                for inst in &mut self.installments[first..] {
                    inst.due_date = inst.due_date.add_months(months as i32);
                }
                if with_interest {
                    // Falls due (through the cost cap) with the first moved installment; if that
                    // is still not in the future, it is charged now.
                    if self.installments[first].due_date > date {
                        let inst = &mut self.installments[first];
                        if inst.interest_charged {
                            inst.interest_charged = false;
                            inst.scheduled_interest = inst.charged.interest;
                        }
                        inst.scheduled_interest += extra;
                    } else {
                        let allowed = self.cap_allow(extra, date);
                        let inst = &mut self.installments[first];
                        inst.charged.interest += allowed;
                        if inst.interest_charged {
                            inst.scheduled_interest = inst.charged.interest;
                        } else {
                            inst.scheduled_interest += allowed;
                        }
                    }
                }
            }
            Relief::Plan { months, penalty } => {
                let (_, rate, _) = self.period_of(terms, first);
                from_n = self.respread(terms, date, months, rate, penalty)?;
            }
            Relief::Restructure { months, annual_rate, penalty } => {
                if annual_rate > terms.rules().cost_cap_annual {
                    return Err(LoanError::RateAboveCap { rate: annual_rate, cap: terms.rules().cost_cap_annual });
                }
                from_n = self.respread(terms, date, months, annual_rate, penalty)?;
                self.restructured_until = Some(date.add_months(OBSERVATION_MONTHS));
            }
            Relief::Settlement => {
                // As a payoff would: the current period's interest to the day, none after.
                self.charge_interest_for_payoff(terms, date);
                let mut held = self.credit;
                self.credit = Amount::ZERO;
                let all: Vec<usize> = (0..self.installments.len()).collect();
                self.pay_group(terms, &all, &mut held, &mut crate::payment::Allocation::default());
                debug_assert!(held.is_zero(), "money held ahead never exceeds what is owed");
                for inst in &mut self.installments {
                    let owed = inst.outstanding();
                    inst.waived = inst.waived.plus(&owed);
                }
            }
        }
        self.reliefs.push(ReliefAt { date, after_payments, relief, from_n });
        let mut events = vec![LoanEvent::Relieved { date, kind: relief.kind().to_owned() }];
        self.close_if_settled(date, &mut events);
        self.refresh_status(terms, &mut events);
        Ok(events)
    }

    /// Closes every installment into a new schedule of `months` level installments from
    /// `date` at `rate`: principal re-spread with the schedule's interest, the interest owed
    /// spread evenly, the penalty, compound interest and fees as `penalty` says. Returns the
    /// number of the first new installment.
    fn respread(
        &mut self,
        terms: &LoanTerms,
        date: Date,
        months: u32,
        rate: Rate,
        penalty: PenaltyTreatment,
    ) -> Result<u32, LoanError> {
        if !(1..=MAX_PLAN_MONTHS).contains(&months) {
            return Err(LoanError::ReliefMonths { months, max: MAX_PLAN_MONTHS });
        }
        // The old schedule's interest is charged to the day, as for a payoff (within the cap),
        // and never after; money held ahead then pays what is owed before it is re-spread.
        self.charge_interest_for_payoff(terms, date);
        if !self.credit.is_zero() {
            let mut held = self.credit;
            self.credit = Amount::ZERO;
            let all: Vec<usize> = (0..self.installments.len()).collect();
            self.pay_group(terms, &all, &mut held, &mut crate::payment::Allocation::default());
            self.credit = held;
        }
        if penalty == PenaltyTreatment::Waive {
            for inst in &mut self.installments {
                let owed = inst.outstanding();
                for c in [Component::Penalty, Component::Compound, Component::Fee] {
                    *inst.waived.get_mut(c) += owed.get(c);
                }
            }
        }
        // Close the old installments: what each owes moves to the new schedule.
        let owed = self.outstanding();
        for inst in &mut self.installments {
            let moved = inst.outstanding();
            if moved != Components::default() {
                inst.charged = inst.charged.minus(&moved);
                inst.scheduled_interest = inst.charged.interest;
                inst.settled_on.get_or_insert(date);
            }
        }
        let lines = respread(owed.principal, rate, terms.day_count(), date, months);
        let first_n = self.installments.last().map_or(1, |i| i.n + 1);
        let count = lines.len();
        let interest = shares(owed.interest, count);
        let spread_costs = |c: Component| match penalty {
            PenaltyTreatment::Capitalise => shares(owed.get(c), count),
            _ => {
                let mut v = vec![Amount::ZERO; count];
                v[count - 1] = owed.get(c);
                v
            }
        };
        let (fees, penalties, compounds) =
            (spread_costs(Component::Fee), spread_costs(Component::Penalty), spread_costs(Component::Compound));
        for (k, line) in lines.iter().enumerate() {
            self.installments.push(InstallmentState {
                n: first_n + k as u32,
                due_date: line.due_date,
                scheduled_interest: line.interest + interest[k],
                interest_charged: false,
                late_fee_charged: false,
                charged: Components {
                    fee: fees[k],
                    penalty: penalties[k],
                    compound: compounds[k],
                    interest: interest[k],
                    principal: line.principal,
                },
                paid: Components::default(),
                settled_on: None,
                waived: Components::default(),
            });
        }
        self.segments.push(Segment {
            from_n: first_n,
            start: date,
            annual_rate: rate,
            count: count as u32,
            carried: owed.interest,
        });
        Ok(first_n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_with_the_remainder_last() {
        assert_eq!(shares(Amount(1000), 3), [Amount(333), Amount(333), Amount(334)]);
        assert_eq!(shares(Amount(0), 2), [Amount(0), Amount(0)]);
        assert_eq!(shares(Amount(7), 1), [Amount(7)]);
    }

    #[test]
    fn treatments_read_back_from_their_codes() {
        for t in [PenaltyTreatment::Waive, PenaltyTreatment::Freeze, PenaltyTreatment::Capitalise] {
            assert_eq!(PenaltyTreatment::parse(t.code()), Some(t));
        }
        assert_eq!(PenaltyTreatment::parse("forgive"), None);
    }
}
