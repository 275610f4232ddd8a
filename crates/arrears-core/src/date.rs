//! Calendar dates as days since 1970-01-01, month arithmetic, and day-count conventions.
//!
//! The core never reads the clock: every date here arrives as an input.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian calendar date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// Dates outside these years are refused: they are typing mistakes, not loans.
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is not a date: write YYYY-MM-DD, for example 2026-01-15")]
    Malformed(String),
    #[error("`{0}` is out of range: years {MIN_YEAR}..={MAX_YEAR}")]
    OutOfRange(String),
}

impl Date {
    /// The date for a year, month (1–12) and day, if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        let text = || format!("{year:04}-{month:02}-{day:02}");
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::OutOfRange(text()));
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Malformed(text()));
        }
        Ok(Date(days_from_civil(year, month, day)))
    }

    pub const fn days_since_epoch(self) -> i32 {
        self.0
    }

    pub const fn from_days_since_epoch(days: i32) -> Date {
        Date(days)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn month(self) -> u32 {
        self.ymd().1
    }

    pub fn day(self) -> u32 {
        self.ymd().2
    }

    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// The same day `months` later, clamped to the month's last day: Jan 31 + 1 month = Feb 28/29.
    pub fn add_months(self, months: i32) -> Date {
        let (y, m, d) = self.ymd();
        let index = y * 12 + (m as i32 - 1) + months;
        let (ny, nm) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        Date(days_from_civil(ny, nm, d.min(days_in_month(ny, nm))))
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Date, DateError> {
        let t = text.trim();
        let bad = || DateError::Malformed(text.to_owned());
        let mut parts = t.split('-');
        let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        Date::from_ymd(year, month, day).map_err(|e| match e {
            DateError::OutOfRange(_) => DateError::OutOfRange(text.to_owned()),
            DateError::Malformed(_) => bad(),
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand: dates are printed millions of times in a nightly batch.
        let (y, m, d) = self.ymd();
        let digit = |v: u32| b'0' + (v % 10) as u8;
        let y = y as u32;
        let bytes = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        f.pad(std::str::from_utf8(&bytes).expect("ASCII digits"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, for the proleptic Gregorian calendar.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// How days between two dates become a fraction of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayCount {
    /// Actual days over a fixed 365-day year.
    #[serde(rename = "act365f")]
    Act365F,
    /// Actual days over a 360-day year (日利率 = 年利率 / 360).
    Act360,
    /// 30/360 US (bond basis): every month has 30 days, the year 360.
    #[serde(rename = "30-360")]
    Thirty360,
}

impl DayCount {
    /// Days in the year the convention divides by.
    pub const fn basis(self) -> i128 {
        match self {
            DayCount::Act365F => 365,
            DayCount::Act360 | DayCount::Thirty360 => 360,
        }
    }

    /// Days of accrual from `start` (exclusive) to `end` (inclusive) under this convention.
    pub fn days(self, start: Date, end: Date) -> i64 {
        match self {
            DayCount::Act365F | DayCount::Act360 => start.days_until(end) as i64,
            DayCount::Thirty360 => {
                let (y1, m1, d1) = start.ymd();
                let (y2, m2, d2) = end.ymd();
                let d1 = if d1 == 31 { 30 } else { d1 };
                let d2 = if d2 == 31 && d1 == 30 { 30 } else { d2 };
                360 * (y2 - y1) as i64 + 30 * (m2 as i64 - m1 as i64) + (d2 as i64 - d1 as i64)
            }
        }
    }
}

impl FromStr for DayCount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "act365f" | "act/365f" | "act-365f" => Ok(DayCount::Act365F),
            "act360" | "act/360" | "act-360" => Ok(DayCount::Act360),
            "30-360" | "30/360" | "thirty360" => Ok(DayCount::Thirty360),
            _ => Err(format!("unknown day count `{s}`: use act365f, act360 or 30-360")),
        }
    }
}

impl fmt::Display for DayCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            DayCount::Act365F => "act365f",
            DayCount::Act360 => "act360",
            DayCount::Thirty360 => "30-360",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        let start = d("1900-01-01").days_since_epoch();
        let end = d("2200-12-31").days_since_epoch();
        for z in start..=end {
            let (y, m, dd) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, dd), z);
        }
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2000-03-01").days_since_epoch() - d("2000-02-28").days_since_epoch(), 2);
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(d("2026-01-31").add_months(1), d("2026-02-28"));
        assert_eq!(d("2028-01-31").add_months(1), d("2028-02-29"));
        assert_eq!(d("2026-01-15").add_months(12), d("2027-01-15"));
        assert_eq!(d("2026-03-31").add_months(-1), d("2026-02-28"));
    }

    #[test]
    fn rejects_impossible_and_far_dates() {
        for bad in ["2026-02-30", "2026-13-01", "2026-1-5", "20260105", "2026-01-05x", "abc"] {
            assert!(matches!(bad.parse::<Date>(), Err(DateError::Malformed(_))), "{bad}");
        }
        assert!(matches!("1800-01-01".parse::<Date>(), Err(DateError::OutOfRange(_))));
    }

    #[test]
    fn day_counts() {
        assert_eq!(DayCount::Act365F.days(d("2026-01-15"), d("2026-02-15")), 31);
        assert_eq!(DayCount::Thirty360.days(d("2026-01-15"), d("2026-02-15")), 30);
        assert_eq!(DayCount::Thirty360.days(d("2026-01-31"), d("2026-03-31")), 60);
        assert_eq!(DayCount::Thirty360.days(d("2026-02-28"), d("2026-03-31")), 33);
        assert_eq!(DayCount::Act360.basis(), 360);
    }
}
