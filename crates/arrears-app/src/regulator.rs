//! The monthly report for the regulator: the five-category classification and the overdue
//! buckets at the month's end (loans, balance, amount overdue), complaints by category and
//! timeliness, and disputes with their timeliness.

use arrears_store::{MonthTotal, Store};

use crate::complaints::{self, Stats};
use crate::settings::Timeliness;
use crate::AppError;

/// The month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatorReport {
    pub month: String,
    pub classes: Vec<MonthTotal>,
    pub buckets: Vec<MonthTotal>,
    pub complaints: Stats,
    pub disputes: Timeliness,
}

/// The report of `month` (`YYYY-MM`), whose last day must be closed and recorded.
pub fn report(store: &mut Store, month: &str) -> Result<RegulatorReport, AppError> {
    let (first, end) = crate::bureau::closed_month(store, month)?;
    let (classes, buckets, all) = store.read(|tx| {
        let disputes = tx.all_disputes_until(end)?;
        Ok::<_, AppError>((tx.month_totals(month, "class")?, tx.month_totals(month, "bucket")?, disputes))
    })?;
    let mut disputes = Timeliness::default();
    for d in all {
        disputes.count(d.opened_on, d.deadline, d.resolved_on, first, end);
    }
    Ok(RegulatorReport { month: month.to_owned(), classes, buckets, complaints: complaints::stats(store, month)?, disputes })
}
