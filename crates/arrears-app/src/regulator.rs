//! The monthly report for the regulator: the five-category classification and the overdue
//! buckets at the month's end (loans, balance, amount overdue; written-off loans are off the
//! books, so they count in their bucket and in no class), the month's write-offs and
//! recoveries, complaints by category and timeliness, and disputes with their timeliness.

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
    /// Write-offs made in the month and money recovered on written-off loans, by currency.
    pub write_offs: Vec<WriteOffTotal>,
}

/// A month's write-offs and recoveries in one currency (minor units).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteOffTotal {
    pub currency: String,
    pub loans: usize,
    pub written_off: i64,
    pub recovered: i64,
}

/// The report of `month` (`YYYY-MM`), whose last day must be closed and recorded.
pub fn report(store: &mut Store, month: &str) -> Result<RegulatorReport, AppError> {
    let (first, end) = crate::bureau::closed_month(store, month)?;
    let (classes, buckets, all, made, recovered) = store.read(|tx| {
        let disputes = tx.all_disputes_until(end)?;
        let made = tx.write_offs_between(first, end)?;
        let recovered = tx.recoveries_between(first, end)?;
        Ok::<_, AppError>((tx.month_totals(month, "class")?, tx.month_totals(month, "bucket")?, disputes, made, recovered))
    })?;
    let mut write_offs: std::collections::BTreeMap<String, WriteOffTotal> = std::collections::BTreeMap::new();
    for w in made {
        let t =
            write_offs.entry(w.currency.clone()).or_insert_with(|| WriteOffTotal { currency: w.currency, ..Default::default() });
        t.loans += 1;
        t.written_off += w.amount.total().0;
    }
    for (currency, amount) in recovered {
        write_offs.entry(currency.clone()).or_insert_with(|| WriteOffTotal { currency, ..Default::default() }).recovered +=
            amount;
    }
    let mut disputes = Timeliness::default();
    for d in all {
        disputes.count(d.opened_on, d.deadline, d.resolved_on, first, end);
    }
    Ok(RegulatorReport {
        month: month.to_owned(),
        classes,
        buckets,
        complaints: complaints::stats(store, month)?,
        disputes,
        write_offs: write_offs.into_values().collect(),
    })
}
