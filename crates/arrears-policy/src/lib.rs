//! The compliance engine: every outbound contact is checked against a policy pack before it
//! leaves, and a blocked contact comes back with the rule that blocked it and, where the rule
//! allows, the earliest moment it may be tried again.
//!
//! A [`Pack`] is data (`packs/cn.toml`, `packs/us.toml`): a jurisdiction, a version and a list
//! of [`Rule`]s with their parameters. [`Pack::check`] takes the contact, the contacts already
//! made on the loan and the loan's standing ([`LoanFlags`]), and returns a [`Verdict`]. Nothing
//! here does I/O or reads a clock: times are the borrower's local time, given by the caller.

mod pack;
mod rules;
mod time;

pub use pack::{Pack, PackError};
pub use rules::{Rule, RuleId};
pub use time::{LocalTime, TimeError, TimeOfDay};

use serde::{Deserialize, Serialize};

/// How a contact reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Sms,
    Email,
    /// A notice in the lender's app.
    App,
    /// A telephone call by an agent.
    Call,
    Letter,
}

impl Channel {
    /// Channels an opt-out applies to under Regulation F.
    pub fn is_electronic(self) -> bool {
        matches!(self, Channel::Sms | Channel::Email | Channel::App)
    }
}

/// Who a contact is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    Debtor,
    /// A person the borrower named to reach them in an emergency.
    EmergencyContact,
    /// Anyone else: employer, family, colleagues.
    ThirdParty,
}

/// Why a contact is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A courtesy reminder of an installment not yet overdue: servicing, not collection of a
    /// debt, so it does not start the validation-notice clock.
    Reminder,
    /// A message, a demand or a call about money already overdue.
    Collection,
    /// Only to ask the debtor to get back in touch.
    ReestablishContact,
    /// The notice that tells a debtor about the debt and their rights (US validation notice).
    ValidationNotice,
}

/// What a message says, as far as the rules care. Templates are checked for these facts
/// when they are loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFacts {
    /// Names the lender (and the collector) sending it.
    pub identifies_lender: bool,
    /// Mentions the debt, its amount or its lateness.
    pub mentions_debt: bool,
    /// Mentions a lawsuit or other legal action.
    pub mentions_legal_action: bool,
}

/// What became of a contact already made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A call answered by the person called: a conversation.
    Connected,
    /// A call placed but not answered, or a message sent.
    Attempted,
}

/// A contact already made on this loan (or, for the daily call cap, with this debtor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastContact {
    pub at: LocalTime,
    pub channel: Channel,
    pub party: Party,
    pub purpose: Purpose,
    pub outcome: Outcome,
}

/// A contact about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub at: LocalTime,
    pub channel: Channel,
    pub party: Party,
    pub purpose: Purpose,
    pub message: MessageFacts,
}

/// The loan's standing that stops or shapes contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanFlags {
    /// A dispute is open and not yet answered.
    pub dispute_open: bool,
    /// An agreed installment plan is being honoured.
    pub plan_honoured: bool,
    /// The limitation period has run out.
    pub time_barred: bool,
    /// The debtor could not be reached on any number or address they gave.
    pub debtor_unreachable: bool,
    /// Electronic channels the debtor opted out of.
    pub opted_out: Vec<Channel>,
}

/// Whether a contact may leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    Allowed,
    Blocked {
        rule: RuleId,
        /// Why, in plain words, for the contact record.
        reason: String,
        /// The earliest moment the rule would allow it, if waiting is what it takes.
        retry_at: Option<LocalTime>,
    },
}

impl Purpose {
    /// Reminders and collection: what a dispute or an honoured plan stops.
    pub fn asks_for_payment(self) -> bool {
        matches!(self, Purpose::Reminder | Purpose::Collection)
    }
}

impl Verdict {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed)
    }
}

/// Stable text codes of the small enums, as stored and as written in configuration (the same
/// words serde uses).
macro_rules! codes {
    ($ty:ty { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn code(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $code),+
                }
            }

            pub fn parse(code: &str) -> Option<$ty> {
                match code {
                    $($code => Some(<$ty>::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

codes!(Channel { Sms => "sms", Email => "email", App => "app", Call => "call", Letter => "letter" });
codes!(Party { Debtor => "debtor", EmergencyContact => "emergency-contact", ThirdParty => "third-party" });
codes!(Purpose {
    Reminder => "reminder",
    Collection => "collection",
    ReestablishContact => "reestablish-contact",
    ValidationNotice => "validation-notice",
});
