//! Shared builders and invariant checks: terms from text, and a ledger kept beside a loan.

use arrears_core::ledger::{self, Account, Entry, EntryKind};
use arrears_core::rate::RATE_SCALE;
use arrears_core::{
    Amount, Bucket, Classification, Component, Components, Date, LoanState, LoanStatus, LoanTerms, ProductRules, Rate,
    RepaymentMethod, TermsInput,
};

pub fn d(text: &str) -> Date {
    text.parse().unwrap_or_else(|e| panic!("bad test date {text}: {e}"))
}

pub fn amt(text: &str) -> Amount {
    Amount::parse(text).unwrap_or_else(|e| panic!("bad test amount {text}: {e}"))
}

pub fn pct(text: &str) -> Rate {
    Rate::parse_percent(text).unwrap_or_else(|e| panic!("bad test rate {text}: {e}"))
}

/// Unvalidated terms with the default product (ACT/365F, 3 days' grace, +50% penalty,
/// compound interest on, no late fee, 24% cap, the art. 561 waterfall).
pub fn input(principal: &str, rate: &str, months: u32, method: RepaymentMethod, start: &str) -> TermsInput {
    TermsInput {
        principal: amt(principal),
        annual_rate: pct(rate),
        term_months: months,
        method,
        start_date: d(start),
        first_due_date: None,
        rules: ProductRules::default(),
    }
}

/// The story loan: 10000.00 at 18% over 12 months, annuity, disbursed 2026-01-15, with the
/// default product. Its schedule starts 766.80 + 150.00 = 916.80 (installment 1) and
/// 778.30 + 138.50 = 916.80 (installment 2).
pub fn story_input() -> TermsInput {
    input("10000.00", "18", 12, RepaymentMethod::Annuity, "2026-01-15")
}

pub fn story_terms() -> LoanTerms {
    LoanTerms::new(story_input()).expect("story terms are valid")
}

/// A state on `date`, advanced from disbursement with no payment.
pub fn advanced(terms: &LoanTerms, date: &str) -> LoanState {
    let mut state = LoanState::disburse(terms);
    state.advance(terms, d(date)).expect("advance forward");
    state
}

/// Sum of the non-principal components: everything the lender charges on top of principal.
pub fn charges(c: &Components) -> Amount {
    c.fee + c.penalty + c.compound + c.interest
}

/// The conservation and cost-cap invariants of DESIGN.md on one state; `context` says where.
pub fn assert_invariants(terms: &LoanTerms, state: &LoanState, context: &str) {
    for inst in &state.installments {
        for c in Component::ALL {
            let (charged, paid, waived) = (inst.charged.get(c), inst.paid.get(c), inst.waived.get(c));
            assert!(paid >= Amount::ZERO, "{context}: installment {} paid {c} {paid} is negative", inst.n);
            assert!(waived >= Amount::ZERO, "{context}: installment {} waived {c} {waived} is negative", inst.n);
            assert!(
                paid + waived <= charged,
                "{context}: installment {} paid and waived {c} more than charged {charged}",
                inst.n
            );
        }
    }
    let (charged, paid, waived, outstanding) = (state.charged(), state.paid(), state.waived(), state.outstanding());
    for c in Component::ALL {
        assert_eq!(charged.get(c) - paid.get(c) - waived.get(c), outstanding.get(c), "{context}: conservation of {c}");
        assert!(outstanding.get(c) >= Amount::ZERO, "{context}: outstanding {c} is negative");
    }
    assert_eq!(charged.principal, terms.principal(), "{context}: principal charged is the disbursed principal");
    assert_status(terms, state, context);
    let fee = terms.rules().late_fee;
    // A relief moves what was charged (due dates, penalty and fees) to other installments, so
    // the checks of when and how much each installment was charged hold only without one.
    for inst in state.installments.iter().filter(|_| state.reliefs.is_empty()) {
        // Nothing accrues inside the grace period: the first penalty day is DPD grace + 1.
        let first_penalty_day = inst.due_date.add_days(terms.grace_days() as i32 + 1);
        if !(inst.charged.penalty + inst.charged.compound + inst.charged.fee).is_zero() || inst.late_fee_charged {
            assert!(state.as_of >= first_penalty_day, "{context}: installment {} charged inside its grace", inst.n);
        }
        if let Some(cap) = fee.cap_per_installment {
            assert!(inst.charged.fee <= cap, "{context}: installment {} fee over its cap", inst.n);
        }
    }
    if let Some(cap) = fee.cap_per_loan {
        assert!(charged.fee <= cap, "{context}: late fees over the per-loan cap");
    }
    assert_eq!(state.late_fees_total, charged.fee, "{context}: late fee total");
    assert_eq!(state.cap.charged, charges(&charged), "{context}: the cap account sees every charge");
    // The cap is a yearly rate over 365 days, whatever the product's day count.
    let ceiling = Amount((state.cap.budget_scaled / (365 * RATE_SCALE)) as i64);
    assert!(state.cap.charged <= ceiling, "{context}: charged {} above the cap ceiling {ceiling}", state.cap.charged);
}

/// DPD, bucket and class agree with the oldest unpaid installment, and the history is a
/// chain of moves ending in the current bucket and class.
pub fn assert_status(terms: &LoanTerms, state: &LoanState, context: &str) {
    if state.status == LoanStatus::Active {
        let dpd = state.oldest_unpaid_due().map_or(0, |due| due.days_until(state.as_of) as u32);
        assert_eq!(state.dpd, dpd, "{context}: DPD");
        assert_eq!(state.bucket, Bucket::from_dpd(dpd, terms.grace_days()), "{context}: bucket");
        let restructured = state.restructured_until.is_some_and(|until| state.as_of < until);
        assert_eq!(state.class, Classification::from_dpd(dpd, terms.grace_days(), restructured, false), "{context}: class");
    } else if let Some(w) = &state.written_off {
        // Written off: the bucket and class stay, paid in full or not; accruals stopped.
        assert_eq!((state.bucket, state.class), (Bucket::WrittenOff, Classification::Loss), "{context}: written off");
        assert!(w.date <= state.as_of, "{context}: written off after its date");
        assert!(state.written_off.iter().all(|w| w.amount.minus(&state.outstanding()).total() >= Amount::ZERO));
        if state.status == LoanStatus::PaidOff {
            assert_eq!(state.outstanding().total(), Amount::ZERO, "{context}: recovered in full");
        } else {
            assert_eq!(state.status, LoanStatus::WrittenOff, "{context}: status");
        }
    } else {
        assert_eq!((state.dpd, state.bucket, state.class), (0, Bucket::M0, Classification::Normal), "{context}: closed");
    }
    let (mut bucket, mut class, mut date) = (Bucket::M0, Classification::Normal, terms.start_date());
    for change in &state.history {
        assert_eq!((change.from_bucket, change.from_class), (bucket, class), "{context}: history chain {change:?}");
        assert!((change.to_bucket, change.to_class) != (bucket, class), "{context}: a move that moves nothing");
        assert!(change.date >= date && change.date <= state.as_of, "{context}: history dates");
        (bucket, class, date) = (change.to_bucket, change.to_class, change.date);
    }
    assert_eq!((bucket, class), (state.bucket, state.class), "{context}: history ends where the loan is");
}

/// A ledger kept beside a loan, posted from state differences the way the store will.
#[derive(Debug)]
pub struct Book {
    pub entries: Vec<Entry>,
}

impl Book {
    pub fn open(terms: &LoanTerms) -> Book {
        Book { entries: vec![ledger::disbursement_entry(terms.start_date(), terms.principal())] }
    }

    /// Posts the entries from `before` to `after` and checks every one balances.
    pub fn post(&mut self, date: Date, kind: EntryKind, before: &LoanState, after: &LoanState) -> Vec<Entry> {
        let new = ledger::entries_between(date, kind, before, after);
        for entry in &new {
            let sum: Amount = entry.lines.iter().map(|l| l.amount).sum();
            assert_eq!(sum, Amount::ZERO, "entry {entry:?} does not balance");
            assert!(entry.lines.iter().all(|l| !l.amount.is_zero()), "entry {entry:?} keeps a zero line");
            let recovery = if kind == EntryKind::Payment { EntryKind::Recovery } else { kind };
            let allowed = [EntryKind::Accrual, EntryKind::CreditApplied, EntryKind::WriteOff, EntryKind::Waiver, kind, recovery];
            assert!(allowed.contains(&entry.kind), "entry {entry:?} has the wrong kind");
        }
        self.entries.extend(new.iter().cloned());
        new
    }

    /// The ledger agrees with the loan: receivables are the outstanding amounts (the memo
    /// accounts, once it is written off), income is what was charged, collections what was paid
    /// (applied or held ahead), unapplied what is held ahead, funding the principal paid out; a
    /// write-off's loss is what was owed then, and recoveries what was paid since.
    pub fn assert_matches(&self, terms: &LoanTerms, state: &LoanState, context: &str) {
        let balances = ledger::balances(&self.entries);
        let (on_book, off_book) = match state.written_off {
            Some(_) => (Components::default(), state.outstanding()),
            None => (state.outstanding(), Components::default()),
        };
        assert_eq!(ledger::receivables(&balances), on_book, "{context}: receivables");
        assert_eq!(ledger::written_off(&balances), off_book, "{context}: written-off memo");
        let get = |a: Account| balances.get(&a).copied().unwrap_or_default();
        let written = state.written_off.map_or(Amount::ZERO, |w| w.amount.total());
        assert_eq!(get(Account::WriteOffLoss), written, "{context}: the loss is what was written off");
        assert_eq!(get(Account::Recoveries), Amount(-(written - off_book.total()).0), "{context}: recoveries");
        assert_eq!(get(Account::WrittenOffContra), Amount(-off_book.total().0), "{context}: the memo's contra");
        let charged = state.charged();
        for c in [Component::Fee, Component::Penalty, Component::Compound, Component::Interest] {
            assert_eq!(get(Account::Income(c)), Amount(-charged.get(c).0), "{context}: income:{c}");
        }
        assert_eq!(get(Account::Income(Component::Principal)), Amount::ZERO, "{context}: principal earns nothing");
        assert_eq!(get(Account::Collections), state.paid().total() + state.credit, "{context}: collections");
        assert_eq!(get(Account::Unapplied), Amount(-state.credit.0), "{context}: money held ahead");
        assert_eq!(get(Account::Funding), Amount(-terms.principal().0), "{context}: funding");
        assert_eq!(get(Account::Waivers), state.waived().total(), "{context}: waivers are what was forgiven");
        let total: Amount = balances.values().copied().sum();
        assert_eq!(total, Amount::ZERO, "{context}: the trial balance sums to zero");
    }
}
