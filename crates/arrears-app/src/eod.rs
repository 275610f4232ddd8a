//! The nightly batch (close of business) for one business date.
//!
//! It selects, through the next-event index, only the loans that have something happen on or
//! before the date, in partitions of bounded size; advances each with the pure core on worker
//! threads; and writes each partition (new states, ledger entries, status changes) in one
//! transaction. A loan once advanced has its next event after the date and leaves the
//! selection, so a batch killed half-way and run again carries on where it stopped, and the
//! result is the same whatever the number of threads or the partition size.

use std::time::{Duration, Instant};

use arrears_core::ledger::{self, Entry, EntryKind};
use arrears_core::status::StatusChange;
use arrears_core::{Currency, Date, LoanEvent, LoanState};
use arrears_store::{EncodedLoan, LoanRecord, LoanUpdate, RawLoan, Store};

use crate::service::new_history;
use crate::writeoff::WriteOffRule;
use crate::{AppError, SYSTEM_ACTOR};

/// How to run the batch.
#[derive(Debug, Clone, Copy)]
pub struct EodOptions {
    /// Worker threads for the pure computation (the writer is always one).
    pub threads: usize,
    /// Loans per partition (and per write transaction).
    pub partition_size: usize,
    /// Stop, as if killed, after this many partitions: for tests of resumption.
    pub stop_after_partitions: Option<usize>,
}

impl Default for EodOptions {
    fn default() -> Self {
        EodOptions { threads: crate::parallel::threads(), partition_size: 5_000, stop_after_partitions: None }
    }
}

/// The most loans one partition may hold.
pub const MAX_PARTITION: usize = 50_000;

/// What one day's batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EodReport {
    pub business_date: Option<Date>,
    pub already_closed: bool,
    pub loans_touched: usize,
    pub partitions: usize,
    pub installments_due: usize,
    pub grace_expired: usize,
    pub status_changes: usize,
    pub paid_off: usize,
    pub cap_applied: usize,
    /// Loans the write-off rule wrote off.
    pub written_off: usize,
    /// Hardship reliefs paid through, and broken by a late installment.
    pub reliefs_completed: usize,
    pub reliefs_broken: usize,
    /// Loans whose limitation period ran out that day.
    pub time_barred: usize,
    /// Where the time went, for the operator (not a business fact).
    pub timings: EodTimings,
}

/// Time spent selecting and reading loans, advancing them, writing them, and committing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EodTimings {
    pub read: Duration,
    pub compute: Duration,
    pub write: Duration,
    pub commit: Duration,
}

impl EodReport {
    /// Adds another run's counts to these.
    pub fn absorb(&mut self, other: &EodReport) {
        self.loans_touched += other.loans_touched;
        self.partitions += other.partitions;
        self.installments_due += other.installments_due;
        self.grace_expired += other.grace_expired;
        self.status_changes += other.status_changes;
        self.paid_off += other.paid_off;
        self.cap_applied += other.cap_applied;
        self.written_off += other.written_off;
        self.reliefs_completed += other.reliefs_completed;
        self.reliefs_broken += other.reliefs_broken;
        self.time_barred += other.time_barred;
    }

    fn count(&mut self, events: &[LoanEvent]) {
        for e in events {
            match e {
                LoanEvent::InstallmentDue { .. } => self.installments_due += 1,
                LoanEvent::GraceExpired { .. } => self.grace_expired += 1,
                LoanEvent::StatusChanged(_) => self.status_changes += 1,
                LoanEvent::PaidOff { .. } => self.paid_off += 1,
                LoanEvent::CostCapApplied { .. } => self.cap_applied += 1,
                LoanEvent::WrittenOff { .. } => self.written_off += 1,
                // Reliefs are granted in the day, never by the batch.
                LoanEvent::Relieved { .. } => {}
            }
        }
    }

    pub fn events(&self) -> usize {
        self.installments_due + self.grace_expired + self.status_changes + self.paid_off + self.cap_applied + self.written_off
    }
}

/// One loan after its advance, ready to write.
struct Advanced {
    record: LoanRecord,
    state: LoanState,
    encoded: EncodedLoan,
    entries: Vec<Entry>,
    history_from: usize,
    events: Vec<LoanEvent>,
}

/// Closes business date `date`. Running it again for a closed date changes nothing.
pub fn run(
    store: &mut Store,
    date: Date,
    options: EodOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<EodReport, AppError> {
    let options =
        EodOptions { threads: options.threads.max(1), partition_size: options.partition_size.clamp(1, MAX_PARTITION), ..options };
    let (business, run) = store.read(|tx| Ok::<_, AppError>((tx.business_date()?, tx.eod_run(date)?)))?;
    if let Some(b) = business {
        if date < b {
            return Err(AppError::BackInTime { date, business_date: b });
        }
        if date == b {
            if run.as_ref().is_some_and(|r| r.status == "done") {
                return Ok(EodReport { business_date: Some(date), already_closed: true, ..EodReport::default() });
            }
        } else if date > b.add_days(1) {
            return Err(AppError::SkipsDays { date, business_date: b });
        }
    }
    let (total, rule) =
        store.read(|tx| Ok::<_, AppError>((tx.count_loans_due(date)? as usize, crate::writeoff::WriteOffRule::load(tx)?)))?;
    store.transaction(|tx| tx.record_eod_run(date, "running", 0, 0))?;
    let mut report = EodReport { business_date: Some(date), ..EodReport::default() };
    loop {
        if options.stop_after_partitions.is_some_and(|n| report.partitions >= n) {
            return Err(AppError::Interrupted { partitions: report.partitions });
        }
        let started = Instant::now();
        let mut stamps = [Duration::ZERO; 3];
        let part = store.transaction(|tx| {
            let loans = tx.loans_due(date, options.partition_size as i64)?;
            if loans.is_empty() {
                return Ok::<_, AppError>(None);
            }
            stamps[0] = started.elapsed();
            let advanced = advance_all(loans, date, options.threads)?;
            stamps[1] = started.elapsed();
            let part = write_partition(tx, &advanced, date)?;
            tx.record_eod_run(date, "running", part.loans_touched as i64, part.events() as i64)?;
            stamps[2] = started.elapsed();
            Ok(Some(part))
        })?;
        let Some(part) = part else { break };
        report.absorb(&part);
        report.timings.read += stamps[0];
        report.timings.compute += stamps[1] - stamps[0];
        report.timings.write += stamps[2] - stamps[1];
        report.timings.commit += started.elapsed() - stamps[2];
        progress(report.loans_touched, total.max(report.loans_touched));
    }
    write_off_by_rule(store, date, &rule, &mut report)?;
    let reliefs = crate::hardship::monitor(store, date)?;
    report.reliefs_completed += reliefs.completed;
    report.reliefs_broken += reliefs.broken;
    report.time_barred += crate::legal::mark_time_barred(store, date)?;
    store.transaction(|tx| {
        tx.record_eod_run(date, "done", 0, 0)?;
        tx.set_business_date(date)?;
        tx.audit(
            date,
            SYSTEM_ACTOR,
            "eod",
            &date.to_string(),
            &format!("{{\"loans_touched\":{},\"events\":{}}}", report.loans_touched, report.events()),
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(report)
}

/// Closes every business date from the day after the last closed one through `until`, one
/// day at a time.
pub fn run_until(
    store: &mut Store,
    until: Date,
    options: EodOptions,
    mut each: impl FnMut(Date, &EodReport),
) -> Result<EodReport, AppError> {
    run_days(store, until, options, |_, day, report| {
        each(day, report);
        Ok(())
    })
}

/// [`run_until`], with `after` called on the store once each day is closed (the collection
/// step plans the next day there); its error stops the run.
pub fn run_days(
    store: &mut Store,
    until: Date,
    options: EodOptions,
    mut after: impl FnMut(&mut Store, Date, &EodReport) -> Result<(), AppError>,
) -> Result<EodReport, AppError> {
    let (business, earliest) = store.read(|tx| Ok::<_, AppError>((tx.business_date()?, tx.earliest_event()?)))?;
    let mut day = match business {
        Some(b) if until <= b => {
            let report = run(store, until, options, |_, _| ())?;
            after(store, until, &report)?;
            return Ok(report);
        }
        Some(b) => b.add_days(1),
        // A book never closed before starts on the earliest day any loan has an event.
        None => earliest.map_or(until, |e| e.min(until)),
    };
    let mut total = EodReport::default();
    while day <= until {
        let report = run(store, day, options, |_, _| ())?;
        after(store, day, &report)?;
        total.absorb(&report);
        total.business_date = Some(day);
        day = day.add_days(1);
    }
    Ok(total)
}

/// Decodes and advances loans to `date` on `threads` workers. The order of the result is the order of
/// the input, so the writes do not depend on the number of threads.
fn advance_all(loans: Vec<RawLoan>, date: Date, threads: usize) -> Result<Vec<Advanced>, AppError> {
    crate::parallel::map(loans, threads, |l| advance_one(l, date))
}

fn advance_one(raw: RawLoan, date: Date) -> Result<Advanced, AppError> {
    let record = raw.decode()?;
    let mut state = record.state.clone();
    let events = state.advance(&record.terms, date)?;
    Ok(advanced(record, state, events, date))
}

/// A loan's new `state` on `date`, with the ledger entries and status changes since its stored
/// one, ready to write.
fn advanced(record: LoanRecord, state: LoanState, events: Vec<LoanEvent>, date: Date) -> Advanced {
    let entries = ledger::entries_between(date, EntryKind::Accrual, &record.state, &state);
    let history_from = state.history.len() - new_history(&record.state, &state).len();
    debug_assert!(state.next_event_date(&record.terms).is_none_or(|d| d > date), "an advanced loan leaves the day's selection");
    let encoded = EncodedLoan::new(&record.terms, &state);
    Advanced { record, state, encoded, entries, history_from, events }
}

/// Writes off, after the day's advance, every active loan the rule catches: more than its
/// currency's days past due on `date`. Each is brought to the date, written off after the
/// payments it has received, and registered, a partition at a time; a run cut short carries on,
/// since a loan written off is no longer selected.
fn write_off_by_rule(store: &mut Store, date: Date, rule: &WriteOffRule, report: &mut EodReport) -> Result<(), AppError> {
    for currency in [Currency::Cny, Currency::Usd] {
        let Some(days) = rule.days(currency) else { continue };
        // More than `days` late on `date`: the oldest unpaid installment fell due before this.
        let cutoff = date.add_days(-(days as i32));
        loop {
            let done = store.transaction(|tx| {
                let loans = tx.loans_overdue_since(currency.code(), cutoff, 1_000)?;
                if loans.is_empty() {
                    return Ok::<_, AppError>(true);
                }
                let mut written = Vec::with_capacity(loans.len());
                for raw in loans {
                    let record = raw.decode()?;
                    let mut state = record.state.clone();
                    let mut events = state.advance(&record.terms, date)?;
                    let payments = tx.posted_payment_count(record.seq)?;
                    events.extend(state.write_off(&record.terms, date, payments as u32)?);
                    let a = advanced(record, state, events, date);
                    let w = a.state.written_off.expect("just written off");
                    tx.insert_write_off(a.record.seq, &w, "rule", &rule.reason(&a.record.terms), SYSTEM_ACTOR, None)?;
                    tx.audit(
                        date,
                        SYSTEM_ACTOR,
                        "write-off",
                        &a.record.loan_no,
                        &serde_json::json!({ "basis": "rule", "amount": w.amount.total().to_string() }).to_string(),
                    )?;
                    written.push(a);
                }
                let part = write_partition(tx, &written, date)?;
                report.written_off += part.written_off;
                report.status_changes += part.status_changes;
                Ok(false)
            })?;
            if done {
                break;
            }
        }
    }
    Ok(())
}

fn write_partition(tx: &mut arrears_store::Tx<'_>, advanced: &[Advanced], date: Date) -> Result<EodReport, AppError> {
    let reference = format!("eod:{date}");
    let mut report = EodReport { partitions: 1, loans_touched: advanced.len(), ..EodReport::default() };
    let mut ledgers: Vec<(i64, i64, &[Entry], &str)> = Vec::new();
    let mut histories: Vec<(i64, i64, &[StatusChange], &str)> = Vec::new();
    let mut updates = Vec::with_capacity(advanced.len());
    for a in advanced {
        report.count(&a.events);
        let changes = &a.state.history[a.history_from..];
        if !a.entries.is_empty() {
            ledgers.push((a.record.seq, a.record.ledger_rows, &a.entries, &reference));
        }
        if !changes.is_empty() {
            histories.push((a.record.seq, a.record.history_rows, changes, "eod"));
        }
        updates.push(LoanUpdate {
            seq: a.record.seq,
            encoded: a.encoded.clone(),
            expected_version: a.record.version,
            ledger_rows: a.record.ledger_rows + a.entries.len() as i64,
            history_rows: a.record.history_rows + changes.len() as i64,
        });
    }
    tx.update_loans(&updates)?;
    tx.append_ledger_many(&ledgers)?;
    tx.append_history_many(&histories)?;
    Ok(report)
}
