//! The collection step of a business date: judge promises that came due, close call tasks whose
//! window passed, and run each loan's strategy — every message checked against the policy pack
//! and recorded (allowed or blocked, with the rule) in the same transaction that queues it in
//! the outbox; call steps become tasks in the agents' queue, checked when the agent dials.
//!
//! The step for date D plans the contacts that go out during D, from the loans' state on D; it
//! runs after the nightly batch brought the book to D. Loans are found through the index of
//! their collection reference date (the oldest installment not fully paid): for each step day
//! `k` of any strategy, the loans whose reference date is `D − k`, and no others.

use std::collections::BTreeMap;

use arrears_collect::{call_priority, render, Arm, Language, Lender, LoanSnapshot, Step, Strategies, Strategy, Templates};
use arrears_core::{Currency, Date, LoanState};
use arrears_policy::{Channel, Contact, LoanFlags, LocalTime, Outcome, Pack, Party, PastContact, Purpose, Verdict};
use arrears_store::{BorrowerRecord, CallTask, ContactSummary, FlagsRow, LoanRecord, NewContact, OutboxRow, RawLoan, Store, Tx};

use crate::{AppError, SYSTEM_ACTOR};

/// How long a queued message may wait for its provider before it is given up: four hours
/// after its planned time (the window was checked against the pack's quiet hours).
pub const SEND_WINDOW_MINUTES: i64 = 4 * 60;
/// Days of past contacts the rules look back over (the longest rule window is 7 days).
pub const LOOKBACK_DAYS: i64 = 8;
/// A broken promise marks the loan's segment `broken-promise` for this many days.
pub const BROKEN_PROMISE_DAYS: i32 = 30;
/// The segment a strategy step can target for loans with a recently broken promise.
pub const BROKEN_PROMISE_SEGMENT: &str = "broken-promise";
/// Loans per transaction of the collection step.
pub const COLLECT_PARTITION: i64 = 2_000;

/// What collection needs to run: templates, strategies, the lender's words and the packs.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub templates: Templates,
    pub strategies: Strategies,
    pub lender: Lender,
    pub china: Pack,
    pub us: Pack,
}

impl CollectConfig {
    /// The configuration shipped with Arrears.
    pub fn shipped() -> CollectConfig {
        let templates = Templates::shipped();
        let strategies = Strategies::shipped(&templates);
        CollectConfig { templates, strategies, lender: Lender::default(), china: Pack::china(), us: Pack::us() }
    }

    /// The policy pack of a loan: the US pack for dollar loans, the China pack otherwise.
    pub fn pack_for(&self, currency: Currency) -> &Pack {
        match currency {
            Currency::Usd => &self.us,
            Currency::Cny => &self.china,
        }
    }
}

/// What one day's collection step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectReport {
    pub already_done: bool,
    pub loans: usize,
    pub messages: usize,
    pub call_tasks: usize,
    /// Blocked contacts by rule code.
    pub blocked: BTreeMap<String, usize>,
    /// Steps that had nothing to say (money held covers the installment) or nowhere to say it.
    pub skipped: usize,
    /// Loans a step reached whose borrower has no record (import the borrowers file).
    pub no_borrower: usize,
    pub promises_kept: usize,
    pub promises_broken: usize,
    pub tasks_expired: usize,
}

impl CollectReport {
    pub fn blocked_total(&self) -> usize {
        self.blocked.values().sum()
    }

    pub fn absorb(&mut self, other: &CollectReport) {
        self.loans += other.loans;
        self.messages += other.messages;
        self.call_tasks += other.call_tasks;
        for (rule, n) in &other.blocked {
            *self.blocked.entry(rule.clone()).or_default() += n;
        }
        self.skipped += other.skipped;
        self.no_borrower += other.no_borrower;
        self.promises_kept += other.promises_kept;
        self.promises_broken += other.promises_broken;
        self.tasks_expired += other.tasks_expired;
    }
}

/// The first minute of `date` anywhere on Earth (UTC+14), as UTC minutes.
pub fn day_start_utc(date: Date) -> i64 {
    LocalTime::new(date, arrears_policy::TimeOfDay::MIDNIGHT).utc_minutes(14 * 60)
}

/// A phone number or address as the record shows it: enough to tell which, not to use it.
pub fn mask(recipient: &str) -> String {
    if let Some((user, domain)) = recipient.split_once('@') {
        let first: String = user.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = recipient.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// The borrower's language for messages.
pub fn language_of(borrower: &BorrowerRecord) -> Language {
    if borrower.language == "en" {
        Language::En
    } else {
        Language::Zh
    }
}

/// Contacts already made, as the rules see them, in the borrower's local time.
pub fn past_contacts(rows: &[ContactSummary], offset: i32) -> Vec<PastContact> {
    rows.iter()
        .filter_map(|c| {
            Some(PastContact {
                at: LocalTime::at_offset(c.at_utc, offset),
                channel: Channel::parse(&c.channel)?,
                party: Party::parse(&c.party)?,
                purpose: Purpose::parse(&c.purpose)?,
                outcome: if c.connected { Outcome::Connected } else { Outcome::Attempted },
            })
        })
        .collect()
}

/// The loan's standing as the policy pack reads it on `date`.
pub fn loan_flags(flags: Option<&FlagsRow>, borrower: &BorrowerRecord, date: Date) -> LoanFlags {
    let flags = flags.cloned().unwrap_or_default();
    LoanFlags {
        dispute_open: flags.dispute_open_since.is_some_and(|d| d <= date),
        // A relief accepted and not yet completed or broken (hardship.rs keeps the flag).
        plan_honoured: flags.plan_since.is_some_and(|d| d <= date),
        // Set by the batch once the limitation period ran out (legal.rs).
        time_barred: flags.time_barred_since.is_some_and(|d| d <= date),
        debtor_unreachable: flags.unreachable_since.is_some_and(|d| d <= date),
        opted_out: borrower.opted_out.split(',').filter_map(Channel::parse).collect(),
    }
}

fn arm_code(arm: Arm) -> &'static str {
    match arm {
        Arm::Champion => "champion",
        Arm::Challenger => "challenger",
    }
}

fn strategy_arm_id(strategy: &Strategy, arm: Arm) -> String {
    match (arm, &strategy.challenger) {
        (Arm::Challenger, Some(c)) => format!("{}/{}", strategy.id, c.id),
        _ => strategy.id.clone(),
    }
}

/// The pack's label and the JSON of what it was shown, for the record.
fn evidence(contact: &Contact, flags: &LoanFlags) -> (String, String) {
    (
        serde_json::to_string(&contact.message).expect("message facts serialise"),
        serde_json::to_string(flags).expect("flags serialise"),
    )
}

/// Runs the collection step for `date`. Running it again for a date it finished changes
/// nothing; a run cut short carries on, and contacts already recorded are not recorded again.
pub fn run(store: &mut Store, date: Date, config: &CollectConfig) -> Result<CollectReport, AppError> {
    let (open, done) = store.read(|tx| Ok::<_, AppError>((crate::service::open_day(tx)?, tx.collect_run(date)?)))?;
    if done.as_deref() == Some("done") {
        return Ok(CollectReport { already_done: true, ..CollectReport::default() });
    }
    match open {
        Some(open) if open == date => {}
        Some(open) => {
            return Err(AppError::invalid(
                "date",
                format!("{date} is not the open business day {open}: collection plans the open day, after the batch closed the day before"),
            ))
        }
        None => return Err(AppError::invalid("date", "no business day is open: run `arrears eod` first")),
    }
    let mut report: CollectReport = store.transaction(|tx| -> Result<CollectReport, AppError> {
        let mut report = CollectReport { tasks_expired: tx.expire_tasks(day_start_utc(date))? as usize, ..Default::default() };
        judge_promises(tx, date, &mut report)?;
        tx.record_collect_run(date, "running", 0, 0, 0)?;
        Ok(report)
    })?;
    let days = config.strategies.step_days();
    let dates: Vec<Date> = days.iter().map(|&k| date.add_days(-k)).collect();
    let mut after = 0i64;
    loop {
        let part = store.transaction(|tx| -> Result<Option<(i64, CollectReport)>, AppError> {
            let raw = tx.loans_by_reference_due(&dates, after, COLLECT_PARTITION)?;
            let loans: Vec<LoanRecord> = crate::parallel::map(raw, crate::parallel::threads(), |r: RawLoan| Ok(r.decode()?))?;
            let Some(last_seq) = loans.last().map(|l| l.seq) else { return Ok(None) };
            let part = plan_partition(tx, &loans, date, config)?;
            let mut so_far = report.clone();
            so_far.absorb(&part);
            tx.record_collect_run(date, "running", so_far.loans as i64, so_far.messages as i64, so_far.blocked_total() as i64)?;
            Ok(Some((last_seq, part)))
        })?;
        let Some((last_seq, part)) = part else { break };
        after = last_seq;
        report.absorb(&part);
    }
    store.transaction(|tx| {
        tx.record_collect_run(date, "done", report.loans as i64, report.messages as i64, report.blocked_total() as i64)?;
        tx.audit(
            date,
            SYSTEM_ACTOR,
            "collect",
            &date.to_string(),
            &format!(
                "{{\"loans\":{},\"messages\":{},\"call_tasks\":{},\"blocked\":{}}}",
                report.loans,
                report.messages,
                report.call_tasks,
                report.blocked_total()
            ),
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(report)
}

/// Promises whose date has passed: kept when the loan received at least the promised amount
/// from the day it was made through the promised date, broken otherwise.
fn judge_promises(tx: &mut Tx<'_>, date: Date, report: &mut CollectReport) -> Result<(), AppError> {
    for p in tx.promises_to_judge(date)? {
        let paid = tx.paid_between(p.loan_seq, p.made_on, p.promised_date)?;
        let kept = paid >= p.amount;
        tx.resolve_promise(p.id, if kept { "kept" } else { "broken" }, date)?;
        if kept {
            report.promises_kept += 1;
        } else {
            report.promises_broken += 1;
        }
    }
    Ok(())
}

/// Everything one partition of loans sends or queues on `date`.
#[derive(Default)]
struct Planned {
    contacts: Vec<NewContact>,
    outbox: Vec<OutboxRow>,
    tasks: Vec<CallTask>,
}

fn plan_partition(tx: &mut Tx<'_>, loans: &[LoanRecord], date: Date, config: &CollectConfig) -> Result<CollectReport, AppError> {
    let seqs: Vec<i64> = loans.iter().map(|l| l.seq).collect();
    let ids: Vec<&str> = loans.iter().map(|l| l.borrower_id.as_str()).collect();
    let borrowers = tx.borrowers(&ids)?;
    let flags = tx.collection_flags(&seqs)?;
    let since = day_start_utc(date) - LOOKBACK_DAYS * 1440;
    let mut recent: BTreeMap<i64, Vec<ContactSummary>> = BTreeMap::new();
    for (seq, c) in tx.recent_contacts(&seqs, since)? {
        recent.entry(seq).or_default().push(c);
    }
    let broken: Vec<i64> = tx.broken_promise_loans(&seqs, date.add_days(-(BROKEN_PROMISE_DAYS - 1)), date)?;
    let bands = tx.latest_bands(&seqs)?;
    // Each loan is planned on its own (pure, on the worker threads); the plans are gathered in
    // loan order, so what is written does not depend on the threads.
    let per_loan = crate::parallel::map(loans.iter().collect(), crate::parallel::threads(), |loan: &LoanRecord| {
        let mut report = CollectReport::default();
        let mut planned = Planned::default();
        let Some(borrower) = borrowers.get(&loan.borrower_id) else {
            report.no_borrower += 1;
            return Ok((planned, report));
        };
        let segment = if broken.contains(&loan.seq) { Some(BROKEN_PROMISE_SEGMENT) } else { borrower.segment.as_deref() };
        let past = recent.get(&loan.seq).map_or(&[][..], Vec::as_slice);
        let flags = loan_flags(flags.get(&loan.seq), borrower, date);
        let facts = LoanContext { segment, risk_band: bands.get(&loan.seq).map(String::as_str) };
        if plan_loan(loan, borrower, facts, past, &flags, date, config, &mut planned, &mut report)? {
            report.loans += 1;
        }
        Ok((planned, report))
    })?;
    let mut report = CollectReport::default();
    let mut planned = Planned::default();
    for (p, r) in per_loan {
        planned.contacts.extend(p.contacts);
        planned.outbox.extend(p.outbox);
        planned.tasks.extend(p.tasks);
        report.absorb(&r);
    }
    // A contact recorded by an earlier, interrupted run keeps the verdict it got then: only the
    // messages of contacts recorded now are queued.
    let recorded: std::collections::HashSet<String> = tx.append_contacts(&planned.contacts)?.into_iter().collect();
    planned.outbox.retain(|m| recorded.contains(&m.contact_key));
    tx.enqueue(&planned.outbox)?;
    tx.add_call_tasks(&planned.tasks)?;
    Ok(report)
}

/// What the collection step knows of a loan beyond its row: its segment and risk band.
#[derive(Debug, Clone, Copy)]
struct LoanContext<'a> {
    segment: Option<&'a str>,
    risk_band: Option<&'a str>,
}

/// Plans one loan's steps for `date`; `true` if any step fired.
#[allow(clippy::too_many_arguments)]
fn plan_loan(
    loan: &LoanRecord,
    borrower: &BorrowerRecord,
    context: LoanContext<'_>,
    past: &[ContactSummary],
    flags: &LoanFlags,
    date: Date,
    config: &CollectConfig,
    planned: &mut Planned,
    report: &mut CollectReport,
) -> Result<bool, AppError> {
    let Some(strategy) = config.strategies.for_product(&loan.product) else { return Ok(false) };
    let mut state: LoanState = loan.state.clone();
    if state.as_of < date {
        state.advance(&loan.terms, date)?;
    }
    let Some(reference) = state.reference_installment() else { return Ok(false) };
    let snapshot = LoanSnapshot {
        loan_no: &loan.loan_no,
        currency: loan.terms.currency(),
        installment: reference.n,
        due_date: reference.due_date,
        amount_due: state.amount_to_pay(),
        penalty_rate: loan.terms.penalty_rate(),
        dpd: state.dpd,
        bucket: state.bucket,
        risk_band: context.risk_band,
        segment: context.segment,
    };
    let (arm, steps) = strategy.steps_for(&snapshot.facts(), date);
    if steps.is_empty() {
        return Ok(false);
    }
    let pack = config.pack_for(snapshot.currency);
    let offset = borrower.utc_offset_minutes;
    let mut past = past_contacts(past, offset);
    for step in steps {
        if snapshot.amount_due.is_zero() {
            report.skipped += 1;
            continue;
        }
        if step.to == Party::EmergencyContact && !flags.debtor_unreachable {
            // Such a step exists only for debtors nobody can reach.
            continue;
        }
        let template = config.templates.get(&step.template).expect("strategies are checked against their templates");
        if step.channel == Channel::Call {
            if borrower.phone.is_none() {
                report.skipped += 1;
                continue;
            }
            planned.tasks.push(call_task(loan, borrower, strategy, arm, step, &snapshot, date, config)?);
            report.call_tasks += 1;
            continue;
        }
        let language = language_of(borrower);
        let Some(address) = address(borrower, step) else {
            report.skipped += 1;
            continue;
        };
        // {name} is always the debtor's: an emergency contact is asked to have them call.
        let rendered = render(template, language, &config.lender, &borrower.name, &snapshot)
            .map_err(|e| AppError::invalid("template", e.to_string()))?;
        let key = format!(
            "{date}/{}/{}/{}/{}/{}",
            loan.loan_no,
            strategy_arm_id(strategy, arm),
            step.day,
            step.template,
            step.channel.code()
        );
        let mut at = LocalTime::new(date, strategy.send_at);
        // A block that says when to retry is recorded and the message tried again then, up to
        // twice; a block without a time ends the step.
        for attempt in 0..3 {
            let contact =
                Contact { at, channel: step.channel, party: step.to, purpose: template.purpose, message: template.facts };
            let verdict = pack.check(&contact, &past, flags);
            let verdict = match verdict {
                Verdict::Allowed => {
                    // The whole send window must be allowed, not only its first minute.
                    let end = LocalTime::from_epoch_minutes(at.epoch_minutes() + SEND_WINDOW_MINUTES);
                    match pack.check(&Contact { at: end, ..contact }, &past, flags) {
                        Verdict::Blocked { rule, reason, retry_at } => Verdict::Blocked {
                            rule,
                            reason: format!("its send window {at} to {end} runs into a block: {reason}"),
                            retry_at,
                        },
                        allowed => allowed,
                    }
                }
                blocked => blocked,
            };
            let (facts, flags_json) = evidence(&contact, flags);
            let mut record = NewContact {
                contact_key: if attempt == 0 { key.clone() } else { format!("{key}/retry{attempt}") },
                loan_seq: loan.seq,
                borrower_id: borrower.borrower_id.clone(),
                business_date: date,
                at_utc: at.utc_minutes(offset),
                at_local: at.to_string(),
                channel: step.channel.code().into(),
                party: step.to.code().into(),
                purpose: template.purpose.code().into(),
                template: template.id.clone(),
                strategy: strategy_arm_id(strategy, arm),
                arm: arm_code(arm).into(),
                step_day: Some(step.day),
                collector: SYSTEM_ACTOR.into(),
                recipient: mask(&address),
                content: rendered.body.clone(),
                facts,
                flags: flags_json,
                pack: pack.label(),
                blocked: None,
            };
            match verdict {
                Verdict::Allowed => {
                    let send_after = record.at_utc;
                    planned.outbox.push(OutboxRow {
                        contact_key: record.contact_key.clone(),
                        loan_seq: loan.seq,
                        channel: step.channel.code().into(),
                        recipient: address.clone(),
                        subject: rendered.subject.clone(),
                        body: rendered.body.clone(),
                        send_after,
                        send_before: send_after + SEND_WINDOW_MINUTES,
                        status: "pending".into(),
                        attempts: 0,
                        next_try: send_after,
                    });
                    planned.contacts.push(record);
                    past.push(PastContact {
                        at,
                        channel: step.channel,
                        party: step.to,
                        purpose: template.purpose,
                        outcome: Outcome::Attempted,
                    });
                    report.messages += 1;
                    break;
                }
                Verdict::Blocked { rule, reason, retry_at } => {
                    record.blocked = Some((rule.code().into(), reason, retry_at.map(|t| t.to_string())));
                    planned.contacts.push(record);
                    *report.blocked.entry(rule.code().into()).or_default() += 1;
                    match retry_at {
                        Some(next) if next > at => at = next,
                        _ => break,
                    }
                }
            }
        }
    }
    Ok(true)
}

/// Where a message of `step` goes, if the borrower gave one.
fn address(borrower: &BorrowerRecord, step: &Step) -> Option<String> {
    match (step.to, step.channel) {
        (Party::EmergencyContact, Channel::Sms) => borrower.emergency_phone.clone(),
        (Party::EmergencyContact, _) => None,
        (_, Channel::Sms) => borrower.phone.clone(),
        (_, Channel::Email) => borrower.email.clone(),
        (_, Channel::App) => Some(format!("app:{}", borrower.borrower_id)),
        (_, Channel::Letter) => Some(format!("post:{}", borrower.borrower_id)),
        (_, Channel::Call) => borrower.phone.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn call_task(
    loan: &LoanRecord,
    borrower: &BorrowerRecord,
    strategy: &Strategy,
    arm: Arm,
    step: &Step,
    snapshot: &LoanSnapshot<'_>,
    date: Date,
    config: &CollectConfig,
) -> Result<CallTask, AppError> {
    let template = config.templates.get(&step.template).expect("strategies are checked against their templates");
    let script = render(template, language_of(borrower), &config.lender, &borrower.name, snapshot)
        .map_err(|e| AppError::invalid("template", e.to_string()))?
        .body;
    let offset = borrower.utc_offset_minutes;
    let window_from = LocalTime::new(date, strategy.call_from).utc_minutes(offset);
    Ok(CallTask {
        id: 0,
        task_key: format!("{date}/{}/{}/{}/{}", loan.loan_no, strategy_arm_id(strategy, arm), step.day, step.template),
        loan_seq: loan.seq,
        borrower_id: borrower.borrower_id.clone(),
        business_date: date,
        desk: snapshot.currency.code().to_owned(),
        strategy: strategy_arm_id(strategy, arm),
        arm: arm_code(arm).into(),
        step_day: step.day,
        template: template.id.clone(),
        script,
        amount_due: snapshot.amount_due.0,
        dpd: i64::from(snapshot.dpd),
        priority: call_priority(snapshot.amount_due, snapshot.dpd, snapshot.risk_band),
        window_from,
        window_until: LocalTime::new(date, strategy.call_until).utc_minutes(offset),
        // The window orders the agents' day; only the policy pack can forbid a call.
        not_before: day_start_utc(date),
        assigned_to: None,
        status: "open".into(),
        outcome: None,
        attempts: 0,
    })
}
