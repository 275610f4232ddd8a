//! Borrower files: who the borrowers are and how to reach them, and (for US furnishing) the
//! identity a credit bureau matches them on; checked row by row. A file with any bad row
//! changes nothing; a good file adds new borrowers and replaces known ones.

use std::collections::HashSet;
use std::io::Read;

use arrears_core::Date;
use arrears_policy::Channel;
use arrears_store::{BorrowerRecord, Identity, Store};

use crate::collect::mask;
use crate::import::{ImportReport, RowError};
use crate::{AppError, SYSTEM_ACTOR};

/// The columns of a borrower file, in any order; all but the first four may be left out.
pub const COLUMNS: [&str; 10] = [
    "borrower_id",
    "name",
    "language",
    "utc_offset",
    "phone",
    "email",
    "emergency_name",
    "emergency_phone",
    "opted_out",
    "segment",
];
const REQUIRED: usize = 4;

/// `+08:00`, `-05:00` or `+0530` as minutes ahead of UTC, within −12:00 … +14:00.
pub fn parse_offset(text: &str) -> Result<i32, String> {
    let bad = || format!("`{text}` is not a UTC offset: write +08:00 or -05:00");
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (digits[..2].parse().map_err(|_| bad())?, digits[2..].parse().map_err(|_| bad())?);
    let minutes = sign * (h * 60 + m);
    if m >= 60 || !(-720..=840).contains(&minutes) {
        return Err(format!("`{text}` is outside -12:00 … +14:00"));
    }
    Ok(minutes)
}

/// A phone number: an optional `+` and 7 to 15 digits, spaces and dashes ignored.
pub fn parse_phone(text: &str) -> Result<String, String> {
    let t: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = t.strip_prefix('+').unwrap_or(&t);
    if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t)
    } else {
        Err(format!("`{}` is not a phone number: 7 to 15 digits, optionally after +", mask(text)))
    }
}

/// An email address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn parse_email(text: &str) -> Result<String, String> {
    let t = text.trim();
    let ok = match t.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !t.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok && t.len() <= 254 {
        Ok(t.to_owned())
    } else {
        Err(format!("`{}` is not an email address", mask(text)))
    }
}

/// The trimmed cell of column `k` (by the header's positions `index`), `None` when empty.
fn cell<'a>(cells: &'a [String], index: &[Option<usize>], k: usize) -> Option<&'a str> {
    index[k].and_then(|i| cells.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn row(cells: &[String], index: &[Option<usize>], line: u64) -> Result<BorrowerRecord, RowError> {
    let err = |field: &str, message: String| RowError { line, field: field.to_owned(), message };
    let get = |k: usize| cell(cells, index, k);
    let need = |k: usize| get(k).ok_or_else(|| err(COLUMNS[k], "is empty".into()));
    let borrower_id = need(0)?;
    if borrower_id.len() > 64 || borrower_id.chars().any(char::is_control) {
        return Err(err("borrower_id", format!("`{borrower_id}` must be 1 to 64 printable characters")));
    }
    let name = need(1)?;
    if name.chars().count() > 100 {
        return Err(err("name", "is longer than 100 characters".into()));
    }
    let language = need(2)?;
    if language != "zh" && language != "en" {
        return Err(err("language", format!("`{language}` must be zh or en")));
    }
    let offset = parse_offset(need(3)?).map_err(|m| err("utc_offset", m))?;
    let phone = get(4).map(parse_phone).transpose().map_err(|m| err("phone", m))?;
    let email = get(5).map(parse_email).transpose().map_err(|m| err("email", m))?;
    let emergency_phone = get(7).map(parse_phone).transpose().map_err(|m| err("emergency_phone", m))?;
    let mut opted = Vec::new();
    for c in get(8).unwrap_or("").split([';', ',', ' ']).filter(|c| !c.is_empty()) {
        match Channel::parse(c) {
            Some(ch) if ch.is_electronic() => opted.push(ch.code()),
            _ => return Err(err("opted_out", format!("`{c}` is not an electronic channel: use sms, email or app"))),
        }
    }
    Ok(BorrowerRecord {
        borrower_id: borrower_id.to_owned(),
        name: name.to_owned(),
        language: language.to_owned(),
        utc_offset_minutes: offset,
        phone,
        email,
        emergency_name: get(6).map(str::to_owned),
        emergency_phone,
        opted_out: opted.join(","),
        segment: get(9).map(str::to_owned),
    })
}

/// The good rows of a CSV file whose header names some of `columns` (the first `required` of
/// them at least), each read by `row` from its cells, the column positions and its line;
/// `None` when any row is bad (the errors, by line and field, are in `report`). An id seen
/// twice is an error on its second line.
fn read_csv<T>(
    input: impl Read,
    columns: &[&str],
    required: usize,
    id: impl Fn(&T) -> &str,
    row: impl Fn(&[String], &[Option<usize>], u64) -> Result<T, RowError>,
    report: &mut ImportReport,
) -> Result<Vec<T>, AppError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let headers: Vec<String> =
        reader.headers().map_err(|e| AppError::invalid("header", e.to_string()))?.iter().map(str::to_owned).collect();
    if let Some(unknown) = headers.iter().find(|h| !columns.contains(&h.as_str())) {
        return Err(AppError::invalid(
            "header",
            format!("line 1: unknown column `{unknown}`; the columns are {}", columns.join(", ")),
        ));
    }
    let index: Vec<Option<usize>> = columns.iter().map(|c| headers.iter().position(|h| h == c)).collect();
    if let Some(missing) = columns[..required].iter().zip(&index).find(|(_, i)| i.is_none()) {
        return Err(AppError::invalid("header", format!("line 1: the column `{}` is missing", missing.0)));
    }
    let mut good = Vec::new();
    let mut seen = HashSet::new();
    for (k, record) in reader.into_records().enumerate() {
        let line = k as u64 + 2;
        report.rows += 1;
        let cells: Vec<String> = match record {
            Ok(r) => r.iter().map(str::to_owned).collect(),
            Err(e) => {
                report.errors.push(RowError { line, field: "row".into(), message: e.to_string() });
                continue;
            }
        };
        match row(&cells, &index, line) {
            Ok(b) if !seen.insert(id(&b).to_owned()) => report.errors.push(RowError {
                line,
                field: columns[0].into(),
                message: format!("`{}` appears twice in the file", id(&b)),
            }),
            Ok(b) => good.push(b),
            Err(e) => report.errors.push(e),
        }
    }
    if !report.errors.is_empty() {
        return Err(AppError::invalid("file", format!("{} bad rows; nothing was imported", report.errors.len())));
    }
    Ok(good)
}

/// Reads a CSV borrower file; with any bad row nothing is written and the errors name the
/// line and the field.
pub fn import_csv(store: &mut Store, input: impl Read, report: &mut ImportReport) -> Result<(), AppError> {
    let mut good = read_csv(input, &COLUMNS, REQUIRED, |b: &BorrowerRecord| &b.borrower_id, row, report)?;
    store.transaction(|tx| {
        // An opt-out already recorded stays: a file can add opt-outs, never take one back.
        let ids: Vec<&str> = good.iter().map(|b| b.borrower_id.as_str()).collect();
        let known = tx.borrowers(&ids)?;
        for b in &mut good {
            if let Some(old) = known.get(&b.borrower_id) {
                let mut list: Vec<&str> = b.opted_out.split(',').filter(|c| !c.is_empty()).collect();
                for c in old.opted_out.split(',').filter(|c| !c.is_empty()) {
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
                b.opted_out = list.join(",");
            }
        }
        tx.upsert_borrowers(&good)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, SYSTEM_ACTOR, "import-borrowers", &good.len().to_string(), "{}")?;
        Ok::<_, AppError>(())
    })?;
    report.imported = good.len();
    Ok(())
}

/// The columns of an identity file, all required: what a US credit bureau matches an account on.
pub const IDENTITY_COLUMNS: [&str; 9] =
    ["borrower_id", "surname", "first_name", "ssn", "birth_date", "address", "city", "state", "zip"];

/// Metro 2's room for each text field of an identity, in characters.
const IDENTITY_LENGTHS: [(usize, usize); 4] = [(1, 25), (2, 20), (5, 32), (6, 20)];

fn identity_row(cells: &[String], index: &[Option<usize>], line: u64) -> Result<Identity, RowError> {
    let err = |k: usize, message: String| RowError { line, field: IDENTITY_COLUMNS[k].to_owned(), message };
    let get = |k: usize| cell(cells, index, k);
    let need = |k: usize| get(k).ok_or_else(|| err(k, "is empty".into()));
    for k in 0..IDENTITY_COLUMNS.len() {
        need(k)?;
    }
    for (k, len) in IDENTITY_LENGTHS {
        let text = need(k)?;
        if !text.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) || text.len() > len {
            return Err(err(k, format!("must be 1 to {len} printable ASCII characters, as the bureau's file carries it")));
        }
    }
    let ssn: String = need(3)?.chars().filter(|c| *c != '-').collect();
    let (area, group, serial) = (ssn.get(..3).unwrap_or(""), ssn.get(3..5).unwrap_or(""), ssn.get(5..).unwrap_or(""));
    let valid = ssn.len() == 9
        && ssn.bytes().all(|b| b.is_ascii_digit())
        && !matches!(area, "000" | "666")
        && !area.starts_with('9')
        && group != "00"
        && serial != "0000";
    if !valid {
        return Err(err(3, "is not a Social Security number: nine digits, not 000/666/9xx-, -00-, -0000".into()));
    }
    let birth_date: Date = need(4)?.parse().map_err(|e| err(4, format!("{e}")))?;
    if birth_date.year() < 1900 {
        return Err(err(4, format!("{birth_date} is before 1900")));
    }
    let state = need(7)?;
    if state.len() != 2 || !state.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(err(7, format!("`{state}` is not a two-letter state code such as NY")));
    }
    let zip: String = need(8)?.chars().filter(|c| *c != '-').collect();
    if !(zip.len() == 5 || zip.len() == 9) || !zip.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(8, format!("`{}` is not a ZIP code of 5 or 9 digits", need(8)?)));
    }
    Ok(Identity {
        borrower_id: need(0)?.to_owned(),
        surname: need(1)?.to_owned(),
        first_name: need(2)?.to_owned(),
        ssn,
        birth_date,
        address: need(5)?.to_owned(),
        city: need(6)?.to_owned(),
        state: state.to_owned(),
        zip,
    })
}

/// Reads a CSV identity file (the US borrowers' names, SSN, date of birth and address, for
/// Metro 2); all or nothing, errors by line and field. Each borrower must be known.
pub fn import_identities_csv(store: &mut Store, input: impl Read, report: &mut ImportReport) -> Result<(), AppError> {
    let good = read_csv(input, &IDENTITY_COLUMNS, IDENTITY_COLUMNS.len(), |i: &Identity| &i.borrower_id, identity_row, report)?;
    store.transaction(|tx| {
        let ids: Vec<&str> = good.iter().map(|i| i.borrower_id.as_str()).collect();
        let known = tx.borrowers(&ids)?;
        if let Some(unknown) = good.iter().find(|i| !known.contains_key(&i.borrower_id)) {
            return Err(AppError::invalid(
                "borrower_id",
                format!(
                    "`{}` is not a known borrower: import the borrower file first; nothing was imported",
                    unknown.borrower_id
                ),
            ));
        }
        tx.upsert_identities(&good)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, SYSTEM_ACTOR, "import-identities", &good.len().to_string(), "{}")?;
        Ok::<_, AppError>(())
    })?;
    report.imported = good.len();
    Ok(())
}
