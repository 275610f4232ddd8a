//! `arrears bench`: throughput measurements, written down in BENCHMARKS.md.

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Schedules generated per second.
    Schedule {
        #[arg(long, default_value_t = 200_000)]
        count: usize,
    },
}

pub fn run(_db: &str, what: BenchWhat) -> Result<()> {
    match what {
        BenchWhat::Schedule { count } => {
            let started = std::time::Instant::now();
            let mut sink = 0i64;
            for k in 0..count {
                let terms = arrears_core::LoanTerms::new(arrears_core::TermsInput {
                    principal: arrears_core::Amount(100_000 + (k as i64 % 1000) * 100),
                    annual_rate: arrears_core::Rate::from_bp(1_800),
                    term_months: 12,
                    method: arrears_core::RepaymentMethod::Annuity,
                    start_date: "2026-01-15".parse()?,
                    first_due_date: None,
                    rules: arrears_core::ProductRules::default(),
                })?;
                sink += arrears_core::schedule(&terms).last().map_or(0, |l| l.interest.0);
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{count} schedules of 12 installments in {secs:.3} s: {:.0} schedules/s (checksum {sink})",
                count as f64 / secs
            );
        }
    }
    Ok(())
}
