//! Queries of legal escalation: cases and their steps, and what a limitation period restarts
//! on (payments, promises, demands sent).

use arrears_core::Date;

use crate::conn::Row;
use crate::{parse_date, StoreError, Tx};

/// A legal case as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub loan_seq: i64,
    pub opened_on: Date,
    /// `candidate`, `demand-letter`, `filed`, `mediation`, `judgment`, `enforcement`, `closed`.
    pub stage: String,
    pub court: Option<String>,
    pub case_no: Option<String>,
    pub judgment_amount: Option<i64>,
    pub perform_by: Option<Date>,
    pub version: i64,
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStep {
    pub step_no: i64,
    pub stage: String,
    pub on_date: Date,
    pub actor: String,
    pub note: String,
}

const COLUMNS: &str = "id, loan_seq, opened_on, stage, court, case_no, judgment_amount, perform_by, version";

fn from_row(r: &Row) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        id: r.int(0)?,
        loan_seq: r.int(1)?,
        opened_on: parse_date(r.text(2)?)?,
        stage: r.text(3)?.to_owned(),
        court: r.opt_text(4)?.map(str::to_owned),
        case_no: r.opt_text(5)?.map(str::to_owned),
        judgment_amount: r.opt_int(6)?,
        perform_by: r.opt_text(7)?.map(parse_date).transpose()?,
        version: r.int(8)?,
    })
}

impl Tx<'_> {
    /// Opens a case at its first stage; returns its id.
    pub fn open_case(&mut self, loan_seq: i64, on: Date, actor: &str, note: &str) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO legal_cases (loan_seq, opened_on, stage, version) VALUES ($1, $2, 'candidate', 1) RETURNING id",
            &[loan_seq.into(), on.to_string().into()],
        )?;
        let id = rows[0].int(0)?;
        self.add_case_step(id, 1, "candidate", on, actor, note)?;
        Ok(id)
    }

    fn add_case_step(&mut self, id: i64, n: i64, stage: &str, on: Date, actor: &str, note: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO legal_case_steps (case_id, step_no, stage, on_date, actor, note) VALUES ($1, $2, $3, $4, $5, $6)",
            &[id.into(), n.into(), stage.into(), on.to_string().into(), actor.into(), note.into()],
        )?;
        Ok(())
    }

    /// Moves a case to `case.stage` (with its court, number and judgment), recording the step;
    /// refused if the case changed meanwhile.
    pub fn advance_case(&mut self, case: &CaseRow, on: Date, actor: &str, note: &str) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE legal_cases SET stage = $2, court = $3, case_no = $4, judgment_amount = $5, perform_by = $6, \
             version = version + 1 WHERE id = $1 AND version = $7",
            &[
                case.id.into(),
                case.stage.as_str().into(),
                case.court.clone().into(),
                case.case_no.clone().into(),
                case.judgment_amount.into(),
                case.perform_by.map(|d| d.to_string()).into(),
                case.version.into(),
            ],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("case {} changed meanwhile; read it again", case.id)));
        }
        let next = self.conn.query(
            "SELECT CAST(COALESCE(MAX(step_no), 0) AS BIGINT) + 1 FROM legal_case_steps WHERE case_id = $1",
            &[case.id.into()],
        )?[0]
            .int(0)?;
        self.add_case_step(case.id, next, &case.stage, on, actor, note)
    }

    pub fn case(&mut self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {COLUMNS} FROM legal_cases WHERE id = $1{lock}"), &[id.into()])?;
        rows.first().map(from_row).transpose()
    }

    /// Cases not closed, oldest first, each with its loan number.
    pub fn open_cases(&mut self, limit: i64) -> Result<Vec<(CaseRow, String)>, StoreError> {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("c.{c}")).collect();
        let rows = self.conn.query(
            &format!(
                "SELECT {}, l.loan_no FROM legal_cases c JOIN loans l ON l.seq = c.loan_seq \
                 WHERE c.stage <> 'closed' ORDER BY c.id LIMIT $1",
                columns.join(", ")
            ),
            &[limit.into()],
        )?;
        rows.iter().map(|r| Ok((from_row(r)?, r.text(9)?.to_owned()))).collect()
    }

    /// The cases of a loan, oldest first.
    pub fn cases_of(&mut self, loan_seq: i64) -> Result<Vec<CaseRow>, StoreError> {
        let rows =
            self.conn.query(&format!("SELECT {COLUMNS} FROM legal_cases WHERE loan_seq = $1 ORDER BY id"), &[loan_seq.into()])?;
        rows.iter().map(from_row).collect()
    }

    /// The steps of a case, in order.
    pub fn case_steps(&mut self, id: i64) -> Result<Vec<CaseStep>, StoreError> {
        let rows = self.conn.query(
            "SELECT step_no, stage, on_date, actor, note FROM legal_case_steps WHERE case_id = $1 ORDER BY step_no",
            &[id.into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(CaseStep {
                    step_no: r.int(0)?,
                    stage: r.text(1)?.to_owned(),
                    on_date: parse_date(r.text(2)?)?,
                    actor: r.text(3)?.to_owned(),
                    note: r.text(4)?.to_owned(),
                })
            })
            .collect()
    }

    /// Loans still owing (active or written off) whose oldest unpaid installment fell due on or
    /// before `due_by`, and that owe at least `min_total` (minor units), by sequence. Each status
    /// is read through its own index of the oldest unpaid due date, so the book is not scanned.
    pub fn loans_overdue_owing(&mut self, due_by: Date, min_total: i64) -> Result<Vec<crate::RawLoan>, StoreError> {
        let mut seqs = Vec::new();
        for status in ["active", "written-off"] {
            let rows = self.conn.query(
                "SELECT seq FROM loans WHERE status = $1 AND oldest_unpaid_due <= $2 AND total_outstanding >= $3 \
                 ORDER BY oldest_unpaid_due, seq",
                &[status.into(), due_by.to_string().into(), min_total.into()],
            )?;
            for r in rows {
                seqs.push(r.int(0)?);
            }
        }
        seqs.sort_unstable();
        self.raw_loans(&seqs)
    }

    /// The loans with these sequence numbers, in their order.
    pub fn raw_loans(&mut self, seqs: &[i64]) -> Result<Vec<crate::RawLoan>, StoreError> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(crate::collect::IN_CHUNK) {
            let sql = format!(
                "SELECT {} FROM loans WHERE seq IN ({}) ORDER BY seq",
                crate::LOAN_COLUMNS,
                crate::collect::placeholders(1, chunk.len())
            );
            let params: Vec<crate::Value> = chunk.iter().map(|&s| crate::Value::from(s)).collect();
            out.extend(self.conn.query(&sql, &params)?.into_iter().map(crate::RawLoan));
        }
        Ok(out)
    }

    /// The days a loan's debt was demanded or acknowledged: collection contacts to the debtor
    /// that went out (by the day they were sent or the call connected) and were not reported
    /// undelivered or failed, promises to pay (the day made), payments (value date), and
    /// reliefs the borrower accepted.
    pub fn restarts_of(&mut self, loan_seq: i64) -> Result<Vec<Date>, StoreError> {
        let mut out = Vec::new();
        let sent = self.conn.query(
            "SELECT MIN(e.at_utc) FROM contacts c JOIN contact_events e ON e.contact_key = c.contact_key \
             WHERE c.loan_seq = $1 AND c.purpose = 'collection' AND c.party = 'debtor' AND c.decision = 'allowed' \
             AND e.event IN ('sent', 'connected') AND NOT EXISTS (SELECT 1 FROM contact_events f \
             WHERE f.contact_key = c.contact_key AND f.event IN ('failed', 'undelivered', 'expired', 'withdrawn')) \
             GROUP BY c.contact_key",
            &[loan_seq.into()],
        )?;
        for r in sent {
            out.push(Date::from_days_since_epoch(r.int(0)?.div_euclid(24 * 60) as i32));
        }
        for r in self.conn.query("SELECT made_on FROM promises WHERE loan_seq = $1", &[loan_seq.into()])? {
            out.push(parse_date(r.text(0)?)?);
        }
        for r in
            self.conn.query("SELECT value_date FROM payments WHERE loan_seq = $1 AND status = 'posted'", &[loan_seq.into()])?
        {
            out.push(parse_date(r.text(0)?)?);
        }
        let accepted = self.conn.query(
            "SELECT accepted_on FROM hardship_requests WHERE loan_seq = $1 AND accepted_on IS NOT NULL",
            &[loan_seq.into()],
        )?;
        for r in accepted {
            out.push(parse_date(r.text(0)?)?);
        }
        Ok(out)
    }

    /// The days a case on the loan demanded payment by letter or was filed with a court.
    pub fn case_steps_filed(&mut self, loan_seq: i64) -> Result<Vec<Date>, StoreError> {
        let rows = self.conn.query(
            "SELECT s.on_date FROM legal_case_steps s JOIN legal_cases c ON c.id = s.case_id \
             WHERE c.loan_seq = $1 AND s.stage IN ('demand-letter', 'filed')",
            &[loan_seq.into()],
        )?;
        rows.iter().map(|r| parse_date(r.text(0)?)).collect()
    }

    /// The sequence numbers of loans still owing whose oldest unpaid installment fell due on or
    /// before `due_by` (only these can be time-barred: the period runs from a later day),
    /// through each status's index of that date.
    pub fn seqs_unpaid_since(&mut self, due_by: Date) -> Result<Vec<i64>, StoreError> {
        let mut seqs = Vec::new();
        for status in ["active", "written-off"] {
            let rows = self.conn.query(
                "SELECT seq FROM loans WHERE status = $1 AND oldest_unpaid_due <= $2 ORDER BY oldest_unpaid_due, seq",
                &[status.into(), due_by.to_string().into()],
            )?;
            for r in rows {
                seqs.push(r.int(0)?);
            }
        }
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Records a certificate.
    pub fn insert_certificate(
        &mut self,
        code: &str,
        loan_seq: i64,
        kind: &str,
        issued_on: Date,
        issued_by: &str,
        statement: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO certificates (code, loan_seq, kind, issued_on, issued_by, statement) VALUES ($1, $2, $3, $4, $5, $6)",
            &[code.into(), loan_seq.into(), kind.into(), issued_on.to_string().into(), issued_by.into(), statement.into()],
        )?;
        Ok(())
    }

    /// The codes of the certificates of `kind` issued on a loan, newest first.
    pub fn certificates_of(&mut self, loan_seq: i64, kind: &str) -> Result<Vec<String>, StoreError> {
        let rows = self.conn.query(
            "SELECT code FROM certificates WHERE loan_seq = $1 AND kind = $2 ORDER BY issued_on DESC, code",
            &[loan_seq.into(), kind.into()],
        )?;
        rows.iter().map(|r| r.text(0).map(str::to_owned)).collect()
    }

    /// A certificate by its code: kind, issued on, and its statement (JSON).
    pub fn certificate(&mut self, code: &str) -> Result<Option<(String, Date, String)>, StoreError> {
        let rows = self.conn.query("SELECT kind, issued_on, statement FROM certificates WHERE code = $1", &[code.into()])?;
        rows.first().map(|r| Ok((r.text(0)?.to_owned(), parse_date(r.text(1)?)?, r.text(2)?.to_owned()))).transpose()
    }
}

/// A document issued on a loan, with the PDF that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: i64,
    pub loan_seq: i64,
    pub case_id: Option<i64>,
    /// `demand-letter`, `lawyers-letter` or `complaint`.
    pub kind: String,
    /// `zh` or `en`.
    pub lang: String,
    pub made_on: Date,
    pub made_by: String,
    pub sha256: String,
    pub pdf: Vec<u8>,
}

impl Tx<'_> {
    /// Records a document made on a loan; returns its id.
    pub fn insert_document(&mut self, d: &DocumentRow) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "INSERT INTO documents (loan_seq, case_id, kind, lang, made_on, made_by, sha256, pdf) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                d.loan_seq.into(),
                d.case_id.into(),
                d.kind.as_str().into(),
                d.lang.as_str().into(),
                d.made_on.to_string().into(),
                d.made_by.as_str().into(),
                d.sha256.as_str().into(),
                d.pdf.clone().into(),
            ],
        )?;
        rows[0].int(0)
    }

    /// The documents made on a loan, oldest first; with `with_pdf` false, their PDFs are left
    /// out (empty) for a listing.
    pub fn documents_of(&mut self, loan_seq: i64, with_pdf: bool) -> Result<Vec<DocumentRow>, StoreError> {
        let pdf = if with_pdf { "pdf" } else { "NULL" };
        let rows = self.conn.query(
            &format!(
                "SELECT id, loan_seq, case_id, kind, lang, made_on, made_by, sha256, {pdf} FROM documents \
                 WHERE loan_seq = $1 ORDER BY id"
            ),
            &[loan_seq.into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DocumentRow {
                    id: r.int(0)?,
                    loan_seq: r.int(1)?,
                    case_id: r.opt_int(2)?,
                    kind: r.text(3)?.to_owned(),
                    lang: r.text(4)?.to_owned(),
                    made_on: parse_date(r.text(5)?)?,
                    made_by: r.text(6)?.to_owned(),
                    sha256: r.text(7)?.to_owned(),
                    pdf: if with_pdf { r.bytes(8)?.to_vec() } else { Vec::new() },
                })
            })
            .collect()
    }
}
