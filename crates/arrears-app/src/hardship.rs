//! Hardship relief: requests, eligibility and affordability, maker–checker decisions, the
//! borrower's before/after comparison, and the plan's life after it is made.
//!
//! A borrower (or an agent for them) files a request with a reason, the monthly income and
//! essential expenses they declare, evidence, and the relief they want. A member of staff
//! proposes a relief (or lets the affordability calculator find the shortest plan whose payment
//! fits); another approves or rejects it (a supervisor when the balance relieved is above the
//! threshold); the borrower accepts, and the relief is made on the loan on the open day. While
//! it is honoured collection stops (the policy packs' plan rule); a plan installment more than
//! the grace days late breaks it and collection resumes; paid through, it is completed.
//!
//! The rules an operator may set (the `meta` table): `hardship.max_dpd` (180: beyond it the
//! debt goes to legal, not to relief), `hardship.max_reliefs` (2 granted before), and
//! `hardship.max_dti_pct` (50: the new payment at most this share of the declared income, and
//! never more than income less expenses); `hardship.supervisor_above` (10,000.00 in minor units:
//! the balance above which a supervisor approves); `hardship.break_days` (15); and
//! `hardship.extension_interest` (1: a proposed extension charges the added months' interest;
//! 0: it is free).

use arrears_core::ledger::EntryKind;
use arrears_core::{Amount, Classification, Date, LoanState, LoanStatus, LoanTerms, PenaltyTreatment, Rate, Relief, ReliefAt};
use arrears_store::{FlagsRow, HardshipRow, LoanRecord, NewHardship, PaymentStatus, Store, Tx};
use serde::Serialize;

use crate::service::{open_day, save_change};
use crate::settings::number;
use crate::AppError;

/// Why a borrower asks.
pub const REASONS: [&str; 5] = ["job-loss", "illness", "business-failure", "family-emergency", "other"];
/// The relief a borrower may ask for.
pub const WANTED: [&str; 4] = ["extension", "plan", "restructure", "settlement"];
/// How a request may arrive.
pub const CHANNELS: [&str; 6] = ["phone", "portal", "api", "letter", "email", "in-person"];
/// Roles that may propose, and decide, a relief.
const DECIDING_ROLES: [&str; 3] = ["hardship-officer", "supervisor", "admin"];
/// A request still being worked on or in force: a loan has at most one.
const OPEN: [&str; 4] = ["submitted", "under-review", "approved", "active"];

/// A request to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing<'a> {
    pub loan_no: &'a str,
    pub filed_by: &'a str,
    pub channel: &'a str,
    pub reason: &'a str,
    pub details: &'a str,
    pub monthly_income: Amount,
    pub monthly_expenses: Amount,
    pub evidence: Vec<String>,
    pub wanted: &'a str,
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), AppError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(AppError::invalid(field, format!("`{value}` is not one of {}", allowed.join(", "))))
    }
}

fn load_loan(tx: &mut Tx<'_>, seq: i64) -> Result<LoanRecord, AppError> {
    tx.loan_by_seq(seq)?.ok_or_else(|| AppError::NotFound { what: "loan", id: seq.to_string() })
}

fn load(tx: &mut Tx<'_>, id: i64) -> Result<HardshipRow, AppError> {
    tx.hardship(id)?.ok_or_else(|| AppError::NotFound { what: "hardship request", id: id.to_string() })
}

fn the_open_day(tx: &mut Tx<'_>) -> Result<Date, AppError> {
    open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet: close the first one with `arrears eod`"))
}

/// The member of staff `name`, with a role in `roles`.
fn staff(tx: &mut Tx<'_>, field: &'static str, name: &str, roles: &[&str]) -> Result<String, AppError> {
    match tx.staff_role(name)? {
        Some(role) if roles.contains(&role.as_str()) => Ok(role),
        Some(role) => Err(AppError::invalid(field, format!("{name} is {role}; this needs one of {}", roles.join(", ")))),
        None => Err(AppError::invalid(field, format!("{name} is not on the staff list (arrears staff add)"))),
    }
}

/// The most a borrower may declare as monthly income or expenses: far above any borrower of a
/// small loan, and small enough that the affordability arithmetic cannot overflow.
pub const MAX_DECLARED: Amount = Amount(1_000_000_000_000);

/// Files a request; the loan must be active, with no other request open.
pub fn file(store: &mut Store, f: &Filing<'_>) -> Result<i64, AppError> {
    one_of("reason", f.reason, &REASONS)?;
    one_of("wants", f.wanted, &WANTED)?;
    one_of("channel", f.channel, &CHANNELS)?;
    if f.filed_by.trim().is_empty() {
        return Err(AppError::invalid("by", "say who files the request (the borrower, or the agent for them)"));
    }
    if f.details.chars().count() > 2_000 {
        return Err(AppError::invalid("details", "at most 2,000 characters"));
    }
    if f.monthly_income < Amount::ZERO || f.monthly_income > MAX_DECLARED {
        return Err(AppError::invalid("income", format!("the monthly income declared must be from 0 to {MAX_DECLARED}")));
    }
    if f.monthly_expenses < Amount::ZERO || f.monthly_expenses > MAX_DECLARED {
        return Err(AppError::invalid("expenses", format!("the monthly expenses declared must be from 0 to {MAX_DECLARED}")));
    }
    if let Some(e) = f.evidence.iter().find(|e| e.trim().is_empty() || e.contains('\n') || e.len() > 500) {
        return Err(AppError::invalid(
            "evidence",
            format!("`{e}` is not a reference to a file: one line, at most 500 characters"),
        ));
    }
    store.transaction(|tx| {
        let loan = tx.loan(f.loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: f.loan_no.to_owned() })?;
        if loan.state.status != LoanStatus::Active {
            return Err(AppError::invalid(
                "loan",
                format!("{} is {:?}: relief is for an active loan", f.loan_no, loan.state.status),
            ));
        }
        if let Some(open) = tx.hardship_of(loan.seq)?.into_iter().find(|h| OPEN.contains(&h.status.as_str())) {
            return Err(AppError::invalid("loan", format!("{} already has request {} ({})", f.loan_no, open.id, open.status)));
        }
        let today = the_open_day(tx)?;
        let id = tx.file_hardship(&NewHardship {
            loan_seq: loan.seq,
            filed_on: today,
            filed_by: f.filed_by,
            channel: f.channel,
            reason: f.reason,
            details: f.details,
            monthly_income: f.monthly_income.0,
            monthly_expenses: f.monthly_expenses.0,
            evidence: &f.evidence,
            wanted: f.wanted,
        })?;
        let detail = serde_json::json!({ "id": id, "reason": f.reason, "wants": f.wanted, "channel": f.channel });
        tx.audit(today, f.filed_by, "hardship-request", f.loan_no, &detail.to_string())?;
        Ok(id)
    })
}

/// One side of the comparison: what the borrower pays with or without the relief.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The regular installment: what one of the schedule's later installments asks in all.
    pub monthly_payment: Amount,
    /// The largest installment still to pay (a plan's last one carries frozen penalty).
    pub largest_payment: Amount,
    /// Due now: what is late or due today, or nothing.
    pub due_now: Amount,
    pub payments_left: usize,
    pub next_due: Option<Date>,
    pub last_due: Option<Date>,
    /// Everything still to pay, interest to come included (penalty to come is not).
    pub total_to_pay: Amount,
    /// Of which interest, penalty and fees.
    pub interest_and_charges: Amount,
}

impl Side {
    fn of(state: &LoanState) -> Side {
        let open: Vec<_> = state.installments.iter().filter(|i| !i.is_settled()).collect();
        let to_come = |i: &arrears_core::InstallmentState| {
            if i.interest_charged {
                Amount::ZERO
            } else {
                (i.scheduled_interest - i.charged.interest).max(Amount::ZERO)
            }
        };
        let full = |i: &arrears_core::InstallmentState| i.outstanding().total() + to_come(i);
        let regular = open.iter().rev().nth(1).or(open.last()).map_or(Amount::ZERO, |i| full(i));
        let total = state.outstanding().total() + open.iter().map(|i| to_come(i)).sum::<Amount>();
        let late = state.installments.iter().filter(|i| i.due_date <= state.as_of).map(|i| i.outstanding().total()).sum();
        Side {
            monthly_payment: regular,
            largest_payment: open.iter().filter(|i| i.due_date > state.as_of).map(|i| full(i)).max().unwrap_or_default(),
            due_now: late,
            payments_left: open.len(),
            next_due: open.iter().find(|i| i.due_date >= state.as_of).map(|i| i.due_date),
            last_due: open.last().map(|i| i.due_date),
            total_to_pay: total,
            interest_and_charges: total - state.outstanding().principal,
        }
    }
}

/// What a relief changes, in numbers and in plain words (Chinese and English).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub relief: Relief,
    pub before: Side,
    pub after: Side,
    /// Forgiven by the relief.
    pub waived: Amount,
    pub class_after: Classification,
    /// A restructured loan is watched (at least special mention) until then.
    pub observed_until: Option<Date>,
    pub words_en: Vec<String>,
    pub words_zh: Vec<String>,
}

/// The comparison of `relief` on `state` (on its date), or why it cannot be made; a
/// settlement's comparison counts the agreed amount `paid_first` as paid before it.
pub fn compare(
    terms: &LoanTerms,
    state: &LoanState,
    relief: Relief,
    after_payments: u32,
    paid_first: Option<Amount>,
) -> Result<Comparison, AppError> {
    relief.check_cures(state)?;
    let mut after = state.clone();
    let mut after_payments = after_payments;
    if let Some(amount) = paid_first.filter(|a| *a > Amount::ZERO) {
        after.apply_payment(terms, state.as_of, amount)?;
        after_payments += 1;
    }
    after.apply_relief(terms, state.as_of, after_payments, relief)?;
    let (b, a) = (Side::of(state), Side::of(&after));
    let waived = after.waived().total() - state.waived().total();
    let cur = terms.currency().code();
    let money = |x: Amount| format!("{x} {cur}");
    let mut en = Vec::new();
    let mut zh = Vec::new();
    match relief {
        Relief::Settlement => {
            en.push(format!("You pay what you agreed and the rest, {}, is forgiven; the loan is then closed.", money(waived)));
            zh.push(format!("您按约定金额还款后，其余{}予以减免，借款随即结清。", money(waived)));
        }
        _ => {
            en.push(format!(
                "Your regular payment goes from {} to {}, {} payments instead of {}, the last on {}.",
                money(b.monthly_payment),
                money(a.monthly_payment),
                a.payments_left,
                b.payments_left,
                a.last_due.map_or("-".into(), |d| d.to_string())
            ));
            zh.push(format!(
                "每期还款由{}变为{}，共{}期（原{}期），最后一期在{}。",
                money(b.monthly_payment),
                money(a.monthly_payment),
                a.payments_left,
                b.payments_left,
                a.last_due.map_or("-".into(), |d| d.to_string())
            ));
            en.push(format!(
                "In all you pay {} instead of {}; of it, interest, penalty and fees {} instead of {}.",
                money(a.total_to_pay),
                money(b.total_to_pay),
                money(a.interest_and_charges),
                money(b.interest_and_charges)
            ));
            zh.push(format!(
                "合计还款{}（原{}），其中利息、罚息和费用{}（原{}）。",
                money(a.total_to_pay),
                money(b.total_to_pay),
                money(a.interest_and_charges),
                money(b.interest_and_charges)
            ));
            if b.due_now > Amount::ZERO && a.due_now.is_zero() {
                en.push(format!(
                    "Nothing is late any more: the {} overdue now becomes part of the new payments.",
                    money(b.due_now)
                ));
                zh.push(format!("原逾期的{}并入新的还款计划，不再计为逾期。", money(b.due_now)));
            }
            if waived > Amount::ZERO {
                en.push(format!("{} of penalty and fees is forgiven.", money(waived)));
                zh.push(format!("减免罚息和费用{}。", money(waived)));
            }
        }
    }
    en.push(
        "Your credit report keeps what was already reported; from now on each payment made on time under the new terms is reported as paid, and a missed one as overdue."
            .into(),
    );
    zh.push("已报送的征信记录不会删除；此后按新约定按时还款的月份报送为正常，逾期则报送为逾期。".into());
    if let Some(until) = after.restructured_until.filter(|_| matches!(relief, Relief::Restructure { .. })) {
        en.push(format!(
            "A restructured loan is classed at least \"special mention\" until {until}, twelve months in which it is watched."
        ));
        zh.push(format!("重组贷款在{until}之前的12个月观察期内至少归为\"关注\"类。"));
    }
    Ok(Comparison {
        relief,
        before: b,
        after: a,
        waived,
        class_after: after.class,
        observed_until: after.restructured_until.filter(|_| matches!(relief, Relief::Restructure { .. })),
        words_en: en,
        words_zh: zh,
    })
}

/// What an officer proposes: a relief, or (with `None`) the affordability calculator's plan for
/// what the borrower asked; a settlement names the amount the borrower pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    pub relief: Option<Relief>,
    pub settle_amount: Option<Amount>,
}

/// The loan on the open day, with the payments it has received.
fn loan_today(tx: &mut Tx<'_>, loan: &LoanRecord, today: Date) -> Result<(LoanState, u32), AppError> {
    let mut state = loan.state.clone();
    state.advance(&loan.terms, today.max(state.as_of))?;
    let payments = tx.posted_payment_count(loan.seq)?;
    Ok((state, payments as u32))
}

/// The eligibility rules: an active loan not too late, with few reliefs before.
fn check_eligible(tx: &mut Tx<'_>, state: &LoanState) -> Result<(), AppError> {
    let max_dpd = number(tx, "hardship.max_dpd", 0..=3_650, 180)?;
    let max_reliefs = number(tx, "hardship.max_reliefs", 0..=20, 2)?;
    if i64::from(state.dpd) > max_dpd {
        return Err(AppError::invalid(
            "loan",
            format!(
                "{} days past due is beyond relief (at most {max_dpd}, meta hardship.max_dpd): it is a case for legal",
                state.dpd
            ),
        ));
    }
    if state.reliefs.len() as i64 >= max_reliefs {
        return Err(AppError::invalid(
            "loan",
            format!("{} reliefs were granted already (at most {max_reliefs}, meta hardship.max_reliefs)", state.reliefs.len()),
        ));
    }
    Ok(())
}

/// The most a new monthly payment may be for a borrower declaring `income` and `expenses`.
fn affordable(tx: &mut Tx<'_>, income: Amount, expenses: Amount) -> Result<Amount, AppError> {
    let dti = number(tx, "hardship.max_dti_pct", 1..=100, 50)?;
    let by_income = Amount(income.0 * dti / 100);
    Ok(by_income.min(income - expenses).max(Amount::ZERO))
}

/// The shortest plan (or restructuring at `rate`) whose payment fits `limit`.
fn fitting_plan(
    terms: &LoanTerms,
    state: &LoanState,
    after: u32,
    limit: Amount,
    rate: Option<Rate>,
    penalty: PenaltyTreatment,
) -> Result<Relief, AppError> {
    let make = |months| match rate {
        Some(annual_rate) => Relief::Restructure { months, annual_rate, penalty },
        None => Relief::Plan { months, penalty },
    };
    let mut longest = None;
    for months in 1..=arrears_core::relief::MAX_PLAN_MONTHS {
        let c = compare(terms, state, make(months), after, None)?;
        if c.after.largest_payment <= limit {
            return Ok(make(months));
        }
        longest = Some(c.after.largest_payment);
    }
    Err(AppError::invalid(
        "income",
        format!(
            "no plan of up to 60 months fits: its payment would be {} a month, and at most {limit} is affordable",
            longest.unwrap_or_default()
        ),
    ))
}

/// Proposes a relief for request `id` (the maker); returns the comparison the borrower sees.
pub fn propose(store: &mut Store, id: i64, proposal: Proposal, actor: &str) -> Result<Comparison, AppError> {
    store.transaction(|tx| {
        staff(tx, "by", actor, &DECIDING_ROLES)?;
        let mut h = load(tx, id)?;
        if !["submitted", "under-review"].contains(&h.status.as_str()) {
            return Err(AppError::invalid(
                "request",
                format!("request {id} is {}; only one under review takes a proposal", h.status),
            ));
        }
        let loan = load_loan(tx, h.loan_seq)?;
        let today = the_open_day(tx)?;
        let (state, after) = loan_today(tx, &loan, today)?;
        check_eligible(tx, &state)?;
        let limit = affordable(tx, Amount(h.monthly_income), Amount(h.monthly_expenses))?;
        let relief = match (proposal.relief, h.wanted.as_str()) {
            // A restructuring at a new rate with no term: the shortest term that fits.
            (Some(Relief::Restructure { months: 0, annual_rate, penalty }), _) => {
                fitting_plan(&loan.terms, &state, after, limit, Some(annual_rate), penalty)?
            }
            (Some(r), _) => r,
            // Capitalised: spread evenly, so no installment carries a lump.
            (None, "plan") => fitting_plan(&loan.terms, &state, after, limit, None, PenaltyTreatment::Capitalise)?,
            (None, "extension") => {
                // Three months, or as many more (up to twelve) as the loan needs to be current.
                let with_interest = number(tx, "hardship.extension_interest", 0..=1, 1)? == 1;
                let cures = |months| Relief::Extension { months, with_interest }.check_cures(&state).is_ok();
                let months = (3..=arrears_core::relief::MAX_EXTENSION_MONTHS).find(|m| cures(*m)).unwrap_or(3);
                Relief::Extension { months, with_interest }
            }
            (None, "restructure") => {
                return Err(AppError::invalid("rate", "a restructuring needs its new rate (and, if wanted, its term)"))
            }
            (None, _) => Relief::Settlement,
        };
        propose_relief(tx, &mut h, &loan, &state, after, relief, proposal, actor, today, limit)
    })
}

#[allow(clippy::too_many_arguments)]
fn propose_relief(
    tx: &mut Tx<'_>,
    h: &mut HardshipRow,
    loan: &LoanRecord,
    state: &LoanState,
    after: u32,
    relief: Relief,
    proposal: Proposal,
    actor: &str,
    today: Date,
    limit: Amount,
) -> Result<Comparison, AppError> {
    let settle = match relief {
        Relief::Settlement => {
            let amount = proposal
                .settle_amount
                .ok_or_else(|| AppError::invalid("settle_amount", "a settlement names what the borrower pays"))?;
            let payoff = state.payoff_amount(&loan.terms);
            if amount <= Amount::ZERO || amount >= payoff {
                return Err(AppError::invalid(
                    "settle_amount",
                    format!("{amount} must be more than 0 and less than the {payoff} owed"),
                ));
            }
            Some(amount)
        }
        _ => None,
    };
    let comparison = compare(&loan.terms, state, relief, after, settle)?;
    if matches!(relief, Relief::Plan { .. } | Relief::Restructure { .. }) && comparison.after.largest_payment > limit {
        return Err(AppError::invalid(
            "months",
            format!(
                "the payment {} is more than the {limit} the borrower can afford (meta hardship.max_dti_pct, income less expenses)",
                comparison.after.largest_payment
            ),
        ));
    }
    h.status = "under-review".into();
    h.proposal = Some(serde_json::to_string(&relief).expect("reliefs serialise"));
    h.settle_amount = settle.map(|a| a.0);
    h.proposed_by = Some(actor.to_owned());
    h.proposed_on = Some(today);
    tx.update_hardship(h)?;
    let detail = serde_json::json!({ "id": h.id, "relief": relief, "settle_amount": settle.map(|a| a.to_string()) });
    tx.audit(today, actor, "hardship-propose", &loan.loan_no, &detail.to_string())?;
    Ok(comparison)
}

/// Approves request `id`'s proposal (the checker): someone other than who proposed it, and a
/// supervisor when the balance relieved is above the threshold.
pub fn approve(store: &mut Store, id: i64, actor: &str) -> Result<(), AppError> {
    store.transaction(|tx| {
        let role = staff(tx, "by", actor, &DECIDING_ROLES)?;
        let mut h = load(tx, id)?;
        if h.status != "under-review" {
            return Err(AppError::invalid(
                "request",
                format!("request {id} is {}; only a proposal under review is approved", h.status),
            ));
        }
        if h.proposed_by.as_deref() == Some(actor) {
            return Err(AppError::invalid("by", format!("{actor} proposed request {id}; another person must approve it")));
        }
        let loan = load_loan(tx, h.loan_seq)?;
        let threshold = number(tx, "hardship.supervisor_above", 0..=i64::MAX, 1_000_000)?;
        let balance = loan.state.outstanding().total();
        if balance.0 > threshold && role != "supervisor" && role != "admin" {
            return Err(AppError::invalid(
                "by",
                format!(
                    "{balance} is relieved, above {} (meta hardship.supervisor_above): a supervisor approves it",
                    Amount(threshold)
                ),
            ));
        }
        let today = the_open_day(tx)?;
        h.status = "approved".into();
        h.decided_by = Some(actor.to_owned());
        h.decided_on = Some(today);
        tx.update_hardship(&h)?;
        tx.audit(today, actor, "hardship-approve", &loan.loan_no, &serde_json::json!({ "id": id }).to_string())?;
        Ok(())
    })
}

/// Rejects request `id`, with the reason the borrower is given.
pub fn reject(store: &mut Store, id: i64, note: &str, actor: &str) -> Result<(), AppError> {
    if note.trim().is_empty() || note.chars().count() > 2_000 {
        return Err(AppError::invalid("note", "a rejection gives the borrower its reason, in at most 2,000 characters"));
    }
    store.transaction(|tx| {
        staff(tx, "by", actor, &DECIDING_ROLES)?;
        let mut h = load(tx, id)?;
        if !["submitted", "under-review"].contains(&h.status.as_str()) {
            return Err(AppError::invalid("request", format!("request {id} is {}; it can no longer be rejected", h.status)));
        }
        let loan = load_loan(tx, h.loan_seq)?;
        let today = the_open_day(tx)?;
        h.status = "rejected".into();
        h.decided_by = Some(actor.to_owned());
        h.decided_on = Some(today);
        h.decision_note = Some(note.trim().to_owned());
        h.ended_on = Some(today);
        tx.update_hardship(&h)?;
        tx.audit(today, actor, "hardship-reject", &loan.loan_no, &serde_json::json!({ "id": id, "note": note }).to_string())?;
        Ok(())
    })
}

/// The relief of an approved request.
fn proposed(h: &HardshipRow) -> Result<Relief, AppError> {
    let text = h.proposal.as_deref().ok_or_else(|| AppError::invalid("request", format!("request {} has no proposal", h.id)))?;
    serde_json::from_str(text)
        .map_err(|e| arrears_store::StoreError::Corrupt(format!("proposal of request {}: {e}", h.id)).into())
}

/// The borrower accepts request `id`'s approved relief: it is made on the loan on the open
/// day. A settlement is made once the borrower has paid the agreed amount since its approval,
/// and closes the loan; any other relief becomes an active plan, and collection stops while it
/// is honoured.
pub fn accept(store: &mut Store, id: i64, by: &str) -> Result<Comparison, AppError> {
    if by.trim().is_empty() {
        return Err(AppError::invalid("by", "say who accepts (the borrower, or the agent recording it)"));
    }
    store.transaction(|tx| {
        let mut h = load(tx, id)?;
        if h.status != "approved" {
            return Err(AppError::invalid(
                "request",
                format!("request {id} is {}; only an approved relief is accepted", h.status),
            ));
        }
        let relief = proposed(&h)?;
        let loan = load_loan(tx, h.loan_seq)?;
        let today = the_open_day(tx)?;
        let (state, after) = loan_today(tx, &loan, today)?;
        check_eligible(tx, &state)?;
        if let (Relief::Settlement, Some(agreed)) = (relief, h.settle_amount) {
            let since = h.decided_on.unwrap_or(today);
            let paid: Amount = tx
                .payments_of(loan.seq)?
                .iter()
                .filter(|p| p.status == PaymentStatus::Posted && p.value_date >= since)
                .map(|p| p.amount)
                .sum();
            if paid < Amount(agreed) {
                return Err(AppError::invalid(
                    "request",
                    format!("the settlement is made once {} is paid; {paid} has been paid since {since}", Amount(agreed)),
                ));
            }
        }
        let comparison = compare(&loan.terms, &state, relief, after, None)?;
        let mut relieved = state.clone();
        relieved.apply_relief(&loan.terms, today, after, relief)?;
        save_change(tx, &loan, &loan.state, &relieved, today, EntryKind::Accrual, &format!("hardship:{id}"), "hardship")?;
        h.accepted_on = Some(today);
        if relieved.status == LoanStatus::PaidOff {
            h.status = "completed".into();
            h.ended_on = Some(today);
        } else {
            h.status = "active".into();
            set_plan_flag(tx, loan.seq, Some(today))?;
        }
        tx.update_hardship(&h)?;
        tx.audit(today, by, "hardship-accept", &loan.loan_no, &serde_json::json!({ "id": id, "relief": relief }).to_string())?;
        Ok(comparison)
    })
}

fn set_plan_flag(tx: &mut Tx<'_>, seq: i64, since: Option<Date>) -> Result<(), AppError> {
    let mut flags: FlagsRow = tx.collection_flags(&[seq])?.remove(&seq).unwrap_or_default();
    flags.plan_since = since;
    tx.set_collection_flags(seq, &flags)?;
    Ok(())
}

/// What the day's check of active reliefs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorReport {
    pub completed: usize,
    pub broken: usize,
}

/// After the close of `date`: each active relief is completed once the loan has paid what it
/// made (an extension: the first installment it moved; a plan: everything), or broken when an
/// installment is more than `hardship.break_days` late, and collection resumes.
pub fn monitor(store: &mut Store, date: Date) -> Result<MonitorReport, AppError> {
    store.transaction(|tx| {
        let break_days = number(tx, "hardship.break_days", 0..=90, 15)?;
        let mut report = MonitorReport::default();
        for mut h in tx.hardship_in("active")? {
            let loan = load_loan(tx, h.loan_seq)?;
            let mut state = loan.state.clone();
            state.advance(&loan.terms, date.max(state.as_of))?;
            let made = state.reliefs.last().copied();
            let done = state.status == LoanStatus::PaidOff || made.is_some_and(|r| paid_through(&state, &r));
            // Never inside the product's own grace period.
            let allowed = break_days.max(i64::from(loan.terms.grace_days()));
            let (status, action) = if done {
                ("completed", "hardship-complete")
            } else if state.status != LoanStatus::Active || i64::from(state.dpd) > allowed {
                ("broken", "hardship-broken")
            } else {
                continue;
            };
            h.status = status.into();
            h.ended_on = Some(date);
            tx.update_hardship(&h)?;
            set_plan_flag(tx, loan.seq, None)?;
            tx.audit(
                date,
                crate::SYSTEM_ACTOR,
                action,
                &loan.loan_no,
                &serde_json::json!({ "id": h.id, "dpd": state.dpd }).to_string(),
            )?;
            if status == "completed" {
                report.completed += 1;
            } else {
                report.broken += 1;
            }
        }
        Ok(report)
    })
}

/// Whether the loan has paid what relief `r` made: an extension's first moved installment, or
/// every installment a plan or restructuring opened.
fn paid_through(state: &LoanState, r: &ReliefAt) -> bool {
    let made = |i: &&arrears_core::InstallmentState| match r.relief {
        Relief::Extension { .. } => i.n == r.from_n,
        _ => i.n >= r.from_n,
    };
    state.installments.iter().filter(made).all(|i| i.is_settled())
}

/// The comparison of request `id`'s proposal on the loan as it stands on the open day.
pub fn comparison_of(store: &mut Store, id: i64) -> Result<Option<Comparison>, AppError> {
    store.read(|tx| {
        let h = load(tx, id)?;
        if !["under-review", "approved"].contains(&h.status.as_str()) {
            return Ok(None);
        }
        let relief = proposed(&h)?;
        let loan = load_loan(tx, h.loan_seq)?;
        let today = the_open_day(tx)?;
        let (state, after) = loan_today(tx, &loan, today)?;
        Ok(Some(compare(&loan.terms, &state, relief, after, h.settle_amount.map(Amount))?))
    })
}

/// A loan's requests, for `hardship show`.
pub fn of_loan(store: &mut Store, loan_no: &str) -> Result<(LoanRecord, Vec<HardshipRow>), AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let requests = tx.hardship_of(loan.seq)?;
        Ok((loan, requests))
    })
}

/// Adds a member of staff with a role (or changes it).
pub fn add_staff(store: &mut Store, name: &str, role: &str) -> Result<(), AppError> {
    add_staff_by(store, name, role, crate::SYSTEM_ACTOR)
}

/// The roles a member of staff may have.
pub const ROLES: [&str; 6] = ["agent", "supervisor", "hardship-officer", "legal-officer", "compliance-officer", "admin"];

/// [`add_staff`], audited under `by`; a changed role ends the member's sessions, so the new
/// role applies from their next login.
pub fn add_staff_by(store: &mut Store, name: &str, role: &str, by: &str) -> Result<(), AppError> {
    one_of("role", role, &ROLES)?;
    if name.trim().is_empty() || name.len() > 100 {
        return Err(AppError::invalid("name", "1 to 100 characters"));
    }
    store.transaction(|tx| {
        let before = tx.staff_role(name.trim())?;
        tx.upsert_staff(name.trim(), role)?;
        if before.as_deref().is_some_and(|r| r != role) {
            tx.end_sessions_of("staff", name.trim())?;
        }
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, by, "staff", name, &serde_json::json!({ "role": role, "was": before }).to_string())?;
        Ok(())
    })
}
