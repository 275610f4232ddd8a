//! Message templates in Chinese and English, checked when loaded: they tell the borrower what
//! the law and fairness require, and never say what no lender may say.

use std::collections::BTreeMap;

use arrears_policy::{MessageFacts, Purpose};
use serde::Deserialize;

use crate::config::ConfigError;

/// The placeholders a template may use, filled from the loan when a message is made.
pub const PLACEHOLDERS: [&str; 10] =
    ["lender", "name", "loan", "installment", "amount_due", "due_date", "pay_how", "penalty_rate", "dpd", "hotline"];

/// Words no message may contain: insults, threats the lender cannot lawfully carry out, and
/// disclosure to or pressure through third parties. Compared case-insensitively.
pub const FORBIDDEN: [&str; 32] = [
    "骗子",
    "老赖",
    "无赖",
    "废物",
    "去死",
    "坐牢",
    "抓你",
    "上门",
    "曝光",
    "通讯录",
    "你的家人",
    "你的同事",
    "你的单位",
    "你的朋友",
    "黑社会",
    "后果自负",
    "deadbeat",
    "loser",
    "scum",
    "idiot",
    "jail",
    "arrest",
    "expose you",
    "your family",
    "your employer",
    "your colleagues",
    "your friends",
    "your neighbours",
    "shame",
    "we will come",
    "or else",
    "criminal",
];

/// Words that mean a message speaks of the debt.
const DEBT_WORDS: [&str; 6] = ["欠款", "逾期", "应还", "debt", "overdue", "amount due"];
/// Words that mean a message speaks of legal action.
const LEGAL_WORDS: [&str; 8] = ["诉讼", "起诉", "法院", "法律途径", "lawsuit", "legal action", "court", "sue "];
/// Words that state the credit-report consequence.
const CREDIT_WORDS: [&str; 3] = ["征信", "credit report", "credit bureau"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Zh,
    En,
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub purpose: Purpose,
    pub zh: String,
    pub en: String,
    /// What the template says, for the compliance engine.
    pub facts: MessageFacts,
}

/// The templates of one file, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    by_id: BTreeMap<String, Template>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("template `{template}` needs a value for {{{placeholder}}}")]
    Missing { template: String, placeholder: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    template: Vec<toml::Spanned<Raw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    purpose: Purpose,
    zh: String,
    en: String,
}

fn contains_any(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| lower.contains(&w.to_lowercase()))
}

/// The placeholders a text uses, or the first malformed one.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| "an unclosed `{`".to_owned())?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}; the placeholders are {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
            ));
        }
        out.push(name);
        rest = &after[close + 1..];
    }
    Ok(out)
}

impl Template {
    fn check(raw: Raw) -> Result<Template, String> {
        for (language, text) in [("zh", &raw.zh), ("en", &raw.en)] {
            let used = placeholders(text).map_err(|e| format!("{language}: {e}"))?;
            if let Some(word) = FORBIDDEN.iter().find(|w| text.to_lowercase().contains(&w.to_lowercase())) {
                return Err(format!(
                    "{language}: forbidden wording `{word}` (insult, unlawful threat or third-party disclosure)"
                ));
            }
            if !used.contains(&"lender") {
                return Err(format!("{language}: every message names the lender: add {{lender}}"));
            }
            match raw.purpose {
                Purpose::Reminder | Purpose::Collection => {
                    for needed in ["amount_due", "due_date", "pay_how"] {
                        if !used.contains(&needed) {
                            return Err(format!("{language}: a collection message states the amount, the due date and how to pay: add {{{needed}}}"));
                        }
                    }
                    if !used.contains(&"penalty_rate") && !contains_any(text, &CREDIT_WORDS) {
                        return Err(format!("{language}: a collection message states the consequence of not paying: the penalty rate ({{penalty_rate}}) or the credit report"));
                    }
                }
                Purpose::ReestablishContact => {
                    if used.contains(&"amount_due") || contains_any(text, &DEBT_WORDS) {
                        return Err(format!("{language}: a message to re-establish contact may not mention the debt"));
                    }
                }
                Purpose::ValidationNotice => {
                    if !used.contains(&"amount_due") {
                        return Err(format!("{language}: a validation notice states the amount: add {{amount_due}}"));
                    }
                }
            }
        }
        let both = format!("{}\n{}", raw.zh, raw.en);
        let facts = MessageFacts {
            identifies_lender: true,
            mentions_debt: both.contains("{amount_due}") || contains_any(&both, &DEBT_WORDS),
            mentions_legal_action: contains_any(&both, &LEGAL_WORDS),
        };
        Ok(Template { id: raw.id, purpose: raw.purpose, zh: raw.zh, en: raw.en, facts })
    }

    /// The message in `language` with every placeholder filled from `values`.
    pub fn render(&self, language: Language, values: &BTreeMap<&str, String>) -> Result<String, RenderError> {
        let text = match language {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        };
        let mut out = String::with_capacity(text.len() + 64);
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').expect("checked when loaded");
            let name = &after[..close];
            let value = values
                .get(name)
                .ok_or_else(|| RenderError::Missing { template: self.id.clone(), placeholder: name.to_owned() })?;
            out.push_str(value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

impl Templates {
    /// Loads and checks a templates file; the first bad template is named by its line.
    pub fn from_toml(file: &str, text: &str) -> Result<Templates, ConfigError> {
        let parsed: File = ConfigError::parse(file, text)?;
        let mut by_id = BTreeMap::new();
        for spanned in parsed.template {
            let start = spanned.span().start;
            let raw = spanned.into_inner();
            let id = raw.id.clone();
            let template =
                Template::check(raw).map_err(|m| ConfigError::at(file, text, start, format!("template `{id}`: {m}")))?;
            if by_id.insert(id.clone(), template).is_some() {
                return Err(ConfigError::at(file, text, start, format!("template `{id}` is defined twice")));
            }
        }
        Ok(Templates { by_id })
    }

    /// The templates shipped with Arrears.
    pub fn shipped() -> Templates {
        Templates::from_toml("config/templates.toml", crate::DEFAULT_TEMPLATES).expect("the shipped templates are valid")
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.by_id.get(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
