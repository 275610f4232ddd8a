//! The monthly report for the regulator: the five-category classification and the overdue
//! buckets at the month's end (loans, balance, amount overdue), complaints by category and
//! timeliness, and disputes with their timeliness.

use arrears_core::Date;
use arrears_store::{MonthTotal, Store};

use crate::complaints::{self, Stats};
use crate::AppError;

/// Disputes of a month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisputeStats {
    pub received: usize,
    pub answered_in_time: usize,
    pub answered_late: usize,
    /// Open at the month's end, and of those past their deadline.
    pub open: usize,
    pub open_overdue: usize,
}

/// The month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorReport {
    pub month: String,
    pub classes: Vec<MonthTotal>,
    pub buckets: Vec<MonthTotal>,
    pub complaints: Stats,
    pub disputes: DisputeStats,
}

/// The report of `month` (`YYYY-MM`), whose last day must be closed and recorded.
pub fn report(store: &mut Store, month: &str) -> Result<RegulatorReport, AppError> {
    let first: Date = format!("{month}-01")
        .parse()
        .ok()
        .filter(|_| month.len() == 7)
        .ok_or_else(|| AppError::invalid("month", format!("`{month}` is not a month: write YYYY-MM")))?;
    let end = first.add_months(1).add_days(-1);
    let (business, run) = store.read(|tx| Ok::<_, AppError>((tx.business_date()?, tx.risk_run(month)?)))?;
    if business.is_none_or(|b| b < end) || run.as_deref() != Some("done") {
        return Err(AppError::invalid(
            "month",
            format!("{month} is not closed and recorded yet: its last day {end} must be closed"),
        ));
    }
    let (classes, buckets, all) = store.read(|tx| {
        let disputes = tx.all_disputes_until(end)?;
        Ok::<_, AppError>((tx.month_totals(month, "class")?, tx.month_totals(month, "bucket")?, disputes))
    })?;
    let mut disputes = DisputeStats::default();
    for d in all {
        if d.opened_on >= first {
            disputes.received += 1;
        }
        match d.resolved_on {
            Some(on) if on <= end => {
                if on >= first {
                    if on <= d.deadline {
                        disputes.answered_in_time += 1;
                    } else {
                        disputes.answered_late += 1;
                    }
                }
            }
            _ => {
                disputes.open += 1;
                disputes.open_overdue += usize::from(d.deadline < end);
            }
        }
    }
    Ok(RegulatorReport { month: month.to_owned(), classes, buckets, complaints: complaints::stats(store, month)?, disputes })
}
