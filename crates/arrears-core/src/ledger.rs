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
    /// The lender's loss when a loan is written off (an expense): what left the receivables.
    WriteOffLoss,
    /// What a written-off loan still owes, by component: an off-balance memo account, so the
    /// claim never disappears from the ledger.
    WrittenOff(Component),
    /// The other side of the written-off memo accounts.
    WrittenOffContra,
    /// Money recovered on written-off loans (income).
    Recoveries,
    /// What the lender forgave a borrower (an expense): a settlement's discount, penalty a
    /// plan waived.
    Waivers,
}

impl Account {
    pub fn code(self) -> String {
        match self {
            Account::Receivable(c) => format!("receivable:{c}"),
            Account::Income(c) => format!("income:{c}"),
            Account::Funding => "funding".to_owned(),
            Account::Collections => "collections".to_owned(),
            Account::Unapplied => "unapplied".to_owned(),
            Account::WriteOffLoss => "write-off-loss".to_owned(),
            Account::WrittenOff(c) => format!("written-off:{c}"),
            Account::WrittenOffContra => "written-off-contra".to_owned(),
            Account::Recoveries => "recoveries".to_owned(),
            Account::Waivers => "waivers".to_owned(),
        }
    }

    /// The accounts that are not kept by component.
    pub const SINGLE: [Account; 7] = [
        Account::Funding,
        Account::Collections,
        Account::Unapplied,
        Account::WriteOffLoss,
        Account::WrittenOffContra,
        Account::Recoveries,
        Account::Waivers,
    ];

    /// Every account of a loan's ledger.
    pub fn all() -> Vec<Account> {
        let by_component =
            Component::ALL.into_iter().flat_map(|c| [Account::Receivable(c), Account::Income(c), Account::WrittenOff(c)]);
        Account::SINGLE.into_iter().chain(by_component).collect()
    }

    pub fn parse(code: &str) -> Option<Account> {
        let component = |name: &str| Component::ALL.into_iter().find(|c| c.name() == name);
        match code.split_once(':') {
            Some(("receivable", c)) => component(c).map(Account::Receivable),
            Some(("income", c)) => component(c).map(Account::Income),
            Some(("written-off", c)) => component(c).map(Account::WrittenOff),
            None => Account::SINGLE.into_iter().find(|a| a.code() == code),
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
    /// What a loan owed, moved off the receivables when it was written off.
    WriteOff,
    /// A payment on a written-off loan.
    Recovery,
    /// What a relief forgave.
    Waiver,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Disbursement,
        EntryKind::Accrual,
        EntryKind::Payment,
        EntryKind::Reversal,
        EntryKind::CreditApplied,
        EntryKind::WriteOff,
        EntryKind::Recovery,
        EntryKind::Waiver,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Disbursement => "disbursement",
            EntryKind::Accrual => "accrual",
            EntryKind::Payment => "payment",
            EntryKind::Reversal => "reversal",
            EntryKind::CreditApplied => "credit-applied",
            EntryKind::WriteOff => "write-off",
            EntryKind::Recovery => "recovery",
            EntryKind::Waiver => "waiver",
        }
    }

    pub fn parse(code: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.code() == code)
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
///
/// When `after` is written off and `before` was not, what it owed then leaves the receivables
/// for the loss account, and the memo accounts keep the claim by component. Once written off,
/// a payment (or its reversal) pays the memo claim and is income of recoveries; a change to a
/// payment made before the write-off (its reversal, or one posted late) is booked against the
/// receivables, and the change in what was written off moves between them and the memo. What a
/// relief forgives leaves the receivables for the waivers account.
pub fn entries_between(date: Date, kind: EntryKind, before: &LoanState, after: &LoanState) -> Vec<Entry> {
    debug_assert!(
        before.written_off.is_none() || after.written_off.is_some_and(|w| Some(w.date) == before.written_off.map(|b| b.date)),
        "a write-off is never taken back or moved"
    );
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
    let waived = after.waived().minus(&before.waived());
    let mut waiver_lines: Vec<Line> =
        Component::ALL.into_iter().map(|c| Line { account: Account::Receivable(c), amount: Amount(-waived.get(c).0) }).collect();
    waiver_lines.push(Line { account: Account::Waivers, amount: waived.total() });
    out.push(Entry::new(date, EntryKind::Waiver, waiver_lines).expect("the waiver balances what it forgave"));
    // What was written off, and recovered since, on each side. A replay that changes a payment
    // made before the write-off changes what was written off: the difference is written off
    // too, and the payment's change is booked against the receivables it paid.
    let written = |s: &LoanState| s.written_off.map_or(Components::default(), |w| w.amount);
    let recovered_by = |s: &LoanState| s.written_off.map_or(Components::default(), |w| w.amount.minus(&s.outstanding()));
    let recovered = recovered_by(after).minus(&recovered_by(before));
    let written_off = written(after).minus(&written(before));
    let paid = after.paid().minus(&before.paid());
    let held = after.credit - before.credit;
    let before_write_off = paid.minus(&recovered);
    let mut pay_lines: Vec<Line> = Component::ALL
        .into_iter()
        .map(|c| Line { account: Account::Receivable(c), amount: Amount(-before_write_off.get(c).0) })
        .collect();
    pay_lines.push(Line { account: Account::Unapplied, amount: Amount(-held.0) });
    pay_lines.push(Line { account: Account::Collections, amount: before_write_off.total() + held });
    let pay_kind = if kind == EntryKind::Accrual { EntryKind::CreditApplied } else { kind };
    out.push(Entry::new(date, pay_kind, pay_lines).expect("collections balance the payment lines"));
    out.push(write_off_entry(date, &written_off));
    let mut lines: Vec<Line> = Component::ALL
        .into_iter()
        .map(|c| Line { account: Account::WrittenOff(c), amount: Amount(-recovered.get(c).0) })
        .collect();
    lines.push(Line { account: Account::WrittenOffContra, amount: recovered.total() });
    lines.push(Line { account: Account::Recoveries, amount: Amount(-recovered.total().0) });
    lines.push(Line { account: Account::Collections, amount: recovered.total() });
    let kind = if kind == EntryKind::Payment { EntryKind::Recovery } else { kind };
    out.push(Entry::new(date, kind, lines).expect("collections balance the recovery, the contra its memo"));
    out.retain(|e| !e.lines.is_empty());
    out
}

/// The entry of a write-off of `amount`: the receivables to the loss, and the claim to the
/// memo accounts.
fn write_off_entry(date: Date, amount: &Components) -> Entry {
    let mut lines = Vec::new();
    for c in Component::ALL {
        let a = amount.get(c);
        lines.push(Line { account: Account::Receivable(c), amount: Amount(-a.0) });
        lines.push(Line { account: Account::WrittenOff(c), amount: a });
    }
    lines.push(Line { account: Account::WriteOffLoss, amount: amount.total() });
    lines.push(Line { account: Account::WrittenOffContra, amount: Amount(-amount.total().0) });
    Entry::new(date, EntryKind::WriteOff, lines).expect("the loss balances the receivables, the contra the memo")
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
    by_component(balances, Account::Receivable)
}

/// What the memo accounts keep of written-off loans, by component: with the receivables, a
/// loan's outstanding amounts.
pub fn written_off(balances: &BTreeMap<Account, Amount>) -> Components {
    by_component(balances, Account::WrittenOff)
}

fn by_component(balances: &BTreeMap<Account, Amount>, account: fn(Component) -> Account) -> Components {
    let mut out = Components::default();
    for c in Component::ALL {
        *out.get_mut(c) = balances.get(&account(c)).copied().unwrap_or_default();
    }
    out
}
