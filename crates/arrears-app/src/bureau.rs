//! Credit reporting: the month's records for the bureau, from each loan's month-end rows.
//!
//! A month is furnished once its last day is closed and its month-end step has recorded every
//! active loan's month. Each loan opened by then and not closed before the month gets a record:
//! the month-end balance, amount overdue, months overdue and class, this month's code, and the
//! 24-month string — `N` paid as agreed, `1`…`7` by days overdue, `B` written off (bad debt)
//! and not yet recovered in full, `*` nothing due, `C` the month the loan was settled (paid off,
//! or a written-off loan recovered in full), `/` before the loan was opened or before Arrears
//! kept its months.
//!
//! A loan's first overdue status is reported only once the borrower has been told it will be
//! (征信业管理条例 art. 15): a credit-report notice sent and not stopped on its way at least
//! [`NOTICE_DAYS`] days before the month's end. Until then its record is held back, and the
//! next month's record carries the true history.

use arrears_bureau::{history_string, ChinaRecord, Furnisher, MonthCode};
use arrears_core::{Amount, Bucket, Classification, Date};
use arrears_store::{LoanRecord, MonthRow, Store};

use crate::risk::month_key;
use crate::AppError;

use arrears_bureau::{month_key as key_of, month_of as index};

/// A month row's code.
fn code(row: &MonthRow) -> MonthCode {
    if row.bucket == Bucket::WrittenOff.label() {
        MonthCode::BadDebt
    } else if row.dpd > 0 {
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
    let month_code = |k: i64| -> MonthCode {
        if closed == Some(k) {
            return MonthCode::Settled;
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
        disputed: false,
    })
}

/// Days between the notice and the month end of a first negative report, unless the meta key
/// `credit.notice_days` says otherwise.
pub const NOTICE_DAYS: i64 = 7;
/// The template whose contact tells a borrower of the coming report.
pub const NOTICE_TEMPLATE: &str = "credit-report-notice";

/// What a furnishing run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FurnishReport {
    pub written: usize,
    /// Records held back because they would be the loan's first negative information and the
    /// borrower has not been told yet.
    pub withheld: usize,
}

/// A month's furnishing, written but not yet recorded: [`Furnishing::commit`] records it once
/// the file is safely in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Furnishing {
    pub month: String,
    /// `cn` or `us`.
    pub pack: &'static str,
    pub report: FurnishReport,
    /// `(loan_seq, status, negative, withheld)` for each record.
    log: Vec<(i64, String, bool, bool)>,
}

impl Furnishing {
    pub(crate) fn new(month: &str, pack: &'static str, report: FurnishReport, log: Vec<(i64, String, bool, bool)>) -> Furnishing {
        Furnishing { month: month.to_owned(), pack, report, log }
    }

    /// Records the run: what was reported and what was held back, as a new run of the month.
    pub fn commit(&self, store: &mut Store) -> Result<i64, AppError> {
        store.transaction(|tx| {
            let run = tx.record_credit_reports(&self.month, self.pack, &self.log)?;
            let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
            tx.audit(
                date,
                crate::SYSTEM_ACTOR,
                "credit-furnish",
                &self.month,
                &format!(
                    "{{\"pack\":\"{}\",\"run\":{run},\"written\":{},\"withheld\":{}}}",
                    self.pack, self.report.written, self.report.withheld
                ),
            )?;
            Ok(run)
        })
    }
}

/// Whether a record carries negative information: an overdue or bad-debt code anywhere in its
/// 24 months.
fn negative(record: &ChinaRecord) -> bool {
    record.history.chars().any(|c| c.is_ascii_digit() || c == 'B')
}

/// The first and last days of `month` (`YYYY-MM`), once its last day is closed and its
/// month-end rows recorded: what furnishing and the regulator's report read from.
pub fn closed_month(store: &mut Store, month: &str) -> Result<(Date, Date), AppError> {
    let (first, end) = arrears_bureau::month_span(month)
        .ok_or_else(|| AppError::invalid("month", format!("`{month}` is not a month: write YYYY-MM")))?;
    let (business, run) = store.read(|tx| Ok::<_, AppError>((tx.business_date()?, tx.risk_run(month)?)))?;
    if business.is_none_or(|b| b < end) || run.as_deref() != Some("done") {
        return Err(AppError::invalid(
            "month",
            format!("{month} is not closed and recorded yet: its last day {end} must be closed by `arrears eod`"),
        ));
    }
    Ok((first, end))
}

/// Writes the records of `month` (`YYYY-MM`) to `out` and returns what to record once the
/// file is in place. Nothing is recorded here.
pub fn furnish_china(store: &mut Store, month: &str, out: &mut dyn Furnisher) -> Result<Furnishing, AppError> {
    let (first, end) = closed_month(store, month)?;
    let m = index(end);
    let after = month_key(first.add_months(-24).add_months(1).add_days(-1));
    let notice_days = store.read(|tx| crate::settings::number(tx, "credit.notice_days", 0..=60, NOTICE_DAYS))? as i32;
    // Told in time: sent by the end of the day `notice_days` before the month's end, anywhere.
    let told_by = crate::collect::day_start_utc(end.add_days(1 - notice_days)) - 1;
    let mut furnishing = Furnishing::new(month, "cn", FurnishReport::default(), Vec::new());
    let mut after_seq = 0;
    loop {
        let page = store.read(|tx| tx.loans_page(after_seq, 2_000))?;
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        let seqs: Vec<i64> = page.iter().map(|l| l.seq).collect();
        let (months, disputed) =
            store.read(|tx| Ok::<_, AppError>((tx.months_of(&seqs, &after, month)?, tx.disputed_on(&seqs, end)?)))?;
        let mut records: Vec<(i64, ChinaRecord)> = page
            .iter()
            .filter_map(|loan| record(loan, months.get(&loan.seq).map_or(&[][..], Vec::as_slice), m).map(|r| (loan.seq, r)))
            .collect();
        for (seq, r) in &mut records {
            r.disputed = disputed.contains(seq);
        }
        let with_negative: Vec<i64> = records.iter().filter(|(_, r)| negative(r)).map(|(s, _)| *s).collect();
        let (reported, told) = store.read(|tx| {
            Ok::<_, AppError>((
                tx.reported_negative_before(&with_negative, "cn", month)?,
                tx.told_with(&with_negative, NOTICE_TEMPLATE, told_by)?,
            ))
        })?;
        for (seq, r) in &records {
            let neg = negative(r);
            let held = neg && !reported.contains(seq) && !told.contains(seq);
            furnishing.log.push((*seq, r.status.to_string(), neg, held));
            if held {
                furnishing.report.withheld += 1;
            } else {
                out.record(r).map_err(|e| AppError::Io(e.to_string()))?;
                furnishing.report.written += 1;
            }
        }
    }
    out.finish().map_err(|e| AppError::Io(e.to_string()))?;
    Ok(furnishing)
}

/// A loan's credit history as the borrower sees it: each recorded month's code, oldest first,
/// and its negative marks with when each ages out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditHistory {
    pub months: Vec<(String, MonthCode)>,
    pub marks: Vec<arrears_bureau::Mark>,
    /// Years a mark stays: five in China (征信业管理条例 art. 16), seven in the US (FCRA
    /// §605).
    pub mark_years: i64,
    /// For each month a furnishing run covered (its latest run): the code sent, and whether it
    /// was held back.
    pub furnished: std::collections::BTreeMap<String, (String, bool)>,
}

/// The credit history of `loan_no` from its month-end rows.
pub fn history(store: &mut Store, loan_no: &str) -> Result<CreditHistory, AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let rows = tx.months_of(&[loan.seq], "0000-00", "9999-12")?.remove(&loan.seq).unwrap_or_default();
        let mut months: Vec<(String, MonthCode)> = rows.iter().map(|r| (r.month.clone(), code(r))).collect();
        if let Some(closed) = loan.state.closed_on {
            let key = key_of(index(closed));
            if !months.iter().any(|(m, _)| *m == key) {
                months.push((key, MonthCode::Settled));
            }
        }
        let mark_years = if loan.terms.currency() == arrears_core::Currency::Usd { 7 } else { arrears_bureau::china::MARK_YEARS };
        let marks = arrears_bureau::negative_marks(&months, mark_years);
        let pack = if loan.terms.currency() == arrears_core::Currency::Usd { "us" } else { "cn" };
        let furnished = tx.furnished_months(loan.seq, pack)?;
        Ok(CreditHistory { months, marks, mark_years, furnished })
    })
}
