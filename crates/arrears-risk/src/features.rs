//! Behavioural features of one loan: the [`Snapshot`] model (six monthly statuses with amounts
//! due and paid, the credit line, the borrower's age) and [`compute`], which turns it into the
//! named features of [`FEATURES`]. Nothing here knows the CSV: the live book builds the same
//! snapshot from its ledger.

use serde::{Deserialize, Serialize};

/// Months of history in a snapshot.
pub const MONTHS: usize = 6;

/// A month's repayment status, as in the Taiwan data: -2 nothing due (no use), -1 paid in full,
/// 0 revolving (minimum paid, balance carried), 1..=9 months of delay (9 meaning nine or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i8", into = "i8")]
pub struct Delay(i8);

impl Delay {
    pub const NOTHING_DUE: Delay = Delay(-2);
    pub const PAID_IN_FULL: Delay = Delay(-1);
    pub const REVOLVING: Delay = Delay(0);

    /// A status from its code, `None` outside -2..=9.
    pub fn new(code: i8) -> Option<Delay> {
        (-2..=9).contains(&code).then_some(Delay(code))
    }

    /// Months late from a loan's days past due (30 days a month, capped at 9).
    pub fn from_dpd_days(dpd_days: u32) -> Delay {
        Delay(dpd_days.div_ceil(30).min(9) as i8)
    }

    pub fn code(self) -> i8 {
        self.0
    }

    pub fn months_late(self) -> u32 {
        self.0.max(0) as u32
    }
}

impl TryFrom<i8> for Delay {
    type Error = String;
    fn try_from(code: i8) -> Result<Delay, String> {
        Delay::new(code).ok_or_else(|| format!("delay status {code} is outside -2..=9"))
    }
}

impl From<Delay> for i8 {
    fn from(d: Delay) -> i8 {
        d.0
    }
}

/// One month of a loan's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Month {
    pub status: Delay,
    /// The statement balance (amount due) at the month's end; negative when in credit.
    pub due_minor: i64,
    /// What the borrower paid during the month (towards the previous month's statement).
    pub paid_minor: i64,
}

/// What the features see of one loan. Amounts are in the currency's minor units; the Taiwan
/// data are whole New Taiwan dollars, so there one minor unit is one dollar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The most recent month first.
    pub months: [Month; MONTHS],
    /// Credit line (revolving) or principal (instalment loan).
    pub credit_line_minor: i64,
    pub age_years: u32,
    /// Protected attributes, used only when a model is trained to include them (to measure what
    /// excluding them costs). Codes as in the Taiwan data: sex 1 male, 2 female; marriage 1
    /// married, 2 single, 3 other, 0 unknown.
    pub sex: Option<u8>,
    pub marriage: Option<u8>,
}

/// How a feature's value reads in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Delay,
    Months,
    Ratio,
    Amount,
    Years,
    Code,
}

/// A feature's stable name (in models and bin tables) and its plain words in English and Chinese.
#[derive(Debug, Clone, Copy)]
pub struct FeatureSpec {
    pub name: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub unit: Unit,
    pub protected: bool,
}

const fn spec(name: &'static str, en: &'static str, zh: &'static str, unit: Unit) -> FeatureSpec {
    FeatureSpec { name, en, zh, unit, protected: false }
}

/// Every feature, in the order of [`compute`]'s output. Names are stable: models refer to them.
pub const FEATURES: [FeatureSpec; 26] = [
    spec("delay_current", "Repayment status this month", "本月还款状态", Unit::Delay),
    spec("delay_worst_3m", "Worst delay in the last 3 months", "近3个月最长逾期", Unit::Delay),
    spec("delay_worst_6m", "Worst delay in the last 6 months", "近6个月最长逾期", Unit::Delay),
    spec("months_late_3m", "Months late in the last 3 months", "近3个月逾期月数", Unit::Months),
    spec("months_late_6m", "Months late in the last 6 months", "近6个月逾期月数", Unit::Months),
    spec("delay_change_3m", "Change in delay over 3 months", "近3个月逾期变化", Unit::Months),
    spec("months_paid_full_6m", "Months paid in full in the last 6 months", "近6个月全额还款月数", Unit::Months),
    spec("months_nothing_due_6m", "Months with nothing due in the last 6 months", "近6个月无应还款月数", Unit::Months),
    spec("months_revolving_6m", "Months revolving in the last 6 months", "近6个月循环还款月数", Unit::Months),
    spec("pay_ratio_last", "Share of last statement paid", "上期账单还款比例", Unit::Ratio),
    spec("pay_ratio_3m", "Share of statements paid over 3 months", "近3个月还款比例", Unit::Ratio),
    spec("pay_ratio_6m", "Share of statements paid over 6 months", "近6个月还款比例", Unit::Ratio),
    spec("months_underpaid_6m", "Months paying under 10% of the statement", "近6个月还款不足10%的月数", Unit::Months),
    spec("utilisation", "Balance as a share of the credit line", "额度使用率", Unit::Ratio),
    spec("utilisation_max_6m", "Highest balance share of the line in 6 months", "近6个月最高额度使用率", Unit::Ratio),
    spec("utilisation_avg_6m", "Average balance share of the line in 6 months", "近6个月平均额度使用率", Unit::Ratio),
    spec("balance_trend_3m", "Growth of the balance over 3 months", "近3个月余额增长", Unit::Ratio),
    spec("balance_trend_6m", "Growth of the balance over 6 months", "近6个月余额增长", Unit::Ratio),
    spec("payment_to_line_6m", "Average payment as a share of the line", "月均还款占额度比例", Unit::Ratio),
    spec("credit_line", "Credit line", "授信额度", Unit::Amount),
    spec("paid_last", "Amount paid last month", "上月还款金额", Unit::Amount),
    spec("paid_avg_6m", "Average monthly payment", "月均还款金额", Unit::Amount),
    spec("available_credit", "Unused credit line", "剩余可用额度", Unit::Amount),
    spec("age", "Borrower's age", "借款人年龄", Unit::Years),
    FeatureSpec { name: "sex", en: "Sex", zh: "性别", unit: Unit::Code, protected: true },
    FeatureSpec { name: "marriage", en: "Marital status", zh: "婚姻状况", unit: Unit::Code, protected: true },
];

/// Number of features [`compute`] returns.
pub const N_FEATURES: usize = FEATURES.len();

/// The index of a feature by name.
pub fn index_of(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

/// Names of the features a model uses: all, or all but the protected ones.
pub fn selected(include_protected: bool) -> Vec<String> {
    FEATURES.iter().filter(|f| include_protected || !f.protected).map(|f| f.name.to_string()).collect()
}

/// Share paid: what was paid against what was due; 1 when nothing was due (nothing to miss),
/// capped at 2 so that one large prepayment does not dominate.
fn pay_ratio(paid: i64, due: i64) -> f64 {
    if due <= 0 {
        1.0
    } else {
        (paid.max(0) as f64 / due as f64).min(2.0)
    }
}

/// The features of one snapshot, in the order of [`FEATURES`]. Payments in month `i` are set
/// against the statement of month `i + 1` (the month before), as a card holder pays last
/// month's bill; the oldest month's payment has no statement in the window and is not used
/// in the ratios. Unknown protected attributes are coded 0.
pub fn compute(s: &Snapshot) -> [f64; N_FEATURES] {
    let m = &s.months;
    let status = |i: usize| f64::from(m[i].status.code());
    let late = |i: usize| m[i].status.months_late() > 0;
    let line = s.credit_line_minor.max(1) as f64;
    let count = |range: std::ops::Range<usize>, pred: &dyn Fn(usize) -> bool| range.filter(|&i| pred(i)).count() as f64;
    let worst = |n: usize| (0..n).map(status).fold(f64::MIN, f64::max);
    let ratio_over = |n: usize| {
        let paid: i64 = (0..n).map(|i| m[i].paid_minor.max(0)).sum();
        let due: i64 = (0..n).map(|i| m[i + 1].due_minor.max(0)).sum();
        pay_ratio(paid, due)
    };
    let util = |i: usize| m[i].due_minor as f64 / line;
    [
        status(0),
        worst(3),
        worst(MONTHS),
        count(0..3, &late),
        count(0..MONTHS, &late),
        status(0) - status(3),
        count(0..MONTHS, &|i| m[i].status == Delay::PAID_IN_FULL),
        count(0..MONTHS, &|i| m[i].status == Delay::NOTHING_DUE),
        count(0..MONTHS, &|i| m[i].status == Delay::REVOLVING),
        pay_ratio(m[0].paid_minor, m[1].due_minor),
        ratio_over(3),
        ratio_over(MONTHS - 1),
        count(0..MONTHS - 1, &|i| m[i + 1].due_minor > 0 && pay_ratio(m[i].paid_minor, m[i + 1].due_minor) < 0.1),
        util(0),
        (0..MONTHS).map(util).fold(f64::MIN, f64::max),
        (0..MONTHS).map(util).sum::<f64>() / MONTHS as f64,
        (m[0].due_minor - m[2].due_minor) as f64 / line,
        (m[0].due_minor - m[MONTHS - 1].due_minor) as f64 / line,
        (0..MONTHS).map(|i| m[i].paid_minor.max(0) as f64).sum::<f64>() / MONTHS as f64 / line,
        s.credit_line_minor as f64,
        m[0].paid_minor.max(0) as f64,
        (0..MONTHS).map(|i| m[i].paid_minor.max(0) as f64).sum::<f64>() / MONTHS as f64,
        (s.credit_line_minor - m[0].due_minor) as f64,
        f64::from(s.age_years),
        f64::from(s.sex.unwrap_or(0)),
        f64::from(s.marriage.unwrap_or(0)),
    ]
}

/// One reason a score is lower than it could be, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub feature: String,
    pub value: f64,
    /// How much this feature costs: points below its best bin (scorecard), or its contribution
    /// to the log-odds of default (boosted trees). Always positive.
    pub impact: f64,
    pub en: String,
    pub zh: String,
}

impl Reason {
    pub fn new(feature_index: usize, value: f64, impact: f64) -> Reason {
        let spec = &FEATURES[feature_index];
        let (en_value, zh_value) = describe(spec.unit, value);
        Reason {
            feature: spec.name.to_string(),
            value,
            impact,
            en: format!("{}: {en_value}", spec.en),
            zh: format!("{}：{zh_value}", spec.zh),
        }
    }
}

/// A value in words, English and Chinese.
fn describe(unit: Unit, value: f64) -> (String, String) {
    match unit {
        Unit::Delay => match value.round() as i64 {
            -2 => ("nothing due".into(), "无应还款".into()),
            -1 => ("paid in full".into(), "全额还款".into()),
            0 => ("revolving (minimum paid)".into(), "循环还款（已还最低额）".into()),
            1 => ("1 month late".into(), "逾期1个月".into()),
            n => (format!("{n} months late"), format!("逾期{n}个月")),
        },
        Unit::Months => {
            let n = value.round() as i64;
            (if n == 1 || n == -1 { format!("{n} month") } else { format!("{n} months") }, format!("{n}个月"))
        }
        Unit::Ratio => {
            let pct = format!("{:.0}%", value * 100.0);
            (pct.clone(), pct)
        }
        Unit::Amount => (format!("{value:.0}"), format!("{value:.0}")),
        Unit::Years => (format!("{value:.0} years"), format!("{value:.0}岁")),
        Unit::Code => (format!("{value:.0}"), format!("{value:.0}")),
    }
}
