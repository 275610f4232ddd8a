//! Numbers an operator sets in the database's `meta` table, each read one way: absent means
//! the default, anything outside its range is an error naming the key.

use arrears_store::Tx;

use crate::AppError;

/// The number stored under `key`, `default` when none is, refused outside `range`.
pub fn number(tx: &mut Tx<'_>, key: &'static str, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i64, AppError> {
    match tx.meta(key)? {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| AppError::invalid(key, format!("`{v}` is not a number from {} to {}", range.start(), range.end()))),
    }
}

/// How a month's cases with deadlines fared: received in it, answered in it (whenever
/// received) in time or late, and open at its end (and of those past their deadline).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Timeliness {
    pub received: usize,
    pub answered_in_time: usize,
    pub answered_late: usize,
    pub open: usize,
    pub open_overdue: usize,
}

impl Timeliness {
    /// The five counts, in the order of the fields.
    pub fn values(&self) -> [usize; 5] {
        [self.received, self.answered_in_time, self.answered_late, self.open, self.open_overdue]
    }

    /// One line: `N received; answered in time A, late L; open O (P past deadline)`.
    pub fn summary(&self) -> String {
        format!(
            "{} received; answered in time {}, late {}; open {} ({} past deadline)",
            self.received, self.answered_in_time, self.answered_late, self.open, self.open_overdue
        )
    }

    /// Counts one case opened on or before `end` into the month `first..=end`.
    pub fn count(
        &mut self,
        opened: arrears_core::Date,
        deadline: arrears_core::Date,
        answered: Option<arrears_core::Date>,
        first: arrears_core::Date,
        end: arrears_core::Date,
    ) {
        if opened >= first {
            self.received += 1;
        }
        match answered {
            Some(on) if on <= end => {
                if on >= first {
                    if on <= deadline {
                        self.answered_in_time += 1;
                    } else {
                        self.answered_late += 1;
                    }
                }
            }
            _ => {
                self.open += 1;
                self.open_overdue += usize::from(deadline < end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Timeliness;
    use arrears_core::Date;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_counts_what_arrived_what_was_answered_and_what_is_still_open() {
        let (first, end) = (d("2026-02-01"), d("2026-02-28"));
        let mut t = Timeliness::default();
        // Opened in January, answered in February after its deadline: late, not received.
        t.count(d("2026-01-20"), d("2026-02-03"), Some(d("2026-02-05")), first, end);
        // Opened and answered in time in February.
        t.count(d("2026-02-02"), d("2026-02-17"), Some(d("2026-02-10")), first, end);
        // Opened in February, answered in March: open at the month's end, not yet overdue.
        t.count(d("2026-02-20"), d("2026-03-06"), Some(d("2026-03-01")), first, end);
        // Opened in January, never answered, deadline passed in February.
        t.count(d("2026-01-05"), d("2026-01-20"), None, first, end);
        // Opened and answered in January: counts for nothing in February.
        t.count(d("2026-01-02"), d("2026-01-17"), Some(d("2026-01-10")), first, end);
        assert_eq!(
            t,
            Timeliness { received: 2, answered_in_time: 1, answered_late: 1, open: 2, open_overdue: 1 },
            "{}",
            t.summary()
        );
    }
}
