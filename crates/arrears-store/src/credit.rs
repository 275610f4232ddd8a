//! Queries of credit reporting's workflows: disputes, and corrections of what is reported.

use arrears_core::Date;

use crate::conn::{Row, Value};
use crate::{parse_date, StoreError, Tx};

/// A dispute as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRow {
    pub id: i64,
    pub loan_seq: i64,
    pub opened_on: Date,
    pub deadline: Date,
    pub channel: String,
    pub opened_by: String,
    /// The reported month disputed (`YYYY-MM`), if the dispute is about one.
    pub month: Option<String>,
    /// The amount disputed (minor units), if any.
    pub amount: Option<i64>,
    pub reason: String,
    /// `open` or `resolved`.
    pub status: String,
    /// `corrected`, `confirmed` or `unverifiable`.
    pub outcome: Option<String>,
    pub resolved_on: Option<Date>,
    pub resolved_by: Option<String>,
    pub answer: Option<String>,
}

const DISPUTE_COLUMNS: &str =
    "id, loan_seq, opened_on, deadline, channel, opened_by, month, amount, reason, status, outcome, resolved_on, resolved_by, answer";

fn dispute_from_row(r: &Row) -> Result<DisputeRow, StoreError> {
    let opt = |i: usize| r.opt_text(i).map(|v| v.map(str::to_owned));
    Ok(DisputeRow {
        id: r.int(0)?,
        loan_seq: r.int(1)?,
        opened_on: parse_date(r.text(2)?)?,
        deadline: parse_date(r.text(3)?)?,
        channel: r.text(4)?.to_owned(),
        opened_by: r.text(5)?.to_owned(),
        month: opt(6)?,
        amount: r.opt_int(7)?,
        reason: r.text(8)?.to_owned(),
        status: r.text(9)?.to_owned(),
        outcome: opt(10)?,
        resolved_on: r.opt_text(11)?.map(parse_date).transpose()?,
        resolved_by: opt(12)?,
        answer: opt(13)?,
    })
}

impl Tx<'_> {
    /// Records a new dispute; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn open_dispute(
        &mut self,
        loan_seq: i64,
        opened_on: Date,
        deadline: Date,
        channel: &str,
        opened_by: &str,
        month: Option<&str>,
        amount: Option<i64>,
        reason: &str,
    ) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO disputes (loan_seq, opened_on, deadline, channel, opened_by, month, amount, reason, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open') RETURNING id",
            &[
                loan_seq.into(),
                opened_on.to_string().into(),
                deadline.to_string().into(),
                channel.into(),
                opened_by.into(),
                month.map(str::to_owned).into(),
                amount.into(),
                reason.into(),
            ],
        )?;
        rows[0].int(0)
    }

    pub fn dispute(&mut self, id: i64) -> Result<Option<DisputeRow>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE id = $1{lock}"), &[id.into()])?;
        rows.first().map(dispute_from_row).transpose()
    }

    /// Disputes of a loan, oldest first.
    pub fn disputes_of(&mut self, loan_seq: i64) -> Result<Vec<DisputeRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE loan_seq = $1 ORDER BY id"), &[loan_seq.into()])?;
        rows.iter().map(dispute_from_row).collect()
    }

    /// Open disputes, earliest deadline first.
    pub fn open_disputes(&mut self) -> Result<Vec<DisputeRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE status = 'open' ORDER BY deadline, id"), &[])?;
        rows.iter().map(dispute_from_row).collect()
    }

    /// Loans of `seqs` with a dispute open on `date` (opened by then, not resolved by then).
    pub fn disputed_on(&mut self, seqs: &[i64], date: Date) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(crate::collect::IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT loan_seq FROM disputes WHERE opened_on <= $1 AND (resolved_on IS NULL OR resolved_on > $1) \
                 AND loan_seq IN ({})",
                crate::collect::placeholders(2, chunk.len())
            );
            let mut params = vec![Value::from(date.to_string())];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push(r.int(0)?);
            }
        }
        Ok(out)
    }

    pub fn resolve_dispute(&mut self, id: i64, outcome: &str, on: Date, by: &str, answer: &str) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE disputes SET status = 'resolved', outcome = $2, resolved_on = $3, resolved_by = $4, answer = $5 \
             WHERE id = $1 AND status = 'open'",
            &[id.into(), outcome.into(), on.to_string().into(), by.into(), answer.into()],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("dispute {id} is not open")));
        }
        Ok(())
    }

    /// Corrects what a month row says of a loan's standing (after a dispute): its status code
    /// and days past due.
    pub fn correct_month(&mut self, loan_seq: i64, month: &str, status: i64, dpd: i64) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE loan_months SET status = $3, dpd = $4 WHERE loan_seq = $1 AND month = $2",
            &[loan_seq.into(), month.into(), status.into(), dpd.into()],
        )?;
        Ok(n == 1)
    }
}
