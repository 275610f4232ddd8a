//! Policy packs: a jurisdiction's rules as data, versioned, loaded from TOML.

use serde::{Deserialize, Serialize};

use crate::rules::Rule;
use crate::{Contact, LoanFlags, PastContact, Verdict};

/// A versioned set of rules for one jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// Stable identifier recorded with every decision, for example `cn`.
    pub id: String,
    /// The pack's version, recorded with every decision, for example `2026.1`.
    pub version: String,
    pub jurisdiction: String,
    pub description: String,
    pub rules: Vec<Rule>,
}

/// A pack that could not be loaded: the line of the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: line {line}: {message}")]
pub struct PackError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

const CHINA: &str = include_str!("../packs/cn.toml");
const US: &str = include_str!("../packs/us.toml");

impl Pack {
    /// Parses a pack; an error names the line.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Pack, PackError> {
        let pack: Pack = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            PackError { source_name: source_name.to_owned(), line, message: e.message().to_owned() }
        })?;
        if pack.rules.is_empty() {
            return Err(PackError {
                source_name: source_name.to_owned(),
                line: 1,
                message: "a pack needs at least one rule".into(),
            });
        }
        Ok(pack)
    }

    /// The China pack shipped with Arrears.
    pub fn china() -> Pack {
        Pack::from_toml("packs/cn.toml", CHINA).expect("the shipped China pack is valid")
    }

    /// The US pack (Regulation F) shipped with Arrears.
    pub fn us() -> Pack {
        Pack::from_toml("packs/us.toml", US).expect("the shipped US pack is valid")
    }

    /// A shipped pack by id.
    pub fn shipped(id: &str) -> Option<Pack> {
        match id {
            "cn" => Some(Pack::china()),
            "us" => Some(Pack::us()),
            _ => None,
        }
    }

    /// `id@version`, as recorded with each decision.
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// Checks a contact against every rule, in the pack's order; the first rule that blocks
    /// decides.
    pub fn check(&self, contact: &Contact, past: &[PastContact], flags: &LoanFlags) -> Verdict {
        for rule in &self.rules {
            if let Some(block) = rule.check(contact, past, flags) {
                return Verdict::Blocked { rule: rule.id(), reason: block.reason, retry_at: block.retry_at };
            }
        }
        Verdict::Allowed
    }
}
