//! Queries of hardship relief: requests through their lifecycle, and the staff roles the
//! maker-checker rule reads.

use arrears_core::Date;

use crate::conn::Row;
use crate::{parse_date, StoreError, Tx};

/// A hardship request as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardshipRow {
    pub id: i64,
    pub loan_seq: i64,
    pub filed_on: Date,
    pub filed_by: String,
    pub channel: String,
    pub reason: String,
    pub details: String,
    pub monthly_income: i64,
    pub monthly_expenses: i64,
    pub evidence: Vec<String>,
    pub wanted: String,
    /// `submitted`, `under-review`, `approved`, `rejected`, `active`, `completed` or `broken`.
    pub status: String,
    /// The relief proposed, as the core's JSON.
    pub proposal: Option<String>,
    /// For a settlement: what the borrower agreed to pay (minor units).
    pub settle_amount: Option<i64>,
    pub proposed_by: Option<String>,
    pub proposed_on: Option<Date>,
    pub decided_by: Option<String>,
    pub decided_on: Option<Date>,
    pub decision_note: Option<String>,
    pub accepted_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub version: i64,
}

/// A request to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHardship<'a> {
    pub loan_seq: i64,
    pub filed_on: Date,
    pub filed_by: &'a str,
    pub channel: &'a str,
    pub reason: &'a str,
    pub details: &'a str,
    pub monthly_income: i64,
    pub monthly_expenses: i64,
    pub evidence: &'a [String],
    pub wanted: &'a str,
}

const COLUMNS: &str = "id, loan_seq, filed_on, filed_by, channel, reason, details, monthly_income, monthly_expenses, evidence, \
     wanted, status, proposal, settle_amount, proposed_by, proposed_on, decided_by, decided_on, decision_note, accepted_on, \
     ended_on, version";

fn from_row(r: &Row) -> Result<HardshipRow, StoreError> {
    let text = |i: usize| r.opt_text(i).map(|v| v.map(str::to_owned));
    let date = |i: usize| r.opt_text(i)?.map(parse_date).transpose();
    Ok(HardshipRow {
        id: r.int(0)?,
        loan_seq: r.int(1)?,
        filed_on: parse_date(r.text(2)?)?,
        filed_by: r.text(3)?.to_owned(),
        channel: r.text(4)?.to_owned(),
        reason: r.text(5)?.to_owned(),
        details: r.text(6)?.to_owned(),
        monthly_income: r.int(7)?,
        monthly_expenses: r.int(8)?,
        evidence: r.text(9)?.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        wanted: r.text(10)?.to_owned(),
        status: r.text(11)?.to_owned(),
        proposal: text(12)?,
        settle_amount: r.opt_int(13)?,
        proposed_by: text(14)?,
        proposed_on: date(15)?,
        decided_by: text(16)?,
        decided_on: date(17)?,
        decision_note: text(18)?,
        accepted_on: date(19)?,
        ended_on: date(20)?,
        version: r.int(21)?,
    })
}

impl Tx<'_> {
    /// Files a request (submitted); returns its id.
    pub fn file_hardship(&mut self, h: &NewHardship<'_>) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO hardship_requests (loan_seq, filed_on, filed_by, channel, reason, details, monthly_income, \
             monthly_expenses, evidence, wanted, status, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'submitted', 1) RETURNING id",
            &[
                h.loan_seq.into(),
                h.filed_on.to_string().into(),
                h.filed_by.into(),
                h.channel.into(),
                h.reason.into(),
                h.details.into(),
                h.monthly_income.into(),
                h.monthly_expenses.into(),
                h.evidence.join("\n").into(),
                h.wanted.into(),
            ],
        )?;
        rows[0].int(0)
    }

    /// A request, locked for update on PostgreSQL.
    pub fn hardship(&mut self, id: i64) -> Result<Option<HardshipRow>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {COLUMNS} FROM hardship_requests WHERE id = $1{lock}"), &[id.into()])?;
        rows.first().map(from_row).transpose()
    }

    /// The requests of a loan, oldest first.
    pub fn hardship_of(&mut self, loan_seq: i64) -> Result<Vec<HardshipRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {COLUMNS} FROM hardship_requests WHERE loan_seq = $1 ORDER BY id"), &[loan_seq.into()])?;
        rows.iter().map(from_row).collect()
    }

    /// Requests in `status`, oldest first.
    pub fn hardship_in(&mut self, status: &str) -> Result<Vec<HardshipRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {COLUMNS} FROM hardship_requests WHERE status = $1 ORDER BY id"), &[status.into()])?;
        rows.iter().map(from_row).collect()
    }

    /// Writes a request's workflow fields back; refused if someone changed it meanwhile.
    pub fn update_hardship(&mut self, h: &HardshipRow) -> Result<(), StoreError> {
        let opt_date = |d: Option<Date>| d.map(|d| d.to_string());
        let n = self.conn.execute(
            "UPDATE hardship_requests SET status = $2, proposal = $3, settle_amount = $4, proposed_by = $5, proposed_on = $6, \
             decided_by = $7, decided_on = $8, decision_note = $9, accepted_on = $10, ended_on = $11, version = version + 1 \
             WHERE id = $1 AND version = $12",
            &[
                h.id.into(),
                h.status.as_str().into(),
                h.proposal.clone().into(),
                h.settle_amount.into(),
                h.proposed_by.clone().into(),
                opt_date(h.proposed_on).into(),
                h.decided_by.clone().into(),
                opt_date(h.decided_on).into(),
                h.decision_note.clone().into(),
                opt_date(h.accepted_on).into(),
                opt_date(h.ended_on).into(),
                h.version.into(),
            ],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("hardship request {} changed meanwhile; read it again", h.id)));
        }
        Ok(())
    }

    /// Adds a member of staff or changes their role.
    pub fn upsert_staff(&mut self, name: &str, role: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO staff (name, role) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET role = excluded.role",
            &[name.into(), role.into()],
        )?;
        Ok(())
    }

    /// The staff list: name, role, and whether a password is set; by name.
    pub fn staff_list(&mut self) -> Result<Vec<(String, String, bool)>, StoreError> {
        let rows = self
            .conn
            .query("SELECT name, role, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END FROM staff ORDER BY name", &[])?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned(), r.int(2)? == 1))).collect()
    }

    /// The role of a member of staff, if they are one.
    pub fn staff_role(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT role FROM staff WHERE name = $1", &[name.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }
}
