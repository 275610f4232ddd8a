//! The console's dashboard: the figures behind its charts, each an aggregate the store makes,
//! put in order here. Nothing here knows of pages or files; the server draws and exports.
//!
//! Every figure is of the loans of one currency (amounts of two currencies are never added):
//! the one asked for, else the one with the most loans. Rates are kept as their two counts
//! ([`Ratio`]) and shown with fixed decimals computed from integers. Which month follows which
//! is worked out here, never in SQL.
//!
//! - Book: loans, principal and everything owed by status, now.
//! - Overdue by bucket: for each month end, loans and balance by bucket, and the overdue rate:
//!   the balance of loans more than zero days past due over the balance of all loans, both
//!   without written-off loans (off the books).
//! - Roll rates: the loans of each bucket at the end of the month before the latest by their
//!   bucket at the latest month's end (or closed: paid off or recovered in full in between).
//! - Vintages: for the loans that started in a month, the share more than 30 days past due at
//!   each later month end, by months on book (0 for the month they started); the share is of
//!   every loan of the vintage, so a loan paid off counts as not late.
//! - Cures: of the loans late at a month's end (days past due above zero, not written off),
//!   the share current (days past due zero) at the next month's end or paid off by then.
//! - Recoveries: for loans written off in a month, what they have paid since (what was written
//!   off, with its amendments, less what they still owe: nothing accrues on a written-off loan)
//!   over what was written off.
//! - Funnel and strategy arms: the contacts of a period of business dates (the whole record,
//!   the last days, or two dates; see [`arrears_store::Funnel`] and [`arrears_store::ArmLine`]
//!   for each step and measure).

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::{Amount, Bucket, Date};
use arrears_store::dashboard::{month_after, month_before};
use arrears_store::{ArmLine, BookLine, Funnel, Store, Tx};

use crate::AppError;

/// The dashboard's charts, each downloadable on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Book,
    Overdue,
    Roll,
    Vintage,
    Cure,
    Recovery,
    Funnel,
    Arms,
}

impl Chart {
    pub const ALL: [Chart; 8] =
        [Chart::Book, Chart::Overdue, Chart::Roll, Chart::Vintage, Chart::Cure, Chart::Recovery, Chart::Funnel, Chart::Arms];

    /// The chart's name in addresses and file names.
    pub fn code(self) -> &'static str {
        match self {
            Chart::Book => "book",
            Chart::Overdue => "overdue",
            Chart::Roll => "roll",
            Chart::Vintage => "vintage",
            Chart::Cure => "cure",
            Chart::Recovery => "recovery",
            Chart::Funnel => "funnel",
            Chart::Arms => "arms",
        }
    }

    pub fn parse(code: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A rate as its two counts (or amounts in minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub part: i64,
    pub whole: i64,
}

impl Ratio {
    /// The rate in percent with two decimals, rounded half up (`12.35`); `None` of nothing.
    pub fn percent(self) -> Option<String> {
        if self.whole <= 0 {
            return None;
        }
        let (part, whole) = (i128::from(self.part), i128::from(self.whole));
        let hundredths = (part * 20_000 + whole) / (2 * whole);
        let sign = if hundredths < 0 { "-" } else { "" };
        Some(format!("{sign}{}.{:02}", hundredths.abs() / 100, hundredths.abs() % 100))
    }
}

/// One month end's loans by bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthBuckets {
    /// `YYYY-MM`.
    pub month: String,
    /// `(bucket, loans, balance)` in bucket order.
    pub buckets: Vec<(String, i64, Amount)>,
    /// Balance of loans more than zero days past due over the balance of all loans, both
    /// without written-off loans.
    pub overdue_rate: Ratio,
}

/// Loans by bucket at two consecutive month ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roll {
    pub from_month: String,
    pub to_month: String,
    /// The buckets of the latest month's end, in order, then `closed` when any loan closed.
    pub columns: Vec<String>,
    /// `(bucket at the first month's end, loans in each column)`, in bucket order.
    pub rows: Vec<(String, Vec<i64>)>,
}

/// The name of the roll-rate column of loans with no row at the later month end.
pub const CLOSED: &str = "closed";

/// One vintage's curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vintage {
    /// `YYYY-MM` the loans started in.
    pub vintage: String,
    pub loans: i64,
    /// `(months on book, month end, loans more than 30 days past due)`.
    pub points: Vec<(i32, String, i64)>,
}

/// Loans late at one month's end and where they were at the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cure {
    pub month: String,
    pub next_month: String,
    pub late: i64,
    /// Current (days past due zero) at the next month's end.
    pub current: i64,
    /// No row at the next month's end: paid off by then.
    pub closed: i64,
}

impl Cure {
    pub fn rate(&self) -> Ratio {
        Ratio { part: self.current + self.closed, whole: self.late }
    }
}

/// Write-offs of one month and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub month: String,
    pub loans: i64,
    pub written_off: Amount,
    pub recovered: Amount,
}

impl Recovery {
    pub fn rate(&self) -> Ratio {
        Ratio { part: self.recovered.0, whole: self.written_off.0 }
    }
}

/// Everything the dashboard shows; a chart not asked for is left empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub business_date: Option<Date>,
    /// The currency shown, and every currency of the book.
    pub currency: Option<String>,
    pub currencies: Vec<String>,
    pub book: Vec<BookLine>,
    pub months: Vec<MonthBuckets>,
    pub roll: Option<Roll>,
    pub vintages: Vec<Vintage>,
    pub cures: Vec<Cure>,
    pub recoveries: Vec<Recovery>,
    /// The business dates of the contacts the funnel and the arms count (`None`: all).
    pub period: Option<(Date, Date)>,
    pub funnel: Funnel,
    pub arms: Vec<ArmLine>,
}

/// The business dates whose contacts the funnel and the strategy arms count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Every contact ever recorded.
    Whole,
    /// The last `n` business dates, the open one included.
    LastDays(u32),
    /// `from..=to`.
    Between(Date, Date),
}

/// The dashboard of the loans in `currency` (or the book's main currency), every chart or only
/// `only`, read in one snapshot; the funnel and the arms of the whole record.
pub fn dashboard(store: &mut Store, currency: Option<&str>, only: Option<Chart>) -> Result<Dashboard, AppError> {
    dashboard_for(store, currency, only, Period::Whole)
}

/// [`dashboard`] with the funnel and the arms of the contacts of `period`.
pub fn dashboard_for(
    store: &mut Store,
    currency: Option<&str>,
    only: Option<Chart>,
    period: Period,
) -> Result<Dashboard, AppError> {
    if let Period::Between(from, to) = period {
        if to < from {
            return Err(AppError::invalid("to", format!("{to} is before from {from}")));
        }
    }
    store.read(|tx| {
        let lines = tx.book_by_status()?;
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for l in &lines {
            *counts.entry(l.currency.as_str()).or_default() += l.loans;
        }
        let currencies: Vec<String> = counts.keys().map(|c| (*c).to_owned()).collect();
        let main = counts.iter().max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c))).map(|(c, _)| (*c).to_owned());
        let shown = currency.filter(|c| counts.contains_key(c)).map(str::to_owned).or(main);
        // A book of one currency needs no filter.
        let filter = shown.as_deref().filter(|_| currencies.len() > 1);
        let wants = |chart: Chart| only.is_none_or(|o| o == chart);
        let business_date = tx.business_date()?;
        let open = business_date.map(|d| d.add_days(1));
        let mut out = Dashboard { business_date, currencies, period: out_period(period, open), ..Dashboard::default() };
        let (from, to) = match out.period {
            Some((from, to)) => (from.to_string(), to.to_string()),
            None => (WHOLE_RECORD.0.to_owned(), WHOLE_RECORD.1.to_owned()),
        };
        if wants(Chart::Book) {
            out.book = lines.into_iter().filter(|l| Some(&l.currency) == shown.as_ref()).collect();
        }
        let needs_months = [Chart::Overdue, Chart::Roll, Chart::Vintage, Chart::Cure].into_iter().any(wants);
        let months = if needs_months { overdue(tx, filter)? } else { Vec::new() };
        let month_list: Vec<&str> = months.iter().map(|m| m.month.as_str()).collect();
        if wants(Chart::Roll) {
            out.roll = roll(tx, &month_list, filter)?;
        }
        if wants(Chart::Vintage) {
            out.vintages = vintages(tx, &month_list, filter)?;
        }
        if wants(Chart::Cure) {
            out.cures = cures(tx, filter)?;
        }
        if wants(Chart::Recovery) {
            out.recoveries = recoveries(tx, filter)?;
        }
        if wants(Chart::Funnel) {
            out.funnel = tx.funnel(&from, &to, filter)?;
        }
        if wants(Chart::Arms) {
            out.arms = tx.arm_lines(&from, &to, filter)?;
        }
        if wants(Chart::Overdue) {
            out.months = months;
        }
        out.currency = shown;
        Ok(out)
    })
}

/// The business dates the funnel and the arms cover for [`Period::Whole`]: all of them.
const WHOLE_RECORD: (&str, &str) = ("0000-01-01", "9999-12-31");

/// The dates of `period` when the open business day is `open` (`None`: the whole record, or
/// no day is open yet).
fn out_period(period: Period, open: Option<Date>) -> Option<(Date, Date)> {
    match period {
        Period::Whole => None,
        Period::LastDays(n) => open.map(|d| (d.add_days(1 - n.max(1) as i32), d)),
        Period::Between(from, to) => Some((from, to)),
    }
}

/// `YYYY-MM` as a count of months (months on book are differences of two).
fn month_index(month: &str) -> Option<i32> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// Where a bucket sorts: the core's order, unknown labels (and [`CLOSED`]) last.
pub fn bucket_order(label: &str) -> usize {
    Bucket::parse(label).and_then(|b| Bucket::ALL.iter().position(|x| *x == b)).unwrap_or(Bucket::ALL.len())
}

fn overdue(tx: &mut Tx<'_>, currency: Option<&str>) -> Result<Vec<MonthBuckets>, AppError> {
    let mut out: Vec<MonthBuckets> = Vec::new();
    for row in tx.months_by_bucket(currency)? {
        if out.last().is_none_or(|m| m.month != row.month) {
            out.push(MonthBuckets { month: row.month.clone(), buckets: Vec::new(), overdue_rate: Ratio { part: 0, whole: 0 } });
        }
        let month = out.last_mut().expect("just pushed");
        if row.bucket != Bucket::WrittenOff.label() {
            month.overdue_rate.part += row.late_balance;
            month.overdue_rate.whole += row.balance;
        }
        month.buckets.push((row.bucket, row.loans, Amount(row.balance)));
    }
    for m in &mut out {
        m.buckets.sort_by_key(|(b, _, _)| bucket_order(b));
    }
    Ok(out)
}

fn roll(tx: &mut Tx<'_>, months: &[&str], currency: Option<&str>) -> Result<Option<Roll>, AppError> {
    let Some(to) = months.last() else { return Ok(None) };
    let Some(from) = month_before(to).filter(|f| months.contains(&f.as_str())) else {
        return Ok(None);
    };
    let counts = tx.roll_counts(to, currency)?;
    let label = |b: &Option<String>| b.clone().unwrap_or_else(|| CLOSED.to_owned());
    let mut columns: Vec<String> = counts.iter().map(|c| label(&c.to_bucket)).collect::<BTreeSet<_>>().into_iter().collect();
    columns.sort_by_key(|c| bucket_order(c));
    let mut from_buckets: Vec<String> =
        counts.iter().map(|c| c.from_bucket.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    from_buckets.sort_by_key(|b| bucket_order(b));
    let rows = from_buckets
        .into_iter()
        .map(|b| {
            let cells = columns
                .iter()
                .map(|col| counts.iter().filter(|c| c.from_bucket == b && &label(&c.to_bucket) == col).map(|c| c.loans).sum())
                .collect();
            (b, cells)
        })
        .collect();
    Ok(Some(Roll { from_month: from, to_month: (*to).to_owned(), columns, rows }))
}

fn vintages(tx: &mut Tx<'_>, months: &[&str], currency: Option<&str>) -> Result<Vec<Vintage>, AppError> {
    let mut by_vintage: BTreeMap<String, Vec<arrears_store::VintageLate>> = BTreeMap::new();
    for row in tx.vintage_months(currency)? {
        by_vintage.entry(row.vintage.clone()).or_default().push(row);
    }
    let mut out = Vec::new();
    for (vintage, rows) in by_vintage {
        let Some(start) = month_index(&vintage) else { continue };
        // The vintage's loans as the latest month end counted them.
        let loans = rows.last().map_or(0, |r| r.loans);
        let points: Vec<(i32, String, i64)> = months
            .iter()
            .filter_map(|m| month_index(m).filter(|i| *i >= start).map(|i| (i - start, (*m).to_owned())))
            .map(|(mob, m)| {
                let n = rows.iter().find(|r| r.month == m).map_or(0, |r| r.late);
                (mob, m, n)
            })
            .collect();
        if !points.is_empty() {
            out.push(Vintage { vintage, loans, points });
        }
    }
    Ok(out)
}

fn cures(tx: &mut Tx<'_>, currency: Option<&str>) -> Result<Vec<Cure>, AppError> {
    let mut out: BTreeMap<String, Cure> = BTreeMap::new();
    for c in tx.cure_counts(currency)? {
        let next = month_after(&c.month).unwrap_or_default();
        let cure = out.entry(c.month.clone()).or_insert_with(|| Cure {
            month: c.month.clone(),
            next_month: next,
            late: 0,
            current: 0,
            closed: 0,
        });
        cure.late += c.loans;
        if c.closed {
            cure.closed += c.loans;
        } else if c.current {
            cure.current += c.loans;
        }
    }
    Ok(out.into_values().collect())
}

fn recoveries(tx: &mut Tx<'_>, currency: Option<&str>) -> Result<Vec<Recovery>, AppError> {
    Ok(tx
        .write_offs_by_month(currency)?
        .into_iter()
        .map(|w| Recovery {
            month: w.month,
            loans: w.loans,
            written_off: Amount(w.written_off),
            recovered: Amount(w.written_off - w.still_owed),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded_half_up_from_integers() {
        assert_eq!(Ratio { part: 1, whole: 3 }.percent().as_deref(), Some("33.33"));
        assert_eq!(Ratio { part: 2, whole: 3 }.percent().as_deref(), Some("66.67"));
        assert_eq!(Ratio { part: 1, whole: 8 }.percent().as_deref(), Some("12.50"));
        assert_eq!(Ratio { part: 1, whole: 80_000 }.percent().as_deref(), Some("0.00"));
        assert_eq!(Ratio { part: 5, whole: 5 }.percent().as_deref(), Some("100.00"));
        assert_eq!(Ratio { part: 0, whole: 0 }.percent(), None);
    }

    #[test]
    fn months_count_across_years() {
        assert_eq!(month_before("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(month_after("2025-12").as_deref(), Some("2026-01"));
        assert_eq!(month_index("2026-01").map(|i| i - month_index("2025-12").unwrap_or(0)), Some(1));
        assert_eq!(month_index("2026-13"), None);
        assert!(bucket_order("M0") < bucket_order("M0-grace") && bucket_order("M7+") < bucket_order(CLOSED));
    }
}
