//! Write-off commands: a decided write-off, and the register of write-offs with what each
//! loan still owes.

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum WriteoffWhat {
    /// Write a loan off on the open business day, by decision, with its reason. The debt stays
    /// owed; accruals stop; later payments are recoveries.
    Decide {
        #[arg(long)]
        loan: String,
        #[arg(long)]
        reason: String,
        /// Who decided (a member of staff; for the register and the audit log).
        #[arg(long)]
        by: String,
        /// The supervisor who approves it (another person).
        #[arg(long)]
        approved_by: String,
    },
    /// The write-offs made between two dates, with what each loan still owes.
    List {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn writeoff(db: &str, what: WriteoffWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        WriteoffWhat::Decide { loan, reason, by, approved_by } => {
            let w = arrears_app::writeoff::decide(&mut store, &loan, &reason, &by, &approved_by)?;
            println!(
                "{} written off on {} at {} days past due: {} (principal {}, interest {}, penalty {}, compound {}, fees {}); \
                 still owed, booked to the written-off accounts; payments from now on are recoveries",
                w.loan_no,
                w.date,
                w.dpd,
                w.amount.total(),
                w.amount.principal,
                w.amount.interest,
                w.amount.penalty,
                w.amount.compound,
                w.amount.fee
            );
        }
        WriteoffWhat::List { from, to, json } => {
            let (from, to) = (crate::parse_date("from", &from)?, crate::parse_date("to", &to)?);
            let rows = arrears_app::writeoff::register(&mut store, from, to)?;
            if json {
                for w in &rows {
                    let doc = serde_json::json!({
                        "loan": w.loan_no, "currency": w.currency, "written_off_on": w.written_off_on.to_string(),
                        "basis": w.basis, "reason": w.reason, "decided_by": w.decided_by, "approved_by": w.approved_by,
                        "amount": w.amount.total().to_string(), "principal": w.amount.principal.to_string(),
                        "still_owed": arrears_core::Amount(w.still_owed).to_string(), "amendments": w.amendments,
                    });
                    println!("{doc}");
                }
                return Ok(());
            }
            println!(
                "{:<14} {:<10} {:<8} {:>14} {:>14}  {:<10} reason",
                "loan", "date", "basis", "written off", "still owed", "by"
            );
            for w in &rows {
                println!(
                    "{:<14} {:<10} {:<8} {:>14} {:>14}  {:<10} {}",
                    w.loan_no,
                    w.written_off_on,
                    w.basis,
                    format!("{} {}", w.currency, w.amount.total()),
                    arrears_core::Amount(w.still_owed).to_string(),
                    w.decided_by,
                    if w.amendments > 0 { format!("{} (amended {} times)", w.reason, w.amendments) } else { w.reason.clone() }
                );
            }
            println!("{} write-offs", rows.len());
        }
    }
    Ok(())
}
