//! The agents' desk: the call queue (assignment with caps, reassignment), dialling — every call
//! checked against the policy pack first and recorded either way — call outcomes, promises to
//! pay, disputes and opt-outs.

use arrears_core::{Amount, Date};
use arrears_policy::{Channel, Contact, LocalTime, Party, Verdict};
use arrears_store::{AgentRow, CallTask, NewContact, PromiseRow, Store};

use crate::collect::{day_start_utc, loan_flags, mask, past_contacts, CollectConfig, LOOKBACK_DAYS};
use crate::service::open_day;
use crate::AppError;

/// What an agent heard on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Spoke with the debtor; nothing agreed.
    Reached,
    /// The debtor promised to pay `amount` by `date`.
    Promise {
        date: Date,
        amount: Amount,
    },
    Refused,
    /// The number is not the debtor's.
    WrongNumber,
    /// The debtor disputes the debt: collection pauses until it is answered.
    Dispute,
    /// The debtor says they cannot pay for a reason of hardship.
    Hardship,
    NoAnswer,
}

impl CallOutcome {
    /// Every outcome's code.
    pub const CODES: [&'static str; 7] = ["reached", "promise", "refused", "wrong-number", "dispute", "hardship", "no-answer"];

    /// The outcome named by `code`; a promise needs its date and amount.
    pub fn parse(code: &str, promise: Option<(Date, Amount)>) -> Option<CallOutcome> {
        Some(match code {
            "reached" => CallOutcome::Reached,
            "promise" => {
                let (date, amount) = promise?;
                CallOutcome::Promise { date, amount }
            }
            "refused" => CallOutcome::Refused,
            "wrong-number" => CallOutcome::WrongNumber,
            "dispute" => CallOutcome::Dispute,
            "hardship" => CallOutcome::Hardship,
            "no-answer" => CallOutcome::NoAnswer,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::Promise { .. } => "promise",
            CallOutcome::Refused => "refused",
            CallOutcome::WrongNumber => "wrong-number",
            CallOutcome::Dispute => "dispute",
            CallOutcome::Hardship => "hardship",
            CallOutcome::NoAnswer => "no-answer",
        }
    }

    /// A conversation with the debtor took place (what the call caps count).
    pub fn connected(self) -> bool {
        !matches!(self, CallOutcome::WrongNumber | CallOutcome::NoAnswer)
    }
}

/// Adds an agent or changes one.
pub fn save_agent(store: &mut Store, agent: &AgentRow) -> Result<(), AppError> {
    if agent.agent_id.trim().is_empty() || agent.agent_id.len() > 64 {
        return Err(AppError::invalid("agent", "an agent id is 1 to 64 characters"));
    }
    if agent.daily_cap <= 0 {
        return Err(AppError::invalid("cap", format!("{} must be a positive number of open tasks", agent.daily_cap)));
    }
    store.transaction(|tx| {
        tx.upsert_agent(agent)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(
            date,
            "system",
            "agent",
            &agent.agent_id,
            &format!("{{\"cap\":{},\"active\":{}}}", agent.daily_cap, agent.active),
        )?;
        Ok(())
    })
}

/// Hands unassigned open tasks to active agents of their desk, highest priority first, one at
/// a time in turn so the best tasks are spread, each agent up to their cap of open tasks.
/// Returns the number assigned.
pub fn assign(store: &mut Store) -> Result<usize, AppError> {
    store.transaction(|tx| {
        let agents: Vec<AgentRow> = tx.agents()?.into_iter().filter(|a| a.active).collect();
        let held = tx.open_task_counts()?;
        let mut desks: Vec<&str> = agents.iter().map(|a| a.desk.as_str()).collect();
        desks.sort_unstable();
        desks.dedup();
        let mut assigned = 0;
        // Agents of a named desk first, so agents of every desk take what is left.
        desks.sort_by_key(|d| d.is_empty());
        for desk in desks {
            let mut room: Vec<(String, i64)> = agents
                .iter()
                .filter(|a| a.desk == desk)
                .map(|a| (a.agent_id.clone(), (a.daily_cap - held.get(&a.agent_id).copied().unwrap_or(0)).max(0)))
                .collect();
            let total: i64 = room.iter().map(|r| r.1).sum();
            if total == 0 {
                continue;
            }
            let tasks = tx.open_call_tasks(None, desk, total)?;
            let mut turn = 0;
            for task in tasks {
                let Some(k) = (0..room.len()).map(|i| (turn + i) % room.len()).find(|&i| room[i].1 > 0) else { break };
                tx.assign_task(task.id, Some(&room[k].0))?;
                room[k].1 -= 1;
                turn = k + 1;
                assigned += 1;
            }
        }
        Ok::<_, AppError>(assigned)
    })
}

/// Moves `from`'s open tasks to `to` (or back to the pool with `None`). Returns how many.
pub fn reassign(store: &mut Store, from: &str, to: Option<&str>) -> Result<usize, AppError> {
    store.transaction(|tx| {
        if let Some(to) = to {
            if !tx.agents()?.iter().any(|a| a.agent_id == to && a.active) {
                return Err(AppError::NotFound { what: "active agent", id: to.to_owned() });
            }
        }
        let tasks = tx.open_call_tasks(Some(from), "", i64::MAX)?;
        for t in &tasks {
            tx.assign_task(t.id, to)?;
        }
        Ok(tasks.len())
    })
}

/// The answer to an agent who asks to dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dial {
    /// Go ahead: the call is recorded under `contact_key`; report its outcome with it.
    Allowed { contact_key: String, phone: String, script: String },
    /// Not now: the rule, why, and when it may be tried (the task waits until then).
    Blocked { rule: String, reason: String, retry_at: Option<String> },
}

/// An agent asks to call the debtor of task `task_id` at `now_utc`. The policy pack decides;
/// allowed or not, the attempt is recorded.
pub fn dial(store: &mut Store, config: &CollectConfig, task_id: i64, agent: &str, now_utc: i64) -> Result<Dial, AppError> {
    store.transaction(|tx| {
        let task = tx.call_task(task_id)?.ok_or_else(|| AppError::NotFound { what: "call task", id: task_id.to_string() })?;
        check_task(&task, agent)?;
        if now_utc < task.not_before {
            return Err(AppError::invalid(
                "time",
                format!("task {task_id} waits until {} (UTC minutes); try then", task.not_before),
            ));
        }
        let date = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open: run `arrears eod` first"))?;
        let loan =
            tx.loan_by_seq(task.loan_seq)?.ok_or_else(|| AppError::NotFound { what: "loan", id: task.loan_seq.to_string() })?;
        if let Some(w) = loan.state.written_off {
            return Err(AppError::invalid(
                "task",
                format!("loan {} was written off on {}: its collection calls stopped", loan.loan_no, w.date),
            ));
        }
        let borrower = tx
            .borrower(&task.borrower_id)?
            .ok_or_else(|| AppError::NotFound { what: "borrower", id: task.borrower_id.clone() })?;
        let flags = tx.collection_flags(&[task.loan_seq])?;
        let flags = loan_flags(flags.get(&task.loan_seq), &borrower, date);
        let since = day_start_utc(date) - LOOKBACK_DAYS * 1440;
        let mut summaries: Vec<_> = tx.recent_contacts(&[task.loan_seq], since)?.into_iter().map(|(_, c)| c).collect();
        // The daily cap counts the debtor's calls about every loan, by every collector.
        summaries.extend(
            tx.borrower_calls(&task.borrower_id, since)?.into_iter().filter(|(l, _)| *l != task.loan_seq).map(|(_, c)| c),
        );
        summaries.sort_by_key(|c| c.at_utc);
        let offset = borrower.utc_offset_minutes;
        let past = past_contacts(&summaries, offset);
        let template =
            config.templates.get(&task.template).ok_or_else(|| AppError::invalid("template", task.template.clone()))?;
        let at = LocalTime::at_offset(now_utc, offset);
        let contact =
            Contact { at, channel: Channel::Call, party: Party::Debtor, purpose: template.purpose, message: template.facts };
        let pack = config.pack_for(loan.terms.currency());
        let verdict = pack.check(&contact, &past, &flags);
        let attempt = task.attempts + 1;
        let contact_key = format!("call/{task_id}/{attempt}");
        let phone = borrower.phone.clone().unwrap_or_default();
        let blocked = match &verdict {
            Verdict::Allowed => None,
            Verdict::Blocked { rule, reason, retry_at } => {
                Some((rule.code().to_owned(), reason.clone(), retry_at.map(|t| t.to_string())))
            }
        };
        tx.append_contacts(&[NewContact {
            contact_key: contact_key.clone(),
            loan_seq: task.loan_seq,
            borrower_id: task.borrower_id.clone(),
            business_date: date,
            at_utc: now_utc,
            at_local: at.to_string(),
            channel: Channel::Call.code().into(),
            party: Party::Debtor.code().into(),
            purpose: template.purpose.code().into(),
            template: task.template.clone(),
            strategy: task.strategy.clone(),
            arm: task.arm.clone(),
            step_day: Some(task.step_day),
            collector: agent.to_owned(),
            recipient: mask(&phone),
            content: task.script.clone(),
            facts: serde_json::to_string(&contact.message).expect("facts serialise"),
            flags: serde_json::to_string(&flags).expect("flags serialise"),
            pack: pack.label(),
            blocked: blocked.clone(),
        }])?;
        match verdict {
            Verdict::Allowed => {
                tx.update_task(task_id, "open", None, attempt, now_utc)?;
                Ok(Dial::Allowed { contact_key, phone, script: task.script })
            }
            Verdict::Blocked { retry_at, .. } => {
                let (rule, reason, retry_text) = blocked.expect("blocked");
                match retry_at.map(|t| t.utc_minutes(offset)) {
                    Some(next) if next <= task.window_until => tx.update_task(task_id, "open", None, attempt, next)?,
                    Some(next) => tx.update_task(task_id, "expired", Some(&format!("blocked:{rule}")), attempt, next)?,
                    None => tx.update_task(task_id, "cancelled", Some(&format!("blocked:{rule}")), attempt, task.not_before)?,
                }
                Ok(Dial::Blocked { rule, reason, retry_at: retry_text })
            }
        }
    })
}

fn check_task(task: &CallTask, agent: &str) -> Result<(), AppError> {
    if task.status != "open" {
        return Err(AppError::invalid("task", format!("task {} is {}, not open", task.id, task.status)));
    }
    if task.assigned_to.as_deref() != Some(agent) {
        return Err(AppError::invalid(
            "agent",
            format!("task {} is assigned to {}, not {agent}", task.id, task.assigned_to.as_deref().unwrap_or("nobody")),
        ));
    }
    Ok(())
}

/// Records what came of an allowed call. Each call has one outcome; a second is refused.
pub fn record_outcome(
    store: &mut Store,
    task_id: i64,
    contact_key: &str,
    agent: &str,
    outcome: CallOutcome,
    now_utc: i64,
) -> Result<(), AppError> {
    store.transaction(|tx| {
        let task = tx.call_task(task_id)?.ok_or_else(|| AppError::NotFound { what: "call task", id: task_id.to_string() })?;
        // The loan's row is locked on PostgreSQL: its flags are read and written whole.
        tx.loan_by_seq(task.loan_seq)?;
        let contact =
            tx.contact(contact_key)?.ok_or_else(|| AppError::NotFound { what: "contact", id: contact_key.to_owned() })?;
        if !contact_key.starts_with(&format!("call/{task_id}/")) || contact.decision != "allowed" || contact.collector != agent {
            return Err(AppError::invalid(
                "contact",
                format!("{contact_key} is not an allowed call by {agent} on task {task_id}"),
            ));
        }
        let date = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open"))?;
        let detail = match outcome {
            CallOutcome::Promise { date: by, amount } => {
                if by < date || by > date.add_days(30) {
                    return Err(AppError::invalid("promise_date", format!("{by} must be from {date} to {}", date.add_days(30))));
                }
                if amount <= Amount::ZERO {
                    return Err(AppError::invalid("amount", format!("{amount} must be positive")));
                }
                format!("{{\"date\":\"{by}\",\"amount\":{}}}", amount.0)
            }
            _ => "{}".to_owned(),
        };
        let recorded = tx.contact_events(contact_key)?;
        if let Some(first) = recorded.iter().find(|e| CallOutcome::CODES.contains(&e.as_str())) {
            return Err(AppError::invalid("outcome", format!("the outcome of {contact_key} is already recorded: {first}")));
        }
        tx.append_contact_event(contact_key, outcome.code(), now_utc, &detail)?;
        if outcome.connected() {
            tx.append_contact_event(contact_key, "connected", now_utc, "{}")?;
        }
        let mut flags = tx.collection_flags(&[task.loan_seq])?.remove(&task.loan_seq).unwrap_or_default();
        match outcome {
            CallOutcome::Promise { date: by, amount } => tx.add_promise(&PromiseRow {
                id: 0,
                loan_seq: task.loan_seq,
                contact_key: contact_key.to_owned(),
                agent_id: agent.to_owned(),
                made_on: date,
                promised_date: by,
                amount: amount.0,
                status: "open".into(),
                resolved_on: None,
            })?,
            CallOutcome::Dispute => {
                // A dispute raised on a call is a dispute like any other: recorded with its
                // deadline, the loan marked at once.
                let loan_no = tx.loan_by_seq(task.loan_seq)?.map(|l| l.loan_no).unwrap_or_default();
                let reason = format!("raised on a call ({contact_key})");
                crate::disputes::open_in(
                    tx,
                    &crate::disputes::NewDispute {
                        loan_no: &loan_no,
                        month: None,
                        amount: None,
                        reason: &reason,
                        channel: "phone",
                        actor: agent,
                    },
                )?;
                flags = tx.collection_flags(&[task.loan_seq])?.remove(&task.loan_seq).unwrap_or_default();
            }
            CallOutcome::WrongNumber => flags.unreachable_since = flags.unreachable_since.or(Some(date)),
            _ => {}
        }
        if outcome.connected() {
            flags.unreachable_since = None;
        }
        tx.set_collection_flags(task.loan_seq, &flags)?;
        let (status, not_before) = match outcome {
            // Unanswered: the agent may try again in an hour, within the window and the caps.
            CallOutcome::NoAnswer => ("open", now_utc + 60),
            _ => ("done", task.not_before),
        };
        tx.update_task(task_id, status, Some(outcome.code()), task.attempts, not_before)?;
        tx.audit(
            date,
            agent,
            "call-outcome",
            contact_key,
            &format!("{{\"outcome\":\"{}\",\"detail\":{detail}}}", outcome.code()),
        )?;
        Ok(())
    })
}

/// Records a borrower's opt-out of an electronic channel; it holds from this moment, for
/// messages already queued too.
pub fn opt_out(store: &mut Store, borrower_id: &str, channel: Channel, actor: &str) -> Result<(), AppError> {
    if !channel.is_electronic() {
        return Err(AppError::invalid("channel", format!("{} is not an electronic channel", channel.code())));
    }
    store.transaction(|tx| {
        if tx.borrower(borrower_id)?.is_none() {
            return Err(AppError::NotFound { what: "borrower", id: borrower_id.to_owned() });
        }
        tx.add_opt_out(borrower_id, channel.code())?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, actor, "opt-out", borrower_id, &format!("{{\"channel\":\"{}\"}}", channel.code()))?;
        Ok(())
    })
}
