//! The rules a pack is made of. Each is a unit: its parameters come from the pack, and
//! [`Rule::check`] decides one contact from the contact, the contacts already made and the
//! loan's standing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{LocalTime, TimeOfDay};
use crate::{Channel, Contact, LoanFlags, Outcome, Party, PastContact, Purpose};

/// A rule as configured in a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// No contact from `from` until `until` in the borrower's local time (the span may cross
    /// midnight). Letters are posted, not received at a moment, and are not held.
    QuietHours { from: TimeOfDay, until: TimeOfDay },
    /// At most `max` connected calls a day with the debtor, counting every collector.
    ConnectedCallsPerDay { max: u32 },
    /// At most `max` call attempts on the debt within `days` consecutive days.
    CallAttemptsInWindow { max: u32, days: u32 },
    /// No call within `days` days after a telephone conversation about the debt.
    AfterConversation { days: u32 },
    /// Contact only the debtor. With `emergency_contact_when_unreachable`, an emergency contact
    /// may be asked to pass on a request to get in touch, when the debtor is unreachable, and
    /// never told of the debt.
    DebtorOnly { emergency_contact_when_unreachable: bool },
    /// No collection while a dispute is open.
    PauseWhileDisputed,
    /// No collection while an agreed installment plan is honoured.
    PauseWhilePlanHonoured,
    /// Every message names the lender.
    IdentifyLender,
    /// An opt-out of an electronic channel holds at once.
    OptOutElectronic,
    /// The validation notice goes out within `days` days of the first contact; after that, no
    /// other collection contact until it has.
    ValidationNotice { days: u32 },
    /// No mention of legal action on a debt whose limitation period has run out.
    NoLegalThreatWhenTimeBarred,
}

/// The stable name of a rule, recorded with every blocked contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    QuietHours,
    ConnectedCallsPerDay,
    CallAttemptsInWindow,
    AfterConversation,
    DebtorOnly,
    PauseWhileDisputed,
    PauseWhilePlanHonoured,
    IdentifyLender,
    OptOutElectronic,
    ValidationNotice,
    NoLegalThreatWhenTimeBarred,
}

impl RuleId {
    pub fn code(self) -> &'static str {
        match self {
            RuleId::QuietHours => "quiet-hours",
            RuleId::ConnectedCallsPerDay => "connected-calls-per-day",
            RuleId::CallAttemptsInWindow => "call-attempts-in-window",
            RuleId::AfterConversation => "after-conversation",
            RuleId::DebtorOnly => "debtor-only",
            RuleId::PauseWhileDisputed => "pause-while-disputed",
            RuleId::PauseWhilePlanHonoured => "pause-while-plan-honoured",
            RuleId::IdentifyLender => "identify-lender",
            RuleId::OptOutElectronic => "opt-out-electronic",
            RuleId::ValidationNotice => "validation-notice",
            RuleId::NoLegalThreatWhenTimeBarred => "no-legal-threat-when-time-barred",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// Why a rule blocked a contact, and when it would allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub reason: String,
    pub retry_at: Option<LocalTime>,
}

fn block(reason: impl Into<String>, retry_at: Option<LocalTime>) -> Option<Block> {
    Some(Block { reason: reason.into(), retry_at })
}

impl Rule {
    pub fn id(&self) -> RuleId {
        match self {
            Rule::QuietHours { .. } => RuleId::QuietHours,
            Rule::ConnectedCallsPerDay { .. } => RuleId::ConnectedCallsPerDay,
            Rule::CallAttemptsInWindow { .. } => RuleId::CallAttemptsInWindow,
            Rule::AfterConversation { .. } => RuleId::AfterConversation,
            Rule::DebtorOnly { .. } => RuleId::DebtorOnly,
            Rule::PauseWhileDisputed => RuleId::PauseWhileDisputed,
            Rule::PauseWhilePlanHonoured => RuleId::PauseWhilePlanHonoured,
            Rule::IdentifyLender => RuleId::IdentifyLender,
            Rule::OptOutElectronic => RuleId::OptOutElectronic,
            Rule::ValidationNotice { .. } => RuleId::ValidationNotice,
            Rule::NoLegalThreatWhenTimeBarred => RuleId::NoLegalThreatWhenTimeBarred,
        }
    }

    /// Whether this rule lets `contact` leave; `None` if it does.
    pub fn check(&self, contact: &Contact, past: &[PastContact], flags: &LoanFlags) -> Option<Block> {
        let at = contact.at;
        let is_call = contact.channel == Channel::Call;
        let calls = || past.iter().filter(|p| p.channel == Channel::Call && p.at <= at);
        match *self {
            Rule::QuietHours { from, until } => {
                if contact.channel == Channel::Letter {
                    return None;
                }
                let t = at.time;
                let quiet = if from <= until { t >= from && t < until } else { t >= from || t < until };
                if !quiet {
                    return None;
                }
                let retry_date = if t >= until { at.date.add_days(1) } else { at.date };
                block(format!("{} is inside the quiet hours {from}–{until}", at.time), Some(LocalTime::new(retry_date, until)))
            }
            Rule::ConnectedCallsPerDay { max } => {
                if !is_call {
                    return None;
                }
                let today = calls()
                    .filter(|p| p.at.date == at.date && p.outcome == Outcome::Connected && p.party == Party::Debtor)
                    .count();
                (today as u32 >= max).then(|| Block {
                    reason: format!("{today} calls with the debtor already connected on {}; the limit is {max} a day", at.date),
                    retry_at: Some(LocalTime::new(at.date.add_days(1), TimeOfDay::MIDNIGHT)),
                })
            }
            Rule::CallAttemptsInWindow { max, days } => {
                if !is_call {
                    return None;
                }
                let window_start = at.add_days(-(days as i32));
                let mut recent: Vec<LocalTime> = calls().filter(|p| p.at > window_start).map(|p| p.at).collect();
                if (recent.len() as u32) < max {
                    return None;
                }
                recent.sort();
                // The attempt that must leave the window before one more fits in it.
                let leaving = recent[recent.len() - max as usize];
                block(
                    format!("{} call attempts in the {days} days before {at}; the limit is {max}", recent.len()),
                    Some(leaving.add_days(days as i32)),
                )
            }
            Rule::AfterConversation { days } => {
                if !is_call {
                    return None;
                }
                let last = calls().filter(|p| p.outcome == Outcome::Connected && p.party == Party::Debtor).map(|p| p.at).max()?;
                let until = last.add_days(days as i32);
                (at < until).then(|| Block {
                    reason: format!("a conversation took place at {last}; no call for {days} days after it"),
                    retry_at: Some(until),
                })
            }
            Rule::DebtorOnly { emergency_contact_when_unreachable } => match contact.party {
                Party::Debtor => None,
                Party::ThirdParty => block("contact with anyone but the debtor is not allowed", None),
                Party::EmergencyContact => {
                    if !emergency_contact_when_unreachable {
                        block("emergency contacts may not be contacted", None)
                    } else if !flags.debtor_unreachable {
                        block("an emergency contact may be contacted only when the debtor cannot be reached", None)
                    } else if contact.purpose != Purpose::ReestablishContact {
                        block("an emergency contact may only be asked to have the debtor get in touch", None)
                    } else if contact.message.mentions_debt {
                        block("a message to an emergency contact may not disclose the debt", None)
                    } else {
                        None
                    }
                }
            },
            Rule::PauseWhileDisputed => (flags.dispute_open && contact.purpose.asks_for_payment())
                .then(|| Block { reason: "a dispute is open: collection waits for its answer".into(), retry_at: None }),
            Rule::PauseWhilePlanHonoured => (flags.plan_honoured && contact.purpose.asks_for_payment())
                .then(|| Block { reason: "an installment plan is being honoured".into(), retry_at: None }),
            Rule::IdentifyLender => (!contact.message.identifies_lender)
                .then(|| Block { reason: "the message does not name the lender".into(), retry_at: None }),
            Rule::OptOutElectronic => {
                (contact.channel.is_electronic() && flags.opted_out.contains(&contact.channel)).then(|| Block {
                    reason: format!("the debtor opted out of {:?}", contact.channel).to_lowercase(),
                    retry_at: None,
                })
            }
            Rule::ValidationNotice { days } => {
                if contact.purpose != Purpose::Collection {
                    return None;
                }
                // The clock starts with the first contact about the debt, not a courtesy reminder.
                let first = past
                    .iter()
                    .filter(|p| p.party == Party::Debtor && p.purpose == Purpose::Collection && p.at <= at)
                    .map(|p| p.at)
                    .min()?;
                let notice_sent = past.iter().any(|p| p.purpose == Purpose::ValidationNotice && p.at <= at);
                let due = first.add_days(days as i32);
                (!notice_sent && at > due).then(|| Block {
                    reason: format!(
                        "the validation notice was due by {due}, {days} days after the first contact, and has not gone out"
                    ),
                    retry_at: None,
                })
            }
            Rule::NoLegalThreatWhenTimeBarred => (flags.time_barred && contact.message.mentions_legal_action)
                .then(|| Block { reason: "the debt is time-barred: no suit may be brought or mentioned".into(), retry_at: None }),
        }
    }
}
