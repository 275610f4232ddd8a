//! Synthetic books for benchmarks: many loans loaded at once with a realistic mix of current,
//! late-but-current, overdue, written-off and closed loans, in their state on a given business
//! date.
//!
//! Loans are replayed with the pure core from disbursement to the date, so each state is one
//! the engine itself produced; the book carries no history before the date (no ledger entries
//! beyond disbursement, no payments, no contacts), as a book migrated from another system
//! would not. Each loan has its own borrower, with a phone and an emergency contact.

use arrears_core::payment::PaymentFact;
use arrears_core::{Amount, Date, LoanState, LoanStatus, LoanTerms, RepaymentMethod, TermsInput, WriteOff};
use arrears_store::{BorrowerRecord, LoanRecord, Store};

use crate::demo::Rng;
use crate::{products, AppError};

/// What a synthetic book came out as.
#[derive(Debug, Clone, Default)]
pub struct BookReport {
    pub loans: usize,
    pub active: usize,
    pub overdue: usize,
    pub closed: usize,
    pub written_off: usize,
}

/// Loans per write transaction while loading.
const LOAD_CHUNK: usize = 10_000;
/// The default write-off rule of a new book: more than this many days past due.
const WRITE_OFF_DAYS: u32 = 180;

/// One loan of the book and its state on `as_of`.
fn draw(
    rng: &mut Rng,
    seq: i64,
    as_of: Date,
    rules: &arrears_core::ProductRules,
) -> Result<(LoanRecord, BorrowerRecord), AppError> {
    let start = as_of.add_days(-rng.range(1, 365) as i32);
    let method = rng.pick(&[
        (RepaymentMethod::Annuity, 75),
        (RepaymentMethod::EqualPrincipal, 15),
        (RepaymentMethod::InterestOnly, 7),
        (RepaymentMethod::Bullet, 3),
    ]);
    let term_months = match method {
        RepaymentMethod::Bullet => rng.range(1, 3) as u32,
        _ => rng.pick(&[(3, 15), (6, 25), (12, 40), (24, 15), (36, 5)]),
    };
    let terms = LoanTerms::new(TermsInput {
        principal: Amount(rng.range(5, 500) * 10_000),
        annual_rate: arrears_core::Rate::from_bp(rng.range(600, 2_390)),
        term_months,
        method,
        start_date: start,
        first_due_date: None,
        rules: rules.clone(),
    })?;
    // 88% pay on the due date, 5% pay a few days late, 7% stop paying at some installment.
    let behaviour = rng.range(0, 99);
    let stop_at = if behaviour >= 93 { rng.range(0, terms.installment_count() as i64) as usize } else { usize::MAX };
    let mut facts = Vec::new();
    let mut state = LoanState::disburse(&terms);
    for (k, due) in terms.due_dates().into_iter().enumerate() {
        let late = if (88..93).contains(&behaviour) { rng.range(0, 9) as i32 } else { 0 };
        let pay_on = due.add_days(late);
        if k >= stop_at || pay_on > as_of {
            break;
        }
        state.advance(&terms, pay_on)?;
        let amount = state.due().total();
        if amount > Amount::ZERO {
            state.apply_payment(&terms, pay_on, amount)?;
            facts.push(PaymentFact { date: pay_on, amount });
        }
    }
    state.advance(&terms, as_of)?;
    // The rule writes off a loan the day it is more than 180 days late (as a book kept by
    // Arrears would stand): such a loan is replayed with its write-off on that day.
    if state.dpd > WRITE_OFF_DAYS {
        let date = as_of.add_days(-((state.dpd - WRITE_OFF_DAYS - 1) as i32));
        let at = WriteOff { date, after_payments: facts.len() as u32, amount: Default::default(), dpd: 0 };
        state = LoanState::replay_with(&terms, &facts, &[arrears_core::Event::WriteOff(at)], as_of)?;
    }
    let borrower_id = format!("P{seq:09}");
    let borrower = crate::demo_desk::draw_borrower(rng, &borrower_id, false);
    let loan = LoanRecord {
        seq,
        loan_no: format!("BK{seq:09}"),
        borrower_id,
        product: "CASH".into(),
        terms,
        state,
        version: 1,
        ledger_rows: 0,
        history_rows: 0,
    };
    Ok((loan, borrower))
}

/// Loads `loans` synthetic loans into an empty, initialised store, stood on business date
/// `as_of` (which becomes the store's business date). `progress(done)` follows the load.
pub fn load(
    store: &mut Store,
    loans: usize,
    as_of: Date,
    seed: u64,
    threads: usize,
    mut progress: impl FnMut(usize),
) -> Result<BookReport, AppError> {
    if store.read(|tx| tx.next_loan_seq())? != 1 {
        return Err(AppError::invalid("db", "a synthetic book is loaded only into an empty database"));
    }
    let rules = products::defaults().into_iter().find(|(code, _, _)| *code == "CASH").expect("the CASH product").2;
    let mut report = BookReport::default();
    let threads = threads.max(1);
    let mut done = 0;
    while done < loans {
        let n = LOAD_CHUNK.min(loans - done);
        let per = n.div_ceil(threads);
        let chunk: Vec<Result<Vec<(LoanRecord, BorrowerRecord)>, AppError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let rules = &rules;
                    s.spawn(move || {
                        let from = done + t * per;
                        let to = (from + per).min(done + n);
                        (from..to)
                            .map(|i| {
                                let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
                                draw(&mut rng, i as i64 + 1, as_of, rules)
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a loader thread panicked")).collect()
        });
        let mut records = Vec::with_capacity(n);
        let mut borrowers = Vec::with_capacity(n);
        for part in chunk {
            for (loan, borrower) in part? {
                records.push(loan);
                borrowers.push(borrower);
            }
        }
        for r in &records {
            report.loans += 1;
            match r.state.status {
                LoanStatus::Active => {
                    report.active += 1;
                    if r.state.dpd > 0 {
                        report.overdue += 1;
                    }
                }
                LoanStatus::WrittenOff => report.written_off += 1,
                LoanStatus::PaidOff => report.closed += 1,
            }
        }
        store.transaction(|tx| {
            tx.insert_loans(&records)?;
            for r in &records {
                if let Some(w) = &r.state.written_off {
                    tx.insert_write_off(r.seq, w, "rule", "rule: more than 180 days past due", crate::SYSTEM_ACTOR, None)?;
                }
            }
            tx.upsert_borrowers(&borrowers)
        })?;
        done += n;
        progress(done);
    }
    store.transaction(|tx| {
        tx.set_business_date(as_of)?;
        tx.record_eod_run(as_of, "done", 0, 0)
    })?;
    Ok(report)
}
