//! Early warning in the nightly batch. At each month's end every loan still owing has its month
//! recorded (its status, what it owed, what it paid: the training data's monthly statuses; a
//! written-off loan's too, for the bureau),
//! and, at the configured frequency, every active loan is scored from its last six months with
//! the configured model: points, probability of default, band and the reasons in plain words.
//! The run ends with the drift of the scored population (PSI of the points and of the key
//! features) against the model's training population, flagged above 0.25.
//!
//! Amounts reach the model in whole currency units, as the training data's are; the borrower's
//! age is not stored, so every loan is scored at [`AGE_UNKNOWN`]. The contact record, which the
//! training data lacks, overlays the model: a broken promise or an unreachable debtor raises the
//! band and is named as a reason.

use std::collections::BTreeMap;

use arrears_core::{Date, LoanState, LoanStatus};
use arrears_risk::features::{compute, MONTHS};
use arrears_risk::{Delay, Drift, Month, Reason, RiskModel, Snapshot};
use arrears_store::{LoanRecord, MonthRow, RawLoan, ScoreRow, Store, Tx};

use crate::{parallel, AppError, SYSTEM_ACTOR};

/// The age every loan is scored at: the training population's median.
pub const AGE_UNKNOWN: u32 = 34;
/// A probability of default at or above this is the `high` band …
pub const HIGH_PD: f64 = 0.35;
/// … at or above this `medium`, and below it `low`.
pub const MEDIUM_PD: f64 = 0.15;
/// Loans per transaction of the month-end step.
const PARTITION: i64 = 5_000;
/// The meta key of the scoring frequency, in months.
pub const EVERY_MONTHS_KEY: &str = "risk.every_months";

/// The model the batch scores with.
#[derive(Debug, Clone)]
pub struct RiskConfig {
    pub model: RiskModel,
    /// What the score rows record: `kind@trained_on/sha256 prefix of the data`.
    pub label: String,
}

impl RiskConfig {
    /// The gradient-boosted model shipped in `models/gbdt.json`.
    pub fn shipped() -> RiskConfig {
        RiskConfig::from_json(include_str!("../../../models/gbdt.json")).expect("the shipped model loads")
    }

    pub fn from_json(text: &str) -> Result<RiskConfig, AppError> {
        let model = RiskModel::from_json(text).map_err(|e| AppError::invalid("model", e.to_string()))?;
        let kind = serde_json::to_value(model.card.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let label = format!("{kind}@{}/{}", model.card.trained_on, model.card.data_sha256.get(..12).unwrap_or(""));
        Ok(RiskConfig { model, label })
    }
}

/// The band of a probability of default.
pub fn band(pd: f64) -> &'static str {
    if pd >= HIGH_PD {
        "high"
    } else if pd >= MEDIUM_PD {
        "medium"
    } else {
        "low"
    }
}

/// The band one step riskier.
fn raise(band: &str) -> &'static str {
    match band {
        "low" => "medium",
        _ => "high",
    }
}

/// What the contact record adds to the model, which learned from data without it: a promise to
/// pay broken in the last 30 days, or a debtor nobody can reach, raises the band one step and
/// becomes a reason of its own (the points and probability stay the model's).
fn overlay(band: &'static str, reasons: &mut Vec<Reason>, broken_promise: bool, unreachable: bool) -> &'static str {
    let mut band = band;
    if broken_promise {
        band = raise(band);
        reasons.insert(
            0,
            Reason {
                feature: "broken_promise_30d".into(),
                value: 1.0,
                impact: 0.0,
                en: "Broke a promise to pay in the last 30 days".into(),
                zh: "近30天有违约的还款承诺".into(),
            },
        );
    }
    if unreachable {
        band = raise(band);
        reasons.insert(
            0,
            Reason {
                feature: "unreachable".into(),
                value: 1.0,
                impact: 0.0,
                en: "Cannot be reached on the numbers given".into(),
                zh: "预留联系方式无法联系到本人".into(),
            },
        );
    }
    reasons.truncate(3);
    band
}

/// Whether `date` is the last day of its month.
pub fn is_month_end(date: Date) -> bool {
    date.add_days(1).month() != date.month()
}

/// `YYYY-MM` of a date.
pub fn month_key(date: Date) -> String {
    arrears_bureau::month_key(arrears_bureau::month_of(date))
}

/// What the month-end step did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskReport {
    /// `None` when the date is not a month end (nothing to do).
    pub month: Option<String>,
    pub already_done: bool,
    pub months_recorded: usize,
    pub scored: usize,
    pub by_band: BTreeMap<String, usize>,
    pub drift: Option<Drift>,
}

/// A loan's month, as a card statement reads: its status on `end`; the month's statement (the
/// installments that fell due in the month, paid or not, and whatever of earlier ones is still
/// unpaid); and what was paid since `start`.
pub fn month_row(loan: &LoanRecord, state: &LoanState, start: Date, end: Date, paid: i64) -> MonthRow {
    let in_month = |i: &&arrears_core::loan::InstallmentState| i.due_date >= start && i.due_date <= end;
    let status = if state.dpd > 0 {
        // Days past due, grace included, rounded up to months (1 to 30 days is one month).
        Delay::from_dpd_days(state.dpd).code()
    } else if state.installments.iter().filter(in_month).any(|i| !i.outstanding().total().is_zero()) {
        // Due on the month's last day and not paid yet: not late, not paid.
        Delay::REVOLVING.code()
    } else if state.installments.iter().any(|i| in_month(&i)) || paid > 0 {
        Delay::PAID_IN_FULL.code()
    } else {
        Delay::NOTHING_DUE.code()
    };
    let billed: i64 =
        state.installments.iter().filter(|i| i.due_date >= start && i.due_date <= end).map(|i| i.charged.total().0).sum();
    let arrears: i64 = state.installments.iter().filter(|i| i.due_date < start).map(|i| i.outstanding().total().0).sum();
    MonthRow {
        loan_seq: loan.seq,
        month: month_key(end),
        status: i64::from(status),
        due: billed + arrears,
        paid,
        balance: state.outstanding().total().0,
        // All of a written-off balance is past due (as Metro 2 reports a charge-off).
        overdue: if state.written_off.is_some() {
            state.outstanding().total().0
        } else {
            state.installments.iter().filter(|i| i.due_date < end).map(|i| i.outstanding().total().0).sum()
        },
        dpd: i64::from(state.dpd),
        class: state.class.label().to_owned(),
        bucket: state.bucket.label().to_owned(),
    }
}

use arrears_bureau::month_number;

/// The snapshot of the six months ending with `end_month` (`YYYY-MM`; the latest first), each
/// row placed by its month, so a month with no row reads as nothing due (as the months before
/// the loan's first do); amounts in whole units.
pub fn snapshot(loan: &LoanRecord, months: &[MonthRow], end_month: &str) -> Snapshot {
    let mut out = [Month { status: Delay::NOTHING_DUE, due_minor: 0, paid_minor: 0 }; MONTHS];
    let end = month_number(end_month).unwrap_or(i64::MIN);
    for m in months {
        let Some(gap) = month_number(&m.month).map(|n| end - n) else { continue };
        if let Some(slot) = usize::try_from(gap).ok().and_then(|g| out.get_mut(g)) {
            *slot = Month {
                status: Delay::new(m.status as i8).unwrap_or(Delay::NOTHING_DUE),
                due_minor: m.due / 100,
                paid_minor: m.paid / 100,
            };
        }
    }
    Snapshot { months: out, credit_line_minor: loan.terms.principal().0 / 100, age_years: AGE_UNKNOWN, sex: None, marriage: None }
}

/// Whether the month ending on `date` is a scoring month for a frequency of `every` months:
/// every 3 scores at the ends of March, June, September and December.
fn scores_this_month(date: Date, every: u32) -> bool {
    (date.year() as u32 * 12 + date.month()).is_multiple_of(every.max(1))
}

/// The month-end step for the closed business date `date`; nothing unless it ends a month.
/// Running it again for a month it finished changes nothing; a run cut short carries on.
pub fn month_end(store: &mut Store, date: Date, config: &RiskConfig) -> Result<RiskReport, AppError> {
    if !is_month_end(date) {
        return Ok(RiskReport::default());
    }
    let month = month_key(date);
    let mut report = RiskReport { month: Some(month.clone()), ..RiskReport::default() };
    let (status, every) =
        store.read(|tx| Ok::<_, AppError>((tx.risk_run(&month)?, crate::settings::number(tx, EVERY_MONTHS_KEY, 1..=12, 1)?)))?;
    if status.as_deref() == Some("done") {
        report.already_done = true;
        return Ok(report);
    }
    let scoring = scores_this_month(date, every as u32);
    store.transaction(|tx| tx.record_risk_run(&month, date, "running", &config.label, 0, None))?;
    let start = Date::from_ymd(date.year(), date.month(), 1).expect("the first of a month");
    // The window is the six months ending with this one: rows after the month before them.
    let history_after = month_key(start.add_months(-(MONTHS as i32 - 1)).add_days(-1));
    let mut after = 0;
    loop {
        let part = store.transaction(|tx| -> Result<Option<(i64, usize, Vec<ScoreRow>)>, AppError> {
            let raw = tx.owing_loans_page(after, PARTITION)?;
            let loans: Vec<LoanRecord> = parallel::map(raw, parallel::threads(), |r: RawLoan| Ok(r.decode()?))?;
            let Some(last) = loans.last().map(|l| l.seq) else { return Ok(None) };
            let (rows, scores) = score_partition(tx, &loans, start, date, scoring, &history_after, config)?;
            Ok(Some((last, rows, scores)))
        })?;
        let Some((last, rows, scores)) = part else { break };
        after = last;
        report.months_recorded += rows;
        report.scored += scores.len();
        for s in &scores {
            *report.by_band.entry(s.band.clone()).or_default() += 1;
        }
    }
    if scoring {
        report.drift = drift(store, date, &config.model)?;
    }
    let drift_json = report.drift.as_ref().map(|d| serde_json::to_string(d).expect("drift serialises"));
    let previous = month_key(start.add_days(-1));
    store.transaction(|tx| {
        // The dashboard's figures of the month, counted once with the step.
        tx.record_month_figures(&month, &previous)?;
        tx.record_risk_run(&month, date, "done", &config.label, report.scored as i64, drift_json.as_deref())?;
        tx.audit(
            date,
            SYSTEM_ACTOR,
            "risk-month-end",
            &month,
            &format!("{{\"months\":{},\"scored\":{}}}", report.months_recorded, report.scored),
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(report)
}

/// The month-end step for the last month end on or before `closed`, if the batch closed that
/// day and its step has not finished: a step cut short (or never run, when the step came after
/// the day was closed) is done on the next day instead of being lost.
pub fn catch_up(store: &mut Store, closed: Date, config: &RiskConfig) -> Result<RiskReport, AppError> {
    let end = if is_month_end(closed) {
        closed
    } else {
        Date::from_ymd(closed.year(), closed.month(), 1).expect("the first of a month").add_days(-1)
    };
    let (closed_by_batch, status) = store
        .read(|tx| Ok::<_, AppError>((tx.eod_run(end)?.is_some_and(|r| r.status == "done"), tx.risk_run(&month_key(end))?)))?;
    if !closed_by_batch || status.as_deref() == Some("done") {
        return Ok(RiskReport::default());
    }
    month_end(store, end, config)
}

/// Records the month of each loan and scores them; returns the rows recorded and the scores.
fn score_partition(
    tx: &mut Tx<'_>,
    loans: &[LoanRecord],
    start: Date,
    end: Date,
    scoring: bool,
    history_after: &str,
    config: &RiskConfig,
) -> Result<(usize, Vec<ScoreRow>), AppError> {
    let seqs: Vec<i64> = loans.iter().map(|l| l.seq).collect();
    let paid = tx.paid_by_loan(&seqs, start, end)?;
    // A loan a payment has moved past the month's end (the step run late) is replayed to it.
    let moved: Vec<i64> = loans.iter().filter(|l| l.state.as_of > end).map(|l| l.seq).collect();
    let payments = match (moved.first(), moved.last()) {
        (Some(&first), Some(&last)) => tx.posted_payments_between(first, last)?,
        _ => Vec::new(),
    };
    let rows = parallel::map(loans.iter().collect(), parallel::threads(), |loan: &LoanRecord| {
        let state = crate::service::state_on(loan, &payments, end)?;
        Ok((month_row(loan, &state, start, end, paid.get(&loan.seq).copied().unwrap_or(0)), state.status))
    })?;
    let (rows, statuses): (Vec<MonthRow>, Vec<LoanStatus>) = rows.into_iter().unzip();
    tx.add_months(&rows)?;
    if !scoring {
        return Ok((rows.len(), Vec::new()));
    }
    // Only loans active at the month's end are scored: a written-off loan's months are recorded
    // for the bureau.
    let loans: Vec<&LoanRecord> =
        loans.iter().zip(&statuses).filter(|(_, s)| **s == LoanStatus::Active).map(|(l, _)| l).collect();
    let seqs: Vec<i64> = loans.iter().map(|l| l.seq).collect();
    let end_month = month_key(end);
    let history = tx.months_of(&seqs, history_after, &end_month)?;
    let broken = tx.broken_promise_loans(&seqs, end.add_days(-(crate::collect::BROKEN_PROMISE_DAYS - 1)), end)?;
    let flags = tx.collection_flags(&seqs)?;
    let scores: Vec<ScoreRow> = parallel::map(loans, parallel::threads(), |loan: &LoanRecord| {
        let months = history.get(&loan.seq).map_or(&[][..], Vec::as_slice);
        let snap = snapshot(loan, months, &end_month);
        let mut score = config.model.score(&snap);
        let unreachable = flags.get(&loan.seq).is_some_and(|f| f.unreachable_since.is_some_and(|d| d <= end));
        let band = overlay(band(score.probability), &mut score.reasons, broken.contains(&loan.seq), unreachable);
        Ok(ScoreRow {
            loan_seq: loan.seq,
            scored_on: end,
            model: config.label.clone(),
            points: score.points,
            pd_ppm: (score.probability * 1e6).round().clamp(0.0, 1e6) as i64,
            band: band.to_owned(),
            reasons: serde_json::to_string(&score.reasons).expect("reasons serialise"),
            features: serde_json::to_string(&RiskModel::drift_values(&compute(&snap))).expect("numbers serialise"),
        })
    })?;
    tx.add_scores(&scores)?;
    Ok((rows.len(), scores))
}

/// The drift of the population scored on `date` against the model's training population.
fn drift(store: &mut Store, date: Date, model: &RiskModel) -> Result<Option<Drift>, AppError> {
    let mut points = Vec::new();
    let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.read(|tx| tx.scores_on(date, after, 20_000))?;
        let Some(last) = page.last() else { break };
        after = last.loan_seq;
        for s in page {
            points.push(s.points as f64);
            let values: Vec<f64> = serde_json::from_str(&s.features).unwrap_or_default();
            for (name, v) in arrears_risk::DRIFT_FEATURES.iter().zip(values) {
                columns.entry((*name).to_owned()).or_default().push(v);
            }
        }
    }
    Ok(model.drift_of_columns(&points, &columns))
}

/// The columns of the training file (the Taiwan data's), in order.
pub const TRAINING_HEADER: &str = "ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,\
BILL_AMT1,BILL_AMT2,BILL_AMT3,BILL_AMT4,BILL_AMT5,BILL_AMT6,PAY_AMT1,PAY_AMT2,PAY_AMT3,PAY_AMT4,PAY_AMT5,PAY_AMT6,\
default.payment.next.month";

/// Writes the book's own history as a training file `arrears risk train` reads: one row per
/// loan and recorded month that has a following month (and was not written off), its last six
/// months as the snapshot
/// (amounts in whole units), and as the target whether the loan was late at the next month's
/// end. Sex, education and marital status are not kept and are written as 0; the age as
/// [`AGE_UNKNOWN`]. Returns the rows written.
pub fn export_training(store: &mut Store, out: &mut impl std::io::Write) -> Result<usize, AppError> {
    let io = |e: std::io::Error| AppError::Io(e.to_string());
    writeln!(out, "{TRAINING_HEADER}").map_err(io)?;
    let mut written = 0;
    let mut after = 0;
    loop {
        let page = store.read(|tx| tx.loans_page(after, 2_000))?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let seqs: Vec<i64> = page.iter().map(|l| l.seq).collect();
        let months = store.read(|tx| tx.months_of(&seqs, "0000-00", "9999-12"))?;
        for loan in &page {
            let Some(rows) = months.get(&loan.seq) else { continue };
            for j in 0..rows.len().saturating_sub(1) {
                // Only a month whose next month was recorded has a target; a month already
                // written off is the bureau's record, not a loan the model could warn about.
                if month_number(&rows[j + 1].month) != month_number(&rows[j].month).map(|n| n + 1)
                    || rows[j].bucket == arrears_core::Bucket::WrittenOff.label()
                {
                    continue;
                }
                let s = snapshot(loan, &rows[..=j], &rows[j].month);
                let late_next = rows[j + 1].status >= 1;
                let mut fields = vec![
                    format!("{}-{}", loan.loan_no, rows[j].month),
                    s.credit_line_minor.max(1).to_string(),
                    "0".into(),
                    "0".into(),
                    "0".into(),
                    s.age_years.to_string(),
                ];
                fields.extend(s.months.iter().map(|m| m.status.code().to_string()));
                fields.extend(s.months.iter().map(|m| m.due_minor.to_string()));
                fields.extend(s.months.iter().map(|m| m.paid_minor.to_string()));
                fields.push(u8::from(late_next).to_string());
                writeln!(out, "{}", fields.join(",")).map_err(io)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(name: &str) -> Reason {
        Reason { feature: name.into(), value: 0.0, impact: 1.0, en: name.into(), zh: name.into() }
    }

    #[test]
    fn the_contact_record_raises_the_band_and_says_why() {
        let mut reasons = vec![reason("a"), reason("b"), reason("c")];
        assert_eq!(overlay("low", &mut reasons, false, false), "low");
        assert_eq!(reasons.len(), 3);
        assert_eq!(overlay("low", &mut reasons, true, false), "medium");
        assert_eq!(reasons[0].feature, "broken_promise_30d");
        assert_eq!(reasons.len(), 3, "still the three main reasons");
        let mut reasons = vec![reason("a")];
        assert_eq!(overlay("medium", &mut reasons, true, true), "high");
        let names: Vec<&str> = reasons.iter().map(|r| r.feature.as_str()).collect();
        assert_eq!(names, ["unreachable", "broken_promise_30d", "a"]);
        assert_eq!(overlay("high", &mut vec![], true, false), "high", "high stays high");
    }

    #[test]
    fn bands_and_month_ends() {
        assert_eq!((band(0.35), band(0.3499), band(0.15), band(0.1499)), ("high", "medium", "medium", "low"));
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(is_month_end(d("2026-02-28")) && !is_month_end(d("2028-02-28")) && is_month_end(d("2028-02-29")));
        assert!(is_month_end(d("2026-12-31")) && !is_month_end(d("2026-12-30")));
        assert_eq!(month_key(d("2026-03-31")), "2026-03");
        assert!(
            scores_this_month(d("2026-03-31"), 3)
                && !scores_this_month(d("2026-04-30"), 3)
                && scores_this_month(d("2026-06-30"), 3)
        );
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use arrears_core::{Amount, Rate, RepaymentMethod, TermsInput};

    #[test]
    fn months_take_their_own_slots_and_gaps_read_as_nothing_due() {
        let terms = arrears_core::LoanTerms::new(TermsInput {
            principal: Amount(300_000),
            annual_rate: Rate::from_bp(1800),
            term_months: 6,
            method: RepaymentMethod::Annuity,
            start_date: "2026-01-15".parse().unwrap(),
            first_due_date: None,
            rules: arrears_core::ProductRules::default(),
        })
        .unwrap();
        let loan = LoanRecord {
            seq: 1,
            loan_no: "L1".into(),
            borrower_id: "B1".into(),
            product: "CASH".into(),
            state: LoanState::disburse(&terms),
            terms,
            version: 1,
            ledger_rows: 0,
            history_rows: 0,
        };
        let row = |month: &str, status: i64| MonthRow {
            loan_seq: 1,
            month: month.into(),
            status,
            due: 52_000,
            paid: 0,
            balance: 0,
            overdue: 0,
            dpd: 0,
            class: "normal".into(),
            bucket: "M0".into(),
        };
        // January and March recorded, February missing.
        let s = snapshot(&loan, &[row("2026-01", 1), row("2026-03", 2)], "2026-03");
        let codes: Vec<i8> = s.months.iter().map(|m| m.status.code()).collect();
        assert_eq!(codes, [2, -2, 1, -2, -2, -2]);
        assert_eq!((s.months[0].due_minor, s.credit_line_minor), (520, 3_000), "whole units");
        // A row after the scored month is never used.
        let later = snapshot(&loan, &[row("2026-03", 2), row("2026-04", 9)], "2026-03");
        assert_eq!(later.months[0].status.code(), 2);
    }
}
