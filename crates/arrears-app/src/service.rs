//! Loans in and out of the store: opening loans, payments with idempotency keys, reversals,
//! the loan view and the portfolio.

use arrears_core::ledger::{self, EntryKind};
use arrears_core::payment::PaymentFact;
use arrears_core::status::StatusChange;
use arrears_core::{
    Allocation, Amount, Components, Date, LoanError, LoanState, LoanTerms, Rate, Relief, RepaymentMethod, TermsInput, WriteOff,
};
use arrears_store::{EncodedLoan, LoanRecord, LoanUpdate, PaymentRecord, PaymentStatus, PortfolioRow, Store, StoredEntry, Tx};
use serde::Serialize;

use crate::{AppError, SYSTEM_ACTOR};

/// A loan to open, as a loan tape or the demo gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLoan {
    pub loan_no: String,
    pub borrower_id: String,
    pub product: String,
    pub principal: Amount,
    pub annual_rate: Rate,
    pub term_months: u32,
    pub method: RepaymentMethod,
    pub start_date: Date,
    pub first_due_date: Option<Date>,
}

/// The first day still open for business: the day after the last closed business date.
pub fn open_day(tx: &mut Tx<'_>) -> Result<Option<Date>, AppError> {
    Ok(tx.business_date()?.map(|d| d.add_days(1)))
}

/// Validated terms for a new loan under its product.
pub fn terms_for(tx: &mut Tx<'_>, loan: &NewLoan) -> Result<LoanTerms, AppError> {
    let (_, rules) =
        tx.product(&loan.product)?.ok_or_else(|| AppError::invalid("product", format!("unknown product `{}`", loan.product)))?;
    Ok(LoanTerms::new(TermsInput {
        principal: loan.principal,
        annual_rate: loan.annual_rate,
        term_months: loan.term_months,
        method: loan.method,
        start_date: loan.start_date,
        first_due_date: loan.first_due_date,
        rules,
    })?)
}

/// Opens loans: each is disbursed on its start date with its disbursement entry. Loans with
/// a start date already past are brought up to date by the next nightly batch.
pub fn open_loans(tx: &mut Tx<'_>, loans: &[(NewLoan, LoanTerms)]) -> Result<Vec<i64>, AppError> {
    let first_seq = tx.next_loan_seq()?;
    let mut records = Vec::with_capacity(loans.len());
    let mut ledgers = Vec::with_capacity(loans.len());
    for (k, (loan, terms)) in loans.iter().enumerate() {
        let seq = first_seq + k as i64;
        let state = LoanState::disburse(terms);
        ledgers.push((seq, [ledger::disbursement_entry(terms.start_date(), terms.principal())]));
        records.push(LoanRecord {
            seq,
            loan_no: loan.loan_no.clone(),
            borrower_id: loan.borrower_id.clone(),
            product: loan.product.clone(),
            terms: terms.clone(),
            state,
            version: 1,
            ledger_rows: 1,
            history_rows: 0,
        });
    }
    tx.insert_loans(&records)?;
    let batches: Vec<(i64, i64, &[ledger::Entry], &str)> =
        ledgers.iter().map(|(seq, e)| (*seq, 0, &e[..], "disbursement")).collect();
    tx.append_ledger_many(&batches)?;
    Ok(records.iter().map(|r| r.seq).collect())
}

/// What a payment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentOutcome {
    pub payment_id: i64,
    pub loan_no: String,
    pub amount: Amount,
    pub value_date: Date,
    pub allocation: Allocation,
    /// True when the key had been seen: nothing was posted again.
    pub replayed: bool,
    /// True when that first payment has since been reversed.
    pub reversed: bool,
}

/// Posts a payment once per idempotency key: the same key again, even concurrently, returns
/// the first result and changes nothing. Without a `date` the payment is dated the open
/// business day; a retry without a date finds the first result whatever day it is.
///
/// Payments need an open book: the nightly batch must have closed a first business date. A
/// payment may be dated back to the loan's last payment (the loan is replayed with it); its
/// ledger entries are booked on the open business day, never inside a closed one.
pub fn pay(store: &mut Store, loan_no: &str, amount: Amount, date: Option<Date>, key: &str) -> Result<PaymentOutcome, AppError> {
    if let Some(prefix) = WEB_KEY_PREFIXES.iter().find(|p| key.starts_with(*p)) {
        return Err(AppError::invalid("key", format!("keys starting `{prefix}` are the web channels'; use another key")));
    }
    pay_by(store, loan_no, amount, date, key, SYSTEM_ACTOR)
}

/// The idempotency keys of payments made through the server, each channel's own (`api:CLIENT:KEY`,
/// `portal:BORROWER:KEY`, `console:STAFF:KEY`), which no other payment may take.
pub const WEB_KEY_PREFIXES: [&str; 3] = ["api:", "portal:", "console:"];

/// [`pay`], audited as posted by `actor` (a member of staff, an API client, a borrower).
pub fn pay_by(
    store: &mut Store,
    loan_no: &str,
    amount: Amount,
    date: Option<Date>,
    key: &str,
    actor: &str,
) -> Result<PaymentOutcome, AppError> {
    if key.trim().is_empty() || key.len() > 200 {
        return Err(AppError::invalid("key", "an idempotency key of 1 to 200 characters is required"));
    }
    if amount <= Amount::ZERO {
        return Err(AppError::invalid("amount", format!("{amount} must be more than 0")));
    }
    store.transaction(|tx| {
        // The loan's row lock (PostgreSQL) or the write lock (SQLite) comes first: a second
        // caller with the same key waits here and then finds the first one's payment.
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        if let Some(existing) = tx.payment_by_key(key)? {
            return replayed_payment(existing, &loan, amount, date, key);
        }
        let open = open_day(tx)?.ok_or_else(|| {
            AppError::invalid(
                "date",
                "no business day is open yet: close the first one with `arrears eod --date D` before taking payments",
            )
        })?;
        let date = date.unwrap_or(open);
        if date > open {
            return Err(AppError::invalid("date", format!("{date} is after the open business day {open}")));
        }
        if date < loan.terms.start_date() {
            return Err(AppError::invalid("date", format!("{date} is before the loan's start date {}", loan.terms.start_date())));
        }
        let posted: Vec<PaymentRecord> =
            tx.payments_of(loan.seq)?.into_iter().filter(|p| p.status == PaymentStatus::Posted).collect();
        if let Some(last) = posted.last() {
            if date < last.value_date {
                return Err(AppError::invalid(
                    "date",
                    format!("{date} is before the loan's last payment on {}; payments are posted in date order", last.value_date),
                ));
            }
        }
        let before = loan.state.clone();
        // A payment received before a relief or the write-off but posted only now goes in
        // before it (and changes what was written off); from the write-off's day on, a payment
        // is a recovery.
        let events = arrears_core::relief::with_payment(&before.events(), posted.len(), date);
        let (after, allocation) = if date >= before.as_of {
            let mut state = before.clone();
            state.advance(&loan.terms, date)?;
            let (allocation, _) = state.apply_payment(&loan.terms, date, amount)?;
            (state, allocation)
        } else {
            // A payment dated before the loan's last processed day: replay the loan with it.
            let mut facts: Vec<PaymentFact> = posted.iter().map(PaymentRecord::fact).collect();
            let mut state = LoanState::replay_with(&loan.terms, &facts, &events, date)?;
            let (allocation, _) = state.apply_payment(&loan.terms, date, amount)?;
            facts.push(PaymentFact { date, amount });
            let state = LoanState::replay_with(&loan.terms, &facts, &events, before.as_of)
                .map_err(|e| before_write_off(e, "the payment", before.written_off))?;
            (state, allocation)
        };
        let allocation_json = serde_json::to_string(&allocation).expect("allocations serialise");
        let payment_id = tx.insert_payment(key, loan.seq, amount, date, &allocation_json)?;
        let reference = format!("payment:{payment_id}");
        save_change(tx, &loan, &before, &after, open, EntryKind::Payment, &reference, "payment")?;
        amend_write_off(
            tx,
            loan.seq,
            &before,
            &after,
            open,
            &format!("payment {payment_id} of {date}, made before the write-off"),
        )?;
        tx.audit(
            date,
            actor,
            "payment",
            loan_no,
            &format!("{{\"payment_id\":{payment_id},\"amount\":\"{amount}\",\"key\":{}}}", json_str(key)),
        )?;
        Ok(PaymentOutcome {
            payment_id,
            loan_no: loan_no.to_owned(),
            amount,
            value_date: date,
            allocation,
            replayed: false,
            reversed: false,
        })
    })
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn replayed_payment(
    existing: PaymentRecord,
    loan: &LoanRecord,
    amount: Amount,
    date: Option<Date>,
    key: &str,
) -> Result<PaymentOutcome, AppError> {
    if existing.loan_seq != loan.seq || existing.amount != amount || date.is_some_and(|d| d != existing.value_date) {
        return Err(AppError::KeyReused {
            key: key.to_owned(),
            existing: format!("payment {} of {} on {}", existing.id, existing.amount, existing.value_date),
        });
    }
    let allocation = serde_json::from_str(&existing.allocation)
        .map_err(|e| arrears_store::StoreError::Corrupt(format!("allocation of payment {}: {e}", existing.id)))?;
    Ok(PaymentOutcome {
        payment_id: existing.id,
        loan_no: loan.loan_no.clone(),
        amount,
        value_date: existing.value_date,
        allocation,
        replayed: true,
        reversed: existing.status == PaymentStatus::Reversed,
    })
}

/// Writes a loan's new state with the ledger entries and status changes between the two.
#[allow(clippy::too_many_arguments)]
pub(crate) fn save_change(
    tx: &mut Tx<'_>,
    loan: &LoanRecord,
    before: &LoanState,
    after: &LoanState,
    date: Date,
    kind: EntryKind,
    reference: &str,
    source: &str,
) -> Result<(), AppError> {
    let entries = ledger::entries_between(date, kind, before, after);
    let mut changes = new_history(before, after).to_vec();
    if changes.is_empty() && (before.bucket, before.class) != (after.bucket, after.class) {
        // A reversal can take back a move (a cure) without making a new one: record the
        // return to where the loan stands now, on the day it was made.
        changes.push(StatusChange {
            date,
            dpd: after.dpd,
            from_bucket: before.bucket,
            to_bucket: after.bucket,
            from_class: before.class,
            to_class: after.class,
        });
    }
    tx.append_ledger(loan.seq, loan.ledger_rows, &entries, reference)?;
    tx.append_history(loan.seq, loan.history_rows, &changes, source)?;
    tx.update_loans(&[LoanUpdate {
        seq: loan.seq,
        encoded: EncodedLoan::new(&loan.terms, after),
        expected_version: loan.version,
        ledger_rows: loan.ledger_rows + entries.len() as i64,
        history_rows: loan.history_rows + changes.len() as i64,
    }])?;
    Ok(())
}

/// Registers the change in what a written-off loan had written off, if a replay changed it.
fn amend_write_off(
    tx: &mut Tx<'_>,
    seq: i64,
    before: &LoanState,
    after: &LoanState,
    on: Date,
    reason: &str,
) -> Result<(), AppError> {
    if let (Some(b), Some(a)) = (before.written_off, after.written_off) {
        let delta = a.amount.minus(&b.amount);
        if delta != Components::default() {
            tx.amend_write_off(seq, on, reason, &delta)?;
        }
    }
    Ok(())
}

/// A replay that cannot make the write-off again: the change would take the loan out of
/// arrears before the day it was written off.
fn before_write_off(e: LoanError, what: &str, written_off: Option<WriteOff>) -> AppError {
    match (e, written_off) {
        (LoanError::NotOverdue(_), Some(w)) => AppError::invalid(
            "amount",
            format!("{what} would leave nothing past due on the loan's write-off day {}; a write-off is not taken back", w.date),
        ),
        (e, _) => e.into(),
    }
}

/// The status changes in `after` that `before` did not have: its history past their common
/// beginning.
pub fn new_history<'a>(before: &LoanState, after: &'a LoanState) -> &'a [StatusChange] {
    let common = before.history.iter().zip(&after.history).take_while(|(a, b)| a == b).count();
    &after.history[common..]
}

/// What a reversal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReversalOutcome {
    pub payment_id: i64,
    pub loan_no: String,
    pub amount: Amount,
    pub replayed: bool,
}

/// Reverses a posted payment: the loan is replayed without it, so it stands exactly as if the
/// payment had never arrived, and the ledger takes the difference. Payments are reversed
/// latest first. The same `key` again returns the first result.
pub fn reverse(store: &mut Store, payment_id: i64, key: &str) -> Result<ReversalOutcome, AppError> {
    store.transaction(|tx| {
        let found = tx.payment(payment_id)?.ok_or_else(|| AppError::NotFound { what: "payment", id: payment_id.to_string() })?;
        let loan =
            tx.loan_by_seq(found.loan_seq)?.ok_or_else(|| AppError::NotFound { what: "loan", id: found.loan_seq.to_string() })?;
        // Read again under the loan's lock: a concurrent reversal may have finished meanwhile.
        let payment =
            tx.payment(payment_id)?.ok_or_else(|| AppError::NotFound { what: "payment", id: payment_id.to_string() })?;
        if payment.status == PaymentStatus::Reversed {
            if payment.reversal_key.as_deref() == Some(key) {
                return Ok(ReversalOutcome { payment_id, loan_no: loan.loan_no, amount: payment.amount, replayed: true });
            }
            return Err(AppError::invalid("payment", format!("payment {payment_id} was already reversed")));
        }
        if let Some(other) = tx.payment_by_reversal_key(key)? {
            return Err(AppError::KeyReused { key: key.to_owned(), existing: format!("reversal of payment {}", other.id) });
        }
        let posted: Vec<PaymentRecord> =
            tx.payments_of(loan.seq)?.into_iter().filter(|p| p.status == PaymentStatus::Posted).collect();
        if let Some(last) = posted.last().filter(|p| p.id != payment_id) {
            return Err(AppError::invalid("payment", format!("payment {} came later on this loan; reverse it first", last.id)));
        }
        let facts: Vec<PaymentFact> = posted.iter().filter(|p| p.id != payment_id).map(PaymentRecord::fact).collect();
        let before = loan.state.clone();
        if let Some(s) =
            before.reliefs.iter().find(|r| r.relief == Relief::Settlement && r.after_payments as usize >= posted.len())
        {
            return Err(AppError::invalid(
                "payment",
                format!("payment {payment_id} paid for the settlement of {}; reversing it would forgive the debt", s.date),
            ));
        }
        // A payment made before a relief or the write-off, reversed: they come one payment
        // sooner (and the write-off writes off more).
        let events = arrears_core::relief::without_payment(&before.events(), posted.len() - 1);
        // Replayed up to the last closed business date at least, so a loan the payment had
        // closed is brought up to date with the days it missed.
        let business = tx.business_date()?;
        let to = business.map_or(before.as_of, |b| b.max(before.as_of));
        let after = LoanState::replay_with(&loan.terms, &facts, &events, to)?;
        let date = open_day(tx)?.map_or(before.as_of, |d| d.max(before.as_of));
        tx.mark_reversed(payment_id, key)?;
        save_change(tx, &loan, &before, &after, date, EntryKind::Reversal, &format!("reversal:{payment_id}"), "reversal")?;
        amend_write_off(tx, loan.seq, &before, &after, date, &format!("payment {payment_id} reversed"))?;
        tx.audit(
            date,
            SYSTEM_ACTOR,
            "reversal",
            &loan.loan_no,
            &format!("{{\"payment_id\":{payment_id},\"amount\":\"{}\"}}", payment.amount),
        )?;
        Ok(ReversalOutcome { payment_id, loan_no: loan.loan_no, amount: payment.amount, replayed: false })
    })
}

/// Everything about one loan on a date.
#[derive(Debug, Clone)]
pub struct LoanView {
    pub record: LoanRecord,
    /// The state on the view's date (computed, not stored).
    pub state: LoanState,
    pub payoff: Amount,
    pub ledger: Vec<StoredEntry>,
    pub history: Vec<(StatusChange, String)>,
    pub payments: Vec<PaymentRecord>,
    /// The latest early-warning score, if the loan has been scored.
    pub risk: Option<arrears_store::ScoreRow>,
}

/// The loan as of `as_of` (default: the last closed business date, or the loan's own date if
/// a payment on the open day already moved it there).
/// A date before the loan's stored date is answered by replaying the payments made by then.
pub fn loan_view(store: &mut Store, loan_no: &str, as_of: Option<Date>) -> Result<LoanView, AppError> {
    store.read(|tx| {
        let record = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let payments = tx.payments_of(record.seq)?;
        let business = tx.business_date()?;
        let date = as_of.unwrap_or_else(|| business.map_or(record.state.as_of, |b| b.max(record.state.as_of)));
        if date < record.terms.start_date() {
            return Err(AppError::invalid(
                "as_of",
                format!("{date} is before the loan's start date {}", record.terms.start_date()),
            ));
        }
        let state = state_on(&record, &payments, date)?;
        let payoff = state.payoff_amount(&record.terms);
        let ledger = tx.ledger(record.seq)?;
        let history = tx.history(record.seq)?;
        let risk = tx.latest_score(record.seq, date)?;
        Ok(LoanView { record, state, payoff, ledger, history, payments, risk })
    })
}

/// The portfolio by status, bucket and class, and the business date it stands at.
pub fn portfolio(store: &mut Store) -> Result<(Option<Date>, Vec<PortfolioRow>), AppError> {
    store.read(|tx| Ok((tx.business_date()?, tx.portfolio()?)))
}

/// The portfolio computed loan by loan on `date`: loans moved forward (or replayed back) to
/// the date in memory, a page at a time, so memory stays bounded whatever the book's size.
pub fn portfolio_as_of(store: &mut Store, date: Date) -> Result<Vec<PortfolioRow>, AppError> {
    const PAGE: i64 = 5_000;
    let mut totals: std::collections::BTreeMap<(String, String, String), (i64, Amount, Amount)> =
        std::collections::BTreeMap::new();
    let mut after = 0;
    loop {
        let (loans, payments) = store.read(|tx| {
            let loans = tx.loans_page(after, PAGE)?;
            let payments = match (loans.first(), loans.last()) {
                (Some(a), Some(b)) => tx.posted_payments_between(a.seq, b.seq)?,
                _ => Vec::new(),
            };
            Ok::<_, AppError>((loans, payments))
        })?;
        let Some(last) = loans.last() else { break };
        after = last.seq;
        for loan in loans.iter().filter(|l| l.terms.start_date() <= date) {
            let state = state_on(loan, &payments, date)?;
            let key = (
                arrears_store::status_code(state.status).to_owned(),
                state.bucket.label().to_owned(),
                state.class.label().to_owned(),
            );
            let entry = totals.entry(key).or_insert((0, Amount::ZERO, Amount::ZERO));
            let outstanding = state.outstanding();
            entry.0 += 1;
            entry.1 += outstanding.principal;
            entry.2 += outstanding.total();
        }
    }
    Ok(totals
        .into_iter()
        .map(|((status, bucket, class), (loans, principal, total))| PortfolioRow {
            status,
            bucket,
            class,
            loans,
            principal_outstanding: principal,
            total_outstanding: total,
        })
        .collect())
}

/// The posted payments of loan `loan_seq` valued on or before `until`, as a replay takes them.
pub fn replay_facts(payments: &[PaymentRecord], loan_seq: i64, until: Date) -> Vec<PaymentFact> {
    payments
        .iter()
        .filter(|p| p.loan_seq == loan_seq && p.status == PaymentStatus::Posted && p.value_date <= until)
        .map(PaymentRecord::fact)
        .collect()
}

/// A loan's state on `date`: its stored state moved forward, or, for an earlier date, a
/// replay of the payments it had received by then (and its write-off, if made by then).
pub fn state_on(loan: &LoanRecord, payments: &[PaymentRecord], date: Date) -> Result<LoanState, AppError> {
    if date >= loan.state.as_of {
        let mut state = loan.state.clone();
        state.advance(&loan.terms, date)?;
        Ok(state)
    } else {
        let facts = replay_facts(payments, loan.seq, date);
        Ok(LoanState::replay_with(&loan.terms, &facts, &loan.state.events(), date)?)
    }
}
