//! Queries of the console's dashboard: the book by currency and status, the month-end rows by
//! month and bucket, bucket moves between two month ends, vintages, cures, recoveries after
//! write-off, the collection funnel and the strategy arms. Every figure is an aggregate made
//! by the database; the caller gets a few hundred rows at most, whatever the book's size.
//!
//! The figures of month ends are counted once, when the month-end step has recorded the
//! month's rows ([`Tx::record_month_figures`], into `month_buckets`, `month_rolls`,
//! `month_cures` and `month_vintages`), and read from there: a chart of a book of millions of
//! loans reads a few rows a month, not every loan's months.
//!
//! Each query takes the currency of the loans it counts (`None`: every loan, for a book of one
//! currency), since amounts of two currencies are never added. Months are `YYYY-MM` text and
//! are only ever compared or grouped here: which months follow which is the caller's to say.

use std::collections::BTreeMap;

use crate::conn::{Row, Value};
use crate::{StoreError, Tx};

/// Loans and what they owe, of one currency and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLine {
    pub currency: String,
    pub status: String,
    pub loans: i64,
    /// Minor units.
    pub principal_outstanding: i64,
    pub total_outstanding: i64,
}

/// The loans of one bucket at one month's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub bucket: String,
    pub loans: i64,
    /// Everything they owed at the month's end (minor units).
    pub balance: i64,
    /// The part of `balance` owed by loans with days past due above zero.
    pub late_balance: i64,
}

/// Loans of one bucket at the first month's end by where they were at the second's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollCount {
    pub from_bucket: String,
    /// `None`: the loan had no row at the second month's end (paid off, or recovered in full).
    pub to_bucket: Option<String>,
    pub loans: i64,
}

/// The loans of one vintage (the month they started) at a month's end, and those of them more
/// than 30 days past due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VintageLate {
    /// `YYYY-MM` of the loans' start date.
    pub vintage: String,
    /// `YYYY-MM` of the month end.
    pub month: String,
    pub loans: i64,
    pub late: i64,
}

/// Loans late at a month's end (not written off), by where they were at the next month's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CureCount {
    /// `YYYY-MM`: the month the loans were late at the end of.
    pub month: String,
    /// The loans had no row at the next month's end: they closed (paid off) in between.
    pub closed: bool,
    /// The next month's row found them current (days past due zero).
    pub current: bool,
    pub loans: i64,
}

/// Write-offs of one month: what was written off and what those loans still owe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOffMonth {
    /// `YYYY-MM` of the write-off date.
    pub month: String,
    pub loans: i64,
    /// What was written off, with every amendment since (minor units).
    pub written_off: i64,
    /// What those loans owe now.
    pub still_owed: i64,
}

/// The collection funnel of contacts recorded in a period. Each step is part of the one
/// before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    /// Every contact recorded: each planned message and each dial, allowed or blocked.
    pub attempted: i64,
    /// Those the policy pack allowed.
    pub allowed: i64,
    /// Allowed messages a provider took (an event `sent`) and no receipt reported undelivered,
    /// and allowed calls (each one a dial made).
    pub delivered: i64,
    /// Calls that reached the debtor (an event `connected`).
    pub connected: i64,
    /// Calls on which the debtor promised to pay.
    pub promised: i64,
    /// Promises judged kept (the amount received by the promised date).
    pub kept: i64,
}

/// One strategy arm's contacts and results in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArmLine {
    pub strategy: String,
    pub arm: String,
    /// Loans with any contact of the arm recorded, allowed or blocked.
    pub loans: i64,
    pub allowed: i64,
    pub blocked: i64,
    /// Call tasks the arm planned.
    pub call_tasks: i64,
    pub promises: i64,
    pub kept: i64,
    /// Loans with an allowed collection contact of the arm (reminders before a due date do
    /// not count).
    pub collected_loans: i64,
    /// Of those, the loans now current (days past due zero) or paid off; a written-off loan is
    /// not, even recovered in full.
    pub current_now: i64,
    /// Posted payments of those loans dated on or after their first such contact (minor units).
    pub paid_since: i64,
}

/// ` AND {column} IN (loans of the currency)`, with the currency as parameter `$n`, or nothing.
fn only(column: &str, currency: Option<&str>, n: usize) -> String {
    match currency {
        Some(_) => format!(" AND {column} IN (SELECT seq FROM loans WHERE currency = ${n})"),
        None => String::new(),
    }
}

/// ` WHERE currency = $1`, or nothing: the month-end figures of one currency, or of all.
fn currency_filter(currency: Option<&str>) -> &'static str {
    if currency.is_some() {
        " WHERE currency = $1"
    } else {
        ""
    }
}

/// The month before `YYYY-MM`.
pub fn month_before(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    match m {
        1 => Some(format!("{:04}-12", y - 1)),
        2..=12 => Some(format!("{y:04}-{:02}", m - 1)),
        _ => None,
    }
}

/// The month after `YYYY-MM`.
pub fn month_after(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    match m {
        12 => Some(format!("{:04}-01", y + 1)),
        1..=11 => Some(format!("{y:04}-{:02}", m + 1)),
        _ => None,
    }
}

/// The parameters of a query: `first`, then the currency when one is asked for.
fn params(first: Vec<Value>, currency: Option<&str>) -> Vec<Value> {
    let mut out = first;
    if let Some(c) = currency {
        out.push(Value::from(c));
    }
    out
}

/// The line of the arm named by a row's first two columns.
fn arm_of<'a>(arms: &'a mut BTreeMap<(String, String), ArmLine>, r: &Row) -> Result<&'a mut ArmLine, StoreError> {
    let key = (text(r, 0)?, text(r, 1)?);
    Ok(arms.entry(key.clone()).or_insert_with(|| ArmLine { strategy: key.0, arm: key.1, ..ArmLine::default() }))
}

fn text(r: &Row, i: usize) -> Result<String, StoreError> {
    r.text(i).map(str::to_owned)
}

impl Tx<'_> {
    /// Loans, principal and everything owed, by currency and status.
    pub fn book_by_status(&mut self) -> Result<Vec<BookLine>, StoreError> {
        let rows = self.conn.query(
            "SELECT currency, status, count(*), CAST(COALESCE(SUM(principal_outstanding), 0) AS BIGINT), \
             CAST(COALESCE(SUM(total_outstanding), 0) AS BIGINT) FROM loans GROUP BY currency, status ORDER BY currency, status",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(BookLine {
                    currency: text(r, 0)?,
                    status: text(r, 1)?,
                    loans: r.int(2)?,
                    principal_outstanding: r.int(3)?,
                    total_outstanding: r.int(4)?,
                })
            })
            .collect()
    }

    /// Counts the month ending `month` (`YYYY-MM`) into the month-end figures, with the moves
    /// from `previous` (the month before, which the caller names): loans by bucket, rolls,
    /// the cures of the loans late at `previous`'s end, and vintages. Counting a month again
    /// replaces its figures.
    pub fn record_month_figures(&mut self, month: &str, previous: &str) -> Result<(), StoreError> {
        for table in ["month_buckets", "month_rolls", "month_vintages"] {
            self.conn.execute(&format!("DELETE FROM {table} WHERE month = $1"), &[month.into()])?;
        }
        self.conn.execute("DELETE FROM month_cures WHERE month = $1", &[previous.into()])?;
        let (m, p) = (Value::from(month), Value::from(previous));
        self.conn.execute(
            "INSERT INTO month_buckets (month, currency, bucket, loans, balance, late_balance) \
             SELECT $1, l.currency, m.bucket, count(*), CAST(SUM(m.balance) AS BIGINT), \
             CAST(SUM(CASE WHEN m.dpd > 0 THEN m.balance ELSE 0 END) AS BIGINT) \
             FROM loan_months m JOIN loans l ON l.seq = m.loan_seq WHERE m.month = $1 GROUP BY l.currency, m.bucket",
            std::slice::from_ref(&m),
        )?;
        self.conn.execute(
            "INSERT INTO month_rolls (month, currency, from_bucket, to_bucket, loans) \
             SELECT $1, l.currency, a.bucket, COALESCE(b.bucket, ''), count(*) FROM loan_months a \
             JOIN loans l ON l.seq = a.loan_seq LEFT JOIN loan_months b ON b.loan_seq = a.loan_seq AND b.month = $1 \
             WHERE a.month = $2 GROUP BY l.currency, a.bucket, COALESCE(b.bucket, '')",
            &[m.clone(), p.clone()],
        )?;
        self.conn.execute(
            "INSERT INTO month_cures (month, currency, closed, current, loans) \
             SELECT $2, l.currency, CASE WHEN b.loan_seq IS NULL THEN 1 ELSE 0 END, CASE WHEN b.dpd = 0 THEN 1 ELSE 0 END, count(*) \
             FROM loan_months a JOIN loans l ON l.seq = a.loan_seq \
             LEFT JOIN loan_months b ON b.loan_seq = a.loan_seq AND b.month = $1 \
             WHERE a.month = $2 AND a.dpd > 0 AND a.bucket <> 'written-off' \
             GROUP BY l.currency, CASE WHEN b.loan_seq IS NULL THEN 1 ELSE 0 END, CASE WHEN b.dpd = 0 THEN 1 ELSE 0 END",
            &[m.clone(), p],
        )?;
        self.conn.execute(
            "INSERT INTO month_vintages (month, currency, vintage, loans, late) \
             SELECT $1, v.currency, v.vintage, v.loans, COALESCE(x.late, 0) FROM \
             (SELECT currency, SUBSTR(start_date, 1, 7) AS vintage, count(*) AS loans FROM loans \
              WHERE SUBSTR(start_date, 1, 7) <= $1 GROUP BY currency, SUBSTR(start_date, 1, 7)) v \
             LEFT JOIN (SELECT l.currency, SUBSTR(l.start_date, 1, 7) AS vintage, count(*) AS late \
              FROM loan_months m JOIN loans l ON l.seq = m.loan_seq WHERE m.month = $1 AND m.dpd > 30 \
              GROUP BY l.currency, SUBSTR(l.start_date, 1, 7)) x ON x.currency = v.currency AND x.vintage = v.vintage",
            &[m],
        )?;
        Ok(())
    }

    /// Counts again the figures a changed month row of `month` touches (a dispute corrected
    /// it): that month's, and the next month's moves from it, for the months already counted.
    pub fn recount_month_figures(&mut self, month: &str) -> Result<(), StoreError> {
        let done = |tx: &mut Tx<'_>, m: &str| -> Result<bool, StoreError> { Ok(tx.risk_run(m)?.as_deref() == Some("done")) };
        if let Some(previous) = month_before(month) {
            if done(self, month)? {
                self.record_month_figures(month, &previous)?;
            }
        }
        if let Some(next) = month_after(month) {
            if done(self, &next)? {
                self.record_month_figures(&next, month)?;
            }
        }
        Ok(())
    }

    /// Counts every month the month-end step finished before the figures existed (the
    /// upgrade to schema 10).
    pub(crate) fn backfill_month_figures(&mut self) -> Result<(), StoreError> {
        let rows = self.conn.query("SELECT month FROM risk_runs WHERE status = 'done' ORDER BY month", &[])?;
        for r in &rows {
            let month = r.text(0)?.to_owned();
            if let Some(previous) = month_before(&month) {
                self.record_month_figures(&month, &previous)?;
            }
        }
        Ok(())
    }

    /// The month-end rows by month and bucket, oldest month first.
    pub fn months_by_bucket(&mut self, currency: Option<&str>) -> Result<Vec<BucketMonth>, StoreError> {
        let sql = format!(
            "SELECT month, bucket, CAST(SUM(loans) AS BIGINT), CAST(SUM(balance) AS BIGINT), CAST(SUM(late_balance) AS BIGINT) \
             FROM month_buckets{} GROUP BY month, bucket ORDER BY month, bucket",
            currency_filter(currency)
        );
        let rows = self.conn.query(&sql, &params(vec![], currency))?;
        rows.iter()
            .map(|r| {
                Ok(BucketMonth {
                    month: text(r, 0)?,
                    bucket: text(r, 1)?,
                    loans: r.int(2)?,
                    balance: r.int(3)?,
                    late_balance: r.int(4)?,
                })
            })
            .collect()
    }

    /// Loans by their bucket at the end of the month before `to` and at the end of `to`: a
    /// loan with a row at the first and none at the second closed in between.
    pub fn roll_counts(&mut self, to: &str, currency: Option<&str>) -> Result<Vec<RollCount>, StoreError> {
        let and = if currency.is_some() { " AND currency = $2" } else { "" };
        let sql = format!(
            "SELECT from_bucket, to_bucket, CAST(SUM(loans) AS BIGINT) FROM month_rolls WHERE month = $1{and} \
             GROUP BY from_bucket, to_bucket ORDER BY from_bucket, to_bucket"
        );
        let rows = self.conn.query(&sql, &params(vec![to.into()], currency))?;
        rows.iter()
            .map(|r| {
                let to_bucket = text(r, 1)?;
                Ok(RollCount { from_bucket: text(r, 0)?, to_bucket: Some(to_bucket).filter(|b| !b.is_empty()), loans: r.int(2)? })
            })
            .collect()
    }

    /// Each vintage (the month of its loans' start date) at each month end: its loans, and
    /// those more than 30 days past due.
    pub fn vintage_months(&mut self, currency: Option<&str>) -> Result<Vec<VintageLate>, StoreError> {
        let sql = format!(
            "SELECT vintage, month, CAST(SUM(loans) AS BIGINT), CAST(SUM(late) AS BIGINT) FROM month_vintages{} \
             GROUP BY vintage, month ORDER BY vintage, month",
            currency_filter(currency)
        );
        let rows = self.conn.query(&sql, &params(vec![], currency))?;
        rows.iter()
            .map(|r| Ok(VintageLate { vintage: text(r, 0)?, month: text(r, 1)?, loans: r.int(2)?, late: r.int(3)? }))
            .collect()
    }

    /// Loans late (days past due above zero, not written off) at each month's end, by whether
    /// they had a row at the next month's end and whether it found them current.
    pub fn cure_counts(&mut self, currency: Option<&str>) -> Result<Vec<CureCount>, StoreError> {
        let sql = format!(
            "SELECT month, closed, current, CAST(SUM(loans) AS BIGINT) FROM month_cures{} \
             GROUP BY month, closed, current ORDER BY month, closed, current",
            currency_filter(currency)
        );
        let rows = self.conn.query(&sql, &params(vec![], currency))?;
        rows.iter()
            .map(|r| Ok(CureCount { month: text(r, 0)?, closed: r.int(1)? == 1, current: r.int(2)? == 1, loans: r.int(3)? }))
            .collect()
    }

    /// Write-offs by the month they were made: loans, what was written off (with amendments)
    /// and what those loans owe now.
    pub fn write_offs_by_month(&mut self, currency: Option<&str>) -> Result<Vec<WriteOffMonth>, StoreError> {
        let filter = if currency.is_some() { " WHERE l.currency = $1" } else { "" };
        let sql = format!(
            "SELECT SUBSTR(w.written_off_on, 1, 7), count(*), \
             CAST(SUM(w.principal + w.interest + w.penalty + w.compound + w.fee + COALESCE(a.total, 0)) AS BIGINT), \
             CAST(SUM(l.total_outstanding) AS BIGINT) \
             FROM write_offs w JOIN loans l ON l.seq = w.loan_seq \
             LEFT JOIN (SELECT loan_seq, SUM(principal + interest + penalty + compound + fee) AS total \
             FROM write_off_amendments GROUP BY loan_seq) a ON a.loan_seq = w.loan_seq{filter} \
             GROUP BY SUBSTR(w.written_off_on, 1, 7) ORDER BY 1"
        );
        let rows = self.conn.query(&sql, &params(vec![], currency))?;
        rows.iter()
            .map(|r| Ok(WriteOffMonth { month: text(r, 0)?, loans: r.int(1)?, written_off: r.int(2)?, still_owed: r.int(3)? }))
            .collect()
    }

    /// The collection funnel of contacts recorded for business dates `from..=to` (`YYYY-MM-DD`).
    pub fn funnel(&mut self, from: &str, to: &str, currency: Option<&str>) -> Result<Funnel, StoreError> {
        let event = |name: &str| {
            format!("EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_key = c.contact_key AND e.event = '{name}')")
        };
        let sql = format!(
            "SELECT count(*), \
             CAST(COALESCE(SUM(CASE WHEN c.decision = 'allowed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.decision = 'allowed' AND (c.channel = 'call' OR ({sent} AND NOT {undelivered})) \
               THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.decision = 'allowed' AND c.channel = 'call' AND {connected} THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN p.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM contacts c LEFT JOIN promises p ON p.contact_key = c.contact_key \
             WHERE c.business_date >= $1 AND c.business_date <= $2{only}",
            sent = event("sent"),
            undelivered = event("undelivered"),
            connected = event("connected"),
            only = only("c.loan_seq", currency, 3),
        );
        let rows = self.conn.query(&sql, &params(vec![from.into(), to.into()], currency))?;
        let r = &rows[0];
        Ok(Funnel {
            attempted: r.int(0)?,
            allowed: r.int(1)?,
            delivered: r.int(2)?,
            connected: r.int(3)?,
            promised: r.int(4)?,
            kept: r.int(5)?,
        })
    }

    /// Each strategy arm's contacts, call tasks, promises and results for business dates
    /// `from..=to`, by strategy and arm.
    pub fn arm_lines(&mut self, from: &str, to: &str, currency: Option<&str>) -> Result<Vec<ArmLine>, StoreError> {
        let period = vec![Value::from(from), Value::from(to)];
        let mut arms: BTreeMap<(String, String), ArmLine> = BTreeMap::new();
        let contacts = format!(
            "SELECT strategy, arm, count(DISTINCT loan_seq), \
             CAST(SUM(CASE WHEN decision = 'allowed' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN decision = 'blocked' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM contacts WHERE business_date >= $1 AND business_date <= $2{} GROUP BY strategy, arm",
            only("loan_seq", currency, 3)
        );
        for r in self.conn.query(&contacts, &params(period.clone(), currency))? {
            let l = arm_of(&mut arms, &r)?;
            (l.loans, l.allowed, l.blocked) = (r.int(2)?, r.int(3)?, r.int(4)?);
        }
        let tasks = format!(
            "SELECT strategy, arm, count(*) FROM call_tasks WHERE business_date >= $1 AND business_date <= $2{} \
             GROUP BY strategy, arm",
            only("loan_seq", currency, 3)
        );
        for r in self.conn.query(&tasks, &params(period.clone(), currency))? {
            arm_of(&mut arms, &r)?.call_tasks = r.int(2)?;
        }
        let promises = format!(
            "SELECT c.strategy, c.arm, count(*), CAST(SUM(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM promises p JOIN contacts c ON c.contact_key = p.contact_key \
             WHERE c.business_date >= $1 AND c.business_date <= $2{} GROUP BY c.strategy, c.arm",
            only("c.loan_seq", currency, 3)
        );
        for r in self.conn.query(&promises, &params(period.clone(), currency))? {
            let l = arm_of(&mut arms, &r)?;
            (l.promises, l.kept) = (r.int(2)?, r.int(3)?);
        }
        let results = format!(
            "WITH touched AS (SELECT strategy, arm, loan_seq, MIN(business_date) AS first_day FROM contacts \
             WHERE business_date >= $1 AND business_date <= $2 AND decision = 'allowed' AND purpose = 'collection'{} \
             GROUP BY strategy, arm, loan_seq) \
             SELECT t.strategy, t.arm, count(*), \
             CAST(SUM(CASE WHEN (l.status = 'paid-off' AND l.bucket <> 'written-off') OR (l.status = 'active' AND l.bucket = 'M0') \
               THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COALESCE(SUM((SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE p.loan_seq = t.loan_seq \
               AND p.status = 'posted' AND p.value_date >= t.first_day)), 0) AS BIGINT) \
             FROM touched t JOIN loans l ON l.seq = t.loan_seq GROUP BY t.strategy, t.arm",
            only("loan_seq", currency, 3)
        );
        for r in self.conn.query(&results, &params(period, currency))? {
            let l = arm_of(&mut arms, &r)?;
            (l.collected_loans, l.current_now, l.paid_since) = (r.int(2)?, r.int(3)?, r.int(4)?);
        }
        Ok(arms.into_values().collect())
    }
}
