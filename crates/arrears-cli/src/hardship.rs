//! Hardship commands: requests, proposals, decisions, the borrower's acceptance, and a loan's
//! requests with the comparison the borrower is shown; and the staff list the decisions check.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arrears_app::hardship::{self, Comparison, Filing, Proposal};
use arrears_core::{PenaltyTreatment, Rate, Relief};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum HardshipWhat {
    /// File a request for relief (submitted).
    Request {
        #[arg(long)]
        loan: String,
        /// job-loss, illness, business-failure, family-emergency or other.
        #[arg(long)]
        reason: String,
        /// The monthly income the borrower declares.
        #[arg(long)]
        income: String,
        /// The borrower's essential monthly expenses.
        #[arg(long)]
        expenses: String,
        /// extension, plan, restructure or settlement.
        #[arg(long)]
        wants: String,
        #[arg(long, default_value = "")]
        details: String,
        /// A file of evidence (repeat for more); recorded by name.
        #[arg(long)]
        evidence: Vec<PathBuf>,
        /// phone, portal, api, letter, email or in-person.
        #[arg(long, default_value = "phone")]
        channel: String,
        /// The borrower, or the agent filing for them.
        #[arg(long)]
        by: String,
    },
    /// Propose a relief (the maker). Without --kind, the affordability calculator proposes
    /// what the borrower asked for: the shortest plan whose payment fits the declared income,
    /// a three-month extension, or (with --settle-amount) a settlement.
    Propose {
        #[arg(long)]
        request: i64,
        /// extension, plan, restructure or settlement.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        months: Option<u32>,
        /// waive, freeze or capitalise (plans and restructurings; default freeze).
        #[arg(long, default_value = "freeze")]
        penalty: String,
        /// For a restructuring: the new yearly rate, percent.
        #[arg(long)]
        rate: Option<String>,
        /// For an extension: no interest for the added months.
        #[arg(long)]
        free: bool,
        /// For a settlement: what the borrower pays.
        #[arg(long)]
        settle_amount: Option<String>,
        #[arg(long)]
        by: String,
    },
    /// Approve the proposal (the checker: not who proposed it; a supervisor above the threshold).
    Approve {
        #[arg(long)]
        request: i64,
        #[arg(long)]
        by: String,
    },
    /// Reject the request, with the reason the borrower is given.
    Reject {
        #[arg(long)]
        request: i64,
        #[arg(long)]
        note: String,
        #[arg(long)]
        by: String,
    },
    /// The borrower accepts the approved relief: it is made on the loan on the open day.
    Accept {
        #[arg(long)]
        request: i64,
        #[arg(long)]
        by: String,
    },
    /// A loan's requests, and for the one under review or in force, the comparison.
    Show {
        #[arg(long)]
        loan: String,
    },
}

fn relief_of(kind: &str, months: Option<u32>, penalty: &str, rate: Option<&str>, free: bool) -> Result<Relief> {
    let penalty =
        PenaltyTreatment::parse(penalty).with_context(|| format!("--penalty: `{penalty}` is not waive, freeze or capitalise"))?;
    let months_or = |default: u32| months.unwrap_or(default);
    Ok(match kind {
        "extension" => Relief::Extension { months: months_or(3), with_interest: !free },
        "plan" => Relief::Plan { months: months.context("--months: a plan says over how many months")?, penalty },
        "restructure" => Relief::Restructure {
            // No term: the calculator finds the shortest that fits.
            months: months_or(0),
            annual_rate: Rate::parse_percent(rate.context("--rate: a restructuring sets its new rate")?).context("--rate")?,
            penalty,
        },
        "settlement" => Relief::Settlement,
        other => anyhow::bail!("--kind: `{other}` is not extension, plan, restructure or settlement"),
    })
}

fn print_comparison(c: &Comparison) {
    println!("  relief: {}", serde_json::to_string(&c.relief).unwrap_or_default());
    for (en, zh) in c.words_en.iter().zip(&c.words_zh) {
        println!("  {en}");
        println!("  {zh}");
    }
}

pub fn run(db: &str, what: HardshipWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        HardshipWhat::Request { loan, reason, income, expenses, wants, details, evidence, channel, by } => {
            let evidence: Vec<String> = evidence.iter().map(|p| p.display().to_string()).collect();
            let f = Filing {
                loan_no: &loan,
                filed_by: &by,
                channel: &channel,
                reason: &reason,
                details: &details,
                monthly_income: crate::parse_amount("income", &income)?,
                monthly_expenses: crate::parse_amount("expenses", &expenses)?,
                evidence,
                wanted: &wants,
            };
            let id = hardship::file(&mut store, &f)?;
            println!(
                "hardship request {id} filed on {loan}: {wants} wanted ({reason}); next: arrears hardship propose --request {id}"
            );
        }
        HardshipWhat::Propose { request, kind, months, penalty, rate, free, settle_amount, by } => {
            let relief = kind.as_deref().map(|k| relief_of(k, months, &penalty, rate.as_deref(), free)).transpose()?;
            let settle_amount = settle_amount.map(|a| crate::parse_amount("settle-amount", &a)).transpose()?;
            let c = hardship::propose(&mut store, request, Proposal { relief, settle_amount }, &by)?;
            println!("request {request}: proposed by {by}, under review; another person approves it");
            print_comparison(&c);
        }
        HardshipWhat::Approve { request, by } => {
            hardship::approve(&mut store, request, &by)?;
            println!("request {request}: approved by {by}; the borrower accepts it next");
        }
        HardshipWhat::Reject { request, note, by } => {
            hardship::reject(&mut store, request, &note, &by)?;
            println!("request {request}: rejected by {by}: {note}");
        }
        HardshipWhat::Accept { request, by } => {
            let c = hardship::accept(&mut store, request, &by)?;
            println!("request {request}: accepted by {by}; the relief is made on the loan");
            print_comparison(&c);
        }
        HardshipWhat::Show { loan } => {
            let (record, requests) = hardship::of_loan(&mut store, &loan)?;
            if requests.is_empty() {
                println!("{loan}: no hardship requests");
            }
            for h in &requests {
                println!(
                    "request {} filed {} by {} ({}): {} wanted, {}; income {} expenses {} a month; {}",
                    h.id,
                    h.filed_on,
                    h.filed_by,
                    h.reason,
                    h.wanted,
                    h.status,
                    arrears_core::Amount(h.monthly_income),
                    arrears_core::Amount(h.monthly_expenses),
                    [
                        h.proposed_by.as_ref().map(|p| format!("proposed by {p}")),
                        h.decided_by.as_ref().map(|p| format!("decided by {p}")),
                        h.decision_note.as_ref().map(|n| format!("\"{n}\"")),
                        h.accepted_on.map(|d| format!("accepted {d}")),
                        h.ended_on.map(|d| format!("ended {d}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
                );
            }
            if let Some(open) = requests.iter().rev().find(|h| ["under-review", "approved"].contains(&h.status.as_str())) {
                if let Some(c) = hardship::comparison_of(&mut store, open.id)? {
                    println!("request {} as proposed, on the loan as it stands today:", open.id);
                    print_comparison(&c);
                }
            }
            for r in &record.state.reliefs {
                println!("  made on {} after {} payments: {}", r.date, r.after_payments, serde_json::to_string(&r.relief)?);
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum StaffWhat {
    /// Add a member of staff, or change their role: agent, supervisor, hardship-officer,
    /// legal-officer, compliance-officer or admin.
    Add {
        name: String,
        #[arg(long)]
        role: String,
    },
    /// Set the web login password of a member of staff: read from ARREARS_PASSWORD or the
    /// first line of standard input (never an argument, which others can see). Ends their
    /// sessions.
    Password {
        name: String,
        #[arg(long)]
        by: String,
    },
    /// Make a key for another system to call the JSON API (`Authorization: Bearer KEY`),
    /// printed once; only its hash is kept. Needs an admin.
    ApiKey {
        /// The system's name, as `core-banking`.
        name: String,
        #[arg(long)]
        by: String,
    },
    /// Revoke an API key: it opens nothing from now on.
    RevokeApiKey {
        name: String,
        #[arg(long)]
        by: String,
    },
    /// The API keys: who made each, and which are revoked.
    ApiKeys,
}

pub fn staff(db: &str, what: StaffWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        StaffWhat::Add { name, role } => {
            hardship::add_staff(&mut store, &name, &role)?;
            println!("{name} is {role}");
        }
        StaffWhat::Password { name, by } => {
            let password = match std::env::var("ARREARS_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            arrears_app::auth::set_password(&mut store, &name, &password, &by)?;
            println!("{name}'s password is set; their sessions were ended");
        }
        StaffWhat::ApiKey { name, by } => {
            let key = arrears_app::auth::create_api_key(&mut store, &name, &by, now())?;
            println!("{key}");
            eprintln!("the API key of {name}: shown this once, keep it secret");
        }
        StaffWhat::RevokeApiKey { name, by } => {
            arrears_app::auth::revoke_api_key(&mut store, &name, &by, now())?;
            println!("{name}'s API key is revoked");
        }
        StaffWhat::ApiKeys => {
            for k in store.read(|tx| tx.api_keys())? {
                let state = match (&k.revoked_by, k.revoked_at) {
                    (Some(by), Some(at)) => format!("revoked by {by} on {}", utc(at)),
                    _ => "live".to_owned(),
                };
                println!("{}\tmade by {} on {}\t{state}", k.name, k.created_by, utc(k.created_at));
            }
        }
    }
    Ok(())
}

/// Seconds since 1970 as `2026-11-30 01:22 UTC`.
fn utc(seconds: i64) -> String {
    let minutes = seconds.rem_euclid(86_400) / 60;
    let day = arrears_core::Date::from_days_since_epoch(seconds.div_euclid(86_400) as i32);
    format!("{day} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}

/// The clock in seconds since 1970, for logins and keys (not a business date).
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
