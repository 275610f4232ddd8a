//! Write-off (charge-off, 核销): by the batch's rule or by a person's decision with a reason.
//!
//! A written-off loan still owes what it owed: the state keeps the claim, accruals stop, the
//! ledger moves the receivables to the loss and keeps the claim in its memo accounts, and what
//! the borrower pays afterwards is booked as a recovery. The register (`write_offs`) says when,
//! on what basis, why and who; a write-off is never taken back, so a payment made before it
//! can no longer be reversed or dated before it.
//!
//! The rule: a loan more than N days past due is written off by the nightly batch, after the
//! day's advance, N set per currency in the `meta` table (`writeoff.after_days.cny`, default
//! 180; `writeoff.after_days.usd`, default 120, the FFIEC policy for closed-end retail loans;
//! 30 to 720, or 0 for off). The batch selects by the oldest unpaid due date, so a loan is
//! written off on the very day it passes N, whether or not anything else happened to it. A book
//! upgraded from before write-off existed starts with the rule off (schema 4 sets both to 0).

use arrears_core::ledger::EntryKind;
use arrears_core::{Currency, Date, LoanTerms};
use arrears_store::{Store, Tx, WriteOffRow};
use serde::Serialize;

use crate::service::{open_day, save_change};
use crate::AppError;

/// The meta key of the China (yuan) rule.
pub const RULE_KEY_CNY: &str = "writeoff.after_days.cny";
/// The meta key of the US (dollar) rule.
pub const RULE_KEY_USD: &str = "writeoff.after_days.usd";

/// The batch's write-off rule: more than this many days past due, by currency (`None`: off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOffRule {
    pub cny: Option<u32>,
    pub usd: Option<u32>,
}

impl WriteOffRule {
    /// The rule the operator set, or the defaults.
    pub fn load(tx: &mut Tx<'_>) -> Result<WriteOffRule, AppError> {
        Ok(WriteOffRule { cny: rule_days(tx, RULE_KEY_CNY, 180)?, usd: rule_days(tx, RULE_KEY_USD, 120)? })
    }

    /// The days past due beyond which a loan in `currency` is written off.
    pub fn days(&self, currency: Currency) -> Option<u32> {
        match currency {
            Currency::Cny => self.cny,
            Currency::Usd => self.usd,
        }
    }

    /// The register's reason for a loan the rule wrote off.
    pub fn reason(&self, terms: &LoanTerms) -> String {
        format!("rule: more than {} days past due", self.days(terms.currency()).unwrap_or(0))
    }
}

fn rule_days(tx: &mut Tx<'_>, key: &'static str, default: i64) -> Result<Option<u32>, AppError> {
    let n = crate::settings::number(tx, key, 0..=720, default)?;
    if (1..30).contains(&n) {
        return Err(AppError::invalid(key, format!("{n} days is inside the first month overdue: write 30 to 720, or 0 for off")));
    }
    Ok((n != 0).then_some(n as u32))
}

/// What a decided write-off did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteOffOutcome {
    pub loan_no: String,
    pub date: Date,
    pub dpd: u32,
    pub amount: arrears_core::Components,
}

/// Writes off `loan_no` on the open business day by the decision of `actor` (a member of
/// staff), approved by `approver` (another, a supervisor or admin), for `reason`. The loan must
/// be active and in arrears; the reason is required.
pub fn decide(store: &mut Store, loan_no: &str, reason: &str, actor: &str, approver: &str) -> Result<WriteOffOutcome, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "a write-off needs its reason, of 1 to 500 characters"));
    }
    if actor.trim().is_empty() {
        return Err(AppError::invalid("by", "say who decided the write-off"));
    }
    if approver == actor {
        return Err(AppError::invalid("approved_by", format!("{actor} decided the write-off; another person approves it")));
    }
    store.transaction(|tx| {
        if tx.staff_role(actor)?.is_none() {
            return Err(AppError::invalid("by", format!("{actor} is not on the staff list (arrears staff add)")));
        }
        match tx.staff_role(approver)?.as_deref() {
            Some("supervisor" | "admin") => {}
            Some(role) => {
                return Err(AppError::invalid("approved_by", format!("{approver} is {role}; a supervisor or admin approves a write-off")))
            }
            None => return Err(AppError::invalid("approved_by", format!("{approver} is not on the staff list (arrears staff add)"))),
        }
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let open = open_day(tx)?.ok_or_else(|| {
            AppError::invalid("date", "no business day is open yet: close the first one with `arrears eod --date D`")
        })?;
        let before = loan.state.clone();
        let mut after = before.clone();
        after.advance(&loan.terms, open.max(before.as_of))?;
        let payments = tx.posted_payment_count(loan.seq)?;
        after.write_off(&loan.terms, after.as_of, payments as u32)?;
        let w = after.written_off.expect("just written off");
        save_change(tx, &loan, &before, &after, after.as_of, EntryKind::WriteOff, "write-off", "write-off")?;
        tx.insert_write_off(loan.seq, &w, "decision", reason, actor, Some(approver))?;
        tx.audit(
            w.date,
            actor,
            "write-off",
            loan_no,
            &serde_json::json!({ "basis": "decision", "reason": reason, "approved_by": approver, "amount": w.amount.total().to_string() })
                .to_string(),
        )?;
        Ok(WriteOffOutcome { loan_no: loan_no.to_owned(), date: w.date, dpd: after.dpd, amount: w.amount })
    })
}

/// The write-offs made from `from` to `to`, oldest first, with what each loan still owes.
pub fn register(store: &mut Store, from: Date, to: Date) -> Result<Vec<WriteOffRow>, AppError> {
    if to < from {
        return Err(AppError::invalid("to", format!("{to} is before {from}")));
    }
    store.read(|tx| Ok(tx.write_offs_between(from, to)?))
}
