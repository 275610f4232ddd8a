//! A loan's servicing state and how it moves through business days: installments falling due,
//! grace, penalty and compound interest, late fees, the all-in cost cap, days past due,
//! buckets and classification.
//!
//! The state is a pure function of the terms, the payments and the business date: advancing a
//! state day by day, in one jump, or replaying it from disbursement gives the same result.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::money::Amount;
use crate::rate::{div_round, mul_div, Rate, Rounding, RATE_SCALE};
use crate::schedule::{day_count_interest, schedule};
use crate::status::{Bucket, Classification, StatusChange};
use crate::terms::{Component, LateFeeRule, LoanTerms};

/// An amount for each component of a debt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    pub fee: Amount,
    pub penalty: Amount,
    pub compound: Amount,
    pub interest: Amount,
    pub principal: Amount,
}

impl Components {
    pub fn get(&self, c: Component) -> Amount {
        match c {
            Component::Fee => self.fee,
            Component::Penalty => self.penalty,
            Component::Compound => self.compound,
            Component::Interest => self.interest,
            Component::Principal => self.principal,
        }
    }

    pub fn get_mut(&mut self, c: Component) -> &mut Amount {
        match c {
            Component::Fee => &mut self.fee,
            Component::Penalty => &mut self.penalty,
            Component::Compound => &mut self.compound,
            Component::Interest => &mut self.interest,
            Component::Principal => &mut self.principal,
        }
    }

    pub fn total(&self) -> Amount {
        Component::ALL.iter().map(|&c| self.get(c)).sum()
    }

    pub fn plus(&self, other: &Components) -> Components {
        let mut out = *self;
        for c in Component::ALL {
            *out.get_mut(c) += other.get(c);
        }
        out
    }

    pub fn minus(&self, other: &Components) -> Components {
        let mut out = *self;
        for c in Component::ALL {
            *out.get_mut(c) -= other.get(c);
        }
        out
    }
}

/// One installment: what was charged to it, what has been paid against it, and what the lender
/// waived of it (a settlement's discount, penalty waived by a plan).
///
/// Stored as a compact JSON array (see [`InstallmentState::serialize`]): a book holds millions
/// of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentState {
    pub n: u32,
    pub due_date: Date,
    /// Interest the schedule sets; it is charged when the installment falls due (or earlier,
    /// when a payment reaches it first).
    pub scheduled_interest: Amount,
    pub interest_charged: bool,
    pub late_fee_charged: bool,
    pub charged: Components,
    pub paid: Components,
    /// The business date the installment was fully paid (or settled), if it was.
    pub settled_on: Option<Date>,
    pub waived: Components,
}

fn components_to_array(c: &Components) -> [i64; 5] {
    [c.fee.0, c.penalty.0, c.compound.0, c.interest.0, c.principal.0]
}

fn components_from_array(a: [i64; 5]) -> Components {
    Components {
        fee: Amount(a[0]),
        penalty: Amount(a[1]),
        compound: Amount(a[2]),
        interest: Amount(a[3]),
        principal: Amount(a[4]),
    }
}

/// The stored form: `[n, due date, scheduled interest, flags, charged fee/penalty/compound/
/// interest/principal, paid (the same five), settled on]`, and the waived five as an eighth
/// element only when something was waived (so a row written before waivers existed reads back,
/// and an installment with nothing waived is stored as it always was). Flags bit 0 is "interest
/// charged", bit 1 "late fee charged".
impl Serialize for InstallmentState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let waived = self.waived != Components::default();
        let mut seq = serializer.serialize_seq(Some(if waived { 8 } else { 7 }))?;
        seq.serialize_element(&self.n)?;
        seq.serialize_element(&self.due_date)?;
        seq.serialize_element(&self.scheduled_interest.0)?;
        seq.serialize_element(&(u8::from(self.interest_charged) | (u8::from(self.late_fee_charged) << 1)))?;
        seq.serialize_element(&components_to_array(&self.charged))?;
        seq.serialize_element(&components_to_array(&self.paid))?;
        seq.serialize_element(&self.settled_on)?;
        if waived {
            seq.serialize_element(&components_to_array(&self.waived))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for InstallmentState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Row;
        impl<'de> serde::de::Visitor<'de> for Row {
            type Value = InstallmentState;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an installment as an array of 7 or 8 elements")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<InstallmentState, A::Error> {
                let missing = |k: usize| serde::de::Error::invalid_length(k, &"7 or 8 elements");
                let n = seq.next_element()?.ok_or_else(|| missing(0))?;
                let due_date = seq.next_element()?.ok_or_else(|| missing(1))?;
                let scheduled: i64 = seq.next_element()?.ok_or_else(|| missing(2))?;
                let flags: u8 = seq.next_element()?.ok_or_else(|| missing(3))?;
                let charged = seq.next_element()?.ok_or_else(|| missing(4))?;
                let paid = seq.next_element()?.ok_or_else(|| missing(5))?;
                let settled_on = seq.next_element()?.ok_or_else(|| missing(6))?;
                let waived = seq.next_element()?.unwrap_or([0; 5]);
                Ok(InstallmentState {
                    n,
                    due_date,
                    scheduled_interest: Amount(scheduled),
                    interest_charged: flags & 1 != 0,
                    late_fee_charged: flags & 2 != 0,
                    charged: components_from_array(charged),
                    paid: components_from_array(paid),
                    settled_on,
                    waived: components_from_array(waived),
                })
            }
        }
        deserializer.deserialize_seq(Row)
    }
}

impl InstallmentState {
    pub fn outstanding(&self) -> Components {
        self.charged.minus(&self.paid).minus(&self.waived)
    }

    /// Nothing owed now and nothing left to charge.
    pub fn is_settled(&self) -> bool {
        self.outstanding().total().is_zero() && (self.interest_charged || self.charged.interest == self.scheduled_interest)
    }

    /// Days past due on `date`: days since the due date while anything of it is unpaid.
    pub fn dpd_on(&self, date: Date) -> u32 {
        if self.due_date < date && !self.outstanding().total().is_zero() {
            self.due_date.days_until(date) as u32
        } else {
            0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoanStatus {
    Active,
    PaidOff,
    WrittenOff,
}

/// A write-off (charge-off): the loan's business date it was made on, how many payments the
/// loan had received before it (a replay puts it back between the same payments), what was
/// owed then, by component, and how late the loan was. The debt is not forgiven: the borrower still owes it, accruals
/// stop, and what is paid afterwards is a recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOff {
    pub date: Date,
    pub after_payments: u32,
    pub amount: Components,
    /// Days past due on the day: the delinquency began on `date` less these days.
    pub dpd: u32,
}

/// Days in the year the all-in cost cap is measured over, whatever the product's day count.
pub const CAP_YEAR_DAYS: i128 = 365;

/// The running account of the all-in cost cap. Each day adds the outstanding principal times
/// the cap rate to the budget; charges may never exceed the budget over [`CAP_YEAR_DAYS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostCapAccount {
    /// Σ over days of outstanding principal (minor units) × cap rate (parts per 10^8).
    pub budget_scaled: i128,
    /// All charges so far: interest, penalty, compound interest and fees.
    pub charged: Amount,
    /// What the cap stopped the engine from charging.
    pub forgone: Amount,
    /// The first business date the cap stopped a charge.
    pub first_applied_on: Option<Date>,
}

/// Everything the engine knows about one loan on its `as_of` business date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanState {
    pub as_of: Date,
    pub status: LoanStatus,
    pub closed_on: Option<Date>,
    pub installments: Vec<InstallmentState>,
    pub dpd: u32,
    pub bucket: Bucket,
    pub class: Classification,
    pub cap: CostCapAccount,
    pub late_fees_total: Amount,
    /// Money paid ahead of any due date, held and applied to installments as they fall due.
    #[serde(default)]
    pub credit: Amount,
    /// Restructured loans stay at least special mention until this date.
    pub restructured_until: Option<Date>,
    /// Every bucket or class move, oldest first.
    pub history: Vec<StatusChange>,
    /// Set once the loan is written off; kept when recoveries later pay it in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_off: Option<WriteOff>,
    /// The reliefs granted, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reliefs: Vec<crate::relief::ReliefAt>,
    /// The schedules plans and restructurings opened, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<crate::relief::Segment>,
}

/// What happened to a loan while it moved forward, for the batch log and the notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "event")]
pub enum LoanEvent {
    InstallmentDue { date: Date, n: u32, interest: Amount },
    GraceExpired { date: Date, n: u32, late_fee: Amount },
    CostCapApplied { date: Date, forgone: Amount },
    StatusChanged(StatusChange),
    PaidOff { date: Date },
    WrittenOff { date: Date, amount: Amount },
    Relieved { date: Date, kind: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    #[error("date: {to} is before the loan's business date {as_of}; the business date only moves forward")]
    BackInTime { as_of: Date, to: Date },
    #[error("date: {date} must be the loan's business date {as_of}; advance the loan first")]
    NotAsOf { as_of: Date, date: Date },
    #[error("amount: {0} must be more than 0")]
    NonPositiveAmount(Amount),
    #[error("amount: {amount} is more than the {payoff} needed to pay the loan off")]
    Overpayment { amount: Amount, payoff: Amount },
    #[error("loan: it is {0:?} and takes no more payments")]
    NotActive(LoanStatus),
    #[error("loan: it is {0:?}; only an active loan can be written off")]
    NotWritable(LoanStatus),
    #[error("loan: nothing of it is past due on {0}; only a loan in arrears can be written off")]
    NotOverdue(Date),
    #[error("loan: it is {0:?} with nothing left to relieve; relief is for an active loan that owes")]
    NotRelievable(LoanStatus),
    #[error("months: {months} must be 1 to {max}")]
    ReliefMonths { months: u32, max: u32 },
    #[error("months: {months} months later, the installment due {due} would still be overdue; extend it further or make a plan")]
    ExtensionTooShort { months: u32, due: Date },
    #[error("annual_rate: {rate} is above the product's all-in cost cap {cap}")]
    RateAboveCap { rate: Rate, cap: Rate },
}

impl LoanState {
    /// The loan on its disbursement date: the whole principal owed, nothing charged yet.
    pub fn disburse(terms: &LoanTerms) -> LoanState {
        let installments = schedule(terms)
            .into_iter()
            .map(|line| InstallmentState {
                n: line.n,
                due_date: line.due_date,
                scheduled_interest: line.interest,
                interest_charged: false,
                late_fee_charged: false,
                charged: Components { principal: line.principal, ..Components::default() },
                paid: Components::default(),
                settled_on: None,
                waived: Components::default(),
            })
            .collect();
        LoanState {
            as_of: terms.start_date(),
            status: LoanStatus::Active,
            closed_on: None,
            installments,
            dpd: 0,
            bucket: Bucket::M0,
            class: Classification::Normal,
            cap: CostCapAccount::default(),
            late_fees_total: Amount::ZERO,
            credit: Amount::ZERO,
            restructured_until: None,
            history: Vec::new(),
            written_off: None,
            reliefs: Vec::new(),
            segments: Vec::new(),
        }
    }

    /// Total charged so far, by component (the principal is the disbursed amount).
    pub fn charged(&self) -> Components {
        self.installments.iter().fold(Components::default(), |acc, i| acc.plus(&i.charged))
    }

    /// Total paid so far, by component.
    pub fn paid(&self) -> Components {
        self.installments.iter().fold(Components::default(), |acc, i| acc.plus(&i.paid))
    }

    /// Waived so far, by component.
    pub fn waived(&self) -> Components {
        self.installments.iter().fold(Components::default(), |acc, i| acc.plus(&i.waived))
    }

    /// Owed now, by component, including principal not yet due: charged, less paid, less
    /// waived.
    pub fn outstanding(&self) -> Components {
        self.charged().minus(&self.paid()).minus(&self.waived())
    }

    /// Owed now on installments whose due date has come.
    pub fn due(&self) -> Components {
        self.installments
            .iter()
            .filter(|i| i.due_date <= self.as_of)
            .fold(Components::default(), |acc, i| acc.plus(&i.outstanding()))
    }

    pub fn principal_outstanding(&self) -> Amount {
        self.installments.iter().map(|i| i.outstanding().principal).sum()
    }

    /// The due date of the oldest installment still unpaid after its due date.
    pub fn oldest_unpaid_due(&self) -> Option<Date> {
        self.installments.iter().find(|i| i.due_date < self.as_of && !i.outstanding().total().is_zero()).map(|i| i.due_date)
    }

    /// The installment reminders and collection speak of: the oldest one not fully paid, due
    /// or not. Its due date is the day a collection strategy counts from; it changes only when
    /// a payment settles it, so it holds between the loan's stored events.
    pub fn reference_installment(&self) -> Option<&InstallmentState> {
        if self.status != LoanStatus::Active {
            return None;
        }
        self.installments.iter().find(|i| !i.is_settled())
    }

    /// What the borrower is asked to pay on `self.as_of`: everything already due and, when
    /// nothing is overdue, the coming installment in full (its scheduled interest included),
    /// less money held ahead. Zero when money held covers it.
    pub fn amount_to_pay(&self) -> Amount {
        let Some(reference) = self.reference_installment() else { return Amount::ZERO };
        let owed = if reference.due_date <= self.as_of {
            self.due().total()
        } else {
            let uncharged = if reference.interest_charged {
                Amount::ZERO
            } else {
                (reference.scheduled_interest - reference.charged.interest).max(Amount::ZERO)
            };
            reference.outstanding().total() + uncharged
        };
        (owed - self.credit).max(Amount::ZERO)
    }

    /// The first installment not yet due that still has something to pay or charge.
    pub(crate) fn current_index(&self) -> Option<usize> {
        self.installments.iter().position(|i| i.due_date > self.as_of && !i.is_settled())
    }

    /// Moves the loan forward to `to`, one business day at a time.
    pub fn advance(&mut self, terms: &LoanTerms, to: Date) -> Result<Vec<LoanEvent>, LoanError> {
        if to < self.as_of {
            return Err(LoanError::BackInTime { as_of: self.as_of, to });
        }
        let mut events = Vec::new();
        while self.as_of < to {
            let day = self.as_of.add_days(1);
            if self.status == LoanStatus::Active {
                self.step_day(terms, day, &mut events);
            } else {
                self.as_of = day;
            }
            if self.status != LoanStatus::Active {
                self.as_of = to;
            }
        }
        Ok(events)
    }

    fn step_day(&mut self, terms: &LoanTerms, day: Date, events: &mut Vec<LoanEvent>) {
        let basis = terms.day_count().basis();
        debug_assert!(self.credit.is_zero() || self.due().total().is_zero(), "credit pays what falls due at once");
        let forgone_before = self.cap.forgone;
        // The budget grows by the principal owed at the start of the day.
        self.cap.budget_scaled += self.principal_outstanding().0 as i128 * terms.rules().cost_cap_annual.parts_per_1e8() as i128;
        self.as_of = day;

        let penalty_rate = terms.penalty_rate();
        let grace = terms.grace_days();
        for k in 0..self.installments.len() {
            let inst = &self.installments[k];
            if inst.due_date == day && !inst.interest_charged {
                let want = inst.scheduled_interest - inst.charged.interest;
                let allowed = self.cap_allow(want, day);
                let inst = &mut self.installments[k];
                inst.interest_charged = true;
                inst.charged.interest += allowed;
                events.push(LoanEvent::InstallmentDue { date: day, n: inst.n, interest: allowed });
                continue;
            }
            let dpd = inst.dpd_on(day);
            if dpd <= grace {
                continue;
            }
            let owed = inst.outstanding();
            let penalty = daily_amount(owed.principal, penalty_rate, basis);
            let compound =
                if terms.rules().compound_interest { daily_amount(owed.interest, penalty_rate, basis) } else { Amount::ZERO };
            let penalty = self.cap_allow(penalty, day);
            let compound = self.cap_allow(compound, day);
            self.installments[k].charged.penalty += penalty;
            self.installments[k].charged.compound += compound;
            if dpd == grace + 1 && !self.installments[k].late_fee_charged {
                let fee = self.late_fee_for(terms, k);
                let fee = self.cap_allow(fee, day);
                let inst = &mut self.installments[k];
                inst.late_fee_charged = true;
                inst.charged.fee += fee;
                self.late_fees_total += fee;
                events.push(LoanEvent::GraceExpired { date: day, n: inst.n, late_fee: fee });
            }
        }
        if self.cap.forgone > forgone_before {
            events.push(LoanEvent::CostCapApplied { date: day, forgone: self.cap.forgone - forgone_before });
        }
        if !self.credit.is_zero() {
            self.apply_credit(terms);
        }
        self.close_if_settled(day, events);
        self.refresh_status(terms, events);
    }

    /// Pays what is due from money the borrower paid ahead, in the product's waterfall.
    fn apply_credit(&mut self, terms: &LoanTerms) {
        let due: Vec<usize> = (0..self.installments.len()).filter(|&k| self.installments[k].due_date <= self.as_of).collect();
        let mut left = self.credit;
        self.pay_group(terms, &due, &mut left, &mut crate::payment::Allocation::default());
        self.credit = left;
    }

    /// Marks settled installments and closes the loan once every one is.
    pub(crate) fn close_if_settled(&mut self, day: Date, events: &mut Vec<LoanEvent>) {
        for inst in &mut self.installments {
            if inst.settled_on.is_none() && inst.is_settled() {
                inst.settled_on = Some(day);
            }
        }
        let open = matches!(self.status, LoanStatus::Active | LoanStatus::WrittenOff);
        if open && self.installments.iter().all(|i| i.is_settled()) {
            self.status = LoanStatus::PaidOff;
            self.closed_on = Some(day);
            events.push(LoanEvent::PaidOff { date: day });
        }
    }

    /// The late fee an installment owes when its grace ends, within the per-installment and
    /// per-loan caps.
    fn late_fee_for(&self, terms: &LoanTerms, k: usize) -> Amount {
        let rule = terms.rules().late_fee;
        let inst = &self.installments[k];
        let fee = match rule.rule {
            LateFeeRule::None => Amount::ZERO,
            LateFeeRule::Fixed(amount) => amount,
            LateFeeRule::PercentOfInstallment(rate) => {
                let base = inst.outstanding().principal + inst.outstanding().interest;
                Amount(mul_div(base.0 as i128, rate.parts_per_1e8() as i128, RATE_SCALE, Rounding::HalfUp) as i64)
            }
        };
        let fee = rule.cap_per_installment.map_or(fee, |cap| fee.min(cap));
        let room = rule.cap_per_loan.map_or(fee, |cap| (cap - self.late_fees_total).max(Amount::ZERO));
        fee.min(room)
    }

    /// How much of `want` the cost cap lets the engine charge on `day`; records the rest.
    pub(crate) fn cap_allow(&mut self, want: Amount, day: Date) -> Amount {
        if want <= Amount::ZERO {
            return Amount::ZERO;
        }
        let allowed = want.min(self.cap_room());
        self.cap.charged += allowed;
        if allowed < want {
            self.cap.forgone += want - allowed;
            self.cap.first_applied_on.get_or_insert(day);
        }
        allowed
    }

    /// The most the cap would let the engine charge now: the budget over a 365-day year (the
    /// cap is a yearly rate whatever the product's day count), less what was charged.
    fn cap_room(&self) -> Amount {
        let ceiling = Amount(div_round(self.cap.budget_scaled, CAP_YEAR_DAYS * RATE_SCALE, Rounding::Floor) as i64);
        (ceiling - self.cap.charged).max(Amount::ZERO)
    }

    /// Recomputes DPD, bucket and class on the business date and records any move.
    pub(crate) fn refresh_status(&mut self, terms: &LoanTerms, events: &mut Vec<LoanEvent>) {
        let day = self.as_of;
        // A written-off loan's days past due stay as they were when it was written off.
        let dpd = if self.status == LoanStatus::WrittenOff {
            self.dpd
        } else {
            self.installments.iter().map(|i| i.dpd_on(day)).max().unwrap_or(0)
        };
        // A loan once written off stays in the written-off bucket, recovered in full or not.
        let written_off = self.written_off.is_some();
        let bucket = if written_off { Bucket::WrittenOff } else { Bucket::from_dpd(dpd, terms.grace_days()) };
        let restructured = self.status == LoanStatus::Active && self.restructured_until.is_some_and(|until| day < until);
        let class = Classification::from_dpd(dpd, terms.grace_days(), restructured, written_off);
        self.dpd = dpd;
        if bucket != self.bucket || class != self.class {
            let change = StatusChange {
                date: day,
                dpd,
                from_bucket: self.bucket,
                to_bucket: bucket,
                from_class: self.class,
                to_class: class,
            };
            self.history.push(change);
            events.push(LoanEvent::StatusChanged(change));
            self.bucket = bucket;
            self.class = class;
        }
    }

    /// Interest still to charge for the current period if the loan closed on the business
    /// date: interest from the period's start to the date, by the day count, on all principal
    /// still owed (never more than the installment's scheduled interest), less what an early
    /// payment already charged, within the cap.
    pub(crate) fn current_interest_to_date(&self, terms: &LoanTerms, k: usize) -> Amount {
        let inst = &self.installments[k];
        if inst.interest_charged {
            return Amount::ZERO;
        }
        // Interest carried from an earlier schedule is owed in full; the period's own to date.
        let (period_start, rate, carried) = self.period_of(terms, k);
        let principal: Amount = self.installments[k..].iter().map(|i| i.outstanding().principal).sum();
        let day_count = terms.day_count();
        let interest = day_count_interest(principal.0 as i128, rate, day_count, period_start, self.as_of.max(period_start));
        let to_date = (Amount(interest as i64) + carried).min(inst.scheduled_interest);
        (to_date - inst.charged.interest).max(Amount::ZERO).min(self.cap_room())
    }

    /// What the borrower must pay on the business date to close the loan: everything due,
    /// interest of the current period to date, and all principal still owed, less any money
    /// already paid ahead.
    /// For a written-off loan it is what is still owed (nothing accrues any more).
    pub fn payoff_amount(&self, terms: &LoanTerms) -> Amount {
        match self.status {
            LoanStatus::Active => {}
            LoanStatus::WrittenOff => return self.outstanding().total(),
            LoanStatus::PaidOff => return Amount::ZERO,
        }
        let interest_to_date = self.current_index().map_or(Amount::ZERO, |k| self.current_interest_to_date(terms, k));
        (self.outstanding().total() + interest_to_date - self.credit).max(Amount::ZERO)
    }

    /// Writes the loan off on its business date `date`, after the `after_payments` payments it
    /// has received: everything owed stays owed, contract interest not yet charged never will
    /// be, and no penalty, compound interest or late fee accrues any more. Only a loan in
    /// arrears can be written off; money held ahead is only ever held on a loan with nothing
    /// due, so there is none to return.
    pub fn write_off(&mut self, terms: &LoanTerms, date: Date, after_payments: u32) -> Result<Vec<LoanEvent>, LoanError> {
        if self.status != LoanStatus::Active {
            return Err(LoanError::NotWritable(self.status));
        }
        if date != self.as_of {
            return Err(LoanError::NotAsOf { as_of: self.as_of, date });
        }
        if self.oldest_unpaid_due().is_none() {
            return Err(LoanError::NotOverdue(date));
        }
        debug_assert!(self.credit.is_zero(), "money is held only while nothing is due");
        for inst in &mut self.installments {
            if !inst.interest_charged {
                inst.interest_charged = true;
                inst.scheduled_interest = inst.charged.interest;
            }
        }
        let amount = self.outstanding();
        self.status = LoanStatus::WrittenOff;
        self.written_off = Some(WriteOff { date, after_payments, amount, dpd: self.dpd });
        let mut events = vec![LoanEvent::WrittenOff { date, amount: amount.total() }];
        self.refresh_status(terms, &mut events);
        Ok(events)
    }

    /// The next day something happens to this loan that changes what is stored (an
    /// installment falls due, a grace period ends, a penalty day accrues, a bucket or class
    /// boundary is crossed, an observation period ends), or `None` once it is closed.
    pub fn next_event_date(&self, terms: &LoanTerms) -> Option<Date> {
        if self.status != LoanStatus::Active {
            return None;
        }
        let today = self.as_of;
        let mut next: Option<Date> = None;
        let mut consider = |d: Date| {
            if d > today && next.is_none_or(|n| d < n) {
                next = Some(d);
            }
        };
        let grace = terms.grace_days() as i32;
        let tomorrow = today.add_days(1);
        for inst in &self.installments {
            if inst.due_date > today {
                if !inst.is_settled() {
                    consider(inst.due_date);
                }
                continue;
            }
            let owed = inst.outstanding();
            if owed.total().is_zero() {
                continue;
            }
            let grace_ends = inst.due_date.add_days(grace + 1);
            consider(grace_ends);
            // Past its grace, an installment accrues penalty (and compound interest) every day:
            // the ledger and the stored balances stay exact to the business date.
            let base = owed.principal > Amount::ZERO || (terms.rules().compound_interest && owed.interest > Amount::ZERO);
            if base && grace_ends <= tomorrow {
                consider(tomorrow);
            }
        }
        if let Some(oldest) = self.installments.iter().find(|i| i.due_date <= today && !i.outstanding().total().is_zero()) {
            for boundary in [1, grace + 1, 31, 61, 91, 121, 151, 181, 271, 361] {
                consider(oldest.due_date.add_days(boundary));
            }
        }
        if let Some(until) = self.restructured_until {
            consider(until);
        }
        next
    }
}

/// One day of interest on `base` at an annual `rate`, rounded half up to the fen.
pub fn daily_amount(base: Amount, rate: Rate, basis: i128) -> Amount {
    if base <= Amount::ZERO {
        return Amount::ZERO;
    }
    Amount(mul_div(base.0 as i128, rate.parts_per_1e8() as i128, basis * RATE_SCALE, Rounding::HalfUp) as i64)
}
