//! Fixed-point rates and the named rounding rules every division of money uses.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Parts per 10^8 of one: 1% = 1_000_000, 7.2% = 7_200_000.
pub const RATE_SCALE: i128 = 100_000_000;

/// A rate as a fixed-point integer in parts per 10^8 (an annual rate, a surcharge, a percentage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("`{0}` is not a percentage: write digits with at most 6 decimals, for example 7.2")]
    Malformed(String),
    #[error("`{0}` is out of range: a rate must be between 0 and 1000 percent")]
    OutOfRange(String),
}

impl Rate {
    pub const ZERO: Rate = Rate(0);

    pub const fn from_parts_per_1e8(parts: i64) -> Rate {
        Rate(parts)
    }

    /// A whole number of basis points (1 bp = 0.01%).
    pub const fn from_bp(bp: i64) -> Rate {
        Rate(bp * 10_000)
    }

    pub const fn parts_per_1e8(self) -> i64 {
        self.0
    }

    /// Parses a percentage written as a decimal: `"7.2"` is 7.2%. At most six decimals, so
    /// the result is exact in parts per 10^8.
    pub fn parse_percent(text: &str) -> Result<Rate, RateError> {
        let t = text.trim().trim_end_matches('%');
        let parts = crate::money::parse_scaled(t, 6).ok_or_else(|| RateError::Malformed(text.to_owned()))?;
        if !(0..=100_000_000_000).contains(&parts) {
            return Err(RateError::OutOfRange(text.to_owned()));
        }
        Ok(Rate(parts))
    }

    /// This rate increased by `surcharge` of itself: 10% with a 50% surcharge is 15%.
    pub fn with_surcharge(self, surcharge: Rate) -> Rate {
        let extra = mul_div(self.0 as i128, surcharge.0 as i128, RATE_SCALE, Rounding::HalfUp);
        Rate(self.0 + extra as i64)
    }
}

impl fmt::Display for Rate {
    /// As a percentage with trailing zeros removed: `7.2%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = crate::money::format_scaled(self.0, 6);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        f.pad(&format!("{text}%"))
    }
}

/// How a quotient that is not whole becomes an integer. Every division of money names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Half away from zero (四舍五入), the rule of Chinese loan schedules.
    HalfUp,
    /// Half to even (banker's rounding).
    HalfEven,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
}

/// `a * b / d` in 128-bit arithmetic with the named rounding. `d` must be positive.
pub fn mul_div(a: i128, b: i128, d: i128, rounding: Rounding) -> i128 {
    div_round(a * b, d, rounding)
}

/// `n / d` with the named rounding. `d` must be positive.
pub fn div_round(n: i128, d: i128, rounding: Rounding) -> i128 {
    assert!(d > 0, "division by a non-positive denominator");
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d); // 0 <= r < d, and n = q*d + r
    if r == 0 {
        return q;
    }
    match rounding {
        Rounding::Floor => q,
        Rounding::Ceil => q + 1,
        Rounding::HalfUp => {
            // Compare the distance to q and to q+1; ties go away from zero.
            match (2 * r).cmp(&d) {
                std::cmp::Ordering::Less => q,
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Equal => {
                    if n >= 0 {
                        q + 1
                    } else {
                        q
                    }
                }
            }
        }
        Rounding::HalfEven => match (2 * r).cmp(&d) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => {
                if q % 2 == 0 {
                    q
                } else {
                    q + 1
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_rules_on_ties_and_signs() {
        let cases = [
            (5, 2, Rounding::HalfUp, 3),
            (-5, 2, Rounding::HalfUp, -3),
            (5, 2, Rounding::HalfEven, 2),
            (7, 2, Rounding::HalfEven, 4),
            (7, 3, Rounding::Floor, 2),
            (-7, 3, Rounding::Floor, -3),
            (7, 3, Rounding::Ceil, 3),
            (7, 3, Rounding::HalfUp, 2),
            (8, 3, Rounding::HalfUp, 3),
        ];
        for (n, d, rounding, want) in cases {
            assert_eq!(div_round(n, d, rounding), want, "{n}/{d} {rounding:?}");
        }
    }

    #[test]
    fn percent_parses_exactly_and_prints_back() {
        assert_eq!(Rate::parse_percent("7.2").unwrap(), Rate::from_parts_per_1e8(7_200_000));
        assert_eq!(Rate::parse_percent("24").unwrap().to_string(), "24%");
        assert_eq!(Rate::parse_percent("0.000001").unwrap().parts_per_1e8(), 1);
        assert!(Rate::parse_percent("7.2.1").is_err());
        assert!(Rate::parse_percent("-1").is_err());
        assert!(Rate::parse_percent("0.0000001").is_err());
    }

    #[test]
    fn surcharge_adds_a_share_of_the_rate() {
        let base = Rate::parse_percent("18").unwrap();
        assert_eq!(base.with_surcharge(Rate::parse_percent("50").unwrap()).to_string(), "27%");
    }
}
