//! The limitation period of a debt: three years (Civil Code art. 188); for a debt paid in
//! installments, from the last installment's due date (art. 189); started again by a demand for
//! payment, the debtor's acknowledgment (a payment or a promise to pay), or a suit (art. 195).
//! A debt past it may not be sued or threatened with suit.

use arrears_core::Date;
use serde::Serialize;

/// Years a limitation period runs.
pub const LIMITATION_YEARS: i32 = 3;
/// Days before expiry the legal officer is warned.
pub const ALERT_DAYS: [i32; 2] = [90, 30];

/// A debt's limitation period on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limitation {
    /// When it runs from: the last installment's due date, or the latest restart after it.
    pub runs_from: Date,
    /// Whether `runs_from` is a restart (a demand, an acknowledgment or a suit).
    pub restarted: bool,
    /// The last day a suit may be filed.
    pub expires: Date,
    pub time_barred: bool,
    pub days_left: i32,
    /// 90 or 30 when that many days or fewer are left (and it has not expired).
    pub alert: Option<i32>,
}

impl Limitation {
    /// The period on `today` of a debt whose last installment fell due on `last_due`, with the
    /// days it was started again (any order). A restart counts only while the period runs:
    /// before `last_due` it had not begun, and once it has run out nothing here revives it (a
    /// debtor's later acknowledgment may waive the defence, but a lender that never threatens
    /// a debt it cannot be sure of is on the safe side).
    pub fn on(last_due: Date, restarts: &[Date], today: Date) -> Limitation {
        let mut sorted: Vec<Date> = restarts.iter().copied().filter(|d| *d > last_due && *d <= today).collect();
        sorted.sort();
        let mut runs_from = last_due;
        let mut restarted = false;
        for r in sorted {
            if r > runs_from.add_months(12 * LIMITATION_YEARS) {
                break;
            }
            runs_from = r;
            restarted = true;
        }
        let expires = runs_from.add_months(12 * LIMITATION_YEARS);
        let days_left = today.days_until(expires);
        Limitation {
            runs_from,
            restarted,
            expires,
            time_barred: today > expires,
            days_left,
            alert: ALERT_DAYS.iter().rev().copied().find(|a| (0..=*a).contains(&days_left)),
        }
    }
}
