//! Legal escalation: the claim as of a date, the limitation period, litigation candidates, and
//! cases through their stages.
//!
//! A claim is what the loan owes on the day (principal, interest to the day, penalty, compound
//! interest, fees, less what was paid), with the court's acceptance fee by procedure; after a
//! judgment, the interest on the judgment money paid late. The limitation period runs three
//! years from the last installment's due date and starts again with every demand the system
//! sent, every payment or promise (acknowledgments) and the filing of a suit; a debt past it is
//! never sued, and the batch marks it so the policy packs never threaten suit.
//!
//! Candidates (meta `legal.min_dpd`, 90; `legal.min_balance`, 1,000.00 in minor units): loans
//! still owing that much, late, with no open case, and either at least that late, or with a
//! relief broken in the last 90 days, or a limitation period ending within 90 days. A suit
//! pending (a case filed and not closed) stops the period running.

use arrears_core::{Amount, Components, Date, LoanStatus};
use arrears_legal::{acceptance_fee, late_performance_interest, Limitation, Procedure};
use arrears_store::{CaseRow, CaseStep, FlagsRow, LoanRecord, Store, Tx};
use serde::Serialize;

use crate::service::{open_day, state_on};
use crate::settings::number;
use crate::AppError;

/// The stages of a case, in order.
pub const STAGES: [&str; 7] = ["candidate", "demand-letter", "filed", "mediation", "judgment", "enforcement", "closed"];

/// What a loan's creditor claims on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub loan_no: String,
    pub as_of: Date,
    pub currency: String,
    pub principal_lent: Amount,
    /// What is owed, by component; interest includes the current period's to the day.
    pub owed: Components,
    pub interest_to_date: Amount,
    pub paid: Amount,
    pub total: Amount,
    pub procedure: Procedure,
    pub court_fee: Amount,
    /// After a judgment: interest on the judgment money paid late, to the day.
    pub late_performance_interest: Amount,
}

/// The claim of `loan_no` on `as_of` (default: the open day) by `procedure`; with a judgment
/// on the loan's case, the interest on the judgment money unpaid past its deadline.
pub fn claim(store: &mut Store, loan_no: &str, as_of: Option<Date>, procedure: Procedure) -> Result<Claim, AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let date = match as_of {
            Some(d) => d,
            None => open_day(tx)?.unwrap_or(loan.state.as_of),
        };
        if date < loan.terms.start_date() {
            return Err(AppError::invalid(
                "as_of",
                format!("{date} is before the loan's start date {}", loan.terms.start_date()),
            ));
        }
        let payments = tx.payments_of(loan.seq)?;
        let state = state_on(&loan, &payments, date)?;
        let interest_to_date = state.payoff_amount(&loan.terms) + state.credit - state.outstanding().total();
        let mut owed = state.outstanding();
        owed.interest += interest_to_date;
        let total = (owed.total() - state.credit).max(Amount::ZERO);
        let judged = tx.cases_of(loan.seq)?.into_iter().rev().find(|c| c.judgment_amount.is_some());
        let late = match judged {
            Some(c) => {
                let judged_on = tx.case_steps(c.id)?.into_iter().find(|s| s.stage == "judgment").map(|s| s.on_date);
                late_interest(&c, judged_on, &payments, date)
            }
            None => Amount::ZERO,
        };
        Ok(Claim {
            loan_no: loan.loan_no.clone(),
            as_of: date,
            currency: loan.terms.currency().code().to_owned(),
            principal_lent: loan.terms.principal(),
            owed,
            interest_to_date,
            paid: state.paid().total(),
            total,
            procedure,
            court_fee: acceptance_fee(total, procedure),
            late_performance_interest: late,
        })
    })
}

/// Interest on the judgment money of `case` paid late, to `date`: payments after the judgment
/// reduce it; from the deadline on, each day's unpaid money bears 0.0175%.
fn late_interest(case: &CaseRow, judged_on: Option<Date>, payments: &[arrears_store::PaymentRecord], date: Date) -> Amount {
    let (Some(amount), Some(deadline)) = (case.judgment_amount, case.perform_by) else { return Amount::ZERO };
    let mut paid: Vec<(Date, Amount)> = payments
        .iter()
        .filter(|p| p.status == arrears_store::PaymentStatus::Posted && Some(p.value_date) > judged_on && p.value_date <= date)
        .map(|p| (p.value_date, p.amount))
        .collect();
    paid.sort();
    let mut unpaid = Amount(amount);
    let mut from = deadline;
    let mut interest = Amount::ZERO;
    for (on, amount) in paid {
        if on > deadline {
            interest += late_performance_interest(unpaid, from, on);
            from = on;
        }
        unpaid = (unpaid - amount).max(Amount::ZERO);
    }
    interest + late_performance_interest(unpaid, from, date)
}

/// The loan's last installment's due date (after any relief moved it).
fn last_due(loan: &LoanRecord) -> Date {
    loan.state.installments.iter().map(|i| i.due_date).max().unwrap_or(loan.terms.last_due_date())
}

/// The limitation period of a loan on `today`, from what the store recorded.
/// A suit interrupts the period while it is pending (a case filed and not closed): the debt is
/// then not time-barred, whatever the dates say.
fn limitation_in(tx: &mut Tx<'_>, loan: &LoanRecord, today: Date) -> Result<Limitation, AppError> {
    let mut restarts = tx.restarts_of(loan.seq)?;
    restarts.extend(tx.case_steps_filed(loan.seq)?);
    let mut lim = Limitation::on(last_due(loan), &restarts, today);
    let pending = tx.cases_of(loan.seq)?.iter().any(|c| c.court.is_some() && c.stage != "closed");
    if pending {
        lim.time_barred = false;
        lim.alert = None;
    }
    Ok(lim)
}

/// The limitation period of `loan_no` on the open day.
pub fn limitation(store: &mut Store, loan_no: &str) -> Result<Limitation, AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let today = open_day(tx)?.unwrap_or(loan.state.as_of);
        limitation_in(tx, &loan, today)
    })
}

/// A litigation candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub loan_no: String,
    pub currency: String,
    pub dpd: u32,
    pub owed: Amount,
    pub reasons: Vec<String>,
    pub limitation_expires: Date,
}

/// The litigation candidates on the open day, by currency and most owed first.
pub fn candidates(store: &mut Store) -> Result<Vec<Candidate>, AppError> {
    store.read(|tx| {
        let today = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet"))?;
        let min_dpd = number(tx, "legal.min_dpd", 1..=3_650, 90)?;
        let min_balance = number(tx, "legal.min_balance", 0..=i64::MAX, 100_000)?;
        let mut out = Vec::new();
        // A loan must at least be late; the reasons then say why it is a candidate.
        for raw in tx.loans_overdue_owing(today.add_days(-1), min_balance)? {
            let loan = raw.decode()?;
            if tx.cases_of(loan.seq)?.iter().any(|c| c.stage != "closed") {
                continue;
            }
            let mut state = loan.state.clone();
            state.advance(&loan.terms, today.max(state.as_of))?;
            let lim = limitation_in(tx, &loan, today)?;
            if lim.time_barred {
                continue;
            }
            let owed = state.outstanding().total();
            let mut reasons = Vec::new();
            if i64::from(state.dpd) >= min_dpd {
                reasons.push(format!("{} days past due, {owed} owed", state.dpd));
            }
            let recent =
                |h: &arrears_store::HardshipRow| h.status == "broken" && h.ended_on.is_some_and(|e| e.add_days(90) >= today);
            if tx.hardship_of(loan.seq)?.iter().any(recent) {
                reasons.push("a hardship relief was broken".to_owned());
            }
            if lim.alert.is_some() {
                reasons.push(format!("the limitation period ends on {} ({} days)", lim.expires, lim.days_left));
            }
            if !reasons.is_empty() {
                out.push(Candidate {
                    loan_no: loan.loan_no,
                    currency: loan.terms.currency().code().to_owned(),
                    dpd: state.dpd,
                    owed,
                    reasons,
                    limitation_expires: lim.expires,
                });
            }
        }
        // By currency, then most owed first: amounts of two currencies are not compared.
        out.sort_by(|a, b| a.currency.cmp(&b.currency).then(b.owed.cmp(&a.owed)).then(a.loan_no.cmp(&b.loan_no)));
        Ok(out)
    })
}

/// What moving a case forward needs, besides the stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step<'a> {
    pub court: Option<&'a str>,
    pub case_no: Option<&'a str>,
    pub judgment_amount: Option<Amount>,
    pub perform_by: Option<Date>,
    pub note: &'a str,
}

/// Opens a case on `loan_no` (a candidate).
pub fn open_case(store: &mut Store, loan_no: &str, actor: &str, note: &str) -> Result<i64, AppError> {
    if actor.trim().is_empty() {
        return Err(AppError::invalid("by", "say who opens the case"));
    }
    store.transaction(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        if let Some(open) = tx.cases_of(loan.seq)?.into_iter().find(|c| c.stage != "closed") {
            return Err(AppError::invalid("loan", format!("{loan_no} already has case {} ({})", open.id, open.stage)));
        }
        if loan.state.status == LoanStatus::PaidOff {
            return Err(AppError::invalid("loan", format!("{loan_no} is paid off: there is nothing to claim")));
        }
        let today = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet"))?;
        let lim = limitation_in(tx, &loan, today)?;
        if lim.time_barred {
            return Err(AppError::invalid(
                "loan",
                format!("the limitation period of {loan_no} ran out on {}: a time-barred debt is not sued", lim.expires),
            ));
        }
        let id = tx.open_case(loan.seq, today, actor, note)?;
        tx.audit(today, actor, "legal-case-open", loan_no, &serde_json::json!({ "case": id }).to_string())?;
        Ok(id)
    })
}

/// Moves case `id` forward to `stage` (closed from any stage); filing needs the court and the
/// case number and is refused once the limitation period has run out; a judgment needs the
/// money awarded and the day it must be paid by.
pub fn advance(store: &mut Store, id: i64, stage: &str, step: &Step<'_>, actor: &str) -> Result<CaseRow, AppError> {
    let Some(to) = STAGES.iter().position(|s| *s == stage) else {
        return Err(AppError::invalid("to", format!("`{stage}` is not one of {}", STAGES.join(", "))));
    };
    if actor.trim().is_empty() {
        return Err(AppError::invalid("by", "say who moves the case"));
    }
    store.transaction(|tx| {
        let mut case = tx.case(id)?.ok_or_else(|| AppError::NotFound { what: "case", id: id.to_string() })?;
        let from = STAGES.iter().position(|s| *s == case.stage).unwrap_or(0);
        if case.stage == "closed" || (to <= from && stage != "closed") {
            return Err(AppError::invalid("to", format!("case {id} is at {}; a case only moves forward", case.stage)));
        }
        let loan =
            tx.loan_by_seq(case.loan_seq)?.ok_or_else(|| AppError::NotFound { what: "loan", id: case.loan_seq.to_string() })?;
        let today = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet"))?;
        let filed = STAGES.iter().position(|s| *s == "filed").expect("a stage");
        if to > filed && stage != "closed" && case.court.is_none() {
            return Err(AppError::invalid("to", format!("case {id} was never filed with a court; file it first")));
        }
        if stage == "enforcement" && case.judgment_amount.is_none() {
            return Err(AppError::invalid("to", format!("case {id} has no judgment to enforce")));
        }
        if stage == "filed" {
            let court = step
                .court
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| AppError::invalid("court", "a filed case names its court"))?;
            let no = step
                .case_no
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| AppError::invalid("case_no", "a filed case has the court's case number"))?;
            let lim = limitation_in(tx, &loan, today)?;
            if lim.time_barred {
                return Err(AppError::invalid(
                    "to",
                    format!(
                        "the limitation period of {} ran out on {}: a time-barred debt is not sued",
                        loan.loan_no, lim.expires
                    ),
                ));
            }
            case.court = Some(court.trim().to_owned());
            case.case_no = Some(no.trim().to_owned());
        }
        if stage == "judgment" {
            let amount = step
                .judgment_amount
                .filter(|a| *a > Amount::ZERO)
                .ok_or_else(|| AppError::invalid("amount", "a judgment names the money awarded"))?;
            let by =
                step.perform_by.ok_or_else(|| AppError::invalid("perform_by", "a judgment names the day it must be paid by"))?;
            if by < today {
                return Err(AppError::invalid("perform_by", format!("{by} is before the judgment's day {today}")));
            }
            case.judgment_amount = Some(amount.0);
            case.perform_by = Some(by);
        }
        case.stage = stage.to_owned();
        tx.advance_case(&case, today, actor, step.note)?;
        tx.audit(today, actor, "legal-case-step", &loan.loan_no, &serde_json::json!({ "case": id, "stage": stage }).to_string())?;
        case.version += 1;
        Ok(case)
    })
}

/// A loan's cases with their steps.
pub fn cases(store: &mut Store, loan_no: &str) -> Result<Vec<(CaseRow, Vec<CaseStep>)>, AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let mut out = Vec::new();
        for c in tx.cases_of(loan.seq)? {
            let steps = tx.case_steps(c.id)?;
            out.push((c, steps));
        }
        Ok(out)
    })
}

/// After the close of `date`: marks the loans whose limitation period has run out (on the day
/// it ran out), so the policy packs never threaten them with suit. Only loans unpaid since at
/// least three years before can be time-barred; the index of the oldest unpaid due date finds
/// them, and only a change is written. Returns how many were newly marked.
pub fn mark_time_barred(store: &mut Store, date: Date) -> Result<usize, AppError> {
    let due_by = date.add_months(-12 * arrears_legal::LIMITATION_YEARS);
    let seqs = store.read(|tx| tx.seqs_unpaid_since(due_by))?;
    let mut marked = 0;
    for chunk in seqs.chunks(1_000) {
        let page = store.read(|tx| tx.raw_loans(chunk))?;
        marked += store.transaction(|tx| {
            let mut n = 0;
            for raw in &page {
                let loan = raw.decode()?;
                let lim = limitation_in(tx, &loan, date)?;
                let mut flags: FlagsRow = tx.collection_flags(&[loan.seq])?.remove(&loan.seq).unwrap_or_default();
                let barred = lim.time_barred.then_some(lim.expires);
                if barred != flags.time_barred_since {
                    flags.time_barred_since = barred;
                    tx.set_collection_flags(loan.seq, &flags)?;
                    n += usize::from(barred.is_some());
                }
            }
            Ok::<_, AppError>(n)
        })?;
    }
    Ok(marked)
}
