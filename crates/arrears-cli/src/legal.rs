//! Legal commands: the court's fees, a loan's claim and limitation period, litigation
//! candidates, cases through their stages, letters and complaint drafts as PDF, evidence
//! bundles; and certificates.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrears_app::documents::{self, LetterKind};
use arrears_app::legal::{self, Step};
use arrears_docs::Lang;
use arrears_legal::{bundle, Procedure};
use clap::Subcommand;

/// Where certificates' QR codes send a reader: the server's public check, `…/verify/CODE`.
const VERIFY_URL: &str = "http://127.0.0.1:8080/verify";

#[derive(Debug, Subcommand)]
pub enum LegalWhat {
    /// The court's acceptance fee of a property claim (诉讼费用交纳办法 art. 13).
    CourtFee {
        #[arg(long)]
        claim: String,
        /// ordinary, summary, mediation or payment-order.
        #[arg(long, default_value = "ordinary")]
        procedure: String,
    },
    /// What the loan's creditor claims on a day, and the court fee.
    Claim {
        #[arg(long)]
        loan: String,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, default_value = "ordinary")]
        procedure: String,
        /// table or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// The loan's limitation period: when it runs from and ends.
    Limitation {
        #[arg(long)]
        loan: String,
    },
    /// Litigation candidates on the open day, with why.
    Candidates,
    /// A new Ed25519 signing key for evidence bundles, written to FILE (keep it secret); prints
    /// its public key, which verifiers check bundles against.
    Keygen {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The loan's evidence bundle: its files, each SHA-256 in a manifest signed with the key.
    Bundle {
        #[arg(long)]
        loan: String,
        #[arg(long)]
        out: std::path::PathBuf,
        /// The signing key file (from `legal keygen`).
        #[arg(long, env = "ARREARS_SIGNING_KEY")]
        key: std::path::PathBuf,
        /// The claim's date (default: the open day).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// A demand letter (催收函) or a lawyer's letter draft (律师函) as PDF, from the claim on
    /// the open day; kept on the loan for its evidence bundle.
    Letter {
        #[arg(long)]
        loan: String,
        /// demand or lawyer.
        #[arg(long, default_value = "demand")]
        kind: String,
        /// zh or en (default: the borrower's language).
        #[arg(long)]
        lang: Option<String>,
        /// Days the borrower is given to pay.
        #[arg(long, default_value_t = 15)]
        pay_within: u32,
        #[arg(long)]
        by: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// A complaint draft (民事起诉状) with the claim table as PDF, for the loan's open case;
    /// kept on the loan.
    Complaint {
        #[arg(long)]
        loan: String,
        #[arg(long)]
        lang: Option<String>,
        #[arg(long, default_value = "ordinary")]
        procedure: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The documents kept on a loan, with their SHA-256.
    Documents {
        #[arg(long)]
        loan: String,
    },
    /// Verify a bundle: every file present, unaltered and listed, the manifest signed (by the
    /// lender's public key, when given).
    Verify {
        file: std::path::PathBuf,
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Cases: open one, move it forward, show a loan's.
    Case {
        #[command(subcommand)]
        what: CaseWhat,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaseWhat {
    Open {
        #[arg(long)]
        loan: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        by: String,
    },
    /// Move a case to demand-letter, filed (with --court and --case-no), mediation, judgment
    /// (with --amount and --perform-by), enforcement or closed.
    Advance {
        #[arg(long)]
        case: i64,
        #[arg(long)]
        to: String,
        #[arg(long)]
        court: Option<String>,
        #[arg(long)]
        case_no: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        #[arg(long)]
        perform_by: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        by: String,
    },
    Show {
        #[arg(long)]
        loan: String,
    },
}

fn lang(text: Option<&str>) -> Result<Option<Lang>> {
    text.map(|t| Lang::parse(t).with_context(|| format!("--lang: `{t}` is not zh or en"))).transpose()
}

fn procedure(text: &str) -> Result<Procedure> {
    Procedure::parse(text).with_context(|| format!("--procedure: `{text}` is not ordinary, summary, mediation or payment-order"))
}

fn lender(config: Option<&Path>) -> Result<arrears_collect::Lender> {
    Ok(crate::desk::load_config(config)?.lender)
}

pub fn run(db: &str, config: Option<&Path>, what: LegalWhat) -> Result<()> {
    match &what {
        LegalWhat::CourtFee { claim, procedure: p } => {
            let amount = crate::parse_amount("claim", claim)?;
            let fee = arrears_legal::acceptance_fee(amount, procedure(p)?);
            println!("{fee}");
            return Ok(());
        }
        LegalWhat::Keygen { out } => {
            if out.exists() {
                anyhow::bail!("--out: {} exists; a signing key is never overwritten", out.display());
            }
            let key = bundle::new_key()?;
            std::fs::write(out, format!("{key}\n")).with_context(|| format!("--out: cannot write {}", out.display()))?;
            println!("signing key written to {}; its public key: {}", out.display(), bundle::public_key(&key)?);
            return Ok(());
        }
        LegalWhat::Verify { file, public_key } => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let m = bundle::verify(&bytes, public_key.as_deref()).with_context(|| file.display().to_string())?;
            println!(
                "{}: genuine; {} files of loan {} ({}), every SHA-256 matches, signed by {}",
                file.display(),
                m.files.len(),
                m.loan,
                m.created,
                m.public_key
            );
            return Ok(());
        }
        _ => {}
    }
    let mut store = arrears_app::open(db)?;
    match what {
        LegalWhat::CourtFee { .. } | LegalWhat::Keygen { .. } | LegalWhat::Verify { .. } => unreachable!("answered above"),
        LegalWhat::Bundle { loan, out, key, as_of } => {
            let key_hex = std::fs::read_to_string(&key).with_context(|| format!("--key: cannot read {}", key.display()))?;
            let as_of = as_of.map(|d| crate::parse_date("as-of", &d)).transpose()?;
            let public_key = bundle::public_key(key_hex.trim())?;
            let (date, files) = arrears_app::evidence::files(&mut store, &lender(config)?, &loan, as_of, &public_key)?;
            let bytes = bundle::pack(&loan, date, &files, key_hex.trim())?;
            crate::write_whole(&out, &bytes)?;
            println!(
                "evidence bundle of {loan} written to {}: {} files with index.pdf, the manifest signed by {public_key}",
                out.display(),
                files.len(),
            );
        }
        LegalWhat::Letter { loan, kind, lang: l, pay_within, by, out } => {
            let kind = match kind.as_str() {
                "demand" => LetterKind::Demand,
                "lawyer" => LetterKind::Lawyer,
                other => anyhow::bail!("--kind: `{other}` is not demand or lawyer"),
            };
            let made = documents::letter(&mut store, &lender(config)?, &loan, kind, lang(l.as_deref())?, pay_within, &by)?;
            saved(&made, &out)?;
        }
        LegalWhat::Complaint { loan, lang: l, procedure: p, by, out } => {
            let made = documents::complaint(&mut store, &lender(config)?, &loan, lang(l.as_deref())?, procedure(&p)?, &by)?;
            saved(&made, &out)?;
        }
        LegalWhat::Documents { loan } => {
            let kept = documents::kept(&mut store, &loan, false)?;
            if kept.is_empty() {
                println!("no documents kept on {loan}");
            }
            for (name, d) in kept {
                println!(
                    "{name:<40} {} by {:<18} case {:<5} sha256 {}",
                    d.made_on,
                    d.made_by,
                    d.case_id.map_or("-".into(), |c| c.to_string()),
                    d.sha256
                );
            }
        }
        LegalWhat::Claim { loan, as_of, procedure: p, format } => {
            let json = match format.as_str() {
                "json" => true,
                "table" => false,
                other => anyhow::bail!("--format: `{other}` is not table or json"),
            };
            let as_of = as_of.map(|d| crate::parse_date("as-of", &d)).transpose()?;
            let c = legal::claim(&mut store, &loan, as_of, procedure(&p)?)?;
            if json {
                let o = &c.owed;
                let doc = serde_json::json!({
                    "loan": c.loan_no, "as_of": c.as_of.to_string(), "currency": c.currency,
                    "principal_lent": c.principal_lent.to_string(),
                    "principal": o.principal.to_string(), "interest": o.interest.to_string(),
                    "interest_to_date": c.interest_to_date.to_string(), "penalty": o.penalty.to_string(),
                    "compound": o.compound.to_string(), "fees": o.fee.to_string(), "paid": c.paid.to_string(),
                    "total": c.total.to_string(), "procedure": c.procedure.code(), "court_fee": c.court_fee.to_string(),
                    "late_performance_interest": c.late_performance_interest.to_string(),
                });
                println!("{doc}");
            } else {
                println!("claim on {} as of {} ({}):", c.loan_no, c.as_of, c.currency);
                println!("  principal lent       {:>14}", c.principal_lent);
                println!("  paid so far          {:>14}", c.paid);
                println!("  principal owed       {:>14}", c.owed.principal);
                println!("  interest owed        {:>14}   (of which to the day {})", c.owed.interest, c.interest_to_date);
                println!("  penalty interest     {:>14}", c.owed.penalty);
                println!("  compound interest    {:>14}", c.owed.compound);
                println!("  fees                 {:>14}", c.owed.fee);
                println!("  claim                {:>14}", c.total);
                println!("  court acceptance fee {:>14}   ({} procedure)", c.court_fee, c.procedure.code());
                if !c.late_performance_interest.is_zero() {
                    println!("  late-performance interest on the judgment {:>14}", c.late_performance_interest);
                }
            }
        }
        LegalWhat::Limitation { loan } => {
            let l = legal::limitation(&mut store, &loan)?;
            let from = if l.restarted {
                "its last restart (a demand, a payment, a promise or a suit)"
            } else {
                "the last installment's due date"
            };
            println!("{loan}: the limitation period runs from {} ({from}) and ends on {}", l.runs_from, l.expires);
            if l.time_barred {
                println!("  time-barred: it is never sued or threatened with suit");
            } else if let Some(a) = l.alert {
                println!("  ALERT: {} days left (within {a})", l.days_left);
            }
        }
        LegalWhat::Candidates => {
            let list = legal::candidates(&mut store)?;
            if list.is_empty() {
                println!("no litigation candidates");
            }
            for c in &list {
                println!(
                    "{:<12} {:>5} DPD {:>14} {} owed  limitation ends {}  {}",
                    c.loan_no,
                    c.dpd,
                    c.owed,
                    c.currency,
                    c.limitation_expires,
                    c.reasons.join("; ")
                );
            }
        }
        LegalWhat::Case { what } => case(&mut store, what)?,
    }
    Ok(())
}

fn saved(made: &documents::Made, out: &Path) -> Result<()> {
    crate::write_whole(out, &made.pdf)?;
    println!(
        "{} ({}, {} page{}) written to {}; kept on the loan as {} (sha256 {})",
        made.kind,
        made.lang.code(),
        made.pages,
        if made.pages == 1 { "" } else { "s" },
        out.display(),
        made.file_name(),
        made.sha256
    );
    Ok(())
}

fn case(store: &mut arrears_store::Store, what: CaseWhat) -> Result<()> {
    match what {
        CaseWhat::Open { loan, note, by } => {
            let id = legal::open_case(store, &loan, &by, &note)?;
            println!("case {id} opened on {loan}");
        }
        CaseWhat::Advance { case, to, court, case_no, amount, perform_by, note, by } => {
            let step = Step {
                court: court.as_deref(),
                case_no: case_no.as_deref(),
                judgment_amount: amount.map(|a| crate::parse_amount("amount", &a)).transpose()?,
                perform_by: perform_by.map(|d| crate::parse_date("perform-by", &d)).transpose()?,
                note: &note,
            };
            let c = legal::advance(store, case, &to, &step, &by)?;
            println!("case {case} is now {}", c.stage);
        }
        CaseWhat::Show { loan } => {
            for (c, steps) in legal::cases(store, &loan)? {
                println!(
                    "case {} on {loan}: {}{}{}",
                    c.id,
                    c.stage,
                    c.court.as_ref().map(|x| format!(", {x}")).unwrap_or_default(),
                    c.case_no.as_ref().map(|x| format!(" ({x})")).unwrap_or_default()
                );
                for s in steps {
                    println!(
                        "  {} {:<14} by {}{}",
                        s.on_date,
                        s.stage,
                        s.actor,
                        if s.note.is_empty() { String::new() } else { format!(": {}", s.note) }
                    );
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum CertificateWhat {
    /// Issue a certificate: settlement (结清证明, a loan paid off) or repayment (还款证明, what
    /// was paid by today); prints its verification code, and with --out writes its PDF.
    Issue {
        #[arg(long)]
        loan: String,
        #[arg(long, default_value = "settlement")]
        kind: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// zh or en (default: the borrower's language).
        #[arg(long)]
        lang: Option<String>,
        /// The public check its QR code points at; the code is added to it.
        #[arg(long, env = "ARREARS_VERIFY_URL", default_value = VERIFY_URL)]
        verify_url: String,
    },
    /// The PDF of a certificate issued, with its verification code and QR code.
    Pdf {
        code: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        lang: Option<String>,
        #[arg(long, env = "ARREARS_VERIFY_URL", default_value = VERIFY_URL)]
        verify_url: String,
    },
    /// Whether a verification code (or the address its QR code holds) belongs to a genuine
    /// certificate, and what it certifies.
    Verify { code: String },
}

pub fn certificate(db: &str, config: Option<&Path>, what: CertificateWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let pdf = |store: &mut arrears_store::Store, code: &str, out: &Path, l: Option<&str>, url: &str| -> Result<()> {
        let (c, pdf) = documents::certificate(store, &lender(config)?, code, lang(l)?, url)?;
        crate::write_whole(out, &pdf.bytes)?;
        println!("{} certificate {} written to {}", c.kind, c.code, out.display());
        Ok(())
    };
    match what {
        CertificateWhat::Issue { loan, kind, by, out, lang: l, verify_url } => {
            lang(l.as_deref())?;
            let c = arrears_app::certificates::issue(&mut store, &loan, &kind, &by)?;
            println!("{} certificate for {loan} issued on {}; verification code {}", c.kind, c.issued_on, c.code);
            println!("  {}", c.statement.words_en);
            println!("  {}", c.statement.words_zh);
            if let Some(out) = out {
                pdf(&mut store, &c.code, &out, l.as_deref(), &verify_url)?;
            }
        }
        CertificateWhat::Pdf { code, out, lang: l, verify_url } => pdf(&mut store, &code, &out, l.as_deref(), &verify_url)?,
        CertificateWhat::Verify { code } => match arrears_app::certificates::verify(&mut store, &code)? {
            Some(c) => {
                println!("genuine: a {} certificate issued on {} for loan {}", c.kind, c.issued_on, c.statement.loan);
                println!("  {}", c.statement.words_en);
                println!("  {}", c.statement.words_zh);
            }
            None => anyhow::bail!("code: `{code}` is not the code of any certificate issued: it is not genuine"),
        },
    }
    Ok(())
}
