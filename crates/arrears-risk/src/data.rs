//! The training file: a reader for the columns of the Taiwan credit-card data (`ID`,
//! `LIMIT_BAL`, `SEX`, `EDUCATION`, `MARRIAGE`, `AGE`, `PAY_0`, `PAY_2`..`PAY_6`,
//! `BILL_AMT1`..`6`, `PAY_AMT1`..`6`, `default.payment.next.month`) into [`Snapshot`]s with
//! their outcome. Errors name the column and the line (the header is line 1).

use std::io::Read;

use crate::features::{Delay, Month, Snapshot, MONTHS};

/// The outcome column.
pub const TARGET: &str = "default.payment.next.month";
/// Status columns, most recent first (the data has no `PAY_1`).
pub const STATUS_COLUMNS: [&str; MONTHS] = ["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"];
pub const DUE_COLUMNS: [&str; MONTHS] = ["BILL_AMT1", "BILL_AMT2", "BILL_AMT3", "BILL_AMT4", "BILL_AMT5", "BILL_AMT6"];
pub const PAID_COLUMNS: [&str; MONTHS] = ["PAY_AMT1", "PAY_AMT2", "PAY_AMT3", "PAY_AMT4", "PAY_AMT5", "PAY_AMT6"];
/// Bound on the rows of a training file.
pub const MAX_ROWS: usize = 5_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DataError {
    #[error("the file has no column `{column}`; expected the columns of the Taiwan credit data (ID, LIMIT_BAL, …, {TARGET})")]
    MissingColumn { column: String },
    #[error("line {line}, column `{column}`: `{value}` is not {expected}")]
    BadValue { line: u64, column: String, value: String, expected: &'static str },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("the file has no data rows")]
    Empty,
    #[error("column `{column}`: every row is {class}; a model needs both defaults (1) and non-defaults (0)")]
    SingleClass { column: String, class: u8 },
    #[error("the file has more than {MAX_ROWS} rows")]
    TooLarge,
}

/// One row: its id, what the features see, and whether it defaulted the next month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub snapshot: Snapshot,
    pub defaulted: bool,
}

/// Rows read from a training or evaluation file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub records: Vec<Record>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn labels(&self) -> Vec<bool> {
        self.records.iter().map(|r| r.defaulted).collect()
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset { records: indices.iter().map(|&i| self.records[i].clone()).collect() }
    }

    /// Refuses a file with a single class.
    pub fn check_two_classes(&self) -> Result<(), DataError> {
        let bad = self.records.iter().filter(|r| r.defaulted).count();
        if self.records.is_empty() {
            Err(DataError::Empty)
        } else if bad == 0 || bad == self.records.len() {
            Err(DataError::SingleClass { column: TARGET.into(), class: u8::from(bad > 0) })
        } else {
            Ok(())
        }
    }
}

struct Columns {
    id: usize,
    limit: usize,
    sex: usize,
    marriage: usize,
    age: usize,
    status: [usize; MONTHS],
    due: [usize; MONTHS],
    paid: [usize; MONTHS],
    target: usize,
}

fn locate(headers: &csv::StringRecord) -> Result<Columns, DataError> {
    let find = |name: &str| {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| DataError::MissingColumn { column: name.to_string() })
    };
    let find_all = |names: &[&str; MONTHS]| -> Result<[usize; MONTHS], DataError> {
        let mut out = [0; MONTHS];
        for (o, n) in out.iter_mut().zip(names) {
            *o = find(n)?;
        }
        Ok(out)
    };
    // EDUCATION is part of the format but no feature uses it: it says nothing about behaviour
    // and the live book does not record it.
    find("EDUCATION")?;
    Ok(Columns {
        id: find("ID")?,
        limit: find("LIMIT_BAL")?,
        sex: find("SEX")?,
        marriage: find("MARRIAGE")?,
        age: find("AGE")?,
        status: find_all(&STATUS_COLUMNS)?,
        due: find_all(&DUE_COLUMNS)?,
        paid: find_all(&PAID_COLUMNS)?,
        target: find(TARGET)?,
    })
}

/// Reads a whole file: every row or the first error. A file with one class is refused.
pub fn read_csv<R: Read>(input: R) -> Result<Dataset, DataError> {
    let data = read_csv_any_classes(input)?;
    data.check_two_classes()?;
    Ok(data)
}

/// Reads a whole file, allowing a single class (for scoring or evaluating a slice).
pub fn read_csv_any_classes<R: Read>(input: R) -> Result<Dataset, DataError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
    let headers = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let cols = locate(&headers)?;
    let mut records = Vec::new();
    let mut row = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e, line + 1)),
        }
        line = row.position().map_or(line + 1, |p| p.line());
        if records.len() == MAX_ROWS {
            return Err(DataError::TooLarge);
        }
        records.push(parse_row(&row, &headers, &cols, line)?);
    }
    if records.is_empty() {
        return Err(DataError::Empty);
    }
    Ok(Dataset { records })
}

fn csv_error(e: &csv::Error, line: u64) -> DataError {
    let line = e.position().map_or(line, |p| p.line());
    DataError::Csv { line, message: e.to_string() }
}

fn parse_row(row: &csv::StringRecord, headers: &csv::StringRecord, c: &Columns, line: u64) -> Result<Record, DataError> {
    let text = |i: usize| row.get(i).unwrap_or("").trim();
    let bad = |i: usize, expected: &'static str| DataError::BadValue {
        line,
        column: headers.get(i).unwrap_or("?").trim().to_string(),
        value: text(i).to_string(),
        expected,
    };
    let int = |i: usize, expected: &'static str| -> Result<i64, DataError> {
        let t = text(i);
        // Some exports write whole amounts as `3913.0`; accept those, refuse real fractions.
        t.parse::<i64>().or_else(|_| match t.parse::<f64>() {
            Ok(x) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(x as i64),
            _ => Err(bad(i, expected)),
        })
    };
    let ranged = |i: usize, lo: i64, hi: i64, expected: &'static str| -> Result<i64, DataError> {
        let v = int(i, expected)?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(bad(i, expected))
        }
    };
    let mut months = [Month { status: Delay::REVOLVING, due_minor: 0, paid_minor: 0 }; MONTHS];
    for (k, month) in months.iter_mut().enumerate() {
        let code = ranged(c.status[k], -2, 9, "a repayment status from -2 to 9")?;
        month.status = Delay::new(code as i8).ok_or_else(|| bad(c.status[k], "a repayment status from -2 to 9"))?;
        month.due_minor = int(c.due[k], "a whole amount")?;
        month.paid_minor = ranged(c.paid[k], 0, i64::MAX, "a whole amount of zero or more")?;
    }
    let defaulted = ranged(c.target, 0, 1, "0 or 1")? == 1;
    let snapshot = Snapshot {
        months,
        credit_line_minor: ranged(c.limit, 1, i64::MAX, "a positive whole amount")?,
        age_years: ranged(c.age, 0, 150, "an age in years")? as u32,
        sex: Some(ranged(c.sex, 0, 9, "a code from 0 to 9")? as u8),
        marriage: Some(ranged(c.marriage, 0, 9, "a code from 0 to 9")? as u8),
    };
    let id = text(c.id);
    let id = if id.is_empty() { format!("line {line}") } else { id.to_string() };
    Ok(Record { id, snapshot, defaulted })
}
