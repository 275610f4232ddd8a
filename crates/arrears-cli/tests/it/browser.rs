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
    let (mut base, mut staff, mut phone) = (String::new(), None, None);
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("serving the demo book on ") {
            base = rest.split(' ').next().unwrap().to_owned();
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"demo-agent") && fields.get(1) == Some(&"password") {
            staff = Some(("demo-agent".to_owned(), fields[2].to_owned()));
        }
        if let Some(at) = line.find("(for example ") {
            phone = Some(line[at + 13..].split(')').next().unwrap().to_owned());
        }
        if line.contains("/verify    the public check") {
            break;
        }
    }
    assert!(base.starts_with("http://127.0.0.1:"), "the demo printed no address");
    let (name, password) = staff.expect("the demo printed a staff login");
    let phone = phone.expect("the demo printed a borrower's phone");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let out = Command::new("node")
        .arg("e2e.mjs")
        .current_dir(&suite)
        .env("BASE", &base)
        .env("CHROMIUM", &chromium)
        .env("STAFF_NAME", &name)
        .env("STAFF_PASSWORD", &password)
        .env("PHONE", &phone)
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
