//! Complaints from any channel: a category, a deadline (15 days by default, up to 30 for a
//! complex case; meta keys `complaint.days` and `complaint.complex_days`), assignment, the
//! reply, and the month's statistics for the regulator. A complaint about collection conduct
//! names the loan or the borrower, and may name the contacts it concerns, which must be in the
//! communication record (and about that loan).

use std::collections::BTreeMap;

use arrears_core::Date;
use arrears_store::{ComplaintRow, NewComplaint, Store};

use crate::service::open_day;
use crate::settings::{self, Timeliness};
use crate::AppError;

pub const CATEGORIES: [&str; 5] = ["collection-conduct", "fees", "reporting", "privacy", "other"];
pub const CHANNELS: [&str; 7] = ["phone", "portal", "api", "letter", "email", "in-person", "regulator"];
/// Days to answer, unless `complaint.days` says otherwise …
pub const DAYS: i64 = 15;
/// … and for a complex case, unless `complaint.complex_days` does (at most 30).
pub const COMPLEX_DAYS: i64 = 30;

/// A complaint as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing<'a> {
    pub category: &'a str,
    pub channel: &'a str,
    pub description: &'a str,
    pub complex: bool,
    pub loan_no: Option<&'a str>,
    pub borrower_id: Option<&'a str>,
    pub contacts: Vec<String>,
    pub actor: &'a str,
}

/// Files a complaint; returns its id.
pub fn open(store: &mut Store, f: &Filing<'_>) -> Result<i64, AppError> {
    if !CATEGORIES.contains(&f.category) {
        return Err(AppError::invalid("category", format!("`{}` is not one of {}", f.category, CATEGORIES.join(", "))));
    }
    if !CHANNELS.contains(&f.channel) {
        return Err(AppError::invalid("channel", format!("`{}` is not one of {}", f.channel, CHANNELS.join(", "))));
    }
    if f.description.trim().is_empty() || f.description.len() > 5_000 {
        return Err(AppError::invalid("description", "say what the complaint is, in at most 5,000 characters"));
    }
    if f.category == "collection-conduct" && f.loan_no.is_none() && f.borrower_id.is_none() {
        return Err(AppError::invalid("loan", "a complaint about collection conduct names the loan or the borrower"));
    }
    store.transaction(|tx| {
        if let Some(b) = f.borrower_id {
            if tx.borrower(b)?.is_none() {
                return Err(AppError::NotFound { what: "borrower", id: b.to_owned() });
            }
        }
        let loan = match f.loan_no {
            Some(no) => Some(tx.loan(no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: no.to_owned() })?),
            None => None,
        };
        for key in &f.contacts {
            let c = tx.contact(key)?.ok_or_else(|| AppError::NotFound { what: "contact", id: key.clone() })?;
            if loan.as_ref().is_some_and(|l| l.seq != c.loan_seq) {
                return Err(AppError::invalid(
                    "contact",
                    format!("{key} is not a contact about loan {}", f.loan_no.unwrap_or("")),
                ));
            }
        }
        let today = open_day(tx)?.unwrap_or(Date::from_days_since_epoch(0));
        let limit = if f.complex {
            settings::number(tx, "complaint.complex_days", 1..=30, COMPLEX_DAYS)?
        } else {
            settings::number(tx, "complaint.days", 1..=30, DAYS)?
        };
        let borrower = f.borrower_id.map(str::to_owned).or_else(|| loan.as_ref().map(|l| l.borrower_id.clone()));
        let id = tx.open_complaint(&NewComplaint {
            opened_on: today,
            deadline: today.add_days(limit as i32),
            channel: f.channel,
            category: f.category,
            complex: f.complex,
            borrower_id: borrower.as_deref(),
            loan_seq: loan.as_ref().map(|l| l.seq),
            description: f.description,
            opened_by: f.actor,
            contacts: &f.contacts,
        })?;
        tx.audit(today, f.actor, "complaint-open", &id.to_string(), &format!("{{\"category\":\"{}\"}}", f.category))?;
        Ok(id)
    })
}

pub fn assign(store: &mut Store, id: i64, to: &str, actor: &str) -> Result<(), AppError> {
    store.transaction(|tx| {
        tx.assign_complaint(id, to)?;
        let today = open_day(tx)?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(today, actor, "complaint-assign", &id.to_string(), &format!("{{\"to\":\"{to}\"}}"))?;
        Ok(())
    })
}

pub fn reply(store: &mut Store, id: i64, text: &str, actor: &str) -> Result<ComplaintRow, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::invalid("reply", "a reply says something"));
    }
    store.transaction(|tx| {
        let today = open_day(tx)?.unwrap_or(Date::from_days_since_epoch(0));
        tx.reply_complaint(id, text, today, actor)?;
        tx.audit(today, actor, "complaint-reply", &id.to_string(), "{}")?;
        Ok(tx.complaint(id)?.expect("just answered"))
    })
}

/// A month's complaints for the regulator: by category those received in it, and how all of
/// them fared against their deadlines ([`Timeliness`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub by_category: BTreeMap<String, usize>,
    pub timeliness: Timeliness,
}

/// The complaints of `month` (`YYYY-MM`), counted as [`Stats`] says.
pub fn stats(store: &mut Store, month: &str) -> Result<Stats, AppError> {
    let (first, end) =
        arrears_bureau::month_span(month).ok_or_else(|| AppError::invalid("month", format!("`{month}` is not YYYY-MM")))?;
    let rows = store.read(|tx| tx.complaints_until(end))?;
    let mut s = Stats::default();
    for c in &rows {
        if c.opened_on >= first {
            *s.by_category.entry(c.category.clone()).or_default() += 1;
        }
        s.timeliness.count(c.opened_on, c.deadline, c.replied_on, first, end);
    }
    Ok(s)
}
