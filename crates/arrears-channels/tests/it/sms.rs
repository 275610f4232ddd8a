//! SMS through a gateway written here: a small HTTP/1.1 server on 127.0.0.1:0 that checks the
//! API key and signature of every request, records it, and fails requests as told.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrears_channels::sms::{
    parse_receipt, ReceiptError, ReceiptStatus, RetryPolicy, SmsGateway, SmsGatewayConfig, HEADER_API_KEY,
    HEADER_IDEMPOTENCY_KEY, HEADER_SIGNATURE,
};
use arrears_channels::{sign_hex, Channel, Delivery, FailureKind, Message, Sender};

const API_KEY: &str = "test-key-123";
const SECRET: &[u8] = b"shared secret";
/// The most connections one test gateway serves, so a runaway retry loop cannot spin forever.
const CONNECTIONS_MAX: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every other request (the 1st, 3rd, …) fails with 503. Of those, every second one fails
    /// after the SMS has gone out (the answer is lost), so only the gateway's dedupe on
    /// `client_ref` keeps the borrower from getting it twice.
    FailEveryOther,
    /// Always answers with this status.
    Always(u16),
}

#[derive(Debug, Clone)]
struct Request {
    client_ref: String,
    idempotency_header: String,
    body: Vec<u8>,
    key_ok: bool,
    signature_ok: bool,
}

#[derive(Debug, Default)]
struct Log {
    requests: Vec<Request>,
    /// client_ref → the gateway's message id: each SMS the gateway sent, once.
    sent: BTreeMap<String, String>,
    /// SMS handed to the network, in order (a duplicate would show up here twice).
    handed_out: Vec<String>,
}

struct Gateway {
    url: String,
    log: Arc<Mutex<Log>>,
}

impl Gateway {
    fn start(mode: Mode) -> Gateway {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}/sms/send", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::clone(&log);
        // Detached: it serves at most CONNECTIONS_MAX connections and dies with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming().take(CONNECTIONS_MAX) {
                let Ok(stream) = stream else { continue };
                serve(stream, mode, &shared);
            }
        });
        Gateway { url, log }
    }

    fn config(&self) -> SmsGatewayConfig {
        SmsGatewayConfig {
            url: self.url.clone(),
            api_key: API_KEY.into(),
            secret: SECRET.to_vec(),
            sender_id: Some("LENDER".into()),
            timeout_ms: 2_000,
            retry: RetryPolicy { attempts_max: 4, backoff_initial_ms: 5, backoff_max_ms: 40, total_ms_max: 5_000 },
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().expect("gateway log")
    }
}

/// Reads one HTTP/1.1 request (head, then a Content-Length body) and answers it.
fn serve(stream: TcpStream, mode: Mode, log: &Mutex<Log>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || !request_line.starts_with("POST /sms/send HTTP/1.1") {
        return respond(&stream, 404, "{\"error\":\"not found\"}");
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0).min(64 * 1024);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return respond(&stream, 400, "{\"error\":\"short body\"}");
    }
    let header = |name: &str| headers.get(&name.to_ascii_lowercase()).cloned().unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let request = Request {
        client_ref: json["client_ref"].as_str().unwrap_or_default().to_owned(),
        idempotency_header: header(HEADER_IDEMPOTENCY_KEY),
        key_ok: header(HEADER_API_KEY) == API_KEY,
        signature_ok: header(HEADER_SIGNATURE) == sign_hex(SECRET, &body),
        body,
    };
    let (status, answer) = decide(mode, request, log);
    respond(&stream, status, &answer);
}

fn decide(mode: Mode, request: Request, log: &Mutex<Log>) -> (u16, String) {
    let mut log = log.lock().expect("gateway log");
    let n = log.requests.len();
    log.requests.push(request.clone());
    if !request.key_ok || !request.signature_ok {
        return (401, "{\"error\":\"bad api key or signature\"}".into());
    }
    if let Mode::Always(status) = mode {
        return (status, format!("{{\"error\":\"always {status}\"}}"));
    }
    // Request n (from 0): n = 0, 4, 8 … fail before sending; n = 2, 6, 10 … send, then fail.
    let phase = n % 4;
    if phase == 0 {
        return (503, "{\"error\":\"overloaded, nothing sent\"}".into());
    }
    // Send the SMS unless this client_ref was sent already (the gateway's dedupe).
    let next_id = format!("gw-{}", log.sent.len() + 1);
    let id = log.sent.entry(request.client_ref.clone()).or_insert(next_id).clone();
    if !log.handed_out.contains(&request.client_ref) {
        log.handed_out.push(request.client_ref);
    }
    if phase == 2 {
        return (503, "{\"error\":\"sent, but the answer was lost\"}".into());
    }
    (200, format!("{{\"message_id\":\"{id}\"}}"))
}

fn respond(mut stream: &TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Service Unavailable",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn sms(id: &str, to: &str) -> Message {
    Message::new(id, to, "", format!("【某某小贷】尊敬的客户，您的贷款 {id} 本期应还 ¥523.10，请于 2026-03-15 前还款。"))
        .expect("valid")
}

#[test]
fn every_message_is_accepted_once_through_a_gateway_failing_half_its_requests() {
    let gateway = Gateway::start(Mode::FailEveryOther);
    let sender = SmsGateway::new(gateway.config()).expect("config is valid");
    assert_eq!(sender.channel(), Channel::Sms);
    let messages: Vec<Message> = (0..20).map(|i| sms(&format!("L{i:08}-D1"), &format!("+86138{i:08}"))).collect();

    let mut accepted = BTreeMap::new();
    let mut attempts_total = 0;
    for message in &messages {
        let delivery = sender.send(message);
        let Delivery::Accepted { provider_id, attempts } = delivery else { panic!("{message:?} not accepted: {delivery:?}") };
        attempts_total += attempts;
        assert!(accepted.insert(message.idempotency_id().to_owned(), provider_id).is_none());
    }

    let log = gateway.log();
    // Retries counted: every message took a failed request and a good one.
    assert_eq!(attempts_total as usize, log.requests.len());
    assert_eq!(log.requests.len(), 2 * messages.len());
    assert!(log.requests.iter().all(|r| r.key_ok && r.signature_ok), "every request carries the key and a good signature");
    // Each SMS went out exactly once, and the id we hold is the gateway's.
    assert_eq!(log.handed_out.len(), messages.len());
    assert_eq!(log.sent, accepted);
    // Every retry repeats the same bytes and idempotency key.
    for message in &messages {
        let id = message.idempotency_id();
        let tries: Vec<&Request> = log.requests.iter().filter(|r| r.client_ref == id).collect();
        assert_eq!(tries.len(), 2, "{id}");
        assert!(tries.iter().all(|r| r.body == tries[0].body && r.idempotency_header == id));
    }
    let first: serde_json::Value = serde_json::from_slice(&log.requests[0].body).expect("json body");
    assert_eq!(first["to"], messages[0].to());
    assert_eq!(first["text"], messages[0].body());
    assert_eq!(first["sender_id"], "LENDER");
}

#[test]
fn a_permanent_400_is_not_retried() {
    let gateway = Gateway::start(Mode::Always(400));
    let sender = SmsGateway::new(gateway.config()).expect("config is valid");
    let delivery = sender.send(&sms("L1-400", "+8613800000000"));
    let Delivery::Failed { kind, detail, attempts } = delivery else { panic!("accepted: {delivery:?}") };
    assert_eq!(kind, FailureKind::Permanent);
    assert_eq!(attempts, 1);
    assert!(detail.contains("400") && detail.contains("always 400"), "the gateway's words: {detail}");
    assert_eq!(gateway.log().requests.len(), 1);
}

#[test]
fn a_wrong_api_key_is_permanent() {
    let gateway = Gateway::start(Mode::FailEveryOther);
    let sender = SmsGateway::new(SmsGatewayConfig { api_key: "wrong".into(), ..gateway.config() }).expect("valid");
    let delivery = sender.send(&sms("L1-key", "+8613800000000"));
    assert_eq!(delivery.failure_kind(), Some(FailureKind::Permanent), "{delivery:?}");
    assert_eq!(gateway.log().requests.len(), 1);
    assert!(gateway.log().handed_out.is_empty());
}

#[test]
fn retryable_statuses_stop_at_the_attempt_bound() {
    for status in [503, 429, 500] {
        let gateway = Gateway::start(Mode::Always(status));
        let sender = SmsGateway::new(gateway.config()).expect("config is valid");
        let delivery = sender.send(&sms("L1-busy", "+8613800000000"));
        let Delivery::Failed { kind, detail, attempts } = delivery else { panic!("accepted: {delivery:?}") };
        assert_eq!(kind, FailureKind::Retryable, "{status}");
        assert_eq!(attempts, 4, "{status}: {detail}");
        assert!(detail.contains(&format!("always {status}")), "{detail}");
        assert_eq!(gateway.log().requests.len(), 4);
    }
}

#[test]
fn the_total_time_bound_stops_retries_before_the_attempt_bound() {
    let gateway = Gateway::start(Mode::Always(503));
    let retry = RetryPolicy { attempts_max: 10, backoff_initial_ms: 100, backoff_max_ms: 1_000, total_ms_max: 500 };
    let sender = SmsGateway::new(SmsGatewayConfig { retry, ..gateway.config() }).expect("valid");
    let started = std::time::Instant::now();
    let delivery = sender.send(&sms("L1-slow", "+8613800000000"));
    // Waits 100, 200, then 400 would pass 500 ms: three requests.
    assert_eq!(delivery.failure_kind(), Some(FailureKind::Retryable));
    assert_eq!(delivery.attempts(), 3, "{delivery:?}");
    assert!(started.elapsed() < Duration::from_millis(1_500));
}

#[test]
fn an_unreachable_gateway_is_retryable() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let config = SmsGatewayConfig {
        url: format!("http://127.0.0.1:{port}/sms/send"),
        api_key: API_KEY.into(),
        secret: SECRET.to_vec(),
        sender_id: None,
        timeout_ms: 1_000,
        retry: RetryPolicy { attempts_max: 3, backoff_initial_ms: 1, backoff_max_ms: 4, total_ms_max: 2_000 },
    };
    let delivery = SmsGateway::new(config).expect("valid").send(&sms("L1-down", "+8613800000000"));
    assert_eq!(delivery.failure_kind(), Some(FailureKind::Retryable), "{delivery:?}");
    assert_eq!(delivery.attempts(), 3);
}

#[test]
fn config_bounds_are_enforced() {
    let gateway = Gateway::start(Mode::Always(200));
    let good = gateway.config();
    assert!(SmsGateway::new(good.clone()).is_ok());
    let bad = [
        SmsGatewayConfig { url: "ftp://x".into(), ..good.clone() },
        SmsGatewayConfig { api_key: String::new(), ..good.clone() },
        SmsGatewayConfig { secret: Vec::new(), ..good.clone() },
        SmsGatewayConfig { timeout_ms: 0, ..good.clone() },
        SmsGatewayConfig { retry: RetryPolicy { attempts_max: 0, ..good.retry }, ..good.clone() },
        SmsGatewayConfig { retry: RetryPolicy { attempts_max: 11, ..good.retry }, ..good.clone() },
        SmsGatewayConfig { retry: RetryPolicy { backoff_initial_ms: 100, backoff_max_ms: 10, ..good.retry }, ..good.clone() },
        SmsGatewayConfig { retry: RetryPolicy { total_ms_max: 3_600_000, ..good.retry }, ..good.clone() },
    ];
    for config in bad {
        assert!(SmsGateway::new(config.clone()).is_err(), "{config:?}");
    }
    // Secrets never reach a log line.
    assert!(!format!("{good:?}").contains(API_KEY));
}

#[test]
fn receipts_are_verified_then_read() {
    let body = br#"{"message_id":"gw-7","status":"delivered","at":1773561600}"#;
    let receipt = parse_receipt(SECRET, body, &sign_hex(SECRET, body)).expect("good receipt");
    assert_eq!(receipt.provider_id, "gw-7");
    assert_eq!(receipt.status, ReceiptStatus::Delivered);
    assert_eq!(receipt.at_unix_s, 1_773_561_600);
    assert_eq!(receipt.error, None);

    let failed = br#"{"message_id":"gw-8","status":"failed","at":1773561601,"error":"absent subscriber","extra":1}"#;
    let receipt = parse_receipt(SECRET, failed, &sign_hex(SECRET, failed)).expect("good receipt");
    assert_eq!((receipt.status, receipt.error.as_deref()), (ReceiptStatus::Failed, Some("absent subscriber")));
}

#[test]
fn a_receipt_with_a_bad_signature_is_refused() {
    let body = br#"{"message_id":"gw-7","status":"delivered","at":1773561600}"#;
    let tampered = br#"{"message_id":"gw-9","status":"delivered","at":1773561600}"#;
    let good = sign_hex(SECRET, body);
    let cases: [(&[u8], String); 5] = [
        (tampered, good.clone()),
        (body, sign_hex(b"another secret", body)),
        (body, String::new()),
        (body, "not hex".into()),
        (body, good[..good.len() - 2].to_owned()),
    ];
    for (b, sig) in cases {
        assert_eq!(parse_receipt(SECRET, b, &sig), Err(ReceiptError::Signature), "{sig:?}");
    }
}

#[test]
fn a_signed_but_malformed_receipt_is_refused() {
    for body in [
        &br#"{"message_id":"gw-7","status":"lost","at":1}"#[..],
        br#"{"message_id":"","status":"delivered","at":1}"#,
        br#"{"message_id":"gw-7","status":"delivered","at":-5}"#,
        br#"{"message_id":"gw-7","status":"delivered"}"#,
        b"not json",
    ] {
        let got = parse_receipt(SECRET, body, &sign_hex(SECRET, body));
        assert!(matches!(got, Err(ReceiptError::Malformed(_))), "{}: {got:?}", String::from_utf8_lossy(body));
    }
    let huge = vec![b' '; arrears_channels::sms::RECEIPT_LEN_MAX + 1];
    assert!(matches!(parse_receipt(SECRET, &huge, &sign_hex(SECRET, &huge)), Err(ReceiptError::TooLarge(_))));
}
