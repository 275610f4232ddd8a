//! Output of the collection desk's commands: the communication record, call tasks, results per
//! arm and agent, the compliance report and the demo's desk summary.

use std::io::Write;

use anyhow::Result;
use arrears_app::compliance::ComplianceReport;
use arrears_app::demo::DemoReport;
use arrears_bureau::csv_field;
use arrears_core::Amount;
use arrears_policy::LocalTime;
use arrears_store::{AgentResult, ArmResult, CallTask, ContactRow};
use serde_json::{json, Value};

use crate::{DocFormat, Format};

fn events_text(c: &ContactRow) -> String {
    c.events.iter().map(|(e, _, _)| e.as_str()).collect::<Vec<_>>().join(" ")
}

pub fn contacts(loan: &str, contacts: &[ContactRow], format: Format, out: &mut impl Write) -> Result<()> {
    match format {
        Format::Json => {
            let rows: Vec<Value> = contacts
                .iter()
                .map(|c| {
                    json!({
                        "contact_key": c.contact_key, "business_date": c.business_date.to_string(), "at_local": c.at_local,
                        "channel": c.channel, "party": c.party, "purpose": c.purpose, "template": c.template,
                        "strategy": c.strategy, "arm": c.arm, "collector": c.collector, "recipient": c.recipient,
                        "content": c.content, "pack": c.pack, "decision": c.decision, "rule": c.rule, "reason": c.reason,
                        "retry_at": c.retry_at,
                        "events": c.events.iter().map(|(e, at, d)| json!({"event": e, "at_utc": LocalTime::from_epoch_minutes(*at).to_string(), "detail": d})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&json!({"loan": loan, "contacts": rows}))?)?;
        }
        Format::Csv => {
            writeln!(out, "contact_key,business_date,at_local,channel,party,purpose,template,strategy,arm,collector,recipient,pack,decision,rule,reason,retry_at,events,content")?;
            for c in contacts {
                let fields = [
                    c.contact_key.as_str(),
                    &c.business_date.to_string(),
                    &c.at_local,
                    &c.channel,
                    &c.party,
                    &c.purpose,
                    &c.template,
                    &c.strategy,
                    &c.arm,
                    &c.collector,
                    &c.recipient,
                    &c.pack,
                    &c.decision,
                    c.rule.as_deref().unwrap_or(""),
                    c.reason.as_deref().unwrap_or(""),
                    c.retry_at.as_deref().unwrap_or(""),
                    &events_text(c),
                    &c.content,
                ];
                writeln!(out, "{}", fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","))?;
            }
        }
        Format::Table => {
            writeln!(out, "communication record of {loan}: {} contacts", contacts.len())?;
            for c in contacts {
                let decision = match (&c.rule, &c.reason) {
                    (Some(rule), Some(reason)) => format!("BLOCKED by {rule}: {reason}"),
                    _ => format!("allowed; {}", if c.events.is_empty() { "pending".to_owned() } else { events_text(c) }),
                };
                writeln!(
                    out,
                    "{}  {:<6} {:<9} {:<20} to {} ({}) by {}  [{}]  {decision}",
                    c.at_local, c.channel, c.purpose, c.template, c.recipient, c.party, c.collector, c.strategy
                )?;
                writeln!(out, "    {}", c.content)?;
            }
        }
    }
    Ok(())
}

pub fn tasks(tasks: &[CallTask], format: Format, out: &mut impl Write) -> Result<()> {
    match format {
        Format::Json => {
            let rows: Vec<Value> = tasks
                .iter()
                .map(|t| {
                    json!({"id": t.id, "loan_seq": t.loan_seq, "borrower_id": t.borrower_id, "desk": t.desk, "business_date": t.business_date.to_string(),
                           "strategy": t.strategy, "amount_due": Amount(t.amount_due).to_string(), "dpd": t.dpd, "priority": t.priority,
                           "assigned_to": t.assigned_to, "attempts": t.attempts,
                           "not_before_utc": LocalTime::from_epoch_minutes(t.not_before).to_string(),
                           "window_utc": [LocalTime::from_epoch_minutes(t.window_from).to_string(), LocalTime::from_epoch_minutes(t.window_until).to_string()],
                           "script": t.script})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&rows)?)?;
        }
        Format::Csv => {
            writeln!(out, "id,loan_seq,borrower_id,desk,business_date,strategy,amount_due,dpd,priority,assigned_to,attempts")?;
            for t in tasks {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    t.id,
                    t.loan_seq,
                    csv_field(&t.borrower_id),
                    t.desk,
                    t.business_date,
                    csv_field(&t.strategy),
                    Amount(t.amount_due),
                    t.dpd,
                    t.priority,
                    t.assigned_to.as_deref().unwrap_or(""),
                    t.attempts
                )?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:>6}  {:<10} {:<4} {:>12} {:>5} {:>10}  {:<8} {:<22} window (UTC)",
                "task", "borrower", "desk", "amount due", "dpd", "priority", "agent", "strategy"
            )?;
            for t in tasks {
                writeln!(
                    out,
                    "{:>6}  {:<10} {:<4} {:>12} {:>5} {:>10}  {:<8} {:<22} {} – {}",
                    t.id,
                    t.borrower_id,
                    t.desk,
                    Amount(t.amount_due),
                    t.dpd,
                    t.priority,
                    t.assigned_to.as_deref().unwrap_or("-"),
                    t.strategy,
                    LocalTime::from_epoch_minutes(t.window_from),
                    LocalTime::from_epoch_minutes(t.window_until).time
                )?;
            }
        }
    }
    Ok(())
}

pub fn desk_results(arms: &[ArmResult], agents: &[AgentResult], format: DocFormat, out: &mut impl Write) -> Result<()> {
    match format {
        DocFormat::Json => {
            let arms: Vec<Value> = arms
                .iter()
                .map(|a| json!({"strategy": a.strategy, "arm": a.arm, "loans": a.loans, "contacts": a.contacts, "cured": a.cured, "recovered": Amount(a.recovered).to_string()}))
                .collect();
            let agents: Vec<Value> = agents
                .iter()
                .map(|a| json!({"agent": a.agent, "calls": a.calls, "connected": a.connected, "promises": a.promises, "kept": a.kept, "broken": a.broken, "kept_amount": Amount(a.kept_amount).to_string()}))
                .collect();
            writeln!(out, "{}", serde_json::to_string(&json!({"arms": arms, "agents": agents}))?)?;
        }
        DocFormat::Table => {
            writeln!(out, "strategy arms (loans sent a collection contact in the period):")?;
            writeln!(
                out,
                "  {:<26} {:<10} {:>7} {:>9} {:>7} {:>6} {:>16}",
                "strategy", "arm", "loans", "contacts", "cured", "cure%", "paid since"
            )?;
            for a in arms {
                let pct = if a.loans > 0 { a.cured as f64 * 100.0 / a.loans as f64 } else { 0.0 };
                writeln!(
                    out,
                    "  {:<26} {:<10} {:>7} {:>9} {:>7} {:>5.1}% {:>16}",
                    a.strategy,
                    a.arm,
                    a.loans,
                    a.contacts,
                    a.cured,
                    pct,
                    Amount(a.recovered)
                )?;
            }
            writeln!(out, "agents:")?;
            writeln!(
                out,
                "  {:<8} {:>6} {:>10} {:>9} {:>6} {:>7} {:>14}",
                "agent", "calls", "connected", "promises", "kept", "broken", "kept amount"
            )?;
            for a in agents {
                writeln!(
                    out,
                    "  {:<8} {:>6} {:>10} {:>9} {:>6} {:>7} {:>14}",
                    a.agent,
                    a.calls,
                    a.connected,
                    a.promises,
                    a.kept,
                    a.broken,
                    Amount(a.kept_amount)
                )?;
            }
        }
    }
    Ok(())
}

pub fn compliance(report: &ComplianceReport, format: DocFormat, out: &mut impl Write) -> Result<()> {
    match format {
        DocFormat::Json => {
            let doc = json!({
                "from": report.from.map(|d| d.to_string()), "to": report.to.map(|d| d.to_string()),
                "allowed": report.allowed(), "blocked": report.blocked(),
                "by_channel": report.by_channel.iter().map(|(c, (a, b))| (c.clone(), json!({"allowed": a, "blocked": b}))).collect::<serde_json::Map<_, _>>(),
                "blocked_by_rule": report.blocked_by_rule, "outcomes": report.outcomes, "audited": report.audited,
                "breaches": report.breaches.iter().map(|b| json!({"contact_key": b.contact_key, "loan_seq": b.loan_seq, "at_local": b.at_local, "channel": b.channel, "rule": b.rule, "reason": b.reason})).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        }
        DocFormat::Table => {
            writeln!(
                out,
                "compliance report {} to {}",
                report.from.map_or("-".into(), |d| d.to_string()),
                report.to.map_or("-".into(), |d| d.to_string())
            )?;
            writeln!(out, "  contacts allowed {:>9}   blocked {:>7}", report.allowed(), report.blocked())?;
            for (channel, (a, b)) in &report.by_channel {
                writeln!(out, "    {channel:<8} allowed {a:>9}   blocked {b:>7}")?;
            }
            writeln!(out, "  blocked by rule:")?;
            if report.blocked_by_rule.is_empty() {
                writeln!(out, "    (none)")?;
            }
            for (rule, n) in &report.blocked_by_rule {
                writeln!(out, "    {rule:<32} {n:>7}")?;
            }
            let outcomes: Vec<String> = report.outcomes.iter().map(|(e, n)| format!("{e} {n}")).collect();
            writeln!(out, "  outcomes: {}", if outcomes.is_empty() { "(none)".into() } else { outcomes.join(", ") })?;
            writeln!(
                out,
                "  audit: {} allowed contacts checked again from the record; breaches: {}",
                report.audited,
                report.breaches.len()
            )?;
            for b in report.breaches.iter().take(50) {
                writeln!(
                    out,
                    "    BREACH {} {} {} (loan {}): {}: {}",
                    b.contact_key, b.at_local, b.channel, b.loan_seq, b.rule, b.reason
                )?;
            }
        }
    }
    Ok(())
}

/// The desk's part of the demo summary.
pub fn demo_desk(report: &DemoReport, out: &mut impl Write) -> Result<()> {
    let Some(compliance) = &report.compliance else { return Ok(()) };
    let c = &report.collect;
    let d = &report.delivery;
    let k = &report.calls;
    writeln!(out, "\ncollections:")?;
    writeln!(
        out,
        "  messages queued {:>8}   call tasks {:>7}   promises kept {} / broken {}",
        c.messages, c.call_tasks, c.promises_kept, c.promises_broken
    )?;
    writeln!(
        out,
        "  delivered       {:>8}   failed {:>3}   expired {:>3}   withdrawn (dispute or opt-out) {}",
        d.sent, d.failed, d.expired, d.withdrawn
    )?;
    writeln!(
        out,
        "  calls dialled   {:>8}   allowed {}   blocked {}   conversations {}   promises {}   disputes {}",
        k.dialled, k.allowed, k.blocked, k.connected, k.promises, k.disputes
    )?;
    compliance_summary(compliance, out)?;
    writeln!(
        out,
        "  disputes raised on calls {}: answered in time {}, late {} (collection paused while each was open)",
        k.disputes, report.disputes_answered.0, report.disputes_answered.1
    )?;
    let ew = &report.early_warning;
    let rate = |(n, k): (usize, usize)| if n == 0 { "-".to_owned() } else { format!("{:.1}%", k as f64 * 100.0 / n as f64) };
    writeln!(
        out,
        "  early warning: {} loan-scores at month ends; {} outreach messages to high-risk current loans",
        ew.scored, ew.outreach
    )?;
    writeln!(
        out,
        "    high-risk current loan-months paying the next installment on time: champion arm (outreach) {} of {} ({}), challenger arm (none) {} of {} ({}); the demo assumes a text turns 30% of would-be late payers into on-time ones",
        ew.champion.1,
        ew.champion.0,
        rate(ew.champion),
        ew.challenger.1,
        ew.challenger.0,
        rate(ew.challenger)
    )?;
    let h = &report.hardship;
    let with = h.relieved.len();
    let without = h.reached_30.len() - with;
    writeln!(
        out,
        "  hardship: {} requests from borrowers 30 days behind; {} plans made, {} rejected (no plan fitted the declared income); plans completed {}, broken {}",
        h.requests, h.accepted, h.rejected, report.eod.reliefs_completed, report.eod.reliefs_broken
    )?;
    writeln!(
        out,
        "    of the loans that reached 30 days past due, cured by the end: with relief {} of {} ({}), without {} of {} ({}); the demo assumes {}% of relieved borrowers keep to their plan",
        h.cured_with,
        with,
        rate((with, h.cured_with)),
        h.cured_without,
        without,
        rate((without, h.cured_without)),
        arrears_app::demo_hardship::KEEPS / 10
    )?;
    writeln!(
        out,
        "  legal: {} litigation candidates on the last day; a case opened for each and its demand letter made as PDF and kept{}",
        report.legal_cases.len(),
        report.legal_cases.first().map(|(l, owed, cur)| format!(" (largest in {cur}: {l}, {owed} owed)")).unwrap_or_default()
    )?;
    if let Some((loan, code)) = &report.certificate {
        writeln!(out, "  certificates: {loan} paid off early and was issued a settlement certificate, verification code {code}")?;
    }
    if let Some(d) = &report.drift {
        writeln!(
            out,
            "    latest drift against the training data: score PSI {:.3}{}",
            d.points_psi,
            if d.flagged() { " (flagged: above 0.25 — the book does not look like the training population)" } else { "" }
        )?;
    }
    desk_results(&report.arms, &report.agents, DocFormat::Table, out)
}

fn compliance_summary(report: &ComplianceReport, out: &mut impl Write) -> Result<()> {
    let rules: Vec<String> = report.blocked_by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    writeln!(
        out,
        "  compliance: {} contacts allowed, {} blocked ({}); {} audited again, breaches: {}",
        report.allowed(),
        report.blocked(),
        if rules.is_empty() { "none".into() } else { rules.join(", ") },
        report.audited,
        report.breaches.len()
    )?;
    Ok(())
}
