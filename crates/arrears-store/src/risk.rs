//! Queries of behavioural scoring: month-end performance rows, risk scores and scoring runs.

use std::collections::BTreeMap;

use arrears_core::Date;

use crate::collect::{placeholders as in_list, IN_CHUNK};
use crate::conn::{Row, Value};
use crate::{parse_date, StoreError, Tx};

/// A loan's performance in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRow {
    pub loan_seq: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// -2 nothing due, -1 paid in full, 0 an installment due on the month's last day and not yet
    /// paid, 1..9 months late (days past due, grace included, rounded up to months).
    pub status: i64,
    pub due: i64,
    pub paid: i64,
    /// Everything owed at the month's end.
    pub balance: i64,
    /// Owed past its due date at the month's end.
    pub overdue: i64,
    /// Days past due at the month's end.
    pub dpd: i64,
    /// The five-category class at the month's end.
    pub class: String,
    /// The bucket at the month's end.
    pub bucket: String,
}

/// A loan's risk score on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRow {
    pub loan_seq: i64,
    pub scored_on: Date,
    pub model: String,
    pub points: i64,
    pub pd_ppm: i64,
    pub band: String,
    /// JSON: the reasons, in English and Chinese.
    pub reasons: String,
    /// JSON array: the values of the watched features.
    pub features: String,
}

/// Loans of one class or bucket at a month's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotal {
    pub group: String,
    pub loans: i64,
    /// Minor units.
    pub balance: i64,
    pub overdue: i64,
}

/// A monthly scoring run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRunRow {
    /// `YYYY-MM`, the month that ended.
    pub month: String,
    pub run_on: Date,
    pub status: String,
    pub model: String,
    pub loans: i64,
    /// JSON of the population's drift against the training data.
    pub drift: Option<String>,
}

const SCORE_COLUMNS: &str = "loan_seq, scored_on, model, points, pd_ppm, band, reasons, features";

fn score_from_row(r: &Row) -> Result<ScoreRow, StoreError> {
    Ok(ScoreRow {
        loan_seq: r.int(0)?,
        scored_on: parse_date(r.text(1)?)?,
        model: r.text(2)?.to_owned(),
        points: r.int(3)?,
        pd_ppm: r.int(4)?,
        band: r.text(5)?.to_owned(),
        reasons: r.text(6)?.to_owned(),
        features: r.text(7)?.to_owned(),
    })
}

impl Tx<'_> {
    /// Up to `limit` loans still owing (active, or written off and not recovered in full) after
    /// `after_seq`, in sequence order, as raw rows for the caller to decode.
    pub fn owing_loans_page(&mut self, after_seq: i64, limit: i64) -> Result<Vec<crate::RawLoan>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT {} FROM loans WHERE status IN ('active', 'written-off') AND seq > $1 ORDER BY seq LIMIT $2",
                crate::LOAN_COLUMNS
            ),
            &[after_seq.into(), limit.into()],
        )?;
        Ok(rows.into_iter().map(crate::RawLoan).collect())
    }

    /// Records month rows; a row already recorded for its loan and month is left as it was.
    pub fn add_months(&mut self, rows: &[MonthRow]) -> Result<(), StoreError> {
        let values = rows
            .iter()
            .map(|m| {
                vec![
                    Value::from(m.loan_seq),
                    Value::from(m.month.as_str()),
                    Value::from(m.status),
                    Value::from(m.due),
                    Value::from(m.paid),
                    Value::from(m.balance),
                    Value::from(m.overdue),
                    Value::from(m.dpd),
                    Value::from(m.class.as_str()),
                    Value::from(m.bucket.as_str()),
                ]
            })
            .collect();
        self.insert_rows_with(
            "loan_months",
            &["loan_seq", "month", "status", "due", "paid", "balance", "overdue", "dpd", "class", "bucket"],
            values,
            " ON CONFLICT (loan_seq, month) DO NOTHING",
        )
    }

    /// The month rows of the loans in `seqs` for months after `after` up to and including
    /// `until` (`YYYY-MM`), by loan, oldest first.
    pub fn months_of(&mut self, seqs: &[i64], after: &str, until: &str) -> Result<BTreeMap<i64, Vec<MonthRow>>, StoreError> {
        let mut out: BTreeMap<i64, Vec<MonthRow>> = BTreeMap::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT loan_seq, month, status, due, paid, balance, overdue, dpd, class, bucket FROM loan_months \
                 WHERE month > $1 AND month <= $2 \
                 AND loan_seq IN ({}) ORDER BY loan_seq, month",
                in_list(3, chunk.len())
            );
            let mut params = vec![Value::from(after), Value::from(until)];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                let row = MonthRow {
                    loan_seq: r.int(0)?,
                    month: r.text(1)?.to_owned(),
                    status: r.int(2)?,
                    due: r.int(3)?,
                    paid: r.int(4)?,
                    balance: r.int(5)?,
                    overdue: r.int(6)?,
                    dpd: r.int(7)?,
                    class: r.text(8)?.to_owned(),
                    bucket: r.text(9)?.to_owned(),
                };
                out.entry(row.loan_seq).or_default().push(row);
            }
        }
        Ok(out)
    }

    /// Posted payments of the loans in `seqs` with value dates in `from..=to`, summed by loan.
    pub fn paid_by_loan(&mut self, seqs: &[i64], from: Date, to: Date) -> Result<BTreeMap<i64, i64>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT loan_seq, CAST(SUM(amount) AS BIGINT) FROM payments WHERE status = 'posted' AND value_date >= $1 \
                 AND value_date <= $2 AND loan_seq IN ({}) GROUP BY loan_seq",
                in_list(3, chunk.len())
            );
            let mut params = vec![Value::from(from.to_string()), Value::from(to.to_string())];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.insert(r.int(0)?, r.int(1)?);
            }
        }
        Ok(out)
    }

    /// Records scores; a loan already scored on that date keeps its first score.
    pub fn add_scores(&mut self, scores: &[ScoreRow]) -> Result<(), StoreError> {
        let values = scores
            .iter()
            .map(|s| {
                vec![
                    Value::from(s.loan_seq),
                    Value::from(s.scored_on.to_string()),
                    Value::from(s.model.as_str()),
                    Value::from(s.points),
                    Value::from(s.pd_ppm),
                    Value::from(s.band.as_str()),
                    Value::from(s.reasons.as_str()),
                    Value::from(s.features.as_str()),
                ]
            })
            .collect();
        let columns: Vec<&str> = SCORE_COLUMNS.split(", ").collect();
        self.insert_rows_with("risk_scores", &columns, values, " ON CONFLICT (loan_seq, scored_on) DO NOTHING")
    }

    /// The latest score of a loan on or before `date`.
    pub fn latest_score(&mut self, loan_seq: i64, date: Date) -> Result<Option<ScoreRow>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT {SCORE_COLUMNS} FROM risk_scores WHERE loan_seq = $1 AND scored_on <= $2 ORDER BY scored_on DESC LIMIT 1"
            ),
            &[loan_seq.into(), date.to_string().into()],
        )?;
        rows.first().map(score_from_row).transpose()
    }

    /// The band of each loan in `seqs` at its latest score.
    pub fn latest_bands(&mut self, seqs: &[i64]) -> Result<BTreeMap<i64, String>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT r.loan_seq, r.band FROM risk_scores r WHERE r.loan_seq IN ({}) \
                 AND r.scored_on = (SELECT MAX(s.scored_on) FROM risk_scores s WHERE s.loan_seq = r.loan_seq)",
                in_list(1, chunk.len())
            );
            let params: Vec<Value> = chunk.iter().map(|&s| Value::from(s)).collect();
            for r in self.conn.query(&sql, &params)? {
                out.insert(r.int(0)?, r.text(1)?.to_owned());
            }
        }
        Ok(out)
    }

    /// Up to `limit` scores of `date` after loan `after_seq`, in loan order.
    pub fn scores_on(&mut self, date: Date, after_seq: i64, limit: i64) -> Result<Vec<ScoreRow>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {SCORE_COLUMNS} FROM risk_scores WHERE scored_on = $1 AND loan_seq > $2 ORDER BY loan_seq LIMIT $3"),
            &[date.to_string().into(), after_seq.into(), limit.into()],
        )?;
        rows.iter().map(score_from_row).collect()
    }

    /// Every score in `band` given while the month just ended found the loan current (paid in
    /// full, nothing due, or due that day): `(loan_seq, scored_on)`, one per loan and month.
    pub fn current_loans_scored(&mut self, band: &str) -> Result<Vec<(i64, Date)>, StoreError> {
        let rows = self.conn.query(
            "SELECT r.loan_seq, r.scored_on FROM risk_scores r JOIN loan_months m \
             ON m.loan_seq = r.loan_seq AND m.month = SUBSTR(r.scored_on, 1, 7) \
             WHERE r.band = $1 AND m.status <= 0 ORDER BY r.loan_seq, r.scored_on",
            &[band.into()],
        )?;
        rows.iter().map(|r| Ok((r.int(0)?, parse_date(r.text(1)?)?))).collect()
    }

    /// Records a furnishing run of `month` as a new run: `(loan_seq, status, negative,
    /// withheld)` per loan. Earlier runs stay as they were. Returns the run's number.
    pub fn record_credit_reports(
        &mut self,
        month: &str,
        pack: &str,
        rows: &[(i64, String, bool, bool)],
    ) -> Result<i64, StoreError> {
        let run = self.conn.query(
            "SELECT CAST(COALESCE(MAX(run_no), 0) AS BIGINT) + 1 FROM credit_reports WHERE month = $1 AND pack = $2",
            &[month.into(), pack.into()],
        )?[0]
            .int(0)?;
        let values = rows
            .iter()
            .map(|(seq, status, negative, withheld)| {
                vec![
                    Value::from(*seq),
                    Value::from(month),
                    Value::from(pack),
                    Value::from(run),
                    Value::from(status.as_str()),
                    Value::from(i64::from(*negative)),
                    Value::from(i64::from(*withheld)),
                ]
            })
            .collect();
        self.insert_rows("credit_reports", &["loan_seq", "month", "pack", "run_no", "status", "negative", "withheld"], values)?;
        Ok(run)
    }

    /// The latest furnishing run of each month for a loan: `month → (status, withheld)`.
    pub fn furnished_months(&mut self, loan_seq: i64, pack: &str) -> Result<BTreeMap<String, (String, bool)>, StoreError> {
        let rows = self.conn.query(
            "SELECT month, status, withheld FROM credit_reports WHERE loan_seq = $1 AND pack = $2 ORDER BY month, run_no",
            &[loan_seq.into(), pack.into()],
        )?;
        let mut out = BTreeMap::new();
        for r in rows {
            out.insert(r.text(0)?.to_owned(), (r.text(1)?.to_owned(), r.int(2)? != 0));
        }
        Ok(out)
    }

    /// Loans of `seqs` whose negative information was reported (not held back) in a month
    /// before `month`.
    pub fn reported_negative_before(&mut self, seqs: &[i64], pack: &str, month: &str) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT loan_seq FROM credit_reports WHERE pack = $1 AND month < $2 AND withheld = 0 \
                 AND negative = 1 AND loan_seq IN ({})",
                in_list(3, chunk.len())
            );
            let mut params = vec![Value::from(pack), Value::from(month)];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push(r.int(0)?);
            }
        }
        Ok(out)
    }

    /// A month's loans by `group` (`class` or `bucket`) at its end, from the month-end rows.
    pub fn month_totals(&mut self, month: &str, group: &str) -> Result<Vec<MonthTotal>, StoreError> {
        // Written-off loans are off the books: counted in their bucket, never in a class.
        let (column, only) = match group {
            "class" => ("class", " AND bucket <> 'written-off'"),
            _ => ("bucket", ""),
        };
        let rows = self.conn.query(
            &format!(
                "SELECT {column}, count(*), CAST(SUM(balance) AS BIGINT), CAST(SUM(overdue) AS BIGINT) FROM loan_months \
                 WHERE month = $1{only} GROUP BY {column} ORDER BY {column}"
            ),
            &[month.into()],
        )?;
        rows.iter()
            .map(|r| Ok(MonthTotal { group: r.text(0)?.to_owned(), loans: r.int(1)?, balance: r.int(2)?, overdue: r.int(3)? }))
            .collect()
    }

    /// The status of the scoring run of `month` (`YYYY-MM`), if any.
    pub fn risk_run(&mut self, month: &str) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT status FROM risk_runs WHERE month = $1", &[month.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    pub fn record_risk_run(
        &mut self,
        month: &str,
        run_on: Date,
        status: &str,
        model: &str,
        loans: i64,
        drift: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO risk_runs (month, run_on, status, model, loans, drift) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (month) DO UPDATE SET run_on = excluded.run_on, status = excluded.status, model = excluded.model, \
             loans = excluded.loans, drift = excluded.drift",
            &[
                month.into(),
                run_on.to_string().into(),
                status.into(),
                model.into(),
                loans.into(),
                drift.map(str::to_owned).into(),
            ],
        )?;
        Ok(())
    }

    /// Scoring runs, latest first.
    pub fn risk_runs(&mut self) -> Result<Vec<RiskRunRow>, StoreError> {
        let rows =
            self.conn.query("SELECT month, run_on, status, model, loans, drift FROM risk_runs ORDER BY month DESC", &[])?;
        rows.iter()
            .map(|r| {
                Ok(RiskRunRow {
                    month: r.text(0)?.to_owned(),
                    run_on: parse_date(r.text(1)?)?,
                    status: r.text(2)?.to_owned(),
                    model: r.text(3)?.to_owned(),
                    loans: r.int(4)?,
                    drift: r.opt_text(5)?.map(str::to_owned),
                })
            })
            .collect()
    }
}
