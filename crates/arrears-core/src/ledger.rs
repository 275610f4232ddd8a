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
    /// Money a borrower paid ahead of any due date, owed back to them until it is applied (a
    /// liability).
    Unapplied,
}

impl Account {
    pub fn code(self) -> String {
        match self {
            Account::Receivable(c) => format!("receivable:{c}"),
            Account::Income(c) => format!("income:{c}"),
            Account::Funding => "funding".to_owned(),
            Account::Collections => "collections".to_owned(),
            Account::Unapplied => "unapplied".to_owned(),
        }
    }

    pub fn parse(code: &str) -> Option<Account> {
        let component = |name: &str| Component::ALL.into_iter().find(|c| c.name() == name);
        match code.split_once(':') {
            Some(("receivable", c)) => component(c).map(Account::Receivable),
            Some(("income", c)) => component(c).map(Account::Income),
            None if code == "funding" => Some(Account::Funding),
            None if code == "collections" => Some(Account::Collections),
            None if code == "unapplied" => Some(Account::Unapplied),
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
    /// Money paid ahead, applied to an installment on its due date.
    CreditApplied,
}

impl EntryKind {
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Disbursement => "disbursement",
            EntryKind::Accrual => "accrual",
            EntryKind::Payment => "payment",
            EntryKind::Reversal => "reversal",
            EntryKind::CreditApplied => "credit-applied",
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
/// income; payments (or, when `kind` is a reversal, their undoing) against collections, with
/// money held ahead going to the unapplied account; and, when an advance applies money held
/// ahead (`kind` is an accrual), that application from the unapplied account.
pub fn entries_between(date: Date, kind: EntryKind, before: &LoanState, after: &LoanState) -> Vec<Entry> {
    let mut out = Vec::new();
    let charged = after.charged().minus(&before.charged());
    debug_assert!(charged.principal.is_zero(), "principal is charged only at disbursement");
    let charge_lines: Vec<Line> = Component::ALL
        .into_iter()
        .filter(|&c| c != Component::Principal)
        .flat_map(|c| {
            let amount = charged.get(c);
            [Line { account: Account::Receivable(c), amount }, Line { account: Account::Income(c), amount: Amount(-amount.0) }]
        })
        .collect();
    out.push(Entry::new(date, EntryKind::Accrual, charge_lines).expect("each charge line has its income line"));
    let paid = after.paid().minus(&before.paid());
    let held = after.credit - before.credit;
    let mut pay_lines: Vec<Line> =
        Component::ALL.into_iter().map(|c| Line { account: Account::Receivable(c), amount: Amount(-paid.get(c).0) }).collect();
    pay_lines.push(Line { account: Account::Unapplied, amount: Amount(-held.0) });
    pay_lines.push(Line { account: Account::Collections, amount: paid.total() + held });
    let pay_kind = if kind == EntryKind::Accrual { EntryKind::CreditApplied } else { kind };
    out.push(Entry::new(date, pay_kind, pay_lines).expect("collections balance the payment lines"));
    out.retain(|e| !e.lines.is_empty());
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
