//! The compliance engine, rule by rule at the edges, and the packs as shipped.

mod packs;
mod rules;

use arrears_policy::{Channel, Contact, LocalTime, MessageFacts, Outcome, Party, PastContact, Purpose};

/// `YYYY-MM-DD HH:MM` in the borrower's local time.
pub fn t(text: &str) -> LocalTime {
    LocalTime::parse(text).unwrap_or_else(|| panic!("bad time {text}"))
}

/// A collection message that names the lender.
pub const PROPER: MessageFacts = MessageFacts { identifies_lender: true, mentions_debt: true, mentions_legal_action: false };

pub fn contact(at: &str, channel: Channel) -> Contact {
    Contact { at: t(at), channel, party: Party::Debtor, purpose: Purpose::Collection, message: PROPER }
}

pub fn call(at: &str, outcome: Outcome) -> PastContact {
    PastContact { at: t(at), channel: Channel::Call, party: Party::Debtor, purpose: Purpose::Collection, outcome }
}
