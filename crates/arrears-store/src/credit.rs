//! Queries of credit reporting's workflows: disputes, and corrections of what is reported.

use arrears_core::{Amount, Components, Date, WriteOff};

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

    /// Disputes opened on or before `date`, by id.
    pub fn all_disputes_until(&mut self, date: Date) -> Result<Vec<DisputeRow>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE opened_on <= $1 ORDER BY id"),
            &[date.to_string().into()],
        )?;
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

    /// Corrects what a month row says of a loan's standing (after a dispute): its status code,
    /// days past due, class and bucket, and no amount overdue when it was not late.
    pub fn correct_month(
        &mut self,
        loan_seq: i64,
        month: &str,
        status: i64,
        dpd: i64,
        class: &str,
        bucket: &str,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE loan_months SET status = $3, dpd = CAST($4 AS BIGINT), class = $5, bucket = $6, \
             overdue = CASE WHEN CAST($4 AS BIGINT) = 0 THEN 0 ELSE overdue END WHERE loan_seq = $1 AND month = $2",
            &[loan_seq.into(), month.into(), status.into(), dpd.into(), class.into(), bucket.into()],
        )?;
        Ok(n == 1)
    }
}

/// A complaint as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    pub id: i64,
    pub opened_on: Date,
    pub deadline: Date,
    pub channel: String,
    pub category: String,
    pub complex: bool,
    pub borrower_id: Option<String>,
    pub loan_seq: Option<i64>,
    pub description: String,
    pub opened_by: String,
    pub assigned_to: Option<String>,
    /// `open` or `answered`.
    pub status: String,
    pub reply: Option<String>,
    pub replied_on: Option<Date>,
    pub replied_by: Option<String>,
    /// The contacts it concerns.
    pub contacts: Vec<String>,
}

/// A new complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint<'a> {
    pub opened_on: Date,
    pub deadline: Date,
    pub channel: &'a str,
    pub category: &'a str,
    pub complex: bool,
    pub borrower_id: Option<&'a str>,
    pub loan_seq: Option<i64>,
    pub description: &'a str,
    pub opened_by: &'a str,
    pub contacts: &'a [String],
}

const COMPLAINT_COLUMNS: &str =
    "id, opened_on, deadline, channel, category, complex, borrower_id, loan_seq, description, opened_by, \
     assigned_to, status, reply, replied_on, replied_by";

fn complaint_from_row(r: &Row) -> Result<ComplaintRow, StoreError> {
    let opt = |i: usize| r.opt_text(i).map(|v| v.map(str::to_owned));
    Ok(ComplaintRow {
        id: r.int(0)?,
        opened_on: parse_date(r.text(1)?)?,
        deadline: parse_date(r.text(2)?)?,
        channel: r.text(3)?.to_owned(),
        category: r.text(4)?.to_owned(),
        complex: r.int(5)? != 0,
        borrower_id: opt(6)?,
        loan_seq: r.opt_int(7)?,
        description: r.text(8)?.to_owned(),
        opened_by: r.text(9)?.to_owned(),
        assigned_to: opt(10)?,
        status: r.text(11)?.to_owned(),
        reply: opt(12)?,
        replied_on: r.opt_text(13)?.map(parse_date).transpose()?,
        replied_by: opt(14)?,
        contacts: Vec::new(),
    })
}

impl Tx<'_> {
    /// Records a complaint and the contacts it concerns; returns its id.
    pub fn open_complaint(&mut self, c: &NewComplaint<'_>) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO complaints (opened_on, deadline, channel, category, complex, borrower_id, loan_seq, description, opened_by, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open') RETURNING id",
            &[
                c.opened_on.to_string().into(),
                c.deadline.to_string().into(),
                c.channel.into(),
                c.category.into(),
                i64::from(c.complex).into(),
                c.borrower_id.map(str::to_owned).into(),
                c.loan_seq.into(),
                c.description.into(),
                c.opened_by.into(),
            ],
        )?;
        let id = rows[0].int(0)?;
        for key in c.contacts {
            self.conn.execute(
                "INSERT INTO complaint_contacts (complaint_id, contact_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[id.into(), key.as_str().into()],
            )?;
        }
        Ok(id)
    }

    pub fn complaint(&mut self, id: i64) -> Result<Option<ComplaintRow>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = $1{lock}"), &[id.into()])?;
        let Some(mut c) = rows.first().map(complaint_from_row).transpose()? else { return Ok(None) };
        let keys = self
            .conn
            .query("SELECT contact_key FROM complaint_contacts WHERE complaint_id = $1 ORDER BY contact_key", &[id.into()])?;
        c.contacts = keys.iter().map(|k| k.text(0).map(str::to_owned)).collect::<Result<_, _>>()?;
        Ok(Some(c))
    }

    /// Complaints opened on or before `date`, by id.
    pub fn complaints_until(&mut self, date: Date) -> Result<Vec<ComplaintRow>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE opened_on <= $1 ORDER BY id"),
            &[date.to_string().into()],
        )?;
        rows.iter().map(complaint_from_row).collect()
    }

    pub fn assign_complaint(&mut self, id: i64, to: &str) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute("UPDATE complaints SET assigned_to = $2 WHERE id = $1 AND status = 'open'", &[id.into(), to.into()])?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("complaint {id} is not open")));
        }
        Ok(())
    }

    pub fn reply_complaint(&mut self, id: i64, reply: &str, on: Date, by: &str) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE complaints SET status = 'answered', reply = $2, replied_on = $3, replied_by = $4 WHERE id = $1 AND status = 'open'",
            &[id.into(), reply.into(), on.to_string().into(), by.into()],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("complaint {id} is not open")));
        }
        Ok(())
    }
}

/// A write-off as registered, with the loan's number and what it still owes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOffRow {
    pub loan_seq: i64,
    pub loan_no: String,
    pub currency: String,
    pub written_off_on: Date,
    /// `rule` (the batch, by days past due) or `decision` (a person, with a reason).
    pub basis: String,
    pub reason: String,
    pub decided_by: String,
    /// The supervisor who approved a decided write-off.
    pub approved_by: Option<String>,
    /// What was written off, by component (minor units): the amount of the day, with any
    /// amendments since.
    pub amount: Components,
    /// How many times a change to a payment before the write-off amended it.
    pub amendments: i64,
    /// What the loan owes now (minor units): the written-off amount less recoveries.
    pub still_owed: i64,
}

const WRITE_OFF_COLUMNS: &str =
    "w.loan_seq, l.loan_no, l.currency, w.written_off_on, w.basis, w.reason, w.decided_by, w.approved_by, \
     CAST(w.principal + COALESCE(a.principal, 0) AS BIGINT), CAST(w.interest + COALESCE(a.interest, 0) AS BIGINT), \
     CAST(w.penalty + COALESCE(a.penalty, 0) AS BIGINT), CAST(w.compound + COALESCE(a.compound, 0) AS BIGINT), \
     CAST(w.fee + COALESCE(a.fee, 0) AS BIGINT), l.total_outstanding, CAST(COALESCE(a.n, 0) AS BIGINT)";

/// The register joined to its loans and to each write-off's amendments, summed.
const WRITE_OFF_FROM: &str = "write_offs w JOIN loans l ON l.seq = w.loan_seq LEFT JOIN \
     (SELECT loan_seq, COUNT(*) AS n, SUM(principal) AS principal, SUM(interest) AS interest, SUM(penalty) AS penalty, \
      SUM(compound) AS compound, SUM(fee) AS fee FROM write_off_amendments GROUP BY loan_seq) a ON a.loan_seq = w.loan_seq";

fn write_off_from_row(r: &Row) -> Result<WriteOffRow, StoreError> {
    Ok(WriteOffRow {
        loan_seq: r.int(0)?,
        loan_no: r.text(1)?.to_owned(),
        currency: r.text(2)?.to_owned(),
        written_off_on: parse_date(r.text(3)?)?,
        basis: r.text(4)?.to_owned(),
        reason: r.text(5)?.to_owned(),
        decided_by: r.text(6)?.to_owned(),
        approved_by: r.opt_text(7)?.map(str::to_owned),
        amount: Components {
            principal: Amount(r.int(8)?),
            interest: Amount(r.int(9)?),
            penalty: Amount(r.int(10)?),
            compound: Amount(r.int(11)?),
            fee: Amount(r.int(12)?),
        },
        still_owed: r.int(13)?,
        amendments: r.int(14)?,
    })
}

impl Tx<'_> {
    /// Registers a write-off; a loan is written off once.
    pub fn insert_write_off(
        &mut self,
        loan_seq: i64,
        write_off: &WriteOff,
        basis: &str,
        reason: &str,
        decided_by: &str,
        approved_by: Option<&str>,
    ) -> Result<(), StoreError> {
        let a = &write_off.amount;
        self.conn.execute(
            "INSERT INTO write_offs (loan_seq, written_off_on, basis, reason, decided_by, approved_by, principal, interest, penalty, \
             compound, fee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                loan_seq.into(),
                write_off.date.to_string().into(),
                basis.into(),
                reason.into(),
                decided_by.into(),
                approved_by.map(str::to_owned).into(),
                a.principal.0.into(),
                a.interest.0.into(),
                a.penalty.0.into(),
                a.compound.0.into(),
                a.fee.0.into(),
            ],
        )?;
        Ok(())
    }

    /// Records a change of `delta` to what loan `loan_seq` had written off, made on `on`.
    pub fn amend_write_off(&mut self, loan_seq: i64, on: Date, reason: &str, delta: &Components) -> Result<(), StoreError> {
        let next = self.conn.query(
            "SELECT CAST(COALESCE(MAX(amendment_no), 0) AS BIGINT) + 1 FROM write_off_amendments WHERE loan_seq = $1",
            &[loan_seq.into()],
        )?[0]
            .int(0)?;
        self.conn.execute(
            "INSERT INTO write_off_amendments (loan_seq, amendment_no, amended_on, reason, principal, interest, penalty, compound, fee) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                loan_seq.into(),
                next.into(),
                on.to_string().into(),
                reason.into(),
                delta.principal.0.into(),
                delta.interest.0.into(),
                delta.penalty.0.into(),
                delta.compound.0.into(),
                delta.fee.0.into(),
            ],
        )?;
        Ok(())
    }

    /// The write-off of a loan, if it was written off.
    pub fn write_off_of(&mut self, loan_seq: i64) -> Result<Option<WriteOffRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {WRITE_OFF_COLUMNS} FROM {WRITE_OFF_FROM} WHERE w.loan_seq = $1"), &[loan_seq.into()])?;
        rows.first().map(write_off_from_row).transpose()
    }

    /// Write-offs made from `from` to `to`, oldest first.
    pub fn write_offs_between(&mut self, from: Date, to: Date) -> Result<Vec<WriteOffRow>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT {WRITE_OFF_COLUMNS} FROM {WRITE_OFF_FROM} \
                 WHERE w.written_off_on >= $1 AND w.written_off_on <= $2 ORDER BY w.written_off_on, w.loan_seq"
            ),
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(write_off_from_row).collect()
    }

    /// The number of payments posted (and not reversed) on a loan.
    pub fn posted_payment_count(&mut self, loan_seq: i64) -> Result<i64, StoreError> {
        let rows =
            self.conn.query("SELECT COUNT(*) FROM payments WHERE loan_seq = $1 AND status = 'posted'", &[loan_seq.into()])?;
        rows[0].int(0)
    }
}

impl Tx<'_> {
    /// Money recovered on written-off loans with ledger entries booked from `from` to `to`
    /// (minor units, reversals netted), by currency.
    pub fn recoveries_between(&mut self, from: Date, to: Date) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.conn.query(
            "SELECT l.currency, CAST(-SUM(ll.amount) AS BIGINT) FROM ledger_lines ll \
             JOIN ledger_entries e ON e.loan_seq = ll.loan_seq AND e.entry_no = ll.entry_no \
             JOIN loans l ON l.seq = ll.loan_seq \
             WHERE ll.account = 'recoveries' AND e.entry_date >= $1 AND e.entry_date <= $2 \
             GROUP BY l.currency ORDER BY l.currency",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.int(1)?))).collect()
    }
}

/// The identity a US credit bureau matches an account on: names, SSN, date of birth and
/// address, as the Metro 2 base segment carries them. `Debug` masks the SSN.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub borrower_id: String,
    pub surname: String,
    pub first_name: String,
    /// Nine digits.
    pub ssn: String,
    pub birth_date: Date,
    pub address: String,
    pub city: String,
    /// Two letters.
    pub state: String,
    /// Five or nine digits.
    pub zip: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("borrower_id", &self.borrower_id)
            .field("surname", &self.surname)
            .field("ssn", &format_args!("*****{}", &self.ssn[self.ssn.len().saturating_sub(4)..]))
            .finish_non_exhaustive()
    }
}

impl Tx<'_> {
    /// Adds identities, replacing those of borrowers already known.
    pub fn upsert_identities(&mut self, identities: &[Identity]) -> Result<(), StoreError> {
        for i in identities {
            self.conn.execute(
                "INSERT INTO identities (borrower_id, surname, first_name, ssn, birth_date, address, city, state, zip) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (borrower_id) DO UPDATE SET \
                 surname = excluded.surname, first_name = excluded.first_name, ssn = excluded.ssn, \
                 birth_date = excluded.birth_date, address = excluded.address, city = excluded.city, \
                 state = excluded.state, zip = excluded.zip",
                &[
                    i.borrower_id.as_str().into(),
                    i.surname.as_str().into(),
                    i.first_name.as_str().into(),
                    i.ssn.as_str().into(),
                    i.birth_date.to_string().into(),
                    i.address.as_str().into(),
                    i.city.as_str().into(),
                    i.state.as_str().into(),
                    i.zip.as_str().into(),
                ],
            )?;
        }
        Ok(())
    }

    /// The identities of these borrowers that are known, by borrower.
    pub fn identities(&mut self, ids: &[&str]) -> Result<std::collections::HashMap<String, Identity>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(crate::collect::IN_CHUNK) {
            let sql = format!(
                "SELECT borrower_id, surname, first_name, ssn, birth_date, address, city, state, zip FROM identities \
                 WHERE borrower_id IN ({})",
                crate::collect::placeholders(1, chunk.len())
            );
            let params: Vec<Value> = chunk.iter().map(|&s| Value::from(s)).collect();
            for r in self.conn.query(&sql, &params)? {
                let i = Identity {
                    borrower_id: r.text(0)?.to_owned(),
                    surname: r.text(1)?.to_owned(),
                    first_name: r.text(2)?.to_owned(),
                    ssn: r.text(3)?.to_owned(),
                    birth_date: parse_date(r.text(4)?)?,
                    address: r.text(5)?.to_owned(),
                    city: r.text(6)?.to_owned(),
                    state: r.text(7)?.to_owned(),
                    zip: r.text(8)?.to_owned(),
                };
                out.insert(i.borrower_id.clone(), i);
            }
        }
        Ok(out)
    }

    /// Loans of `seqs` with a dispute resolved from `from` to `to`.
    pub fn dispute_resolved_between(&mut self, seqs: &[i64], from: Date, to: Date) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(crate::collect::IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT loan_seq FROM disputes WHERE resolved_on >= $1 AND resolved_on <= $2 AND loan_seq IN ({})",
                crate::collect::placeholders(3, chunk.len())
            );
            let mut params = vec![Value::from(from.to_string()), Value::from(to.to_string())];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push(r.int(0)?);
            }
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Up to `limit` active loans in `currency` whose oldest unpaid installment fell due before
    /// `cutoff` (more than the rule's days past due on the day after it), locked on PostgreSQL;
    /// in the order of the `loans_overdue` index, so no query scans the book.
    pub fn loans_overdue_since(&mut self, currency: &str, cutoff: Date, limit: i64) -> Result<Vec<crate::RawLoan>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(
            &format!(
                "SELECT {} FROM loans WHERE status = 'active' AND oldest_unpaid_due < $1 AND currency = $2 \
                 ORDER BY oldest_unpaid_due, seq LIMIT $3{lock}",
                crate::LOAN_COLUMNS
            ),
            &[cutoff.to_string().into(), currency.into(), limit.into()],
        )?;
        Ok(rows.into_iter().map(crate::RawLoan).collect())
    }

    /// The status of a loan (`active`, `paid-off`, `written-off`), without decoding it.
    pub fn loan_status(&mut self, seq: i64) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT status FROM loans WHERE seq = $1", &[seq.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }
}
