//! Disputes of a loan's record: opened by the borrower or an agent, the loan marked disputed at
//! once (collection pauses: the policy pack reads it; the furnishing flags the account), and
//! answered by its deadline — China 20 days, US 30 — as corrected, confirmed or cannot be
//! verified. A corrected or unverifiable month is changed in the month-end record, so the next
//! furnishing reports it as answered; the borrower gets a written answer in their language.

use arrears_core::{Amount, Currency, Date};
use arrears_store::{DisputeRow, FlagsRow, Store, Tx};

use crate::service::open_day;
use crate::AppError;

/// Days to answer a dispute: China.
pub const DEADLINE_DAYS_CN: i32 = 20;
/// Days to answer a dispute: US (FCRA).
pub const DEADLINE_DAYS_US: i32 = 30;
/// Open disputes this close to their deadline are raised as alerts.
pub const ALERT_DAYS: i32 = 5;

/// What the investigation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The record was wrong; the disputed month now reads `status` (`N` or `1`…`7`).
    Corrected { status: char },
    /// The record was right.
    Confirmed,
    /// It could not be verified: the disputed month is reported as paid as agreed.
    Unverifiable,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Corrected { .. } => "corrected",
            Outcome::Confirmed => "confirmed",
            Outcome::Unverifiable => "unverifiable",
        }
    }
}

/// A new dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute<'a> {
    pub loan_no: &'a str,
    /// The reported month disputed, `YYYY-MM`.
    pub month: Option<&'a str>,
    pub amount: Option<Amount>,
    pub reason: &'a str,
    /// phone, portal, api, letter, email or in-person.
    pub channel: &'a str,
    pub actor: &'a str,
}

const CHANNELS: [&str; 6] = ["phone", "portal", "api", "letter", "email", "in-person"];

/// Opens a dispute; returns its id. The loan is marked disputed at once.
pub fn open(store: &mut Store, d: &NewDispute<'_>) -> Result<i64, AppError> {
    store.transaction(|tx| open_in(tx, d))
}

/// [`open`] inside a transaction already begun (a call outcome opens one with the call).
pub fn open_in(tx: &mut Tx<'_>, d: &NewDispute<'_>) -> Result<i64, AppError> {
    if d.reason.trim().is_empty() || d.reason.len() > 2_000 {
        return Err(AppError::invalid("reason", "say what is disputed, in at most 2,000 characters"));
    }
    if !CHANNELS.contains(&d.channel) {
        return Err(AppError::invalid("channel", format!("`{}` is not one of {}", d.channel, CHANNELS.join(", "))));
    }
    if d.amount.is_some_and(|a| a <= Amount::ZERO) {
        return Err(AppError::invalid("amount", "a disputed amount is positive"));
    }
    if let Some(m) = d.month {
        if arrears_bureau::month_span(m).is_none() {
            return Err(AppError::invalid("month", format!("`{m}` is not a month: write YYYY-MM")));
        }
    }
    let loan = tx.loan(d.loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: d.loan_no.to_owned() })?;
    if let Some(m) = d.month {
        if tx.months_of(&[loan.seq], &previous_month(m), m)?.get(&loan.seq).is_none_or(Vec::is_empty) {
            return Err(AppError::invalid("month", format!("loan {} has no recorded month {m} to dispute", d.loan_no)));
        }
    }
    let today = open_day(tx)?.unwrap_or(loan.state.as_of);
    let days = if loan.terms.currency() == Currency::Usd { DEADLINE_DAYS_US } else { DEADLINE_DAYS_CN };
    let id =
        tx.open_dispute(loan.seq, today, today.add_days(days), d.channel, d.actor, d.month, d.amount.map(|a| a.0), d.reason)?;
    let mut flags: FlagsRow = tx.collection_flags(&[loan.seq])?.remove(&loan.seq).unwrap_or_default();
    flags.dispute_open_since = flags.dispute_open_since.or(Some(today));
    tx.set_collection_flags(loan.seq, &flags)?;
    tx.audit(today, d.actor, "dispute-open", d.loan_no, &format!("{{\"id\":{id},\"channel\":\"{}\"}}", d.channel))?;
    Ok(id)
}

/// The `YYYY-MM` before `month` (a valid month).
fn previous_month(month: &str) -> String {
    arrears_bureau::month_key(arrears_bureau::month_number(month).expect("checked") - 1)
}

/// The written answer, in the borrower's language.
pub fn answer(outcome: Outcome, loan_no: &str, month: Option<&str>, english: bool) -> String {
    let what_en = month.map_or_else(|| format!("loan {loan_no}"), |m| format!("the {m} record of loan {loan_no}"));
    let what_zh = month.map_or_else(|| format!("借款{loan_no}"), |m| format!("借款{loan_no}在{m}的报送记录"));
    match (outcome, english) {
        (Outcome::Corrected { status }, true) => format!(
            "We looked into your dispute of {what_en}. The record was wrong and has been corrected to `{status}`; every report to the credit bureau from now on carries the correction."
        ),
        (Outcome::Corrected { status }, false) => {
            format!("您对{what_zh}提出的异议经核查属实，记录已更正为“{status}”，此后向征信机构的报送均以更正后的记录为准。")
        }
        (Outcome::Confirmed, true) => format!(
            "We looked into your dispute of {what_en}. The record is accurate and stays as reported. If you disagree you may add a personal statement to your credit report or complain to the regulator."
        ),
        (Outcome::Confirmed, false) => {
            format!("您对{what_zh}提出的异议经核查，记录准确无误，维持原报送。如有不同意见，您可以在信用报告中添加个人声明，或向监管部门投诉。")
        }
        (Outcome::Unverifiable, true) => format!(
            "We looked into your dispute of {what_en} and could not verify the record, so from now on it is reported as paid as agreed."
        ),
        (Outcome::Unverifiable, false) => {
            format!("您对{what_zh}提出的异议经核查无法确认，此后该月按正常还款报送。")
        }
    }
}

/// Answers a dispute. Collection resumes when no other dispute of the loan is open.
pub fn resolve(store: &mut Store, id: i64, outcome: Outcome, actor: &str) -> Result<DisputeRow, AppError> {
    if let Outcome::Corrected { status } = outcome {
        if !(status == 'N' || ('1'..='7').contains(&status)) {
            return Err(AppError::invalid("status", format!("`{status}` is not N or 1 to 7")));
        }
    }
    store.transaction(|tx| {
        let dispute = tx.dispute(id)?.ok_or_else(|| AppError::NotFound { what: "dispute", id: id.to_string() })?;
        if dispute.status != "open" {
            return Err(AppError::invalid(
                "dispute",
                format!("dispute {id} was already answered ({})", dispute.outcome.unwrap_or_default()),
            ));
        }
        let loan = tx
            .loan_by_seq(dispute.loan_seq)?
            .ok_or_else(|| AppError::NotFound { what: "loan", id: dispute.loan_seq.to_string() })?;
        let today = open_day(tx)?.unwrap_or(loan.state.as_of);
        if outcome != Outcome::Confirmed && dispute.month.is_none() {
            return Err(AppError::invalid(
                "outcome",
                format!("dispute {id} names no reported month, so nothing can be corrected: answer it confirmed, or open a dispute of the month"),
            ));
        }
        let new_status = match outcome {
            Outcome::Corrected { status } => Some(status),
            Outcome::Unverifiable => Some('N'),
            Outcome::Confirmed => None,
        };
        if let (Some(status), Some(month)) = (new_status, dispute.month.as_deref()) {
            let (code, dpd) = match status {
                'N' => (-1, 0),
                d => {
                    let k = i64::from(d as u8 - b'0');
                    (k, (k - 1) * 30 + 1)
                }
            };
            let class = arrears_core::Classification::from_dpd(dpd as u32, 0, false, false).label();
            // A month wrongly reported as bad debt reads as the corrected standing, in its bucket.
            let bucket = arrears_core::Bucket::from_dpd(dpd as u32, 0).label();
            if !tx.correct_month(loan.seq, month, code, dpd, class, bucket)? {
                return Err(AppError::invalid("month", format!("loan {} has no reported month {month}", loan.loan_no)));
            }
            // The dashboard's figures counted from the corrected row.
            tx.recount_month_figures(month)?;
        }
        let english = tx.borrower(&loan.borrower_id)?.is_some_and(|b| b.language == "en");
        let text = answer(outcome, &loan.loan_no, dispute.month.as_deref(), english);
        tx.resolve_dispute(id, outcome.code(), today, actor, &text)?;
        if tx.disputes_of(loan.seq)?.iter().all(|d| d.status != "open") {
            let mut flags: FlagsRow = tx.collection_flags(&[loan.seq])?.remove(&loan.seq).unwrap_or_default();
            flags.dispute_open_since = None;
            tx.set_collection_flags(loan.seq, &flags)?;
        }
        tx.audit(today, actor, "dispute-resolve", &loan.loan_no, &format!("{{\"id\":{id},\"outcome\":\"{}\"}}", outcome.code()))?;
        Ok(tx.dispute(id)?.expect("just resolved"))
    })
}

/// Open disputes with the days left to answer each on `today` (negative when late).
pub fn open_disputes(store: &mut Store) -> Result<Vec<(DisputeRow, i32)>, AppError> {
    store.read(|tx| {
        let today = open_day(tx)?.unwrap_or(Date::from_days_since_epoch(0));
        Ok(tx
            .open_disputes()?
            .into_iter()
            .map(|d| {
                let left = today.days_until(d.deadline);
                (d, left)
            })
            .collect())
    })
}
