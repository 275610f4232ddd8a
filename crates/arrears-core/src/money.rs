//! Amounts in integer minor units (fen, cents), their currency, and exact decimal text at the edges.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An amount in minor units of the loan's currency (fen for CNY). Never a float.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(pub i64);

/// The currencies the policy packs know. Both have two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "CNY")]
    Cny,
    #[serde(rename = "USD")]
    Usd,
}

/// An amount together with its currency, for the edges (CLI, import, reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Amount,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an amount: write digits with at most two decimals, for example 100.00")]
    Malformed(String),
    #[error("`{0}` is too large for an amount")]
    Overflow(String),
    #[error("amounts in {0} and {1} cannot be combined")]
    CurrencyMismatch(Currency, Currency),
    #[error("unknown currency `{0}`: use CNY or USD")]
    UnknownCurrency(String),
}

impl Currency {
    /// Decimal places of the minor unit.
    pub const fn scale(self) -> u32 {
        2
    }

    pub const fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
        }
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CNY" | "RMB" => Ok(Currency::Cny),
            "USD" => Ok(Currency::Usd),
            _ => Err(MoneyError::UnknownCurrency(s.to_owned())),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Two decimals with thousands grouped by commas, as documents and messages print it:
    /// `1,234,567.89`, `-0.05`.
    pub fn grouped(self) -> String {
        let text = self.to_string();
        let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
        let mut out = String::from(sign);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{out}.{fraction}")
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn min(self, other: Amount) -> Amount {
        Amount(self.0.min(other.0))
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Parses decimal text with at most two decimals, exactly: `"866.19"` is 86619 fen.
    pub fn parse(text: &str) -> Result<Amount, MoneyError> {
        let t = text.trim().replace(',', "");
        parse_scaled(&t, 2).map(Amount).ok_or_else(|| {
            if t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') && t.len() > 18 {
                MoneyError::Overflow(text.to_owned())
            } else {
                MoneyError::Malformed(text.to_owned())
            }
        })
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    /// Panics on overflow: amounts inside the core are bounded by [`crate::terms::MAX_PRINCIPAL`].
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0.checked_add(rhs.0).expect("amount overflow"))
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0.checked_sub(rhs.0).expect("amount overflow"))
    }
}

impl std::ops::AddAssign for Amount {
    fn add_assign(&mut self, rhs: Amount) {
        *self = *self + rhs;
    }
}

impl std::ops::SubAssign for Amount {
    fn sub_assign(&mut self, rhs: Amount) {
        *self = *self - rhs;
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Amount {
    /// Two decimals, no grouping: `866.19`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format_scaled(self.0, 2))
    }
}

impl Money {
    pub fn new(amount: Amount, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let sum = self.amount.checked_add(other.amount).ok_or_else(|| MoneyError::Overflow(format!("{self} + {other}")))?;
        Ok(Money::new(sum, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{} {}", self.currency, self.amount))
    }
}

/// Parses `[-]digits[.digits]` with at most `scale` decimals into an integer scaled by
/// 10^scale. Returns `None` for anything else, including too many decimals (never rounds).
pub(crate) fn parse_scaled(text: &str, scale: u32) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if frac.len() > scale as usize || whole.len() > 15 {
        return None;
    }
    let mut value: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    value = value.checked_mul(10i64.pow(scale))?;
    if !frac.is_empty() {
        let digits: i64 = frac.parse().ok()?;
        value = value.checked_add(digits * 10i64.pow(scale - frac.len() as u32))?;
    }
    Some(if negative { -value } else { value })
}

/// Formats an integer scaled by 10^scale as decimal text with exactly `scale` decimals.
pub(crate) fn format_scaled(value: i64, scale: u32) -> String {
    let unit = 10i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let whole = abs / unit as u64;
    let frac = abs % unit as u64;
    format!("{sign}{whole}.{frac:0width$}", width = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        for (minor, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (-5, "-0.05"),
            (99_999, "999.99"),
            (100_000, "1,000.00"),
            (123_456_789, "1,234,567.89"),
            (-100_000_000, "-1,000,000.00"),
        ] {
            assert_eq!(Amount(minor).grouped(), text, "{minor}");
        }
    }

    #[test]
    fn parses_exact_amounts_and_rejects_the_rest() {
        let ok = [("866.19", 86619), ("10000", 1_000_000), ("0.5", 50), ("-0.05", -5), ("1,000.00", 100_000), (".5", 50)];
        for (text, fen) in ok {
            assert_eq!(Amount::parse(text).unwrap(), Amount(fen), "{text}");
        }
        for bad in ["", "1.234", "abc", "1e5", "12.3.4", "-", "."] {
            assert!(Amount::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Amount(86619).to_string(), "866.19");
        assert_eq!(Amount(-5).to_string(), "-0.05");
        assert_eq!(Amount(0).to_string(), "0.00");
    }

    #[test]
    fn money_refuses_to_mix_currencies() {
        let a = Money::new(Amount(1), Currency::Cny);
        let b = Money::new(Amount(1), Currency::Usd);
        assert_eq!(a.checked_add(b), Err(MoneyError::CurrencyMismatch(Currency::Cny, Currency::Usd)));
        assert_eq!(a.checked_add(a).unwrap().amount, Amount(2));
    }
}
