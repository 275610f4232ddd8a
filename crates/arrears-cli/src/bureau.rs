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
        /// For the US pack: the identification number the bureaus assigned the lender.
        #[arg(long, env = "ARREARS_FURNISHER_ID")]
        furnisher_id: Option<String>,
        /// For the US pack: the lender's name, address and telephone in the header.
        #[arg(long, env = "ARREARS_FURNISHER_NAME")]
        furnisher_name: Option<String>,
        #[arg(long, env = "ARREARS_FURNISHER_ADDRESS", default_value = "")]
        furnisher_address: String,
        #[arg(long, env = "ARREARS_FURNISHER_PHONE", default_value = "")]
        furnisher_phone: String,
    },
    /// Read a Metro 2 file: check every record and the trailer's totals, and summarise it.
    Parse { file: PathBuf },
    /// What was reported of a loan month by month, each negative mark and when it ages out,
    /// and what helps.
    History {
        #[arg(long)]
        loan: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DisputeWhat {
    /// Open a dispute: the loan is marked disputed at once and collection pauses.
    Open {
        #[arg(long)]
        loan: String,
        /// The reported month disputed, YYYY-MM.
        #[arg(long)]
        month: Option<String>,
        /// The amount disputed.
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        #[arg(long)]
        reason: String,
        /// phone, portal, api, letter, email or in-person.
        #[arg(long, default_value = "phone")]
        channel: String,
        #[arg(long, default_value = "staff")]
        actor: String,
    },
    /// Answer a dispute: corrected (with --status), confirmed, or unverifiable.
    Resolve {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        outcome: String,
        /// For a correction: what the disputed month should read, N or 1 to 7.
        #[arg(long)]
        status: Option<char>,
        #[arg(long, default_value = "staff")]
        actor: String,
    },
    /// Open disputes, the nearest deadline first, with alerts for those due within 5 days.
    List,
}

pub fn dispute(db: &str, what: DisputeWhat) -> Result<()> {
    use arrears_app::disputes::{self, NewDispute, Outcome};
    let mut store = arrears_app::open(db)?;
    match what {
        DisputeWhat::Open { loan, month, amount, reason, channel, actor } => {
            let amount = amount.map(|a| crate::parse_amount("amount", &a)).transpose()?;
            let d =
                NewDispute { loan_no: &loan, month: month.as_deref(), amount, reason: &reason, channel: &channel, actor: &actor };
            let id = disputes::open(&mut store, &d)?;
            println!(
                "dispute {id} opened on {loan}: collection paused; the answer is due by its deadline (arrears dispute list)"
            );
        }
        DisputeWhat::Resolve { id, outcome, status, actor } => {
            let outcome = match outcome.as_str() {
                "corrected" => {
                    Outcome::Corrected { status: status.context("--status: a correction says what the month should read")? }
                }
                "confirmed" => Outcome::Confirmed,
                "unverifiable" => Outcome::Unverifiable,
                other => bail!("--outcome: `{other}` is not corrected, confirmed or unverifiable"),
            };
            let d = disputes::resolve(&mut store, id, outcome, &actor)?;
            println!(
                "dispute {id} answered ({}) on {}:",
                d.outcome.unwrap_or_default(),
                d.resolved_on.map(|x| x.to_string()).unwrap_or_default()
            );
            println!("  {}", d.answer.unwrap_or_default());
        }
        DisputeWhat::List => {
            let open = disputes::open_disputes(&mut store)?;
            if open.is_empty() {
                println!("no open disputes");
            }
            for (d, left) in open {
                let alert = if left < 0 {
                    "  LATE"
                } else if left <= arrears_app::disputes::ALERT_DAYS {
                    "  DUE SOON"
                } else {
                    ""
                };
                println!(
                    "{:>5}  loan {:<8} opened {} by {} ({})  due {} ({left} days){alert}  {}{}",
                    d.id,
                    d.loan_seq,
                    d.opened_on,
                    d.opened_by,
                    d.channel,
                    d.deadline,
                    d.month.map(|m| format!("[{m}] ")).unwrap_or_default(),
                    d.reason
                );
            }
        }
    }
    Ok(())
}

pub fn run(db: &str, what: CreditWhat) -> Result<()> {
    match what {
        CreditWhat::Furnish {
            month,
            pack: Pack::Us,
            out,
            furnisher_id,
            furnisher_name,
            furnisher_address,
            furnisher_phone,
            ..
        } => {
            let furnisher = arrears_app::metro2::Furnisher {
                id: furnisher_id.context("--furnisher-id: a Metro 2 file names the lender's identification number")?,
                name: furnisher_name.context("--furnisher-name: a Metro 2 header names the lender")?,
                address: furnisher_address,
                phone: furnisher_phone,
            };
            let mut store = arrears_app::open(db)?;
            let us = arrears_app::metro2::furnish_us(&mut store, &month, &furnisher)?;
            crate::write_whole(&out, us.text.as_bytes())?;
            us.furnishing.commit(&mut store)?;
            println!(
                "{} accounts furnished for {month} to {} (Metro 2, 426-character records)",
                us.furnishing.report.written,
                out.display()
            );
            if !us.missing_identity.is_empty() {
                println!(
                    "  {} accounts left out: no identity on file for their borrower (arrears import identities FILE): {}",
                    us.missing_identity.len(),
                    us.missing_identity.join(", ")
                );
            }
            for (loan, due) in &us.notices_due {
                println!("  {loan}: first negative information furnished; the borrower must be sent the notice by {due} (FCRA 623(a)(7))");
            }
        }
        CreditWhat::Furnish { month, format, out, .. } => {
            let mut store = arrears_app::open(db)?;
            // Written beside the target and moved into place only when complete, so a refused
            // or failed run leaves any earlier file as it was; the run is recorded after that.
            let partial = out.with_extension("partial");
            let file = std::fs::File::create(&partial).with_context(|| format!("--out: cannot write {}", partial.display()))?;
            let writer = std::io::BufWriter::new(file);
            let written = match format {
                FurnishFormat::Jsonl => arrears_app::bureau::furnish_china(&mut store, &month, &mut JsonLines::new(writer)),
                FurnishFormat::Csv => arrears_app::bureau::furnish_china(&mut store, &month, &mut Csv::new(writer)),
            };
            let furnishing = match written {
                Ok(f) => f,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e.into());
                }
            };
            std::fs::rename(&partial, &out).with_context(|| format!("--out: cannot move the file into {}", out.display()))?;
            furnishing.commit(&mut store)?;
            let report = furnishing.report;
            println!("{} accounts furnished for {month} to {} ({})", report.written, out.display(), arrears_bureau::FORMAT);
            if report.withheld > 0 {
                println!(
                    "  {} records held back: they would be the loan's first negative information and the borrower has not been sent a credit-report notice in time",
                    report.withheld
                );
            }
        }
        CreditWhat::History { loan } => {
            let mut store = arrears_app::open(db)?;
            let view = arrears_app::bureau::history(&mut store, &loan)?;
            println!("credit history of {loan}: the month-end record furnishing reports from, month by month (oldest first)");
            println!("  {}", view.months.iter().map(|(m, c)| format!("{m} {}", c.char())).collect::<Vec<_>>().join("  "));
            if !view.furnished.is_empty() {
                let sent: Vec<String> = view
                    .furnished
                    .iter()
                    .map(
                        |(m, (code, held))| {
                            if *held {
                                format!("{m} held back (no notice yet)")
                            } else {
                                format!("{m} reported {code}")
                            }
                        },
                    )
                    .collect();
                println!("furnished to the credit bureau: {}", sent.join("; "));
            }
            if view.marks.is_empty() {
                println!("no negative marks.");
            }
            for m in &view.marks {
                let when = match &m.ages_out {
                    Some(a) => format!(
                        "ended {}; it leaves the report in {a} ({} years after it ended)",
                        m.ended.as_deref().unwrap_or(""),
                        view.mark_years
                    ),
                    None => format!("still overdue: it leaves the report {} years after it is paid", view.mark_years),
                };
                println!("  negative mark {} to {} (worst {}): {when}", m.from, m.to, m.worst);
            }
            println!("what helps: pay what is overdue (the mark then starts to age); ask for a repayment certificate once paid; dispute a record that is wrong (arrears dispute open); add a personal statement to your report.");
            println!(
                "no one can lawfully delete a true record for a fee: offers to \"repair\" a credit report for money are scams."
            );
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

#[derive(Debug, Subcommand)]
pub enum ComplaintWhat {
    /// File a complaint.
    Open {
        /// collection-conduct, fees, reporting, privacy or other.
        #[arg(long)]
        category: String,
        #[arg(long)]
        description: String,
        /// phone, portal, api, letter, email, in-person or regulator.
        #[arg(long, default_value = "phone")]
        channel: String,
        #[arg(long)]
        loan: Option<String>,
        #[arg(long)]
        borrower: Option<String>,
        /// A contact the complaint concerns (repeat for more).
        #[arg(long)]
        contact: Vec<String>,
        /// A complex case: the longer deadline (30 days by default).
        #[arg(long)]
        complex: bool,
        #[arg(long, default_value = "staff")]
        actor: String,
    },
    Assign {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "supervisor")]
        actor: String,
    },
    Reply {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "staff")]
        actor: String,
    },
    /// The month's complaints for the regulator: received by category, answered in time or
    /// late, still open.
    Stats {
        #[arg(long)]
        month: String,
    },
}

pub fn complaint(db: &str, what: ComplaintWhat) -> Result<()> {
    use arrears_app::complaints::{self, Filing};
    let mut store = arrears_app::open(db)?;
    match what {
        ComplaintWhat::Open { category, description, channel, loan, borrower, contact, complex, actor } => {
            let f = Filing {
                category: &category,
                channel: &channel,
                description: &description,
                complex,
                loan_no: loan.as_deref(),
                borrower_id: borrower.as_deref(),
                contacts: contact,
                actor: &actor,
            };
            let id = complaints::open(&mut store, &f)?;
            let c = store.read(|tx| tx.complaint(id))?.context("the complaint just filed")?;
            println!("complaint {id} filed ({}); reply due by {}", c.category, c.deadline);
        }
        ComplaintWhat::Assign { id, to, actor } => {
            complaints::assign(&mut store, id, &to, &actor)?;
            println!("complaint {id} assigned to {to}");
        }
        ComplaintWhat::Reply { id, text, actor } => {
            let c = complaints::reply(&mut store, id, &text, &actor)?;
            let when = c.replied_on.map(|d| d.to_string()).unwrap_or_default();
            let timing = if c.replied_on.is_some_and(|d| d <= c.deadline) { "in time" } else { "LATE" };
            println!("complaint {id} answered on {when} ({timing}; due {})", c.deadline);
        }
        ComplaintWhat::Stats { month } => {
            let s = complaints::stats(&mut store, &month)?;
            println!("complaints {month}: {}", s.timeliness.summary());
            for (c, n) in &s.by_category {
                println!("  {c:<20} {n:>5}");
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub enum ReportWhat {
    /// The month's report for the regulator: classification and overdue buckets at the month's
    /// end, the month's write-offs and recoveries, complaints and disputes with their timeliness.
    Regulator {
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Where the XLSX goes (required with --format xlsx).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn report(db: &str, what: ReportWhat) -> Result<()> {
    let ReportWhat::Regulator { month, format, out } = what;
    let mut store = arrears_app::open(db)?;
    let r = arrears_app::regulator::report(&mut store, &month)?;
    let money = |fen: i64| arrears_core::Amount(fen).to_string();
    match format {
        ReportFormat::Table => {
            println!("regulator report {}", r.month);
            for (title, rows) in [("five-category classification", &r.classes), ("overdue buckets", &r.buckets)] {
                println!("{title}:");
                for t in rows.iter() {
                    println!(
                        "  {:<18} {:>8} loans  balance {:>16}  overdue {:>14}",
                        t.group,
                        t.loans,
                        money(t.balance),
                        money(t.overdue)
                    );
                }
            }
            println!("write-offs and recoveries in the month:");
            if r.write_offs.is_empty() {
                println!("  none");
            }
            for w in &r.write_offs {
                println!(
                    "  {} {:>8} loans written off {:>16}  recovered {:>14}",
                    w.currency,
                    w.loans,
                    money(w.written_off),
                    money(w.recovered)
                );
            }
            println!("complaints: {}", r.complaints.timeliness.summary());
            println!("disputes: {}", r.disputes.summary());
        }
        ReportFormat::Json => {
            let rows = |v: &[arrears_store::MonthTotal]| -> Vec<serde_json::Value> {
                v.iter()
                    .map(|t| serde_json::json!({"group": t.group, "loans": t.loans, "balance": money(t.balance), "overdue": money(t.overdue)}))
                    .collect()
            };
            let mut complaints = serde_json::to_value(r.complaints.timeliness)?;
            complaints["by_category"] = serde_json::to_value(&r.complaints.by_category)?;
            let write_offs: Vec<serde_json::Value> = r
                .write_offs
                .iter()
                .map(|w| serde_json::json!({"currency": w.currency, "loans": w.loans, "written_off": money(w.written_off), "recovered": money(w.recovered)}))
                .collect();
            let doc = serde_json::json!({
                "month": r.month, "classes": rows(&r.classes), "buckets": rows(&r.buckets),
                "write_offs": write_offs, "complaints": complaints, "disputes": r.disputes,
            });
            println!("{}", serde_json::to_string(&doc)?);
        }
        ReportFormat::Xlsx => {
            let out = out.context("--out: an XLSX report goes to a file")?;
            write_xlsx(&r, &out)?;
            println!("regulator report {} written to {}", r.month, out.display());
        }
    }
    Ok(())
}

/// The report as a workbook: one sheet per part; amounts as numbers with two decimals.
fn write_xlsx(r: &arrears_app::regulator::RegulatorReport, path: &std::path::Path) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let amount = Format::new().set_num_format("#,##0.00");
    for (name, rows) in [("Classification", &r.classes), ("Buckets", &r.buckets)] {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        for (col, head) in ["group", "loans", "balance", "overdue"].iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *head, &bold)?;
        }
        for (i, t) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, &t.group)?;
            sheet.write_number(row, 1, t.loans as f64)?;
            // Display only: the exact amounts are integers of fen; a spreadsheet cell is a float.
            sheet.write_number_with_format(row, 2, t.balance as f64 / 100.0, &amount)?;
            sheet.write_number_with_format(row, 3, t.overdue as f64 / 100.0, &amount)?;
        }
    }
    let sheet = book.add_worksheet();
    sheet.set_name("Write-offs")?;
    for (col, head) in ["currency", "loans written off", "written off", "recovered"].iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *head, &bold)?;
    }
    for (i, w) in r.write_offs.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &w.currency)?;
        sheet.write_number(row, 1, w.loans as f64)?;
        sheet.write_number_with_format(row, 2, w.written_off as f64 / 100.0, &amount)?;
        sheet.write_number_with_format(row, 3, w.recovered as f64 / 100.0, &amount)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("Complaints and disputes")?;
    for (col, head) in ["", "received", "answered in time", "answered late", "open", "open past deadline"].iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *head, &bold)?;
    }
    let c = &r.complaints;
    let lines = [("complaints", c.timeliness.values()), ("disputes", r.disputes.values())];
    for (i, (name, values)) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, *name)?;
        for (k, v) in values.iter().enumerate() {
            sheet.write_number(row, k as u16 + 1, *v as f64)?;
        }
    }
    for (i, (category, n)) in c.by_category.iter().enumerate() {
        let row = i as u32 + 4;
        sheet.write_string(row, 0, format!("complaints: {category}"))?;
        sheet.write_number(row, 1, *n as f64)?;
    }
    book.save(path).with_context(|| format!("--out: cannot write {}", path.display()))?;
    Ok(())
}
