//! The outbox through a real HTTP SMS gateway adapter, against a gateway written here that
//! fails every other request (half of them after the SMS went out): every message reaches the
//! borrower once (the gateway dedupes on the idempotency id) and is recorded once.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrears_app::collect::{self, CollectConfig};
use arrears_app::outbox::{self, DeliverOptions, Senders};
use arrears_channels::sms::{RetryPolicy, SmsGateway, SmsGatewayConfig};
use arrears_core::RepaymentMethod;
use arrears_store::BorrowerRecord;

use crate::story;
use crate::support::{borrower, d, new_loan, open, TestDb};

#[derive(Default)]
struct Log {
    requests: usize,
    /// client_ref → the gateway's id: what went out, once each.
    sent: BTreeMap<String, String>,
}

/// Serves until the test process ends: request 0, 2, 4 … fail with 503, and of those every
/// second one fails after sending.
fn start_gateway() -> (String, Arc<Mutex<Log>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Log::default()));
    let shared = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2_000).flatten() {
            serve(stream, &shared);
        }
    });
    (url, log)
}

fn serve(stream: TcpStream, log: &Mutex<Log>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut length = 0usize;
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    loop {
        line.clear();
        if reader.read_line(&mut line).is_err() || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length.min(65_536)];
    let _ = reader.read_exact(&mut body);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let client_ref = json["client_ref"].as_str().unwrap_or_default().to_owned();
    let (status, answer) = {
        let mut log = log.lock().unwrap();
        let n = log.requests;
        log.requests += 1;
        if client_ref.is_empty() {
            // A request cut short (its sender timed out under load) is no message: a real
            // gateway refuses it, and the sender, having given up, sends it again.
            (400, "{\"error\":\"no client_ref\"}".to_owned())
        } else if n.is_multiple_of(4) {
            (503, "{\"error\":\"busy\"}".to_owned())
        } else {
            let next = format!("gw-{}", log.sent.len() + 1);
            let id = log.sent.entry(client_ref).or_insert(next).clone();
            if n % 4 == 2 {
                (503, "{\"error\":\"sent, answer lost\"}".to_owned())
            } else {
                (200, format!("{{\"message_id\":\"{id}\"}}"))
            }
        }
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

story!(sms_survive_a_gateway_failing_half_its_requests, |db: &TestDb| {
    let config = CollectConfig::shipped();
    let mut store = db.init();
    let n = 12;
    let loans = (1..=n)
        .map(|k| {
            let mut l = new_loan(&format!("L{k}"), "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
            l.borrower_id = format!("B{k}");
            l
        })
        .collect();
    open(&mut store, loans);
    let borrowers: Vec<BorrowerRecord> = (1..=n)
        .map(|k| BorrowerRecord {
            name: format!("借款人{k}"),
            phone: Some(format!("138000000{k:02}")),
            ..borrower(&format!("B{k}"))
        })
        .collect();
    store.transaction(|tx| tx.upsert_borrowers(&borrowers)).unwrap();
    arrears_app::eod::run_until(&mut store, d("2026-02-11"), Default::default(), |_, _| ()).unwrap();
    let planned = collect::run(&mut store, d("2026-02-12"), &config).unwrap();
    assert_eq!(planned.messages, n, "{planned:?}");

    let (url, log) = start_gateway();
    // One request per send: the outbox's own backoff does the retrying, across passes.
    let gateway = SmsGateway::new(SmsGatewayConfig {
        url,
        api_key: "k".into(),
        secret: b"s".to_vec(),
        sender_id: None,
        timeout_ms: 2_000,
        retry: RetryPolicy { attempts_max: 1, backoff_initial_ms: 1, backoff_max_ms: 1, total_ms_max: 10 },
    })
    .unwrap();
    let senders = Senders::default().with(Box::new(gateway));
    let start = arrears_policy::LocalTime::parse("2026-02-12 10:00").unwrap().utc_minutes(480);
    let mut sent = 0;
    // A pass every five minutes for two hours, as a scheduler would run it.
    for pass in 0..24 {
        let r = outbox::deliver(
            &mut store,
            &senders,
            DeliverOptions { now_utc: start + pass * 5, limit: 100, crash_after_sends: None },
        )
        .unwrap();
        assert_eq!(r.failed, 0, "{r:?}");
        sent += r.sent;
    }
    assert_eq!(sent, n, "every message went out");
    let log = log.lock().unwrap();
    assert_eq!(log.sent.len(), n, "each reached the borrower once");
    assert!(log.requests > n, "with failures on the way: {} requests", log.requests);
    for k in 1..=n {
        let loan = store.read(|tx| tx.loan(&format!("L{k}"))).unwrap().unwrap();
        let contacts = store.read(|tx| tx.contacts_of(loan.seq)).unwrap();
        let sent_events: Vec<_> = contacts[0].events.iter().filter(|e| e.0 == "sent").collect();
        assert_eq!(sent_events.len(), 1, "recorded once");
        assert_eq!(Some(&sent_events[0].2), log.sent.values().find(|id| **id == sent_events[0].2), "the gateway's id is kept");
    }
});
