//! The compliance report: what the communication record holds for a period — contacts made and
//! blocked, by channel and by rule — and an independent audit of it. Every allowed contact is
//! checked again, from the record alone, against its policy pack with the contacts recorded
//! before it (that reached someone) and the loan's flags as recorded with it, and its words
//! against the forbidden list. A contact that fails is a breach; the report lists each one. The target is zero.

use std::collections::{BTreeMap, BTreeSet};

use arrears_collect::FORBIDDEN;
use arrears_core::Date;
use arrears_policy::{Channel, Contact, LoanFlags, LocalTime, MessageFacts, Outcome, Party, PastContact, Purpose, Verdict};
use arrears_store::{ContactRow, Store};

use crate::collect::CollectConfig;
use crate::AppError;

/// A contact that should not have left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub contact_key: String,
    pub loan_seq: i64,
    pub at_local: String,
    pub channel: String,
    pub rule: String,
    pub reason: String,
}

/// The record of a period, counted and audited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplianceReport {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// By channel: contacts allowed and contacts blocked.
    pub by_channel: BTreeMap<String, (i64, i64)>,
    /// Blocked contacts by rule.
    pub blocked_by_rule: BTreeMap<String, i64>,
    /// What became of contacts: sent, failed, connected, promise …
    pub outcomes: BTreeMap<String, i64>,
    /// Allowed contacts checked again.
    pub audited: usize,
    pub breaches: Vec<Breach>,
}

impl ComplianceReport {
    pub fn allowed(&self) -> i64 {
        self.by_channel.values().map(|v| v.0).sum()
    }

    pub fn blocked(&self) -> i64 {
        self.by_channel.values().map(|v| v.1).sum()
    }
}

/// Rows read per query while auditing.
const PAGE: i64 = 20_000;

/// Counts and audits the record for business dates `from..=to`.
pub fn report(store: &mut Store, config: &CollectConfig, from: Date, to: Date) -> Result<ComplianceReport, AppError> {
    if to < from {
        return Err(AppError::invalid("to", format!("{to} is before from {from}")));
    }
    let mut out = ComplianceReport { from: Some(from), to: Some(to), ..ComplianceReport::default() };
    store.read(|tx| {
        for (channel, decision, rule, n) in tx.contact_counts(from, to)? {
            let entry = out.by_channel.entry(channel).or_default();
            if decision == "allowed" {
                entry.0 += n;
            } else {
                entry.1 += n;
                *out.blocked_by_rule.entry(rule.unwrap_or_else(|| "?".into())).or_default() += n;
            }
        }
        out.outcomes = tx.contact_event_counts(from, to)?.into_iter().collect();
        Ok::<_, AppError>(())
    })?;
    // The audit reads the record from its beginning, so every rule sees what it needs however
    // old (the US validation notice and the first collection contact); only the period's
    // contacts are judged.
    let start = Date::from_days_since_epoch(0);
    let (connected, unreached) =
        store.read(|tx| Ok::<_, AppError>((tx.connected_keys(start, to)?, tx.unreached_keys(start, to)?)))?;
    let mut by_loan: BTreeMap<i64, Vec<PastContact>> = BTreeMap::new();
    let mut calls_by_borrower: BTreeMap<String, Vec<(i64, PastContact)>> = BTreeMap::new();
    let mut after = 0i64;
    loop {
        let page = store.read(|tx| tx.contacts_between(start, to, after, PAGE))?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (_, c) in page {
            if c.decision != "allowed" {
                continue;
            }
            let Some(past) = to_past(&c, &connected) else {
                out.breaches.push(breach(&c, "record", "the record names an unknown channel, party, purpose or time"));
                continue;
            };
            if c.business_date >= from {
                out.audited += 1;
                audit_one(config, &c, &past, by_loan.get(&c.loan_seq), calls_by_borrower.get(&c.borrower_id), &mut out.breaches);
            }
            if unreached.contains(&c.contact_key) {
                // Withdrawn, expired or undelivered: it reached no one, so no later rule counts it.
                continue;
            }
            by_loan.entry(c.loan_seq).or_default().push(past);
            if past.channel == Channel::Call {
                calls_by_borrower.entry(c.borrower_id.clone()).or_default().push((c.loan_seq, past));
            }
        }
        prune(&mut by_loan, &mut calls_by_borrower);
    }
    Ok(out)
}

/// Drops contacts older than every rule's window from the audit's memory, loan by loan.
fn prune(by_loan: &mut BTreeMap<i64, Vec<PastContact>>, by_borrower: &mut BTreeMap<String, Vec<(i64, PastContact)>>) {
    const KEEP: usize = 64;
    for list in by_loan.values_mut() {
        // The validation-notice rule needs the first collection contact and the notice,
        // however old: keep those, and the most recent others.
        if list.len() > KEEP {
            let first_collection = list.iter().position(|p| p.purpose == Purpose::Collection);
            let notice = list.iter().position(|p| p.purpose == Purpose::ValidationNotice);
            let cut = list.len() - KEEP / 2;
            let keep: Vec<PastContact> = list
                .iter()
                .enumerate()
                .filter(|(i, _)| *i >= cut || Some(*i) == first_collection || Some(*i) == notice)
                .map(|(_, p)| *p)
                .collect();
            *list = keep;
        }
    }
    for list in by_borrower.values_mut() {
        if list.len() > KEEP {
            list.drain(..list.len() - KEEP / 2);
        }
    }
}

fn to_past(c: &ContactRow, connected: &BTreeSet<String>) -> Option<PastContact> {
    Some(PastContact {
        at: LocalTime::parse(&c.at_local)?,
        channel: Channel::parse(&c.channel)?,
        party: Party::parse(&c.party)?,
        purpose: Purpose::parse(&c.purpose)?,
        outcome: if connected.contains(&c.contact_key) { Outcome::Connected } else { Outcome::Attempted },
    })
}

fn breach(c: &ContactRow, rule: &str, reason: &str) -> Breach {
    Breach {
        contact_key: c.contact_key.clone(),
        loan_seq: c.loan_seq,
        at_local: c.at_local.clone(),
        channel: c.channel.clone(),
        rule: rule.to_owned(),
        reason: reason.to_owned(),
    }
}

fn audit_one(
    config: &CollectConfig,
    c: &ContactRow,
    me: &PastContact,
    loan_past: Option<&Vec<PastContact>>,
    borrower_calls: Option<&Vec<(i64, PastContact)>>,
    breaches: &mut Vec<Breach>,
) {
    let pack_id = c.pack.split('@').next().unwrap_or("");
    let pack = match pack_id {
        id if id == config.us.id => &config.us,
        id if id == config.china.id => &config.china,
        _ => {
            breaches.push(breach(c, "record", &format!("the record names pack `{}`, which is not configured", c.pack)));
            return;
        }
    };
    let (Ok(message), Ok(flags)) = (serde_json::from_str::<MessageFacts>(&c.facts), serde_json::from_str::<LoanFlags>(&c.flags))
    else {
        breaches.push(breach(c, "record", "the record's facts or flags are unreadable"));
        return;
    };
    let mut past: Vec<PastContact> = loan_past.cloned().unwrap_or_default();
    if me.channel == Channel::Call {
        past.extend(borrower_calls.into_iter().flatten().filter(|(loan, _)| *loan != c.loan_seq).map(|(_, p)| *p));
    }
    let contact = Contact { at: me.at, channel: me.channel, party: me.party, purpose: me.purpose, message };
    if let Verdict::Blocked { rule, reason, .. } = pack.check(&contact, &past, &flags) {
        breaches.push(breach(c, rule.code(), &reason));
    }
    let lower = c.content.to_lowercase();
    if let Some(word) = FORBIDDEN.iter().find(|w| lower.contains(&w.to_lowercase())) {
        breaches.push(breach(c, "forbidden-wording", &format!("the message says `{word}`")));
    }
}
