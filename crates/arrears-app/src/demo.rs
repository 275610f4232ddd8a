//! The demo: a fresh book of consumer cash loans, serviced day by day with payments arriving
//! from borrowers who behave as a small-loan book's borrowers do.
//!
//! Everything is drawn from a seeded generator, so a seed always gives the same book.

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::{Amount, Date, LoanState, Rate, RepaymentMethod};
use arrears_store::{AgentResult, ArmResult, Store};

use crate::collect::{self, CollectReport};
use crate::compliance::{self, ComplianceReport};
use crate::demo_desk::{self, CallStats, Desk};
use crate::eod::{self, EodOptions, EodReport};
use crate::outbox::DeliverReport;
use crate::service::{self, open_loans, terms_for, NewLoan};
use crate::AppError;

/// A small, fast, seeded generator (SplitMix64); good enough for drawing a synthetic book.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }

    /// One of `choices`, by integer weights.
    pub fn pick<T: Copy>(&mut self, choices: &[(T, u64)]) -> T {
        let total: u64 = choices.iter().map(|c| c.1).sum();
        let mut x = self.next_u64() % total;
        for &(v, w) in choices {
            if x < w {
                return v;
            }
            x -= w;
        }
        choices[choices.len() - 1].0
    }
}

/// How a demo borrower pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behaviour {
    /// Pays every installment on its due date.
    Punctual,
    /// Pays a few days late, sometimes inside the grace period, sometimes only half.
    Slow,
    /// Misses a couple of installments, then catches up.
    Curing,
    /// Pays a few installments, then stops for good.
    Defaulting,
    /// Pays for a while, then pays the loan off early.
    Prepayer,
}

impl Behaviour {
    pub const ALL: [Behaviour; 5] =
        [Behaviour::Punctual, Behaviour::Slow, Behaviour::Curing, Behaviour::Defaulting, Behaviour::Prepayer];

    pub fn label(self) -> &'static str {
        match self {
            Behaviour::Punctual => "always on time",
            Behaviour::Slow => "a few days late",
            Behaviour::Curing => "late, then curing",
            Behaviour::Defaulting => "rolling to default",
            Behaviour::Prepayer => "paying off early",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub loans: usize,
    pub days: u32,
    pub seed: u64,
    pub start: Date,
    pub eod: EodOptions,
}

#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub loans: usize,
    pub by_behaviour: BTreeMap<Behaviour, usize>,
    pub payments: usize,
    pub collected: Amount,
    pub reversals: usize,
    pub paid_off: usize,
    pub eod: EodReport,
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
    /// One loan number of each behaviour, to look at with `arrears loan show`.
    pub examples: BTreeMap<Behaviour, String>,
    /// The collection desk, when the demo ran one.
    pub collect: CollectReport,
    pub delivery: DeliverReport,
    pub calls: CallStats,
    pub compliance: Option<ComplianceReport>,
    pub arms: Vec<ArmResult>,
    pub agents: Vec<AgentResult>,
    pub early_warning: demo_desk::EarlyWarning,
    /// Disputes answered by the demo's compliance officer: in time, late.
    pub disputes_answered: (usize, usize),
    /// The last month-end scoring run's drift, when there was one.
    pub drift: Option<arrears_risk::Drift>,
    /// The hardship desk, and cures with and without relief.
    pub hardship: crate::demo_hardship::HardshipStats,
    /// The legal officer's last day: the candidates, and the cases opened for them (each sent
    /// a demand letter, made as PDF and kept), the largest claim first.
    pub legal_cases: Vec<(String, Amount, String)>,
    /// A settlement certificate issued to the borrower who paid off early: loan and code.
    pub certificate: Option<(String, String)>,
}

/// What a borrower will do on a day.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// Pay what is due (or `half` of it).
    PayDue { half: bool },
    /// Pay the whole loan off.
    PayOff,
}

/// Draws a loan of a consumer cash-loan book: yuan loans mostly, one in twelve a US dollar
/// installment loan; borrowers come from a pool a little smaller than the book, so some hold
/// more than one loan.
fn draw_loan(rng: &mut Rng, k: usize, start_date: Date, pool: i64) -> NewLoan {
    let yuan = rng.pick(&[
        (500, 8),
        (1_000, 15),
        (2_000, 20),
        (3_000, 18),
        (5_000, 15),
        (8_000, 10),
        (10_000, 8),
        (20_000, 4),
        (50_000, 2),
    ]);
    let jitter = rng.range(0, 9) * 100;
    let principal = Amount((yuan + jitter) * 100);
    let method = rng.pick(&[
        (RepaymentMethod::Annuity, 70),
        (RepaymentMethod::EqualPrincipal, 15),
        (RepaymentMethod::InterestOnly, 10),
        (RepaymentMethod::Bullet, 5),
    ]);
    let term_months = match method {
        RepaymentMethod::Bullet => rng.pick(&[(1, 50), (2, 30), (3, 20)]),
        _ => rng.pick(&[(3, 20), (6, 30), (12, 40), (24, 7), (36, 3)]),
    };
    let annual_rate = Rate::from_bp(rng.pick(&[(720, 10), (1_080, 20), (1_440, 25), (1_800, 25), (2_160, 15), (2_390, 5)]));
    let us = rng.chance(80);
    let product = if us {
        "US-INST"
    } else if rng.chance(300) {
        "CASH-FEE"
    } else {
        "CASH"
    };
    NewLoan {
        loan_no: format!("L{:08}", k + 1),
        borrower_id: format!("{}{:08}", if us { 'U' } else { 'B' }, rng.range(1, pool)),
        product: product.to_owned(),
        principal,
        annual_rate,
        term_months,
        method,
        start_date,
        first_due_date: None,
    }
}

/// Plans a borrower's payments over a loan's due dates.
fn plan(rng: &mut Rng, behaviour: Behaviour, due_dates: &[Date], actions: &mut BTreeMap<Date, Vec<(usize, Action)>>, idx: usize) {
    let n = due_dates.len();
    let mut add = |date: Date, action: Action| actions.entry(date).or_default().push((idx, action));
    match behaviour {
        Behaviour::Punctual => due_dates.iter().for_each(|&d| add(d, Action::PayDue { half: false })),
        Behaviour::Slow => {
            for &d in due_dates {
                let late = rng.range(0, 12) as i32;
                let half = rng.chance(150);
                add(d.add_days(late), Action::PayDue { half });
                if half {
                    add(d.add_days(late + rng.range(5, 20) as i32), Action::PayDue { half: false });
                }
            }
        }
        Behaviour::Curing => {
            let miss_from = rng.range(0, n.saturating_sub(1) as i64) as usize;
            let missed = rng.range(1, 2) as usize;
            for (k, &d) in due_dates.iter().enumerate() {
                if k >= miss_from && k < miss_from + missed {
                    continue;
                }
                add(d.add_days(rng.range(0, 6) as i32), Action::PayDue { half: false });
            }
            if miss_from + missed >= n {
                let last = due_dates[n - 1];
                add(last.add_days(rng.range(20, 75) as i32), Action::PayDue { half: false });
            }
        }
        Behaviour::Defaulting => {
            let pays = rng.range(0, (n as i64 - 1).min(3)) as usize;
            due_dates.iter().take(pays).for_each(|&d| add(d, Action::PayDue { half: false }));
        }
        Behaviour::Prepayer => {
            let pays = rng.range(0, n as i64 - 1) as usize;
            due_dates.iter().take(pays).for_each(|&d| add(d, Action::PayDue { half: false }));
            let after = if pays == 0 { due_dates[0].add_months(-1) } else { due_dates[pays - 1] };
            add(after.add_days(rng.range(3, 25) as i32), Action::PayOff);
        }
    }
}

/// Runs the demo on an empty, initialised store; with a `desk`, the collection strategy runs
/// every day, messages are delivered and agents work the calls. `progress(day_index, days)` is
/// called after each closed day.
pub fn run(
    store: &mut Store,
    options: DemoOptions,
    desk: Option<&Desk>,
    mut progress: impl FnMut(u32, u32),
) -> Result<DemoReport, AppError> {
    let mut rng = Rng::new(options.seed);
    // The desk draws borrowers and agents' answers from its own generator; promises it obtains
    // bring payments of their own, so a book with the desk differs from one without.
    let mut desk_rng = Rng::new(options.seed ^ 0xDE5C);
    let pool = (options.loans as i64 * 15 / 16).max(1);
    let mut known_borrowers: BTreeSet<String> = BTreeSet::new();
    let mut behaviour_of: BTreeMap<i64, Behaviour> = BTreeMap::new();
    let mut loan_of_seq: BTreeMap<i64, usize> = BTreeMap::new();
    if desk.is_some() {
        demo_desk::hire(store)?;
        crate::demo_hardship::hire(store)?;
    }
    let mut report = DemoReport { first_day: Some(options.start), ..DemoReport::default() };
    // Loans are made over the first two thirds of the period, so the last ones still age.
    let origination_days = (options.days * 2 / 3).max(1);
    let mut originations: BTreeMap<Date, Vec<NewLoan>> = BTreeMap::new();
    for k in 0..options.loans {
        let day = options.start.add_days(rng.range(0, origination_days as i64 - 1) as i32);
        originations.entry(day).or_default().push(draw_loan(&mut rng, k, day, pool));
    }
    let mut loans: Vec<String> = Vec::with_capacity(options.loans);
    let mut actions: BTreeMap<Date, Vec<(usize, Action)>> = BTreeMap::new();

    for i in 0..options.days {
        let day = options.start.add_days(i as i32);
        if let Some(new) = originations.remove(&day) {
            let mut pairs = Vec::with_capacity(new.len());
            let mut borrowers = Vec::new();
            let mut identities = Vec::new();
            for loan in &new {
                if known_borrowers.insert(loan.borrower_id.clone()) {
                    let us = loan.product == "US-INST";
                    let borrower = demo_desk::draw_borrower(&mut desk_rng, &loan.borrower_id, us);
                    if us {
                        identities.push(demo_desk::draw_identity(&borrower));
                    }
                    borrowers.push(borrower);
                }
            }
            let seqs = store.transaction(|tx| {
                for loan in new {
                    let terms = terms_for(tx, &loan)?;
                    pairs.push((loan, terms));
                }
                tx.upsert_borrowers(&borrowers)?;
                tx.upsert_identities(&identities)?;
                open_loans(tx, &pairs)
            })?;
            for ((loan, terms), seq) in pairs.into_iter().zip(seqs) {
                let behaviour = rng.pick(&[
                    (Behaviour::Punctual, 700),
                    (Behaviour::Slow, 150),
                    (Behaviour::Curing, 70),
                    (Behaviour::Defaulting, 50),
                    (Behaviour::Prepayer, 30),
                ]);
                let idx = loans.len();
                plan(&mut rng, behaviour, &terms.due_dates(), &mut actions, idx);
                *report.by_behaviour.entry(behaviour).or_default() += 1;
                behaviour_of.insert(seq, behaviour);
                loan_of_seq.insert(seq, idx);
                report.examples.entry(behaviour).or_insert_with(|| loan.loan_no.clone());
                loans.push(loan.loan_no);
            }
        }
        if let Some(desk) = desk {
            let d = demo_desk::deliver_day(store, &desk.senders, day)?;
            report.delivery.absorb(&d);
            for promise in demo_desk::work_day(store, desk, day, &mut desk_rng, &behaviour_of, &mut report.calls)? {
                if let Some(&idx) = loan_of_seq.get(&promise.loan_seq) {
                    actions.entry(promise.on).or_default().push((idx, Action::PayDue { half: false }));
                }
            }
        }
        for (idx, action) in actions.remove(&day).unwrap_or_default() {
            pay_as_planned(store, &mut rng, &loans[idx], action, day, &mut report)?;
        }
        if desk.is_some() {
            let plan_payments =
                crate::demo_hardship::day(store, day, &mut desk_rng, &behaviour_of, &loan_of_seq, &mut report.hardship)?;
            for (on, idx) in plan_payments {
                actions.entry(on).or_default().push((idx, Action::PayDue { half: false }));
            }
        }
        if desk.is_some() {
            answer_disputes(store, day, &mut desk_rng, &mut report)?;
        }
        let eod = eod::run(store, day, options.eod, |_, _| ())?;
        report.eod.absorb(&eod);
        if let Some(desk) = desk {
            let scored = crate::risk::month_end(store, day, &desk.risk)?;
            report.early_warning.scored += scored.scored;
            if scored.drift.is_some() {
                report.drift = scored.drift;
            }
            let next = day.add_days(1);
            let planned = collect::run(store, next, &desk.config)?;
            report.collect.absorb(&planned);
            // The modelled effect of early outreach: some borrowers who would have paid late
            // pay the coming installment on its due date instead.
            for seq in store.read(|tx| tx.contacted_loans(next, "early-care"))? {
                report.early_warning.outreach += 1;
                let (Some(&idx), Some(&behaviour)) = (loan_of_seq.get(&seq), behaviour_of.get(&seq)) else { continue };
                if matches!(behaviour, Behaviour::Slow | Behaviour::Curing | Behaviour::Defaulting)
                    && desk_rng.chance(OUTREACH_EFFECT)
                {
                    let loan = store.read(|tx| tx.loan_by_seq(seq))?;
                    if let Some(due) = loan.and_then(|l| l.state.reference_installment().map(|i| i.due_date)) {
                        actions.entry(due.max(next)).or_default().push((idx, Action::PayDue { half: false }));
                    }
                }
            }
        }
        report.last_day = Some(day);
        progress(i + 1, options.days);
    }
    report.loans = loans.len();
    if let Some(desk) = desk {
        let last = options.start.add_days(options.days as i32);
        report.compliance = Some(compliance::report(store, &desk.config, options.start, last)?);
        let (arms, agents) =
            store.read(|tx| Ok::<_, AppError>((tx.arm_results(options.start, last)?, tx.agent_results(options.start, last)?)))?;
        report.arms = arms;
        report.agents = agents;
        measure_early_warning(store, desk, &mut report.early_warning)?;
        crate::demo_hardship::count_cures(store, &mut report.hardship)?;
        report.legal_cases = open_cases(store, &desk.config.lender)?;
        if let Some(loan_no) = report.examples.get(&Behaviour::Prepayer) {
            let paid_off = store.read(|tx| Ok::<_, AppError>(tx.loan(loan_no)?.map(|l| l.state.status)))?;
            if paid_off == Some(arrears_core::LoanStatus::PaidOff) {
                let c = crate::certificates::issue(store, loan_no, "settlement", "demo-service-desk")?;
                report.certificate = Some((loan_no.clone(), c.code));
            }
        }
    }
    Ok(report)
}

/// The demo's legal officer, on the day after the last: a case for each litigation candidate,
/// its demand letter made as PDF, and the case moved to its demand letter.
fn open_cases(store: &mut Store, lender: &arrears_collect::Lender) -> Result<Vec<(String, Amount, String)>, AppError> {
    let mut out = Vec::new();
    for c in crate::legal::candidates(store)? {
        let id = crate::legal::open_case(store, &c.loan_no, "demo-legal-officer", &c.reasons.join("; "))?;
        let letter = crate::documents::letter(
            store,
            lender,
            &c.loan_no,
            crate::documents::LetterKind::Demand,
            None,
            15,
            "demo-legal-officer",
        )?;
        let note = format!("demand letter {} sent by registered post", letter.file_name());
        let note = note.as_str();
        crate::legal::advance(
            store,
            id,
            "demand-letter",
            &crate::legal::Step { note, ..Default::default() },
            "demo-legal-officer",
        )?;
        out.push((c.loan_no, c.owed, c.currency));
    }
    Ok(out)
}

/// The demo's compliance officer answers each dispute ten to fifteen days after it was opened.
fn answer_disputes(store: &mut Store, day: Date, rng: &mut Rng, report: &mut DemoReport) -> Result<(), AppError> {
    for (d, _) in crate::disputes::open_disputes(store)? {
        if d.opened_on.days_until(day) < 10 + (d.id % 6) as i32 {
            continue;
        }
        // Disputes raised on calls name no month: the officer confirms the debt or, for one of
        // a month, sometimes cannot verify it.
        let outcome = if d.month.is_none() || rng.chance(850) {
            crate::disputes::Outcome::Confirmed
        } else {
            crate::disputes::Outcome::Unverifiable
        };
        let answered = crate::disputes::resolve(store, d.id, outcome, "compliance-officer")?;
        if answered.resolved_on.is_some_and(|on| on <= answered.deadline) {
            report.disputes_answered.0 += 1;
        } else {
            report.disputes_answered.1 += 1;
        }
    }
    Ok(())
}

/// Chance, per mille, that a borrower who would have paid late pays on time after an early
/// outreach message: the demo's assumption, not a measured fact.
const OUTREACH_EFFECT: u64 = 300;

/// How high-risk current loans of the default strategy paid their next installment, by the arm
/// they were assigned (whether or not a text reached them: intent to treat), one count per loan
/// and month-end score; installments due within a week of the score are left out, since the
/// D-7 step could not reach them.
fn measure_early_warning(store: &mut Store, desk: &Desk, out: &mut demo_desk::EarlyWarning) -> Result<(), AppError> {
    let scored = store.read(|tx| tx.current_loans_scored("high"))?;
    for (seq, scored_on) in scored {
        let Some(loan) = store.read(|tx| tx.loan_by_seq(seq))? else { continue };
        let Some(strategy) = desk.config.strategies.for_product(&loan.product) else { continue };
        if !strategy.steps.iter().any(|s| s.template == "early-care") {
            continue;
        }
        let Some(next) = loan.state.installments.iter().find(|i| i.due_date > scored_on.add_days(7)) else { continue };
        if next.due_date > loan.state.as_of {
            continue;
        }
        let on_time = next.settled_on.is_some_and(|d| d <= next.due_date);
        let arm = match strategy.arm_for(&loan.loan_no) {
            arrears_collect::Arm::Champion => &mut out.champion,
            arrears_collect::Arm::Challenger => &mut out.challenger,
        };
        arm.0 += 1;
        arm.1 += usize::from(on_time);
    }
    Ok(())
}

fn pay_as_planned(
    store: &mut Store,
    rng: &mut Rng,
    loan_no: &str,
    action: Action,
    day: Date,
    report: &mut DemoReport,
) -> Result<(), AppError> {
    let view = service::loan_view(store, loan_no, Some(day))?;
    let state: &LoanState = &view.state;
    let amount = match action {
        Action::PayOff => view.payoff,
        Action::PayDue { half } => {
            let due = state.due().total();
            if half {
                Amount(due.0 / 2)
            } else {
                due
            }
        }
    };
    if amount <= Amount::ZERO {
        return Ok(());
    }
    let key = format!("demo-{}-{}-{}", loan_no, day, view.payments.len());
    let outcome = service::pay(store, loan_no, amount, Some(day), &key)?;
    report.payments += 1;
    report.collected += amount;
    if outcome.allocation.paid_off {
        report.paid_off += 1;
    }
    // About one payment in four hundred bounces and is reversed the same day.
    if rng.chance(3) {
        service::reverse(store, outcome.payment_id, &format!("{key}-bounce"))?;
        report.reversals += 1;
        report.collected -= amount;
        if outcome.allocation.paid_off {
            report.paid_off -= 1;
        }
    }
    Ok(())
}
