//! Metro 2, the US furnishing format, in its 426-character ("character", unpacked) layout: a
//! header record, one base segment per account, and a trailer record with the file's totals.
//! [`write_file`] writes, [`parse_file`] reads back and checks every record's length, its
//! descriptor and the trailer's totals against the base segments.
//!
//! Positions below are 0-based offsets into the record (the format's own field positions are
//! these plus one). Alphanumeric fields are left-justified, upper case and blank-filled; numeric
//! and money fields right-justified and zero-filled; money is whole dollars, cents dropped;
//! dates are `MMDDYYYY`, zeros when absent.

use std::collections::BTreeMap;

use arrears_core::{Amount, Date};

/// The length of every record in the character layout.
pub const RECORD_LEN: usize = 426;

/// A field: offset and length.
type Field = (usize, usize);

mod base {
    use super::Field;
    pub const RDW: Field = (0, 4);
    pub const PROCESSING: Field = (4, 1);
    pub const TIME_STAMP: Field = (5, 14);
    pub const CORRECTION: Field = (19, 1);
    pub const IDENTIFICATION: Field = (20, 20);
    pub const CYCLE: Field = (40, 2);
    pub const ACCOUNT_NUMBER: Field = (42, 30);
    pub const PORTFOLIO_TYPE: Field = (72, 1);
    pub const ACCOUNT_TYPE: Field = (73, 2);
    pub const DATE_OPENED: Field = (75, 8);
    pub const CREDIT_LIMIT: Field = (83, 9);
    pub const HIGHEST_CREDIT: Field = (92, 9);
    pub const TERMS_DURATION: Field = (101, 3);
    pub const TERMS_FREQUENCY: Field = (104, 1);
    pub const SCHEDULED_PAYMENT: Field = (105, 9);
    pub const ACTUAL_PAYMENT: Field = (114, 9);
    pub const ACCOUNT_STATUS: Field = (123, 2);
    pub const PAYMENT_RATING: Field = (125, 1);
    pub const HISTORY: Field = (126, 24);
    pub const SPECIAL_COMMENT: Field = (150, 2);
    pub const COMPLIANCE: Field = (152, 2);
    pub const CURRENT_BALANCE: Field = (154, 9);
    pub const AMOUNT_PAST_DUE: Field = (163, 9);
    pub const CHARGE_OFF: Field = (172, 9);
    pub const DATE_INFO: Field = (181, 8);
    pub const DATE_FIRST_DELINQUENCY: Field = (189, 8);
    pub const DATE_CLOSED: Field = (197, 8);
    pub const DATE_LAST_PAYMENT: Field = (205, 8);
    pub const SURNAME: Field = (231, 25);
    pub const FIRST_NAME: Field = (256, 20);
    pub const SSN: Field = (297, 9);
    pub const DATE_BIRTH: Field = (306, 8);
    pub const TELEPHONE: Field = (314, 10);
    pub const ECOA: Field = (324, 1);
    pub const ADDRESS_1: Field = (329, 32);
    pub const CITY: Field = (393, 20);
    pub const STATE: Field = (413, 2);
    pub const ZIP: Field = (415, 9);
}

mod header {
    use super::Field;
    pub const RDW: Field = (0, 4);
    pub const IDENTIFIER: Field = (4, 6);
    pub const CYCLE: Field = (10, 2);
    pub const EQUIFAX: Field = (22, 10);
    pub const EXPERIAN: Field = (32, 5);
    pub const TRANSUNION: Field = (37, 10);
    pub const ACTIVITY_DATE: Field = (47, 8);
    pub const DATE_CREATED: Field = (55, 8);
    pub const REPORTER_NAME: Field = (79, 40);
    pub const REPORTER_ADDRESS: Field = (119, 96);
    pub const REPORTER_PHONE: Field = (215, 10);
    pub const SOFTWARE_VENDOR: Field = (225, 40);
    pub const SOFTWARE_VERSION: Field = (265, 5);
}

mod trailer {
    use super::Field;
    pub const RDW: Field = (0, 4);
    pub const IDENTIFIER: Field = (4, 7);
    pub const BASE_RECORDS: Field = (11, 9);
    pub const BLOCK_COUNT: Field = (56, 9);
    pub const ECOA_Z: Field = (263, 9);
    pub const SSN_ALL: Field = (326, 9);
    pub const SSN_BASE: Field = (335, 9);
    pub const BIRTH_ALL: Field = (362, 9);
    pub const BIRTH_BASE: Field = (371, 9);
    pub const PHONE_ALL: Field = (398, 9);
    /// Where the count of base segments with each account status is kept.
    pub const STATUS_COUNTS: [(&str, usize); 23] = [
        ("DF", 29),
        ("DA", 65),
        ("05", 74),
        ("11", 83),
        ("13", 92),
        ("61", 101),
        ("62", 110),
        ("63", 119),
        ("64", 128),
        ("65", 137),
        ("71", 146),
        ("78", 155),
        ("80", 164),
        ("82", 173),
        ("83", 182),
        ("84", 191),
        ("88", 200),
        ("89", 209),
        ("93", 218),
        ("94", 227),
        ("95", 236),
        ("96", 245),
        ("97", 254),
    ];
    /// Counts of appended segments this writer never writes (J1, J2, employment, original
    /// creditor, purchased from, mortgage, payment information, change; SSNs and dates of birth
    /// in J1 and J2): always zero.
    pub const ZERO_COUNTS: [usize; 12] = [38, 47, 272, 281, 290, 299, 308, 317, 344, 353, 380, 389];
}

/// Who furnishes the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub cycle: String,
    pub equifax_id: String,
    pub experian_id: String,
    pub transunion_id: String,
    pub activity_date: Date,
    pub date_created: Date,
    pub reporter_name: String,
    pub reporter_address: String,
    pub reporter_phone: String,
    pub software_vendor: String,
    pub software_version: String,
}

/// One account, as the base segment carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSegment {
    /// `MMDDYYYYHHMMSS` of the update, as given.
    pub time_stamp: String,
    pub identification_number: String,
    pub cycle: String,
    pub account_number: String,
    /// `I` installment.
    pub portfolio_type: char,
    /// `01` unsecured.
    pub account_type: String,
    pub date_opened: Date,
    pub highest_credit: Amount,
    pub terms_duration: u32,
    /// `M` monthly.
    pub terms_frequency: char,
    pub scheduled_payment: Amount,
    pub actual_payment: Amount,
    /// `11`, `71`, `78`, `80`, `82`, `83`, `84`, `13`, `64`, `97`, `93`, `DA` …
    pub account_status: String,
    /// Blank, or the rating of a closed or charged-off account (`0`…`6`, `L`, `G`).
    pub payment_rating: char,
    /// 24 codes, the month before this report first.
    pub history: String,
    pub special_comment: String,
    /// `XB` while a dispute is open; `XC` or `XH` after it.
    pub compliance_condition: String,
    pub current_balance: Amount,
    pub amount_past_due: Amount,
    pub original_charge_off: Amount,
    pub date_account_information: Date,
    pub date_first_delinquency: Option<Date>,
    pub date_closed: Option<Date>,
    pub date_last_payment: Option<Date>,
    pub surname: String,
    pub first_name: String,
    pub ssn: String,
    pub date_birth: Option<Date>,
    pub telephone: String,
    /// `1` individual, `Z` delete the consumer.
    pub ecoa: char,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
}

/// The account status of a loan by days past due: 11 current (0–29 days), 71 (30–59), 78
/// (60–89), 80 (90–119), 82 (120–149), 83 (150–179), 84 (180 or more).
pub fn status_by_dpd(dpd: u32) -> &'static str {
    match dpd {
        0..=29 => "11",
        30..=59 => "71",
        60..=89 => "78",
        90..=119 => "80",
        120..=149 => "82",
        150..=179 => "83",
        _ => "84",
    }
}

/// Where an account stands at the end of a reporting month, for its status and rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Open, this many days past due.
    Open { dpd: u32 },
    /// Paid or closed, never charged off.
    Paid,
    /// Charged off and still owing.
    ChargedOff,
    /// Paid in full after a charge-off.
    PaidAfterChargeOff,
}

impl Standing {
    /// The account status: by days past due while open; `13` paid or closed; `97` charged
    /// off with a balance; `64` paid in full after a charge-off.
    pub fn account_status(self) -> &'static str {
        match self {
            Standing::Open { dpd } => status_by_dpd(dpd),
            Standing::Paid => "13",
            Standing::ChargedOff => "97",
            Standing::PaidAfterChargeOff => "64",
        }
    }

    /// The payment rating, required with a closed or charged-off status and blank otherwise:
    /// `L` for a charge-off (paid since or not), `0` for an account paid as agreed.
    pub fn payment_rating(self) -> char {
        match self {
            Standing::Open { .. } => ' ',
            Standing::Paid => '0',
            Standing::ChargedOff | Standing::PaidAfterChargeOff => 'L',
        }
    }

    /// The month's code in the payment history profile.
    pub fn history_code(self) -> char {
        match self {
            Standing::Open { dpd } => history_code(dpd),
            Standing::Paid => '0',
            Standing::ChargedOff | Standing::PaidAfterChargeOff => 'L',
        }
    }
}

/// The payment history profile's code of a month by days past due: `0` current, `1` 30–59 …
/// `6` 180 or more.
pub fn history_code(dpd: u32) -> char {
    match dpd {
        0..=29 => '0',
        30..=59 => '1',
        60..=89 => '2',
        90..=119 => '3',
        120..=149 => '4',
        150..=179 => '5',
        _ => '6',
    }
}

/// The 24-character profile from the months before the report, the most recent first; months
/// before the account opened are `B`, months with no record `D`.
pub fn history_profile(previous_months: &[Option<char>], opened_months_ago: usize) -> String {
    (0..24).map(|k| if k >= opened_months_ago { 'B' } else { previous_months.get(k).copied().flatten().unwrap_or('D') }).collect()
}

/// Why a file does not read as Metro 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Metro2Error {
    #[error("record {record}: {len} characters; every record has {RECORD_LEN}")]
    Length { record: usize, len: usize },
    #[error("record {record}: field at position {position}: {message}")]
    Field { record: usize, position: usize, message: String },
    #[error("the file has no {0} record")]
    Missing(&'static str),
    #[error("trailer: {field} is {found}, the base segments give {expected}")]
    Totals { field: String, found: u64, expected: u64 },
}

fn put(rec: &mut [u8], (at, len): Field, text: &str) {
    let upper: Vec<u8> = text
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c.to_ascii_uppercase() as u8 } else { b' ' })
        .take(len)
        .collect();
    rec[at..at + len].fill(b' ');
    rec[at..at + upper.len()].copy_from_slice(&upper);
}

fn put_number(rec: &mut [u8], (at, len): Field, n: u64) {
    let text = format!("{n:0len$}");
    let text = &text[text.len().saturating_sub(len)..];
    rec[at..at + len].copy_from_slice(text.as_bytes());
}

/// The digits of an identifier or phone number (dashes, spaces, dots, brackets and a leading
/// plus dropped) as a number of at most `len` digits; `None` when it has other characters, no
/// digits or too many. The writer and the trailer's counts read fields the same way.
pub fn digits(text: &str, len: usize) -> Option<u64> {
    if text.chars().any(|c| !(c.is_ascii_digit() || "-() +.".contains(c))) {
        return None;
    }
    let d: String = text.chars().filter(char::is_ascii_digit).collect();
    if d.is_empty() || d.len() > len {
        return None;
    }
    d.parse().ok()
}

fn dollars(amount: Amount) -> u64 {
    (amount.0.max(0) / 100) as u64
}

fn date_text(date: Option<Date>) -> String {
    date.map_or_else(|| "00000000".to_owned(), |d| format!("{:02}{:02}{:04}", d.month(), d.day(), d.year()))
}

fn record() -> Vec<u8> {
    vec![b' '; RECORD_LEN]
}

/// The header record.
pub fn header_record(h: &Header) -> String {
    let mut r = record();
    put_number(&mut r, header::RDW, RECORD_LEN as u64);
    put(&mut r, header::IDENTIFIER, "HEADER");
    put(&mut r, header::CYCLE, &h.cycle);
    put(&mut r, header::EQUIFAX, &h.equifax_id);
    put(&mut r, header::EXPERIAN, &h.experian_id);
    put(&mut r, header::TRANSUNION, &h.transunion_id);
    put(&mut r, header::ACTIVITY_DATE, &date_text(Some(h.activity_date)));
    put(&mut r, header::DATE_CREATED, &date_text(Some(h.date_created)));
    put(&mut r, (63, 16), &"0".repeat(16));
    put(&mut r, header::REPORTER_NAME, &h.reporter_name);
    put(&mut r, header::REPORTER_ADDRESS, &h.reporter_address);
    put_number(&mut r, header::REPORTER_PHONE, digits(&h.reporter_phone, 10).unwrap_or(0));
    put(&mut r, header::SOFTWARE_VENDOR, &h.software_vendor);
    put(&mut r, header::SOFTWARE_VERSION, &h.software_version);
    String::from_utf8(r).expect("ASCII")
}

/// One base segment.
pub fn base_record(b: &BaseSegment) -> String {
    let mut r = record();
    put_number(&mut r, base::RDW, RECORD_LEN as u64);
    put(&mut r, base::PROCESSING, "1");
    put(&mut r, base::TIME_STAMP, &b.time_stamp);
    put(&mut r, base::CORRECTION, "0");
    put(&mut r, base::IDENTIFICATION, &b.identification_number);
    put(&mut r, base::CYCLE, &b.cycle);
    put(&mut r, base::ACCOUNT_NUMBER, &b.account_number);
    put(&mut r, base::PORTFOLIO_TYPE, &b.portfolio_type.to_string());
    put(&mut r, base::ACCOUNT_TYPE, &b.account_type);
    put(&mut r, base::DATE_OPENED, &date_text(Some(b.date_opened)));
    put_number(&mut r, base::CREDIT_LIMIT, 0);
    put_number(&mut r, base::HIGHEST_CREDIT, dollars(b.highest_credit));
    put_number(&mut r, base::TERMS_DURATION, u64::from(b.terms_duration));
    put(&mut r, base::TERMS_FREQUENCY, &b.terms_frequency.to_string());
    put_number(&mut r, base::SCHEDULED_PAYMENT, dollars(b.scheduled_payment));
    put_number(&mut r, base::ACTUAL_PAYMENT, dollars(b.actual_payment));
    put(&mut r, base::ACCOUNT_STATUS, &b.account_status);
    put(&mut r, base::PAYMENT_RATING, &b.payment_rating.to_string());
    put(&mut r, base::HISTORY, &b.history);
    put(&mut r, base::SPECIAL_COMMENT, &b.special_comment);
    put(&mut r, base::COMPLIANCE, &b.compliance_condition);
    put_number(&mut r, base::CURRENT_BALANCE, dollars(b.current_balance));
    put_number(&mut r, base::AMOUNT_PAST_DUE, dollars(b.amount_past_due));
    put_number(&mut r, base::CHARGE_OFF, dollars(b.original_charge_off));
    put(&mut r, base::DATE_INFO, &date_text(Some(b.date_account_information)));
    put(&mut r, base::DATE_FIRST_DELINQUENCY, &date_text(b.date_first_delinquency));
    put(&mut r, base::DATE_CLOSED, &date_text(b.date_closed));
    put(&mut r, base::DATE_LAST_PAYMENT, &date_text(b.date_last_payment));
    put(&mut r, base::SURNAME, &b.surname);
    put(&mut r, base::FIRST_NAME, &b.first_name);
    put_number(&mut r, base::SSN, digits(&b.ssn, 9).unwrap_or(0));
    put(&mut r, base::DATE_BIRTH, &date_text(b.date_birth));
    put_number(&mut r, base::TELEPHONE, digits(&b.telephone, 10).unwrap_or(0));
    put(&mut r, base::ECOA, &b.ecoa.to_string());
    put(&mut r, base::ADDRESS_1, &b.address);
    put(&mut r, base::CITY, &b.city);
    put(&mut r, base::STATE, &b.state);
    put(&mut r, base::ZIP, &b.zip);
    String::from_utf8(r).expect("ASCII")
}

/// The file's totals, computed from its base segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub base_records: u64,
    /// Base segments by account status.
    pub by_status: BTreeMap<String, u64>,
    pub ecoa_z: u64,
    pub ssns: u64,
    pub births: u64,
    pub phones: u64,
    /// Every record of the file, header and trailer included.
    pub blocks: u64,
}

impl Totals {
    pub fn of(bases: &[BaseSegment]) -> Totals {
        let mut t = Totals { base_records: bases.len() as u64, blocks: bases.len() as u64 + 2, ..Totals::default() };
        for b in bases {
            *t.by_status.entry(b.account_status.clone()).or_default() += 1;
            t.ecoa_z += u64::from(b.ecoa == 'Z');
            t.ssns += u64::from(digits(&b.ssn, 9).is_some_and(|n| n > 0));
            t.births += u64::from(b.date_birth.is_some());
            t.phones += u64::from(digits(&b.telephone, 10).is_some_and(|n| n > 0));
        }
        t
    }
}

/// The trailer record of these totals.
pub fn trailer_record(t: &Totals) -> String {
    let mut r = record();
    put_number(&mut r, trailer::RDW, RECORD_LEN as u64);
    put(&mut r, trailer::IDENTIFIER, "TRAILER");
    put_number(&mut r, trailer::BASE_RECORDS, t.base_records);
    put(&mut r, (20, 9), "");
    for &(status, at) in &trailer::STATUS_COUNTS {
        put_number(&mut r, (at, 9), t.by_status.get(status).copied().unwrap_or(0));
    }
    put_number(&mut r, trailer::BLOCK_COUNT, t.blocks);
    put_number(&mut r, trailer::ECOA_Z, t.ecoa_z);
    for at in trailer::ZERO_COUNTS {
        put_number(&mut r, (at, 9), 0);
    }
    put_number(&mut r, trailer::SSN_ALL, t.ssns);
    put_number(&mut r, trailer::SSN_BASE, t.ssns);
    put_number(&mut r, trailer::BIRTH_ALL, t.births);
    put_number(&mut r, trailer::BIRTH_BASE, t.births);
    put_number(&mut r, trailer::PHONE_ALL, t.phones);
    put(&mut r, (407, 19), "");
    String::from_utf8(r).expect("ASCII")
}

/// A whole file: header, the base segments, trailer; one record per line.
pub fn write_file(h: &Header, bases: &[BaseSegment]) -> String {
    let mut out = header_record(h);
    out.push('\n');
    for b in bases {
        out.push_str(&base_record(b));
        out.push('\n');
    }
    out.push_str(&trailer_record(&Totals::of(bases)));
    out.push('\n');
    out
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub header: Header,
    pub bases: Vec<BaseSegment>,
    pub totals: Totals,
}

struct Reader<'a> {
    rec: &'a str,
    index: usize,
}

impl Reader<'_> {
    fn text(&self, (at, len): Field) -> String {
        self.rec[at..at + len].trim_end().to_owned()
    }

    fn number(&self, (at, len): Field) -> Result<u64, Metro2Error> {
        let t = &self.rec[at..at + len];
        if t.trim().is_empty() {
            return Ok(0);
        }
        t.parse().map_err(|_| Metro2Error::Field {
            record: self.index,
            position: at + 1,
            message: format!("`{t}` is not a number"),
        })
    }

    fn money(&self, f: Field) -> Result<Amount, Metro2Error> {
        Ok(Amount(self.number(f)? as i64 * 100))
    }

    fn date(&self, (at, len): Field) -> Result<Option<Date>, Metro2Error> {
        let t = &self.rec[at..at + len];
        if t == "00000000" || t.trim().is_empty() {
            return Ok(None);
        }
        let bad =
            || Metro2Error::Field { record: self.index, position: at + 1, message: format!("`{t}` is not a date MMDDYYYY") };
        let (m, d, y) =
            (t[0..2].parse().map_err(|_| bad())?, t[2..4].parse().map_err(|_| bad())?, t[4..8].parse().map_err(|_| bad())?);
        Date::from_ymd(y, m, d).map(Some).map_err(|_| bad())
    }

    fn required_date(&self, f: Field) -> Result<Date, Metro2Error> {
        self.date(f)?.ok_or_else(|| Metro2Error::Field {
            record: self.index,
            position: f.0 + 1,
            message: "a date is required".into(),
        })
    }

    fn char(&self, (at, _): Field) -> char {
        self.rec[at..].chars().next().unwrap_or(' ')
    }
}

/// Reads a file written by [`write_file`] (records separated by line breaks) and checks the
/// trailer's totals against its base segments.
pub fn parse_file(text: &str) -> Result<File, Metro2Error> {
    let records: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    for (i, r) in records.iter().enumerate() {
        if r.len() != RECORD_LEN || !r.is_ascii() {
            return Err(Metro2Error::Length { record: i + 1, len: r.chars().count() });
        }
        if &r[0..4] != "0426" {
            return Err(Metro2Error::Field {
                record: i + 1,
                position: 1,
                message: format!("record descriptor `{}`; expected 0426", &r[0..4]),
            });
        }
    }
    let first = records.first().ok_or(Metro2Error::Missing("header"))?;
    let h = Reader { rec: first, index: 1 };
    if h.text(header::IDENTIFIER) != "HEADER" {
        return Err(Metro2Error::Missing("header"));
    }
    let header = Header {
        cycle: h.text(header::CYCLE),
        equifax_id: h.text(header::EQUIFAX),
        experian_id: h.text(header::EXPERIAN),
        transunion_id: h.text(header::TRANSUNION),
        activity_date: h.required_date(header::ACTIVITY_DATE)?,
        date_created: h.required_date(header::DATE_CREATED)?,
        reporter_name: h.text(header::REPORTER_NAME),
        reporter_address: h.text(header::REPORTER_ADDRESS),
        reporter_phone: h.number(header::REPORTER_PHONE)?.to_string(),
        software_vendor: h.text(header::SOFTWARE_VENDOR),
        software_version: h.text(header::SOFTWARE_VERSION),
    };
    let last = records.len() - 1;
    let t = Reader { rec: records[last], index: last + 1 };
    if last == 0 || t.text(trailer::IDENTIFIER) != "TRAILER" {
        return Err(Metro2Error::Missing("trailer"));
    }
    let mut bases = Vec::new();
    for (i, rec) in records[1..last].iter().enumerate() {
        let r = Reader { rec, index: i + 2 };
        bases.push(BaseSegment {
            time_stamp: r.text(base::TIME_STAMP),
            identification_number: r.text(base::IDENTIFICATION),
            cycle: r.text(base::CYCLE),
            account_number: r.text(base::ACCOUNT_NUMBER),
            portfolio_type: r.char(base::PORTFOLIO_TYPE),
            account_type: r.text(base::ACCOUNT_TYPE),
            date_opened: r.required_date(base::DATE_OPENED)?,
            highest_credit: r.money(base::HIGHEST_CREDIT)?,
            terms_duration: r.number(base::TERMS_DURATION)? as u32,
            terms_frequency: r.char(base::TERMS_FREQUENCY),
            scheduled_payment: r.money(base::SCHEDULED_PAYMENT)?,
            actual_payment: r.money(base::ACTUAL_PAYMENT)?,
            account_status: r.text(base::ACCOUNT_STATUS),
            payment_rating: r.char(base::PAYMENT_RATING),
            history: r.text(base::HISTORY),
            special_comment: r.text(base::SPECIAL_COMMENT),
            compliance_condition: r.text(base::COMPLIANCE),
            current_balance: r.money(base::CURRENT_BALANCE)?,
            amount_past_due: r.money(base::AMOUNT_PAST_DUE)?,
            original_charge_off: r.money(base::CHARGE_OFF)?,
            date_account_information: r.required_date(base::DATE_INFO)?,
            date_first_delinquency: r.date(base::DATE_FIRST_DELINQUENCY)?,
            date_closed: r.date(base::DATE_CLOSED)?,
            date_last_payment: r.date(base::DATE_LAST_PAYMENT)?,
            surname: r.text(base::SURNAME),
            first_name: r.text(base::FIRST_NAME),
            ssn: format!("{:09}", r.number(base::SSN)?),
            date_birth: r.date(base::DATE_BIRTH)?,
            telephone: format!("{:010}", r.number(base::TELEPHONE)?),
            ecoa: r.char(base::ECOA),
            address: r.text(base::ADDRESS_1),
            city: r.text(base::CITY),
            state: r.text(base::STATE),
            zip: r.text(base::ZIP),
        });
    }
    let expected = Totals::of(&bases);
    let check = |field: &str, f: Field, want: u64| -> Result<(), Metro2Error> {
        let found = t.number(f)?;
        if found == want {
            Ok(())
        } else {
            Err(Metro2Error::Totals { field: field.to_owned(), found, expected: want })
        }
    };
    check("total base records", trailer::BASE_RECORDS, expected.base_records)?;
    check("block count", trailer::BLOCK_COUNT, expected.blocks)?;
    for &(status, at) in &trailer::STATUS_COUNTS {
        check(&format!("total status {status}"), (at, 9), expected.by_status.get(status).copied().unwrap_or(0))?;
    }
    check("total ECOA Z", trailer::ECOA_Z, expected.ecoa_z)?;
    check("total social security numbers", trailer::SSN_ALL, expected.ssns)?;
    check("total social security numbers in base segments", trailer::SSN_BASE, expected.ssns)?;
    check("total dates of birth", trailer::BIRTH_ALL, expected.births)?;
    check("total dates of birth in base segments", trailer::BIRTH_BASE, expected.births)?;
    check("total telephone numbers", trailer::PHONE_ALL, expected.phones)?;
    Ok(File { header, bases, totals: expected })
}
