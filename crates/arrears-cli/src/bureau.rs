//! Credit-bureau commands: the month's furnishing file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arrears_bureau::{Csv, JsonLines};
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FurnishFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum BureauWhat {
    /// Write a closed month's China furnishing records (balance, overdue, months overdue,
    /// class, 24-month repayment-status string) to a file.
    Furnish {
        /// The month, YYYY-MM; its last day must be closed.
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: FurnishFormat,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(db: &str, what: BureauWhat) -> Result<()> {
    let BureauWhat::Furnish { month, format, out } = what;
    let mut store = arrears_app::open(db)?;
    let file = std::fs::File::create(&out).with_context(|| format!("--out: cannot write {}", out.display()))?;
    let writer = std::io::BufWriter::new(file);
    let written = match format {
        FurnishFormat::Jsonl => arrears_app::bureau::furnish_china(&mut store, &month, &mut JsonLines::new(writer)),
        FurnishFormat::Csv => arrears_app::bureau::furnish_china(&mut store, &month, &mut Csv::new(writer)),
    };
    let written = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&out);
            return Err(e.into());
        }
    };
    println!("{written} accounts furnished for {month} to {} ({})", out.display(), arrears_bureau::FORMAT);
    Ok(())
}
