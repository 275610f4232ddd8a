//! The double-entry ledger: every movement of money on a loan is a balanced entry, made from
//! the difference between the loan's state before and after.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::loan::{Components, LoanState};
use crate::money::Amount;
use crate::terms::Component;

/// A ledger account of one loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Account {
    /// What the borrower owes, by component (an asset).
    Receivable(Component),
    /// What the lender earned, by component (principal earns nothing).
    Income(Component),
    /// The lender's funding account the principal left from.
    Funding,
    /// The clearing account payments arrive in.
    Collections,
}

impl Account {
    pub fn code(self) -> String {
        match self {
            Account::Receivable(c) => format!("receivable:{c}"),
            Account::Income(c) => format!("income:{c}"),
            Account::Funding => "funding".to_owned(),
            Account::Collections => "collections".to_owned(),
        }
    }

    pub fn parse(code: &str) -> Option<Account> {
        let component = |name: &str| Component::ALL.into_iter().find(|c| c.name() == name);
        match code.split_once(':') {
            Some(("receivable", c)) => component(c).map(Account::Receivable),
            Some(("income", c)) => component(c).map(Account::Income),
            None if code == "funding" => Some(Account::Funding),
            None if code == "collections" => Some(Account::Collections),
            _ => None,
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.code())
    }
}

/// Why an entry was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Disbursement,
    /// Interest falling due, penalty and compound interest accrued, late fees.
    Accrual,
    Payment,
    Reversal,
}

impl EntryKind {
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Disbursement => "disbursement",
            EntryKind::Accrual => "accrual",
            EntryKind::Payment => "payment",
            EntryKind::Reversal => "reversal",
        }
    }

    pub fn parse(code: &str) -> Option<EntryKind> {
        [EntryKind::Disbursement, EntryKind::Accrual, EntryKind::Payment, EntryKind::Reversal]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// One line: a debit is positive, a credit negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub account: Account,
    pub amount: Amount,
}

/// A balanced entry: its lines sum to zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: Date,
    pub kind: EntryKind,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ledger entry of {date} does not balance: its lines sum to {sum}")]
pub struct Unbalanced {
    pub date: Date,
    pub sum: Amount,
}

impl Entry {
    /// An entry from its lines, dropping zero lines; refused unless it balances.
    pub fn new(date: Date, kind: EntryKind, lines: Vec<Line>) -> Result<Entry, Unbalanced> {
        let lines: Vec<Line> = lines.into_iter().filter(|l| !l.amount.is_zero()).collect();
        let sum: Amount = lines.iter().map(|l| l.amount).sum();
        if !sum.is_zero() {
            return Err(Unbalanced { date, sum });
        }
        Ok(Entry { date, kind, lines })
    }
}

/// The entry that pays out the principal.
pub fn disbursement_entry(date: Date, principal: Amount) -> Entry {
    Entry::new(
        date,
        EntryKind::Disbursement,
        vec![
            Line { account: Account::Receivable(Component::Principal), amount: principal },
            Line { account: Account::Funding, amount: Amount(-principal.0) },
        ],
    )
    .expect("two equal and opposite lines balance")
}

/// The entries that take the ledger from `before` to `after`: charges as accruals against
/// income, and payments (or, when `kind` is a reversal, their undoing) against collections.
pub fn entries_between(date: Date, kind: EntryKind, before: &LoanState, after: &LoanState) -> Vec<Entry> {
    let mut out = Vec::new();
    let charged = after.charged().minus(&before.charged());
    let charge_lines: Vec<Line> = Component::ALL
        .into_iter()
        .filter(|&c| c != Component::Principal)
        .flat_map(|c| {
            let amount = charged.get(c);
            [Line { account: Account::Receivable(c), amount }, Line { account: Account::Income(c), amount: Amount(-amount.0) }]
        })
        .collect();
    if let Ok(entry) = Entry::new(date, EntryKind::Accrual, charge_lines) {
        if !entry.lines.is_empty() {
            out.push(entry);
        }
    }
    // A prepayment re-spreads principal between installments; its total never changes.
    debug_assert!(charged.principal.is_zero(), "principal is charged only at disbursement");
    let paid = after.paid().minus(&before.paid());
    let mut pay_lines: Vec<Line> =
        Component::ALL.into_iter().map(|c| Line { account: Account::Receivable(c), amount: Amount(-paid.get(c).0) }).collect();
    pay_lines.push(Line { account: Account::Collections, amount: paid.total() });
    if let Ok(entry) = Entry::new(date, kind, pay_lines) {
        if !entry.lines.is_empty() {
            out.push(entry);
        }
    }
    out
}

/// Balances by account over a set of entries (debits positive).
pub fn balances<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> BTreeMap<Account, Amount> {
    let mut out = BTreeMap::new();
    for entry in entries {
        for line in &entry.lines {
            *out.entry(line.account).or_insert(Amount::ZERO) += line.amount;
        }
    }
    out
}

/// The receivable balances a ledger gives, by component, to compare with a loan's state.
pub fn receivables(balances: &BTreeMap<Account, Amount>) -> Components {
    let mut out = Components::default();
    for c in Component::ALL {
        *out.get_mut(c) = balances.get(&Account::Receivable(c)).copied().unwrap_or_default();
    }
    out
}
