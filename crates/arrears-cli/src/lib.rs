//! The `arrears` command line: argument parsing, progress bars and output formats. Every
//! command calls a use case of `arrears-app`; nothing here decides about money.

mod bench;
mod bureau;
mod desk;
mod hardship;
mod legal;
mod render;
mod render_desk;
mod risk;
mod writeoff;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use arrears_app::demo::{self, DemoOptions};
use arrears_app::eod::{self, EodOptions};
use arrears_app::import::{self, ImportReport};
use arrears_app::service;
use arrears_core::{Amount, Date, DayCount, LoanTerms, ProductRules, Rate, RepaymentMethod, TermsInput};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "arrears",
    version,
    about = "Post-loan and overdue-loan management: servicing, the nightly batch, payments and the loan book"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "ARREARS_DB", default_value = "sqlite://arrears.db")]
    db: String,
    /// Collection configuration directory (templates.toml, strategy*.toml, lender.toml,
    /// packs/cn.toml, packs/us.toml; each optional); what ships with Arrears by default.
    #[arg(long, global = true, env = "ARREARS_CONFIG")]
    config: Option<PathBuf>,
    /// Delivery channels file ([smtp], [sms], files = DIR); without it every channel writes
    /// JSON Lines files to --outbox-dir.
    #[arg(long, global = true, env = "ARREARS_CHANNELS")]
    channels: Option<PathBuf>,
    /// Where messages of channels without a provider are written.
    #[arg(long, global = true, env = "ARREARS_OUTBOX_DIR", default_value = "outbox")]
    outbox_dir: PathBuf,
    /// The early-warning model the batch scores with at month end; the shipped boosted trees
    /// (models/gbdt.json) by default.
    #[arg(long, global = true, env = "ARREARS_RISK_MODEL")]
    risk_model: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Formats of the commands whose output is one document, not rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or migrate the database and add the default products.
    Init,
    /// Print a repayment schedule (no database needed).
    Schedule {
        /// Principal, for example 10000.00.
        #[arg(long, allow_hyphen_values = true)]
        principal: String,
        /// Annual rate in percent, for example 7.2.
        #[arg(long, allow_hyphen_values = true)]
        annual_rate: String,
        #[arg(long, allow_hyphen_values = true)]
        term_months: String,
        /// annuity (等额本息), equal-principal (等额本金), interest-only (先息后本) or bullet.
        #[arg(long)]
        method: String,
        /// Disbursement date, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// First due date; one month after the start by default.
        #[arg(long)]
        first_due: Option<String>,
        /// act365f, act360 or 30-360: governs broken first periods and bullet loans.
        #[arg(long, default_value = "act365f")]
        day_count: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Post a payment. The same --key twice posts once.
    Pay {
        #[arg(long)]
        loan: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Value date; the open business day by default (a retry without it finds the first
        /// payment with this key, whatever day it is).
        #[arg(long)]
        date: Option<String>,
        /// Idempotency key, unique per payment (for example the bank's transaction id).
        #[arg(long)]
        key: String,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
    /// Reverse a payment: the loan stands as if it had never arrived.
    Reverse {
        #[arg(long)]
        payment: i64,
        /// Idempotency key of the reversal; `reverse-PAYMENT` by default.
        #[arg(long)]
        key: Option<String>,
    },
    /// Look at loans.
    Loan {
        #[command(subcommand)]
        what: LoanWhat,
    },
    /// Run the nightly batch (close of business) for one date, or every date up to one.
    Eod {
        #[arg(long, conflicts_with = "until", required_unless_present = "until")]
        date: Option<String>,
        #[arg(long)]
        until: Option<String>,
        /// Worker threads; all cores by default.
        #[arg(long)]
        threads: Option<usize>,
        /// Loans per partition and write transaction.
        #[arg(long, default_value_t = 5_000)]
        partition_size: usize,
        /// Close the day only; do not plan the next day's contacts.
        #[arg(long)]
        no_collect: bool,
    },
    /// The collection step: plan contacts, results per strategy arm and agent.
    Collect {
        #[command(subcommand)]
        what: desk::CollectWhat,
    },
    /// The outbox of messages waiting for their channel.
    Outbox {
        #[command(subcommand)]
        what: desk::OutboxWhat,
    },
    /// The communication record; disputes and opt-outs.
    Contacts {
        #[command(subcommand)]
        what: desk::ContactsWhat,
    },
    /// Agents and the call queue: assign, dial (through the policy pack), record outcomes.
    Calls {
        #[command(subcommand)]
        what: desk::CallsWhat,
    },
    /// Collection strategies.
    Strategy {
        #[command(subcommand)]
        what: desk::StrategyWhat,
    },
    /// The compliance report.
    Compliance {
        #[command(subcommand)]
        what: desk::ComplianceWhat,
    },
    /// Credit reporting: furnishing files, Metro 2, a loan's credit history.
    Credit {
        #[command(subcommand)]
        what: bureau::CreditWhat,
    },
    /// Disputes of a loan's record: open, answer, list with deadlines.
    Dispute {
        #[command(subcommand)]
        what: bureau::DisputeWhat,
    },
    /// Complaints: file, assign, reply, the month's statistics.
    Complaint {
        #[command(subcommand)]
        what: bureau::ComplaintWhat,
    },
    /// Legal escalation: court fees, claims, limitation, candidates, cases.
    Legal {
        #[command(subcommand)]
        what: legal::LegalWhat,
    },
    /// Certificates: issue one, verify a code.
    Certificate {
        #[command(subcommand)]
        what: legal::CertificateWhat,
    },
    /// Hardship relief: request, propose, approve or reject, accept, show.
    Hardship {
        #[command(subcommand)]
        what: hardship::HardshipWhat,
    },
    /// The staff list (roles for maker-checker decisions).
    Staff {
        #[command(subcommand)]
        what: hardship::StaffWhat,
    },
    /// Write-off: write a loan off by decision, list the register.
    Writeoff {
        #[command(subcommand)]
        what: writeoff::WriteoffWhat,
    },
    /// Reports: the month's report for the regulator.
    Report {
        #[command(subcommand)]
        what: bureau::ReportWhat,
    },
    /// Loans and balances by bucket and classification.
    Portfolio {
        /// Compute every loan on this date instead of reading the stored summary.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Create a fresh database with a realistic book and service it day by day.
    Demo {
        #[arg(long, default_value_t = 2_000)]
        loans: usize,
        #[arg(long, default_value_t = 240)]
        days: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// First business day of the demo.
        #[arg(long, default_value = "2026-01-01")]
        start: String,
        /// Keep an existing database file instead of starting afresh.
        #[arg(long)]
        keep: bool,
        /// Service the book only: no collection strategy, messages or calls.
        #[arg(long)]
        no_collect: bool,
        /// Then serve the book over HTTP (as `arrears serve`), with staff logins made for the
        /// demo and printed.
        #[arg(long)]
        serve: bool,
        /// Where `--serve` listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Serve over HTTP: /healthz, /metrics, the public check of certificates (/verify/CODE,
    /// the address their QR code holds) and the JSON API under /api/v1. Ctrl-C stops it.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Mark cookies Secure: for a server reached over TLS (through a proxy).
        #[arg(long)]
        secure_cookies: bool,
        /// The address the public reaches the server at, which certificates' QR codes point
        /// into (default: http:// and the listening address).
        #[arg(long)]
        public_url: Option<String>,
    },
    /// Measure throughput (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: bench::BenchWhat,
    },
    /// Early-warning risk models: train, evaluate, cross-validate, bin table.
    Risk {
        #[command(subcommand)]
        what: risk::RiskWhat,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// A loan tape, CSV or XLSX (first sheet), with the columns loan_no, borrower_id, product,
    /// principal, annual_rate, term_months, method, start_date and optionally first_due_date.
    Loans {
        file: PathBuf,
        /// Import the good rows and write the bad ones to the reject file.
        #[arg(long)]
        skip_bad: bool,
        /// Where bad rows go with --skip-bad; FILE.rejects.csv by default.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Borrowers and how to reach them, CSV with the columns borrower_id, name, language
    /// (zh|en), utc_offset (+08:00) and optionally phone, email, emergency_name,
    /// emergency_phone, opted_out (sms;email;app), segment. All or nothing.
    Borrowers { file: PathBuf },
    /// The identity US credit bureaus match an account on, CSV with the columns borrower_id,
    /// surname, first_name, ssn, birth_date, address, city, state, zip; for borrowers already
    /// imported. All or nothing.
    Identities { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum LoanWhat {
    /// Terms, schedule, DPD, bucket, class, balances, payments, status history and ledger.
    Show {
        id: String,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
}

/// Runs the program and turns an error into a message and exit code 1 (2 for usage errors).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output (`| head`) has gone: nothing is wrong with the command.
        Err(e)
            if e.chain()
                .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn parse_date(field: &str, text: &str) -> Result<Date> {
    text.parse().with_context(|| format!("--{field}"))
}

pub(crate) fn parse_amount(field: &str, text: &str) -> Result<Amount> {
    Amount::parse(text).with_context(|| format!("--{field}"))
}

pub fn run(cli: Cli) -> Result<()> {
    let db = cli.db.as_str();
    match cli.command {
        Command::Init => {
            let (_, version) =
                arrears_app::init(db).with_context(|| format!("while initialising {}", arrears_store::conn::redact(db)))?;
            println!("database {} is at schema version {version}", arrears_store::conn::redact(db));
        }
        Command::Schedule { principal, annual_rate, term_months, method, start, first_due, day_count, format } => {
            let method: RepaymentMethod = method.parse().map_err(anyhow::Error::msg).context("--method")?;
            let day_count: DayCount = day_count.parse().map_err(anyhow::Error::msg).context("--day-count")?;
            let annual_rate = Rate::parse_percent(&annual_rate).context("--annual-rate")?;
            if annual_rate > Rate::from_bp(10_000) {
                bail!("--annual-rate: {annual_rate} is more than 100% a year");
            }
            let term_months: u32 = term_months
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--term-months: `{term_months}` is not a whole number of months"))?;
            // A schedule shows the contract as written: no cost cap stands in its way.
            let rules = ProductRules { day_count, cost_cap_annual: Rate::from_bp(10_000), ..ProductRules::default() };
            let terms = LoanTerms::new(TermsInput {
                principal: parse_amount("principal", &principal)?,
                annual_rate,
                term_months,
                method,
                start_date: parse_date("start", &start)?,
                first_due_date: first_due.map(|d| parse_date("first-due", &d)).transpose()?,
                rules,
            })?;
            render::schedule(&arrears_core::schedule(&terms), format, &mut std::io::stdout().lock())?;
        }
        Command::Import { what: ImportWhat::Loans { file, skip_bad, rejects } } => import_loans(db, &file, skip_bad, rejects)?,
        Command::Import { what: ImportWhat::Borrowers { file } } => {
            import_file(db, &file, "borrowers", arrears_app::borrowers::import_csv)?
        }
        Command::Import { what: ImportWhat::Identities { file } } => {
            import_file(db, &file, "identities", arrears_app::borrowers::import_identities_csv)?
        }
        Command::Pay { loan, amount, date, key, format } => {
            let mut store = arrears_app::open(db)?;
            let amount = parse_amount("amount", &amount)?;
            let date = date.map(|d| parse_date("date", &d)).transpose()?;
            let outcome = service::pay(&mut store, &loan, amount, date, &key)?;
            render::payment(&outcome, format, &mut std::io::stdout().lock())?;
        }
        Command::Reverse { payment, key } => {
            let mut store = arrears_app::open(db)?;
            let key = key.unwrap_or_else(|| format!("reverse-{payment}"));
            let outcome = service::reverse(&mut store, payment, &key)?;
            let again = if outcome.replayed { " (already reversed with this key; nothing changed)" } else { "" };
            println!("payment {} of {} on loan {} reversed{again}", outcome.payment_id, outcome.amount, outcome.loan_no);
        }
        Command::Loan { what: LoanWhat::Show { id, as_of, format } } => {
            let mut store = arrears_app::open(db)?;
            let as_of = as_of.map(|d| parse_date("as-of", &d)).transpose()?;
            let view = service::loan_view(&mut store, &id, as_of)?;
            render::loan(&view, format, &mut std::io::stdout().lock())?;
        }
        Command::Eod { date, until, threads, partition_size, no_collect } => {
            let mut store = arrears_app::open(db)?;
            let options = EodOptions {
                threads: threads.unwrap_or(EodOptions::default().threads),
                partition_size,
                stop_after_partitions: None,
            };
            let config = if no_collect { None } else { Some(desk::load_config(cli.config.as_deref())?) };
            let scoring = risk::risk_config(cli.risk_model.as_deref())?;
            run_eod(&mut store, date, until, options, &scoring, config.as_ref())?;
        }
        Command::Collect { what } => desk::collect_cmd(db, &desk::load_config(cli.config.as_deref())?, what)?,
        Command::Outbox { what } => desk::outbox_cmd(db, cli.channels.as_deref(), &cli.outbox_dir, what)?,
        Command::Contacts { what } => desk::contacts_cmd(db, what)?,
        Command::Calls { what } => desk::calls_cmd(db, &desk::load_config(cli.config.as_deref())?, what)?,
        Command::Strategy { what } => desk::strategy_cmd(&desk::load_config(cli.config.as_deref())?, what)?,
        Command::Credit { what } => bureau::run(db, what)?,
        Command::Dispute { what } => bureau::dispute(db, what)?,
        Command::Complaint { what } => bureau::complaint(db, what)?,
        Command::Report { what } => bureau::report(db, what)?,
        Command::Writeoff { what } => writeoff::writeoff(db, what)?,
        Command::Hardship { what } => hardship::run(db, what)?,
        Command::Legal { what } => legal::run(db, cli.config.as_deref(), what)?,
        Command::Certificate { what } => legal::certificate(db, cli.config.as_deref(), what)?,
        Command::Staff { what } => hardship::staff(db, what)?,
        Command::Compliance { what } => desk::compliance_cmd(db, &desk::load_config(cli.config.as_deref())?, what)?,
        Command::Portfolio { as_of, format } => {
            let mut store = arrears_app::open(db)?;
            let rows = match as_of {
                None => service::portfolio(&mut store)?,
                Some(d) => {
                    let date = parse_date("as-of", &d)?;
                    (Some(date), service::portfolio_as_of(&mut store, date)?)
                }
            };
            render::portfolio(rows.0, &rows.1, format, &mut std::io::stdout().lock())?;
        }
        Command::Demo { loans, days, seed, start, keep, no_collect, serve, listen } => {
            let listen: std::net::SocketAddr =
                listen.parse().with_context(|| format!("--listen: `{listen}` is not an address and port"))?;
            let desk = if no_collect {
                None
            } else {
                let config = desk::load_config(cli.config.as_deref())?;
                let dir = demo_outbox_dir(db, &cli.outbox_dir);
                Some(arrears_app::demo_desk::Desk {
                    config,
                    senders: desk::senders(cli.channels.as_deref(), &dir)?,
                    risk: risk::risk_config(cli.risk_model.as_deref())?,
                })
            };
            run_demo(db, loans, days, seed, &start, keep, desk.as_ref())?;
            if serve {
                let sms = desk::sms_sender(cli.channels.as_deref(), &demo_outbox_dir(db, &cli.outbox_dir))?;
                serve_demo(db, listen, desk::load_config(cli.config.as_deref())?, sms)?;
            }
        }
        Command::Bench { what } => bench::run(db, what)?,
        Command::Serve { listen, secure_cookies, public_url } => {
            let listen = listen.parse().with_context(|| format!("--listen: `{listen}` is not an address and port"))?;
            let config = desk::load_config(cli.config.as_deref())?;
            let sms = desk::sms_sender(cli.channels.as_deref(), &cli.outbox_dir)?;
            let options =
                arrears_server::Options { db: db.to_owned(), listen, config, secure_cookies, sms, echo_codes: false, public_url };
            let server = arrears_server::Server::start(options)?;
            println!("serving {} on http://{} (Ctrl-C stops)", arrears_store::conn::redact(db), server.addr);
            println!("  http://{}/verify        the public check of certificates", server.addr);
            println!("  http://{}/login         staff login (arrears staff password NAME sets a password)", server.addr);
            println!("  http://{}/api/v1/openapi.json", server.addr);
            server.run_until_signalled()?;
        }
        Command::Risk { what } => risk::run(db, cli.risk_model.as_deref(), what)?,
    }
    Ok(())
}

fn import_loans(db: &str, file: &std::path::Path, skip_bad: bool, rejects: Option<PathBuf>) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let mut report = ImportReport::default();
    let is_xlsx = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let result = if is_xlsx {
        anyhow::ensure!(file.exists(), "cannot read {}: no such file", file.display());
        import::import_xlsx(&mut store, file, skip_bad, &mut report)
    } else {
        let input = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        import::import_csv(&mut store, std::io::BufReader::new(input), skip_bad, &mut report)
    };
    let mut err = std::io::stderr().lock();
    for e in report.errors.iter().take(50) {
        writeln!(err, "{}: {e}", file.display())?;
    }
    if report.errors.len() > 50 {
        writeln!(err, "… and {} more bad rows", report.errors.len() - 50)?;
    }
    result?;
    if !report.errors.is_empty() {
        let path = rejects.unwrap_or_else(|| file.with_extension("rejects.csv"));
        let out = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        import::write_rejects(&report, out)?;
        println!("{} bad rows written to {}", report.errors.len(), path.display());
    }
    println!("imported {} of {} loans from {}", report.imported, report.rows, file.display());
    Ok(())
}

pub(crate) fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

type CsvImport =
    fn(&mut arrears_store::Store, std::io::BufReader<std::fs::File>, &mut ImportReport) -> Result<(), arrears_app::AppError>;

fn import_file(db: &str, file: &std::path::Path, what: &str, import: CsvImport) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let mut report = ImportReport::default();
    let input = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let result = import(&mut store, std::io::BufReader::new(input), &mut report);
    let mut err = std::io::stderr().lock();
    for e in report.errors.iter().take(50) {
        writeln!(err, "{}: {e}", file.display())?;
    }
    result?;
    println!("imported {} of {} {what} from {}", report.imported, report.rows, file.display());
    Ok(())
}

/// The demo's outbox: next to its SQLite file unless --outbox-dir says otherwise.
fn demo_outbox_dir(db: &str, given: &std::path::Path) -> PathBuf {
    if given != std::path::Path::new("outbox") {
        return given.to_owned();
    }
    let parent =
        db.strip_prefix("sqlite://").and_then(|p| std::path::Path::new(p).parent()).filter(|p| !p.as_os_str().is_empty());
    parent.map_or_else(|| PathBuf::from("demo-outbox"), |p| p.join("demo-outbox"))
}

fn run_eod(
    store: &mut arrears_store::Store,
    date: Option<String>,
    until: Option<String>,
    options: EodOptions,
    scoring: &arrears_app::risk::RiskConfig,
    collect: Option<&arrears_app::collect::CollectConfig>,
) -> Result<()> {
    let started = std::time::Instant::now();
    if let Some(until) = until {
        let until = parse_date("until", &until)?;
        let total = eod::run_days(store, until, options, |store, day, r| {
            if r.already_closed {
                println!("{day}: already closed; nothing to do");
            } else {
                println!(
                    "{day}: {} loans touched, {} installments due, {} grace periods ended, {} status changes",
                    r.loans_touched, r.installments_due, r.grace_expired, r.status_changes
                );
            }
            // A month's end scores the book; then each closed day plans the next, so no step
            // of the strategy is skipped.
            risk::print_month_end(&arrears_app::risk::catch_up(store, day, scoring)?);
            if let Some(config) = collect {
                let next = day.add_days(1);
                desk::print_collect(next, &arrears_app::collect::run(store, next, config)?);
            }
            Ok(())
        })?;
        println!("closed through {until}: {} loans touched in {:.1?}", total.loans_touched, started.elapsed());
        return Ok(());
    }
    let date = parse_date("date", &date.expect("clap requires --date or --until"))?;
    let bar = progress_bar(0, &format!("closing {date}"));
    let report = eod::run(store, date, options, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    if report.already_closed {
        println!("{date} is already closed; nothing changed");
    } else {
        println!(
            "{date} closed in {:.1?} (peak memory {}): {} loans touched in {} partitions; {} installments fell due, {} grace periods ended, {} status changes, {} charges stopped by the cost cap, {} loans written off by rule",
            started.elapsed(),
            peak_memory(),
            report.loans_touched,
            report.partitions,
            report.installments_due,
            report.grace_expired,
            report.status_changes,
            report.cap_applied,
            report.written_off
        );
        let t = report.timings;
        println!(
            "  time: reading {:.1?}, advancing {:.1?}, writing {:.1?}, committing {:.1?}",
            t.read, t.compute, t.write, t.commit
        );
    }
    risk::print_month_end(&arrears_app::risk::catch_up(store, date, scoring)?);
    if let Some(config) = collect {
        plan_next_day(store, date, config)?;
    }
    Ok(())
}

/// After `closed` is closed: the collection step for the open day that follows it.
fn plan_next_day(store: &mut arrears_store::Store, closed: Date, config: &arrears_app::collect::CollectConfig) -> Result<()> {
    let started = std::time::Instant::now();
    let next = closed.add_days(1);
    let report = arrears_app::collect::run(store, next, config)?;
    desk::print_collect(next, &report);
    if !report.already_done {
        println!("  planned in {:.1?}", started.elapsed());
    }
    Ok(())
}

/// The demo's staff, each with a fresh password printed once, then the server on the book.
fn serve_demo(
    db: &str,
    listen: std::net::SocketAddr,
    config: arrears_app::collect::CollectConfig,
    sms: Box<dyn arrears_channels::Sender + Send>,
) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    let mut logins = Vec::new();
    // The first agent of the demo's desk logs in by their agent id, so their console shows
    // the loans of their call tasks; the morning's open tasks are handed out first.
    arrears_app::calls::assign(&mut store)?;
    let agent = arrears_app::demo_desk::agents().first().map_or_else(|| "cn-01".to_owned(), |(a, ..)| a.agent_id.clone());
    let staff = [
        (agent.as_str(), "agent"),
        ("demo-supervisor", "supervisor"),
        ("demo-hardship", "hardship-officer"),
        ("demo-legal", "legal-officer"),
        ("demo-compliance", "compliance-officer"),
        ("demo-admin", "admin"),
    ];
    for (name, role) in staff {
        arrears_app::hardship::add_staff(&mut store, name, role)?;
        let password = arrears_app::auth::random_hex(8)?;
        arrears_app::auth::set_password(&mut store, name, &password, "demo")?;
        logins.push((name, role, password));
    }
    drop(store);
    let phones = store_phone_examples(db)?;
    let options = arrears_server::Options {
        db: db.to_owned(),
        listen,
        config,
        secure_cookies: false,
        sms,
        echo_codes: true,
        public_url: None,
    };
    let server = arrears_server::Server::start(options)?;
    println!();
    println!("serving the demo book on http://{} (Ctrl-C stops)", server.addr);
    println!("  http://{}/login     staff login:", server.addr);
    for (name, role, password) in &logins {
        println!("      {name:<16} password {password}   ({role})");
    }
    println!("  http://{}/portal    the borrower's portal: log in with a borrower's phone; the code is sent", server.addr);
    println!("                      by SMS (in the demo, to demo-outbox/sms.jsonl) and shown in this log. For example:");
    for (phone, what) in &phones {
        println!("      {phone:<16} a borrower whose loan is {what}");
    }
    println!("  http://{}/verify    the public check of certificates", server.addr);
    server.run_until_signalled()?;
    Ok(())
}

/// Borrowers' phones on the demo book for the portal's login: one who paid a loan off (whose
/// portal offers a settlement certificate) and one whose loan is late (who can pay, or ask for
/// relief), as far as the book has them.
fn store_phone_examples(db: &str) -> Result<Vec<(String, &'static str)>> {
    let mut store = arrears_app::open(db)?;
    let loans = store.read(|tx| tx.loans_page(0, 2_000))?;
    let (mut paid_off, mut late) = (None, None);
    for loan in loans {
        let wanted = match loan.state.status {
            arrears_core::LoanStatus::PaidOff if paid_off.is_none() => &mut paid_off,
            arrears_core::LoanStatus::Active if late.is_none() && loan.state.dpd > 0 => &mut late,
            _ => continue,
        };
        *wanted = store.read(|tx| tx.borrower(&loan.borrower_id))?.and_then(|b| b.phone);
    }
    Ok([(paid_off, "paid off"), (late, "late")].into_iter().filter_map(|(p, what)| Some((p?, what))).collect())
}

fn run_demo(
    db: &str,
    loans: usize,
    days: u32,
    seed: u64,
    start: &str,
    keep: bool,
    desk: Option<&arrears_app::demo_desk::Desk>,
) -> Result<()> {
    if loans == 0 || loans > 1_000_000 {
        bail!("--loans: {loans} must be between 1 and 1000000");
    }
    if days == 0 || days > 3_650 {
        bail!("--days: {days} must be between 1 and 3650");
    }
    let start = parse_date("start", start)?;
    if !keep {
        refuse_to_wipe_a_real_book(db)?;
        if let Some(path) = db.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{path}{suffix}");
                if std::path::Path::new(&p).exists() {
                    std::fs::remove_file(&p).with_context(|| format!("cannot remove {p} to start afresh"))?;
                }
            }
        } else {
            bail!("--db: the demo starts afresh only on a SQLite file; use a new PostgreSQL schema (postgres://…?schema=demo) with --keep");
        }
    }
    let (mut store, _) = arrears_app::init(db)?;
    if store.read(|tx| tx.next_loan_seq())? > 1 {
        bail!("--db: {} already holds loans; the demo needs an empty database", arrears_store::conn::redact(db));
    }
    store.transaction(|tx| tx.set_meta("demo", "yes"))?;
    println!(
        "Arrears demo: {loans} consumer cash loans over {days} business days from {start} (seed {seed}) in {}",
        arrears_store::conn::redact(db)
    );
    let started = std::time::Instant::now();
    let bar = progress_bar(days as u64, "servicing day by day");
    let options = DemoOptions { loans, days, seed, start, eod: EodOptions::default() };
    let report = demo::run(&mut store, options, desk, |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let (business, rows) = service::portfolio(&mut store)?;
    render::demo_summary(&report, started.elapsed(), &mut std::io::stdout().lock())?;
    render_desk::demo_desk(&report, &mut std::io::stdout().lock())?;
    render::portfolio(business, &rows, Format::Table, &mut std::io::stdout().lock())?;
    let moves = store.read(|tx| tx.status_moves(start, business.unwrap_or(start)))?;
    render::moves(&moves, &mut std::io::stdout().lock())?;
    println!();
    println!("Look closer:");
    for (behaviour, loan_no) in &report.examples {
        println!("  arrears loan show {loan_no:<10} # a borrower {}", behaviour.label());
    }
    println!("  arrears portfolio");
    if report.compliance.is_some() {
        let last = report.last_day.unwrap_or(start);
        if let Some(loan_no) = report.examples.get(&demo::Behaviour::Defaulting) {
            println!("  arrears contacts show --loan {loan_no}   # every contact, its words and the policy's decision");
        }
        println!("  arrears compliance report --from {start} --to {}", last.add_days(1));
        println!("  arrears collect results --from {start} --to {}", last.add_days(1));
        println!("  arrears risk drift");
        // The last month the demo closed, for the bureau and the regulator.
        let month_end = if arrears_app::risk::is_month_end(last) {
            last
        } else {
            arrears_core::Date::from_ymd(last.year(), last.month(), 1).expect("the first of a month").add_days(-1)
        };
        if month_end >= start {
            let month = arrears_app::risk::month_key(month_end);
            if let Some(loan_no) = report.examples.get(&demo::Behaviour::Defaulting) {
                println!("  arrears credit history --loan {loan_no}   # what the bureau was told, and when each mark ages out");
            }
            println!("  arrears credit furnish --month {month} --out cn-{month}.jsonl");
            println!(
                "  arrears credit furnish --month {month} --pack us --furnisher-id DEMO00001 --furnisher-name \"Demo Bank\" --out us-{month}.txt"
            );
            println!("  arrears credit parse us-{month}.txt");
            println!("  arrears report regulator --month {month}");
            println!("  arrears writeoff list --from {start} --to {}", last.add_days(1));
            if let Some((loan_no, ..)) = report.legal_cases.first() {
                println!("  arrears legal claim --loan {loan_no}   # the claim today and the court fee");
                println!("  arrears legal case show --loan {loan_no}");
                println!("  arrears legal documents --loan {loan_no}   # its demand letter, kept as made");
                println!(
                    "  arrears legal complaint --loan {loan_no} --by you --out {loan_no}-complaint.pdf   # the complaint draft"
                );
                println!(
                    "  arrears legal keygen --out demo.key && arrears legal bundle --loan {loan_no} --out {loan_no}.zip --key demo.key && arrears legal verify {loan_no}.zip"
                );
            }
            if let Some((loan_no, code)) = &report.certificate {
                println!(
                    "  arrears certificate pdf {code} --out {loan_no}-settlement.pdf   # {loan_no}'s settlement certificate"
                );
                println!("  arrears certificate verify {code}");
            }
        }
    }
    Ok(())
}

/// The process's peak resident memory, from /proc (Linux), for the batch's report.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_owned()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The demo starts afresh by deleting its SQLite file: only a file that is missing, or an
/// Arrears database that is empty or that the demo made. Anything else is left alone.
fn refuse_to_wipe_a_real_book(db: &str) -> Result<()> {
    let Some(path) = db.strip_prefix("sqlite://") else { return Ok(()) };
    if !std::path::Path::new(path).exists() {
        return Ok(());
    }
    let refuse = |why: &str| anyhow::anyhow!("--db: {path} {why}; the demo will not delete it (choose another --db)");
    let mut store = arrears_store::Store::open(db).map_err(|_| refuse("is not an Arrears database"))?;
    let found = store.read(|tx| Ok::<_, arrears_store::StoreError>((tx.next_loan_seq()? - 1, tx.meta("demo")?)));
    match found {
        Ok((0, _)) => Ok(()),
        Ok((_, Some(demo))) if demo == "yes" => Ok(()),
        Ok((loans, _)) => Err(refuse(&format!("holds a book of {loans} loans that the demo did not make"))),
        Err(_) => Err(refuse("is not an Arrears database")),
    }
}

/// Writes `bytes` to `out` whole: beside it first, then moved into place, so that a failed run
/// leaves any earlier file as it was.
pub(crate) fn write_whole(out: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let partial = out.with_extension("partial");
    std::fs::write(&partial, bytes).with_context(|| format!("--out: cannot write {}", partial.display()))?;
    std::fs::rename(&partial, out).with_context(|| format!("--out: cannot move the file into {}", out.display()))
}
