//! Moments in the borrower's local time: a business date and a minute of the day. The edge
//! converts from the clock and the borrower's time zone; the rules only compare.

use std::fmt;
use std::str::FromStr;

use arrears_core::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time of day, in minutes after midnight (0..1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

/// A moment in the borrower's local time. Serialised as `YYYY-MM-DD HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub date: Date,
    pub time: TimeOfDay,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time of day: write HH:MM, for example 08:00")]
pub struct TimeError(pub String);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    pub fn from_hm(hour: u16, minute: u16) -> Result<TimeOfDay, TimeError> {
        if hour > 23 || minute > 59 {
            return Err(TimeError(format!("{hour:02}:{minute:02}")));
        }
        Ok(TimeOfDay(hour * 60 + minute))
    }

    /// Minutes after midnight; `minutes` must be below 1440.
    pub const fn from_minutes(minutes: u16) -> TimeOfDay {
        assert!(minutes < 1440, "a time of day is less than 24 hours");
        TimeOfDay(minutes)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl FromStr for TimeOfDay {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<TimeOfDay, TimeError> {
        let bad = || TimeError(s.to_owned());
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        TimeOfDay::from_hm(h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?).map_err(|_| bad())
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{:02}:{:02}", self.0 / 60, self.0 % 60))
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TimeOfDay, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl LocalTime {
    pub fn new(date: Date, time: TimeOfDay) -> LocalTime {
        LocalTime { date, time }
    }

    /// Parses `YYYY-MM-DD HH:MM`.
    pub fn parse(text: &str) -> Option<LocalTime> {
        let (d, t) = text.trim().split_once(' ')?;
        Some(LocalTime { date: d.parse().ok()?, time: t.parse().ok()? })
    }

    /// The same time of day `days` later.
    pub fn add_days(self, days: i32) -> LocalTime {
        LocalTime { date: self.date.add_days(days), time: self.time }
    }

    /// Minutes since 1970-01-01 00:00 of the same clock: with a UTC offset, the bridge between
    /// an instant (UTC minutes) and the borrower's wall clock.
    pub fn epoch_minutes(self) -> i64 {
        self.date.days_since_epoch() as i64 * 1440 + self.time.0 as i64
    }

    /// The moment `minutes` after 1970-01-01 00:00 of the same clock.
    pub fn from_epoch_minutes(minutes: i64) -> LocalTime {
        let days = minutes.div_euclid(1440);
        LocalTime { date: Date::from_days_since_epoch(days as i32), time: TimeOfDay(minutes.rem_euclid(1440) as u16) }
    }

    /// The borrower's wall clock at the instant `utc_minutes`, for a zone `offset_minutes`
    /// ahead of UTC (China +480).
    pub fn at_offset(utc_minutes: i64, offset_minutes: i32) -> LocalTime {
        LocalTime::from_epoch_minutes(utc_minutes + offset_minutes as i64)
    }

    /// The instant (UTC minutes) of this wall-clock time in a zone `offset_minutes` ahead of UTC.
    pub fn utc_minutes(self, offset_minutes: i32) -> i64 {
        self.epoch_minutes() - offset_minutes as i64
    }

    /// Minutes from `self` to `later` (negative when `later` is earlier).
    pub fn minutes_until(self, later: LocalTime) -> i64 {
        self.date.days_until(later.date) as i64 * 1440 + later.time.0 as i64 - self.time.0 as i64
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{} {}", self.date, self.time))
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LocalTime, D::Error> {
        let text = String::deserialize(d)?;
        LocalTime::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a local time: write YYYY-MM-DD HH:MM")))
    }
}
