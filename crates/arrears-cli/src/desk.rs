//! Commands of the collection desk: the collection step, the outbox, contacts, calls, the
//! strategy check and the compliance report; and where their configuration comes from.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use arrears_app::calls::{self, CallOutcome, Dial};
use arrears_app::collect::{self, CollectConfig};
use arrears_app::compliance;
use arrears_app::outbox::{self, DeliverOptions, Senders};
use arrears_channels::email::{SmtpConfig, SmtpCredentials, SmtpSender, TlsMode};
use arrears_channels::file::FileSender;
use arrears_channels::sms::{RetryPolicy, SmsGateway, SmsGatewayConfig};
use arrears_collect::{Lender, Strategies, Strategy, Templates};
use arrears_policy::{Channel, LocalTime, Pack};
use arrears_store::AgentRow;
use clap::Subcommand;
use serde::Deserialize;

use crate::{parse_amount, parse_date, DocFormat, Format};

#[derive(Debug, Subcommand)]
pub enum CollectWhat {
    /// Plan the open business day's contacts: every message checked and recorded, call tasks
    /// queued (normally run by `eod` right after it closes the day before).
    Run {
        #[arg(long)]
        date: String,
    },
    /// Results per strategy arm and per agent over a period.
    Results {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxWhat {
    /// Send the messages that are due (at least once; each result recorded once).
    Deliver {
        /// The moment of delivery in UTC, `YYYY-MM-DD HH:MM`; the clock by default.
        #[arg(long)]
        now: Option<String>,
        #[arg(long, default_value_t = 10_000)]
        limit: usize,
    },
    /// Messages by status.
    Status,
    /// Accept the SMS gateway's signed delivery receipts on `POST /sms/receipts` and record
    /// each against its contact (delivered or undelivered). Runs until stopped.
    Receipts {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactsWhat {
    /// The communication record of a loan: every attempt, its words, the policy decision and
    /// what became of it. `--format csv` exports it. (Disputes: `arrears dispute`.)
    Show {
        #[arg(long)]
        loan: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Record a borrower's opt-out of an electronic channel (sms, email, app); it holds at once.
    OptOut {
        #[arg(long)]
        borrower: String,
        #[arg(long)]
        channel: String,
        /// Who recorded it (the borrower by default).
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CallsWhat {
    /// Add or change an agent.
    Agent {
        id: String,
        #[arg(long)]
        name: String,
        /// Open tasks the agent may hold.
        #[arg(long, default_value_t = 40)]
        cap: i64,
        /// The desk (CNY, USD) whose tasks the agent takes; every desk when left out.
        #[arg(long, default_value = "")]
        desk: String,
        #[arg(long)]
        inactive: bool,
    },
    /// Hand unassigned tasks to agents, highest priority first, within their caps.
    Assign,
    /// Move an agent's open tasks to another agent (or back to the pool without --to).
    Reassign {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Open call tasks, highest priority first.
    List {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Ask to call the debtor of a task: the policy pack decides, and the attempt is recorded.
    Dial {
        #[arg(long)]
        task: i64,
        #[arg(long)]
        agent: String,
        /// The moment of the call in UTC, `YYYY-MM-DD HH:MM`; the clock by default.
        #[arg(long)]
        at: Option<String>,
    },
    /// Record what came of a call: reached, promise, refused, wrong-number, dispute,
    /// hardship, no-answer.
    Outcome {
        #[arg(long)]
        task: i64,
        /// The contact key `dial` printed.
        #[arg(long)]
        contact: String,
        #[arg(long)]
        agent: String,
        #[arg(long)]
        outcome: String,
        /// For a promise: the date it is promised by …
        #[arg(long)]
        promise_date: Option<String>,
        /// … and the amount.
        #[arg(long)]
        promise_amount: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StrategyWhat {
    /// Load a strategy file against the templates and report what it does, or the line that
    /// is wrong.
    Check {
        file: PathBuf,
        /// Templates to check it against; the configured (or shipped) ones by default.
        #[arg(long)]
        templates: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComplianceWhat {
    /// Contacts made and blocked (by rule) over a period, and every allowed contact audited
    /// again from the record; exits with status 1 if any breach is found.
    Report {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The collection configuration: from `dir` (templates.toml, strategy*.toml, lender.toml,
/// packs/cn.toml, packs/us.toml — each optional) over what ships with Arrears.
pub fn load_config(dir: Option<&Path>) -> Result<CollectConfig> {
    let mut config = CollectConfig::shipped();
    let Some(dir) = dir else { return Ok(config) };
    anyhow::ensure!(dir.is_dir(), "--config: {} is not a directory", dir.display());
    let templates_path = dir.join("templates.toml");
    if templates_path.exists() {
        config.templates = Templates::from_toml(&templates_path.display().to_string(), &read(&templates_path)?)?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("strategy") && n.ends_with(".toml")))
        .collect();
    files.sort();
    if !files.is_empty() {
        let list = files
            .iter()
            .map(|p| Ok(Strategy::from_toml(&p.display().to_string(), &read(p)?, &config.templates)?))
            .collect::<Result<Vec<_>>>()?;
        config.strategies = Strategies::new(list).map_err(anyhow::Error::msg).context("--config")?;
    } else if templates_path.exists() {
        config.strategies = Strategies::shipped(&config.templates);
    }
    let lender = dir.join("lender.toml");
    if lender.exists() {
        config.lender = Lender::from_toml(&lender.display().to_string(), &read(&lender)?)?;
    }
    for (name, slot) in [("cn", &mut config.china), ("us", &mut config.us)] {
        let path = dir.join("packs").join(format!("{name}.toml"));
        if path.exists() {
            *slot = Pack::from_toml(&path.display().to_string(), &read(&path)?)?;
        }
    }
    Ok(config)
}

/// Where messages go, from a channels file (see README) or, without one, JSON Lines files in
/// `outbox_dir`, one per channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelsFile {
    smtp: Option<SmtpSection>,
    sms: Option<SmsSection>,
    /// Directory for the channels with no provider configured (letters go to the print house
    /// as a file; app notices to the app's inbox feed).
    files: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpSection {
    host: String,
    port: u16,
    /// none, starttls or tls.
    tls: String,
    from: String,
    user: Option<String>,
    /// The name of the environment variable holding the password (never the password itself).
    password_env: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsSection {
    url: String,
    api_key: String,
    /// The name of the environment variable holding the signing secret.
    secret_env: String,
    sender_id: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_ms: u64,
}

fn default_timeout() -> u64 {
    10_000
}

fn env_secret(name: &str, what: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{what}: the environment variable {name} is not set"))
}

/// The SMS gateway's signing secret, from the channels file's `[sms] secret_env`.
pub fn sms_secret(channels: Option<&Path>) -> Result<Vec<u8>> {
    let path = channels.context("--channels: receipts are verified with the [sms] secret of a channels file")?;
    let file: ChannelsFile = toml::from_str(&read(path)?).with_context(|| format!("{}", path.display()))?;
    let sms = file.sms.with_context(|| format!("{}: no [sms] section", path.display()))?;
    Ok(env_secret(&sms.secret_env, "sms.secret_env")?.into_bytes())
}

/// The senders configured by `channels` (a TOML file), the rest writing to `outbox_dir`.
pub fn senders(channels: Option<&Path>, outbox_dir: &Path) -> Result<Senders> {
    let file: ChannelsFile = match channels {
        Some(path) => toml::from_str(&read(path)?).with_context(|| format!("{}", path.display()))?,
        None => ChannelsFile { smtp: None, sms: None, files: None },
    };
    let dir = file.files.clone().unwrap_or_else(|| outbox_dir.to_owned());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut senders = [Channel::Sms, Channel::Email, Channel::App, Channel::Letter]
        .into_iter()
        .fold(Senders::default(), |s, c| s.with(Box::new(FileSender::new(c, dir.join(format!("{}.jsonl", c.code()))))));
    if let Some(smtp) = file.smtp {
        let tls = match smtp.tls.as_str() {
            "none" => TlsMode::None,
            "starttls" => TlsMode::StartTls,
            "tls" => TlsMode::Implicit,
            other => bail!("smtp.tls: `{other}` must be none, starttls or tls"),
        };
        let credentials = match (smtp.user, smtp.password_env) {
            (Some(user), Some(env)) => Some(SmtpCredentials { user, password: env_secret(&env, "smtp.password_env")? }),
            (None, None) => None,
            _ => bail!("smtp: give both user and password_env, or neither"),
        };
        let config = SmtpConfig {
            host: smtp.host,
            port: smtp.port,
            tls,
            credentials,
            from: smtp.from,
            helo_name: None,
            timeout_ms: smtp.timeout_ms,
        };
        senders = senders.with(Box::new(SmtpSender::new(&config).context("smtp")?));
    }
    if let Some(sms) = file.sms {
        senders = senders.with(Box::new(sms_gateway(sms)?));
    }
    Ok(senders)
}

/// The SMS channel alone (for the server's login codes): the gateway of the channels file, or
/// else `sms.jsonl` in the outbox folder.
pub fn sms_sender(channels: Option<&Path>, outbox_dir: &Path) -> Result<Box<dyn arrears_channels::Sender + Send>> {
    let file: ChannelsFile = match channels {
        Some(path) => toml::from_str(&read(path)?).with_context(|| format!("{}", path.display()))?,
        None => ChannelsFile { smtp: None, sms: None, files: None },
    };
    if let Some(sms) = file.sms {
        return Ok(Box::new(sms_gateway(sms)?));
    }
    let dir = file.files.unwrap_or_else(|| outbox_dir.to_owned());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Box::new(FileSender::new(Channel::Sms, dir.join("sms.jsonl"))))
}

fn sms_gateway(sms: SmsSection) -> Result<SmsGateway> {
    let config = SmsGatewayConfig {
        url: sms.url,
        api_key: sms.api_key,
        secret: env_secret(&sms.secret_env, "sms.secret_env")?.into_bytes(),
        sender_id: sms.sender_id,
        timeout_ms: sms.timeout_ms,
        retry: RetryPolicy::default(),
    };
    SmsGateway::new(config).context("sms")
}

/// Now, in UTC minutes since 1970, or the moment given as `YYYY-MM-DD HH:MM` UTC.
fn utc_minutes(field: &str, given: Option<&str>) -> Result<i64> {
    match given {
        Some(text) => LocalTime::parse(text)
            .map(LocalTime::epoch_minutes)
            .with_context(|| format!("--{field}: `{text}` is not YYYY-MM-DD HH:MM")),
        None => Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64 / 60),
    }
}

pub fn collect_cmd(db: &str, config: &CollectConfig, what: CollectWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        CollectWhat::Run { date } => {
            let date = parse_date("date", &date)?;
            let report = collect::run(&mut store, date, config)?;
            print_collect(date, &report);
        }
        CollectWhat::Results { from, to, format } => {
            let (from, to) = (parse_date("from", &from)?, parse_date("to", &to)?);
            let (arms, agents) =
                store.read(|tx| Ok::<_, arrears_store::StoreError>((tx.arm_results(from, to)?, tx.agent_results(from, to)?)))?;
            crate::render_desk::desk_results(&arms, &agents, format, &mut std::io::stdout().lock())?;
        }
    }
    Ok(())
}

pub fn print_collect(date: arrears_core::Date, r: &collect::CollectReport) {
    if r.already_done {
        println!("{date}: contacts already planned; nothing to do");
        return;
    }
    let blocked: Vec<String> = r.blocked.iter().map(|(rule, n)| format!("{rule} {n}")).collect();
    println!(
        "{date}: {} loans reached by a step: {} messages queued, {} call tasks, {} blocked{}; promises kept {}, broken {}",
        r.loans,
        r.messages,
        r.call_tasks,
        r.blocked_total(),
        if blocked.is_empty() { String::new() } else { format!(" ({})", blocked.join(", ")) },
        r.promises_kept,
        r.promises_broken
    );
    if r.no_borrower > 0 {
        println!("  {} loans were not contacted: their borrowers have no record (arrears import borrowers FILE)", r.no_borrower);
    }
}

pub fn outbox_cmd(db: &str, channels: Option<&Path>, outbox_dir: &Path, what: OutboxWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        OutboxWhat::Receipts { listen } => receipts(&mut store, &sms_secret(channels)?, &listen)?,
        OutboxWhat::Deliver { now, limit } => {
            let senders = senders(channels, outbox_dir)?;
            let senders = &senders;
            let now_utc = utc_minutes("now", now.as_deref())?;
            let r = outbox::deliver(&mut store, senders, DeliverOptions { now_utc, limit, crash_after_sends: None })?;
            println!(
                "sent {}, retrying {}, failed {}, expired {}, withdrawn {}, waiting for a sender {}",
                r.sent, r.retrying, r.failed, r.expired, r.withdrawn, r.no_sender
            );
        }
        OutboxWhat::Status => {
            for (status, n) in store.read(|tx| tx.outbox_counts())? {
                println!("{status:<10} {n:>8}");
            }
        }
    }
    Ok(())
}

/// The receipt endpoint: one request at a time (a gateway's callbacks are small and few per
/// message); bodies over the receipt limit, bad signatures and unknown ids are refused.
fn receipts(store: &mut arrears_store::Store, secret: &[u8], listen: &str) -> Result<()> {
    use std::io::Read;
    let server = tiny_http::Server::http(listen).map_err(|e| anyhow::anyhow!("--listen: {listen}: {e}"))?;
    println!("accepting delivery receipts on http://{}/sms/receipts", server.server_addr());
    for mut request in server.incoming_requests() {
        let (status, answer) = if request.method() != &tiny_http::Method::Post || request.url() != "/sms/receipts" {
            (404, "not found".to_owned())
        } else {
            let signature = request
                .headers()
                .iter()
                .find(|h| h.field.equiv(arrears_channels::sms::HEADER_SIGNATURE))
                .map(|h| h.value.as_str().to_owned())
                .unwrap_or_default();
            let mut body = Vec::new();
            let limit = arrears_channels::sms::RECEIPT_LEN_MAX as u64 + 1;
            match request.as_reader().take(limit).read_to_end(&mut body) {
                Err(e) => (400, format!("cannot read the body: {e}")),
                Ok(_) => match arrears_channels::sms::parse_receipt(secret, &body, &signature) {
                    Err(e @ arrears_channels::sms::ReceiptError::Signature) => (401, e.to_string()),
                    Err(e) => (400, e.to_string()),
                    Ok(receipt) => match outbox::record_receipt(store, &receipt) {
                        Ok(r) => (200, format!("{} {}", r.contact_key, if r.recorded { "recorded" } else { "already recorded" })),
                        Err(e @ arrears_app::AppError::NotFound { .. }) => (404, e.to_string()),
                        Err(e) => (500, e.to_string()),
                    },
                },
            }
        };
        let _ = request.respond(tiny_http::Response::from_string(answer).with_status_code(status));
    }
    Ok(())
}

pub fn contacts_cmd(db: &str, what: ContactsWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        ContactsWhat::Show { loan, format } => {
            let record = store.read(|tx| tx.loan(&loan))?.with_context(|| format!("--loan: loan `{loan}` does not exist"))?;
            let contacts = store.read(|tx| tx.contacts_of(record.seq))?;
            crate::render_desk::contacts(&loan, &contacts, format, &mut std::io::stdout().lock())?;
        }
        ContactsWhat::OptOut { borrower, channel, actor } => {
            let ch = Channel::parse(&channel).with_context(|| format!("--channel: `{channel}` is not sms, email or app"))?;
            calls::opt_out(&mut store, &borrower, ch, actor.as_deref().unwrap_or(&borrower))?;
            println!("{borrower} opted out of {channel}: no more {channel} messages, including any already queued");
        }
    }
    Ok(())
}

pub fn calls_cmd(db: &str, config: &CollectConfig, what: CallsWhat) -> Result<()> {
    let mut store = arrears_app::open(db)?;
    match what {
        CallsWhat::Agent { id, name, cap, desk, inactive } => {
            calls::save_agent(&mut store, &AgentRow { agent_id: id.clone(), name, daily_cap: cap, desk, active: !inactive })?;
            println!("agent {id} saved");
        }
        CallsWhat::Assign => println!("{} tasks assigned", calls::assign(&mut store)?),
        CallsWhat::Reassign { from, to } => {
            let n = calls::reassign(&mut store, &from, to.as_deref())?;
            println!("{n} tasks moved from {from} to {}", to.as_deref().unwrap_or("the pool"));
        }
        CallsWhat::List { agent, limit, format } => {
            let tasks = store.read(|tx| tx.open_call_tasks(agent.as_deref(), "", limit))?;
            crate::render_desk::tasks(&tasks, format, &mut std::io::stdout().lock())?;
        }
        CallsWhat::Dial { task, agent, at } => {
            let now = utc_minutes("at", at.as_deref())?;
            match calls::dial(&mut store, config, task, &agent, now)? {
                Dial::Allowed { contact_key, phone, script } => {
                    println!("allowed: call {phone} now; report the outcome with --contact {contact_key}");
                    println!("script: {script}");
                }
                Dial::Blocked { rule, reason, retry_at } => {
                    println!(
                        "blocked by {rule}: {reason}{}",
                        retry_at.map(|t| format!("; the task waits until {t} (borrower's time)")).unwrap_or_default()
                    );
                }
            }
        }
        CallsWhat::Outcome { task, contact, agent, outcome, promise_date, promise_amount, at } => {
            let now = utc_minutes("at", at.as_deref())?;
            let promise = if outcome == "promise" {
                let date = promise_date.as_deref().context("--promise-date: a promise needs a date")?;
                let amount = promise_amount.as_deref().context("--promise-amount: a promise needs an amount")?;
                Some((parse_date("promise-date", date)?, parse_amount("promise-amount", amount)?))
            } else {
                None
            };
            let outcome = CallOutcome::parse(&outcome, promise)
                .with_context(|| format!("--outcome: `{outcome}` is not one of {}", CallOutcome::CODES.join(", ")))?;
            calls::record_outcome(&mut store, task, &contact, &agent, outcome, now)?;
            println!("outcome {} recorded for {contact}", outcome.code());
        }
    }
    Ok(())
}

pub fn strategy_cmd(config: &CollectConfig, what: StrategyWhat) -> Result<()> {
    let StrategyWhat::Check { file, templates } = what;
    let owned;
    let templates = match templates {
        Some(path) => {
            owned = Templates::from_toml(&path.display().to_string(), &read(&path)?)?;
            &owned
        }
        None => &config.templates,
    };
    let strategy = Strategy::from_toml(&file.display().to_string(), &read(&file)?, templates)?;
    println!("{}: strategy `{}` version {} is valid", file.display(), strategy.id, strategy.version);
    println!(
        "  products: {}; messages at {}; calls {}–{} (borrower's local time)",
        if strategy.products.is_empty() {
            "every product no other strategy names".to_owned()
        } else {
            strategy.products.join(", ")
        },
        strategy.send_at,
        strategy.call_from,
        strategy.call_until
    );
    let arms = std::iter::once((
        strategy.id.clone(),
        100 - strategy.challenger.as_ref().map_or(0, |c| c.share_percent),
        &strategy.steps,
    ))
    .chain(strategy.challenger.iter().map(|c| (c.id.clone(), c.share_percent, &c.steps)));
    for (id, share, steps) in arms {
        println!("  arm {id} ({share}% of loans):");
        for s in steps {
            let when = if s.day < 0 { format!("D{}", s.day) } else { format!("D+{}", s.day) };
            println!("    {when:<6} {:<7} {:<22} to {}", s.channel.code(), s.template, s.to.code());
        }
    }
    Ok(())
}

pub fn compliance_cmd(db: &str, config: &CollectConfig, what: ComplianceWhat) -> Result<()> {
    let ComplianceWhat::Report { from, to, format } = what;
    let (from, to) = (parse_date("from", &from)?, parse_date("to", &to)?);
    let mut store = arrears_app::open(db)?;
    let report = compliance::report(&mut store, config, from, to)?;
    crate::render_desk::compliance(&report, format, &mut std::io::stdout().lock())?;
    if !report.breaches.is_empty() {
        bail!("{} breaches found", report.breaches.len());
    }
    Ok(())
}
