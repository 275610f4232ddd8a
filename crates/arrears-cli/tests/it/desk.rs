//! The collection desk as a user runs it: borrowers imported, the batch planning the next
//! day's contacts, the outbox delivering (to files, and email to a real SMTP server), agents
//! dialling through the policy pack, the record shown and exported, the strategy checked and
//! the compliance report.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Env;

const LOANS: &str = "\
loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date
L1,B1,CASH,3000.00,18,6,annuity,2026-01-15
L2,B2,CASH,5000.00,12,6,annuity,2026-01-15
";

const BORROWERS: &str = "\
borrower_id,name,language,utc_offset,phone,email,emergency_name,emergency_phone,opted_out
B1,王芳,zh,+08:00,138 1234 5678,wang.fang@example.com,李雷,13987654321,
B2,Li Lei,en,+08:00,13900001111,,,,sms
";

fn shipped(file: &str) -> String {
    format!("{}/../arrears-collect/config/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn book(env: &Env) {
    env.ok(&["init"]);
    let loans = env.file("loans.csv", LOANS);
    env.ok(&["import", "loans", loans.to_str().unwrap()]);
    let borrowers = env.file("borrowers.csv", BORROWERS);
    let out = env.ok(&["import", "borrowers", borrowers.to_str().unwrap()]);
    assert!(out.contains("imported 2 of 2 borrowers"), "{out}");
}

#[test]
fn bad_borrower_files_name_the_line_and_field_and_change_nothing() {
    let env = Env::sqlite();
    env.ok(&["init"]);
    let bad = env.file(
        "bad.csv",
        "borrower_id,name,language,utc_offset,phone,email,opted_out\n\
         B1,王芳,zh,+08:00,13812345678,,\n\
         B2,Li,fr,+08:00,,,\n\
         B3,Zhang,zh,+25:00,,,\n\
         B4,Wu,zh,+08:00,12ab,,\n\
         B5,Ma,zh,+08:00,,not-an-email,\n\
         B6,Hu,zh,+08:00,,,letter\n\
         B1,Again,zh,+08:00,,,\n",
    );
    let err = env.rejected(
        &["import", "borrowers", bad.to_str().unwrap()],
        &[
            "line 3: language: `fr` must be zh or en",
            "line 4: utc_offset: `+25:00` is outside",
            "line 5: phone: `****` is not a phone number",
            "line 6: email: `not*****mail` is not an email address",
            "line 7: opted_out: `letter` is not an electronic channel",
            "line 8: borrower_id: `B1` appears twice",
            "6 bad rows; nothing was imported",
        ],
    );
    assert!(!err.contains("line 2:"), "{err}");
    let header = env.file("header.csv", "borrower_id,name,language\nB1,x,zh\n");
    env.rejected(&["import", "borrowers", header.to_str().unwrap()], &["header: line 1: the column `utc_offset` is missing"]);
}

#[test]
fn the_batch_plans_the_next_day_and_the_outbox_delivers_it() {
    let env = Env::sqlite();
    book(&env);
    // Closing 2026-02-11 plans 2026-02-12: three days before the first due date.
    let out = env.ok(&["eod", "--until", "2026-02-11"]);
    assert!(
        out.contains("2026-02-12: 2 loans reached by a step: 1 messages queued, 0 call tasks, 1 blocked (opt-out-electronic 1)"),
        "{out}"
    );
    env.rejected(&["collect", "run", "--date", "2026-02-14"], &["date: 2026-02-14 is not the open business day 2026-02-12"]);
    let again = env.ok(&["collect", "run", "--date", "2026-02-12"]);
    assert!(again.contains("already planned"), "{again}");
    // Before 10:00 Beijing time (02:00 UTC) nothing leaves; then it does.
    assert!(env.ok(&["outbox", "deliver", "--now", "2026-02-12 01:00"]).starts_with("sent 0,"));
    let sent = env.ok(&["outbox", "deliver", "--now", "2026-02-12 02:30"]);
    assert!(sent.starts_with("sent 1,"), "{sent}");
    let sms: Vec<Value> = std::fs::read_to_string(env.dir.join("outbox/sms.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["to"], "13812345678");
    assert!(sms[0]["body"].as_str().unwrap().contains("L1"), "{}", sms[0]);
    // The record of L2: the SMS blocked by the borrower's opt-out, with the rule.
    let record = env.json(&["contacts", "show", "--loan", "L2", "--format", "json"]);
    let contacts = record["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{record}");
    assert_eq!(contacts[0]["decision"], "blocked");
    assert_eq!(contacts[0]["rule"], "opt-out-electronic");
    assert!(contacts[0]["content"].as_str().unwrap().contains("Li Lei"), "English for an English speaker: {record}");
    let csv = env.ok(&["contacts", "show", "--loan", "L1", "--format", "csv"]);
    assert!(csv.starts_with("contact_key,business_date,at_local,channel,"), "{csv}");
    assert!(csv.contains(",138****5678,") && csv.contains(",sent,"), "{csv}");
    let table = env.ok(&["contacts", "show", "--loan", "L1"]);
    assert!(table.contains("2026-02-12 10:00  sms") && table.contains("allowed; sent"), "{table}");
    env.rejected(&["contacts", "show", "--loan", "NOPE"], &["--loan: loan `NOPE` does not exist"]);
    let status = env.ok(&["outbox", "status"]);
    assert!(status.contains("sent") && status.contains("1"), "{status}");
}

#[test]
fn agents_dial_through_the_policy_pack() {
    let env = Env::sqlite();
    book(&env);
    // D+15 (2026-03-02): a call step of both arms.
    let out = env.ok(&["eod", "--until", "2026-03-01"]);
    assert!(out.contains("2026-03-02: 2 loans reached by a step: 0 messages queued, 2 call tasks"), "{out}");
    env.ok(&["calls", "agent", "a1", "--name", "Agent One", "--cap", "5", "--desk", "CNY"]);
    assert!(env.ok(&["calls", "assign"]).starts_with("2 tasks assigned"));
    let tasks = env.json(&["calls", "list", "--agent", "a1", "--format", "json"]);
    let task = tasks[0]["id"].as_i64().unwrap().to_string();
    // 23:00 in Beijing (15:00 UTC) is in the quiet hours.
    let blocked = env.ok(&["calls", "dial", "--task", &task, "--agent", "a1", "--at", "2026-03-01 23:30"]);
    assert!(blocked.starts_with("blocked by quiet-hours: 07:30 is inside the quiet hours 22:00–08:00"), "{blocked}");
    env.rejected(&["calls", "dial", "--task", &task, "--agent", "a2", "--at", "2026-03-02 02:00"], &["agent: task", "not a2"]);
    let allowed = env.ok(&["calls", "dial", "--task", &task, "--agent", "a1", "--at", "2026-03-02 02:00"]);
    assert!(allowed.starts_with("allowed: call "), "{allowed}");
    let key = allowed.split("--contact ").nth(1).unwrap().lines().next().unwrap().trim().to_owned();
    env.rejected(
        &[
            "calls",
            "outcome",
            "--task",
            &task,
            "--contact",
            &key,
            "--agent",
            "a1",
            "--outcome",
            "promise",
            "--promise-date",
            "2026-03-05",
        ],
        &["--promise-amount: a promise needs an amount"],
    );
    env.ok(&[
        "calls",
        "outcome",
        "--task",
        &task,
        "--contact",
        &key,
        "--agent",
        "a1",
        "--outcome",
        "promise",
        "--promise-date",
        "2026-03-05",
        "--promise-amount",
        "520.00",
        "--at",
        "2026-03-02 02:05",
    ]);
    let moved = env.ok(&["calls", "reassign", "--from", "a1"]);
    assert!(moved.starts_with("1 tasks moved from a1 to the pool"), "{moved}");
    let report = env.json(&["compliance", "report", "--from", "2026-02-01", "--to", "2026-03-31", "--format", "json"]);
    assert_eq!(report["breaches"], Value::Array(vec![]));
    assert_eq!(report["blocked_by_rule"]["quiet-hours"], 1);
    assert_eq!(report["outcomes"]["promise"], 1);
    let results = env.json(&["collect", "results", "--from", "2026-02-01", "--to", "2026-03-31", "--format", "json"]);
    assert_eq!(results["agents"][0]["agent"], "a1");
    assert_eq!(results["agents"][0]["promises"], 1);
}

#[test]
fn strategy_check_explains_a_good_file_and_names_the_line_of_a_bad_one() {
    let out = crate::support::ok(&["strategy", "check", &shipped("strategy.toml")]);
    assert!(out.contains("strategy `default` version 2026.1 is valid"), "{out}");
    assert!(out.contains("arm default (80% of loans):") && out.contains("arm early-call (20% of loans):"), "{out}");
    assert!(out.contains("D-3    sms     pre-due"), "{out}");
    let us = crate::support::ok(&["strategy", "check", &shipped("strategy-us.toml")]);
    assert!(us.contains("products: US-INST"), "{us}");
    let dir = std::env::temp_dir().join(format!("arrears-strategy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "id = \"x\"\nversion = \"1\"\n\n[[steps]]\nday = 2\nchannel = \"sms\"\ntemplate = \"no-such\"\n")
        .unwrap();
    let out = crate::support::run(&["strategy", "check", bad.to_str().unwrap()]);
    crate::support::assert_rejected(&out, &["strategy check"], &["bad.toml: line 4: unknown template `no-such`"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_demo_runs_the_desk_with_no_breach() {
    let env = Env::sqlite();
    let out = env.ok(&["demo", "--loans", "300", "--days", "120"]);
    assert!(out.contains("\ncollections:\n"), "{out}");
    assert!(out.contains("audited again, breaches: 0"), "{out}");
    assert!(out.contains("strategy arms") && out.contains("challenger") && out.contains("agents:"), "{out}");
    let sms = std::fs::read_to_string(env.dir.join("demo-outbox/sms.jsonl")).unwrap();
    assert!(sms.lines().count() > 100, "the demo's texts are in its outbox file");
    let report = env.json(&["compliance", "report", "--from", "2026-01-01", "--to", "2026-05-01", "--format", "json"]);
    assert_eq!(report["breaches"], Value::Array(vec![]));
    assert!(report["allowed"].as_i64().unwrap() > 1000, "{report}");
}

/// Whether `aiosmtpd` can run; when it cannot, the test is skipped with a note, unless
/// `ARREARS_TEST_REQUIRE_SMTP=1` (CI), where it fails.
fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert_ne!(
            std::env::var("ARREARS_TEST_REQUIRE_SMTP").as_deref(),
            Ok("1"),
            "ARREARS_TEST_REQUIRE_SMTP=1 but aiosmtpd is missing"
        );
        eprintln!("note: the CLI's SMTP test is skipped: `python3 -m pip install aiosmtpd` enables it");
    }
    ok
}

struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn start_smtp(dir: &std::path::Path) -> Smtp {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let maildir = dir.join("maildir");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Smtp { child, port, maildir }
}

#[test]
fn a_strategy_email_reaches_a_real_smtp_server() {
    if !aiosmtpd_available() {
        return;
    }
    let env = Env::sqlite();
    book(&env);
    let smtp = start_smtp(&env.dir);
    let channels = env.file(
        "channels.toml",
        &format!("files = \"{}\"\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"示例银行 <collections@bank.example>\"\n", env.dir.join("files").display(), smtp.port),
    );
    // D+10 (2026-02-25): the email step of both arms.
    let out = env.ok(&["eod", "--until", "2026-02-24"]);
    assert!(out.contains("2026-02-25: 2 loans reached by a step"), "{out}");
    let sent = env.ok(&["--channels", channels.to_str().unwrap(), "outbox", "deliver", "--now", "2026-02-25 02:30"]);
    assert!(sent.starts_with("sent 1,"), "only L1's borrower gave an email address: {sent}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mail = loop {
        let files: Vec<PathBuf> =
            std::fs::read_dir(smtp.maildir.join("new")).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        if let Some(f) = files.first() {
            break std::fs::read_to_string(f).unwrap();
        }
        assert!(Instant::now() < deadline, "no mail arrived");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(mail.contains("wang.fang@example.com"), "{mail}");
    let record = env.json(&["contacts", "show", "--loan", "L1", "--format", "json"]);
    let email = record["contacts"].as_array().unwrap().iter().find(|c| c["channel"] == "email").unwrap().clone();
    assert_eq!(email["events"][0]["event"], "sent");
    let provider_id = email["events"][0]["detail"].as_str().unwrap();
    assert!(mail.contains(provider_id.trim_matches(['<', '>'])), "the record keeps the Message-ID the server got: {provider_id}");
}

/// One HTTP/1.1 POST over a plain socket; the status code and body of the answer.
fn post(addr: &str, path: &str, signature: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, answer.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

#[test]
fn delivery_receipts_are_verified_and_recorded_once() {
    use std::io::BufRead;
    let env = Env::sqlite();
    book(&env);
    env.ok(&["eod", "--until", "2026-02-11"]);
    env.ok(&["outbox", "deliver", "--now", "2026-02-12 02:30"]);
    let record = env.json(&["contacts", "show", "--loan", "L1", "--format", "json"]);
    let provider_id = record["contacts"][0]["events"][0]["detail"].as_str().unwrap().to_owned();
    let channels = env.file(
        "channels.toml",
        "[sms]\nurl = \"http://127.0.0.1:9/sms\"\napi_key = \"k\"\nsecret_env = \"ARREARS_TEST_SMS_SECRET\"\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["--db", &env.db, "--channels", channels.to_str().unwrap(), "outbox", "receipts", "--listen", "127.0.0.1:0"])
        .env("ARREARS_TEST_SMS_SECRET", "receipt secret")
        .current_dir(&env.dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let addr =
        first.trim().trim_start_matches("accepting delivery receipts on http://").trim_end_matches("/sms/receipts").to_owned();
    let body = format!("{{\"message_id\":\"{provider_id}\",\"status\":\"delivered\",\"at\":1770863700}}");
    let good = arrears_channels::sign_hex(b"receipt secret", body.as_bytes());
    let forged = arrears_channels::sign_hex(b"another secret", body.as_bytes());
    let answers = [
        post(&addr, "/sms/receipts", &forged, &body),
        post(&addr, "/sms/receipts", &good, &body),
        post(&addr, "/sms/receipts", &good, &body),
        post(&addr, "/sms/receipts", &arrears_channels::sign_hex(b"receipt secret", b"{}"), "{}"),
        post(&addr, "/elsewhere", &good, &body),
    ];
    let unknown = "{\"message_id\":\"nobody\",\"status\":\"failed\",\"at\":1770863700}";
    let not_ours = post(&addr, "/sms/receipts", &arrears_channels::sign_hex(b"receipt secret", unknown.as_bytes()), unknown);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answers[0].0, 401, "a forged receipt: {:?}", answers[0]);
    assert_eq!(answers[1].0, 200, "{:?}", answers[1]);
    assert!(answers[1].1.ends_with(" recorded"), "{:?}", answers[1]);
    assert!(answers[2].1.ends_with("already recorded"), "a repeated callback: {:?}", answers[2]);
    assert_eq!(answers[3].0, 400, "{:?}", answers[3]);
    assert_eq!(answers[4].0, 404);
    assert_eq!(not_ours.0, 404, "{not_ours:?}");
    let record = env.json(&["contacts", "show", "--loan", "L1", "--format", "json"]);
    let events: Vec<&str> =
        record["contacts"][0]["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["sent", "delivered"]);
}

#[test]
fn month_ends_score_the_book_and_loan_show_tells_why() {
    let env = Env::sqlite();
    book(&env);
    // D+25 (2026-03-12): the credit-report notice goes to L1's borrower; L2's opted out of texts.
    let mut out = env.ok(&["eod", "--until", "2026-03-11"]);
    env.ok(&["outbox", "deliver", "--now", "2026-03-12 02:30"]);
    out.push_str(&env.ok(&["eod", "--until", "2026-03-31"]));
    // The book's first closed day is its first due date, 2026-02-15: February is its first month.
    assert!(out.contains("2026-02: 2 loan months recorded, 2 loans scored"), "{out}");
    assert!(out.contains("2026-03: 2 loan months recorded, 2 loans scored"), "{out}");
    let show = env.ok(&["loan", "show", "L1"]);
    let line = show.lines().find(|l| l.starts_with("risk ")).unwrap_or_else(|| panic!("{show}"));
    assert!(
        line.contains(" points, ")
            && line.contains("chance of default next month (scored 2026-03-31")
            && line.contains("because: "),
        "{line}"
    );
    let view = env.json(&["loan", "show", "L1", "--format", "json"]);
    assert_eq!(view["risk"]["scored_on"], "2026-03-31");
    assert!(view["risk"]["reasons"][0]["zh"].is_string(), "{}", view["risk"]);
    let drift = env.json(&["risk", "drift", "--format", "json"]);
    let months: Vec<&str> = drift.as_array().unwrap().iter().map(|r| r["month"].as_str().unwrap()).collect();
    assert_eq!(months, ["2026-03", "2026-02"]);
    assert!(drift[0]["drift"]["points_psi"].is_number(), "{drift}");
    env.rejected(&["risk", "schedule", "--every-months", "0"], &["--every-months: 0 must be 1 to 12"]);
    assert!(env.ok(&["risk", "schedule", "--every-months", "3"]).contains("every 3 month(s)"));
    env.rejected(&["risk", "score-book", "--date", "2026-03-30"], &["--date: 2026-03-30 is not the last day of a month"]);
    env.rejected(&["risk", "score-book", "--date", "2026-04-30"], &["--date: 2026-04-30 is not closed yet"]);
    let already = env.ok(&["risk", "score-book", "--date", "2026-03-31"]);
    assert!(already.contains("2026-03: month-end scoring already done"), "{already}");
    // The book's own history, in the training file's columns: two loans, one month each with
    // a following month.
    let file = env.dir.join("book.csv");
    let out = env.ok(&["risk", "export", "--out", file.to_str().unwrap()]);
    assert!(out.starts_with("wrote 2 rows"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,"), "{text}");
    // The bureau file of March: L1 two months late with its 24-month string; L2's first overdue
    // status waits, since its borrower was never told.
    let furnish = env.dir.join("cn-2026-03.csv");
    let out = env.ok(&[
        "credit",
        "furnish",
        "--month",
        "2026-03",
        "--pack",
        "cn",
        "--format",
        "csv",
        "--out",
        furnish.to_str().unwrap(),
    ]);
    assert!(out.starts_with("1 accounts furnished for 2026-03"), "{out}");
    assert!(out.contains("1 records held back"), "{out}");
    let csv = std::fs::read_to_string(&furnish).unwrap();
    assert!(csv.lines().nth(1).unwrap().ends_with(&format!(",special-mention,2,{}12,0", "/".repeat(22))), "{csv}");
    let missing = env.dir.join("cn-2026-04.jsonl");
    env.rejected(
        &["credit", "furnish", "--month", "2026-04", "--out", missing.to_str().unwrap()],
        &["month: 2026-04 is not closed and recorded yet"],
    );
    assert!(!missing.exists(), "a refused month leaves no file");
    env.rejected(
        &["credit", "furnish", "--month", "2026-03", "--pack", "us", "--out", missing.to_str().unwrap()],
        &["--furnisher-id: "],
    );
    // The US file of a book of yuan loans has no accounts, and still reads back as Metro 2.
    let metro = env.dir.join("us-2026-03.txt");
    let us = [
        "credit",
        "furnish",
        "--month",
        "2026-03",
        "--pack",
        "us",
        "--furnisher-id",
        "ARREARS01",
        "--furnisher-name",
        "Example Bank",
    ];
    let out = env.ok(&[&us[..], &["--out", metro.to_str().unwrap()]].concat());
    assert!(out.starts_with("0 accounts furnished for 2026-03"), "{out}");
    let out = env.ok(&["credit", "parse", metro.to_str().unwrap()]);
    assert!(out.contains("0 base segments; trailer totals match"), "{out}");
    let not_metro = env.file("not-metro2.txt", "HELLO\n");
    env.rejected(&["credit", "parse", not_metro.to_str().unwrap()], &["record 1: 5 characters; every record has 426"]);
    assert!(text.lines().any(|l| l.starts_with("L1-2026-02,3000,") && l.ends_with(",1")), "L1 was late at March's end:\n{text}");
}

#[test]
fn a_dispute_is_opened_answered_and_the_history_says_when_marks_age_out() {
    let env = Env::sqlite();
    book(&env);
    env.ok(&["eod", "--until", "2026-03-31"]);
    let opened =
        env.ok(&["dispute", "open", "--loan", "L1", "--month", "2026-02", "--reason", "I paid on time", "--channel", "portal"]);
    assert!(opened.starts_with("dispute 1 opened on L1: collection paused"), "{opened}");
    env.rejected(
        &["dispute", "open", "--loan", "L1", "--reason", "x", "--channel", "pigeon"],
        &["channel: `pigeon` is not one of"],
    );
    let list = env.ok(&["dispute", "list"]);
    assert!(list.contains("due 2026-04-21 (20 days)") && list.contains("[2026-02] I paid on time"), "{list}");
    env.rejected(
        &["dispute", "resolve", "--id", "1", "--outcome", "corrected"],
        &["--status: a correction says what the month should read"],
    );
    let answered = env.ok(&["dispute", "resolve", "--id", "1", "--outcome", "corrected", "--status", "N"]);
    assert!(answered.contains("dispute 1 answered (corrected) on 2026-04-01") && answered.contains("已更正为“N”"), "{answered}");
    assert_eq!(env.ok(&["dispute", "list"]), "no open disputes\n");
    let history = env.ok(&["credit", "history", "--loan", "L1"]);
    assert!(history.contains("2026-02 N  2026-03 2"), "{history}");
    assert!(
        history
            .contains("negative mark 2026-03 to 2026-03 (worst 2): still overdue: it leaves the report 5 years after it is paid"),
        "{history}"
    );
    assert!(history.contains("no one can lawfully delete a true record for a fee"), "{history}");
    // The regulator's report of March: both loans special mention in M2, the dispute answered
    // in April.
    let report = env.json(&["report", "regulator", "--month", "2026-03", "--format", "json"]);
    assert_eq!(report["classes"][0]["group"], "special-mention");
    assert_eq!(report["classes"][0]["loans"], 2);
    assert_eq!(report["buckets"][0]["group"], "M2");
    assert_eq!(report["disputes"]["received"], 0);
    let april_close = env.ok(&["eod", "--until", "2026-04-30"]);
    assert!(april_close.contains("2026-04: 2 loan months recorded"), "{april_close}");
    let april = env.json(&["report", "regulator", "--month", "2026-04", "--format", "json"]);
    assert_eq!(
        (april["disputes"]["received"].as_i64(), april["disputes"]["answered_in_time"].as_i64()),
        (Some(1), Some(1)),
        "{april}"
    );
    env.rejected(&["report", "regulator", "--month", "2026-04", "--format", "xlsx"], &["--out: an XLSX report goes to a file"]);
    let xlsx = env.dir.join("regulator-2026-04.xlsx");
    env.ok(&["report", "regulator", "--month", "2026-04", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.len() > 2_000, "an XLSX (zip) file");
    env.rejected(&["report", "regulator", "--month", "2026-05"], &["month: 2026-05 is not closed and recorded yet"]);
}

#[test]
fn complaints_are_filed_answered_and_counted() {
    let env = Env::sqlite();
    book(&env);
    env.ok(&["eod", "--until", "2026-02-11"]);
    let record = env.json(&["contacts", "show", "--loan", "L1", "--format", "json"]);
    let key = record["contacts"][0]["contact_key"].as_str().unwrap().to_owned();
    env.rejected(&["complaint", "open", "--category", "rudeness", "--description", "x"], &["category: `rudeness` is not one of"]);
    env.rejected(
        &["complaint", "open", "--category", "collection-conduct", "--description", "too many texts"],
        &["loan: a complaint about collection conduct names the loan or the borrower"],
    );
    env.rejected(
        &["complaint", "open", "--category", "collection-conduct", "--description", "x", "--loan", "L2", "--contact", &key],
        &["contact: ", "is not a contact about loan L2"],
    );
    let filed = env.ok(&[
        "complaint",
        "open",
        "--category",
        "collection-conduct",
        "--description",
        "a text at night",
        "--loan",
        "L1",
        "--contact",
        &key,
    ]);
    assert!(filed.starts_with("complaint 1 filed (collection-conduct); reply due by 2026-02-27"), "{filed}");
    let complex = env.ok(&[
        "complaint",
        "open",
        "--category",
        "fees",
        "--description",
        "late fee",
        "--borrower",
        "B2",
        "--complex",
        "--channel",
        "regulator",
    ]);
    assert!(complex.contains("reply due by 2026-03-14"), "complex: 30 days: {complex}");
    env.ok(&["complaint", "assign", "--id", "1", "--to", "c-officer"]);
    let answered =
        env.ok(&["complaint", "reply", "--id", "1", "--text", "The text was sent at 10:00 your time; see the record."]);
    assert!(answered.contains("(in time; due 2026-02-27)"), "{answered}");
    env.rejected(&["complaint", "reply", "--id", "1", "--text", "again"], &["complaint 1 is not open"]);
    let stats = env.ok(&["complaint", "stats", "--month", "2026-02"]);
    assert!(stats.contains("2 received; answered in time 1, late 0; open 1 (0 past deadline)"), "{stats}");
}
