//! Loan tapes: CSV files of loans to open, checked row by row. A file with any bad row
//! imports nothing, unless the caller asks to skip bad rows into a reject file.

use std::collections::HashSet;
use std::io::Read;

use arrears_core::{Amount, Date, LoanTerms, Rate, RepaymentMethod};
use arrears_store::Store;
use serde::Serialize;

use crate::service::{open_day, open_loans, terms_for, NewLoan};
use crate::{AppError, SYSTEM_ACTOR};

/// The columns of a loan tape, in any order; `first_due_date` may be left out.
pub const COLUMNS: [&str; 9] =
    ["loan_no", "borrower_id", "product", "principal", "annual_rate", "term_months", "method", "start_date", "first_due_date"];
/// The most rows one file may hold.
pub const MAX_ROWS: usize = 2_000_000;

/// One bad row: its line in the file (the header is line 1), the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub imported: usize,
    pub errors: Vec<RowError>,
    /// The raw bad rows with their error, for the reject file.
    #[serde(skip)]
    pub rejected: Vec<(u64, Vec<String>, String)>,
}

/// A row of a tape as text, or why it could not be read.
type SourceRow = Result<Vec<String>, String>;

/// Reads a CSV loan tape. See [`import_rows`].
pub fn import_csv(store: &mut Store, input: impl Read, skip_bad: bool, report: &mut ImportReport) -> Result<(), AppError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let headers: Vec<String> =
        reader.headers().map_err(|e| AppError::invalid("header", e.to_string()))?.iter().map(str::to_owned).collect();
    let rows = reader.into_records().map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect()).map_err(|e| e.to_string()));
    import_rows(store, &headers, rows, skip_bad, report)
}

/// Reads the first worksheet of an XLSX loan tape: the first row names the columns. Numbers
/// become their shortest decimal text and are then parsed exactly like CSV text (an amount with
/// more than two decimals is refused, not rounded); date cells become YYYY-MM-DD.
pub fn import_xlsx(store: &mut Store, path: &std::path::Path, skip_bad: bool, report: &mut ImportReport) -> Result<(), AppError> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut book: Xlsx<_> =
        open_workbook(path).map_err(|e: calamine::XlsxError| AppError::invalid("file", format!("{}: {e}", path.display())))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| AppError::invalid("file", format!("{}: the workbook has no sheet", path.display())))?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| AppError::invalid("file", format!("{}: sheet `{sheet}`: {e}", path.display())))?;
    let mut rows = range.rows().map(|cells| cells.iter().map(cell_text).collect::<Result<Vec<String>, String>>());
    let headers = match rows.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(AppError::invalid("header", format!("line 1: {e}"))),
        None => return Err(AppError::invalid("header", format!("line 1: sheet `{sheet}` is empty"))),
    };
    // Trailing empty cells of a row are not fields.
    let width = headers.iter().rposition(|h| !h.is_empty()).map_or(0, |i| i + 1);
    let headers = headers[..width].to_vec();
    let rows = rows.filter(|r| !matches!(r, Ok(cells) if cells.iter().all(String::is_empty))).map(move |r| {
        r.map(|mut cells| {
            cells.resize(width.max(cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1)), String::new());
            cells
        })
    });
    import_rows(store, &headers, rows, skip_bad, report)
}

/// A spreadsheet cell as the text a CSV would hold.
fn cell_text(cell: &calamine::Data) -> Result<String, String> {
    use calamine::Data;
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        // The shortest text that reads back as the same number: 800.5 stays 800.5.
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()).ok_or_else(|| format!("date cell {d} is out of range"))?.to_string(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("a cell holds the spreadsheet error {e:?}")),
    })
}

/// The calendar date of an Excel serial day number (1900 system; day 25569 is 1970-01-01).
fn excel_date(serial: f64) -> Option<Date> {
    let days = serial.floor();
    if !(1.0..=200_000.0).contains(&days) {
        return None;
    }
    let date = Date::from_days_since_epoch(days as i32 - 25_569);
    (arrears_core::date::MIN_YEAR..=arrears_core::date::MAX_YEAR).contains(&date.year()).then_some(date)
}

/// Checks every row of a tape (rows numbered from line 2, after the header); opens the loans
/// if every row is good, or with `skip_bad` the good ones. With bad rows and no `skip_bad` it
/// fails with [`AppError::ImportRejected`] after filling `report.errors`, and changes nothing.
pub fn import_rows(
    store: &mut Store,
    headers: &[String],
    rows: impl Iterator<Item = SourceRow>,
    skip_bad: bool,
    report: &mut ImportReport,
) -> Result<(), AppError> {
    let index = |name: &str| headers.iter().position(|h| h.trim() == name);
    for required in &COLUMNS[..8] {
        if index(required).is_none() {
            return Err(AppError::invalid(
                "header",
                format!("line 1: missing column `{required}`; the columns are {}", COLUMNS.join(",")),
            ));
        }
    }
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|c| index(c)).collect();

    let mut good: Vec<(NewLoan, LoanTerms)> = Vec::new();
    // The line and text of each good row, for a loan found in the database after all.
    let mut good_rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    store.transaction(|tx| {
        let open = open_day(tx)?;
        for (k, record) in rows.enumerate() {
            let line = k as u64 + 2;
            report.rows += 1;
            if report.rows > MAX_ROWS {
                return Err(AppError::invalid("file", format!("more than {MAX_ROWS} rows; split the tape")));
            }
            let raw = match record {
                Ok(r) => r,
                Err(e) => {
                    let err = RowError { line, field: "row".into(), message: e };
                    report.rejected.push((line, Vec::new(), err.to_string()));
                    report.errors.push(err);
                    continue;
                }
            };
            if raw.len() != headers.len() {
                let err = RowError {
                    line,
                    field: "row".into(),
                    message: format!("has {} fields; the header has {}", raw.len(), headers.len()),
                };
                report.rejected.push((line, raw, err.to_string()));
                report.errors.push(err);
                continue;
            }
            let field = |i: usize| cols[i].and_then(|c| raw.get(c)).map_or("", |s| s.trim());
            let parsed = parse_row(&field, open).and_then(|loan| {
                if !seen.insert(loan.loan_no.clone()) {
                    return Err(("loan_no", format!("`{}` appears twice in the file", loan.loan_no)));
                }
                let terms = terms_for(tx, &loan).map_err(|e| match e {
                    AppError::Invalid { field, message } => (field, message),
                    AppError::Terms(t) => terms_field(&t),
                    other => ("row", other.to_string()),
                })?;
                Ok((loan, terms))
            });
            match parsed {
                Ok(pair) => {
                    good.push(pair);
                    good_rows.push((line, raw));
                }
                Err((field, message)) => {
                    let err = RowError { line, field: field.into(), message };
                    report.rejected.push((line, raw, err.to_string()));
                    report.errors.push(err);
                }
            }
        }
        let nos: Vec<&str> = good.iter().map(|(l, _)| l.loan_no.as_str()).collect();
        let existing: HashSet<String> = tx.existing_loan_nos(&nos)?.into_iter().collect();
        if !existing.is_empty() {
            let mut kept = Vec::with_capacity(good.len());
            for ((loan, terms), (line, raw)) in good.drain(..).zip(good_rows.drain(..)) {
                if existing.contains(&loan.loan_no) {
                    let err = RowError {
                        line,
                        field: "loan_no".into(),
                        message: format!("`{}` already exists in the database", loan.loan_no),
                    };
                    report.rejected.push((line, raw, err.to_string()));
                    report.errors.push(err);
                } else {
                    kept.push((loan, terms));
                }
            }
            good = kept;
            report.errors.sort_by_key(|e| e.line);
            report.rejected.sort_by_key(|r| r.0);
        }
        if !report.errors.is_empty() && !skip_bad {
            return Err(AppError::ImportRejected(report.errors.len()));
        }
        open_loans(tx, &good)?;
        report.imported = good.len();
        let date = open.unwrap_or_else(|| good.iter().map(|(l, _)| l.start_date).max().unwrap_or(Date::from_days_since_epoch(0)));
        tx.audit(
            date,
            SYSTEM_ACTOR,
            "import",
            "loans",
            &format!("{{\"rows\":{},\"imported\":{},\"rejected\":{}}}", report.rows, report.imported, report.errors.len()),
        )?;
        Ok(())
    })
}

/// The field a terms error is about: the text of each [`arrears_core::TermsError`] begins with it.
fn terms_field(e: &arrears_core::TermsError) -> (&'static str, String) {
    let text = e.to_string();
    let field = COLUMNS
        .iter()
        .chain(["grace_days", "penalty_surcharge", "cost_cap_annual", "late_fee", "allocation"].iter())
        .find(|f| text.starts_with(&format!("{f}:")))
        .copied()
        .unwrap_or("terms");
    let message = text.split_once(": ").map_or(text.clone(), |(_, m)| m.to_owned());
    (field, message)
}

fn parse_row<'r>(field: &dyn Fn(usize) -> &'r str, open: Option<Date>) -> Result<NewLoan, (&'static str, String)> {
    let text = |i: usize, name: &'static str| {
        let v = field(i);
        if v.is_empty() {
            Err((name, "is empty".to_owned()))
        } else if v.len() > 64 {
            Err((name, "is longer than 64 characters".to_owned()))
        } else {
            Ok(v.to_owned())
        }
    };
    let loan_no = text(0, "loan_no")?;
    let borrower_id = text(1, "borrower_id")?;
    let product = text(2, "product")?;
    let principal = Amount::parse(field(3)).map_err(|e| ("principal", e.to_string()))?;
    if principal <= Amount::ZERO {
        return Err(("principal", format!("{principal} must be more than 0")));
    }
    let annual_rate = Rate::parse_percent(field(4)).map_err(|e| ("annual_rate", e.to_string()))?;
    // A spreadsheet cell formatted as a percentage holds 0.072 for 7.2%: a consumer loan at
    // under 1% a year is far likelier to be that than real, so it is refused, not imported.
    if annual_rate > Rate::ZERO && annual_rate < Rate::from_bp(100) {
        return Err((
            "annual_rate",
            format!("{annual_rate} a year is below 1%: write the rate in percent (7.2 for 7.2%), not as a fraction or a percentage cell"),
        ));
    }
    let term_months: u32 =
        field(5).parse().map_err(|_| ("term_months", format!("`{}` is not a whole number of months", field(5))))?;
    let method: RepaymentMethod = field(6).parse().map_err(|e: String| ("method", e))?;
    let start_date: Date = field(7).parse().map_err(|e: arrears_core::date::DateError| ("start_date", e.to_string()))?;
    if let Some(open) = open {
        if start_date > open {
            return Err(("start_date", format!("{start_date} is after the open business day {open}")));
        }
    }
    let first_due_date = match field(8) {
        "" => None,
        v => Some(v.parse().map_err(|e: arrears_core::date::DateError| ("first_due_date", e.to_string()))?),
    };
    Ok(NewLoan { loan_no, borrower_id, product, principal, annual_rate, term_months, method, start_date, first_due_date })
}

/// Writes the bad rows with their line and error, as CSV.
pub fn write_rejects(report: &ImportReport, out: impl std::io::Write) -> Result<(), AppError> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| AppError::Io(e.to_string());
    w.write_record(["line", "error", "row"]).map_err(io)?;
    for (line, row, error) in &report.rejected {
        // The row as CSV text, quoted where it needs to be, so it can be fixed and imported again.
        let mut text = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        text.write_record(row).map_err(io)?;
        let text = String::from_utf8(text.into_inner().map_err(|e| AppError::Io(e.to_string()))?).unwrap_or_default();
        w.write_record([line.to_string(), error.clone(), text.trim_end_matches('\n').to_owned()]).map_err(io)?;
    }
    w.flush().map_err(|e| AppError::Io(e.to_string()))
}
