//! The China monthly record and its 24-month repayment-status string (二十四个月还款状态).
//!
//! Codes, as a Chinese personal credit report shows them: `N` paid as agreed; `1`…`7` overdue
//! 1–30, 31–60 … 151–180, over 180 days; `C` settled (结清); `G` ended other than by settling;
//! `B` bad debt; `D` paid by a guarantor; `Z` paid by assets; `*` nothing due that month; `#`
//! paid, amount unknown; `/` not yet opened (or, here, no record of the month).

use arrears_core::{Amount, Classification};
use serde::{Deserialize, Serialize};

/// The format and version of the exports; a change that a reader would notice gets a new one.
pub const FORMAT: &str = "arrears-cn-furnishing/1";
/// Months in the repayment-status string.
pub const HISTORY_MONTHS: usize = 24;
/// The CSV export's columns.
pub const CSV_HEADER: &str =
    "format,account,borrower,month,opened,currency,principal,balance,overdue,months_overdue,class,status,history,disputed";
/// Years a negative mark stays on a Chinese credit report after the overdue ends (征信业管理条例
/// art. 16: five years from the day the bad behaviour ends).
pub const MARK_YEARS: i64 = 5;

/// A month's code in the repayment-status string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MonthCode {
    /// `N`
    AsAgreed,
    /// `1` … `7`: overdue by 1–30 … over 180 days.
    Overdue(u8),
    /// `C`
    Settled,
    /// `G`
    EndedOther,
    /// `B`
    BadDebt,
    /// `D`
    PaidByGuarantor,
    /// `Z`
    PaidByAssets,
    /// `*`
    NothingDue,
    /// `#`
    PaidAmountUnknown,
    /// `/`
    NotOpened,
}

impl MonthCode {
    pub fn char(self) -> char {
        match self {
            MonthCode::AsAgreed => 'N',
            MonthCode::Overdue(k) => char::from(b'0' + k.clamp(1, 7)),
            MonthCode::Settled => 'C',
            MonthCode::EndedOther => 'G',
            MonthCode::BadDebt => 'B',
            MonthCode::PaidByGuarantor => 'D',
            MonthCode::PaidByAssets => 'Z',
            MonthCode::NothingDue => '*',
            MonthCode::PaidAmountUnknown => '#',
            MonthCode::NotOpened => '/',
        }
    }

    /// The overdue code of a number of days past due (1–30 is `1`, over 180 is `7`); `N`
    /// when nothing is overdue.
    pub fn from_dpd(dpd: u32) -> MonthCode {
        if dpd == 0 {
            MonthCode::AsAgreed
        } else {
            MonthCode::Overdue(dpd.div_ceil(30).min(7) as u8)
        }
    }
}

/// The 24-month string ending with the latest month: `months` holds the codes oldest first,
/// for as many months as there are (at most 24 are used); earlier months are `/`.
pub fn history_string(months: &[MonthCode]) -> String {
    let used = &months[months.len().saturating_sub(HISTORY_MONTHS)..];
    let mut s: String = std::iter::repeat_n('/', HISTORY_MONTHS - used.len()).collect();
    s.extend(used.iter().map(|c| c.char()));
    s
}

/// One account's record for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChinaRecord {
    pub account: String,
    pub borrower: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The date the account was opened, `YYYY-MM-DD`.
    pub opened: String,
    pub currency: String,
    /// Amounts are decimal strings with two places (`"1234.56"`), in the account's currency.
    #[serde(with = "decimal")]
    pub principal: Amount,
    /// Everything owed at the month's end.
    #[serde(with = "decimal")]
    pub balance: Amount,
    /// What was owed past its due date at the month's end.
    #[serde(with = "decimal")]
    pub overdue: Amount,
    /// Months overdue (1–30 days is one), 0 when current.
    pub months_overdue: u32,
    pub class: Classification,
    /// This month's code.
    pub status: char,
    /// The 24-month string, oldest month first, this month last.
    pub history: String,
    /// A dispute of the account was open at the month's end.
    pub disputed: bool,
}

impl ChinaRecord {
    pub fn csv_row(&self) -> String {
        [
            FORMAT.to_owned(),
            csv_field(&self.account),
            csv_field(&self.borrower),
            self.month.clone(),
            self.opened.clone(),
            self.currency.clone(),
            self.principal.to_string(),
            self.balance.to_string(),
            self.overdue.to_string(),
            self.months_overdue.to_string(),
            self.class.label().to_owned(),
            self.status.to_string(),
            self.history.clone(),
            u8::from(self.disputed).to_string(),
        ]
        .join(",")
    }
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break; the bureau
/// file and the CLI's CSV output both write fields this way.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A negative mark: a run of overdue months, its worst code, and when it leaves the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The first and last overdue months, `YYYY-MM`.
    pub from: String,
    pub to: String,
    pub worst: char,
    /// The month the overdue ended (the first month after it no longer overdue), if it has.
    pub ended: Option<String>,
    /// Five years after it ended; `None` while it has not (it ages out five years after it is
    /// paid).
    pub ages_out: Option<String>,
}

/// The months since 0000-01 of a `YYYY-MM` key (`None` if it is not one).
pub fn month_number(key: &str) -> Option<i64> {
    let (y, m) = key.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// The `YYYY-MM` key of a month number.
pub fn month_key(n: i64) -> String {
    format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

/// The first and last days of a `YYYY-MM` month (`None` if it is not one).
pub fn month_span(key: &str) -> Option<(arrears_core::Date, arrears_core::Date)> {
    let n = month_number(key)?;
    let first = arrears_core::Date::from_ymd(n.div_euclid(12) as i32, (n.rem_euclid(12) + 1) as u32, 1).ok()?;
    Some((first, first.add_months(1).add_days(-1)))
}

/// The month number of a date.
pub fn month_of(date: arrears_core::Date) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

/// The negative marks of a history given as `(YYYY-MM, code)`, oldest first; each ages out
/// `years` after it ended ([`MARK_YEARS`] in China).
pub fn negative_marks(months: &[(String, MonthCode)], years: i64) -> Vec<Mark> {
    let mut marks: Vec<Mark> = Vec::new();
    let mut open: Option<Mark> = None;
    for (month, code) in months {
        match (code, open.as_mut()) {
            (MonthCode::Overdue(_) | MonthCode::BadDebt, Some(m)) => {
                m.to = month.clone();
                m.worst = m.worst.max(code.char());
            }
            (MonthCode::Overdue(_) | MonthCode::BadDebt, None) => {
                open = Some(Mark { from: month.clone(), to: month.clone(), worst: code.char(), ended: None, ages_out: None });
            }
            (_, Some(_)) => {
                let mut m = open.take().expect("open");
                m.ages_out = month_number(month).map(|n| month_key(n + years * 12));
                m.ended = Some(month.clone());
                marks.push(m);
            }
            (_, None) => {}
        }
    }
    marks.extend(open);
    marks
}

/// Amounts as exact decimal strings in the exports.
mod decimal {
    use arrears_core::Amount;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(amount: &Amount, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(amount)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let text = String::deserialize(d)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}
