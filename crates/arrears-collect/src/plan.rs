//! From a loan's facts on a date to the messages its strategy sends: which strategy serves the
//! product, the words filled in from the loan, and the order of the agents' call queue.

use std::collections::BTreeMap;

use arrears_core::{Amount, Bucket, Currency, Date, Rate};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::strategy::{LoanFacts, Strategy};
use crate::template::{Language, RenderError, Template, Templates};

/// Who the messages come from and how to pay them: the words every template names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lender {
    pub name_zh: String,
    pub name_en: String,
    pub pay_how_zh: String,
    pub pay_how_en: String,
    pub hotline: String,
}

impl Default for Lender {
    /// The lender of the demo book.
    fn default() -> Lender {
        Lender {
            name_zh: "示例银行".into(),
            name_en: "Example Bank".into(),
            pay_how_zh: "手机银行App“我的借款”页面".into(),
            pay_how_en: "the My Loans page of the Example Bank app".into(),
            hotline: "95500".into(),
        }
    }
}

impl Lender {
    pub fn from_toml(file: &str, text: &str) -> Result<Lender, ConfigError> {
        ConfigError::parse(file, text)
    }

    pub fn name(&self, language: Language) -> &str {
        match language {
            Language::Zh => &self.name_zh,
            Language::En => &self.name_en,
        }
    }
}

/// The strategies of a lender: at most one per product, and one default for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategies {
    list: Vec<Strategy>,
}

impl Strategies {
    /// Checks that no product has two strategies and that at most one is the default.
    pub fn new(list: Vec<Strategy>) -> Result<Strategies, String> {
        let defaults: Vec<&str> = list.iter().filter(|s| s.products.is_empty()).map(|s| s.id.as_str()).collect();
        if defaults.len() > 1 {
            return Err(format!("strategies {} all serve every product; give each but one its `products`", defaults.join(", ")));
        }
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for s in &list {
            if let Some(other) = list.iter().find(|o| o.id == s.id && !std::ptr::eq(*o, s)) {
                return Err(format!("two strategies have the id `{}`", other.id));
            }
            for p in &s.products {
                if let Some(first) = owner.insert(p, &s.id) {
                    return Err(format!("product {p} is named by both `{first}` and `{}`", s.id));
                }
            }
        }
        Ok(Strategies { list })
    }

    /// The strategies shipped with Arrears: the default and the US installment product's.
    pub fn shipped(templates: &Templates) -> Strategies {
        let us =
            Strategy::from_toml("config/strategy-us.toml", crate::US_STRATEGY, templates).expect("the shipped strategy is valid");
        Strategies::new(vec![Strategy::shipped(templates), us]).expect("the shipped strategies do not overlap")
    }

    /// The strategy loans of `product` follow, if any.
    pub fn for_product(&self, product: &str) -> Option<&Strategy> {
        self.list.iter().find(|s| s.covers(product)).or_else(|| self.list.iter().find(|s| s.products.is_empty()))
    }

    pub fn get(&self, id: &str) -> Option<&Strategy> {
        self.list.iter().find(|s| s.id == id)
    }

    /// Every day offset on which a step of any strategy fires.
    pub fn step_days(&self) -> Vec<i32> {
        let mut days: Vec<i32> = self.list.iter().flat_map(Strategy::step_days).collect();
        days.sort_unstable();
        days.dedup();
        days
    }
}

/// What the messages about a loan say, on the day they are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanSnapshot<'a> {
    pub loan_no: &'a str,
    pub currency: Currency,
    /// The installment spoken of and its due date.
    pub installment: u32,
    pub due_date: Date,
    /// What the borrower is asked to pay (see `LoanState::amount_to_pay`).
    pub amount_due: Amount,
    pub penalty_rate: Rate,
    pub dpd: u32,
    pub bucket: Bucket,
    pub risk_band: Option<&'a str>,
    pub segment: Option<&'a str>,
}

impl LoanSnapshot<'_> {
    pub fn facts(&self) -> LoanFacts<'_> {
        LoanFacts {
            loan_no: self.loan_no,
            reference_due: Some(self.due_date),
            bucket: self.bucket,
            risk_band: self.risk_band,
            segment: self.segment,
        }
    }
}

/// An amount as a borrower reads it: `1,234.56` in Chinese text (the template says 元), with
/// the currency code in English.
pub fn amount_words(amount: Amount, currency: Currency, language: Language) -> String {
    let grouped = amount.grouped();
    match language {
        Language::Zh => grouped,
        Language::En => format!("{currency} {grouped}"),
    }
}

/// A rendered message: the subject (for email and letters) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Fills `template` for the borrower `name` in `language` from the loan's snapshot.
pub fn render(
    template: &Template,
    language: Language,
    lender: &Lender,
    name: &str,
    loan: &LoanSnapshot<'_>,
) -> Result<Rendered, RenderError> {
    let values: BTreeMap<&str, String> = BTreeMap::from([
        ("lender", lender.name(language).to_owned()),
        ("name", name.to_owned()),
        ("loan", loan.loan_no.to_owned()),
        ("installment", loan.installment.to_string()),
        ("amount_due", amount_words(loan.amount_due, loan.currency, language)),
        ("due_date", loan.due_date.to_string()),
        (
            "pay_how",
            match language {
                Language::Zh => lender.pay_how_zh.clone(),
                Language::En => lender.pay_how_en.clone(),
            },
        ),
        ("penalty_rate", loan.penalty_rate.to_string()),
        ("dpd", loan.dpd.to_string()),
        ("hotline", lender.hotline.clone()),
    ]);
    let body = template.render(language, &values)?;
    let subject = match language {
        Language::Zh => format!("【{}】关于您的借款{}", lender.name_zh, loan.loan_no),
        Language::En => format!("{}: about your loan {}", lender.name_en, loan.loan_no),
    };
    Ok(Rendered { subject, body })
}

/// The weight of a risk band in the call queue: riskier loans first, unknown in the middle.
fn risk_weight(band: Option<&str>) -> i64 {
    match band.map(str::to_ascii_lowercase).as_deref() {
        Some("high") => 3,
        Some("low") => 1,
        _ => 2,
    }
}

/// A call task's place in the queue: the money at stake, amount due (in whole units of its
/// currency) × risk weight × days overdue, the days capped at 90 so that the weight of age
/// stops growing after three months. Higher first; integer, so the order is the same everywhere.
pub fn call_priority(amount_due: Amount, dpd: u32, risk_band: Option<&str>) -> i64 {
    let units = amount_due.0.max(0) / 100;
    units.saturating_mul(risk_weight(risk_band)).saturating_mul(i64::from(dpd.clamp(1, 90)))
}
