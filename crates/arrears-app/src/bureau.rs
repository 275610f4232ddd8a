//! Credit reporting: the month's records for the bureau, from each loan's month-end rows.
//!
//! A month is furnished once its last day is closed and its month-end step has recorded every
//! active loan's month. Each loan opened by then and not closed before the month gets a record:
//! the month-end balance, amount overdue, months overdue and class, this month's code, and the
//! 24-month string — `N` paid as agreed, `1`…`7` by days overdue, `*` nothing due, `C` the
//! month the loan was settled, `/` before the loan was opened or before Arrears kept its months.

use arrears_bureau::{history_string, ChinaRecord, Furnisher, MonthCode};
use arrears_core::{Amount, Classification, Date, LoanStatus};
use arrears_store::{LoanRecord, MonthRow, Store};

use crate::risk::month_key;
use crate::AppError;

/// The months since 0000-01 of a date's month.
fn index(date: Date) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

fn key_of(index: i64) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// A month row's code.
fn code(row: &MonthRow) -> MonthCode {
    if row.dpd > 0 {
        MonthCode::from_dpd(row.dpd as u32)
    } else if row.status == -2 {
        MonthCode::NothingDue
    } else {
        MonthCode::AsAgreed
    }
}

/// The record of `loan` for the month with index `m`, from its month rows (any order).
pub fn record(loan: &LoanRecord, rows: &[MonthRow], m: i64) -> Option<ChinaRecord> {
    let opened = index(loan.terms.start_date());
    let closed = loan.state.closed_on.map(index);
    if opened > m || closed.is_some_and(|c| c < m) {
        return None;
    }
    let settled = loan.state.status == LoanStatus::PaidOff;
    let month_code = |k: i64| -> MonthCode {
        if closed == Some(k) {
            return if settled { MonthCode::Settled } else { MonthCode::BadDebt };
        }
        rows.iter().find(|r| r.month == key_of(k)).map_or(MonthCode::NotOpened, code)
    };
    let codes: Vec<MonthCode> = (opened.max(m - 23)..=m).map(month_code).collect();
    let this = rows.iter().find(|r| r.month == key_of(m));
    let closed_now = closed == Some(m);
    if this.is_none() && !closed_now {
        // No month-end row: the loan was not active at the month's end in Arrears' record.
        return None;
    }
    let (balance, overdue, dpd, class) = match (closed_now, this) {
        (false, Some(r)) => {
            (Amount(r.balance), Amount(r.overdue), r.dpd, Classification::parse(&r.class).unwrap_or(loan.state.class))
        }
        _ => (Amount::ZERO, Amount::ZERO, 0, loan.state.class),
    };
    Some(ChinaRecord {
        account: loan.loan_no.clone(),
        borrower: loan.borrower_id.clone(),
        month: key_of(m),
        opened: loan.terms.start_date().to_string(),
        currency: loan.terms.currency().code().to_owned(),
        principal: loan.terms.principal(),
        balance,
        overdue,
        months_overdue: (dpd.max(0) as u32).div_ceil(30),
        class,
        status: codes.last().map_or('/', |c| c.char()),
        history: history_string(&codes),
    })
}

/// Writes the records of `month` (`YYYY-MM`) to `out`; returns how many.
pub fn furnish_china(store: &mut Store, month: &str, out: &mut dyn Furnisher) -> Result<usize, AppError> {
    let bad = || AppError::invalid("month", format!("`{month}` is not a month: write YYYY-MM"));
    let first: Date = format!("{month}-01").parse().map_err(|_| bad())?;
    if month.len() != 7 {
        return Err(bad());
    }
    let end = first.add_months(1).add_days(-1);
    let (business, run) = store.read(|tx| Ok::<_, AppError>((tx.business_date()?, tx.risk_run(month)?)))?;
    if business.is_none_or(|b| b < end) || run.as_deref() != Some("done") {
        return Err(AppError::invalid(
            "month",
            format!("{month} is not closed and recorded yet: its last day {end} must be closed by `arrears eod`"),
        ));
    }
    let m = index(end);
    let after = month_key(first.add_months(-24).add_months(1).add_days(-1));
    let mut written = 0;
    let mut after_seq = 0;
    loop {
        let page = store.read(|tx| tx.loans_page(after_seq, 2_000))?;
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        let seqs: Vec<i64> = page.iter().map(|l| l.seq).collect();
        let months = store.read(|tx| tx.months_of(&seqs, &after, month))?;
        for loan in &page {
            let rows = months.get(&loan.seq).map_or(&[][..], Vec::as_slice);
            if let Some(r) = record(loan, rows, m) {
                out.record(&r).map_err(|e| AppError::Io(e.to_string()))?;
                written += 1;
            }
        }
    }
    out.finish().map_err(|e| AppError::Io(e.to_string()))?;
    Ok(written)
}
