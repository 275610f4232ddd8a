//! The demo's hardship desk: some borrowers who fall 30 days behind ask for relief; an officer
//! proposes the plan the affordability calculator finds (or rejects the request when none fits
//! the declared income), a supervisor approves, the borrower accepts; then the borrower keeps
//! to the plan or breaks it. At the end the demo counts how many of the loans that reached 30
//! days past due were cured, with relief and without.

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::{Amount, Date, LoanStatus};
use arrears_store::Store;

use crate::demo::{Behaviour, Rng};
use crate::hardship::{self, Filing, Proposal};
use crate::AppError;

/// The demo's officer (the maker) and supervisor (the checker).
pub const OFFICER: &str = "demo-officer";
pub const SUPERVISOR: &str = "demo-supervisor";

/// Chance, per mille, that a borrower 30 days behind asks for relief.
const ASKS: u64 = 400;
/// Chance, per mille, that a borrower keeps to the plan once made: the demo's assumption.
pub const KEEPS: u64 = 650;

/// What the hardship desk did, and how the loans that reached 30 days past due ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HardshipStats {
    pub requests: usize,
    pub rejected: usize,
    pub accepted: usize,
    /// Loans that reached 30 days past due, and of them relieved, by whether they ended cured
    /// (current or paid off, never written off).
    pub reached_30: BTreeSet<i64>,
    pub relieved: BTreeSet<i64>,
    pub cured_with: usize,
    pub cured_without: usize,
}

/// Hires the desk.
pub fn hire(store: &mut Store) -> Result<(), AppError> {
    hardship::add_staff(store, OFFICER, "hardship-officer")?;
    hardship::add_staff(store, SUPERVISOR, "supervisor")
}

/// A payment the demo then makes: on `date`, what is due on loan index `idx`.
pub type PlanPayment = (Date, usize);

/// The open day `day`: loans 30 days past due today may ask for relief. Returns the plan
/// payments of the borrowers who will keep to their plan.
#[allow(clippy::too_many_arguments)]
pub fn day(
    store: &mut Store,
    day: Date,
    rng: &mut Rng,
    behaviour_of: &BTreeMap<i64, Behaviour>,
    loan_of_seq: &BTreeMap<i64, usize>,
    stats: &mut HardshipStats,
) -> Result<Vec<PlanPayment>, AppError> {
    let behind = day.add_days(-30);
    let loans = store.read(|tx| tx.loans_by_reference_due(&[behind], 0, 100_000))?;
    let mut payments = Vec::new();
    for raw in loans {
        let loan = raw.decode()?;
        if loan.state.status != LoanStatus::Active || loan.state.oldest_unpaid_due() != Some(behind) {
            continue;
        }
        stats.reached_30.insert(loan.seq);
        let troubled = matches!(behaviour_of.get(&loan.seq), Some(Behaviour::Defaulting | Behaviour::Curing));
        if !troubled || !rng.chance(ASKS) || stats.relieved.contains(&loan.seq) {
            continue;
        }
        // The borrower declares an income of one to four regular payments, and essential
        // expenses of a third to two thirds of it.
        let regular =
            loan.state.installments.iter().map(|i| i.charged.principal + i.scheduled_interest).max().unwrap_or_default();
        let income = Amount(regular.0 * rng.range(10, 40) / 10);
        let expenses = Amount(income.0 * rng.range(33, 66) / 100);
        let reason = ["job-loss", "illness", "business-failure", "family-emergency", "other"][rng.range(0, 4) as usize];
        let filing = Filing {
            loan_no: &loan.loan_no,
            filed_by: &loan.borrower_id,
            channel: "phone",
            reason,
            details: "",
            monthly_income: income,
            monthly_expenses: expenses,
            evidence: Vec::new(),
            wanted: "plan",
        };
        let id = hardship::file(store, &filing)?;
        stats.requests += 1;
        match hardship::propose(store, id, Proposal { relief: None, settle_amount: None }, OFFICER) {
            Ok(_) => {}
            Err(AppError::Invalid { message, .. }) => {
                hardship::reject(store, id, &format!("no relief fits: {message}"), OFFICER)?;
                stats.rejected += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        hardship::approve(store, id, SUPERVISOR)?;
        hardship::accept(store, id, &loan.borrower_id)?;
        stats.accepted += 1;
        stats.relieved.insert(loan.seq);
        if rng.chance(KEEPS) {
            let relieved = store.read(|tx| tx.loan_by_seq(loan.seq))?.expect("the loan just relieved");
            if let Some(&idx) = loan_of_seq.get(&loan.seq) {
                for inst in relieved.state.installments.iter().filter(|i| !i.is_settled()) {
                    payments.push((inst.due_date, idx));
                }
            }
        }
    }
    Ok(payments)
}

/// At the end: which of the loans that reached 30 days past due were cured.
pub fn count_cures(store: &mut Store, stats: &mut HardshipStats) -> Result<(), AppError> {
    for &seq in &stats.reached_30 {
        let Some(loan) = store.read(|tx| tx.loan_by_seq(seq))? else { continue };
        let s = &loan.state;
        let cured = s.written_off.is_none() && (s.status == LoanStatus::PaidOff || s.dpd == 0);
        if cured && stats.relieved.contains(&seq) {
            stats.cured_with += 1;
        } else if cured {
            stats.cured_without += 1;
        }
    }
    Ok(())
}
