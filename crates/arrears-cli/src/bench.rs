//! `arrears bench`: throughput measurements, written down in BENCHMARKS.md.

use anyhow::{Context, Result};
use arrears_app::{book, service};
use arrears_core::{Amount, LoanTerms, ProductRules, Rate, RepaymentMethod, TermsInput};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Schedules generated per second, by repayment method.
    Schedule {
        #[arg(long, default_value_t = 200_000)]
        count: usize,
        #[arg(long, default_value_t = 12)]
        term_months: u32,
    },
    /// Load a synthetic book (for `arrears eod` to be measured on) into an empty database.
    Book {
        #[arg(long, default_value_t = 1_000_000)]
        loans: usize,
        /// The business date the book stands on; the next `arrears eod --date` is the day after.
        #[arg(long, default_value = "2026-06-14")]
        as_of: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Payments posted per second, one transaction each, on the loans of a synthetic book.
    Payments {
        #[arg(long, default_value_t = 20_000)]
        count: usize,
    },
    /// Demand letters laid out as PDF per second, Chinese and English in turn (no database).
    Documents {
        #[arg(long, default_value_t = 200)]
        count: usize,
    },
    /// The console dashboard's figures read from the book, every chart, `count` times; and
    /// the counting of the latest recorded month's figures, as the month-end step does it.
    Dashboard {
        #[arg(long, default_value_t = 5)]
        count: usize,
    },
}

pub fn run(db: &str, what: BenchWhat) -> Result<()> {
    match what {
        BenchWhat::Schedule { count, term_months } => schedules(count, term_months),
        BenchWhat::Book { loans, as_of, seed } => {
            let as_of = crate::parse_date("as-of", &as_of)?;
            let (mut store, _) = arrears_app::init(db)?;
            let started = std::time::Instant::now();
            let bar = crate::progress_bar(loans as u64, "loading the book");
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let report = book::load(&mut store, loans, as_of, seed, threads, |done| bar.set_position(done as u64))?;
            bar.finish_and_clear();
            println!(
                "loaded {} loans ({} active, {} overdue, {} written off, {} closed) standing on {as_of} in {:.1?}",
                report.loans,
                report.active,
                report.overdue,
                report.written_off,
                report.closed,
                started.elapsed()
            );
            println!("next: arrears --db {} eod --date {}", arrears_store::conn::redact(db), as_of.add_days(1));
            Ok(())
        }
        BenchWhat::Payments { count } => payments(db, count),
        BenchWhat::Documents { count } => documents(count),
        BenchWhat::Dashboard { count } => dashboard(db, count),
    }
}

/// Times the dashboard's read of every chart, and the month-end counting of the latest month.
fn dashboard(db: &str, count: usize) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let latest = store.read(|tx| tx.risk_runs())?.into_iter().find(|r| r.status == "done").map(|r| r.month);
    if let Some(month) = &latest {
        let previous = arrears_store::dashboard::month_before(month).context("a month of the risk runs")?;
        let started = std::time::Instant::now();
        store.transaction(|tx| tx.record_month_figures(month, &previous))?;
        println!("counted the figures of {month} in {:.1?}", started.elapsed());
    }
    let mut times = Vec::new();
    for _ in 0..count.max(1) {
        let started = std::time::Instant::now();
        let d = arrears_app::dashboard::dashboard_for(&mut store, None, None, arrears_app::dashboard::Period::LastDays(30))?;
        times.push(started.elapsed());
        if times.len() == 1 {
            println!(
                "{} months, {} vintages, {} cure months, funnel of {} contacts, {} strategy arms ({})",
                d.months.len(),
                d.vintages.len(),
                d.cures.len(),
                d.funnel.attempted,
                d.arms.len(),
                d.currency.as_deref().unwrap_or("-")
            );
        }
    }
    times.sort();
    println!(
        "the dashboard read {} times: median {:.1?}, slowest {:.1?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}

/// Renders `count` demand letters of different borrowers and amounts; the first one, which
/// loads the fonts, is timed apart.
fn documents(count: usize) -> Result<()> {
    use arrears_docs::{render, Document, Lang, Letter, Letterhead, Line};
    let letter = |k: usize| {
        let lang = [Lang::Zh, Lang::En][k % 2];
        let owed = Amount(150_000 + (k as i64 * 7_919) % 2_000_000);
        let doc = Document::Demand(Letter {
            head: Letterhead {
                lender: "示例银行".into(),
                hotline: "95500".into(),
                reference: format!("DL-L{k:08}-20260915"),
                date: "2026-09-15".into(),
            },
            borrower: ["王芳", "李娜", "张伟", "Wang Fang"][k % 4].into(),
            loan: format!("L{k:08}"),
            currency: "CNY".into(),
            principal: Amount(owed.0 + 100_000).grouped(),
            opened: "2026-01-10".into(),
            due_since: "2026-05-10".into(),
            days_past_due: 90 + (k % 60) as u32,
            as_of: "2026-09-15".into(),
            owed: vec![
                Line { key: "principal".into(), amount: owed.grouped() },
                Line { key: "penalty".into(), amount: Amount(owed.0 / 20).grouped() },
            ],
            total: Amount(owed.0 + owed.0 / 20).grouped(),
            total_words: Some(arrears_docs::yuan_in_words(Amount(owed.0 + owed.0 / 20))),
            per_day: Amount(owed.0 / 1000).grouped(),
            pay_by: "2026-09-30".into(),
            pay_how: "手机银行App".into(),
            credit_report: true,
            may_sue: !k.is_multiple_of(5),
        });
        (doc, lang)
    };
    let started = std::time::Instant::now();
    let (first, lang) = letter(0);
    let mut bytes = render(&first, lang)?.bytes.len();
    let first_took = started.elapsed();
    let started = std::time::Instant::now();
    for k in 1..count.max(2) {
        let (doc, lang) = letter(k);
        bytes += render(&doc, lang)?.bytes.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let n = count.max(2) - 1;
    println!(
        "demand letters: the first in {first_took:.1?} (fonts loaded), then {n} in {secs:.2} s: {:.0} a second, {:.1} ms each, {} KiB each on average",
        n as f64 / secs,
        secs * 1000.0 / n as f64,
        bytes / count.max(2) / 1024
    );
    Ok(())
}

fn schedules(count: usize, term_months: u32) -> Result<()> {
    for method in
        [RepaymentMethod::Annuity, RepaymentMethod::EqualPrincipal, RepaymentMethod::InterestOnly, RepaymentMethod::Bullet]
    {
        let started = std::time::Instant::now();
        let mut checksum = 0i64;
        for k in 0..count {
            let terms = LoanTerms::new(TermsInput {
                principal: Amount(100_000 + (k as i64 % 1000) * 100),
                annual_rate: Rate::from_bp(1_800),
                term_months,
                method,
                start_date: "2026-01-15".parse()?,
                first_due_date: None,
                rules: ProductRules::default(),
            })?;
            checksum += arrears_core::schedule(&terms).last().map_or(0, |l| l.interest.0);
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{method:<16} {count} schedules of {term_months} months in {secs:.3} s: {:.0} schedules/s (checksum {checksum})",
            count as f64 / secs
        );
    }
    Ok(())
}

fn payments(db: &str, count: usize) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let date = store.read(service::open_day)?.context("load a book first: arrears bench book")?;
    let loans = store.read(|tx| tx.loans_page(0, count as i64))?;
    let active: Vec<_> =
        loans.iter().filter(|l| l.state.status == arrears_core::LoanStatus::Active).map(|l| l.loan_no.clone()).collect();
    anyhow::ensure!(!active.is_empty(), "the book has no active loans");
    let started = std::time::Instant::now();
    for k in 0..count {
        let loan = &active[k % active.len()];
        service::pay(&mut store, loan, Amount(100), Some(date), &format!("bench-{date}-{k}"))?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{count} payments of 1.00 on {} loans in {secs:.2} s: {:.0} payments/s", active.len(), count as f64 / secs);
    Ok(())
}
