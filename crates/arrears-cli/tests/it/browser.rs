//! The browser suite: `arrears demo --serve` on a small book, worked in real headless Chromium
//! by `tests/browser/e2e.mjs` (playwright-core): a member of staff logs in, sees the console and
//! logs out; a borrower on a phone-sized screen logs in with the code texted to them, reads
//! their loans and their explanation, works a what-if and downloads their settlement
//! certificate. Screenshots are kept in the target folder.
//!
//! Runs when ARREARS_TEST_CHROMIUM names the browser (CI: /usr/bin/chromium, after `npm ci` in
//! tests/browser); otherwise it says it was skipped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn staff_and_a_borrower_work_the_demo_in_chromium() {
    let Ok(chromium) = std::env::var("ARREARS_TEST_CHROMIUM") else {
        eprintln!("note: the browser suite was skipped; set ARREARS_TEST_CHROMIUM=/usr/bin/chromium (and run npm ci in crates/arrears-cli/tests/browser) to run it");
        return;
    };
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        suite.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci` in {}",
        suite.display()
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["--db", &db, "demo", "--loans", "80", "--days", "150", "--serve", "--listen", "127.0.0.1:0"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the arrears binary runs");
    let stderr = server.stderr.take().unwrap();
    let log = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());
    // Read what the demo printed up to the server's addresses.
    let (mut base, mut staff, mut phone, mut late_phone) = (String::new(), std::collections::HashMap::new(), None, None);
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("serving the demo book on ") {
            base = rest.split(' ').next().unwrap().to_owned();
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `NAME password PASSWORD (ROLE)`
        if let [name, "password", password, role] = fields[..] {
            staff.insert(role.trim_matches(['(', ')']).to_owned(), (name.to_owned(), password.to_owned()));
        }
        if line.ends_with("a borrower whose loan is paid off") {
            phone = fields.first().map(|p| p.to_string());
        }
        if line.ends_with("a borrower whose loan is late") {
            late_phone = fields.first().map(|p| p.to_string());
        }
        if line.contains("/verify    the public check") {
            break;
        }
    }
    assert!(base.starts_with("http://127.0.0.1:"), "the demo printed no address");
    for role in ["agent", "supervisor", "hardship-officer"] {
        assert!(staff.contains_key(role), "the demo printed no {role} login");
    }
    let phone = phone.expect("the demo printed the phone of a borrower who paid off");
    let late_phone = late_phone.expect("the demo printed the phone of a borrower who is late");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let out = Command::new("node")
        .arg("e2e.mjs")
        .current_dir(&suite)
        .env("BASE", &base)
        .env("CHROMIUM", &chromium)
        .env("AGENT_NAME", &staff["agent"].0)
        .env("AGENT_PASSWORD", &staff["agent"].1)
        .env("SUPERVISOR_NAME", &staff["supervisor"].0)
        .env("SUPERVISOR_PASSWORD", &staff["supervisor"].1)
        .env("HARDSHIP_NAME", &staff["hardship-officer"].0)
        .env("HARDSHIP_PASSWORD", &staff["hardship-officer"].1)
        .env("PHONE", &phone)
        .env("LATE_PHONE", &late_phone)
        .env("SMS_FILE", dir.join("demo-outbox/sms.jsonl"))
        .env("SHOTS", &shots)
        .output()
        .expect("node runs");
    let _ = server.kill();
    let _ = server.wait();
    let log = log.join().unwrap_or_default();
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the browser suite failed:\n{}\n{}\nserver log (last lines):\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        log.iter().rev().take(30).rev().cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("browser screenshots: {}", shots.display());
    let _ = std::fs::remove_dir_all(&dir);
}
