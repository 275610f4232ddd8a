//! Credit-bureau commands: the month's furnishing file, and reading a Metro 2 file back.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use arrears_bureau::{Csv, JsonLines};
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FurnishFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pack {
    /// China: balance, overdue, months overdue, class and the 24-month status string.
    Cn,
    /// US: Metro 2.
    Us,
}

#[derive(Debug, Subcommand)]
pub enum CreditWhat {
    /// Write a closed month's furnishing records to a file.
    Furnish {
        /// The month, YYYY-MM; its last day must be closed.
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value = "cn")]
        pack: Pack,
        /// For the China pack: JSON Lines or CSV.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: FurnishFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a Metro 2 file: check every record and the trailer's totals, and summarise it.
    Parse { file: PathBuf },
}

pub fn run(db: &str, what: CreditWhat) -> Result<()> {
    match what {
        CreditWhat::Furnish { month, pack, format, out } => {
            if pack == Pack::Us {
                bail!("--pack us: a Metro 2 base segment carries the consumer's SSN, date of birth and address, which Arrears does not keep yet");
            }
            let mut store = arrears_app::open(db)?;
            let file = std::fs::File::create(&out).with_context(|| format!("--out: cannot write {}", out.display()))?;
            let writer = std::io::BufWriter::new(file);
            let written = match format {
                FurnishFormat::Jsonl => arrears_app::bureau::furnish_china(&mut store, &month, &mut JsonLines::new(writer)),
                FurnishFormat::Csv => arrears_app::bureau::furnish_china(&mut store, &month, &mut Csv::new(writer)),
            };
            let report = match written {
                Ok(r) => r,
                Err(e) => {
                    let _ = std::fs::remove_file(&out);
                    return Err(e.into());
                }
            };
            println!("{} accounts furnished for {month} to {} ({})", report.written, out.display(), arrears_bureau::FORMAT);
            if report.withheld > 0 {
                println!(
                    "  {} first overdue statuses held back: the borrower has not been sent a credit-report notice in time",
                    report.withheld
                );
            }
        }
        CreditWhat::Parse { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = arrears_bureau::metro2::parse_file(&text).with_context(|| file.display().to_string())?;
            println!(
                "{}: Metro 2 from {} for {}; {} base segments; trailer totals match",
                file.display(),
                parsed.header.reporter_name,
                parsed.header.activity_date,
                parsed.totals.base_records
            );
            for (status, n) in &parsed.totals.by_status {
                println!("  status {status}: {n}");
            }
        }
    }
    Ok(())
}
