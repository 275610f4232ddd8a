//! Output of the commands as tables, JSON and CSV. Amounts print as exact decimal strings.

use std::io::Write;

use anyhow::Result;
use arrears_app::demo::DemoReport;
use arrears_app::service::{LoanView, PaymentOutcome};
use arrears_core::rate::mul_div;
use arrears_core::{Amount, Component, Date, Rounding, ScheduledInstallment};
use arrears_store::{PaymentStatus, PortfolioRow};
use serde_json::{json, Value};

use crate::{DocFormat, Format};

pub fn schedule(lines: &[ScheduledInstallment], format: Format, out: &mut impl Write) -> Result<()> {
    let total_interest: Amount = lines.iter().map(|l| l.interest).sum();
    let total_paid: Amount = lines.iter().map(|l| l.total()).sum();
    match format {
        Format::Json => {
            let installments: Vec<Value> = lines
                .iter()
                .map(|l| {
                    json!({"n": l.n, "due_date": l.due_date.to_string(), "principal": l.principal.to_string(), "interest": l.interest.to_string(),
                           "total": l.total().to_string(), "balance": l.balance.to_string()})
                })
                .collect();
            let doc = json!({"installments": installments, "total_interest": total_interest.to_string(), "total_paid": total_paid.to_string()});
            writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        }
        Format::Csv => {
            writeln!(out, "n,due_date,principal,interest,total,balance")?;
            for l in lines {
                writeln!(out, "{},{},{},{},{},{}", l.n, l.due_date, l.principal, l.interest, l.total(), l.balance)?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:>4}  {:<10}  {:>14}  {:>12}  {:>14}  {:>14}",
                "n", "due date", "principal", "interest", "total", "balance"
            )?;
            for l in lines {
                writeln!(
                    out,
                    "{:>4}  {:<10}  {:>14}  {:>12}  {:>14}  {:>14}",
                    l.n,
                    l.due_date,
                    l.principal,
                    l.interest,
                    l.total(),
                    l.balance
                )?;
            }
            writeln!(out, "total interest {total_interest}; total to pay {total_paid}")?;
        }
    }
    Ok(())
}

fn allocation_json(outcome: &PaymentOutcome) -> Value {
    let lines: Vec<Value> = outcome
        .allocation
        .lines
        .iter()
        .map(|l| json!({"n": l.n, "component": l.component.name(), "amount": l.amount.to_string()}))
        .collect();
    json!({"payment_id": outcome.payment_id, "loan": outcome.loan_no, "amount": outcome.amount.to_string(), "value_date": outcome.value_date.to_string(),
           "replayed": outcome.replayed, "reversed": outcome.reversed, "paid_off": outcome.allocation.paid_off, "held": outcome.allocation.held.to_string(), "from_credit": outcome.allocation.from_credit.to_string(),
           "allocation": lines})
}

pub fn payment(outcome: &PaymentOutcome, format: DocFormat, out: &mut impl Write) -> Result<()> {
    if format == DocFormat::Json {
        writeln!(out, "{}", serde_json::to_string(&allocation_json(outcome))?)?;
        return Ok(());
    }
    let again = match (outcome.replayed, outcome.reversed) {
        (true, true) => " (this key was seen before: nothing was posted again; that payment has since been reversed)",
        (true, false) => " (this key was seen before: nothing was posted again)",
        _ => "",
    };
    writeln!(
        out,
        "payment {} of {} on loan {} dated {}{again}",
        outcome.payment_id, outcome.amount, outcome.loan_no, outcome.value_date
    )?;
    for l in &outcome.allocation.lines {
        writeln!(out, "  installment {:>3}  {:<10} {:>12}", l.n, l.component.name(), l.amount)?;
    }
    if outcome.allocation.paid_off {
        writeln!(out, "  the loan is paid off")?;
    }
    Ok(())
}

fn installment_status(view: &LoanView, i: &arrears_core::InstallmentState) -> &'static str {
    let date = view.state.as_of;
    if i.is_settled() {
        "paid"
    } else if i.due_date < date {
        "overdue"
    } else if i.due_date == date {
        "due"
    } else if !i.paid.total().is_zero() {
        "part-paid"
    } else {
        "future"
    }
}

fn components_json(c: &arrears_core::Components) -> Value {
    let mut map = serde_json::Map::new();
    for comp in Component::ALL {
        map.insert(comp.name().to_owned(), Value::String(c.get(comp).to_string()));
    }
    map.insert("total".into(), Value::String(c.total().to_string()));
    Value::Object(map)
}

pub fn loan(view: &LoanView, format: DocFormat, out: &mut impl Write) -> Result<()> {
    let t = &view.record.terms;
    let s = &view.state;
    if format == DocFormat::Json {
        let schedule: Vec<Value> = s
            .installments
            .iter()
            .map(|i| json!({"n": i.n, "due_date": i.due_date.to_string(), "status": installment_status(view, i), "dpd": i.dpd_on(s.as_of),
                            "charged": components_json(&i.charged), "paid": components_json(&i.paid), "outstanding": components_json(&i.outstanding())}))
            .collect();
        let payments: Vec<Value> = view
            .payments
            .iter()
            .map(|p| json!({"id": p.id, "key": p.idem_key, "amount": p.amount.to_string(), "value_date": p.value_date.to_string(), "status": p.status.code()}))
            .collect();
        let history: Vec<Value> = view
            .history
            .iter()
            .map(|(c, src)| json!({"date": c.date.to_string(), "dpd": c.dpd, "from_bucket": c.from_bucket.label(), "to_bucket": c.to_bucket.label(),
                                   "from_class": c.from_class.label(), "to_class": c.to_class.label(), "source": src}))
            .collect();
        let ledger: Vec<Value> = view
            .ledger
            .iter()
            .map(|e| json!({"no": e.entry_no, "date": e.entry.date.to_string(), "kind": e.entry.kind.code(), "reference": e.reference,
                            "lines": e.entry.lines.iter().map(|l| json!({"account": l.account.code(), "amount": l.amount.to_string()})).collect::<Vec<_>>()}))
            .collect();
        let doc = json!({
            "loan": view.record.loan_no, "borrower": view.record.borrower_id, "product": view.record.product, "as_of": s.as_of.to_string(),
            "terms": {"currency": t.currency().code(), "principal": t.principal().to_string(), "annual_rate": t.annual_rate().to_string(),
                      "term_months": t.term_months(), "method": t.method().to_string(), "day_count": t.day_count().to_string(),
                      "start_date": t.start_date().to_string(), "first_due_date": t.first_due_date().to_string(), "grace_days": t.grace_days(),
                      "penalty_rate": t.penalty_rate().to_string(), "compound_interest": t.rules().compound_interest,
                      "cost_cap_annual": t.rules().cost_cap_annual.to_string()},
            "status": arrears_store::status_code(s.status), "dpd": s.dpd, "bucket": s.bucket.label(), "class": s.class.label(),
            "outstanding": components_json(&s.outstanding()), "due": components_json(&s.due()), "payoff": view.payoff.to_string(),
            "held_ahead": s.credit.to_string(),
            "written_off": s.written_off.map(|w| json!({"date": w.date.to_string(), "amount": components_json(&w.amount),
                "recovered": (w.amount.total() - s.outstanding().total()).to_string()})),
            "cost_cap": {"charged": s.cap.charged.to_string(), "forgone": s.cap.forgone.to_string(), "first_applied_on": s.cap.first_applied_on.map(|d| d.to_string())},
            "schedule": schedule, "payments": payments, "status_history": history, "ledger": ledger,
            "risk": view.risk.as_ref().map(|r| json!({"scored_on": r.scored_on.to_string(), "model": r.model, "points": r.points,
                "probability_of_default": format!("{}.{:04}%", r.pd_ppm / 10_000, r.pd_ppm % 10_000), "band": r.band,
                "reasons": serde_json::from_str::<Value>(&r.reasons).unwrap_or(Value::Null)})),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "loan {}  borrower {}  product {}  as of {}",
        view.record.loan_no, view.record.borrower_id, view.record.product, s.as_of
    )?;
    writeln!(
        out,
        "terms    {} {} at {} a year, {} months, {}, {}; from {} first due {}",
        t.currency(),
        t.principal(),
        t.annual_rate(),
        t.term_months(),
        t.method(),
        t.day_count(),
        t.start_date(),
        t.first_due_date()
    )?;
    writeln!(
        out,
        "overdue  {} days' grace; penalty rate {} a year{}; all-in cost cap {}",
        t.grace_days(),
        t.penalty_rate(),
        if t.rules().compound_interest { ", also on overdue interest" } else { "" },
        t.rules().cost_cap_annual
    )?;
    writeln!(
        out,
        "status   {}  DPD {}  bucket {}  class {} ({})",
        arrears_store::status_code(s.status),
        s.dpd,
        s.bucket,
        s.class,
        s.class.label_zh()
    )?;
    if let Some(w) = &s.written_off {
        writeln!(
            out,
            "written off on {}: {} still owed then; recovered since {}; nothing accrues, payments are recoveries",
            w.date,
            w.amount.total(),
            w.amount.total() - s.outstanding().total()
        )?;
    }
    if let Some(r) = &view.risk {
        let reasons: Vec<Value> = serde_json::from_str(&r.reasons).unwrap_or_default();
        let words: Vec<String> =
            reasons.iter().filter_map(|x| Some(format!("{} ({})", x["en"].as_str()?, x["zh"].as_str()?))).collect();
        writeln!(
            out,
            "risk     {} points, {} band, {}.{:02}% chance of default next month (scored {}, {}){}",
            r.points,
            r.band,
            r.pd_ppm / 10_000,
            (r.pd_ppm % 10_000) / 100,
            r.scored_on,
            r.model,
            if words.is_empty() { String::new() } else { format!("; because: {}", words.join("; ")) }
        )?;
    }
    if s.cap.forgone > Amount::ZERO {
        writeln!(
            out,
            "cost cap {} not charged, first on {}",
            s.cap.forgone,
            s.cap.first_applied_on.map_or("-".into(), |d| d.to_string())
        )?;
    }
    let o = s.outstanding();
    let d = s.due();
    writeln!(out, "\n{:<12} {:>12} {:>12}", "balance", "outstanding", "due now")?;
    for c in Component::ALL {
        writeln!(out, "{:<12} {:>12} {:>12}", c.name(), o.get(c), d.get(c))?;
    }
    writeln!(out, "{:<12} {:>12} {:>12}", "total", o.total(), d.total())?;
    if !s.credit.is_zero() {
        writeln!(out, "held ahead   {:>12}  (paid early; applied on the next due dates)", s.credit)?;
    }
    writeln!(out, "payoff today {}", view.payoff)?;

    writeln!(
        out,
        "\n{:>3} {:<10} {:<9} {:>4} {:>11} {:>10} {:>9} {:>9} {:>8} {:>11}",
        "n", "due", "status", "dpd", "principal", "interest", "penalty", "compound", "fee", "paid"
    )?;
    for i in &s.installments {
        writeln!(
            out,
            "{:>3} {:<10} {:<9} {:>4} {:>11} {:>10} {:>9} {:>9} {:>8} {:>11}",
            i.n,
            i.due_date,
            installment_status(view, i),
            i.dpd_on(s.as_of),
            i.charged.principal,
            if i.interest_charged { i.charged.interest } else { i.scheduled_interest },
            i.charged.penalty,
            i.charged.compound,
            i.charged.fee,
            i.paid.total()
        )?;
    }
    if !view.payments.is_empty() {
        writeln!(out, "\npayments")?;
        for p in &view.payments {
            let mark = if p.status == PaymentStatus::Reversed { "  REVERSED" } else { "" };
            writeln!(out, "  #{:<6} {} {:>12}  key {}{mark}", p.id, p.value_date, p.amount, p.idem_key)?;
        }
    }
    if !view.history.is_empty() {
        writeln!(out, "\nstatus history")?;
        for (c, source) in &view.history {
            writeln!(
                out,
                "  {}  DPD {:>3}  {} -> {}  {} -> {}  ({source})",
                c.date, c.dpd, c.from_bucket, c.to_bucket, c.from_class, c.to_class
            )?;
        }
    }
    writeln!(out, "\nledger (debit +, credit -)")?;
    for e in &view.ledger {
        let lines: Vec<String> = e.entry.lines.iter().map(|l| format!("{} {}", l.account, l.amount)).collect();
        writeln!(
            out,
            "  {:>3} {} {:<12} {:<22} {}",
            e.entry_no,
            e.entry.date,
            e.entry.kind.code(),
            e.reference,
            lines.join("; ")
        )?;
    }
    Ok(())
}

pub fn portfolio(business: Option<Date>, rows: &[PortfolioRow], format: Format, out: &mut impl Write) -> Result<()> {
    let date = business.map_or("-".to_owned(), |d| d.to_string());
    match format {
        Format::Json => {
            let rows: Vec<Value> = rows
                .iter()
                .map(|r| json!({"status": r.status, "bucket": r.bucket, "class": r.class, "loans": r.loans,
                                "principal_outstanding": r.principal_outstanding.to_string(), "total_outstanding": r.total_outstanding.to_string()}))
                .collect();
            writeln!(out, "{}", serde_json::to_string(&json!({"as_of": date, "rows": rows}))?)?;
        }
        Format::Csv => {
            writeln!(out, "status,bucket,class,loans,principal_outstanding,total_outstanding")?;
            for r in rows {
                writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    r.status, r.bucket, r.class, r.loans, r.principal_outstanding, r.total_outstanding
                )?;
            }
        }
        Format::Table => {
            let active: Vec<&PortfolioRow> = rows.iter().filter(|r| r.status == "active").collect();
            let book: Amount = active.iter().map(|r| r.principal_outstanding).sum();
            let loans: i64 = active.iter().map(|r| r.loans).sum();
            writeln!(out, "\nportfolio as of {date}: {loans} active loans, principal outstanding {book}")?;
            writeln!(
                out,
                "{:<12} {:<16} {:>8} {:>16} {:>16} {:>7}",
                "bucket", "class", "loans", "principal", "total owed", "share"
            )?;
            let mut ordered = active.clone();
            let order = |r: &PortfolioRow| arrears_core::Bucket::parse(&r.bucket).map_or(99, |b| b as usize);
            ordered.sort_by_key(|r| (order(r), r.class.clone()));
            for r in ordered {
                let share = if book.is_zero() {
                    0
                } else {
                    mul_div(r.principal_outstanding.0 as i128, 10_000, book.0 as i128, Rounding::HalfUp)
                };
                writeln!(
                    out,
                    "{:<12} {:<16} {:>8} {:>16} {:>16} {:>6}.{:02}%",
                    r.bucket,
                    r.class,
                    r.loans,
                    r.principal_outstanding,
                    r.total_outstanding,
                    share / 100,
                    share % 100
                )?;
            }
            for r in rows.iter().filter(|r| r.status != "active") {
                writeln!(out, "{:<12} {:<16} {:>8}", r.status, "", r.loans)?;
            }
        }
    }
    Ok(())
}

pub fn demo_summary(report: &DemoReport, elapsed: std::time::Duration, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "\nserviced {} loans from {} to {} in {:.1?}",
        report.loans,
        report.first_day.map_or("-".into(), |d| d.to_string()),
        report.last_day.map_or("-".into(), |d| d.to_string()),
        elapsed
    )?;
    writeln!(out, "borrowers:")?;
    for (b, n) in &report.by_behaviour {
        writeln!(out, "  {:<20} {n:>7}", b.label())?;
    }
    writeln!(out, "payments posted      {:>7}  collected {}", report.payments, report.collected)?;
    writeln!(out, "payments reversed    {:>7}  (bounced and reversed the same day)", report.reversals)?;
    writeln!(out, "loans paid off       {:>7}", report.paid_off)?;
    writeln!(out, "nightly batch        {:>7} loan-days touched; {} installments fell due; {} grace periods ended; {} status changes; {} charges held by the cost cap",
        report.eod.loans_touched, report.eod.installments_due, report.eod.grace_expired, report.eod.status_changes, report.eod.cap_applied)?;
    writeln!(out, "loans written off    {:>7}  (by the nightly batch's rule; arrears writeoff list)", report.eod.written_off)?;
    Ok(())
}

pub fn moves(moves: &[(String, String, i64)], out: &mut impl Write) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nbucket moves over the period (from -> to: loans)")?;
    let text: Vec<String> = moves.iter().map(|(f, t, n)| format!("{f}->{t}: {n}")).collect();
    for chunk in text.chunks(6) {
        writeln!(out, "  {}", chunk.join("   "))?;
    }
    Ok(())
}
